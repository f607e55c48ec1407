//! The overdue check: a task that, every `overdue_check_secs`, marks open items past their due
//! time and queues their `review.overdue` alerts (see `app::store::overdue`). It runs on the
//! relay's [`Clock`], so tests move time by hand and call [`OverdueCheck::run_once`].

use crate::relay::Clock;
use anyhow::Context;
use app::relay::Relay;
use app::store::overdue;
use sqlx::SqlitePool;
use std::sync::Arc;
use std::time::Duration;

/// Items marked per transaction; a longer backlog is worked in several, so the write lock is
/// never held for long.
const BATCH: i64 = 200;

/// The periodic overdue check; cheap to clone.
#[derive(Clone)]
pub struct OverdueCheck {
    pool: SqlitePool,
    relay: Relay,
    public_url: String,
    clock: Arc<dyn Clock>,
    every: Duration,
}

impl OverdueCheck {
    pub fn new(
        pool: SqlitePool,
        relay: Relay,
        public_url: String,
        clock: Arc<dyn Clock>,
        every: Duration,
    ) -> OverdueCheck {
        OverdueCheck {
            pool,
            relay,
            public_url,
            clock,
            every,
        }
    }

    /// Alerts every item overdue now that has not alerted yet; returns how many alerted.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let mut alerted = 0;
        loop {
            let now = self.clock.now_ms();
            let checked = overdue::alert_due(&self.pool, &self.relay, now, &self.public_url, BATCH)
                .await
                .context("alerting overdue items")?;
            if checked.jobs > 0 {
                self.relay.notify();
            }
            if !checked.alerted.is_empty() {
                tracing::info!(
                    items = checked.alerted.len(),
                    jobs = checked.jobs,
                    "overdue items alerted"
                );
            }
            alerted += checked.alerted.len();
            if (checked.alerted.len() as i64) < BATCH {
                return Ok(alerted);
            }
        }
    }

    /// Runs the check every `every` until the process ends; a failed run is logged and the next
    /// one tries again.
    pub fn spawn(self) {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(self.every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if let Err(error) = self.run_once().await {
                    tracing::error!(error = format!("{error:#}"), "overdue check failed");
                }
            }
        });
    }
}
