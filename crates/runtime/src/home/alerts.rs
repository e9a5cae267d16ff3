//! Alerts from the home, presented to every sense the user has: banner, flash or glow, vibration, speech and a line in the scene.
//!
//! The banner sits at the top of view and never takes focus (W3C XAUR REQ
//! 8a): menus, scanning and the screen reader carry on underneath. The
//! view's edge flashes at most three times a second (XAUR
//! REQ 16b), or glows steadily for photosensitive users. A life-safety
//! alert (smoke, CO, gas, water) ducks the session's sound, repeats until
//! acknowledged, and takes the user's next action of any kind as the
//! acknowledgement, so one switch, a dwell or one word is enough.

use super::connection::HomeConnection;
use crate::audio_engine::AudioEngine;
use crate::input::{ModalPrompt, PromptAnswered};
use crate::panels::{HeadLocked, QuadAssets, TextPanel};
use crate::rig::Rig;
use crate::session::{PanelKind, PresentedEvent, SessionClock, SessionReport, UserProfile};
use allverse_core::home::{AlertVisual, edge_lit};
use allverse_home::alert::{AlertPriority, GateDecision, HomeAlert};
use allverse_pipeline::panel::PanelLine;
use bevy::ecs::system::SystemParam;
use bevy::input::gamepad::{GamepadRumbleIntensity, GamepadRumbleRequest};
use bevy::prelude::*;
use std::time::Duration;

/// How long an alert that needs no acknowledgement stays in the banner.
const BANNER_S: f32 = 10.0;
/// How long an alert that needs no acknowledgement flashes.
const FLASH_S: f32 = 3.0;
/// A command's answer stays in the banner this long.
pub(super) const STATUS_S: f32 = 6.0;
/// Above the line of sight, near the top of a headset's view.
const BANNER_OFFSET_FROM_HEAD_M: Vec3 = Vec3::new(0.0, 0.32, -1.2);
/// The frame that flashes sits this far ahead, around the whole view.
const FRAME_DISTANCE_M: f32 = 0.5;
/// Scene sound is lowered this much while a life-safety alert is unanswered: −12 dB.
const DUCKED_SCENE_GAIN: f32 = 0.25;
/// Who holds the input prompt while an alarm waits for acknowledgement.
const PROMPT_HOLDER: &str = "home-alarm";

/// Vibration per priority, as (on, off) pulses in seconds and a strength:
/// long and strong for danger, a double tap to attend, one tap to inform.
fn haptic_pattern(priority: AlertPriority) -> (&'static str, &'static [(f32, f32)], f32) {
    match priority {
        AlertPriority::LifeSafety => ("long-3", &[(0.5, 0.2), (0.5, 0.2), (0.5, 0.2)], 1.0),
        AlertPriority::Attention => ("double", &[(0.15, 0.15), (0.15, 0.15)], 0.7),
        AlertPriority::Information => ("single", &[(0.1, 0.0)], 0.4),
    }
}

fn priority_name(priority: AlertPriority) -> &'static str {
    match priority {
        AlertPriority::LifeSafety => "life_safety",
        AlertPriority::Attention => "attention",
        AlertPriority::Information => "information",
    }
}

/// An alert to speak from where its device is.
#[derive(Message, Clone, Debug)]
pub struct AlertSpoken {
    pub text: String,
    /// The entity id, for the report.
    pub source: String,
    pub position_m: Vec3,
}

/// An alert the user has been given and, for life-safety, not yet acknowledged.
#[derive(Clone, Debug)]
pub struct ActiveAlert {
    pub alert: HomeAlert,
    /// How many arrived while this one was showing (a flood collapses into it).
    pub count: u32,
    pub since_s: f32,
    pub acknowledged: bool,
}

impl ActiveAlert {
    fn waits_for_acknowledgement(&self) -> bool {
        self.alert.priority == AlertPriority::LifeSafety && !self.acknowledged
    }

    fn shown_at(&self, t_s: f32) -> bool {
        self.waits_for_acknowledgement() || (!self.acknowledged && t_s - self.since_s < BANNER_S)
    }

    fn flashes_at(&self, t_s: f32) -> bool {
        self.alert.priority != AlertPriority::Information
            && (self.waits_for_acknowledgement() || (!self.acknowledged && t_s - self.since_s < FLASH_S))
    }
}

