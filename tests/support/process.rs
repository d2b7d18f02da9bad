//! `problemfirst serve` as a separate process, the way an admin runs it: the real binary against a
//! fake Slack, in HTTP mode (signing secret) or Socket Mode (app token), with its logs read as they
//! come so a full pipe never stalls it. It can be stopped (SIGTERM), killed (SIGKILL), started
//! with a lower open-file limit, and measured (`VmRSS`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub const BOT_TOKEN: &str = "xoxb-process-test-bot-token-7781";
pub const APP_TOKEN: &str = "xapp-process-test-app-token-5193";
pub const SECRET: &str = "process-test-signing-secret-d04c";

/// How one `serve` is started.
pub struct Options {
    pub data: PathBuf,
    pub api_url: String,
    /// Socket Mode (with [`APP_TOKEN`]) instead of the HTTP Events API.
    pub socket_mode: bool,
    pub idea_channels: String,
    pub rust_log: String,
    /// JSON log lines instead of human ones.
    pub json_logs: bool,
    /// The open-file limit (soft and hard) the process starts with.
    pub nofile: Option<u64>,
    /// The listener's port (HTTP mode) or the ops port (Socket Mode); 0 picks a free one.
    pub port: u16,
}

impl Options {
    pub fn http(data: &Path, api_url: &str) -> Options {
        Options {
            data: data.to_path_buf(),
            api_url: api_url.to_string(),
            socket_mode: false,
            idea_channels: "CIDEAS".into(),
            rust_log: "info".into(),
            json_logs: false,
            nofile: None,
            port: 0,
        }
    }
}

