//! The daily figures a cluster node has counted and not yet sent to its Redis. A login counts
//! here, in memory, and the node sends what it counted once a second, one call per app
//! (`Cluster::apply_figures`), so that a login costs Redis no command of its own and the node
//! keeps a user only until the next batch.
//!
//! A batch that Redis did not answer is sent again as it was, with the same number, until it is
//! answered; Redis remembers each node's last applied number per app and applies a batch once, so
//! a figure whose write failed is retried and never doubled. What is counted meanwhile waits for
//! the next batch.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Days of figures kept and reported: the daily figures report them, and a cluster's day keys
/// expire after them.
pub const DAYS_KEPT: i64 = 30;

/// One day's figures of one app in a batch.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DayBatch {
    /// Users with a successful login that day (each once, however often they logged in).
    pub users: HashSet<String>,
    /// Successful logins.
    pub logins: u64,
    /// Accounts registered.
    pub registered: u64,
    /// Whether accounts were registered or deleted that day: it then records the accounts in all.
    pub accounts_changed: bool,
    /// This node's new peak of sessions online that day.
    pub peak: Option<u64>,
}

/// One app's figures in a batch.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AppBatch {
    /// The change of the app's accounts in all.
    pub accounts: i64,
    /// By day.
    pub days: BTreeMap<i64, DayBatch>,
}

/// A batch to send: its app, its number and its figures.
pub type Outgoing = (u64, u64, Arc<AppBatch>);

/// Every app's figures: those being counted, and the batches sent but not yet applied.
#[derive(Debug, Default)]
pub struct Batches {
    counting: HashMap<u64, AppBatch>,
    unapplied: HashMap<u64, (u64, Arc<AppBatch>)>,
    last_number: u64,
}

impl Batches {
    fn day(&mut self, app: u64, day: i64) -> &mut DayBatch {
        self.counting
            .entry(app)
            .or_default()
            .days
            .entry(day)
            .or_default()
    }

    /// Counts a successful login of `user` on `day`.
    pub fn login(&mut self, app: u64, user: &str, day: i64) {
        let entry = self.day(app, day);
        entry.logins += 1;
        if !entry.users.contains(user) {
            entry.users.insert(user.to_owned());
        }
    }

    /// Counts an account registered (`added` 1) or deleted (-1) on `day`.
    pub fn account(&mut self, app: u64, day: i64, added: i64) {
        let entry = self.day(app, day);
        entry.accounts_changed = true;
        if added > 0 {
            entry.registered += added.unsigned_abs();
        }
        self.counting.entry(app).or_default().accounts += added;
    }

    /// Records this node's new peak of sessions online on `day`.
    pub fn peak(&mut self, app: u64, day: i64, peak: u64) {
        let entry = self.day(app, day);
        entry.peak = Some(entry.peak.map_or(peak, |p| p.max(peak)));
    }

    /// The batches to send now: per app, the one not yet applied if there is one, or else what
    /// was counted since, under a new number.
    pub fn cut(&mut self) -> Vec<Outgoing> {
        let counted: Vec<u64> = self
            .counting
            .keys()
            .copied()
            .filter(|app| !self.unapplied.contains_key(app))
            .collect();
        for app in counted {
            if let Some(batch) = self.counting.remove(&app) {
                self.last_number += 1;
                self.unapplied
                    .insert(app, (self.last_number, Arc::new(batch)));
            }
        }
        self.unapplied
            .iter()
            .map(|(&app, (number, batch))| (app, *number, batch.clone()))
            .collect()
    }

    /// Redis applied batch `number` of `app` (now or before).
    pub fn applied(&mut self, app: u64, number: u64) {
        if self.unapplied.get(&app).is_some_and(|(n, _)| *n == number) {
            self.unapplied.remove(&app);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_counts_a_user_once_and_keeps_the_highest_peak() {
        let mut batches = Batches::default();
        for _ in 0..3 {
            batches.login(7, "alice", 100);
        }
        batches.login(7, "bob", 100);
        batches.account(7, 100, 1);
        batches.account(7, 100, 1);
        batches.account(7, 100, -1);
        batches.peak(7, 100, 3);
        batches.peak(7, 100, 2);
        let sent = batches.cut();
        assert_eq!(sent.len(), 1);
        let (app, _, batch) = &sent[0];
        assert_eq!(*app, 7);
        assert_eq!(batch.accounts, 1);
        let day = &batch.days[&100];
        assert_eq!(day.users.len(), 2);
        assert_eq!((day.logins, day.registered, day.peak), (4, 2, Some(3)));
        assert!(day.accounts_changed);
    }

    #[test]
    fn an_unapplied_batch_is_sent_again_unchanged_and_what_follows_waits() {
        let mut batches = Batches::default();
        batches.login(7, "alice", 100);
        let first = batches.cut();
        batches.login(7, "bob", 100);
        batches.login(8, "carol", 100);
        let again = batches.cut();
        let of = |sent: &[Outgoing], app: u64| {
            sent.iter()
                .find(|(a, _, _)| *a == app)
                .map(|(_, n, b)| (*n, b.clone()))
                .unwrap()
        };
        assert_eq!(
            of(&again, 7),
            of(&first, 7),
            "the same number, the same figures"
        );
        assert_eq!(
            of(&again, 8).1.days[&100].users.len(),
            1,
            "another app's goes on"
        );
        batches.applied(7, of(&first, 7).0);
        batches.applied(8, of(&again, 8).0);
        let next = batches.cut();
        assert_eq!(next.len(), 1);
        let (number, batch) = of(&next, 7);
        assert!(number > of(&again, 8).0, "numbers only grow");
        assert!(batch.days[&100].users.contains("bob"));
        batches.applied(7, number);
        assert!(batches.cut().is_empty(), "nothing left to send");
    }
}
