//! Reading a 1000-program `supervisord.conf` (what `reread` and startup pay).

use supervisor_benches::config_with_programs;
use supervisor_core::config::Config;

fn main() {
    divan::main();
}

#[divan::bench(args = [10, 1000])]
fn parse_programs(bencher: divan::Bencher, n: usize) {
    let text = config_with_programs(n);
    bencher.bench(|| Config::from_str(divan::black_box(&text), "/tmp/bench.conf").map(|c| c.groups.len()));
}
