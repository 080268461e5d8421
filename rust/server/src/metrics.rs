//! Counters for `/metrics`, rendered in the Prometheus text format. Plain atomics: the server's
//! hot path pays one atomic add per event and nothing else. The callback counters and the DAU
//! live with the callbacks and the daily figures, and render next to these.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

/// Every counter the server exports.
#[derive(Debug, Default)]
pub struct Metrics {
    /// WebSocket connections open, logged in or not.
    pub connections_open: AtomicI64,
    /// Sessions logged in on this server.
    pub sessions_online: AtomicI64,
    logins_by_code: Mutex<BTreeMap<u32, u64>>,
    /// Sessions kicked by another login of their account.
    pub kicks: AtomicU64,
    /// Sessions ended because their ticket expired.
    pub usersig_expired: AtomicU64,
    /// Accounts registered by their first login.
    pub accounts_registered: AtomicU64,
    /// Connections closed for silence past the heartbeat timeout.
    pub heartbeat_timeouts: AtomicU64,
    /// Frames refused as malformed or too large.
    pub bad_frames: AtomicU64,
    rest_calls: Mutex<BTreeMap<(&'static str, u32), u64>>,
}

impl Metrics {
    /// Counts a login attempt by its result code.
    pub fn login(&self, code: u32) {
        let mut by_code = self
            .logins_by_code
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *by_code.entry(code).or_default() += 1;
    }

    /// Logins so far that ended with `code`.
    pub fn logins(&self, code: u32) -> u64 {
        let by_code = self
            .logins_by_code
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        by_code.get(&code).copied().unwrap_or(0)
    }

    /// Counts a REST call of `command` (`service/command`, or `unknown`) by its result code.
    pub fn rest_call(&self, command: &'static str, code: u32) {
        let mut calls = self.rest_calls.lock().unwrap_or_else(|e| e.into_inner());
        *calls.entry((command, code)).or_default() += 1;
    }

    /// REST calls so far of `command` that ended with `code`.
    pub fn rest_calls(&self, command: &str, code: u32) -> u64 {
        let calls = self.rest_calls.lock().unwrap_or_else(|e| e.into_inner());
        calls
            .iter()
            .filter(|((c, k), _)| *c == command && *k == code)
            .map(|(_, n)| n)
            .sum()
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(1024);
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            write_metric(&mut out, name, kind, help, &value);
        };
        let gauge = |v: &AtomicI64| v.load(Relaxed).to_string();
        let counter = |v: &AtomicU64| v.load(Relaxed).to_string();
        metric(
            "tim_connections_open",
            "gauge",
            "WebSocket connections open.",
            gauge(&self.connections_open),
        );
        metric(
            "tim_sessions_online",
            "gauge",
            "Sessions logged in on this server.",
            gauge(&self.sessions_online),
        );
        metric(
            "tim_kicks_total",
            "counter",
            "Sessions kicked offline by another login.",
            counter(&self.kicks),
        );
        metric(
            "tim_usersig_expired_total",
            "counter",
            "Sessions ended by an expired UserSig.",
            counter(&self.usersig_expired),
        );
        metric(
            "tim_accounts_registered_total",
            "counter",
            "Accounts registered by their first login.",
            counter(&self.accounts_registered),
        );
        metric(
            "tim_heartbeat_timeouts_total",
            "counter",
            "Connections closed after the heartbeat timeout.",
            counter(&self.heartbeat_timeouts),
        );
        metric(
            "tim_bad_frames_total",
            "counter",
            "Frames refused as malformed or too large.",
            counter(&self.bad_frames),
        );
        out.push_str("# HELP tim_logins_total Login attempts by result code.\n# TYPE tim_logins_total counter\n");
        let by_code = self
            .logins_by_code
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for (code, n) in by_code.iter() {
            let _ = writeln!(out, "tim_logins_total{{code=\"{code}\"}} {n}");
        }
        drop(by_code);
        out.push_str("# HELP tim_rest_calls_total REST API calls by command and result code.\n# TYPE tim_rest_calls_total counter\n");
        let calls = self.rest_calls.lock().unwrap_or_else(|e| e.into_inner());
        for ((command, code), n) in calls.iter() {
            let _ = writeln!(
                out,
                "tim_rest_calls_total{{command=\"{command}\",code=\"{code}\"}} {n}"
            );
        }
        out
    }
}

/// Appends one unlabelled metric with its help and type lines.
pub fn write_metric(out: &mut String, name: &str, kind: &str, help: &str, value: &str) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.login(0);
        m.login(0);
        m.login(70009);
        m.sessions_online.fetch_add(2, Relaxed);
        m.kicks.fetch_add(1, Relaxed);
        m.rest_call("im_open_login_svc/kick", 0);
        m.rest_call("unknown", 60009);
        let text = m.render();
        assert!(
            text.contains(
                "tim_rest_calls_total{command=\"im_open_login_svc/kick\",code=\"0\"} 1\n"
            ),
            "{text}"
        );
        assert_eq!(m.rest_calls("unknown", 60009), 1);
        assert!(text.contains("tim_logins_total{code=\"0\"} 2\n"), "{text}");
        assert!(
            text.contains("tim_logins_total{code=\"70009\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("\ntim_sessions_online 2\n"), "{text}");
        assert!(
            text.contains("# TYPE tim_kicks_total counter\ntim_kicks_total 1\n"),
            "{text}"
        );
        assert_eq!(m.logins(70001), 0);
    }
}
