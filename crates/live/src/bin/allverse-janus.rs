//! Runs the Janus the tests use on loopback until Ctrl-C, saying how to join it.
//!
//! `cargo xtask janus` starts this after installing Janus, so that xtask
//! itself builds before GStreamer's and Janus's packages are on the machine.

use allverse_live::server::{GUARDED_PIN, GUARDED_ROOM, GUARDED_TOKENS, JanusServer, OPEN_ROOM};

fn main() {
    let server = match JanusServer::start() {
        Ok(server) => server,
        Err(error) => {
            eprintln!("[janus] could not start Janus: {error}");
            std::process::exit(1);
        }
    };
    println!(
        "[janus] Janus is listening on {} and, over TLS, {} (loopback only)",
        server.ws_url(),
        server.wss_url()
    );
    println!("[janus] the TLS certificate's CA, for --ca-file: {}", server.ca_file().display());
    println!("[janus] open room: {OPEN_ROOM}");
    println!(
        "[janus] guarded room: {GUARDED_ROOM}, PIN {GUARDED_PIN}, invitation tokens {} (test values; \
         a real event sets its own)",
        GUARDED_TOKENS.join(", ")
    );
    println!("[janus] running until Ctrl-C");
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
