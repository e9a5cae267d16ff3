//! Live captions in the scene: each speaker's audio through their own
//! recogniser, shown by name beside them or, out of view, with an arrow.
//!
//! The simulator steps recognition on the session clock, so its captions
//! are the same on every run; interactive backends hand audio to a worker
//! thread ([`allverse_captions::live`]) so a recognition pass never holds up
//! a frame.

use crate::input::{ActionRequested, CaptionsShown};
use crate::panels::{HeadLocked, LazyFollow, TextPanel};
use crate::report::{PanelKind, PresentedEvent, SessionReport};
use crate::rig::Rig;
use crate::session::{CaptionCommitted, SessionClock, SessionConfig};
use allverse_captions::live::{LiveCaptions, SpeakerInput, StreamFormat};
use allverse_captions::{CaptionEvent, StreamConfig, StreamingRecognizer};
use allverse_core::caption::CaptionLayout;
use allverse_core::caption_placement::{CaptionAnchor, caption_spot};
use allverse_core::input::Action;
use allverse_core::placement::FieldOfView;
use allverse_pipeline::panel::PanelLine;
use bevy::prelude::*;

/// How long a caption stays up after its last change, so a slow reader can finish it.
const CAPTION_LINGER_S: f32 = 4.0;
/// Beside the speaker: toward the user and below the eyes, clear of the face.
const CAPTION_TOWARD_USER_M: f32 = 0.35;
const CAPTION_BELOW_EYES_M: f32 = 0.4;
/// In view: ahead of and below the centre of view, where captions are read on TV.
const VIEW_OFFSET_M: Vec3 = Vec3::new(0.0, -0.45, -1.6);

/// What a caption panel is told: recognised words, or a captioned sound.
enum Heard {
    Words(CaptionEvent),
    Sound(String),
}

/// A world-locked caption that has been put in its place.
#[derive(Component)]
struct WorldPlaced;

/// One person's caption: recogniser output and the panel showing it.
#[derive(Default)]
struct SpeakerCaption {
    committed: String,
    partial: String,
    last_change_s: f32,
    panel: Option<Entity>,
}

enum Recognition {
    /// Decoded on the main thread at session-clock time (simulator).
    Stepped(Vec<StreamingRecognizer>),
    /// Decoded on a worker thread (interactive backends).
    Worker { captions: LiveCaptions, inputs: Vec<SpeakerInput> },
}

/// Held as a non-send resource: whisper.cpp states are used from one thread.
struct Captioning {
    recognition: Recognition,
    speakers: Vec<SpeakerCaption>,
    /// Samples of each person's stream already handed to recognition.
    stream_pos: Vec<usize>,
    /// Everything committed this session, as (speaker name, text) turns.
    history: Vec<(String, String)>,
}

/// How long the caption history stays up after it is asked for.
const HISTORY_SHOWN_S: f32 = 10.0;
/// Lines of history shown, the most recent last.
const HISTORY_LINES: usize = 8;
const HISTORY_OFFSET_M: Vec3 = Vec3::new(0.0, 0.05, -1.4);

/// The caption history panel while it is shown.
#[derive(Component)]
struct CaptionHistory {
    until_s: f32,
    /// How far it is scrolled back from the latest line.
    lines_back: usize,
}

pub struct CaptionPlugin {
    pub stepped: bool,
}

impl Plugin for CaptionPlugin {
    fn build(&self, app: &mut App) {
        let config = app.world().resource::<SessionConfig>().clone();
        let Some(model) = config.caption_model.clone() else { return };
        if !config.profile.captions.enabled {
            return;
        }
        let people = config.scenario.people.len();
        let recognition = if self.stepped {
            let recognizers = (0..people)
                .map(|_| StreamingRecognizer::new(&model, StreamConfig::default()))
                .collect::<Result<Vec<_>, _>>();
            match recognizers {
                Ok(recognizers) => Recognition::Stepped(recognizers),
                Err(error) => return warn!("captions are off: {error}"),
            }
        } else {
            let formats: Vec<StreamFormat> = config
                .scenario
                .people
                .iter()
                .map(|p| StreamFormat { speaker: p.id.clone(), sample_rate_hz: 16_000, channels: 1 })
                .collect();
            match LiveCaptions::spawn(&model, StreamConfig::default(), &formats, std::time::Instant::now()) {
                Ok((captions, inputs)) => Recognition::Worker { captions, inputs },
                Err(error) => return warn!("captions are off: {error}"),
            }
        };
        app.insert_non_send(Captioning {
            recognition,
            speakers: (0..people).map(|_| SpeakerCaption::default()).collect(),
            stream_pos: vec![0; people],
            history: Vec::new(),
        })
        .add_systems(
            Update,
            (hear_speech, place_captions, show_history).chain().after(crate::input::InputSystems::Dispatch),
        );
    }
}

