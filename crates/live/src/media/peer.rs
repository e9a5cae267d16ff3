//! One WebRTC peer connection (a webrtcbin in its own pipeline) and its offer/answer exchange.

use super::microphone::MUTE;
use super::voice_input::{VOICE_SOURCE, VoiceInput};
use super::{MediaError, Outgoing};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_sdp as gst_sdp;
use gstreamer_webrtc as gst_webrtc;
use std::time::{Duration, Instant};

/// How long ICE candidate gathering may take before the description is sent as it is.
const GATHER_WITHIN: Duration = Duration::from_secs(10);

/// A peer connection to the server.
pub(crate) struct Peer {
    pipeline: gst::Pipeline,
    webrtc: gst::Element,
    /// The data channel we opened: poses, chat and heartbeats out (publisher), or the
    /// channel Janus waits for before it relays anyone's data to us (subscriber).
    data: Option<gst_webrtc::WebRTCDataChannel>,
    /// What a subscriber does with each text message that arrives.
    on_message: Option<MessageHandler>,
}

/// The parts of a publishing connection that the user's choices act on.
pub(crate) struct Sending {
    pub(crate) voice: Option<VoiceInput>,
    /// The microphone's valve: `drop` while muted.
    pub(crate) mute: Option<gst::Element>,
    pub(crate) payloader: Option<gst::Element>,
}

/// A handler for text messages arriving on any of a connection's data channels.
type MessageHandler = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// The label of the data channel every Allverse client opens.
const DATA_CHANNEL: &str = "allverse";

/// Opus as Janus recognises it: `opus/48000/2` (RFC 7587 says to declare two channels whatever is sent;
/// 111 is the usual dynamic payload type).
const OPUS_RTP_CAPS: &str =
    "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000,encoding-params=(string)2";

impl Peer {
    /// A connection that sends `outgoing` as Opus, if given, and a data channel, and receives nothing.
    pub(crate) fn publisher(outgoing: Option<&Outgoing>) -> Result<Self, MediaError> {
        match outgoing {
            Some(Outgoing::Recording(path)) => Self::recording(path),
            Some(Outgoing::Voice) => Self::sending(VOICE_SOURCE),
            Some(Outgoing::Microphone(microphone)) => Self::sending(&microphone.source()),
            None => Self::bare(),
        }
    }

    /// A webrtcbin alone in a pipeline.
    fn bare() -> Result<Self, MediaError> {
        gst::init().map_err(|e| MediaError::Missing(e.to_string()))?;
        let webrtc = gst::ElementFactory::make("webrtcbin")
            .property_from_str("bundle-policy", "max-bundle")
            .build()
            .map_err(|_| MediaError::Missing("webrtcbin".into()))?;
        let pipeline = gst::Pipeline::new();
        pipeline.add(&webrtc).map_err(|e| MediaError::Negotiation(e.to_string()))?;
        Ok(Self { pipeline, webrtc, data: None, on_message: None })
    }

    /// A webrtcbin sending the recording at `path` as Opus, in real time.
    fn recording(path: &std::path::Path) -> Result<Self, MediaError> {
        if !path.is_file() {
            return Err(MediaError::Recording(path.display().to_string(), "there is no such file".into()));
        }
        let peer = Self::sending("filesrc name=recording ! wavparse")?;
        let recording =
            peer.pipeline.by_name("recording").ok_or_else(|| MediaError::Missing("filesrc".into()))?;
        recording.set_property("location", path);
        Ok(peer)
    }

    /// A webrtcbin sending what `source` (a launch-description fragment) produces as Opus.
    fn sending(source: &str) -> Result<Self, MediaError> {
        // `clocksync` releases audio in real time: a file source alone would send it all at once.
        // The SSRC goes into the caps so that webrtcbin puts it in the offer (`a=ssrc`): Janus
        // drops packets from an SSRC its description did not announce.
        let ssrc = random_ssrc();
        let pipeline = launch(&format!(
            "{source} ! clocksync ! audioconvert ! audioresample \
             ! audio/x-raw,rate=48000,channels=1 ! opusenc ! rtpopuspay name=pay pt=111 ssrc={ssrc} \
             ! {OPUS_RTP_CAPS},ssrc=(uint){ssrc} ! webrtcbin name=peer bundle-policy=max-bundle"
        ))?;
        let webrtc = pipeline.by_name("peer").ok_or_else(|| MediaError::Missing("webrtcbin".into()))?;
        let peer = Self { pipeline, webrtc, data: None, on_message: None };
        peer.set_directions(gst_webrtc::WebRTCRTPTransceiverDirection::Sendonly);
        Ok(peer)
    }

