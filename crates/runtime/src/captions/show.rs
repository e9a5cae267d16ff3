//! Caption events onto panels: each person's recognised words and captioned sounds, shown under their name.

use super::messages::{CaptionCommitted, CaptionsShown, LIVE_VOICE_RATE_HZ, VoiceHeard};
use crate::panels::TextPanel;
use crate::scene::People;
use crate::session::{
    PanelKind, PresentedEvent, SessionClock, SessionConfig, SessionEnding, SessionReport, UserProfile,
};
use allverse_captions::audio_in::{SAMPLE_RATE_HZ, to_16k_mono};
use allverse_captions::speakers::{ScheduledSpeech, SpeakerCaptions};
use allverse_captions::{CaptionEvent, Model, StreamConfig, words};
use allverse_core::caption::{CaptionLayout, speaker_caption_lines, speaker_label};
use allverse_pipeline::audio::resample::ToMono;
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;

/// How long a caption stays up after its last change, so a slow reader can finish it.
const CAPTION_LINGER_S: f32 = 4.0;

/// What a caption panel is told: recognised words, or a captioned sound.
enum Heard {
    Words(CaptionEvent),
    Sound(String),
}

/// One person's caption: recogniser output and the panel showing it.
#[derive(Default)]
pub(super) struct SpeakerCaption {
    committed: String,
    partial: String,
    last_change_s: f32,
    pub(super) panel: Option<Entity>,
}

/// Held as a non-send resource: whisper.cpp states are used from one thread.
pub(super) struct Captioning {
    recognition: SpeakerCaptions,
    /// Each scripted person's recordings as one continuous stream.
    voices: Vec<ScheduledSpeech>,
    /// Each person's caption, in [`People`] order.
    pub(super) speakers: Vec<SpeakerCaption>,
    /// Each live person's voice on its way to 16 kHz, until they leave; `None` for scripted people.
    live_voices: Vec<Option<ToMono>>,
    /// Everything committed this session, as (speaker name, text) turns.
    pub(super) history: Vec<(String, String)>,
    /// The stream read this frame, reused.
    stream: Vec<f32>,
}

impl Captioning {
    /// One recogniser per person: on a worker thread (`on_worker`: interactive sessions and
    /// live rooms), or stepped on the session clock (the simulator, so runs repeat exactly).
    pub(super) fn new(config: &SessionConfig, model: &Model, on_worker: bool) -> Result<Self, String> {
        let ids: Vec<String> = config.scenario.people.iter().map(|p| p.id.clone()).collect();
        let recognition = if on_worker {
            SpeakerCaptions::on_worker(model, StreamConfig::default(), &ids, std::time::Instant::now())
        } else {
            SpeakerCaptions::stepped(model, StreamConfig::default(), &ids)
        }
        .map_err(|e| e.to_string())?;
        let voices = config
            .recordings
            .iter()
            .map(|recordings| {
                let clips = recordings
                    .iter()
                    .map(|r| Ok((r.at_s, r.at_rate(SAMPLE_RATE_HZ)?)))
                    .collect::<Result<Vec<_>, allverse_pipeline::audio::file::FileError>>()?;
                Ok(ScheduledSpeech::new(clips))
            })
            .collect::<Result<_, allverse_pipeline::audio::file::FileError>>()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            recognition,
            voices,
            speakers: ids.iter().map(|_| SpeakerCaption::default()).collect(),
            live_voices: ids.iter().map(|_| None).collect(),
            history: Vec::new(),
            stream: Vec::new(),
        })
    }

    /// Hands each person's audio up to `t_s` to their recogniser; returns what came back, in
    /// order. At the session's end, everything still being recognised is committed.
    fn hear(&mut self, t_s: f32, people: &People, input: &mut CaptionInputs) -> Vec<(usize, Heard)> {
        let mut events = Vec::new();
        self.follow(people, t_s, &mut events);
        for heard in input.live.read() {
            let Some(Some(voice)) = self.live_voices.get_mut(heard.person) else { continue };
            self.stream.clear();
            voice.push(&heard.samples, &mut self.stream);
            if let Err(error) = self.recognition.hear(heard.person, &self.stream, f64::from(t_s), &mut events)
            {
                warn!("captions: {error}");
            }
        }
        for (person, voice) in self.voices.iter_mut().enumerate() {
            self.stream.clear();
            voice.read_until(t_s, &mut self.stream);
            if self.stream.is_empty() {
                continue;
            }
            if let Err(error) = self.recognition.hear(person, &self.stream, f64::from(t_s), &mut events) {
                warn!("captions: {error}");
            }
        }
        self.recognition.collect(&mut events);
        if input.ending.read().next().is_some()
            && let Err(error) = self.recognition.finish_all(f64::from(t_s), &mut events)
        {
            warn!("captions: {error}");
        }
        events.into_iter().map(|(person, event)| (person, Heard::Words(event))).collect()
    }

    /// Gives everyone who came since the last frame a recogniser, and commits
    /// what people who left had said.
    fn follow(&mut self, people: &People, t_s: f32, events: &mut Vec<(usize, CaptionEvent)>) {
        for person in &people.0[self.speakers.len()..] {
            if let Err(error) = self.recognition.add_speaker(&person.id) {
                warn!("captions: {} cannot be captioned: {error}", person.name);
            }
            self.speakers.push(SpeakerCaption::default());
            self.live_voices.push(to_16k_mono(LIVE_VOICE_RATE_HZ, 1).ok());
        }
        for (index, _) in people.0.iter().enumerate().filter(|(_, p)| !p.present) {
            if self.live_voices[index].take().is_some()
                && let Err(error) = self.recognition.finish_speaker(index, f64::from(t_s), events)
            {
                warn!("captions: {error}");
            }
        }
    }
}

