//! Asking a running bot, as the commands that work beside it do: its `/healthz` over TCP
//! (`healthcheck`), its admin socket over a Unix socket (`backup`). One request each, with hyper's
//! client, bounded in time and in the size of the answer.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::{Method, Request, Uri};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::time::Duration;

/// More than any answer of the bot's endpoints; a bigger one is not from problemfirst.
const MAX_ANSWER: usize = 64 * 1024;

/// Why a running bot could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum AskError {
    #[error("'{url}' can't be used as the URL: {why}")]
    BadUrl { url: String, why: String },
    #[error("no answer within {0:?}")]
    TimedOut(Duration),
    #[error("{0}")]
    Failed(String),
}

/// An answer: its status code and its body as text.
pub type Answer = (u16, String);

/// `GET url` (plain `http://`), waiting at most `wait` for the whole answer.
pub fn get(url: &str, wait: Duration) -> Result<Answer, AskError> {
    let bad = |why: &str| AskError::BadUrl {
        url: url.to_string(),
        why: why.to_string(),
    };
    let uri: Uri = url
        .parse()
        .map_err(|e: hyper::http::uri::InvalidUri| bad(&e.to_string()))?;
    if uri.scheme_str() != Some("http") {
        return Err(bad("it must start with http://"));
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad("it names no host"));
    }
    run(wait, async move {
        let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .build_http::<Empty<Bytes>>();
        let response = client.get(uri).await.map_err(failed)?;
        read(response).await
    })
}

/// `POST path` to the admin socket at `socket`, waiting at most `wait` for the whole answer.
#[cfg(unix)]
pub fn post_unix(socket: &std::path::Path, path: &str, wait: Duration) -> Result<Answer, AskError> {
    let (status, body) = post_unix_with(socket, path, Vec::new(), MAX_ANSWER, wait)?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// `POST path` with `body` on the Unix socket `socket`: the status and up to `max` bytes of
/// the answer.
#[cfg(unix)]
pub fn post_unix_with(
    socket: &std::path::Path,
    path: &str,
    body: Vec<u8>,
    max: usize,
    wait: Duration,
) -> Result<(u16, Vec<u8>), AskError> {
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(hyper::header::HOST, "problemfirst")
        .body(http_body_util::Full::new(Bytes::from(body)))
        .map_err(failed)?;
    let socket = socket.to_path_buf();
    run(wait, async move {
        let stream = tokio::net::UnixStream::connect(&socket)
            .await
            .map_err(failed)?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(failed)?;
        tokio::spawn(connection);
        let response = sender.send_request(request).await.map_err(failed)?;
        read_bytes(response, max).await
    })
}

async fn read(response: hyper::Response<hyper::body::Incoming>) -> Result<Answer, AskError> {
    let (status, body) = read_bytes(response, MAX_ANSWER).await?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

async fn read_bytes(
    response: hyper::Response<hyper::body::Incoming>,
    max: usize,
) -> Result<(u16, Vec<u8>), AskError> {
    let status = response.status().as_u16();
    let body = Limited::new(response.into_body(), max)
        .collect()
        .await
        .map_err(|e| AskError::Failed(e.to_string()))?
        .to_bytes();
    Ok((status, body.to_vec()))
}

/// Runs one exchange on a runtime of its own, within `wait`.
fn run<T>(
    wait: Duration,
    exchange: impl std::future::Future<Output = Result<T, AskError>>,
) -> Result<T, AskError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(failed)?;
    rt.block_on(async {
        tokio::time::timeout(wait, exchange)
            .await
            .map_err(|_| AskError::TimedOut(wait))?
    })
}

fn failed(e: impl std::fmt::Display) -> AskError {
    AskError::Failed(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn only_plain_http_urls_with_a_host_are_asked() {
        for url in [
            "https://x/healthz",
            "http:///healthz",
            "not a url",
            "ftp://x/",
        ] {
            assert!(
                matches!(
                    get(url, Duration::from_secs(1)),
                    Err(AskError::BadUrl { .. })
                ),
                "{url}"
            );
        }
    }

    #[test]
    fn a_listening_server_is_asked_and_its_status_read() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            let mut buf = [0u8; 512];
            let n = s.read(&mut buf).expect("read");
            let asked = String::from_utf8_lossy(&buf[..n]).into_owned();
            s.write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\n\r\ndown")
                .expect("write");
            asked
        });
        let url = format!("http://127.0.0.1:{port}/healthz");
        let answer = get(&url, Duration::from_secs(10)).expect("an answer");
        assert_eq!(answer, (503, "down".to_string()));
        let asked = server.join().expect("the server answered");
        assert!(asked.starts_with("GET /healthz HTTP/1.1\r\n"), "{asked}");
    }

    #[test]
    fn nobody_listening_is_an_error_not_a_wait() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let url = format!("http://127.0.0.1:{port}/healthz");
        assert!(matches!(
            get(&url, Duration::from_secs(10)),
            Err(AskError::Failed(_))
        ));
    }
}