/// The alerts being shown, what is still to be presented, and a line about the connection or the last command.
#[derive(Resource, Default)]
pub struct ActiveAlerts {
    pub alerts: Vec<ActiveAlert>,
    /// A line for the banner when no alert is showing, and until when.
    pub status: Option<(String, f32)>,
    /// (alert index, first presentation) waiting for this frame's presentation.
    due: Vec<(usize, bool)>,
    /// Vibration pulses to start: (at, duration, strength).
    pulses: Vec<(f32, f32, f32)>,
    ducked: bool,
}

impl ActiveAlerts {
    /// Applies one decision of the gate: a new alert, a collapsed repeat, or a reminder.
    pub fn decide(&mut self, decision: GateDecision, t_s: f32, report: &mut SessionReport) {
        match decision {
            GateDecision::Present(alert) => {
                self.alerts.push(ActiveAlert { alert, count: 1, since_s: t_s, acknowledged: false });
                self.due.push((self.alerts.len() - 1, true));
            }
            GateDecision::Collapsed { id, count } => {
                if let Some(active) = self.alerts.iter_mut().find(|a| a.alert.id == id) {
                    active.count = count;
                }
                report.record(t_s, PresentedEvent::HomeAlertCollapsed { alert: id, count });
            }
            GateDecision::Repeat(id) => {
                if let Some(index) = self.alerts.iter().position(|a| a.alert.id == id && !a.acknowledged) {
                    self.due.push((index, false));
                }
            }
            GateDecision::Suppressed(reason) => {
                report.record(t_s, PresentedEvent::HomeAlertSuppressed { reason: reason.to_string() });
            }
        }
    }

    fn waiting(&self) -> bool {
        self.alerts.iter().any(ActiveAlert::waits_for_acknowledgement)
    }
}

/// The user's next action answers a waiting alarm: every unanswered life-safety alert is acknowledged.
pub(super) fn acknowledge(
    clock: Res<SessionClock>,
    mut answers: MessageReader<PromptAnswered>,
    mut alerts: ResMut<ActiveAlerts>,
    mut home: NonSendMut<HomeConnection>,
    mut report: ResMut<SessionReport>,
) {
    for answer in answers.read().filter(|a| a.holder == PROMPT_HOLDER) {
        for active in alerts.alerts.iter_mut().filter(|a| a.waits_for_acknowledgement()) {
            active.acknowledged = true;
            home.gate.acknowledge(active.alert.id);
            report.record(
                clock.elapsed_s(),
                PresentedEvent::HomeAlertAcknowledged {
                    alert: active.alert.id,
                    action: answer.action,
                    device: answer.device,
                },
            );
        }
    }
}

/// Where a presentation goes besides the alerts themselves.
#[derive(SystemParam)]
pub(super) struct AlertOutputs<'w, 's> {
    prompt: ResMut<'w, ModalPrompt>,
    spoken: MessageWriter<'w, AlertSpoken>,
    report: ResMut<'w, SessionReport>,
    commands: Commands<'w, 's>,
}

