//! A Rust service supervising two programs built in code: start them,
//! await RUNNING, read one's output from its stream, stop it, shut down.
//!
//! `cargo run -p supervisor-examples --example embed`

use std::time::Duration;

use futures_util::StreamExt;
use supervisor_core::config::{Config, ProgramSpec};
use supervisor_core::process::ProcessState;
use supervisor_core::supervisor::{RunOptions, Supervisor, Wait};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::builder()
        .program(ProgramSpec::new("greeter", "sh -c 'echo hello; exec sleep 60'").autostart(false))
        .program(ProgramSpec::new("clock", "sleep 60").startsecs(0))
        .build()?;
    let supervisor = Supervisor::start(config, RunOptions::default())?;
    let (greeter, clock) = (supervisor.program("greeter"), supervisor.program("clock"));
    let mut output = greeter.output().await?;
    greeter.start(Wait::Yes).await?;
    clock.wait_for(ProcessState::Running, Duration::from_secs(10)).await?;
    let chunk = output.next().await.ok_or("no output")??;
    println!("{} says {}", chunk.process, String::from_utf8_lossy(&chunk.data).trim());
    greeter.stop(Wait::Yes).await?;
    println!("greeter is {}, clock is {}", greeter.state().await?, clock.state().await?);
    supervisor.shutdown().await?;
    Ok(())
}
