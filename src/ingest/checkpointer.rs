//! Copies the write-ahead log back into the database file on a thread of its own, so the ingest
//! writer does not stop to do it after its commits.
//!
//! The copy (a "passive checkpoint") runs beside the writer without blocking it, at most once per
//! [`PACE`] while events arrive. A page that changes several times within that time is copied
//! once, which is most of the saving: the index pages an event touches change again in the next
//! batches. The log can only start over from its beginning once all of it has been copied, which
//! under steady load never happens between two batches; so the writer still checkpoints itself
//! when the log reaches [`super::writer::LOG_LIMIT_PAGES`], by then copying only what this thread
//! has not copied yet.

use anyhow::Context;
use rusqlite::Connection;
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

/// Least time between two checkpoints while commits keep coming.
pub const PACE: Duration = Duration::from_millis(100);
/// How often the log is looked at without a nudge, for what other connections (the dashboard)
/// wrote.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// A handle to the checkpoint thread. The thread stops when the handle is dropped.
pub struct Checkpointer {
    nudge: SyncSender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Checkpointer {
    /// Opens its own connection to the database at `path` and starts the thread.
    pub fn spawn(path: &Path) -> anyhow::Result<Checkpointer> {
        let conn = Connection::open(path)
            .with_context(|| format!("opening {} for the checkpoint thread", path.display()))?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // NORMAL: the log is synced before it is copied, and the database after.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let (nudge, nudges) = mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("ingest-checkpt".into())
            .spawn(move || run(&conn, &nudges))
            .context("starting the checkpoint thread")?;
        Ok(Checkpointer { nudge, thread })
    }

    /// Stops the thread and returns once its connection is closed (a checkpoint under way is
    /// finished first).
    pub fn stop(self) {
        drop(self.nudge);
        let _ = self.thread.join();
    }

    /// Tells the thread that the log has grown. Never waits: nudges that arrive while one is
    /// pending are one nudge.
    pub fn nudge(&self) {
        // A full channel already holds a nudge. A thread that has stopped (only a panic stops
        // it early) leaves the writer's own checkpoints to bound the log.
        let _ = self.nudge.try_send(());
    }
}

fn run(conn: &Connection, nudges: &Receiver<()>) {
    let mut next = Instant::now();
    let mut failing = false;
    loop {
        match nudges.recv_timeout(IDLE_CHECK) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        // Keep to the pace; nudges meanwhile are answered by this checkpoint. The writer
        // stopping ends the wait at once, so the connection closes with it.
        while let Some(left) = next.checked_duration_since(Instant::now()) {
            if let Err(RecvTimeoutError::Disconnected) = nudges.recv_timeout(left) {
                return;
            }
        }
        let started = Instant::now();
        next = started + PACE;
        match checkpoint(conn) {
            Ok((log_pages, copied)) => {
                if std::mem::take(&mut failing) {
                    tracing::info!("checkpointing the database log works again");
                }
                tracing::trace!(log_pages, copied, elapsed = ?started.elapsed(), "log checkpointed");
            }
            // The next round tries again; until then the log only grows. One warning for a run
            // of failures (a full disk fails every round).
            Err(error) if !failing => {
                failing = true;
                tracing::warn!(%error, "checkpointing the database log failed; retrying quietly");
            }
            Err(error) => tracing::debug!(%error, "checkpointing the database log failed again"),
        }
    }
}

/// Copies what it can of the log without waiting for anyone. Returns the log's length and how
/// much of it is now in the database, in pages.
fn checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    })
}
