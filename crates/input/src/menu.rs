//! The menus every input method can drive with "next" and "select" alone, and which item has focus.
//!
//! The action menu lists every action, so a person whose input method
//! has only one or two signals (a switch, a dwell, a single controller
//! button) still reaches all of them; its settings menu changes the
//! profile one choice at a time. Menus are a stack: "back" returns to the
//! parent and closes the menu at the top.

use allverse_core::input::Action;
use allverse_core::profile::{Profile, set_key};
use std::collections::HashMap;

/// A profile setting the settings menu cycles through, with the values it offers.
#[derive(Debug, PartialEq)]
pub struct SettingChoice {
    /// Dotted profile key, as `allverse profile set` takes it.
    pub key: &'static str,
    pub label: &'static str,
    /// (value as written in the profile, what the menu says)
    pub values: &'static [(&'static str, &'static str)],
}

const ON_OFF: &[(&str, &str)] = &[("true", "on"), ("false", "off")];

/// The settings a person is most likely to need while in a session.
pub const SETTINGS: &[SettingChoice] = &[
    SettingChoice {
        key: "display.caption_cap_height_deg",
        label: "Text size",
        values: &[
            ("small", "small"),
            ("medium", "medium"),
            ("large", "large"),
            ("extra_large", "extra large"),
        ],
    },
    SettingChoice { key: "captions.enabled", label: "Captions", values: ON_OFF },
    SettingChoice {
        key: "captions.lines",
        label: "Caption lines",
        values: &[("1", "1"), ("2", "2"), ("3", "3")],
    },
    SettingChoice {
        key: "captions.placement",
        label: "Caption placement",
        values: &[
            ("hybrid", "beside the speaker"),
            ("head_locked", "fixed in view"),
            ("lazy_follow", "following the view"),
            ("world_locked", "fixed in the room"),
            ("speaker_anchored", "always at the speaker"),
        ],
    },
    SettingChoice {
        key: "display.contrast_theme",
        label: "Contrast",
        values: &[
            ("dark", "light on dark"),
            ("light", "dark on light"),
            ("high_contrast_dark", "white on black"),
            ("high_contrast_light", "black on white"),
            ("yellow_on_black", "yellow on black"),
        ],
    },
    SettingChoice {
        key: "interpreting.size_scale",
        label: "Interpreter size",
        values: &[("1.0", "normal"), ("1.5", "large"), ("2.0", "very large"), ("0.75", "small")],
    },
    SettingChoice {
        key: "interpreting.placement",
        label: "Interpreter",
        values: &[
            ("beside_stage", "beside the stage"),
            ("head_locked", "fixed in view"),
            ("lazy_follow", "following the view"),
        ],
    },
    SettingChoice {
        key: "interpreting.offset_m",
        label: "Interpreter position",
        values: &[
            ("[0.0, 0.0, 0.0]", "as placed"),
            ("[-0.5, 0.0, 0.0]", "moved left"),
            ("[0.5, 0.0, 0.0]", "moved right"),
            ("[0.0, 0.4, 0.0]", "moved up"),
            ("[0.0, -0.4, 0.0]", "moved down"),
        ],
    },
    SettingChoice {
        key: "speech.rate_wpm",
        label: "Speech rate",
        values: &[("140", "slow"), ("175", "normal"), ("220", "fast"), ("280", "very fast")],
    },
    SettingChoice { key: "speech.read_chat", label: "Read chat aloud", values: ON_OFF },
    SettingChoice {
        key: "comfort.height_offset_m",
        label: "Eye height",
        values: &[
            ("0.0", "as tracked"),
            ("0.3", "raised 30 cm"),
            ("0.6", "raised 60 cm"),
            ("-0.3", "lowered 30 cm"),
        ],
    },
    SettingChoice {
        key: "comfort.reach_extension_m",
        label: "Extra reach",
        values: &[("0.0", "none"), ("0.3", "30 cm"), ("0.6", "60 cm"), ("1.0", "1 m")],
    },
    SettingChoice {
        key: "input.dwell.dwell_s",
        label: "Dwell time",
        values: &[("0.5", "0.5 s"), ("0.8", "0.8 s"), ("1.2", "1.2 s"), ("2.0", "2 s"), ("3.0", "3 s")],
    },
    SettingChoice {
        key: "input.scan.step_s",
        label: "Scan step",
        values: &[("0.5", "0.5 s"), ("1.0", "1 s"), ("1.5", "1.5 s"), ("2.0", "2 s"), ("3.0", "3 s")],
    },
];

