//! The interpreter panel: the followed channel's interpreter, live, beside the stage, labelled, and kept clear of other panels.

use super::room::RoomInterpreters;
use super::staged::StagedEvent;
use crate::audio_engine::AudioEngine;
use crate::panels::{FacesUser, HeadLocked, LazyFollow, PanelSize, QuadAssets, TextPanel};
use crate::rig::Rig;
use crate::session::{PanelKind, PresentedEvent, SessionClock, SessionConfig, SessionReport, UserProfile};
use allverse_core::caption_placement::arrow_toward;
use allverse_core::interpreting::{
    AngularBox, PanelPlacement, beside_stage, panel_height_deg, panel_size_m, pitch_to_clear,
};
use allverse_core::placement::{FieldOfView, head_relative};
use allverse_interpret::supervisor::FeedState;
use allverse_interpret::team::{Team, TeamEvent};
use allverse_pipeline::audio::{AudioControl, Bus, Placement, VoiceFeed};
use allverse_pipeline::panel::PanelLine;
use allverse_pipeline::panel::VideoFrame;
use bevy::asset::RenderAssetUsages;
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use std::sync::Arc;
use std::time::Instant;

/// In view, the panel sits to the right of the centre of view.
const IN_VIEW_OFFSET_M: Vec3 = Vec3::new(0.75, 0.0, -1.8);
/// Until the first frame says otherwise, video is taken to be 16:9.
const DEFAULT_ASPECT: f32 = 16.0 / 9.0;
/// Other panels keep this far (degrees) from the interpreter.
const CLEARANCE_DEG: f32 = 1.0;
const ARROW_OFFSET_M: Vec3 = Vec3::new(0.0, 0.3, -1.5);
/// From the video's lower edge to the centre of its label.
const LABEL_GAP_M: f32 = 0.16;

/// The followed channel's team and the entities that show it.
#[derive(Resource)]
pub(super) struct Interpreting {
    team: Team,
    /// Whether the team is the live room's interpreters rather than the event's feeds.
    from_room: bool,
    video: Entity,
    label: Entity,
    texture: Handle<Image>,
    material: Handle<StandardMaterial>,
    mesh: Handle<Mesh>,
    shown: Option<Arc<VideoFrame>>,
    aspect: f32,
    size_m: [f32; 2],
    /// What the report last heard: (interpreter, state, why the video is not live).
    reported: Option<(String, String, Option<String>)>,
}

/// The interpreter's voice in the audio engine, heard from the stage,
/// opened when their stream first carries sound (spoken interpreting).
/// Non-send, like the engine's other voices.
#[derive(Default)]
pub(super) struct InterpreterVoice {
    feed: Option<VoiceFeed>,
    received: Vec<f32>,
}

#[derive(Component)]
pub(super) struct InterpreterVideo;

#[derive(Component)]
pub(super) struct InterpreterArrow;

/// Opens the followed channel's team (again, when the user switches channel) and shows it.
/// What decides which interpreter is shown and where: the event, the scenario's handovers, the user's settings and head.
#[derive(SystemParam)]
pub(super) struct InterpretingContext<'w> {
    event: Res<'w, StagedEvent>,
    config: Res<'w, SessionConfig>,
    user: Res<'w, UserProfile>,
    clock: Res<'w, SessionClock>,
    rig: Res<'w, Rig>,
    /// The live room's interpreters, when a room is joined.
    room: Option<NonSendMut<'w, RoomInterpreters>>,
}

/// The entities the interpreter is shown with: the video and label, and the arrow toward them.
#[derive(SystemParam)]
pub(super) struct InterpreterEntities<'w, 's> {
    panels:
        Query<'w, 's, (&'static mut Transform, Option<&'static mut TextPanel>), Without<InterpreterArrow>>,
    arrow: Query<'w, 's, (Entity, &'static mut TextPanel), With<InterpreterArrow>>,
}

/// Where the interpreter's voice goes: the listener's engine, when there is sound.
#[derive(SystemParam)]
pub(super) struct InterpreterSound<'w> {
    engine: Option<NonSendMut<'w, AudioEngine>>,
    voice: Option<NonSendMut<'w, InterpreterVoice>>,
}

