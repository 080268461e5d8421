//! Tickets for tests: one app and key that every suite shares, and signing at the current time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tim_usersig::Claims;

/// The SDKAppID tests use.
pub const APP: u64 = 1_400_000_000;
/// The app's secret key in tests (the facts file's test-vector key).
pub const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
/// How long a test waits for something before calling it failed: long enough for a loaded
/// 2-core machine, never reached by a passing test.
pub const WAIT: Duration = Duration::from_secs(10);

/// The wall clock in Unix seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

/// A ticket for `user` of [`APP`], signed with [`KEY`] now, valid for a day.
pub fn ticket(user: &str) -> String {
    ticket_for(APP, KEY, user, now(), 86_400)
}

/// A ticket with every field chosen.
pub fn ticket_for(app: u64, key: &str, user: &str, time: u64, expire: u64) -> String {
    tim_usersig::sign(key, &Claims::new(app, user, time, expire))
}
