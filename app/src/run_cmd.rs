//! `allverse run`: start a session on the chosen backend.

use crate::profile_cmd::load_reporting;
use allverse_core::profile::{Profile, ProfileStore};
use allverse_core::scenario::Scenario;
use allverse_runtime::backend::display_available;
use allverse_runtime::{Backend, SessionSetup, Simulator, choose_backend, desktop, xr};
use anyhow::Result;
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct RunArgs {
    /// Where the session runs: an OpenXR headset (falling back to a desktop
    /// window, or to the headless simulator when there is no display), a
    /// desktop window, or the headless simulator.
    #[arg(long, value_enum, default_value = "openxr")]
    backend: Backend,

    /// Scenario file (TOML) describing the room, people and, for the
    /// simulator, the scripted head motion, inputs and captures.
    /// Defaults to the bundled scenario.
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,

    /// Folder for the session report (report.json) and, from the simulator, PNG captures.
    /// The headset backend writes its report when the session ends.
    #[arg(long, value_name = "DIR", default_value = "allverse-session")]
    out: PathBuf,

    /// In the headset, end the session when the scenario's duration has
    /// passed since the headset first showed it, as the simulator ends
    /// (otherwise it runs until you quit).
    #[arg(long)]
    stop_at_end: bool,

    /// Join a live session's room on this session server: wss://HOST:PORT, or
    /// ws://HOST:PORT on a trusted network. Everyone in the room appears where
    /// they stand, heard from there and captioned by name; their chat is shown
    /// and read. The room's PIN and invitation token, when it needs them, are
    /// read from ALLVERSE_ROOM_PIN and ALLVERSE_ROOM_TOKEN.
    #[arg(long, value_name = "URL", requires_all = ["room", "name"])]
    join: Option<String>,

    /// The live session's room number (with --join).
    #[arg(long, requires = "join")]
    room: Option<u64>,

    /// The name the others in the room see: with --join, or to join the room the
    /// scenario's event takes place in (its `[room]`).
    #[arg(long)]
    name: Option<String>,

    /// For a wss:// server: the CA file (PEM) that signed its certificate.
    #[arg(long, value_name = "PEM", requires = "name")]
    ca_file: Option<PathBuf>,

    /// Send your microphone to the room (with --join). It starts muted: nothing
    /// from it leaves the device until you open it with "Microphone on or off"
    /// (V, the left stick left, the action menu or the voice command
    /// "microphone"), and "Mic live" stays in view while it is open. Optionally a
    /// GStreamer source element, e.g. `pulsesrc device=NAME`; by default the
    /// system's default input.
    #[arg(long, value_name = "ELEMENT", requires = "name", num_args = 0..=1, default_missing_value = "")]
    microphone: Option<String>,
}

/// A live session room to join, as the user named it or their event does.
struct RoomToJoin {
    server: String,
    room: u64,
    name: String,
    ca_file: Option<PathBuf>,
}

/// The live session to join, if any: the one on the command line, else the event's room.
/// The user's name is needed for either.
fn room_to_join(
    args: &RunArgs,
    event: Option<&allverse_core::event::EventDescription>,
) -> Result<Option<RoomToJoin>> {
    let given = args.join.clone().zip(args.room);
    let from_event = event.and_then(|event| event.room.as_ref());
    match (given, from_event, &args.name) {
        (Some((server, room)), _, Some(name)) => {
            Ok(Some(RoomToJoin { server, room, name: name.clone(), ca_file: args.ca_file.clone() }))
        }
        (None, Some(room), Some(name)) => Ok(Some(RoomToJoin {
            server: room.server.clone(),
            room: room.id,
            name: name.clone(),
            ca_file: args.ca_file.clone().or_else(|| room.ca_file.clone()),
        })),
        (None, Some(room), None) => anyhow::bail!(
            "the event takes place in room {} at {}: give the name the others see with --name",
            room.id,
            allverse_live::shown_address(&room.server)
        ),
        (None, None, Some(_)) => {
            anyhow::bail!(
                "--name is for joining a live session: add --join and --room, or use an event with a [room]"
            )
        }
        _ => Ok(None),
    }
}

