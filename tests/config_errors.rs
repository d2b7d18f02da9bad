//! A bad config file is refused with the file, the line and the key or rule at fault. Every bad
//! config here is the shipped `config/problemfirst.toml` with one thing changed, so each test
//! shows exactly one mistake an admin could make. Expected lines are computed from the changed
//! text, so the tests keep working when the shipped config grows.

use problemfirst::config::{Config, ConfigError};
use std::path::Path;
use std::process::{Command, Output};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

fn shipped() -> String {
    let path = Path::new(MANIFEST).join("config/problemfirst.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("can't read {}: {e}", path.display()))
}

/// The shipped config with the first `old` replaced by `new`.
fn changed(old: &str, new: &str) -> String {
    let text = shipped();
    assert!(
        text.contains(old),
        "the shipped config no longer contains {old:?}; update this test"
    );
    text.replacen(old, new, 1)
}

fn parse_err(text: &str) -> ConfigError {
    match Config::parse(text, Path::new("config/bad.toml")) {
        Ok(_) => panic!("a bad config was accepted"),
        Err(e) => e,
    }
}

/// 1-based line of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle:?} is not in the text"))
}

/// 1-based line of the `n`-th (0-based) line containing `needle`.
fn nth_line_of(text: &str, needle: &str, n: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(n)
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| panic!("{needle:?} is not in the text {} times", n + 1))
}

/// The line of the table header (`[[rule]]`, `[[pair]]`…) at or above `line`.
fn header_above(text: &str, line: usize, header: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    (0..line)
        .rev()
        .find(|&i| lines[i].trim() == header)
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("no {header} above line {line}"))
}

fn assert_display(e: &ConfigError, line: usize, key: &str, message_part: &str) {
    let shown = e.to_string();
    let head = format!("config/bad.toml:{line}: {key}: ");
    assert!(
        shown.starts_with(&head),
        "expected the message to start with {head:?}, got {shown:?}"
    );
    assert!(
        shown.contains(message_part),
        "expected {message_part:?} in {shown:?}"
    );
}

#[test]
fn the_shipped_config_parses() {
    let config = Config::parse(&shipped(), Path::new("config/bad.toml"))
        .unwrap_or_else(|e| panic!("the shipped config should parse: {e}"));
    assert!(!config.rules().rules.is_empty());
    assert!(config.track(&config.default_track).is_some());
}

#[test]
fn an_unknown_key_is_named_with_its_line() {
    let text = changed("max = 3 ", "maxx = 4\nmax = 3 ");
    let e = parse_err(&text);
    let line = line_of(&text, "maxx = 4");
    assert_eq!(e.line, Some(line), "{e}");
    assert_eq!(e.key.as_deref(), Some("maxx"), "{e}");
    assert_eq!(e.path, Path::new("config/bad.toml"));
    assert_display(&e, line, "maxx", "unknown field");
}

#[test]
fn an_unknown_key_in_a_rule_is_named_with_its_line() {
    let text = changed("id = \"P.self\"\n", "id = \"P.self\"\nweigth = 2.0\n");
    let e = parse_err(&text);
    let line = line_of(&text, "weigth = 2.0");
    assert_eq!(e.line, Some(line), "{e}");
    assert_eq!(e.key.as_deref(), Some("weigth"), "{e}");
    assert_display(&e, line, "weigth", "unknown field");
}

#[test]
fn a_missing_required_key_is_named_with_its_table() {
    let text = changed("thin_words = 8\n", "");
    let e = parse_err(&text);
    assert_eq!(e.key.as_deref(), Some("thin_words"), "{e}");
    let line = line_of(&text, "[verdict]");
    assert_eq!(e.line, Some(line), "{e}");
    assert_display(&e, line, "thin_words", "missing field");
}

#[test]
fn a_rule_without_a_message_is_refused_at_that_rule() {
    let text = changed("message = \"the writer is affected: '%s'\"\n", "");
    let e = parse_err(&text);
    assert_eq!(e.key.as_deref(), Some("message"), "{e}");
    let rule = header_above(&text, line_of(&text, "id = \"P.self\""), "[[rule]]");
    assert_eq!(e.line, Some(rule), "{e}");
    assert_display(&e, rule, "message", "missing field");
}

#[test]
fn a_pattern_that_does_not_compile_names_the_rule_and_where_it_starts() {
    let text = changed(
        "patterns = ['(?-u:\\b)[A-Za-z]{2,}",
        "patterns = ['(?-u:\\b)[A-Za-z{2,}",
    );
    let e = parse_err(&text);
    let rule = header_above(&text, line_of(&text, "id = \"P.actor\""), "[[rule]]");
    assert_eq!(e.line, Some(rule), "{e}");
    assert_eq!(e.key.as_deref(), Some("rule 'P.actor'"), "{e}");
    assert_display(&e, rule, "rule 'P.actor'", "pattern does not compile");
}

