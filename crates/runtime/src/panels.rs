//! Text panels in the scene: rasterized by the pipeline, shown as unlit quads facing the user.
//!
//! A panel's texture is rebuilt only when its text changes, at the size the
//! profile asks for as seen from where the user's head is at that moment.

use crate::panel_raster::{PanelRasterWorker, RasterJob, Rastered};
use crate::rig::Rig;
use crate::session::{PanelKind, PresentedEvent, SessionClock, SessionReport, UserProfile};
use crate::session::{realtime, stepped};
use allverse_core::panel_text::LineWeight;
use allverse_core::placement::needs_resize;
use allverse_core::profile::Profile;
use allverse_core::vision;
use allverse_pipeline::panel::{PanelLine, PanelTextStyle};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;

/// Text shown on a panel in the world. Changing `lines` re-renders it.
#[derive(Component, Clone, Debug, PartialEq)]
#[require(Transform, Visibility)]
pub struct TextPanel {
    /// Stable name used in the session report.
    pub id: String,
    pub kind: PanelKind,
    pub lines: Vec<PanelLine>,
}

impl TextPanel {
    pub fn single(id: impl Into<String>, kind: PanelKind, text: impl Into<String>, bold: bool) -> Self {
        let line = if bold { PanelLine::bold(text) } else { PanelLine::regular(text) };
        Self { id: id.into(), kind, lines: vec![line] }
    }

    /// The panel's text as one string, lines separated by newlines.
    pub fn text(&self) -> String {
        self.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n")
    }
}

/// Texture pixels per display pixel (see [`PanelAppearance::from_profile`]).
const TEXTURE_OVERSAMPLING: f32 = 2.0;

/// How panels look, from the user's profile.
#[derive(Resource, Clone, Copy, Debug, PartialEq)]
pub struct PanelAppearance {
    pub cap_height_deg: f32,
    pub style: PanelTextStyle,
    /// Texture density, pixels per degree of the user's view.
    pub pixels_per_degree: f32,
    /// Text boost (`vision.text_boost`): regular lines are drawn bold.
    pub all_bold: bool,
}

impl PanelAppearance {
    /// `display_pixels_per_degree` is the density of the display the panels
    /// are seen on; textures get twice that, so text stays crisp when a panel
    /// is seen from up to half its sizing distance without needing mipmaps.
    /// The same texture density with the profile's text size and colours.
    pub fn restyled(&self, profile: &Profile) -> Self {
        Self::from_profile(profile, self.pixels_per_degree / TEXTURE_OVERSAMPLING)
    }

    /// With text boost on, text is larger, bold, at full contrast on an opaque background.
    /// While a vision tool recolours the scene, backgrounds are opaque too:
    /// a brightened or inverted scene showing through would otherwise pull
    /// text contrast under 4.5:1.
    pub fn from_profile(profile: &Profile, display_pixels_per_degree: f32) -> Self {
        let display = &profile.display;
        let boost = profile.vision.text_boost;
        let opacity =
            if boost || profile.vision.changes_scene() { 1.0 } else { display.panel_background_opacity };
        let (theme, cap_height_deg) = if boost {
            let cap = (display.caption_cap_height_deg * vision::TEXT_BOOST_SCALE)
                .max(vision::TEXT_BOOST_MIN_CAP_HEIGHT_DEG);
            (vision::boosted_theme(display.contrast_theme), cap)
        } else {
            (display.contrast_theme, display.caption_cap_height_deg)
        };
        let (text, background) = theme.colors();
        let alpha = (opacity * 255.0).round() as u8;
        Self {
            cap_height_deg,
            style: PanelTextStyle { text, background: background.with_alpha(alpha) },
            pixels_per_degree: TEXTURE_OVERSAMPLING * display_pixels_per_degree,
            all_bold: boost,
        }
    }
}