/// The bundled assets: `$ALLVERSE_ASSETS`, `./assets`, or the source tree's.
pub(crate) fn assets_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ALLVERSE_ASSETS") {
        return PathBuf::from(dir);
    }
    let local = Path::new("assets");
    if local.join("scenarios").is_dir() {
        return local.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets")
}

pub fn run(args: RunArgs, store: &ProfileStore) -> Result<()> {
    let mut notices = Vec::new();
    // A profile that cannot be read must not stop a session: defaults apply and the user is told.
    let profile = match load_reporting(store) {
        Ok((profile, notice)) => {
            notices.extend(notice);
            profile
        }
        Err(e) => {
            let notice = format!("{e}; using the default settings for this session");
            eprintln!("allverse: {notice}");
            notices.push(notice);
            Profile::default()
        }
    };
    let scenario_path = args.scenario.clone().unwrap_or_else(|| assets_dir().join("scenarios/default.toml"));
    let scenario = Scenario::load(&scenario_path)?;

    let choice = choose_backend(args.backend, xr::probe_openxr, display_available());
    if let Some(reason) = &choice.fallback_reason {
        eprintln!("allverse: {reason}");
        notices.push(reason.clone());
    }
    let backend_name = format!("{:?}", choice.backend).to_lowercase();
    let mut setup = SessionSetup::prepare(scenario, profile, &backend_name)?;
    for notice in &setup.notices {
        eprintln!("allverse: {notice}");
    }
    setup.notices.extend(notices);
    if let Some(RoomToJoin { server, room, name, ca_file }) = room_to_join(&args, setup.event.as_ref())? {
        let microphone = args.microphone.map(|element| match element.trim() {
            "" => allverse_live::Microphone::Default,
            element => allverse_live::Microphone::Element(element.into()),
        });
        // Without a microphone the user's voice is the phrases they choose, spoken by the synthesizer.
        let send =
            Some(microphone.map_or(allverse_live::Outgoing::Voice, allverse_live::Outgoing::Microphone));
        let media = allverse_live::MediaSettings { send, receive: true };
        let join = crate::live_cmd::join_settings(server, ca_file, room, name, media);
        // An address or CA file that can never work is the user's to fix now, not a notice later.
        join.check().map_err(|e| anyhow::anyhow!("cannot join the live session: {e}"))?;
        setup.join = Some(join);
    }

    match choice.backend {
        Backend::Headless => {
            // A scripted session's settings changes stay in the session, so
            // running a scenario never rewrites the user's own profile.
            let report = Simulator::new(setup, &args.out)?.run()?;
            println!(
                "session report: {} ({} timeline events, {} captures)",
                args.out.join("report.json").display(),
                report.timeline.len(),
                report.captures.len()
            );
            for capture in &report.captures {
                println!("capture at {:.2} s: {}", capture.t_s, capture.path.display());
            }
        }
        Backend::Desktop => {
            setup.profile_store = Some(store.path().to_path_buf());
            desktop::run(setup);
        }
        Backend::Openxr => {
            setup.profile_store = Some(store.path().to_path_buf());
            let end = xr::run(setup, &args.out, args.stop_at_end)?;
            println!(
                "session report: {} ({} timeline events, {} frames submitted)",
                args.out.join("report.json").display(),
                end.report.timeline.len(),
                end.report.xr.as_ref().map_or(0, |xr| xr.frames_submitted)
            );
            // One line either way: a failure is returned and printed as the error.
            anyhow::ensure!(end.ending.is_orderly(), "{}", end.ending.describe());
            println!("allverse: {}", end.ending.describe());
        }
    }
    Ok(())
}
