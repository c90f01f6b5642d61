//! One channel's log file between a spawn and its writes.
//!
//! A spawn makes the file, as 4.3.0 does, but a plain file is taken up only
//! at the first write: a thousand programs that print nothing hold a
//! pointer each for their logs, not a [`RotatingFile`] and a copy of its
//! path (about 0.4 KiB a program, with malloc's rounding).

use std::io;
use std::sync::Arc;

use crate::config::{ChannelConfig, ProcessConfig};
use crate::events::Channel;
use crate::logging::RotatingFile;

/// A channel's log as its reader, `clearProcessLogs` and SIGUSR2 see it.
#[derive(Default)]
pub(crate) enum ChildLog {
    /// No file: none configured, or no spawn yet.
    #[default]
    Off,
    /// A plain file, made and closed at the spawn; `keys` says whose keys
    /// (maxbytes, backups) it is written with (one file for both channels
    /// takes stdout's).
    Unopened { process: Arc<ProcessConfig>, keys: Channel },
    /// Written to, or one that must stay as it is: a console, a special
    /// file held open, time rotation or compression.
    Open(Box<RotatingFile>),
}

impl ChildLog {
    /// Makes `keys`' log file for a new spawn of `process`; an error (a
    /// folder gone, no permission) fails the spawn, as in 4.3.0.
    pub(crate) fn at_spawn(process: &Arc<ProcessConfig>, keys: Channel) -> io::Result<ChildLog> {
        Ok(match open(settings(process, keys))? {
            None => ChildLog::Off,
            Some(file) if file.holds_nothing() => ChildLog::Unopened { process: Arc::clone(process), keys },
            Some(file) => ChildLog::Open(Box::new(file)),
        })
    }

    /// Writes `data`, taking the file up first if it has not been yet. A
    /// file that cannot be opened loses the bytes (a full disk or a removed
    /// folder must not stop the child) and is tried again at the next
    /// write, as an open `RotatingFile` tries again to open its file.
    pub(crate) fn write(&mut self, data: &[u8]) {
        if let ChildLog::Unopened { process, keys } = self {
            let Ok(Some(file)) = open(settings(process, *keys)) else { return };
            *self = ChildLog::Open(Box::new(file));
        }
        if let ChildLog::Open(file) = self {
            let _ = file.write(data);
        }
    }

    /// Whether this is supervisord's own stdout or stderr.
    pub(crate) fn is_console(&self) -> bool {
        matches!(self, ChildLog::Open(file) if file.is_console())
    }

    /// SIGUSR2: opens the file again (made anew if it was moved away).
    pub(crate) fn reopen(&mut self) -> io::Result<()> {
        match self {
            ChildLog::Open(file) => file.reopen(),
            // Opening it makes it, as at the spawn.
            ChildLog::Unopened { process, keys } => open(settings(process, *keys)).map(drop),
            ChildLog::Off => Ok(()),
        }
    }

    /// `clearProcessLogs`: removes the file and starts a new, empty one.
    /// `false` when there is nothing open or made to clear.
    pub(crate) fn clear(&mut self) -> io::Result<bool> {
        match self {
            ChildLog::Open(file) => file.clear().map(|()| true),
            ChildLog::Unopened { process, keys } => {
                open(settings(process, *keys))?.map_or(Ok(()), |mut file| file.clear()).map(|()| true)
            }
            ChildLog::Off => Ok(false),
        }
    }
}

fn settings(process: &ProcessConfig, keys: Channel) -> &ChannelConfig {
    match keys {
        Channel::Stdout => &process.stdout,
        Channel::Stderr => &process.stderr,
    }
}

/// The channel's file as a `RotatingFile` (opening makes it if missing);
/// `None` when it has no file.
fn open(settings: &ChannelConfig) -> io::Result<Option<RotatingFile>> {
    let Some(path) = settings.logfile.path() else { return Ok(None) };
    let file = RotatingFile::open(path, settings.logfile_maxbytes, settings.logfile_backups)?;
    Ok(Some(file.with_retention(settings.retention)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, ProgramSpec};

    fn process(dir: &std::path::Path, key: &str, value: &str) -> Arc<ProcessConfig> {
        let log = dir.join("p.log");
        let spec = ProgramSpec::new("p", "true").set("stdout_logfile", log.to_str().expect("utf-8")).set(key, value);
        let mut groups = Config::builder().program(spec).build().expect("config").groups;
        groups.remove(0).processes.remove(0)
    }

    #[test]
    fn a_plain_file_is_made_at_the_spawn_and_opened_at_the_first_write() {
        let dir = tempfile::tempdir().expect("dir");
        let p = process(dir.path(), "stdout_logfile_maxbytes", "20");
        let mut log = ChildLog::at_spawn(&p, Channel::Stdout).expect("made");
        assert!(matches!(log, ChildLog::Unopened { .. }));
        let path = dir.path().join("p.log");
        assert_eq!(std::fs::read(&path).expect("made at spawn"), b"");
        log.write(b"0123456789");
        log.write(b"0123456789");
        assert!(matches!(log, ChildLog::Open(_)));
        // Written with the channel's own keys: 20 bytes rotated the file.
        assert_eq!(std::fs::read(dir.path().join("p.log.1")).expect("rotated"), b"01234567890123456789");
        assert_eq!(std::fs::read(&path).expect("new file"), b"");
    }

    #[test]
    fn a_file_that_cannot_be_opened_is_tried_again_at_the_next_write() {
        let dir = tempfile::tempdir().expect("dir");
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).expect("dir");
        let p = process(&sub, "stdout_logfile_backups", "1");
        let mut log = ChildLog::at_spawn(&p, Channel::Stdout).expect("made");
        std::fs::remove_dir_all(&sub).expect("removed");
        log.write(b"lost\n");
        assert!(matches!(log, ChildLog::Unopened { .. }));
        std::fs::create_dir(&sub).expect("back");
        log.write(b"kept\n");
        assert_eq!(std::fs::read(sub.join("p.log")).expect("written"), b"kept\n");
    }

    #[test]
    fn clearing_or_reopening_an_unopened_log_leaves_an_empty_file() {
        let dir = tempfile::tempdir().expect("dir");
        let p = process(dir.path(), "stdout_logfile_backups", "1");
        let path = dir.path().join("p.log");
        let mut log = ChildLog::at_spawn(&p, Channel::Stdout).expect("made");
        std::fs::write(&path, b"old").expect("write");
        assert!(log.clear().expect("cleared"));
        assert_eq!(std::fs::read(&path).expect("made again"), b"");
        std::fs::remove_file(&path).expect("moved away");
        log.reopen().expect("reopened");
        assert_eq!(std::fs::read(&path).expect("made again"), b"");
        assert!(matches!(log, ChildLog::Unopened { .. }));
        assert!(!ChildLog::Off.clear().expect("nothing to clear"));
    }

    #[test]
    fn time_rotation_keeps_its_file_from_the_spawn() {
        let dir = tempfile::tempdir().expect("dir");
        let p = process(dir.path(), "stdout_logfile_rotate", "daily");
        assert!(matches!(ChildLog::at_spawn(&p, Channel::Stdout).expect("made"), ChildLog::Open(_)));
        let none = process(dir.path(), "stderr_logfile", "NONE");
        assert!(matches!(ChildLog::at_spawn(&none, Channel::Stderr).expect("none"), ChildLog::Off));
    }
}
