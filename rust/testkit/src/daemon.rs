//! A child process that a test owns: its output read line by line as it comes (on a thread per
//! stream, so that reading goes on whatever runtime the test has), signals, and a SIGKILL when it
//! is dropped, so that a failing test never leaves a process behind.

use rustix::process::{Pid, Signal, kill_process};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;
use tokio::sync::watch;

/// Each stream keeps its last this many lines: enough for any test's assertions and panic
/// messages, bounded for a server that logs through a long benchmark.
const KEPT_LINES: usize = 10_000;
/// How long a SIGSTOP or SIGCONT may take to be delivered.
const STATE_WAIT: Duration = Duration::from_secs(5);
/// Lines of stderr (then stdout) quoted in an error.
const QUOTED_LINES: usize = 40;

/// One of a child's output streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// What a child printed so far.
#[derive(Default)]
struct Output {
    stdout: VecDeque<String>,
    stderr: VecDeque<String>,
    /// Streams not at EOF yet: 0 once the child exited (or closed both).
    open: u8,
}

impl Output {
    fn lines(&self, stream: Stream) -> &VecDeque<String> {
        match stream {
            Stream::Stdout => &self.stdout,
            Stream::Stderr => &self.stderr,
        }
    }

    fn push(&mut self, stream: Stream, line: String) {
        let lines = match stream {
            Stream::Stdout => &mut self.stdout,
            Stream::Stderr => &mut self.stderr,
        };
        if lines.len() == KEPT_LINES {
            lines.pop_front();
        }
        lines.push_back(line);
    }
}

/// A started child with both output streams piped and read by tasks of their own.
pub(crate) struct Daemon {
    /// What the child is, for messages ("tim-server", "redis-server").
    name: String,
    child: Child,
    /// Set once the child has been waited for: its id may then belong to another process.
    exited: Option<ExitStatus>,
    output: watch::Sender<Output>,
}

