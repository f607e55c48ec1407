//! The single ingest writer. Request handlers hand events to one thread that owns its own SQLite
//! connection and commits whatever has queued up meanwhile in one transaction (group commit).
//! The thread runs statements directly (no async hop per statement), which is what lets one
//! writer keep up with many connections.
//!
//! Durability is pipelined: the writer commits without waiting for the disk and passes the batch
//! on to a second thread, which flushes the write-ahead log (`fdatasync`) for every batch
//! committed since its last flush and only then answers their handlers. So each answered event
//! is on disk, while the writer is already committing the next batch during the flush. A third
//! thread copies the log back into the database file (see `checkpointer`).
//!
//! A failed flush stops ingest for good: after a failed `fdatasync` the kernel may have dropped
//! the unwritten pages, so no later flush can vouch for them. Every later delivery is refused
//! (the sender retries), and `/healthz` reports it until moddesk is restarted.

use super::checkpointer::Checkpointer;
use anyhow::Context;
use app::live::Live;
use app::model::Change;
use app::relay::Relay;
use app::store::chain::{self, Link};
use app::store::events::{
    CATEGORY_SQL, INSERT_SQL, NewEvent, Recorded, SAME_BODY_SQL, TYPE_REVIEW,
};
use app::store::history::NewEntry;
use app::store::relay_jobs::ENQUEUE_EVENT_SQL;
use app::store::review::{ItemChange, OPEN_ITEM_SQL, OPEN_SQL, REFRESH_SQL};
use app::workflow::Workflow;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc as std_mpsc};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most events committed in one transaction.
const MAX_BATCH: usize = 1024;
/// Events that may wait for the writer before handlers wait to enqueue.
const QUEUE_DEPTH: usize = 16_384;
/// Pages the write-ahead log may reach before the writer checkpoints it itself (128 MiB with
/// SQLite's default 4 KiB pages).
pub const LOG_LIMIT_PAGES: i64 = 32_768;

/// Why an event was not stored.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    #[error("storing the event failed: {0}")]
    Database(Arc<rusqlite::Error>),
    #[error("flushing the write-ahead log failed: {0}")]
    Flush(Arc<std::io::Error>),
    #[error("the ingest writer has stopped")]
    Stopped,
}

type Reply = oneshot::Sender<Result<Recorded, WriteError>>;

struct Job {
    event: NewEvent,
    reply: Reply,
}

/// What the writer thread is handed: an event to store, or the request to store what is queued
/// and stop.
#[expect(
    clippy::large_enum_variant,
    reason = "events are the messages; boxing each would cost an allocation per event to shrink one sent once"
)]
enum Message {
    Store(Job),
    Stop,
}

/// A committed batch waiting for the log flush: each handler's reply with its result, whether
/// the batch queued relay jobs, and the reference ids whose review item it opened or refreshed.
struct Committed {
    replies: Vec<(Reply, Result<Recorded, WriteError>)>,
    relay_jobs: bool,
    queued: Vec<String>,
}

/// A handle to the writer thread; cheap to clone. The thread stops when every handle is gone
/// or when [`Writer::stop`] is called.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Message>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
    /// Set by the flush thread when a flush fails, before it answers that flush's handlers.
    flush_failed: Arc<AtomicBool>,
}

impl Writer {
    /// Opens a connection to the database file at `path` (already migrated, in WAL mode) and
    /// starts the writer thread on it, the thread that flushes its log and the one that copies
    /// the log into the database. Stored events are queued for the destinations of `relay` in
    /// their own transaction, and the relay is woken once they are on disk.
    /// Review items fall due by the categories' due times in `workflow`. Open pages hear of each
    /// review event through `live` once it is on disk.
    pub fn spawn(
        path: &Path,
        relay: Relay,
        workflow: Workflow,
        live: Live,
    ) -> anyhow::Result<Writer> {
        let conn = open(path)?;
        let log = wal_path(&conn, path);
        let checkpointer = Checkpointer::spawn(path)?;
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        let (to_flush, flushes) = std_mpsc::channel();
        let flush_failed = Arc::new(AtomicBool::new(false));
        let flusher = std::thread::Builder::new()
            .name("ingest-flush".into())
            .spawn({
                let relay = relay.clone();
                let failed = flush_failed.clone();
                move || flush(&log, flushes, &relay, &live, &failed)
            })
            .context("starting the ingest flush thread")?;
        let threads = Threads {
            to_flush,
            flusher,
            checkpointer,
        };
        let thread = std::thread::Builder::new()
            .name("ingest-writer".into())
            .spawn(move || run(conn, queue, threads, &relay, &workflow))
            .context("starting the ingest writer thread")?;
        Ok(Writer {
            jobs,
            thread: Arc::new(Mutex::new(Some(thread))),
            flush_failed,
        })
    }