/// A running `serve`.
pub struct Serve {
    child: Child,
    pub port: u16,
    /// `http://127.0.0.1:PORT`: the Slack listener in HTTP mode, the ops listener in Socket Mode.
    pub base: String,
    logs: Option<std::thread::JoinHandle<String>>,
    _config: tempfile::TempDir,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Serve {
    pub fn start(options: &Options) -> Serve {
        let config_dir = tempfile::tempdir().expect("temp dir");
        let config = config_dir.path().join("problemfirst.toml");
        let shipped = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("config/problemfirst.toml"),
        )
        .expect("shipped config");
        let format = if options.json_logs { "json" } else { "human" };
        std::fs::write(
            &config,
            shipped.replace("format = \"human\"", &format!("format = \"{format}\"")),
        )
        .expect("config written");
        let port = if options.port == 0 {
            free_port()
        } else {
            options.port
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_problemfirst"));
        command
            .args(["serve", "--config"])
            .arg(&config)
            .arg("--data")
            .arg(&options.data)
            .env("SLACK_BOT_TOKEN", BOT_TOKEN)
            .env("SLACK_API_URL", &options.api_url)
            .env("PROBLEMFIRST_IDEA_CHANNELS", &options.idea_channels)
            .env("RUST_LOG", &options.rust_log)
            .env_remove("PROBLEMFIRST_DATA")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if options.socket_mode {
            command
                .env("SLACK_APP_TOKEN", APP_TOKEN)
                .env_remove("SLACK_SIGNING_SECRET")
                .env("PROBLEMFIRST_OPS_LISTEN", format!("127.0.0.1:{port}"));
        } else {
            // The ops endpoints share the Slack listener, which is configured by giving both the
            // same address.
            command
                .env("SLACK_SIGNING_SECRET", SECRET)
                .env_remove("SLACK_APP_TOKEN")
                .env("PROBLEMFIRST_LISTEN", format!("127.0.0.1:{port}"))
                .env("PROBLEMFIRST_OPS_LISTEN", format!("127.0.0.1:{port}"));
        }
        #[cfg(unix)]
        if let Some(limit) = options.nofile {
            use std::os::unix::process::CommandExt;
            // SAFETY: between fork and exec only async-signal-safe calls are allowed; setrlimit
            // is one, and nothing here allocates.
            unsafe {
                command.pre_exec(move || {
                    let lim = libc::rlimit {
                        rlim_cur: limit as libc::rlim_t,
                        rlim_max: limit as libc::rlim_t,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = command.spawn().expect("serve starts");
        let stderr = child.stderr.take().expect("stderr piped");
        let logs = std::thread::spawn(move || {
            let mut text = String::new();
            let mut stderr = stderr;
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        });
        Serve {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
            logs: Some(logs),
            _config: config_dir,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (bounded) until `/healthz` answers; panics with the logs if the process died.
    pub async fn ready(&mut self, timeout: Duration) {
        let started = Instant::now();
        loop {
            if get(&format!("{}/healthz", self.base)).await.0 == 200 {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "serve exited before it was ready ({status}):\n{}",
                    self.take_logs()
                );
            }
            assert!(started.elapsed() < timeout, "serve was not ready in time");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The exit status if the process has ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// SIGKILL, and waits for the process to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, and waits (bounded by `timeout`, then SIGKILL) for the process to end.
    pub async fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        signal(self.pid(), "TERM");
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.kill();
        None
    }

    /// Resident memory now, in kB (`VmRSS` in /proc); `None` off Linux or once it has ended.
    pub fn rss_kb(&self) -> Option<u64> {
        rss_kb(self.pid())
    }

    /// Everything the process wrote to standard error; waits for it to end first.
    pub fn take_logs(&mut self) -> String {
        if self.exited().is_none() {
            self.kill();
        }
        self.logs
            .take()
            .and_then(|l| l.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if self.exited().is_none() {
            self.kill();
        }
    }
}

/// SIGTERM to a bot started with its own `Command`, and asserts that it stops cleanly.
pub async fn stop_cleanly(mut serve: std::process::Child) {
    signal(serve.id(), "TERM");
    let stopped = tokio::task::spawn_blocking(move || serve.wait())
        .await
        .expect("waited");
    assert!(stopped.is_ok_and(|s| s.success()), "serve stops cleanly");
}

fn signal(pid: u32, name: &str) {
    let sent = Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -{name} {pid}");
}

pub fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
}

/// `GET url`: the status (0 when no answer came) and the body.
pub async fn get(url: &str) -> (u16, String) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let Ok(uri) = url.parse() else {
        return (0, String::new());
    };
    let answer = async {
        match client.get(uri).await {
            Ok(res) => {
                let status = res.status().as_u16();
                let body = http_body_util::BodyExt::collect(res.into_body())
                    .await
                    .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
                    .unwrap_or_default();
                (status, body)
            }
            Err(_) => (0, String::new()),
        }
    };
    tokio::time::timeout(Duration::from_secs(10), answer)
        .await
        .unwrap_or((0, String::new()))
}

/// How many kept events a run took up from the inbox at its start, as its log says.
pub fn resumed_at_start(logs: &str) -> usize {
    logs.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| {
            l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("acknowledged before the last stop"))
        })
        .filter_map(|l| l["fields"]["count"].as_u64())
        .sum::<u64>() as usize
}

/// Waits (bounded: 20 s) until every message with one of these timestamps has had its reply
/// posted in its thread: the bot has finished what it acknowledged.
pub async fn wait_for_replies(fake: &crate::support::fake_slack::FakeSlack, ts: &[&str]) {
    let replied = || -> std::collections::HashSet<String> {
        fake.delivered("chat.postMessage")
            .iter()
            .filter_map(|c| c.arg("thread_ts").map(str::to_string))
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && !ts.iter().all(|t| replied().contains(*t)) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The ideas in the (stopped) store at `data`, counted by the message they were filed from.
pub struct Filed(pub std::collections::HashMap<String, usize>);

impl Filed {
    pub fn read(data: &Path) -> Filed {
        let store = problemfirst::storage::Store::open(data).expect("the store opens");
        let mut filed = std::collections::HashMap::new();
        for n in 1..=store.len().expect("count") as u64 {
            let idea = store
                .get(problemfirst::domain::IdeaId::new(n))
                .expect("readable")
                .expect("ids are dense");
            *filed
                .entry(idea.origin.ts.map(String::from).unwrap_or_default())
                .or_default() += 1;
        }
        Filed(filed)
    }

    /// Of the acknowledged messages, `(id, ts)`, the ids of those never filed.
    pub fn missing<'a>(&self, acked: &[(&'a str, &str)]) -> Vec<&'a str> {
        acked
            .iter()
            .filter(|(_, ts)| !self.0.contains_key(*ts))
            .map(|(id, _)| *id)
            .collect()
    }

    /// The messages filed more than once, with how often.
    pub fn twice(&self) -> Vec<(&String, &usize)> {
        self.0.iter().filter(|(_, n)| **n > 1).collect()
    }
}

/// The end of a SIGKILL test: waits for the replies of everything acknowledged (`(id, ts)`),
/// stops the bot cleanly, and checks that each acknowledged delivery was filed exactly once and
/// nothing else was. `what` names the deliveries ("events"); `story` says how they were sent and
/// `resumed` how many earlier runs took up from the inbox after a kill, for the printout.
pub async fn check_every_acknowledged_filed_once(
    fake: &crate::support::fake_slack::FakeSlack,
    serve: &mut Serve,
    data: &Path,
    acked: &[(&str, &str)],
    what: &str,
    story: &str,
    resumed: usize,
) {
    let ts: Vec<&str> = acked.iter().map(|(_, ts)| *ts).collect();
    wait_for_replies(fake, &ts).await;
    let status = serve.terminate(Duration::from_secs(15)).await;
    assert!(status.is_some_and(|s| s.success()), "stopped: {status:?}");
    let resumed = resumed + resumed_at_start(&serve.take_logs());

    let filed = Filed::read(data);
    let missing = filed.missing(acked);
    let twice = filed.twice();
    eprintln!(
        "{} {what} acknowledged {story} ({resumed} taken up from the inbox after a kill): {} \
         filed, {} missing, {} filed more than once",
        acked.len(),
        filed.0.len(),
        missing.len(),
        twice.len()
    );
    assert!(
        acked.len() >= 100,
        "too few {what} ({}) for the test to mean anything",
        acked.len()
    );
    assert!(
        missing.is_empty(),
        "{} acknowledged {what} were not filed: {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert!(twice.is_empty(), "filed more than once: {twice:?}");
    assert_eq!(
        filed.0.len(),
        acked.len(),
        "nothing was filed that was not sent"
    );
}
