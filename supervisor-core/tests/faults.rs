//! Faults around the engine: crash storms and output floods (outcomes, not
//! speeds; the speeds are benchmarks' business).

mod common;
use common::*;

use supervisor_core::process::ProcessState;

/// Our zombie children's pids, right now.
fn zombie_children() -> Vec<u32> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .expect("proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else { return false };
            let rest: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
            rest.first() == Some(&"Z") && rest.get(1) == Some(&me.as_str())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_storm_leaves_no_zombies_and_one_stop_ends_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut programs = String::new();
    for i in 0..50 {
        programs.push_str(&format!(
            "[program:c{i}]\ncommand=true\nstartsecs=0\nautorestart=true\nstdout_logfile=NONE\nstderr_logfile=NONE\n"
        ));
    }
    let (sv, _ev) = start(dir.path(), &programs);
    // A child is a zombie only between its exit and our reaping: none may
    // still be one 50 ms later. (How many are in flight at an instant is a
    // speed figure, for the benchmark.)
    let mut worst = 0;
    let mut previous: Vec<u32> = Vec::new();
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let now = zombie_children();
        worst = worst.max(now.len());
        let lingering: Vec<&u32> = now.iter().filter(|p| previous.contains(p)).collect();
        assert!(lingering.is_empty(), "zombies not reaped within 50 ms: {lingering:?}");
        previous = now;
    }
    eprintln!("most zombies in flight at one sample: {worst}");
    let spawned = mainlog(dir.path()).matches("spawned:").count();
    assert!(spawned > 100, "the storm really ran ({spawned} spawns)");
    // One stop of everything wins against the crash loop.
    let results = sv.stop_processes(Target::All, Wait::Yes).await.expect("stop all");
    assert!(
        results
            .iter()
            .all(|(_, r)| r.is_ok() || matches!(r, Err(supervisor_core::supervisor::ControlError::NotRunning(_))))
    );
    let infos = sv.processes().await;
    let left: Vec<_> =
        infos.iter().filter(|i| i.state != ProcessState::Stopped).map(|i| (i.process.name(), i.state)).collect();
    assert!(left.is_empty(), "one stop of everything left these: {left:?}");
    sv.shutdown().await.expect("shutdown");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(zombie_children(), Vec::<u32>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_output_is_logged_byte_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("flood.log");
    // 20 MiB of a counting pattern, as fast as the pipe takes it.
    let programs = format!(
        "[program:flood]\ncommand=sh -c 'head -c 20971520 /dev/urandom | od -An -v -tx1 | head -c 20971520'\n\
         startsecs=0\nautorestart=false\nstdout_logfile={}\nstdout_logfile_maxbytes=0\n",
        out.display()
    );
    let (sv, mut ev) = start(dir.path(), &programs);
    wait_for(&mut ev, "flood", ProcessState::Exited).await;
    eventually("all bytes", || std::fs::metadata(&out).is_ok_and(|m| m.len() == 20 * 1024 * 1024)).await;
    // The text od writes has a fixed shape: every line is 49 bytes.
    let data = std::fs::read(&out).expect("read");
    assert!(data.chunks(49).take(1000).all(|l| l.len() < 49 || l[48] == b'\n'), "bytes arrived in order");
    sv.shutdown().await.expect("shutdown");
}
