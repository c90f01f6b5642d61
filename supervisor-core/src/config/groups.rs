//! Assembling process groups (4.3.0's `process_groups_from_parser`):
//! `[group:x]` first, then the programs left over, then listener pools, then
//! FastCGI programs; sorted by priority, then name.

use super::datatypes::{self as dt, ValueError};
use super::error::ErrorKind;
use super::expand::Expansions;
use super::model::{EventListenerPoolConfig, FcgiAddress, FcgiSocketConfig, GroupConfig, GroupKind};
use super::programs::{processes_from_section, section_suffix_name};
use super::reader::{Ctx, Sec};
use crate::event_types::EventType;

/// Every group the sections define.
pub(crate) fn read(ctx: &mut Ctx<'_>, here: &str) -> Vec<GroupConfig> {
    let mut here_names = Expansions::new();
    here_names.insert("here".into(), here.into());
    let sections: Vec<Sec<'_>> = ctx.ini.sections().iter().filter_map(|s| ctx.section(&s.name)).collect();
    let mut groups = Vec::new();
    let mut in_groups: Vec<&str> = Vec::new();

    for sec in sections.iter().filter(|s| s.name().starts_with("group:")) {
        let Some(name) = section_suffix_name(ctx, *sec) else {
            continue;
        };
        let programs = sec.get(ctx, "programs", &[&here_names]).map(|v| dt::list_of_strings(&v)).unwrap_or_default();
        let priority = sec.parse(ctx, "priority", &[&here_names], 999, dt::integer);
        let mut processes = Vec::new();
        for program in programs {
            let plain = format!("program:{program}");
            let fcgi = format!("fcgi-program:{program}");
            let member = match (ctx.section(&plain), ctx.section(&fcgi)) {
                (Some(_), Some(_)) => {
                    ctx.error(sec.key_location("programs"), ErrorKind::AmbiguousProgram(program));
                    continue;
                }
                (Some(s), None) | (None, Some(s)) => s,
                (None, None) => {
                    ctx.error(sec.key_location("programs"), ErrorKind::UnknownProgram(program));
                    continue;
                }
            };
            in_groups.push(member.name());
            processes.extend(processes_from_section(ctx, member, &name, here));
        }
        groups.push((sec.name(), GroupConfig { name, priority, kind: GroupKind::Programs, processes }));
    }

    for sec in sections.iter().filter(|s| s.name().starts_with("program:") && !in_groups.contains(&s.name())) {
        let Some(name) = section_suffix_name(ctx, *sec) else {
            continue;
        };
        let priority = sec.parse(ctx, "priority", &[&here_names], 999, dt::integer);
        let processes = processes_from_section(ctx, *sec, &name, here);
        groups.push((sec.name(), GroupConfig { name, priority, kind: GroupKind::Programs, processes }));
    }

    for sec in sections.iter().filter(|s| s.name().starts_with("eventlistener:")) {
        let Some(name) = section_suffix_name(ctx, *sec) else {
            continue;
        };
        if let Some(pool) = listener_pool(ctx, *sec, &here_names) {
            let priority = sec.parse(ctx, "priority", &[&here_names], -1, dt::integer);
            let processes = processes_from_section(ctx, *sec, &name, here);
            groups.push((
                sec.name(),
                GroupConfig { name, priority, kind: GroupKind::EventListenerPool(pool), processes },
            ));
        }
    }

    for sec in sections.iter().filter(|s| s.name().starts_with("fcgi-program:") && !in_groups.contains(&s.name())) {
        let Some(name) = section_suffix_name(ctx, *sec) else {
            continue;
        };
        let priority = sec.parse(ctx, "priority", &[&here_names], 999, dt::integer);
        if let Some(socket) = fcgi_socket(ctx, *sec, &name, &here_names) {
            let processes = processes_from_section(ctx, *sec, &name, here);
            groups.push((sec.name(), GroupConfig { name, priority, kind: GroupKind::FastCgi(socket), processes }));
        }
    }

    // Two groups of one name would shadow each other at run time.
    for i in 1..groups.len() {
        if let Some(first) = groups[..i].iter().find(|(_, g)| g.name == groups[i].1.name) {
            let (section, group) = &groups[i];
            if let Some(sec) = ctx.section(section) {
                let other = first.0.to_owned();
                ctx.error(sec.location(), ErrorKind::DuplicateGroup { name: group.name.clone(), other });
            }
        }
    }

    let mut groups: Vec<GroupConfig> = groups.into_iter().map(|(_, g)| g).collect();
    groups.sort_by(|a, b| (a.priority, &a.name).cmp(&(b.priority, &b.name)));
    groups
}

