//! The app's ids from the literals tests write, through their one parsing constructor.

use problemfirst::domain::{ChannelId, MessageTs, TrackId, UserId, WeekStart};

pub fn user(s: &str) -> UserId {
    UserId::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

pub fn channel(s: &str) -> ChannelId {
    ChannelId::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

pub fn ts(s: &str) -> MessageTs {
    MessageTs::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

pub fn track(s: &str) -> TrackId {
    TrackId::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

pub fn week(s: &str) -> WeekStart {
    WeekStart::parse(s).unwrap_or_else(|e| panic!("{e}"))
}
