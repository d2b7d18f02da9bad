//! `problemfirst healthcheck`: asks a running bot's `/healthz` whether it is up, for container
//! health checks. It is the bot's own binary, so a minimal runtime image needs no HTTP client.
//! Exit 0 when the answer is `200`, 1 when the bot does not answer or answers anything else, 2
//! when the URL can't be used.
//!
//! Without `--url` it finds `/healthz` where `serve` puts it, from the same environment and
//! config file: in Socket Mode (`SLACK_APP_TOKEN` set) on the ops listener
//! (`PROBLEMFIRST_OPS_LISTEN`, else `ops.listen`), otherwise on the Slack listener
//! (`PROBLEMFIRST_LISTEN`, else `http.listen`). Only those two keys are read from the file, so a
//! check stays cheap.

use super::{ConfigArg, Failure};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long each step (connect, send, read) may take: a health check must not hang.
const TIMEOUT: Duration = Duration::from_secs(3);
/// More than any health answer; a bigger one is not from problemfirst.
const MAX_ANSWER: u64 = 64 * 1024;

/// Where `serve` listens when neither the environment nor the config file says.
const HTTP_LISTEN: &str = "0.0.0.0:3000";
const OPS_LISTEN: &str = "127.0.0.1:9090";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The health endpoint, plain http (default: the running bot's own /healthz).
    #[arg(long, value_name = "URL", env = "PROBLEMFIRST_HEALTHCHECK_URL")]
    url: Option<String>,
    #[command(flatten)]
    config: ConfigArg,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let url = match args.url {
        Some(url) => url,
        None => default_url(env_var, &config_text(&args.config)),
    };
    let (host, port, path) = parse_url(&url).map_err(Failure::Usage)?;
    let (status, _) = request("GET", &host, port, &path, TIMEOUT)
        .map_err(|e| Failure::Gate(format!("unhealthy: {url} did not answer: {e}")))?;
    if status == 200 {
        println!("ok");
        Ok(())
    } else {
        Err(Failure::Gate(format!("unhealthy: {url} answered {status}")))
    }
}

/// An environment variable that is set to something other than blanks.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The config file's text; an unreadable file leaves serve's defaults (serve itself would not
/// have started with it).
fn config_text(config: &ConfigArg) -> String {
    std::fs::read_to_string(&config.config).unwrap_or_default()
}

/// The `/healthz` that `serve` would open with this environment and config text.
fn default_url(env: impl Fn(&str) -> Option<String>, config: &str) -> String {
    let listen = match ops_listener(&env, config) {
        Some(ops) => ops,
        None => local(
            &env("PROBLEMFIRST_LISTEN")
                .or_else(|| listen_in(config, "http"))
                .unwrap_or_else(|| HTTP_LISTEN.into()),
        ),
    };
    format!("http://{listen}/healthz")
}

/// Where the ops listener of `serve` is, as an address to connect to: only in Socket Mode
/// (`SLACK_APP_TOKEN` set), where it has a listener of its own.
fn ops_listener(env: impl Fn(&str) -> Option<String>, config: &str) -> Option<String> {
    env("SLACK_APP_TOKEN")?;
    let listen = env("PROBLEMFIRST_OPS_LISTEN")
        .or_else(|| listen_in(config, "ops"))
        .unwrap_or_else(|| OPS_LISTEN.into());
    Some(local(&listen))
}

/// `listen` of a `[section]` of the config text, without compiling the rest of it.
fn listen_in(config: &str, section: &str) -> Option<String> {
    let table: toml::Table = toml::from_str(config).ok()?;
    table
        .get(section)?
        .get("listen")?
        .as_str()
        .map(str::to_string)
}

/// A listen address as an address to connect to: "every interface" becomes loopback.
fn local(listen: &str) -> String {
    match listen.rsplit_once(':') {
        Some(("0.0.0.0" | "", port)) => format!("127.0.0.1:{port}"),
        Some(("[::]", port)) => format!("[::1]:{port}"),
        _ => listen.to_string(),
    }
}

/// `http://host[:port][/path]` into its parts (port 80 and `/` when left out).
fn parse_url(url: &str) -> Result<(String, u16, String), String> {
    let bad = |why: &str| format!("'{url}' can't be used as the URL: {why}");
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| bad("it must start with http://"))?;
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        // An IPv6 literal keeps its brackets; a colon inside them is not the port's.
        Some((h, p)) if !p.contains(']') => (
            h,
            p.parse::<u16>()
                .map_err(|_| bad("the port is not a number from 0 to 65535"))?,
        ),
        _ => (authority, 80),
    };
    if host.is_empty() {
        return Err(bad("it names no host"));
    }
    Ok((host.to_string(), port, path.to_string()))
}

