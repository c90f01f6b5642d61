//! supervisorctl for scripts (ours): `status --json`, `avail --json` and
//! `pid --json` against the API's own answers, with the plain form's exit
//! statuses; and the completion scripts of `supervisorctl completion`,
//! run by bash (and zsh, fish where installed) against a live daemon.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as J;
use supervisor_rpc::client::Client;
use supervisor_rpc::dxr::Value;

const PROGRAMS: &str = "[supervisorctl]\nserverurl=unix://%(here)s/s.sock\n\
    [program:idle]\ncommand=sleep 300\nautostart=false\n";

/// Our supervisord on the side-by-side config plus `idle` (stopped), with
/// `a`, `g:b` and `g:c` running.
struct Live {
    dir: tempfile::TempDir,
    _daemon: Guard,
}

impl Live {
    fn start() -> Live {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = write_conf(dir.path(), &side_by_side_config(PROGRAMS));
        let (daemon, _) = start_daemon(&conf);
        let live = Live { dir, _daemon: daemon };
        wait_until("a, g:b and g:c running", || {
            let status = live.ctl(&["status"]).1;
            ["a ", "g:b ", "g:c "].iter().all(|n| status.lines().any(|l| l.starts_with(n) && l.contains("RUNNING")))
        });
        live
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("supervisord.conf")
    }

    /// `supervisorctl -c CONF args`: exit status, stdout, stderr.
    fn ctl(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_supervisorctl"))
            .arg("-c")
            .arg(self.conf())
            .args(args)
            .output()
            .expect("supervisorctl");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
    }

    /// `args` with `--json`: exit status, the document, stderr.
    fn json(&self, args: &[&str]) -> (i32, J, String) {
        let mut with = args.to_vec();
        with.insert(1, "--json");
        let (code, stdout, stderr) = self.ctl(&with);
        let doc = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{with:?}: {e}: {stdout:?}"));
        (code, doc, stderr)
    }

    fn call(&self, method: &str) -> Value {
        let url = format!("unix://{}/s.sock", self.dir.path().display());
        Client::new(&url, None, None).expect("client").call(method, vec![]).expect(method)
    }
}

fn members(v: &Value) -> &std::collections::BTreeMap<String, Value> {
    match v {
        Value::Struct(m) => m,
        other => panic!("not a struct: {other:?}"),
    }
}

fn array(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        other => panic!("not an array: {other:?}"),
    }
}

/// Whether the JSON value is the XML-RPC one.
fn same(x: &Value, j: &J) -> bool {
    match (x, j) {
        (Value::Integer(i), J::Number(n)) => n.as_i64() == Some(i64::from(*i)),
        (Value::Boolean(b), J::Bool(c)) => b == c,
        (Value::String(s), J::String(t)) => s == t,
        (Value::Array(a), J::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, j)| same(x, j)),
        (Value::Struct(m), J::Object(o)) => {
            m.len() == o.len() && m.iter().all(|(k, x)| o.get(k).is_some_and(|j| same(x, j)))
        }
        _ => false,
    }
}

/// `status --json` is getAllProcessInfo, field by field; the exit status
/// and the stderr messages are the plain form's.
#[test]
fn status_json_is_get_all_process_info() {
    let live = Live::start();
    let before = array(live.call("supervisor.getAllProcessInfo"));
    let (code, doc, stderr) = live.json(&["status"]);
    let after = array(live.call("supervisor.getAllProcessInfo"));
    assert_eq!((code, stderr.as_str()), (3, ""), "idle is stopped");
    let doc = doc.as_array().expect("an array");
    assert_eq!(doc.len(), 4);
    for ((b, a), j) in before.iter().zip(&after).zip(doc) {
        let (b, a, j) = (members(b), members(a), j.as_object().expect("an object"));
        assert_eq!(j.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "every field");
        assert_eq!(b.len(), 14);
        for (field, value) in j {
            match field.as_str() {
                // Read between the two calls.
                "now" => {
                    let now = value.as_i64().unwrap();
                    let bound = |m: &std::collections::BTreeMap<String, Value>| match m["now"] {
                        Value::Integer(n) => i64::from(n),
                        _ => panic!("now"),
                    };
                    assert!(bound(b) <= now && now <= bound(a), "{field}");
                }
                // The uptime may tick between the calls.
                _ => assert!(same(&b[field], value) || same(&a[field], value), "{field}: {value} vs {:?}", b[field]),
            }
        }
    }

    // The plain form's exit statuses, and its messages (on stderr).
    for args in [
        &["status", "a"][..],
        &["status", "g:*"],
        &["status", "idle"],
        &["status", "nosuch"],
        &["status", "a", "nosuch:*"],
    ] {
        let (plain_code, plain, _) = live.ctl(args);
        let (code, doc, stderr) = live.json(args);
        assert_eq!(code, plain_code, "{args:?}");
        let shown: Vec<&str> = doc.as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
        let errors: Vec<&str> = plain.lines().filter(|l| l.contains(": ERROR")).collect();
        assert_eq!(stderr.lines().collect::<Vec<_>>(), errors, "{args:?}");
        assert_eq!(shown.len(), plain.lines().count() - errors.len(), "{args:?}");
    }
    assert_eq!(live.json(&["status", "a"]).0, 0);
    assert_eq!(live.json(&["status", "nosuch"]).1, J::Array(vec![]));
    // `--json` anywhere among the words.
    let (code, stdout, _) = live.ctl(&["status", "a", "--json"]);
    assert_eq!((code, serde_json::from_str::<J>(&stdout).unwrap()[0]["name"].as_str()), (0, Some("a")));

    // No server: nothing on stdout, the plain form's exit status.
    let gone = |json: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_supervisorctl"));
        c.args(["-s", "unix:///nonexistent/s.sock", "status"]);
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let (plain, json) = (gone(false), gone(true));
    assert_eq!(json.status.code(), plain.status.code());
    assert_eq!(json.status.code(), Some(4));
    assert!(json.stdout.is_empty());
    assert_eq!(json.stderr, plain.stdout);
}

