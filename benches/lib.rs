//! Inputs shared by the micro-benchmarks (`cargo bench -p supervisor-benches`).
//!
//! The whole-daemon benchmark against Python Supervisor lives in
//! `benches/system/`.

/// A `supervisord.conf` with `n` programs, each with a few keys and
/// expansions, like a large real deployment.
pub fn config_with_programs(n: usize) -> String {
    let mut text = String::from("[supervisord]\nlogfile=/tmp/bench-supervisord.log\n\n");
    for i in 0..n {
        text.push_str(&format!(
            "[program:p{i}]\ncommand=/bin/sleep 3600 ; comment\nprocess_name=%(program_name)s\n\
             autorestart=true\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n\
             environment=A=\"x,y\",B=%(program_name)s\n\n"
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_config_loads() {
        let text = super::config_with_programs(3);
        let config = supervisor_core::config::Config::from_str(&text, "/tmp/bench.conf").expect("loads");
        assert_eq!(config.groups.len(), 3);
        assert_eq!(config.groups[2].processes[0].environment["B"], "p2");
    }
}
