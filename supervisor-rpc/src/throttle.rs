//! Slowing down clients that keep failing authentication: every failure is
//! still answered 401 (as 4.3.0 does), but after a few in a row from one
//! client each answer waits longer, so guessing passwords gets slow.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Who a connection comes from: the IP for TCP, the uid for a unix socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Peer {
    /// A TCP client's address (the port is left out: reconnecting is free).
    Ip(IpAddr),
    /// A unix-socket client's uid, or `None` when the kernel did not say.
    Uid(Option<u32>),
}

/// Failures answered without delay (a mistyped password or two).
const FREE_FAILURES: u32 = 3;
/// The first delay; it doubles with each further failure.
const FIRST_DELAY: Duration = Duration::from_millis(100);
/// The longest delay.
const MAX_DELAY: Duration = Duration::from_secs(2);
/// A client quiet for this long starts again from nothing.
const FORGET_AFTER: Duration = Duration::from_secs(60);
/// Clients remembered at most; beyond it the stalest are forgotten.
const MAX_PEERS: usize = 4096;

/// Consecutive failures per client.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<Peer, (u32, Instant)>>,
}

impl Throttle {
    /// Records a failure by `peer` at `now`; returns how long to wait before
    /// answering it.
    pub fn fail(&self, peer: Peer, now: Instant) -> Duration {
        let Ok(mut map) = self.failures.lock() else {
            return MAX_DELAY;
        };
        if map.len() >= MAX_PEERS {
            map.retain(|_, (_, last)| now.duration_since(*last) < FORGET_AFTER);
        }
        let entry = map.entry(peer).or_insert((0, now));
        if now.duration_since(entry.1) >= FORGET_AFTER {
            entry.0 = 0;
        }
        entry.0 = entry.0.saturating_add(1);
        entry.1 = now;
        delay_for(entry.0)
    }

    /// A success by `peer` forgets its failures.
    pub fn succeed(&self, peer: Peer) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&peer);
        }
    }
}

fn delay_for(failures: u32) -> Duration {
    if failures <= FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES - 1).min(16);
    (FIRST_DELAY * 2u32.pow(doublings)).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_failures_are_free_then_the_wait_doubles_up_to_a_cap() {
        let t = Throttle::default();
        let me = Peer::Uid(Some(1000));
        let now = Instant::now();
        let waits: Vec<Duration> = (0..10).map(|_| t.fail(me, now)).collect();
        assert_eq!(&waits[..3], &[Duration::ZERO; 3]);
        assert_eq!(waits[3], Duration::from_millis(100));
        assert_eq!(waits[4], Duration::from_millis(200));
        assert_eq!(waits[9], MAX_DELAY);
        // Another client is not slowed by this one.
        assert_eq!(t.fail(Peer::Uid(Some(0)), now), Duration::ZERO);
    }

    #[test]
    fn success_and_quiet_time_forget_failures() {
        let t = Throttle::default();
        let me = Peer::Ip("127.0.0.1".parse().expect("ip"));
        let now = Instant::now();
        for _ in 0..5 {
            t.fail(me, now);
        }
        t.succeed(me);
        assert_eq!(t.fail(me, now), Duration::ZERO);
        for _ in 0..5 {
            t.fail(me, now);
        }
        assert_eq!(t.fail(me, now + FORGET_AFTER), Duration::ZERO);
    }
}