/// The low-vision tools, each reachable and tunable by "next" and "select" alone.
pub const VISION_SETTINGS: &[SettingChoice] = &[
    SettingChoice {
        key: "vision.magnifier",
        label: "Magnifier",
        values: &[
            ("off", "off"),
            ("lens", "lens"),
            ("full_view", "whole view"),
            ("bifocal", "bifocal strip"),
        ],
    },
    SettingChoice {
        key: "vision.magnification",
        label: "Magnification",
        values: &[("2.0", "2×"), ("3.0", "3×"), ("4.0", "4×"), ("6.0", "6×"), ("8.0", "8×"), ("1.5", "1.5×")],
    },
    SettingChoice {
        key: "vision.lens_size_deg",
        label: "Lens size",
        values: &[("20.0", "medium"), ("30.0", "large"), ("45.0", "very large"), ("12.0", "small")],
    },
    SettingChoice {
        key: "vision.pointer",
        label: "Lens follows",
        values: &[("gaze", "the eyes"), ("head", "the head"), ("controller", "the controller")],
    },
    SettingChoice {
        key: "vision.contrast",
        label: "Contrast boost",
        values: &[("1.0", "none"), ("1.5", "some"), ("2.0", "strong"), ("3.0", "very strong")],
    },
    SettingChoice {
        key: "vision.brightness",
        label: "Brightness",
        values: &[("1.0", "normal"), ("1.3", "brighter"), ("1.6", "much brighter"), ("0.7", "dimmer")],
    },
    SettingChoice { key: "vision.edges", label: "Edge outlines", values: ON_OFF },
    SettingChoice {
        key: "vision.edge_colour",
        label: "Edge colour",
        values: &[
            ("#ffd700", "yellow"),
            ("#ffffff", "white"),
            ("#ff00ff", "magenta"),
            ("#00ffff", "cyan"),
            ("#000000", "black"),
        ],
    },
    SettingChoice {
        key: "vision.edge_thickness_px",
        label: "Edge thickness",
        values: &[
            ("2.0", "thin"),
            ("3.0", "medium"),
            ("5.0", "thick"),
            ("8.0", "very thick"),
            ("1.0", "hairline"),
        ],
    },
    SettingChoice {
        key: "vision.filter",
        label: "Colour filter",
        values: &[
            ("none", "none"),
            ("greyscale", "greyscale"),
            ("invert", "inverted"),
            ("protanopia", "red-blind correction"),
            ("deuteranopia", "green-blind correction"),
            ("tritanopia", "blue-blind correction"),
        ],
    },
    SettingChoice {
        key: "vision.filter_strength",
        label: "Correction strength",
        values: &[("1.0", "full"), ("0.7", "strong"), ("0.4", "mild")],
    },
    SettingChoice { key: "vision.text_boost", label: "Bigger, bolder text", values: ON_OFF },
    SettingChoice {
        key: "vision.highlight",
        label: "Highlight what I point at",
        values: &[("off", "off"), ("outline", "outline"), ("glow", "glow")],
    },
    SettingChoice { key: "vision.reduce_motion", label: "Reduce motion", values: ON_OFF },
    SettingChoice {
        key: "vision.brightness_cap",
        label: "Brightness limit",
        values: &[("1.0", "none"), ("0.8", "80 %"), ("0.6", "60 %"), ("0.4", "40 %")],
    },
];

impl SettingChoice {
    /// Index of the profile's current value, if it is one of those offered.
    fn current(&self, profile: &Profile) -> Option<usize> {
        // Setting a value that is already there leaves the profile equal;
        // this compares values the way the profile parses them (`1.0` = `1`).
        self.values
            .iter()
            .position(|(value, _)| set_key(profile, self.key, value).is_ok_and(|p| p == *profile))
    }

