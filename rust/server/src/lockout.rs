//! Locks an account out after repeated failed logins, so that tickets cannot be guessed online.
//!
//! Failures count per account within a sliding window; once `max_failures` are reached, every
//! login of the account answers 70050 until `lock_for` has passed, even one with a good ticket.
//! Time is passed in, so the rules are tested without waiting.

use crate::account::AccountKey;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How failures turn into a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutRules {
    /// Failures within `window` that lock the account.
    pub max_failures: u32,
    /// How far back failures count.
    pub window: Duration,
    /// How long a lock lasts (Tencent: one minute).
    pub lock_for: Duration,
}

impl Default for LockoutRules {
    fn default() -> Self {
        LockoutRules {
            max_failures: 10,
            window: Duration::from_secs(60),
            lock_for: Duration::from_secs(60),
        }
    }
}

/// Accounts tracked at most. Past this, entries whose window has passed are dropped (at most once
/// a second, so a flood does not make every failure scan the table), and if the table is still
/// full the weakest of a sample makes room: a flood of made-up UserIDs, each with one failure,
/// cannot push out an account that an attacker is guessing at, nor stop new accounts from being
/// tracked.
const MAX_TRACKED: usize = 100_000;

/// Entries looked at to choose which one makes room in a full table.
const EVICTION_SAMPLE: usize = 32;

/// How often a full table is swept for stale entries.
const PURGE_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
struct Failures {
    first: Instant,
    count: u32,
    locked_until: Option<Instant>,
}

#[derive(Debug, Default)]
struct Table {
    failures: HashMap<AccountKey, Failures>,
    next_purge: Option<Instant>,
}

/// The failure counts of every account that failed recently.
#[derive(Debug, Default)]
pub struct Lockout {
    rules: LockoutRules,
    table: Mutex<Table>,
}

