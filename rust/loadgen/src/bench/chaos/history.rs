//! What happened in a run, as the checks read it: every client call with its start, end and
//! result, the SDK's events, the faults, the REST calls and whether they were acknowledged, and a
//! sample of who each client believes is online every half second. Times are milliseconds from
//! the start of the churn; the start's wall-clock time turns them into the seconds tickets carry.

use super::schedule::Action;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tim_protocol::Platform;

/// A client's call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `login` with a ticket signed at this Unix second.
    Login { ticket_time: u64 },
    /// `logout`.
    Logout,
}

/// One entry of the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// A client's call, which started at `started` (the entry's time is its end).
    Call {
        client: usize,
        user: String,
        call: Call,
        started: u64,
        /// `Err` holds the code (or `timeout`).
        outcome: Result<(), String>,
    },
    /// An SDK event (`onConnectSuccess`, `onKickedOffline`, ...) of a client, as which user it
    /// was logged in (or logging in) then.
    Event {
        client: usize,
        user: Option<String>,
        event: &'static str,
    },
    /// A fault, begun or ended at `started`, done at the entry's time.
    Fault { action: Action, started: u64 },
    /// A REST call (kick, import), acknowledged (`ok`) or not.
    Rest {
        action: Action,
        user: String,
        started: u64,
        ok: bool,
    },
    /// After quiescence: whether an acknowledged import's account exists.
    AccountChecked { user: String, imported: bool },
    /// After quiescence: a login of a kicked user with a ticket signed before the kick, and the
    /// code it got (0: it logged in).
    KickProbe {
        user: String,
        ticket_time: u64,
        code: i32,
    },
}

/// An entry and when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Milliseconds from the start.
    pub at: u64,
    /// What.
    pub what: What,
}

/// A client that believes it is online: logged in, and its last connection event a success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Online {
    pub client: usize,
    pub instance: String,
    pub user: String,
    pub platform: Platform,
    /// When the ticket it logged in with was signed (Unix seconds).
    pub ticket_time: u64,
    /// Since when (ms into the run) it has believed so without a break.
    pub since: u64,
}

/// Who the clients believed online at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub at: u64,
    pub online: Vec<Online>,
}

/// How a client ended the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    pub client: usize,
    /// `Some(user)` when logged in, and then whether it holds a connection.
    pub user: Option<String>,
    pub connected: bool,
    /// Still logging in after the wait.
    pub unsettled: bool,
}

/// A run's history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// The start's Unix time in ms.
    pub start_unix_ms: u64,
    pub entries: Vec<Entry>,
    pub samples: Vec<Sample>,
}

impl History {
    /// The Unix second of a time of the history.
    pub fn unix_secs(&self, at: u64) -> u64 {
        (self.start_unix_ms + at) / 1000
    }
}

/// Where the run's tasks write the history.
#[derive(Clone)]
pub struct Recorder {
    start: Instant,
    start_unix_ms: u64,
    entries: Arc<Mutex<Vec<Entry>>>,
    samples: Arc<Mutex<Vec<Sample>>>,
}

impl Recorder {
    pub fn new() -> Recorder {
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Recorder {
            start: Instant::now(),
            start_unix_ms: unix,
            entries: Arc::default(),
            samples: Arc::default(),
        }
    }

    /// Milliseconds since the start.
    pub fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// When the run started.
    pub fn start(&self) -> Instant {
        self.start
    }

    pub fn record(&self, what: What) {
        let entry = Entry {
            at: self.now(),
            what,
        };
        self.entries.lock().expect("history").push(entry);
    }

    pub fn sample(&self, online: Vec<Online>) {
        let sample = Sample {
            at: self.now(),
            online,
        };
        self.samples.lock().expect("history").push(sample);
    }

    /// The history so far.
    pub fn history(&self) -> History {
        let mut entries = self.entries.lock().expect("history").clone();
        entries.sort_by_key(|e| e.at);
        History {
            start_unix_ms: self.start_unix_ms,
            entries,
            samples: self.samples.lock().expect("history").clone(),
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.at as f64 / 1000.0;
        match &self.what {
            What::Call {
                client,
                user,
                call,
                started,
                outcome,
            } => {
                let call = match call {
                    Call::Login { ticket_time } => format!("login({user}, ticket@{ticket_time})"),
                    Call::Logout => format!("logout() as {user}"),
                };
                let outcome = match outcome {
                    Ok(()) => "ok".to_owned(),
                    Err(code) => format!("error {code}"),
                };
                let started = *started as f64 / 1000.0;
                write!(
                    f,
                    "{started:8.3}..{at:.3} client {client}: {call} -> {outcome}"
                )
            }
            What::Event {
                client,
                user,
                event,
            } => {
                let user = user.as_deref().unwrap_or("-");
                write!(f, "{at:8.3} client {client} ({user}): {event}")
            }
            What::Fault { action, started } => {
                let started = *started as f64 / 1000.0;
                write!(f, "{started:8.3}..{at:.3} fault {action:?}")
            }
            What::Rest {
                action,
                started,
                ok,
                ..
            } => {
                let started = *started as f64 / 1000.0;
                let ok = if *ok { "acknowledged" } else { "failed" };
                write!(f, "{started:8.3}..{at:.3} REST {action:?} {ok}")
            }
            What::AccountChecked { user, imported } => {
                write!(f, "{at:8.3} account_check {user}: imported={imported}")
            }
            What::KickProbe {
                user,
                ticket_time,
                code,
            } => write!(
                f,
                "{at:8.3} probe login({user}, ticket@{ticket_time}) -> {code}"
            ),
        }
    }
}