#[test]
fn a_token_that_does_not_compile_names_its_rule() {
    let text = changed("tokens = ['we', 'us',", "tokens = ['we', '(us',");
    let e = parse_err(&text);
    let rule = header_above(&text, line_of(&text, "id = \"P.we\""), "[[rule]]");
    assert_eq!(e.line, Some(rule), "{e}");
    assert_eq!(e.key.as_deref(), Some("rule 'P.we'"), "{e}");
    assert_display(&e, rule, "rule 'P.we'", "pattern does not compile");
}

#[test]
fn an_exception_that_does_not_compile_names_its_rule() {
    let text = changed(
        "exceptions = ['^low-hanging'",
        "exceptions = ['^low-(hanging'",
    );
    let e = parse_err(&text);
    let rule = header_above(&text, line_of(&text, "id = \"P.pain\""), "[[rule]]");
    assert_eq!(e.line, Some(rule), "{e}");
    assert_eq!(e.key.as_deref(), Some("rule 'P.pain'"), "{e}");
    assert_display(&e, rule, "rule 'P.pain'", "exception does not compile");
}

#[test]
fn a_duplicate_rule_id_is_reported_at_its_second_appearance() {
    let text = changed("id = \"P.we\"", "id = \"P.self\"");
    let e = parse_err(&text);
    let second = header_above(&text, nth_line_of(&text, "id = \"P.self\"", 1), "[[rule]]");
    let first = header_above(&text, nth_line_of(&text, "id = \"P.self\"", 0), "[[rule]]");
    assert_ne!(first, second);
    assert_eq!(e.line, Some(second), "{e}");
    assert_eq!(e.key.as_deref(), Some("rule 'P.self'"), "{e}");
    assert_display(&e, second, "rule 'P.self'", "duplicate rule id");
}

#[test]
fn a_pair_with_the_id_of_a_rule_is_reported_at_the_pair() {
    let text = changed("id = \"P.who-and-pain\"", "id = \"P.actor\"");
    let e = parse_err(&text);
    let pair = line_of(&text, "[[pair]]");
    assert_eq!(e.line, Some(pair), "{e}");
    assert_display(&e, pair, "rule 'P.actor'", "duplicate rule id");
}

#[test]
fn a_pair_pointing_at_an_unknown_rule_names_the_pair_and_the_rule() {
    let text = changed(
        "second = [\"P.pain\", \"P.need\"]",
        "second = [\"P.pain\", \"P.nope\"]",
    );
    let e = parse_err(&text);
    let pair = line_of(&text, "[[pair]]");
    assert_eq!(e.line, Some(pair), "{e}");
    let key = e.key.clone().unwrap_or_default();
    assert!(key.contains("P.who-and-pain"), "{e}");
    assert!(e.message.contains("'P.nope'"), "{e}");
    assert_display(&e, pair, &key, "refers to unknown rule 'P.nope'");
}

#[test]
fn a_question_pointing_at_an_unknown_rule_names_the_question() {
    let text = changed("trigger = \"T.hype\"", "trigger = \"T.hyped\"");
    let e = parse_err(&text);
    let question = header_above(
        &text,
        line_of(&text, "trigger = \"T.hyped\""),
        "[[question]]",
    );
    assert_eq!(e.line, Some(question), "{e}");
    assert_eq!(e.key.as_deref(), Some("question 'T.hyped'"), "{e}");
    assert_display(
        &e,
        question,
        "question 'T.hyped'",
        "refers to unknown rule 'T.hyped'",
    );
}

#[test]
fn an_unknown_placeholder_names_the_rule_and_the_placeholder() {
    let text = changed("{solve_past})", "{solve_pasta})");
    let e = parse_err(&text);
    let rule = header_above(&text, line_of(&text, "id = \"T.opener\""), "[[rule]]");
    assert_eq!(e.line, Some(rule), "{e}");
    assert_eq!(e.key.as_deref(), Some("rule 'T.opener'"), "{e}");
    assert_display(&e, rule, "rule 'T.opener'", "{solve_pasta}");
}

#[test]
fn a_default_track_that_is_not_a_track_is_named_with_its_line() {
    let text = changed(
        "default_track = \"execution\"",
        "default_track = \"nowhere\"",
    );
    let e = parse_err(&text);
    let line = line_of(&text, "default_track = \"nowhere\"");
    assert_eq!(e.line, Some(line), "{e}");
    assert_eq!(e.key.as_deref(), Some("default_track"), "{e}");
    assert_display(
        &e,
        line,
        "default_track",
        "'nowhere' is not one of the tracks",
    );
}

#[test]
fn a_rule_on_the_wrong_side_is_named() {
    let text = changed(
        "id = \"P.we\"\nside = \"problem\"",
        "id = \"P.we\"\nside = \"tech\"",
    );
    let e = parse_err(&text);
    let rule = header_above(&text, line_of(&text, "id = \"P.we\""), "[[rule]]");
    assert_eq!(e.line, Some(rule), "{e}");
    assert_display(&e, rule, "rule 'P.we'", "starts with 'T.'");
}

// Regression tests for errors that once named the wrong key or line.

