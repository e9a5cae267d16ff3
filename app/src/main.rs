//! `allverse`: the command-line entry point of the Allverse accessibility runtime.

mod captions_cmd;
mod home_cmd;
mod interpret_cmd;
mod live_cmd;
#[cfg(feature = "espeak")]
mod numbers;
mod page_server;
mod profile_cmd;
mod run_cmd;
#[cfg(feature = "espeak")]
mod say_cmd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Allverse: a metaverse for all. Live captions, spatial speech, sign-language
/// interpreter panels and alternative input for XR headsets.
#[derive(Parser)]
#[command(name = "allverse", version, about, long_about = None, after_help = OVERVIEW)]
struct Cli {
    /// Use this profile file instead of the one in your config directory
    /// (also settable with the ALLVERSE_PROFILE environment variable).
    #[arg(long, global = true, value_name = "FILE")]
    profile: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

const OVERVIEW: &str = "\
Backends (allverse run --backend ...):
  openxr    (default) an OpenXR headset; without a runtime or headset it says
            why in one line and falls back to the desktop window, or to the
            headless simulator when there is no display
  desktop   a window; W/A/S/D walk, R/F look up and down, right mouse
            button to look around; every action has a key (M opens the menu)
  headless  the simulator: no window, deterministic, writes report.json and
            PNG captures to --out

Scenario (allverse run --scenario FILE):
  a TOML file describing the room, people, their recordings and caption
  tracks, and the simulated head motion, inputs and captures; see
  assets/scenarios/README.md. Defaults to assets/scenarios/default.toml.

Profile (allverse profile ...):
  your accessibility settings (caption size, contrast, audio, seated mode),
  kept in ~/.config/allverse/profile.toml or the file named by --profile or
  ALLVERSE_PROFILE. See `allverse profile --help`.";

#[derive(Subcommand)]
enum Command {
    /// Start a session in a headset, a window, or the headless simulator.
    Run(run_cmd::RunArgs),
    /// Live captions from on-device speech recognition.
    #[command(subcommand)]
    Captions(captions_cmd::CaptionsCommand),
    /// Interpreting: publish your camera and microphone to an event.
    #[command(subcommand)]
    Interpret(interpret_cmd::InterpretCommand),
    /// Your home in the headset: check the hub's broker, list devices, send a test alert.
    #[command(subcommand)]
    Home(home_cmd::HomeCommand),
    /// Live sessions: join a room on a session server (Janus) and follow who is there.
    #[command(subcommand)]
    Live(live_cmd::LiveCommand),
    /// Show, change, check or reset your accessibility profile.
    #[command(subcommand)]
    Profile(profile_cmd::ProfileCommand),
    /// Speak text from a point around you: to a binaural WAV file, or the speakers.
    #[cfg(feature = "espeak")]
    Say(say_cmd::SayArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let store = match cli.profile {
        Some(path) => allverse_core::profile::ProfileStore::at(path),
        None => match allverse_core::profile::ProfileStore::default_location() {
            Ok(store) => store,
            Err(e) => {
                eprintln!("allverse: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let result = match cli.command {
        Command::Run(args) => run_cmd::run(args, &store),
        Command::Profile(command) => profile_cmd::run(command, &store),
        Command::Captions(command) => captions_cmd::run(command, &store),
        Command::Interpret(command) => interpret_cmd::run(command),
        Command::Home(command) => home_cmd::run(command, &store),
        Command::Live(command) => live_cmd::run(command, &store),
        #[cfg(feature = "espeak")]
        Command::Say(args) => say_cmd::run(args, &store),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("allverse: {e:#}");
            ExitCode::FAILURE
        }
    }
}
