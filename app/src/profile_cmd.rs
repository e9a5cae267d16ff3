//! `allverse profile`: read and change the accessibility profile from a terminal.

use allverse_core::profile::{Profile, ProfileStore, set_key};
use anyhow::{Context, Result};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ProfileCommand {
    /// Print the profile in effect, as TOML.
    Show,
    /// Print where the profile is stored.
    Path,
    /// Change one setting, e.g. `set display.caption_cap_height_deg 1.2`.
    Set {
        /// Dotted key: display.caption_cap_height_deg, display.contrast_theme,
        /// display.panel_background_opacity, audio.master_volume, audio.speech_volume,
        /// audio.scene_volume, audio.mono, audio.balance, comfort.seated, comfort.height_offset_m.
        key: String,
        /// New value: a number (negative ones too, e.g. `audio.balance -1`),
        /// true/false, or a name such as high_contrast_dark.
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
    /// Check a profile file without using it.
    Validate { file: PathBuf },
    /// Go back to the default settings (the old profile is kept as a .bak file).
    Reset,
}

/// Loads the profile, telling the user if a broken one was moved aside.
pub fn load_reporting(store: &ProfileStore) -> Result<(Profile, Option<String>)> {
    let loaded = store.load()?;
    let notice = loaded.notice.map(|n| n.to_string());
    if let Some(notice) = &notice {
        eprintln!("allverse: {notice}");
    }
    Ok((loaded.profile, notice))
}

pub fn run(command: ProfileCommand, store: &ProfileStore) -> Result<()> {
    match command {
        ProfileCommand::Show => {
            let (profile, _) = load_reporting(store)?;
            print!("{}", profile.to_toml());
        }
        ProfileCommand::Path => println!("{}", store.path().display()),
        ProfileCommand::Set { key, value } => {
            let (profile, _) = load_reporting(store)?;
            let updated = set_key(&profile, &key, &value)?;
            store.save(&updated)?;
            println!("{key} = {value} (saved to {})", store.path().display());
        }
        ProfileCommand::Validate { file } => {
            let text = allverse_core::read_text_file(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            Profile::from_toml(&text)
                .with_context(|| format!("{} is not a valid profile", file.display()))?;
            println!("{} is a valid profile", file.display());
        }
        ProfileCommand::Reset => match store.reset()? {
            Some(backup) => {
                println!("profile reset to defaults; the old one is kept as {}", backup.display())
            }
            None => println!("profile reset to defaults"),
        },
    }
    Ok(())
}
