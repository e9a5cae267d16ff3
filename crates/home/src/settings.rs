//! How the headset reaches the home broker: address, credentials, topics and the allow-list.

use crate::discovery::EntityKey;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest credentials file read, in bytes; a user name and password never need more.
pub const MAX_CREDENTIALS_BYTES: u64 = 4096;

/// Connection and policy settings for [`crate::link::HomeLink`].
#[derive(Clone, Debug)]
pub struct HomeSettings {
    /// Broker URL: `mqtts://host:8883` (TLS, the default for a real home) or `mqtt://127.0.0.1:1883`.
    pub broker: String,
    /// PEM file with the CA that signed the broker's certificate; needed for `mqtts://`.
    pub ca_file: Option<PathBuf>,
    /// MQTT user name (MQTT 5 spec §3.1.3.5).
    pub username: Option<String>,
    /// MQTT password (§3.1.3.6); never printed or logged.
    pub password: Option<Secret>,
    /// Client identifier; keep it stable so the broker keeps the persistent session (§3.1.3.1).
    pub client_id: String,
    /// Home Assistant's discovery prefix, `homeassistant` unless changed in HA's MQTT settings.
    pub discovery_prefix: String,
    /// Topic on which Home Assistant's MQTT `notify` entity sends text to the headset.
    pub notify_topic: String,
    /// Entities the user allows the headset to command; every other command is refused locally.
    pub allowed: Vec<EntityKey>,
    /// Seconds to wait for a device's state topic to confirm a command.
    pub command_timeout_s: f32,
}

/// Why the profile's `[home]` section cannot start a link.
#[derive(Debug, thiserror::Error)]
pub enum ProfileSettingsError {
    #[error("no broker is set (`home.broker` in the profile)")]
    NoBroker,
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
}

impl HomeSettings {
    /// The link settings the user's profile asks for, with the credentials
    /// read from its `credentials_file` (checked to be private to its owner).
    ///
    /// # Errors
    /// No broker is set, or the credentials file is unusable.
    pub fn from_profile(home: &allverse_core::home::HomeSettings) -> Result<Self, ProfileSettingsError> {
        let broker = home.broker.clone().ok_or(ProfileSettingsError::NoBroker)?;
        let (username, password) = match &home.credentials_file {
            Some(path) => {
                let (user, password) = read_credentials_file(path)?;
                (Some(user), Some(password))
            }
            None => (None, None),
        };
        Ok(Self {
            ca_file: home.ca_file.clone(),
            username,
            password,
            client_id: home.client_id.clone(),
            discovery_prefix: home.discovery_prefix.clone(),
            notify_topic: home.notify_topic.clone(),
            allowed: home.allowed.iter().map(|key| EntityKey(key.clone())).collect(),
            ..Self::new(broker)
        })
    }

    /// Settings with Home Assistant's defaults for `broker`, no credentials and nothing allowed.
    pub fn new(broker: impl Into<String>) -> Self {
        Self {
            broker: broker.into(),
            ca_file: None,
            username: None,
            password: None,
            client_id: "allverse-headset".to_owned(),
            discovery_prefix: "homeassistant".to_owned(),
            notify_topic: "allverse/headset/notify".to_owned(),
            allowed: Vec::new(),
            command_timeout_s: 5.0,
        }
    }
}

/// A secret string (a password) whose `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for handing to the MQTT client only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Why a credentials file was refused. Messages name the file, never its content.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The file could not be opened or read.
    #[error("cannot read credentials file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// The file is not a regular file.
    #[error("credentials file {path} is not a regular file")]
    NotAFile { path: PathBuf },
    /// Group or others may read or write the file.
    #[error("credentials file {path} may be read by other users (mode {mode:o}): run `chmod 600 {path}`")]
    TooOpen { path: PathBuf, mode: u32 },
    /// The file is larger than [`MAX_CREDENTIALS_BYTES`].
    #[error("credentials file {path} is too large ({bytes} bytes, limit {MAX_CREDENTIALS_BYTES})")]
    TooLarge { path: PathBuf, bytes: u64 },
    /// The content is not one of the accepted formats.
    #[error("credentials file {path}: {reason}")]
    Format { path: PathBuf, reason: &'static str },
}

/// Reads a user name and password from a file only its owner can read (mode `0600` or `0400`).
///
/// Two formats are accepted, in UTF-8, with surrounding whitespace and a final newline ignored:
/// one line `username:password` (the password may itself contain `:`), or two lines, the user
/// name on the first and the password on the second.
///
/// # Errors
/// [`CredentialsError`] when the file cannot be read, is not a regular file, is readable or
/// writable by group or others, is over [`MAX_CREDENTIALS_BYTES`], or has an empty user name or
/// password.
pub fn read_credentials_file(path: &Path) -> Result<(String, Secret), CredentialsError> {
    use std::os::unix::fs::PermissionsExt;
    let read_err = |source| CredentialsError::Read { path: path.to_owned(), source };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if !meta.is_file() {
        return Err(CredentialsError::NotAFile { path: path.to_owned() });
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CredentialsError::TooOpen { path: path.to_owned(), mode });
    }
    if meta.len() > MAX_CREDENTIALS_BYTES {
        return Err(CredentialsError::TooLarge { path: path.to_owned(), bytes: meta.len() });
    }
    let mut text = String::new();
    // Read through `take` as well: the file may grow between the check and the read.
    std::fs::File::open(path)
        .map_err(read_err)?
        .take(MAX_CREDENTIALS_BYTES)
        .read_to_string(&mut text)
        .map_err(read_err)?;
    let format = |reason| CredentialsError::Format { path: path.to_owned(), reason };
    let lines: Vec<&str> = text.trim().lines().map(str::trim).collect();
    let (user, password) = match lines.as_slice() {
        [one] => one.split_once(':').ok_or_else(|| format("expected `username:password`"))?,
        [user, password] => (*user, *password),
        _ => return Err(format("expected `username:password` or two lines: user name, password")),
    };
    if user.is_empty() || password.is_empty() {
        return Err(format("the user name or the password is empty"));
    }
    Ok((user.to_owned(), Secret::new(password)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn write(dir: &Path, text: &str, mode: u32) -> PathBuf {
        let path = dir.join("credentials");
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn both_formats_are_read_and_the_password_is_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let (user, pw) = read_credentials_file(&write(dir.path(), "headset:s3:cret\n", 0o600)).unwrap();
        assert_eq!((user.as_str(), pw.expose()), ("headset", "s3:cret"));
        let (user, pw) = read_credentials_file(&write(dir.path(), "hub\nhunter2\n", 0o400)).unwrap();
        assert_eq!((user.as_str(), pw.expose()), ("hub", "hunter2"));
        assert_eq!(format!("{pw:?} {pw}"), "*** ***");
    }

    #[test]
    fn an_open_or_malformed_file_is_refused_without_showing_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_credentials_file(&write(dir.path(), "headset:s3cret", 0o644)).unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
        assert!(!err.to_string().contains("s3cret"));
        let err = read_credentials_file(&write(dir.path(), "s3cret", 0o600)).unwrap_err();
        assert!(err.to_string().contains("expected `username:password`"), "{err}");
        assert!(!format!("{err} {err:?}").contains("s3cret"));
        let big = "a".repeat(5000);
        let err = read_credentials_file(&write(dir.path(), &big, 0o600)).unwrap_err();
        assert!(err.to_string().contains("too large (5000 bytes"), "{err}");
        let err = read_credentials_file(dir.path()).unwrap_err();
        assert!(matches!(err, CredentialsError::NotAFile { .. }), "{err}");
    }
}
