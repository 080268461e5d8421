//! The SDK clients of a run: real `tim_core::TimManager`s through the balancer. Every user has
//! four devices of its own (two Android phones, an iPhone, a browser), and each device also logs
//! in now and then as the next user, so several clients compete for one user's place on one
//! platform, which the one-per-platform policy must settle by kicking.
//!
//! A device keeps the ticket it signed for a user until a login answers 70052 (the ticket was
//! signed before a kick), then signs a new one: after a REST kick, the old ticket is tried again,
//! which is what the "kicks hold" check watches. Half the devices heartbeat every 2 s and notice a
//! frozen node at once; the other half every 10 s, and stay on it through a stop.

use super::history::{Call, Online, Recorder, What};
use rand::Rng;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tim_core::{LogLevel, LoginStatus, SdkConfig, SdkEvent, TimManager};
use tim_protocol::Platform;
use tim_usersig::Claims;

/// Devices per user, and their platforms.
pub const DEVICES: [Platform; 4] = [
    Platform::Android,
    Platform::Android,
    Platform::IPhone,
    Platform::Web,
];
/// Code of a login whose ticket was signed before a kick.
pub const KICKED_TICKET: i32 = 70052;
/// Bound on one call: the core bounds its own by its connect and request timeouts.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The name of user `k`.
pub fn user_name(k: usize) -> String {
    format!("chaos-u{k}")
}

/// The current Unix second.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What a device knows of itself, shared with its listener.
#[derive(Default)]
struct Belief {
    /// The user of the last login call (in flight or done).
    user: Option<String>,
    /// The ticket time of that login.
    ticket_time: u64,
    /// Whether the last connection event was `onConnectSuccess`.
    connected: bool,
    /// When (ms into the run) that `onConnectSuccess` came.
    connected_since: u64,
}

/// One device.
pub struct Device {
    pub index: usize,
    pub instance: String,
    pub platform: Platform,
    manager: TimManager,
    /// Its own user and the next one.
    users: [String; 2],
    /// The ticket for each, and when it was signed.
    tickets: Mutex<[Option<(String, u64)>; 2]>,
    belief: Arc<Mutex<Belief>>,
    app: u64,
    key: String,
    recorder: Recorder,
}

impl Device {
    /// Device `index` of `users` users (device `index % 4` of user `index / 4`).
    pub fn start(
        index: usize,
        users: usize,
        url: &str,
        app: u64,
        key: &str,
        recorder: &Recorder,
    ) -> Result<Device, String> {
        let platform = DEVICES[index % DEVICES.len()];
        let own = index / DEVICES.len();
        let instance = format!("chaos-{index}");
        let manager = TimManager::new();
        let heartbeat = if index.is_multiple_of(2) { 2 } else { 10 };
        let config = SdkConfig {
            server_url: url.to_owned(),
            platform,
            instance_id: Some(instance.clone()),
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(5),
            heartbeat_interval: Duration::from_secs(heartbeat),
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(2),
            ..SdkConfig::default()
        };
        manager
            .init_sdk(app, LogLevel::Error, config)
            .map_err(|e| format!("initSDK: {e}"))?;
        let belief = Arc::new(Mutex::new(Belief::default()));
        let (seen, events) = (belief.clone(), recorder.clone());
        manager.add_listener(Arc::new(move |event: &SdkEvent| {
            let mut belief = seen.lock().expect("belief");
            belief.connected = matches!(event, SdkEvent::ConnectSuccess);
            if belief.connected {
                belief.connected_since = events.now();
            }
            events.record(What::Event {
                client: index,
                user: belief.user.clone(),
                event: event.name(),
            });
        }));
        Ok(Device {
            index,
            instance,
            platform,
            manager,
            users: [user_name(own), user_name((own + 1) % users)],
            tickets: Mutex::new([None, None]),
            belief,
            app,
            key: key.to_owned(),
            recorder: recorder.clone(),
        })
    }

    fn status(&self) -> LoginStatus {
        self.manager
            .get_login_status()
            .unwrap_or(LoginStatus::LoggedOut)
    }

    /// The ticket for user `side`, signed now if it has none.
    fn ticket(&self, side: usize) -> (String, u64) {
        let mut tickets = self.tickets.lock().expect("tickets");
        tickets[side]
            .get_or_insert_with(|| {
                let now = unix_now();
                let claims = Claims::new(self.app, &self.users[side], now, 86_400);
                (tim_usersig::sign(&self.key, &claims), now)
            })
            .clone()
    }

