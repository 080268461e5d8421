//! The measurements, and what they share: file descriptor limits, process readings from `/proc`,
//! the loopback TCP connections every login opens.

pub mod chaos;
pub mod cluster;
pub mod failover;
pub mod idle;
pub mod logins;
pub mod online;
pub mod server;
pub mod soak;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;
use tim_testkit::client::Error;
use tokio::net::{TcpSocket, TcpStream};

/// Raises this process's open file limit to at least `needed` (the server it starts inherits the
/// raised limit). The soft limit goes up to the hard one; past that, the hard limit too, which
/// needs root.
pub fn raise_fd_limit(needed: u64) -> Result<(), String> {
    use rlimit::Resource;
    let (soft, hard) = Resource::NOFILE
        .get()
        .map_err(|e| format!("cannot read the open file limit: {e}"))?;
    if soft >= needed {
        return Ok(());
    }
    if hard >= needed {
        return Resource::NOFILE
            .set(needed.max(soft), hard)
            .map_err(|e| format!("cannot raise the open file limit to {needed}: {e}"));
    }
    Resource::NOFILE.set(needed, needed).map_err(|e| {
        format!("cannot raise the open file limit to {needed} (hard limit {hard}): {e}; run as root or lower the count")
    })
}

/// The hard open file limit: how far [`raise_fd_limit`] can go without privileges.
pub fn fd_hard_limit() -> Result<u64, String> {
    rlimit::Resource::NOFILE
        .get()
        .map(|(_, hard)| hard)
        .map_err(|e| format!("cannot read the open file limit: {e}"))
}

/// Opens a TCP connection to `server` on loopback from `source` (port chosen by the kernel), with
/// a zero linger time: closing it sends a reset and leaves no TIME_WAIT entry behind, so a long run
/// of short connections never runs out of ephemeral ports.
pub async fn connect(server: SocketAddr, source: Option<Ipv4Addr>) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.set_zero_linger()?;
    socket.set_nodelay(true)?;
    if let Some(ip) = source {
        socket.bind(SocketAddr::V4(SocketAddrV4::new(ip, 0)))?;
    }
    socket.connect(server).await
}

/// Where a login failed, as a key for the error counts: the login result code, or the stage at
/// which the connection failed.
pub fn error_kind(stage: &'static str, error: &Error) -> String {
    let text = error.to_string();
    if text.contains("Too many open files") {
        return format!("{stage}: EMFILE");
    }
    if text.contains("Connection reset") {
        return format!("{stage}: reset");
    }
    if text.contains("Connection refused") {
        return format!("{stage}: refused");
    }
    if text.contains("Cannot assign requested address") {
        return format!("{stage}: EADDRNOTAVAIL");
    }
    stage.to_owned()
}

/// Adds one to `key`'s count.
pub fn count(errors: &mut BTreeMap<String, u64>, key: String) {
    *errors.entry(key).or_default() += 1;
}

/// Merges error counts.
pub fn merge(into: &mut BTreeMap<String, u64>, from: BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k).or_default() += v;
    }
}

/// CPU time (user + system) a process has used, from `/proc/PID/stat` (`self` for this one).
pub fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; fields are counted after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // Clock ticks: USER_HZ is 100 on every Linux architecture this runs on.
    Some(Duration::from_millis((utime + stime) * 10))
}

/// CPU time the whole machine has been busy (every state but idle and iowait, all CPUs), from
/// `/proc/stat`: compared with the server's and the load generator's, it shows what else ran.
pub fn machine_busy() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .map(|t| t.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal; guest time is already in user.
    let busy: u64 = ticks
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, t)| t)
        .sum();
    Some(Duration::from_millis(busy * 10))
}

/// A process's resident memory in KiB (`VmRSS` in `/proc/PID/status`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
}

impl Percentiles {
    /// Percentiles of latencies given in microseconds (sorted here).
    pub fn of(mut micros: Vec<u32>) -> Self {
        if micros.is_empty() {
            return Percentiles::default();
        }
        micros.sort_unstable();
        let at = |q: f64| {
            let rank = ((q * micros.len() as f64).ceil() as usize).clamp(1, micros.len());
            f64::from(micros[rank - 1]) / 1000.0
        };
        Percentiles {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: at(1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let p = Percentiles::of((1..=100).rev().map(|ms| ms * 1000).collect());
        assert_eq!((p.p50, p.p90, p.p99, p.max), (50.0, 90.0, 99.0, 100.0));
        assert_eq!(Percentiles::of(vec![]).max, 0.0);
    }

    #[test]
    fn reads_this_process() {
        assert!(rss_kib(std::process::id()).is_some_and(|kib| kib > 0));
        assert!(cpu_time("self").is_some());
        assert!(machine_busy().is_some());
    }
}
