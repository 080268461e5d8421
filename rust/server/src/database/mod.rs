//! What a single node keeps across restarts: accounts, kicks' ticket invalidations and the daily
//! figures, in an embedded SQLite database in its data folder (`--data`, `tim-data` by default).
//!
//! The node serves from memory; the database is written behind it and read only at start. One
//! thread owns the connection and commits whatever has queued up as one transaction (a group
//! commit), so a burst of writes costs one `fsync`, not one each. A write that must be durable
//! before its answer (a REST import, delete or kick; a first login's registration) waits for
//! its commit; the daily figures are written in batches a second apart.
//!
//! A lock file keeps a second process out of the folder; a corrupt database, one of another
//! program or of a newer schema stops the server ([`Refused`]).

mod schema;

pub use schema::{MIGRATIONS, current_version};

use crate::account::{AccountKey, RegistryError};
use crate::refused::Refused;
use rusqlite::{Connection, params};
use std::collections::HashMap;
use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// The database file in the data folder.
pub const DB_FILE: &str = "tim.db";
/// The lock file in the data folder: held, with the holder's pid in it, while a server runs.
pub const LOCK_FILE: &str = "lock";

/// Most writes one transaction takes, so that the answers of the first writers in a long queue
/// do not wait for the last.
const MAX_BATCH: usize = 4096;

/// One change to the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// An account exists (first login or import); nothing if it already did.
    Register {
        /// The account.
        account: AccountKey,
        /// When it was registered, in Unix milliseconds.
        at_ms: u64,
    },
    /// An account no longer exists. Its invalidation stays.
    Unregister(AccountKey),
    /// Tickets of the account signed before `before` (Unix seconds) are refused; a later time
    /// than the one stored wins.
    Invalidate {
        /// The account.
        account: AccountKey,
        /// Tickets signed before this are refused.
        before: u64,
    },
    /// One day's counts of one app.
    Day(StoredDay),
    /// A user who logged in on that day, for the day's distinct users.
    ActiveUser {
        /// The app.
        app: u64,
        /// The day (counted from 1970-01-01 in the figures' UTC offset).
        day: i64,
        /// The UserID.
        user_id: String,
    },
    /// Days before `day` are no longer reported.
    PruneDaysBefore(i64),
}

/// One day's counts of one app, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredDay {
    /// The app.
    pub app: u64,
    /// The day (counted from 1970-01-01 in the figures' UTC offset).
    pub day: i64,
    /// Successful logins.
    pub logins: u64,
    /// Accounts registered.
    pub registered: u64,
    /// Accounts in all at the day's last change.
    pub registered_total: u64,
    /// Most sessions online at once.
    pub max_online: u64,
}

/// What the database held at start, for the node to serve from.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Every account.
    pub accounts: Vec<AccountKey>,
    /// Every kick's invalidation: tickets signed before the time (Unix seconds) are refused.
    pub invalidations: Vec<(AccountKey, u64)>,
    /// Each stored day's counts, with the day's distinct users.
    pub days: Vec<(StoredDay, Vec<String>)>,
    /// The schema version the database had before this start migrated it.
    pub migrated_from: u32,
}

struct Job {
    writes: Vec<Write>,
    done: Option<oneshot::Sender<Result<(), String>>>,
    /// The last job: the thread closes the database and releases the lock after it.
    close: bool,
}

/// The node's database: a handle on its writer thread. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    jobs: mpsc::Sender<Job>,
    dir: PathBuf,
}

impl Database {
    /// Opens (creating it if need be, with mode 0700) the data folder `dir`, takes its lock,
    /// brings the database to this build's schema and reads it. Blocks: call it where blocking
    /// is allowed.
    pub fn open(dir: &Path) -> Result<(Database, Snapshot), Refused> {
        create_private_dir(dir)?;
        // Logs and refusals name the folder wherever the server was started from.
        let dir = &std::fs::canonicalize(dir).map_err(|e| {
            Refused(format!(
                "cannot open the data folder {}: {e}",
                dir.display()
            ))
        })?;
        let lock = lock(dir)?;
        let path = dir.join(DB_FILE);
        let shown_as = path.display().to_string();
        let cannot = |e: rusqlite::Error| Refused(format!("cannot open {shown_as}: {e}"));
        let mut connection = Connection::open(&path).map_err(cannot)?;
        let migrated_from = schema::prepare(&mut connection, &shown_as)?;
        // WAL lets a backup read while the server writes; FULL makes every commit durable.
        connection
            .pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
            .and_then(|()| connection.pragma_update(None, "synchronous", "FULL"))
            .map_err(cannot)?;
        let mut snapshot = read(&connection).map_err(|e| {
            Refused(format!(
                "cannot read {shown_as}: {e}; restore it from a backup"
            ))
        })?;
        snapshot.migrated_from = migrated_from;
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("tim-database".into())
            .spawn(move || write_behind(connection, queue, lock))
            .map_err(|e| Refused(format!("cannot start the database thread: {e}")))?;
        let database = Database {
            jobs,
            dir: dir.to_owned(),
        };
        Ok((database, snapshot))
    }

