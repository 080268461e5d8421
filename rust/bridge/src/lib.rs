//! `tim-bridge`: the one surface every host calls.
//!
//! A host (JNI on Android, Swift through UniFFI, N-API on Node) calls
//! [`Bridge::call`]`(method, params_json)` and gets `{"code","desc","data"?}` JSON back, and
//! receives events as `{"type","data"}` JSON through one [`EventSink`]. Method and event names are
//! the JavaScript API's (`initSDK`, `login`, `onKickedOffline`, ...). Parameters are checked here,
//! once: a missing parameter or a wrong type answers 6017 with a description that names the
//! parameter and the type it must have. Adding an API method means a core method, one arm in
//! [`dispatch`], and one TypeScript method; no host glue changes.

mod params;

use params::Params;
use serde_json::{Value, json};
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tim_core::{
    ListenerId, LogLevel, Platform, Request, SdkConfig, SdkEvent, TimError, TimManager, TimResult,
};

/// Tencent's codes, for host glue that answers a call the bridge cannot be asked (see
/// [`error_json`]): hosts reach the core only through this crate.
pub use tim_core::code;

/// Receives every event of a bridge's manager as `{"type": "onConnecting", "data": ...}` JSON.
/// Called on a core thread, in order; an implementation hands the text to its host's thread and
/// returns at once.
pub trait EventSink: Send + Sync + 'static {
    /// One event.
    fn on_event(&self, event_json: String);
}

impl<F: Fn(String) + Send + Sync + 'static> EventSink for F {
    fn on_event(&self, event_json: String) {
        self(event_json)
    }
}

/// A manager behind the JSON surface.
pub struct Bridge {
    manager: Arc<TimManager>,
    listener: ListenerId,
    /// Set by [`Bridge::close`]. The listener hands an event to the sink under the read lock, so
    /// `close`, taking the write lock, returns only once no event is on its way to the sink.
    closed: Arc<RwLock<bool>>,
}

/// Every method of the JavaScript API that the bridge answers.
pub const METHODS: &[&str] = &[
    "initSDK",
    "unInitSDK",
    "login",
    "logout",
    "getLoginUser",
    "getLoginStatus",
    "getVersion",
    "getServerTime",
    "callExperimentalAPI",
];

/// An event as the JavaScript listener receives it.
pub fn event_json(event: &SdkEvent) -> String {
    let data = match event {
        SdkEvent::ConnectFailed { code, desc } => json!({ "code": code, "desc": desc }),
        _ => Value::Null,
    };
    json!({ "type": event.name(), "data": data }).to_string()
}

fn result_json(result: TimResult<Value>) -> String {
    match result {
        Ok(Value::Null) => json!({ "code": 0, "desc": "ok" }).to_string(),
        Ok(data) => json!({ "code": 0, "desc": "ok", "data": data }).to_string(),
        Err(e) => error_json(e.code, &e.desc),
    }
}

/// A failed result, `{"code","desc"}`: for host glue that must answer a call the bridge cannot
/// be asked (a destroyed instance, an argument that is not text), in the bridge's own shape.
pub fn error_json(code: i32, desc: &str) -> String {
    json!({ "code": code, "desc": desc }).to_string()
}

impl Bridge {
    /// A bridge with its own manager, whose events go to `sink`.
    pub fn new(sink: Arc<dyn EventSink>) -> Self {
        let manager = Arc::new(TimManager::new());
        let closed = Arc::new(RwLock::new(false));
        let gate = closed.clone();
        let listener = manager.add_listener(Arc::new(move |event: &SdkEvent| {
            let closed = gate.read().unwrap_or_else(|e| e.into_inner());
            if !*closed {
                sink.on_event(event_json(event));
            }
        }));
        Bridge {
            manager,
            listener,
            closed,
        }
    }

    /// Ends the instance now, although callers may still hold it (a host whose calls in flight
    /// each keep a reference, as UniFFI's do): calls in flight answer 7009 as after `unInitSDK`
    /// (a login under way does not go on to log in), later calls answer 6013, and no event
    /// reaches the sink once this returns. The session is logged out without waiting for the
    /// server. Must not be called from the sink itself, which it waits for.
    pub fn close(&self) {
        {
            let mut closed = self.closed.write().unwrap_or_else(|e| e.into_inner());
            if *closed {
                return;
            }
            *closed = true;
        }
        self.manager.remove_listener(self.listener);
        let manager = self.manager.clone();
        tim_core::runtime().spawn(async move {
            let _ = manager.un_init_sdk().await;
        });
    }