    /// What the outbound thread needs of a publishing connection: where handed-over
    /// samples enter ([`Outgoing::Voice`]), the microphone's mute, and the RTP payloader
    /// whose packets are counted.
    pub(crate) fn sending_parts(&self) -> Sending {
        let voice = self.pipeline.by_name("voice").and_then(|e| e.downcast::<gstreamer_app::AppSrc>().ok());
        Sending {
            voice: voice.map(VoiceInput::new),
            mute: self.pipeline.by_name(MUTE),
            payloader: self.pipeline.by_name("pay"),
        }
    }

    /// A connection that receives what the server offers: each stream goes to `on_pad`,
    /// each text message on the data channels to `on_message`.
    pub(crate) fn subscriber(
        on_pad: impl Fn(&gst::Pipeline, &gst::Pad) + Send + Sync + 'static,
        on_message: impl Fn(&str) + Send + Sync + 'static,
    ) -> Result<Self, MediaError> {
        let mut peer = Self::bare()?;
        let on_message: MessageHandler = std::sync::Arc::new(on_message);
        peer.on_message = Some(on_message.clone());
        peer.webrtc.connect("on-data-channel", false, move |values| {
            if let Some(channel) = values.get(1).and_then(|v| v.get::<gst_webrtc::WebRTCDataChannel>().ok()) {
                listen(&channel, &on_message);
            }
            None
        });
        let weak = peer.pipeline.downgrade();
        peer.webrtc.connect_pad_added(move |_, pad| {
            if let Some(pipeline) = weak.upgrade()
                && pad.direction() == gst::PadDirection::Src
            {
                on_pad(&pipeline, pad);
            }
        });
        Ok(peer)
    }

    /// Starts the connection, opens our data channel and makes an offer, returned once ICE candidates are in it.
    pub(crate) fn offer(&mut self) -> Result<String, MediaError> {
        self.start()?;
        // webrtcbin makes data channels only once started.
        self.data = self.open_data_channel();
        let offer = self.ask("create-offer", "offer")?;
        self.webrtc.emit_by_name::<()>("set-local-description", &[&offer, &None::<gst::Promise>]);
        self.gathered()
    }

    /// Takes the server's answer to our offer.
    pub(crate) fn accept_answer(&self, sdp: &str) -> Result<(), MediaError> {
        let answer = description(gst_webrtc::WebRTCSDPType::Answer, sdp)?;
        self.ask_done("set-remote-description", &answer)
    }

    /// Takes the server's offer and answers it, returned once ICE candidates are in the answer.
    pub(crate) fn answer(&mut self, offer_sdp: &str) -> Result<String, MediaError> {
        self.start()?;
        let offer = description(gst_webrtc::WebRTCSDPType::Offer, offer_sdp)?;
        self.ask_done("set-remote-description", &offer)?;
        self.set_directions(gst_webrtc::WebRTCRTPTransceiverDirection::Recvonly);
        // Janus relays a publisher's data only to a subscriber that opened a channel itself.
        // Janus sends the publisher's messages on the channel with their label, which is ours
        // too when they are an Allverse client: listen on our own channel as well.
        if offer_sdp.contains("m=application") {
            self.data = self.open_data_channel();
            if let (Some(channel), Some(on_message)) = (&self.data, &self.on_message) {
                listen(channel, on_message);
            }
        }
        let answer = self.ask("create-answer", "answer")?;
        self.webrtc.emit_by_name::<()>("set-local-description", &[&answer, &None::<gst::Promise>]);
        self.gathered()
    }

    /// A candidate the server trickled (`sdpMLineIndex`, `candidate:` line).
    pub(crate) fn add_candidate(&self, m_line: u32, candidate: &str) {
        self.webrtc.emit_by_name::<()>("add-ice-candidate", &[&m_line, &candidate]);
    }

    /// The data channel we opened, for the outbound thread to send on.
    pub(crate) fn data_channel(&self) -> Option<gst_webrtc::WebRTCDataChannel> {
        self.data.clone()
    }

    fn open_data_channel(&self) -> Option<gst_webrtc::WebRTCDataChannel> {
        self.webrtc.emit_by_name::<Option<gst_webrtc::WebRTCDataChannel>>(
            "create-data-channel",
            &[&DATA_CHANNEL, &None::<gst::Structure>],
        )
    }

