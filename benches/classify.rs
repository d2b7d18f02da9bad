//! The classifier's speed targets: at least 50,000 assessments per second on one core for typical
//! 200–400 character pitches, and loading + compiling `config/problemfirst.toml` with the
//! built-in rules (`config/rules.toml`: the rules, the model, the word classes and the word
//! vectors, all carried in the binary) in under 50 ms.
//!
//! `cargo bench --bench classify`. Criterion reports the assessment throughput as `elem/s`
//! (one element = one pitch assessed) and the config load as time per load; `config/learned`
//! is the model, word classes and word vectors alone (parsed from the binary's copies, one
//! thread), which load beside the rules' compilation.

use criterion::{black_box, criterion_group, Criterion, Throughput};
use problemfirst::config::Config;
use problemfirst::domain::lexicon::Lexicon;
use problemfirst::domain::model::Model;
use problemfirst::domain::wordvec::WordVectors;
use problemfirst::domain::Verdict;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[path = "common/pitch_file.rs"]
mod pitch_file;

// The bot's own allocator, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: problemfirst::heap::Allocator = problemfirst::heap::Allocator {};

/// Typical pitches as they arrive from Slack: 200–400 characters, mixed verdicts, some markup.
const PITCHES: &[&str] = &[
    // problem-led
    "Our delivery drivers wait up to 40 minutes at the depot every morning because the loading \
     list is printed only after the last truck is packed, so the first drops start late and \
     customers in the north route call us to ask where their parcels are. Two drivers quit last \
     month and both named the morning wait as the reason.",
    "<@U0123ABC> *Front desk staff* re-enter every guest's details from the booking email into \
     the room system by hand, which takes about five minutes per check-in and causes typos in \
     names &amp; invoices that finance then has to correct at the end of each month.",
    "New hires in the call centre can\u{2019}t find the refund policy when a customer is on the \
     line, so they put people on hold and ask a team lead. Last quarter 30% of calls from new \
     agents ran over ten minutes because of this. :disappointed:",
    "&gt; Field engineers drive back to the office twice a week just to pick up spare parts that \
     could be shipped to site, which costs each of them roughly half a day and delays repairs \
     for the hospitals we serve. The hospitals have started to ask for penalty clauses in the \
     next contract round.",
    // tech-led
    "Let's build an AI-powered chatbot on the intranet that answers every HR question, books \
     leave, orders laptops and summarises policies for everyone. It would be a game changer \
     for the whole company and put us ahead of competitors :rocket: :rocket:",
    "We should move the whole warehouse to a blockchain-based tracking platform with IoT \
     sensors on every pallet and a real-time dashboard for management. The solution: one \
     integrated system that solves all our logistics problems at once. I already talked to two \
     vendors and one of them can start in March.",
    "\u{2022} Idea: a mobile app for the canteen with a loyalty programme, push notifications \
     for the daily menu, table booking and a <https://example.com/demo|demo> that I already \
     built over the weekend using React Native and a serverless backend.",
    "I think we need a new CRM with machine learning lead scoring and a GPT assistant that \
     writes follow-up emails automatically. _Everyone else is doing this already_, and the \
     vendor offered us a free pilot for three months if we sign before June.",
    // vague
    "We should really modernise how we work and become a more innovative, agile and \
     customer-centric organisation. There is so much potential in our people and I feel we \
     could do more to empower them and unlock new ways of working together, across every \
     department and every site we have.",
    "It's time to rethink our digital journey end to end. Better collaboration, smarter \
     processes and a culture of excellence would boost productivity across the board and make \
     us future-proof for the next decade. Thoughts? :thinking_face:",
    "Our brand needs a fresh vision to stay ahead. I'd love to brainstorm how we can transform \
     the experience we offer and create more engagement, maybe with some kind of initiative \
     that brings the whole company together around innovation.",
    "Just a thought: things are going well but something feels off about how we approach new \
     ideas. Maybe we could look into ways to improve alignment and visibility between teams \
     and raise the bar on how we share what we learn. Any ideas? Happy to set up a session \
     with whoever is interested :bulb:",
];

fn config_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/problemfirst.toml")
}

fn load() -> Config {
    Config::load(&config_path()).unwrap_or_else(|e| panic!("the shipped config should load: {e}"))
}

