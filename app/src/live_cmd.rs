//! `allverse live`: join a live session's room, follow who is there, and send or hear voices.

use allverse_live::{
    JoinSettings, LiveEvent, LiveSession, MediaSettings, Outgoing, ParticipantId, PresenceChange, Secret,
};
use anyhow::{Result, bail};
use clap::Subcommand;
use std::collections::BTreeMap;
use std::time::Duration;

/// Environment variables for the room's secrets: a command line is visible
/// to every user of the machine (`ps`), the environment is not.
const PIN_ENV: &str = "ALLVERSE_ROOM_PIN";
const TOKEN_ENV: &str = "ALLVERSE_ROOM_TOKEN";

#[derive(Subcommand)]
pub enum LiveCommand {
    /// Join a room and say who is there and who arrives and leaves, until Ctrl-C;
    /// optionally send a recording as your voice and hear the others'.
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
        /// A WAV recording to send into the room as your voice, played once in real time.
        /// Without it nothing is sent: this command never opens the microphone.
        #[arg(long, value_name = "WAV")]
        send: Option<std::path::PathBuf>,
        /// Receive everyone else's voice, pose and chat; say whose voice arrives and print chat.
        #[arg(long)]
        listen: bool,
        /// A chat message to send once connected.
        #[arg(long, value_name = "TEXT")]
        chat: Option<String>,
        /// Words to speak into the room in your profile's voice (espeak-ng) once connected,
        /// also sent as chat: a voice for someone who does not speak.
        #[cfg(feature = "espeak")]
        #[arg(long, value_name = "TEXT", conflicts_with = "send")]
        say: Option<String>,
    },
}

/// Where and as whom to join, with the room's PIN and token from the environment.
pub fn join_settings(
    server: String,
    ca_file: Option<std::path::PathBuf>,
    room: u64,
    display_name: String,
    media: MediaSettings,
) -> JoinSettings {
    let secret = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty()).map(Secret::new);
    JoinSettings {
        server,
        ca_file,
        room,
        display_name,
        pin: secret(PIN_ENV),
        token: secret(TOKEN_ENV),
        media,
    }
}

pub fn run(command: LiveCommand, store: &allverse_core::profile::ProfileStore) -> Result<()> {
    #[cfg(feature = "espeak")]
    let LiveCommand::Join { server, ca_file, room, name, send, listen, mut chat, say } = command;
    #[cfg(not(feature = "espeak"))]
    let LiveCommand::Join { server, ca_file, room, name, send, listen, mut chat } = command;
    #[cfg(feature = "espeak")]
    let mut spoken = match say {
        Some(text) => {
            let espeak = allverse_speech::Espeak::shared()
                .map_err(|e| anyhow::anyhow!("speaking into the room needs espeak-ng: {e}"))?;
            let params = allverse_speech::VoiceParams::from(&store.load()?.profile.speech);
            let (samples, _) = espeak.synthesize(&text, &params)?;
            Some((text, samples))
        }
        None => None,
    };
    #[cfg(feature = "espeak")]
    let outgoing = if spoken.is_some() { Some(Outgoing::Voice) } else { send.map(Outgoing::Recording) };
    #[cfg(not(feature = "espeak"))]
    let (outgoing, _) = (send.map(Outgoing::Recording), store);
    let settings =
        join_settings(server, ca_file, room, name, MediaSettings { send: outgoing, receive: listen });
    println!("Joining room {room} at {} …", settings.server);
    let session = LiveSession::join(settings)?;
    let mut names: BTreeMap<ParticipantId, String> = BTreeMap::new();
    let mut heard: BTreeMap<ParticipantId, usize> = BTreeMap::new();
    loop {
        let Some(event) = session.next_event(Duration::from_secs(3600)) else { continue };
        match event {
            LiveEvent::Joined { .. } => {
                println!("You are in room {room}.");
                // Sent once the data channel is open; after a reconnection, not again.
                if let Some(text) = chat.take() {
                    session.send_chat(&text);
                }
            }
            LiveEvent::Presence(PresenceChange::Arrived(p)) => {
                println!("{} is here.", p.display);
                names.insert(p.id, p.display);
            }
            LiveEvent::Presence(PresenceChange::Left(p)) => println!("{} left.", p.display),
            LiveEvent::Refused(reason) => bail!("{reason}"),
            LiveEvent::ConnectionLost { reason, retry_in_s } => {
                println!("Connection lost: {reason}. Trying again in {retry_in_s} s.")
            }
            LiveEvent::Skipped(reason) => println!("Skipped a message from the server: {reason}"),
            LiveEvent::MediaUp { from: None } => {
                println!("You are connected to the room's media.");
                #[cfg(feature = "espeak")]
                if let Some((text, samples)) = spoken.take() {
                    // The server keeps nothing for those who subscribe later: give the
                    // others a moment to start hearing this connection.
                    std::thread::sleep(Duration::from_secs(2));
                    println!("Saying: {text}");
                    session.say(&text, samples);
                }
            }
            LiveEvent::Chat { from, text } => {
                println!("{}: {text}", names.get(&from).map_or("someone", String::as_str))
            }
            LiveEvent::Pose { .. } => {}
            LiveEvent::MediaUp { from: Some(_) } => {}
            LiveEvent::Video { from, .. } => {
                println!(
                    "{}'s interpreter video is arriving.",
                    names.get(&from).map_or("someone", String::as_str)
                )
            }
            LiveEvent::Voice { from, samples } => {
                let total = heard.entry(from).or_default();
                let name = names.get(&from).map_or("someone", String::as_str);
                // Say so at the first block, then every 5 s of their voice.
                let every = 5 * allverse_live::VOICE_RATE_HZ as usize;
                if *total == 0 || (*total + samples.len()) / every > *total / every {
                    println!(
                        "Hearing {name} ({:.0} s so far).",
                        (*total + samples.len()) as f32 / allverse_live::VOICE_RATE_HZ as f32
                    );
                }
                *total += samples.len();
            }
            LiveEvent::MediaProblem(problem) => println!("{problem}"),
        }
    }
}
