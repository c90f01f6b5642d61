//! `GET /events` (`event_stream = true` in a server section): the
//! supervisor's state changes as Server-Sent Events, one JSON object each
//! (`event: state`, with an `id:`), and with `?output=name` that
//! program's output (`event: output`, no id).
//!
//! The daemon keeps the last [`KEEP`] state events (the [`EventLog`],
//! which outlives reloads, its ids counting on): a client that reconnects
//! with `Last-Event-ID` gets those it missed, and an `event: lagged` saying
//! how many are gone when the buffer no longer holds them. A reader that
//! stops reading never holds anyone up: its events wait in a bounded
//! queue, and when it falls further behind it is told (`lagged`) and goes
//! on with the newest.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use supervisor_core::supervisor::{Lagged, OutputChunk, StateChange, StateStream, Supervisor};
use tokio::sync::broadcast;

/// How many state events are kept for clients that reconnect.
pub const KEEP: usize = 1024;

/// How far one client may fall behind before it is told it lagged.
const CLIENT_QUEUE: usize = 256;

/// One state event: its id and its JSON.
type Entry = (u64, Arc<str>);

/// The recent state events and the live feed, for every `/events` client.
pub struct EventLog {
    ring: Mutex<Ring>,
    live: broadcast::Sender<Entry>,
    feeder: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

struct Ring {
    kept: VecDeque<Entry>,
    next_id: u64,
}

impl Default for EventLog {
    fn default() -> Self {
        EventLog {
            ring: Mutex::new(Ring { kept: VecDeque::with_capacity(KEEP), next_id: 1 }),
            live: broadcast::channel(CLIENT_QUEUE).0,
            feeder: Mutex::new(None),
        }
    }
}

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLog").finish_non_exhaustive()
    }
}

impl EventLog {
    /// Follows `supervisor`'s state changes from now on (after a reload,
    /// the new supervisor's), on `runtime`.
    pub fn follow(self: &Arc<Self>, supervisor: &Supervisor, runtime: &tokio::runtime::Handle) {
        let stream = supervisor.states();
        let log = Arc::clone(self);
        let task = runtime.spawn(async move { log.feed(stream).await });
        let mut feeder = self.feeder.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = feeder.replace(task) {
            old.abort();
        }
    }

    /// Stops following (no server streams events any more).
    pub fn unfollow(&self) {
        if let Some(old) = self.feeder.lock().unwrap_or_else(PoisonError::into_inner).take() {
            old.abort();
        }
    }

    async fn feed(&self, mut states: StateStream) {
        while let Some(item) = states.next().await {
            // The feeder reads as fast as events come; a lag here was
            // already counted by the stream (`supervisord_events_dropped_total`).
            if let Ok(change) = item {
                self.push(state_json(&change));
            }
        }
    }

    fn push(&self, json: String) {
        let mut ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        let entry: Entry = (ring.next_id, json.into());
        ring.next_id += 1;
        if ring.kept.len() == KEEP {
            ring.kept.pop_front();
        }
        ring.kept.push_back(entry.clone());
        // Sent under the lock, so a client subscribing under it sees each
        // event once: in its replay or live.
        let _ = self.live.send(entry);
    }

    /// The kept events after `after` (if given), how many after it are no
    /// longer kept, and the live feed from there on.
    fn subscribe(&self, after: Option<u64>) -> (Vec<Entry>, u64, broadcast::Receiver<Entry>) {
        let ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        let rx = self.live.subscribe();
        let Some(after) = after else { return (Vec::new(), 0, rx) };
        let replay: Vec<Entry> = ring.kept.iter().filter(|(id, _)| *id > after).cloned().collect();
        let first_kept = ring.kept.front().map_or(ring.next_id, |(id, _)| *id);
        // Ids past the newest (a client of a daemon that restarted) miss nothing.
        let missed = first_kept
            .saturating_sub(after.saturating_add(1))
            .min(ring.next_id.saturating_sub(after.saturating_add(1)));
        (replay, missed, rx)
    }
}

fn state_json(change: &StateChange) -> String {
    let t = &change.transition;
    let time = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
    serde_json::json!({
        "group": change.process.group(),
        "name": change.process.name(),
        "from": t.from.name(),
        "to": t.to.name(),
        "pid": t.pid,
        "expected": t.expected,
        "exitstatus": t.exitstatus,
        "time": time,
    })
    .to_string()
}

fn output_json(chunk: &OutputChunk) -> String {
    serde_json::json!({
        "group": chunk.process.group(),
        "name": chunk.process.name(),
        "pid": chunk.pid,
        "channel": chunk.channel.name(),
        "data": String::from_utf8_lossy(&chunk.data),
    })
    .to_string()
}

