//! What the benchmarks share: flags, and REST calls as the app's administrator on a keep-alive connection.

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tim_server::RunningServer;
use tim_testkit::tickets::{APP, ticket};

/// The value after the flag `name` on the command line.
pub fn value(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1).cloned()
}

/// The number after the flag `name`, or `default`.
pub fn arg(name: &str, default: u64) -> u64 {
    value(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A keep-alive HTTP/1.1 connection to a node's REST API.
pub type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// Opens a keep-alive connection to `node`'s REST API.
pub async fn connect(node: &RunningServer) -> Sender {
    let addr = node.rest_url().trim_start_matches("http://").to_owned();
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(connection);
    sender
}

/// Calls `/v4/{path}` as `administrator` and returns the answer's JSON.
pub async fn post(sender: &mut Sender, path: &str, body: &str) -> serde_json::Value {
    let query = format!(
        "sdkappid={APP}&identifier=administrator&usersig={}&random=1&contenttype=json",
        ticket("administrator")
    );
    let request = Request::post(format!("/v4/{path}?{query}"))
        .header("host", "bench")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    // A keep-alive connection takes the next request once it has finished the last one.
    sender.ready().await.unwrap();
    let response = sender.send_request(request).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&body).unwrap()
}
