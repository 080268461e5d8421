//! `TimManager`: the API of `V2TIMManager`. Every method checks its arguments and forwards to
//! the manager's engine; none blocks the caller's thread.

use crate::config::{LogLevel, SdkConfig};
use crate::engine::{Command, Engine, Identity, SharedSnapshot};
use crate::error::{TimError, TimResult, code};
use crate::events::{EventSender, ListenerId, Listeners, SdkListener, start_dispatcher};
use crate::status::LoginStatus;
use crate::transport::Endpoint;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};

/// One SDK instance. Several may live in one process (tests use two as two devices); hosts
/// expose one as the default.
pub struct TimManager {
    engine: Mutex<Option<EngineHandle>>,
    snapshot: SharedSnapshot,
    listeners: Arc<Listeners>,
    /// The one queue of events and answers, for every engine this manager starts: events of an
    /// engine being uninitialised come before the answers of calls made after.
    events: EventSender,
}

/// A call that the engine answers, for [`TimManager::request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// [`TimManager::login`].
    Login {
        /// The account.
        user_id: String,
        /// Its ticket.
        user_sig: String,
    },
    /// [`TimManager::logout`].
    Logout,
    /// [`TimManager::un_init_sdk`].
    UnInit,
}

struct EngineHandle {
    sdk_app_id: u64,
    commands: mpsc::UnboundedSender<Command>,
}

impl Default for TimManager {
    fn default() -> Self {
        TimManager::new()
    }
}

impl TimManager {
    /// A manager that is not initialised yet.
    pub fn new() -> Self {
        let listeners = Arc::new(Listeners::default());
        TimManager {
            engine: Mutex::new(None),
            snapshot: SharedSnapshot::default(),
            events: start_dispatcher(listeners.clone()),
            listeners,
        }
    }

