use super::schema::{self, APPLICATION_ID};
use super::*;

/// A data folder (not yet created) in a scratch folder of its own, removed with it.
struct TempDir {
    _scratch: tim_testkit::ScratchDir,
    data: PathBuf,
}

impl TempDir {
    fn new(name: &str) -> Self {
        let scratch = tim_testkit::ScratchDir::new(&format!("db-{name}")).unwrap();
        let data = scratch.path().join("data");
        TempDir {
            _scratch: scratch,
            data,
        }
    }

    fn db(&self) -> PathBuf {
        self.data.join(DB_FILE)
    }
}

fn account(app: u64, user: &str) -> AccountKey {
    AccountKey {
        sdk_app_id: app,
        user_id: user.into(),
    }
}

fn refusal(dir: &Path) -> String {
    match Database::open(dir) {
        Ok(_) => panic!("{} opened", dir.display()),
        Err(Refused(reason)) => reason,
    }
}

#[tokio::test]
async fn one_process_holds_the_folder_until_it_closes() {
    let dir = TempDir::new("lock");
    let (database, _) = Database::open(&dir.data).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dir.data).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o700,
            "only the server's user reads the folder"
        );
    }
    let reason = refusal(&dir.data);
    assert!(reason.contains("in use by another tim-server"), "{reason}");
    assert!(
        reason.contains(&format!("pid {}", std::process::id())),
        "{reason}"
    );
    database.close().await.unwrap();
    let err = database.write(vec![]).await.unwrap_err();
    assert!(err.0.contains("closed"), "{err}");
    let (again, _) = Database::open(&dir.data).unwrap();
    again.close().await.unwrap();
}

#[tokio::test]
async fn what_was_committed_is_read_back_and_a_kick_outlives_the_account() {
    let dir = TempDir::new("roundtrip");
    let (database, snapshot) = Database::open(&dir.data).unwrap();
    assert!(snapshot.accounts.is_empty() && snapshot.days.is_empty());
    let (alice, bob) = (account(7, "alice"), account(u64::MAX, "bob"));
    let day = StoredDay {
        app: 7,
        day: 20_000,
        logins: 3,
        registered: 2,
        registered_total: 2,
        max_online: 1,
    };
    let writes = vec![
        Write::Register {
            account: alice.clone(),
            at_ms: 1,
        },
        Write::Register {
            account: bob.clone(),
            at_ms: 2,
        },
        Write::Invalidate {
            account: alice.clone(),
            before: 500,
        },
        Write::Invalidate {
            account: alice.clone(),
            before: 400,
        },
        Write::Unregister(alice.clone()),
        Write::Register {
            account: bob.clone(),
            at_ms: 3,
        },
        Write::Day(day),
        Write::ActiveUser {
            app: 7,
            day: 20_000,
            user_id: "alice".into(),
        },
        Write::Day(StoredDay { day: 19_000, ..day }),
        Write::PruneDaysBefore(19_500),
    ];
    database.write(writes).await.unwrap();
    database.close().await.unwrap();
    let (database, snapshot) = Database::open(&dir.data).unwrap();
    assert_eq!(snapshot.accounts, [bob], "SDKAppIDs keep all 64 bits");
    assert_eq!(
        snapshot.invalidations,
        [(alice, 500)],
        "the later time wins, and deleting the account keeps it"
    );
    assert_eq!(snapshot.days, [(day, vec!["alice".to_owned()])]);
    assert_eq!(snapshot.migrated_from, current_version());
    database.close().await.unwrap();
}

#[tokio::test]
async fn writes_queued_together_commit_together_in_order() {
    let dir = TempDir::new("group");
    let (database, _) = Database::open(&dir.data).unwrap();
    let commits: Vec<_> = (0..200)
        .map(|i| {
            let user = format!("u{}", i % 10);
            let write = if i % 2 == 0 {
                Write::Register {
                    account: account(1, &user),
                    at_ms: i,
                }
            } else {
                Write::Unregister(account(1, &user))
            };
            database.write(vec![write])
        })
        .collect();
    for commit in commits {
        commit.await.unwrap();
    }
    database.close().await.unwrap();
    let (database, snapshot) = Database::open(&dir.data).unwrap();
    // Each user's last write (i = 190..199) is a deletion for odd users, a registration for even.
    let mut users: Vec<_> = snapshot.accounts.into_iter().map(|a| a.user_id).collect();
    users.sort();
    assert_eq!(users, ["u0", "u2", "u4", "u6", "u8"]);
    database.close().await.unwrap();
}

