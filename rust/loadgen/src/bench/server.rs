//! The server under test: started here on `127.0.0.1:0`, or attached to on a loopback address.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// How to reach the server.
#[derive(Debug, Clone)]
pub struct TargetOptions {
    /// The binary to start.
    pub server_bin: PathBuf,
    /// A running server to attach to instead.
    pub url: Option<String>,
    /// The SDKAppID.
    pub app: u64,
    /// The app's key.
    pub key: String,
    /// Whether the started server's stderr goes to ours.
    pub server_log: bool,
}

/// The server under test.
pub struct Target {
    /// Its WebSocket URL.
    pub url: String,
    /// Its address (always loopback).
    pub addr: SocketAddr,
    /// The SDKAppID tickets are signed for.
    pub app: u64,
    /// The app's key.
    pub key: String,
    /// The server process, when started here.
    child: Option<Child>,
}

/// How long the server gets to print its listening line.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// The loopback address in a `ws://HOST:PORT` URL, or why there is none.
fn loopback_addr(url: &str) -> Result<SocketAddr, String> {
    let rest = url
        .strip_prefix("ws://")
        .ok_or_else(|| format!("{url}: only ws:// URLs are measured"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    let addr: SocketAddr = authority.parse().map_err(|_| {
        format!("{url}: give the server as ws://127.0.0.1:PORT (an IP address and a port)")
    })?;
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_loopback() => Ok(addr),
        _ => Err(format!(
            "{url}: the load generator only connects to 127.0.0.0/8"
        )),
    }
}

impl Target {
    /// Starts the server binary with `extra` arguments, or attaches to `options.url`.
    pub async fn start(options: &TargetOptions, extra: &[&str]) -> Result<Target, String> {
        if let Some(url) = &options.url {
            let addr = loopback_addr(url)?;
            return Ok(Target {
                url: format!("ws://{addr}"),
                addr,
                app: options.app,
                key: options.key.clone(),
                child: None,
            });
        }
        let bin = &options.server_bin;
        if !bin.exists() {
            return Err(format!(
                "{} not found: build it with `cargo build --release -p tim-server`, or give --server-bin",
                bin.display()
            ));
        }
        let mut child = Command::new(bin)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--app",
                &format!("{}:{}", options.app, options.key),
            ])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if options.server_log {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout of the server")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(START_TIMEOUT, lines.next_line())
            .await
            .map_err(|_| format!("the server printed no listening line within {START_TIMEOUT:?}"))?
            .map_err(|e| format!("reading the server's stdout: {e}"))?
            .ok_or("the server exited before listening (run with --server-log to see why)")?;
        let url = line
            .strip_prefix("listening on ")
            .ok_or_else(|| format!("unexpected first line from the server: {line:?}"))?
            .trim()
            .to_owned();
        let addr = loopback_addr(&url)?;
        // Nothing else is expected on stdout; keep reading so the server can never block on it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Target {
            url,
            addr,
            app: options.app,
            key: options.key.clone(),
            child: Some(child),
        })
    }

    /// The server's process id, when started here.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// The server's resident memory in KiB, when started here.
    pub fn rss_kib(&self) -> Option<u64> {
        super::rss_kib(self.pid()?)
    }

    /// The server's CPU time so far, when started here.
    pub fn cpu_time(&self) -> Option<Duration> {
        super::cpu_time(&self.pid()?.to_string())
    }

    /// One value from the server's `/metrics`, or `None` if the server or the metric is not there.
    pub async fn metric(&self, name: &str) -> Option<f64> {
        let text = tokio::time::timeout(Duration::from_secs(5), self.metrics_text())
            .await
            .ok()??;
        text.lines()
            .filter(|line| !line.starts_with('#'))
            .find_map(|line| {
                line.strip_prefix(name)?
                    .strip_prefix(' ')?
                    .trim()
                    .parse()
                    .ok()
            })
    }

    async fn metrics_text(&self) -> Option<String> {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.ok()?;
        let request = format!(
            "GET /metrics HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n\r\n",
            self.addr
        );
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await.ok()?;
        let (head, body) = response.split_once("\r\n\r\n")?;
        head.starts_with("HTTP/1.1 200").then(|| body.to_owned())
    }

    /// Stops the server if it was started here.
    pub async fn stop(self) {
        if let Some(mut child) = self.child {
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_urls_are_accepted() {
        assert_eq!(loopback_addr("ws://127.0.0.1:7311").unwrap().port(), 7311);
        assert!(loopback_addr("ws://127.0.0.9:7311/").is_ok());
        assert!(loopback_addr("ws://10.0.0.1:7311").is_err());
        assert!(loopback_addr("ws://localhost:7311").is_err());
        assert!(loopback_addr("wss://127.0.0.1:7311").is_err());
        assert!(loopback_addr("ws://[::1]:7311").is_err());
    }
}
