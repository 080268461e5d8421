//! The login state machine: one task per initialised manager that owns the connection and
//! decides everything — joins, account switches, reconnects, kicks, expiry, heartbeats. The
//! manager's methods only send it commands; status queries read the snapshot it publishes.

use crate::backoff::Backoff;
use crate::error::{TimError, TimResult, code};
use crate::events::{EventSender, SdkEvent};
use crate::renewal::{Renewal, Renewals};
use crate::status::LoginStatus;
use crate::transport::{self, AttemptError, Connection, Endpoint};
use futures_util::future::BoxFuture;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use tim_protocol::{ClientFrame, LoginRequest, LoginResult, Platform, ServerFrame};
use tokio::sync::mpsc;
use tokio::time::{Instant, Interval, MissedTickBehavior, interval_at, sleep_until, timeout_at};

/// The answer to a command, handed over behind the events emitted before it.
pub type Reply = crate::events::Answer;

/// What the manager asks of the engine.
pub enum Command {
    /// `login(user_id, user_sig)`.
    Login {
        /// The account.
        user_id: String,
        /// Its ticket.
        user_sig: String,
        /// Answered when the login ends, however it ends.
        reply: Reply,
    },
    /// `logout()`.
    Logout(Reply),
    /// `un_init_sdk()`: log out, answer every pending call with 7009, and stop.
    UnInit(Reply),
    /// The host saw the network change: retry a reconnect now instead of after the backoff.
    NetworkChanged,
}

/// What status queries read without asking the engine.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The login status.
    pub status: LoginStatus,
    /// The logged-in user ("" unless logged in).
    pub user_id: String,
    /// Server clock minus local clock, in milliseconds, once a login has told it.
    pub server_offset_ms: Option<i64>,
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot {
            status: LoginStatus::LoggedOut,
            user_id: String::new(),
            server_offset_ms: None,
        }
    }
}

/// Shared between the engine (writer) and the manager (reader); never held across an await.
pub type SharedSnapshot = Arc<Mutex<Snapshot>>;

/// What the engine needs to know to log in.
pub struct Identity {
    /// The app.
    pub sdk_app_id: u64,
    /// This instance's platform.
    pub platform: Platform,
    /// Stable across reconnects, so the server replaces this instance's own session.
    pub instance_id: String,
}

#[derive(Clone)]
struct Account {
    user_id: String,
    user_sig: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AttemptKind {
    /// A login the app asked for; callers wait in `waiters`.
    Login,
    /// A reconnect of a logged-in account, by the engine itself.
    Reconnect,
}

type AttemptFuture = BoxFuture<'static, Result<(Connection, LoginResult), AttemptError>>;

/// A login or reconnect under way.
struct Attempt {
    kind: AttemptKind,
    /// The ticket it presented: when the app gives a newer one meanwhile and the server refuses
    /// this one, the newer one is tried before giving up.
    user_sig: String,
    /// When it fails with 6012 at the latest: the login's bound, kept by a retry with a newer
    /// ticket, so that a joined call still answers within the bound of the first.
    deadline: Instant,
    future: AttemptFuture,
}

/// What a reconnect refused by the server leads to: retrying, or the event whose remedy the app
/// already has (a refusal for good is never `onConnectFailed`, which promises a retry).
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// The server's own trouble (70169 internal timeout, 70500 internal error) or a lockout
    /// that ends (70050): `onConnectFailed`, and a retry after the backoff, as after a
    /// connection failure.
    Transient,
    /// Another device took this one's place while it was offline (6208), or the app's server
    /// kicked the user and invalidated the ticket (70052): `onKickedOffline`, logged out.
    Kicked,
    /// The ticket no longer logs in: expired (70001), or refused for good (a key rotated away,
    /// another identity, an app removed): `onUserSigExpired`, logged out; the app signs a new
    /// ticket and logs in.
    TicketRefused,
}

