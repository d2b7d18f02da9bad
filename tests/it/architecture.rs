//! The house's doors, checked on the source itself: every room (a top-level module of `src/`)
//! names only the rooms it may depend on; sled is known only to `storage`, slack-morphism only
//! to `slack`; `slack` never reaches into the store; and no file of `src/` imports, through any
//! path, a file that imports it back.
//!
//! How: every `.rs` file under `src/` is one node, named by its module path (`slack::api`). Its
//! edges are the `crate::…` and `super::…` paths it names, grouped `use` trees included, each
//! resolved to the file that defines it; a name a `mod.rs` re-exports (`pub use x::Name`) is
//! followed to the file it comes from. Comments are left out. The graph must have no cycle
//! among files (a `mod.rs` that only declares and re-exports its children is not a file of its
//! own for this), and every edge between rooms must be a door in [`DOORS`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The rooms and the rooms each may name. Dependencies run one way: down this list, never up.
const DOORS: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("config", &["domain"]),
    ("storage", &["domain"]),
    ("app", &["domain", "storage", "config"]),
    ("listener", &[]),
    ("heap", &[]),
    ("ops", &["storage", "listener"]),
    ("slack", &["app", "domain", "config"]),
    (
        "startup",
        &[
            "app", "config", "domain", "listener", "ops", "slack", "storage",
        ],
    ),
    ("telemetry", &["config", "slack"]),
    (
        "cli",
        &[
            "app",
            "config",
            "domain",
            "heap",
            "listener",
            "ops",
            "slack",
            "startup",
            "storage",
            "telemetry",
        ],
    ),
];

/// Crates that one room alone may use.
const OWNED: &[(&str, &str)] = &[("sled", "storage"), ("slack_morphism", "slack")];

/// Crates the pure domain may not use: it does no I/O.
const NOT_IN_DOMAIN: &[&str] = &[
    "tokio",
    "hyper",
    "std::fs",
    "std::net",
    "sled",
    "slack_morphism",
];

/// One source file: its module path and its text without comments.
struct Source {
    module: String,
    hub: bool,
    code: String,
}