/// What a panel was last rendered with: the report tells shown, changed
/// and resized panels apart by it, and it says when to resize.
#[derive(Component)]
struct Rendered {
    /// The texture and quad are updated in place when the text changes: a
    /// new image asset is not on the GPU until the frame after, so swapping
    /// in a new one would make the panel vanish for a frame on every
    /// caption update. The material is touched too, so that its bind group
    /// picks up the re-uploaded texture in the same frame.
    material: Handle<StandardMaterial>,
    texture: Handle<Image>,
    mesh: Handle<Mesh>,
    text: String,
    sized_for_distance_m: f32,
    /// What the user was last told about drawing this panel.
    notices: Vec<String>,
}

/// Closest distance used to size text, so a panel at the user's face does not shrink to nothing.
const MIN_SIZING_DISTANCE_M: f32 = 0.5;

/// A panel's size in the room, known once it has been drawn.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct PanelSize(pub Vec2);

/// A panel could only be drawn with a change the user should know of:
/// characters no installed font has, text made smaller to fit, or text cut.
#[derive(Message, Clone, Debug)]
pub struct PanelNoticed {
    pub panel: String,
    /// What happened, in the user's words.
    pub text: String,
}

/// Panel placement and drawing; anything that moves panels after them (to keep them clear of something) runs after this.
#[derive(SystemSet, Clone, Debug, PartialEq, Eq, Hash)]
pub struct PanelSystems;

/// Moving panels so none covers another: after [`PanelSystems`] and anything
/// that keeps panels clear of one thing in particular.
#[derive(SystemSet, Clone, Debug, PartialEq, Eq, Hash)]
pub struct PanelLayoutSystems;

/// Text panels drawn at the profile's size for a display of `display_pixels_per_degree`.
pub struct PanelPlugin {
    pub display_pixels_per_degree: f32,
}

impl Plugin for PanelPlugin {
    fn build(&self, app: &mut App) {
        let profile = &app.world().resource::<UserProfile>().profile;
        let appearance = PanelAppearance::from_profile(profile, self.display_pixels_per_degree);
        app.insert_resource(appearance)
            .insert_non_send(PanelRasterWorker::default())
            .add_message::<PanelNoticed>()
            .add_systems(
                PostUpdate,
                (
                    follow_the_head,
                    keep_angular_size,
                    request_changed_panels,
                    // In step with the simulator's frames, so captures and reports repeat exactly.
                    show_rastered_panels::<true>.run_if(stepped),
                    show_rastered_panels::<false>.run_if(realtime),
                    face_the_user,
                )
                    .chain()
                    .in_set(PanelSystems)
                    .before(TransformSystems::Propagate),
            )
            .add_observer(report_removed_panel);
    }
}

/// The assets a textured quad in the scene is made of.
#[derive(SystemParam)]
pub struct QuadAssets<'w> {
    pub images: ResMut<'w, Assets<Image>>,
    pub meshes: ResMut<'w, Assets<Mesh>>,
    pub materials: ResMut<'w, Assets<StandardMaterial>>,
}

/// Where problems in drawing a panel are told.
#[derive(SystemParam)]
struct PanelReporting<'w> {
    clock: Res<'w, SessionClock>,
    report: ResMut<'w, SessionReport>,
    noticed: MessageWriter<'w, PanelNoticed>,
}

/// Sends each panel whose text (or size) changed to the rasterizing worker, at the user's text settings.
fn request_changed_panels(
    panels: Query<(Entity, &TextPanel, &Transform), Changed<TextPanel>>,
    rig: Res<Rig>,
    appearance: Res<PanelAppearance>,
    mut worker: NonSendMut<PanelRasterWorker>,
) {
    for (entity, panel, transform) in &panels {
        let lines = if appearance.all_bold {
            panel
                .lines
                .iter()
                .map(|line| match line.weight {
                    LineWeight::Regular => PanelLine::bold(line.text.clone()),
                    _ => line.clone(),
                })
                .collect()
        } else {
            panel.lines.clone()
        };
        worker.send(RasterJob {
            entity,
            lines,
            text: panel.text(),
            cap_height_deg: appearance.cap_height_deg,
            viewing_distance_m: sizing_distance_m(&rig, transform),
            pixels_per_degree: appearance.pixels_per_degree,
            style: appearance.style,
        });
    }
}

