//! The headless desktop simulator: the app without a headset or a window.
//!
//! [`Simulator`] owns the update loop. Each update advances the session
//! clock by exactly one frame, so a scenario plays out the same way on a
//! fast workstation and a loaded 2-core CI machine, as fast as the machine
//! allows (or, with live interpreter feeds, at the pace they arrive). The
//! user's view is rendered offscreen (on a GPU, or on the lavapipe CPU
//! driver) only for the frames a checkpoint captures.

use crate::audio_engine::write_recording;
use crate::capture_files::CaptureFiles;
use crate::panels::{PanelSize, TextPanel};
use crate::plugins::AllversePlugins;
use crate::rig::{HeadCamera, Rig, transform_from_yaw_pitch};
use crate::session::{
    CaptureEntry, CaptureRequested, Pacing, PanelOnScreen, SessionClock, SessionConfig, SessionEnding,
    SessionReport, SessionSetup, SessionSystems, UserProfile,
};
use allverse_core::placement::FieldOfView;
use allverse_core::scenario::{Hand, ViewSettings};
use anyhow::{Context, Result, bail};
use bevy::asset::RenderAssetUsages;
use bevy::camera::RenderTarget;
use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy::render::pipelined_rendering::PipelinedRenderingPlugin;
use bevy::render::render_resource::{Extent3d, PollType, TextureDimension, TextureFormat, TextureUsages};
use bevy::render::renderer::RenderDevice;
use bevy::render::settings::{Backends, RenderCreation, WgpuSettings};
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::render::{RenderPlugin, view::Msaa};
use bevy::window::ExitCondition;
use bevy::winit::WinitPlugin;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Updates allowed after the last frame for outstanding captures to arrive.
const MAX_DRAIN_UPDATES: usize = 30;

pub struct Simulator {
    app: App,
    frames: u64,
    frame_rate_hz: f64,
    /// Live media (interpreter feeds) cannot be played faster than they
    /// happen: with feeds, the clock is held to wall-clock time from here.
    paced_from: Option<std::time::Instant>,
}

/// Where the simulated eye renders, and how many captures are still in flight.
#[derive(Resource)]
struct OffscreenView {
    target: Handle<Image>,
    out_dir: PathBuf,
    pending: usize,
    field_of_view: FieldOfView,
    size_px: Vec2,
    /// Frame the camera was switched on for; it is switched off after it.
    active_since_frame: Option<u32>,
    /// Render every frame (for timing), not only captured ones.
    always_on: bool,
}

impl Simulator {
    /// Builds the headless app; captures and the report go to `out_dir`.
    pub fn new(setup: SessionSetup, out_dir: &Path) -> Result<Self> {
        require_vulkan_adapter()?;
        std::fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
        let scenario = &setup.config.scenario;
        let frame_rate_hz = scenario.frame_rate_hz as f64;
        let frames = scenario.frame_count();
        let view = scenario.view;
        let paced = !scenario.feeds.is_empty();

        let mut app = App::new();
        app.add_plugins(
            DefaultPlugins
                .set(WindowPlugin {
                    primary_window: None,
                    exit_condition: ExitCondition::DontExit,
                    ..default()
                })
                .set(RenderPlugin {
                    render_creation: RenderCreation::Automatic(Box::new(WgpuSettings {
                        backends: Some(Backends::VULKAN),
                        ..default()
                    })),
                    // Every pipeline must exist on the frame that is captured.
                    synchronous_pipeline_compilation: true,
                    ..default()
                })
                .disable::<WinitPlugin>()
                // One thread renders in step with the simulation, for determinism.
                .disable::<PipelinedRenderingPlugin>(),
        )
        .insert_resource(bevy::time::TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(
            1.0 / frame_rate_hz,
        )))
        .add_plugins(AllversePlugins {
            setup,
            pacing: Pacing::Stepped,
            display_pixels_per_degree: view.height_px as f32 / view.vertical_fov_deg,
        })
        // The simulated user's head, hands and eyes follow the scenario's keys.
        .add_systems(Update, drive_rig_from_scenario.before(SessionSystems));

