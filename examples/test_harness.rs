//! Using supervisor-core in-process as a test harness: start a program,
//! wait for RUNNING through the event stream, kill it, and watch
//! autorestart bring it back with a new pid. Exits non-zero if it does not.
//!
//! `cargo run -p supervisor-examples --example test_harness`

use std::time::Duration;

use supervisor_core::config::Config;
use supervisor_core::events::Event;
use supervisor_core::process::ProcessState;
use supervisor_core::signals::Signal;
use supervisor_core::supervisor::{RunOptions, Supervisor};
use tokio::sync::broadcast::Receiver;

async fn running(events: &mut Receiver<Event>, name: &str) -> Result<u32, String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => return Err(format!("{name} did not reach RUNNING")),
            Ok(Err(e)) => return Err(e.to_string()),
            Ok(Ok(Event::ProcessState { name: n, transition, .. }))
                if n == name && transition.to == ProcessState::Running =>
            {
                return Ok(transition.pid);
            }
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let text = "[supervisord]\n[program:server]\ncommand=sleep 600\nstartsecs=0\nautorestart=true\n\
                stdout_logfile=NONE\nstderr_logfile=NONE\n";
    let config = Config::from_str(text, "/tmp/harness.conf")?;
    let (supervisor, mut events) = Supervisor::start_subscribed(config, RunOptions::default())?;

    let first = running(&mut events, "server").await?;
    println!("server is RUNNING with pid {first}");
    supervisor.signal_process("server", Signal::KILL).await?;
    let second = running(&mut events, "server").await?;
    println!("killed; autorestart brought it back with pid {second}");
    if second == first {
        return Err("the pid did not change".into());
    }
    supervisor.shutdown().await;
    let info = supervisor.all_process_info().await;
    println!("after shutdown: {} process(es) reported", info.len());
    Ok(())
}
