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
        /// `tls_cert` and `tls_key` of that section, read when the app was
        /// installed: new connections are TLS handshakes.
        tls: Tls,
    },
    /// Shut down: requests get 503.
    Closed,
}

/// Whether a TCP server speaks TLS.
#[derive(Clone)]
pub(crate) enum Tls {
    /// Plain HTTP.
    Off,
    /// Every connection is a TLS handshake first.
    On(tokio_rustls::TlsAcceptor),
    /// TLS is configured but its files could not be read: connections are
    /// closed, never answered in plain text.
    Unusable,
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
    let (_keep, slot) = watch::channel(App::Ready { router: app, header_timeout, tls: Tls::Off });
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

/// As [`serve_unix`], for TCP; with TLS when the current app says so.
pub(crate) async fn serve_tcp(listener: tokio::net::TcpListener, slot: AppSlot) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve_tcp_connection(stream, addr, slot.clone()));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// The first byte of a TLS connection: a handshake record.
const TLS_HANDSHAKE: u8 = 0x16;

/// A plain-http request to a TLS server: answered in plain text and closed.
const NOT_TLS: &str = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 52\r\n\r\n\
                       This server speaks https only: use an https:// URL.\n";

/// One TCP connection: the TLS handshake first when the server's current
/// app has TLS (a client that speaks plain HTTP is told so), then requests.
async fn serve_tcp_connection(mut stream: tokio::net::TcpStream, addr: std::net::SocketAddr, mut slot: AppSlot) {
    // Whether to expect TLS is the app's to say: wait out a restart.
    let tls = loop {
        let now = slot.borrow_and_update().clone();
        match now {
            App::Ready { tls, .. } => break tls,
            App::Closed => break Tls::Off,
            App::Pending => {
                if slot.changed().await.is_err() {
                    return;
                }
            }
        }
    };
    let timeout = header_timeout(&slot);
    let peer = Peer::Ip(addr.ip());
    let acceptor = match tls {
        Tls::Off => return serve_slot(stream, peer, Some(addr), slot, timeout).await,
        Tls::On(acceptor) => acceptor,
        Tls::Unusable => return,
    };
    let mut first = [0u8; 1];
    match tokio::time::timeout(timeout, stream.peek(&mut first)).await {
        Ok(Ok(1)) if first[0] == TLS_HANDSHAKE => {}
        Ok(Ok(1)) => {
            use tokio::io::AsyncWriteExt;
            let _ = stream.write_all(NOT_TLS.as_bytes()).await;
            let _ = stream.shutdown().await;
            return;
        }
        _ => return,
    }
    // A client that fails the handshake (an untrusted certificate with
    // mutual TLS) or stalls in it only loses its own connection.
    if let Ok(Ok(tls)) = tokio::time::timeout(timeout, acceptor.accept(stream)).await {
        serve_slot(tls, peer, Some(addr), slot, timeout).await;
    }
}
