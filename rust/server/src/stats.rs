//! Daily figures per app, as Tencent's `getappinfo` reports them: active users (the DAU: distinct
//! users with a successful login that day), logins, registrations and the peak of sessions
//! online. Days start at midnight in a configurable UTC offset (Tencent's are Beijing time).

use crate::account::RegistryError;
use crate::cluster::Cluster;
use crate::database::{StoredDay, Write};
use crate::figures_batch::{Batches, DAYS_KEPT};
use crate::hub::Online;
use futures_util::future::join_all;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};
use tracing::debug;

const SECS_PER_DAY: i64 = 86_400;

/// A fixed offset from UTC, written `+08:00` or `-05:30` (`Z` for UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UtcOffset {
    seconds: i32,
}

impl UtcOffset {
    /// UTC itself.
    pub const UTC: UtcOffset = UtcOffset { seconds: 0 };

    /// Parses `+HH:MM`, `-HH:MM` or `Z`; hours up to 14, as real zones.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("a UTC offset is written like +08:00, not {text:?}");
        if text == "Z" {
            return Ok(UtcOffset::UTC);
        }
        let (sign, rest) = match text.as_bytes().first() {
            Some(b'+') => (1, &text[1..]),
            Some(b'-') => (-1, &text[1..]),
            _ => return Err(bad()),
        };
        let (h, m) = rest.split_once(':').ok_or_else(bad)?;
        let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h.abs() > 14 || !(0..60).contains(&m) || rest.len() != 5 {
            return Err(bad());
        }
        Ok(UtcOffset {
            seconds: sign * (h * 3600 + m * 60),
        })
    }

    /// The day (counted from 1970-01-01 in this offset) that `unix_ms` falls in.
    fn day(self, unix_ms: u64) -> i64 {
        let secs = i64::try_from(unix_ms / 1000).unwrap_or(i64::MAX);
        (secs + i64::from(self.seconds)).div_euclid(SECS_PER_DAY)
    }
}

impl fmt::Display for UtcOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.seconds < 0 { '-' } else { '+' };
        let abs = self.seconds.abs();
        write!(f, "{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60)
    }
}

impl<'de> Deserialize<'de> for UtcOffset {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        UtcOffset::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One day's figures of one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayFigures {
    /// `YYYYMMDD` in the configured offset.
    pub date: String,
    /// Distinct users with a successful login.
    pub active_users: u64,
    /// Successful logins.
    pub logins: u64,
    /// Accounts registered (by first login or import).
    pub registered: u64,
    /// Accounts registered in all, at the end of the day (or now, for today).
    pub registered_total: u64,
    /// Most sessions online at once.
    pub max_online: u64,
}

#[derive(Debug, Default)]
struct Day {
    active: HashSet<String>,
    logins: u64,
    registered: u64,
    registered_total: u64,
    max_online: u64,
}

#[derive(Debug, Default)]
struct AppFigures {
    days: BTreeMap<i64, Day>,
    registered_total: u64,
    /// Days changed since the figures were last written (with a database only).
    changed: BTreeSet<i64>,
    /// Users active on a day since the figures were last written (with a database only).
    new_active: Vec<(i64, String)>,
}

impl AppFigures {
    /// The day's entry, created with the figures that carry over (accounts in all, the `online`
    /// sessions still online since yesterday); days past [`DAYS_KEPT`] are dropped.
    fn day(&mut self, day: i64, online: u64) -> &mut Day {
        if !self.days.contains_key(&day) {
            self.days.retain(|&d, _| d > day - DAYS_KEPT);
        }
        let total = self.registered_total;
        self.days.entry(day).or_insert_with(|| Day {
            registered_total: total,
            max_online: online,
            ..Day::default()
        })
    }
}

/// The daily figures of every app: on a single node, kept in this process's memory (with a
/// database, [`DailyStats::changes`] gives what changed, for the database); in a cluster, kept in
/// its Redis, which `getappinfo` then reads so that every node's users count once: the node keeps
/// only its peaks, and what it counted until [`DailyStats::flush`] sends it.
#[derive(Default)]
pub struct DailyStats {
    offset: UtcOffset,
    apps: Mutex<HashMap<u64, AppFigures>>,
    cluster: Option<Arc<Cluster>>,
    /// In a cluster: what was counted here and not yet applied in Redis.
    batches: Mutex<Batches>,
    /// In a cluster: each app's users of a day in all (the day, the count), as Redis last said.
    cluster_active: Mutex<HashMap<u64, (i64, u64)>>,
    online: Arc<Online>,
    /// Whether changes are kept for [`DailyStats::changes`].
    durable: bool,
    /// The day the old days were last pruned from the database.
    pruned: Mutex<Option<i64>>,
}

