//! Backups and restores: through the store's handle (`Store::backup_to`, `storage::backup::
//! restore`), through the `backup` and `restore` commands as a person runs them, and from a
//! running bot that holds the store (`POST /backup` on its admin socket), in both modes.

use crate::support::ids;

use jiff::{SignedDuration, Timestamp};
use problemfirst::domain::{IdeaId, Judgement, NewIdea, Origin, Source, Transition, Verdict};
use problemfirst::storage::backup::{self, BackupError};
use problemfirst::storage::Store;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tempfile::TempDir;

const TRACKS: [&str; 3] = ["execution", "search", "execution"];

fn at(n: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000).unwrap() + SignedDuration::from_mins(n)
}

fn new_idea(n: usize) -> NewIdea {
    NewIdea {
        submitter: ids::user(&format!("U{}", n % 4)),
        source: Source::Slash,
        origin: Origin::default(),
        pitch: format!("Field technicians wait {n} days for spare parts"),
        judged: Judgement {
            verdict: Verdict::Problem,
            confidence: 0.8,
            hits: vec![],
            rules_version: "test".into(),
            model_version: "test".into(),
        },
        track: ids::track(TRACKS[n % 3]),
        anonymous: false,
        filed: true,
        at: at(n as i64),
    }
}

/// A store with `n` ideas, some of them moved along so the status index has several entries.
fn store_with_ideas(dir: &Path, n: usize) -> Store {
    let store = Store::open(dir).unwrap();
    for i in 0..n {
        store.create(new_idea(i)).unwrap();
    }
    for (id, t) in [(2, Transition::StartReview), (3, Transition::Withdraw)] {
        if id <= n as u64 {
            store
                .update(IdeaId::new(id), |idea| {
                    idea.apply(t, &ids::user("lead"), None, at(1000))
                        .map(|_| ())
                })
                .unwrap()
                .unwrap();
        }
    }
    store
}

/// Every idea, as stored, in id order.
fn all_ideas(store: &Store) -> Vec<String> {
    store
        .ideas()
        .map(|i| serde_json::to_string(&i.unwrap()).unwrap())
        .collect()
}

/// What the indexes answer: pages by track, queues by status, lists by submitter.
fn index_views(store: &Store) -> Vec<Vec<u64>> {
    let ids =
        |ideas: Vec<problemfirst::domain::Idea>| ideas.iter().map(|i| i.id.number()).collect();
    let mut views = Vec::new();
    for track in ["execution", "search"] {
        views.push(ids(store.page_by_track(track, None, 100).unwrap().ideas));
    }
    for status in ["new", "in_review", "withdrawn"] {
        views.push(ids(store.by_status(status).unwrap()));
    }
    for u in 0..4 {
        views.push(ids(store.by_submitter(&format!("U{u}")).unwrap()));
    }
    views
}

fn assert_consistent(store: &Store) {
    let report = store.check().unwrap();
    assert!(report.is_consistent(), "{:#?}", report.problems);
}

#[test]
fn a_restored_store_has_the_same_ideas_and_indexes_and_continues_the_ids() {
    let tmp = TempDir::new().unwrap();
    let (src, file, dst) = (
        tmp.path().join("src"),
        tmp.path().join("b.pfb"),
        tmp.path().join("dst"),
    );
    let store = store_with_ideas(&src, 12);
    let summary = store.backup_to(&file).unwrap();
    assert_eq!(summary.ideas, 12);
    assert_eq!(summary.bytes, std::fs::metadata(&file).unwrap().len());
    let (ideas, views) = (all_ideas(&store), index_views(&store));
    assert!(views.iter().any(|v| v.len() > 1), "{views:?}");
    drop(store);

    let restored = backup::restore(&file, &dst, false).unwrap();
    assert!(restored.consistency.is_consistent());
    assert_eq!(restored.consistency.counter, 12);
    assert_eq!(restored.pairs, summary.pairs);

    let store = Store::open(&dst).unwrap();
    assert_eq!(all_ideas(&store), ideas);
    assert_eq!(index_views(&store), views);
    assert_eq!(store.len().unwrap(), 12);
    let next = store.create(new_idea(12)).unwrap();
    assert_eq!(next.id, IdeaId::new(13));
    assert_consistent(&store);
}

