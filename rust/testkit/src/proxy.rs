//! [`FaultProxy`]: a TCP proxy on loopback whose connections a test can cut, stall, refuse and
//! delay, to see how a client lives through the network faults of a phone.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// One read of a pump is at most this large.
const CHUNK_BYTES: usize = 16 * 1024;
/// A pump stops reading while this much is waiting for its delay, as a link's buffers fill: with
/// a 50 ms delay one direction still carries 80 MiB/s, far more than any test sends.
const MAX_QUEUED_BYTES: usize = 4 * 1024 * 1024;

/// A TCP proxy on `127.0.0.1:0` that forwards each connection to one upstream address, and
/// injects the faults a mobile network has.
///
/// Each accepted connection gets its own connection to upstream and two pump tasks, one per
/// direction. The faults:
///
/// - [`cut`](FaultProxy::cut): every current connection is closed at once (a server restart, a
///   NAT or load balancer dropping its state). New connections are still accepted.
/// - [`stall`](FaultProxy::stall) / [`resume`](FaultProxy::resume): a blackhole. Sockets stay
///   open and nothing is forwarded in either direction, and connections opened during the stall
///   do not reach upstream until it ends. The pumps stop *reading*, so bytes sent meanwhile are
///   held in the kernel's socket buffers (a sender that keeps writing eventually blocks, as with
///   unacknowledged TCP data), and are delivered, in order, after `resume`. This is what TCP
///   does over a partition that heals: it retransmits, it never loses bytes in the middle of a
///   stream. (Dropping them instead would hand the peers a corrupt stream, which no network
///   does.) A partition that never heals is a `stall` without `resume`: the peers see silence,
///   which is what heartbeat timeouts exist to detect; follow it with `cut` for the RST that
///   eventually ends such a connection.
/// - [`refuse`](FaultProxy::refuse): the server is down. The proxy keeps its port (so the URL a
///   client holds stays valid), accepts each new connection and resets it at once (`SO_LINGER`
///   0): the client's handshake fails with a connection reset, as near to "connection refused"
///   as a proxy that keeps listening can get. Existing connections are left alone; `cut` them
///   for "the server went down".
/// - [`set_delay`](FaultProxy::set_delay): latency. Each chunk is delivered `delay` after the
///   proxy read it, independently in each direction, in order; reading goes on meanwhile (a
///   queue with a deadline per chunk, not sleep-then-read), so a delay costs latency, not
///   throughput. A request and its response cost at least 2 × `delay`.
///
/// Every control takes effect when it returns (`cut` when its future completes), so tests need
/// no sleeps. Dropping the proxy closes its port and ends every task and connection it started.
pub struct FaultProxy {
    addr: SocketAddr,
    controls: Arc<Controls>,
}

/// What the accept loop and the pumps read, and the controls change.
struct Controls {
    /// Where new connections go; [`FaultProxy::set_upstream`] moves it.
    upstream: watch::Sender<SocketAddr>,
    refuse: AtomicBool,
    delay_nanos: AtomicU64,
    stalled: watch::Sender<bool>,
    /// The connections a `cut` would close now.
    generation: Mutex<Generation>,
    /// Cancelled when the proxy is dropped; every generation's token is its child.
    stop: CancellationToken,
    /// Live proxied connections.
    live: watch::Sender<usize>,
    accepted: AtomicUsize,
}

/// The connections opened since the last `cut`: a token that closes them and their tasks.
#[derive(Clone)]
struct Generation {
    cut: CancellationToken,
    tasks: TaskTracker,
}

impl Generation {
    fn new(stop: &CancellationToken) -> Self {
        Generation {
            cut: stop.child_token(),
            tasks: TaskTracker::new(),
        }
    }
}

