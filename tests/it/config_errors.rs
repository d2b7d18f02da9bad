//! Settings and rules that can't be used are refused with where the value at fault came from —
//! the file and line, or the variable — and the key or rule. Every bad file here is a shipped one
//! (`config/problemfirst.toml`, the built-in settings; `config/rules.toml`, the built-in rules)
//! with one thing changed, so each test shows exactly one mistake an admin could make. Expected
//! lines are computed from the changed text, so the tests keep working when the files grow.

use problemfirst::config::{Config, ConfigError, Origin, Sources};
use std::path::Path;
use std::process::{Command, Output};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

fn shipped_file(name: &str) -> String {
    let path = Path::new(MANIFEST).join("config").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("can't read {}: {e}", path.display()))
}

/// The built-in settings.
fn shipped() -> String {
    shipped_file("problemfirst.toml")
}

/// The built-in rules.
fn rules() -> String {
    shipped_file("rules.toml")
}

fn replaced(text: String, old: &str, new: &str) -> String {
    assert!(
        text.contains(old),
        "the shipped file no longer contains {old:?}; update this test"
    );
    text.replacen(old, new, 1)
}

/// The built-in settings with the first `old` replaced by `new`.
fn changed(old: &str, new: &str) -> String {
    replaced(shipped(), old, new)
}

/// The built-in rules with the first `old` replaced by `new`.
fn changed_rules(old: &str, new: &str) -> String {
    replaced(rules(), old, new)
}

fn parse_err(text: &str) -> ConfigError {
    match Config::parse(text, Path::new("config/bad.toml")) {
        Ok(_) => panic!("bad settings were accepted"),
        Err(e) => e,
    }
}

fn rules_err(text: &str) -> ConfigError {
    match Config::with_rules(text, Path::new("config/bad.toml")) {
        Ok(_) => panic!("bad rules were accepted"),
        Err(e) => e,
    }
}