impl DailyStats {
    /// Figures whose days start at midnight in `offset`, shared through `cluster` if given, with
    /// the peaks of the sessions that `online` counts.
    pub fn new(offset: UtcOffset, cluster: Option<Arc<Cluster>>, online: Arc<Online>) -> Self {
        DailyStats {
            offset,
            apps: Mutex::default(),
            cluster,
            batches: Mutex::default(),
            cluster_active: Mutex::default(),
            online,
            durable: false,
            pruned: Mutex::default(),
        }
    }

    /// Starts from the figures a database kept, with `accounts` registered per app now, and
    /// keeps every later change for [`DailyStats::changes`].
    pub fn restore(&mut self, days: Vec<(StoredDay, Vec<String>)>, accounts: &HashMap<u64, u64>) {
        self.durable = true;
        let apps = self.apps.get_mut().unwrap_or_else(|e| e.into_inner());
        for (&app, &total) in accounts {
            apps.entry(app).or_default().registered_total = total;
        }
        for (stored, active) in days {
            let day = Day {
                active: active.into_iter().collect(),
                logins: stored.logins,
                registered: stored.registered,
                registered_total: stored.registered_total,
                max_online: stored.max_online,
            };
            apps.entry(stored.app)
                .or_default()
                .days
                .insert(stored.day, day);
        }
    }

    /// What changed since the last call, as database writes: each changed day's counts, the
    /// users new to a day, and once a day the removal of days no longer reported.
    pub fn changes(&self, now_ms: u64) -> Vec<Write> {
        let today = self.offset.day(now_ms);
        let mut writes = vec![];
        let mut apps = self.apps.lock().unwrap_or_else(|e| e.into_inner());
        for (&app, figures) in apps.iter_mut() {
            for day in std::mem::take(&mut figures.changed) {
                if let Some(d) = figures.days.get(&day) {
                    writes.push(Write::Day(StoredDay {
                        app,
                        day,
                        logins: d.logins,
                        registered: d.registered,
                        registered_total: d.registered_total,
                        max_online: d.max_online,
                    }));
                }
            }
            writes.extend(
                std::mem::take(&mut figures.new_active)
                    .into_iter()
                    .map(|(day, user_id)| Write::ActiveUser { app, day, user_id }),
            );
        }
        drop(apps);
        let mut pruned = self.pruned.lock().unwrap_or_else(|e| e.into_inner());
        if *pruned != Some(today) {
            *pruned = Some(today);
            writes.push(Write::PruneDaysBefore(today - DAYS_KEPT + 1));
        }
        writes
    }

    /// The figures `getappinfo` reports: this node's, or in a cluster, the cluster's.
    pub async fn report(&self, app: u64, now_ms: u64) -> Result<Vec<DayFigures>, RegistryError> {
        let Some(cluster) = &self.cluster else {
            return Ok(self.days(app, now_ms));
        };
        let today = self.offset.day(now_ms);
        let counts = cluster
            .daily_counts(app, today - DAYS_KEPT + 1, today)
            .await?;
        Ok(counts
            .into_iter()
            .rev()
            .map(|(day, c)| DayFigures {
                date: date(day),
                active_users: c.active_users,
                logins: c.logins,
                registered: c.registered,
                registered_total: c.registered_total,
                max_online: c.max_online,
            })
            .collect())
    }

    /// Sends what this cluster node counted since the last call to its Redis, one call per app;
    /// a batch Redis did not apply is sent again at the next call. Nothing without a cluster.
    pub async fn flush(&self) {
        let Some(cluster) = &self.cluster else { return };
        let outgoing = lock(&self.batches).cut();
        let sent = join_all(
            outgoing
                .iter()
                .map(|(app, number, batch)| cluster.apply_figures(*app, *number, batch)),
        )
        .await;
        for ((app, number, batch), result) in outgoing.iter().zip(sent) {
            match result {
                Ok(active) => {
                    lock(&self.batches).applied(*app, *number);
                    if let Some(&day) = batch.days.keys().next_back() {
                        lock(&self.cluster_active).insert(*app, (day, active));
                    }
                }
                Err(e) => {
                    debug!(error = %e, app, "cannot send the daily figures: sent again next time")
                }
            }
        }
    }

