//! The release binary alone, as a new admin has it: copied into an empty directory, with no
//! settings file and no `PROBLEMFIRST_…` variable, every command works from the built-in settings
//! and rules. `serve` there answers Slack on its listener and the ops endpoints on theirs only.

use crate::support::fake_slack::FakeSlack;
use crate::support::process::{free_port, get, stop_cleanly};
use crate::support::signing;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const PROBLEM: &str = "Night shift nurses can't find a free wheelchair when a patient has to be moved, so patients wait up to twenty minutes.";
const TECH: &str = "Let's build a blockchain platform for our contracts.";
const SECRET: &str = "anywhere-test-signing-secret";

/// The binary copied into `dir/bin`, and an empty working directory `dir/work`.
fn alone(dir: &Path) -> (PathBuf, PathBuf) {
    let bin = dir.join("bin");
    let work = dir.join("work");
    std::fs::create_dir_all(&bin).expect("bin");
    std::fs::create_dir_all(&work).expect("work");
    let exe = bin.join("problemfirst");
    std::fs::copy(env!("CARGO_BIN_EXE_problemfirst"), &exe).expect("binary copied");
    (exe, work)
}

/// The binary in `work`, with nothing of this environment's settings or Slack's.
fn command(exe: &Path, work: &Path) -> Command {
    let mut c = Command::new(exe);
    c.current_dir(work);
    for (name, _) in std::env::vars() {
        if name.starts_with("PROBLEMFIRST_") || name.starts_with("SLACK_") {
            c.env_remove(name);
        }
    }
    c
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_alone_in_an_empty_directory_checks_chats_starts_a_file_and_serves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (exe, work) = alone(dir.path());

    let o = command(&exe, &work)
        .args(["check", PROBLEM])
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert!(o.status.success(), "check: {out}\n{err}");
    assert!(out.starts_with("problem-led"), "{out}");

    // Judged by the learned model the binary carries, the one in the source tree.
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/model.txt"))
            .expect("the shipped model");
    let model_version = shipped
        .lines()
        .find_map(|l| l.strip_prefix("version = "))
        .map(|v| v.trim_matches('"').to_string())
        .expect("the shipped model has a version");
    for (pitch, verdict) in [(PROBLEM, "problem"), (TECH, "tech")] {
        let o = command(&exe, &work)
            .args(["check", "--json", pitch])
            .output()
            .expect("runs");
        let (out, err) = text(&o);
        assert!(o.status.success(), "check --json: {out}\n{err}");
        let judged: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
        assert_eq!(judged["verdict"], verdict, "{out}");
        let version = judged["version"].as_str().unwrap_or_default();
        assert!(
            version.ends_with(&format!("+{model_version}")),
            "{version} is not the shipped model {model_version}"
        );
    }

    let mut chat = command(&exe, &work)
        .args(["chat", "--user", "UCHAT"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chat runs");
    std::io::Write::write_all(
        &mut chat.stdin.take().expect("stdin"),
        format!("{PROBLEM}\n").as_bytes(),
    )
    .expect("piped");
    let o = chat.wait_with_output().expect("chat ends");
    let (out, err) = text(&o);
    assert!(o.status.success(), "chat: {out}\n{err}");
    assert!(out.contains("IDEA-1"), "{out}");
    assert!(work.join("data").is_dir(), "the store is in ./data");

    let o = command(&exe, &work)
        .args(["config", "init"])
        .output()
        .expect("runs");
    assert!(o.status.success(), "config init: {:?}", text(&o));
    let starter = std::fs::read_to_string(work.join("problemfirst.toml")).expect("written");
    assert!(starter.contains("[tracks.execution]"), "{starter}");
    let again = command(&exe, &work)
        .args(["config", "init"])
        .output()
        .expect("runs");
    assert_eq!(again.status.code(), Some(2), "an existing file is kept");
    let o = command(&exe, &work)
        .args(["config", "check"])
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert!(o.status.success(), "config check: {out}\n{err}");
    assert!(
        out.contains("ok: problemfirst.toml; rules built-in"),
        "{out}"
    );

    // serve, with tokens, against a fake Slack: Slack on one port, the ops endpoints on another.
    let fake = FakeSlack::start().await;
    let (slack_port, ops_port) = (free_port(), free_port());
    let mut serve = command(&exe, &work)
        .arg("serve")
        .env("SLACK_BOT_TOKEN", "xoxb-anywhere-test")
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env("SLACK_API_URL", fake.api_url())
        .env(
            "PROBLEMFIRST_HTTP__LISTEN",
            format!("127.0.0.1:{slack_port}"),
        )
        .env("PROBLEMFIRST_OPS__LISTEN", format!("127.0.0.1:{ops_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve runs");
    let (slack, ops) = (
        format!("http://127.0.0.1:{slack_port}"),
        format!("http://127.0.0.1:{ops_port}"),
    );
    let started = Instant::now();
    while get(&format!("{ops}/healthz")).await.0 != 200 {
        assert!(
            serve.try_wait().ok().flatten().is_none(),
            "serve ended before it was up"
        );
        assert!(started.elapsed() < Duration::from_secs(20), "serve came up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, metrics) = get(&format!("{ops}/metrics")).await;
    assert_eq!(status, 200);
    assert!(metrics.contains("problemfirst_"), "{metrics}");
    for path in ["/metrics", "/readyz", "/healthz"] {
        let (status, _) = get(&format!("{slack}{path}")).await;
        assert_eq!(status, 404, "{path} is not on the Slack listener");
    }
    let command = signing::slash_command(PROBLEM, "USERVE", "C1", "trig", &fake.response_url("a"));
    let (status, body) =
        signing::post_form_signed(&format!("{slack}/slack/events"), SECRET, &command).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    assert!(body.contains("IDEA-2"), "{body}");
    stop_cleanly(serve).await;
}
