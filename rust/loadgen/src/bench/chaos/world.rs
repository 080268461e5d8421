//! The cluster the checker runs: one Redis with its append-only file fsynced on every write, three
//! `tim-server` nodes behind HAProxy, each reaching Redis through a [`FaultProxy`] of its own so
//! that one node's link can be cut, blackholed or delayed, and the faults of the schedule applied
//! to them.
//!
//! A restarted node listens on the port it had (HAProxy's backends are fixed), as a node restarted
//! by its supervisor does; Redis restarted by [`RedisServer::restart`] may come back on another
//! port, so the links are pointed at it again.

use super::schedule::Action;
use crate::bench::server::TargetOptions;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;
use tim_testkit::{FaultProxy, Haproxy, RedisServer, ServerProcess};

/// Redis keeps every write it acknowledged: the nodes need no `--redis-ephemeral`, and nothing
/// acknowledged may be lost across its restarts.
const REDIS_ARGS: [&str; 4] = ["--appendonly", "yes", "--appendfsync", "always"];
/// How long a node shutting down (SIGTERM) gets to exit before it is killed.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(15);
/// Starts tried when a node's port is briefly taken by another socket.
const RESTART_ATTEMPTS: usize = 20;
/// Pause between two such tries.
const RESTART_PAUSE: Duration = Duration::from_millis(250);

/// One node: its name, the port it keeps, and its process while it runs.
struct Node {
    id: String,
    port: u16,
    process: Option<ServerProcess>,
    stopped: bool,
}

impl Node {
    /// Starts the node on its port (a free one the first time), through its `link` to Redis.
    async fn spawn(
        &mut self,
        server: &TargetOptions,
        link: &FaultProxy,
        lease: Duration,
    ) -> Result<(), String> {
        let mut last = String::new();
        for _ in 0..RESTART_ATTEMPTS {
            let mut command = Command::new(&server.server_bin);
            command
                .arg("--listen")
                .arg(format!("127.0.0.1:{}", self.port))
                .arg("--app")
                .arg(format!("{}:{}", server.app, server.key))
                .args(["--policy", "all-platforms", "--instances", "1"])
                .args(["--web-instances", "1", "--ephemeral"])
                .arg("--redis")
                .arg(format!("redis://{}", link.addr()))
                .arg("--node-id")
                .arg(&self.id)
                .arg("--node-lease")
                .arg(lease.as_secs_f64().to_string());
            match ServerProcess::start(command, server.server_log).await {
                Ok(process) => {
                    self.port = process.addr().port();
                    self.process = Some(process);
                    self.stopped = false;
                    return Ok(());
                }
                Err(e) => last = e,
            }
            tokio::time::sleep(RESTART_PAUSE).await;
        }
        Err(format!("{} did not start: {last}", self.id))
    }
}

/// Everything a run starts.
pub struct World {
    pub redis: RedisServer,
    links: Vec<FaultProxy>,
    nodes: Vec<Node>,
    pub balancer: Haproxy,
    server: TargetOptions,
    lease: Duration,
    restarts: usize,
}

impl World {
    /// Starts Redis, `nodes` nodes with `lease`, and HAProxy in front of them.
    pub async fn start(
        server: &TargetOptions,
        nodes: usize,
        lease: Duration,
    ) -> Result<World, String> {
        let redis = RedisServer::start_with_args(&REDIS_ARGS).await;
        let mut links = vec![];
        let mut started = vec![];
        for i in 0..nodes {
            let link = FaultProxy::start(redis.addr()).await;
            let mut node = Node {
                id: format!("node-{i}"),
                port: 0,
                process: None,
                stopped: false,
            };
            node.spawn(server, &link, lease).await?;
            links.push(link);
            started.push(node);
        }
        let addrs: Vec<SocketAddr> = started
            .iter()
            .map(|n| SocketAddr::from(([127, 0, 0, 1], n.port)))
            .collect();
        Ok(World {
            balancer: Haproxy::start(&addrs).await,
            redis,
            links,
            nodes: started,
            server: server.clone(),
            lease,
            restarts: 0,
        })
    }

    fn process(&mut self, i: usize) -> Result<&mut ServerProcess, String> {
        self.nodes[i]
            .process
            .as_mut()
            .ok_or_else(|| format!("node {i} is not running"))
    }

    /// Applies one step of the schedule (REST calls are not the world's).
    pub async fn apply(&mut self, action: &Action) -> Result<(), String> {
        match action {
            Action::KillNode { node } => self.process(*node)?.kill(),
            Action::TermNode { node } => self.process(*node)?.terminate(),
            Action::RestartNode { node, new_id } => {
                if let Some(mut process) = self.nodes[*node].process.take() {
                    // A node told to shut down exits by itself; a killed one is gone already.
                    if process.wait(SHUTDOWN_WAIT).await.is_err() {
                        process.kill();
                    }
                }
                if *new_id {
                    self.restarts += 1;
                    self.nodes[*node].id = format!("node-{node}-r{}", self.restarts);
                }
                let i = *node;
                self.nodes[i]
                    .spawn(&self.server, &self.links[i], self.lease)
                    .await?;
            }
            Action::StopNode { node } => {
                self.process(*node)?.stop();
                self.nodes[*node].stopped = true;
            }
            Action::ContNode { node } => {
                self.process(*node)?.cont();
                self.nodes[*node].stopped = false;
            }
            Action::StallRedis => self.redis.stop(),
            Action::ResumeRedis => self.redis.cont(),
            Action::KillRedis => self.redis.kill(),
            Action::RestartRedis => {
                self.redis.restart().await;
                for link in &self.links {
                    link.set_upstream(self.redis.addr());
                }
            }
            Action::PartitionLink { node } => self.links[*node].stall(),
            Action::HealLink { node } => self.links[*node].resume(),
            Action::CutLink { node } => {
                self.links[*node].refuse(true);
                self.links[*node].cut().await;
            }
            Action::ReopenLink { node } => self.links[*node].refuse(false),
            Action::DelayLink { node, ms } => {
                self.links[*node].set_delay(Duration::from_millis(*ms));
            }
            Action::Kick { .. } | Action::Import { .. } => {}
        }
        Ok(())
    }

    /// Whether every node runs (none killed, shutting down or stopped).
    pub fn all_up(&self) -> bool {
        self.nodes.iter().all(|n| n.process.is_some() && !n.stopped)
    }

    /// The Redis URL the checks read the sessions from.
    pub fn redis_url(&self) -> String {
        self.redis.url()
    }
}