        let target = app.world_mut().resource_mut::<Assets<Image>>().add(offscreen_target(view));
        app.insert_resource(OffscreenView {
            target: target.clone(),
            out_dir: out_dir.to_path_buf(),
            pending: 0,
            field_of_view: FieldOfView::from_vertical(
                view.vertical_fov_deg,
                view.width_px as f32 / view.height_px as f32,
            ),
            size_px: Vec2::new(view.width_px as f32, view.height_px as f32),
            active_since_frame: None,
            always_on: false,
        })
        .add_systems(Startup, move |mut commands: Commands| spawn_eye(&mut commands, target.clone(), view))
        .init_resource::<CaptureFiles>()
        .add_systems(PostUpdate, request_captures.after(TransformSystems::Propagate));
        app.finish();
        app.cleanup();
        Ok(Self { app, frames, frame_rate_hz, paced_from: paced.then(std::time::Instant::now) })
    }

    /// Plays the whole scenario and writes `report.json` beside the captures.
    pub fn run(self) -> Result<SessionReport> {
        self.run_with_interlude(f64::INFINITY, || {})
    }

    /// Plays the scenario, but before the first frame at or after `at_s`
    /// runs `interlude` while session time stands still: for tests that
    /// change the world outside the app at an exact moment of the session
    /// (a broker restarting, say) and stay repeatable.
    pub fn run_with_interlude(mut self, at_s: f64, interlude: impl FnOnce()) -> Result<SessionReport> {
        let end_s = self.frames as f64 / self.frame_rate_hz;
        let mut interlude = Some(interlude);
        for frame in 0..=self.frames {
            let t_s = frame as f64 / self.frame_rate_hz;
            if t_s >= at_s
                && let Some(interlude) = interlude.take()
            {
                interlude();
            }
            self.step_to(t_s);
        }
        // One more update at the end, for what is still on its way into the report.
        self.app.world_mut().write_message(SessionEnding);
        self.step_to(end_s);
        // Readbacks arrive a frame or two after the frame they capture. The
        // clock stands still meanwhile, so nothing fires a second time.
        for _ in 0..MAX_DRAIN_UPDATES {
            if self.app.world().resource::<OffscreenView>().pending == 0 {
                break;
            }
            self.step_to(end_s);
        }
        let pending = self.app.world().resource::<OffscreenView>().pending;
        if pending > 0 {
            bail!("{pending} capture(s) never arrived from the renderer");
        }
        let mut report = self.app.world().resource::<SessionReport>().clone();
        self.app.world_mut().resource_mut::<CaptureFiles>().finish_into(&mut report);
        report.frames = self.frames + 1;
        let out_dir = self.app.world().resource::<OffscreenView>().out_dir.clone();
        let audio_path = out_dir.join("audio.wav");
        if write_recording(self.app.world(), &audio_path)?.is_some() {
            report.audio = Some(audio_path);
        }
        let path = out_dir.join("report.json");
        report.write_json(&path).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(report)
    }

    /// Renders the first `frames` frames with the eye on in every one and
    /// returns what each frame cost on the caller's clock (`now_ms`, e.g.
    /// wall time, or the process's CPU time when a CPU driver draws), from
    /// the update's start until the driver has finished drawing it. For
    /// render benchmarks; the session is not played to its end.
    pub fn time_frames(mut self, frames: u32, mut now_ms: impl FnMut() -> f64) -> Vec<f64> {
        self.app.world_mut().resource_mut::<OffscreenView>().always_on = true;
        (0..frames)
            .map(|frame| {
                let started_ms = now_ms();
                self.step_to(frame as f64 / self.frame_rate_hz);
                let device = self.app.world().resource::<RenderDevice>();
                let _ = device.wgpu_device().poll(PollType::Wait { submission_index: None, timeout: None });
                now_ms() - started_ms
            })
            .collect()
    }

    /// The name of the graphics adapter the eye renders with (e.g. `llvmpipe` for the CPU driver).
    pub fn adapter_name(&self) -> String {
        self.app.world().resource::<bevy::render::renderer::RenderAdapterInfo>().name.clone()
    }

    /// Moves the session clock to `t_s` and runs one update.
    fn step_to(&mut self, t_s: f64) {
        if let Some(started) = self.paced_from {
            let due = started + Duration::from_secs_f64(t_s);
            std::thread::sleep(due.saturating_duration_since(std::time::Instant::now()));
        }
        self.app.world_mut().resource_mut::<SessionClock>().step_to(t_s);
        self.app.update();
        if self.app.world().resource::<OffscreenView>().pending > 0 {
            // Let the GPU (or lavapipe) finish so the readback can complete.
            let device = self.app.world().resource::<RenderDevice>();
            let _ = device.wgpu_device().poll(PollType::Wait { submission_index: None, timeout: None });
        }
    }
}