/// Checks the bench input is what it claims to be, and says so once.
fn describe(config: &Config) {
    let mut counts = [0usize; 3];
    for p in PITCHES {
        let chars = p.chars().count();
        assert!(
            (200..=400).contains(&chars),
            "bench pitch of {chars} characters (want 200-400): {p}"
        );
        let v = config.classifier.assess(p).verdict;
        counts[Verdict::ALL.iter().position(|&x| x == v).unwrap_or(0)] += 1;
    }
    let lengths = PITCHES.iter().map(|p| p.chars().count());
    eprintln!(
        "{} pitches, {}-{} characters; verdicts: {} problem, {} tech, {} vague",
        PITCHES.len(),
        lengths.clone().min().unwrap_or(0),
        lengths.max().unwrap_or(0),
        counts[0],
        counts[1],
        counts[2]
    );
}

fn assess(c: &mut Criterion) {
    let config = load();
    describe(&config);
    let classifier = &config.classifier;
    let mut group = c.benchmark_group("assess");
    group.throughput(Throughput::Elements(PITCHES.len() as u64));
    group.bench_function("typical_pitches", |b| {
        b.iter(|| {
            for p in PITCHES {
                black_box(classifier.assess(black_box(p)));
            }
        })
    });
    group.finish();
}

/// The same work timed by the thread's own CPU clock: on a machine shared with other work the
/// wall clock also counts the time the thread waited for a core, so this is the figure for "one
/// core". Best of five rounds of 1,000 passes over the pitches.
fn assess_cpu_time(_: &mut Criterion) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        fn cpu_now() -> f64 {
            let mut t = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: `t` is a valid timespec for the call to write.
            unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
            t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
        }
        let config = load();
        let classifier = &config.classifier;
        let rounds = 1_000;
        let best = (0..5)
            .map(|_| {
                let start = cpu_now();
                for _ in 0..rounds {
                    for p in PITCHES {
                        black_box(classifier.assess(black_box(p)));
                    }
                }
                cpu_now() - start
            })
            .fold(f64::INFINITY, f64::min);
        let n = (rounds * PITCHES.len()) as f64;
        eprintln!(
            "assess/cpu_time: {:.1} µs of CPU per assessment, {:.0} assessments per CPU-second (one thread, best of 5 × {} assessments)",
            best / n * 1e6,
            n / best,
            n as u64
        );

        // A bot sees new wording in nearly every pitch, which a dozen pitches over and over do
        // not show: the regexes' lazy automata grow as new text arrives. So the same figure
        // over the project's written pitches (all different), the first pass in a freshly
        // loaded classifier and then the best of five passes.
        let written = varied_pitches();
        let config = load();
        let classifier = &config.classifier;
        let pass = || {
            let start = cpu_now();
            for p in &written {
                black_box(classifier.assess(black_box(p)));
            }
            (cpu_now() - start) / written.len() as f64 * 1e6
        };
        let first = pass();
        let later = (0..5).map(|_| pass()).fold(f64::INFINITY, f64::min);
        eprintln!(
            "assess/varied_cpu_time: {first:.1} µs of CPU per assessment in a fresh classifier's first pass, {later:.1} µs after (best of 5), over {} different written pitches",
            written.len()
        );
    }
}

/// The pitches written for the project (`config/pitches/extra.jsonl`), each different.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn varied_pitches() -> Vec<String> {
    pitch_file::texts(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/pitches/extra.jsonl"))
}

fn config_load(c: &mut Criterion) {
    let path = config_path();
    let mut group = c.benchmark_group("config");
    // One load takes long enough that 10 samples fill the measurement time.
    group.sample_size(10);
    group.bench_function("load_and_compile", |b| {
        b.iter(|| Config::load(black_box(&path)).unwrap_or_else(|e| panic!("{e}")))
    });
    group.bench_function("learned", |b| {
        b.iter(|| {
            let read = |p: &str| {
                problemfirst::config::built_in_file(p)
                    .unwrap_or_else(|| panic!("the binary carries no {p}"))
            };
            let text = |p: &str| {
                String::from_utf8(read(p).to_vec()).unwrap_or_else(|e| panic!("{p}: {e}"))
            };
            let lexicon = Lexicon::parse(&text("wordnet/lexicon.txt"));
            let model = Model::parse(&text("model.txt"));
            let vectors = WordVectors::parse(read("wordvec/vectors.bin"));
            black_box((lexicon.is_ok(), model.is_ok(), vectors.is_ok()))
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = assess, assess_cpu_time, config_load
}

criterion::criterion_main!(benches);
