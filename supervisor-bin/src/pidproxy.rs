//! `pidproxy PIDFILE COMMAND [ARGS...]`: runs a command that daemonizes
//! itself, and passes the signals supervisord sends on to the pid the
//! command writes to PIDFILE (4.3.0's `pidproxy`).

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

/// The usage text, `%s` being the program name.
pub const USAGE: &str = "pidproxy -- run command and proxy signals to it via its pidfile.

This executable runs a command and then monitors a pidfile.  When this
executable receives a signal, it sends the same signal to the pid
in the pidfile.

Usage: %s <pidfile name> <command> [<cmdarg1> ...]
";

/// The signals passed on to the pid in the file.
pub const FORWARDED: [i32; 6] =
    [libc::SIGTERM, libc::SIGHUP, libc::SIGINT, libc::SIGUSR1, libc::SIGUSR2, libc::SIGQUIT];

static PENDING: AtomicI32 = AtomicI32::new(0);

/// Runs pidproxy with `args` (without the program name); returns the exit
/// status.
pub fn run(progname: &str, args: &[String]) -> i32 {
    let (Some(pidfile), Some(command)) = (args.first(), args.get(1)) else {
        print!("{}", USAGE.replace("%s", progname));
        return 1;
    };
    for sig in FORWARDED {
        // SAFETY: the handler only stores to an atomic (async-signal-safe).
        let registered = unsafe { signal_hook_registry::register(sig, move || PENDING.store(sig, Ordering::SeqCst)) };
        if registered.is_err() {
            eprintln!("pidproxy: cannot handle signal {sig}");
            return 1;
        }
    }
    // 4.3.0 runs os.path.abspath(command): relative to the cwd, no PATH search.
    let program = supervisor_core::config::values::abspath(Path::new(command));
    let mut child = match Command::new(&program).arg0(command).args(&args[2..]).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pidproxy: cannot run {}: {e}", program.display());
            return 1;
        }
    };
    loop {
        let sig = PENDING.swap(0, Ordering::SeqCst);
        if sig != 0 {
            forward(pidfile, sig);
            if matches!(sig, libc::SIGTERM | libc::SIGINT | libc::SIGQUIT) {
                return 0;
            }
        }
        if matches!(child.try_wait(), Ok(Some(_)) | Err(_)) {
            return 0;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn forward(pidfile: &str, sig: i32) {
    let pid = std::fs::read_to_string(pidfile).ok().and_then(|t| t.trim().parse::<i32>().ok());
    match pid {
        Some(pid) => {
            // SAFETY: kill(2) with a pid read from the file and a valid signal.
            unsafe {
                libc::kill(pid, sig);
            }
        }
        None => println!("Can't read child pidfile {pidfile}!"),
    }
}
