//! Locks an account out after repeated failed logins, so that tickets cannot be guessed online.
//!
//! Failures count per account within a sliding window; once `max_failures` are reached, every
//! login of the account answers 70050 until `lock_for` has passed, even one with a good ticket.
//! Time is passed in, so the rules are tested without waiting.

use crate::registry::AccountKey;
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

/// Accounts tracked at most; past this, entries whose window has passed are dropped, and if none
/// has, new accounts are not tracked until some have (the server keeps serving rather than grow).
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    first: Instant,
    count: u32,
    locked_until: Option<Instant>,
}

/// The failure counts of every account that failed recently.
#[derive(Debug, Default)]
pub struct Lockout {
    rules: LockoutRules,
    failures: Mutex<HashMap<AccountKey, Failures>>,
}

impl Lockout {
    /// A lockout with these rules.
    pub fn new(rules: LockoutRules) -> Self {
        Lockout {
            rules,
            failures: Mutex::default(),
        }
    }

    /// Whether the account is locked at `now`.
    pub fn is_locked(&self, account: &AccountKey, now: Instant) -> bool {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures
            .get(account)
            .and_then(|f| f.locked_until)
            .is_some_and(|until| now < until)
    }

    /// Counts a failed login. Returns whether the account is now locked.
    pub fn record_failure(&self, account: &AccountKey, now: Instant) -> bool {
        let rules = self.rules;
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_TRACKED && !failures.contains_key(account) {
            failures.retain(|_, f| !Self::stale(f, &rules, now));
            if failures.len() >= MAX_TRACKED {
                return false;
            }
        }
        let entry = failures.entry(account.clone()).or_insert(Failures {
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
        entry.count += 1;
        if entry.count >= rules.max_failures {
            entry.locked_until = Some(now + rules.lock_for);
        }
        entry.locked_until.is_some()
    }

    /// Forgets the account's failures after a successful login.
    pub fn record_success(&self, account: &AccountKey) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(account);
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
        assert!(lockout.record_failure(&alice, t0 + Duration::from_secs(2)));
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

    #[test]
    fn tracking_is_bounded() {
        let lockout = Lockout::new(rules());
        let t0 = Instant::now();
        for i in 0..MAX_TRACKED + 10 {
            lockout.record_failure(&account(&i.to_string()), t0);
        }
        assert_eq!(lockout.failures.lock().unwrap().len(), MAX_TRACKED);
        // Once the window has passed, old entries make room for new ones.
        let later = t0 + Duration::from_secs(61);
        lockout.record_failure(&account("late"), later);
        assert_eq!(lockout.failures.lock().unwrap().len(), 1);
    }
}
