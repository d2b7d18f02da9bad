//! The bot as both Slack transports run it: the default config, a real store in `dir`, and a
//! Web API client pointed at a fake Slack.

use problemfirst::app::App;
use problemfirst::config::Config;
use problemfirst::slack::{bot::Bot, client};
use problemfirst::storage::Store;
use slack_morphism::prelude::*;
use std::path::Path;
use std::sync::Arc;

pub fn bot_for(api_url: &str, dir: &Path, idea_channels: &[&str]) -> Arc<Bot> {
    let config =
        Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/problemfirst.toml"))
            .expect("the default config loads");
    let app = App::new(Arc::new(config), Store::open(dir).expect("the store opens"));
    Arc::new(Bot {
        app,
        client: Arc::new(client::build(api_url).expect("the Slack client builds")),
        token: SlackApiToken::new("xoxb-test-token".into()),
        idea_channels: idea_channels.iter().map(|c| c.to_string()).collect(),
    })
}
