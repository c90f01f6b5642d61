//! supervisor-core as a test harness: start a program, assert on its
//! output and state, kill it and watch autorestart bring it back, and tear
//! down with nothing left behind. The same scenario runs as `main` and as
//! a `#[tokio::test]` (`cargo test -p supervisor-examples --example
//! test_harness`).
//!
//! `cargo run -p supervisor-examples --example test_harness`

use std::time::Duration;

use futures_util::StreamExt;
use supervisor_core::config::{AutoRestart, Config, ProgramSpec};
use supervisor_core::process::ProcessState;
use supervisor_core::signals::Signal;
use supervisor_core::supervisor::{RunOptions, Supervisor};

const PATIENCE: Duration = Duration::from_secs(30);

/// Whether `pid` is still a live process (a zombie counts as gone).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| !stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')))
}

/// The scenario; returns the two pids the server had.
async fn harness() -> Result<(u32, u32), Box<dyn std::error::Error>> {
    let spec = ProgramSpec::new("server", "sh -c 'echo ready; exec sleep 600'")
        .startsecs(0)
        .autorestart(AutoRestart::Always)
        .stdout_logfile_none();
    let config = Config::builder().program(spec).build()?;
    // The output stream is made before the server starts: nothing is missed.
    let (supervisor, mut output) = Supervisor::start_with(config, RunOptions::default(), Supervisor::output)?;
    let server = supervisor.program("server");

    let first = tokio::time::timeout(PATIENCE, output.next()).await?.ok_or("no output")??;
    assert_eq!(first.data, b"ready\n");
    server.wait_for(ProcessState::Running, PATIENCE).await?;
    let pid = server.info().await?[0].pid.ok_or("no pid")?;
    println!("server is RUNNING with pid {pid} and said {:?}", String::from_utf8_lossy(&first.data));

    server.signal(Signal::KILL).await?;
    let again = tokio::time::timeout(PATIENCE, output.next()).await?.ok_or("no output")??;
    assert_eq!(again.data, b"ready\n");
    server.wait_for(ProcessState::Running, PATIENCE).await?;
    let second = server.info().await?[0].pid.ok_or("no pid")?;
    println!("killed; autorestart brought it back with pid {second}");
    assert_ne!(pid, second, "a new process");

    supervisor.shutdown().await?;
    assert!(!alive(second), "nothing is left behind");
    println!("after shutdown: pid {second} is gone");
    Ok((pid, second))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    harness().await.map(drop)
}

#[cfg(test)]
mod tests {
    #[tokio::test(flavor = "current_thread")]
    async fn the_harness_runs_inside_a_tokio_test() {
        let (first, second) = super::harness().await.expect("harness");
        assert!(!super::alive(first) && !super::alive(second));
    }
}
