//! The menus in the room: a title and a page of rows, the focused row marked by a pointer and bold text.
//!
//! A menu opens in front of the user and stays put in the room while it is
//! open, so pointing and dwelling have a still target. Focus is never shown
//! by colour alone.

use super::pointing::MenuTarget;
use super::state::MenuState;
use crate::panels::{HeadLocked, PanelAppearance, TextPanel};
use crate::rig::Rig;
use crate::session::{PanelKind, UserProfile};
use allverse_core::profile::Profile;
use allverse_input::menu::{MenuId, PAGE_ITEMS};
use allverse_pipeline::panel::PanelLine;
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;

const MENU_DISTANCE_M: f32 = 1.3;
/// The top row is this far above eye level.
const MENU_TOP_ABOVE_EYES_M: f32 = 0.2;
/// Row pitch in multiples of the text's cap height, so rows never overlap at any text size.
const ROW_PITCH_CAP_HEIGHTS: f32 = 4.2;
/// Where gaze users find the button that opens the menu: low and to the left.
const MENU_BUTTON_OFFSET_M: Vec3 = Vec3::new(-0.45, -0.4, -1.2);

/// A row of the open menu (0 is the title).
#[derive(Component)]
pub struct MenuRow(usize);

#[derive(Component)]
pub struct MenuButton;

/// The "More" row under a page.
#[derive(Component)]
pub struct MenuMore;

/// Where a menu opening now stands: ahead of the head, level, at a comfortable distance.
pub(super) fn anchor_in_front_of(rig: &Rig) -> (Vec3, Vec3) {
    let mut forward = *rig.head.forward();
    forward.y = 0.0;
    let forward = forward.try_normalize().unwrap_or(Vec3::NEG_Z);
    let top = rig.head.translation + forward * MENU_DISTANCE_M + Vec3::Y * MENU_TOP_ABOVE_EYES_M;
    (top, forward)
}

/// The panels a menu is drawn with.
#[derive(SystemParam)]
pub(super) struct MenuPanels<'w, 's> {
    rows: Query<
        'w,
        's,
        (Entity, &'static MenuRow, &'static mut TextPanel, &'static mut Transform),
        Without<MenuMore>,
    >,
    more: Query<'w, 's, (Entity, &'static mut TextPanel, &'static mut Transform), With<MenuMore>>,
    button: Query<'w, 's, Entity, With<MenuButton>>,
}

pub(super) fn show_menus(
    mut commands: Commands,
    user: Res<UserProfile>,
    state: Res<MenuState>,
    appearance: Res<PanelAppearance>,
    mut panels: MenuPanels,
    mut drawn: Local<(Option<(MenuId, usize)>, u64)>,
) {
    // Labels show setting values and device states, so a changed profile
    // or a device's new state or the phrases redraw too.
    let current = (state.menus.current(), state.menus.entries_revision());
    if *drawn == current && !user.is_changed() {
        return;
    }
    *drawn = current;
    let profile = &user.profile;
    show_button(&mut commands, profile, state.menus.is_open(), &panels.button);
    let MenuPanels { rows, more, .. } = &mut panels;
    let (Some((menu, focus)), Some((top, _))) = (state.menus.current(), state.anchor) else {
        for entity in rows.iter().map(|(entity, ..)| entity).chain(more.iter().map(|(entity, ..)| entity)) {
            commands.entity(entity).despawn();
        }
        return;
    };
    let items = state.menus.items(menu);
    let first = focus / PAGE_ITEMS * PAGE_ITEMS;
    let shown = first..(first + PAGE_ITEMS).min(items.len());
    let title = format!("{}: {} of {}", menu.title(), focus + 1, items.len());
    let mut wanted: Vec<(Vec<PanelLine>, Option<MenuTarget>)> = vec![(vec![PanelLine::bold(title)], None)];
    wanted.extend(shown.map(|index| {
        let label = state.menus.label(items[index], profile);
        let line =
            if index == focus { PanelLine::bold(format!("> {label}")) } else { PanelLine::regular(label) };
        (vec![line], Some(MenuTarget::Item(index)))
    }));

    let pitch_m = MENU_DISTANCE_M * (appearance.cap_height_deg * ROW_PITCH_CAP_HEIGHTS).to_radians().tan();
    let place = |row: usize| Transform::from_translation(top - Vec3::Y * pitch_m * row as f32);
    for (entity, row, mut panel, mut transform) in rows.iter_mut() {
        match wanted.get(row.0) {
            Some((lines, target)) => {
                if panel.lines != *lines {
                    panel.lines = lines.clone();
                }
                transform.translation = place(row.0).translation;
                let mut entity = commands.entity(entity);
                match target {
                    Some(target) => entity.insert(*target),
                    None => entity.remove::<MenuTarget>(),
                };
            }
            None => commands.entity(entity).despawn(),
        }
    }
    // Under the page, "More" turns to the next one (pointing and dwell have no "next").
    let more_row = wanted.len();
    let pages = items.len().div_ceil(PAGE_ITEMS);
    let more_text = format!("More… (page {} of {pages})", first / PAGE_ITEMS + 1);
    match (pages > 1, more.single_mut()) {
        (true, Ok((_, mut panel, mut transform))) => {
            panel.lines = vec![PanelLine::regular(more_text)];
            *transform = place(more_row);
        }
        (true, Err(_)) => {
            commands.spawn((
                TextPanel::single("menu-more", PanelKind::Menu, more_text, false),
                MenuMore,
                MenuTarget::NextPage,
                place(more_row),
            ));
        }
        (false, _) => more.iter().for_each(|(entity, ..)| commands.entity(entity).despawn()),
    }
    let existing = rows.iter().map(|(_, row, ..)| row.0).max().map_or(0, |last| last + 1);
    for (row, (lines, target)) in wanted.into_iter().enumerate().skip(existing) {
        let panel = TextPanel { id: format!("menu-row-{row}"), kind: PanelKind::Menu, lines };
        let mut entity = commands.spawn((panel, MenuRow(row), place(row)));
        if let Some(target) = target {
            entity.insert(target);
        }
    }
}

/// Gaze users open the menu by dwelling on this button; it is there only while the menu is closed.
fn show_button(
    commands: &mut Commands,
    profile: &Profile,
    menu_open: bool,
    button: &Query<Entity, With<MenuButton>>,
) {
    let wanted = profile.input.dwell.enabled && !menu_open;
    match (wanted, button.single()) {
        (true, Err(_)) => {
            commands.spawn((
                TextPanel::single("menu-button", PanelKind::Menu, "Menu", true),
                MenuButton,
                MenuTarget::Button,
                HeadLocked { head_offset_m: MENU_BUTTON_OFFSET_M },
                Transform::default(),
            ));
        }
        (false, Ok(entity)) => commands.entity(entity).despawn(),
        _ => {}
    }
}
