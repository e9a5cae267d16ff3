//! Where a caption panel goes, for each placement mode in the profile.
//!
//! The rule behind the default ("hybrid"): a caption reads best beside the
//! person speaking, so the reader sees the face and the words together; but
//! when the speaker is out of view, a caption beside them would be missed,
//! so it moves to near the centre of view and carries an arrow pointing to
//! where the speaker is. Arrows are text, never colour alone.

use crate::placement::{FieldOfView, head_relative};
use crate::profile::CaptionPlacement;
use glam::{Affine3A, Vec3};

/// Which way to turn to find the speaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrow {
    Left,
    Right,
    Up,
    Down,
}

impl Arrow {
    /// Glyphs the bundled font has.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Left => "<<",
            Self::Right => ">>",
            Self::Up => "^",
            Self::Down => "v",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptionAnchor {
    /// Beside the speaker, in the world.
    Speaker,
    /// Below the centre of view, following the head (instantly or lazily).
    View { lazy: bool },
    /// Where it was first placed in the room.
    World,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaptionSpot {
    pub anchor: CaptionAnchor,
    /// Shown when the speaker is out of view and the caption is not beside them.
    pub arrow: Option<Arrow>,
}

/// Decides a caption's anchor and arrow for the speaker at `speaker_m`.
pub fn caption_spot(
    mode: CaptionPlacement,
    world_from_head: &Affine3A,
    speaker_m: Vec3,
    field_of_view: FieldOfView,
) -> CaptionSpot {
    let in_view = field_of_view.contains(world_from_head, speaker_m);
    let anchor = match mode {
        CaptionPlacement::SpeakerAnchored => CaptionAnchor::Speaker,
        CaptionPlacement::HeadLocked => CaptionAnchor::View { lazy: false },
        CaptionPlacement::LazyFollow => CaptionAnchor::View { lazy: true },
        CaptionPlacement::WorldLocked => CaptionAnchor::World,
        CaptionPlacement::Hybrid if in_view => CaptionAnchor::Speaker,
        CaptionPlacement::Hybrid => CaptionAnchor::View { lazy: false },
    };
    let arrow =
        (!in_view && anchor != CaptionAnchor::Speaker).then(|| arrow_toward(world_from_head, speaker_m));
    CaptionSpot { anchor, arrow }
}

/// The shorter way to turn (or look) toward `point_world`.
pub fn arrow_toward(world_from_head: &Affine3A, point_world: Vec3) -> Arrow {
    let relative = head_relative(world_from_head, point_world);
    if relative.pitch_deg.abs() > relative.yaw_deg.abs() {
        if relative.pitch_deg > 0.0 { Arrow::Up } else { Arrow::Down }
    } else if relative.yaw_deg > 0.0 {
        Arrow::Left
    } else {
        Arrow::Right
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::world_from_head;

    const FOV: FieldOfView = FieldOfView::HEADSET;

    fn head_facing(yaw_deg: f32) -> Affine3A {
        world_from_head(Vec3::new(0.0, 1.6, 0.0), yaw_deg, 0.0)
    }

    #[test]
    fn hybrid_is_beside_a_visible_speaker_without_arrow() {
        let speaker = Vec3::new(0.0, 1.6, -3.0);
        let spot = caption_spot(CaptionPlacement::Hybrid, &head_facing(0.0), speaker, FOV);
        assert_eq!(spot, CaptionSpot { anchor: CaptionAnchor::Speaker, arrow: None });
    }

    #[test]
    fn hybrid_moves_to_the_view_with_an_arrow_when_the_speaker_is_out_of_view() {
        // Speaker straight ahead in the world; the user has turned 120° left,
        // so the speaker is now behind-right.
        let speaker = Vec3::new(0.0, 1.6, -3.0);
        let spot = caption_spot(CaptionPlacement::Hybrid, &head_facing(120.0), speaker, FOV);
        assert_eq!(
            spot,
            CaptionSpot { anchor: CaptionAnchor::View { lazy: false }, arrow: Some(Arrow::Right) }
        );
        let spot = caption_spot(CaptionPlacement::Hybrid, &head_facing(-120.0), speaker, FOV);
        assert_eq!(spot.arrow, Some(Arrow::Left));
    }

    #[test]
    fn arrows_point_up_and_down_for_speakers_above_and_below() {
        let head = head_facing(0.0);
        assert_eq!(arrow_toward(&head, Vec3::new(0.0, 8.0, -1.0)), Arrow::Up);
        assert_eq!(arrow_toward(&head, Vec3::new(0.2, -3.0, -0.5)), Arrow::Down);
        assert_eq!(arrow_toward(&head, Vec3::new(-3.0, 1.6, 0.0)), Arrow::Left);
    }

    #[test]
    fn fixed_modes_keep_their_anchor() {
        let behind = Vec3::new(0.0, 1.6, 3.0);
        let head = head_facing(0.0);
        let spot = |mode| caption_spot(mode, &head, behind, FOV);
        assert_eq!(
            spot(CaptionPlacement::SpeakerAnchored),
            CaptionSpot { anchor: CaptionAnchor::Speaker, arrow: None }
        );
        assert_eq!(spot(CaptionPlacement::HeadLocked).anchor, CaptionAnchor::View { lazy: false });
        assert_eq!(spot(CaptionPlacement::LazyFollow).anchor, CaptionAnchor::View { lazy: true });
        assert!(spot(CaptionPlacement::WorldLocked).arrow.is_some());
    }
}
