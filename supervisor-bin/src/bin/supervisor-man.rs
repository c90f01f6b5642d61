//! `supervisor-man OUTDIR`: writes the man pages (`supervisord.8`,
//! `supervisorctl.1`, `echo_supervisord_conf.1`, `pidproxy.1`,
//! `supervisord.conf.5`) into OUTDIR, creating it if need be. For packages:
//! `cargo run -q -p supervisor-bin --bin supervisor-man -- OUTDIR`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir] = args.as_slice() else {
        eprintln!("usage: supervisor-man OUTDIR");
        return ExitCode::from(2);
    };
    let dir = std::path::Path::new(dir);
    match std::fs::create_dir_all(dir).and_then(|()| supervisor_bin::man::write_all(dir)) {
        Ok(written) => {
            for path in written {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("supervisor-man: {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
