//! Reads a `supervisord.conf` and prints what supervisord would run.
//!
//! `cargo run -p supervisor-examples --example parse_config -- examples/supervisord.conf`

use std::process::ExitCode;

use supervisor_core::config::Config;

fn main() -> ExitCode {
    let path = std::env::args().nth(1).unwrap_or_else(|| "examples/supervisord.conf".to_owned());
    let config = match Config::load(&path) {
        Ok(c) => c,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(2);
        }
    };
    for group in &config.groups {
        println!("group {} (priority {})", group.name, group.priority);
        for p in &group.processes {
            println!("  {:<24} {}", p.namespec(), p.command);
        }
    }
    ExitCode::SUCCESS
}
