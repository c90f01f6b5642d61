//! The supervisor's event streams as [`futures_core::Stream`]s. A reader
//! that falls behind is told how much it missed ([`Lagged`]) and keeps
//! reading; the stream ends only when the supervisor does.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::names::ProcessName;
use crate::events::{Channel, Event};
use crate::process::Transition;

/// A stream's reader fell behind and missed this many items; the stream
/// goes on with the oldest one still held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("fell behind and missed {0} events")]
pub struct Lagged(pub u64);

/// Output a process wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutputChunk {
    /// Who wrote it.
    pub process: ProcessName,
    /// Its pid.
    pub pid: u32,
    /// stdout or stderr.
    pub channel: Channel,
    /// The bytes, as read (at most 64 KiB).
    pub data: Vec<u8>,
}

/// A process changed state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StateChange {
    /// Which process.
    pub process: ProcessName,
    /// The change.
    pub transition: Transition,
}

/// Which processes a filtered stream keeps.
#[derive(Debug, Clone, Default)]
pub(crate) enum Only {
    /// Every process.
    #[default]
    Any,
    /// The processes of a group.
    Group(String),
    /// These processes (one, or a program's).
    Processes(Vec<ProcessName>),
}

impl Only {
    /// Whether the process `name` of `group` is kept.
    fn keeps(&self, group: &str, name: &str) -> bool {
        match self {
            Only::Any => true,
            Only::Group(g) => g == group,
            Only::Processes(ps) => ps.iter().any(|p| p.is(group, name)),
        }
    }
}

/// A lag, counted in the supervisor's dropped events (metrics).
fn lag<T>(e: BroadcastStreamRecvError, dropped: &AtomicU64) -> Result<T, Lagged> {
    let BroadcastStreamRecvError::Lagged(n) = e;
    dropped.fetch_add(n, Ordering::Relaxed);
    Err(Lagged(n))
}

/// Every event but output: state changes, groups added and removed, the
/// supervisor's own state, ticks and remote messages. Reading it costs the
/// output path nothing.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use futures_util::StreamExt;
/// use supervisor_core::config::Config;
/// use supervisor_core::events::Event;
/// use supervisor_core::supervisor::{RunOptions, Supervisor};
///
/// let config = Config::from_str("[supervisord]\n[program:hi]\ncommand=true\nstartsecs=0\nstdout_logfile=NONE\n", "x.conf")?;
/// let (sv, mut events) = Supervisor::start_with_events(config, RunOptions::default())?;
/// while let Some(item) = events.next().await {
///     match item {
///         Ok(Event::ProcessState { transition, .. }) if transition.to.name() == "EXITED" => break,
///         Ok(_) => {}
///         Err(lagged) => eprintln!("{lagged}"),
///     }
/// }
/// sv.shutdown().await?;
/// # Ok(())
/// # }
/// ```
pub struct EventStream {
    inner: BroadcastStream<Event>,
    dropped: Arc<AtomicU64>,
}

impl EventStream {
    pub(crate) fn new(rx: broadcast::Receiver<Event>, dropped: Arc<AtomicU64>) -> EventStream {
        EventStream { inner: BroadcastStream::new(rx), dropped }
    }
}

impl Stream for EventStream {
    type Item = Result<Event, Lagged>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let dropped = &this.dropped;
        Pin::new(&mut this.inner).poll_next(cx).map(|item| item.map(|r| r.or_else(|e| lag(e, dropped))))
    }
}

/// Output chunks, of every process or of some (see
/// [`Program::output`](super::Program::output)).
pub struct OutputStream {
    inner: BroadcastStream<Event>,
    only: Only,
    dropped: Arc<AtomicU64>,
}

impl OutputStream {
    pub(crate) fn new(rx: broadcast::Receiver<Event>, only: Only, dropped: Arc<AtomicU64>) -> OutputStream {
        OutputStream { inner: BroadcastStream::new(rx), only, dropped }
    }

    /// The same stream, keeping only what `only` names.
    pub(crate) fn only(mut self, only: Only) -> Self {
        self.only = only;
        self
    }
}

impl Stream for OutputStream {
    type Item = Result<OutputChunk, Lagged>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let only = &this.only;
        poll_picking(&mut this.inner, &this.dropped, cx, |event| match event {
            Event::ProcessLog { group, name, pid, channel, data } if only.keeps(&group, &name) => {
                Some(OutputChunk { process: ProcessName::new(group, name), pid, channel, data })
            }
            _ => None,
        })
    }
}

/// State changes, of every process or of some (see
/// [`Program::states`](super::Program::states)).
pub struct StateStream {
    inner: BroadcastStream<Event>,
    only: Only,
    dropped: Arc<AtomicU64>,
}

impl StateStream {
    pub(crate) fn new(rx: broadcast::Receiver<Event>, only: Only, dropped: Arc<AtomicU64>) -> StateStream {
        StateStream { inner: BroadcastStream::new(rx), only, dropped }
    }

    /// The same stream, keeping only what `only` names.
    pub(crate) fn only(mut self, only: Only) -> Self {
        self.only = only;
        self
    }
}

impl Stream for StateStream {
    type Item = Result<StateChange, Lagged>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let only = &this.only;
        poll_picking(&mut this.inner, &this.dropped, cx, |event| match event {
            Event::ProcessState { group, name, transition } if only.keeps(&group, &name) => {
                Some(StateChange { process: ProcessName::new(group, name), transition })
            }
            _ => None,
        })
    }
}

/// The next event `pick` keeps (as what it makes of it), or a lag.
fn poll_picking<T>(
    inner: &mut BroadcastStream<Event>,
    dropped: &AtomicU64,
    cx: &mut Context<'_>,
    mut pick: impl FnMut(Event) -> Option<T>,
) -> Poll<Option<Result<T, Lagged>>> {
    loop {
        match Pin::new(&mut *inner).poll_next(cx) {
            Poll::Ready(Some(Ok(event))) => {
                if let Some(item) = pick(event) {
                    return Poll::Ready(Some(Ok(item)));
                }
            }
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(lag(e, dropped))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => return Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_keep_what_they_name() {
        let two = Only::Processes(vec![ProcessName::new("web", "web_00"), ProcessName::new("web", "web_01")]);
        assert!(two.keeps("web", "web_01"));
        assert!(!two.keeps("web", "web_02"));
        assert!(!two.keeps("other", "web_00"));
        assert!(Only::Group("web".into()).keeps("web", "anything"));
        assert!(!Only::Group("web".into()).keeps("webby", "web"));
        assert!(Only::Any.keeps("a", "b"));
    }
}
