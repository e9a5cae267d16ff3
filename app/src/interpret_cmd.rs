//! `allverse interpret`: joining an event as an interpreter.

use allverse_interpret::publish::{PublishOptions, VideoSource, publish_until_stopped};
use anyhow::Result;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum InterpretCommand {
    /// Publish your camera (or a test pattern) and microphone to an event, until Ctrl-C.
    Publish(PublishArgs),
    /// Serve the web page from which interpreters (and anyone else) join a live session's
    /// room from their browser, publishing camera and microphone, until Ctrl-C.
    Serve {
        /// Where to listen: this machine only by default; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
    },
}

#[derive(Args)]
pub struct PublishArgs {
    /// The language channel you interpret into, e.g. BSL.
    #[arg(long)]
    channel: String,
    /// The camera device, e.g. /dev/video0.
    #[arg(
        long,
        value_name = "DEVICE",
        conflicts_with = "test_pattern",
        required_unless_present = "test_pattern"
    )]
    camera: Option<PathBuf>,
    /// Colour bars instead of a camera, to check the connection.
    #[arg(long)]
    test_pattern: bool,
    /// Send the default microphone too.
    #[arg(long)]
    mic: bool,
    /// Where to send: srt://HOST:PORT (an event's media server, or a viewer listening), or rtp://HOST:PORT.
    /// To let viewers connect to you instead, name where to listen: srt://127.0.0.1:PORT?mode=listener
    /// (this machine only) or one network interface's address.
    #[arg(long, value_name = "URL")]
    to: String,
    /// Encrypt the SRT stream with this passphrase (10 to 79 bytes); the receiver needs the same one.
    #[arg(long)]
    passphrase: Option<String>,
    /// Replace a green background with black, so only you remain.
    #[arg(long)]
    chroma_key: bool,
}

pub fn run(command: InterpretCommand) -> Result<()> {
    let args = match command {
        InterpretCommand::Publish(args) => args,
        InterpretCommand::Serve { listen } => return crate::page_server::serve(listen),
    };
    let source = match args.camera {
        Some(device) => VideoSource::Camera(device),
        None => VideoSource::TestPattern,
    };
    let mut options = PublishOptions::new(&args.channel, source, &args.to);
    options.microphone = args.mic;
    options.passphrase = args.passphrase;
    options.chroma_key = args.chroma_key;
    // An address or passphrase that cannot work is an error before anything starts.
    options.pipeline()?;
    let address = options.address()?;
    if let Some(warning) = address.warning() {
        eprintln!("allverse: warning: {warning}");
    }
    if address.listens() {
        eprintln!(
            "allverse: publishing the {} channel to whoever connects to {}; Ctrl-C stops",
            args.channel, args.to
        );
    } else {
        eprintln!("allverse: publishing the {} channel to {}; Ctrl-C stops", args.channel, args.to);
    }
    match publish_until_stopped(&options, |problem| eprintln!("allverse: {problem}"))? {}
}
