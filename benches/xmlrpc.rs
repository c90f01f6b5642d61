//! XML-RPC on the wire: writing and reading a `getAllProcessInfo` answer
//! for 1000 processes (about 1.2 MB of XML).
//!
//! `cargo bench -p supervisor-benches --bench xmlrpc`

use std::collections::BTreeMap;

use supervisor_rpc::dxr::Value;
use supervisor_rpc::xml::{method_response, parse_response};

fn infos(n: usize) -> Value {
    let one = |i: usize| {
        let mut s = BTreeMap::new();
        let text = |k: &str, v: String| (k.to_owned(), Value::String(v));
        let int = |k: &str, v: i32| (k.to_owned(), Value::Integer(v));
        s.extend([
            text("name", format!("p{i:04}")),
            text("group", format!("p{i:04}")),
            text("description", format!("pid {}, uptime 0:01:02", 10000 + i)),
            text("statename", "RUNNING".into()),
            text("spawnerr", String::new()),
            text("logfile", format!("/var/log/supervisor/p{i:04}-stdout---supervisor-abcdefgh.log")),
            text("stdout_logfile", format!("/var/log/supervisor/p{i:04}-stdout---supervisor-abcdefgh.log")),
            text("stderr_logfile", format!("/var/log/supervisor/p{i:04}-stderr---supervisor-abcdefgh.log")),
            int("pid", 10000 + i as i32),
            int("state", 20),
            int("start", 1_795_000_000),
            int("stop", 0),
            int("now", 1_795_000_062),
            int("exitstatus", 0),
        ]);
        Value::Struct(s)
    };
    Value::Array((0..n).map(one).collect())
}

fn main() {
    divan::main();
}

#[divan::bench]
fn encode_1000_process_infos(bencher: divan::Bencher) {
    let value = infos(1000);
    bencher.bench_local(|| method_response(&value));
}

#[divan::bench]
fn decode_1000_process_infos(bencher: divan::Bencher) {
    let xml = method_response(&infos(1000));
    bencher.bench_local(|| parse_response(&xml).expect("parses"));
}
