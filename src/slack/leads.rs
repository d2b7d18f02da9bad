//! Who a person is for triage: the configured Slack user groups they belong to, looked up with
//! `usergroups.users.list` and cached for a few minutes. Whether they may decide is the app's call
//! (`App::triage`); this only finds out who they are. One cache per running bot, shared by both
//! transports and the outbox.

use super::api::Api;
use crate::app::Actor;
use crate::config::{Config, Lead};
use crate::domain::UserId;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a user group's members are trusted before they are looked up again.
const GROUP_TTL: Duration = Duration::from_secs(5 * 60);
/// How long a click waits for a user group lookup: a form must open within Slack's 3 seconds.
const LOOKUP_BUDGET: Duration = Duration::from_millis(1_500);

/// A user group's members and when they were looked up.
type Members = (Instant, Arc<HashSet<String>>);

pub struct Leads {
    api: Api,
    admins: Vec<UserId>,
    /// The user groups that lead a track.
    groups: BTreeSet<String>,
    members: Mutex<HashMap<String, Members>>,
}

impl Leads {
    pub fn new(api: Api, config: &Config) -> Leads {
        let groups = config
            .tracks
            .iter()
            .flat_map(|t| &t.leads)
            .filter_map(|l| match l {
                Lead::Group(g) => Some(g.clone()),
                Lead::Person(_) => None,
            })
            .collect();
        Leads {
            api,
            admins: config.admins.clone(),
            groups,
            members: Mutex::default(),
        }
    }

    /// Who `user` is for triage: the configured user groups they belong to. Admins need no
    /// lookup.
    pub async fn actor(&self, user: &UserId) -> Actor {
        let mut actor = Actor::person(user);
        if self.admins.contains(user) {
            return actor;
        }
        for group in &self.groups {
            if self.members(group).await.contains(user.as_str()) {
                actor.groups.insert(group.clone());
            }
        }
        actor
    }

    fn cache(&self) -> MutexGuard<'_, HashMap<String, Members>> {
        // Every change is a single insert: a panic cannot leave it half-done.
        self.members.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A user group's members: from the cache while fresh, else from Slack. When Slack can't be
    /// asked, the last known members stand in (or nobody, the safe side).
    async fn members(&self, group: &str) -> Arc<HashSet<String>> {
        let cached = self.cache().get(group).cloned();
        if let Some((at, users)) = &cached {
            if at.elapsed() < GROUP_TTL {
                return Arc::clone(users);
            }
        }
        match self.api.group_members(group, LOOKUP_BUDGET).await {
            Ok(users) => {
                let users = Arc::new(users);
                self.cache()
                    .insert(group.to_string(), (Instant::now(), Arc::clone(&users)));
                users
            }
            Err(e) => {
                tracing::warn!(group, error = %e, "could not look up a user group's members");
                cached.map(|(_, users)| users).unwrap_or_default()
            }
        }
    }
}