/// Moves the rig to where the scenario's head, hand and gaze keys say at this step.
fn drive_rig_from_scenario(
    config: Res<SessionConfig>,
    user: Res<UserProfile>,
    clock: Res<SessionClock>,
    mut rig: ResMut<Rig>,
    panels: Query<(&TextPanel, &GlobalTransform)>,
) {
    let scenario = &config.scenario;
    let t = clock.elapsed_s();
    let head = scenario.head_at(t);
    let height_offset = Vec3::Y * user.profile.comfort.height_offset_m;
    rig.set_tracked_head(transform_from_yaw_pitch(
        head.position_m + height_offset,
        head.yaw_deg,
        head.pitch_deg,
    ));
    let hand = |h: Hand| {
        let pose = scenario.controller_at(h, t);
        transform_from_yaw_pitch(pose.position_m, pose.yaw_deg, pose.pitch_deg)
    };
    rig.head_from_left_hand = hand(Hand::Left);
    rig.head_from_right_hand = hand(Hand::Right);
    let gaze = scenario.gaze_at(t);
    rig.gaze_yaw_deg = gaze.yaw_deg;
    rig.gaze_pitch_deg = gaze.pitch_deg;
    // A scripted `gaze` input rests the eyes on a panel until the next one.
    let looking = scenario
        .inputs
        .iter()
        .filter(|i| i.device == "gaze" && i.at_s <= t)
        .max_by(|a, b| a.at_s.total_cmp(&b.at_s));
    if let Some((_, at)) = looking.and_then(|look| panels.iter().find(|(panel, _)| panel.id == look.input)) {
        rig.look_at(at.translation());
    }
}

/// Bevy panics when it finds no GPU; check first and say what to install.
fn require_vulkan_adapter() -> Result<()> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::VULKAN,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapters = bevy::tasks::block_on(instance.enumerate_adapters(wgpu::Backends::VULKAN));
    if adapters.is_empty() {
        bail!(
            "no Vulkan device or driver was found, so the simulator cannot render its view; \
             on Debian run `cargo xtask setup` (it installs mesa-vulkan-drivers, a CPU driver), \
             or install your GPU's Vulkan driver"
        );
    }
    Ok(())
}