    async fn login(&self, side: usize) {
        let (ticket, ticket_time) = self.ticket(side);
        let user = self.users[side].clone();
        {
            let mut belief = self.belief.lock().expect("belief");
            belief.user = Some(user.clone());
            belief.ticket_time = ticket_time;
        }
        let started = self.recorder.now();
        let outcome =
            match tokio::time::timeout(CALL_TIMEOUT, self.manager.login(&user, &ticket)).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => {
                    if e.code == KICKED_TICKET {
                        self.tickets.lock().expect("tickets")[side] = None;
                    }
                    Err(e.code.to_string())
                }
                Err(_) => Err("timeout".to_owned()),
            };
        self.recorder.record(What::Call {
            client: self.index,
            user,
            call: Call::Login { ticket_time },
            started,
            outcome,
        });
    }

    async fn logout(&self) {
        let user = self.manager.get_login_user().unwrap_or_default();
        let started = self.recorder.now();
        let outcome = match tokio::time::timeout(CALL_TIMEOUT, self.manager.logout()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.code.to_string()),
            Err(_) => Err("timeout".to_owned()),
        };
        self.recorder.record(What::Call {
            client: self.index,
            user,
            call: Call::Logout,
            started,
            outcome,
        });
    }

    /// Random actions with random think times up to `pause`, until `stop`; the call in flight
    /// is awaited, so when this returns the device has nothing in flight.
    pub async fn churn(&self, stop: &AtomicBool, pause: Duration) {
        while !stop.load(Relaxed) {
            let think = rand::rng().random_range(Duration::ZERO..=pause);
            tokio::time::sleep(think).await;
            if stop.load(Relaxed) {
                break;
            }
            let roll = rand::rng().random_range(0..100);
            let own = usize::from(roll >= 75);
            match self.status() {
                LoginStatus::LoggedOut => self.login(own).await,
                LoginStatus::LoggingIn => {}
                LoginStatus::LoggedIn if roll < 15 => self.logout().await,
                LoginStatus::LoggedIn if roll < 30 => {
                    let current = self.manager.get_login_user().unwrap_or_default();
                    let other = usize::from(self.users[0] == current);
                    self.login(other).await;
                }
                LoginStatus::LoggedIn => {}
            }
        }
    }

    /// What the device believes now: online as a user, if logged in and connected.
    pub fn online(&self) -> Option<Online> {
        if self.status() != LoginStatus::LoggedIn {
            return None;
        }
        let user = self.manager.get_login_user().ok()?;
        let belief = self.belief.lock().expect("belief");
        (belief.connected && belief.user.as_deref() == Some(user.as_str())).then(|| Online {
            client: self.index,
            instance: self.instance.clone(),
            user,
            platform: self.platform,
            ticket_time: belief.ticket_time,
            since: belief.connected_since,
        })
    }

    /// Logged in (as whom) and connected; or logging in still.
    pub fn ending(&self) -> super::history::Ending {
        let status = self.status();
        let belief = self.belief.lock().expect("belief");
        super::history::Ending {
            client: self.index,
            user: (status == LoginStatus::LoggedIn)
                .then(|| self.manager.get_login_user().unwrap_or_default()),
            connected: belief.connected,
            unsettled: status == LoginStatus::LoggingIn,
        }
    }

    /// Waits up to `within` for a logged-in device to hold a connection (it may be reconnecting
    /// after the last fault).
    pub async fn settle(&self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            let connected = self.belief.lock().expect("belief").connected;
            if self.status() != LoginStatus::LoggingIn
                && (connected || self.status() == LoginStatus::LoggedOut)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn un_init(&self) {
        let _ = self.manager.un_init_sdk().await;
    }
}

/// A login of `user` with a ticket signed at `ticket_time` on a device of its own (a browser),
/// for the end of a run: the code it got (0 when it logged in, then logged out again).
pub async fn probe(url: &str, app: u64, key: &str, user: &str, ticket_time: u64) -> i32 {
    let manager = TimManager::new();
    let config = SdkConfig {
        server_url: url.to_owned(),
        platform: Platform::Web,
        instance_id: Some("chaos-probe".to_owned()),
        ..SdkConfig::default()
    };
    if manager.init_sdk(app, LogLevel::Error, config).is_err() {
        return -1;
    }
    let ticket = tim_usersig::sign(key, &Claims::new(app, user, ticket_time, 86_400));
    let code = match tokio::time::timeout(CALL_TIMEOUT, manager.login(user, &ticket)).await {
        Ok(Ok(())) => {
            let _ = manager.logout().await;
            0
        }
        Ok(Err(e)) => e.code,
        Err(_) => -2,
    };
    let _ = manager.un_init_sdk().await;
    code
}
