//! Keeping text panels apart: no panel may cover another, and text stays in view.
//!
//! Panels are placed by many features (captions beside a speaker, name tags
//! over heads, signs on walls, menus and alerts in view), and each places
//! its own without knowing the others. [`declutter`] then settles overlaps
//! the way a typesetter would: the more important panel keeps its place and
//! the other moves up or down by the least amount that clears everything
//! already placed, preferring positions inside the field of view.

use crate::interpreting::AngularBox;

/// Space left between panels after moving one, degrees.
pub const PANEL_GAP_DEG: f32 = 0.4;

/// One panel to lay out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayoutBox {
    /// Where it is, seen from the head.
    pub seen: AngularBox,
    /// Higher keeps its place; lower moves out of the way.
    pub rank: u8,
}

/// For each of `boxes`, the pitch change (degrees, up positive) that puts
/// it clear of every higher-ranked panel (ties: the earlier one stays).
/// `half_vertical_fov_deg` bounds where a moved panel may go, so a panel
/// in view stays in view when there is room for it.
pub fn declutter(boxes: &[LayoutBox], half_vertical_fov_deg: f32) -> Vec<f32> {
    let mut order: Vec<usize> = (0..boxes.len()).collect();
    order.sort_by(|&a, &b| boxes[b].rank.cmp(&boxes[a].rank).then(a.cmp(&b)));
    let mut shifts = vec![0.0; boxes.len()];
    let mut placed: Vec<AngularBox> = Vec::with_capacity(boxes.len());
    for index in order {
        let original = boxes[index].seen;
        let at = |shift: f32| AngularBox {
            centre: crate::placement::HeadRelative {
                pitch_deg: original.centre.pitch_deg + shift,
                ..original.centre
            },
            ..original
        };
        let clear = |shift: f32| placed.iter().all(|other| !at(shift).overlaps(other));
        let in_view = |shift: f32| {
            (original.centre.pitch_deg + shift).abs() + original.half_height_deg <= half_vertical_fov_deg
        };
        // Candidates: stay, or sit just above or below any placed panel.
        let reach = |other: &AngularBox| original.half_height_deg + other.half_height_deg + PANEL_GAP_DEG;
        let candidates = std::iter::once(0.0).chain(placed.iter().flat_map(|other| {
            let offset = other.centre.pitch_deg - original.centre.pitch_deg;
            [offset + reach(other), offset - reach(other)]
        }));
        let mut best: Option<(bool, f32)> = None;
        for shift in candidates.filter(|s| clear(*s)) {
            // In view beats out of view; then the smaller move wins.
            let key = (!in_view(shift), shift.abs());
            if best.is_none_or(|(out, size)| key < (out, size)) {
                best = Some((key.0, shift.abs()));
                shifts[index] = shift;
            }
        }
        placed.push(at(shifts[index]));
    }
    shifts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::HeadRelative;

    fn panel(yaw_deg: f32, pitch_deg: f32, half_width_deg: f32, half_height_deg: f32, rank: u8) -> LayoutBox {
        LayoutBox {
            seen: AngularBox {
                centre: HeadRelative { yaw_deg, pitch_deg, distance_m: 2.0 },
                half_width_deg,
                half_height_deg,
            },
            rank,
        }
    }

    #[test]
    fn the_lower_ranked_panel_moves_by_the_least_amount() {
        let boxes = [panel(0.0, 0.0, 10.0, 3.0, 1), panel(2.0, 2.0, 5.0, 1.0, 5)];
        let shifts = declutter(&boxes, 30.0);
        assert_eq!(shifts[1], 0.0, "the important one stays");
        // Down is shorter: from 0 to below 2 − 1 − 3 − gap.
        assert!((shifts[0] - -(2.0 + PANEL_GAP_DEG)).abs() < 1e-4, "{shifts:?}");
    }

    #[test]
    fn moved_panels_clear_every_panel_and_stay_in_view() {
        let boxes = [
            panel(0.0, 0.0, 8.0, 2.0, 3),
            panel(1.0, 1.0, 8.0, 2.0, 2),
            panel(-1.0, -1.0, 8.0, 2.0, 1),
            panel(0.5, 18.0, 4.0, 1.0, 0),
        ];
        let shifts = declutter(&boxes, 20.0);
        let moved: Vec<AngularBox> = boxes
            .iter()
            .zip(&shifts)
            .map(|(b, s)| AngularBox {
                centre: HeadRelative { pitch_deg: b.seen.centre.pitch_deg + s, ..b.seen.centre },
                ..b.seen
            })
            .collect();
        for (i, a) in moved.iter().enumerate() {
            assert!(a.centre.pitch_deg.abs() + a.half_height_deg <= 20.0, "panel {i} left the view");
            for b in &moved[i + 1..] {
                assert!(!a.overlaps(b), "{moved:?}");
            }
        }
    }

    #[test]
    fn panels_side_by_side_are_left_alone() {
        let boxes = [panel(-10.0, 0.0, 4.0, 2.0, 1), panel(10.0, 0.0, 4.0, 2.0, 1)];
        assert_eq!(declutter(&boxes, 30.0), [0.0, 0.0]);
    }
}