/// The built-in settings and rules with only these variables.
fn from_env(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::from_sources(&Sources {
        env: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Sources::default()
    })
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
fn the_built_in_settings_and_rules_load_and_the_shipped_files_are_them() {
    let built_in = Config::built_in();
    assert!(!built_in.rules().rules.is_empty());
    assert!(built_in.track(&built_in.default_track).is_some());
    assert_eq!(built_in.file, None);
    assert_eq!(built_in.rules_file, None);
    let config = Config::parse(&shipped(), Path::new("config/ok.toml"))
        .unwrap_or_else(|e| panic!("the shipped settings should parse: {e}"));
    // As if read from the source tree: its `[model]` files are the ones beside it there.
    let rules = Config::with_rules(&rules(), Path::new("config/ok.toml"))
        .unwrap_or_else(|e| panic!("the shipped rules should parse: {e}"));
    assert_eq!(config.rules().version, built_in.rules().version);
    assert_eq!(rules.rules().version, built_in.rules().version);
    // The binary carries the learned model beside its rules, and it is the shipped one.
    assert!(!built_in.classifier.model.weights.is_empty());
    assert_eq!(rules.classifier.version(), built_in.classifier.version());
    assert_eq!(config.classifier.version(), built_in.classifier.version());
    let ids = |c: &Config| {
        c.tracks
            .iter()
            .map(|t| t.id.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&config), ids(&built_in));
}

#[test]
fn the_starter_file_holds_only_company_settings_and_loads() {
    let starter = problemfirst::config::STARTER;
    assert!(starter.lines().count() < 60, "short");
    for section in [
        "[[rule]]",
        "[verdict]",
        "[lexicon]",
        "[ops]",
        "[http]",
        "data_dir",
    ] {
        assert!(!starter.contains(section), "the starter has {section}");
    }
    let config = Config::parse(starter, Path::new("problemfirst.toml")).expect("the starter loads");
    assert_eq!(config.tracks.len(), 2);
    // The built-in hints of a track named like a built-in one are kept.
    assert!(config.track("search").is_some_and(|t| !t.hints.is_empty()));
}

#[test]
fn an_unknown_key_is_named_with_its_line() {
    let text = changed("max = 3 ", "maxx = 4\nmax = 3 ");
    let e = parse_err(&text);
    let line = line_of(&text, "maxx = 4");
    assert_eq!(e.line, Some(line), "{e}");
    assert_eq!(e.key.as_deref(), Some("similar.maxx"), "{e}");
    assert_eq!(e.origin, Origin::File("config/bad.toml".into()));
    assert_display(&e, line, "similar.maxx", "unknown key");
}

#[test]
fn a_wrong_value_in_a_settings_file_names_its_key_and_line() {
    let text = changed(
        "submissions_per_hour = 20",
        "submissions_per_hour = \"many\"",
    );
    let e = parse_err(&text);
    let line = line_of(&text, "submissions_per_hour = \"many\"");
    assert_display(&e, line, "limits.submissions_per_hour", "many");
    let text = changed("\nleads = []\n", "\nleads = [\"U1\", \"#general\"]\n");
    let e = parse_err(&text);
    let line = line_of(&text, "#general");
    assert_display(&e, line, "tracks.execution.leads", "is not a Slack user id");
}

#[test]
fn a_setting_from_the_environment_that_cant_be_used_names_the_variable() {
    for (var, value, key, says) in [
        ("PROBLEMFIRST_DIGEST__TIME", "25:00", "digest.time", "25:00"),
        (
            "PROBLEMFIRST_DIGEST__CHANEL",
            "C1",
            "digest.chanel",
            "unknown key",
        ),
        (
            "PROBLEMFIRST_ADMINS",
            "U1,@bob",
            "admins",
            "is not a Slack user id",
        ),
        (
            "PROBLEMFIRST_LIMITS__MAX_PITCH_CHARS",
            "lots",
            "limits.max_pitch_chars",
            "lots",
        ),
        (
            "PROBLEMFIRST_TRACKS__SEARCH__TRIAGE_CHANNEL",
            "#ideas",
            "tracks.search.triage_channel",
            "not a channel id",
        ),
    ] {
        let e = match from_env(&[(var, value)]) {
            Ok(_) => panic!("{var}={value} was accepted"),
            Err(e) => e,
        };
        assert_eq!(e.origin, Origin::Env(var.into()), "{e}");
        assert_eq!(e.line, None, "{e}");
        let shown = e.to_string();
        assert!(shown.starts_with(&format!("{var}: {key}: ")), "{shown}");
        assert!(shown.contains(says), "{shown}");
    }
}

#[test]
fn an_unknown_key_in_a_rule_is_named_with_its_line() {
    let text = changed_rules("id = \"P.self\"\n", "id = \"P.self\"\nweigth = 2.0\n");
    let e = rules_err(&text);
    let line = line_of(&text, "weigth = 2.0");
    assert_eq!(e.line, Some(line), "{e}");
    assert_eq!(e.key.as_deref(), Some("weigth"), "{e}");
    assert_display(&e, line, "weigth", "unknown field");
}

#[test]
fn a_missing_required_key_is_named_with_its_table() {
    let text = changed_rules("thin_words = 8\n", "");
    let e = rules_err(&text);
    assert_eq!(e.key.as_deref(), Some("thin_words"), "{e}");
    let line = line_of(&text, "[verdict]");
    assert_eq!(e.line, Some(line), "{e}");
    assert_display(&e, line, "thin_words", "missing field");
}

#[test]
fn a_rule_without_a_message_is_refused_at_that_rule() {
    let text = changed_rules("message = \"the writer is affected: '%s'\"\n", "");
    let e = rules_err(&text);
    assert_eq!(e.key.as_deref(), Some("message"), "{e}");
    let rule = header_above(&text, line_of(&text, "id = \"P.self\""), "[[rule]]");
    assert_eq!(e.line, Some(rule), "{e}");
    assert_display(&e, rule, "message", "missing field");
}

#[test]
fn a_pattern_that_does_not_compile_names_the_rule_and_where_it_starts() {
    let text = changed_rules(
        "patterns = ['(?-u:\\b)[A-Za-z]{2,}",
        "patterns = ['(?-u:\\b)[A-Za-z{2,}",
    );
    let e = rules_err(&text);
    let rule = header_above(&text, line_of(&text, "id = \"P.actor\""), "[[rule]]");
    assert_eq!(e.line, Some(rule), "{e}");
    assert_eq!(e.key.as_deref(), Some("rule 'P.actor'"), "{e}");
    assert_display(&e, rule, "rule 'P.actor'", "pattern does not compile");
}

#[test]
fn a_token_that_does_not_compile_names_its_rule() {
    let text = changed_rules("tokens = ['we', 'us',", "tokens = ['we', '(us',");
    let e = rules_err(&text);
    let rule = header_above(&text, line_of(&text, "id = \"P.we\""), "[[rule]]");
    assert_eq!(e.line, Some(rule), "{e}");
    assert_eq!(e.key.as_deref(), Some("rule 'P.we'"), "{e}");
    assert_display(&e, rule, "rule 'P.we'", "pattern does not compile");
}

#[test]
fn an_exception_that_does_not_compile_names_its_rule() {
    let text = changed_rules(
        "exceptions = ['^low-hanging'",
        "exceptions = ['^low-(hanging'",
    );
    let e = rules_err(&text);
    let rule = header_above(&text, line_of(&text, "id = \"P.pain\""), "[[rule]]");
    assert_eq!(e.line, Some(rule), "{e}");
    assert_eq!(e.key.as_deref(), Some("rule 'P.pain'"), "{e}");
    assert_display(&e, rule, "rule 'P.pain'", "exception does not compile");
}

#[test]
fn a_duplicate_rule_id_is_reported_at_its_second_appearance() {
    let text = changed_rules("id = \"P.we\"", "id = \"P.self\"");
    let e = rules_err(&text);
    let second = header_above(&text, nth_line_of(&text, "id = \"P.self\"", 1), "[[rule]]");
    let first = header_above(&text, nth_line_of(&text, "id = \"P.self\"", 0), "[[rule]]");
    assert_ne!(first, second);
    assert_eq!(e.line, Some(second), "{e}");
    assert_eq!(e.key.as_deref(), Some("rule 'P.self'"), "{e}");
    assert_display(&e, second, "rule 'P.self'", "duplicate rule id");
}

#[test]
fn a_pair_with_the_id_of_a_rule_is_reported_at_the_pair() {
    let text = changed_rules("id = \"P.who-and-pain\"", "id = \"P.actor\"");
    let e = rules_err(&text);
    let pair = line_of(&text, "[[pair]]");
    assert_eq!(e.line, Some(pair), "{e}");
    assert_display(&e, pair, "rule 'P.actor'", "duplicate rule id");
}

#[test]
fn a_pair_pointing_at_an_unknown_rule_names_the_pair_and_the_rule() {
    let text = changed_rules(
        "second = [\"P.pain\", \"P.need\"]",
        "second = [\"P.pain\", \"P.nope\"]",
    );
    let e = rules_err(&text);
    let pair = line_of(&text, "[[pair]]");
    assert_eq!(e.line, Some(pair), "{e}");
    let key = e.key.clone().unwrap_or_default();
    assert!(key.contains("P.who-and-pain"), "{e}");
    assert!(e.message.contains("'P.nope'"), "{e}");
    assert_display(&e, pair, &key, "refers to unknown rule 'P.nope'");
}

#[test]
fn a_question_pointing_at_an_unknown_rule_names_the_question() {
    let text = changed_rules("trigger = \"T.hype\"", "trigger = \"T.hyped\"");
    let e = rules_err(&text);
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
    let text = changed_rules("{solve_past})", "{solve_pasta})");
    let e = rules_err(&text);
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
    let text = changed_rules(
        "id = \"P.we\"\nside = \"problem\"",
        "id = \"P.we\"\nside = \"tech\"",
    );
    let e = rules_err(&text);
    let rule = header_above(&text, line_of(&text, "id = \"P.we\""), "[[rule]]");
    assert_eq!(e.line, Some(rule), "{e}");
    assert_display(&e, rule, "rule 'P.we'", "starts with 'T.'");
}

// Regression tests for errors that once named the wrong key or line.

#[test]
fn a_track_id_that_cant_be_one_is_named_at_its_table() {
    let text = changed("[tracks.search]", "[tracks.\"two words\"]");
    let e = parse_err(&text);
    assert_eq!(e.line, Some(line_of(&text, "two words")), "{e}");
    assert_eq!(e.key.as_deref(), Some("tracks.two words"), "{e}");
}

#[test]
fn a_track_hint_that_does_not_compile_is_named_at_its_track() {
    let text = changed("hints = ['existing',", "hints = ['(existing',");
    let e = parse_err(&text);
    assert_eq!(e.line, Some(line_of(&text, "[tracks.execution]")), "{e}");
    assert_eq!(e.key.as_deref(), Some("tracks.execution"), "{e}");
}

#[test]
fn an_empty_lexicon_list_points_at_its_own_line() {
    let text = changed_rules("solve_past = [", "solve_empty = []\nsolve_past = [");
    let e = rules_err(&text);
    assert_eq!(e.key.as_deref(), Some("lexicon.solve_empty"), "{e}");
    assert_eq!(e.line, Some(line_of(&text, "solve_empty = []")), "{e}");
}

#[test]
fn a_value_of_the_wrong_type_names_its_key() {
    let text = changed_rules(
        "weight = 0.5\ncap = 1\ncase_sensitive = true",
        "weight = \"heavy\"\ncap = 1\ncase_sensitive = true",
    );
    let e = rules_err(&text);
    assert_eq!(e.line, Some(line_of(&text, "weight = \"heavy\"")), "{e}");
    assert_eq!(e.key.as_deref(), Some("weight"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// `problemfirst config check`.

fn run(args: &[&str]) -> Output {
    run_with(args, &[])
}

/// Runs in the repository, with no `PROBLEMFIRST_…` variable but `vars`.
fn run_with(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_problemfirst"));
    command.args(args).current_dir(MANIFEST);
    for (name, _) in std::env::vars() {
        if name.starts_with("PROBLEMFIRST_") || name.starts_with("SLACK_") {
            command.env_remove(name);
        }
    }
    command
        .envs(vars.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("can't run problemfirst: {e}"))
}

#[test]
fn config_check_accepts_the_shipped_files() {
    for args in [
        &["config", "check"][..],
        &["config", "check", "--config", "config/problemfirst.toml"][..],
        &["config", "check", "--rules", "config/rules.toml"][..],
    ] {
        let out = run(args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: stdout {stdout}\nstderr {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("\nok: "), "{stdout}");
    }
}

#[test]
fn config_check_refuses_bad_settings_or_rules_with_the_line_and_key() {
    let dir = tempfile::TempDir::new().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let settings = changed("max = 3 ", "maxx = 4\nmax = 3 ");
    let rules = changed_rules("id = \"P.we\"", "id = \"P.self\"");
    let cases = [
        (
            "--config",
            settings.clone(),
            line_of(&settings, "maxx = 4"),
            "similar.maxx",
        ),
        (
            "--rules",
            rules.clone(),
            header_above(
                &rules,
                nth_line_of(&rules, "id = \"P.self\"", 1),
                "[[rule]]",
            ),
            "rule 'P.self'",
        ),
    ];
    for (i, (flag, text, line, key)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write: {e}"));
        let path_arg = path.to_string_lossy().to_string();
        let out = run(&["config", "check", flag, &path_arg]);
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

/// Every setting a company makes, through the environment only.
const COMPANY: &[(&str, &str)] = &[
    ("PROBLEMFIRST_DATA_DIR", "/srv/ideas"),
    ("PROBLEMFIRST_ADMINS", "UADMIN1, UADMIN2"),
    ("PROBLEMFIRST_DEFAULT_TRACK", "ops"),
    ("PROBLEMFIRST_SLACK__IDEA_CHANNELS", "CIDEAS1,CIDEAS2"),
    ("PROBLEMFIRST_TRACKS__OPS__NAME", "Operations"),
    (
        "PROBLEMFIRST_TRACKS__OPS__DESCRIPTION",
        "Run the shop better, cheaper, safer.",
    ),
    ("PROBLEMFIRST_TRACKS__OPS__HINTS", "warehouse,shifts?"),
    ("PROBLEMFIRST_TRACKS__OPS__LEADS", "ULEAD1,SLEADS"),
    ("PROBLEMFIRST_TRACKS__OPS__TRIAGE_CHANNEL", "COPSTRIAGE"),
    ("PROBLEMFIRST_TRACKS__SEARCH__LEADS", "ULEAD2"),
    ("PROBLEMFIRST_DIGEST__ENABLED", "false"),
    ("PROBLEMFIRST_DIGEST__CHANNEL", "CDIGEST"),
    ("PROBLEMFIRST_DIGEST__WEEKDAY", "friday"),
    ("PROBLEMFIRST_DIGEST__TIME", "16:30"),
    ("PROBLEMFIRST_DIGEST__TIMEZONE", "Europe/Amsterdam"),
    ("PROBLEMFIRST_LIMITS__SUBMISSIONS_PER_HOUR", "5"),
    ("PROBLEMFIRST_LIMITS__MAX_PITCH_CHARS", "1500"),
    ("PROBLEMFIRST_VOTES__REACTION", "bulb"),
    ("PROBLEMFIRST_HTTP__LISTEN", "0.0.0.0:8080"),
    ("PROBLEMFIRST_OPS__LISTEN", "0.0.0.0:9100"),
    ("PROBLEMFIRST_LOG__FORMAT", "json"),
];

#[test]
fn every_company_setting_can_come_from_the_environment_alone() {
    use problemfirst::config::{Lead, LogFormat};
    let c = from_env(COMPANY).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.file, None);
    assert_eq!(c.data_dir, Path::new("/srv/ideas"));
    let admins: Vec<&str> = c.admins.iter().map(|a| a.as_str()).collect();
    assert_eq!(admins, ["UADMIN1", "UADMIN2"]);
    assert_eq!(c.default_track, "ops");
    let channels: Vec<&str> = c.slack.idea_channels.iter().map(|c| c.as_str()).collect();
    assert_eq!(channels, ["CIDEAS1", "CIDEAS2"]);
    // Naming tracks replaces the built-in set: exactly the two named, and `search` keeps its
    // built-in name and hints.
    let ids: Vec<&str> = c.tracks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["ops", "search"]);
    let ops = c.track("ops").expect("ops");
    assert_eq!(ops.name, "Operations");
    assert_eq!(ops.description, "Run the shop better, cheaper, safer.");
    assert_eq!(ops.hints, ["warehouse", "shifts?"]);
    assert_eq!(ops.leads.len(), 2);
    assert_eq!(ops.leads[1], Lead::Group("SLEADS".into()));
    assert_eq!(
        ops.triage_channel.as_ref().map(|c| c.as_str()),
        Some("COPSTRIAGE")
    );
    let search = c.track("search").expect("search");
    assert_eq!(search.name, "Search");
    assert!(!search.hints.is_empty());
    assert_eq!(search.leads.len(), 1);
    assert!(!c.digest.enabled);
    assert_eq!(
        c.digest.channel.as_ref().map(|c| c.as_str()),
        Some("CDIGEST")
    );
    assert_eq!(c.digest.schedule.weekday, jiff::civil::Weekday::Friday);
    assert_eq!(c.digest.schedule.time, jiff::civil::time(16, 30, 0, 0));
    assert_eq!(c.digest.schedule.zone_name, "Europe/Amsterdam");
    assert_eq!(c.limits.submissions_per_hour, 5);
    assert_eq!(c.limits.max_pitch_chars, 1500);
    assert_eq!(c.votes.reaction, "bulb");
    assert_eq!(c.http.listen, "0.0.0.0:8080");
    assert_eq!(c.ops.listen, "0.0.0.0:9100");
    assert_eq!(c.log.format, LogFormat::Json);
    // The hints of the environment's track steer the classifier.
    let a = c
        .classifier
        .assess("Warehouse staff on night shifts wait an hour for a forklift.");
    assert_eq!(a.track.track.as_deref(), Some("ops"), "{}", a.track.reason);
}

#[test]
fn config_check_prints_the_settings_in_effect_with_where_each_came_from_and_masks_secrets() {
    let dir = tempfile::TempDir::new().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let file = dir.path().join("settings.toml");
    std::fs::write(&file, "# ours\n[limits]\nmax_pitch_chars = 2000\n").expect("written");
    let file_arg = file.to_string_lossy().to_string();
    let secret = "xoxb-1111-2222-verysecretpart";
    let vars: Vec<(&str, &str)> = COMPANY
        .iter()
        .copied()
        .filter(|(k, _)| *k != "PROBLEMFIRST_LIMITS__MAX_PITCH_CHARS")
        .chain([
            ("SLACK_BOT_TOKEN", secret),
            ("SLACK_SIGNING_SECRET", "signing-secret-value"),
        ])
        .collect();
    let out = run_with(
        &[
            "config",
            "check",
            "--config",
            &file_arg,
            "--rules",
            "config/rules.toml",
        ],
        &vars,
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = |key: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no {key} in {stdout}"))
            .to_string()
    };
    let from = |key: &str| {
        line(key)
            .rsplit_once(" # ")
            .map(|(_, f)| f.to_string())
            .unwrap_or_default()
    };
    assert_eq!(from("data_dir"), "PROBLEMFIRST_DATA_DIR");
    assert!(
        line("admins").contains(r#"["UADMIN1", "UADMIN2"]"#),
        "{}",
        line("admins")
    );
    assert_eq!(from("max_pitch_chars"), format!("{}:3", file.display()));
    assert_eq!(
        from("submissions_per_hour"),
        "PROBLEMFIRST_LIMITS__SUBMISSIONS_PER_HOUR"
    );
    assert_eq!(from("reaction"), "PROBLEMFIRST_VOTES__REACTION");
    assert_eq!(from("threshold"), "built-in");
    assert_eq!(from("rules"), "--rules");
    assert!(stdout.contains("[tracks.ops]"), "{stdout}");
    // Secrets: whether set, never what they are.
    assert!(
        !stdout.contains("verysecretpart") && !stdout.contains("1111"),
        "{stdout}"
    );
    assert!(!stdout.contains("signing-secret-value"), "{stdout}");
    assert!(stdout.contains("SLACK_BOT_TOKEN"), "{stdout}");
    assert!(
        stdout.contains("SLACK_APP_TOKEN        not set"),
        "{stdout}"
    );
}

/// The `ENV` of the image's runtime stage, as `NAME=value` pairs.
fn image_env() -> Vec<(String, String)> {
    let dockerfile =
        std::fs::read_to_string(Path::new(MANIFEST).join("Dockerfile")).expect("Dockerfile");
    let stage = dockerfile
        .split("AS runtime-base")
        .nth(1)
        .and_then(|rest| rest.split("\nFROM ").next())
        .expect("a runtime-base stage");
    let env = stage
        .split("\nENV ")
        .nth(1)
        .expect("an ENV in the runtime stage");
    env.lines()
        .map_while(|l| {
            let l = l.trim().trim_end_matches('\\').trim();
            (!l.is_empty() && !l.starts_with("USER")).then(|| l.to_string())
        })
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

#[test]
fn the_image_serves_the_ops_endpoints_on_every_interface_and_needs_no_settings_file() {
    let env = image_env();
    assert!(
        env.iter().all(|(k, _)| k != "PROBLEMFIRST_CONFIG"),
        "the image needs no settings file: {env:?}"
    );
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let config = from_env(&vars).unwrap_or_else(|e| panic!("the image's settings: {e}"));
    assert_eq!(config.ops.listen, "0.0.0.0:9090");
    assert_eq!(config.http.listen, "0.0.0.0:3000");
    assert_eq!(config.data_dir, Path::new("/data"));
    // Outside the image, the default keeps them on loopback.
    assert_eq!(Config::built_in().ops.listen, "127.0.0.1:9090");
}

#[test]
fn a_missing_model_file_is_named_with_the_model_section() {
    let text = changed_rules("file = \"model.txt\"", "file = \"no-such-model.txt\"");
    let e = rules_err(&text);
    assert_eq!(e.line, Some(line_of(&text, "[model]")), "{e}");
    assert_eq!(e.key.as_deref(), Some("model.file"), "{e}");
    assert!(e.message.contains("no-such-model.txt"), "{e}");
}

#[test]
fn a_broken_model_file_is_named_with_its_own_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = shipped_file("model.txt");
    let broken = model.replacen("temperature = ", "temperature = warm", 1);
    std::fs::write(dir.path().join("model.txt"), broken).expect("write");
    let root = Path::new(MANIFEST).join("config");
    let lexicon = root.join("wordnet/lexicon.txt");
    let vectors = root.join("wordvec/vectors.bin");
    let text = changed_rules(
        "lexicon = \"wordnet/lexicon.txt\"",
        &format!("lexicon = {:?}", lexicon.display().to_string()),
    )
    .replacen(
        "vectors = \"wordvec/vectors.bin\"",
        &format!("vectors = {:?}", vectors.display().to_string()),
        1,
    );
    let e = Config::with_rules(&text, &dir.path().join("bad.toml")).expect_err("refused");
    assert_eq!(e.key.as_deref(), Some("model.file"), "{e}");
    assert!(
        e.message.contains("model.txt:") && e.message.contains("temperature"),
        "{e}"
    );
}

#[test]
fn word_vectors_that_are_not_the_models_are_refused() {
    // Not a vectors file at all: named with its key.
    let text = changed_rules(
        "vectors = \"wordvec/vectors.bin\"",
        "vectors = \"wordnet/lexicon.txt\"",
    );
    let e = rules_err(&text);
    assert_eq!(e.key.as_deref(), Some("model.vectors"), "{e}");
    assert!(e.message.contains("word-vector"), "{e}");
    // No vectors for a model trained with them: the model says what it needs.
    let text = changed_rules("vectors = \"wordvec/vectors.bin\"", "");
    let e = rules_err(&text);
    assert_eq!(e.key.as_deref(), Some("model.vectors"), "{e}");
    assert!(e.message.contains("retrain"), "{e}");
}

#[test]
fn a_copy_of_the_rules_away_from_its_model_says_which_file_it_cannot_read() {
    // The `[model]` paths of a rules file on disk are relative to it, not to the built-in ones.
    let dir = tempfile::tempdir().expect("temp dir");
    let e = Config::with_rules(&rules(), &dir.path().join("rules.toml")).expect_err("refused");
    assert_eq!(e.line, Some(line_of(&rules(), "[model]")), "{e}");
    assert!(e.message.contains("can't read"), "{e}");
    assert!(
        e.message.contains(&dir.path().display().to_string()),
        "the path beside the rules file is named: {e}"
    );
}
