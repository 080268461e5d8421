//! One client connection, from the WebSocket upgrade to its close: login, then the session.

use crate::account::AccountKey;
use crate::auth::{CODE_LOCKED, DESC_LOCKED, authenticate};
use crate::callbacks::{Event, StateChange};
use crate::clock::unix_millis;
use crate::hub::Ending;
use crate::policy::SessionInfo;
use crate::registry::{LoginAttempt, Verdict};
use crate::state::Shared;
use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};
use tim_protocol::{ClientFrame, FrameError, LoginRequest, LoginResult, ServerFrame};
use tim_usersig::Claims;
use tokio::time::{sleep_until, timeout};
use tracing::{debug, info, warn};

/// Close code for a session ended by a kick or an expired ticket (WebSocket "policy violation").
const CLOSE_ENDED: u16 = close_code::POLICY;
/// Close code for a connection replaced by the same instance's newer one (private range).
const CLOSE_REPLACED: u16 = 4001;
/// Code for a reconnect refused because another device took the place (Tencent's
/// ERR_LOGIN_KICKED_OFF_BY_OTHER).
const CODE_KICKED_WHILE_OFFLINE: u32 = 6208;
/// Code for a login whose ticket was invalidated (a REST kick after it was signed).
const CODE_INVALIDATED: u32 = 70052;
/// Code for a login the session store could not answer in time (Tencent's "server internal
/// timeout": the client retries).
const CODE_STORE_TIMEOUT: u32 = 70169;
/// Code for a malformed request.
const CODE_INVALID: u32 = tim_protocol::login::CODE_INVALID_PARAMETERS;

/// Counts a connection for `/metrics` while it lives.
struct OpenConnection<'a>(&'a Shared);

impl<'a> OpenConnection<'a> {
    fn new(shared: &'a Shared) -> Self {
        shared.metrics.connections_open.fetch_add(1, Relaxed);
        OpenConnection(shared)
    }
}

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.0.metrics.connections_open.fetch_sub(1, Relaxed);
    }
}

/// Serves one upgraded connection. `login` is what the upgrade headers said.
pub async fn serve(
    shared: Arc<Shared>,
    mut socket: WebSocket,
    login: Result<Option<LoginRequest>, FrameError>,
) {
    let _open = OpenConnection::new(&shared);
    let request = match login {
        Ok(Some(request)) => request,
        Ok(None) => match first_frame_login(&mut socket, shared.config.login_timeout).await {
            Some(Ok(request)) => request,
            Some(Err(refusal)) => return refuse(&shared, socket, None, refusal).await,
            None => return,
        },
        Err(refusal) => return refuse(&shared, socket, None, refusal).await,
    };
    let account = AccountKey {
        sdk_app_id: request.sdk_app_id,
        user_id: request.user_id.clone(),
    };
    let now = unix_millis() / 1000;
    let claims = match authenticate(
        shared.config.keys_of(account.sdk_app_id),
        &*shared.registry,
        &account,
        &request.user_sig,
        now,
    )
    .await
    {
        Ok(claims) => claims,
        Err(refusal) => return refuse(&shared, socket, Some(&request), refusal).await,
    };
    let mut session = match Session::open(&shared, account, &request, &claims).await {
        Ok(session) => session,
        Err(refusal) => return refuse(&shared, socket, Some(&request), refusal).await,
    };
    shared.metrics.login(0);
    let result = ServerFrame::LoginResult(LoginResult {
        code: 0,
        desc: "ok".into(),
        server_time_ms: unix_millis(),
        session_id: session.info.session_id.clone(),
        protocol: tim_protocol::PROTOCOL_NEWEST,
    });
    let end = match send(&mut socket, &result).await {
        Ok(()) => session.run(&mut socket).await,
        Err(()) => End::Gone,
    };
    session.close(socket, end).await;
}

