//! Serving HTTP connections with limits axum's own `serve` does not set. A connection must send
//! each request's headers within [`HEADER_READ_TIMEOUT`] (the first from when it opens, the next
//! from the previous answer), so connections opened and left silent, fed a byte at a time or
//! kept alive and idle are closed instead of piling up until moddesk runs out of file
//! descriptors. Only HTTP/1 is served. Request bodies have their own time limit, set on the
//! router (see `startup`). A reverse proxy in front of moddesk is the place for per-client
//! connection limits.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1::Builder;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long a client may take to send a request's headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long open connections get to finish their requests once shutdown begins.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// The pause after a failed accept (most often: out of file descriptors), so the loop waits for
/// connections to close instead of spinning.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Serves `router` on `listener` until `shutdown` completes, then lets open requests finish for
/// up to [`SHUTDOWN_GRACE`]. Handlers see the client's address as `ConnectInfo<SocketAddr>`.
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
    serve_with(listener, router, shutdown, HEADER_READ_TIMEOUT).await;
}

/// [`serve`] with another limit on reading headers (tests use a short one).
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()>,
    header_read_timeout: Duration,
) {
    // HTTP/1 only: the header timeout does not apply to HTTP/2 connections, which could then be
    // opened and left idle without limit. TLS and HTTP/2 belong to a reverse proxy.
    let mut builder = Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Answers are small and sent whole; waiting to fill packets only adds latency.
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // hyper's header timer starts with the first byte, so a connection that sends
            // nothing at all is closed here.
            let mut first = [0u8; 1];
            if !matches!(
                tokio::time::timeout(header_read_timeout, stream.peek(&mut first)).await,
                Ok(Ok(1))
            ) {
                return;
            }
            let service =
                hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    router.clone().oneshot(request)
                });
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            if let Err(error) = watcher.watch(connection).await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }

    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after the shutdown grace period were cut off");
    }
}
