//! The daily figures of a cluster (`getappinfo`), in Redis so that a user who logs in on several
//! nodes counts once. Per app and day, under the app's hash tag:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `tim:d:{A}:DAY:u` | set | the UserIDs with a successful login that day (the DAU, exact) |
//! | `tim:d:{A}:DAY` | hash | `l` logins, `r` registrations, `t` accounts in all after the day's last change |
//! | `tim:d:{A}:DAY:p` | hash | each node's peak of sessions online that day |
//! | `tim:d:{A}:total` | string | accounts in all |
//!
//! Day keys expire a little after the 30 days `getappinfo` reports. Writes are sent without the
//! login waiting for them; a figure whose write failed (Redis away) is missing, never doubled.

use super::Cluster;
use crate::registry::RegistryError;
use crate::stats::{DAYS_KEPT, DayCounts};
use std::sync::Arc;

/// How long a day's keys live: the reported window and a day's margin.
const DAY_KEYS_TTL_SECS: i64 = (DAYS_KEPT + 2) * 86_400;

fn day_key(app: u64, day: i64) -> String {
    format!("tim:d:{{{app}}}:{day}")
}

fn total_key(app: u64) -> String {
    format!("tim:d:{{{app}}}:total")
}

impl Cluster {
    /// Counts a successful login of `user` on `day`.
    pub fn count_login(self: &Arc<Self>, app: u64, user: &str, day: i64) {
        let key = day_key(app, day);
        let mut pipe = redis::pipe();
        pipe.cmd("SADD").arg(format!("{key}:u")).arg(user).ignore();
        pipe.cmd("HINCRBY").arg(&key).arg("l").arg(1).ignore();
        pipe.cmd("EXPIRE")
            .arg(format!("{key}:u"))
            .arg(DAY_KEYS_TTL_SECS)
            .ignore();
        pipe.cmd("EXPIRE").arg(&key).arg(DAY_KEYS_TTL_SECS).ignore();
        self.send_figures(pipe);
    }

    /// Counts an account registered (`added` 1) or deleted (-1) on `day`.
    pub fn count_account(self: &Arc<Self>, app: u64, day: i64, added: i64) {
        let cluster = self.clone();
        tokio::spawn(async move {
            let total: Result<i64, _> = cluster
                .store
                .query(redis::cmd("INCRBY").arg(total_key(app)).arg(added))
                .await;
            let Ok(total) = total else { return };
            let key = day_key(app, day);
            let mut pipe = redis::pipe();
            if added > 0 {
                pipe.cmd("HINCRBY").arg(&key).arg("r").arg(added).ignore();
            }
            pipe.cmd("HSET").arg(&key).arg("t").arg(total).ignore();
            pipe.cmd("EXPIRE").arg(&key).arg(DAY_KEYS_TTL_SECS).ignore();
            let _ = cluster.store.pipeline::<()>(&pipe).await;
        });
    }

    /// Records this node's peak of sessions online on `day`.
    pub fn count_peak(self: &Arc<Self>, app: u64, day: i64, peak: u64) {
        let key = format!("{}:p", day_key(app, day));
        let mut pipe = redis::pipe();
        pipe.cmd("HSET").arg(&key).arg(&self.run).arg(peak).ignore();
        pipe.cmd("EXPIRE").arg(&key).arg(DAY_KEYS_TTL_SECS).ignore();
        self.send_figures(pipe);
    }

    fn send_figures(self: &Arc<Self>, pipe: redis::Pipeline) {
        let cluster = self.clone();
        tokio::spawn(async move {
            let _ = cluster.store.pipeline::<()>(&pipe).await;
        });
    }

    /// The counts of the days `first..=last`, oldest first, for days with any.
    pub async fn daily_counts(
        &self,
        app: u64,
        first: i64,
        last: i64,
    ) -> Result<Vec<(i64, DayCounts)>, RegistryError> {
        let mut pipe = redis::pipe();
        for day in first..=last {
            let key = day_key(app, day);
            pipe.cmd("SCARD").arg(format!("{key}:u"));
            pipe.cmd("HMGET").arg(&key).arg("l").arg("r").arg("t");
            pipe.cmd("HVALS").arg(format!("{key}:p"));
        }
        pipe.cmd("GET").arg(total_key(app));
        type Day = (u64, (Option<u64>, Option<u64>, Option<u64>), Vec<u64>);
        let (days, total): (Vec<Day>, Option<u64>) = {
            let mut values: Vec<redis::Value> = self.store.pipeline(&pipe).await?;
            let total = values
                .pop()
                .map(|v| redis::from_redis_value(v).unwrap_or(None));
            let mut days = vec![];
            let mut values = values.into_iter();
            while let (Some(active), Some(counts), Some(peaks)) =
                (values.next(), values.next(), values.next())
            {
                let parsed: Result<Day, _> = (|| {
                    Ok::<_, redis::ParsingError>((
                        redis::from_redis_value(active)?,
                        redis::from_redis_value(counts)?,
                        redis::from_redis_value(peaks)?,
                    ))
                })();
                days.push(parsed.map_err(|e| RegistryError(format!("daily figures: {e}")))?);
            }
            (days, total.flatten())
        };
        // Accounts in all carry over from the last day that changed them; today's is the total.
        let mut carried = 0;
        let mut out = vec![];
        for (day, (active, (logins, registered, total_then), peaks)) in (first..=last).zip(days) {
            carried = total_then.unwrap_or(carried);
            let counts = DayCounts {
                active_users: active,
                logins: logins.unwrap_or(0),
                registered: registered.unwrap_or(0),
                registered_total: if day == last {
                    total.unwrap_or(carried)
                } else {
                    carried
                },
                max_online: peaks.iter().sum(),
            };
            if counts.active_users + counts.logins + counts.registered + counts.max_online > 0 {
                out.push((day, counts));
            }
        }
        Ok(out)
    }
}
