//! The app core end to end on a real sled store: submit, coach, reframe, file anyway, withdraw,
//! similar ideas, restarts, concurrency, and export → import through the command line.

use crate::support::ids;

use problemfirst::app::{Action, Answer, App, AppError, Outcome, Submission};
use problemfirst::config::Config;
use problemfirst::domain::{Audience, IdeaId, Notice, Reframe, Source, Status, Verdict};
use std::path::Path;
use std::sync::Arc;

fn config() -> Arc<Config> {
    Arc::new(
        Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/problemfirst.toml"))
            .expect("default config"),
    )
}

fn app(dir: &Path) -> App {
    crate::support::app::core(dir, config())
}

fn pitch(text: &str, who: &str) -> Submission {
    Submission {
        pitch: text.into(),
        submitter: ids::user(who),
        source: Source::Console,
        origin: Default::default(),
        track: None,
        anonymous: false,
        answer: Answer::Direct,
    }
}

const PROBLEM: &str =
    "Our field engineers wait 2 days for spare parts, so 30% of repairs need a second visit.";
const TECH: &str = "We should use blockchain to track our invoices.";

#[tokio::test]
async fn a_problem_led_pitch_is_filed_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = app(dir.path());
    let Outcome::Filed(f) = app.submit(pitch(PROBLEM, "ann")).await.expect("submit") else {
        panic!("a problem-led pitch is filed");
    };
    assert_eq!(f.idea.status(), Status::New);
    assert_eq!(f.idea.judged.verdict, Verdict::Problem);
    let reply = Outcome::Filed(f.clone()).reply(&app);
    assert!(
        reply
            .text
            .starts_with(&format!("Filed as *{}* in *", f.idea.id)),
        "{}",
        reply.text
    );
    assert!(reply.actions.is_empty());
    assert_eq!(app.store().get(f.idea.id).expect("read"), Some(f.idea));
}

#[tokio::test]
async fn a_tech_led_pitch_becomes_a_draft_with_one_question_and_three_choices() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = app(dir.path());
    let Outcome::NeedsReframe(c) = app.submit(pitch(TECH, "ann")).await.expect("submit") else {
        panic!("a tech-led pitch is coached");
    };
    assert_eq!(c.draft.status(), Status::Draft);
    assert!(
        c.noticed.iter().any(|p| p.contains("blockchain")),
        "{:?}",
        c.noticed
    );
    let reply = c.reply();
    assert_eq!(
        reply.text.matches('?').count(),
        1,
        "one question: {}",
        reply.text
    );
    let id = c.draft.id;
    assert_eq!(
        reply.actions,
        vec![
            Action::Reframe(id),
            Action::FileAnyway(id),
            Action::Withdraw(id)
        ]
    );
    // Nothing is lost while the person decides.
    assert_eq!(
        app.store().get(id).expect("read").map(|i| i.status()),
        Some(Status::Draft)
    );
}

#[tokio::test]
async fn a_reframe_still_tech_led_is_sent_back_once_then_filed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = app(dir.path());
    let id = app
        .submit(pitch(TECH, "ann"))
        .await
        .expect("submit")
        .idea()
        .id;
    let weak = Reframe {
        solution: "blockchain".into(),
        ..Reframe::default()
    };
    let Outcome::NeedsReframe(again) = app
        .reframe(id, &ids::user("ann"), weak.clone(), None, None)
        .await
        .expect("reframe")
    else {
        panic!("a reframe that is still tech-led goes back once");
    };
    assert!(!again.missing.is_empty(), "the missing fields are named");
    assert!(again.missing.iter().any(|n| n.element.as_str() == "who"));
    let Outcome::Filed(f) = app
        .reframe(id, &ids::user("ann"), weak, None, None)
        .await
        .expect("reframe")
    else {
        panic!("the second time it is filed");
    };
    assert_eq!(f.idea.status(), Status::New);
    assert_eq!(f.idea.pitch, TECH, "the original pitch is kept");
    assert!(f.idea.reframe.is_some() && f.idea.reframe_judged.is_some());
}

