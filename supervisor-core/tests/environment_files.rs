//! `environment_file` with real processes: precedence, the dotenv forms,
//! a change picked up at a restart, a broken file as a spawn error.

mod common;
use common::*;

use supervisor_core::process::ProcessState::{Exited, Fatal};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_layer_under_environment_and_are_read_at_each_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    std::fs::write(dir.path().join("global.env"), "# shared\nA=global\nB=global\nC=global\nD=global\n").expect("env");
    std::fs::write(dir.path().join("app.env"), "export C='app $HOME'\nD=\"app\\tfile\"\n").expect("env");
    let out = dir.path().join("out");
    let programs = format!(
        "environment_file={d}/global.env\nenvironment=B=\"sd\",C=\"sd\"\n\
         [program:show]\ncommand=sh -c 'echo \"$A|$B|$C|$D|$E\"'\nenvironment_file={d}/app.env\nenvironment=E=\"own\"\n\
         startsecs=0\nautorestart=false\nstdout_logfile={}\n",
        out.display()
    );
    let (sv, mut ev) = start(dir.path(), &programs);
    wait_for(&mut ev, "show", Exited).await;
    // Lowest first: global file, [supervisord] environment, the program's
    // file, its environment. Single quotes are literal; no $VAR expansion.
    eventually("output", || std::fs::read_to_string(&out).is_ok_and(|t| t == "global|sd|app $HOME|app\tfile|own\n"))
        .await;
    // Edited, then started again: the new value.
    std::fs::write(dir.path().join("app.env"), "C=changed\n").expect("env");
    start_one(&sv, "show", true).await.ok();
    wait_for(&mut ev, "show", Exited).await;
    eventually("new output", || {
        std::fs::read_to_string(&out).is_ok_and(|t| t.ends_with("global|sd|changed|global|own\n"))
    })
    .await;
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_file_is_a_spawn_error_naming_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = dir.path().join("bad.env");
    std::fs::write(&env, "A=1\nthis is not a pair\n").expect("env");
    let programs = format!("[program:app]\ncommand=sleep 600\nenvironment_file={}\nstartretries=0\n", env.display());
    let (sv, mut ev) = start(dir.path(), &programs);
    wait_for(&mut ev, "app", Fatal).await;
    let info = sv.info(&pn("app")).await.expect("info");
    let want = format!("environment_file {}:2: not KEY=value: \"this is not a pair\"", env.display());
    assert_eq!(info.spawn_error.as_deref(), Some(want.as_str()));
    sv.shutdown().await.expect("shutdown");
}