fn lagged(missed: u64) -> Event {
    Event::default().event("lagged").data(serde_json::json!({ "missed": missed }).to_string())
}

fn state_event((id, json): &Entry) -> Event {
    Event::default().event("state").id(id.to_string()).data(&**json)
}

/// What the `/events` route needs.
#[derive(Clone)]
pub(crate) struct EventsRoute {
    pub log: Arc<EventLog>,
    pub supervisor: Supervisor,
}

/// `output=name` of a query string, decoded.
fn output_param(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let value = pair.strip_prefix("output=")?.replace('+', " ");
        Some(percent_encoding::percent_decode_str(&value).decode_utf8_lossy().into_owned())
    })
}

pub(crate) async fn serve(State(route): State<EventsRoute>, uri: Uri, headers: HeaderMap) -> Response {
    let after = headers.get("last-event-id").and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    let output = match &output_param(uri.query()) {
        Some(name) => match route.supervisor.program(name).output().await {
            Ok(stream) => Some(stream),
            Err(e) => return (StatusCode::NOT_FOUND, e.to_string()).into_response(),
        },
        None => None,
    };
    let (replay, missed, rx) = route.log.subscribe(after);
    let head = (missed > 0).then(|| lagged(missed)).into_iter().chain(replay.iter().map(state_event));
    let states = futures_util::stream::iter(head.collect::<Vec<_>>()).chain(live(rx));
    let events: std::pin::Pin<Box<dyn Stream<Item = Event> + Send>> = match output {
        Some(out) => Box::pin(futures_util::stream::select(states, drained(out))),
        None => Box::pin(states),
    };
    Sse::new(events.map(Ok::<_, Infallible>)).keep_alive(KeepAlive::default()).into_response()
}

/// How many output events wait for one slow client before it is told it
/// lagged (at most 64 KiB each).
const OUTPUT_QUEUE: usize = 64;

/// A program's output for one client, read off the event bus at once by a
/// task of its own: a client that stops reading never keeps the bus's
/// slots (4096 of up to 64 KiB) full; it misses chunks and gets a lagged
/// event instead. The task ends with the client.
fn drained(mut out: supervisor_core::supervisor::OutputStream) -> impl Stream<Item = Event> + Send {
    use tokio::sync::mpsc::error::TrySendError;
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(OUTPUT_QUEUE);
    tokio::spawn(async move {
        let mut missed = 0u64;
        loop {
            let item = tokio::select! {
                () = tx.closed() => return,
                item = out.next() => match item {
                    Some(item) => item,
                    None => return,
                },
            };
            if missed > 0 {
                match tx.try_send(lagged(missed)) {
                    Ok(()) => missed = 0,
                    Err(TrySendError::Full(_)) => {
                        missed += 1;
                        continue;
                    }
                    Err(TrySendError::Closed(_)) => return,
                }
            }
            match tx.try_send(output_event(item)) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => missed += 1,
                Err(TrySendError::Closed(_)) => return,
            }
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) })
}

fn output_event(item: Result<OutputChunk, Lagged>) -> Event {
    match item {
        Ok(chunk) => Event::default().event("output").data(output_json(&chunk)),
        Err(Lagged(n)) => lagged(n),
    }
}

/// The live feed: each state event, or a lag.
fn live(rx: broadcast::Receiver<Entry>) -> impl Stream<Item = Event> + Send {
    futures_util::stream::unfold(rx, |mut rx| async move {
        let event = match rx.recv().await {
            Ok(entry) => state_event(&entry),
            Err(broadcast::error::RecvError::Lagged(n)) => lagged(n),
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((event, rx))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnecting_client_gets_what_is_kept_and_hears_of_the_rest() {
        let log = EventLog::default();
        for i in 0..(KEEP as u64 + 10) {
            log.push(format!("{{\"n\":{i}}}"));
        }
        // Ids 1..=1034 were sent; 11..=1034 are kept.
        let (replay, missed, _) = log.subscribe(Some(1030));
        assert_eq!((replay.iter().map(|e| e.0).collect::<Vec<_>>(), missed), (vec![1031, 1032, 1033, 1034], 0));
        let (replay, missed, _) = log.subscribe(Some(5));
        assert_eq!((replay.len(), replay[0].0, missed), (KEEP, 11, 5));
        let (replay, missed, _) = log.subscribe(None);
        assert_eq!((replay.len(), missed), (0, 0));
        let (replay, missed, _) = log.subscribe(Some(5000));
        assert_eq!((replay.len(), missed), (0, 0));
        // What comes after subscribing arrives live.
        let (_, _, mut rx) = log.subscribe(Some(1034));
        log.push("{}".to_owned());
        assert_eq!(rx.try_recv().map(|e| e.0).ok(), Some(1035));
    }
}