fn offscreen_target(view: ViewSettings) -> Image {
    let mut image = Image::new_uninit(
        Extent3d { width: view.width_px, height: view.height_px, depth_or_array_layers: 1 },
        TextureDimension::D2,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    image.texture_descriptor.usage |= TextureUsages::RENDER_ATTACHMENT | TextureUsages::COPY_SRC;
    image
}

fn spawn_eye(commands: &mut Commands, target: Handle<Image>, view: ViewSettings) {
    commands.spawn((
        HeadCamera,
        Camera3d::default(),
        Camera {
            is_active: false,
            clear_color: ClearColorConfig::Custom(Color::srgb(0.05, 0.05, 0.08)),
            ..default()
        },
        RenderTarget::from(target),
        Projection::Perspective(PerspectiveProjection {
            fov: view.vertical_fov_deg.to_radians(),
            aspect_ratio: view.width_px as f32 / view.height_px as f32,
            ..default()
        }),
        Tonemapping::None,
        Msaa::Off,
        // The eye renders to an image, not a window, so name it the shadow origin.
        bevy::camera::ShadowLodOrigin,
        Transform::default(),
    ));
}

/// Switches the eye on for frames with a checkpoint and asks for a screenshot.
fn request_captures(
    mut commands: Commands,
    mut requests: MessageReader<CaptureRequested>,
    mut view: ResMut<OffscreenView>,
    mut camera: Query<&mut Camera, With<HeadCamera>>,
    frame: Res<bevy::diagnostic::FrameCount>,
    viewer: Viewer,
) {
    let Ok(mut camera) = camera.single_mut() else {
        return;
    };
    // Checkpoints that fall in the same frame share one screenshot: the
    // renderer answers only one request per target and frame.
    let entries: Vec<CaptureEntry> =
        requests.read().map(|request| viewer.capture_entry(&request.name, &view)).collect();
    let requested = !entries.is_empty();
    if requested {
        view.pending += 1;
        commands.spawn(Screenshot::image(view.target.clone())).observe(
            move |captured: On<ScreenshotCaptured>,
                  mut view: ResMut<OffscreenView>,
                  mut files: ResMut<CaptureFiles>| {
                view.pending -= 1;
                for entry in &entries {
                    files.write(captured.image.clone(), entry.clone());
                }
            },
        );
    }
    if requested || view.always_on {
        camera.is_active = true;
        view.active_since_frame = Some(frame.0);
    } else if view.active_since_frame.is_some_and(|f| f < frame.0) {
        camera.is_active = false;
        view.active_since_frame = None;
    }
}

/// What the simulated user sees at the moment of a capture.
#[derive(SystemParam)]
struct Viewer<'w, 's> {
    clock: Res<'w, SessionClock>,
    rig: Res<'w, Rig>,
    config: Res<'w, SessionConfig>,
    panels: Query<'w, 's, (&'static TextPanel, &'static Transform, Option<&'static PanelSize>)>,
}

impl Viewer<'_, '_> {
    /// The report entry for a capture; its pixel size is filled in when the image arrives.
    fn capture_entry(&self, name: &str, view: &OffscreenView) -> CaptureEntry {
        CaptureEntry {
            t_s: self.clock.elapsed_s(),
            name: name.to_string(),
            path: view.out_dir.join(format!("{name}.png")),
            width_px: 0,
            height_px: 0,
            head_position_m: self.rig.head.translation.to_array(),
            head_forward: self.rig.head.forward().to_array(),
            gaze_direction: self.rig.gaze_direction().to_array(),
            in_view: self.in_view(&view.field_of_view),
            panels: self.panels_on_screen(view),
        }
    }

    /// Each drawn panel's corners projected into the image, as a bounding rectangle.
    fn panels_on_screen(&self, view: &OffscreenView) -> Vec<PanelOnScreen> {
        let head_from_world = self.rig.world_from_head().inverse();
        let fov = &view.field_of_view;
        let tan_half =
            Vec2::new(fov.half_horizontal_deg.to_radians().tan(), fov.half_vertical_deg.to_radians().tan());
        let mut shown = Vec::new();
        for (panel, transform, size) in &self.panels {
            let Some(PanelSize(size_m)) = size else { continue };
            let corners = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)].map(|(x, y)| {
                let world = transform.transform_point(Vec3::new(x * size_m.x / 2.0, y * size_m.y / 2.0, 0.0));
                head_from_world.transform_point3(world)
            });
            if corners.iter().any(|p| p.z >= -0.01) {
                continue;
            }
            let pixels = corners.map(|p| {
                let ndc = Vec2::new(p.x, p.y) / -p.z / tan_half;
                Vec2::new((ndc.x + 1.0) / 2.0, (1.0 - ndc.y) / 2.0) * view.size_px
            });
            let low = pixels.iter().fold(Vec2::INFINITY, |a, p| a.min(*p));
            let high = pixels.iter().fold(Vec2::NEG_INFINITY, |a, p| a.max(*p));
            if high.x < 0.0 || high.y < 0.0 || low.x > view.size_px.x || low.y > view.size_px.y {
                continue;
            }
            shown.push(PanelOnScreen {
                id: panel.id.clone(),
                kind: panel.kind,
                rect_px: [low.x, low.y, high.x, high.y],
            });
        }
        shown
    }

    /// People (by head) and panels (by centre) inside the eye's field of view.
    fn in_view(&self, field_of_view: &FieldOfView) -> Vec<String> {
        let world_from_head = self.rig.world_from_head();
        let people = self.config.scenario.people.iter().map(|p| (p.id.clone(), p.position_m));
        let panels =
            self.panels.iter().map(|(panel, transform, _)| (panel.id.clone(), transform.translation));
        people
            .chain(panels)
            .filter(|(_, at)| field_of_view.contains(&world_from_head, *at))
            .map(|(id, _)| id)
            .collect()
    }
}