    /// Runs `f` on the app's figures and the sessions it has online here.
    fn with<T>(&self, app: u64, f: impl FnOnce(&mut AppFigures, u64) -> T) -> T {
        let online = self.online.of(app);
        // Every update is complete before it can panic, so a poisoned lock guards sound data.
        let mut apps = self.apps.lock().unwrap_or_else(|e| e.into_inner());
        f(apps.entry(app).or_default(), online)
    }

    /// Counts a successful login of `user` at `now_ms`.
    pub fn login(&self, app: u64, user: &str, now_ms: u64) {
        let day = self.offset.day(now_ms);
        if self.cluster.is_some() {
            return lock(&self.batches).login(app, user, day);
        }
        let durable = self.durable;
        self.with(app, |figures, online| {
            let entry = figures.day(day, online);
            entry.logins += 1;
            let new_user = !entry.active.contains(user);
            if new_user {
                entry.active.insert(user.to_owned());
            }
            if durable {
                figures.changed.insert(day);
                if new_user {
                    figures.new_active.push((day, user.to_owned()));
                }
            }
        });
    }

    /// Counts an account registered (its first login, or an import) at `now_ms`.
    pub fn registered(&self, app: u64, now_ms: u64) {
        let day = self.offset.day(now_ms);
        if self.cluster.is_some() {
            return lock(&self.batches).account(app, day, 1);
        }
        let durable = self.durable;
        self.with(app, |figures, online| {
            figures.registered_total += 1;
            let total = figures.registered_total;
            let entry = figures.day(day, online);
            entry.registered += 1;
            entry.registered_total = total;
            if durable {
                figures.changed.insert(day);
            }
        });
    }

    /// Counts an account deleted at `now_ms`.
    pub fn deleted(&self, app: u64, now_ms: u64) {
        let day = self.offset.day(now_ms);
        if self.cluster.is_some() {
            return lock(&self.batches).account(app, day, -1);
        }
        let durable = self.durable;
        self.with(app, |figures, online| {
            figures.registered_total = figures.registered_total.saturating_sub(1);
            let total = figures.registered_total;
            figures.day(day, online).registered_total = total;
            if durable {
                figures.changed.insert(day);
            }
        });
    }

    /// Takes the peak of sessions online after a session of `app` went online at `now_ms`
    /// (counted in [`Online`] already, and the sessions it displaced here uncounted).
    pub fn session_opened(&self, app: u64, now_ms: u64) {
        let day = self.offset.day(now_ms);
        let durable = self.durable;
        let new_peak = self.with(app, |figures, online| {
            // A day this opening starts has this session as its first peak.
            let first = !figures.days.contains_key(&day);
            let entry = figures.day(day, online);
            let new_peak = first || online > entry.max_online;
            entry.max_online = entry.max_online.max(online);
            if durable && new_peak {
                figures.changed.insert(day);
            }
            new_peak.then_some(online)
        });
        if let (Some(_), Some(peak)) = (&self.cluster, new_peak) {
            lock(&self.batches).peak(app, day, peak);
        }
    }

    /// The figures of the last [`DAYS_KEPT`] days up to the day of `now_ms` that have any,
    /// newest first.
    pub fn days(&self, app: u64, now_ms: u64) -> Vec<DayFigures> {
        let today = self.offset.day(now_ms);
        self.with(app, |figures, _| {
            figures
                .days
                .range(today - DAYS_KEPT + 1..=today)
                .rev()
                .map(|(&day, d)| DayFigures {
                    date: date(day),
                    active_users: d.active.len() as u64,
                    logins: d.logins,
                    registered: d.registered,
                    registered_total: d.registered_total,
                    max_online: d.max_online,
                })
                .collect()
        })
    }

    /// Appends the DAU gauge, `tim_daily_active_users{sdkappid=...}`, in the Prometheus text
    /// format.
    pub fn render(&self, out: &mut String, now_ms: u64) {
        out.push_str("# HELP tim_daily_active_users Distinct users with a successful login today.\n# TYPE tim_daily_active_users gauge\n");
        for (app, n) in self.active_today(now_ms) {
            out.push_str(&format!(
                "tim_daily_active_users{{sdkappid=\"{app}\"}} {n}\n"
            ));
        }
    }