/// `avail --json` is getAllConfigInfo; `pid --json` getPID and the pids
/// of getAllProcessInfo; exit statuses as the plain forms'.
#[test]
fn avail_and_pid_json() {
    let live = Live::start();
    let (code, doc, _) = live.json(&["avail"]);
    assert_eq!(code, 0);
    let config = live.call("supervisor.getAllConfigInfo");
    assert!(same(&config, &doc), "{doc}");
    assert!(doc[0].as_object().unwrap().len() > 20);
    let (code, stdout, stderr) = live.ctl(&["avail", "--json", "extra"]);
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert_eq!(stderr.lines().next(), Some("Error: avail accepts no arguments"));

    let (code, doc, _) = live.json(&["pid"]);
    assert_eq!(code, 0);
    assert!(same(&live.call("supervisor.getPID"), &doc["pid"]));
    let infos = array(live.call("supervisor.getAllProcessInfo"));
    let (code, doc, _) = live.json(&["pid", "all"]);
    assert_eq!(code, 0);
    for (info, j) in infos.iter().zip(doc.as_array().unwrap()) {
        let info = members(info);
        for field in ["group", "name", "pid"] {
            assert!(same(&info[field], &j[field]), "{field}");
        }
        assert_eq!(j.as_object().unwrap().len(), 3);
    }
    for args in [&["pid", "a"][..], &["pid", "idle"], &["pid", "nosuch"], &["pid", "a", "nosuch", "g:b"]] {
        let (plain_code, plain, _) = live.ctl(args);
        let (code, doc, stderr) = live.json(args);
        assert_eq!(code, plain_code, "{args:?}");
        let pids: Vec<String> = doc.as_array().unwrap().iter().map(|p| p["pid"].to_string()).collect();
        let plain_pids: Vec<&str> = plain.lines().filter(|l| !l.starts_with("No such")).collect();
        assert_eq!(pids, plain_pids, "{args:?}");
        assert_eq!(
            stderr.lines().collect::<Vec<_>>(),
            plain.lines().filter(|l| l.starts_with("No such")).collect::<Vec<_>>()
        );
    }
    assert_eq!(live.json(&["pid", "idle"]).0, 7);
}

/// The names a completion should offer after a process command.
const NAMES: &[&str] = &["a", "g:*", "g:b", "g:c", "idle"];