/// Puts each image the worker finished on its panel (with `WAIT`, every one sent so far, waiting for them).
fn show_rastered_panels<const WAIT: bool>(
    mut commands: Commands,
    panels: Query<(&TextPanel, &Transform, Option<&Rendered>)>,
    mut worker: NonSendMut<PanelRasterWorker>,
    mut reporting: PanelReporting,
    mut assets: QuadAssets,
) {
    let QuadAssets { images, meshes, materials } = &mut assets;
    let PanelReporting { clock, report, noticed } = &mut reporting;
    while let Some(Rastered { job, image }) = worker.next(WAIT) {
        // A panel removed while it was being drawn needs nothing more.
        let Ok((panel, transform, rendered)) = panels.get(job.entity) else { continue };
        let (entity, distance_m, text) = (job.entity, job.viewing_distance_m, job.text);
        let image = match image {
            Ok(image) => image,
            Err(e) => {
                // Keep the previous texture: a stale caption beats a missing one.
                error!("panel `{}` could not be drawn: {e}", panel.id);
                continue;
            }
        };
        let notices: Vec<String> = image.notices.iter().map(ToString::to_string).collect();
        if rendered.is_none_or(|r| r.notices != notices) {
            for text in &notices {
                warn!("panel `{}`: {text}", panel.id);
                report.record(
                    clock.elapsed_s(),
                    PresentedEvent::PanelNotice { panel: panel.id.clone(), notice: text.clone() },
                );
                noticed.write(PanelNoticed { panel: panel.id.clone(), text: text.clone() });
            }
        }
        let size_m = [image.world_width_m, image.world_height_m];
        let quad = Mesh::from(Rectangle::new(image.world_width_m, image.world_height_m));
        let t_s = clock.elapsed_s();
        match rendered {
            Some(rendered) => {
                // `insert`, not `get_mut`: the main world drops its copy of
                // a render-world-only texture once uploaded.
                if let Err(e) = images
                    .insert(&rendered.texture, image.texture)
                    .and_then(|()| meshes.insert(&rendered.mesh, quad))
                {
                    error!("panel `{}` could not be updated: {e}", panel.id);
                }
                // Re-point the material at the same texture: this marks it
                // changed, so its bind group is rebuilt (see `Rendered`).
                if let Some(mut material) = materials.get_mut(&rendered.material) {
                    material.base_color_texture = Some(rendered.texture.clone());
                }
                let (panel_id, kind) = (panel.id.clone(), panel.kind);
                report.record(
                    t_s,
                    if rendered.text == text {
                        PresentedEvent::PanelResized { panel: panel_id, kind, size_m }
                    } else {
                        PresentedEvent::PanelText { panel: panel_id, kind, text: text.clone(), size_m }
                    },
                );
                commands.entity(entity).insert(PanelSize(Vec2::from(size_m))).insert(Rendered {
                    material: rendered.material.clone(),
                    texture: rendered.texture.clone(),
                    mesh: rendered.mesh.clone(),
                    text,
                    sized_for_distance_m: distance_m,
                    notices,
                });
            }
            None => {
                let texture = images.add(image.texture);
                let mesh = meshes.add(quad);
                let material = materials.add(StandardMaterial {
                    base_color_texture: Some(texture.clone()),
                    unlit: true,
                    alpha_mode: AlphaMode::Blend,
                    cull_mode: None,
                    ..default()
                });
                report.record(
                    t_s,
                    PresentedEvent::PanelShown {
                        panel: panel.id.clone(),
                        kind: panel.kind,
                        text: text.clone(),
                        position_m: transform.translation.to_array(),
                        size_m,
                    },
                );
                commands.entity(entity).insert((
                    PanelSize(Vec2::from(size_m)),
                    Mesh3d(mesh.clone()),
                    MeshMaterial3d(material.clone()),
                    Rendered { material, texture, mesh, text, sized_for_distance_m: distance_m, notices },
                ));
            }
        }
    }
}

