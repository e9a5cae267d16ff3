//! Comfort while the view moves: a vignette after turns, teleports and fast head motion.
//!
//! Narrowing the field of view during movement reduces vection, the main
//! cause of cybersickness (Fernandes & Feiner, "Combating VR Sickness
//! through Subtle Dynamic Field-Of-View Modification", IEEE 3DUI 2016).
//! Motion is measured on session time, so the simulator shows it the same
//! way on every machine.

use crate::rig::Rig;
use crate::session::SessionClock;
use bevy::prelude::*;

/// Head turning faster than this counts as movement (degrees per second).
const TURN_DEG_PER_S: f32 = 60.0;
/// Head or body moving faster than this counts as movement (metres per second).
const MOVE_M_PER_S: f32 = 1.0;
/// The vignette stays this long after movement stops, then fades over as long again.
const HOLD_S: f32 = 0.3;

/// How strongly to vignette the view now, 0 to 1.
#[derive(Resource)]
pub(crate) struct MotionComfort {
    pub vignette: f32,
    last: Option<(f32, Transform)>,
    moving_until_s: f32,
}

impl Default for MotionComfort {
    fn default() -> Self {
        Self { vignette: 0.0, last: None, moving_until_s: f32::NEG_INFINITY }
    }
}

/// Compares the head with the previous frame's, in the world (so snap turns and teleports count).
pub(crate) fn track_motion(rig: Res<Rig>, clock: Res<SessionClock>, mut comfort: ResMut<MotionComfort>) {
    let now_s = clock.elapsed_s();
    if let Some((then_s, head)) = comfort.last {
        let dt_s = now_s - then_s;
        if dt_s > 0.0 {
            let turned_deg = head.rotation.angle_between(rig.head.rotation).to_degrees();
            let moved_m = head.translation.distance(rig.head.translation);
            if turned_deg / dt_s > TURN_DEG_PER_S || moved_m / dt_s > MOVE_M_PER_S {
                comfort.moving_until_s = now_s + HOLD_S;
            }
        }
    }
    comfort.last = Some((now_s, rig.head));
    let since_s = now_s - comfort.moving_until_s;
    comfort.vignette = if since_s <= 0.0 { 1.0 } else { (1.0 - since_s / HOLD_S).max(0.0) };
}
