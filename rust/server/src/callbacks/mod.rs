//! Tencent's state-change callback (`State.StateChange`): a POST to the app's URL whenever one
//! of its users logs in, logs out, drops or is kicked by the app's server.
//!
//! Delivery never holds up the connection that caused the event: events go into bounded queues
//! and [`LANES`] tasks post them over keep-alive connections ([`endpoint`]), each request
//! bounded by [`REQUEST_TIMEOUT`] and retried after [`RETRY_DELAYS`]. A user's events all go
//! through one lane, which posts one event at a time, retries included: they arrive in the order
//! they happened on this server, never two of them in flight at once. Lanes let a distant
//! endpoint take [`LANES`] requests at once (about 4,000 events a second at 30 ms round trip); a
//! user whose events are being retried holds up only the users of its lane.
//!
//! Memory is bounded: a lane holds at most [`QUEUE_PER_LANE`] waiting events (16,384 in all,
//! a few hundred bytes each) and one in flight, and the pool at most one idle connection per
//! lane. An event that cannot be queued (its lane is full) or delivered (every try failed) is
//! counted as dropped, never silently lost.

mod endpoint;
mod event;

pub use endpoint::CallbackConfig;
pub use event::{Event, StateChange, sign};

use crate::clock::unix_millis;
use axum::body::Bytes;
use endpoint::Endpoint;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::{debug, warn};

/// Longest wait for one request's answer, connection included (Tencent's callback timeout).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// Waits before each retry of a failed request.
pub const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_millis(1000),
];
/// Lanes per server: requests in flight at once, and connections per endpoint at most.
pub const LANES: usize = 128;
/// Events each lane holds waiting before new ones are dropped.
pub const QUEUE_PER_LANE: usize = 128;

/// What happened to events, for `/metrics`.
#[derive(Debug, Default)]
pub struct CallbackCounts {
    /// Delivered (the endpoint answered 2xx).
    pub sent: AtomicU64,
    /// Requests that failed and were retried or given up.
    pub failed: AtomicU64,
    /// Events given up: every try failed, or the queue was full.
    pub dropped: AtomicU64,
}

impl CallbackCounts {
    /// Appends `tim_callbacks_total{result=...}` in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        out.push_str("# HELP tim_callbacks_total State-change callbacks: requests sent (2xx), requests failed, events dropped.\n# TYPE tim_callbacks_total counter\n");
        for (result, n) in [
            ("sent", &self.sent),
            ("failed", &self.failed),
            ("dropped", &self.dropped),
        ] {
            out.push_str(&format!(
                "tim_callbacks_total{{result=\"{result}\"}} {}\n",
                n.load(Relaxed)
            ));
        }
    }
}

struct Job {
    event: Event,
    endpoint: Arc<Endpoint>,
}

/// The callback queues of one server.
pub struct Callbacks {
    lanes: OnceLock<Vec<mpsc::Sender<Job>>>,
    /// One per configuration seen, each with its connections; apps are few, so a list.
    endpoints: Mutex<Vec<Arc<Endpoint>>>,
    /// What happened to events so far.
    pub counts: Arc<CallbackCounts>,
}

impl Default for Callbacks {
    fn default() -> Self {
        Callbacks {
            lanes: OnceLock::new(),
            endpoints: Mutex::default(),
            counts: Arc::default(),
        }
    }
}

impl Callbacks {
    /// Queues `event` for `config`'s endpoint; never waits. The lanes start with the first
    /// event, on the caller's runtime, and stop when the server's state is dropped.
    pub fn post(&self, config: &CallbackConfig, event: Event) {
        let Some(endpoint) = self.endpoint(config) else {
            self.counts.dropped.fetch_add(1, Relaxed);
            return;
        };
        let lanes = self.lanes.get_or_init(|| {
            (0..LANES)
                .map(|_| {
                    let (tx, rx) = mpsc::channel(QUEUE_PER_LANE);
                    tokio::spawn(lane(rx, self.counts.clone()));
                    tx
                })
                .collect()
        });
        let mut hasher = DefaultHasher::new();
        event.account.hash(&mut hasher);
        let lane = &lanes[(hasher.finish() % LANES as u64) as usize];
        if lane.try_send(Job { event, endpoint }).is_err() {
            self.counts.dropped.fetch_add(1, Relaxed);
            debug!("callback queue full: event dropped");
        }
    }

    /// The endpoint of `config`, made the first time it is seen; `None` if its `ca_file` cannot
    /// be read any more (it was checked at startup).
    fn endpoint(&self, config: &CallbackConfig) -> Option<Arc<Endpoint>> {
        let mut endpoints = self.endpoints.lock().unwrap();
        if let Some(endpoint) = endpoints.iter().find(|e| e.config == *config) {
            return Some(endpoint.clone());
        }
        match Endpoint::new(config.clone()) {
            Ok(endpoint) => {
                let endpoint = Arc::new(endpoint);
                endpoints.push(endpoint.clone());
                Some(endpoint)
            }
            Err(error) => {
                warn!(url = %config.url, %error, "callback endpoint unusable: event dropped");
                None
            }
        }
    }
}

/// Posts a lane's events one after the other.
async fn lane(mut jobs: mpsc::Receiver<Job>, counts: Arc<CallbackCounts>) {
    while let Some(job) = jobs.recv().await {
        deliver(&job, &counts).await;
    }
}

/// Posts one event, retrying after each of [`RETRY_DELAYS`]; counts what came of it.
async fn deliver(job: &Job, counts: &CallbackCounts) {
    let body = Bytes::from(job.event.body());
    let token = job.endpoint.config.token.as_deref();
    let mut delays = RETRY_DELAYS.iter();
    loop {
        let query = job.event.query(token, unix_millis() / 1000);
        let error =
            match tokio::time::timeout(REQUEST_TIMEOUT, job.endpoint.post(&query, body.clone()))
                .await
            {
                Ok(Ok(())) => {
                    counts.sent.fetch_add(1, Relaxed);
                    return;
                }
                Ok(Err(error)) => error,
                Err(_) => "timed out".to_owned(),
            };
        counts.failed.fetch_add(1, Relaxed);
        debug!(url = %job.endpoint.config.url, %error, "callback failed");
        match delays.next() {
            Some(&delay) => tokio::time::sleep(delay).await,
            None => {
                counts.dropped.fetch_add(1, Relaxed);
                return;
            }
        }
    }
}
