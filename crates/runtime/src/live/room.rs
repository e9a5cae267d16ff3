//! The room: what the session's workers delivered this frame, turned into people, presence, chat and voices.

use super::messages::ChatReceived;
use crate::input::Announce;
use crate::interpret::RoomInterpreters;
use crate::rig::Rig;
use crate::scene::{People, Person};
use crate::session::{PresentedEvent, SessionClock, SessionConfig, SessionReport};
use allverse_live::{JoinSettings, LiveEvent, LiveSession, Outgoing, ParticipantId, Pose, PresenceChange};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How often the user's head pose is sent: the 10–20 Hz, in the middle.
const POSE_EVERY_S: f32 = 1.0 / 15.0;
/// Chat messages kept for the panel; the report keeps them all.
const CHAT_KEPT: usize = 32;
/// Where someone stands until their first pose arrives: this far from the room's
/// centre, at head height, spread around the front of the room.
const FIRST_SPOT_DISTANCE_M: f32 = 2.0;
const HEAD_HEIGHT_M: f32 = 1.6;

/// The joined room and what the frame loop keeps of it. Non-send: the session's receiver is not `Sync`.
pub(crate) struct LiveRoom {
    session: LiveSession,
    room: u64,
    /// Each participant who ever arrived, by their session id: their index in [`People`].
    people: HashMap<ParticipantId, usize>,
    /// Positions are kept inside the scenario's room: half its size, metres.
    room_half_m: Vec3,
    room_height_m: f32,
    connected: bool,
    /// Whether the user's microphone is published to the room (muted or open).
    pub(super) sends_microphone: bool,
    /// The state of the room as the user is told it, first on the chat panel.
    pub(super) status: String,
    /// (sender's name, text), oldest first.
    pub(super) chat: VecDeque<(String, String)>,
    pub(super) chat_changed: bool,
    /// Voice blocks that arrived this frame: (person, 48 kHz mono samples).
    pub(super) arrived: Vec<(usize, Vec<f32>)>,
    next_pose_s: f32,
}

impl LiveRoom {
    /// Starts joining `settings`'s room, receiving everyone's voice, pose and chat.
    pub(super) fn join(app: &App, mut settings: JoinSettings) -> Result<Self, allverse_live::SettingsError> {
        settings.media.receive = true;
        let room = settings.room;
        let status = format!("Room {room}: joining {}", settings.server);
        let size_m = app.world().resource::<SessionConfig>().scenario.room.size_m;
        let sends_microphone = matches!(settings.media.send, Some(Outgoing::Microphone(_)));
        Ok(Self {
            session: LiveSession::join(settings)?,
            room,
            people: HashMap::new(),
            room_half_m: size_m / 2.0,
            room_height_m: size_m.y,
            connected: false,
            sends_microphone,
            status,
            chat: VecDeque::with_capacity(CHAT_KEPT),
            chat_changed: true,
            arrived: Vec::new(),
            next_pose_s: 0.0,
        })
    }

    /// Puts a message on the chat panel under `name`.
    fn show_chat(&mut self, name: String, text: String) {
        if self.chat.len() == CHAT_KEPT {
            self.chat.pop_front();
        }
        self.chat.push_back((name, text));
        self.chat_changed = true;
    }

    /// Says `text` to the room as the user: `voice` (48 kHz mono) as their own voice where
    /// given, and the text as chat, which the chat panel also shows as theirs. Never waits.
    pub(super) fn say(&mut self, text: &str, voice: Option<Vec<f32>>) {
        match voice {
            Some(samples) => self.session.say(text, samples),
            None => self.session.send_chat(text),
        }
        self.show_chat("You".into(), text.into());
    }

    /// Opens or mutes the microphone sent to the room; never waits.
    pub(super) fn set_microphone(&self, open: bool) {
        self.session.set_microphone(open);
    }

    /// Audio packets the user's connection has made so far (see [`LiveSession::audio_packets_sent`]).
    pub(super) fn audio_packets_sent(&self) -> u64 {
        self.session.audio_packets_sent()
    }

    /// A position inside the room.
    fn clamp(&self, position_m: [f32; 3]) -> Vec3 {
        let p = Vec3::from_array(position_m);
        Vec3::new(
            p.x.clamp(-self.room_half_m.x, self.room_half_m.x),
            p.y.clamp(0.0, self.room_height_m),
            p.z.clamp(-self.room_half_m.z, self.room_half_m.z),
        )
    }

    /// Where the `n`th participant stands before they say: fanned out in front of the room's centre.
    fn first_spot(&self, n: usize) -> Vec3 {
        let azimuth = ((n % 8) as f32 - 3.5) * 25f32.to_radians();
        let p = Vec3::new(azimuth.sin(), 0.0, -azimuth.cos()) * FIRST_SPOT_DISTANCE_M;
        self.clamp([p.x, HEAD_HEIGHT_M, p.z])
    }

    fn set_status(&mut self, status: String, t_s: f32, report: &mut SessionReport) {
        report.record(t_s, PresentedEvent::RoomStatus { status: status.clone() });
        self.status = status;
        self.chat_changed = true;
    }

    /// "Room 7: 2 others here", once connected.
    fn presence_status(&self, people: &People) -> String {
        let here = self.people.values().filter(|&&i| people.0[i].present).count();
        match here {
            0 => format!("Room {}: nobody else is here yet", self.room),
            1 => format!("Room {}: 1 other person here", self.room),
            n => format!("Room {}: {n} others here", self.room),
        }
    }
}