pub(super) fn show_interpreter(
    mut commands: Commands,
    context: InterpretingContext,
    mut interpreting: Option<ResMut<Interpreting>>,
    mut report: ResMut<SessionReport>,
    mut assets: QuadAssets,
    entities: InterpreterEntities,
    sound: InterpreterSound,
) {
    let InterpretingContext { event, config, user, clock, rig, mut room } = context;
    let InterpreterEntities { mut panels, arrow } = entities;
    let InterpreterSound { engine: mut audio, mut voice } = sound;
    let QuadAssets { images, meshes, materials } = &mut assets;
    let now = Instant::now();
    let followed = &user.profile.interpreting.channel;
    // The event's own feeds serve a channel first; the room's interpreters serve the others.
    let from_event = event.0.as_ref().and_then(|e| e.channel(followed));
    let from_room = from_event.is_none() && room.as_ref().is_some_and(|r| r.serves(followed));
    let wanted = from_event.map(|c| c.id.as_str()).or(from_room.then_some(followed.as_str()));
    let current = interpreting.as_ref().map(|i| i.team.channel().id.as_str());
    // Compared by id only, so that nothing is built in a frame where the channel stays.
    if wanted != current {
        if let Some(old) = interpreting.take() {
            for entity in [old.video, old.label] {
                commands.entity(entity).despawn();
            }
            commands.remove_resource::<Interpreting>();
        }
        arrow.iter().for_each(|(entity, _)| commands.entity(entity).despawn());
        let team = match (from_event, room.as_mut()) {
            (Some(channel), _) => Some(Team::open(channel.clone(), now)),
            (None, Some(room)) if from_room => room.team(followed).and_then(|channel| {
                let first = channel.first_active().clone();
                room.feed(&first).map(|feed| Team::relayed(channel, first, feed, now))
            }),
            _ => None,
        };
        if let Some(team) = team {
            let opened = open(&mut commands, team, from_room, images, meshes, materials);
            commands.insert_resource(opened);
        }
        return;
    }
    let Some(mut interpreting) = interpreting else { return };
    let t_s = clock.elapsed_s();
    let channel_id = interpreting.team.channel().id.clone();
    for handover in
        config.scenario.handovers.iter().filter(|h| clock.is_due(h.at_s) && h.channel == channel_id)
    {
        if let Err(error) = interpreting.team.hand_over(&handover.to, now) {
            warn!("handover: {error}");
        }
    }
    if interpreting.from_room
        && let Some(room) = room.as_mut()
    {
        take_over_from_who_left(&mut interpreting.team, room, now);
    }
    if let Some(TeamEvent::HandedOver { to }) = interpreting.team.poll(now) {
        report.record(t_s, PresentedEvent::Handover { channel: channel_id.clone(), to });
    }
    update_texture(&mut interpreting, images, meshes, materials);
    let stage = event.0.as_ref().map_or(Vec3::ZERO, |e| e.floor.stage_position_m);
    if let (Some(audio), Some(voice)) = (audio.as_mut(), voice.as_mut()) {
        let from_room = interpreting.from_room;
        play_voice(&mut interpreting.team, voice, &mut audio.control, stage, from_room);
    }
    let settings = &user.profile.interpreting;
    let stage_distance_m = rig.head.translation.distance(stage);
    let height_deg = panel_height_deg(settings, stage_distance_m);
    let offset = Vec3::from(settings.offset_m);
    let Ok((mut video, _)) = panels.get_mut(interpreting.video) else { return };
    let mut video_entity = commands.entity(interpreting.video);
    let distance_m = match settings.placement {
        PanelPlacement::BesideStage => {
            let width_m = panel_size_m(height_deg, stage_distance_m, interpreting.aspect)[0];
            video.translation = beside_stage(stage, rig.head.translation, width_m) + offset;
            video_entity.remove::<(HeadLocked, LazyFollow)>();
            rig.head.translation.distance(video.translation)
        }
        PanelPlacement::HeadLocked => {
            video_entity.insert(HeadLocked { head_offset_m: IN_VIEW_OFFSET_M + offset });
            (IN_VIEW_OFFSET_M + offset).length()
        }
        PanelPlacement::LazyFollow => {
            video_entity.try_insert_if_new(LazyFollow::new(IN_VIEW_OFFSET_M + offset));
            (IN_VIEW_OFFSET_M + offset).length()
        }
    };
    let size_m = panel_size_m(height_deg, distance_m, interpreting.aspect);
    if size_m != interpreting.size_m {
        interpreting.size_m = size_m;
        let _ = meshes.insert(&interpreting.mesh, Mesh::from(Rectangle::new(size_m[0], size_m[1])));
    }
    let video_at = video.translation;
    // The label sits under the video: who is interpreting, into what, and whether they are there.
    let (state, reason) = match interpreting.team.state() {
        FeedState::Connecting => ("connecting", None),
        FeedState::Live => ("live", None),
        FeedState::Reconnecting { reason, retrying: true, .. } => ("reconnecting", Some(reason.clone())),
        // Retrying cannot help (a file with no video, say): the label says why instead.
        FeedState::Reconnecting { reason, retrying: false, .. } => ("failed", Some(reason.clone())),
    };
    let interpreter = interpreting.team.active().name.clone();
    let channel_name = interpreting.team.channel().name.clone();
    let mut label_text = vec![PanelLine::bold(format!("{channel_name}: {interpreter}"))];
    match (state, &reason) {
        ("reconnecting", _) => label_text.push(PanelLine::regular("Interpreter reconnecting…")),
        ("connecting", _) => label_text.push(PanelLine::regular("Interpreter connecting…")),
        ("failed", Some(reason)) => {
            label_text.push(PanelLine::regular(format!("Interpreter video stopped: {reason}")))
        }
        _ => {}
    }
    if let Ok((mut label, Some(mut panel))) = panels.get_mut(interpreting.label) {
        label.translation = video_at - Vec3::Y * (size_m[1] / 2.0 + LABEL_GAP_M);
        if panel.lines != label_text {
            panel.lines = label_text;
        }
    }
    let now_reported = (interpreter, state.to_string(), reason);
    if interpreting.reported.as_ref() != Some(&now_reported) {
        report.record(
            t_s,
            PresentedEvent::InterpreterPanel {
                channel: channel_id,
                interpreter: now_reported.0.clone(),
                state: now_reported.1.clone(),
                reason: now_reported.2.clone(),
                size_m,
                position_m: video_at.to_array(),
            },
        );
        interpreting.reported = Some(now_reported);
    }
    point_to_panel(&mut commands, &rig, video_at, &channel_name, arrow);
}

