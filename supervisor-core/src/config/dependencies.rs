//! `depends_on` and `ready_check` (additions; 4.3.0 has neither): their
//! values, and the checks that need every group read first (unknown names,
//! cycles, one-shot jobs that are not one-shot).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::datatypes::ValueError;
use super::error::ErrorKind;
use super::model::{AutoRestart, Condition, Dependency, GroupConfig, Probe, ProcessConfig};
use super::reader::Ctx;

/// `depends_on = db, migrate=succeeded, grp:worker, jobs:*`.
pub(crate) fn depends_on(value: &str) -> Result<Vec<Dependency>, ValueError> {
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (target, condition) = match item.split_once('=') {
            Some((t, c)) => (t.trim(), condition(c.trim())?),
            None => (item, Condition::Running),
        };
        if target.is_empty() {
            return Err(ValueError::EmptyName);
        }
        out.push(Dependency::new(target, condition));
    }
    Ok(out)
}

fn condition(name: &str) -> Result<Condition, ValueError> {
    match name.to_lowercase().as_str() {
        "running" => Ok(Condition::Running),
        "started" => Ok(Condition::Started),
        "exited" => Ok(Condition::Exited),
        "succeeded" => Ok(Condition::Succeeded),
        _ => Err(ValueError::Condition(name.to_owned())),
    }
}

/// `ready_check = tcp://HOST:PORT | http(s)://HOST:PORT/PATH | exec:COMMAND
/// | log:REGEX | notify`.
pub(crate) fn probe(value: &str) -> Result<Probe, ValueError> {
    let bad = || ValueError::ReadyCheck(value.to_owned());
    let value = value.trim();
    if value.eq_ignore_ascii_case("notify") {
        return Ok(Probe::Notify);
    }
    if let Some(command) = value.strip_prefix("exec:") {
        let command = command.trim();
        return if command.is_empty() { Err(bad()) } else { Ok(Probe::Exec(command.to_owned())) };
    }
    if let Some(pattern) = value.strip_prefix("log:") {
        regex::Regex::new(pattern).map_err(|e| {
            // The crate's text draws the pattern over several lines; the
            // last says what is wrong.
            let text = e.to_string();
            let reason = text.lines().last().unwrap_or_default().trim().trim_start_matches("error: ").to_owned();
            ValueError::Regex { pattern: pattern.to_owned(), reason }
        })?;
        return if pattern.is_empty() { Err(bad()) } else { Ok(Probe::Log(pattern.to_owned())) };
    }
    if let Some(rest) = value.strip_prefix("tcp://") {
        let (host, port) = host_port(rest, None).ok_or_else(bad)?;
        return Ok(Probe::Tcp { host, port });
    }
    for (scheme, tls, default_port) in [("http://", false, 80), ("https://", true, 443)] {
        if let Some(rest) = value.strip_prefix(scheme) {
            let (authority, path) = match rest.find('/') {
                Some(at) => (&rest[..at], &rest[at..]),
                None => (rest, "/"),
            };
            let (host, port) = host_port(authority, Some(default_port)).ok_or_else(bad)?;
            return Ok(Probe::Http { tls, host, port, path: path.to_owned() });
        }
    }
    Err(bad())
}

/// `HOST:PORT` (or `HOST` alone with a default port; `[::1]:80` and
/// `[::1]` too).
fn host_port(authority: &str, default_port: Option<u16>) -> Option<(String, u16)> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => {
            let (host, after) = rest.split_once(']')?;
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':')?)),
            }
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    let port = match port {
        Some(p) => p.parse::<u16>().ok().filter(|&p| p > 0)?,
        None => default_port?,
    };
    (!host.is_empty() && !host.contains('/')).then(|| (host.to_owned(), port))
}

/// Seconds, fractions allowed, at least a millisecond
/// (`ready_check_interval = 0.1`): a shorter wait would be a busy loop.
pub(crate) fn seconds(value: &str) -> Result<Duration, ValueError> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.001 && *s < 1e9)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| ValueError::Seconds(value.to_owned()))
}

/// Seconds, fractions allowed, 0 or more (`restart_delay = 0.5`).
pub(crate) fn seconds_or_zero(value: &str) -> Result<Duration, ValueError> {
    if value.trim().parse::<f64>() == Ok(0.0) {
        return Ok(Duration::ZERO);
    }
    seconds(value)
}

/// Where the processes a `depends_on` namespec names are, as (group,
/// process) positions: a group (`g`, `g:*`), a program of some group (`db`:
/// the first, in order, that has it), or one process (`g:name`). The
/// config checks names with it, and the running engine finds them with it.
pub(crate) fn resolve<'a, G>(groups: G, namespec: &str) -> Vec<(usize, usize)>
where
    G: IntoIterator<Item = &'a GroupConfig>,
    G::IntoIter: Clone,
{
    let all = groups
        .into_iter()
        .enumerate()
        .flat_map(|(gi, g)| g.processes.iter().enumerate().map(move |(pi, p)| (gi, pi, &g.name, &**p)));
    let keep = |f: &dyn Fn(&str, &ProcessConfig) -> bool| -> Vec<(usize, usize)> {
        all.clone().filter(|(_, _, g, p)| f(g, p)).map(|(gi, pi, _, _)| (gi, pi)).collect()
    };
    match namespec.split_once(':') {
        Some((group, "*" | "")) => keep(&|g, _| g == group),
        Some((group, name)) => keep(&|g, p| g == group && p.name == name),
        None => {
            let group = keep(&|g, _| g == namespec);
            if !group.is_empty() {
                return group;
            }
            keep(&|_, p| p.section.split_once(':').is_some_and(|(_, n)| n == namespec))
        }
    }
}