/// Sends `method path` with no body and returns the answer's status code and body. `wait` bounds
/// connecting and each read and write.
fn request(
    method: &str,
    host: &str,
    port: u16,
    path: &str,
    wait: Duration,
) -> std::io::Result<(u16, String)> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addr = (bare, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::other(format!("{host} has no address")))?;
    let tcp = TcpStream::connect_timeout(&addr, wait)?;
    tcp.set_read_timeout(Some(wait))?;
    tcp.set_write_timeout(Some(wait))?;
    exchange(tcp, method, host, path)
}

/// Sends `method path` with no body over `stream`, a connection made for this one request, and
/// returns the answer's status code and body.
pub(super) fn exchange(
    mut stream: impl Read + Write,
    method: &str,
    host: &str,
    path: &str,
) -> std::io::Result<(u16, String)> {
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    stream.take(MAX_ANSWER).read_to_end(&mut answer)?;
    let status = status_of(&answer)
        .ok_or_else(|| std::io::Error::other("the answer is not an HTTP response"))?;
    let body = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| String::from_utf8_lossy(&answer[at + 4..]).into_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// The status code from `HTTP/1.x NNN ...`.
fn status_of(answer: &[u8]) -> Option<u16> {
    let line = answer.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split_whitespace();
    parts.next().filter(|v| v.starts_with("HTTP/"))?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_come_apart() {
        assert_eq!(
            parse_url("http://127.0.0.1:3000/healthz"),
            Ok(("127.0.0.1".into(), 3000, "/healthz".into()))
        );
        assert_eq!(
            parse_url("http://localhost"),
            Ok(("localhost".into(), 80, "/".into()))
        );
        assert_eq!(
            parse_url("http://[::1]:9/h"),
            Ok(("[::1]".into(), 9, "/h".into()))
        );
        assert!(parse_url("https://x/healthz").is_err());
        assert!(parse_url("http://:80/").is_err());
        assert!(parse_url("http://x:99999/").is_err());
    }

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_default_url_is_where_serve_listens() {
        let config = "data_dir = \"x\"\n[http]\nlisten = \"0.0.0.0:4000\"\n[ops]\nlisten = \"127.0.0.1:9191\"\n";
        // HTTP mode: the Slack listener, from the environment before the file.
        assert_eq!(
            default_url(env(&[]), config),
            "http://127.0.0.1:4000/healthz"
        );
        assert_eq!(
            default_url(env(&[("PROBLEMFIRST_LISTEN", "[::]:5000")]), config),
            "http://[::1]:5000/healthz"
        );
        // Socket Mode: the ops listener.
        let socket = [("SLACK_APP_TOKEN", "xapp-1")];
        assert_eq!(
            default_url(env(&socket), config),
            "http://127.0.0.1:9191/healthz"
        );
        let socket_env = [
            ("SLACK_APP_TOKEN", "xapp-1"),
            ("PROBLEMFIRST_OPS_LISTEN", "0.0.0.0:7000"),
        ];
        assert_eq!(
            default_url(env(&socket_env), config),
            "http://127.0.0.1:7000/healthz"
        );
        // No file, or one that does not parse: serve's defaults.
        assert_eq!(
            default_url(env(&socket), ""),
            "http://127.0.0.1:9090/healthz"
        );
        assert_eq!(
            default_url(env(&[]), "not toml ["),
            "http://127.0.0.1:3000/healthz"
        );
    }

    #[test]
    fn status_lines_are_read() {
        assert_eq!(status_of(b"HTTP/1.1 200 OK\r\n\r\nok"), Some(200));
        assert_eq!(
            status_of(b"HTTP/1.0 503 Service Unavailable\r\n"),
            Some(503)
        );
        assert_eq!(status_of(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status_of(b""), None);
    }

    #[test]
    fn a_listening_server_is_asked_and_its_status_read() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 512];
            let n = s.read(&mut buf).unwrap();
            let asked = String::from_utf8_lossy(&buf[..n]).into_owned();
            s.write_all(b"HTTP/1.1 503 Service Unavailable\r\n\r\ndown")
                .unwrap();
            asked
        });
        let (status, body) = request("GET", "127.0.0.1", port, "/healthz", TIMEOUT).unwrap();
        assert_eq!((status, body.as_str()), (503, "down"));
        assert!(server
            .join()
            .unwrap()
            .starts_with("GET /healthz HTTP/1.1\r\n"));
    }
}
