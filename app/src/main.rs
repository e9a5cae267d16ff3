//! `allverse`: the command-line entry point of the Allverse accessibility runtime.

mod profile_cmd;
mod run_cmd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Allverse: a metaverse for all. Live captions, spatial speech, sign-language
/// interpreter panels and alternative input for XR headsets.
#[derive(Parser)]
#[command(name = "allverse", version, about, long_about = None)]
struct Cli {
    /// Use this profile file instead of the one in your config directory
    /// (also settable with the ALLVERSE_PROFILE environment variable).
    #[arg(long, global = true, value_name = "FILE")]
    profile: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a session in a headset, a window, or the headless simulator.
    Run(run_cmd::RunArgs),
    /// Show, change, check or reset your accessibility profile.
    #[command(subcommand)]
    Profile(profile_cmd::ProfileCommand),
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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("allverse: {e:#}");
            ExitCode::FAILURE
        }
    }
}
