//! The database's tables and how a database of any earlier version is brought to this one.
//!
//! The version is SQLite's `user_version`; `application_id` marks the file as tim-server's, so
//! that another program's database is refused rather than altered. Migration `i` takes a
//! database from version `i` to `i + 1`; every one runs in the transaction that sets the new
//! version, so a crash during a migration leaves the previous version whole.

use crate::refused::Refused;
use rusqlite::{Connection, TransactionBehavior};

/// `application_id` of a tim-server database ("TIMs" in ASCII).
pub const APPLICATION_ID: i32 = 0x5449_4d73;

/// Each version's migration from the one before, oldest first; the schema's version is their
/// number. Append, never edit: a released migration is what older databases hold.
pub const MIGRATIONS: &[&str] = &[
    // 1: accounts, kicks' invalidations (apart from accounts, so that deleting an account keeps
    // its kick), and the daily figures with each day's distinct users.
    "CREATE TABLE accounts (
        sdkappid INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        registered_ms INTEGER NOT NULL,
        PRIMARY KEY (sdkappid, user_id)
    ) WITHOUT ROWID;
    CREATE TABLE invalidations (
        sdkappid INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        before_secs INTEGER NOT NULL,
        PRIMARY KEY (sdkappid, user_id)
    ) WITHOUT ROWID;
    CREATE TABLE days (
        sdkappid INTEGER NOT NULL,
        day INTEGER NOT NULL,
        logins INTEGER NOT NULL,
        registered INTEGER NOT NULL,
        registered_total INTEGER NOT NULL,
        max_online INTEGER NOT NULL,
        PRIMARY KEY (sdkappid, day)
    ) WITHOUT ROWID;
    CREATE TABLE day_users (
        sdkappid INTEGER NOT NULL,
        day INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        PRIMARY KEY (sdkappid, day, user_id)
    ) WITHOUT ROWID;",
];

/// The schema version this build writes.
pub fn current_version() -> u32 {
    u32::try_from(MIGRATIONS.len()).expect("a few migrations")
}

/// Checks that `connection` holds a tim-server database this build can use, and migrates it to
/// [`current_version`]. A new, empty file becomes a database of this version. Returns the
/// version found.
pub fn prepare(connection: &mut Connection, shown_as: &str) -> Result<u32, Refused> {
    let unreadable = |e: rusqlite::Error| {
        Refused(format!(
            "{shown_as} is not a readable SQLite database ({e}): restore it from a backup, or move \
             it away to start with no data"
        ))
    };
    let pragma = |connection: &Connection, name: &str| -> Result<i64, Refused> {
        connection
            .pragma_query_value(None, name, |row| row.get(0))
            .map_err(unreadable)
    };
    let application_id = pragma(connection, "application_id")?;
    let version = pragma(connection, "user_version")?;
    let tables: i64 = connection
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .map_err(unreadable)?;
    let ours = application_id == i64::from(APPLICATION_ID);
    if !ours && (application_id != 0 || version != 0 || tables != 0) {
        return Err(Refused(format!(
            "{shown_as} is a SQLite database of another program (application_id {application_id}): \
             give tim-server a folder of its own"
        )));
    }
    let found = u32::try_from(version).map_err(|_| newer(shown_as, version))?;
    if found > current_version() {
        return Err(newer(shown_as, version));
    }
    let check = quick_check(connection).map_err(unreadable)?;
    if check != "ok" {
        return Err(Refused(format!(
            "{shown_as} is damaged ({check}): restore it from a backup, or move it away to start \
             with no data"
        )));
    }
    migrate(connection, found, current_version()).map_err(|e| {
        Refused(format!(
            "cannot bring {shown_as} from schema version {found} to {}: {e}",
            current_version()
        ))
    })?;
    Ok(found)
}

/// SQLite's `quick_check`: `ok`, or its first few findings.
fn quick_check(connection: &Connection) -> rusqlite::Result<String> {
    let mut statement = connection.prepare("PRAGMA quick_check(4)")?;
    let findings: Vec<String> = statement
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(findings.join("; "))
}

fn newer(shown_as: &str, version: i64) -> Refused {
    Refused(format!(
        "{shown_as} has schema version {version}, newer than this tim-server's {}: run the newer \
         tim-server that wrote it",
        current_version()
    ))
}

/// Applies the migrations from version `from` up to `to`, each in its own transaction.
pub fn migrate(connection: &mut Connection, from: u32, to: u32) -> rusqlite::Result<()> {
    for version in from..to {
        let tx = connection.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        tx.execute_batch(MIGRATIONS[version as usize])?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
    Ok(())
}