#[tokio::test]
async fn a_good_reframe_is_filed_and_keeps_both_versions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = app(dir.path());
    let Outcome::NeedsReframe(c) = app.submit(pitch(TECH, "ann")).await.expect("submit") else {
        panic!("coached");
    };
    let prefill = app.prefill(&c.draft);
    assert_eq!(
        prefill.solution, TECH,
        "the solution idea is kept in the form"
    );
    let fields = Reframe {
        who: "Our accounts-payable team".into(),
        problem: "spends 6 hours a week chasing invoice approvals by email".into(),
        evidence: "they log 40 chases a week".into(),
        ..prefill
    };
    let Outcome::Filed(f) = app
        .reframe(
            c.draft.id,
            &ids::user("ann"),
            fields,
            Some("execution".into()),
            None,
        )
        .await
        .expect("reframe")
    else {
        panic!("a problem-led reframe is filed");
    };
    assert_eq!(f.idea.judged.verdict, Verdict::Tech);
    assert_eq!(
        f.idea.reframe_judged.as_ref().map(|j| j.verdict),
        Some(Verdict::Problem)
    );
    assert_eq!(f.idea.current_verdict(), Verdict::Problem);
    assert!(f
        .idea
        .history
        .iter()
        .any(|h| h.from == Some(Status::Draft) && h.to == Status::New));
}

#[tokio::test]
async fn only_the_submitter_files_or_withdraws_and_illegal_moves_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = app(dir.path());
    let id = app
        .submit(pitch(TECH, "ann"))
        .await
        .expect("submit")
        .idea()
        .id;
    assert!(matches!(
        app.file_anyway(id, &ids::user("bob"), None).await,
        Err(AppError::NotYours(_))
    ));
    assert!(matches!(
        app.withdraw(id, &ids::user("bob"), None).await,
        Err(AppError::NotYours(_))
    ));
    let filed = app
        .file_anyway(id, &ids::user("ann"), None)
        .await
        .expect("file anyway");
    assert_eq!(filed.idea.status(), Status::New);
    assert!(matches!(
        app.file_anyway(id, &ids::user("ann"), None).await,
        Err(AppError::NotADraft { .. })
    ));
    let withdrawn = app
        .withdraw(id, &ids::user("ann"), None)
        .await
        .expect("withdraw");
    assert_eq!(withdrawn.status(), Status::Withdrawn);
    assert!(matches!(
        app.withdraw(id, &ids::user("ann"), None).await,
        Err(AppError::Illegal(_))
    ));
    assert!(matches!(
        app.withdraw(IdeaId::new(999), &ids::user("ann"), None)
            .await,
        Err(AppError::NotFound(_))
    ));
}

#[tokio::test]
async fn empty_pitches_and_unknown_tracks_get_a_clear_answer_and_store_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = app(dir.path());
    for empty in ["", "   ", "<@U123ABC> :wave:", "*_~~_*"] {
        assert!(
            matches!(
                app.submit(pitch(empty, "ann")).await,
                Err(AppError::EmptyPitch)
            ),
            "{empty:?}"
        );
    }
    let mut s = pitch(PROBLEM, "ann");
    s.track = Some("moonshots".into());
    let err = app.submit(s).await.expect_err("unknown track");
    assert!(err.to_string().contains("execution, search"), "{err}");
    assert!(app.store().is_empty().expect("count"));
}