/// Hands the audio spoken since the last frame to each speaker's recogniser
/// and shows what comes back.
#[allow(clippy::too_many_arguments)]
fn hear_speech(
    mut commands: Commands,
    config: Res<SessionConfig>,
    clock: Res<SessionClock>,
    mut captioning: NonSendMut<Captioning>,
    mut report: ResMut<SessionReport>,
    mut panels: Query<&mut TextPanel>,
    mut committed: MessageWriter<CaptionCommitted>,
    shown: Res<CaptionsShown>,
) {
    let t_s = clock.elapsed_s();
    let captioning = &mut *captioning;
    let mut heard: Vec<(usize, Heard)> = Vec::new();
    let due = (t_s.max(0.0) * 16_000.0) as usize;
    for (person, utterances) in config.speech.iter().enumerate() {
        let from = captioning.stream_pos[person];
        if due <= from {
            continue;
        }
        // Each person is a continuous voice stream, as a voice-chat layer
        // delivers it: their recordings where they speak, silence between,
        // so the voice detector hears them stop.
        let mut stream = vec![0.0f32; due - from];
        for utterance in utterances {
            let Some(samples) = utterance.samples_16k.as_deref() else { continue };
            let start = (utterance.at_s.max(0.0) * 16_000.0) as usize;
            let (lo, hi) = (from.max(start), due.min(start + samples.len()));
            if lo < hi {
                stream[lo - from..hi - from].copy_from_slice(&samples[lo - start..hi - start]);
            }
        }
        captioning.stream_pos[person] = due;
        match &mut captioning.recognition {
            Recognition::Stepped(recognizers) => {
                match recognizers[person].push(&stream, &|| f64::from(t_s)) {
                    Ok(events) => heard.extend(events.into_iter().map(|e| (person, Heard::Words(e)))),
                    Err(error) => warn!("captions: {error}"),
                }
            }
            Recognition::Worker { inputs, .. } => inputs[person].write(&stream),
        }
    }
    if let Recognition::Worker { captions, .. } = &captioning.recognition {
        for (speaker, event) in captions.events.try_iter() {
            if let Some(person) = config.scenario.people.iter().position(|p| p.id == speaker) {
                heard.push((person, Heard::Words(event)));
            }
        }
    }
    for sound in config.scenario.sounds.iter().filter(|s| clock.is_due(s.at_s)) {
        if let Some(person) = config.scenario.people.iter().position(|p| p.id == sound.source) {
            heard.push((person, Heard::Sound(format!("[{}]", sound.label))));
        }
    }

    let layout = CaptionLayout { visible_lines: usize::from(config.profile.captions.lines), ..default() };
    let show_partial = config.profile.captions.show_partial;
    for (person_index, event) in heard {
        let person = &config.scenario.people[person_index];
        let speaker = &mut captioning.speakers[person_index];
        let (kind, text) = match event {
            Heard::Words(CaptionEvent::Partial { text, .. }) => {
                speaker.partial.clone_from(&text);
                ("partial", text)
            }
            Heard::Words(CaptionEvent::Commit { text, .. }) => {
                committed.write(CaptionCommitted { person: person_index, text: text.clone() });
                ("commit", text)
            }
            Heard::Sound(label) => ("sound", label),
        };
        if kind != "partial" {
            allverse_captions::words::append(&mut speaker.committed, &text);
            match captioning.history.last_mut() {
                Some((name, turn)) if *name == person.name => allverse_captions::words::append(turn, &text),
                _ => captioning.history.push((person.name.clone(), text.clone())),
            }
        }
        report.record(t_s, PresentedEvent::Caption { person: person.id.clone(), kind: kind.into(), text });
        speaker.last_change_s = t_s;
        let mut lines = vec![PanelLine::bold(format!("{}:", person.name))];
        lines.extend(layout.roll_up(&speaker.committed).into_iter().map(PanelLine::regular));
        if show_partial && !speaker.partial.is_empty() {
            // Dimmer and trailed by an ellipsis: distinct without relying on colour.
            let partial = layout.roll_up(&speaker.partial).pop().unwrap_or_default();
            lines.push(PanelLine::tentative(format!("{partial} …")));
        }
        match speaker.panel.and_then(|entity| panels.get_mut(entity).ok()) {
            Some(mut panel) => panel.lines = lines,
            None => {
                let id = format!("caption-{}", person.id);
                let visibility = if shown.0 { Visibility::Inherited } else { Visibility::Hidden };
                let entity = commands.spawn((
                    TextPanel { id, kind: PanelKind::Caption, lines },
                    Transform::default(),
                    visibility,
                ));
                speaker.panel = Some(entity.id());
            }
        }
    }
    // Retire captions nobody has added to for a while; the next words start afresh.
    for speaker in &mut captioning.speakers {
        if let Some(entity) = speaker.panel
            && t_s - speaker.last_change_s > CAPTION_LINGER_S
            && speaker.partial.is_empty()
        {
            commands.entity(entity).despawn();
            *speaker = SpeakerCaption::default();
        }
    }
}