impl FaultProxy {
    /// Starts a proxy to `upstream` on `127.0.0.1:0`, with no fault. Panics if it cannot listen
    /// (a test cannot go on without it).
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the fault proxy listens on 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let stop = CancellationToken::new();
        let controls = Arc::new(Controls {
            upstream: watch::Sender::new(upstream),
            refuse: AtomicBool::new(false),
            delay_nanos: AtomicU64::new(0),
            stalled: watch::Sender::new(false),
            generation: Mutex::new(Generation::new(&stop)),
            stop,
            live: watch::Sender::new(0),
            accepted: AtomicUsize::new(0),
        });
        tokio::spawn(accept_loop(listener, controls.clone()));
        FaultProxy { addr, controls }
    }

    /// The address clients connect to instead of upstream's.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://` and [`addr`](FaultProxy::addr): the URL a WebSocket client is given.
    pub fn url_ws(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Closes every current connection, both sides, and returns once they are closed (their
    /// tasks ended, their sockets dropped): peers then read EOF, or a reset if they had sent
    /// bytes not yet read. Connections accepted afterwards are proxied as usual.
    pub async fn cut(&self) {
        let old = std::mem::replace(
            &mut *self.generation(),
            Generation::new(&self.controls.stop),
        );
        old.cut.cancel();
        old.tasks.close();
        old.tasks.wait().await;
    }

    /// Sends new connections to `upstream` from now on; open ones stay where they are. A test
    /// restarts a server this way: clients keep the proxy's address, as they keep a server's
    /// name across a restart, and no test has to win back a port the OS may have handed out.
    pub fn set_upstream(&self, upstream: SocketAddr) {
        self.controls.upstream.send_replace(upstream);
    }

    /// Starts a blackhole: nothing is forwarded either way until [`resume`](FaultProxy::resume);
    /// bytes sent meanwhile wait in socket buffers (see the type's documentation).
    pub fn stall(&self) {
        self.controls.stalled.send_replace(true);
    }

    /// Ends a blackhole: what waited is delivered, in order, and forwarding goes on.
    pub fn resume(&self) {
        self.controls.stalled.send_replace(false);
    }

    /// With `true`, each new connection is accepted and reset at once (the server is down);
    /// with `false`, new connections are proxied again. Open connections are not affected.
    pub fn refuse(&self, refuse: bool) {
        self.controls.refuse.store(refuse, Relaxed);
    }

    /// Delays each chunk read from now on by `delay`, in each direction (so a round trip costs at
    /// least twice that). Chunks already read keep their delivery time; order is kept.
    pub fn set_delay(&self, delay: Duration) {
        let nanos = u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX);
        self.controls.delay_nanos.store(nanos, Relaxed);
    }

    /// Connections proxied to upstream and still open (in at least one direction).
    pub fn connections(&self) -> usize {
        *self.controls.live.borrow()
    }

    /// Waits until exactly `n` connections are open, as [`connections`](FaultProxy::connections)
    /// counts them: a connection closed by a peer leaves the count a moment after the peer sees
    /// it closed. Wrap it in a timeout.
    pub async fn wait_for_connections(&self, n: usize) {
        let mut live = self.controls.live.subscribe();
        let _ = live.wait_for(|live| *live == n).await;
    }

    /// Every connection accepted so far, including those that [`refuse`](FaultProxy::refuse)
    /// reset and those that could not reach upstream: how often clients tried.
    pub fn accepted(&self) -> usize {
        self.controls.accepted.load(Relaxed)
    }

    fn generation(&self) -> std::sync::MutexGuard<'_, Generation> {
        self.controls.generation()
    }
}

/// Stops the accept loop and every connection: all tasks end at their next step.
impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.controls.stop.cancel();
    }
}

impl Controls {
    fn generation(&self) -> std::sync::MutexGuard<'_, Generation> {
        // The lock guards a plain swap; a panic cannot leave it half-done.
        self.generation
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn delay(&self) -> Duration {
        Duration::from_nanos(self.delay_nanos.load(Relaxed))
    }
}