#[tokio::test]
async fn similar_earlier_ideas_of_the_same_track_are_shown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = app(dir.path());
    let first = app
        .submit(pitch(PROBLEM, "ann"))
        .await
        .expect("submit")
        .idea()
        .id;
    app.submit(pitch(
        "Warehouse pickers walk twice the distance they need because shelf labels are out of date.",
        "cy",
    ))
    .await
    .expect("submit");
    let Outcome::Filed(f) = app
        .submit(pitch(
            "Field engineers wait days for spare parts and repairs need a second visit.",
            "bob",
        ))
        .await
        .expect("submit")
    else {
        panic!("filed");
    };
    assert_eq!(
        f.similar.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![first]
    );
    assert!(Outcome::Filed(f)
        .reply(&app)
        .text
        .contains(&first.to_string()));
}

#[tokio::test]
async fn a_restart_keeps_every_idea_and_never_reuses_an_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let before = {
        let app = app(dir.path());
        let a = app
            .submit(pitch(PROBLEM, "ann"))
            .await
            .expect("submit")
            .idea()
            .clone();
        let b = app
            .submit(pitch(TECH, "ann"))
            .await
            .expect("submit")
            .idea()
            .clone();
        vec![a, b]
    };
    let app = app(dir.path());
    assert_eq!(app.mine(&ids::user("ann")).expect("mine").len(), 2);
    for idea in &before {
        assert_eq!(app.store().get(idea.id).expect("read").as_ref(), Some(idea));
    }
    let next = app
        .submit(pitch(PROBLEM, "bob"))
        .await
        .expect("submit")
        .idea()
        .id;
    assert!(before.iter().all(|i| i.id < next));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_submissions_get_unique_ids() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = app(dir.path());
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let text = if i % 2 == 0 { PROBLEM } else { TECH };
                app.submit(pitch(text, &format!("user{i}")))
                    .await
                    .map(|o| o.idea().id)
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.expect("task").expect("submit"));
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 32);
    assert!(app.store().check().expect("check").is_consistent());
}

#[test]
fn export_then_import_round_trips() {
    let from = tempfile::tempdir().expect("temp dir");
    let to = tempfile::tempdir().expect("temp dir");
    let bin = env!("CARGO_BIN_EXE_problemfirst");
    let run = |args: &[&str], stdin: &str| {
        let mut child = std::process::Command::new(bin)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("starts");
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), stdin.as_bytes())
            .expect("write");
        let out = child.wait_with_output().expect("runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let from_dir = from.path().to_str().expect("utf-8 path");
    let tricky = "Night-shift nurses can't find \"the\" handover notes, so patients wait; über 3 hours, twice a week";
    run(
        &["chat", "--file-all", "--user", "ann", "--data", from_dir],
        &format!("{PROBLEM}\n{TECH}\n{tricky}\n"),
    );
    let csv = run(&["export", "--data", from_dir, "--format", "csv"], "");
    let file = to.path().join("ideas.csv");
    std::fs::write(&file, &csv).expect("write csv");
    let to_dir = to.path().join("store");
    let summary = run(
        &[
            "import",
            "--data",
            to_dir.to_str().expect("utf-8"),
            file.to_str().expect("utf-8"),
        ],
        "",
    );
    assert!(summary.contains("imported 3 ideas"), "{summary}");
    let back = run(
        &[
            "export",
            "--data",
            to_dir.to_str().expect("utf-8"),
            "--format",
            "json",
        ],
        "",
    );
    let rows: Vec<serde_json::Value> = back
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let original: Vec<serde_json::Value> =
        run(&["export", "--data", from_dir, "--format", "json"], "")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
    assert_eq!(rows.len(), 3);
    for (a, b) in original.iter().zip(&rows) {
        for key in ["text", "submitter", "track", "created", "verdict"] {
            assert_eq!(a[key], b[key], "{key} survives the round trip");
        }
    }
}