/// Waits for the `login` frame of a client that sent no login headers. `None` when the client
/// went away or said nothing in time.
async fn first_frame_login(
    socket: &mut WebSocket,
    wait: Duration,
) -> Option<Result<LoginRequest, FrameError>> {
    let message = timeout(wait, socket.recv()).await.ok()??.ok()?;
    let Message::Text(text) = message else {
        return Some(Err(FrameError::new(
            CODE_INVALID,
            "the first frame must be a login",
        )));
    };
    Some(match ClientFrame::decode(&text) {
        Ok(ClientFrame::Login(request)) => request.validate().map(|()| request),
        Ok(_) => Err(FrameError::new(
            CODE_INVALID,
            "the first frame must be a login",
        )),
        Err(e) => Err(e),
    })
}

/// Answers a login that failed, then closes.
async fn refuse(
    shared: &Shared,
    mut socket: WebSocket,
    request: Option<&LoginRequest>,
    refusal: FrameError,
) {
    shared.metrics.login(refusal.code);
    debug!(
        code = refusal.code,
        desc = %refusal.desc,
        sdk_app_id = request.map(|r| r.sdk_app_id),
        user_id = request.map(|r| r.user_id.as_str()),
        "login refused"
    );
    let result = ServerFrame::LoginResult(LoginResult {
        code: refusal.code,
        desc: refusal.desc,
        server_time_ms: unix_millis(),
        session_id: String::new(),
        protocol: tim_protocol::PROTOCOL_NEWEST,
    });
    if send(&mut socket, &result).await.is_ok() {
        close(socket, close_code::NORMAL, "login failed").await;
    }
}

/// Sends one frame. `Err` means the connection is gone.
async fn send(socket: &mut WebSocket, frame: &ServerFrame) -> Result<(), ()> {
    socket
        .send(Message::Text(frame.encode().into()))
        .await
        .map_err(|_| ())
}

async fn close(mut socket: WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// How a logged-in session ended.
enum End {
    /// The client asked, with this `seq`.
    Logout(u64),
    /// Another login took its place, or the same instance reconnected.
    Ended(Ending),
    /// Its ticket expired.
    Expired,
    /// The server is shutting down.
    ShuttingDown,
    /// Nothing heard for the heartbeat timeout.
    Silent,
    /// The client closed the connection, or it broke.
    Gone,
}

/// A logged-in session on this connection.
struct Session<'a> {
    shared: &'a Shared,
    account: AccountKey,
    info: SessionInfo,
    ending: tokio::sync::oneshot::Receiver<Ending>,
    expires: Instant,
    /// When the session's ticket was signed (`TLS.time`), for a renewal's invalidation check.
    ticket_time: u64,
}

/// When a ticket's session expires: once the clock passes `expires_at`, i.e. at the start of the
/// next second.
fn expiry_of(claims: &Claims, now_ms: u64) -> Instant {
    let expires_ms = claims.expires_at().saturating_add(1).saturating_mul(1000);
    Instant::now() + Duration::from_millis(expires_ms.saturating_sub(now_ms))
}

