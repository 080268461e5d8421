//! The core logs through the `log` facade at the level `init_sdk` sets, and no line carries a
//! ticket.

mod support;

use std::sync::Mutex;
use support::*;
use tim_core::{LogLevel, TimManager};

/// Keeps every line; installed before the core would install its own stderr logger.
struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            self.0
                .lock()
                .unwrap()
                .push(format!("{} {}", record.level(), record.args()));
        }
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

#[tokio::test]
async fn debug_logs_describe_the_session_and_never_hold_a_ticket() {
    log::set_logger(&CAPTURE).unwrap();
    let server = start_server().await;
    let manager = TimManager::new();
    manager
        .init_sdk(APP, LogLevel::Debug, sdk_config(&server.url()))
        .unwrap();
    let alice = ticket("alice");
    let forged = tim_usersig::sign("guess", &tim_usersig::Claims::new(APP, "alice", now(), 60));
    assert_eq!(
        manager.login("alice", &forged).await.unwrap_err().code,
        70009
    );
    manager.login("alice", &alice).await.unwrap();
    manager.logout().await.unwrap();
    manager.un_init_sdk().await.unwrap();

    let lines = CAPTURE.0.lock().unwrap().clone();
    assert!(lines.iter().any(|l| l.contains("logged in")), "{lines:#?}");
    assert!(
        lines.iter().any(|l| l.starts_with("DEBUG")),
        "debug level is on: {lines:#?}"
    );
    for line in &lines {
        assert!(
            !line.contains(&alice) && !line.contains(&forged),
            "a ticket was logged: {line}"
        );
    }

    // Level "none" silences the core.
    let count = lines.len();
    let quiet = TimManager::new();
    quiet
        .init_sdk(APP, LogLevel::None, sdk_config(&server.url()))
        .unwrap();
    quiet.login("bob", &ticket("bob")).await.unwrap();
    assert_eq!(CAPTURE.0.lock().unwrap().len(), count);
    server.shutdown().await;
}