    /// Stores `event` and returns once it is on disk.
    pub async fn record(&self, event: NewEvent) -> Result<Recorded, WriteError> {
        if !self.is_running() {
            return Err(WriteError::Stopped);
        }
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Message::Store(Job { event, reply }))
            .await
            .map_err(|_| WriteError::Stopped)?;
        answer.await.map_err(|_| WriteError::Stopped)?
    }

    /// Whether the writer still takes events: false once it has stopped, after [`Writer::stop`]
    /// or a failed flush.
    pub fn is_running(&self) -> bool {
        !self.jobs.is_closed() && !self.flush_failed.load(Ordering::Acquire)
    }

    /// Stores and answers what is already queued, refuses what comes after, and returns once the
    /// writer, flush and checkpoint threads have stopped and closed their connections.
    pub async fn stop(&self) {
        // A writer that has stopped already (a failed flush) takes no message; it is joined all
        // the same.
        let _ = self.jobs.send(Message::Stop).await;
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(thread) = thread
            && tokio::task::spawn_blocking(move || thread.join())
                .await
                .is_err()
        {
            tracing::error!("the ingest writer thread panicked");
        }
    }
}

/// What the writer thread owns besides its connection: the way to the flush thread, and the
/// threads it stops when it stops.
struct Threads {
    to_flush: std_mpsc::Sender<Committed>,
    flusher: JoinHandle<()>,
    checkpointer: Checkpointer,
}

impl Threads {
    /// Lets the flush thread finish what it was handed, then stops it and the checkpoint thread.
    fn stop(self) {
        drop(self.to_flush);
        let _ = self.flusher.join();
        self.checkpointer.stop();
    }
}

fn open(path: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open(path)
        .with_context(|| format!("opening {} for the ingest writer", path.display()))?;
    conn.busy_timeout(Duration::from_secs(10))?;
    // WAL with NORMAL sync: a commit does not wait for the disk. The flush thread syncs the log
    // before any handler of the batch is answered, so an answered event is still on disk.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // A 64 MiB page cache keeps the hot index pages of the write path in memory.
    conn.pragma_update(None, "cache_size", -65_536)?;
    // The checkpoint thread copies the log into the database; the writer only does it when the
    // log is this long, so that the log can start over (see `checkpointer`).
    conn.pragma_update(None, "wal_autocheckpoint", LOG_LIMIT_PAGES)?;
    conn.set_prepared_statement_cache_capacity(16);
    Ok(conn)
}

/// SQLite's write-ahead log for the database `conn` has open (at `path`). It is named after the
/// file SQLite really opened: when `path` is a symbolic link, the log is next to the link's
/// target, not next to the link.
fn wal_path(conn: &Connection, path: &Path) -> PathBuf {
    let database = conn.path().map_or_else(|| path.to_owned(), PathBuf::from);
    let mut log = database.into_os_string();
    log.push("-wal");
    PathBuf::from(log)
}

fn run(
    mut conn: Connection,
    mut queue: mpsc::Receiver<Message>,
    threads: Threads,
    relay: &Relay,
    workflow: &Workflow,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.blocking_recv() {
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Store(job) => batch.push(job),
                // What is queued already is still stored; new sends are refused, and the loop
                // ends once the queue is empty.
                Message::Stop => queue.close(),
            }
            next = (batch.len() < MAX_BATCH)
                .then(|| queue.try_recv().ok())
                .flatten();
        }
        if batch.is_empty() {
            continue;
        }

        let results = commit_batch(&mut conn, &batch, relay, workflow);
        tracing::trace!(events = batch.len(), "ingest batch committed");
        threads.checkpointer.nudge();
        let relay_jobs = results
            .iter()
            .any(|r| matches!(r, Ok(Recorded::Stored { relayed: true, .. })));
        let queued = batch
            .iter()
            .zip(&results)
            .filter(|(_, r)| matches!(r, Ok(Recorded::Stored { queued: true, .. })))
            .map(|(job, _)| job.event.reference_id.clone())
            .collect();
        let replies = batch.drain(..).map(|job| job.reply).zip(results).collect();
        let committed = Committed {
            replies,
            relay_jobs,
            queued,
        };
        if threads.to_flush.send(committed).is_err() {
            // The flush thread has stopped (a failed flush). This batch's handlers are refused
            // (Stopped) as their replies are dropped, and so is every later delivery.
            queue.close();
            break;
        }
    }
    drop(conn);
    threads.stop();
}