fn sizing_distance_m(rig: &Rig, transform: &Transform) -> f32 {
    rig.head.translation.distance(transform.translation).max(MIN_SIZING_DISTANCE_M)
}

/// Re-renders panels whose viewing distance has changed enough that their
/// text no longer has the angular size the user asked for.
fn keep_angular_size(rig: Res<Rig>, mut panels: Query<(&Transform, &Rendered, &mut TextPanel)>) {
    for (transform, rendered, mut panel) in &mut panels {
        if needs_resize(rendered.sized_for_distance_m, sizing_distance_m(&rig, transform)) {
            panel.set_changed();
        }
    }
}

fn report_removed_panel(
    removed: On<Remove, TextPanel>,
    panels: Query<&TextPanel>,
    clock: Res<SessionClock>,
    mut report: ResMut<SessionReport>,
) {
    if let Ok(panel) = panels.get(removed.entity) {
        report.record(clock.elapsed_s(), PresentedEvent::PanelHidden { panel: panel.id.clone() });
    }
}

/// Keeps a panel at a fixed offset from the head, for things that must be
/// seen wherever the user looks.
#[derive(Component, Clone, Copy, Debug)]
pub struct HeadLocked {
    /// Offset in the head's frame (−Z is ahead).
    pub head_offset_m: Vec3,
}

/// Like [`HeadLocked`], but lazy: the panel stays put through small head
/// movements and glides after larger ones. Text that is welded to the head
/// moves with every tremor, which some people find hard to read or
/// nauseating.
#[derive(Component, Clone, Copy, Debug)]
pub struct LazyFollow {
    pub head_offset_m: Vec3,
    placed: bool,
    /// Set while gliding; cleared once the panel has caught up.
    catching_up: bool,
}

impl LazyFollow {
    pub fn new(head_offset_m: Vec3) -> Self {
        Self { head_offset_m, placed: false, catching_up: false }
    }
}

/// Head turns within this angle leave a lazy panel where it is.
const LAZY_DEAD_ZONE_DEG: f32 = 12.0;
/// Once gliding, it stops this close to its place.
const LAZY_SETTLED_DEG: f32 = 1.0;
/// Time constant of the glide.
const LAZY_GLIDE_S: f32 = 0.3;

fn follow_the_head(
    rig: Res<Rig>,
    clock: Res<SessionClock>,
    user: Res<UserProfile>,
    mut locked: Query<(&HeadLocked, &mut Transform), Without<LazyFollow>>,
    mut lazy: Query<(&mut LazyFollow, &mut Transform), Without<HeadLocked>>,
) {
    for (locked, mut transform) in &mut locked {
        transform.translation = rig.head.transform_point(locked.head_offset_m);
    }
    let head = rig.head.translation;
    for (mut follow, mut transform) in &mut lazy {
        let target = rig.head.transform_point(follow.head_offset_m);
        if !follow.placed {
            transform.translation = target;
            follow.placed = true;
            continue;
        }
        let off_deg = (transform.translation - head).angle_between(target - head).to_degrees();
        if off_deg > LAZY_DEAD_ZONE_DEG {
            follow.catching_up = true;
        }
        if follow.catching_up && user.profile.vision.reduce_motion {
            // No glide with reduced motion: it jumps to its place.
            transform.translation = target;
            follow.catching_up = false;
        } else if follow.catching_up {
            let blend = 1.0 - (-clock.step_s() / LAZY_GLIDE_S).exp();
            transform.translation = transform.translation.lerp(target, blend);
            // Keep the viewing distance while gliding.
            transform.translation =
                head + (transform.translation - head).normalize_or_zero() * (target - head).length();
            follow.catching_up = off_deg > LAZY_SETTLED_DEG;
        }
    }
}

