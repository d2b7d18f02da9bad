//! The `problemfirst` command line as a user runs it: `check` (human and JSON output, standard
//! input, invalid UTF-8) and `eval` (figures, JSON, quality gates, malformed input, `--errors`).

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use tempfile::TempDir;

const PROBLEM: &str = "Night shift nurses can't find a free wheelchair when a patient has to be moved, so they walk every corridor and patients wait up to twenty minutes.";
const PROBLEM_2: &str = "Warehouse staff re-type every order from email into the stock system by hand, which causes mistakes and delays shipping by a day.";
const TECH: &str =
    "Let's build a chatbot for the intranet that answers every question employees have.";
const TECH_2: &str =
    "We should use blockchain to track all our contracts and make everything transparent.";
const VAGUE: &str = "We should modernise our digital culture and become more innovative.";

fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_problemfirst"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("PROBLEMFIRST_CONFIG");
    c
}

fn run(args: &[&str]) -> Output {
    command()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("can't run problemfirst: {e}"))
}

fn run_with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("can't run problemfirst: {e}"));
    child
        .stdin
        .take()
        .unwrap_or_else(|| panic!("no stdin"))
        .write_all(input)
        .unwrap_or_else(|e| panic!("can't write stdin: {e}"));
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("problemfirst did not finish: {e}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_exit(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
}

/// Exactly one line of stdout, parsed as a JSON object.
fn one_json_object(o: &Output) -> serde_json::Map<String, Value> {
    let out = stdout(o);
    let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line of JSON, got {out:?}");
    match serde_json::from_str::<Value>(lines[0]) {
        Ok(Value::Object(map)) => map,
        Ok(other) => panic!("expected a JSON object, got {other}"),
        Err(e) => panic!("not JSON ({e}): {out}"),
    }
}

fn field<'a>(obj: &'a serde_json::Map<String, Value>, key: &str) -> &'a Value {
    obj.get(key)
        .unwrap_or_else(|| panic!("no key {key:?} in {obj:?}"))
}

fn string<'a>(obj: &'a serde_json::Map<String, Value>, key: &str) -> &'a str {
    field(obj, key)
        .as_str()
        .unwrap_or_else(|| panic!("{key:?} is not a string in {obj:?}"))
}

fn number(obj: &serde_json::Map<String, Value>, key: &str) -> f64 {
    field(obj, key)
        .as_f64()
        .unwrap_or_else(|| panic!("{key:?} is not a number in {obj:?}"))
}

fn check_json(text: &str) -> serde_json::Map<String, Value> {
    let o = run(&["check", "--json", text]);
    assert_exit(&o, 0);
    one_json_object(&o)
}

/// The required shape of `check --json`; the hits' spans are checked against `text`.
fn assert_check_shape(obj: &serde_json::Map<String, Value>, text: &str) {
    assert!(matches!(
        string(obj, "verdict"),
        "problem" | "tech" | "vague"
    ));
    let confidence = number(obj, "confidence");
    assert!((0.0..=1.0).contains(&confidence), "{confidence}");
    string(obj, "track");
    string(obj, "track_reason");
    for key in ["present", "missing"] {
        let list = field(obj, key)
            .as_array()
            .unwrap_or_else(|| panic!("{key:?} is not an array"));
        for e in list {
            let e = e
                .as_str()
                .unwrap_or_else(|| panic!("{key:?} holds a non-string {e}"));
            assert!(
                matches!(e, "who" | "problem" | "evidence" | "impact" | "workaround"),
                "{key}: {e}"
            );
        }
    }
    let hits = field(obj, "hits")
        .as_array()
        .unwrap_or_else(|| panic!("hits is not an array"));
    for hit in hits {
        let hit = hit
            .as_object()
            .unwrap_or_else(|| panic!("a hit is not an object: {hit}"));
        string(hit, "rule");
        assert!(matches!(string(hit, "side"), "problem" | "tech" | "vague"));
        let start = field(hit, "start")
            .as_u64()
            .unwrap_or_else(|| panic!("start is not an unsigned integer: {hit:?}"))
            as usize;
        let end = field(hit, "end")
            .as_u64()
            .unwrap_or_else(|| panic!("end is not an unsigned integer: {hit:?}"))
            as usize;
        assert!(start <= end && end <= text.len(), "{hit:?}");
        assert_eq!(text.get(start..end), Some(string(hit, "text")), "{hit:?}");
    }
    assert!(!string(obj, "question").is_empty());
}

