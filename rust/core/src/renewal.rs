//! Renewals: a `login` for the user already online, with a new ticket, while the server speaks
//! protocol 2. The engine sends the ticket in a `ticket` frame and answers the call with the
//! server's verdict; these are the calls waiting for it, oldest first.

use crate::engine::Reply;
use tokio::time::Instant;

/// One `login` waiting for the server's answer to its ticket.
pub struct Renewal {
    /// The `ticket` frame's `seq`.
    pub seq: u64,
    /// The ticket it sent.
    pub user_sig: String,
    /// The call.
    pub reply: Reply,
    /// When the server's answer is overdue: the request timeout after sending.
    pub deadline: Instant,
}

/// The renewals sent on the current connection and not answered yet.
#[derive(Default)]
pub struct Renewals(Vec<Renewal>);

impl Renewals {
    /// Waits for the answer to one more.
    pub fn push(&mut self, renewal: Renewal) {
        self.0.push(renewal);
    }

    /// The renewal the server answered with `seq`, if it is waiting.
    pub fn answered(&mut self, seq: u64) -> Option<Renewal> {
        let index = self.0.iter().position(|r| r.seq == seq)?;
        Some(self.0.remove(index))
    }

    /// The earliest deadline, when one waits.
    pub fn deadline(&self) -> Option<Instant> {
        self.0.iter().map(|r| r.deadline).min()
    }

    /// The ticket sent last: the newest the app gave.
    pub fn newest_ticket(&self) -> Option<&str> {
        self.0.last().map(|r| r.user_sig.as_str())
    }

    /// Every renewal waiting, oldest first, leaving none.
    pub fn take_all(&mut self) -> Vec<Renewal> {
        std::mem::take(&mut self.0)
    }
}
