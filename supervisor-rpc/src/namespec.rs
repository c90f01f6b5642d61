//! 4.3.0's process names on the wire (`name`, `group:name`, `group:*`),
//! the typed targets they stand for, and the operations on one process as
//! XML-RPC gives them: faults repeat the name as the client wrote it, and
//! log offsets follow Python's rules.

use std::path::Path;

use supervisor_core::events::Channel;
use supervisor_core::logging::{LogRange, read_range, tail};
use supervisor_core::signals::Signal;
use supervisor_core::supervisor::{ControlError, ProcessName, ProcessResult, Supervisor, Wait};

use crate::faults::{Fault, FaultString};

/// `group:name` → (group, Some(name)); `group:` or `group:*` → (group, None);
/// `name` → (name, Some(name)) — 4.3.0's `split_namespec`.
pub fn split_namespec(namespec: &str) -> (&str, Option<&str>) {
    match namespec.split_once(':') {
        Some((g, "" | "*")) => (g, None),
        Some((g, p)) => (g, Some(p)),
        None => (namespec, Some(namespec)),
    }
}

/// The process a namespec names (a group's own process for `name`).
pub fn process(namespec: &str) -> ProcessName {
    match namespec.split_once(':') {
        Some((g, p)) => ProcessName::new(g, p),
        None => ProcessName::new(namespec, namespec),
    }
}

/// `wait` as XML-RPC passes it.
pub fn wait(yes: bool) -> Wait {
    if yes { Wait::Yes } else { Wait::No }
}

/// An error about `name` that names it as the client wrote it (`g:g` is
/// the process `g`, and 4.3.0 repeats `g:g`).
pub fn as_written(e: ControlError, name: &ProcessName, given: &str) -> ControlError {
    let relabel = |n: String| if n == name.to_string() { given.to_owned() } else { n };
    match e {
        ControlError::BadName(n) => ControlError::BadName(relabel(n)),
        ControlError::NoFile(n) => ControlError::NoFile(relabel(n)),
        ControlError::AlreadyStarted(n) => ControlError::AlreadyStarted(relabel(n)),
        ControlError::NotRunning(n) => ControlError::NotRunning(relabel(n)),
        ControlError::SpawnError(n) => ControlError::SpawnError(relabel(n)),
        ControlError::AbnormalTermination(n) => ControlError::AbnormalTermination(relabel(n)),
        other => other,
    }
}

/// The one result of an operation on one process.
fn one(results: Result<Vec<ProcessResult>, ControlError>) -> Result<(), ControlError> {
    results?.into_iter().next().map_or(Ok(()), |(_, r)| r)
}

/// `startProcess(namespec, wait)` of one process.
pub async fn start_one(sv: &Supervisor, given: &str, yes: bool) -> Result<(), ControlError> {
    let name = process(given);
    one(sv.start_processes(name.clone(), wait(yes)).await).map_err(|e| as_written(e, &name, given))
}

/// `stopProcess(namespec, wait)` of one process.
pub async fn stop_one(sv: &Supervisor, given: &str, yes: bool) -> Result<(), ControlError> {
    let name = process(given);
    one(sv.stop_processes(name.clone(), wait(yes)).await).map_err(|e| as_written(e, &name, given))
}

/// `signalProcess(namespec, signal)` of one process.
pub async fn signal_one(sv: &Supervisor, given: &str, signal: Signal) -> Result<(), ControlError> {
    let name = process(given);
    one(sv.signal_processes(name.clone(), signal).await).map_err(|e| as_written(e, &name, given))
}

/// Whether `given` names a known process (not a group).
pub async fn exists(sv: &Supervisor, given: &str) -> Result<(), ControlError> {
    let name = process(given);
    sv.info(&name).await.map(drop).map_err(|e| as_written(e, &name, given))
}

/// `readProcessStdoutLog(name, offset, length)`: Python's offsets, and
/// 4.3.0's faults (a bare `NO_FILE` when there is no log at all, a bare
/// `FAILED` when it cannot be read).
pub async fn read_log(
    sv: &Supervisor,
    given: &str,
    channel: Channel,
    offset: i64,
    length: i64,
) -> Result<Vec<u8>, FaultString> {
    if split_namespec(given).1.is_none() {
        return Err(Fault::BadName.with(given));
    }
    let name = process(given);
    let path = sv.log_file(&name, channel).await.map_err(|e| as_written(e, &name, given))?;
    let Some(path) = path else { return Err(Fault::NoFile.into()) };
    if !path.exists() {
        return Err(Fault::NoFile.with(path.display().to_string()));
    }
    read_range(&path, python_range(offset, length)?).map_err(|_| Fault::Failed.into())
}

