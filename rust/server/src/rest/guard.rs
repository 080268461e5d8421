//! Failed REST authentications, limited per source address: the API's defence against guessing,
//! in place of the account lockout (which would let anyone lock the administrator out by sending
//! bad tickets in its name).
//!
//! Each address has a bucket of [`BURST`] failures, refilled by one every [`REFILL_EVERY`]. A
//! call is checked before its ticket is read, and an empty bucket answers 60007 without any
//! ticket work; each refused ticket takes one failure from the bucket. Good calls cost nothing,
//! so an address that never fails is never tracked. IPv6 addresses count per /64 (what one
//! host or one customer line usually gets), IPv4 addresses one by one, and an IPv4-mapped IPv6
//! address as its IPv4 address. Time is passed in, so the rules are tested without waiting.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed authentications an address may make at once before it is refused (its bucket's size).
pub const BURST: u32 = 10;

/// How long an address takes to earn back one failure: 10 failures a minute in a steady stream.
pub const REFILL_EVERY: Duration = Duration::from_secs(6);

/// Addresses tracked at most (about 64 bytes each). Past this, entries whose bucket has filled up
/// again are dropped (at most once a second), and if the table is still full the fullest bucket
/// of a sample makes room: a flood of addresses that failed once each cannot push out an address
/// that is refused, nor stop new addresses from being tracked.
const MAX_TRACKED: usize = 100_000;

/// Entries looked at to choose which one makes room in a full table.
const EVICTION_SAMPLE: usize = 32;

/// How often a full table is swept for entries that have filled up again.
const PURGE_EVERY: Duration = Duration::from_secs(1);

/// Failures an address may owe beyond its empty bucket: failures that passed the check together
/// (concurrent calls) are all charged, but an address is never refused for longer than
/// `(MAX_DEBT + 1) * REFILL_EVERY` (66 s).
const MAX_DEBT: f64 = BURST as f64;

/// What failures are counted by: an IPv4 address, or the first 64 bits of an IPv6 one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// An IPv4 address (or an IPv4-mapped IPv6 one).
    V4(Ipv4Addr),
    /// The /64 network of an IPv6 address.
    V6(u64),
}

impl From<IpAddr> for Source {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Source::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Source::V4(v4),
                None => Source::V6((v6.to_bits() >> 64) as u64),
            },
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Failures the address may still make; negative when it owes some.
    tokens: f64,
    refilled: Instant,
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        let earned =
            now.saturating_duration_since(self.refilled).as_secs_f64() / REFILL_EVERY.as_secs_f64();
        self.tokens = (self.tokens + earned).min(f64::from(BURST));
        self.refilled = now.max(self.refilled);
    }

    fn full(&self, now: Instant) -> bool {
        let mut bucket = *self;
        bucket.refill(now);
        bucket.tokens >= f64::from(BURST)
    }

    /// How long until the bucket holds one failure again.
    fn wait(&self) -> Duration {
        REFILL_EVERY.mul_f64((1.0 - self.tokens).max(0.0))
    }
}

#[derive(Debug, Default)]
struct Table {
    buckets: HashMap<Source, Bucket>,
    next_purge: Option<Instant>,
}

/// The failure buckets of every address that failed recently, on this node.
#[derive(Debug, Default)]
pub struct AuthFailures {
    table: Mutex<Table>,
}

impl AuthFailures {
    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `source` may try a ticket at `now`: `Err` with how long until it may, when it has
    /// failed too often. Counts nothing.
    pub fn check(&self, source: Source, now: Instant) -> Result<(), Duration> {
        let mut table = self.table();
        let Some(bucket) = table.buckets.get_mut(&source) else {
            return Ok(());
        };
        bucket.refill(now);
        if bucket.tokens >= 1.0 {
            Ok(())
        } else {
            Err(bucket.wait())
        }
    }

    /// Counts a refused ticket from `source`.
    pub fn charge(&self, source: Source, now: Instant) {
        let mut table = self.table();
        if table.buckets.len() >= MAX_TRACKED && !table.buckets.contains_key(&source) {
            Self::make_room(&mut table, now);
        }
        let bucket = table.buckets.entry(source).or_insert(Bucket {
            tokens: f64::from(BURST),
            refilled: now,
        });
        bucket.refill(now);
        bucket.tokens = (bucket.tokens - 1.0).max(-MAX_DEBT);
    }