    /// The data folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Queues `writes` for the next commit, in the order of the calls; the future answers once
    /// they are on disk. Queueing happens at the call, so that a caller holding a lock over its
    /// in-memory change queues the writes in the same order as the changes.
    pub fn write(&self, writes: Vec<Write>) -> impl Future<Output = Result<(), RegistryError>> {
        let (done, committed) = oneshot::channel();
        let queued = self.jobs.send(Job {
            writes,
            done: Some(done),
            close: false,
        });
        async move {
            queued.map_err(|_| closed())?;
            committed
                .await
                .map_err(|_| closed())?
                .map_err(|e| RegistryError(format!("the database: {e}")))
        }
    }

    /// Queues `writes` without waiting for them (figures, whose loss on a crash is bounded by
    /// how often they are written).
    pub fn write_behind(&self, writes: Vec<Write>) {
        if !writes.is_empty() {
            let _ = self.jobs.send(Job {
                writes,
                done: None,
                close: false,
            });
        }
    }

    /// Writes everything queued so far, then closes the database and releases the folder's
    /// lock, so that another server may open it; every later write fails. Answers once closed.
    pub async fn close(&self) -> Result<(), RegistryError> {
        let (done, closed_now) = oneshot::channel();
        let job = Job {
            writes: Vec::new(),
            done: Some(done),
            close: true,
        };
        if self.jobs.send(job).is_err() {
            return Ok(());
        }
        match closed_now.await {
            Ok(result) => result.map_err(|e| RegistryError(format!("the database: {e}"))),
            Err(_) => Ok(()),
        }
    }
}

fn closed() -> RegistryError {
    RegistryError("the database is closed".into())
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<(), Refused> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| {
            Refused(format!(
                "cannot create the data folder {}: {e}",
                dir.display()
            ))
        })
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<(), Refused> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Refused(format!(
            "cannot create the data folder {}: {e}",
            dir.display()
        ))
    })
}

/// Takes the folder's lock, or says which process holds it. The kernel releases it when the
/// holder exits, however it exits.
fn lock(dir: &Path) -> Result<File, Refused> {
    let path = dir.join(LOCK_FILE);
    let cannot = |e: std::io::Error| Refused(format!("cannot lock {}: {e}", path.display()));
    let mut file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(cannot)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let holder = if holder.is_empty() {
                String::new()
            } else {
                format!(" (pid {holder})")
            };
            return Err(Refused(format!(
                "the data folder {} is in use by another tim-server{holder}: give each server a \
                 folder of its own (--data DIR)",
                dir.display()
            )));
        }
        Err(TryLockError::Error(e)) => return Err(cannot(e)),
    }
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| writeln!(file, "{}", std::process::id()))
        .map_err(cannot)?;
    Ok(file)
}

/// SQLite's integers are signed: an SDKAppID is stored as the i64 of the same bits, which
/// keeps every u64 (real SDKAppIDs are far below 2^63, where the two agree).
fn app_to_sql(app: u64) -> i64 {
    i64::from_ne_bytes(app.to_ne_bytes())
}

fn app_from_sql(app: i64) -> u64 {
    u64::from_ne_bytes(app.to_ne_bytes())
}

