//! The Slack Web API client: rustls with the system's roots, HTTPS or plain HTTP (so a fake Slack
//! on 127.0.0.1 works), and a base URL that `SLACK_API_URL` can override.

use slack_morphism::prelude::*;

pub const DEFAULT_API_URL: &str = "https://slack.com/api";

pub fn build(api_url: &str) -> std::io::Result<SlackHyperClient> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()?
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build();
    // No client-side rate control: slack-morphism's throttles are global (every response_url
    // post would queue behind one limit of about one a second). Slack's own 429s are what count.
    let connector = SlackClientHyperConnector::with_connector(https)
        .with_slack_api_url(api_url.trim_end_matches('/'));
    Ok(SlackClient::new(connector))
}