fn listener_pool(ctx: &mut Ctx<'_>, sec: Sec<'_>, here: &Expansions) -> Option<EventListenerPoolConfig> {
    let n = &[here];
    let errors_before = ctx.errors.len();
    let buffer_size = sec.parse(ctx, "buffer_size", n, 10, dt::integer);
    if buffer_size < 1 {
        ctx.error(sec.key_location("buffer_size"), ErrorKind::BufferSize(buffer_size));
    }
    let result_handler =
        sec.get(ctx, "result_handler", n).unwrap_or_else(|| super::options::DEFAULT_RESULT_HANDLER.to_owned());
    if !ctx.opts.result_handlers.contains(&result_handler) {
        ctx.error(sec.key_location("result_handler"), ErrorKind::Unresolvable(result_handler.clone()));
    }
    let names = sec.get(ctx, "events", n).map(|v| dt::list_of_strings(&v)).unwrap_or_default();
    if names.is_empty() {
        ctx.error(sec.key_location("events"), ErrorKind::MissingKey("events"));
    }
    let mut events = Vec::new();
    for name in names {
        match EventType::from_name(&name) {
            Some(t) => events.push(t),
            None => ctx.error(sec.key_location("events"), ErrorKind::UnknownEvent(name.to_uppercase())),
        }
    }
    events.sort();
    events.dedup();
    if sec.parse(ctx, "redirect_stderr", n, false, dt::boolean) {
        ctx.error(sec.key_location("redirect_stderr"), ErrorKind::ListenerRedirectsStderr);
    }
    let len_in_bytes = sec.parse(ctx, "len_in_bytes", n, false, dt::boolean);
    let buffer_size = usize::try_from(buffer_size).unwrap_or(1);
    (ctx.errors.len() == errors_before).then_some(EventListenerPoolConfig {
        buffer_size,
        events,
        result_handler,
        len_in_bytes,
    })
}

/// The socket keys see only `here` (and `socket`, `program_name`), as in 4.3.0.
fn fcgi_socket(ctx: &mut Ctx<'_>, sec: Sec<'_>, program: &str, here: &Expansions) -> Option<FcgiSocketConfig> {
    let n = &[here];
    let mut socket_names = here.clone();
    socket_names.insert("program_name".into(), program.into());
    let errors_before = ctx.errors.len();
    let proc_uid = sec.get(ctx, "user", n).and_then(|u| dt::name_to_uid(&u).ok());
    let backlog = sec.parse_opt(ctx, "socket_backlog", n, dt::integer);
    let backlog = match backlog {
        Some(b) if !(1..=65535).contains(&b) => {
            ctx.error(sec.key_location("socket_backlog"), ErrorKind::SocketBacklog(b));
            None
        }
        b => b.map(|b| b as u32),
    };
    let owner = match sec.get(ctx, "socket_owner", n) {
        None => None,
        Some(v) => match dt::user_and_group(&v) {
            Ok(ids) => Some(ids),
            Err(_) => {
                ctx.error(sec.key_location("socket_owner"), ErrorKind::SocketOwner(v));
                None
            }
        },
    };
    let mode = match sec.get(ctx, "socket_mode", n) {
        None => None,
        Some(v) => match dt::octal(&v) {
            Ok(m) => Some(m),
            Err(_) => {
                ctx.error(sec.key_location("socket_mode"), ErrorKind::SocketMode(v));
                None
            }
        },
    };
    let socket = sec.get(ctx, "socket", &[&socket_names]).filter(|s| !s.is_empty());
    let Some(socket) = socket else {
        if ctx.errors.len() == errors_before {
            ctx.error(sec.key_location("socket"), ErrorKind::MissingKey("socket"));
        }
        return None;
    };
    let loc = sec.key_location("socket");
    let address = if let Some(path) = socket.strip_prefix("unix://") {
        if !path.starts_with('/') {
            ctx.error(loc, ErrorKind::SocketNotAbsolute(path.to_owned()));
            return None;
        }
        let owner = owner.or_else(|| {
            let me = nix::unistd::getuid().as_raw();
            proc_uid.filter(|&u| u != me).map(|u| (u, gid_for_uid(u)))
        });
        FcgiAddress::Unix { path: dt::normalize_path(path, ctx.home()), mode: mode.unwrap_or(0o700), owner }
    } else {
        if sec.raw("socket_owner").is_some() || sec.raw("socket_mode").is_some() {
            ctx.error(loc, ErrorKind::SocketOptionsNeedUnix);
            return None;
        }
        match tcp_address(&socket) {
            Some(Ok((host, port))) => FcgiAddress::Tcp { host, port },
            Some(Err(e)) => {
                ctx.error(loc, e);
                return None;
            }
            None => {
                ctx.error(loc, ErrorKind::SocketFormat(socket));
                return None;
            }
        }
    };
    (ctx.errors.len() == errors_before).then_some(FcgiSocketConfig { address, backlog })
}

/// `tcp://host:port`: `None` when the shape is wrong.
fn tcp_address(s: &str) -> Option<Result<(String, u16), ValueError>> {
    let rest = s.strip_prefix("tcp://")?;
    let (host, port) = rest.split_once(':')?;
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == ':') {
        return None;
    }
    if port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let value = dt::integer(port).ok()?;
    Some(
        u16::try_from(value)
            .ok()
            .filter(|p| *p != 0)
            .map(|p| (host.to_lowercase(), p))
            .ok_or(ValueError::PortRange { value }),
    )
}

fn gid_for_uid(uid: u32) -> Option<u32> {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)).ok().flatten().map(|u| u.gid.as_raw())
}
