//! Keeping a feed alive: a stall is noticed within a second, and the feed is reopened with backoff.
//!
//! The supervisor never blocks: it is polled (every frame in the runtime)
//! and opening a pipeline only asks GStreamer to start it, so a dead
//! interpreter connection never holds up anything else in the app.
//! A feed that retrying cannot fix (an address that breaks the rules of
//! `allverse_core::stream_address`, a file that is missing, not a media
//! file, or without video) is not tried again: its state says why, in
//! words for the panel and the report.

use crate::MediaError;
use crate::feed::{Feed, FeedAddress, Problem};
use allverse_pipeline::panel::VideoFrame;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// No new frame for this long is a stall (the panel says so within 1 s).
pub const STALL_AFTER: Duration = Duration::from_millis(700);
/// A feed that has not delivered its first frame in this time is retried.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(4);

#[derive(Debug, Clone, PartialEq)]
pub enum FeedState {
    /// Opened; waiting for the first frame.
    Connecting,
    Live,
    /// No video, and why, in the user's words (for the panel and the report).
    Reconnecting {
        reason: String,
        /// Attempts to open the feed so far.
        attempt: u32,
        /// Whether another attempt follows (with backoff). `false`: retrying
        /// cannot help (the address is wrong, the file has no video stream or
        /// is not a video file), so the feed stays down until the event is
        /// changed; the panel should show `reason`, not "reconnecting".
        retrying: bool,
    },
}

/// Where a supervised feed comes from.
enum Origin {
    /// An address this crate opens a pipeline for, and opens again after a failure.
    Stream(FeedAddress),
    /// A relayed feed, parked here between a stall and the next look at it.
    Relayed(Option<Feed>),
}

pub struct SupervisedFeed {
    origin: Origin,
    feed: Option<Feed>,
    state: FeedState,
    opened_at: Instant,
    seen: u64,
    last_frame_at: Instant,
    backoff: Duration,
    next_attempt: Instant,
    attempts: u32,
    /// The last frame received, kept through reconnections so the panel is never black.
    last_frame: Option<Arc<VideoFrame>>,
}

impl SupervisedFeed {
    pub fn open(address: FeedAddress, now: Instant) -> Self {
        Self::start(Origin::Stream(address), now)
    }

    /// Supervises a feed decoded elsewhere ([`Feed::relayed`]): a stall is noticed
    /// and shown the same way, but only its source can reconnect it, so the same
    /// feed is watched again at once rather than reopened.
    pub fn relayed(feed: Feed, now: Instant) -> Self {
        Self::start(Origin::Relayed(Some(feed)), now)
    }

    fn start(origin: Origin, now: Instant) -> Self {
        let mut feed = Self {
            origin,
            feed: None,
            state: FeedState::Connecting,
            opened_at: now,
            seen: 0,
            last_frame_at: now,
            backoff: FIRST_BACKOFF,
            next_attempt: now,
            attempts: 0,
            last_frame: None,
        };
        feed.attempt(now);
        feed
    }

    pub fn state(&self) -> &FeedState {
        &self.state
    }

    pub fn latest(&self) -> Option<&Arc<VideoFrame>> {
        self.last_frame.as_ref()
    }

    /// The interpreter's voice received since the last call (48 kHz mono), appended to `out`;
    /// returns how many NaN or infinite samples were replaced by silence.
    pub fn take_voice(&mut self, out: &mut Vec<f32>) -> usize {
        self.feed.as_mut().map_or(0, |feed| feed.take_voice(out))
    }

    /// The open pipeline's arrival times, for measuring audio/video skew.
    pub fn arrivals(&self) -> Option<&Arc<std::sync::Mutex<crate::feed::ArrivalTimes>>> {
        self.feed.as_ref().map(|f| f.arrivals())
    }

    /// Frames received since the feed was first opened (across reconnections).
    pub fn has_video(&self) -> bool {
        self.last_frame.is_some() && self.state == FeedState::Live
    }

    fn attempt(&mut self, now: Instant) {
        self.attempts += 1;
        self.opened_at = now;
        let opened = match &mut self.origin {
            Origin::Stream(address) => Feed::open(address),
            Origin::Relayed(parked) => {
                parked.take().ok_or_else(|| MediaError::File("the interpreter's video is gone".into()))
            }
        };
        match opened {
            // The state stays "reconnecting" until video is back.
            Ok(feed) => {
                self.seen = feed.frames().delivered();
                self.feed = Some(feed);
            }
            Err(error) if error.is_lasting() => self.give_up(error.to_string()),
            Err(error) => self.fail(error.to_string(), now),
        }
    }

    fn fail(&mut self, reason: String, now: Instant) {
        let feed = self.feed.take();
        self.state = FeedState::Reconnecting { reason, attempt: self.attempts, retrying: true };
        if let Origin::Relayed(parked) = &mut self.origin {
            *parked = feed;
            self.next_attempt = now;
        } else {
            self.next_attempt = now + self.backoff;
            self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        }
    }

    fn give_up(&mut self, reason: String) {
        self.feed = None;
        self.state = FeedState::Reconnecting { reason, attempt: self.attempts, retrying: false };
    }

    /// Moves the feed along; call often (every frame).
    pub fn poll(&mut self, now: Instant) -> &FeedState {
        let Some(feed) = &self.feed else {
            let retrying = !matches!(self.state, FeedState::Reconnecting { retrying: false, .. });
            if retrying && now >= self.next_attempt {
                self.attempt(now);
            }
            return &self.state;
        };
        let delivered = feed.frames().delivered();
        if delivered != self.seen {
            self.seen = delivered;
            self.last_frame = feed.frames().latest();
            self.last_frame_at = now;
            self.state = FeedState::Live;
            self.backoff = FIRST_BACKOFF;
        }
        match feed.problem() {
            Some(Problem::Passing(reason)) => self.fail(reason, now),
            Some(Problem::Lasting(reason)) => self.give_up(reason),
            None => self.check_pace(now),
        }
        &self.state
    }

    /// A stall, or a first frame that does not come.
    fn check_pace(&mut self, now: Instant) {
        if self.state == FeedState::Live && now - self.last_frame_at > STALL_AFTER {
            self.fail(format!("no video for {} ms", STALL_AFTER.as_millis()), now);
        } else if self.state != FeedState::Live && now - self.opened_at > CONNECT_TIMEOUT {
            let mut reason = format!("no video within {} s of connecting", CONNECT_TIMEOUT.as_secs());
            if matches!(&self.origin, Origin::Stream(address) if address.passphrase.is_some()) {
                reason += "; if the interpreter is sending, check that both ends use the same passphrase";
            }
            self.fail(reason, now);
        }
    }
}