impl Daemon {
    /// Starts `command` with stdin closed and stdout and stderr read here; with `echo_stderr`, each
    /// stderr line is also written to this process's stderr.
    pub(crate) fn start(
        name: &str,
        mut command: Command,
        echo_stderr: bool,
    ) -> Result<Daemon, String> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        let output = watch::Sender::new(Output {
            open: 2,
            ..Output::default()
        });
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        for (from, stream, echo) in [
            (
                Box::new(stdout) as Box<dyn Read + Send>,
                Stream::Stdout,
                false,
            ),
            (Box::new(stderr), Stream::Stderr, echo_stderr),
        ] {
            let output = output.clone();
            std::thread::spawn(move || read_lines(from, stream, &output, echo));
        }
        Ok(Daemon {
            name: name.to_owned(),
            child,
            exited: None,
            output,
        })
    }

    /// The process id, while the child has not been waited for (after that the id may belong to
    /// another process).
    pub(crate) fn pid(&self) -> Option<u32> {
        self.exited.is_none().then(|| self.child.id())
    }

    /// Sends `signal` to the child. For SIGSTOP and SIGCONT, returns once the child is stopped,
    /// or runs again: the kernel delivers a signal a moment after `kill` returns, and a test that
    /// froze a process must be able to rely on it being frozen.
    pub(crate) fn signal(&self, signal: Signal) -> Result<(), String> {
        let raw = self
            .pid()
            .ok_or_else(|| format!("{} has exited", self.name))?;
        let pid = i32::try_from(raw)
            .ok()
            .and_then(Pid::from_raw)
            .ok_or_else(|| format!("{} has no valid process id", self.name))?;
        kill_process(pid, signal).map_err(|e| format!("cannot signal {}: {e}", self.name))?;
        let stopped = match signal {
            Signal::STOP => true,
            Signal::CONT => false,
            _ => return Ok(()),
        };
        let deadline = std::time::Instant::now() + STATE_WAIT;
        // No event tells another process that a signal was delivered: /proc is read until it is.
        while is_stopped(raw) != Some(stopped) {
            if std::time::Instant::now() > deadline {
                return Err(format!(
                    "{} did not take {signal:?} within {STATE_WAIT:?}",
                    self.name
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    }

    /// Waits up to `timeout` for the first line of `stream` that `wanted` accepts (printed before
    /// or after this call), and returns it. Fails, quoting the child's output, if the child closes
    /// its output (it exited) or the time runs out first.
    pub(crate) async fn wait_for_line(
        &self,
        stream: Stream,
        what: &str,
        timeout: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let find = |o: &Output| o.lines(stream).iter().find(|l| wanted(l)).cloned();
        let mut output = self.output.subscribe();
        let waited = tokio::time::timeout(
            timeout,
            output.wait_for(|o| o.open == 0 || find(o).is_some()),
        )
        .await;
        let (found, why) = match waited {
            Ok(Ok(o)) => (find(&o), "exited"),
            Ok(Err(_)) => (None, "exited"),
            Err(_) => (None, "timed out"),
        };
        found.ok_or_else(|| {
            format!(
                "{} {why} before {what} (within {timeout:?}){}",
                self.name,
                self.quote()
            )
        })
    }

    /// Waits up to `timeout` for a line of `stream` containing `text`, and returns it.
    pub(crate) async fn wait_for_text(
        &self,
        stream: Stream,
        text: &str,
        timeout: Duration,
    ) -> Result<String, String> {
        let what = format!("writing {text:?}");
        self.wait_for_line(stream, &what, timeout, |line| line.contains(text))
            .await
    }

    /// The lines of `stream` so far (the last 10,000).
    pub(crate) fn lines(&self, stream: Stream) -> Vec<String> {
        self.output.borrow().lines(stream).iter().cloned().collect()
    }

    /// Whether the child closed both output streams: it exited (or is about to).
    pub(crate) fn output_closed(&self) -> bool {
        self.output.borrow().open == 0
    }

    /// The last lines of stderr and stdout, for an error message.
    pub(crate) fn quote(&self) -> String {
        let output = self.output.borrow();
        let mut quoted = String::new();
        for (stream, lines) in [("stderr", &output.stderr), ("stdout", &output.stdout)] {
            if lines.is_empty() {
                continue;
            }
            quoted.push_str(&format!("\n--- its {stream}:"));
            for line in lines.iter().skip(lines.len().saturating_sub(QUOTED_LINES)) {
                quoted.push('\n');
                quoted.push_str(line);
            }
        }
        quoted
    }

    /// Waits up to `timeout` for the child to exit, and gives its status. The end of its output
    /// is what is awaited (the child's pipes close when it exits), then the child is reaped.
    pub(crate) async fn wait(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        if let Some(status) = self.exited {
            return Ok(status);
        }
        let mut output = self.output.subscribe();
        if tokio::time::timeout(timeout, output.wait_for(|o| o.open == 0))
            .await
            .is_err()
        {
            return Err(format!("{} still runs after {timeout:?}", self.name));
        }
        self.reap()
    }

    /// SIGKILL (a stopped child dies of it too), and reaps the child: when this returns, the
    /// process and the ports it held are gone.
    pub(crate) fn kill(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            let _ = self.reap();
        }
    }

    fn reap(&mut self) -> Result<ExitStatus, String> {
        let status = self
            .child
            .wait()
            .map_err(|e| format!("waiting for {}: {e}", self.name))?;
        self.exited = Some(status);
        Ok(status)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether process `pid` is stopped (state `T` in `/proc/PID/stat`); `None` if it is gone.
fn is_stopped(pid: u32) -> Option<bool> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the state follows the last ')'.
    let state = stat.get(stat.rfind(')')? + 2..)?.chars().next()?;
    Some(state == 'T')
}

/// Reads `from` line by line into `output` until EOF. Bytes that are not UTF-8 are replaced, so
/// that reading never stops early (a child blocks once its pipe is full).
fn read_lines(
    from: Box<dyn Read + Send>,
    stream: Stream,
    output: &watch::Sender<Output>,
    echo: bool,
) {
    let mut from = BufReader::new(from);
    let mut line = Vec::new();
    while from.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
        let text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\n', '\r'])
            .to_owned();
        line.clear();
        if echo {
            eprintln!("{text}");
        }
        output.send_modify(|o| o.push(stream, text));
    }
    output.send_modify(|o| o.open -= 1);
}
