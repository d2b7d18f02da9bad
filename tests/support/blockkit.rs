//! Slack's Block Kit limits, checked on the JSON the bot sent: block counts, text lengths, ids
//! unique where Slack wants them unique, element counts. Panics with what broke which limit.

use serde_json::Value;
use std::collections::HashSet;

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

fn text_of(v: &Value) -> &Value {
    &v["text"]
}

/// Checks `blocks` (a JSON array) against Slack's limits for a surface of at most `max` blocks.
pub fn assert_within_limits(blocks: &Value, max: usize) {
    let list = blocks.as_array().expect("blocks are an array");
    assert!(!list.is_empty(), "no blocks");
    assert!(list.len() <= max, "{} blocks, more than {max}", list.len());
    let mut block_ids = HashSet::new();
    for (i, b) in list.iter().enumerate() {
        if let Some(id) = b["block_id"].as_str() {
            assert!(id.chars().count() <= 255, "block {i}: block_id too long");
            assert!(
                block_ids.insert(id.to_string()),
                "block {i}: block_id {id} repeats"
            );
        }
        match b["type"].as_str().unwrap_or_default() {
            "section" => {
                if !b["text"].is_null() {
                    assert!(
                        chars(text_of(&b["text"])) <= 3000,
                        "block {i}: section text"
                    );
                    assert!(
                        chars(text_of(&b["text"])) > 0,
                        "block {i}: empty section text"
                    );
                }
                if let Some(fields) = b["fields"].as_array() {
                    assert!(fields.len() <= 10, "block {i}: more than 10 fields");
                    for f in fields {
                        assert!(chars(text_of(f)) <= 2000, "block {i}: field text");
                    }
                }
                assert!(
                    !b["text"].is_null() || !b["fields"].is_null(),
                    "block {i}: a section needs text or fields"
                );
                if !b["accessory"].is_null() {
                    check_element(&b["accessory"], i);
                }
            }
            "context" => {
                let elements = b["elements"].as_array().expect("context elements");
                assert!(
                    !elements.is_empty() && elements.len() <= 10,
                    "block {i}: context size"
                );
                for e in elements {
                    assert!(chars(text_of(e)) <= 3000, "block {i}: context text");
                }
            }
            "header" => {
                assert_eq!(
                    b["text"]["type"], "plain_text",
                    "block {i}: header text type"
                );
                assert!(chars(text_of(&b["text"])) <= 150, "block {i}: header text");
            }
            "actions" => {
                let elements = b["elements"].as_array().expect("actions elements");
                assert!(
                    !elements.is_empty() && elements.len() <= 25,
                    "block {i}: actions size"
                );
                let mut ids = HashSet::new();
                for e in elements {
                    check_element(e, i);
                    if let Some(id) = e["action_id"].as_str() {
                        assert!(
                            ids.insert(id.to_string()),
                            "block {i}: action_id {id} repeats"
                        );
                    }
                }
            }
            "divider" | "input" => {}
            other => panic!("block {i}: unexpected block type {other}"),
        }
    }
}

fn check_element(e: &Value, i: usize) {
    if let Some(id) = e["action_id"].as_str() {
        assert!(id.chars().count() <= 255, "block {i}: action_id too long");
    }
    match e["type"].as_str().unwrap_or_default() {
        "button" => {
            assert_eq!(
                e["text"]["type"], "plain_text",
                "block {i}: button text type"
            );
            assert!(chars(text_of(&e["text"])) <= 75, "block {i}: button text");
            assert!(chars(&e["value"]) <= 2000, "block {i}: button value");
        }
        "static_select" => {
            let options = e["options"].as_array().expect("options");
            assert!(
                !options.is_empty() && options.len() <= 100,
                "block {i}: options"
            );
            for o in options {
                assert!(chars(text_of(&o["text"])) <= 75, "block {i}: option text");
                assert!(chars(&o["value"]) <= 150, "block {i}: option value");
            }
            assert!(
                chars(text_of(&e["placeholder"])) <= 150,
                "block {i}: placeholder"
            );
        }
        other => panic!("block {i}: unexpected element type {other}"),
    }
}
