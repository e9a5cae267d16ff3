//! The sign-language interpreter panel: how big it must be, where it goes, and keeping it clear.
//!
//! Sizes follow the W3C XR Accessibility User Requirements: the
//! interpreter is shown at no less than a third of the size at which the
//! original signer would be seen, and never cropped, so the whole signing
//! space (head to waist, both hands out) stays visible. The user's profile
//! chooses the placement, a size and an offset; the rules here keep the
//! panel usable whatever they choose.

use crate::placement::{HeadRelative, angle_for_world_size_deg, world_size_for_angle_m};
use glam::Vec3;
use serde::{Deserialize, Serialize};

/// The height of a signer's signing space, head to waist, in metres.
pub const SIGNING_SPACE_HEIGHT_M: f32 = 0.9;
/// Default panel height as seen by the user: large enough to read hand
/// shapes and faces comfortably at headset resolutions.
pub const DEFAULT_PANEL_HEIGHT_DEG: f32 = 18.0;
/// Space between the stage and a panel beside it.
const BESIDE_STAGE_GAP_M: f32 = 0.4;

/// Where the interpreter panel is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelPlacement {
    /// In the room beside the stage, so speaker and signer are seen together.
    #[default]
    BesideStage,
    /// Fixed in view.
    HeadLocked,
    /// In view, trailing head turns.
    LazyFollow,
}

/// The profile's `[interpreting]` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InterpretingSettings {
    /// The language channel followed: `floor`, or a channel id from the event (`bsl`, `fr`…).
    pub channel: String,
    pub placement: PanelPlacement,
    /// Panel size relative to the default, 0.5–3 (never below a third of the signer's size).
    pub size_scale: f32,
    /// Where the user moved the panel from its default place, metres (in the room, or in view).
    pub offset_m: [f32; 3],
}

impl Default for InterpretingSettings {
    fn default() -> Self {
        Self {
            channel: "floor".into(),
            placement: PanelPlacement::default(),
            size_scale: 1.0,
            offset_m: [0.0; 3],
        }
    }
}

/// The smallest angular height allowed: a third of the signer's angular size from where the user is.
pub fn min_panel_height_deg(stage_distance_m: f32) -> f32 {
    angle_for_world_size_deg(SIGNING_SPACE_HEIGHT_M, stage_distance_m.max(0.5)) / 3.0
}

/// The panel's angular height for these settings.
pub fn panel_height_deg(settings: &InterpretingSettings, stage_distance_m: f32) -> f32 {
    (DEFAULT_PANEL_HEIGHT_DEG * settings.size_scale).max(min_panel_height_deg(stage_distance_m))
}

/// The panel's width and height in metres at `distance_m`, showing the whole
/// frame (`aspect` = width / height of the video): scaled, never cropped.
pub fn panel_size_m(height_deg: f32, distance_m: f32, aspect: f32) -> [f32; 2] {
    let height_m = world_size_for_angle_m(height_deg, distance_m);
    [height_m * aspect, height_m]
}

/// The default place beside the stage: to its right as the user sees it, at the stage's height.
pub fn beside_stage(stage_m: Vec3, head_m: Vec3, panel_width_m: f32) -> Vec3 {
    let mut toward_user = head_m - stage_m;
    toward_user.y = 0.0;
    let toward_user = toward_user.try_normalize().unwrap_or(Vec3::Z);
    // The user's right, seen facing the stage.
    let right = Vec3::Y.cross(toward_user).normalize();
    stage_m + right * (panel_width_m / 2.0 + BESIDE_STAGE_GAP_M)
}

/// Something seen from the head, as the angles it covers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AngularBox {
    pub centre: HeadRelative,
    pub half_width_deg: f32,
    pub half_height_deg: f32,
}

impl AngularBox {
    pub fn new(centre: HeadRelative, size_m: [f32; 2]) -> Self {
        let distance_m = centre.distance_m.max(0.1);
        Self {
            centre,
            half_width_deg: angle_for_world_size_deg(size_m[0], distance_m) / 2.0,
            half_height_deg: angle_for_world_size_deg(size_m[1], distance_m) / 2.0,
        }
    }

