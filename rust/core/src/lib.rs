//! `tim-core`: the SDK behind `TencentImSDKPlugin.v2TIMManager`.
//!
//! Every rule of the login API lives here, once; hosts (JNI, Swift, N-API) only marshal. A
//! [`TimManager`] logs in to a `tim-server` over one WebSocket and keeps the session alive:
//!
//! - `login` validates the UserID (7003) before touching the network; server codes (700xx)
//!   come back unchanged.
//! - A `login` for the user already logging in joins that login; for the logged-in user it
//!   renews the session's ticket on the server (protocol 2) and answers the server's verdict;
//!   for another user it switches accounts: the old one is logged out on the server first, and
//!   a login it interrupts answers 6023.
//! - `logout` during a login makes the login answer 6023; `un_init_sdk` makes it answer 7009.
//! - When the connection drops, the manager reconnects by itself with the same instance id and
//!   ticket (the server replaces the session rather than counting a new device), emitting
//!   `onConnecting` and then `onConnectSuccess` or `onConnectFailed`, retrying with capped
//!   exponential backoff and jitter. The status stays logged in throughout.
//! - A kick or an expired ticket logs out and emits `onKickedOffline` or `onUserSigExpired`; no
//!   reconnect follows. So does a reconnect refused for good: `onKickedOffline` for 6208 and
//!   70052, `onUserSigExpired` for any other refusal of the ticket.
//! - A connection that answers no heartbeat for two intervals is taken for dead.
//! - Every wait is bounded: connecting by the connect timeout (9510), answers by the request
//!   timeout (6012).
//!
//! Events reach listeners in order through a queue, off the core's worker threads.

pub mod backoff;
pub mod config;
mod engine;
pub mod error;
pub mod events;
mod logging;
mod manager;
mod renewal;
pub mod runtime;
pub mod status;
mod tls;
mod transport;

pub use config::{LogLevel, SdkConfig};
pub use error::{TimError, TimResult, code};
pub use events::{ListenerId, SdkEvent, SdkListener};
pub use manager::{Request, TimManager};
pub use runtime::runtime;
pub use status::LoginStatus;
pub use tim_protocol::Platform;

/// The SDK's version, sent to the server at login.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
