//! `pidproxy PIDFILE COMMAND [ARGS...]`.

fn main() {
    let mut argv = std::env::args();
    let progname = argv.next().unwrap_or_else(|| "pidproxy".to_owned());
    let args: Vec<String> = argv.collect();
    std::process::exit(supervisor_bin::pidproxy::run(&progname, &args));
}