/// When the interpreter on the panel has left the room, the next one present for the channel takes over.
fn take_over_from_who_left(team: &mut Team, room: &mut RoomInterpreters, now: Instant) {
    if room.is_present(team.active()) || team.incoming().is_some_and(|i| room.is_present(i)) {
        return;
    }
    let Some(next) = room.team(&team.channel().id).map(|c| c.first_active().clone()) else { return };
    if let Some(feed) = room.feed(&next) {
        team.hand_over_relayed(next, feed, now);
    }
}

fn open(
    commands: &mut Commands,
    team: Team,
    from_room: bool,
    images: &mut Assets<Image>,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<StandardMaterial>,
) -> Interpreting {
    let texture = images.add(rgba_image(2, 2, vec![0; 16]));
    let mesh = meshes.add(Rectangle::new(DEFAULT_ASPECT, 1.0));
    let material = materials.add(StandardMaterial {
        base_color_texture: Some(texture.clone()),
        unlit: true,
        cull_mode: None,
        ..default()
    });
    let video = commands
        .spawn((
            InterpreterVideo,
            FacesUser,
            Mesh3d(mesh.clone()),
            MeshMaterial3d(material.clone()),
            Transform::default(),
        ))
        .id();
    let channel = team.channel();
    let label = commands
        .spawn((
            TextPanel::single(
                format!("interpreter-{}", channel.id),
                PanelKind::Interpreter,
                channel.name.clone(),
                true,
            ),
            Transform::default(),
        ))
        .id();
    Interpreting {
        team,
        from_room,
        video,
        label,
        texture,
        material,
        mesh,
        shown: None,
        aspect: DEFAULT_ASPECT,
        size_m: [0.0; 2],
        reported: None,
    }
}

