//! What the process helpers (and tests) need from the machine: a free loopback port, and a folder
//! of their own for config and data files that disappears with them.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// A port on 127.0.0.1 that was free a moment ago: bound to port 0, read, closed. Another process
/// can take it before the caller binds it, so every caller detects a clash and tries again.
pub(crate) fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot bind 127.0.0.1:0: {e}"))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|e| format!("a bound listener has no address: {e}"))
}

/// A new empty folder under the system's temporary folder, removed with everything in it when
/// dropped.
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// Creates `tim-testkit-WHAT-PID-N` under the system's temporary folder.
    pub fn new(what: &str) -> Result<ScratchDir, String> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "tim-testkit-{what}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&path); // left by an earlier process with the same id
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(ScratchDir(path))
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
