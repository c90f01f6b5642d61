//! Writing to syslog as 4.3.0's `SyslogHandler` does: one record per line.

use std::ffi::CString;

/// Sends each line of `text` to syslog (LOG_INFO, LOG_USER), prefixed by
/// `prefix` and a space when one is given (`<program name> <line>`).
pub fn send_lines(prefix: Option<&str>, text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    for line in text.trim_end_matches('\n').split('\n') {
        let message = match prefix {
            Some(p) => format!("{p} {line}"),
            None => line.to_owned(),
        };
        let Ok(message) = CString::new(message.replace('\0', "")) else {
            continue;
        };
        // SAFETY: a constant "%s" format with one valid C string argument.
        unsafe {
            libc::syslog(libc::LOG_INFO | libc::LOG_USER, c"%s".as_ptr(), message.as_ptr());
        }
    }
}
