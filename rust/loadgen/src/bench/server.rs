//! The server under test: started here on `127.0.0.1:0`, or attached to on a loopback address.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use tim_testkit::ServerProcess;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
    /// The started server's data folder; `None` starts it `--ephemeral`.
    pub data: Option<PathBuf>,
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
    process: Option<ServerProcess>,
}

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
                process: None,
            });
        }
        let bin = &options.server_bin;
        if !bin.exists() {
            return Err(format!(
                "{} not found: build it with `cargo build --release -p tim-server`, or give --server-bin",
                bin.display()
            ));
        }
        let mut command = Command::new(bin);
        command
            .args([
                "--listen",
                "127.0.0.1:0",
                "--app",
                &format!("{}:{}", options.app, options.key),
            ])
            .args(extra);
        match &options.data {
            Some(dir) => command.arg("--data").arg(dir),
            // Nothing of a benchmark's run is worth keeping, unless the run measures keeping it.
            None => command.arg("--ephemeral"),
        };
        let process = ServerProcess::start(command, options.server_log).await?;
        let url = process.url().to_owned();
        let addr = loopback_addr(&url)?;
        Ok(Target {
            url,
            addr,
            app: options.app,
            key: options.key.clone(),
            process: Some(process),
        })
    }

    /// The server's process id, when started here.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(ServerProcess::pid)
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
        if let Some(mut process) = self.process {
            process.kill();
        }
    }
}

/// A `tim_server::Server` in this process (a cluster node named `node_id` on `redis` if given)
/// serving the test app, and a target attached to it: what the measurements' tests run against.
#[cfg(test)]
pub async fn in_process(
    redis: Option<(&tim_testkit::RedisServer, &str)>,
) -> (tim_server::RunningServer, Target) {
    use tim_testkit::tickets::{APP, KEY};
    let mut config = tim_server::ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        cluster: redis.map(|(redis, node_id)| tim_server::ClusterConfig {
            redis: tim_server::RedisTarget::Single(redis.url()),
            node_id: node_id.to_owned(),
            lease: Duration::from_secs(10),
            redis_ephemeral: true,
        }),
        ..Default::default()
    };
    config.apps.insert(
        APP,
        tim_server::AppConfig {
            keys: vec![KEY.to_owned()],
            ..Default::default()
        },
    );
    let server = tim_server::Server::bind(config).await.unwrap().spawn();
    let options = TargetOptions {
        server_bin: "unused".into(),
        url: Some(server.url()),
        app: APP,
        key: KEY.to_owned(),
        server_log: false,
        data: None,
    };
    (server, Target::start(&options, &[]).await.unwrap())
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
