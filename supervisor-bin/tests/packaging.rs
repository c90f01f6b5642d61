//! The files the Debian package installs from `packaging/`: the systemd
//! unit (`supervisor.service`) and the default config
//! (`/etc/supervisor/supervisord.conf`). The package itself (control
//! fields, file list, the extracted programs running that config) is
//! checked by `scripts/check-package`, which `scripts/test` runs.

use std::path::{Path, PathBuf};
use std::process::Command;

use supervisor_core::config::{Config, CtlConfig, GroupConfig, Listen, LoadOptions, MAIN_RPC_FACTORY};

fn packaging(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging").join(name)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A unit file as systemd reads it: `[Section]` headers, `Key=value`
/// lines, `#` and `;` comment lines, a trailing backslash joining the next
/// line. Every assignment in file order, with its section.
fn parse_unit(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut section: Option<String> = None;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let mut line = line.trim().to_owned();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        while let Some(head) = line.strip_suffix('\\') {
            let next = lines.next().unwrap_or_else(|| panic!("a continuation at the end of the file: {line}"));
            line = format!("{head} {}", next.trim());
        }
        if let Some(name) = line.strip_prefix('[') {
            let name = name.strip_suffix(']').unwrap_or_else(|| panic!("bad section header: {line}"));
            section = Some(name.to_owned());
            continue;
        }
        let section = section.clone().unwrap_or_else(|| panic!("an assignment before any section: {line}"));
        let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("not Key=value: {line}"));
        out.push((section, key.trim().to_owned(), value.trim().to_owned()));
    }
    out
}

/// Every value of `section`'s `key`, in order.
fn values<'a>(unit: &'a [(String, String, String)], section: &str, key: &str) -> Vec<&'a str> {
    unit.iter().filter(|(s, k, _)| s == section && k == key).map(|(_, _, v)| v.as_str()).collect()
}

/// Service settings that confine the process, which the programs
/// supervisord starts would inherit (a program could not write its files,
/// gain privileges or see /home), so the unit must have none.
const SANDBOXING: &[&str] = &[
    "AmbientCapabilities",
    "CapabilityBoundingSet",
    "DynamicUser",
    "Group",
    "InaccessiblePaths",
    "IPAddressDeny",
    "LockPersonality",
    "MemoryDenyWriteExecute",
    "NoExecPaths",
    "NoNewPrivileges",
    "PrivateDevices",
    "PrivateNetwork",
    "PrivateTmp",
    "PrivateUsers",
    "ProtectClock",
    "ProtectControlGroups",
    "ProtectHome",
    "ProtectHostname",
    "ProtectKernelLogs",
    "ProtectKernelModules",
    "ProtectKernelTunables",
    "ProtectProc",
    "ProtectSystem",
    "ReadOnlyPaths",
    "RemoveIPC",
    "RestrictAddressFamilies",
    "RestrictNamespaces",
    "RestrictRealtime",
    "RestrictSUIDSGID",
    "RootDirectory",
    "SystemCallFilter",
    "User",
];

#[test]
fn the_unit_runs_supervisord_in_the_foreground_under_notify_and_leaves_stopping_to_it() {
    let unit = parse_unit(&read(&packaging("supervisor.service")));
    let sections: Vec<&str> = unit.iter().map(|(s, _, _)| s.as_str()).collect();
    for section in &sections {
        assert!(["Unit", "Service", "Install"].contains(section), "unexpected section [{section}]");
    }
    let one = |section: &str, key: &str| -> String {
        match values(&unit, section, key).as_slice() {
            [value] => value.to_string(),
            other => panic!("[{section}] {key}: expected one value, found {other:?}"),
        }
    };
    assert!(!one("Unit", "Description").is_empty());
    assert_eq!(one("Unit", "After"), "network.target");
    assert_eq!(one("Service", "Type"), "notify");
    assert_eq!(one("Service", "ExecStart"), "/usr/bin/supervisord -n -c /etc/supervisor/supervisord.conf");
    assert_eq!(one("Service", "ExecReload"), "/usr/bin/supervisorctl -c /etc/supervisor/supervisord.conf reload");
    // SIGTERM to supervisord alone: it stops its programs in priority order.
    assert_eq!(one("Service", "KillMode"), "mixed");
    assert_eq!(one("Service", "Restart"), "on-failure");
    assert!(values(&unit, "Service", "ExecStop").is_empty(), "SIGTERM is the stop; no ExecStop");
    // The notifications come from supervisord itself (the default, main).
    assert!(values(&unit, "Service", "NotifyAccess").iter().all(|v| *v == "main"));
    assert_eq!(one("Install", "WantedBy"), "multi-user.target");
    let confined: Vec<&str> =
        unit.iter().filter(|(_, k, _)| SANDBOXING.contains(&k.as_str())).map(|(_, k, _)| k.as_str()).collect();
    assert!(confined.is_empty(), "sandboxing the programs would inherit: {confined:?}");
}

