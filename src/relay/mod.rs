//! The relay: sends queued jobs to Slack, Discord and internal HTTP receivers, outside any
//! request. Each destination has its own lane (its own task, rate limit and claims), so a slow
//! or hanging destination never holds up another. Jobs are claimed under a lease, so two workers
//! never send the same job, and a job whose worker died is picked up again when its lease ends.

pub mod attempt;
pub mod destination;
pub mod message;

use crate::config::RelaySettings;
use crate::ingest::signature::sign;
use app::relay::{Kind, Relay};
use app::store::relay_jobs::{self, ClaimedJob, Outcome};
use attempt::Answer;
use destination::Destination;
use futures::StreamExt;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use message::{Subject, Summary};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use secrecy::ExposeSecret;
use sqlx::SqlitePool;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Relay attempts by `destination` and `outcome` (`delivered`, `retry`, `dead`), at `/metrics`.
pub const ATTEMPTS: &str = "moddesk_relay_attempts_total";
/// How often an idle lane looks for due jobs when nothing woke it.
const POLL: Duration = Duration::from_secs(1);
/// Extra lease time beyond the requests themselves.
const LEASE_MARGIN: Duration = Duration::from_secs(60);

/// The time the relay schedules by; tests replace it to control retry timing.
pub trait Clock: Send + Sync + 'static {
    /// Unix milliseconds.
    fn now_ms(&self) -> i64;
}

/// The real clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        app::store::now_ms()
    }
}

/// The relay worker; cheap to clone.
#[derive(Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

struct Inner {
    pool: SqlitePool,
    lanes: Vec<Lane>,
    client: reqwest::Client,
    settings: RelaySettings,
    public_url: String,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
}

/// One destination with its rate limit and how many requests it may have in flight.
struct Lane {
    destination: Destination,
    limiter: Option<DefaultDirectRateLimiter>,
    concurrency: usize,
}

impl Lane {
    fn new(destination: Destination) -> Lane {
        let per_second = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        // Slack allows about one message a second per webhook, Discord about five per two
        // seconds; staying under keeps bursts queued here instead of refused there.
        let (quota, concurrency) = match destination.route.kind {
            Kind::Slack => (Some(Quota::per_second(per_second(1))), 1),
            Kind::Discord => (
                Quota::with_period(Duration::from_millis(400))
                    .map(|q| q.allow_burst(per_second(5))),
                1,
            ),
            Kind::Http => (None, 8),
        };
        Lane {
            destination,
            limiter: quota.map(RateLimiter::direct),
            concurrency,
        }
    }

    fn name(&self) -> &str {
        &self.destination.route.name
    }
}

impl Worker {
    /// A worker for `destinations`, woken by `relay` when jobs are queued.
    pub fn new(
        pool: SqlitePool,
        destinations: Vec<Destination>,
        settings: RelaySettings,
        public_url: String,
        relay: &Relay,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Worker> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            // A webhook that redirects is misconfigured; following it could leak the payload.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("moddesk/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Worker {
            inner: Arc::new(Inner {
                pool,
                lanes: destinations.into_iter().map(Lane::new).collect(),
                client,
                settings,
                public_url,
                clock,
                wake: relay.wake.clone(),
            }),
        })
    }

    /// Starts one task per destination; they run until the process ends.
    pub fn spawn(&self) {
        for index in 0..self.inner.lanes.len() {
            let inner = self.inner.clone();
            tokio::spawn(async move {
                loop {
                    let woken = inner.wake.notified();
                    tokio::pin!(woken);
                    woken.as_mut().enable();
                    inner.drain(&inner.lanes[index]).await;
                    tokio::select! {
                        () = woken => {}
                        () = tokio::time::sleep(POLL) => {}
                    }
                }
            });
        }
    }

    /// Works every due job of every destination once, destinations side by side; returns how
    /// many attempts were made. What the background tasks do, for tests and tools.
    pub async fn run_due(&self) -> usize {
        let lanes = self.inner.lanes.iter().map(|lane| self.inner.drain(lane));
        futures::future::join_all(lanes).await.into_iter().sum()
    }
}

impl Inner {
    /// Claims and sends due jobs of one destination until none is due.
    async fn drain(&self, lane: &Lane) -> usize {
        let claim_size = lane.concurrency * 4;
        let lease = (self.settings.timeout + Duration::from_secs(1)) * 4 + LEASE_MARGIN;
        let mut attempts = 0;
        loop {
            let now = self.clock.now_ms();
            let lease_until = now + lease.as_millis() as i64;
            let jobs = match relay_jobs::claim(
                &self.pool,
                lane.name(),
                now,
                lease_until,
                claim_size as i64,
            )
            .await
            {
                Ok(jobs) if jobs.is_empty() => return attempts,
                Ok(jobs) => jobs,
                Err(error) => {
                    tracing::error!(%error, destination = lane.name(), "claiming relay jobs failed");
                    return attempts;
                }
            };
            attempts += jobs.len();
            futures::stream::iter(jobs)
                .for_each_concurrent(lane.concurrency, |job| self.attempt(lane, job))
                .await;
        }
    }

