//! Test helpers for the network faults a mobile client meets: [`FaultProxy`], a TCP proxy that a
//! test puts between a client and `tim-server` to cut, stall, refuse or delay its connections;
//! [`TestPki`], certificates made at test time for TLS; and [`tickets`], signed the way an
//! app's business server signs them.
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

mod pki;
mod proxy;
pub mod tickets;

pub use pki::TestPki;
pub use proxy::FaultProxy;