    pub fn overlaps(&self, other: &AngularBox) -> bool {
        (self.centre.yaw_deg - other.centre.yaw_deg).abs() < self.half_width_deg + other.half_width_deg
            && (self.centre.pitch_deg - other.centre.pitch_deg).abs()
                < self.half_height_deg + other.half_height_deg
    }
}

/// How far (degrees of pitch, negative is down) `moving` must go to clear
/// `fixed` with a `gap_deg` margin; `None` if it already does, or if it is
/// behind (farther than) `fixed` and so cannot cover it.
pub fn pitch_to_clear(moving: &AngularBox, fixed: &AngularBox, gap_deg: f32) -> Option<f32> {
    if !moving.overlaps(fixed) || moving.centre.distance_m > fixed.centre.distance_m {
        return None;
    }
    let reach = moving.half_height_deg + fixed.half_height_deg + gap_deg;
    let below = fixed.centre.pitch_deg - reach - moving.centre.pitch_deg;
    let above = fixed.centre.pitch_deg + reach - moving.centre.pitch_deg;
    // Whichever way is shorter; captions usually go below.
    Some(if below.abs() <= above.abs() { below } else { above })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_panel_is_never_below_a_third_of_the_signers_size() {
        let tiny = InterpretingSettings { size_scale: 0.01, ..Default::default() };
        for distance_m in [1.0, 2.0, 4.0, 10.0] {
            let real_deg = angle_for_world_size_deg(SIGNING_SPACE_HEIGHT_M, distance_m);
            let panel_deg = panel_height_deg(&tiny, distance_m);
            assert!(panel_deg + 1e-4 >= real_deg / 3.0, "at {distance_m} m: {panel_deg}° < {real_deg}°/3");
        }
        let default = panel_height_deg(&InterpretingSettings::default(), 4.0);
        assert!(
            default >= angle_for_world_size_deg(SIGNING_SPACE_HEIGHT_M, 4.0),
            "by default, at least life size"
        );
        let bigger = InterpretingSettings { size_scale: 1.5, ..Default::default() };
        assert!((panel_height_deg(&bigger, 4.0) - 1.5 * DEFAULT_PANEL_HEIGHT_DEG).abs() < 1e-4);
    }

    #[test]
    fn the_whole_frame_is_shown() {
        let [w, h] = panel_size_m(24.0, 2.0, 16.0 / 9.0);
        assert!((w / h - 16.0 / 9.0).abs() < 1e-5, "aspect kept: nothing cropped");
        assert!((angle_for_world_size_deg(h, 2.0) - 24.0).abs() < 1e-3);
    }

    #[test]
    fn beside_the_stage_is_to_the_users_right_and_clear_of_it() {
        let stage = Vec3::new(0.0, 1.6, -4.0);
        let spot = beside_stage(stage, Vec3::new(0.0, 1.6, 0.0), 1.0);
        assert!(spot.x > 0.8 && (spot.z - stage.z).abs() < 1e-5 && spot.y == stage.y, "{spot}");
    }

    #[test]
    fn a_caption_over_the_panel_is_moved_clear_of_it_and_one_behind_is_left() {
        let at = |yaw_deg, pitch_deg, distance_m| HeadRelative { yaw_deg, pitch_deg, distance_m };
        let panel = AngularBox { centre: at(-20.0, 0.0, 3.0), half_width_deg: 8.0, half_height_deg: 12.0 };
        let caption = AngularBox { centre: at(-15.0, -5.0, 1.6), half_width_deg: 10.0, half_height_deg: 2.0 };
        let shift = pitch_to_clear(&caption, &panel, 1.0).expect("it covers the signer");
        let moved = AngularBox { centre: at(-15.0, -5.0 + shift, 1.6), ..caption };
        assert!(!moved.overlaps(&panel) && shift < 0.0, "moved down, clear: {shift}");
        let far = AngularBox { centre: at(-15.0, -5.0, 5.0), ..caption };
        assert_eq!(pitch_to_clear(&far, &panel, 1.0), None, "behind the panel it covers nothing");
    }
}
