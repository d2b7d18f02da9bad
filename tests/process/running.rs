//! The command line with a running bot: while `serve` holds the store, `export`, `digest` and
//! `import` run in the bot through its admin socket, with the same flags and output; after a
//! stop, the same commands on the store itself give the same results.

use crate::support::fake_slack::FakeSlack;
use crate::support::process::{free_port, get, stop_cleanly};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-03-09T10:00:00Z";
const CSV: &str = "text,submitter,created
Warehouse staff re-type every order from email by hand and ship a day late.,UIMP1,2026-03-03
Let's build a chatbot for the intranet that answers every question.,UIMP2,2026-03-04
Warehouse staff re-type every order from email by hand and ship a day late.,UIMP1,2026-03-03
Night nurses walk every corridor to find a free wheelchair while patients wait.,UIMP3,2026-03-05
";

fn problemfirst(args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_problemfirst"));
    for (name, _) in std::env::vars() {
        if name.starts_with("PROBLEMFIRST_") || name.starts_with("SLACK_") {
            c.env_remove(name);
        }
    }
    c.args(args).output().expect("problemfirst runs")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Export (CSV) and digest text of the store in `data`, however it is held.
fn look(data: &str) -> (String, String) {
    let export = ok(&problemfirst(&[
        "export", "--data", data, "--format", "csv",
    ]));
    let digest = ok(&problemfirst(&["digest", "--data", data, "--now", NOW]));
    (export, digest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_digest_and_import_work_while_the_bot_runs_and_agree_with_offline_after_a_stop() {
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let data_arg = data.to_string_lossy().into_owned();
    let csv = dir.path().join("ideas.csv");
    std::fs::write(&csv, CSV).expect("csv");
    let csv_arg = csv.to_string_lossy().into_owned();
    // One idea filed before the bot starts.
    let first = Path::new(dir.path()).join("first.csv");
    std::fs::write(
        &first,
        "text,submitter,created\nTechnicians wait two days for spare parts.,UFIRST,2026-03-02\n",
    )
    .expect("csv");
    ok(&problemfirst(&[
        "import",
        "--data",
        &data_arg,
        &first.to_string_lossy(),
    ]));

    let (port, ops) = (free_port(), free_port());
    let mut serve = Command::new(env!("CARGO_BIN_EXE_problemfirst"))
        .args(["serve", "--data", &data_arg])
        .env("SLACK_BOT_TOKEN", "xoxb-running-test")
        .env("SLACK_SIGNING_SECRET", "running-test-secret")
        .env_remove("SLACK_APP_TOKEN")
        .env("SLACK_API_URL", fake.api_url())
        .env("PROBLEMFIRST_HTTP__LISTEN", format!("127.0.0.1:{port}"))
        .env("PROBLEMFIRST_OPS__LISTEN", format!("127.0.0.1:{ops}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve runs");
    let started = Instant::now();
    while get(&format!("http://127.0.0.1:{ops}/healthz")).await.0 != 200
        || !data.join(problemfirst::ops::ADMIN_SOCKET).exists()
    {
        assert!(serve.try_wait().ok().flatten().is_none(), "serve ended");
        assert!(started.elapsed() < Duration::from_secs(20), "serve came up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // While it runs: the commands can't open the store, and ask the bot.
    let data_for = data_arg.clone();
    let (before, _) = tokio::task::spawn_blocking(move || look(&data_for))
        .await
        .expect("ran");
    assert_eq!(before.lines().count(), 2, "a header and one idea: {before}");
    let (csv_for, data_for) = (csv_arg.clone(), data_arg.clone());
    let (imported, again, during) = tokio::task::spawn_blocking(move || {
        let imported = ok(&problemfirst(&["import", "--data", &data_for, &csv_for]));
        let again = ok(&problemfirst(&["import", "--data", &data_for, &csv_for]));
        (imported, again, look(&data_for))
    })
    .await
    .expect("ran");
    // The repeated row is filed once, and importing the file again files nothing.
    assert!(imported.starts_with("imported 3 ideas ("), "{imported}");
    assert!(
        imported.contains("1 rows were imported before"),
        "{imported}"
    );
    assert!(again.starts_with("imported 0 ideas ("), "{again}");
    assert!(again.contains("4 rows were imported before"), "{again}");
    assert_eq!(during.0.lines().count(), 5, "{}", during.0);
    assert!(during.1.contains("week of 2 March 2026"), "{}", during.1);

    stop_cleanly(serve).await;

    // Offline, the same commands give the same.
    let after = look(&data_arg);
    assert_eq!(after, during);
    let again = ok(&problemfirst(&["import", "--data", &data_arg, &csv_arg]));
    assert!(again.starts_with("imported 0 ideas ("), "{again}");
}
