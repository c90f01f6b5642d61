//! The actor: the one task that drives the [`Engine`], feeding it requests,
//! child exits, pump news, bus events and timers as they come. It holds no
//! rules of its own.

use std::time::Duration;

use tokio::sync::mpsc;

use super::engine::{Engine, Request};
use super::host::Shell;
use super::lifeline::ShutdownCause;
use super::news::PumpNews;
use crate::platform::reap::Exit;

/// How often a pending stop logs `waiting for x to stop`.
const STOP_REPORT_EVERY: Duration = Duration::from_secs(2);

/// The most child exits one turn takes in.
const EXIT_TURN: usize = 64;

/// The most pump news one turn takes in. Each exit brings up to two
/// (its pipes' ends): one a turn fell behind a crash storm's exits, and
/// the backlog grew without end (3 MB after 57,000 restarts).
const NEWS_TURN: usize = 256;

/// Runs `engine` until it has shut down and every process has stopped;
/// returns why it ended by itself, if it did (`shutdown_on`).
pub(crate) async fn run<S: Shell>(
    mut engine: Engine<S>,
    mut requests: mpsc::Receiver<Request>,
    mut exits: mpsc::UnboundedReceiver<Exit>,
    mut news: mpsc::UnboundedReceiver<PumpNews>,
) -> Option<ShutdownCause> {
    engine.begin();
    let mut tick_timer = tokio::time::interval(Duration::from_secs(1));
    tick_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut stop_reports = tokio::time::interval(STOP_REPORT_EVERY);
    stop_reports.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !engine.finished() {
        // A request that waited is answered first, one a turn: a caller
        // waits for at most one turn of other work (a mass start's batch
        // of spawns, a batch of exits), never behind all of it, and
        // callers asking without pause cannot hold the rest up.
        if let Ok(request) = requests.try_recv() {
            engine.on_request(Some(request));
            if engine.finished() {
                break;
            }
        }
        let next = engine.next_deadline();
        let sleep = async {
            match next {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending::<()>().await,
            }
        };
        // Deadlines a turn left for later (a mass start): ready at once,
        // in turn with whatever else waits.
        let due = engine.has_due();
        let stopping_waits = engine.stopping_waits();
        let wants_ticks = engine.wants_ticks();
        let bus = async {
            match engine.bus() {
                Some(rx) => rx.recv().await.ok(),
                None => std::future::pending().await,
            }
        };
        // Unbiased on purpose: in a crash storm exits are always ready,
        // and a biased select would never reach a stop request.
        tokio::select! {
            Some(first) = exits.recv() => {
                let mut batch = vec![first];
                // At most a turn's worth: the rest wait in the channel,
                // in turn with requests (a thousand stopping at once).
                while batch.len() < EXIT_TURN
                    && let Ok(exit) = exits.try_recv()
                {
                    batch.push(exit);
                }
                engine.on_exits(batch);
            }
            Some(first) = news.recv() => {
                engine.on_news(first);
                for _ in 1..NEWS_TURN {
                    let Ok(more) = news.try_recv() else { break };
                    engine.on_news(more);
                }
            }
            Some(event) = bus => engine.on_bus(event),
            // Slices turn on wall-clock boundaries; a once-a-second look is
            // enough, and only while some pool subscribes to TICK.
            _ = tick_timer.tick(), if wants_ticks => engine.on_tick(),
            request = requests.recv() => engine.on_request(request),
            () = std::future::ready(()), if due => engine.on_timer(),
            () = sleep, if !due => engine.on_timer(),
            _ = stop_reports.tick(), if stopping_waits => engine.on_stop_report(),
        }
    }
    engine.take_shutdown_cause()
}
