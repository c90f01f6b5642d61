//! A Rust service that supervises two programs in-process and prints the
//! event stream: state changes and output. Stops after a few seconds.
//!
//! `cargo run -p supervisor-examples --example embed`

use std::time::Duration;

use supervisor_core::config::Config;
use supervisor_core::events::Event;
use supervisor_core::supervisor::{RunOptions, Supervisor};

const CONFIG: &str = "
[supervisord]
childlogdir = /tmp

[program:clock]
command = sh -c 'while true; do date +%%T; sleep 1; done'
startsecs = 0
stdout_logfile = NONE

[program:flaky]
command = sh -c 'echo starting; sleep 1.5; exit 3'
startsecs = 1
autorestart = true
stdout_logfile = NONE
";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_str(CONFIG, "/tmp/embed.conf")?;
    let (supervisor, mut events) = Supervisor::start_subscribed(config, RunOptions::default())?;
    let until = tokio::time::Instant::now() + Duration::from_secs(5);
    while let Ok(Ok(event)) = tokio::time::timeout_at(until, events.recv()).await {
        match event {
            Event::ProcessState { name, transition, .. } => {
                println!("{name}: {} -> {} (pid {})", transition.from, transition.to, transition.pid);
            }
            Event::ProcessLog { name, data, .. } => {
                print!("{name} says: {}", String::from_utf8_lossy(&data))
            }
            other => println!("{other:?}"),
        }
    }
    for info in supervisor.all_process_info().await {
        println!("{:<10} {:<9} {}", info.name, info.state.name(), info.description);
    }
    supervisor.shutdown().await;
    Ok(())
}
