//! Where `supervisord` and `supervisorctl` look for a config file when `-c`
//! is not given, in 4.3.0's order.

use std::path::{Path, PathBuf};

/// The candidate paths for a program at `exe` (`argv[0]`): relative to the
/// program's parent directory first, then the current directory, then `/etc`.
///
/// ```
/// use supervisor_core::config::search_paths;
/// use std::path::Path;
/// let paths = search_paths(Path::new("/usr/local/bin/supervisord"));
/// assert_eq!(paths[0], Path::new("/usr/local/etc/supervisord.conf"));
/// assert_eq!(paths[5], Path::new("/etc/supervisor/supervisord.conf"));
/// ```
pub fn search_paths(exe: &Path) -> Vec<PathBuf> {
    // os.path.dirname(os.path.dirname(argv[0])): may be empty for a bare name.
    let here = exe.parent().and_then(Path::parent).unwrap_or(Path::new(""));
    vec![
        here.join("etc").join("supervisord.conf"),
        here.join("supervisord.conf"),
        PathBuf::from("supervisord.conf"),
        PathBuf::from("etc/supervisord.conf"),
        PathBuf::from("/etc/supervisord.conf"),
        PathBuf::from("/etc/supervisor/supervisord.conf"),
    ]
}

/// The first candidate that exists.
pub fn find_config_file(exe: &Path) -> Option<PathBuf> {
    search_paths(exe).into_iter().find(|p| p.exists())
}
