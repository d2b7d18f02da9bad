//! The config file parser on any text: it must return a config or an error that names the file,
//! never panic, and an error's line must be a line of the text (or the one after its last
//! newline, where an error at the very end is).

#![no_main]

use libfuzzer_sys::fuzz_target;
use problemfirst::config::Config;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = Config::parse(text, Path::new("fuzz.toml")) {
        assert!(e.to_string().starts_with("fuzz.toml"), "{e}");
        if let Some(line) = e.line {
            let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
            assert!(line >= 1 && line <= lines, "line {line} of {lines}: {e}");
        }
    }
});