/// Something other than a text panel that turns to face the user, e.g. interpreter video.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct FacesUser;

/// Text panels and other things that face the user.
type FacingUser = Or<(With<TextPanel>, With<FacesUser>)>;

/// Turns every panel about the vertical axis to face the user's head.
fn face_the_user(rig: Res<Rig>, mut panels: Query<&mut Transform, FacingUser>) {
    for mut transform in &mut panels {
        let mut away = transform.translation - rig.head.translation;
        away.y = 0.0;
        if away.length_squared() > 1e-6 {
            // The quad's front is +Z, so point −Z (Bevy's "forward") away from the user.
            transform.look_to(away, Vec3::Y);
        }
    }
}

/// A texture with its full mip chain and trilinear filtering, so text stays
/// smooth when the panel is seen from farther away than it was sized for.
#[cfg(test)]
mod tests {
    use super::*;

    struct LazyPanel {
        app: App,
        panel: Entity,
        t_s: f64,
    }

    impl LazyPanel {
        fn new() -> Self {
            Self::with_profile(Profile::default())
        }

        fn with_profile(profile: Profile) -> Self {
            let mut app = App::new();
            app.insert_resource(Rig::default())
                .insert_resource(SessionClock::new())
                .insert_resource(UserProfile { profile, store: None })
                .add_systems(Update, follow_the_head);
            let panel = app
                .world_mut()
                .spawn((LazyFollow::new(Vec3::new(0.0, 0.0, -1.6)), Transform::default()))
                .id();
            let mut this = Self { app, panel, t_s: 0.0 };
            this.turn_head_to(0.0);
            this
        }

        /// Advances one 90 Hz frame with the head at `yaw_deg`; returns
        /// the panel's direction from the head, as a yaw in degrees.
        fn turn_head_to(&mut self, yaw_deg: f32) -> f32 {
            self.t_s += 1.0 / 90.0;
            let world = self.app.world_mut();
            world.resource_mut::<SessionClock>().step_to(self.t_s);
            world.resource_mut::<Rig>().head.rotation = Quat::from_rotation_y(yaw_deg.to_radians());
            self.app.update();
            let head = self.app.world().resource::<Rig>().head.translation;
            let to_panel = self.app.world().get::<Transform>(self.panel).unwrap().translation - head;
            (-to_panel.x).atan2(-to_panel.z).to_degrees()
        }
    }

    #[test]
    fn lazy_panels_ignore_small_head_turns() {
        let mut panel = LazyPanel::new();
        for _ in 0..90 {
            assert!(panel.turn_head_to(8.0).abs() < 1e-3, "stays ahead of where the head was");
        }
    }

    #[test]
    fn lazy_panels_glide_after_large_head_turns() {
        let mut panel = LazyPanel::new();
        let first = panel.turn_head_to(40.0);
        assert!(first > 0.0 && first < 20.0, "moves, but not in one jump: {first}");
        let mut yaw = first;
        // Two seconds: the glide's time constant is 0.3 s.
        for _ in 0..180 {
            yaw = panel.turn_head_to(40.0);
        }
        assert!((yaw - 40.0).abs() <= LAZY_SETTLED_DEG + 0.1, "settles in front of the head: {yaw}");
    }

    #[test]
    fn with_reduced_motion_lazy_panels_jump_instead_of_gliding() {
        let mut profile = Profile::default();
        profile.vision.reduce_motion = true;
        let mut panel = LazyPanel::with_profile(profile);
        assert!(panel.turn_head_to(8.0).abs() < 1e-3, "small turns still leave it");
        assert!((panel.turn_head_to(40.0) - 40.0).abs() < 1e-3, "a large turn puts it in front at once");
    }
}
