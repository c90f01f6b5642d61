//! `GET /logtail/<name>[/stdout|/stderr]` and `GET /mainlogtail`: the last
//! 1024 bytes of a log, then everything written after, as 4.3.0 streams
//! them for `supervisorctl tail -f`, `maintail -f` and `fg`. A rotated file
//! (new inode) is followed into its successor; a file that shrank gets
//! `==> File truncated <==`.

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use supervisor_core::events::Channel;
use supervisor_core::supervisor::Supervisor;

/// How much history a new follower gets.
const BACKLOG: u64 = 1024;
/// How often a follower looks for new bytes.
const POLL: Duration = Duration::from_millis(200);

struct Follow {
    path: PathBuf,
    position: u64,
    inode: u64,
    first: bool,
}

fn read_new(f: &mut Follow) -> Option<Vec<u8>> {
    let meta = std::fs::metadata(&f.path).ok()?;
    let mut out = Vec::new();
    if f.first {
        f.first = false;
        f.position = meta.len().saturating_sub(BACKLOG);
        f.inode = meta.ino();
    } else if meta.ino() != f.inode {
        // Rotated: start the new file from its beginning.
        f.inode = meta.ino();
        f.position = 0;
    } else if meta.len() < f.position {
        out.extend_from_slice(b"==> File truncated <==\n");
        f.position = 0;
    }
    if meta.len() > f.position {
        let mut file = std::fs::File::open(&f.path).ok()?;
        file.seek(SeekFrom::Start(f.position)).ok()?;
        let mut buf = Vec::new();
        file.take(meta.len() - f.position).read_to_end(&mut buf).ok()?;
        f.position += buf.len() as u64;
        out.extend(buf);
    }
    Some(out)
}

fn stream(path: PathBuf) -> Body {
    let state = Follow { path, position: 0, inode: 0, first: true };
    let chunks = futures_util::stream::unfold(state, |mut f| async move {
        loop {
            let first = f.first;
            if !first {
                tokio::time::sleep(POLL).await;
            }
            match read_new(&mut f) {
                Some(data) if !data.is_empty() => return Some((Ok::<Bytes, std::io::Error>(Bytes::from(data)), f)),
                // A file that went away ends the stream only if it never comes back.
                Some(_) | None => continue,
            }
        }
    });
    Body::from_stream(chunks)
}

fn respond(path: Option<PathBuf>, accel: bool) -> Response {
    let Some(path) = path.filter(|p| p.exists()) else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    let mut response = Response::new(stream(path));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/plain;charset=utf-8"));
    if accel {
        headers.insert("X-Accel-Buffering", header::HeaderValue::from_static("no"));
    }
    response
}

async fn process_tail(State(sv): State<Arc<Supervisor>>, Path(rest): Path<String>) -> Response {
    let (name, channel) = match rest.rsplit_once('/') {
        Some((n, c)) if c == "stdout" || c == "stderr" => (n.to_owned(), c.to_owned()),
        _ => (rest.clone(), "stdout".to_owned()),
    };
    let channel = if channel == "stdout" { Channel::Stdout } else { Channel::Stderr };
    let path = sv.log_file(&crate::namespec::process(&name), channel).await.ok().flatten();
    respond(path, true)
}

async fn main_tail(State(sv): State<Arc<Supervisor>>) -> Response {
    respond(sv.main_log_path().await, false)
}

/// The `/logtail` and `/mainlogtail` routes for `supervisor`.
pub fn routes(supervisor: Supervisor) -> axum::Router {
    axum::Router::new()
        .route("/logtail/{*rest}", axum::routing::get(process_tail))
        .route("/mainlogtail", axum::routing::get(main_tail))
        .with_state(Arc::new(supervisor))
}
