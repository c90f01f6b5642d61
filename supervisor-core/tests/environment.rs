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
    sv.shutdown().await;
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
    assert_eq!(sv.process_info("lost").await.expect("info").exitstatus, 127);
    sv.shutdown().await;
}
