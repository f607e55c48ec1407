//! The single ingest writer. Request handlers hand events to one thread that owns its own SQLite
//! connection and commits whatever has queued up meanwhile in one transaction (group commit):
//! one fsync for many events, and each handler is answered only after the commit that holds its
//! event. The thread runs statements directly (no async hop per statement), which is what lets
//! one writer keep up with many connections.

use anyhow::Context;
use app::store::events::{INSERT_SQL, NewEvent, Recorded, SAME_BODY_SQL, TYPE_REVIEW};
use app::store::history::{APPEND_SQL, NewEntry};
use app::store::review::OPEN_OR_REFRESH_SQL;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most events committed in one transaction.
const MAX_BATCH: usize = 1024;
/// Events that may wait for the writer before handlers wait to enqueue.
const QUEUE_DEPTH: usize = 16_384;

/// Why an event was not stored.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    #[error("storing the event failed: {0}")]
    Database(Arc<rusqlite::Error>),
    #[error("the ingest writer has stopped")]
    Stopped,
}

struct Job {
    event: NewEvent,
    reply: oneshot::Sender<Result<Recorded, WriteError>>,
}

/// A handle to the writer thread; cheap to clone. The thread stops when every handle is gone.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Opens a connection to the database file at `path` (already migrated) and starts the
    /// writer thread on it.
    pub fn spawn(path: &Path) -> anyhow::Result<Writer> {
        let conn = open(path)?;
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        std::thread::Builder::new()
            .name("ingest-writer".into())
            .spawn(move || run(conn, queue))
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
    // WAL with FULL sync: a committed batch survives power loss, so an answered event is safe.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // A 64 MiB page cache keeps the hot index pages of the write path in memory.
    conn.pragma_update(None, "cache_size", -65_536)?;
    conn.set_prepared_statement_cache_capacity(16);
    Ok(conn)
}

fn run(mut conn: Connection, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }

        let results = commit_batch(&mut conn, &batch);
        tracing::trace!(events = batch.len(), "ingest batch committed");
        for (job, result) in batch.drain(..).zip(results) {
            // The handler may have gone (client hung up); the event is stored all the same.
            let _ = job.reply.send(result);
        }
    }
}

/// Writes the whole batch in one transaction. If anything in it fails, the batch is rolled back
/// and each event is written in a transaction of its own, so one bad event fails alone.
fn commit_batch(conn: &mut Connection, batch: &[Job]) -> Vec<Result<Recorded, WriteError>> {
    let together = (|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let recorded = batch
            .iter()
            .map(|job| record(&tx, &job.event))
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
                .map(|job| commit_one(conn, &job.event))
                .collect()
        }
    }
}

fn commit_one(conn: &mut Connection, event: &NewEvent) -> Result<Recorded, WriteError> {
    let result = (|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let recorded = record(&tx, event)?;
        tx.commit()?;
        Ok(recorded)
    })();
    result.map_err(|error| failed(event, error))
}

fn failed(event: &NewEvent, error: rusqlite::Error) -> WriteError {
    tracing::error!(%error, event_id = %event.event_id, "event could not be stored");
    WriteError::Database(Arc::new(error))
}

/// Stores one event with its review item change and history entry, unless it is a duplicate.
fn record(tx: &rusqlite::Transaction<'_>, event: &NewEvent) -> rusqlite::Result<Recorded> {
    let categories = serde_json::to_string(&event.categories)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let inserted: Option<i64> = tx
        .prepare_cached(INSERT_SQL)?
        .query_row(
            params![
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
            ],
            |row| row.get(0),
        )
        .optional()?;

    let Some(row_id) = inserted else {
        let (same_body, stored_reference): (bool, String) = tx
            .prepare_cached(SAME_BODY_SQL)?
            .query_row(params![event.body, event.source, event.event_id], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?;
        if same_body {
            return Ok(Recorded::Duplicate);
        }
        append(tx, event.mismatch_entry(&stored_reference))?;
        return Ok(Recorded::DuplicateMismatch);
    };

    let queued = event.event_type == TYPE_REVIEW;
    if queued {
        tx.prepare_cached(OPEN_OR_REFRESH_SQL)?.execute(params![
            event.reference_id,
            row_id,
            event.received_at
        ])?;
    }
    append(tx, event.received_entry())?;
    Ok(Recorded::Stored { queued })
}

fn append(tx: &rusqlite::Transaction<'_>, entry: NewEntry<'_>) -> rusqlite::Result<()> {
    tx.prepare_cached(APPEND_SQL)?.execute(params![
        entry.at,
        entry.actor,
        entry.kind,
        entry.reference_id,
        entry.detail
    ])?;
    Ok(())
}
