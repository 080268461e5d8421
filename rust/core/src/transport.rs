//! One WebSocket to the server: connecting with the login in the upgrade headers, and frames in
//! and out. Errors come back with Tencent's network codes.

use crate::error::{TimError, code};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use rustls::ClientConfig;
use std::io::ErrorKind;
use std::sync::Arc;
use std::time::Duration;
use tim_protocol::limits::MAX_FRAME_BYTES;
use tim_protocol::{ClientFrame, LoginRequest, LoginResult, ServerFrame};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
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
    /// A failure before the server answered.
    pub fn network(code: i32, desc: impl Into<String>) -> Self {
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

/// A logged-in connection. Frames out are written by a task of their own, so that sending never
/// waits: the engine goes on serving calls while a server that stopped reading holds a write up
/// (which fails after the request timeout, and ends the connection).
pub struct Connection {
    incoming: SplitStream<Socket>,
    /// Feeds the writer; `None` once [`Connection::logout`] let it close the socket.
    outgoing: Option<mpsc::UnboundedSender<Message>>,
    /// Why the writer stopped, once it has; `None` when that was told, or it ended cleanly.
    write_failure: Option<oneshot::Receiver<TimError>>,
    writer: JoinHandle<()>,
    seq: u64,
    request_timeout: Duration,
    protocol: u32,
}

/// The connection's writer stops with it: a write held up by the server ends with the socket.
impl Drop for Connection {
    fn drop(&mut self) {
        self.writer.abort();
    }
}

/// Writes each queued frame, each bounded by `bound`, and closes the socket when the queue is
/// closed. The first failure is reported on `failure`, which ends the connection.
async fn write(
    mut sink: SplitSink<Socket, Message>,
    mut queue: mpsc::UnboundedReceiver<Message>,
    bound: Duration,
    failure: oneshot::Sender<TimError>,
) {
    while let Some(message) = queue.recv().await {
        let error = match timeout(bound, sink.send(message)).await {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => TimError::new(code::CONNECTION_RESET, format!("connection lost: {e}")),
            Err(_) => TimError::new(code::REQUEST_TIMEOUT, "sending to the server timed out"),
        };
        let _ = failure.send(error);
        return;
    }
    let _ = timeout(bound, sink.close()).await;
}

/// Resolves with the writer's failure; never when there is none (or it was told already).
async fn write_failed(failure: &mut Option<oneshot::Receiver<TimError>>) -> TimError {
    if let Some(receiver) = failure.as_mut()
        && let Ok(error) = receiver.await
    {
        *failure = None;
        return error;
    }
    *failure = None;
    std::future::pending().await
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
    let (sink, incoming) = socket.split();
    let (outgoing, queue) = mpsc::unbounded_channel();
    let (failure, write_failure) = oneshot::channel();
    let mut connection = Connection {
        incoming,
        outgoing: Some(outgoing),
        write_failure: Some(write_failure),
        writer: tokio::spawn(write(sink, queue, endpoint.request_timeout, failure)),
        seq: 0,
        request_timeout: endpoint.request_timeout,
        protocol: 1,
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
        ServerFrame::LoginResult(result) if result.code == 0 => {
            connection.protocol = result.protocol;
            Ok((connection, result))
        }
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
    /// The next frame from the server. An error means the connection is gone (9514, or 6012
    /// when a frame could not be written in time).
    pub async fn recv(&mut self) -> Result<ServerFrame, TimError> {
        loop {
            let message = tokio::select! {
                message = self.incoming.next() => message,
                error = write_failed(&mut self.write_failure) => return Err(error),
            };
            match message {
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

    /// Queues a frame for the writer, without waiting. An error means the connection is gone;
    /// a write that fails later is told by [`Connection::recv`].
    pub fn send(&self, frame: &ClientFrame) -> Result<(), TimError> {
        let gone = || TimError::new(code::CONNECTION_RESET, "connection lost");
        let outgoing = self.outgoing.as_ref().ok_or_else(gone)?;
        outgoing
            .send(Message::Text(frame.encode().into()))
            .map_err(|_| gone())
    }

    /// The newest protocol version the server speaks (its login result said).
    pub fn protocol(&self) -> u32 {
        self.protocol
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
            if self.send(&ClientFrame::Logout { seq }).is_ok() {
                loop {
                    match self.recv().await {
                        Ok(ServerFrame::LogoutResult { seq: s, .. }) if s == seq => break,
                        Ok(_) => continue,
                        Err(_) => return,
                    }
                }
            }
            // Closing the queue lets the writer close the socket.
            self.outgoing = None;
            let _ = (&mut self.writer).await;
        };
        if timeout(bound, logging_out).await.is_err() {
            log::warn!("the server did not answer the logout in time");
        }
    }
}
