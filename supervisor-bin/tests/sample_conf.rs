//! `echo_supervisord_conf` prints the key lines of 4.3.0's sample: guides
//! generate the sample and edit it with `sed`, so every section header and
//! every key line (active or commented out) must be the same, in the same
//! order. Only the comments after the values and the prose are ours.

mod common;

use std::path::PathBuf;
use std::process::Command;

/// 4.3.0's `supervisor/skel/sample.conf` in the reference venv.
fn reference_sample() -> String {
    let python = common::venv("python");
    let lib = python.parent().and_then(|bin| bin.parent()).expect("venv root").join("lib");
    let path: PathBuf = std::fs::read_dir(&lib)
        .expect("venv lib dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
        .map(|e| e.path().join("site-packages/supervisor/skel/sample.conf"))
        .find(|p| p.exists())
        .expect("4.3.0's skel/sample.conf in the venv");
    std::fs::read_to_string(path).expect("read 4.3.0's sample.conf")
}

fn our_sample() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_echo_supervisord_conf")).output().expect("run echo_supervisord_conf");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Whether `s` matches `^[a-z_.]+ *=`.
fn is_key(s: &str) -> bool {
    let name = s.find(|c: char| !(c.is_ascii_lowercase() || c == '_' || c == '.')).unwrap_or(s.len());
    name > 0 && s[name..].trim_start_matches(' ').starts_with('=')
}

/// The section headers (up to the `]`) and key lines (up to the end of the
/// value: before any ` ;` comment, trailing spaces trimmed), in order. A
/// line may be commented out by one leading `;`, which is kept.
fn skeleton(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(';').unwrap_or(line);
            if rest.starts_with('[') {
                let end = line.find(']').map_or(line.len(), |i| i + 1);
                Some(line[..end].to_owned())
            } else if is_key(rest) {
                let value_end = line.find(" ;").unwrap_or(line.len());
                Some(line[..value_end].trim_end().to_owned())
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn the_key_lines_match_4_3_0_in_order() {
    let (ours, theirs) = (skeleton(&our_sample()), skeleton(&reference_sample()));
    assert!(theirs.len() > 100, "the reference sample looks truncated: {theirs:?}");
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(a, b, "key line {i} differs");
    }
    assert_eq!(ours, theirs);
}

#[test]
fn the_skeleton_reads_headers_keys_and_skips_prose() {
    let text = "; prose with a=b\n;[program:x]         ; note\n;files = a/*.ini\n\
                serverurl=unix:///tmp/s.sock ; how\n;   numprocs_start   indented prose\n\
                supervisor.rpcinterface_factory = m:f\n;Key=1\n";
    assert_eq!(
        skeleton(text),
        [";[program:x]", ";files = a/*.ini", "serverurl=unix:///tmp/s.sock", "supervisor.rpcinterface_factory = m:f"]
    );
}