impl Refusal {
    fn of(error: &TimError) -> Refusal {
        match error.code {
            code::SVR_FREQ_LIMIT | code::SVR_INTERNAL_TIMEOUT | code::SVR_INTERNAL_ERROR => {
                Refusal::Transient
            }
            code::KICKED_OFF_BY_OTHER | code::SVR_USER_SIG_INVALIDATED => Refusal::Kicked,
            _ => Refusal::TicketRefused,
        }
    }
}

/// What woke the engine.
enum Wake {
    Command(Option<Command>),
    Attempt(Box<Result<(Connection, LoginResult), AttemptError>>),
    Retry,
    Frame(Result<ServerFrame, TimError>),
    Heartbeat,
    RenewalOverdue,
}

/// The engine of one manager.
pub struct Engine {
    identity: Identity,
    endpoint: Endpoint,
    heartbeat_every: std::time::Duration,
    snapshot: SharedSnapshot,
    events: EventSender,
    account: Option<Account>,
    waiters: Vec<Reply>,
    renewals: Renewals,
    /// The ticket the server's session of `connection` lives on.
    session_sig: String,
    attempt: Option<Attempt>,
    connection: Option<Connection>,
    retry_at: Option<Instant>,
    backoff: Backoff,
    heartbeat: Interval,
    ping_unanswered: bool,
}

/// Resolves with `future`'s output, or never when there is none: lets `select!` wait on
/// optional work.
async fn maybe<F: Future + Unpin>(future: Option<&mut F>) -> F::Output {
    match future {
        Some(future) => future.await,
        None => std::future::pending().await,
    }
}

async fn maybe_recv(connection: Option<&mut Connection>) -> Result<ServerFrame, TimError> {
    match connection {
        Some(connection) => connection.recv().await,
        None => std::future::pending().await,
    }
}

