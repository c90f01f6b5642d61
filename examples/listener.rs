//! An event listener in Rust: speaks the protocol on stdin/stdout, reading
//! exactly `len:` bytes of payload (set `len_in_bytes=true` in its
//! `[eventlistener:x]` section), and appends `EVENTNAME payload` lines to the
//! file named by its first argument.
//!
//! `[eventlistener:rust]`
//! `command = /path/to/target/debug/examples/listener /tmp/events.out`
//! `events = PROCESS_STATE,REMOTE_COMMUNICATION`
//! `len_in_bytes = true`

use std::io::{BufRead, Read, Write};

fn main() -> std::io::Result<()> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "/dev/stderr".to_owned());
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut stdout = std::io::stdout();
    loop {
        stdout.write_all(b"READY\n")?;
        stdout.flush()?;
        let mut header = String::new();
        if input.read_line(&mut header)? == 0 {
            return Ok(());
        }
        let field = |key: &str| {
            header.split_whitespace().find_map(|kv| kv.strip_prefix(key)?.strip_prefix(':').map(str::to_owned))
        };
        let len: usize = field("len").and_then(|l| l.parse().ok()).unwrap_or(0);
        let name = field("eventname").unwrap_or_default();
        let mut payload = vec![0u8; len];
        input.read_exact(&mut payload)?;
        let text = String::from_utf8_lossy(&payload).replace('\n', "|");
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&out)?;
        writeln!(file, "{name} {text}")?;
        stdout.write_all(b"RESULT 2\nOK")?;
    }
}
