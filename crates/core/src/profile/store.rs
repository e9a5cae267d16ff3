//! Where the profile lives on disk, and how it is read and written safely.
//!
//! Saving writes a temporary file beside the profile, flushes it to disk and
//! renames it over the old one, so a crash or power loss leaves either the
//! old profile or the new one, never half of each. A profile that cannot be
//! read is moved aside (never deleted) so the user's settings can be
//! recovered by hand, and the app carries on with defaults.

use super::{Profile, ProfileError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Environment variable that points the store at another profile file.
pub const PROFILE_ENV: &str = "ALLVERSE_PROFILE";

#[derive(Clone, Debug)]
pub struct ProfileStore {
    path: PathBuf,
}

/// What happened while loading that the user must be told about.
#[derive(Clone, Debug, PartialEq)]
pub enum ProfileNotice {
    /// The file could not be used; it was moved to `backup` and defaults are in effect.
    KeptAside { backup: PathBuf, problem: String },
}

impl std::fmt::Display for ProfileNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::KeptAside { backup, problem } => write!(
                f,
                "your profile could not be used ({problem}). It was kept as {} and the \
                 default settings are in effect; fix that file and copy it back, or run \
                 `allverse profile set KEY VALUE` to start again",
                backup.display()
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LoadedProfile {
    pub profile: Profile,
    pub notice: Option<ProfileNotice>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no home or config directory is known for this user; set {PROFILE_ENV} to a file path")]
    NoConfigDir,
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot save the profile to {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{path} is {what}, not a profile file; point {PROFILE_ENV} (or --profile) at a .toml file")]
    NotAFile { path: PathBuf, what: &'static str },
    #[error(transparent)]
    Profile(#[from] ProfileError),
}

impl ProfileStore {
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// `$ALLVERSE_PROFILE`, else `profile.toml` in the platform's config
    /// directory (`~/.config/allverse/` on Linux).
    pub fn default_location() -> Result<Self, StoreError> {
        if let Some(path) = std::env::var_os(PROFILE_ENV) {
            return Ok(Self::at(path));
        }
        let dirs =
            directories::ProjectDirs::from("org", "Allverse", "allverse").ok_or(StoreError::NoConfigDir)?;
        Ok(Self::at(dirs.config_dir().join("profile.toml")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the profile. A missing file gives the defaults; an unusable one
    /// is moved aside and reported in [`LoadedProfile::notice`]. Only I/O
    /// failures (e.g. permissions) are errors, and they touch nothing.
    pub fn load(&self) -> Result<LoadedProfile, StoreError> {
        let text = match crate::source::read_text_file(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(LoadedProfile { profile: Profile::default(), notice: None });
            }
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return self.keep_aside("it is not UTF-8 text".into());
            }
            Err(source) => {
                return Err(StoreError::Read { path: self.path.clone(), source });
            }
        };
        match Profile::from_toml(&text) {
            Ok(profile) => Ok(LoadedProfile { profile, notice: None }),
            Err(problem) => self.keep_aside(problem.to_string()),
        }
    }

    fn keep_aside(&self, problem: String) -> Result<LoadedProfile, StoreError> {
        let backup = self.free_backup_path();
        std::fs::rename(&self.path, &backup)
            .map_err(|source| StoreError::Write { path: backup.clone(), source })?;
        Ok(LoadedProfile {
            profile: Profile::default(),
            notice: Some(ProfileNotice::KeptAside { backup, problem }),
        })
    }

    /// `profile.toml.bak`, or `profile.toml.2.bak`, … so that an older
    /// backup is never overwritten by a newer broken file.
    fn free_backup_path(&self) -> PathBuf {
        let name = self.path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        (1..)
            .map(|n| {
                let suffix = if n == 1 { ".bak".to_string() } else { format!(".{n}.bak") };
                self.path.with_file_name(format!("{name}{suffix}"))
            })
            .find(|candidate| !candidate.exists())
            .expect("some backup name is free")
    }

    /// Validates and writes atomically; on any error the old file is untouched.
    ///
    /// A profile reached through a symbolic link (a managed dotfile) is
    /// written where the link points, so the link stays; a path that is a
    /// folder or a device is refused rather than replaced.
    pub fn save(&self, profile: &Profile) -> Result<(), StoreError> {
        profile.validate().map_err(ProfileError::from)?;
        let target = self.target()?;
        let write_err = |source| StoreError::Write { path: target.clone(), source };
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(write_err)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(write_err)?;
        let document = format!(
            "# Allverse accessibility profile. Edit freely, or use `allverse profile set KEY VALUE`.\n{}",
            profile.to_toml()
        );
        tmp.write_all(document.as_bytes()).map_err(write_err)?;
        tmp.as_file().sync_all().map_err(write_err)?;
        tmp.persist(&target).map_err(|e| write_err(e.error))?;
        // Make the rename itself durable.
        if let Ok(dir) = std::fs::File::open(&dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// The file a save replaces: the store's path, or where its symbolic links lead.
    fn target(&self) -> Result<PathBuf, StoreError> {
        let Ok(metadata) = std::fs::metadata(&self.path) else { return Ok(self.path.clone()) };
        let what = if metadata.is_dir() {
            "a folder"
        } else if metadata.is_file() {
            return std::fs::canonicalize(&self.path)
                .map_err(|source| StoreError::Write { path: self.path.clone(), source });
        } else {
            "a device or pipe"
        };
        Err(StoreError::NotAFile { path: self.path.clone(), what })
    }

    /// Moves the current profile aside (so nothing is lost) and returns to defaults.
    pub fn reset(&self) -> Result<Option<PathBuf>, StoreError> {
        let backup = if self.path.exists() {
            let backup = self.free_backup_path();
            std::fs::rename(&self.path, &backup)
                .map_err(|source| StoreError::Write { path: backup.clone(), source })?;
            Some(backup)
        } else {
            None
        };
        self.save(&Profile::default())?;
        Ok(backup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_in(dir: &tempfile::TempDir) -> ProfileStore {
        ProfileStore::at(dir.path().join("nested/profile.toml"))
    }

    #[test]
    fn missing_file_gives_defaults_without_notice() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = store_in(&dir).load().unwrap();
        assert_eq!(loaded, LoadedProfile { profile: Profile::default(), notice: None });
    }

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir);
        let mut profile = Profile::default();
        profile.display.caption_cap_height_deg = 1.4;
        profile.comfort.seated = true;
        store.save(&profile).unwrap();
        assert_eq!(store.load().unwrap().profile, profile);
        // Only the profile remains: no temporary files are left behind.
        let entries: Vec<_> = std::fs::read_dir(store.path().parent().unwrap()).unwrap().collect();
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn corrupt_file_is_kept_aside_and_defaults_used() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir);
        std::fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        let garbage = "[display\ncaption_cap_height_deg = ";
        std::fs::write(store.path(), garbage).unwrap();

        let loaded = store.load().unwrap();
        assert_eq!(loaded.profile, Profile::default());
        let Some(ProfileNotice::KeptAside { backup, problem }) = loaded.notice.clone() else {
            panic!("expected a notice, got {loaded:?}");
        };
        assert!(problem.contains("line 1"), "{problem}");
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), garbage, "the user's bytes are kept");
        assert!(backup.to_string_lossy().ends_with("profile.toml.bak"));
        assert!(!store.path().exists());
        assert!(loaded.notice.unwrap().to_string().contains("profile.toml.bak"));

        // A second broken file does not overwrite the first backup.
        std::fs::write(store.path(), "schema_version = 99").unwrap();
        let second = store.load().unwrap();
        let Some(ProfileNotice::KeptAside { backup: second_backup, .. }) = second.notice else { panic!() };
        assert!(second_backup.to_string_lossy().ends_with("profile.toml.2.bak"));
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), garbage);
    }

    #[test]
    fn binary_garbage_is_kept_aside_too() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir);
        std::fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        std::fs::write(store.path(), [0xff, 0xfe, 0x00, 0x80]).unwrap();
        assert!(store.load().unwrap().notice.is_some());
    }

    #[test]
    fn invalid_profile_is_not_saved() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir);
        store.save(&Profile::default()).unwrap();
        let before = std::fs::read_to_string(store.path()).unwrap();
        let mut bad = Profile::default();
        bad.audio.master_volume = 7.0;
        assert!(store.save(&bad).is_err());
        assert_eq!(std::fs::read_to_string(store.path()).unwrap(), before);
    }

    #[test]
    fn reset_keeps_the_old_profile() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir);
        let mut profile = Profile::default();
        profile.audio.mono = true;
        store.save(&profile).unwrap();
        let backup = store.reset().unwrap().expect("a backup");
        assert_eq!(store.load().unwrap().profile, Profile::default());
        assert!(std::fs::read_to_string(backup).unwrap().contains("mono = true"));
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_profile_is_written_where_the_link_points_and_devices_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles/real.toml");
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        ProfileStore::at(&real).save(&Profile::default()).unwrap();
        let link = dir.path().join("profile.toml");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let mut changed = Profile::default();
        changed.audio.mono = true;
        ProfileStore::at(&link).save(&changed).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays");
        assert!(ProfileStore::at(&real).load().unwrap().profile.audio.mono, "the target has the change");
        for (path, what) in [(Path::new("/dev/null"), "a device or pipe"), (dir.path(), "a folder")] {
            let error = ProfileStore::at(path).save(&changed).unwrap_err().to_string();
            assert!(error.contains(what) && error.contains("not a profile file"), "{error}");
        }
    }
}
