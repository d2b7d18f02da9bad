//! Crash test: a `problemfirst chat --file-all` process files ideas and prints each confirmed id;
//! it is killed with SIGKILL at varied moments. Every id it confirmed must be in the store when it
//! is reopened, and every index must agree with the ideas.

use problemfirst::domain::IdeaId;
use problemfirst::storage::Store;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const ROUNDS: u64 = 12;

const PITCHES: [&str; 4] = [
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.",
    "We should use blockchain to track our invoices.",
    "Cashiers re-key every gift-card number by hand, so a return takes ten minutes at the till.",
    "Let's build an app.",
];

#[test]
fn every_confirmed_idea_survives_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut confirmed: BTreeSet<IdeaId> = BTreeSet::new();
    let started = Instant::now();
    for round in 0..ROUNDS {
        // Kill after 30..=250 ms of filing, varied from round to round (a fixed, repeatable spread).
        let kill_after = Duration::from_millis(30 + (round * 7919 % 221));
        let got = run_and_kill(dir.path(), kill_after);
        confirmed.extend(got);
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the crash test is taking too long"
        );
    }
    assert!(
        confirmed.len() >= ROUNDS as usize,
        "the child confirmed too few ideas ({}) for the test to mean anything",
        confirmed.len()
    );
    let store = Store::open(dir.path()).expect("the store opens after the kills");
    for id in &confirmed {
        let idea = store
            .get(*id)
            .expect("readable")
            .unwrap_or_else(|| panic!("{id} was confirmed but is missing"));
        assert_eq!(idea.status().name(), "new", "{id} was confirmed as filed");
    }
    let check = store.check().expect("check runs");
    assert!(
        check.is_consistent(),
        "indexes disagree with ideas after crashes: {check:?}"
    );
}

/// Start a chat that files ideas; return the ids it confirmed before it was killed.
fn run_and_kill(dir: &std::path::Path, kill_after: Duration) -> Vec<IdeaId> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_problemfirst"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["chat", "--file-all", "--user", "crash", "--data"])
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("problemfirst starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let feeder = std::thread::spawn(move || {
        // Bounded: a few thousand pitches at most, ending when the child dies.
        for i in 0..5000 {
            if writeln!(stdin, "{}", PITCHES[i % PITCHES.len()]).is_err() {
                break;
            }
        }
    });
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Wait until the child has filed its first idea, so every round kills it mid-work.
    let mut lines = Vec::new();
    if let Ok(first) = rx.recv_timeout(Duration::from_secs(30)) {
        lines.push(first);
    }
    std::thread::sleep(kill_after);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let _ = reader.join();
    let _ = feeder.join();
    lines.extend(rx.try_iter());
    lines
        .iter()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            (parts.next() == Some("filed")).then(|| parts.next()?.parse().ok())?
        })
        .collect()
}