#[test]
fn the_unit_and_config_are_where_the_package_installs_them() {
    let manifest = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
    for asset in [
        r#"["../packaging/supervisord.conf", "etc/supervisor/supervisord.conf", "644"]"#,
        r#"["../packaging/supervisor.service", "lib/systemd/system/supervisor.service", "644"]"#,
    ] {
        assert!(manifest.contains(asset), "[package.metadata.deb] assets lack {asset}");
    }
}

/// `systemd-analyze verify` on the unit with its two programs replaced by
/// the ones just built (it checks that they are executables).
#[test]
fn systemd_analyze_verify_accepts_the_unit() {
    let Some(analyze) =
        ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].into_iter().find(|p| Path::new(p).exists())
    else {
        panic!("systemd-analyze is missing (Debian's systemd package has it)");
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let text = read(&packaging("supervisor.service"))
        .replace("/usr/bin/supervisord ", &format!("{} ", env!("CARGO_BIN_EXE_supervisord")))
        .replace("/usr/bin/supervisorctl ", &format!("{} ", env!("CARGO_BIN_EXE_supervisorctl")));
    let unit = dir.path().join("supervisor.service");
    std::fs::write(&unit, text).expect("write the unit");
    let out = Command::new(analyze).args(["verify", "--man=no"]).arg(&unit).output().expect("run systemd-analyze");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.trim().is_empty(), "systemd-analyze verify ({}): {said}", out.status);
}

#[test]
fn the_default_config_is_debians_text() {
    // Byte for byte the /etc/supervisor/supervisord.conf of Debian 12's
    // supervisor 4.2.5-1 (md5 as its package records it). dpkg then keeps
    // an edited copy without asking when this package takes the file over,
    // and leaves an unedited one as it was.
    let out = Command::new("md5sum").arg(packaging("supervisord.conf")).output().expect("run md5sum");
    let sum = String::from_utf8_lossy(&out.stdout);
    assert_eq!(sum.split_whitespace().next(), Some("99dc7e8a1178ede9ae9794aaecbca436"), "{sum}");
}

#[test]
fn the_default_config_means_what_debians_does() {
    // Its paths moved under a scratch root, with a program in conf.d.
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let r = root.display();
    let text = read(&packaging("supervisord.conf"))
        .replace("/var/run/", &format!("{r}/var/run/"))
        .replace("/var/log/supervisor", &format!("{r}/var/log/supervisor"))
        .replace("/etc/supervisor/", &format!("{r}/etc/supervisor/"));
    for dir in ["etc/supervisor/conf.d", "var/log/supervisor", "var/run"] {
        std::fs::create_dir_all(root.join(dir)).expect("mkdir");
    }
    std::fs::write(root.join("etc/supervisor/conf.d/app.conf"), "[program:app]\ncommand=/bin/sleep 1000\n")
        .expect("write");
    let conf = root.join("etc/supervisor/supervisord.conf");
    std::fs::write(&conf, &text).expect("write");

    let config = Config::load_with(&conf, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let servers: Vec<&Listen> = config.http_servers.iter().map(|s| &s.listen).collect();
    match servers.as_slice() {
        [Listen::Unix { file, chmod, chown }] => {
            assert_eq!(file, &root.join("var/run/supervisor.sock"));
            assert_eq!(*chmod, 0o700);
            assert_eq!(*chown, None);
        }
        other => panic!("expected [unix_http_server] alone: {other:?}"),
    }
    assert!(config.http_servers.iter().all(|s| s.username.is_none()), "no credentials: the socket's mode guards it");
    assert_eq!(config.supervisord.logfile, root.join("var/log/supervisor/supervisord.log"));
    assert_eq!(config.supervisord.childlogdir, root.join("var/log/supervisor"));
    assert_eq!(config.supervisord.pidfile, root.join("var/run/supervisord.pid"));
    assert!(config.rpc_interfaces.iter().any(|p| p.factory == MAIN_RPC_FACTORY));
    let groups: Vec<&str> = config.groups.iter().map(|g: &GroupConfig| g.name.as_str()).collect();
    assert_eq!(groups, ["app"], "conf.d/*.conf is included");

    let ctl = CtlConfig::load_with(&conf, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ctl.serverurl, format!("unix://{r}/var/run/supervisor.sock"));

    // The unit's command line, on this config, is one supervisord takes.
    let out = Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .args(["-n", "-c"])
        .arg(&conf)
        .arg("--check")
        .output()
        .expect("run supervisord");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
