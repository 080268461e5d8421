//! A minimal HTTP/1.1 client for the REST API (one request per connection), and a callback
//! receiver: an HTTP server on 127.0.0.1:0 that hands each request it gets to the test.

use super::{APP, WAIT, ticket};
use serde_json::Value;
use std::net::{IpAddr, SocketAddr};
use tim_server::RunningServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;

/// An HTTP answer: status and body.
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// Sends `head` (request line and headers, without the blank line) and `body`, with
/// `Connection: close`, and reads the whole answer.
pub async fn http(addr: SocketAddr, head: &str, body: &[u8]) -> Answer {
    http_from(None, addr, head, body).await
}

/// A TCP connection to `addr` from the local address `from` (any of 127/8 is the loopback
/// interface on Linux, so tests can stand for several clients), or from the kernel's choice.
pub async fn connect_from(from: Option<IpAddr>, addr: SocketAddr) -> TcpStream {
    let Some(from) = from else {
        return TcpStream::connect(addr).await.unwrap();
    };
    let socket = if from.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .unwrap();
    socket
        .bind(SocketAddr::new(from, 0))
        .unwrap_or_else(|e| panic!("bind {from}: {e}"));
    socket.connect(addr).await.unwrap()
}

/// [`http`] from the local address `from`.
pub async fn http_from(from: Option<IpAddr>, addr: SocketAddr, head: &str, body: &[u8]) -> Answer {
    let exchange = async {
        let mut stream = connect_from(from, addr).await;
        let request = format!(
            "{head}\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        // The server may answer (and close) before reading a body it refuses.
        let _ = stream.write_all(body).await;
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        answer
    };
    let answer = tokio::time::timeout(WAIT, exchange)
        .await
        .expect("answered in time");
    let text = String::from_utf8(answer).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

/// The query string of a call by `identifier` with `usersig`.
pub fn query(app: u64, identifier: &str, usersig: &str) -> String {
    format!("sdkappid={app}&identifier={identifier}&usersig={usersig}&random=42&contenttype=json")
}

/// The address of a server's REST API.
pub fn rest_addr(server: &RunningServer) -> SocketAddr {
    server
        .rest_url()
        .strip_prefix("http://")
        .unwrap()
        .parse()
        .unwrap()
}

/// POSTs `body` to `path` as `administrator`, insisting on HTTP 200; the JSON answer.
pub async fn call(server: &RunningServer, path: &str, body: &str) -> Value {
    call_as(
        server,
        "administrator",
        &ticket("administrator"),
        path,
        body,
    )
    .await
}

/// POSTs `body` to `path` as `identifier` with `usersig`.
pub async fn call_as(
    server: &RunningServer,
    identifier: &str,
    usersig: &str,
    path: &str,
    body: &str,
) -> Value {
    call_from(None, server, identifier, usersig, path, body).await
}

/// [`call_as`] from the local address `from`.
pub async fn call_from(
    from: Option<IpAddr>,
    server: &RunningServer,
    identifier: &str,
    usersig: &str,
    path: &str,
    body: &str,
) -> Value {
    let head = format!(
        "POST /v4/{path}?{} HTTP/1.1",
        query(APP, identifier, usersig)
    );
    let answer = http_from(from, rest_addr(server), &head, body.as_bytes()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

/// The `ErrorCode` of an answer.
pub fn code(answer: &Value) -> u64 {
    answer["ErrorCode"]
        .as_u64()
        .unwrap_or_else(|| panic!("no ErrorCode in {answer}"))
}

/// One callback request: its query string and JSON body.
#[derive(Debug)]
pub struct Received {
    pub query: String,
    pub body: Value,
}

impl Received {
    /// A query parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    }

    /// `Info.Action` and `Info.Reason`.
    pub fn action(&self) -> (&str, &str) {
        let info = &self.body["Info"];
        (
            info["Action"].as_str().unwrap(),
            info["Reason"].as_str().unwrap(),
        )
    }
}

/// An HTTP server that receives callbacks and answers Tencent's OK.
pub struct Receiver {
    pub addr: SocketAddr,
    pub requests: mpsc::UnboundedReceiver<Received>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, requests) = mpsc::unbounded_channel();
        let app =
            axum::Router::new().fallback(move |uri: axum::http::Uri, body: axum::body::Bytes| {
                let tx = tx.clone();
                async move {
                    let body = serde_json::from_slice(&body).expect("a JSON callback body");
                    let query = uri.query().unwrap_or_default().to_owned();
                    let _ = tx.send(Received { query, body });
                    r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#
                }
            });
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { addr, requests }
    }

    /// The next callback received.
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(WAIT, self.requests.recv())
            .await
            .expect("a callback in time")
            .expect("the receiver is running")
    }
}