/// Passes the interpreter's voice received since the last frame to the audio engine.
/// `live`: the voice comes from a live room, at the pace the interpreter speaks; the simulator's
/// scripted feeds are waited for instead, so that its recording has no gaps.
fn play_voice(
    team: &mut Team,
    voice: &mut InterpreterVoice,
    control: &mut AudioControl,
    stage: Vec3,
    live: bool,
) {
    voice.received.clear();
    team.take_voice(&mut voice.received);
    if !voice.received.is_empty() && voice.feed.as_ref().is_none_or(|f| f.is_stopped()) {
        match control.play(Bus::Speech, Placement::World(stage), 1.0) {
            Ok(feed) => {
                if live {
                    feed.set_live();
                }
                voice.feed = Some(feed);
            }
            Err(error) => warn!("the interpreter's voice cannot be played: {error}"),
        }
    }
    if let Some(feed) = &mut voice.feed {
        // Whatever does not fit is late already: dropped, not queued.
        feed.write(&voice.received);
    }
}

/// Puts the newest frame on the panel, replacing the texture in place (as
/// text panels do, so it never vanishes for a frame while a new one uploads).
fn update_texture(
    interpreting: &mut Interpreting,
    images: &mut Assets<Image>,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<StandardMaterial>,
) {
    let Some(frame) = interpreting.team.frame().cloned() else { return };
    if interpreting.shown.as_ref().is_some_and(|shown| Arc::ptr_eq(shown, &frame)) {
        return;
    }
    let image = rgba_image(frame.width, frame.height, frame.rgba.clone());
    let _ = images.insert(&interpreting.texture, image);
    // Touching the material rebuilds its bind group with the re-uploaded texture.
    if let Some(mut material) = materials.get_mut(&interpreting.material) {
        material.base_color_texture = Some(interpreting.texture.clone());
    }
    let aspect = frame.width as f32 / frame.height.max(1) as f32;
    if (aspect - interpreting.aspect).abs() > 1e-3 {
        interpreting.aspect = aspect;
        interpreting.size_m = [0.0; 2];
        let _ = meshes.insert(&interpreting.mesh, Mesh::from(Rectangle::new(aspect, 1.0)));
    }
    interpreting.shown = Some(frame);
}

fn rgba_image(width: u32, height: u32, rgba: Vec<u8>) -> Image {
    Image::new(
        Extent3d { width, height, depth_or_array_layers: 1 },
        TextureDimension::D2,
        rgba,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    )
}

/// An arrow in view toward the panel while it is out of view.
fn point_to_panel(
    commands: &mut Commands,
    rig: &Rig,
    panel_at: Vec3,
    channel_name: &str,
    mut arrow: Query<(Entity, &mut TextPanel), With<InterpreterArrow>>,
) {
    let world_from_head = rig.world_from_head();
    if FieldOfView::HEADSET.contains(&world_from_head, panel_at) {
        arrow.iter().for_each(|(entity, _)| commands.entity(entity).despawn());
        return;
    }
    let text = format!("{} {channel_name} interpreter", arrow_toward(&world_from_head, panel_at).symbol());
    match arrow.single_mut() {
        Ok((_, mut panel)) if panel.text() != text => panel.lines = vec![PanelLine::bold(text)],
        Ok(_) => {}
        Err(_) => {
            commands.spawn((
                TextPanel::single("interpreter-arrow", PanelKind::Interpreter, text, true),
                InterpreterArrow,
                HeadLocked { head_offset_m: ARROW_OFFSET_M },
                Transform::default(),
            ));
        }
    }
}

