//! Per-app, per-command call rates, as Tencent limits its REST API (200 or 100 calls a second by
//! default). A token bucket per (app, command): full at first, refilled at the rate, so a burst
//! of one second's worth passes and a steady stream above the rate is refused with 60007.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

/// The buckets of every (app, command) called so far on this server.
#[derive(Debug, Default)]
pub struct RateLimits {
    buckets: Mutex<HashMap<(u64, &'static str), Bucket>>,
}

impl RateLimits {
    /// Takes one call from the bucket of `command` of `app`, allowed `per_second` calls a second.
    /// `false` when the bucket is empty: the call must be refused.
    pub fn take(&self, app: u64, command: &'static str, per_second: u32, now: Instant) -> bool {
        let rate = f64::from(per_second);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry((app, command)).or_insert(Bucket {
            tokens: rate,
            refilled: now,
        });
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(rate);
        bucket.refilled = now.max(bucket.refilled);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_seconds_worth_passes_then_the_rate_holds() {
        let limits = RateLimits::default();
        let t0 = Instant::now();
        for _ in 0..100 {
            assert!(limits.take(1, "kick", 100, t0));
        }
        assert!(!limits.take(1, "kick", 100, t0));
        assert!(
            limits.take(2, "kick", 100, t0),
            "apps have their own buckets"
        );
        assert!(
            limits.take(1, "check", 100, t0),
            "commands have their own buckets"
        );
        // 10 ms later, one more call has been earned, and only one.
        let later = t0 + Duration::from_millis(10);
        assert!(limits.take(1, "kick", 100, later));
        assert!(!limits.take(1, "kick", 100, later));
        // A long pause refills the bucket to one second's worth, not more.
        let much_later = t0 + Duration::from_secs(60);
        for _ in 0..100 {
            assert!(limits.take(1, "kick", 100, much_later));
        }
        assert!(!limits.take(1, "kick", 100, much_later));
    }
}
