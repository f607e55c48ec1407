//! The History page's chain check. Walking millions of entries on every page load would be
//! slow, so the server keeps the last verified checkpoint in memory and each check walks only
//! the entries appended since (after re-reading the checkpoint's own entry). A full walk runs on
//! the first check after start and again once the last one is [`FULL_WALK_EVERY`] old, so a
//! change to an older entry shows within that time; `moddesk audit verify` always walks it all.

use crate::store::chain::{self, Verdict};
use sqlx::SqlitePool;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long an incremental check may build on a full walk.
pub const FULL_WALK_EVERY: Duration = Duration::from_secs(3600);

/// The cached result of the last check; cheap to clone (shared).
#[derive(Clone, Default)]
pub struct ChainCheck(Arc<Mutex<Option<Cached>>>);

struct Cached {
    verdict: Verdict,
    /// When the full walk this verdict builds on began.
    full_walk: Instant,
}

impl ChainCheck {
    /// Whether the chain verifies now. One check runs at a time; callers meanwhile wait for it
    /// and then build on its result.
    pub async fn verdict(&self, pool: &SqlitePool) -> sqlx::Result<Verdict> {
        let mut cached = self.0.lock().await;
        let fresh = cached
            .as_ref()
            .filter(|c| c.full_walk.elapsed() < FULL_WALK_EVERY);
        let (verdict, full_walk) = match fresh {
            Some(Cached {
                verdict: Verdict::Verified(checkpoint),
                full_walk,
            }) => (chain::verify(pool, Some(checkpoint)).await?, *full_walk),
            // A break stays a break: no later entry can mend it.
            Some(Cached { verdict, full_walk }) => (verdict.clone(), *full_walk),
            None => {
                let started = Instant::now();
                (chain::verify(pool, None).await?, started)
            }
        };
        *cached = Some(Cached {
            verdict: verdict.clone(),
            full_walk,
        });
        Ok(verdict)
    }
}
