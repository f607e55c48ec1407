//! The connection listener: silent connections are closed, requests are answered with the
//! client's address, and shutdown stops accepting.

use crate::helpers::run;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use moddesk::http::listener::serve_with;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const HEADER_TIMEOUT: Duration = Duration::from_millis(300);

/// A listener on a free port serving a route that answers with the caller's address; the
/// sender stops it.
async fn start() -> (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = Router::new().route(
        "/",
        get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
    );
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_with(
        listener,
        router,
        async {
            let _ = stopped.await;
        },
        HEADER_TIMEOUT,
    ));
    (address, stop, task)
}

/// Reads until the server closes the connection, or fails after `within`.
async fn read_to_close(stream: &mut TcpStream, within: Duration) -> String {
    let mut out = Vec::new();
    tokio::time::timeout(within, stream.read_to_end(&mut out))
        .await
        .expect("the server kept the connection open")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// Opens a connection, sends `bytes` and reads until the server closes it (within ten header
/// timeouts): what it answered, and how long after the sending it closed.
async fn send_until_closed(address: SocketAddr, bytes: &[u8]) -> (String, Duration) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let sent = Instant::now();
    let answer = read_to_close(&mut stream, HEADER_TIMEOUT * 10).await;
    (answer, sent.elapsed())
}

#[test]
fn an_http2_connection_left_idle_is_closed_like_any_other() {
    run(async {
        let (address, _stop, _task) = start().await;

        // HTTP/2's connection preface and an empty SETTINGS frame, then nothing.
        let (_, open_for) = send_until_closed(
            address,
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00",
        )
        .await;

        assert!(open_for < HEADER_TIMEOUT * 5, "{open_for:?}");
    })
}

#[test]
fn a_kept_alive_connection_left_idle_after_its_answer_is_closed() {
    run(async {
        let (address, _stop, _task) = start().await;

        let (answer, open_for) =
            send_until_closed(address, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;

        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(open_for >= HEADER_TIMEOUT / 2, "{open_for:?}");
    })
}

#[test]
fn connections_that_never_finish_their_headers_are_closed() {
    run(async {
        let (address, _stop, _task) = start().await;
        for partial in [
            "",
            "POST /hooks/aegis HTTP/1.1\r\nHost: x\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: a",
        ] {
            let mut stream = TcpStream::connect(address).await.unwrap();
            stream.write_all(partial.as_bytes()).await.unwrap();
            let opened = Instant::now();

            read_to_close(&mut stream, Duration::from_secs(5)).await;

            assert!(
                opened.elapsed() >= HEADER_TIMEOUT / 2,
                "{partial:?} was closed before the timeout"
            );
        }
    })
}

#[test]
fn requests_are_answered_with_the_clients_address_and_shutdown_stops_the_listener() {
    run(async {
        let (address, stop, task) = start().await;
        let mut stream = TcpStream::connect(address).await.unwrap();
        let local = stream.local_addr().unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();

        let answer = read_to_close(&mut stream, Duration::from_secs(5)).await;
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the listener stopped")
            .unwrap();

        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with(&local.to_string()), "{answer}");
        assert!(
            TcpStream::connect(address).await.is_err(),
            "no longer accepting"
        );
    })
}
