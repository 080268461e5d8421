//! The core's own small tokio runtime. Every manager's work runs here, whatever thread or
//! executor the host calls from, so a host thread never blocks on the core: public methods only
//! send a command and await its answer.

use std::sync::OnceLock;
use tokio::runtime::{Builder, Runtime};

/// The process-wide runtime of the core: two worker threads named `tim-core`.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("tim-core")
            .enable_all()
            .build()
            .expect("cannot start the tim-core runtime")
    })
}
