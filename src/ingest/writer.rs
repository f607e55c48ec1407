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
use std::sync::{Arc, mpsc as std_mpsc};
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

/// A committed batch waiting for the log flush: each handler's reply with its result, whether
/// the batch queued relay jobs, and the reference ids whose review item it opened or refreshed.
struct Committed {
    replies: Vec<(Reply, Result<Recorded, WriteError>)>,
    relay_jobs: bool,
    queued: Vec<String>,
}

/// A handle to the writer thread; cheap to clone. The thread stops when every handle is gone.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
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
        std::thread::Builder::new()
            .name("ingest-flush".into())
            .spawn({
                let relay = relay.clone();
                move || flush(&log, flushes, &relay, &live)
            })
            .context("starting the ingest flush thread")?;
        std::thread::Builder::new()
            .name("ingest-writer".into())
            .spawn(move || run(conn, queue, to_flush, &checkpointer, &relay, &workflow))
            .context("starting the ingest writer thread")?;
        Ok(Writer { jobs })
    }

    /// Stores `event` and returns once it is committed.
    pub async fn record(&self, event: NewEvent) -> Result<Recorded, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { event, reply })
            .await
            .map_err(|_| WriteError::Stopped)?;
        answer.await.map_err(|_| WriteError::Stopped)?
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
    mut queue: mpsc::Receiver<Job>,
    to_flush: std_mpsc::Sender<Committed>,
    checkpointer: &Checkpointer,
    relay: &Relay,
    workflow: &Workflow,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }

        let results = commit_batch(&mut conn, &batch, relay, workflow);
        tracing::trace!(events = batch.len(), "ingest batch committed");
        checkpointer.nudge();
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
        if to_flush
            .send(Committed {
                replies,
                relay_jobs,
                queued,
            })
            .is_err()
        {
            // The flush thread only stops by panicking; its handlers have been told (Stopped).
            return;
        }
    }
}

/// Flushes the log for every batch committed so far, then answers those batches' handlers and
/// announces their review events. Batches that arrive during a flush share the next one.
fn flush(log: &Path, flushes: std_mpsc::Receiver<Committed>, relay: &Relay, live: &Live) {
    while let Ok(first) = flushes.recv() {
        let mut pending = vec![first];
        pending.extend(flushes.try_iter());

        // The file is opened for each flush so a log SQLite has recreated is the one flushed.
        let flushed = File::open(log)
            .and_then(|file| file.sync_data())
            .map_err(Arc::new);
        if let Err(error) = &flushed {
            tracing::error!(%error, log = %log.display(), "flushing the ingest log failed");
        }
        if flushed.is_ok() && pending.iter().any(|c| c.relay_jobs) {
            relay.notify();
        }
        if flushed.is_ok() {
            for reference_id in pending.iter().flat_map(|c| &c.queued) {
                live.publish(Change::Arrived, None, Some(reference_id));
            }
        }
        for (reply, result) in pending.into_iter().flat_map(|c| c.replies) {
            let result = match &flushed {
                Ok(()) => result,
                Err(error) => Err(WriteError::Flush(error.clone())),
            };
            // The handler may have gone (client hung up); the event is stored all the same.
            let _ = reply.send(result);
        }
    }
}

/// Writes the whole batch in one transaction. If anything in it fails, the batch is rolled back
/// and each event is written in a transaction of its own, so one bad event fails alone.
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
        Err(error) => {
            tracing::warn!(%error, events = batch.len(), "ingest batch failed; writing its events one by one");
            batch
                .iter()
                .map(|job| commit_one(conn, &job.event, relay, workflow))
                .collect()
        }
    }
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
