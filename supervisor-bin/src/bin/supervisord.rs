//! `supervisord`: flags, config loading and wiring; the work is in
//! supervisor-core.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use supervisor_bin::supervisord_cli::{self, Command, ServerArgs, USAGE};
use supervisor_core::config::{Config, ErrorKind, LoadOptions, find_config_file, search_paths};

/// The version 4.3.0 clients are written against.
const VERSION: &str = "4.3.0";

fn main() -> ExitCode {
    // One malloc arena, not one per thread: a daemon that idles with a
    // thousand children should hold a few MB, and glibc otherwise keeps
    // each worker thread's freed memory (a 1 MB getAllProcessInfo answer)
    // in an arena of its own. And a fixed mmap threshold: glibc raises
    // it to the size of each big block freed, after which a 1.2 MB answer
    // comes from the heap and stays there once freed (1.5 MB more RSS
    // with 1000 programs and a client asking for all of them); mapped, it
    // goes back to the kernel when freed.
    // SAFETY: mallopt before any thread exists; it only sets parameters.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
    let mut argv = std::env::args();
    let progname = argv.next().unwrap_or_else(|| "supervisord".to_owned());
    let args: Vec<String> = argv.collect();
    match supervisord_cli::parse(&args) {
        Ok(Command::Help) => {
            println!("{}", USAGE.replace("%s", &progname));
            ExitCode::SUCCESS
        }
        Ok(Command::Version) => {
            println!("{VERSION}");
            ExitCode::SUCCESS
        }
        Ok(Command::Check(a)) => check(&progname, &a),
        Ok(Command::Run(a)) => match config_path(&progname, &a) {
            Ok(path) => supervisor_bin::daemon::run(path, &a, &progname),
            Err(e) => usage_error(&progname, &e.to_string()),
        },
        Err(e) => usage_error(&progname, &e.to_string()),
    }
}

fn usage_error(progname: &str, message: &str) -> ExitCode {
    eprintln!("Error: {message}");
    eprintln!("For help, use {progname} -h");
    ExitCode::from(2)
}

/// The `-c` file, or the first default location that exists.
fn config_path(progname: &str, a: &ServerArgs) -> Result<PathBuf, ErrorKind> {
    if let Some(c) = &a.configuration {
        return Ok(c.clone());
    }
    if nix::unistd::geteuid().is_root() {
        eprintln!(
            "UserWarning: Supervisord is running as root and it is searching for its configuration file in \
             default locations (including its current working directory); you probably want to specify a \
             \"-c\" argument specifying an absolute path to a configuration file for improved security."
        );
    }
    let exe = Path::new(progname);
    find_config_file(exe).ok_or_else(|| ErrorKind::NoConfigFound(search_paths(exe)))
}

fn check(progname: &str, a: &ServerArgs) -> ExitCode {
    let path = match config_path(progname, a) {
        Ok(p) => p,
        Err(e) => return usage_error(progname, &e.to_string()),
    };
    // Keys nothing reads are ignored, as in 4.3.0; only --check names them,
    // even next to errors (a misspelt `command` explains a missing one).
    let checked = Config::check_with(&path, &LoadOptions::default());
    match checked.config {
        Ok(config) => {
            for w in &config.messages.warnings {
                eprintln!("WARN {w}");
            }
            for u in &checked.unknown_keys {
                eprintln!("WARN {u}");
            }
            for i in &config.messages.infos {
                eprintln!("INFO {i}");
            }
            println!("{}: configuration is valid", path.display());
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in errors.errors() {
                eprintln!("Error: {e}");
            }
            for u in &checked.unknown_keys {
                eprintln!("WARN {u}");
            }
            eprintln!("{}: configuration is invalid ({} error(s))", path.display(), errors.errors().len());
            ExitCode::from(2)
        }
    }
}