/// What captions hear from besides the scenario: live people's voices, and the session's end.
#[derive(SystemParam)]
pub(super) struct CaptionInputs<'w, 's> {
    live: MessageReader<'w, 's, VoiceHeard>,
    ending: MessageReader<'w, 's, SessionEnding>,
}

/// Where caption changes go: the panels, the report, and the speech that reads them.
#[derive(SystemParam)]
pub(super) struct CaptionOutputs<'w, 's> {
    commands: Commands<'w, 's>,
    panels: Query<'w, 's, &'static mut TextPanel>,
    report: ResMut<'w, SessionReport>,
    committed: MessageWriter<'w, CaptionCommitted>,
    shown: Res<'w, CaptionsShown>,
}

/// Hands the audio spoken since the last frame to each speaker's recogniser
/// and shows what comes back.
pub(super) fn show_captions(
    config: Res<SessionConfig>,
    people: Res<People>,
    user: Res<UserProfile>,
    clock: Res<SessionClock>,
    mut input: CaptionInputs,
    mut captioning: NonSendMut<Captioning>,
    mut out: CaptionOutputs,
) {
    let t_s = clock.elapsed_s();
    let captioning = &mut *captioning;
    let mut heard = captioning.hear(t_s, &people, &mut input);
    for sound in config.scenario.sounds.iter().filter(|s| clock.is_due(s.at_s)) {
        if let Some(person) = people.0.iter().position(|p| p.id == sound.source) {
            heard.push((person, Heard::Sound(format!("[{}]", sound.label))));
        }
    }

    let settings = &user.profile.captions;
    let layout = CaptionLayout { visible_lines: usize::from(settings.lines), ..default() };
    for (person_index, event) in heard {
        let person = &people.0[person_index];
        let speaker = &mut captioning.speakers[person_index];
        let (kind, text) = match event {
            Heard::Words(CaptionEvent::Partial { text, .. }) => {
                speaker.partial.clone_from(&text);
                ("partial", text)
            }
            Heard::Words(CaptionEvent::Commit { text, .. }) => {
                out.committed.write(CaptionCommitted { person: person_index, text: text.clone() });
                ("commit", text)
            }
            Heard::Words(CaptionEvent::Unclear { .. }) => ("sound", CaptionEvent::UNCLEAR_TEXT.to_owned()),
            Heard::Sound(label) => ("sound", label),
        };
        if kind != "partial" {
            words::append(&mut speaker.committed, &text);
            match captioning.history.last_mut() {
                Some((name, turn)) if *name == person.name => words::append(turn, &text),
                _ => captioning.history.push((person.name.clone(), text.clone())),
            }
        }
        out.report
            .record(t_s, PresentedEvent::Caption { person: person.id.clone(), kind: kind.into(), text });
        speaker.last_change_s = t_s;
        let partial = settings.show_partial.then_some(speaker.partial.as_str());
        let lines =
            speaker_caption_lines(speaker_label(&person.name, None), &speaker.committed, partial, &layout);
        match speaker.panel.and_then(|entity| out.panels.get_mut(entity).ok()) {
            Some(mut panel) => panel.lines = lines,
            None => {
                let id = format!("caption-{}", person.id);
                let visibility = if out.shown.0 { Visibility::Inherited } else { Visibility::Hidden };
                let entity = out.commands.spawn((
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
            out.commands.entity(entity).despawn();
            *speaker = SpeakerCaption::default();
        }
    }
}