/// Presents what is due in each modality the profile asks for, records
/// each, and holds the input prompt and the ducking while an alarm waits.
pub(super) fn present_alerts(
    clock: Res<SessionClock>,
    user: Res<UserProfile>,
    rig: Res<Rig>,
    mut alerts: ResMut<ActiveAlerts>,
    mut engine: NonSendMut<AudioEngine>,
    mut out: AlertOutputs,
) {
    let t_s = clock.elapsed_s();
    let settings = &user.profile.home;
    let alerts = &mut *alerts;
    for (index, first) in std::mem::take(&mut alerts.due) {
        let alert = &alerts.alerts[index].alert;
        let source = alert.entity.as_ref().map_or_else(|| alert.kind.describe().to_string(), |k| k.0.clone());
        let placed = alert.entity.as_ref().and_then(|k| settings.position_of(&k.0));
        let mut modalities = Vec::new();
        if first {
            modalities.push("banner".to_string());
            if alert.priority != AlertPriority::Information && settings.visual != AlertVisual::Off {
                modalities.push(if settings.visual == AlertVisual::Flash { "flash" } else { "glow" }.into());
            }
            if let Some(position_m) = placed {
                let id = format!("home-alert-{}", alert.id);
                out.commands.spawn((
                    TextPanel::single(id, PanelKind::Alert, alert.text.clone(), true),
                    SceneLine { id: alert.id },
                    Transform::from_translation(position_m),
                ));
                modalities.push("scene_line".into());
            }
        }
        if settings.haptics {
            let (name, pulses, strength) = haptic_pattern(alert.priority);
            let mut at_s = t_s;
            for (on_s, off_s) in pulses {
                alerts.pulses.push((at_s, *on_s, strength));
                at_s += on_s + off_s;
            }
            modalities.push(format!("haptic:{name}"));
        }
        if settings.speak_alerts {
            let position_m = placed.unwrap_or_else(|| rig.head.transform_point(Vec3::NEG_Z));
            out.spoken.write(AlertSpoken { text: alert.text.clone(), source: source.clone(), position_m });
            modalities.push("speech".into());
        }
        for modality in modalities {
            out.report.record(
                t_s,
                PresentedEvent::HomeAlert {
                    alert: alert.id,
                    kind: alert.kind.name().to_string(),
                    priority: priority_name(alert.priority).into(),
                    source: source.clone(),
                    text: alert.text.clone(),
                    modality,
                    repeat: !first,
                },
            );
        }
    }
    // Alerts no longer shown are done with; the list stays as short as what is in view.
    alerts.alerts.retain(|a| a.shown_at(t_s));
    let waiting = alerts.waiting();
    out.prompt.holder = waiting.then_some(PROMPT_HOLDER);
    if waiting != alerts.ducked {
        alerts.ducked = waiting;
        engine.duck_scene(if waiting { DUCKED_SCENE_GAIN } else { 1.0 });
    }
}

/// A line beside the device, in the room.
#[derive(Component)]
pub(super) struct SceneLine {
    id: u64,
}

/// The frame around the view that flashes or glows, and its colour.
#[derive(Component)]
pub(super) struct AlertFrame {
    material: Handle<StandardMaterial>,
}

/// Keeps the banner and the lines in the scene in step with the alerts.
pub(super) fn show_banner(
    clock: Res<SessionClock>,
    alerts: Res<ActiveAlerts>,
    mut banner: Query<(Entity, &mut TextPanel), With<Banner>>,
    lines: Query<(Entity, &SceneLine)>,
    mut commands: Commands,
) {
    let t_s = clock.elapsed_s();
    let status_due = alerts.status.as_ref().is_some_and(|(_, until_s)| t_s < *until_s);
    if !status_due && banner.is_empty() && lines.is_empty() && !alerts.alerts.iter().any(|a| a.shown_at(t_s))
    {
        // Nothing to show and nothing shown: the usual frame costs no allocation.
        return;
    }
    let shown: Vec<&ActiveAlert> = alerts.alerts.iter().filter(|a| a.shown_at(t_s)).collect();
    let mut wanted = banner_lines(&shown);
    if wanted.is_empty()
        && let Some((status, until_s)) = &alerts.status
        && t_s < *until_s
    {
        wanted.push(PanelLine::regular(status.clone()));
    }
    match (wanted.is_empty(), banner.single_mut()) {
        (false, Ok((_, mut panel))) => {
            if panel.lines != wanted {
                panel.lines = wanted;
            }
        }
        (false, Err(_)) => {
            commands.spawn((
                TextPanel { id: "home-banner".into(), kind: PanelKind::Alert, lines: wanted },
                Banner,
                HeadLocked { head_offset_m: BANNER_OFFSET_FROM_HEAD_M },
            ));
        }
        (true, Ok((entity, _))) => commands.entity(entity).despawn(),
        (true, Err(_)) => {}
    }
    for (entity, line) in &lines {
        if !shown.iter().any(|a| a.alert.id == line.id) {
            commands.entity(entity).despawn();
        }
    }
}

/// Flashes the view's edge (or lights it steadily) in the colour of the most urgent alert.
pub(super) fn show_frame(
    clock: Res<SessionClock>,
    user: Res<UserProfile>,
    rig: Res<Rig>,
    alerts: Res<ActiveAlerts>,
    mut frame: Query<(&AlertFrame, &mut Transform, &mut Visibility)>,
    mut assets: QuadAssets,
    mut commands: Commands,
) {
    let t_s = clock.elapsed_s();
    let flashing = alerts.alerts.iter().filter(|a| a.flashes_at(t_s)).max_by_key(|a| a.alert.priority);
    let lit = flashing.is_some_and(|a| edge_lit(user.profile.home.visual, t_s - a.since_s));
    let colour = flashing.map_or(Color::NONE, |a| priority_colour(a.alert.priority));
    match frame.single_mut() {
        Ok((frame, mut transform, mut visibility)) => {
            *transform = frame_transform(&rig);
            *visibility = if lit { Visibility::Visible } else { Visibility::Hidden };
            if lit && let Some(mut material) = assets.materials.get_mut(&frame.material) {
                material.base_color = colour;
            }
        }
        Err(_) if lit => spawn_frame(&mut commands, &mut assets, colour, frame_transform(&rig)),
        Err(_) => {}
    }
}