#[test]
fn a_backup_taken_while_another_handle_writes_is_one_moment_of_the_store() {
    let tmp = TempDir::new().unwrap();
    let store = store_with_ideas(&tmp.path().join("src"), 50);
    let writer_store = store.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let writer_stop = Arc::clone(&stop);
    // Files ideas and moves them through review without a pause for as long as the backups run
    // (far faster than people file ideas), so that reads of the trees one after another would
    // see some writes and miss others.
    let writer = std::thread::spawn(move || {
        let mut n = 50;
        while !writer_stop.load(Ordering::Relaxed) && n < 3_000 {
            let idea = writer_store.create(new_idea(n)).unwrap();
            if n % 2 == 0 {
                writer_store
                    .update(idea.id, |i| {
                        i.apply(Transition::StartReview, &ids::user("lead"), None, at(2000))
                            .map(|_| ())
                    })
                    .unwrap()
                    .unwrap();
            }
            n += 1;
        }
        n
    });

    let mut replayed = 0;
    for taken in 0..4 {
        let file = tmp.path().join(format!("b{taken}.pfb"));
        let summary = store.backup_to(&file).unwrap();
        let dst = tmp.path().join(format!("dst{taken}"));
        let restored = backup::restore(&file, &dst, false).unwrap();
        assert!(
            restored.consistency.is_consistent(),
            "backup {taken} ({} entries replayed) is not one moment: {:#?}",
            summary.replayed,
            restored.consistency.problems
        );
        assert_eq!(restored.consistency.counter, summary.ideas);
        assert_eq!(restored.consistency.ideas, summary.ideas);
        replayed += summary.replayed;
    }
    stop.store(true, Ordering::Relaxed);
    let filed = writer.join().unwrap();
    assert!(filed > 50, "the writer filed nothing during the backups");
    // Otherwise the writes all fell between backups, and this test proved nothing.
    assert!(
        replayed > 0,
        "no write happened while a backup read the store"
    );
}

#[test]
fn a_damaged_or_cut_short_backup_is_refused_before_anything_is_written() {
    let tmp = TempDir::new().unwrap();
    let file = tmp.path().join("b.pfb");
    store_with_ideas(&tmp.path().join("src"), 5)
        .backup_to(&file)
        .unwrap();
    let good = std::fs::read(&file).unwrap();

    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    let cut = good[..good.len() * 2 / 3].to_vec();
    for (name, bytes) in [("flipped", flipped), ("cut", cut)] {
        let bad = tmp.path().join(format!("{name}.pfb"));
        std::fs::write(&bad, bytes).unwrap();
        let dst = tmp.path().join(format!("dst-{name}"));
        let err = backup::restore(&bad, &dst, false).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, BackupError::Damaged { .. }), "{name}: {msg}");
        assert!(msg.contains("damaged or incomplete"), "{name}: {msg}");
        assert!(msg.contains("checksum does not match"), "{name}: {msg}");
        assert!(!dst.exists(), "{name}: the target was created");
    }

    let short = tmp.path().join("short.pfb");
    std::fs::write(&short, &good[..20]).unwrap();
    let msg = backup::restore(&short, &tmp.path().join("x"), false)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("too short"), "{msg}");

    let other = tmp.path().join("notes.txt");
    std::fs::write(&other, "not a backup at all, just some notes").unwrap();
    let err = backup::restore(&other, &tmp.path().join("y"), false).unwrap_err();
    assert!(matches!(err, BackupError::NotABackup { .. }), "{err}");
}

#[test]
fn a_store_can_be_replaced_only_when_asked_and_only_a_store() {
    let tmp = TempDir::new().unwrap();
    let file = tmp.path().join("b.pfb");
    store_with_ideas(&tmp.path().join("src"), 5)
        .backup_to(&file)
        .unwrap();

    // A store of its own, with other ideas.
    let target = tmp.path().join("target");
    drop(store_with_ideas(&target, 8));
    let err = backup::restore(&file, &target, false).unwrap_err();
    assert!(matches!(err, BackupError::NotEmpty { .. }), "{err}");
    assert_eq!(Store::open(&target).unwrap().len().unwrap(), 8);

    let restored = backup::restore(&file, &target, true).unwrap();
    assert!(restored.consistency.is_consistent());
    let store = Store::open(&target).unwrap();
    assert_eq!(store.len().unwrap(), 5);
    assert_eq!(store.ideas().count(), 5);
    assert_eq!(store.create(new_idea(5)).unwrap().id, IdeaId::new(6));
    assert_consistent(&store);
    drop(store);

    // A folder that is not a store is never cleared, not even when asked.
    let folder = tmp.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("notes.txt"), "keep me").unwrap();
    for force in [false, true] {
        let err = backup::restore(&file, &folder, force).unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
    }
    assert!(matches!(
        backup::restore(&file, &folder, true),
        Err(BackupError::NotAStore { .. })
    ));
    assert_eq!(
        std::fs::read_to_string(folder.join("notes.txt")).unwrap(),
        "keep me"
    );
}

