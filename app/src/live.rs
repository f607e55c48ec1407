//! The in-process hub of live updates: whoever changes the queue publishes a [`Notice`] after
//! the change is durable, and every open `/live` stream receives it. A notice says what kind of
//! change happened to which item, never what the item contains.

use crate::model::Change;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{broadcast, watch};

/// Notices a slow stream may fall behind by before it is told to refetch instead.
const CAPACITY: usize = 1024;

/// One change to the queue. Item id and reference id are each there when the publisher knew it
/// without another query.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub seq: u64,
    pub change: Change,
    pub item_id: Option<i64>,
    pub reference_id: Option<String>,
}

/// A handle to the hub; cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct Live {
    sender: broadcast::Sender<Notice>,
    seq: Arc<AtomicU64>,
    closing: watch::Sender<bool>,
}

impl Default for Live {
    fn default() -> Self {
        Self::new()
    }
}

impl Live {
    /// A hub whose sequence starts at the current time in microseconds, so numbers keep rising
    /// across restarts and a browser reconnecting to a new process always sees a different one.
    pub fn new() -> Live {
        let start = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000;
        Live {
            sender: broadcast::channel(CAPACITY).0,
            seq: Arc::new(AtomicU64::new(u64::try_from(start).unwrap_or(0))),
            closing: watch::channel(false).0,
        }
    }

    /// Tells every stream about a change. Call it only once the change is committed (and, for
    /// ingest, on disk): the sequence number then proves that a refetch made after seeing it
    /// includes it.
    pub fn publish(&self, change: Change, item_id: Option<i64>, reference_id: Option<&str>) {
        let seq = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        // Nobody listening is not an error.
        let _ = self.sender.send(Notice {
            seq,
            change,
            item_id,
            reference_id: reference_id.map(str::to_owned),
        });
    }

    /// The sequence number of the latest notice (or the start value before the first).
    pub fn seq(&self) -> u64 {
        self.seq.load(Ordering::SeqCst)
    }

    /// Notices from now on. Subscribe before reading [`Live::seq`] so nothing falls between.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.sender.subscribe()
    }

    /// Becomes true when the server shuts down; streams end then, so shutdown does not wait
    /// for browsers to hang up.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Ends every stream (server shutdown).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_carry_rising_sequence_numbers() {
        let live = Live::new();
        let mut receiver = live.subscribe();
        let start = live.seq();

        live.publish(Change::Claimed, Some(7), None);
        live.publish(Change::Arrived, None, Some("ref-1"));

        let first = receiver.try_recv().unwrap();
        let second = receiver.try_recv().unwrap();
        assert_eq!((first.seq, first.item_id), (start + 1, Some(7)));
        assert_eq!(second.seq, start + 2);
        assert_eq!(second.reference_id.as_deref(), Some("ref-1"));
        assert_eq!(live.seq(), start + 2);
    }

    #[test]
    fn a_later_hub_starts_above_an_earlier_one() {
        let earlier = Live::new();
        earlier.publish(Change::Arrived, None, None);

        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = Live::new();

        assert!(later.seq() > earlier.seq());
    }
}