async fn maybe_sleep(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Engine {
    /// An engine that publishes its state to `snapshot` and its events to `events`.
    pub fn new(
        identity: Identity,
        endpoint: Endpoint,
        config: &crate::config::SdkConfig,
        snapshot: SharedSnapshot,
        events: EventSender,
    ) -> Self {
        // The engine runs on the core's runtime, so its timer must be that runtime's, not the
        // caller's (which may be none, or one that shuts down while the engine lives on).
        let _runtime = crate::runtime::runtime().enter();
        let mut heartbeat = interval_at(
            Instant::now() + config.heartbeat_interval,
            config.heartbeat_interval,
        );
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Engine {
            identity,
            endpoint,
            heartbeat_every: config.heartbeat_interval,
            snapshot,
            events,
            account: None,
            waiters: Vec::new(),
            renewals: Renewals::default(),
            session_sig: String::new(),
            attempt: None,
            connection: None,
            retry_at: None,
            backoff: Backoff::new(config.reconnect_min, config.reconnect_max),
            heartbeat,
            ping_unanswered: false,
        }
    }

    /// Serves commands until `un_init_sdk`, or until the manager is dropped.
    pub async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        loop {
            let wake = tokio::select! {
                command = commands.recv() => Wake::Command(command),
                outcome = maybe(self.attempt.as_mut().map(|a| &mut a.future)) => Wake::Attempt(Box::new(outcome)),
                () = maybe_sleep(self.retry_at) => Wake::Retry,
                frame = maybe_recv(self.connection.as_mut()) => Wake::Frame(frame),
                _ = self.heartbeat.tick(), if self.connection.is_some() => Wake::Heartbeat,
                () = maybe_sleep(self.renewals.deadline()) => Wake::RenewalOverdue,
            };
            match wake {
                Wake::Command(Some(Command::UnInit(reply))) => {
                    self.stop(code::INTERRUPTED, "interrupted by unInitSDK", Some(reply));
                    return;
                }
                Wake::Command(None) => {
                    self.stop(code::INTERRUPTED, "the SDK was released", None);
                    return;
                }
                Wake::Command(Some(command)) => self.command(command),
                Wake::Attempt(outcome) => self.attempt_ended(*outcome),
                Wake::Retry => {
                    self.retry_at = None;
                    self.reconnect();
                }
                Wake::Frame(frame) => self.frame(frame),
                Wake::Heartbeat => self.heartbeat(),
                Wake::RenewalOverdue => {
                    log::info!("the server did not answer a new UserSig in time; reconnecting");
                    self.connection_lost();
                }
            }
        }
    }

    fn publish(&self, status: LoginStatus, offset_ms: Option<i64>) {
        self.publish_with(status, offset_ms, None);
    }

    /// Publishes the status with the event that announces it, both under the queue's order lock
    /// ([`EventSender::atomically`]): a call that reads the new status answers behind the event
    /// (a host never sees status 3 before `onKickedOffline`), one that read the old status
    /// answers before it, and a listener that reads the status in the event finds the new one.
    fn publish_with(&self, status: LoginStatus, offset_ms: Option<i64>, event: Option<SdkEvent>) {
        self.events.atomically(|| {
            let mut snapshot = self.snapshot.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(event) = event {
                self.events.emit(event);
            }
            snapshot.status = status;
            snapshot.user_id = match (status, &self.account) {
                (LoginStatus::LoggedIn, Some(account)) => account.user_id.clone(),
                _ => String::new(),
            };
            if offset_ms.is_some() {
                snapshot.server_offset_ms = offset_ms;
            }
        });
    }

    fn status(&self) -> LoginStatus {
        self.snapshot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .status
    }

    /// Answers every caller waiting on the login or on a renewal, behind the events emitted so
    /// far.
    fn resolve_waiters(&mut self, result: &TimResult<()>) {
        let renewals = self.renewals.take_all().into_iter().map(|r| r.reply);
        for waiter in self.waiters.drain(..).chain(renewals).collect::<Vec<_>>() {
            waiter.send(result.clone());
        }
    }

    /// A login or reconnect attempt for `account`. On an account switch, `previous` (the old
    /// account's connection) is logged out meanwhile, and the attempt ends once both have: the
    /// old account is offline on the server when the login answers, and the login still takes
    /// no longer than its own bound (the logout's is shorter). `deadline` is a retried attempt's
    /// (see [`Attempt::deadline`]); a new one gets the connect and request timeouts from now.
    fn start_attempt(
        &mut self,
        kind: AttemptKind,
        previous: Option<Connection>,
        deadline: Option<Instant>,
    ) {
        let Some(account) = self.account.clone() else {
            return;
        };
        let user_sig = account.user_sig.clone();
        let request = LoginRequest {
            protocol: tim_protocol::PROTOCOL_VERSION,
            sdk_app_id: self.identity.sdk_app_id,
            user_id: account.user_id,
            user_sig: account.user_sig,
            platform: self.identity.platform,
            instance_id: self.identity.instance_id.clone(),
            sdk_version: crate::VERSION.to_owned(),
            reconnect: kind == AttemptKind::Reconnect,
        };
        let endpoint = self.endpoint.clone();
        let deadline = deadline.unwrap_or_else(|| {
            Instant::now() + endpoint.connect_timeout + endpoint.request_timeout
        });
        self.events.emit(SdkEvent::Connecting);
        self.attempt = Some(Attempt {
            kind,
            user_sig,
            deadline,
            future: Box::pin(async move {
                let logout = async {
                    if let Some(previous) = previous {
                        previous.logout().await;
                    }
                };
                let login = timeout_at(deadline, transport::login(&endpoint, &request));
                match tokio::join!(logout, login).1 {
                    Ok(outcome) => outcome,
                    Err(_) => Err(AttemptError::network(
                        code::REQUEST_TIMEOUT,
                        "the login did not finish in time",
                    )),
                }
            }),
        });
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Login {
                user_id,
                user_sig,
                reply,
            } => self.login(user_id, user_sig, reply),
            Command::Logout(reply) => self.stop(
                code::LOGGED_OUT_BEFORE_LOGIN_FINISHED,
                "logout called before the login finished",
                Some(reply),
            ),
            Command::NetworkChanged => {
                self.backoff.reset();
                if self.retry_at.is_some() {
                    self.retry_at = Some(Instant::now());
                }
            }
            Command::UnInit(_) => unreachable!("handled by run"),
        }
    }

    fn login(&mut self, user_id: String, user_sig: String, reply: Reply) {
        if self.account.as_ref().is_some_and(|a| a.user_id == user_id) {
            self.login_again(user_sig, reply);
            return;
        }
        if let Some(previous) = &self.account {
            let superseded = format!(
                "the login as {} was superseded by a login as {user_id}",
                previous.user_id
            );
            self.resolve_waiters(&Err(TimError::new(
                code::LOGGED_OUT_BEFORE_LOGIN_FINISHED,
                superseded,
            )));
        }
        self.retry_at = None;
        self.attempt = None;
        self.account = Some(Account { user_id, user_sig });
        self.waiters.push(reply);
        self.publish(LoginStatus::LoggingIn, None);
        let previous = self.connection.take();
        self.start_attempt(AttemptKind::Login, previous, None);
    }

    /// A `login` for the account already logging in, logged in or reconnecting. The newest
    /// ticket the app gave is the one the session lives on (the app signed it because the old
    /// one is about to expire): a login under way presents it if the server refuses the one it
    /// sent; an online session sends it to the server, which moves the session's expiry, and
    /// the call answers with the server's verdict; a reconnect presents it.
    fn login_again(&mut self, user_sig: String, reply: Reply) {
        let Some(account) = self.account.as_mut() else {
            return;
        };
        let logging_in = self
            .attempt
            .as_ref()
            .is_some_and(|a| a.kind == AttemptKind::Login);
        if logging_in {
            // Joins the login under way: one network login, one result for every caller.
            account.user_sig = user_sig;
            self.waiters.push(reply);
            return;
        }
        let newest = self.renewals.newest_ticket().unwrap_or(&account.user_sig);
        let renewable = self
            .connection
            .as_mut()
            .filter(|c| c.protocol() >= tim_protocol::PROTOCOL_TICKET);
        match renewable {
            Some(connection) if newest != user_sig => {
                let seq = connection.next_seq();
                match connection.send(&ClientFrame::Ticket {
                    seq,
                    user_sig: user_sig.clone(),
                }) {
                    Ok(()) => self.renewals.push(Renewal {
                        seq,
                        user_sig,
                        reply,
                        deadline: Instant::now() + self.endpoint.request_timeout,
                    }),
                    Err(_) => {
                        // The connection is gone: the reconnect presents the ticket.
                        account.user_sig = user_sig;
                        reply.send(Ok(()));
                        self.connection_lost();
                    }
                }
            }
            _ => {
                // Reconnecting (the next attempt presents it), or a server of protocol 1 (the
                // session moves to it when the old ticket expires, by a reconnect).
                account.user_sig = user_sig;
                reply.send(Ok(()));
            }
        }
    }

    /// Ends whatever is under way: pending logins get `code`, the status becomes logged out at
    /// once, and the session is logged out on the server by a task of its own, so the engine
    /// goes on serving calls meanwhile. `reply` is answered when that logout has ended (answered
    /// by the server, or after the request timeout).
    fn stop(&mut self, code: i32, desc: &str, reply: Option<Reply>) {
        self.resolve_waiters(&Err(TimError::new(code, desc)));
        self.attempt = None;
        self.retry_at = None;
        self.account = None;
        self.publish(LoginStatus::LoggedOut, None);
        let connection = self.connection.take();
        tokio::spawn(async move {
            if let Some(connection) = connection {
                connection.logout().await;
            }
            if let Some(reply) = reply {
                reply.send(Ok(()));
            }
        });
    }

    /// Logged out by the server's word (kick, expiry) or a refused reconnect.
    fn logged_out(&mut self, event: SdkEvent) {
        self.connection = None;
        self.attempt = None;
        self.retry_at = None;
        self.account = None;
        self.publish_with(LoginStatus::LoggedOut, None, Some(event));
        self.resolve_waiters(&Err(TimError::new(
            code::LOGGED_OUT_BEFORE_LOGIN_FINISHED,
            "logged out before the server answered the new UserSig",
        )));
    }

    /// The connection is gone while logged in. Renewals it carried that the server did not
    /// answer answer 0: the reconnect presents the newest of their tickets, and the server
    /// verifies it there.
    fn connection_lost(&mut self) {
        self.connection = None;
        if let (Some(account), Some(newest)) =
            (self.account.as_mut(), self.renewals.newest_ticket())
        {
            account.user_sig = newest.to_owned();
        }
        self.resolve_waiters(&Ok(()));
        self.reconnect();
    }

    fn attempt_ended(&mut self, outcome: Result<(Connection, LoginResult), AttemptError>) {
        let Some(Attempt {
            kind,
            user_sig,
            deadline,
            ..
        }) = self.attempt.take()
        else {
            return;
        };
        match outcome {
            Ok((connection, result)) => {
                let offset =
                    i64::try_from(result.server_time_ms).unwrap_or(i64::MAX) - unix_millis();
                self.connection = Some(connection);
                self.session_sig = user_sig;
                self.backoff.reset();
                self.ping_unanswered = false;
                self.heartbeat.reset();
                self.publish_with(
                    LoginStatus::LoggedIn,
                    Some(offset),
                    Some(SdkEvent::ConnectSuccess),
                );
                log::info!("logged in (session {})", result.session_id);
                self.resolve_waiters(&Ok(()));
            }
            Err(AttemptError { error, network }) => {
                log::info!("login attempt failed: {error}");
                if kind == AttemptKind::Login {
                    // As Tencent's SDK: reached and refused is `onConnectSuccess`, then the
                    // login's code.
                    self.events.emit(if network {
                        SdkEvent::ConnectFailed {
                            code: error.code,
                            desc: error.desc.clone(),
                        }
                    } else {
                        SdkEvent::ConnectSuccess
                    });
                }
                let newer_ticket = self
                    .account
                    .as_ref()
                    .is_some_and(|a| a.user_sig != user_sig);
                if !network && newer_ticket {
                    // Refused, but the app has given a newer ticket since: present that one,
                    // within the bound of the attempt it replaces.
                    self.start_attempt(kind, None, Some(deadline));
                    return;
                }
                if kind == AttemptKind::Login {
                    self.account = None;
                    self.publish(LoginStatus::LoggedOut, None);
                    self.resolve_waiters(&Err(error));
                    return;
                }
                let refusal = if network {
                    Refusal::Transient
                } else {
                    Refusal::of(&error)
                };
                match refusal {
                    Refusal::TicketRefused => self.logged_out(SdkEvent::UserSigExpired),
                    Refusal::Kicked => self.logged_out(SdkEvent::KickedOffline),
                    Refusal::Transient => {
                        self.events.emit(SdkEvent::ConnectFailed {
                            code: error.code,
                            desc: error.desc,
                        });
                        self.retry_at = Some(Instant::now() + self.backoff.next_delay());
                    }
                }
            }
        }
    }

    /// The connection is gone while logged in: reconnect by ourselves, status unchanged.
    fn reconnect(&mut self) {
        if self.account.is_some()
            && self.status() == LoginStatus::LoggedIn
            && self.attempt.is_none()
        {
            self.connection = None;
            self.start_attempt(AttemptKind::Reconnect, None, None);
        }
    }

    fn frame(&mut self, frame: Result<ServerFrame, TimError>) {
        self.ping_unanswered = false;
        match frame {
            Ok(ServerFrame::Pong { server_time_ms, .. }) => {
                let offset = i64::try_from(server_time_ms).unwrap_or(i64::MAX) - unix_millis();
                self.publish(LoginStatus::LoggedIn, Some(offset));
            }
            Ok(ServerFrame::KickedOffline {
                reason,
                by_platform,
            }) => {
                match by_platform {
                    Some(platform) => {
                        log::info!("kicked offline ({reason:?}) by a login on {platform}")
                    }
                    None => log::info!("kicked offline ({reason:?}) by the app's server"),
                }
                self.logged_out(SdkEvent::KickedOffline);
            }
            Ok(ServerFrame::UserSigExpired) => self.session_expired(),
            Ok(ServerFrame::TicketResult { seq, code, desc }) => self.renewed(seq, code, desc),
            Ok(ServerFrame::GoingAway { reason }) => {
                log::info!("the server is going away ({reason}); reconnecting");
                self.connection_lost();
            }
            Ok(ServerFrame::Error { code, desc }) => {
                log::warn!("the server refused a frame: {code} {desc}")
            }
            Ok(other) => log::debug!("ignoring {other:?}"),
            Err(e) => {
                log::info!("{e}; reconnecting");
                self.connection_lost();
            }
        }
    }

    /// The server's session expired with its ticket. When the app has given a newer ticket
    /// that the session does not live on (a server of protocol 1, or a renewal that crossed the
    /// expiry), a reconnect presents it; otherwise `onUserSigExpired`, logged out.
    fn session_expired(&mut self) {
        let newest = self
            .renewals
            .newest_ticket()
            .or(self.account.as_ref().map(|a| a.user_sig.as_str()));
        if newest.is_some_and(|newest| newest != self.session_sig) {
            log::info!("the session's UserSig expired; reconnecting with the newer one");
            self.connection_lost();
        } else {
            log::info!("the UserSig expired while online");
            self.logged_out(SdkEvent::UserSigExpired);
        }
    }

    /// The server's answer to a renewal: the session lives on its ticket now, or on the one it
    /// had (the call answers the refusal's code).
    fn renewed(&mut self, seq: u64, result: u32, desc: String) {
        let Some(renewal) = self.renewals.answered(seq) else {
            return;
        };
        let answer = if result == 0 {
            if let Some(account) = self.account.as_mut() {
                account.user_sig.clone_from(&renewal.user_sig);
            }
            self.session_sig = renewal.user_sig;
            log::info!("the session lives on the new UserSig");
            Ok(())
        } else {
            log::info!("the server refused the new UserSig: {result} {desc}");
            Err(TimError::new(
                i32::try_from(result).unwrap_or(i32::MAX),
                desc,
            ))
        };
        renewal.reply.send(answer);
    }

    /// Sends a heartbeat, or declares the connection dead when the last one went unanswered:
    /// a half-open connection is found within two intervals. The frame is queued, never waited
    /// for: a server that stopped reading holds up the connection's writer, not the engine.
    fn heartbeat(&mut self) {
        let Some(connection) = self.connection.as_mut() else {
            return;
        };
        if self.ping_unanswered {
            log::info!("no answer within {:?}; reconnecting", self.heartbeat_every);
            self.connection_lost();
            return;
        }
        let seq = connection.next_seq();
        self.ping_unanswered = true;
        if let Err(e) = connection.send(&ClientFrame::Ping { seq }) {
            log::info!("{e}; reconnecting");
            self.connection_lost();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(code: i32) -> Refusal {
        Refusal::of(&TimError::new(code, "refused"))
    }

    #[test]
    fn a_reconnect_retries_the_servers_own_trouble_and_ends_on_the_tickets() {
        assert_eq!(refusal(code::SVR_INTERNAL_TIMEOUT), Refusal::Transient);
        assert_eq!(refusal(code::SVR_INTERNAL_ERROR), Refusal::Transient);
        assert_eq!(refusal(code::SVR_FREQ_LIMIT), Refusal::Transient);
        assert_eq!(refusal(code::SVR_USER_SIG_EXPIRED), Refusal::TicketRefused);
        assert_eq!(refusal(code::USER_SIG_EXPIRED), Refusal::TicketRefused);
        assert_eq!(refusal(code::KICKED_OFF_BY_OTHER), Refusal::Kicked);
        assert_eq!(refusal(code::SVR_USER_SIG_INVALIDATED), Refusal::Kicked);
        assert_eq!(refusal(70009), Refusal::TicketRefused);
        assert_eq!(refusal(70013), Refusal::TicketRefused);
        assert_eq!(refusal(70020), Refusal::TicketRefused);
    }
}
