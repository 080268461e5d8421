//! A raw client of the `tim-server` protocol — one WebSocket, frames in and out, no retries and no
//! state machine — for the server's integration tests and the load generator.

pub mod client;

pub use client::{Connection, LoginOutcome, connect, login_request};