/// Flushes the log for every batch committed so far, then answers those batches' handlers and
/// announces their review events. Batches that arrive during a flush share the next one. Stops
/// after a failed flush (see the module's doc), refusing that flush's handlers.
fn flush(
    log: &Path,
    flushes: std_mpsc::Receiver<Committed>,
    relay: &Relay,
    live: &Live,
    failed: &AtomicBool,
) {
    while let Ok(first) = flushes.recv() {
        let mut pending = vec![first];
        pending.extend(flushes.try_iter());

        // The file is opened for each flush so a log SQLite has recreated is the one flushed.
        let flushed = File::open(log).and_then(|file| file.sync_data());
        if let Err(error) = flushed {
            tracing::error!(%error, log = %log.display(), "flushing the ingest log failed, so ingest has stopped: deliveries are refused until moddesk is restarted");
            // Before any handler hears of it: a delivery after this answer is refused too.
            failed.store(true, Ordering::Release);
            let error = Arc::new(error);
            for (reply, _) in pending.into_iter().flat_map(|c| c.replies) {
                let _ = reply.send(Err(WriteError::Flush(error.clone())));
            }
            return;
        }

        if pending.iter().any(|c| c.relay_jobs) {
            relay.notify();
        }
        for reference_id in pending.iter().flat_map(|c| &c.queued) {
            live.publish(Change::Arrived, None, Some(reference_id));
        }
        for (reply, result) in pending.into_iter().flat_map(|c| c.replies) {
            // The handler may have gone (client hung up); the event is stored all the same.
            let _ = reply.send(result);
        }
    }
}

/// Writes the whole batch in one transaction. If it fails in a way one event may have caused,
/// the batch is rolled back and each event is written in a transaction of its own, so one bad
/// event fails alone; a failure of the database itself fails the whole batch.
///
/// Each transaction reads the history chain's last link once, after `BEGIN IMMEDIATE` has taken
/// the write lock (other writers append between batches), and keeps it in memory for the rest
/// of the batch.
fn commit_batch(
    conn: &mut Connection,
    batch: &[Job],
    relay: &Relay,
    workflow: &Workflow,
) -> Vec<Result<Recorded, WriteError>> {
    let together = (|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut tail = history_tail(&tx)?;
        let recorded = batch
            .iter()
            .map(|job| record(&tx, &mut tail, &job.event, relay, workflow))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        tx.commit()?;
        Ok::<_, rusqlite::Error>(recorded)
    })();

    match together {
        Ok(recorded) => recorded.into_iter().map(Ok).collect(),
        Err(error) if batch.len() == 1 => vec![Err(failed(&batch[0].event, error))],
        Err(error) if !one_event_may_be_the_cause(&error) => {
            // Busy, full, read-only or failing storage fails every event alike; writing them one
            // by one would only wait for it once per event.
            tracing::error!(%error, events = batch.len(), "ingest batch not stored");
            let error = Arc::new(error);
            batch
                .iter()
                .map(|_| Err(WriteError::Database(error.clone())))
                .collect()
        }
        Err(error) => {
            tracing::warn!(%error, events = batch.len(), "ingest batch failed; writing its events one by one");
            batch
                .iter()
                .map(|job| commit_one(conn, &job.event, relay, workflow))
                .collect()
        }
    }
}

/// Whether a failed batch may have failed because of one of its events (a constraint, a value
/// SQLite refused), rather than because of the database itself.
fn one_event_may_be_the_cause(error: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::*;
    !matches!(
        error.sqlite_error_code(),
        Some(
            DatabaseBusy
                | DatabaseLocked
                | DiskFull
                | SystemIoFailure
                | ReadOnly
                | CannotOpen
                | DatabaseCorrupt
                | NotADatabase
                | OutOfMemory
                | PermissionDenied
                | FileLockingProtocolFailed
        )
    )
}

fn commit_one(
    conn: &mut Connection,
    event: &NewEvent,
    relay: &Relay,
    workflow: &Workflow,
) -> Result<Recorded, WriteError> {
    let result = (|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut tail = history_tail(&tx)?;
        let recorded = record(&tx, &mut tail, event, relay, workflow)?;
        tx.commit()?;
        Ok(recorded)
    })();
    result.map_err(|error| failed(event, error))
}

fn failed(event: &NewEvent, error: rusqlite::Error) -> WriteError {
    tracing::error!(%error, event_id = %event.event_id, "event could not be stored");
    WriteError::Database(Arc::new(error))
}