/// Checks every `depends_on` against the groups read: names that match
/// nothing, cycles (named whole), and `exited`/`succeeded` dependencies
/// that are not one-shot jobs (a warning).
pub(crate) fn check(ctx: &mut Ctx<'_>, groups: &[GroupConfig]) {
    // Section to the sections it depends on, first process of each.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
    for p in groups.iter().flat_map(|g| g.processes.iter()) {
        for dep in &p.depends_on {
            let targets: Vec<&ProcessConfig> =
                resolve(groups, &dep.target).into_iter().map(|(gi, pi)| &*groups[gi].processes[pi]).collect();
            let location = || ctx_location(ctx, &p.section);
            if targets.is_empty() {
                if reported.insert((p.section.clone(), dep.target.clone())) {
                    let at = location();
                    ctx.error(at, ErrorKind::UnknownDependency(dep.target.clone()));
                }
                continue;
            }
            for t in &targets {
                edges.entry(p.section.clone()).or_default().insert(t.section.clone());
                let one_shot = t.startsecs == 0 && t.autorestart == AutoRestart::Never;
                let waits_for_end = matches!(dep.condition, Condition::Exited | Condition::Succeeded);
                if waits_for_end && !one_shot && reported.insert((p.section.clone(), t.section.clone())) {
                    ctx.warn(format!(
                        "[{}] depends_on {}={}: [{}] should have startsecs=0 and autorestart=false to run once",
                        p.section,
                        dep.target,
                        dep.condition.name(),
                        t.section
                    ));
                }
            }
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        let at = ctx_location(ctx, &cycle[0]);
        let names = cycle.iter().map(|s| s.split_once(':').map_or(s.as_str(), |(_, n)| n).to_owned()).collect();
        ctx.error(at, ErrorKind::DependencyCycle(names));
    }
}

fn ctx_location(ctx: &Ctx<'_>, section: &str) -> super::error::Location {
    match ctx.section(section) {
        Some(sec) => sec.key_location("depends_on"),
        None => super::error::Location::default().in_section(section).with_key("depends_on"),
    }
}

/// A cycle of sections, first one repeated at the end, if there is one.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Visiting) => {
                let from = path.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = path[from..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::Visiting);
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, edges, &mut marks, &mut Vec::new()) {
            return Some(cycle);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_read_with_their_conditions() {
        let deps = depends_on("db, migrate=succeeded , grp:worker,jobs:*=Started").expect("parses");
        let got: Vec<(&str, Condition)> = deps.iter().map(|d| (d.target.as_str(), d.condition)).collect();
        assert_eq!(
            got,
            [
                ("db", Condition::Running),
                ("migrate", Condition::Succeeded),
                ("grp:worker", Condition::Running),
                ("jobs:*", Condition::Started)
            ]
        );
        assert_eq!(
            depends_on("db=up").unwrap_err().to_string(),
            "unknown condition 'up' (expected running, started, exited or succeeded)"
        );
        assert!(depends_on("").expect("empty").is_empty());
    }

    #[test]
    fn ready_checks_read_every_form() {
        assert_eq!(probe("tcp://127.0.0.1:5432"), Ok(Probe::Tcp { host: "127.0.0.1".into(), port: 5432 }));
        assert_eq!(
            probe("http://localhost:8080/health?full=1"),
            Ok(Probe::Http { tls: false, host: "localhost".into(), port: 8080, path: "/health?full=1".into() })
        );
        assert_eq!(
            probe("https://example.org"),
            Ok(Probe::Http { tls: true, host: "example.org".into(), port: 443, path: "/".into() })
        );
        assert_eq!(probe("tcp://[::1]:80"), Ok(Probe::Tcp { host: "::1".into(), port: 80 }));
        assert_eq!(
            probe("http://[::1]/up"),
            Ok(Probe::Http { tls: false, host: "::1".into(), port: 80, path: "/up".into() })
        );
        assert_eq!(probe("exec:pg_isready -q"), Ok(Probe::Exec("pg_isready -q".into())));
        assert_eq!(probe("log:listening on \\d+"), Ok(Probe::Log("listening on \\d+".into())));
        assert_eq!(probe("notify"), Ok(Probe::Notify));
        for bad in ["tcp://host", "tcp://:80", "tcp://h:0", "ftp://x", "exec:", "http://:8/"] {
            assert!(matches!(probe(bad), Err(ValueError::ReadyCheck(_))), "{bad}");
        }
        assert!(matches!(probe("log:(unclosed"), Err(ValueError::Regex { .. })));
        assert_eq!(seconds("0.1"), Ok(Duration::from_millis(100)));
        assert!(seconds("0").is_err() && seconds("x").is_err() && seconds("-1").is_err());
        assert!(seconds("0.0000001").is_err(), "rounds to nothing: a busy loop");
    }

    #[test]
    fn cycles_are_found_and_named_whole() {
        let mut edges = BTreeMap::new();
        let edge = |e: &mut BTreeMap<String, BTreeSet<String>>, a: &str, b: &str| {
            e.entry(a.to_owned()).or_default().insert(b.to_owned());
        };
        edge(&mut edges, "program:a", "program:b");
        edge(&mut edges, "program:b", "program:c");
        assert_eq!(find_cycle(&edges), None);
        edge(&mut edges, "program:c", "program:a");
        assert_eq!(
            find_cycle(&edges),
            Some(vec!["program:a".into(), "program:b".into(), "program:c".into(), "program:a".into()])
        );
    }
}
