//! `[inet_http_server]`, `[unix_http_server]` and `[supervisorctl]`.

use super::datatypes as dt;
use super::error::ErrorKind;
use super::expand::Expansions;
use super::model::{HttpServerConfig, Listen};
use super::reader::{Ctx, Sec};
use super::tls::TlsFiles;

/// Every HTTP server section: inet ones, then unix ones. As in 4.3.0, any
/// section whose name *starts with* `inet_http_server` or `unix_http_server`
/// counts, so several of each can be configured (`[inet_http_server:two]`).
pub(crate) fn read(ctx: &mut Ctx<'_>, here: &Expansions) -> Vec<HttpServerConfig> {
    let mut servers = Vec::new();
    for prefix in ["inet_http_server", "unix_http_server"] {
        let sections: Vec<Sec<'_>> = ctx
            .ini
            .sections()
            .iter()
            .filter(|s| s.name.starts_with(prefix))
            .filter_map(|s| ctx.section(&s.name))
            .collect();
        for sec in sections {
            if let Some(server) = read_one(ctx, sec, prefix == "inet_http_server", here) {
                servers.push(server);
            }
        }
    }
    servers
}

fn read_one(ctx: &mut Ctx<'_>, sec: Sec<'_>, inet: bool, here: &Expansions) -> Option<HttpServerConfig> {
    let name = sec.name().split_once(':').map(|(_, n)| n.to_owned());
    let username = sec.get(ctx, "username", &[]);
    let password = sec.get(ctx, "password", &[]);
    if sec.raw("username").is_some() != sec.raw("password").is_some() {
        let key = if sec.raw("username").is_none() { "username" } else { "password" };
        ctx.error(sec.location().with_key(key), ErrorKind::IncompleteAuthentication);
    }
    let listen = if inet {
        let Some(port) = sec.get(ctx, "port", &[]) else {
            if sec.raw("port").is_none() {
                ctx.error(sec.location().with_key("port"), ErrorKind::MissingKey("port"));
            }
            return None;
        };
        let (host, port) = match dt::inet_address(&port) {
            Ok(hp) => hp,
            Err(e) => {
                ctx.error(sec.key_location("port"), e);
                return None;
            }
        };
        Listen::Inet { host, port }
    } else {
        let Some(file) = sec.get(ctx, "file", &[here]) else {
            if sec.raw("file").is_none() {
                ctx.error(sec.location().with_key("file"), ErrorKind::MissingKey("file"));
            }
            return None;
        };
        let file = dt::normalize_path(crate::pytext::strip(&file), ctx.home());
        let chown = match sec.get(ctx, "chown", &[]) {
            None => None,
            Some(v) => match dt::user_and_group(&v) {
                Ok(ids) => Some(ids),
                Err(_) => {
                    ctx.error(sec.key_location("chown"), ErrorKind::Chown(v));
                    None
                }
            },
        };
        let chmod = match sec.get(ctx, "chmod", &[]) {
            None => 0o700,
            Some(v) => dt::octal(&v).unwrap_or_else(|_| {
                ctx.error(sec.key_location("chmod"), ErrorKind::Chmod(v));
                0o700
            }),
        };
        Listen::Unix { file, chmod, chown }
    };
    // Our own keys (4.3.0 ignores unknown keys here, so a config using
    // them still loads there).
    let body_limit = sec.parse(ctx, "request_body_limit", &[], HttpServerConfig::DEFAULT_BODY_LIMIT, |v| {
        dt::byte_size(v).and_then(|n| if n == 0 { Err(dt::ValueError::TooSmall { value: 0, min: 1 }) } else { Ok(n) })
    });
    let header_timeout_secs =
        sec.parse(ctx, "request_header_timeout", &[], HttpServerConfig::DEFAULT_HEADER_TIMEOUT_SECS, |v| {
            dt::integer_at_least(v, 1).map(|n| n as u64)
        });
    let metrics = sec.parse(ctx, "metrics", &[], false, dt::boolean);
    let event_stream = sec.parse(ctx, "event_stream", &[], false, dt::boolean);
    let tls = if inet { read_tls(ctx, sec, here) } else { None };
    Some(HttpServerConfig {
        section: sec.name().to_owned(),
        name,
        username,
        password,
        listen,
        body_limit,
        header_timeout_secs,
        metrics,
        event_stream,
        tls,
    })
}

/// `tls_cert`, `tls_key` and `tls_client_ca`, read and checked now: a file
/// that cannot be used is an error at its key.
fn read_tls(ctx: &mut Ctx<'_>, sec: Sec<'_>, here: &Expansions) -> Option<TlsFiles> {
    let mut path = |key: &str| {
        let value = sec.get(ctx, key, &[here])?;
        Some(dt::normalize_path(crate::pytext::strip(&value), ctx.home()))
    };
    let (cert, key, client_ca) = (path("tls_cert"), path("tls_key"), path("tls_client_ca"));
    let (cert, key) = match (cert, key) {
        (Some(cert), Some(key)) => (cert, key),
        (None, None) => {
            if client_ca.is_some() {
                let needs = ErrorKind::Requires { key: "tls_client_ca", needs: "tls_cert" };
                ctx.error(sec.key_location("tls_client_ca"), needs);
            }
            return None;
        }
        (Some(_), None) => {
            ctx.error(sec.key_location("tls_cert"), ErrorKind::Requires { key: "tls_cert", needs: "tls_key" });
            return None;
        }
        (None, Some(_)) => {
            ctx.error(sec.key_location("tls_key"), ErrorKind::Requires { key: "tls_key", needs: "tls_cert" });
            return None;
        }
    };
    let files = TlsFiles { cert, key, client_ca };
    match files.server_config() {
        Ok(_) => Some(files),
        Err(e) => {
            ctx.error(sec.key_location(e.key), ErrorKind::Tls(e));
            None
        }
    }
}