    fn is_closed(&self) -> bool {
        *self.closed.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers one call with `{"code","desc","data"?}` JSON. Never fails: every problem is a code.
    /// For a host that awaits answers on its own executor: the answer is not ordered with the
    /// events (use [`call_with_callback`](Bridge::call_with_callback) for that).
    pub fn call(
        &self,
        method: &str,
        params_json: &str,
    ) -> impl Future<Output = String> + Send + 'static {
        let manager = self.manager.clone();
        let asked = self.ask(method, params_json);
        async move {
            match asked {
                Ok(Asked::Now(value)) => result_json(Ok(value)),
                Ok(Asked::Engine(request)) => {
                    result_json(manager.ask(request).await.map(|()| Value::Null))
                }
                Err(e) => result_json(Err(e)),
            }
        }
    }

    /// [`call`](Bridge::call) for a host's own executor (Swift's, Kotlin's coroutines, Python's
    /// asyncio): each poll runs inside the core runtime's context, so that anything tokio in the
    /// call finds its reactor and timers, while the engine's own work already runs on that
    /// runtime. An answer from local state (`getLoginStatus`) completes on the first poll, with
    /// no hop to another thread.
    pub fn call_on_any_executor(
        &self,
        method: &str,
        params_json: &str,
    ) -> impl Future<Output = String> + Send + 'static {
        let mut answer = Box::pin(self.call(method, params_json));
        std::future::poll_fn(move |cx| {
            let _context = tim_core::runtime().enter();
            answer.as_mut().poll(cx)
        })
    }

    /// Answers one call and hands the JSON to `done`, in the core's order: once the sink has
    /// returned from every event emitted before the answer, and before it is called with any
    /// event emitted after. `done` runs on a core thread, or on the caller's thread before this
    /// returns when nothing is queued ahead of the answer (a status query between events, a
    /// wrong type: no thread hop). A host that forwards events and answers to one thread as it
    /// receives them (JNI, N-API, Swift) so delivers them in the order the core produced them,
    /// whether the answer needed the engine (`login`) or not (`getLoginStatus`, a wrong type).
    /// Returns at once; `done` must only pass the answer on and return.
    pub fn call_with_callback(
        &self,
        method: &str,
        params_json: &str,
        done: impl FnOnce(String) + Send + 'static,
    ) {
        // An answer from the snapshot is read and queued in one step, as the engine publishes a
        // status and queues its event.
        self.manager
            .atomically(|| match self.ask(method, params_json) {
                Ok(Asked::Engine(request)) => self.manager.request(request, move |result| {
                    done(result_json(result.map(|()| Value::Null)))
                }),
                Ok(Asked::Now(value)) => self.in_order(result_json(Ok(value)), done),
                Err(e) => self.in_order(result_json(Err(e)), done),
            });
    }

    fn in_order(&self, json: String, done: impl FnOnce(String) + Send + 'static) {
        self.manager.in_order(move || done(json));
    }

    /// What `method` asks of the manager; `Err` for a closed bridge too.
    fn ask(&self, method: &str, params_json: &str) -> TimResult<Asked> {
        if self.is_closed() {
            return Err(TimError::new(
                code::SDK_NOT_INITIALIZED,
                "the SDK instance was closed",
            ));
        }
        dispatch(&self.manager, method, params_json)
    }
}

impl Drop for Bridge {
    /// Releases the manager: logs out and stops its engine, without waiting for the server.
    fn drop(&mut self) {
        self.close();
    }
}

fn milliseconds(params: &Params<'_>, name: &str) -> TimResult<Option<Duration>> {
    Ok(params.optional_unsigned(name)?.map(Duration::from_millis))
}

