//! The thread that sends our data-channel messages: what the user asks to send, and a heartbeat every second.
//!
//! The frame loop hands messages over through a channel and never waits;
//! the signalling worker hands over the data channel whenever it opens a
//! new one (after each join).

use super::peer::Sending;
use crate::data::DataMessage;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_webrtc as gst_webrtc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How often "still here" is sent; others count a client gone after [`crate::QUIET_AFTER`] without it.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);

/// What the outbound thread is told.
pub(crate) enum Outbound {
    /// The data channel to send on from now on (`None` while not connected).
    Channel(Option<gst_webrtc::WebRTCDataChannel>),
    /// The publishing connection from now on (`None` while not connected).
    Sending(Option<Sending>),
    Message(DataMessage),
    /// 48 kHz mono samples to speak into the room.
    Speak(Vec<f32>),
    /// Open (`true`) or mute the microphone, now and on every later connection.
    Microphone(bool),
}

/// Starts the thread; it ends when every sender is dropped. Each audio RTP packet
/// the user's connection makes is counted in `audio_packets`.
pub(crate) fn spawn(audio_packets: Arc<AtomicU64>) -> mpsc::Sender<Outbound> {
    let (sender, commands) = mpsc::channel();
    std::thread::Builder::new()
        .name("live-data-out".into())
        .spawn(move || run(&commands, &audio_packets))
        .expect("a thread can be started");
    sender
}

/// Chat messages kept while no data channel is open; beyond this the oldest goes.
const MAX_PENDING_CHATS: usize = 32;
/// How often a pending chat is retried while the data channel opens.
const RETRY_EVERY: Duration = Duration::from_millis(100);

fn run(commands: &mpsc::Receiver<Outbound>, audio_packets: &Arc<AtomicU64>) {
    let mut channel: Option<gst_webrtc::WebRTCDataChannel> = None;
    let mut sending: Option<Sending> = None;
    let mut microphone_open = false;
    // Chat is what someone said: kept until it can be sent. Poses and heartbeats are soon out of date.
    let mut pending_chats: std::collections::VecDeque<DataMessage> = std::collections::VecDeque::new();
    let mut last_heartbeat = Instant::now();
    loop {
        let until_heartbeat = HEARTBEAT_EVERY.saturating_sub(last_heartbeat.elapsed());
        let wait = if pending_chats.is_empty() { until_heartbeat } else { until_heartbeat.min(RETRY_EVERY) };
        match commands.recv_timeout(wait) {
            Ok(Outbound::Channel(new)) => channel = new,
            Ok(Outbound::Sending(new)) => {
                if let Some(new) = &new {
                    set_mute(new, microphone_open);
                    count_packets(new, audio_packets);
                }
                sending = new;
            }
            Ok(Outbound::Microphone(open)) => {
                microphone_open = open;
                if let Some(sending) = &sending {
                    set_mute(sending, open);
                }
            }
            Ok(Outbound::Speak(samples)) => match sending.as_mut().and_then(|s| s.voice.as_mut()) {
                Some(voice) => voice.push(&samples),
                None => tracing::warn!(
                    "live session: speech could not be sent: not connected, or no voice is sent"
                ),
            },
            Ok(Outbound::Message(chat @ DataMessage::Chat(_))) => {
                if pending_chats.len() == MAX_PENDING_CHATS {
                    pending_chats.pop_front();
                }
                pending_chats.push_back(chat);
            }
            Ok(Outbound::Message(message)) => {
                send(open(channel.as_ref()), &message);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        if let Some(open) = open(channel.as_ref()) {
            while let Some(chat) = pending_chats.pop_front() {
                send(Some(open), &chat);
            }
        }
        if last_heartbeat.elapsed() >= HEARTBEAT_EVERY {
            send(open(channel.as_ref()), &DataMessage::Heartbeat);
            last_heartbeat = Instant::now();
        }
    }
}

/// Shuts the microphone's valve unless `open` (a connection without a microphone has none).
fn set_mute(sending: &Sending, open: bool) {
    if let Some(valve) = &sending.mute {
        valve.set_property("drop", !open);
    }
}

/// Counts every RTP packet the payloader makes, on its way to webrtcbin.
fn count_packets(sending: &Sending, audio_packets: &Arc<AtomicU64>) {
    let Some(pad) = sending.payloader.as_ref().and_then(|p| p.static_pad("src")) else { return };
    let audio_packets = audio_packets.clone();
    pad.add_probe(gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST, move |_, info| {
        let packets = match &info.data {
            Some(gst::PadProbeData::BufferList(list)) => list.len() as u64,
            _ => 1,
        };
        audio_packets.fetch_add(packets, Ordering::Relaxed);
        gst::PadProbeReturn::Ok
    });
}

/// The channel, if it is open.
fn open(channel: Option<&gst_webrtc::WebRTCDataChannel>) -> Option<&gst_webrtc::WebRTCDataChannel> {
    channel.filter(|c| c.ready_state() == gst_webrtc::WebRTCDataChannelState::Open)
}

/// Sends on an open channel; without one the message is dropped.
fn send(channel: Option<&gst_webrtc::WebRTCDataChannel>, message: &DataMessage) {
    if let Some(channel) = channel
        && let Err(e) = channel.send_string_full(Some(&message.to_json()))
    {
        tracing::warn!("live session: a message could not be sent: {e}");
    }
}
