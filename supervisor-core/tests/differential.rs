//! Every fixture under `tests/fixtures/` is read by our config model and by
//! Python Supervisor 4.3.0 (`tests/oracle/dump_config.py`); the resolved
//! settings must agree field by field, and invalid fixtures must be rejected
//! by both.
//!
//! Needs the reference venv (the README's test command makes it). Set
//! `SUPERVISOR_ORACLE_PYTHON` to use another interpreter.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use supervisor_core::config::{
    Config, FcgiAddress, GroupKind, HttpServerConfig, Listen, LoadOptions, LogFile, ProcessConfig,
};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn oracle_python() -> PathBuf {
    if let Some(p) = std::env::var_os("SUPERVISOR_ORACLE_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = manifest_dir().join("../.venv/bin/python");
    assert!(
        venv.exists(),
        "the Python 4.3.0 oracle is missing at {}: run the test command from README.md (it creates the venv)",
        venv.display()
    );
    venv
}

/// The environment both sides see; fixtures use these names.
fn environ() -> BTreeMap<String, String> {
    [
        ("PATH", "/usr/bin:/bin"),
        ("HOME", "/root"),
        ("TMPDIR", "/tmp"),
        ("LANG", "C.UTF-8"),
        ("FIXTURE_USER_VAR", "from-env"),
        ("FIXTURE_PATH_VAR", "/opt/fixture"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn python_dump(python: &Path, fixture: &Path) -> Value {
    let out = Command::new(python)
        .arg(manifest_dir().join("tests/oracle/dump_config.py"))
        .arg(fixture)
        .env_clear()
        .envs(environ())
        .output()
        .expect("run the Python oracle");
    assert!(out.status.success(), "oracle crashed on {}: {}", fixture.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("oracle prints JSON")
}

fn load_options() -> LoadOptions {
    LoadOptions { environ: environ(), temp_dir: PathBuf::from("/tmp"), ..LoadOptions::default() }
}

fn logfile(l: &LogFile) -> Value {
    match l {
        LogFile::None => Value::Null,
        LogFile::Path(p) => json!(p),
        // Only a running supervisor resolves AUTO; a parse never does.
        _ => json!("AUTO"),
    }
}

fn ids(owner: &Option<(u32, Option<u32>)>) -> Value {
    match owner {
        None => Value::Null,
        Some((u, g)) => json!([u, g.map_or(-1, i64::from)]),
    }
}

fn process(p: &ProcessConfig) -> Value {
    let mut v = json!({
        "name": p.name, "uid": p.uid, "command": p.command, "directory": p.directory,
        "umask": p.umask, "priority": p.priority, "autostart": p.autostart,
        "autorestart": match p.autorestart {
            supervisor_core::config::AutoRestart::Always => "true",
            supervisor_core::config::AutoRestart::Never => "false",
            supervisor_core::config::AutoRestart::Unexpected => "unexpected",
        },
        "startsecs": p.startsecs, "startretries": match p.startretries {
            supervisor_core::config::StartRetries::Limit(n) => i64::from(n),
            _ => panic!("4.3.0 has no unlimited retries"),
        },
        "stopsignal": p.stopsignal.number(), "stopwaitsecs": p.stopwaitsecs,
        "stopasgroup": p.stopasgroup, "killasgroup": p.killasgroup, "exitcodes": p.exitcodes,
        "redirect_stderr": p.redirect_stderr, "environment": p.environment, "serverurl": p.serverurl,
    });
    for (prefix, c) in [("stdout", &p.stdout), ("stderr", &p.stderr)] {
        let obj = v.as_object_mut().expect("object");
        obj.insert(format!("{prefix}_logfile"), logfile(&c.logfile));
        obj.insert(format!("{prefix}_logfile_maxbytes"), json!(c.logfile_maxbytes));
        obj.insert(format!("{prefix}_logfile_backups"), json!(c.logfile_backups));
        obj.insert(format!("{prefix}_capture_maxbytes"), json!(c.capture_maxbytes));
        obj.insert(format!("{prefix}_events_enabled"), json!(c.events_enabled));
        obj.insert(format!("{prefix}_syslog"), json!(c.syslog));
    }
    v
}

fn server(s: &HttpServerConfig) -> Value {
    let mut v = json!({"section": s.section, "name": s.name, "username": s.username, "password": s.password});
    let obj = v.as_object_mut().expect("object");
    match &s.listen {
        Listen::Inet { host, port } => {
            obj.insert("family".into(), json!("inet"));
            obj.insert("host".into(), json!(host));
            obj.insert("port".into(), json!(port));
        }
        Listen::Unix { file, chmod, chown } => {
            obj.insert("family".into(), json!("unix"));
            obj.insert("file".into(), json!(file));
            obj.insert("chmod".into(), json!(chmod));
            obj.insert("chown".into(), if chown.is_some() { ids(chown) } else { json!([-1, -1]) });
        }
    }
    v
}

fn ours(config: &Config) -> Value {
    let s = &config.supervisord;
    let groups: Vec<Value> = config
        .groups
        .iter()
        .map(|g| {
            let mut v = json!({"name": g.name, "priority": g.priority, "type": "program",
                               "processes": g.processes.iter().map(|p| process(p)).collect::<Vec<_>>()});
            let obj = v.as_object_mut().expect("object");
            match &g.kind {
                GroupKind::Programs => {}
                GroupKind::EventListenerPool(pool) => {
                    obj.insert("type".into(), json!("eventlistener"));
                    obj.insert("buffer_size".into(), json!(pool.buffer_size));
                    let mut names: Vec<&str> = pool.events.iter().map(|e| e.name()).collect();
                    names.sort();
                    obj.insert("events".into(), json!(names));
                    obj.insert("result_handler".into(), json!(pool.result_handler));
                }
                GroupKind::FastCgi(sock) => {
                    obj.insert("type".into(), json!("fcgi-program"));
                    obj.insert("socket".into(), json!(sock.address.url()));
                    obj.insert("socket_backlog".into(), json!(sock.backlog));
                    if let FcgiAddress::Unix { mode, owner, .. } = &sock.address {
                        obj.insert("socket_mode".into(), json!(mode));
                        obj.insert("socket_owner".into(), ids(owner));
                    }
                }
                other => panic!("a group kind this test does not know: {other:?}"),
            }
            v
        })
        .collect();
    json!({
        "supervisord": {
            "logfile": s.logfile, "logfile_maxbytes": s.logfile_maxbytes, "logfile_backups": s.logfile_backups,
            "pidfile": s.pidfile, "umask": s.umask, "nodaemon": s.nodaemon, "silent": s.silent,
            "minfds": s.minfds, "minprocs": s.minprocs, "nocleanup": s.nocleanup,
            "childlogdir": s.childlogdir, "user": s.user, "directory": s.directory,
            "strip_ansi": s.strip_ansi, "environment": s.environment, "identifier": s.identifier,
            "loglevel": s.loglevel.description(),
        },
        "servers": config.http_servers.iter().map(server).collect::<Vec<_>>(),
        "rpcinterfaces": config.rpc_interfaces.iter()
            .map(|r| json!({"name": r.name, "factory": r.factory, "extras": r.extras})).collect::<Vec<_>>(),
        "groups": groups,
        "warnings": config.messages.warnings,
        "infos": config.messages.infos,
    })
}

/// Paths where two JSON values differ, for a readable failure.
fn differences(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                differences(
                    &format!("{path}.{k}"),
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                differences(&format!("{path}[{i}]"), p, q, out);
            }
        }
        _ if a != b => out.push(format!("{path}: ours {a} / 4.3.0 {b}")),
        _ => {}
    }
}

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = manifest_dir().join("tests/fixtures").join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    files.sort();
    files
}

#[test]
fn valid_fixtures_resolve_as_in_4_3_0() {
    let python = oracle_python();
    let files = fixtures("valid");
    assert!(files.len() >= 25, "corpus too small: {}", files.len());
    let mut failures = Vec::new();
    let mut compared = 0;
    for file in &files {
        let theirs = python_dump(&python, file);
        assert!(theirs.get("error").is_none(), "4.3.0 rejects valid fixture {}: {}", file.display(), theirs["error"]);
        match Config::load_with(file, &load_options()) {
            Err(e) => failures.push(format!("{}: we reject it:\n{e}", file.display())),
            Ok(config) => {
                let mut diffs = Vec::new();
                let mine = ours(&config);
                differences("", &mine, &theirs, &mut diffs);
                // The comparison must be able to fail: a changed field shows.
                let mut tampered = mine.clone();
                tampered["supervisord"]["umask"] = json!(-1);
                let mut probe = Vec::new();
                differences("", &tampered, &theirs, &mut probe);
                assert_eq!(probe.len(), diffs.len() + 1, "comparison is blind on {}", file.display());
                compared += 1;
                if !diffs.is_empty() {
                    failures.push(format!("{}:\n  {}", file.display(), diffs.join("\n  ")));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} fixtures differ:\n{}", failures.len(), files.len(), failures.join("\n"));
    assert_eq!(compared, files.len());
}

#[test]
fn invalid_fixtures_are_rejected_by_both() {
    let python = oracle_python();
    let files = fixtures("invalid");
    assert!(files.len() >= 30, "corpus too small: {}", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let theirs = python_dump(&python, file);
        assert!(theirs.get("error").is_some(), "4.3.0 accepts invalid fixture {}", file.display());
        match Config::load_with(file, &load_options()) {
            Ok(_) => failures.push(format!("{}: we accept it; 4.3.0 says {}", file.display(), theirs["error"])),
            Err(errors) => {
                for e in errors.errors() {
                    // Every error names at least the file.
                    if e.location.file.is_none() {
                        failures.push(format!("{}: error without a file: {e}", file.display()));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} fixtures:\n{}", failures.len(), files.len(), failures.join("\n"));
}