/// Puts each caption beside its speaker or in view, per the profile, and
/// marks the direction to a speaker who is out of view.
fn place_captions(
    mut commands: Commands,
    config: Res<SessionConfig>,
    rig: Res<Rig>,
    captioning: NonSend<Captioning>,
    mut panels: Query<(&mut TextPanel, &mut Transform)>,
    lazy: Query<(), With<LazyFollow>>,
    world_placed: Query<(), With<WorldPlaced>>,
) {
    let world_from_head = rig.head.compute_affine();
    for (person, speaker) in config.scenario.people.iter().zip(&captioning.speakers) {
        let Some(entity) = speaker.panel else { continue };
        let Ok((mut panel, mut transform)) = panels.get_mut(entity) else { continue };
        let spot = caption_spot(
            config.profile.captions.placement,
            &world_from_head,
            person.position_m,
            FieldOfView::HEADSET,
        );
        let mut panel_entity = commands.entity(entity);
        match spot.anchor {
            CaptionAnchor::Speaker => {
                let mut toward_user = rig.head.translation - person.position_m;
                toward_user.y = 0.0;
                transform.translation = person.position_m
                    + toward_user.normalize_or_zero() * CAPTION_TOWARD_USER_M
                    - Vec3::Y * CAPTION_BELOW_EYES_M;
                panel_entity.remove::<(HeadLocked, LazyFollow)>();
            }
            CaptionAnchor::View { lazy: false } => {
                panel_entity.remove::<LazyFollow>().insert(HeadLocked { head_offset_m: VIEW_OFFSET_M });
            }
            CaptionAnchor::View { lazy: true } => {
                if !lazy.contains(entity) {
                    panel_entity.remove::<HeadLocked>().insert(LazyFollow::new(VIEW_OFFSET_M));
                }
            }
            CaptionAnchor::World => {
                if !world_placed.contains(entity) {
                    transform.translation = rig.head.transform_point(VIEW_OFFSET_M);
                    panel_entity.insert(WorldPlaced);
                }
            }
        }
        let name = match spot.arrow {
            Some(arrow) => format!("{} {}:", arrow.symbol(), person.name),
            None => format!("{}:", person.name),
        };
        if panel.lines.first().is_some_and(|line| line.text != name) {
            panel.lines[0] = PanelLine::bold(name);
        }
    }
}

/// Shows what was said so far, by whom, when the user asks (the caption
/// history action: `H`, a menu item, "history"): for anyone who looked
/// away, read slowly, or joined late. Scrolling moves through it; back,
/// asking again, or a while without scrolling closes it.
fn show_history(
    mut commands: Commands,
    clock: Res<SessionClock>,
    mut actions: MessageReader<ActionRequested>,
    captioning: NonSend<Captioning>,
    mut shown: Query<(Entity, &mut CaptionHistory, &mut TextPanel)>,
) {
    let t_s = clock.elapsed_s();
    for action in actions.read() {
        let open = shown.single_mut().ok();
        match (action.action, open) {
            (Action::CaptionHistory | Action::Back, Some((entity, ..))) => commands.entity(entity).despawn(),
            (Action::CaptionHistory, None) => {
                commands.spawn((
                    TextPanel {
                        id: "caption-history".into(),
                        kind: PanelKind::Caption,
                        lines: history_lines(&captioning.history, 0),
                    },
                    HeadLocked { head_offset_m: HISTORY_OFFSET_M },
                    Transform::default(),
                    CaptionHistory { until_s: t_s + HISTORY_SHOWN_S, lines_back: 0 },
                ));
            }
            (scroll @ (Action::ScrollUp | Action::ScrollDown), Some((_, mut history, mut panel))) => {
                let step = HISTORY_LINES / 2;
                history.lines_back = if scroll == Action::ScrollUp {
                    history.lines_back + step
                } else {
                    history.lines_back.saturating_sub(step)
                };
                history.until_s = t_s + HISTORY_SHOWN_S;
                panel.lines = history_lines(&captioning.history, history.lines_back);
            }
            _ => {}
        }
    }
    for (entity, history, _) in &shown {
        if t_s >= history.until_s {
            commands.entity(entity).despawn();
        }
    }
}

/// The history's lines, ending `lines_back` lines before the latest.
fn history_lines(history: &[(String, String)], lines_back: usize) -> Vec<PanelLine> {
    let layout = CaptionLayout { visible_lines: HISTORY_LINES, ..default() };
    let mut lines: Vec<PanelLine> = Vec::new();
    for (name, turn) in history {
        lines.push(PanelLine::bold(format!("{name}:")));
        lines.extend(layout.wrap(turn).into_iter().map(PanelLine::regular));
    }
    let end = lines.len().saturating_sub(lines_back).max(HISTORY_LINES.min(lines.len()));
    lines.truncate(end);
    let mut lines = lines.split_off(end.saturating_sub(HISTORY_LINES));
    if lines.is_empty() {
        lines.push(PanelLine::regular("Nothing has been captioned yet."));
    }
    lines.insert(0, PanelLine::bold("Caption history"));
    lines
}
