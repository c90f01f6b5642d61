//! `supervisor-man OUTDIR` writes the five pages; every option that the
//! binaries' `--help` prints and every key the config reader knows is in
//! them; `man -l` renders each one (where man is installed).

use std::path::Path;
use std::process::Command;

use supervisor_bin::usage::options;
use supervisor_core::config::documented_sections;

const PAGES: [&str; 5] =
    ["supervisord.8", "supervisorctl.1", "echo_supervisord_conf.1", "pidproxy.1", "supervisord.conf.5"];

/// What `program --help` prints.
fn help(program: &str) -> String {
    let out = Command::new(program).arg("--help").output().expect(program);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// `word` in bold, as the pages write options and keys.
fn bold(word: &str) -> String {
    format!("\\fB{}\\fR", word.replace('-', "\\-"))
}

#[test]
fn the_pages_hold_every_option_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man");
    let run = Command::new(env!("CARGO_BIN_EXE_supervisor-man")).arg(&out).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    for name in PAGES {
        assert!(read(name).starts_with(".\\\""), "{name}");
    }

    for (program, page) in
        [(env!("CARGO_BIN_EXE_supervisord"), "supervisord.8"), (env!("CARGO_BIN_EXE_supervisorctl"), "supervisorctl.1")]
    {
        let text = read(page);
        let listed = options(&help(program));
        assert!(listed.len() >= 7, "{program}");
        for flag in listed.iter().flat_map(|o| &o.flags) {
            assert!(text.contains(&bold(flag)), "{page}: {flag}");
        }
    }

    let conf = read("supervisord.conf.5");
    for section in documented_sections() {
        for key in section.keys.iter().flat_map(|t| t.iter()) {
            assert!(conf.contains(&format!(".TP\n{}\n", bold(key.name))), "{} {}", section.header, key.name);
        }
    }

    // man renders each page.
    let have_man = Command::new("man").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(have_man, "man is missing: scripts/test installs it");
    {
        for name in PAGES {
            let path = out.join(name);
            let rendered = render(&path);
            let title = name.rsplit_once('.').unwrap().0.to_uppercase();
            assert!(rendered.contains(&title), "{name}:\n{rendered}");
            assert!(rendered.contains("SEE ALSO"), "{name}");
        }
        let ctl = render(&out.join("supervisorctl.1"));
        assert!(ctl.contains("--serverurl") && ctl.contains("status --json"), "{ctl}");
    }
}

fn render(path: &Path) -> String {
    let out = Command::new("man")
        .arg("-l")
        .arg(path)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .env("MAN_KEEP_FORMATTING", "")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    // Plain text: no overstrike, hyphens as ASCII.
    let text = String::from_utf8_lossy(&out.stdout).replace(['\u{2010}', '\u{2212}'], "-");
    let mut plain = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if chars.peek() == Some(&'\u{8}') {
            chars.next();
            continue;
        }
        plain.push(c);
    }
    plain
}