/// `initSDK`'s `config`, over the defaults.
fn sdk_config(config: Option<Params<'_>>) -> TimResult<SdkConfig> {
    let mut sdk = SdkConfig::default();
    let Some(config) = config else {
        return Ok(sdk);
    };
    config.only(&[
        "serverUrl",
        "platform",
        "instanceId",
        "connectTimeoutMs",
        "requestTimeoutMs",
        "heartbeatIntervalMs",
        "reconnectMinMs",
        "reconnectMaxMs",
        "extraCaPem",
        "allowCleartext",
    ])?;
    if let Some(url) = config.optional_string("serverUrl")? {
        sdk.server_url = url.to_owned();
    }
    if let Some(platform) = config.optional_string("platform")? {
        sdk.platform = platform.parse::<Platform>().map_err(|e| {
            TimError::new(
                code::INVALID_PARAMETERS,
                format!("initSDK: config.platform: {e}"),
            )
        })?;
    }
    sdk.instance_id = config.optional_string("instanceId")?.map(str::to_owned);
    sdk.extra_ca_pem = config.optional_string("extraCaPem")?.map(str::to_owned);
    sdk.allow_cleartext = config.optional_bool("allowCleartext")?.unwrap_or(false);
    let durations = [
        ("connectTimeoutMs", &mut sdk.connect_timeout),
        ("requestTimeoutMs", &mut sdk.request_timeout),
        ("heartbeatIntervalMs", &mut sdk.heartbeat_interval),
        ("reconnectMinMs", &mut sdk.reconnect_min),
        ("reconnectMaxMs", &mut sdk.reconnect_max),
    ];
    for (name, field) in durations {
        if let Some(value) = milliseconds(&config, name)? {
            *field = value;
        }
    }
    Ok(sdk)
}

/// What a call asks of the manager.
enum Asked {
    /// Answered already: `initSDK`, the status queries.
    Now(Value),
    /// For the engine to answer.
    Engine(Request),
}

/// Checks the parameters of `method` and calls the manager.
fn dispatch(manager: &TimManager, method: &str, params_json: &str) -> TimResult<Asked> {
    let params = Params::parse(method, params_json)?;
    let value = match method {
        "initSDK" => {
            params.only(&["sdkAppID", "logLevel", "config"])?;
            let sdk_app_id = params.unsigned("sdkAppID")?;
            let log_level = params.unsigned("logLevel")?;
            let log_level = i64::try_from(log_level)
                .ok()
                .and_then(LogLevel::from_code)
                .ok_or_else(|| {
                    TimError::new(
                        code::INVALID_PARAMETERS,
                        format!(
                            "initSDK: parameter logLevel must be 0, 3, 4, 5 or 6, got {log_level}"
                        ),
                    )
                })?;
            let config = sdk_config(params.object("config")?)?;
            manager.init_sdk(sdk_app_id, log_level, config)?;
            Ok(Value::Bool(true))
        }
        "unInitSDK" => {
            params.only(&[])?;
            return Ok(Asked::Engine(Request::UnInit));
        }
        "login" => {
            params.only(&["userID", "userSig"])?;
            let user_id = params.string("userID")?.to_owned();
            let user_sig = params.string("userSig")?.to_owned();
            return Ok(Asked::Engine(Request::Login { user_id, user_sig }));
        }
        "logout" => {
            params.only(&[])?;
            return Ok(Asked::Engine(Request::Logout));
        }
        "getLoginUser" => params
            .only(&[])
            .and_then(|()| manager.get_login_user().map(Value::String)),
        "getLoginStatus" => params
            .only(&[])
            .and_then(|()| manager.get_login_status().map(|s| json!(s.code()))),
        "getVersion" => params.only(&[]).map(|()| json!(TimManager::get_version())),
        "getServerTime" => params
            .only(&[])
            .and_then(|()| manager.get_server_time().map(|t| json!(t))),
        "callExperimentalAPI" => {
            params.only(&["api", "param"])?;
            let api = params.string("api")?;
            match api {
                "networkChanged" => {
                    manager.network_changed();
                    Ok(Value::Null)
                }
                other => Err(TimError::new(
                    code::INVALID_PARAMETERS,
                    format!("callExperimentalAPI: unknown api {other:?} (known: networkChanged)"),
                )),
            }
        }
        other => Err(TimError::new(
            code::INVALID_PARAMETERS,
            format!("unknown method {other:?} (known: {})", METHODS.join(", ")),
        )),
    };
    value.map(Asked::Now)
}
