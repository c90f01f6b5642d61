//! `[supervisorctl]` as supervisorctl reads it, and config diffs by group.

use std::path::{Path, PathBuf};

use supervisor_core::config::{Config, CtlConfig, LoadOptions, diff};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn supervisorctl_section_with_defaults_and_here() {
    let dir = tempfile::tempdir().expect("tempdir");
    let here = dir.path().display().to_string();
    let path = write(
        dir.path(),
        "s.conf",
        "[supervisorctl]\nserverurl=unix://%(here)s/run/../sv.sock\nhistory_file=%(here)s/.hist\nprompt=web\n\
         [ctlplugin:extra]\nsupervisor.ctl_factory = my.module:make\nkey=v\n",
    );
    let c = CtlConfig::load_with(&path, &LoadOptions::default()).expect("loads");
    assert_eq!(c.serverurl, format!("unix://{here}/sv.sock"));
    assert_eq!(c.history_file, Some(PathBuf::from(format!("{here}/.hist"))));
    assert_eq!(c.prompt, "web");
    assert_eq!((c.username.as_deref(), c.password.as_deref()), (None, None));
    assert_eq!(c.plugins.len(), 1);
    assert_eq!(c.plugins[0].factory, "my.module:make");
    assert_eq!(c.plugins[0].extras.get("key").map(String::as_str), Some("v"));

    let bare = write(dir.path(), "bare.conf", "[supervisorctl]\n");
    let c = CtlConfig::load_with(&bare, &LoadOptions::default()).expect("loads");
    assert_eq!(
        (c.serverurl.as_str(), c.prompt.as_str(), c.history_file),
        ("http://localhost:9001", "supervisor", None)
    );

    let none = write(dir.path(), "none.conf", "[supervisord]\n");
    let err = CtlConfig::load_with(&none, &LoadOptions::default()).unwrap_err();
    assert!(err.to_string().contains(".ini file does not include supervisorctl section"), "{err}");
}

fn config(text: &str) -> Config {
    Config::from_str(text, "/tmp/diff.conf").expect("loads")
}

#[test]
fn diff_reports_added_changed_and_removed_groups() {
    let old = config(
        "[supervisord]\n[program:same]\ncommand=cat\n[program:gone]\ncommand=cat\n\
         [program:edit]\ncommand=cat\n[group:g]\nprograms=m1\n[program:m1]\ncommand=cat\n",
    );
    let new = config(
        "[supervisord]\n[program:same]\ncommand=cat\n[program:edit]\ncommand=cat\nstartsecs=5\n\
         [program:new]\ncommand=cat\n[group:g]\nprograms=m1\npriority=5\n[program:m1]\ncommand=cat\n",
    );
    let d = diff(&old, &new);
    let names = |gs: &[supervisor_core::config::GroupConfig]| gs.iter().map(|g| g.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&d.added), ["new"]);
    assert_eq!(names(&d.changed), ["g", "edit"]);
    assert_eq!(names(&d.removed), ["gone"]);
    assert!(diff(&new, &new).is_empty());
}

#[test]
fn switching_a_log_from_auto_to_a_path_is_a_change() {
    let old = config("[supervisord]\n[program:a]\ncommand=cat\n");
    let new = config("[supervisord]\n[program:a]\ncommand=cat\nstdout_logfile=/tmp/a.log\n");
    assert_eq!(diff(&old, &new).changed.len(), 1);
}
