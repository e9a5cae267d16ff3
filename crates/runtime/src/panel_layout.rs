//! Panels never cover each other: after every feature has placed its panels, overlaps are settled.
//!
//! Ranks say which panel keeps its place (see `allverse_core::layout`):
//! what the user asked for or must act on (menus, alerts, notices) first,
//! then what is being said (captions, the interpreter's label), then the
//! labels of the room (signs, name tags), which move up or down to make way.

use crate::panels::{PanelLayoutSystems, PanelSize, PanelSystems, TextPanel};
use crate::rig::{HeadCamera, Rig};
use crate::session::PanelKind;
use allverse_core::interpreting::AngularBox;
use allverse_core::layout::{LayoutBox, declutter};
use allverse_core::placement::{FieldOfView, head_relative};
use bevy::prelude::*;

/// Settles panel overlaps each frame.
pub struct PanelLayoutPlugin;

impl Plugin for PanelLayoutPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(
            PostUpdate,
            declutter_panels
                .in_set(PanelLayoutSystems)
                .after(PanelSystems)
                .before(TransformSystems::Propagate),
        );
    }
}

fn rank(kind: PanelKind) -> u8 {
    match kind {
        // Never moved: the microphone's state must stay where the user knows to look.
        PanelKind::Indicator => 8,
        PanelKind::Menu => 7,
        PanelKind::Alert => 6,
        PanelKind::Notice => 5,
        PanelKind::Caption | PanelKind::Interpreter | PanelKind::Chat => 4,
        PanelKind::Sign => 3,
        PanelKind::NameTag => 2,
    }
}

/// Moves lower-ranked panels off higher-ranked ones, turning them about the head's right axis.
fn declutter_panels(
    rig: Res<Rig>,
    cameras: Query<&Projection, With<HeadCamera>>,
    mut panels: Query<(&TextPanel, &PanelSize, &mut Transform)>,
) {
    let world_from_head = rig.world_from_head();
    let half_vertical_fov_deg = match cameras.iter().next() {
        Some(Projection::Perspective(p)) => p.fov.to_degrees() / 2.0,
        _ => FieldOfView::HEADSET.half_vertical_deg,
    };
    // Only panels in front of the user can cover one another.
    let mut boxes = Vec::new();
    let mut entities = Vec::new();
    for (index, (panel, size, transform)) in panels.iter().enumerate() {
        let seen = head_relative(&world_from_head, transform.translation);
        if seen.yaw_deg.abs() < 90.0 {
            boxes.push(LayoutBox { seen: AngularBox::new(seen, size.0.to_array()), rank: rank(panel.kind) });
            entities.push(index);
        }
    }
    if boxes.len() < 2 {
        return;
    }
    let shifts = declutter(&boxes, half_vertical_fov_deg);
    let (head, right) = (rig.head.translation, *rig.head.right());
    for (index, (_, _, mut transform)) in panels.iter_mut().enumerate() {
        let Some(slot) = entities.iter().position(|i| *i == index) else { continue };
        let shift_deg = shifts[slot];
        if shift_deg != 0.0 {
            // Pitching up turns about the head's right axis, counter-clockwise.
            let turn = Quat::from_axis_angle(right, shift_deg.to_radians());
            transform.translation = head + turn * (transform.translation - head);
        }
    }
}
