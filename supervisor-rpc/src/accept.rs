//! Serving connections with limits axum's own `serve` does not offer: a
//! deadline for the request head (slowloris) and a cap on its size.

use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::throttle::Peer;

/// The most a request head may hold before the connection is refused.
pub const HEADER_LIMIT: usize = 64 << 10;

/// A unix connection's send buffer (the kernel's default is 208 KiB).
const UNIX_SEND_BUFFER: usize = 2 << 20;

/// Serves one connection from `peer` until it closes, errs or stalls: a
/// request head must arrive within `header_timeout`
/// (`request_header_timeout`).
pub async fn serve_connection<S>(stream: S, peer: Peer, app: Router, header_timeout: Duration)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let app = app.layer(axum::Extension(peer));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(header_timeout).max_buf_size(HEADER_LIMIT);
    // A client that sends its request and then shuts down its write side
    // (as some scripts do) still gets the answer.
    http.half_close(true);
    // A client that misbehaves only loses its own connection.
    let _ = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app)).await;
}

/// Accepts on `listener` forever, one task per connection.
pub async fn serve_unix(listener: tokio::net::UnixListener, app: Router, header_timeout: Duration) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let peer = Peer::Uid(stream.peer_cred().ok().map(|c| c.uid()));
                // A thousand processes' info is over a megabyte: queued in
                // one write instead of five, each waiting for the client
                // to drain the last. The kernel caps it at
                // `net.core.wmem_max` and takes memory only as it queues.
                let _ = nix::sys::socket::setsockopt(&stream, nix::sys::socket::sockopt::SndBuf, &UNIX_SEND_BUFFER);
                tokio::spawn(serve_connection(stream, peer, app.clone(), header_timeout));
            }
            // Out of fds and the like: back off rather than spin.
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// As [`serve_unix`], for TCP.
pub async fn serve_tcp(listener: tokio::net::TcpListener, app: Router, header_timeout: Duration) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve_connection(stream, Peer::Ip(addr.ip()), app.clone(), header_timeout));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}
