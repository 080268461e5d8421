//! The daily figures of a cluster (`getappinfo`), in Redis so that a user who logs in on several
//! nodes counts once. Per app and day, under the app's hash tag:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `tim:d:{A}:DAY:u` | set | the UserIDs with a successful login that day (the DAU, exact) |
//! | `tim:d:{A}:DAY` | hash | `l` logins, `r` registrations, `t` accounts in all after the day's last change |
//! | `tim:d:{A}:DAY:p` | hash | each node's peak of sessions online that day |
//! | `tim:d:{A}:total` | string | accounts in all |
//! | `tim:d:{A}:f` | hash | each node's number of its last batch applied |
//!
//! Day keys expire a little after the 30 days `getappinfo` reports. A node sends its figures in
//! batches ([`crate::figures_batch`]), one script call per app and batch (`lua/daily.lua`), never
//! with the login waiting for them.

use super::Cluster;
use crate::account::RegistryError;
use crate::figures_batch::{AppBatch, DAYS_KEPT};
use redis::Script;
use std::sync::LazyLock;

/// How long a day's keys live: the reported window and a day's margin.
const DAY_KEYS_TTL_SECS: i64 = (DAYS_KEPT + 2) * 86_400;

/// One day's counts of one app, as a cluster's Redis holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCounts {
    /// Distinct users with a successful login.
    pub active_users: u64,
    /// Successful logins.
    pub logins: u64,
    /// Accounts registered.
    pub registered: u64,
    /// Accounts registered in all.
    pub registered_total: u64,
    /// The sum of each node's peak of sessions online that day: the cluster's peak when one node
    /// serves, an upper bound of it when several do (their peaks need not be at the same moment).
    pub max_online: u64,
}

/// Loaded once per process and sent as EVALSHA.
static APPLY_BATCH: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/daily.lua")));

fn day_key(app: u64, day: i64) -> String {
    format!("tim:d:{{{app}}}:{day}")
}

fn total_key(app: u64) -> String {
    format!("tim:d:{{{app}}}:total")
}

fn batches_key(app: u64) -> String {
    format!("tim:d:{{{app}}}:f")
}

impl Cluster {
    /// Applies batch `number` of `app`'s figures, once however often it is sent. Answers the
    /// users of the batch's last day in all, this node's and the others'.
    pub async fn apply_figures(
        &self,
        app: u64,
        number: u64,
        batch: &AppBatch,
    ) -> Result<u64, RegistryError> {
        let mut invocation = APPLY_BATCH.prepare_invoke();
        invocation
            .key(batches_key(app))
            .key(total_key(app))
            .arg(&self.run)
            .arg(number)
            .arg(DAY_KEYS_TTL_SECS)
            .arg(batch.accounts);
        for (&day, figures) in &batch.days {
            let key = day_key(app, day);
            invocation
                .key(&key)
                .key(format!("{key}:u"))
                .key(format!("{key}:p"))
                .arg(figures.logins)
                .arg(figures.registered)
                .arg(u8::from(figures.accounts_changed))
                .arg(
                    figures
                        .peak
                        .map_or(-1, |p| i64::try_from(p).unwrap_or(i64::MAX)),
                )
                .arg(figures.users.len());
            for user in &figures.users {
                invocation.arg(user);
            }
        }
        self.store.invoke(&invocation).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{ClusterConfig, RedisTarget};
    use crate::figures_batch::Batches;
    use crate::lockout::LockoutRules;
    use std::time::Duration;
    use tim_testkit::RedisServer;

    async fn join(redis: &RedisServer, node_id: &str) -> std::sync::Arc<Cluster> {
        let config = ClusterConfig {
            redis: RedisTarget::Single(redis.url()),
            node_id: node_id.into(),
            lease: Duration::from_secs(10),
            redis_ephemeral: true,
        };
        Cluster::join(&config, LockoutRules::default())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_batch_sent_again_counts_once_and_nodes_add_up() {
        let redis = RedisServer::start().await;
        let (a, b) = (join(&redis, "a").await, join(&redis, "b").await);
        let (app, day) = (7, 20_000);
        let mut batches = Batches::default();
        batches.login(app, "alice", day);
        batches.login(app, "alice", day);
        batches.account(app, day, 1);
        batches.peak(app, day, 2);
        let (_, number, batch) = batches.cut().pop().unwrap();
        // Its answer lost, the batch is sent again: applied once.
        assert_eq!(a.apply_figures(app, number, &batch).await.unwrap(), 1);
        assert_eq!(a.apply_figures(app, number, &batch).await.unwrap(), 1);
        batches.applied(app, number);
        batches.login(app, "bob", day);
        batches.peak(app, day, 3);
        let (_, next, batch) = batches.cut().pop().unwrap();
        assert_eq!(a.apply_figures(app, next, &batch).await.unwrap(), 2);
        // Another node's batch of the same number is its own.
        let mut other = Batches::default();
        other.login(app, "alice", day);
        other.account(app, day, 1);
        other.peak(app, day, 1);
        let (_, number, batch) = other.cut().pop().unwrap();
        assert_eq!(b.apply_figures(app, number, &batch).await.unwrap(), 2);

        let counts = a.daily_counts(app, day, day).await.unwrap();
        let expected = DayCounts {
            active_users: 2,
            logins: 4,
            registered: 2,
            registered_total: 2,
            max_online: 3 + 1,
        };
        assert_eq!(counts, [(day, expected)]);
    }
}
