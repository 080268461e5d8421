//! A Redis server for cluster tests: Debian's `redis-server`, on a Unix socket in a folder of its
//! own (no port to race for), without persistence, stopped when dropped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct Redis {
    child: Child,
    dir: PathBuf,
}

impl Redis {
    /// Starts `redis-server` and returns once it accepts connections.
    pub fn start() -> Redis {
        let dir = std::env::temp_dir().join(format!(
            "tim-redis-{}-{:x}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("redis.sock");
        let mut child = Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--save",
                "",
                "--appendonly",
                "no",
                "--unixsocket",
            ])
            .arg(&socket)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/test.sh installs it)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = lines.by_ref().map_while(Result::ok).any(|line| {
            // "Ready to accept connections" (Redis 6) or "ready to accept connections at ..." (7).
            line.to_ascii_lowercase()
                .contains("ready to accept connections")
        });
        assert!(ready, "redis-server exited before it was ready");
        // Its log goes on: keep reading it, so that a full pipe never blocks the server.
        std::thread::spawn(move || lines.for_each(drop));
        Redis { child, dir }
    }

    /// The URL nodes connect with.
    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.dir.join("redis.sock").display())
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
