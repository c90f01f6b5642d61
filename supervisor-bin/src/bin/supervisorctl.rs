//! `supervisorctl`: control a running supervisord from the command line.

use std::path::Path;

use supervisor_bin::ctl::help::USAGE;
use supervisor_bin::ctl::options::{Early, parse};
use supervisor_bin::ctl::{Controller, exit, shell};

fn main() {
    let mut argv = std::env::args();
    let progname = argv.next().unwrap_or_else(|| "supervisorctl".to_owned());
    let args: Vec<String> = argv.collect();
    let options = match parse(Path::new(&progname), &args) {
        Ok(o) => o,
        Err(Early::Help) => {
            print!("{}", USAGE.replace("%s", &progname));
            std::process::exit(exit::SUCCESS);
        }
        Err(Early::Usage(message)) => {
            eprintln!("Error: {message}");
            eprintln!("For help, use {progname} -h");
            std::process::exit(exit::INVALID_ARGS);
        }
    };
    // Stdout, not a held lock: fg's streaming threads write to it too.
    let mut ctl = Controller::new(options.clone(), std::io::stdout());
    if !options.args.is_empty() {
        ctl.onecmd(&options.args.join(" "));
        std::process::exit(ctl.exitstatus);
    }
    std::process::exit(shell::run(&mut ctl));
}