    /// The SDK's version.
    pub fn get_version() -> &'static str {
        crate::VERSION
    }

    /// `initSDK`: prepares the manager for `sdk_app_id`. Calling it again for the same app is a
    /// no-op that succeeds; for another app it answers 90101 until `un_init_sdk`.
    pub fn init_sdk(
        &self,
        sdk_app_id: u64,
        log_level: LogLevel,
        config: SdkConfig,
    ) -> TimResult<()> {
        if sdk_app_id == 0 {
            return Err(TimError::new(
                code::INVALID_PARAMETERS,
                "sdkAppID must be a positive number",
            ));
        }
        config.validate()?;
        let tls = if config.is_tls() {
            Some(crate::tls::client_config(config.extra_ca_pem.as_deref())?)
        } else {
            None
        };
        crate::logging::init(log_level);
        let mut engine = self.lock_engine();
        if let Some(running) = engine.as_ref().filter(|e| !e.commands.is_closed()) {
            if running.sdk_app_id == sdk_app_id {
                return Ok(());
            }
            return Err(TimError::new(
                code::SDK_ALREADY_INITIALIZED,
                format!(
                    "the SDK is initialised for app {}; call unInitSDK first",
                    running.sdk_app_id
                ),
            ));
        }
        let identity = Identity {
            sdk_app_id,
            platform: config.platform,
            instance_id: config
                .instance_id
                .clone()
                .unwrap_or_else(|| format!("{:016x}", rand::random::<u64>())),
        };
        let endpoint = Endpoint {
            url: config.server_url.clone(),
            tls,
            connect_timeout: config.connect_timeout,
            request_timeout: config.request_timeout,
        };
        let (commands, receiver) = mpsc::unbounded_channel();
        let task = Engine::new(
            identity,
            endpoint,
            &config,
            self.snapshot.clone(),
            self.events.clone(),
        );
        crate::runtime::runtime().spawn(task.run(receiver));
        log::info!(
            "initialised for app {sdk_app_id}, server {}",
            config.server_url
        );
        *engine = Some(EngineHandle {
            sdk_app_id,
            commands,
        });
        Ok(())
    }

    /// `unInitSDK`: logs out, interrupts a login under way (it answers 7009), and releases the
    /// engine. Succeeds when not initialised.
    pub async fn un_init_sdk(&self) -> TimResult<()> {
        self.ask(Request::UnInit).await
    }

    /// `login`: logs in `user_id` with its ticket. See the crate docs for joins, switches and
    /// what each failure answers.
    pub async fn login(&self, user_id: &str, user_sig: &str) -> TimResult<()> {
        let (user_id, user_sig) = (user_id.to_owned(), user_sig.to_owned());
        self.ask(Request::Login { user_id, user_sig }).await
    }

    /// `logout`: logs out on the server; a login under way answers 6023.
    pub async fn logout(&self) -> TimResult<()> {
        self.ask(Request::Logout).await
    }

    /// [`request`](Self::request)'s answer, awaited.
    pub async fn ask(&self, request: Request) -> TimResult<()> {
        let (reply, answer) = oneshot::channel();
        self.request(request, move |result| {
            let _ = reply.send(result);
        });
        // The `Answer` answers even when dropped, so the sender is never dropped unanswered.
        answer
            .await
            .unwrap_or_else(|_| Err(TimError::new(code::INTERRUPTED, "interrupted by unInitSDK")))
    }

    /// [`login`](Self::login), [`logout`](Self::logout) or [`un_init_sdk`](Self::un_init_sdk) for
    /// a host that takes answers as callbacks: `answer` runs once the listeners have returned
    /// from every event emitted before the answer and before any emitted after it (on a core
    /// thread, or on the answering thread when no event is queued ahead), so a host forwarding
    /// both to one thread keeps the core's order. It must only pass the answer on and return.
    /// Returns at once.
    pub fn request(&self, request: Request, answer: impl FnOnce(TimResult<()>) + Send + 'static) {
        let answer = self.events.answer(answer);
        match request {
            Request::UnInit => {
                let handle = self.lock_engine().take();
                match handle {
                    Some(handle) => Self::command(&handle.commands, Command::UnInit(answer)),
                    None => answer.send(Ok(())),
                }
            }
            Request::Logout => match self.commands() {
                Ok(commands) => Self::command(&commands, Command::Logout(answer)),
                Err(e) => answer.send(Err(e)),
            },
            Request::Login { user_id, user_sig } => {
                let commands = self.commands().and_then(|commands| {
                    tim_protocol::validate_user_id(&user_id)
                        .map_err(|e| TimError::new(code::INVALID_IDENTIFIER, e))?;
                    Ok(commands)
                });
                match commands {
                    Ok(commands) => Self::command(
                        &commands,
                        Command::Login {
                            user_id,
                            user_sig,
                            reply: answer,
                        },
                    ),
                    Err(e) => answer.send(Err(e)),
                }
            }
        }
    }

    /// Runs `handover` once the listeners have returned from every event emitted so far, and
    /// before any emitted later: for a host's answers that need no engine (a status query, a
    /// parameter refused), so that they keep their place among the events too. Returns at once.
    pub fn in_order(&self, handover: impl FnOnce() + Send + 'static) {
        self.events.in_order(handover);
    }

    /// Runs `f` while the engine publishes no status change: a host that reads the status and
    /// queues its answer ([`in_order`](Self::in_order)) in `f` gets an answer in its exact place
    /// among the events (status 1 before the `onKickedOffline` that ends it, 3 after). `f` must
    /// only read and queue, never wait.
    pub fn atomically<R>(&self, f: impl FnOnce() -> R) -> R {
        self.events.atomically(f)
    }

    /// `getLoginUser`: the logged-in UserID, or "" when not logged in.
    pub fn get_login_user(&self) -> TimResult<String> {
        self.commands()?;
        Ok(self.read_snapshot().user_id)
    }

    /// `getLoginStatus`.
    pub fn get_login_status(&self) -> TimResult<LoginStatus> {
        self.commands()?;
        Ok(self.read_snapshot().status)
    }

    /// `getServerTime`: the server's clock in Unix seconds, kept by the offset learnt at login
    /// and with every heartbeat. Needs a login (6014 before).
    pub fn get_server_time(&self) -> TimResult<u64> {
        self.commands()?;
        let snapshot = self.read_snapshot();
        match (snapshot.status, snapshot.server_offset_ms) {
            (LoginStatus::LoggedIn, Some(offset)) => {
                let local = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis());
                let server = i128::try_from(local).unwrap_or(0) + i128::from(offset);
                Ok(u64::try_from(server / 1000).unwrap_or(0))
            }
            _ => Err(TimError::new(
                code::NOT_LOGGED_IN,
                "getServerTime needs a login",
            )),
        }
    }

    /// `addSDKListener`: the listener receives every event from now on, in order.
    pub fn add_listener(&self, listener: Arc<dyn SdkListener>) -> ListenerId {
        self.listeners.add(listener)
    }

    /// `removeSDKListener`. Returns whether the listener was registered.
    pub fn remove_listener(&self, id: ListenerId) -> bool {
        self.listeners.remove(id)
    }

    /// Tells the manager that the network changed (the host's connectivity callback): a
    /// reconnect waiting out its backoff tries again at once.
    pub fn network_changed(&self) {
        if let Ok(commands) = self.commands() {
            let _ = commands.send(Command::NetworkChanged);
        }
    }

    fn lock_engine(&self) -> std::sync::MutexGuard<'_, Option<EngineHandle>> {
        self.engine.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn commands(&self) -> TimResult<mpsc::UnboundedSender<Command>> {
        self.lock_engine()
            .as_ref()
            .filter(|e| !e.commands.is_closed())
            .map(|e| e.commands.clone())
            .ok_or_else(|| {
                TimError::new(
                    code::SDK_NOT_INITIALIZED,
                    "the SDK is not initialised: call initSDK first",
                )
            })
    }

    fn read_snapshot(&self) -> crate::engine::Snapshot {
        self.snapshot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Sends a command to the engine. An engine that stopped drops it, and its answer then
    /// answers 7009 (an `un_init_sdk` racing with the call).
    fn command(commands: &mpsc::UnboundedSender<Command>, command: Command) {
        let _ = commands.send(command);
    }
}
