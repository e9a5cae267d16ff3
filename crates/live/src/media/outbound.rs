//! The thread that sends our data-channel messages: what the user asks to send, and a heartbeat every second.
//!
//! The frame loop hands messages over through a channel and never waits;
//! the signalling worker hands over the data channel whenever it opens a
//! new one (after each join).

use super::voice_input::VoiceInput;
use crate::data::DataMessage;
use gstreamer_webrtc as gst_webrtc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How often "still here" is sent; others count a client gone after [`crate::QUIET_AFTER`] without it.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);

/// What the outbound thread is told.
pub(crate) enum Outbound {
    /// The data channel to send on from now on (`None` while not connected).
    Channel(Option<gst_webrtc::WebRTCDataChannel>),
    /// Where the user's voice goes from now on (`None` while not connected or not sending one).
    Voice(Option<VoiceInput>),
    Message(DataMessage),
    /// 48 kHz mono samples to speak into the room.
    Speak(Vec<f32>),
}

/// Starts the thread; it ends when every sender is dropped.
pub(crate) fn spawn() -> mpsc::Sender<Outbound> {
    let (sender, commands) = mpsc::channel();
    std::thread::Builder::new()
        .name("live-data-out".into())
        .spawn(move || run(&commands))
        .expect("a thread can be started");
    sender
}

/// Chat messages kept while no data channel is open; beyond this the oldest goes.
const MAX_PENDING_CHATS: usize = 32;
/// How often a pending chat is retried while the data channel opens.
const RETRY_EVERY: Duration = Duration::from_millis(100);

fn run(commands: &mpsc::Receiver<Outbound>) {
    let mut channel: Option<gst_webrtc::WebRTCDataChannel> = None;
    let mut voice: Option<VoiceInput> = None;
    // Chat is what someone said: kept until it can be sent. Poses and heartbeats are soon out of date.
    let mut pending_chats: std::collections::VecDeque<DataMessage> = std::collections::VecDeque::new();
    let mut last_heartbeat = Instant::now();
    loop {
        let until_heartbeat = HEARTBEAT_EVERY.saturating_sub(last_heartbeat.elapsed());
        let wait = if pending_chats.is_empty() { until_heartbeat } else { until_heartbeat.min(RETRY_EVERY) };
        match commands.recv_timeout(wait) {
            Ok(Outbound::Channel(new)) => channel = new,
            Ok(Outbound::Voice(new)) => voice = new,
            Ok(Outbound::Speak(samples)) => match &mut voice {
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