/// Runs `script` in `shell` (`bash`/`zsh` with `-c`, `fish` with `-c`),
/// with the binaries' directory first on PATH.
fn shell(program: &str, args: &[&str], script: &str) -> String {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_supervisorctl")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new(program).args(args).arg(script).env("PATH", path).output().expect(program);
    assert!(out.status.success(), "{program}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn installed(program: &str) -> bool {
    Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Each case: the words typed (the last one being completed) and the
/// completions it must offer, and nothing else.
fn cases(conf: &str) -> Vec<(Vec<String>, Vec<&'static str>)> {
    let words = |w: &[&str]| -> Vec<String> {
        ["supervisorctl", "-c", conf].iter().chain(w).map(|s| (*s).to_owned()).collect()
    };
    let mut commands = vec![
        "add",
        "avail",
        "clear",
        "completion",
        "exit",
        "fg",
        "help",
        "maintail",
        "open",
        "pid",
        "quit",
        "reload",
        "remove",
        "reread",
        "restart",
        "shutdown",
        "signal",
        "start",
        "status",
        "stop",
        "tail",
        "update",
        "version",
    ];
    commands.sort_unstable();
    vec![
        (words(&[""]), commands),
        (words(&["st"]), vec!["start", "status", "stop"]),
        (words(&["start", ""]), NAMES.to_vec()),
        (words(&["status", "a", ""]), NAMES.to_vec()),
        (words(&["signal", "HUP", ""]), NAMES.to_vec()),
        (words(&["update", ""]), vec!["a", "g", "idle"]),
        (words(&["tail", "a", ""]), vec!["stderr", "stdout"]),
        (words(&["status", "--j"]), vec!["--json"]),
        (words(&["completion", ""]), vec!["bash", "fish", "zsh"]),
        (words(&["signal", "US"]), vec!["USR1", "USR2"]),
    ]
}

/// bash: `complete -p` names the function; with COMP_WORDS and COMP_CWORD
/// set as bash sets them, COMPREPLY holds the commands, and the program
/// and group names supervisord reports.
#[test]
fn bash_completion_against_a_live_daemon() {
    let live = Live::start();
    let script = live.dir.path().join("supervisorctl.bash");
    let (code, text, _) = live.ctl(&["completion", "bash"]);
    assert_eq!(code, 0);
    std::fs::write(&script, text).unwrap();
    let conf = live.conf().display().to_string();
    let mut program = format!(
        "source '{}'\ncomplete -p supervisorctl\n\
         t() {{ COMP_WORDS=(\"$@\"); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMPREPLY=(); _supervisorctl; \
         printf '%s\\n' \"${{COMPREPLY[*]}}\"; }}\n",
        script.display()
    );
    let all = cases(&conf);
    for (words, _) in &all {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        program.push_str(&format!("t {}\n", quoted.join(" ")));
    }
    // bash splits `g:` at the colon: the word completed is what follows it.
    program.push_str(&format!("t supervisorctl -c '{conf}' status g : \n"));
    program.push_str(&format!("t supervisorctl -c '{conf}' status g : b\n"));
    // Without a daemon: no names, no error.
    program.push_str("t supervisorctl -s unix:///nonexistent/s.sock start ''\n");
    let out = shell("bash", &["-c"], &program);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("complete -F _supervisorctl supervisorctl"));
    for (words, expected) in &all {
        let got: Vec<&str> = lines.next().unwrap().split(' ').filter(|w| !w.is_empty()).collect();
        let mut want = expected.clone();
        want.sort_unstable();
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, want, "{words:?}");
    }
    assert_eq!(lines.next(), Some("* b c"));
    assert_eq!(lines.next(), Some("b"));
    assert_eq!(lines.next(), Some(""));
}

/// zsh: `_supervisorctl` run with `words` and `CURRENT` set
/// and `compadd` recording what it is given.
#[test]
fn zsh_completion_against_a_live_daemon() {
    assert!(installed("zsh"), "zsh is missing: scripts/test installs it");
    let live = Live::start();
    let script = live.dir.path().join("_supervisorctl");
    std::fs::write(&script, live.ctl(&["completion", "zsh"]).1).unwrap();
    let mut program = format!(
        "compdef() {{ print -r -- \"compdef $*\" }}\nsource '{}'\n\
         compadd() {{ [[ $1 == -- ]] && shift; got+=(\"$@\") }}\n\
         t() {{ words=(\"$@\"); CURRENT=$#words; PREFIX=$words[-1]; got=(); _supervisorctl; \
         print -r -- ${{(M)got:#$PREFIX*}} }}\n",
        script.display()
    );
    let conf = live.conf().display().to_string();
    let all = cases(&conf);
    for (words, _) in &all {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        program.push_str(&format!("t {}\n", quoted.join(" ")));
    }
    let out = shell("zsh", &["-f", "-c"], &program);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("compdef _supervisorctl supervisorctl"));
    for (words, expected) in &all {
        let mut got: Vec<&str> = lines.next().unwrap().split(' ').filter(|w| !w.is_empty()).collect();
        got.sort_unstable();
        got.dedup();
        let mut want = expected.clone();
        want.sort_unstable();
        assert_eq!(got, want, "{words:?}");
    }
}

/// fish: `complete -C` on typed command lines.
#[test]
fn fish_completion_against_a_live_daemon() {
    assert!(installed("fish"), "fish is missing: scripts/test installs it");
    let live = Live::start();
    let script = live.dir.path().join("supervisorctl.fish");
    std::fs::write(&script, live.ctl(&["completion", "fish"]).1).unwrap();
    let conf = live.conf().display().to_string();
    let all = cases(&conf);
    let mut program = format!("source '{}'\n", script.display());
    for (words, _) in &all {
        let line: Vec<String> =
            words.iter().map(|w| if w.contains('/') { format!("\\'{w}\\'") } else { w.clone() }).collect();
        program.push_str(&format!("echo (complete -C '{}' | string replace -r '\\t.*' '')\n", line.join(" ")));
    }
    let out = shell("fish", &["--no-config", "-c"], &program);
    let mut lines = out.lines();
    for (words, expected) in &all {
        let mut got: Vec<&str> = lines.next().unwrap().split(' ').filter(|w| !w.is_empty()).collect();
        got.sort_unstable();
        let mut want = expected.clone();
        want.sort_unstable();
        assert_eq!(got, want, "{words:?}\n{out}");
    }
}
