//! The API under load: `getAllProcessInfo` with 1000 processes (latency) and
//! `getState` (calls per second = 1 / time per call), over the unix socket,
//! with the same blocking client supervisorctl uses.
//!
//! `cargo bench -p supervisor-benches --bench rpc`

use std::sync::{Arc, OnceLock};

use supervisor_core::config::{Config, LoadOptions};
use supervisor_core::supervisor::{RunOptions, Supervisor};
use supervisor_rpc::RpcRegistry;
use supervisor_rpc::client::Client;
use supervisor_rpc::daemon::Daemon;
use supervisor_rpc::server::{bind_all, dispatcher, serve};

const PROGRAMS: usize = 1000;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    supervisor: Supervisor,
    url: String,
    dir: tempfile::TempDir,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let sock = dir.path().join("s.sock");
        let mut text = format!(
            "[unix_http_server]\nfile={}\n[supervisord]\n[rpcinterface:supervisor]\n\
             supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n",
            sock.display()
        );
        for i in 0..PROGRAMS {
            text.push_str(&format!(
                "[program:p{i}]\ncommand=sleep 3600\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n"
            ));
        }
        let config = Config::from_str(&text, dir.path().join("s.conf")).expect("config");
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let supervisor = runtime.block_on(async {
            let supervisor = Supervisor::start(config.clone(), RunOptions::default()).expect("start");
            let (daemon, _requests) = Daemon::new(supervisor.clone(), &config, LoadOptions::default());
            let daemon = Arc::new(daemon);
            let d = dispatcher(&daemon, &config, &RpcRegistry::with_main()).expect("dispatcher");
            let serving = serve(
                &tokio::runtime::Handle::current(),
                bind_all(&config).expect("bind"),
                d,
                &config,
                None,
                |_, _| {},
            )
            .expect("serve");
            std::mem::forget(serving);
            std::mem::forget(daemon);
            // Measure steady state: everything RUNNING.
            loop {
                let infos = supervisor.processes().await;
                if infos.iter().filter(|i| i.state.name() == "RUNNING").count() == PROGRAMS {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            supervisor
        });
        Fixture { runtime, supervisor, url: format!("unix://{}", sock.display()), dir }
    })
}

fn main() {
    divan::main();
    // Stop the 1000 children before exiting, so none outlives the bench.
    if let Some(f) = FIXTURE.get() {
        let _ = f.runtime.block_on(f.supervisor.clone().shutdown());
        let _ = f.dir.path();
    }
}

#[divan::bench(sample_count = 20)]
fn get_all_process_info_1000(bencher: divan::Bencher) {
    let client = Client::new(&fixture().url, None, None).expect("client");
    bencher.bench_local(|| client.call("supervisor.getAllProcessInfo", vec![]).expect("call"));
}

#[divan::bench(sample_count = 200)]
fn get_state(bencher: divan::Bencher) {
    let client = Client::new(&fixture().url, None, None).expect("client");
    bencher.bench_local(|| client.call("supervisor.getState", vec![]).expect("call"));
}