/// Rows each schema version can hold, added after migrating to it: every later migration must
/// keep them. A new migration adds its fixture here.
const FIXTURES: &[&str] = &[
    // 1
    "INSERT INTO accounts VALUES (7, 'alice', 1);
     INSERT INTO invalidations VALUES (7, 'mallory', 100);
     INSERT INTO days VALUES (7, 20000, 5, 1, 1, 2);
     INSERT INTO day_users VALUES (7, 20000, 'alice');",
];

#[tokio::test]
async fn a_database_of_every_earlier_version_migrates_and_keeps_its_rows() {
    assert_eq!(FIXTURES.len(), MIGRATIONS.len(), "a fixture per version");
    for version in 0..=current_version() {
        let dir = TempDir::new(&format!("v{version}"));
        create_private_dir(&dir.data).unwrap();
        let mut connection = Connection::open(dir.db()).unwrap();
        for v in 0..version {
            schema::migrate(&mut connection, v, v + 1).unwrap();
            connection.execute_batch(FIXTURES[v as usize]).unwrap();
        }
        drop(connection);
        let (database, snapshot) = Database::open(&dir.data).unwrap();
        assert_eq!(snapshot.migrated_from, version);
        if version >= 1 {
            assert_eq!(snapshot.accounts, [account(7, "alice")], "from {version}");
            assert_eq!(snapshot.invalidations, [(account(7, "mallory"), 100)]);
            assert_eq!(snapshot.days.len(), 1);
            assert_eq!(snapshot.days[0].1, ["alice"]);
        }
        database.close().await.unwrap();
        let connection = Connection::open(dir.db()).unwrap();
        let stored: u32 = connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(stored, current_version(), "from {version}");
    }
}

#[test]
fn a_newer_a_foreign_a_garbled_or_a_damaged_database_is_refused() {
    let newer = TempDir::new("newer");
    create_private_dir(&newer.data).unwrap();
    let connection = Connection::open(newer.db()).unwrap();
    connection
        .pragma_update(None, "application_id", APPLICATION_ID)
        .unwrap();
    connection
        .pragma_update(None, "user_version", current_version() + 1)
        .unwrap();
    drop(connection);
    let reason = refusal(&newer.data);
    assert!(reason.contains("newer than this tim-server's"), "{reason}");

    let foreign = TempDir::new("foreign");
    create_private_dir(&foreign.data).unwrap();
    Connection::open(foreign.db())
        .unwrap()
        .execute_batch("CREATE TABLE notes (text TEXT)")
        .unwrap();
    let reason = refusal(&foreign.data);
    assert!(reason.contains("another program"), "{reason}");

    let garbled = TempDir::new("garbled");
    create_private_dir(&garbled.data).unwrap();
    std::fs::write(garbled.db(), vec![0x5a; 8192]).unwrap();
    let reason = refusal(&garbled.data);
    assert!(
        reason.contains("not a readable SQLite database"),
        "{reason}"
    );

    // A real database whose table pages were overwritten after it was written.
    let damaged = TempDir::new("damaged");
    create_private_dir(&damaged.data).unwrap();
    let mut connection = Connection::open(damaged.db()).unwrap();
    connection.pragma_update(None, "page_size", 4096).unwrap();
    schema::migrate(&mut connection, 0, current_version()).unwrap();
    let tx = connection.transaction().unwrap();
    for i in 0..2000 {
        tx.execute(
            "INSERT INTO accounts VALUES (7, ?1, 0)",
            [format!("user-{i:05}")],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    drop(connection);
    let mut bytes = std::fs::read(damaged.db()).unwrap();
    assert!(bytes.len() > 8 * 4096);
    for byte in &mut bytes[3 * 4096..6 * 4096] {
        *byte = 0xa5;
    }
    std::fs::write(damaged.db(), bytes).unwrap();
    let reason = refusal(&damaged.data);
    assert!(
        reason.contains("damaged") || reason.contains("not a readable"),
        "{reason}"
    );
}
