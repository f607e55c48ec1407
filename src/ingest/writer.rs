//! The single ingest writer. Request handlers hand events to one task, which commits whatever
//! has queued up meanwhile in one transaction (group commit): one fsync for many events, and each
//! handler is answered only after the commit that holds its event.

use app::store::events::{self, NewEvent, Recorded};
use sqlx::SqlitePool;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most events committed in one transaction.
const MAX_BATCH: usize = 512;
/// Events that may wait for the writer before handlers wait to enqueue.
const QUEUE_DEPTH: usize = 8192;

/// Why an event was not stored.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    #[error("storing the event failed: {0}")]
    Database(Arc<sqlx::Error>),
    #[error("the ingest writer has stopped")]
    Stopped,
}

struct Job {
    event: NewEvent,
    reply: oneshot::Sender<Result<Recorded, WriteError>>,
}

/// A handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task on `pool`. It stops when every handle is dropped.
    pub fn spawn(pool: SqlitePool) -> Writer {
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(run(pool, queue));
        Writer { jobs }
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

async fn run(pool: SqlitePool, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let results = commit_batch(&pool, &batch).await;
        for (job, result) in batch.drain(..).zip(results) {
            // The handler may have gone (client hung up); the event is stored all the same.
            let _ = job.reply.send(result);
        }
    }
}

/// Writes every job in one transaction. Each event sits in its own savepoint, so one failing
/// event is rolled back alone; if the commit fails, every event in the batch gets the error.
async fn commit_batch(pool: &SqlitePool, batch: &[Job]) -> Vec<Result<Recorded, WriteError>> {
    let fail_all = |e: sqlx::Error| {
        tracing::error!(error = %e, events = batch.len(), "ingest batch could not be committed");
        let shared = Arc::new(e);
        batch
            .iter()
            .map(|_| Err(WriteError::Database(shared.clone())))
            .collect()
    };

    let mut tx = match pool.begin().await {
        Ok(tx) => tx,
        Err(e) => return fail_all(e),
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        results.push(record_one(&mut tx, &job.event).await);
    }
    match tx.commit().await {
        Ok(()) => results,
        Err(e) => fail_all(e),
    }
}

async fn record_one(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    event: &NewEvent,
) -> Result<Recorded, WriteError> {
    let database = |e: sqlx::Error| WriteError::Database(Arc::new(e));

    let mut savepoint = sqlx::Acquire::begin(&mut **tx).await.map_err(database)?;
    match events::record_in(&mut savepoint, event).await {
        Ok(recorded) => {
            savepoint.commit().await.map_err(database)?;
            Ok(recorded)
        }
        Err(e) => {
            tracing::error!(error = %e, event_id = %event.event_id, "event could not be stored");
            savepoint.rollback().await.map_err(database)?;
            Err(database(e))
        }
    }
}
