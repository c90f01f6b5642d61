//! Reaping by the kernel (`reap_automatically`, what supervisord uses): a
//! process of its own, since the choice is process-wide and for good.

mod common;
use common::*;

use std::time::{Duration, Instant};

use supervisor_core::daemon as reap;
use supervisor_core::process::ProcessState;

/// Whether this kernel keeps exit statuses for pidfds (Linux 6.15+).
fn kernel_keeps_exit_statuses() -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut parts = release.split(|c: char| !c.is_ascii_digit()).filter_map(|p| p.parse::<u32>().ok());
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (6, 15)
}

/// The tests share process-wide state (the children, SIGCHLD's action), so
/// they take turns.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Turns kernel reaping on, or says why the test cannot run.
fn automatic() -> bool {
    let on = reap::reap_automatically();
    assert_eq!(on.is_ok(), reap::automatic());
    match on {
        Err(why) if kernel_keeps_exit_statuses() => panic!("Linux 6.15+ keeps exit statuses for pidfds, yet: {why}"),
        Err(why) => eprintln!("skipped: {why}"),
        Ok(()) => {}
    }
    on.is_ok()
}

/// This test's turn, with the kernel reaping; `None` where it cannot.
async fn turn() -> Option<tokio::sync::MutexGuard<'static, ()>> {
    let turn = TURN.lock().await;
    automatic().then_some(turn)
}

/// Whether SIGCHLD's action has SA_NOCLDWAIT.
fn released_at_exit() -> bool {
    // SAFETY: sigaction only reads SIGCHLD's action into `action`.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut action) == 0 && action.sa_flags & libc::SA_NOCLDWAIT != 0
    }
}

/// The state letters of this process's children (every thread's), now.
fn children_states() -> Vec<(u32, char)> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return out };
    for task in tasks.flatten() {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        for pid in children.split_whitespace().filter_map(|p| p.parse::<u32>().ok()) {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            if let Some(state) = stat.rsplit(')').next().and_then(|r| r.trim_start().chars().next()) {
                out.push((pid, state));
            }
        }
    }
    out
}

/// What sampling our children for a while saw.
struct Zombies {
    samples: usize,
    /// Samples that found any child at all (the sampler can see them).
    with_children: usize,
    /// The most zombies in one sample.
    most: usize,
    /// Zombies still there 50 ms after a sample saw them.
    lingering: Vec<u32>,
}

/// Samples our children for `span`, as fast as /proc answers.
///
/// The kernel releases an exiting child in the same locked, interrupts-off
/// step that makes it a zombie, so a sample can still catch one inside
/// that step (microseconds): never more than one per CPU, and never for
/// long.
fn zombies_during(span: Duration) -> Zombies {
    let mut seen = Zombies { samples: 0, with_children: 0, most: 0, lingering: Vec::new() };
    let mut suspects: Vec<(Instant, u32)> = Vec::new();
    let end = Instant::now() + span;
    while Instant::now() < end {
        let states = children_states();
        let now: Vec<u32> = states.iter().filter(|&&(_, s)| s == 'Z').map(|&(p, _)| p).collect();
        seen.samples += 1;
        seen.with_children += usize::from(!states.is_empty());
        seen.most = seen.most.max(now.len());
        let at = Instant::now();
        suspects.extend(now.into_iter().map(|p| (at, p)));
        let (due, waiting): (Vec<_>, Vec<_>) =
            suspects.into_iter().partition(|(t, _)| at.duration_since(*t) >= Duration::from_millis(50));
        suspects = waiting;
        seen.lingering.extend(due.into_iter().filter(|&(_, p)| states.contains(&(p, 'Z'))).map(|(_, p)| p));
    }
    seen
}