/// 4.3.0's `readFile(offset, length)`: a negative offset counts back from
/// the end (and then `length` must be 0); `length` 0 reads to the end.
fn python_range(offset: i64, length: i64) -> Result<LogRange, FaultString> {
    match (offset, length) {
        (o, 0) if o < 0 => Ok(LogRange::Last(o.unsigned_abs())),
        (o, l) if o < 0 || l < 0 => Err(Fault::BadArguments.into()),
        (o, 0) => Ok(LogRange::From(o.unsigned_abs())),
        (o, l) => Ok(LogRange::Span { offset: o.unsigned_abs(), length: l.unsigned_abs() }),
    }
}

/// 4.3.0's `tailFile(offset, length)`: negative values count as 0 (its
/// arithmetic gives the same bytes); an unreadable file is empty at the
/// offset given.
fn python_tail(path: &Path, offset: i64, length: i64) -> (Vec<u8>, i64, bool) {
    let clamp = |n: i64| u64::try_from(n).unwrap_or(0);
    match tail(path, clamp(offset), clamp(length)) {
        Ok(t) => (t.data, i64::try_from(t.next_offset).unwrap_or(i64::MAX), t.overflow),
        Err(_) => (Vec::new(), offset, false),
    }
}

/// `tailProcessStdoutLog(name, offset, length)`: the bytes, the next
/// offset and whether some were skipped; no log reads as empty.
pub async fn tail_log(
    sv: &Supervisor,
    given: &str,
    channel: Channel,
    offset: i64,
    length: i64,
) -> Result<(Vec<u8>, i64, bool), FaultString> {
    if split_namespec(given).1.is_none() {
        return Err(Fault::BadName.with(given));
    }
    let name = process(given);
    let path = sv.log_file(&name, channel).await.map_err(|e| as_written(e, &name, given))?;
    match path {
        Some(path) if path.exists() => Ok(python_tail(&path, offset, length)),
        _ => Ok((Vec::new(), 0, false)),
    }
}

/// `readLog(offset, length)`: supervisord's own log.
pub fn read_main_log(path: Option<&Path>, offset: i64, length: i64) -> Result<Vec<u8>, FaultString> {
    let Some(path) = path else { return Err(Fault::NoFile.into()) };
    if !path.exists() {
        return Err(Fault::NoFile.with(path.display().to_string()));
    }
    read_range(path, python_range(offset, length)?).map_err(|_| Fault::Failed.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespecs_split_like_4_3_0() {
        assert_eq!(split_namespec("web"), ("web", Some("web")));
        assert_eq!(split_namespec("g:web"), ("g", Some("web")));
        assert_eq!(split_namespec("g:*"), ("g", None));
        assert_eq!(split_namespec("g:"), ("g", None));
        assert_eq!(process("web"), ProcessName::new("web", "web"));
        assert_eq!(process("g:web"), ProcessName::new("g", "web"));
    }

    #[test]
    fn python_offsets_map_onto_ranges() {
        assert_eq!(python_range(0, 0).ok(), Some(LogRange::From(0)));
        assert_eq!(python_range(4, 3).ok(), Some(LogRange::Span { offset: 4, length: 3 }));
        assert_eq!(python_range(-4, 0).ok(), Some(LogRange::Last(4)));
        assert_eq!(python_range(-4, 2).err().map(|f| f.fault), Some(Fault::BadArguments));
        assert_eq!(python_range(0, -2).err().map(|f| f.fault), Some(Fault::BadArguments));
    }

    #[test]
    fn python_tails_match_tail_file_with_negative_values() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.log");
        std::fs::write(&path, b"0123456789").expect("write");
        // What 4.3.0's tailFile gives for each.
        assert_eq!(python_tail(&path, -5, 20), (b"0123456789".to_vec(), 10, false));
        assert_eq!(python_tail(&path, 0, -3), (Vec::new(), 10, true));
        assert_eq!(python_tail(&path, 8, 5), (b"56789".to_vec(), 10, false));
        assert_eq!(python_tail(Path::new("/no/such"), -3, 5), (Vec::new(), -3, false));
    }

    #[test]
    fn faults_repeat_the_name_as_written() {
        let name = process("web:web");
        let e = as_written(ControlError::NotRunning("web".into()), &name, "web:web");
        assert_eq!(e, ControlError::NotRunning("web:web".into()));
        // A message that is not the name stays.
        let e = as_written(ControlError::NoFile("can't find command 'x'".into()), &name, "web:web");
        assert_eq!(e, ControlError::NoFile("can't find command 'x'".into()));
    }
}