/// Starts each vibration pulse when it is due, on every gamepad.
pub(super) fn play_vibrations(
    clock: Res<SessionClock>,
    mut alerts: ResMut<ActiveAlerts>,
    gamepads: Query<Entity, With<Gamepad>>,
    mut rumble: MessageWriter<GamepadRumbleRequest>,
) {
    let t_s = clock.elapsed_s();
    alerts.pulses.retain(|&(at_s, on_s, strength)| {
        if at_s > t_s {
            return true;
        }
        for gamepad in &gamepads {
            rumble.write(GamepadRumbleRequest::Add {
                duration: Duration::from_secs_f32(on_s),
                intensity: GamepadRumbleIntensity::strong_motor(strength),
                gamepad,
            });
        }
        false
    });
}

/// The banner at the top of view.
#[derive(Component)]
pub(super) struct Banner;

/// The most urgent alert first, each with its count; an alarm says how to answer it.
fn banner_lines(shown: &[&ActiveAlert]) -> Vec<PanelLine> {
    let mut sorted: Vec<&&ActiveAlert> = shown.iter().collect();
    sorted.sort_by_key(|a| std::cmp::Reverse(a.alert.priority));
    let mut lines: Vec<PanelLine> = sorted
        .iter()
        .map(|a| {
            let times = if a.count > 1 { format!(" (×{})", a.count) } else { String::new() };
            PanelLine::bold(format!("{}{times}", a.alert.text))
        })
        .collect();
    if shown.iter().any(|a| a.waits_for_acknowledgement()) {
        lines.push(PanelLine::regular("Any button, switch, look or word acknowledges"));
    }
    lines
}

fn priority_colour(priority: AlertPriority) -> Color {
    match priority {
        AlertPriority::LifeSafety => Color::srgb(0.9, 0.05, 0.05),
        AlertPriority::Attention => Color::srgb(1.0, 0.7, 0.0),
        AlertPriority::Information => Color::srgb(0.2, 0.5, 1.0),
    }
}

fn frame_transform(rig: &Rig) -> Transform {
    Transform {
        translation: rig.head.transform_point(Vec3::new(0.0, 0.0, -FRAME_DISTANCE_M)),
        rotation: rig.head.rotation,
        scale: Vec3::ONE,
    }
}

/// Four unlit bars around the edge of view, a tenth of its height thick.
fn spawn_frame(commands: &mut Commands, assets: &mut QuadAssets, colour: Color, transform: Transform) {
    // Wide enough for headsets (about 100° across) and the simulator's eye.
    let (half_w, half_h) = (FRAME_DISTANCE_M * 1.2, FRAME_DISTANCE_M * 0.7);
    let bar = half_h * 0.2;
    let material = assets.materials.add(StandardMaterial { base_color: colour, unlit: true, ..default() });
    let bars = [
        (Vec2::new(2.0 * half_w, bar), Vec2::new(0.0, half_h - bar / 2.0)),
        (Vec2::new(2.0 * half_w, bar), Vec2::new(0.0, -half_h + bar / 2.0)),
        (Vec2::new(bar, 2.0 * half_h), Vec2::new(-half_w + bar / 2.0, 0.0)),
        (Vec2::new(bar, 2.0 * half_h), Vec2::new(half_w - bar / 2.0, 0.0)),
    ];
    commands
        .spawn((AlertFrame { material: material.clone() }, transform, Visibility::Visible))
        .with_children(|frame| {
            for (size, at) in bars {
                frame.spawn((
                    Mesh3d(assets.meshes.add(Rectangle::new(size.x, size.y))),
                    MeshMaterial3d(material.clone()),
                    Transform::from_translation(at.extend(0.0)),
                ));
            }
        });
}
