//! The scenario's timeline: when people start and stop speaking, scripted inputs and capture checkpoints.

use super::clock::SessionClock;
use super::config::SessionConfig;
use super::report::{PresentedEvent, SessionReport};
use bevy::prelude::*;

/// Asks the backend to capture the user's view now.
#[derive(Message, Clone, Debug)]
pub struct CaptureRequested {
    pub name: String,
}

/// The session's last update: the simulator sends it once its scenario has played, so that
/// features finish what is still on its way (captions being recognised) into the report.
#[derive(Message, Clone, Copy, Debug)]
pub struct SessionEnding;

/// Records what the scenario makes happen in this step and asks for its captures.
pub(super) fn run_timeline(
    config: Res<SessionConfig>,
    clock: Res<SessionClock>,
    mut report: ResMut<SessionReport>,
    mut captures: MessageWriter<CaptureRequested>,
) {
    let scenario = &config.scenario;
    let t_s = clock.elapsed_s();
    for (person, recordings) in scenario.people.iter().zip(&config.recordings) {
        for recording in recordings.iter().filter(|r| clock.is_due(r.at_s)) {
            report.record(
                t_s,
                PresentedEvent::SpeechStarted {
                    person: person.id.clone(),
                    audio: recording.audio.clone(),
                    duration_s: recording.duration_s,
                    position_m: person.position_m.to_array(),
                },
            );
        }
        for recording in recordings.iter().filter(|r| clock.is_due(r.at_s + r.duration_s)) {
            report.record(
                t_s,
                PresentedEvent::SpeechEnded { person: person.id.clone(), audio: recording.audio.clone() },
            );
        }
    }
    for input in scenario.inputs.iter().filter(|i| clock.is_due(i.at_s)) {
        report
            .record(t_s, PresentedEvent::Input { device: input.device.clone(), input: input.input.clone() });
    }
    for checkpoint in scenario.checkpoints.iter().filter(|c| clock.is_due(c.at_s)) {
        report.record(t_s, PresentedEvent::Capture { name: checkpoint.capture.clone() });
        captures.write(CaptureRequested { name: checkpoint.capture.clone() });
    }
}
