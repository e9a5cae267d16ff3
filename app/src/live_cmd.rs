//! `allverse live`: join a live session's room and follow who is there.

use allverse_live::{JoinSettings, LiveEvent, LiveSession, PresenceChange, Secret};
use anyhow::{Result, bail};
use clap::Subcommand;
use std::time::Duration;

/// Environment variables for the room's secrets: a command line is visible
/// to every user of the machine (`ps`), the environment is not.
const PIN_ENV: &str = "ALLVERSE_ROOM_PIN";
const TOKEN_ENV: &str = "ALLVERSE_ROOM_TOKEN";

#[derive(Subcommand)]
pub enum LiveCommand {
    /// Join a room and say who is there and who arrives and leaves, until Ctrl-C.
    /// The room's PIN and invitation token, when it needs them, are read from
    /// ALLVERSE_ROOM_PIN and ALLVERSE_ROOM_TOKEN.
    Join {
        /// The session server, e.g. wss://events.example:8989, or ws://127.0.0.1:8188
        /// on a trusted network (`cargo xtask janus` prints both).
        #[arg(long)]
        server: String,
        /// For wss://: the CA file (PEM) that signed the server's certificate.
        #[arg(long)]
        ca_file: Option<std::path::PathBuf>,
        /// The room's number.
        #[arg(long)]
        room: u64,
        /// The name others see.
        #[arg(long)]
        name: String,
    },
}

pub fn run(command: LiveCommand) -> Result<()> {
    let LiveCommand::Join { server, ca_file, room, name } = command;
    let secret = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty()).map(Secret::new);
    let settings = JoinSettings {
        server,
        ca_file,
        room,
        display_name: name,
        pin: secret(PIN_ENV),
        token: secret(TOKEN_ENV),
    };
    println!("Joining room {room} at {} …", settings.server);
    let session = LiveSession::join(settings)?;
    loop {
        let Some(event) = session.next_event(Duration::from_secs(3600)) else { continue };
        match event {
            LiveEvent::Joined { .. } => println!("You are in room {room}."),
            LiveEvent::Presence(PresenceChange::Arrived(p)) => println!("{} is here.", p.display),
            LiveEvent::Presence(PresenceChange::Left(p)) => println!("{} left.", p.display),
            LiveEvent::Refused(reason) => bail!("{reason}"),
            LiveEvent::ConnectionLost { reason, retry_in_s } => {
                println!("Connection lost: {reason}. Trying again in {retry_in_s} s.")
            }
            LiveEvent::Skipped(reason) => println!("Skipped a message from the server: {reason}"),
        }
    }
}
