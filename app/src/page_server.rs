//! `allverse interpret serve`: serves the web page that interpreters and other browser participants join an event from.
//!
//! The page (`assets/web/`) uses Debian's `janus.js` and `adapter.js`, served
//! beside it. Only those four files are served (the page also as
//! `/join.html`), read-only; anything else is "not found". It is meant for
//! the organiser's own machine: tiny_http bounds neither connections nor
//! header sizes, so the README sends network use to the event's HTTPS site. It listens only where the
//! organiser says, on this machine by default. Browsers allow the camera and
//! microphone only on `localhost` or over HTTPS, so to invite interpreters
//! over a network, put these files on the event's HTTPS site instead (they are
//! static).

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Debian's `libjs-janus-gateway` and `libjs-webrtc-adapter`.
const JANUS_JS: &str = "/usr/share/javascript/janus-gateway/janus.js";
const ADAPTER_JS: &str = "/usr/share/javascript/webrtc-adapter/adapter.js";

/// Serves the page at `listen` until stopped; prints its address first (with the port
/// chosen when `listen`'s port is 0).
pub fn serve(listen: SocketAddr) -> Result<()> {
    let web = crate::run_cmd::assets_dir().join("web");
    let files: [(&str, PathBuf, &str); 4] = [
        ("/", web.join("join.html"), "text/html; charset=utf-8"),
        ("/join.js", web.join("join.js"), "text/javascript; charset=utf-8"),
        ("/janus.js", JANUS_JS.into(), "text/javascript; charset=utf-8"),
        ("/adapter.js", ADAPTER_JS.into(), "text/javascript; charset=utf-8"),
    ];
    // Read once: a missing file is an error now, not a broken page later.
    let mut served = Vec::new();
    for (path, file, content_type) in files {
        let body = std::fs::read(&file).with_context(|| match path {
            "/janus.js" | "/adapter.js" => format!(
                "the page needs {} (`cargo xtask setup` installs libjs-janus-gateway and libjs-webrtc-adapter)",
                file.display()
            ),
            _ => format!("the page needs {}, from Allverse's assets (set ALLVERSE_ASSETS)", file.display()),
        })?;
        served.push((path, body, content_type));
    }
    let server =
        tiny_http::Server::http(listen).map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let address = server.server_addr().to_ip().context("listening on an IP address")?;
    println!("Serving the page for joining the event at http://{address}/");
    println!("Give it the event: http://{address}/?server=wss://HOST:PORT&room=ROOM&channel=BSL");
    for request in server.incoming_requests() {
        let path = request.url().split('?').next().unwrap_or_default();
        let path = if path == "/join.html" { "/" } else { path };
        let found = served.iter().find(|(p, ..)| *p == path);
        let is_read = matches!(request.method(), tiny_http::Method::Get | tiny_http::Method::Head);
        let response = match found {
            Some((_, body, content_type)) if is_read => {
                let header =
                    tiny_http::Header::from_bytes("Content-Type", *content_type).expect("a valid header");
                tiny_http::Response::from_data(body.clone()).with_header(header)
            }
            Some(_) => tiny_http::Response::from_string("only GET").with_status_code(405),
            None => tiny_http::Response::from_string("not found").with_status_code(404),
        };
        // A browser that went away mid-answer loses only its own answer.
        let _ = request.respond(response);
    }
    // tiny_http ends its requests for good when accepting fails (out of file descriptors).
    anyhow::bail!("the page server stopped taking connections (too many open at once?); start it again")
}