// ---------------------------------------------------------------------------------------------
// check

#[test]
fn check_json_prints_one_object_with_the_required_keys_and_types() {
    for (text, verdict) in [(PROBLEM, "problem"), (TECH, "tech"), (VAGUE, "vague")] {
        let obj = check_json(text);
        assert_check_shape(&obj, text);
        assert_eq!(string(&obj, "verdict"), verdict, "{text}");
    }
    let obj = check_json(TECH);
    let hits = field(&obj, "hits").as_array().cloned().unwrap_or_default();
    assert!(!hits.is_empty(), "a tech pitch without hits: {obj:?}");
    assert!(
        hits.iter().any(|h| h["side"] == "tech"),
        "no tech hit: {hits:?}"
    );
}

#[test]
fn check_json_spans_point_into_text_with_markup() {
    let text = "<@U0123ABC> *Night shift* _nurses_ can\u{2019}t find a wheelchair &amp; patients wait 20 minutes :cry:";
    let obj = check_json(text);
    assert_check_shape(&obj, text);
    assert_eq!(string(&obj, "verdict"), "problem");
}

#[test]
fn check_dash_reads_standard_input() {
    let from_arg = check_json(TECH_2);
    let o = run_with_stdin(&["check", "--json", "-"], TECH_2.as_bytes());
    assert_exit(&o, 0);
    let from_stdin = one_json_object(&o);
    assert_eq!(from_stdin, from_arg);

    // A multi-line pitch, as pasted from a document.
    let pasted = format!("{PROBLEM}\n\n{PROBLEM_2}\n");
    let o = run_with_stdin(&["check", "--json", "-"], pasted.as_bytes());
    assert_exit(&o, 0);
    let obj = one_json_object(&o);
    assert_check_shape(&obj, &pasted);
    assert_eq!(string(&obj, "verdict"), "problem");
}

#[test]
fn invalid_utf8_on_standard_input_exits_2_with_a_message_and_no_output() {
    let mut input = b"Customers wait ".to_vec();
    input.extend_from_slice(&[0xff, 0xfe, 0xc3]);
    input.extend_from_slice(b" two days for refunds.");
    for args in [&["check", "-"][..], &["check", "--json", "-"][..]] {
        let o = run_with_stdin(args, &input);
        assert_exit(&o, 2);
        assert!(o.stdout.is_empty(), "stdout: {}", stdout(&o));
        let err = stderr(&o);
        assert!(err.contains("UTF-8"), "stderr: {err}");
        assert!(
            err.contains("offset 15"),
            "the message should say where: {err}"
        );
    }
}

#[test]
fn human_output_names_the_verdict_and_the_question() {
    for (text, described) in [
        (PROBLEM, "problem-led"),
        (TECH, "technology-led"),
        (VAGUE, "vague"),
    ] {
        let question = string(&check_json(text), "question").to_string();
        let o = run(&["check", text]);
        assert_exit(&o, 0);
        let out = stdout(&o);
        assert!(
            out.lines().next().unwrap_or("").starts_with(described),
            "expected the first line to name {described:?}: {out}"
        );
        assert!(
            out.contains(&format!("Question: {question}")),
            "expected the question {question:?} in {out}"
        );
    }
}

#[test]
fn check_with_a_bad_config_exits_2() {
    let dir = TempDir::new().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("broken.toml");
    std::fs::write(&path, "data_dir = \"./data\"\nunknown = 1\n")
        .unwrap_or_else(|e| panic!("write: {e}"));
    let o = run(&["check", "--config", &path.to_string_lossy(), TECH]);
    assert_exit(&o, 2);
    assert!(o.stdout.is_empty());
    assert!(stderr(&o).contains("broken.toml"), "{}", stderr(&o));
}

// ---------------------------------------------------------------------------------------------
// eval

struct Labelled {
    _dir: TempDir,
    path: PathBuf,
}

impl Labelled {
    fn path(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }
}

fn jsonl_line(text: &str, label: &str) -> String {
    serde_json::json!({ "text": text, "label": label }).to_string()
}