    /// Drops full buckets (at most once per [`PURGE_EVERY`]), then, if the table is still full,
    /// the fullest bucket of a sample.
    fn make_room(table: &mut Table, now: Instant) {
        if table.next_purge.is_none_or(|at| now >= at) {
            table.buckets.retain(|_, b| !b.full(now));
            table.next_purge = Some(now + PURGE_EVERY);
        }
        if table.buckets.len() < MAX_TRACKED {
            return;
        }
        let fullest = table
            .buckets
            .iter()
            .take(EVICTION_SAMPLE)
            .max_by(|(_, a), (_, b)| a.tokens.total_cmp(&b.tokens))
            .map(|(source, _)| *source);
        if let Some(source) = fullest {
            table.buckets.remove(&source);
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.table().buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(ip: &str) -> Source {
        ip.parse::<IpAddr>().unwrap().into()
    }

    fn fail(guard: &AuthFailures, source: Source, now: Instant, times: u32) {
        for _ in 0..times {
            guard.charge(source, now);
        }
    }

    #[test]
    fn an_address_is_refused_after_its_burst_and_earns_failures_back() {
        let (guard, t0) = (AuthFailures::default(), Instant::now());
        let attacker = source("203.0.113.7");
        fail(&guard, attacker, t0, BURST - 1);
        assert_eq!(guard.check(attacker, t0), Ok(()));
        guard.charge(attacker, t0);
        assert_eq!(guard.check(attacker, t0), Err(REFILL_EVERY));
        // One failure is earned back per REFILL_EVERY, and only one.
        let later = t0 + REFILL_EVERY;
        assert_eq!(guard.check(attacker, later), Ok(()));
        guard.charge(attacker, later);
        assert!(guard.check(attacker, later).is_err());
        // A long pause refills the bucket to the burst, not more.
        let much_later = t0 + REFILL_EVERY * 100;
        fail(&guard, attacker, much_later, BURST);
        assert!(guard.check(attacker, much_later).is_err());
    }

    #[test]
    fn one_address_cannot_starve_the_others() {
        let (guard, t0) = (AuthFailures::default(), Instant::now());
        fail(&guard, source("203.0.113.7"), t0, 1_000);
        assert!(guard.check(source("203.0.113.7"), t0).is_err());
        for other in ["203.0.113.8", "198.51.100.1", "2001:db8::1", "::1"] {
            assert_eq!(guard.check(source(other), t0), Ok(()), "{other}");
        }
    }

    #[test]
    fn failures_that_passed_together_are_all_paid_for_within_a_bound() {
        let (guard, t0) = (AuthFailures::default(), Instant::now());
        let busy = source("203.0.113.7");
        fail(&guard, busy, t0, 1_000);
        // Owing at most MAX_DEBT beyond the empty bucket: refused for no longer than that.
        let wait = guard.check(busy, t0).unwrap_err();
        assert_eq!(wait, REFILL_EVERY.mul_f64(MAX_DEBT + 1.0));
        assert_eq!(guard.check(busy, t0 + wait), Ok(()));
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(source("2001:db8:1:2::1"), source("2001:db8:1:2:ffff::9"));
        assert_ne!(source("2001:db8:1:2::1"), source("2001:db8:1:3::1"));
        assert_eq!(source("::ffff:203.0.113.7"), source("203.0.113.7"));
        assert_ne!(source("203.0.113.7"), source("203.0.113.8"));
        let (guard, t0) = (AuthFailures::default(), Instant::now());
        fail(&guard, source("2001:db8:1:2::1"), t0, BURST);
        assert!(guard.check(source("2001:db8:1:2::abcd"), t0).is_err());
        assert_eq!(guard.check(source("2001:db8:1:3::1"), t0), Ok(()));
    }

    #[test]
    fn good_calls_are_not_tracked_and_tracking_is_bounded() {
        let (guard, t0) = (AuthFailures::default(), Instant::now());
        assert_eq!(guard.check(source("203.0.113.7"), t0), Ok(()));
        assert_eq!(guard.tracked(), 0, "checking alone tracks nothing");
        let attacker = source("198.51.100.1");
        fail(&guard, attacker, t0, BURST);
        for i in 0..MAX_TRACKED as u32 + 1_000 {
            guard.charge(Source::V4(Ipv4Addr::from_bits(0x0a00_0000 + i)), t0);
        }
        assert_eq!(guard.tracked(), MAX_TRACKED);
        assert!(
            guard.check(attacker, t0).is_err(),
            "a flood of addresses with one failure each does not free the refused one"
        );
        // Once the buckets have filled up again, they make room for new addresses.
        let later = t0 + REFILL_EVERY * (BURST * 3);
        guard.charge(source("203.0.113.9"), later);
        assert_eq!(guard.tracked(), 1);
    }
}