    fn start(&self) -> Result<(), MediaError> {
        self.pipeline
            .set_state(gst::State::Playing)
            .map(|_| ())
            .map_err(|e| MediaError::Negotiation(format!("the media pipeline did not start: {e}")))
    }

    fn set_directions(&self, direction: gst_webrtc::WebRTCRTPTransceiverDirection) {
        for index in 0.. {
            let transceiver = self
                .webrtc
                .emit_by_name::<Option<gst_webrtc::WebRTCRTPTransceiver>>("get-transceiver", &[&index]);
            match transceiver {
                Some(transceiver) => transceiver.set_property("direction", direction),
                None => break,
            }
        }
    }

    /// Emits `signal` with a promise and takes the session description the reply holds under `field`.
    fn ask(&self, signal: &str, field: &str) -> Result<gst_webrtc::WebRTCSessionDescription, MediaError> {
        let promise = gst::Promise::new();
        self.webrtc.emit_by_name::<()>(signal, &[&None::<gst::Structure>, &promise]);
        let failed = |why: String| MediaError::Negotiation(format!("{signal}: {why}"));
        match promise.wait() {
            gst::PromiseResult::Replied => {}
            other => return Err(failed(format!("{other:?}"))),
        }
        let reply = promise.get_reply().ok_or_else(|| failed("no reply".into()))?;
        if let Ok(error) = reply.get::<gst::glib::Error>("error") {
            return Err(failed(error.to_string()));
        }
        reply.get::<gst_webrtc::WebRTCSessionDescription>(field).map_err(|e| failed(e.to_string()))
    }

    /// Emits `signal` with `description` and waits until webrtcbin took it.
    fn ask_done(
        &self,
        signal: &str,
        description: &gst_webrtc::WebRTCSessionDescription,
    ) -> Result<(), MediaError> {
        let promise = gst::Promise::new();
        self.webrtc.emit_by_name::<()>(signal, &[description, &promise]);
        let failed = |why: String| MediaError::Negotiation(format!("{signal}: {why}"));
        match promise.wait() {
            gst::PromiseResult::Replied => {}
            other => return Err(failed(format!("{other:?}"))),
        }
        if let Some(Ok(error)) = promise.get_reply().map(|reply| reply.get::<gst::glib::Error>("error")) {
            return Err(failed(error.to_string()));
        }
        Ok(())
    }

    /// The local description once ICE gathering is complete (or after [`GATHER_WITHIN`], as far as it got).
    fn gathered(&self) -> Result<String, MediaError> {
        let deadline = Instant::now() + GATHER_WITHIN;
        while self.webrtc.property::<gst_webrtc::WebRTCICEGatheringState>("ice-gathering-state")
            != gst_webrtc::WebRTCICEGatheringState::Complete
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        let local = self
            .webrtc
            .property::<Option<gst_webrtc::WebRTCSessionDescription>>("local-description")
            .ok_or_else(|| MediaError::Negotiation("no local description".into()))?;
        local.sdp().as_text().map_err(|e| MediaError::Negotiation(e.to_string()))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// Hands every text message on `channel` to `on_message`.
fn listen(channel: &gst_webrtc::WebRTCDataChannel, on_message: &MessageHandler) {
    let on_message = on_message.clone();
    channel.connect_on_message_string(move |_, text| on_message(text.unwrap_or_default()));
}

/// An SSRC for a new stream: RFC 3550 asks for a random one, so that streams meeting in a session do not clash.
fn random_ssrc() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    // The standard library's hasher keys are random per process; a fresh one per call.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.finish() as u32
}

/// A pipeline from a launch description, GStreamer initialised first.
fn launch(description: &str) -> Result<gst::Pipeline, MediaError> {
    gst::init().map_err(|e| MediaError::Missing(e.to_string()))?;
    gst::parse::launch(description)
        .map_err(|e| MediaError::Missing(e.to_string()))?
        .downcast::<gst::Pipeline>()
        .map_err(|_| MediaError::Missing("a pipeline".into()))
}

/// A session description from the server's SDP text.
fn description(
    kind: gst_webrtc::WebRTCSDPType,
    sdp: &str,
) -> Result<gst_webrtc::WebRTCSessionDescription, MediaError> {
    let message = gst_sdp::SDPMessage::parse_buffer(sdp.as_bytes())
        .map_err(|e| MediaError::Negotiation(format!("the server's SDP cannot be read: {e}")))?;
    Ok(gst_webrtc::WebRTCSessionDescription::new(kind, message))
}
