//! The raw protocol client: connecting, logging in, and exchanging frames over one WebSocket, with
//! no retries and no state machine (that is the SDK's job). The server's integration tests and
//! the load generator both speak through it.

use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tim_protocol::limits::MAX_FRAME_BYTES;
use tim_protocol::{
    ClientFrame, LoginRequest, LoginResult, PROTOCOL_VERSION, Platform, ServerFrame,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// WebSocket messages, for tests that send frames the protocol does not define.
pub use tokio_tungstenite::tungstenite::Message;

/// The socket type of a [`Connection`].
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A login request for `user_id` with `ticket`, from an Android instance named `instance_id`.
pub fn login_request(
    sdk_app_id: u64,
    user_id: &str,
    ticket: &str,
    instance_id: &str,
) -> LoginRequest {
    LoginRequest {
        protocol: PROTOCOL_VERSION,
        sdk_app_id,
        user_id: user_id.to_owned(),
        user_sig: ticket.to_owned(),
        platform: Platform::Android,
        instance_id: instance_id.to_owned(),
        sdk_version: concat!("tim-testkit/", env!("CARGO_PKG_VERSION")).to_owned(),
        reconnect: false,
    }
}

/// What a login got.
pub struct LoginOutcome {
    /// The server's answer.
    pub result: LoginResult,
    /// The connection, open after a successful login, closing after a refusal.
    pub connection: Connection,
}

/// One WebSocket to the server.
pub struct Connection {
    socket: Socket,
}

/// An error of the raw client: the socket failed, or the server said something unexpected.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Small buffers: the load generator holds thousands of these.
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES))
}

/// The upgrade request to `url`, with `login` in its headers if given.
fn upgrade_request(url: &str, login: Option<&LoginRequest>) -> Result<Request, Error> {
    let mut request = url.into_client_request()?;
    if let Some(login) = login {
        for (name, value) in login.to_headers() {
            request.headers_mut().insert(name, value.parse()?);
        }
    }
    Ok(request)
}

/// Opens a WebSocket to `url`. With `login`, the login travels in the upgrade headers and the
/// server's [`LoginResult`] is read; without, the caller sends a login frame itself.
pub async fn connect(url: &str, login: Option<&LoginRequest>) -> Result<Connection, Error> {
    let request = upgrade_request(url, login)?;
    let (socket, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(socket_config()), true).await?;
    Ok(Connection { socket })
}

/// Like [`connect`], and for a `wss://` URL the server's certificate is checked against `tls`
/// (its roots, say a test's own CA) rather than any built-in roots. A `ws://` URL ignores `tls`.
#[cfg(feature = "tls")]
pub async fn connect_with_tls(
    url: &str,
    login: Option<&LoginRequest>,
    tls: std::sync::Arc<rustls::ClientConfig>,
) -> Result<Connection, Error> {
    let request = upgrade_request(url, login)?;
    let (socket, _) = tokio_tungstenite::connect_async_tls_with_config(
        request,
        Some(socket_config()),
        true,
        Some(tokio_tungstenite::Connector::Rustls(tls)),
    )
    .await?;
    Ok(Connection { socket })
}

/// Like [`connect`], over `stream`, a TCP connection the caller opened itself (to choose its
/// source address or socket options, such as a zero linger time). `url` must be `ws://`.
pub async fn connect_on(
    stream: TcpStream,
    url: &str,
    login: Option<&LoginRequest>,
) -> Result<Connection, Error> {
    let request = upgrade_request(url, login)?;
    let (socket, _) = tokio_tungstenite::client_async_with_config(
        request,
        MaybeTlsStream::Plain(stream),
        Some(socket_config()),
    )
    .await?;
    Ok(Connection { socket })
}

impl Connection {
    /// Like [`Connection::login`], over `stream`, a TCP connection the caller opened itself (see
    /// [`connect_on`]).
    pub async fn login_on(
        stream: TcpStream,
        url: &str,
        login: &LoginRequest,
    ) -> Result<LoginOutcome, Error> {
        connect_on(stream, url, Some(login))
            .await?
            .login_result()
            .await
    }

    /// Connects with the login in the headers and reads the answer.
    pub async fn login(url: &str, login: &LoginRequest) -> Result<LoginOutcome, Error> {
        connect(url, Some(login)).await?.login_result().await
    }

    /// Like [`Connection::login`], trusting the certificates `tls` trusts (see
    /// [`connect_with_tls`]).
    #[cfg(feature = "tls")]
    pub async fn login_with_tls(
        url: &str,
        login: &LoginRequest,
        tls: std::sync::Arc<rustls::ClientConfig>,
    ) -> Result<LoginOutcome, Error> {
        connect_with_tls(url, Some(login), tls)
            .await?
            .login_result()
            .await
    }

    /// Reads the answer to the login sent in the upgrade headers.
    async fn login_result(mut self) -> Result<LoginOutcome, Error> {
        match self.recv().await? {
            ServerFrame::LoginResult(result) => Ok(LoginOutcome {
                result,
                connection: self,
            }),
            other => Err(format!("expected a login result, got {other:?}").into()),
        }
    }

    /// Sends a frame.
    pub async fn send(&mut self, frame: &ClientFrame) -> Result<(), Error> {
        self.send_raw(Message::Text(frame.encode().into())).await
    }

    /// Sends any WebSocket message, well-formed or not.
    pub async fn send_raw(&mut self, message: Message) -> Result<(), Error> {
        Ok(self.socket.send(message).await?)
    }

    /// The next frame from the server. Errors when the connection closes first.
    pub async fn recv(&mut self) -> Result<ServerFrame, Error> {
        loop {
            match self.socket.next().await {
                Some(Ok(Message::Text(text))) => return Ok(ServerFrame::decode(&text)?),
                Some(Ok(Message::Close(frame))) => {
                    return Err(
                        format!("closed by the server: {}", describe(frame.as_ref())).into(),
                    );
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
                None => return Err("connection closed".into()),
            }
        }
    }

    /// The next frame, or an error if none comes within `wait`.
    pub async fn recv_within(&mut self, wait: Duration) -> Result<ServerFrame, Error> {
        tokio::time::timeout(wait, self.recv())
            .await
            .map_err(|_| format!("no frame within {wait:?}"))?
    }

    /// Waits for the server to close the connection, and returns the close code (1006 when the
    /// connection dropped without a close frame). Frames before the close are skipped.
    pub async fn closed(&mut self) -> u16 {
        loop {
            match self.socket.next().await {
                Some(Ok(Message::Close(frame))) => {
                    return frame.map_or(1005, |f| u16::from(f.code));
                }
                Some(Ok(_)) => continue,
                Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) | None => {
                    return 1006;
                }
                Some(Err(_)) => return 1006,
            }
        }
    }

    /// Closes the connection from this side.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

fn describe(frame: Option<&CloseFrame>) -> String {
    frame.map_or_else(
        || "no close frame".to_owned(),
        |f| format!("{} {}", u16::from(f.code), f.reason),
    )
}