    /// The value after the current one, wrapping around.
    pub fn next_value(&self, profile: &Profile) -> &'static str {
        let next = self.current(profile).map_or(0, |i| (i + 1) % self.values.len());
        self.values[next].0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MenuId {
    Actions,
    Settings,
    /// The low-vision tools.
    Vision,
    /// The home's devices, by room: each entry operates one (FGMV-15).
    Home,
    /// The home map: each entry places one device where the user is pointing.
    HomeMap,
    /// The phrase board in a live session: each entry is said into the room in the user's voice.
    Say,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MenuItem {
    Do(Action),
    Open(MenuId),
    Change(&'static SettingChoice),
    /// The `n`th entry the runtime listed for a menu (a home device, a phrase).
    Entry(MenuId, usize),
}

/// The action menu: frequent actions first, so scanning reaches them soonest.
const ACTION_MENU: &[Action] = &[
    Action::RepeatLastCaption,
    Action::CaptionHistory,
    Action::ToggleCaptions,
    Action::ToggleMicrophone,
    Action::ReadFocused,
    Action::StopSpeech,
    Action::Describe,
    Action::SwitchInterpreterChannel,
    Action::TurnLeft,
    Action::TurnRight,
    Action::Teleport,
    Action::RecenterView,
    Action::GoToSafePlace,
    Action::ScrollUp,
    Action::ScrollDown,
    Action::NextFocus,
    Action::PreviousFocus,
    Action::OpenMenu,
];

impl MenuId {
    pub fn title(self) -> &'static str {
        match self {
            MenuId::Actions => "Menu",
            MenuId::Settings => "Settings",
            MenuId::Vision => "Seeing",
            MenuId::Home => "Home",
            MenuId::HomeMap => "Home map",
            MenuId::Say => "Say",
        }
    }
}

/// What applying an action to the menus did.
#[derive(Clone, Debug, PartialEq)]
pub enum MenuOutcome {
    /// The menus did not use it; the runtime acts on it (or it does nothing).
    Ignored,
    /// Focus moved, a menu opened, or one closed: show the new state.
    Changed,
    /// A menu item asked for this action; the menu has closed.
    Do(Action),
    /// A setting item asked for this value; the menu stays open to change it again.
    Set { key: &'static str, value: &'static str },
    /// The current menu's `n`th listed entry was chosen; the menu stays open (to hear a
    /// device answer, or to say something else).
    Entry(MenuId, usize),
}

/// The open menus, innermost last, each with its focused item, and the
/// entries the runtime lists (home devices come and go, phrases are edited).
#[derive(Clone, Debug, Default)]
pub struct Menus {
    open: Vec<(MenuId, usize)>,
    entries: HashMap<MenuId, Vec<String>>,
    /// Counts changes to the listed entries, so views know to redraw.
    entries_revision: u64,
}

/// Items shown at once; scrolling turns a page.
pub const PAGE_ITEMS: usize = 7;

impl Menus {
    /// The menu on top and its focused item; `None` when no menu is open.
    pub fn current(&self) -> Option<(MenuId, usize)> {
        self.open.last().copied()
    }

    /// A menu's items; every menu ends with "Back", which closes it or returns to its parent.
    pub fn items(&self, menu: MenuId) -> Vec<MenuItem> {
        let mut items: Vec<MenuItem> = match menu {
            MenuId::Actions => {
                let mut items: Vec<_> = ACTION_MENU.iter().map(|a| MenuItem::Do(*a)).collect();
                items.insert(2, MenuItem::Open(MenuId::Settings));
                items.insert(3, MenuItem::Open(MenuId::Home));
                items.insert(4, MenuItem::Open(MenuId::Vision));
                // In a live session someone who does not speak says things often: first.
                if !self.entries_of(MenuId::Say).is_empty() {
                    items.insert(0, MenuItem::Open(MenuId::Say));
                }
                items
            }
            MenuId::Settings => SETTINGS.iter().map(MenuItem::Change).collect(),
            MenuId::Vision => VISION_SETTINGS.iter().map(MenuItem::Change).collect(),
            MenuId::Home => {
                let mut items = self.entry_items(MenuId::Home);
                items.push(MenuItem::Open(MenuId::HomeMap));
                items
            }
            MenuId::HomeMap | MenuId::Say => self.entry_items(menu),
        };
        items.push(MenuItem::Do(Action::Back));
        items
    }

    /// What an item says, with a setting's current value or a device's state.
    pub fn label(&self, item: MenuItem, profile: &Profile) -> String {
        match item {
            MenuItem::Do(action) => action.label().to_string(),
            MenuItem::Open(menu) => format!("{}…", menu.title()),
            MenuItem::Change(choice) => {
                let value = choice.current(profile).map_or("custom", |i| choice.values[i].1);
                format!("{}: {value}", choice.label)
            }
            MenuItem::Entry(menu, n) => self.entries_of(menu).get(n).cloned().unwrap_or_default(),
        }
    }

    /// Lists a menu's entries (for [`MenuId::Home`], e.g. "Kitchen light: off"); focus
    /// stays within a shorter list.
    pub fn set_entries(&mut self, menu: MenuId, labels: Vec<String>) {
        if self.entries_of(menu) == labels.as_slice() {
            return;
        }
        self.entries_revision += 1;
        self.entries.insert(menu, labels);
        for index in 0..self.open.len() {
            let (menu, focus) = self.open[index];
            self.open[index].1 = focus.min(self.items(menu).len() - 1);
        }
    }

    /// Changes whenever a menu's listed entries change.
    pub fn entries_revision(&self) -> u64 {
        self.entries_revision
    }

    fn entries_of(&self, menu: MenuId) -> &[String] {
        self.entries.get(&menu).map_or(&[], Vec::as_slice)
    }

    fn entry_items(&self, menu: MenuId) -> Vec<MenuItem> {
        (0..self.entries_of(menu).len()).map(|n| MenuItem::Entry(menu, n)).collect()
    }

    pub fn is_open(&self) -> bool {
        !self.open.is_empty()
    }

    pub fn close(&mut self) {
        self.open.clear();
    }

    /// Focuses an item directly (scanning, pointing, looking).
    pub fn focus_at(&mut self, index: usize) -> MenuOutcome {
        let Some((menu, focus)) = self.current() else { return MenuOutcome::Ignored };
        if index >= self.items(menu).len() || focus == index {
            return MenuOutcome::Ignored;
        }
        if let Some(top) = self.open.last_mut() {
            top.1 = index;
        }
        MenuOutcome::Changed
    }

    /// Applies a navigation action; everything else is [`MenuOutcome::Ignored`].
    pub fn apply(&mut self, action: Action, profile: &Profile) -> MenuOutcome {
        let Some((menu, focus)) = self.current() else {
            return match action {
                // With no menu open, "next" opens it: a person with two
                // switches or one button has no other way in.
                Action::OpenMenu | Action::NextFocus | Action::PreviousFocus => {
                    self.open.push((MenuId::Actions, 0));
                    MenuOutcome::Changed
                }
                _ => MenuOutcome::Ignored,
            };
        };
        let items = self.items(menu);
        let count = items.len();
        let move_by = |delta: isize| (focus as isize + delta).rem_euclid(count as isize) as usize;
        match action {
            Action::OpenMenu => {
                self.open = vec![(MenuId::Actions, 0)];
                MenuOutcome::Changed
            }
            Action::Back => {
                self.open.pop();
                MenuOutcome::Changed
            }
            Action::NextFocus => self.focus_at(move_by(1)),
            Action::PreviousFocus => self.focus_at(move_by(-1)),
            // Scrolling turns pages, and from the last page back to the first,
            // so a pointer or gaze user can reach every item with one "more" row.
            Action::ScrollDown if focus / PAGE_ITEMS == (count - 1) / PAGE_ITEMS => self.focus_at(0),
            Action::ScrollDown => self.focus_at((focus / PAGE_ITEMS + 1) * PAGE_ITEMS),
            Action::ScrollUp => self.focus_at((focus / PAGE_ITEMS).saturating_sub(1) * PAGE_ITEMS),
            Action::Select => match items[focus] {
                MenuItem::Open(submenu) => {
                    self.open.push((submenu, 0));
                    MenuOutcome::Changed
                }
                MenuItem::Change(choice) => {
                    MenuOutcome::Set { key: choice.key, value: choice.next_value(profile) }
                }
                MenuItem::Entry(menu, n) => MenuOutcome::Entry(menu, n),
                // The navigation items act on the menu itself.
                MenuItem::Do(
                    nav @ (Action::NextFocus | Action::PreviousFocus | Action::Back | Action::OpenMenu),
                ) => {
                    self.apply(nav, profile);
                    MenuOutcome::Do(nav)
                }
                MenuItem::Do(other) => {
                    self.close();
                    MenuOutcome::Do(other)
                }
            },
            _ => MenuOutcome::Ignored,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Presses "next" until `item` has focus, then "select".
    fn choose(menus: &mut Menus, profile: &Profile, item: MenuItem) -> MenuOutcome {
        let (menu, _) = menus.current().expect("a menu is open");
        let index = menus.items(menu).iter().position(|i| *i == item).expect("the item is in the menu");
        while menus.current().unwrap().1 != index {
            menus.apply(Action::NextFocus, profile);
        }
        menus.apply(Action::Select, profile)
    }

    #[test]
    fn next_and_select_alone_reach_every_action() {
        let profile = Profile::default();
        let mut reached = BTreeSet::from([Action::NextFocus, Action::Select]);
        for item in Menus::default().items(MenuId::Actions) {
            let mut menus = Menus::default();
            menus.apply(Action::NextFocus, &profile);
            if let MenuOutcome::Do(action) = choose(&mut menus, &profile, item) {
                reached.insert(action);
            }
        }
        let missing: Vec<_> = Action::ALL.iter().filter(|a| !reached.contains(a)).collect();
        assert!(missing.is_empty(), "not reachable from the menu: {missing:?}");
    }

    #[test]
    fn a_setting_cycles_through_its_values_and_the_menu_stays_open() {
        let mut profile = Profile::default();
        let mut menus = Menus::default();
        menus.apply(Action::OpenMenu, &profile);
        assert_eq!(choose(&mut menus, &profile, MenuItem::Open(MenuId::Settings)), MenuOutcome::Changed);
        let size = MenuItem::Change(&SETTINGS[0]);
        assert_eq!(menus.label(size, &profile), "Text size: medium");
        let MenuOutcome::Set { key, value } = choose(&mut menus, &profile, size) else { panic!() };
        assert_eq!((key, value), ("display.caption_cap_height_deg", "large"));
        profile = set_key(&profile, key, value).unwrap();
        assert_eq!(menus.label(size, &profile), "Text size: large");
        assert_eq!(menus.current(), Some((MenuId::Settings, 0)), "stays open on the same item");
        // Back returns to the action menu, and back again closes it.
        menus.apply(Action::Back, &profile);
        assert_eq!(menus.current().map(|(m, _)| m), Some(MenuId::Actions));
        menus.apply(Action::Back, &profile);
        assert!(!menus.is_open());
    }

    #[test]
    fn the_home_page_lists_the_runtime_s_entries_and_keeps_focus_in_range() {
        let profile = Profile::default();
        let mut menus = Menus::default();
        let devices =
            vec!["Kitchen: Kitchen light — off, turn on".into(), "Hall: Hall light — on, turn off".into()];
        menus.set_entries(MenuId::Home, devices);
        menus.set_entries(MenuId::HomeMap, vec!["Place Kitchen light here".into()]);
        menus.apply(Action::OpenMenu, &profile);
        assert_eq!(choose(&mut menus, &profile, MenuItem::Open(MenuId::Home)), MenuOutcome::Changed);
        assert_eq!(
            menus.label(MenuItem::Entry(MenuId::Home, 1), &profile),
            "Hall: Hall light — on, turn off"
        );
        assert_eq!(
            choose(&mut menus, &profile, MenuItem::Entry(MenuId::Home, 1)),
            MenuOutcome::Entry(MenuId::Home, 1)
        );
        assert_eq!(menus.current(), Some((MenuId::Home, 1)), "stays open to hear the device answer");
        assert_eq!(choose(&mut menus, &profile, MenuItem::Open(MenuId::HomeMap)), MenuOutcome::Changed);
        assert_eq!(menus.label(MenuItem::Entry(MenuId::HomeMap, 0), &profile), "Place Kitchen light here");
        assert_eq!(
            choose(&mut menus, &profile, MenuItem::Entry(MenuId::HomeMap, 0)),
            MenuOutcome::Entry(MenuId::HomeMap, 0)
        );
        menus.apply(Action::Back, &profile);

        let revision = menus.entries_revision();
        menus.set_entries(MenuId::Home, vec!["Hall: Hall light — on, turn off".into()]);
        assert!(menus.entries_revision() > revision, "views learn that labels changed");
        let (menu, focus) = menus.current().unwrap();
        assert!(focus < menus.items(menu).len(), "focus stays on an item that exists");
        menus.set_entries(MenuId::Home, vec!["Hall: Hall light — on, turn off".into()]);
        assert_eq!(menus.entries_revision(), revision + 1, "the same entries change nothing");
    }

    #[test]
    fn the_phrase_board_comes_first_once_it_has_phrases() {
        let profile = Profile::default();
        let mut menus = Menus::default();
        assert!(
            !menus.items(MenuId::Actions).contains(&MenuItem::Open(MenuId::Say)),
            "not outside a live session"
        );
        menus.set_entries(MenuId::Say, vec!["Yes.".into(), "Hello, everyone.".into()]);
        menus.apply(Action::OpenMenu, &profile);
        assert_eq!(choose(&mut menus, &profile, MenuItem::Open(MenuId::Say)), MenuOutcome::Changed);
        assert_eq!(menus.current(), Some((MenuId::Say, 0)));
        assert_eq!(menus.label(MenuItem::Entry(MenuId::Say, 1), &profile), "Hello, everyone.");
        assert_eq!(
            choose(&mut menus, &profile, MenuItem::Entry(MenuId::Say, 1)),
            MenuOutcome::Entry(MenuId::Say, 1)
        );
        assert_eq!(menus.current(), Some((MenuId::Say, 1)), "stays open to say something else");
    }

    #[test]
    fn every_offered_value_is_valid_and_cycling_comes_back() {
        for choice in SETTINGS.iter().chain(VISION_SETTINGS) {
            let mut profile = Profile::default();
            let start = choice.current(&profile);
            assert!(start.is_some(), "{}: the default value is not offered", choice.key);
            for _ in 0..choice.values.len() {
                profile = set_key(&profile, choice.key, choice.next_value(&profile))
                    .unwrap_or_else(|e| panic!("{}: {e}", choice.key));
            }
            assert_eq!(choice.current(&profile), start, "{}", choice.key);
        }
    }

    #[test]
    fn focus_wraps_and_scrolls_by_pages() {
        let profile = Profile::default();
        let mut menus = Menus::default();
        assert_eq!(menus.apply(Action::Select, &profile), MenuOutcome::Ignored, "nothing to select");
        menus.apply(Action::OpenMenu, &profile);
        let last = menus.items(MenuId::Actions).len() - 1;
        menus.apply(Action::PreviousFocus, &profile);
        assert_eq!(menus.current(), Some((MenuId::Actions, last)), "wraps to the end");
        assert_eq!(menus.apply(Action::Select, &profile), MenuOutcome::Do(Action::Back));
        assert!(!menus.is_open());
        menus.apply(Action::OpenMenu, &profile);
        let page_starts: Vec<usize> = (PAGE_ITEMS..=last).step_by(PAGE_ITEMS).collect();
        let pages: Vec<usize> = (0..page_starts.len() + 2)
            .map(|_| {
                menus.apply(Action::ScrollDown, &profile);
                menus.current().unwrap().1
            })
            .collect();
        let expected = [&page_starts[..], &[0, PAGE_ITEMS]].concat();
        assert_eq!(pages, expected, "page by page, then back to the top");
        menus.apply(Action::ScrollUp, &profile);
        assert_eq!(menus.current(), Some((MenuId::Actions, 0)));
    }
}