    /// Sends one job and records the outcome on it and in the history.
    async fn attempt(&self, lane: &Lane, job: ClaimedJob) {
        if let Some(limiter) = &lane.limiter {
            limiter.until_ready().await;
        }
        let outcome = match self.request(lane, &job).await {
            Ok((url, headers, body)) => {
                let answer = attempt::post(&self.client, &url, headers, body).await;
                self.outcome(&job, answer)
            }
            Err(error) => Outcome::Dead {
                status: None,
                error,
            },
        };

        let label = match &outcome {
            Outcome::Delivered { .. } => "delivered",
            Outcome::Retry { .. } => "retry",
            Outcome::Dead { .. } => "dead",
        };
        metrics::counter!(ATTEMPTS, "destination" => lane.name().to_owned(), "outcome" => label)
            .increment(1);
        match &outcome {
            Outcome::Delivered { status } => {
                tracing::info!(
                    destination = lane.name(),
                    job = job.id,
                    status,
                    "relay delivered"
                )
            }
            Outcome::Retry { error, .. } => {
                tracing::warn!(destination = lane.name(), job = job.id, %error, "relay attempt failed; will retry")
            }
            Outcome::Dead { error, .. } => {
                tracing::warn!(destination = lane.name(), job = job.id, %error, "relay job is dead")
            }
        }
        let now = self.clock.now_ms();
        if let Err(error) = relay_jobs::finish_attempt(&self.pool, &job, &outcome, now).await {
            // The lease runs out and the job is tried again: a repeat, never a loss.
            tracing::error!(%error, job = job.id, "recording a relay attempt failed");
        }
    }

    /// What the retry schedule makes of an answer.
    fn outcome(&self, job: &ClaimedJob, answer: Answer) -> Outcome {
        match answer {
            Answer::Success { status } => Outcome::Delivered { status },
            Answer::Permanent { status, error } => Outcome::Dead {
                status: Some(status),
                error,
            },
            Answer::Transient {
                status,
                error,
                retry_after,
            } => match attempt::backoff(&self.settings.retry, job.attempts) {
                Some(backoff) => {
                    // The destination's wait is a floor: a short one (Slack says 1 s) must not
                    // run through the schedule meant to last a day or more.
                    let asked = retry_after.map(|a| a.min(self.settings.max_retry_after));
                    let wait = asked.map_or(backoff, |asked| asked.max(backoff));
                    Outcome::Retry {
                        status,
                        error,
                        next_at: self.clock.now_ms() + wait.as_millis() as i64,
                    }
                }
                None => Outcome::Dead {
                    status,
                    error: format!("gave up after {} attempts: {error}", job.attempts),
                },
            },
        }
    }

    /// The URL, headers and body for a job; an error when there is nothing left to send.
    async fn request(
        &self,
        lane: &Lane,
        job: &ClaimedJob,
    ) -> Result<(String, HeaderMap, Vec<u8>), String> {
        let facts;
        let payload;
        let subject = match (job.event_id, &job.payload) {
            (Some(event_id), _) => {
                facts = relay_jobs::event_facts(&self.pool, event_id)
                    .await
                    .map_err(|e| format!("reading the event failed: {e}"))?
                    .ok_or("the event is no longer stored")?;
                Subject::Event(&facts)
            }
            (None, Some(text)) => {
                payload = serde_json::from_str(text)
                    .map_err(|e| format!("the stored payload is not JSON: {e}"))?;
                Subject::Payload {
                    topic: &job.topic,
                    payload: &payload,
                }
            }
            (None, None) => return Err("the job has nothing to send".into()),
        };

        let destination = &lane.destination;
        let url = destination.url.expose_secret().to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let summary = || Summary::of(&subject, &self.public_url);
        let body = match destination.route.kind {
            Kind::Slack => message::slack(&summary()).to_string().into_bytes(),
            Kind::Discord => message::discord(&summary()).to_string().into_bytes(),
            Kind::Http => {
                let body = match &subject {
                    Subject::Event(facts) => facts.body.clone(),
                    Subject::Payload { payload, .. } => payload.to_string().into_bytes(),
                };
                let secret = destination.secret.as_ref().ok_or("no signing secret")?;
                let id = format!("relay_{}", job.id);
                let timestamp = self.clock.now_ms().div_euclid(1000);
                let signature = sign(secret, &id, timestamp, &body);
                for (name, value) in [
                    ("webhook-id", id),
                    ("webhook-timestamp", timestamp.to_string()),
                    ("webhook-signature", signature),
                ] {
                    let value = HeaderValue::try_from(value).map_err(|e| e.to_string())?;
                    headers.insert(name, value);
                }
                body
            }
        };
        let url = match destination.route.kind {
            // `wait=true`: Discord answers only once the message is posted, so 2xx means sent.
            Kind::Discord => with_wait(&url),
            _ => url,
        };
        Ok((url, headers, body))
    }
}

fn with_wait(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let others: Vec<(String, String)> = parsed
                .query_pairs()
                .filter(|(k, _)| k != "wait")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            parsed
                .query_pairs_mut()
                .clear()
                .extend_pairs(others)
                .append_pair("wait", "true");
            parsed.into()
        }
        Err(_) => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discord_urls_get_wait_once() {
        assert_eq!(
            with_wait("https://d.example/api/webhooks/1/abc"),
            "https://d.example/api/webhooks/1/abc?wait=true"
        );
        assert_eq!(
            with_wait("https://d.example/h?thread_id=5&wait=false"),
            "https://d.example/h?thread_id=5&wait=true"
        );
    }
}
