//! Bad configurations: every rejection names the file, the line, the section
//! and the key, and one pass reports every problem.
//!
//! The messages for `tests/fixtures/invalid/*.conf` are pinned in
//! `tests/fixtures/invalid/expected-errors.txt`; run with
//! `SUPERVISOR_BLESS=1` to rewrite it after an intended wording change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use supervisor_core::config::values::ValueError;
use supervisor_core::config::{Config, ConfigErrors, ErrorKind, LoadOptions};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid")
}

fn options() -> LoadOptions {
    let environ: BTreeMap<String, String> = [
        ("PATH", "/usr/bin:/bin"),
        ("HOME", "/root"),
        ("TMPDIR", "/tmp"),
        ("LANG", "C.UTF-8"),
        ("FIXTURE_USER_VAR", "from-env"),
        ("FIXTURE_PATH_VAR", "/opt/fixture"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    LoadOptions { environ, temp_dir: PathBuf::from("/tmp"), ..LoadOptions::default() }
}

fn errors_of(path: &Path) -> ConfigErrors {
    match Config::load_with(path, &options()) {
        Ok(_) => panic!("{} loads, but is invalid", path.display()),
        Err(e) => e,
    }
}

#[test]
fn invalid_fixtures_give_the_pinned_located_messages() {
    let dir = fixture_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    files.sort();
    let prefix = format!("{}/", dir.display());
    let mut report = String::new();
    for file in &files {
        let errors = errors_of(file);
        report.push_str(&format!("== {}\n", file.file_name().and_then(|n| n.to_str()).unwrap_or("?")));
        for e in errors.errors() {
            let loc = &e.location;
            assert!(loc.file.is_some(), "no file in {e}");
            if !matches!(e.kind, ErrorKind::MissingSection(_)) {
                assert!(loc.line.is_some(), "no line in {e}");
            }
            if matches!(e.kind, ErrorKind::Value(_) | ErrorKind::Expand(_)) {
                assert!(loc.section.is_some(), "no section in {e}");
                // A bad section name is the section itself; anything else is a key.
                let names_the_section =
                    matches!(e.kind, ErrorKind::Value(ValueError::Name { .. } | ValueError::EmptyName));
                assert!(names_the_section || loc.key.is_some(), "no key in {e}");
            }
            report.push_str(&e.to_string().replace(&prefix, ""));
            report.push('\n');
        }
    }
    let expected_path = dir.join("expected-errors.txt");
    if std::env::var_os("SUPERVISOR_BLESS").is_some() {
        std::fs::write(&expected_path, &report).expect("write expected errors");
        return;
    }
    let expected = std::fs::read_to_string(&expected_path).expect("expected-errors.txt (bless it)");
    if expected != report {
        let first = expected.lines().zip(report.lines()).find(|(a, b)| a != b);
        panic!("error messages changed; first difference: {first:?}\n(rerun with SUPERVISOR_BLESS=1 if intended)");
    }
}

fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn unknown_section_types_are_rejected_with_their_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "s.conf", b"[supervisord]\n\n[programs:web]\ncommand=cat\n[default]\nx=1\n");
    let errors = errors_of(&path);
    let lines: Vec<_> = errors.errors().iter().map(|e| (e.location.line, e.location.section.clone())).collect();
    assert_eq!(lines, [(Some(3), Some("programs:web".into())), (Some(5), Some("default".into()))]);
    assert!(errors.to_string().contains("unknown section type"));
}

#[test]
fn every_error_in_a_file_is_reported_in_one_pass() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "s.conf",
        b"[supervisord]\nnodaemon=perhaps\n[program:a]\ncommand=cat\nstartsecs=soon\nstopsignal=NOPE\n[program:b]\nautostart=2\n",
    );
    let errors = errors_of(&path);
    let keys: Vec<_> = errors.errors().iter().map(|e| e.location.key.clone().unwrap_or_default()).collect();
    assert_eq!(keys, ["nodaemon", "startsecs", "stopsignal", "autostart", "command"]);
}

#[test]
fn unreadable_includes_and_bad_encodings_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("conf.d")).expect("mkdir");
    // A directory matched by the glob cannot be read as a file; 4.3.0
    // skips it silently, we refuse.
    std::fs::create_dir(dir.path().join("conf.d/dir.conf")).expect("mkdir");
    let path = write(dir.path(), "s.conf", b"[supervisord]\n[include]\nfiles=conf.d/*.conf\n");
    let errors = errors_of(&path);
    assert!(matches!(errors.errors()[0].kind, ErrorKind::Unreadable { .. }), "{errors}");
    assert_eq!(errors.errors()[0].location.line, Some(3));

    let path = write(dir.path(), "latin1.conf", b"[supervisord]\nidentifier=caf\xe9\n");
    let errors = errors_of(&path);
    assert!(errors.to_string().contains("not valid UTF-8"), "{errors}");

    let errors = errors_of(&dir.path().join("missing.conf"));
    assert!(errors.to_string().starts_with("could not find config file"), "{errors}");
}

#[test]
fn two_groups_of_one_name_are_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "s.conf",
        b"[supervisord]\n[program:x]\ncommand=cat\n[eventlistener:x]\ncommand=cat\nevents=TICK_5\n",
    );
    let errors = errors_of(&path);
    assert_eq!(errors.errors().len(), 1);
    assert!(errors.to_string().contains("a process group named 'x' is already defined by [program:x]"), "{errors}");
    assert_eq!(errors.errors()[0].location.line, Some(4));
}

#[test]
fn error_locations_point_into_included_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("conf.d")).expect("mkdir");
    write(dir.path(), "conf.d/web.ini", b"; web\n[program:web]\ncommand=cat\nautorestart=often\n");
    let path = write(dir.path(), "s.conf", b"[supervisord]\n[include]\nfiles=conf.d/*.ini\n");
    let errors = errors_of(&path);
    let e = &errors.errors()[0];
    assert!(e.location.file.as_deref().is_some_and(|f| f.ends_with("conf.d/web.ini")), "{e}");
    assert_eq!((e.location.line, e.location.key.as_deref()), (Some(4), Some("autorestart")));
}

#[test]
fn dependency_and_readiness_errors_are_all_reported_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("deps.conf");
    let text = "[supervisord]\n\
                [program:a]\ncommand=cat\ndepends_on=b\n\
                [program:b]\ncommand=cat\ndepends_on=c\n\
                [program:c]\ncommand=cat\ndepends_on=a\n\
                [program:d]\ncommand=cat\ndepends_on=nope, a\n\
                [program:e]\ncommand=cat\ndepends_on=a=up\n\
                [program:f]\ncommand=cat\nready_check=log:(open\n\
                [program:g]\ncommand=cat\nready_check=tcp://nohost\n";
    std::fs::write(&path, text).expect("write");
    let errors = errors_of(&path).to_string();
    let at = |line: usize, rest: &str| format!("{}:{line}: {rest}", path.display());
    for want in [
        at(4, "[program:a] depends_on: dependency cycle: a -> b -> c -> a"),
        at(13, "[program:d] depends_on: names unknown program, group or process 'nope'"),
        at(16, "[program:e] depends_on: unknown condition 'up' (expected running, started, exited or succeeded)"),
        at(19, "[program:f] ready_check: bad regular expression '(open': unclosed group"),
        at(22, "[program:g] ready_check: not a ready check: 'tcp://nohost'"),
    ] {
        assert!(errors.contains(&want), "missing {want:?} in:\n{errors}");
    }
    assert_eq!(errors.lines().filter(|l| l.starts_with(&*path.to_string_lossy())).count(), 5, "{errors}");
}