/// Pidfds this process holds.
fn pidfds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.flatten()
                .filter(|e| std::fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy().contains("pidfd")))
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_storm_never_shows_a_zombie_and_every_exit_status_arrives() {
    let Some(_turn) = turn().await else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut programs = String::new();
    for i in 0..50 {
        programs.push_str(&format!(
            "[program:c{i}]\ncommand=true\nstartsecs=0\nautorestart=true\nstdout_logfile=NONE\nstderr_logfile=NONE\n"
        ));
    }
    programs.push_str("[program:three]\ncommand=sh -c 'exit 3'\nstartsecs=0\nautorestart=false\n");
    programs.push_str("[program:term]\ncommand=sh -c 'kill -TERM $$'\nstartsecs=0\nautorestart=false\n");
    let (sv, _ev) = start(dir.path(), &programs);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let seen = tokio::task::spawn_blocking(|| zombies_during(Duration::from_secs(2))).await.expect("sampler");
    assert!(seen.with_children > 100, "the sampler saw children ({} of {} samples)", seen.with_children, seen.samples);
    assert!(seen.most <= cpus, "{} zombies at once on {cpus} CPUs", seen.most);
    assert!(seen.lingering.is_empty(), "zombies still there 50 ms on: {:?}", seen.lingering);
    let spawned = mainlog(dir.path()).matches("spawned:").count();
    assert!(spawned > 100, "the storm really ran ({spawned} spawns)");
    // Each exit status came through the pidfd, exactly.
    log_contains(dir.path(), "exited: three").await;
    let log = log_contains(dir.path(), "exited: term").await;
    assert!(log.contains("exited: three (exit status 3; not expected)"), "{log}");
    assert!(log.contains("exited: term (terminated by SIGTERM; not expected)"), "{log}");
    assert!(log.contains("exited: c0 (exit status 0; expected)"));
    let infos = sv.processes().await;
    let three = infos.iter().find(|i| i.process.name() == "three").expect("three");
    assert_eq!(three.exit_status, Some(3));
    // One stop of everything wins against the crash loop.
    let _ = sv.stop_processes(Target::All, Wait::Yes).await.expect("stop all");
    let infos = sv.processes().await;
    let left: Vec<_> = infos
        .iter()
        .filter(|i| !matches!(i.state, ProcessState::Stopped | ProcessState::Exited))
        .map(|i| (i.process.name(), i.state))
        .collect();
    assert!(left.is_empty(), "one stop of everything left these: {left:?}");
    // Every exited child's pidfd is closed: nothing grows with spawns.
    eventually("every pidfd closed", || pidfds() == 0).await;
    sv.shutdown().await.expect("shutdown");
    assert!(children_states().is_empty(), "{:?}", children_states());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphans_handed_to_a_subreaper_are_released_too() {
    let Some(_turn) = turn().await else { return };
    nix::sys::prctl::set_child_subreaper(true).expect("subreaper");
    let dir = tempfile::tempdir().expect("tempdir");
    // The grandchild outlives its parent and comes to us.
    let programs = "[program:orphans]\ncommand=sh -c '(exec sleep 1) & exit 0'\nstartsecs=0\nautorestart=false\n";
    let (sv, mut ev) = start(dir.path(), programs);
    wait_for(&mut ev, "orphans", ProcessState::Exited).await;
    // Its subshell comes to us first, then execs sleep.
    let sleeping = || {
        children_states()
            .into_iter()
            .map(|(p, _)| p)
            .find(|&p| std::fs::read_to_string(format!("/proc/{p}/cmdline")).is_ok_and(|c| c.starts_with("sleep\0")))
    };
    eventually("the orphaned sleep comes to us", || sleeping().is_some()).await;
    let Some(orphan) = sleeping() else { panic!("the orphan left before we saw it") };
    let seen = tokio::task::spawn_blocking(|| zombies_during(Duration::from_millis(1300))).await.expect("sampler");
    assert!(seen.lingering.is_empty(), "zombies still there 50 ms on: {:?}", seen.lingering);
    assert!(!std::path::Path::new(&format!("/proc/{orphan}")).exists(), "the orphan is gone, not a zombie");
    sv.shutdown().await.expect("shutdown");
}

#[test]
fn no_thread_of_ours_needs_to_run_for_a_child_to_be_released() {
    let _turn = TURN.blocking_lock();
    if !automatic() {
        return;
    }
    // A child nobody in this process ever waits for: the kernel releases
    // it all the same, which is also why the embedding program's own
    // `wait` can no longer collect a status.
    let mut child = std::process::Command::new("true").spawn().expect("spawn true");
    let proc_dir = format!("/proc/{}", child.id());
    let deadline = Instant::now() + PATIENCE;
    while std::path::Path::new(&proc_dir).exists() {
        assert!(Instant::now() < deadline, "{proc_dir} never went away");
        std::thread::sleep(Duration::from_millis(5));
    }
    let waited = child.wait();
    assert_eq!(waited.map_err(|e| e.raw_os_error()).err(), Some(Some(libc::ECHILD)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigchld_handler_set_later_is_mended_and_what_waited_is_reaped() {
    let Some(_turn) = turn().await else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let program = "[program:four]\ncommand=sh -c 'exit 4'\nstartsecs=0\nautostart=false\nautorestart=false\n";
    let (sv, _ev) = start(dir.path(), program);
    // Someone sets SIGCHLD's action without SA_NOCLDWAIT (as a signal
    // library does): exited children wait as zombies again.
    // SAFETY: sets SIGCHLD's action to the default, with no flags.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = libc::SIG_DFL;
        assert_eq!(libc::sigaction(libc::SIGCHLD, &action, std::ptr::null_mut()), 0);
    }
    assert!(!released_at_exit());
    // A child of ours still reports its exit: its pidfd says it ended, and
    // the reaper collects it through the pidfd.
    start_one(&sv, "four", false).await.expect("start four");
    log_contains(dir.path(), "exited: four (exit status 4; not expected)").await;
    // A child nobody waits for stays a zombie until the reaper's sweep puts
    // the flag back and reaps it, as an orphan.
    #[allow(clippy::zombie_processes)] // the point: nobody waits for it
    let stray = std::process::Command::new("true").spawn().expect("spawn true");
    let log = log_contains(dir.path(), &format!("reaped unknown pid {} (exit status 0)", stray.id())).await;
    assert!(log.contains("INFO reaped unknown pid"), "{log}");
    eventually("SA_NOCLDWAIT back", released_at_exit).await;
    assert!(children_states().is_empty(), "{:?}", children_states());
    sv.shutdown().await.expect("shutdown");
}