#[test]
fn import_reports_bad_rows_with_their_line_and_keeps_the_good_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("old.csv");
    std::fs::write(
        &file,
        "text,submitter,track,created\n\
         \"Customers wait 3 days for a refund, so they call support twice\",ann,execution,2026-01-05\n\
         ,bob,execution,2026-01-06\n\
         Let's build an app,cy,moonshots,2026-01-07\n\
         Drivers lose an hour a day at the dock,dee,,not-a-date\n\
         Drivers lose an hour a day at the dock,dee,,\n",
    )
    .expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_problemfirst"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["import", "--data"])
        .arg(dir.path().join("store"))
        .arg(&file)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("imported 2 ideas") && stdout.contains("3 rows skipped"),
        "{stdout}"
    );
    assert!(stderr.contains("old.csv:3: the text is empty"), "{stderr}");
    assert!(
        stderr.contains("old.csv:4: unknown track 'moonshots'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("old.csv:5: 'not-a-date' is not a date"),
        "{stderr}"
    );
}

#[test]
fn export_filters_by_track_status_and_date_and_quotes_csv_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("ideas.jsonl");
    std::fs::write(
        &file,
        [
            r#"{"text":"Customers wait 3 days for refunds,\nso they \"call\" support twice","track":"execution","created":"2026-01-05"}"#,
            r#"{"text":"Small bakeries would pay for a flour subscription","track":"search","created":"2026-03-01"}"#,
            r#"{"text":"Drivers lose an hour a day at the dock","track":"execution","created":"2026-03-02"}"#,
        ]
        .join("\n"),
    )
    .expect("write");
    let store = dir.path().join("store");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_problemfirst"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let store_arg = store.to_str().expect("utf-8");
    run(&["import", "--data", store_arg, file.to_str().expect("utf-8")]);
    let texts = |csv_text: &str| -> Vec<String> {
        csv::Reader::from_reader(csv_text.as_bytes())
            .deserialize::<std::collections::HashMap<String, String>>()
            .map(|r| r.expect("a clean CSV record")["text"].clone())
            .collect()
    };
    let all = texts(&run(&["export", "--data", store_arg]));
    assert_eq!(all.len(), 3);
    assert_eq!(
        all[0],
        "Customers wait 3 days for refunds,\nso they \"call\" support twice"
    );
    let search = texts(&run(&["export", "--data", store_arg, "--track", "search"]));
    assert_eq!(
        search,
        vec!["Small bakeries would pay for a flour subscription"]
    );
    let recent = texts(&run(&[
        "export",
        "--data",
        store_arg,
        "--since",
        "2026-03-02",
    ]));
    assert_eq!(recent, vec!["Drivers lose an hour a day at the dock"]);
    let drafts = texts(&run(&["export", "--data", store_arg, "--status", "draft"]));
    assert!(drafts.is_empty(), "imported ideas are filed, not drafts");
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_problemfirst"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["export", "--data", store_arg, "--status", "maybe"])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a status"));
}

/// What the outbox holds, oldest first.
fn owed(app: &App) -> Vec<Notice> {
    let (due, _) = app
        .store()
        .outbox_due(jiff::Timestamp::now(), 100)
        .expect("outbox reads");
    due.into_iter().map(|p| p.entry.notice).collect()
}

#[tokio::test]
async fn a_pitch_in_a_thread_owes_its_outcome_there_publicly_if_filed_and_privately_if_coached() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = app(dir.path());
    let thread = |text: &str| Submission {
        anonymous: false,
        answer: Answer::Thread {
            channel: ids::channel("C1"),
            ts: ids::ts("1.1"),
        },
        ..pitch(text, "ann")
    };
    let Outcome::Filed(f) = app.submit(thread(PROBLEM)).await.expect("submit") else {
        panic!("a problem-led pitch is filed");
    };
    let Outcome::NeedsReframe(c) = app.submit(thread(TECH)).await.expect("submit") else {
        panic!("a tech-led pitch is coached");
    };
    assert_eq!(
        owed(&app),
        vec![
            Notice::Outcome {
                idea: f.idea.id,
                to: Audience::Thread {
                    channel: ids::channel("C1"),
                    ts: ids::ts("1.1")
                }
            },
            Notice::Outcome {
                idea: c.draft.id,
                to: Audience::Privately {
                    channel: ids::channel("C1"),
                    ts: Some(ids::ts("1.1")),
                    user: ids::user("ann")
                }
            },
        ]
    );
}

