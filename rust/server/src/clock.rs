//! The wall clock, at the bottom of the crate: every layer stamps times with it, so it imports
//! nothing of the crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// The wall clock in Unix milliseconds (0 if the clock is before 1970).
pub fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