impl<'a> Session<'a> {
    /// Puts the session online and ends the sessions it displaces, wherever they are connected.
    /// Fails with 6208 for a reconnect that another device's login has left no room for, 70050
    /// for a locked account, 70052 for an invalidated ticket, and 70169 if the registry could not
    /// answer.
    async fn open(
        shared: &'a Shared,
        account: AccountKey,
        request: &LoginRequest,
        claims: &Claims,
    ) -> Result<Self, FrameError> {
        let info = SessionInfo {
            session_id: format!("{:016x}", rand::random::<u64>()),
            platform: request.platform,
            instance_id: request.instance_id.clone(),
            node: shared.registry.node(),
        };
        let attempt = LoginAttempt {
            session: info.clone(),
            policy: &shared.config.apps[&request.sdk_app_id].policy,
            reconnect: request.reconnect,
            ticket_time: claims.time,
        };
        let ending = shared.hub.connect(&account, &info);
        let refusal = match shared.registry.admit(&account, attempt).await {
            Ok(Verdict::Admitted(admission)) => Ok(admission),
            Ok(Verdict::NoRoom) => Err(FrameError::new(
                CODE_KICKED_WHILE_OFFLINE,
                "another device logged in while this one was offline",
            )),
            Ok(Verdict::Locked) => Err(FrameError::new(CODE_LOCKED, DESC_LOCKED)),
            Ok(Verdict::Invalidated) => Err(FrameError::new(
                CODE_INVALIDATED,
                "this UserSig was invalidated: sign a new one",
            )),
            Err(e) => {
                warn!(error = %e, "cannot admit a session");
                Err(FrameError::new(
                    CODE_STORE_TIMEOUT,
                    "server internal timeout: retry",
                ))
            }
        };
        let admission = match refusal {
            Ok(admission) => admission,
            Err(refusal) => {
                shared.hub.disconnect(&info.session_id);
                return Err(refusal);
            }
        };
        shared.metrics.sessions_online.fetch_add(1, Relaxed);
        if admission.first_login {
            shared.metrics.accounts_registered.fetch_add(1, Relaxed);
            info!(sdk_app_id = account.sdk_app_id, user_id = %account.user_id, "account registered");
        }
        for replaced in &admission.replaced {
            shared.end(replaced, Ending::Replaced);
        }
        let mut login = Event::now(&account, StateChange::Login, Some(request.platform));
        for (kicked, reason) in &admission.kicked {
            let kick = Ending::Kicked {
                reason: *reason,
                by_platform: Some(request.platform),
            };
            shared.metrics.kicks.fetch_add(1, Relaxed);
            shared.end(kicked, kick);
            login.kicked.push(kicked.platform);
        }
        let now_ms = unix_millis();
        if admission.first_login {
            shared.stats.registered(account.sdk_app_id, now_ms);
        }
        shared
            .stats
            .login(account.sdk_app_id, &account.user_id, now_ms);
        // Counted once the sessions it displaced here have left the hub (uncounted there), so
        // that no peak counts both a session and the one that took its place. Those displaced
        // on other nodes leave their own node's count as their node ends them.
        if shared.hub.admitted(&info.session_id) {
            shared.stats.session_opened(account.sdk_app_id, now_ms);
        }
        shared.state_change(login);
        debug!(
            session_id = %info.session_id,
            sdk_app_id = account.sdk_app_id,
            user_id = %account.user_id,
            platform = %info.platform,
            "logged in"
        );
        Ok(Session {
            shared,
            account,
            info,
            ending,
            expires: expiry_of(claims, now_ms),
            ticket_time: claims.time,
        })
    }

    /// Moves the session onto a renewed ticket, checked as a login's: form, app, key, identity,
    /// expiry (a failure that looks like guessing counts towards the lockout), and invalidation.
    /// An online session was admitted after the account's last invalidation, and a kick since
    /// would have ended it, so a ticket signed no earlier than the session's own is not
    /// invalidated; one signed earlier may be, and is refused with 70052 like an invalidated
    /// one. A refusal leaves the session on its ticket.
    async fn renew(&mut self, user_sig: &str) -> Result<(), FrameError> {
        tim_protocol::validate_user_sig(user_sig)?;
        let now_ms = unix_millis();
        let claims = authenticate(
            self.shared.config.keys_of(self.account.sdk_app_id),
            &*self.shared.registry,
            &self.account,
            user_sig,
            now_ms / 1000,
        )
        .await?;
        if claims.time < self.ticket_time {
            return Err(FrameError::new(
                CODE_INVALIDATED,
                "this UserSig was signed before the session's: sign a new one",
            ));
        }
        self.expires = expiry_of(&claims, now_ms);
        self.ticket_time = claims.time;
        debug!(session_id = %self.info.session_id, "ticket renewed");
        Ok(())
    }