fn write_jsonl(lines: &[String]) -> Labelled {
    let dir = TempDir::new().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("pitches.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap_or_else(|e| panic!("write: {e}"));
    Labelled { _dir: dir, path }
}

/// Seven pitches: five judged right, one problem label on a tech pitch (a false nag, line 7) and
/// one tech label on a vague pitch (a missed tech pitch, line 8). Line 4 is blank.
/// n = 7, accuracy 5/7, false-nag rate 1/3, tech recall 2/3.
fn sample() -> Labelled {
    write_jsonl(&[
        jsonl_line(PROBLEM, "problem"),
        jsonl_line(PROBLEM_2, "problem"),
        jsonl_line(TECH, "tech"),
        String::new(),
        jsonl_line(TECH_2, "tech"),
        jsonl_line(VAGUE, "vague"),
        jsonl_line(TECH, "problem"),
        jsonl_line(VAGUE, "tech"),
    ])
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn eval_prints_accuracy_false_nag_rate_and_tech_recall() {
    let file = sample();
    let o = run(&["eval", &file.path()]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    for (label, value) in [
        ("accuracy", "0.714"),
        ("false-nag rate", "0.333"),
        ("tech recall", "0.667"),
    ] {
        let line = out
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label:?} line in {out}"));
        assert!(
            line.contains(value),
            "{label}: expected {value} in {line:?}"
        );
    }
    assert!(out.contains("7 pitches"), "{out}");
}

#[test]
fn eval_json_has_the_figures_per_label_scores_and_the_confusion_matrix() {
    let file = sample();
    let o = run(&["eval", "--json", &file.path()]);
    assert_exit(&o, 0);
    let obj = one_json_object(&o);
    assert_eq!(field(&obj, "n").as_u64(), Some(7));
    assert!(close(number(&obj, "accuracy"), 5.0 / 7.0), "{obj:?}");
    assert!(close(number(&obj, "false_nag_rate"), 1.0 / 3.0), "{obj:?}");
    assert!(close(number(&obj, "tech_recall"), 2.0 / 3.0), "{obj:?}");
    let per_label = field(&obj, "per_label")
        .as_object()
        .unwrap_or_else(|| panic!("per_label is not an object: {obj:?}"));
    for label in ["problem", "tech", "vague"] {
        let s = field(per_label, label)
            .as_object()
            .unwrap_or_else(|| panic!("per_label.{label} is not an object"));
        for key in ["precision", "recall", "f1"] {
            let x = number(s, key);
            assert!((0.0..=1.0).contains(&x), "{label}.{key} = {x}");
        }
    }
    // Tech: predicted tech 3 times (two right), labelled tech 3 times (two right).
    let tech = field(per_label, "tech")
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert!(close(number(&tech, "precision"), 2.0 / 3.0), "{tech:?}");
    assert!(close(number(&tech, "recall"), 2.0 / 3.0), "{tech:?}");
    let confusion = field(&obj, "confusion")
        .as_object()
        .unwrap_or_else(|| panic!("confusion is not an object: {obj:?}"));
    let cell = |gold: &str, pred: &str| confusion[gold][pred].as_u64();
    assert_eq!(cell("problem", "problem"), Some(2));
    assert_eq!(cell("problem", "tech"), Some(1));
    assert_eq!(cell("tech", "tech"), Some(2));
    assert_eq!(cell("tech", "vague"), Some(1));
    assert_eq!(cell("vague", "vague"), Some(1));
    assert_eq!(cell("vague", "problem"), Some(0));
}

#[test]
fn eval_gates_exit_1_when_missed_and_0_when_met() {
    let file = sample();
    let path = file.path();
    let met = run(&[
        "eval",
        "--min-accuracy",
        "0.7",
        "--max-false-nag",
        "0.34",
        "--min-tech-recall",
        "0.66",
        &path,
    ]);
    assert_exit(&met, 0);
    for (flag, value, says) in [
        ("--min-accuracy", "0.72", "accuracy"),
        ("--max-false-nag", "0.33", "false-nag rate"),
        ("--min-tech-recall", "0.67", "tech recall"),
    ] {
        let o = run(&["eval", flag, value, &path]);
        assert_exit(&o, 1);
        let err = stderr(&o);
        assert!(err.contains("quality gate missed"), "{flag}: {err}");
        assert!(err.contains(says), "{flag}: {err}");
        // The figures are still printed, so the miss can be read in context.
        assert!(stdout(&o).contains("accuracy"), "{flag}");
    }
    let all_missed = run(&[
        "eval",
        "--json",
        "--min-accuracy",
        "0.9",
        "--max-false-nag",
        "0.1",
        "--min-tech-recall",
        "0.9",
        &path,
    ]);
    assert_exit(&all_missed, 1);
    one_json_object(&all_missed);
    let err = stderr(&all_missed);
    for says in ["accuracy", "false-nag rate", "tech recall"] {
        assert!(err.contains(says), "{err}");
    }
}

#[test]
fn eval_refuses_a_malformed_line_naming_its_number() {
    let file = write_jsonl(&[
        jsonl_line(PROBLEM, "problem"),
        jsonl_line(TECH, "tech"),
        "{\"text\": \"an unfinished line\", \"label\": ".to_string(),
        jsonl_line(VAGUE, "vague"),
    ]);
    let o = run(&["eval", &file.path()]);
    assert_exit(&o, 2);
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("pitches.jsonl:3:"), "{err}");

    let file = write_jsonl(&[
        jsonl_line(PROBLEM, "problem"),
        jsonl_line(TECH, "solutionish"),
    ]);
    let o = run(&["eval", &file.path()]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("pitches.jsonl:2:"), "{err}");
    assert!(err.contains("solutionish"), "{err}");

    let file = write_jsonl(&[
        jsonl_line(PROBLEM, "problem"),
        "{\"text\": \"no label\"}".to_string(),
    ]);
    let o = run(&["eval", &file.path()]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("pitches.jsonl:2:"), "{}", stderr(&o));
}

#[test]
fn eval_refuses_an_empty_or_missing_file() {
    let file = write_jsonl(&[String::new()]);
    let o = run(&["eval", &file.path()]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("no labelled pitches"), "{}", stderr(&o));

    let missing = Path::new(&file.path()).with_file_name("absent.jsonl");
    let o = run(&["eval", &missing.to_string_lossy()]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("absent.jsonl"), "{}", stderr(&o));
}

#[test]
fn eval_errors_lists_the_misjudged_pitches() {
    let file = sample();
    let o = run(&["eval", "--errors", &file.path()]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains("pitches.jsonl:7: expected problem, got tech"),
        "{out}"
    );
    assert!(
        out.contains("pitches.jsonl:8: expected tech, got vague"),
        "{out}"
    );
    for right in 1..=6 {
        assert!(
            !out.contains(&format!("pitches.jsonl:{right}:")),
            "line {right} was judged right but is listed: {out}"
        );
    }
    // Each listed pitch shows the hits that decided it.
    assert!(out.contains("T.opener"), "{out}");

    let o = run(&["eval", &file.path()]);
    assert!(
        !stdout(&o).contains("expected problem"),
        "without --errors nothing is listed"
    );
}

#[test]
fn terminal_output_is_plain_text_without_slack_markup() {
    // In Slack the question quotes the opener in bold: `(*Let's build*)`.
    let o = run(&["check", TECH]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(out.contains("Question: "), "{out}");
    assert!(!out.contains('*'), "{out}");
    let json = check_json(TECH);
    assert!(!string(&json, "question").contains('*'), "{json:?}");
    assert!(!string(&json, "reason").contains('*'), "{json:?}");

    let dir = TempDir::new().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let data = dir.path().to_string_lossy().into_owned();
    let o = run_with_stdin(
        &["chat", "--data", &data, "--user", "UPLAIN"],
        format!("{TECH}\n{PROBLEM}\n").as_bytes(),
    );
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(out.starts_with("needs-reframe IDEA-1"), "{out}");
    assert!(!out.contains('*'), "{out}");
}

// ---------------------------------------------------------------------------------------------
// train

/// Labelled pitches written for this test, from four made-up sources.
fn training_file() -> Labelled {
    let problems = [
        "Our drivers wait 40 minutes at the depot every morning because the loading list is printed late.",
        "Nurses on the night shift can't find a free wheelchair, so patients wait at reception.",
        "New joiners spend their first week without a laptop and sit idle while IT chases approvals.",
        "Customers who call about a late parcel wait 25 minutes on hold and many hang up.",
        "Warehouse staff re-type every order from email by hand, which causes mistakes every day.",
        "Teachers spend Monday mornings chasing missing permission slips from parents.",
    ];
    let techs = [
        "Let's build a blockchain platform for our contracts.",
        "We should roll out an AI chatbot on the intranet.",
        "Implement Kubernetes for every service.",
        "Buy standing desks for the second floor.",
        "Introduce a mobile app for the canteen menu.",
        "What if we used drones to deliver parcels?",
    ];
    let vagues = [
        "We need to be more innovative.",
        "Better collaboration across teams.",
        "Our culture should be more agile.",
        "Innovation is the future of our company.",
    ];
    let mut lines = Vec::new();
    for (i, (texts, label)) in [
        (&problems[..], "problem"),
        (&techs[..], "tech"),
        (&vagues[..], "vague"),
    ]
    .into_iter()
    .enumerate()
    {
        for (j, t) in texts.iter().enumerate() {
            let source = format!("https://github.com/team{}/ideas/issues/{}", (i + j) % 4, j);
            lines.push(
                serde_json::json!({ "text": t, "label": label, "source": source }).to_string(),
            );
        }
    }
    write_jsonl(&lines)
}

#[test]
fn train_refuses_settings_it_cannot_cross_validate_with() {
    let file = training_file();
    for (flag, value) in [
        ("--folds", "1"),
        ("--repeats", "0"),
        ("--ambiguous-weight", "NaN"),
    ] {
        let o = run(&["train", "--dry-run", flag, value, &file.path()]);
        assert_exit(&o, 2);
        assert!(stderr(&o).contains(flag), "{flag}: {}", stderr(&o));
    }
}

#[test]
fn train_is_deterministic_and_writes_a_model_the_config_loads() {
    let file = training_file();
    let dir = TempDir::new().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let first = dir.path().join("first.txt");
    let second = dir.path().join("second.txt");
    for out in [&first, &second] {
        let o = run(&[
            "train",
            "--folds",
            "3",
            "--seed",
            "7",
            "--repeats",
            "2",
            "--out",
            &out.to_string_lossy(),
            &file.path(),
        ]);
        assert_exit(&o, 0);
        let said = stdout(&o);
        for part in [
            "2 runs (seeds 7–8)",
            "mean±sd",
            "coach recall",
            "Reliability",
            "coach_below",
            "tip_below",
        ] {
            assert!(said.contains(part), "no {part:?} in {said}");
        }
    }
    let a = std::fs::read_to_string(&first).unwrap_or_default();
    let b = std::fs::read_to_string(&second).unwrap_or_default();
    assert!(a.contains("[weights]"), "{a}");
    assert_eq!(a, b, "the same file and seed give the same model");

    // Rules that point at the new model load and judge with it.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped = std::fs::read_to_string(root.join("config/rules.toml"))
        .unwrap_or_else(|e| panic!("shipped rules: {e}"));
    let lexicon = root.join("config/wordnet/lexicon.txt");
    let vectors = root.join("config/wordvec/vectors.bin");
    let text = shipped
        .replace("file = \"model.txt\"", "file = \"first.txt\"")
        .replace(
            "lexicon = \"wordnet/lexicon.txt\"",
            &format!("lexicon = {:?}", lexicon.to_string_lossy()),
        )
        .replace(
            "vectors = \"wordvec/vectors.bin\"",
            &format!("vectors = {:?}", vectors.to_string_lossy()),
        );
    let rules_path = dir.path().join("rules.toml");
    std::fs::write(&rules_path, text).unwrap_or_else(|e| panic!("write: {e}"));
    let o = run(&[
        "check",
        "--json",
        "--rules",
        &rules_path.to_string_lossy(),
        "Let's build a blockchain platform for the suppliers.",
    ]);
    assert_exit(&o, 0);
    let obj = one_json_object(&o);
    let version = string(&obj, "version");
    let model_version = a
        .lines()
        .find_map(|l| l.strip_prefix("version = "))
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_default();
    assert!(
        !model_version.is_empty() && version.ends_with(&model_version),
        "{version} is not judged by {model_version}"
    );
}

#[test]
fn train_refuses_a_bad_label_naming_the_line() {
    let file = write_jsonl(&[jsonl_line(TECH, "tech"), jsonl_line(VAGUE, "maybe")]);
    let o = run(&["train", "--dry-run", &file.path()]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("pitches.jsonl:2"), "{}", stderr(&o));
}