/// Counts and times are far below 2^63; a larger stored value saturates.
fn to_sql(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn from_sql(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn account_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AccountKey> {
    Ok(AccountKey {
        sdk_app_id: app_from_sql(row.get(0)?),
        user_id: row.get(1)?,
    })
}

fn read(connection: &Connection) -> rusqlite::Result<Snapshot> {
    let accounts = connection
        .prepare("SELECT sdkappid, user_id FROM accounts")?
        .query_map([], account_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    let invalidations = connection
        .prepare("SELECT sdkappid, user_id, before_secs FROM invalidations")?
        .query_map([], |row| {
            Ok((account_from_row(row)?, from_sql(row.get(2)?)))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut users: HashMap<(u64, i64), Vec<String>> = HashMap::new();
    let mut statement = connection.prepare("SELECT sdkappid, day, user_id FROM day_users")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let key = (app_from_sql(row.get(0)?), row.get(1)?);
        users.entry(key).or_default().push(row.get(2)?);
    }
    let days = connection
        .prepare(
            "SELECT sdkappid, day, logins, registered, registered_total, max_online FROM days",
        )?
        .query_map([], |row| {
            Ok(StoredDay {
                app: app_from_sql(row.get(0)?),
                day: row.get(1)?,
                logins: from_sql(row.get(2)?),
                registered: from_sql(row.get(3)?),
                registered_total: from_sql(row.get(4)?),
                max_online: from_sql(row.get(5)?),
            })
        })?
        .map(|day| {
            let day = day?;
            let active = users.remove(&(day.app, day.day)).unwrap_or_default();
            Ok((day, active))
        })
        .collect::<rusqlite::Result<_>>()?;
    Ok(Snapshot {
        accounts,
        invalidations,
        days,
        migrated_from: 0,
    })
}

/// The writer thread: takes what has queued, commits it as one transaction, answers each job.
/// Ends after a closing job, or when every handle is gone and the queue is empty; then the
/// connection closes and the lock is released, in that order, before the closing job's answer.
fn write_behind(mut connection: Connection, queue: mpsc::Receiver<Job>, lock: File) {
    let mut closing = None;
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        let mut writes = batch[0].writes.len();
        while writes < MAX_BATCH && !batch.last().is_some_and(|job| job.close) {
            let Ok(job) = queue.try_recv() else { break };
            writes += job.writes.len();
            batch.push(job);
        }
        let result = commit(&mut connection, &batch).map_err(|e| e.to_string());
        if let Err(e) = &result {
            tracing::error!(error = %e, writes, "cannot write the database");
        }
        for job in batch {
            match job.done {
                Some(done) if job.close => closing = Some((done, result.clone())),
                Some(done) => {
                    let _ = done.send(result.clone());
                }
                None => {}
            }
        }
        if closing.is_some() {
            break;
        }
    }
    // Jobs queued after the closing one are dropped unanswered: their callers hear "closed".
    drop(queue);
    drop(connection);
    drop(lock);
    if let Some((done, result)) = closing {
        let _ = done.send(result);
    }
}

fn commit(connection: &mut Connection, batch: &[Job]) -> rusqlite::Result<()> {
    if batch.iter().all(|job| job.writes.is_empty()) {
        return Ok(());
    }
    let tx = connection.transaction()?;
    for write in batch.iter().flat_map(|job| &job.writes) {
        apply(&tx, write)?;
    }
    tx.commit()
}

fn apply(tx: &rusqlite::Transaction<'_>, write: &Write) -> rusqlite::Result<()> {
    match write {
        Write::Register { account, at_ms } => {
            tx.prepare_cached(
                "INSERT INTO accounts (sdkappid, user_id, registered_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                app_to_sql(account.sdk_app_id),
                account.user_id,
                to_sql(*at_ms)
            ])?;
        }
        Write::Unregister(account) => {
            tx.prepare_cached("DELETE FROM accounts WHERE sdkappid = ?1 AND user_id = ?2")?
                .execute(params![app_to_sql(account.sdk_app_id), account.user_id])?;
        }
        Write::Invalidate { account, before } => {
            tx.prepare_cached(
                "INSERT INTO invalidations (sdkappid, user_id, before_secs) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO UPDATE SET before_secs = max(before_secs, excluded.before_secs)",
            )?
            .execute(params![
                app_to_sql(account.sdk_app_id),
                account.user_id,
                to_sql(*before)
            ])?;
        }
        Write::Day(day) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO days
                 (sdkappid, day, logins, registered, registered_total, max_online)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                app_to_sql(day.app),
                day.day,
                to_sql(day.logins),
                to_sql(day.registered),
                to_sql(day.registered_total),
                to_sql(day.max_online)
            ])?;
        }
        Write::ActiveUser { app, day, user_id } => {
            tx.prepare_cached(
                "INSERT INTO day_users (sdkappid, day, user_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![app_to_sql(*app), day, user_id])?;
        }
        Write::PruneDaysBefore(day) => {
            tx.prepare_cached("DELETE FROM days WHERE day < ?1")?
                .execute([day])?;
            tx.prepare_cached("DELETE FROM day_users WHERE day < ?1")?
                .execute([day])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