/// Moves any other panel (captions, menus, signs) that would cover the interpreter off it.
pub(super) fn keep_clear_of_interpreter(
    rig: Res<Rig>,
    interpreting: Option<Res<Interpreting>>,
    video: Query<&GlobalTransform, With<InterpreterVideo>>,
    mut panels: Query<(&TextPanel, &PanelSize, &mut Transform)>,
) {
    let Some(interpreting) = interpreting else { return };
    let Ok(video_at) = video.get(interpreting.video) else { return };
    let world_from_head = rig.world_from_head();
    let fixed = AngularBox::new(head_relative(&world_from_head, video_at.translation()), interpreting.size_m);
    let (head, right) = (rig.head.translation, *rig.head.right());
    for (panel, size, mut transform) in &mut panels {
        if panel.kind == PanelKind::Interpreter {
            continue;
        }
        let moving =
            AngularBox::new(head_relative(&world_from_head, transform.translation), size.0.to_array());
        if let Some(shift_deg) = pitch_to_clear(&moving, &fixed, CLEARANCE_DEG) {
            // Pitching up turns about the head's right axis, counter-clockwise.
            let turn = Quat::from_axis_angle(right, shift_deg.to_radians());
            transform.translation = head + turn * (transform.translation - head);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use allverse_core::event::{ChannelKind, Interpreter};

    #[test]
    fn a_caption_in_front_of_the_interpreter_is_moved_off_it() {
        let channel = allverse_core::event::ChannelDescription {
            id: "bsl".into(),
            name: "BSL".into(),
            kind: ChannelKind::Signed,
            relay_from: "floor".into(),
            // Nobody is sending: the panel waits, which is all this test needs.
            interpreters: vec![Interpreter {
                id: "alex".into(),
                name: "Alex".into(),
                feed: "rtp://127.0.0.1:17499".into(),
                passphrase: None,
            }],
            active: None,
        };
        allverse_interpret::init().unwrap();
        let mut app = App::new();
        app.insert_resource(Rig::default()).add_systems(Update, keep_clear_of_interpreter);
        let video_at = Vec3::new(0.0, 1.6, -3.0);
        let video =
            app.world_mut().spawn((InterpreterVideo, GlobalTransform::from_translation(video_at))).id();
        let label = app.world_mut().spawn_empty().id();
        app.insert_resource(Interpreting {
            team: Team::open(channel, Instant::now()),
            from_room: false,
            video,
            label,
            texture: Handle::default(),
            material: Handle::default(),
            mesh: Handle::default(),
            shown: None,
            aspect: DEFAULT_ASPECT,
            size_m: [1.6, 0.9],
            reported: None,
        });
        let caption = app
            .world_mut()
            .spawn((
                TextPanel::single("caption-host", PanelKind::Caption, "Host: welcome, everyone", false),
                PanelSize(Vec2::new(0.6, 0.12)),
                Transform::from_xyz(0.1, 1.5, -1.5),
            ))
            .id();
        let behind = app
            .world_mut()
            .spawn((
                TextPanel::single("sign", PanelKind::Sign, "Exit", false),
                PanelSize(Vec2::new(0.4, 0.2)),
                Transform::from_xyz(0.0, 1.6, -5.0),
            ))
            .id();
        app.update();
        let rig = Rig::default();
        let world_from_head = rig.world_from_head();
        let fixed = AngularBox::new(head_relative(&world_from_head, video_at), [1.6, 0.9]);
        let caption_at = app.world().get::<Transform>(caption).unwrap().translation;
        let moved = AngularBox::new(head_relative(&world_from_head, caption_at), [0.6, 0.12]);
        assert!(!moved.overlaps(&fixed), "the caption no longer covers the signer: {caption_at}");
        assert!(
            (caption_at.distance(rig.head.translation) - Vec3::new(0.1, -0.1, -1.5).length()).abs() < 1e-4,
            "same distance"
        );
        assert_eq!(
            app.world().get::<Transform>(behind).unwrap().translation,
            Vec3::new(0.0, 1.6, -5.0),
            "a panel behind it covers nothing"
        );
    }
}
