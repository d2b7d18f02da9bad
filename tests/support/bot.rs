//! The bot as both Slack transports run it: the default config, a real store in `dir`, and a
//! Web API client pointed at a fake Slack.

use problemfirst::app::App;
use problemfirst::config::Config;
use problemfirst::slack::{bot::Bot, client, outbox};
use problemfirst::storage::Store;
use slack_morphism::prelude::*;
use std::path::Path;
use std::sync::Arc;

/// The bot, with its outbox being delivered to the fake Slack for as long as the test's runtime
/// lives.
pub fn bot_for(api_url: &str, dir: &Path, idea_channels: &[&str]) -> Arc<Bot> {
    let bot = bare_bot(api_url, dir, idea_channels);
    let (_never, stop) = tokio::sync::watch::channel(false);
    tokio::spawn(outbox::run(Arc::clone(&bot), stop));
    bot
}

/// The bot without its delivery worker (a test that starts and stops it itself).
pub fn bare_bot(api_url: &str, dir: &Path, idea_channels: &[&str]) -> Arc<Bot> {
    let config =
        Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/problemfirst.toml"))
            .expect("the default config loads");
    let app = App::new(Arc::new(config), Store::open(dir).expect("the store opens"));
    Arc::new(Bot {
        app,
        client: Arc::new(client::build(api_url).expect("the Slack client builds")),
        token: SlackApiToken::new("xoxb-test-token".into()),
        idea_channels: idea_channels.iter().map(|c| c.to_string()).collect(),
        work: Default::default(),
    })
}

/// [`bot_for`] with another config (tracks with leads and triage channels, say).
pub fn bot_with(api_url: &str, dir: &Path, idea_channels: &[&str], config: Config) -> Arc<Bot> {
    let app = App::new(Arc::new(config), Store::open(dir).expect("the store opens"));
    let bot = Arc::new(Bot {
        app,
        client: Arc::new(client::build(api_url).expect("the Slack client builds")),
        token: SlackApiToken::new("xoxb-test-token".into()),
        idea_channels: idea_channels.iter().map(|c| c.to_string()).collect(),
        work: Default::default(),
    });
    // The sender lives as long as the worker, which then runs for as long as the test's runtime.
    let (keep, stop) = tokio::sync::watch::channel(false);
    let worker = Arc::clone(&bot);
    tokio::spawn(async move {
        let _keep = keep;
        outbox::run(worker, stop).await
    });
    bot
}