    /// Active users of each app today: this node's, or in a cluster, the cluster's as its Redis
    /// last answered this node's figures.
    pub fn active_today(&self, now_ms: u64) -> BTreeMap<u64, u64> {
        let today = self.offset.day(now_ms);
        if self.cluster.is_some() {
            return lock(&self.cluster_active)
                .iter()
                .map(|(&app, &(day, n))| (app, if day == today { n } else { 0 }))
                .collect();
        }
        let apps = self.apps.lock().unwrap_or_else(|e| e.into_inner());
        apps.iter()
            .map(|(&app, f)| (app, f.days.get(&today).map_or(0, |d| d.active.len() as u64)))
            .collect()
    }
}

/// Locks `mutex`: every update under these locks is complete before it can panic, so a poisoned
/// lock guards sound data.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// `YYYYMMDD` of a day counted from 1970-01-01 (the proleptic Gregorian calendar; the algorithm
/// is Howard Hinnant's `civil_from_days`).
fn date(day: i64) -> String {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-01T00:00:00Z in milliseconds.
    const DEC_1: u64 = 1_796_083_200_000;
    const HOUR: u64 = 3_600_000;

    #[test]
    fn offsets_parse_and_print() {
        assert_eq!(UtcOffset::parse("+08:00").unwrap().to_string(), "+08:00");
        assert_eq!(UtcOffset::parse("-05:30").unwrap().to_string(), "-05:30");
        assert_eq!(UtcOffset::parse("Z").unwrap(), UtcOffset::UTC);
        for bad in ["8", "+8:00", "+15:00", "+08:60", "08:00", "+08:00x", ""] {
            assert!(UtcOffset::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_follow_the_calendar() {
        assert_eq!(date(0), "19700101");
        assert_eq!(date(UtcOffset::UTC.day(DEC_1)), "20261201");
        assert_eq!(date(UtcOffset::UTC.day(DEC_1 - 1)), "20261130");
        assert_eq!(date(11_016), "20000229");
    }

    #[test]
    fn a_user_counts_once_a_day_however_often_they_log_in() {
        let stats = DailyStats::new(UtcOffset::UTC, None, Arc::default());
        for i in 0..5 {
            stats.login(7, "alice", DEC_1 + i * HOUR);
        }
        stats.login(7, "bob", DEC_1);
        stats.login(7, "alice", DEC_1 + 24 * HOUR);
        stats.login(8, "carol", DEC_1);
        let days = stats.days(7, DEC_1 + 24 * HOUR);
        assert_eq!(days.len(), 2);
        assert_eq!(
            (days[0].date.as_str(), days[0].active_users, days[0].logins),
            ("20261202", 1, 1)
        );
        assert_eq!(
            (days[1].date.as_str(), days[1].active_users, days[1].logins),
            ("20261201", 2, 6)
        );
        assert_eq!(stats.active_today(DEC_1)[&8], 1);
    }

    #[test]
    fn the_day_boundary_follows_the_offset() {
        let stats = DailyStats::new(UtcOffset::parse("+08:00").unwrap(), None, Arc::default());
        // 17:00 UTC on 1 December is 01:00 on 2 December in Beijing.
        stats.login(7, "alice", DEC_1 + 17 * HOUR);
        assert_eq!(stats.days(7, DEC_1 + 17 * HOUR)[0].date, "20261202");
        stats.login(7, "bob", DEC_1 + 15 * HOUR);
        assert_eq!(stats.days(7, DEC_1 + 17 * HOUR)[1].date, "20261201");
    }

    #[test]
    fn registrations_peaks_and_the_thirty_day_window() {
        let stats = DailyStats::new(UtcOffset::UTC, None, Arc::default());
        stats.registered(7, DEC_1);
        stats.registered(7, DEC_1);
        stats.deleted(7, DEC_1);
        let online = |added: bool| {
            if added {
                stats.online.add(7);
                stats.session_opened(7, DEC_1);
            } else {
                stats.online.remove(7);
            }
        };
        online(true);
        online(true);
        // A login that displaced one of the two: that one left first.
        online(false);
        online(true);
        online(false);
        let today = &stats.days(7, DEC_1)[0];
        assert_eq!(
            (today.registered, today.registered_total, today.max_online),
            (2, 1, 2)
        );
        // The next day starts from what carried over: one account, one session online.
        let next = DEC_1 + 24 * HOUR;
        stats.login(7, "alice", next);
        let next_day = &stats.days(7, next)[0];
        assert_eq!(
            (
                next_day.registered,
                next_day.registered_total,
                next_day.max_online
            ),
            (0, 1, 1)
        );
        let later = DEC_1 + 40 * 24 * HOUR;
        stats.login(7, "alice", later);
        assert_eq!(stats.days(7, later).len(), 1, "older days are gone");
    }
}
