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

/// The signing secret the bot under test checks.
pub const SECRET: &str = "roles-signing-secret";
/// The channel whose top-level messages are pitches.
pub const IDEAS: &str = "CIDEAS";

/// The bot with these roles, serving the HTTP Events API on 127.0.0.1 against a fake Slack, its
/// outbox delivered as it runs.
pub struct Running {
    pub fake: super::fake_slack::FakeSlack,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    pub bot: std::sync::Arc<problemfirst::slack::bot::Bot>,
    pub app: problemfirst::app::App,
    _dir: tempfile::TempDir,
}

pub async fn start() -> Running {
    let fake = super::fake_slack::FakeSlack::start().await;
    fake.set_usergroup_users(GROUP, &[GROUP_MEMBER, "UOTHERMEMBER"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let bot = super::bot::bot_with(&fake.api_url(), dir.path(), &[IDEAS], config());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(problemfirst::slack::http::serve(
        listener,
        std::sync::Arc::clone(&bot),
        slack_morphism::prelude::SlackSigningSecret::new(SECRET.into()),
        problemfirst::ops::Ops::new(std::sync::Arc::clone(&bot)),
        tokio_util::sync::CancellationToken::new(),
    ));
    Running {
        app: bot.app.clone(),
        fake,
        url,
        bot,
        _dir: dir,
    }
}

impl Running {
    /// Posts a signed Events API callback.
    pub async fn event(&self, event_id: &str, event: serde_json::Value) -> u16 {
        let (status, _) = super::signing::post_json_signed(
            &format!("{}/slack/events", self.url),
            SECRET,
            &super::signing::event_callback(event_id, event),
        )
        .await;
        status.as_u16()
    }

    /// Posts a signed interaction payload; the status and the body of the answer.
    pub async fn interact(&self, payload: &serde_json::Value) -> (u16, String) {
        let (status, body) = super::signing::post_interaction_signed(
            &format!("{}/slack/interactivity", self.url),
            SECRET,
            payload,
        )
        .await;
        (status.as_u16(), body)
    }
}
