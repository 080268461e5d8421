//! A raw client of the `tim-server` protocol — one WebSocket, frames in and out, no retries and no
//! state machine — for the server's integration tests and the load generator.

pub mod client;

pub use client::{Connection, LoginOutcome, connect, connect_on, login_request};
/// WebSocket messages, for tests that send frames the protocol does not define.
pub use tokio_tungstenite::tungstenite::Message;
