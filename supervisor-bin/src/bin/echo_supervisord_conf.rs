//! Prints a sample `supervisord.conf` that documents every section and key.

use std::io::Write;

fn main() -> std::process::ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(supervisor_bin::SAMPLE_CONF.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // A closed pipe (`| head`) is not worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo_supervisord_conf: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
