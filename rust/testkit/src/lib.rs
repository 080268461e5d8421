//! What the tests of `tim-server` and the SDK stand on:
//!
//! - [`client`]: the raw protocol client (one WebSocket, frames in and out) that the server's
//!   tests and the load generator speak through;
//! - [`ServerProcess`]: the `tim-server` command, started and read the way scripts do;
//! - [`RedisServer`] and [`RedisCluster`]: Debian's `redis-server` on free loopback ports, to be
//!   killed, stopped and restarted empty; [`Haproxy`]: a TCP balancer in front of several nodes;
//! - [`FaultProxy`]: a TCP proxy that a test puts between a client and a server to cut, stall,
//!   refuse or delay its connections, or to move them to a restarted server;
//! - [`TestPki`], certificates made at test time for TLS, and [`tickets`], signed the way an
//!   app's business server signs them; [`ScratchDir`], a folder that goes with its test.
//!
//! ```no_run
//! # async fn run(server: std::net::SocketAddr) {
//! use std::time::Duration;
//! let proxy = tim_testkit::FaultProxy::start(server).await;
//! let url = proxy.url_ws(); // give this to the client instead of the server's URL
//! proxy.set_delay(Duration::from_millis(50)); // a round trip now costs at least 100 ms
//! proxy.stall(); // a blackhole: the connections stay open, nothing gets through
//! proxy.resume();
//! proxy.cut().await; // every connection is closed, as when the server restarts
//! # }
//! ```
//!
//! Every control takes effect when it returns, so tests need no sleeps to let a fault "settle".
//! Every process a helper starts is killed when the helper is dropped.

pub mod client;
mod daemon;
pub mod haproxy;
mod pki;
mod proxy;
mod redis;
mod scratch;
mod server_process;
pub mod tickets;

/// The Redis client the helpers use, for a test's own commands.
pub use ::redis as redis_client;
pub use haproxy::Haproxy;
pub use pki::TestPki;
pub use proxy::FaultProxy;
pub use redis::{RedisCluster, RedisServer};
pub use scratch::ScratchDir;
pub use server_process::ServerProcess;