// The commands, as a person runs them.

fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_problemfirst"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("PROBLEMFIRST_CONFIG")
        .env_remove("PROBLEMFIRST_DATA")
        .env_remove("SLACK_APP_TOKEN")
        .env_remove("SLACK_SIGNING_SECRET");
    c
}

fn problemfirst(args: &[&str]) -> Output {
    command()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("can't run problemfirst: {e}"))
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn the_commands_back_up_and_restore_and_say_what_they_did() {
    let tmp = TempDir::new().unwrap();
    let (src, file, dst) = (
        tmp.path().join("src"),
        tmp.path().join("b.pfb"),
        tmp.path().join("dst"),
    );
    let store = store_with_ideas(&src, 3);

    // Another process holds the store: the command says why it can't and what to do.
    let o = problemfirst(&["backup", "--data", path(&src), "--out", path(&file)]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("open in a running problemfirst"), "{err}");
    assert!(err.contains("Stop the bot"), "{err}");
    assert!(!file.exists());
    drop(store);

    let o = problemfirst(&["backup", "--data", path(&src), "--out", path(&file)]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("3 ideas filed"), "{out}");
    assert!(file.exists());

    let o = problemfirst(&["restore", path(&file), "--data", path(&dst)]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("next is IDEA-4"), "{out}");
    assert!(out.contains("consistency check: ok"), "{out}");

    // Restoring again over the result is refused without --force, and allowed with it.
    let o = problemfirst(&["restore", path(&file), "--data", path(&dst)]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("not empty") && err.contains("--force"),
        "{err}"
    );
    let o = problemfirst(&["restore", path(&file), "--data", path(&dst), "--force"]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert_eq!(Store::open(&dst).unwrap().len().unwrap(), 3);
}

#[test]
fn the_commands_refuse_a_missing_store_and_a_damaged_file_clearly() {
    let tmp = TempDir::new().unwrap();
    let nothing = tmp.path().join("nothing");
    let out = tmp.path().join("b.pfb");
    let o = problemfirst(&["backup", "--data", path(&nothing), "--out", path(&out)]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no problemfirst store"), "{err}");
    assert!(
        !nothing.exists(),
        "backup created a store where there was none"
    );

    drop(store_with_ideas(&tmp.path().join("src"), 2));
    let o = problemfirst(&[
        "backup",
        "--data",
        path(&tmp.path().join("src")),
        "--out",
        path(&out),
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let bytes = std::fs::read(&out).unwrap();
    std::fs::write(&out, &bytes[..bytes.len() - 1]).unwrap();
    let dst = tmp.path().join("dst");
    let o = problemfirst(&["restore", path(&out), "--data", path(&dst)]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("damaged or incomplete"), "{err}");
    assert!(!dst.exists());
}

/// `path` and everything under it: folders 0700, files (and the admin socket) 0600.
fn assert_private(path: &Path) {
    let meta = std::fs::symlink_metadata(path).unwrap();
    let mode = meta.permissions().mode() & 0o777;
    if meta.is_dir() {
        assert_eq!(mode, 0o700, "{} is {mode:o}", path.display());
        for entry in std::fs::read_dir(path).unwrap() {
            assert_private(&entry.unwrap().path());
        }
    } else {
        assert_eq!(mode, 0o600, "{} is {mode:o}", path.display());
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// A bare HTTP request over `stream`: status and body.
fn ask(mut stream: impl std::io::Read + std::io::Write, method: &str, path: &str) -> (u16, String) {
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string());
    (status, body.unwrap_or_default())
}

fn ask_socket(socket: &Path, method: &str, path: &str) -> (u16, String) {
    ask(UnixStream::connect(socket).unwrap(), method, path)
}

/// Stops the bot when the test ends, passed or not.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[derive(Clone, Copy, Debug)]
enum Mode {
    Socket,
    Http,
}

/// Starts `serve` in `mode` on a store of three ideas in `data`, and waits for its admin socket.
/// Returns the bot and, in Socket Mode, its ops listener's address.
fn running_bot(mode: Mode, data: &Path, api_url: &str) -> (Running, Option<String>) {
    drop(store_with_ideas(data, 3));
    let mut bot = command();
    bot.args(["serve", "--data", path(data)])
        .env("SLACK_BOT_TOKEN", "xoxb-backup-test")
        .env("SLACK_API_URL", api_url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let ops = match mode {
        Mode::Socket => {
            let ops = format!("127.0.0.1:{}", free_port());
            bot.env("SLACK_APP_TOKEN", "xapp-backup-test")
                .env("PROBLEMFIRST_OPS_LISTEN", &ops);
            Some(ops)
        }
        Mode::Http => {
            bot.env("SLACK_SIGNING_SECRET", "backup-test-secret")
                .env("PROBLEMFIRST_LISTEN", format!("127.0.0.1:{}", free_port()))
                .env(
                    "PROBLEMFIRST_OPS_LISTEN",
                    format!("127.0.0.1:{}", free_port()),
                );
            None
        }
    };
    let bot = Running(bot.spawn().unwrap());
    let socket = data.join(problemfirst::ops::ADMIN_SOCKET);
    let started = std::time::Instant::now();
    while UnixStream::connect(&socket).is_err() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the bot's admin socket did not open ({mode:?})"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (bot, ops)
}

async fn a_running_bot_backs_up_its_own_store_when_asked(mode: Mode) {
    let fake = crate::support::fake_slack::FakeSlack::start().await;
    let tmp = TempDir::new().unwrap();
    let (data, out, dst) = (
        tmp.path().join("data"),
        tmp.path().join("b.pfb"),
        tmp.path().join("dst"),
    );
    let (mut bot, ops) = running_bot(mode, &data, &fake.api_url());
    let socket = data.join(problemfirst::ops::ADMIN_SOCKET);
    let mode_bits = std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode_bits, 0o600, "the admin socket is open to other users");

    // The command can't open the store the bot holds, so it asks the bot.
    let o = problemfirst(&["backup", "--data", path(&data), "--out", path(&out)]);
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{mode:?}: {stdout}{stderr}");
    assert!(stdout.contains("the running bot backed up"), "{stdout}");
    assert!(stdout.contains("3 ideas filed"), "{stdout}");
    assert!(out.exists());
    assert!(
        !data.join("backups").join("b.pfb").exists(),
        "the bot's copy was not moved to --out"
    );

    // A request chooses at most a file name inside the data directory's backups folder.
    let (status, body) = ask_socket(&socket, "POST", "/backup?name=..%2Fescaped.pfb");
    assert_eq!(status, 400, "{body}");
    assert!(!data.join("escaped.pfb").exists());
    let (status, body) = ask_socket(&socket, "POST", "/backup?name=nightly.pfb");
    assert_eq!(status, 200, "{body}");
    assert!(data.join("backups").join("nightly.pfb").exists(), "{body}");
    assert_eq!(ask_socket(&socket, "GET", "/backup").0, 404);
    assert_eq!(ask_socket(&socket, "GET", "/healthz").0, 200);
    // Every pitch is in these files: only the bot's own user may read them, or list the folders.
    assert_private(&data);
    assert_private(&out);
    // A network listener never takes backups, not even on loopback.
    if let Some(ops) = ops {
        let tcp = std::net::TcpStream::connect(&ops).unwrap();
        assert_eq!(ask(tcp, "POST", "/backup?name=net.pfb").0, 404);
        assert!(!data.join("backups").join("net.pfb").exists());
    }

    // A bot that stops takes its socket away.
    // SAFETY: kill only sends a signal, to a child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(bot.0.id() as i32, libc::SIGTERM) }, 0);
    assert!(bot.0.wait().unwrap().success());
    assert!(!socket.exists(), "the admin socket outlived the bot");

    let restored = backup::restore(&out, &dst, false).unwrap();
    assert!(restored.consistency.is_consistent());
    assert_eq!(restored.consistency.counter, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_bot_in_socket_mode_backs_up_its_own_store_when_asked() {
    a_running_bot_backs_up_its_own_store_when_asked(Mode::Socket).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_bot_in_http_mode_backs_up_its_own_store_when_asked() {
    a_running_bot_backs_up_its_own_store_when_asked(Mode::Http).await;
}