async fn accept_loop(listener: TcpListener, controls: Arc<Controls>) {
    loop {
        let accepted = tokio::select! {
            () = controls.stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((client, _)) = accepted else {
            // Out of file descriptors, most likely; let the test's other tasks run.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        controls.accepted.fetch_add(1, Relaxed);
        if controls.refuse.load(Relaxed) {
            reset(client);
            continue;
        }
        // Spawned under the lock, so that a concurrent `cut` either sees this connection in the
        // generation it closes or has already started the next one.
        let generation = controls.generation();
        generation.tasks.spawn(proxy_connection(
            client,
            controls.clone(),
            generation.clone(),
        ));
    }
}

/// Closes `stream` with a reset rather than a FIN: the peer's next read or write fails.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
}

/// Connects `client` to upstream (once any stall is over) and starts its two pumps.
async fn proxy_connection(client: TcpStream, controls: Arc<Controls>, generation: Generation) {
    let mut stalled = controls.stalled.subscribe();
    let connecting = async {
        // A blackhole lets no new connection through either.
        let _ = stalled.wait_for(|stalled| !*stalled).await;
        let upstream = *controls.upstream.borrow();
        TcpStream::connect(upstream).await
    };
    let upstream = tokio::select! {
        () = generation.cut.cancelled() => return,
        upstream = connecting => upstream,
    };
    let Ok(upstream) = upstream else {
        return reset(client);
    };
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let live = Arc::new(Live::new(&controls));
    // Either pump failing (a reset, a broken pipe) ends the whole connection, as a reset would.
    let connection = generation.cut.child_token();
    let (client_read, client_write) = client.into_split();
    let (upstream_read, upstream_write) = upstream.into_split();
    for (from, to) in [(client_read, upstream_write), (upstream_read, client_write)] {
        let pump = Pump {
            from,
            to,
            controls: controls.clone(),
            connection: connection.clone(),
            _live: live.clone(),
        };
        generation.tasks.spawn(pump.run());
    }
}

/// Counts a proxied connection in [`FaultProxy::connections`] while either pump holds it.
struct Live(Arc<Controls>);

impl Live {
    fn new(controls: &Arc<Controls>) -> Self {
        controls.live.send_modify(|live| *live += 1);
        Live(controls.clone())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.live.send_modify(|live| *live -= 1);
    }
}

/// One direction of one connection.
struct Pump {
    from: OwnedReadHalf,
    to: OwnedWriteHalf,
    controls: Arc<Controls>,
    connection: CancellationToken,
    _live: Arc<Live>,
}

impl Pump {
    /// Reads chunks, stamps each with its delivery time, and writes each when its time comes;
    /// pauses while stalled; forwards EOF as a half-close once everything read is delivered.
    async fn run(mut self) {
        let mut stalled = self.controls.stalled.subscribe();
        let mut queue: VecDeque<(Instant, Vec<u8>)> = VecDeque::new();
        let mut queued_bytes = 0;
        let mut eof = false;
        let mut buf = vec![0; CHUNK_BYTES];
        loop {
            if *stalled.borrow_and_update() {
                tokio::select! {
                    () = self.connection.cancelled() => return,
                    _ = stalled.changed() => continue,
                }
            }
            let due = queue.front().map(|(due, _)| *due);
            if due.is_some_and(|due| due <= Instant::now()) {
                let (_, chunk) = queue.pop_front().expect("a chunk is due");
                queued_bytes -= chunk.len();
                let written = tokio::select! {
                    () = self.connection.cancelled() => return,
                    written = self.to.write_all(&chunk) => written,
                };
                if written.is_err() {
                    return self.connection.cancel();
                }
                continue;
            }
            if eof && queue.is_empty() {
                let _ = self.to.shutdown().await;
                return;
            }
            // Biased: a stall or a cut is seen before any further byte is read.
            tokio::select! {
                biased;
                () = self.connection.cancelled() => return,
                _ = stalled.changed() => {}
                () = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {}
                read = self.from.read(&mut buf), if !eof && queued_bytes < MAX_QUEUED_BYTES => {
                    match read {
                        Ok(0) => eof = true,
                        Ok(n) => {
                            let due = Instant::now() + self.controls.delay();
                            queue.push_back((due, buf[..n].to_vec()));
                            queued_bytes += n;
                        }
                        Err(_) => return self.connection.cancel(),
                    }
                }
            }
        }
    }
}
