//! Where captions stand: beside the speaker, in view, or left in the world, with an arrow toward a speaker out of view.

use super::show::Captioning;
use crate::panels::{HeadLocked, LazyFollow, TextPanel};
use crate::rig::Rig;
use crate::scene::People;
use crate::session::UserProfile;
use allverse_core::caption::speaker_label;
use allverse_core::caption_placement::{CaptionAnchor, caption_spot};
use allverse_core::panel_text::PanelLine;
use allverse_core::placement::FieldOfView;
use bevy::prelude::*;

/// Beside the speaker: toward the user and below the eyes, clear of the face.
const CAPTION_TOWARD_USER_M: f32 = 0.35;
const CAPTION_BELOW_EYES_M: f32 = 0.4;
/// In view: ahead of and below the centre of view, where captions are read on TV.
const VIEW_OFFSET_M: Vec3 = Vec3::new(0.0, -0.45, -1.6);

/// A world-locked caption that has been put in its place.
#[derive(Component)]
pub(super) struct WorldPlaced;

/// How each caption panel is held in place now.
type Holding = (Has<LazyFollow>, Has<WorldPlaced>);

/// Puts each caption beside its speaker or in view, per the profile, and
/// marks the direction to a speaker who is out of view.
pub(super) fn place_captions(
    mut commands: Commands,
    people: Res<People>,
    user: Res<UserProfile>,
    rig: Res<Rig>,
    captioning: NonSend<Captioning>,
    mut panels: Query<(&mut TextPanel, &mut Transform, Holding)>,
) {
    let world_from_head = rig.head.compute_affine();
    for (person, speaker) in people.0.iter().zip(&captioning.speakers) {
        let Some(entity) = speaker.panel else { continue };
        let Ok((mut panel, mut transform, (lazy, world_placed))) = panels.get_mut(entity) else { continue };
        let spot = caption_spot(
            user.profile.captions.placement,
            &world_from_head,
            person.head_m,
            FieldOfView::HEADSET,
        );
        let mut panel_entity = commands.entity(entity);
        match spot.anchor {
            CaptionAnchor::Speaker => {
                let mut toward_user = rig.head.translation - person.head_m;
                toward_user.y = 0.0;
                transform.translation = person.head_m
                    + toward_user.normalize_or_zero() * CAPTION_TOWARD_USER_M
                    - Vec3::Y * CAPTION_BELOW_EYES_M;
                panel_entity.remove::<(HeadLocked, LazyFollow)>();
            }
            CaptionAnchor::View { lazy: false } => {
                panel_entity.remove::<LazyFollow>().insert(HeadLocked { head_offset_m: VIEW_OFFSET_M });
            }
            CaptionAnchor::View { lazy: true } => {
                if !lazy {
                    panel_entity.remove::<HeadLocked>().insert(LazyFollow::new(VIEW_OFFSET_M));
                }
            }
            CaptionAnchor::World => {
                if !world_placed {
                    transform.translation = rig.head.transform_point(VIEW_OFFSET_M);
                    panel_entity.insert(WorldPlaced);
                }
            }
        }
        let label = speaker_label(&person.name, spot.arrow);
        if panel.lines.first().is_some_and(|line| line.text != label) {
            panel.lines[0] = PanelLine::bold(label);
        }
    }
}