impl Lockout {
    /// A lockout with these rules.
    pub fn new(rules: LockoutRules) -> Self {
        Lockout {
            rules,
            table: Mutex::default(),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the account is locked at `now`.
    pub fn is_locked(&self, account: &AccountKey, now: Instant) -> bool {
        Self::locked(self.table().failures.get(account), now)
    }

    fn locked(failures: Option<&Failures>, now: Instant) -> bool {
        failures
            .and_then(|f| f.locked_until)
            .is_some_and(|until| now < until)
    }

    /// Counts a failed login. Returns whether the account was locked before this failure (the
    /// login then answers 70050 rather than its ticket's code).
    pub fn record_failure(&self, account: &AccountKey, now: Instant) -> bool {
        let rules = self.rules;
        let mut table = self.table();
        if table.failures.len() >= MAX_TRACKED && !table.failures.contains_key(account) {
            Self::make_room(&mut table, &rules, now);
        }
        let entry = table.failures.entry(account.clone()).or_insert(Failures {
            first: now,
            count: 0,
            locked_until: None,
        });
        if Self::stale(entry, &rules, now) {
            *entry = Failures {
                first: now,
                count: 0,
                locked_until: None,
            };
        }
        if Self::locked(Some(entry), now) {
            return true;
        }
        entry.count += 1;
        if entry.count >= rules.max_failures {
            entry.locked_until = Some(now + rules.lock_for);
        }
        false
    }

    /// Forgets the account's failures after a successful login.
    pub fn record_success(&self, account: &AccountKey) {
        self.table().failures.remove(account);
    }

    /// Drops stale entries (at most once per [`PURGE_EVERY`]), then, if the table is still full,
    /// the weakest entry of a sample: not locked before locked, fewest failures, oldest.
    fn make_room(table: &mut Table, rules: &LockoutRules, now: Instant) {
        if table.next_purge.is_none_or(|at| now >= at) {
            table.failures.retain(|_, f| !Self::stale(f, rules, now));
            table.next_purge = Some(now + PURGE_EVERY);
        }
        if table.failures.len() < MAX_TRACKED {
            return;
        }
        let weakest = table
            .failures
            .iter()
            .take(EVICTION_SAMPLE)
            .min_by_key(|(_, f)| (Self::locked(Some(f), now), f.count, f.first))
            .map(|(account, _)| account.clone());
        if let Some(account) = weakest {
            table.failures.remove(&account);
        }
    }

    /// An entry whose window and lock have both passed counts for nothing.
    fn stale(f: &Failures, rules: &LockoutRules, now: Instant) -> bool {
        let window_over = now.duration_since(f.first) >= rules.window;
        let lock_over = f.locked_until.is_none_or(|until| now >= until);
        window_over && lock_over
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(user: &str) -> AccountKey {
        AccountKey {
            sdk_app_id: 1,
            user_id: user.into(),
        }
    }

    fn rules() -> LockoutRules {
        LockoutRules {
            max_failures: 3,
            window: Duration::from_secs(60),
            lock_for: Duration::from_secs(60),
        }
    }

    #[test]
    fn locks_after_max_failures_until_the_lock_passes() {
        let lockout = Lockout::new(rules());
        let (alice, t0) = (account("alice"), Instant::now());
        assert!(!lockout.record_failure(&alice, t0));
        assert!(!lockout.record_failure(&alice, t0 + Duration::from_secs(1)));
        assert!(!lockout.is_locked(&alice, t0 + Duration::from_secs(2)));
        assert!(!lockout.record_failure(&alice, t0 + Duration::from_secs(2)));
        assert!(lockout.is_locked(&alice, t0 + Duration::from_secs(2)));
        assert!(
            lockout.record_failure(&alice, t0 + Duration::from_secs(3)),
            "a failure while locked says so"
        );
        assert!(lockout.is_locked(&alice, t0 + Duration::from_secs(61)));
        assert!(!lockout.is_locked(&account("bob"), t0 + Duration::from_secs(3)));
        assert!(!lockout.is_locked(&alice, t0 + Duration::from_secs(62)));
        // After the lock, counting starts again from zero.
        assert!(!lockout.record_failure(&alice, t0 + Duration::from_secs(63)));
    }

    #[test]
    fn failures_outside_the_window_do_not_add_up() {
        let lockout = Lockout::new(rules());
        let (alice, t0) = (account("alice"), Instant::now());
        lockout.record_failure(&alice, t0);
        lockout.record_failure(&alice, t0 + Duration::from_secs(1));
        assert!(!lockout.record_failure(&alice, t0 + Duration::from_secs(61)));
        assert!(!lockout.is_locked(&alice, t0 + Duration::from_secs(61)));
    }

    #[test]
    fn success_clears_the_count() {
        let lockout = Lockout::new(rules());
        let (alice, t0) = (account("alice"), Instant::now());
        lockout.record_failure(&alice, t0);
        lockout.record_failure(&alice, t0);
        lockout.record_success(&alice);
        assert!(!lockout.record_failure(&alice, t0));
    }

    fn tracked(lockout: &Lockout) -> usize {
        lockout.table().failures.len()
    }

    #[test]
    fn tracking_is_bounded() {
        let lockout = Lockout::new(rules());
        let t0 = Instant::now();
        for i in 0..MAX_TRACKED + 10 {
            lockout.record_failure(&account(&i.to_string()), t0);
        }
        assert_eq!(tracked(&lockout), MAX_TRACKED);
        // Once the window has passed, old entries make room for new ones.
        let later = t0 + Duration::from_secs(61);
        lockout.record_failure(&account("late"), later);
        assert_eq!(tracked(&lockout), 1);
    }

    #[test]
    fn a_flood_of_made_up_accounts_neither_stops_tracking_nor_saves_the_target() {
        let lockout = Lockout::new(rules());
        let (target, t0) = (account("target"), Instant::now());
        lockout.record_failure(&target, t0);
        lockout.record_failure(&target, t0);
        for i in 0..MAX_TRACKED + 1_000 {
            lockout.record_failure(&account(&format!("fake{i}")), t0);
        }
        assert_eq!(tracked(&lockout), MAX_TRACKED);
        assert!(!lockout.record_failure(&target, t0), "third failure locks");
        assert!(lockout.is_locked(&target, t0), "the target kept its count");
        let newcomer = account("newcomer");
        for _ in 0..3 {
            lockout.record_failure(&newcomer, t0);
        }
        assert!(
            lockout.is_locked(&newcomer, t0),
            "new accounts are still tracked"
        );
    }
}
