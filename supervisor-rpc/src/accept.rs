//! Serving connections with limits axum's own `serve` does not offer: a
//! deadline for the request head (slowloris) and a cap on its size.

use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tower::ServiceExt;

use crate::throttle::Peer;

/// What one server answers with right now.
#[derive(Clone)]
pub(crate) enum App {
    /// Between two daemons of a restart: requests wait for the next.
    Pending,
    /// Serving.
    Ready {
        /// The routes, auth and limits of the server's current section.
        router: Router,
        /// `request_header_timeout` of that section.
        header_timeout: Duration,
    },
    /// Shut down: requests get 503.
    Closed,
}

/// The app a server's connections read before each request, so a
/// keep-alive connection that outlives a restart is answered by the new
/// daemon.
pub(crate) type AppSlot = watch::Receiver<App>;

/// The most a request head may hold before the connection is refused.
pub const HEADER_LIMIT: usize = 64 << 10;

/// A unix connection's send buffer (the kernel's default is 208 KiB).
const UNIX_SEND_BUFFER: usize = 2 << 20;

/// The request head deadline before a server's section is known.
const DEFAULT_HEADER_TIMEOUT: Duration =
    Duration::from_secs(supervisor_core::config::HttpServerConfig::DEFAULT_HEADER_TIMEOUT_SECS);

/// Serves one connection from `peer` with `app` until it closes, errs or
/// stalls: a request head must arrive within `header_timeout`
/// (`request_header_timeout`).
pub async fn serve_connection<S>(stream: S, peer: Peer, app: Router, header_timeout: Duration)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (_keep, slot) = watch::channel(App::Ready { router: app, header_timeout });
    serve_slot(stream, peer, None, slot, header_timeout).await;
}

/// Serves one connection, each request with the app `slot` holds when it
/// comes: a connection kept alive across a restart reaches the new daemon.
/// `remote` is a TCP client's address.
async fn serve_slot<S>(
    stream: S,
    peer: Peer,
    remote: Option<std::net::SocketAddr>,
    slot: AppSlot,
    header_timeout: Duration,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        let mut slot = slot.clone();
        async move {
            request.extensions_mut().insert(peer);
            request.extensions_mut().insert(crate::http::RemoteAddr(remote));
            let app = loop {
                let now = slot.borrow_and_update().clone();
                match now {
                    App::Ready { router, .. } => break Some(router),
                    App::Closed => break None,
                    App::Pending => {
                        if slot.changed().await.is_err() {
                            break None;
                        }
                    }
                }
            };
            let response = match app {
                Some(router) => match router.oneshot(request.map(axum::body::Body::new)).await {
                    Ok(r) => r,
                    Err(never) => match never {},
                },
                None => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::CONNECTION, "close"), (header::SERVER, crate::http::SERVER)],
                    "shutting down",
                )
                    .into_response(),
            };
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(header_timeout).max_buf_size(HEADER_LIMIT);
    // A client that sends its request and then shuts down its write side
    // (as some scripts do) still gets the answer.
    http.half_close(true);
    // A client that misbehaves only loses its own connection.
    let _ = http.serve_connection(TokioIo::new(stream), service).await;
}

/// The header deadline of the server's current section.
fn header_timeout(slot: &AppSlot) -> Duration {
    match &*slot.borrow() {
        App::Ready { header_timeout, .. } => *header_timeout,
        App::Pending | App::Closed => DEFAULT_HEADER_TIMEOUT,
    }
}

/// Accepts on `listener` until aborted, one task per connection.
pub(crate) async fn serve_unix(listener: tokio::net::UnixListener, slot: AppSlot) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let peer = Peer::Uid(stream.peer_cred().ok().map(|c| c.uid()));
                // A thousand processes' info is over a megabyte: queued in
                // one write instead of five, each waiting for the client
                // to drain the last. The kernel caps it at
                // `net.core.wmem_max` and takes memory only as it queues.
                let _ = nix::sys::socket::setsockopt(&stream, nix::sys::socket::sockopt::SndBuf, &UNIX_SEND_BUFFER);
                let timeout = header_timeout(&slot);
                tokio::spawn(serve_slot(stream, peer, None, slot.clone(), timeout));
            }
            // Out of fds and the like: back off rather than spin.
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// As [`serve_unix`], for TCP.
pub(crate) async fn serve_tcp(listener: tokio::net::TcpListener, slot: AppSlot) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                let _ = stream.set_nodelay(true);
                let timeout = header_timeout(&slot);
                tokio::spawn(serve_slot(stream, Peer::Ip(addr.ip()), Some(addr), slot.clone(), timeout));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}