#[tokio::test]
async fn direct_answers_owe_nothing_and_a_refused_change_queues_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = app(dir.path());
    let Outcome::NeedsReframe(c) = app.submit(pitch(TECH, "ann")).await.expect("submit") else {
        panic!("a tech-led pitch is coached");
    };
    assert!(owed(&app).is_empty());
    let to = Audience::ReplyUrl {
        url: "https://hooks.slack.com/actions/1".into(),
        replace: true,
    };
    assert!(app
        .file_anyway(c.draft.id, &ids::user("bob"), Some(to.clone()))
        .await
        .is_err());
    assert!(owed(&app).is_empty(), "a refused change owes nothing");
    app.file_anyway(c.draft.id, &ids::user("ann"), Some(to.clone()))
        .await
        .expect("file anyway");
    assert_eq!(
        owed(&app),
        vec![Notice::Outcome {
            idea: c.draft.id,
            to
        }]
    );
    let reply = app.outcome_reply(c.draft.id).await.expect("renders");
    assert!(
        reply.text.contains(&format!("Filed as *{}*", c.draft.id)),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn pitches_arriving_together_cannot_slip_past_the_hourly_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = app(dir.path());
    let limit = app.config().limits.submissions_per_hour;
    let tries: Vec<_> = (0..limit + 5)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { app.submit(pitch(PROBLEM, "ann")).await })
        })
        .collect();
    let (mut filed, mut refused) = (0, 0);
    for t in tries {
        match t.await.expect("the task ends") {
            Ok(_) => filed += 1,
            Err(AppError::TooMany { .. }) => refused += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((filed, refused), (limit, 5));
    assert_eq!(app.store().len().expect("count"), limit);
}

#[tokio::test]
async fn a_person_gets_a_friendly_later_after_the_hourly_limit_and_huge_pitches_a_clear_answer() {
    use std::sync::atomic::{AtomicI64, Ordering};
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config();
    let limit = config.limits.submissions_per_hour;
    let now = Arc::new(AtomicI64::new(1_800_000_000));
    let clock_now = Arc::clone(&now);
    let app = crate::support::app::core_with_clock(
        dir.path(),
        Arc::clone(&config),
        Arc::new(move || {
            jiff::Timestamp::from_second(clock_now.load(Ordering::SeqCst)).expect("a time")
        }),
    );
    for _ in 0..limit {
        app.submit(pitch(PROBLEM, "ann"))
            .await
            .expect("within the limit");
        now.fetch_add(60, Ordering::SeqCst);
    }
    let refused = app.submit(pitch(PROBLEM, "ann")).await;
    assert!(
        matches!(refused, Err(AppError::TooMany { max }) if max == limit),
        "{refused:?}"
    );
    let words = refused.map(|_| ()).unwrap_err().to_string();
    assert!(words.contains("later"), "{words}");
    assert_eq!(
        app.store().len().expect("count"),
        limit,
        "nothing filed past the limit"
    );
    app.submit(pitch(PROBLEM, "bob"))
        .await
        .expect("another person is not limited");
    // An hour after the first one, a slot is free again.
    now.fetch_add(3600 - 60 * (limit as i64) + 60, Ordering::SeqCst);
    app.submit(pitch(PROBLEM, "ann"))
        .await
        .expect("the oldest left the hour");

    let huge = "Customers wait on hold. ".repeat(config.limits.max_pitch_chars / 10);
    let refused = app.submit(pitch(&huge, "cid")).await;
    assert!(
        matches!(refused, Err(AppError::TooLong { max, .. }) if max == config.limits.max_pitch_chars),
        "{refused:?}"
    );
    assert!(app.mine(&ids::user("cid")).expect("mine").is_empty());
}