    /// Serves the session's frames until something ends it.
    async fn run(&mut self, socket: &mut WebSocket) -> End {
        let heartbeat = self.shared.config.heartbeat_timeout;
        let silence = sleep_until((Instant::now() + heartbeat).into());
        tokio::pin!(silence);
        let expiry = sleep_until(self.expires.into());
        tokio::pin!(expiry);
        loop {
            let message = tokio::select! {
                biased;
                ending = &mut self.ending => return ending.map_or(End::Gone, End::Ended),
                () = self.shared.shutdown.cancelled() => return End::ShuttingDown,
                () = &mut expiry => return End::Expired,
                () = &mut silence => return End::Silent,
                message = socket.recv() => message,
            };
            let Some(Ok(message)) = message else {
                return End::Gone;
            };
            silence.as_mut().reset((Instant::now() + heartbeat).into());
            let reply = match message {
                Message::Text(text) => match ClientFrame::decode(&text) {
                    Ok(ClientFrame::Ping { seq }) => ServerFrame::Pong {
                        seq,
                        server_time_ms: unix_millis(),
                    },
                    Ok(ClientFrame::Logout { seq }) => return End::Logout(seq),
                    Ok(ClientFrame::Ticket { seq, user_sig }) => {
                        let (code, desc) = match self.renew(&user_sig).await {
                            Ok(()) => {
                                expiry.as_mut().reset(self.expires.into());
                                (0, "ok".to_owned())
                            }
                            Err(refusal) => (refusal.code, refusal.desc),
                        };
                        ServerFrame::TicketResult { seq, code, desc }
                    }
                    Ok(ClientFrame::Login(_)) => {
                        self.bad_frame("already logged in on this connection")
                    }
                    Err(e) => self.bad_frame(&e.desc),
                },
                Message::Binary(_) => self.bad_frame("binary frames are not part of protocol v1"),
                Message::Close(_) => return End::Gone,
                // WebSocket pings are answered by the library; they count as activity.
                Message::Ping(_) | Message::Pong(_) => continue,
            };
            if send(socket, &reply).await.is_err() {
                return End::Gone;
            }
        }
    }

    fn bad_frame(&self, desc: &str) -> ServerFrame {
        self.shared.metrics.bad_frames.fetch_add(1, Relaxed);
        ServerFrame::Error {
            code: CODE_INVALID,
            desc: desc.to_owned(),
        }
    }

    /// Takes the session offline and tells the client why, then closes.
    async fn close(self, mut socket: WebSocket, end: End) {
        let shared = self.shared;
        shared.hub.disconnect(&self.info.session_id);
        // A node shutting down has taken off all of its sessions at once. A kicked or replaced
        // session was taken off by the login that displaced it; its removal takes it off this
        // node's index too.
        if !matches!(end, End::ShuttingDown)
            && let Err(e) = shared
                .registry
                .remove(&self.account, &self.info.session_id)
                .await
        {
            warn!(error = %e, "cannot remove a session");
        }
        shared.metrics.sessions_online.fetch_sub(1, Relaxed);
        // The hub uncounted it from the daily figures' sessions online as it left. A session
        // ended by another login or by the app's server has had its callback.
        let change = match end {
            End::Logout(_) => Some(StateChange::Logout),
            End::Silent => Some(StateChange::TimedOut),
            End::Expired | End::ShuttingDown | End::Gone => Some(StateChange::LinkClosed),
            End::Ended(_) => None,
        };
        if let Some(change) = change {
            let event = Event::now(&self.account, change, Some(self.info.platform));
            shared.state_change(event);
        }
        let (frame, code, reason) = match end {
            End::Logout(seq) => (
                Some(ServerFrame::LogoutResult {
                    seq,
                    code: 0,
                    desc: "ok".into(),
                }),
                close_code::NORMAL,
                "logged out",
            ),
            End::Ended(Ending::Kicked {
                reason,
                by_platform,
            }) => (
                Some(ServerFrame::KickedOffline {
                    reason,
                    by_platform,
                }),
                CLOSE_ENDED,
                "kicked offline",
            ),
            End::Ended(Ending::Replaced) => {
                (None, CLOSE_REPLACED, "replaced by a newer connection")
            }
            End::Expired => {
                shared.metrics.usersig_expired.fetch_add(1, Relaxed);
                (
                    Some(ServerFrame::UserSigExpired),
                    CLOSE_ENDED,
                    "UserSig expired",
                )
            }
            End::ShuttingDown => (
                Some(ServerFrame::GoingAway {
                    reason: "server shutting down".into(),
                }),
                close_code::AWAY,
                "server shutting down",
            ),
            End::Silent => {
                shared.metrics.heartbeat_timeouts.fetch_add(1, Relaxed);
                (None, close_code::AWAY, "heartbeat timeout")
            }
            End::Gone => return,
        };
        debug!(session_id = %self.info.session_id, reason, "session ended");
        if let Some(frame) = frame
            && send(&mut socket, &frame).await.is_err()
        {
            return;
        }
        close(socket, code, reason).await;
    }
}
