//! Tracks with leads, user groups, admins and triage channels: the shipped config with roles
//! filled in, the same for every triage, App Home and votes test.

use problemfirst::config::Config;
use std::path::Path;

/// Leads `execution` in person.
pub const LEAD: &str = "ULEAD";
/// The user group that also leads `execution`, and one of its members.
pub const GROUP: &str = "SEXECLEADS";
pub const GROUP_MEMBER: &str = "UGROUPIE";
/// Leads `search` only.
pub const SEARCH_LEAD: &str = "USEARCH";
/// May triage every track.
pub const ADMIN: &str = "UADMIN";
/// Pitches ideas.
pub const SUBMITTER: &str = "USUB";
/// Anyone else.
pub const OTHER: &str = "UOTHER";
pub const EXEC_TRIAGE: &str = "CEXECTRIAGE";
pub const SEARCH_TRIAGE: &str = "CSEARCHTRIAGE";

/// The shipped config text with the roles above.
pub fn config_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/problemfirst.toml");
    let text = std::fs::read_to_string(path).expect("the shipped config reads");
    assert_eq!(
        text.matches("\nleads = []\n").count(),
        2,
        "two tracks without leads"
    );
    text.replacen(
        "\nleads = []\n",
        &format!("\nleads = [\"{LEAD}\", \"{GROUP}\"]\ntriage_channel = \"{EXEC_TRIAGE}\"\n"),
        1,
    )
    .replacen(
        "\nleads = []\n",
        &format!("\nleads = [\"{SEARCH_LEAD}\"]\ntriage_channel = \"{SEARCH_TRIAGE}\"\n"),
        1,
    )
    .replacen("\nadmins = []\n", &format!("\nadmins = [\"{ADMIN}\"]\n"), 1)
}

pub fn config() -> Config {
    Config::parse(&config_text(), Path::new("config/roles.toml"))
        .expect("the config with roles parses")
}

#[allow(unused_imports)]
pub use super::app::{IDEAS, SECRET};

/// The bot with these roles, serving the HTTP Events API on 127.0.0.1 against a fake Slack, its
/// outbox delivered as it runs.
pub async fn start() -> super::app::TestApp {
    let app = super::app::spawn().config(config()).start().await;
    app.fake
        .set_usergroup_users(GROUP, &[GROUP_MEMBER, "UOTHERMEMBER"]);
    app
}
