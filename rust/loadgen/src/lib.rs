//! A raw client of the `tim-server` protocol — one WebSocket, frames in and out, no retries and no
//! state machine — for the server's integration tests and the load generator.

pub mod client;

#[cfg(feature = "tls")]
pub use client::connect_with_tls;
pub use client::{Connection, LoginOutcome, connect, connect_on, login_request};
/// The TLS library of [`connect_with_tls`], so that callers build its `ClientConfig` with the
/// same version.
#[cfg(feature = "tls")]
pub use rustls;
/// WebSocket messages, for tests that send frames the protocol does not define.
pub use tokio_tungstenite::tungstenite::Message;
