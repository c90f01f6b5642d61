//! What a child gets: environment, directory, umask, its own process group.

mod common;
use common::*;
use supervisor_core::process::ProcessState::Exited;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_directory_umask_and_process_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("env.out");
    let script = "echo name=$SUPERVISOR_PROCESS_NAME group=$SUPERVISOR_GROUP_NAME enabled=$SUPERVISOR_ENABLED \
                  mine=$MINE global=$GLOBAL; pwd; umask; ps -o pgid= -p $$; echo pid=$$";
    let programs = format!(
        "[program:envy]\ncommand=sh -c '{script}'\nstartsecs=0\nautorestart=false\nenvironment=MINE=\"a,b\"\n\
         directory=/tmp\numask=027\nstdout_logfile={}\n",
        out.display()
    );
    let (sv, mut ev) = start(dir.path(), &format!("environment=GLOBAL=g\n{programs}"));
    wait_for(&mut ev, "envy", Exited).await;
    eventually("output", || std::fs::read_to_string(&out).is_ok_and(|t| t.contains("pid="))).await;
    let text = std::fs::read_to_string(&out).expect("output");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "name=envy group=envy enabled=1 mine=a,b global=g");
    assert_eq!(lines[1], "/tmp");
    assert_eq!(lines[2], "0027");
    let pid = lines[4].trim_start_matches("pid=");
    assert_eq!(lines[3].trim(), pid, "the child leads its own process group");
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_directory_fails_in_the_child_as_4_3_0_reports_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = dir.path().join("err.out");
    let (sv, mut ev) = start(
        dir.path(),
        &format!(
            "[program:lost]\ncommand=true\ndirectory=/no/such/dir\nstartsecs=0\nautorestart=false\nstderr_logfile={}\n",
            err.display()
        ),
    );
    wait_for(&mut ev, "lost", Exited).await;
    eventually("stderr", || std::fs::read_to_string(&err).is_ok_and(|t| t.contains("not spawned"))).await;
    assert_eq!(
        std::fs::read_to_string(&err).expect("err"),
        "supervisor: couldn't chdir to /no/such/dir: ENOENT\nsupervisor: child process was not spawned\n"
    );
    assert_eq!(sv.info(&pn("lost")).await.expect("info").exit_status, Some(127));
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_holds_its_three_pipes_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A descriptor the host program forgot to mark close-on-exec.
    let leaked = std::fs::File::open("/dev/null").expect("open");
    // SAFETY: dup of a descriptor we own; the copy is closed below.
    let loose = unsafe { libc::dup(std::os::fd::AsRawFd::as_raw_fd(&leaked)) };
    assert!(loose > 2);
    let mut programs = String::new();
    for i in 0..3 {
        let out = dir.path().join(format!("fds{i}.out"));
        programs.push_str(&format!(
            "[program:fds{i}]\ncommand=sh -c 'ls /proc/$$/fd; echo done'\nstartsecs=0\nautorestart=false\n\
             stdout_logfile={}\n",
            out.display()
        ));
    }
    let (sv, _events) = start(dir.path(), &programs);
    for i in 0..3 {
        let out = dir.path().join(format!("fds{i}.out"));
        eventually("output", || std::fs::read_to_string(&out).is_ok_and(|t| t.contains("done"))).await;
        let text = std::fs::read_to_string(&out).expect("output");
        // Sorted here, not by a pipeline: the shell would hold the
        // pipeline's own pipe while `ls` looks.
        let mut fds: Vec<i32> = text.lines().filter_map(|l| l.parse().ok()).collect();
        fds.sort_unstable();
        // sh may keep one descriptor of its own (its script or tty probe)
        // above 2; every pipe sits on 0-2 and the loose one is gone.
        assert_eq!(fds.get(..3), Some(&[0, 1, 2][..]), "{text}");
        assert!(!fds.contains(&loose), "the loose descriptor leaked: {text}");
        assert!(fds.len() <= 4, "{text}");
    }
    // SAFETY: closing the copy made above.
    unsafe { libc::close(loose) };
    sv.shutdown().await.expect("shutdown");
}