/// What the room's events change this frame.
#[derive(SystemParam)]
pub(super) struct RoomOutputs<'w> {
    people: ResMut<'w, People>,
    report: ResMut<'w, SessionReport>,
    announce: MessageWriter<'w, Announce>,
    chat: MessageWriter<'w, ChatReceived>,
    /// Where interpreters' video and voice go (absent when interpreter video is off).
    interpreters: Option<NonSendMut<'w, RoomInterpreters>>,
}

/// Takes everything the session delivered since the last frame, without waiting.
pub(super) fn receive(clock: Res<SessionClock>, mut room: NonSendMut<LiveRoom>, mut out: RoomOutputs) {
    let t_s = clock.elapsed_s();
    let room = &mut *room;
    while let Some(event) = room.session.try_event() {
        match event {
            LiveEvent::Joined { .. } => {
                room.connected = true;
                let status = room.presence_status(&out.people);
                room.set_status(status, t_s, &mut out.report);
            }
            LiveEvent::Presence(PresenceChange::Arrived(participant)) => {
                if room.people.get(&participant.id).is_some_and(|&i| out.people.0[i].present) {
                    continue;
                }
                let index = out.people.0.len();
                let person = Person {
                    id: format!("live-{}", participant.id.0),
                    name: participant.display,
                    head_m: room.first_spot(room.people.len()),
                    present: true,
                };
                room.people.insert(participant.id, index);
                if let (Some(channel), Some(interpreters)) = (&participant.channel, &mut out.interpreters) {
                    interpreters.arrived(participant.id.0, &person.name, channel);
                }
                presence(&person, "joined", t_s, &mut out);
                out.people.0.push(person);
                let status = room.presence_status(&out.people);
                room.set_status(status, t_s, &mut out.report);
            }
            LiveEvent::Presence(PresenceChange::Left(participant)) => {
                let Some(&index) = room.people.get(&participant.id) else { continue };
                if !out.people.0[index].present {
                    continue;
                }
                out.people.0[index].present = false;
                if let Some(interpreters) = &mut out.interpreters {
                    interpreters.left(participant.id.0);
                }
                let person = out.people.0[index].clone();
                presence(&person, "left", t_s, &mut out);
                let status = room.presence_status(&out.people);
                room.set_status(status, t_s, &mut out.report);
            }
            LiveEvent::Refused(reason) => {
                let status = format!("Room {}: not let in: {reason}", room.room);
                out.report.notice(status.clone());
                room.set_status(status, t_s, &mut out.report);
            }
            LiveEvent::ConnectionLost { reason, retry_in_s } => {
                room.connected = false;
                let status =
                    format!("Room {}: connection lost ({reason}); trying again in {retry_in_s} s", room.room);
                room.set_status(status, t_s, &mut out.report);
            }
            LiveEvent::Skipped(reason) => warn!("live session: skipped a message: {reason}"),
            LiveEvent::Pose { from, pose } => {
                if let Some(&index) = room.people.get(&from) {
                    let head_m = room.clamp(pose.position_m);
                    if out.people.0[index].head_m != head_m {
                        out.people.0[index].head_m = head_m;
                    }
                }
            }
            LiveEvent::Chat { from, text } => {
                let Some(&index) = room.people.get(&from) else { continue };
                let person = &out.people.0[index];
                out.report
                    .record(t_s, PresentedEvent::Chat { person: person.id.clone(), text: text.clone() });
                room.show_chat(person.name.clone(), text.clone());
                out.chat.write(ChatReceived { person: index, text });
            }
            LiveEvent::Voice { from, samples } => {
                // An interpreter's voice is their channel's, not a voice in the room.
                if out.interpreters.as_mut().is_some_and(|i| i.voice(from.0, &samples)) {
                    continue;
                }
                if let Some(&index) = room.people.get(&from) {
                    room.arrived.push((index, samples));
                }
            }
            LiveEvent::Video { from, frames } => {
                if let Some(interpreters) = &mut out.interpreters {
                    interpreters.video(from.0, frames);
                }
            }
            LiveEvent::MediaUp { .. } => {}
            LiveEvent::MediaProblem(problem) => {
                let status = format!("Room {}: {problem}", room.room);
                room.set_status(status, t_s, &mut out.report);
            }
        }
    }
}

/// Says who came or went, from where they are (or were), and keeps it in the report.
fn presence(person: &Person, change: &str, t_s: f32, out: &mut RoomOutputs) {
    out.report.record(
        t_s,
        PresentedEvent::Presence {
            person: person.id.clone(),
            name: person.name.clone(),
            change: change.into(),
        },
    );
    out.announce.write(Announce {
        text: format!("{} {change}", person.name),
        source: person.id.clone(),
        position_m: person.head_m,
    });
}

/// Tells the room where the user's head is, [`POSE_EVERY_S`] apart.
pub(super) fn send_head_pose(clock: Res<SessionClock>, rig: Res<Rig>, mut room: NonSendMut<LiveRoom>) {
    if !room.connected || clock.elapsed_s() < room.next_pose_s {
        return;
    }
    room.next_pose_s = clock.elapsed_s() + POSE_EVERY_S;
    room.session.send_pose(Pose {
        position_m: rig.head.translation.to_array(),
        orientation: rig.head.rotation.to_array(),
    });
}

/// In the simulator, holds session time to the wall clock: the people in the
/// room speak in real time, and a session running ahead would end before they do.
pub(super) fn keep_to_the_wall_clock(clock: Res<SessionClock>, mut started: Local<Option<Instant>>) {
    let started = *started.get_or_insert_with(Instant::now);
    let ahead_s = clock.elapsed_s() - started.elapsed().as_secs_f32();
    if ahead_s > 0.0 {
        std::thread::sleep(Duration::from_secs_f32(ahead_s));
    }
}