/// Stores one event with its review item change, relay jobs and history entry, unless it is a
/// duplicate. `tail` is the history chain's last link, moved on by the entry appended.
fn record(
    tx: &rusqlite::Transaction<'_>,
    tail: &mut Link,
    event: &NewEvent,
    relay: &Relay,
    workflow: &Workflow,
) -> rusqlite::Result<Recorded> {
    let categories = serde_json::to_string(&event.categories)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let inserted = tx.prepare_cached(INSERT_SQL)?.execute(params![
        event.source,
        event.event_id,
        event.webhook_id,
        event.event_type,
        event.reference_id,
        event.action,
        event.score,
        categories,
        event.content_kind,
        event.excerpt,
        event.content_url,
        event.subject,
        event.created_at,
        event.received_at,
        event.body,
    ])?;

    if inserted == 0 {
        let (same_body, stored_reference): (bool, String) = tx
            .prepare_cached(SAME_BODY_SQL)?
            .query_row(params![event.body, event.source, event.event_id], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?;
        if same_body {
            return Ok(Recorded::Duplicate);
        }
        append(tx, tail, event.mismatch_entry(&stored_reference))?;
        return Ok(Recorded::DuplicateMismatch);
    }
    let row_id = tx.last_insert_rowid();

    for category in &event.categories {
        tx.prepare_cached(CATEGORY_SQL)?
            .execute(params![row_id, category.name])?;
    }
    let queued = event.event_type == TYPE_REVIEW;
    if queued {
        open_or_refresh(tx, event, row_id, workflow)?;
    }
    let mut relayed = false;
    for route in relay.for_event(&event.event_type, event.score, &event.categories) {
        tx.prepare_cached(ENQUEUE_EVENT_SQL)?.execute(params![
            route.name,
            event.event_type,
            row_id,
            event.reference_id,
            event.received_at
        ])?;
        relayed = true;
    }
    append(tx, tail, event.received_entry())?;
    Ok(Recorded::Stored { queued, relayed })
}

/// Opens the review item for the event's reference id, or points the open one at this event,
/// or leaves the queue as it is when the event is older than what it reflects.
fn open_or_refresh(
    tx: &rusqlite::Transaction<'_>,
    event: &NewEvent,
    row_id: i64,
    workflow: &Workflow,
) -> rusqlite::Result<()> {
    let (open_id, held, decided_newer): (Option<i64>, Option<i64>, bool) = tx
        .prepare_cached(OPEN_ITEM_SQL)?
        .query_row(params![event.reference_id, event.created_at], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
    let open = open_id.zip(held);
    let due_at = workflow.due_at(event.received_at, &event.categories);
    match ItemChange::for_event(event.created_at, open, decided_newer) {
        ItemChange::Open => tx.prepare_cached(OPEN_SQL)?.execute(params![
            event.reference_id,
            row_id,
            event.received_at,
            event.score,
            due_at,
        ])?,
        ItemChange::Refresh(item) => {
            tx.prepare_cached(REFRESH_SQL)?
                .execute(params![row_id, event.score, due_at, item])?
        }
        ItemChange::Keep => 0,
    };
    Ok(())
}

/// The history chain's last link; the caller holds the write lock.
fn history_tail(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<Link> {
    let tail = tx
        .prepare_cached(chain::TAIL_SQL)?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    Link::from_tail(tail).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// Appends `entry` after `tail` and moves `tail` on to it.
fn append(
    tx: &rusqlite::Transaction<'_>,
    tail: &mut Link,
    entry: NewEntry<'_>,
) -> rusqlite::Result<()> {
    let link = entry.link_after(tail);
    tx.prepare_cached(chain::INSERT_SQL)?.execute(params![
        link.id,
        entry.at,
        entry.actor,
        entry.kind,
        entry.reference_id,
        entry.detail,
        tail.hash,
        link.hash,
    ])?;
    *tail = link;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: std::ffi::c_int) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn only_failures_an_event_may_cause_are_retried_one_by_one() {
        let by_event = [
            failure(rusqlite::ffi::SQLITE_CONSTRAINT),
            failure(rusqlite::ffi::SQLITE_TOOBIG),
            rusqlite::Error::ToSqlConversionFailure("not JSON".into()),
        ];
        let by_database = [
            failure(rusqlite::ffi::SQLITE_BUSY),
            failure(rusqlite::ffi::SQLITE_FULL),
            failure(rusqlite::ffi::SQLITE_IOERR),
            failure(rusqlite::ffi::SQLITE_READONLY),
            failure(rusqlite::ffi::SQLITE_CORRUPT),
        ];

        for error in &by_event {
            assert!(one_event_may_be_the_cause(error), "{error}");
        }
        for error in &by_database {
            assert!(!one_event_may_be_the_cause(error), "{error}");
        }
    }
}