fn sources(src: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    walk(src, &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let rel = path.strip_prefix(src).ok()?.with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let hub = parts.last().is_some_and(|p| p == "mod");
            if hub {
                parts.pop();
            }
            if parts == ["lib"] || parts == ["main"] {
                return None;
            }
            let text = std::fs::read_to_string(&path).ok()?;
            let code = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            Some(Source {
                module: parts.join("::"),
                hub,
                code,
            })
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The paths a file names through `crate::` and `super::` (`super` resolved against `module`),
/// as module paths.
fn named_paths(module: &str, code: &str) -> Vec<String> {
    // `super` in `a/b.rs` is `a`; in `a/b/mod.rs` (module `a::b`) it is `a` too.
    let parent = match module.rsplit_once("::") {
        Some((p, _)) => p.to_string(),
        None => String::new(),
    };
    let root = |word: &str| -> Option<String> {
        match word {
            "crate" => Some(String::new()),
            "super" => Some(parent.clone()),
            _ => None,
        }
    };
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let mut at = 0;
    while at < code.len() {
        let rest = &code[at..];
        let Some(next) = rest.find(|c: char| c.is_ascii_alphabetic() || c == '_') else {
            break;
        };
        let start = at + next;
        let word_end = code[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(code.len(), |e| start + e);
        let word = &code[start..word_end];
        let preceded =
            start > 0 && (bytes[start - 1] == b':' || bytes[start - 1].is_ascii_alphanumeric());
        match root(word) {
            Some(base) if !preceded && code[word_end..].starts_with("::") => {
                let (paths, end) = use_tree(code, word_end + 2);
                for p in paths {
                    found.push(join(&base, &p));
                }
                at = end;
            }
            _ => at = word_end,
        }
    }
    found
}

/// Reads `a::b`, `a::{b, c::{d}}` or `a::*` at `at`; the paths it names and where it ends.
fn use_tree(code: &str, at: usize) -> (Vec<String>, usize) {
    let name_end = |from: usize| {
        code[from..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(code.len(), |e| from + e)
    };
    let mut prefix = Vec::new();
    let mut i = at;
    loop {
        if code[i..].starts_with('{') {
            let mut paths = Vec::new();
            i += 1;
            loop {
                let skip = code[i..]
                    .find(|c: char| !c.is_whitespace() && c != ',')
                    .map_or(code.len(), |s| i + s);
                i = skip;
                if i >= code.len() || code[i..].starts_with('}') {
                    i += 1;
                    break;
                }
                let (inner, end) = use_tree(code, i);
                for p in inner {
                    paths.push(join(&prefix.join("::"), &p));
                }
                i = end;
            }
            return (paths, i);
        }
        let end = name_end(i);
        if end == i {
            return (vec![prefix.join("::")], i);
        }
        let name = &code[i..end];
        if name != "self" {
            prefix.push(name.to_string());
        }
        i = end;
        if code[i..].starts_with("::") {
            i += 2;
        } else {
            return (vec![prefix.join("::")], i);
        }
    }
}

fn join(base: &str, path: &str) -> String {
    match (base.is_empty(), path.is_empty()) {
        (true, _) => path.to_string(),
        (_, true) => base.to_string(),
        _ => format!("{base}::{path}"),
    }
}

/// What is wrong with the sources under `src`: each door used that does not exist, each crate
/// used outside its room, and each cycle of files.
fn violations(src: &Path) -> Vec<String> {
    let files = sources(src);
    let modules: BTreeMap<&str, &Source> = files.iter().map(|s| (s.module.as_str(), s)).collect();
    // Names each hub re-exports, and the file each comes from.
    let mut reexports: BTreeMap<(String, String), String> = BTreeMap::new();
    for s in files.iter().filter(|s| s.hub) {
        for line in s.code.lines() {
            let Some(rest) = line.trim().strip_prefix("pub use ") else {
                continue;
            };
            let (paths, _) = use_tree(rest, 0);
            for p in paths {
                let Some((sub, name)) = p.split_once("::") else {
                    continue;
                };
                let from = join(&s.module, sub);
                if modules.contains_key(from.as_str()) {
                    let name = name.rsplit("::").next().unwrap_or(name).to_string();
                    reexports.insert((s.module.clone(), name), from);
                }
            }
        }
    }
    let resolve = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").collect();
        for k in (1..=parts.len()).rev() {
            let candidate = parts[..k].join("::");
            if let Some(s) = modules.get(candidate.as_str()) {
                if s.hub && k < parts.len() {
                    if let Some(from) = reexports.get(&(candidate.clone(), parts[k].to_string())) {
                        return Some(from.clone());
                    }
                }
                return Some(candidate);
            }
        }
        None
    };
    let room = |module: &str| module.split("::").next().unwrap_or(module).to_string();
    let doors: BTreeMap<&str, &[&str]> = DOORS.iter().copied().collect();
    let mut problems = BTreeSet::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in &files {
        let from_room = room(&s.module);
        let Some(allowed) = doors.get(from_room.as_str()) else {
            problems.insert(format!("{}: a room not in DOORS", s.module));
            continue;
        };
        for path in named_paths(&s.module, &s.code) {
            let Some(to) = resolve(&path) else { continue };
            if to == s.module {
                continue;
            }
            let to_room = room(&to);
            if to_room != from_room && !allowed.contains(&to_room.as_str()) {
                problems.insert(format!(
                    "{} names {path}: {from_room} may not depend on {to_room}",
                    s.module
                ));
            }
            edges.entry(s.module.clone()).or_default().insert(to);
        }
        for (krate, owner) in OWNED {
            let used =
                s.code.contains(&format!("{krate}::")) || s.code.contains(&format!("use {krate}"));
            if used && from_room != *owner {
                problems.insert(format!("{} uses {krate}, which only {owner} may", s.module));
            }
        }
        if from_room == "domain" {
            for krate in NOT_IN_DOMAIN {
                if s.code.contains(&format!("{krate}::"))
                    || s.code.contains(&format!("use {krate}"))
                {
                    problems.insert(format!("{} uses {krate}: the domain does no I/O", s.module));
                }
            }
        }
        if from_room == "slack" && s.code.contains(".store()") {
            problems.insert(format!(
                "{} reaches into the store: slack/ goes through the app's use cases",
                s.module
            ));
        }
    }
    // Cycles among files; a hub is a file of its own only for what it defines.
    let hub = |m: &str| modules.get(m).is_some_and(|s| s.hub);
    let graph: BTreeMap<&str, Vec<&str>> = edges
        .iter()
        .filter(|(m, _)| !hub(m))
        .map(|(m, to)| {
            (
                m.as_str(),
                to.iter().map(String::as_str).filter(|t| !hub(t)).collect(),
            )
        })
        .collect();
    for cycle in cycles(&graph) {
        problems.insert(format!(
            "an import cycle among {}",
            cycle[..cycle.len() - 1].join(", ")
        ));
    }
    problems.into_iter().collect()
}

/// The strongly connected components of more than one node (Tarjan), each as a closed path.
fn cycles<'a>(graph: &BTreeMap<&'a str, Vec<&'a str>>) -> Vec<Vec<&'a str>> {
    struct Walk<'a, 'g> {
        graph: &'g BTreeMap<&'a str, Vec<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(w: &mut Walk<'a, '_>, v: &'a str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        w.on_stack.insert(v);
        let next = w.graph.get(v).cloned().unwrap_or_default();
        for u in next {
            if !w.index.contains_key(u) {
                visit(w, u);
                let low = w.low[v].min(w.low[u]);
                w.low.insert(v, low);
            } else if w.on_stack.contains(u) {
                let low = w.low[v].min(w.index[u]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut component = Vec::new();
            while let Some(u) = w.stack.pop() {
                w.on_stack.remove(u);
                component.push(u);
                if u == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.reverse();
                component.push(component[0]);
                w.found.push(component);
            }
        }
    }
    let mut w = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for &v in graph.keys() {
        if !w.index.contains_key(v) {
            visit(&mut w, v);
        }
    }
    w.found
}

#[test]
fn every_import_goes_down_and_no_file_imports_itself_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = violations(&src);
    assert!(
        problems.is_empty(),
        "the doors between rooms are broken:\n  {}",
        problems.join("\n  ")
    );
}

/// The check itself, on a small made-up tree with one of each mistake: it must find all of
/// them, and nothing in a clean copy.
#[test]
fn the_check_finds_a_door_up_a_cycle_and_a_crate_out_of_its_room() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path();
    let write = |path: &str, text: &str| {
        let path = src.join(path);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("folders");
        std::fs::write(path, text).expect("written");
    };
    write("lib.rs", "pub mod app;\npub mod domain;\npub mod slack;\n");
    write("domain/mod.rs", "pub mod idea;\npub use idea::Idea;\n");
    write("domain/idea.rs", "pub struct Idea;\n");
    write("app/mod.rs", "pub mod submit;\nuse crate::domain::Idea;\n");
    write("app/submit.rs", "use crate::domain::{idea::Idea};\n");
    write("slack/mod.rs", "pub mod api;\npub mod bot;\n");
    write("slack/api.rs", "use slack_morphism::prelude::*;\n");
    write(
        "slack/bot.rs",
        "use super::api::Api;\nuse crate::app::App;\n",
    );
    assert_eq!(violations(src), Vec::<String>::new(), "a clean tree");

    // A door up, a cycle in slack/, sled outside storage, and the store reached from slack/.
    write(
        "app/submit.rs",
        "use crate::{domain::Idea, slack::bot::Bot};\n",
    );
    write(
        "slack/api.rs",
        "use super::bot::Bot; // and back\nfn f(app: &App) { app.store(); }\n",
    );
    write("domain/idea.rs", "pub struct Idea(sled::Db);\n");
    let problems = violations(src);
    let found = |what: &str| problems.iter().any(|p| p.contains(what));
    assert!(
        found("app::submit names slack::bot::Bot: app may not depend on slack"),
        "{problems:#?}"
    );
    assert!(
        found("an import cycle among slack::api, slack::bot")
            || found("an import cycle among slack::bot, slack::api"),
        "{problems:#?}"
    );
    assert!(
        found("domain::idea uses sled, which only storage may"),
        "{problems:#?}"
    );
    assert!(
        found("domain::idea uses sled: the domain does no I/O"),
        "{problems:#?}"
    );
    assert!(found("slack::api reaches into the store"), "{problems:#?}");
    assert_eq!(problems.len(), 5, "{problems:#?}");
}