#[test]
fn a_duplicate_track_id_is_named_as_a_track() {
    let text = changed("id = \"search\"", "id = \"execution\"");
    let e = parse_err(&text);
    let second = nth_line_of(&text, "[[track]]", 1);
    assert_eq!(e.line, Some(second), "{e}");
    assert_eq!(e.key.as_deref(), Some("track 'execution'"), "{e}");
}

#[test]
fn an_empty_lexicon_list_points_at_its_own_line() {
    let text = changed("solve_past = [", "solve_empty = []\nsolve_past = [");
    let e = parse_err(&text);
    assert_eq!(e.key.as_deref(), Some("lexicon.solve_empty"), "{e}");
    assert_eq!(e.line, Some(line_of(&text, "solve_empty = []")), "{e}");
}

#[test]
fn a_value_of_the_wrong_type_names_its_key() {
    let text = changed(
        "weight = 0.5\ncap = 1\ncase_sensitive = true",
        "weight = \"heavy\"\ncap = 1\ncase_sensitive = true",
    );
    let e = parse_err(&text);
    assert_eq!(e.line, Some(line_of(&text, "weight = \"heavy\"")), "{e}");
    assert_eq!(e.key.as_deref(), Some("weight"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// `problemfirst config check`.

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_problemfirst"))
        .args(args)
        .current_dir(MANIFEST)
        .env_remove("PROBLEMFIRST_CONFIG")
        .output()
        .unwrap_or_else(|e| panic!("can't run problemfirst: {e}"))
}

#[test]
fn config_check_accepts_the_shipped_config() {
    for args in [
        &["config", "check"][..],
        &["config", "check", "--config", "config/problemfirst.toml"][..],
    ] {
        let out = run(args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: stdout {stdout}\nstderr {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("ok"), "{stdout}");
    }
}

#[test]
fn config_check_refuses_a_bad_file_with_its_line_and_key() {
    let dir = tempfile::TempDir::new().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let cases = [
        (
            changed("max = 3 ", "maxx = 4\nmax = 3 "),
            "maxx = 4",
            "maxx",
        ),
        (
            changed("id = \"P.we\"", "id = \"P.self\""),
            "",
            "rule 'P.self'",
        ),
    ];
    for (i, (text, marker, key)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write: {e}"));
        let line = if marker.is_empty() {
            header_above(text, nth_line_of(text, "id = \"P.self\"", 1), "[[rule]]")
        } else {
            line_of(text, marker)
        };
        let path_arg = path.to_string_lossy().to_string();
        let out = run(&["config", "check", "--config", &path_arg]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
        let place = format!("bad{i}.toml:{line}: {key}: ");
        assert!(stderr.contains(&place), "expected {place:?} in {stderr:?}");
        assert!(
            out.stdout.is_empty(),
            "stdout: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn config_check_refuses_a_missing_file() {
    let dir = tempfile::TempDir::new().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("absent.toml");
    let out = run(&["config", "check", "--config", &path.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("absent.toml"), "{stderr}");
}

#[test]
fn a_missing_model_file_is_named_with_the_model_section() {
    let text = changed("file = \"model.txt\"", "file = \"no-such-model.txt\"");
    let e = parse_err(&text);
    assert_eq!(e.line, Some(line_of(&text, "[model]")), "{e}");
    assert_eq!(e.key.as_deref(), Some("model.file"), "{e}");
    assert!(e.message.contains("no-such-model.txt"), "{e}");
}

#[test]
fn a_broken_model_file_is_named_with_its_own_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/model.txt"))
            .expect("the shipped model");
    let broken = model.replacen("temperature = ", "temperature = warm", 1);
    std::fs::write(dir.path().join("model.txt"), broken).expect("write");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let lexicon = root.join("wordnet/lexicon.txt");
    let vectors = root.join("wordvec/vectors.bin");
    let text = changed(
        "lexicon = \"wordnet/lexicon.txt\"",
        &format!("lexicon = {:?}", lexicon.display().to_string()),
    )
    .replacen(
        "vectors = \"wordvec/vectors.bin\"",
        &format!("vectors = {:?}", vectors.display().to_string()),
        1,
    );
    let e = Config::parse(&text, &dir.path().join("bad.toml")).expect_err("refused");
    assert_eq!(e.key.as_deref(), Some("model.file"), "{e}");
    assert!(
        e.message.contains("model.txt:") && e.message.contains("temperature"),
        "{e}"
    );
}

#[test]
fn word_vectors_that_are_not_the_models_are_refused() {
    // Not a vectors file at all: named with its key.
    let text = changed(
        "vectors = \"wordvec/vectors.bin\"",
        "vectors = \"wordnet/lexicon.txt\"",
    );
    let e = parse_err(&text);
    assert_eq!(e.key.as_deref(), Some("model.vectors"), "{e}");
    assert!(e.message.contains("word-vector"), "{e}");
    // No vectors for a model trained with them: the model says what it needs.
    let text = changed("vectors = \"wordvec/vectors.bin\"", "");
    let e = parse_err(&text);
    assert_eq!(e.key.as_deref(), Some("model.vectors"), "{e}");
    assert!(e.message.contains("retrain"), "{e}");
}
