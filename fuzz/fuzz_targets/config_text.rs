//! Any text as a supervisord.conf: the INI reader, `%(...)s` expansion and
//! every section builder must answer with a config or an error, never panic
//! or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use supervisor_core::config::Config;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // A folder that does not exist: [include] globs find nothing to read.
    let _ = Config::from_str(&text, "/nonexistent-fuzz/supervisord.conf");
});
