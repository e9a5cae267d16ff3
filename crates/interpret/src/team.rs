//! An interpreting team on one channel, and handing over between its members without a gap.
//!
//! The incoming interpreter's feed is opened and decoding before the
//! switch; the panel goes on showing the outgoing interpreter until the
//! incoming one's first frame is there, so it never shows black or freezes.

use crate::feed::{Feed, FeedAddress};
use crate::supervisor::{FeedState, SupervisedFeed};
use allverse_core::event::{ChannelDescription, Interpreter};
use allverse_pipeline::panel::VideoFrame;
use std::sync::Arc;
use std::time::Instant;

pub struct Team {
    channel: ChannelDescription,
    active: (Interpreter, SupervisedFeed),
    incoming: Option<(Interpreter, SupervisedFeed)>,
}

/// Something that changed in a poll.
#[derive(Debug, Clone, PartialEq)]
pub enum TeamEvent {
    /// The incoming interpreter is on the panel now.
    HandedOver { to: String },
}

fn address(interpreter: &Interpreter) -> FeedAddress {
    FeedAddress::new(&interpreter.feed).with_passphrase(interpreter.passphrase.clone())
}

impl Team {
    pub fn open(channel: ChannelDescription, now: Instant) -> Self {
        let first = channel.first_active().clone();
        let feed = SupervisedFeed::open(address(&first), now);
        Self { channel, active: (first, feed), incoming: None }
    }

    /// A team in a live room: its interpreters' video and voice are decoded by the
    /// room's session and relayed ([`Feed::relayed`]); `first` is on the panel.
    pub fn relayed(channel: ChannelDescription, first: Interpreter, feed: Feed, now: Instant) -> Self {
        Self { channel, active: (first, SupervisedFeed::relayed(feed, now)), incoming: None }
    }

    pub fn channel(&self) -> &ChannelDescription {
        &self.channel
    }

    /// The interpreter on the panel.
    pub fn active(&self) -> &Interpreter {
        &self.active.0
    }

    pub fn incoming(&self) -> Option<&Interpreter> {
        self.incoming.as_ref().map(|(i, _)| i)
    }

    pub fn state(&self) -> &FeedState {
        self.active.1.state()
    }

    pub fn frame(&self) -> Option<&Arc<VideoFrame>> {
        self.active.1.latest()
    }

    /// The active interpreter's voice since the last call (48 kHz mono), appended to `out`;
    /// returns how many NaN or infinite samples were replaced by silence.
    pub fn take_voice(&mut self, out: &mut Vec<f32>) -> usize {
        let replaced = self.active.1.take_voice(out);
        if let Some((_, incoming)) = &mut self.incoming {
            // Not heard until they take over; drained so it does not pile up.
            incoming.take_voice(&mut Vec::new());
        }
        replaced
    }

    /// The active feed's arrival times (see [`crate::feed::ArrivalTimes`]).
    pub fn arrivals(&self) -> Option<&Arc<std::sync::Mutex<crate::feed::ArrivalTimes>>> {
        self.active.1.arrivals()
    }

    /// Starts bringing `interpreter_id` in; the switch happens once their video is there.
    pub fn hand_over(&mut self, interpreter_id: &str, now: Instant) -> Result<(), String> {
        if self.active.0.id == interpreter_id {
            self.incoming = None;
            return Ok(());
        }
        let interpreter = self
            .channel
            .interpreters
            .iter()
            .find(|i| i.id == interpreter_id)
            .cloned()
            .ok_or_else(|| format!("`{interpreter_id}` is not in the {} team", self.channel.name))?;
        let feed = SupervisedFeed::open(address(&interpreter), now);
        self.incoming = Some((interpreter, feed));
        Ok(())
    }

    /// Starts bringing in `interpreter` from the live room, as [`Team::hand_over`] does.
    pub fn hand_over_relayed(&mut self, interpreter: Interpreter, feed: Feed, now: Instant) {
        self.incoming = Some((interpreter, SupervisedFeed::relayed(feed, now)));
    }

    pub fn poll(&mut self, now: Instant) -> Option<TeamEvent> {
        self.active.1.poll(now);
        let (_, incoming) = self.incoming.as_mut()?;
        incoming.poll(now);
        if !incoming.has_video() {
            return None;
        }
        let (interpreter, feed) = self.incoming.take().expect("checked above");
        let to = interpreter.id.clone();
        // The outgoing feed closes when it is replaced here.
        self.active = (interpreter, feed);
        Some(TeamEvent::HandedOver { to })
    }
}
