//! One WebSocket to the server: connecting with the login in the upgrade headers, and frames in
//! and out. Errors come back with Tencent's network codes.

use crate::error::{TimError, code};
use futures_util::{SinkExt, StreamExt};
use rustls::ClientConfig;
use std::io::ErrorKind;
use std::sync::Arc;
use std::time::Duration;
use tim_protocol::limits::MAX_FRAME_BYTES;
use tim_protocol::{ClientFrame, LoginRequest, LoginResult, ServerFrame};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A login attempt that failed, and whether it failed before the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptError {
    /// The code and description for the app.
    pub error: TimError,
    /// True when the server was never reached (a reconnect is worth retrying).
    pub network: bool,
}

impl AttemptError {
    fn network(code: i32, desc: impl Into<String>) -> Self {
        AttemptError {
            error: TimError::new(code, desc),
            network: true,
        }
    }
}

/// Where and how to connect.
#[derive(Clone)]
pub struct Endpoint {
    /// `ws://` or `wss://` URL.
    pub url: String,
    /// TLS settings for `wss://`.
    pub tls: Option<Arc<ClientConfig>>,
    /// Bound on TCP, TLS and the upgrade.
    pub connect_timeout: Duration,
    /// Bound on each answer once connected.
    pub request_timeout: Duration,
}

/// A logged-in connection.
pub struct Connection {
    socket: Socket,
    seq: u64,
    request_timeout: Duration,
}

/// The frame sizes the server uses, and small buffers: a phone keeps one of these for hours, and
/// frames are a few hundred bytes (a larger one grows the read buffer as it needs).
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES))
}

fn connect_error(e: WsError) -> AttemptError {
    match e {
        WsError::Io(e) if e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) => {
            AttemptError::network(
                code::NETWORK_DISCONNECTED,
                format!("TLS handshake failed: {e}"),
            )
        }
        WsError::Io(e) => match e.kind() {
            ErrorKind::TimedOut => {
                AttemptError::network(code::CONNECT_TIMEOUT, format!("connect timed out: {e}"))
            }
            ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::UnexpectedEof
            | ErrorKind::BrokenPipe => {
                AttemptError::network(code::CONNECTION_RESET, format!("connection reset: {e}"))
            }
            _ => AttemptError::network(
                code::NETWORK_DISCONNECTED,
                format!("cannot reach the server: {e}"),
            ),
        },
        WsError::Tls(e) => AttemptError::network(
            code::NETWORK_DISCONNECTED,
            format!("TLS handshake failed: {e}"),
        ),
        WsError::Http(response) => AttemptError::network(
            code::NETWORK_DISCONNECTED,
            format!(
                "the server answered HTTP {} instead of a WebSocket upgrade",
                response.status()
            ),
        ),
        WsError::ConnectionClosed | WsError::AlreadyClosed => AttemptError::network(
            code::CONNECTION_RESET,
            "connection closed during the upgrade",
        ),
        other => AttemptError::network(
            code::NETWORK_DISCONNECTED,
            format!("cannot connect: {other}"),
        ),
    }
}

/// Connects and logs in: the login rides in the upgrade request, and the server's answer is the
/// first frame. One round trip after TCP (and TLS).
pub async fn login(
    endpoint: &Endpoint,
    login: &LoginRequest,
) -> Result<(Connection, LoginResult), AttemptError> {
    let mut request =
        endpoint.url.as_str().into_client_request().map_err(|e| {
            AttemptError::network(code::INVALID_PARAMETERS, format!("serverUrl: {e}"))
        })?;
    for (name, value) in login.to_headers() {
        let value = value.parse().map_err(|_| {
            AttemptError::network(
                code::INVALID_PARAMETERS,
                format!("{name} cannot be sent in a header"),
            )
        })?;
        request.headers_mut().insert(name, value);
    }
    let connector = endpoint.tls.clone().map(Connector::Rustls);
    let connecting = tokio_tungstenite::connect_async_tls_with_config(
        request,
        Some(socket_config()),
        true,
        connector,
    );
    let (socket, _) = timeout(endpoint.connect_timeout, connecting)
        .await
        .map_err(|_| {
            AttemptError::network(code::CONNECT_TIMEOUT, "connecting to the server timed out")
        })?
        .map_err(connect_error)?;
    let mut connection = Connection {
        socket,
        seq: 0,
        request_timeout: endpoint.request_timeout,
    };
    let frame = timeout(endpoint.request_timeout, connection.recv())
        .await
        .map_err(|_| {
            AttemptError::network(
                code::REQUEST_TIMEOUT,
                "the server did not answer the login in time",
            )
        })?
        .map_err(|error| AttemptError {
            error,
            network: true,
        })?;
    match frame {
        ServerFrame::LoginResult(result) if result.code == 0 => Ok((connection, result)),
        ServerFrame::LoginResult(result) => Err(AttemptError {
            error: TimError::new(i32::try_from(result.code).unwrap_or(i32::MAX), result.desc),
            network: false,
        }),
        other => Err(AttemptError::network(
            code::CONNECTION_RESET,
            format!("the server sent {other:?} before the login result"),
        )),
    }
}

impl Connection {
    /// The next frame from the server. An error means the connection is gone (9514).
    pub async fn recv(&mut self) -> Result<ServerFrame, TimError> {
        loop {
            match self.socket.next().await {
                Some(Ok(Message::Text(text))) => match ServerFrame::decode(&text) {
                    Ok(frame) => return Ok(frame),
                    // A newer server may send frames this SDK does not know: skip them.
                    Err(e) => log::warn!("skipping a frame from the server: {e}"),
                },
                Some(Ok(Message::Close(frame))) => {
                    let why = frame.map_or_else(String::new, |f| {
                        format!(": {} {}", u16::from(f.code), f.reason)
                    });
                    return Err(TimError::new(
                        code::CONNECTION_RESET,
                        format!("the server closed the connection{why}"),
                    ));
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    return Err(TimError::new(
                        code::CONNECTION_RESET,
                        format!("connection lost: {e}"),
                    ));
                }
                None => return Err(TimError::new(code::CONNECTION_RESET, "connection lost")),
            }
        }
    }

    /// Sends a frame, bounded by the request timeout.
    pub async fn send(&mut self, frame: &ClientFrame) -> Result<(), TimError> {
        let sending = self.socket.send(Message::Text(frame.encode().into()));
        match timeout(self.request_timeout, sending).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(TimError::new(
                code::CONNECTION_RESET,
                format!("connection lost: {e}"),
            )),
            Err(_) => Err(TimError::new(
                code::REQUEST_TIMEOUT,
                "sending to the server timed out",
            )),
        }
    }

    /// A fresh sequence number for a request.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Logs out on the server and closes, within one request timeout in all: the server's
    /// answer is awaited that long at most, and the session ends on the server either way once
    /// the connection closes (dropping the socket closes it when the close handshake could not).
    pub async fn logout(mut self) {
        let seq = self.next_seq();
        let bound = self.request_timeout;
        let logging_out = async {
            if self.send(&ClientFrame::Logout { seq }).await.is_ok() {
                loop {
                    match self.recv().await {
                        Ok(ServerFrame::LogoutResult { seq: s, .. }) if s == seq => break,
                        Ok(_) => continue,
                        Err(_) => return,
                    }
                }
            }
            let _ = self.socket.close(None).await;
        };
        if timeout(bound, logging_out).await.is_err() {
            log::warn!("the server did not answer the logout in time");
        }
    }
}
