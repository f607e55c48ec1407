//! Relay: routing, message shapes, retries on a controlled clock, dead jobs, rate limits,
//! restarts and racing workers, against local servers that answer like Slack and Discord.

use crate::helpers::{SECRET, TestApp, now, run};
use app::store::relay_jobs;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use moddesk::ingest::signature::{SignedHeaders, Verifier, WebhookSecret};
use moddesk::relay::destination::RawDestination;
use moddesk::relay::{Clock, Worker};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const RECEIVER_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A clock the test moves by hand.
struct ManualClock(AtomicI64);

impl ManualClock {
    /// Starts a second ahead of the real clock, so jobs queued just now are due.
    fn new() -> Arc<ManualClock> {
        Arc::new(ManualClock(AtomicI64::new(app::store::now_ms() + 1_000)))
    }
    fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// One scripted answer.
#[derive(Clone)]
struct Script {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static str,
    delay: Duration,
}

fn answer(status: u16, body: &'static str) -> Script {
    Script {
        status,
        headers: Vec::new(),
        body,
        delay: Duration::ZERO,
    }
}

struct Received {
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

/// A local HTTP server that answers from a script (then `200 ok`) and records every request.
#[derive(Clone)]
struct FakeDestination {
    url: String,
    script: Arc<Mutex<VecDeque<Script>>>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl FakeDestination {
    async fn start(script: Vec<Script>) -> FakeDestination {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = FakeDestination {
            url: format!(
                "http://{}/hook/T000/secretpart",
                listener.local_addr().unwrap()
            ),
            script: Arc::new(Mutex::new(script.into())),
            received: Arc::new(Mutex::new(Vec::new())),
        };
        let state = fake.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move { state.answer(uri, headers, body).await }
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    async fn answer(&self, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        let at = Instant::now();
        self.received.lock().unwrap().push(Received {
            uri,
            headers,
            body,
            at,
        });
        let next = self.script.lock().unwrap().pop_front();
        let script = next.unwrap_or_else(|| answer(200, "ok"));
        tokio::time::sleep(script.delay).await;
        let mut response =
            (StatusCode::from_u16(script.status).unwrap(), script.body).into_response();
        for (name, value) in script.headers {
            response.headers_mut().insert(name, value.parse().unwrap());
        }
        response
    }

    fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    fn json(&self, i: usize) -> serde_json::Value {
        serde_json::from_slice(&self.received.lock().unwrap()[i].body).unwrap()
    }
}

fn destination(name: &str, kind: &str, url: &str, events: &[&str]) -> RawDestination {
    RawDestination {
        name: name.into(),
        kind: kind.into(),
        url: url.into(),
        secret: (kind == "http").then(|| RECEIVER_SECRET.into()),
        events: events.iter().map(|e| e.to_string()).collect(),
        categories: Vec::new(),
        min_score: None,
    }
}

/// An app relaying to `destinations`, with two retries (5 s, 30 s) and a 1 s timeout.
async fn app_with(destinations: Vec<RawDestination>) -> TestApp {
    TestApp::with_config(|raw| {
        raw.destination = destinations;
        raw.relay_retry_secs = vec![5, 30];
        raw.relay_timeout_secs = 1;
        raw.public_url = "https://moddesk.example".into();
    })
    .await
}

/// An app relaying the default topics to one destination of `kind` named `team`.
async fn app_sending_to(kind: &str, fake: &FakeDestination) -> TestApp {
    app_with(vec![destination("team", kind, &fake.url, &[])]).await
}

fn worker(app: &TestApp, clock: Arc<dyn Clock>) -> Worker {
    Worker::new(
        app.pool.clone(),
        app.settings.destinations.clone(),
        app.settings.relay.clone(),
        app.settings.public_url.clone(),
        &app.relay,
        clock,
    )
    .unwrap()
}

async fn deliver(app: &TestApp, id: &str, event_type: &str, reference: &str, category: &str) {
    let body = serde_json::json!({
        "id": id,
        "type": event_type,
        "created_at": "2026-12-03T10:00:00Z",
        "data": {
            "reference_id": reference,
            "score": 0.93,
            "action": if event_type == "moderation.blocked" { "block" } else { "review" },
            "categories": [{"name": category, "score": 0.93}, {"name": "spam", "score": 0.1}],
            "content": {"kind": "comment", "excerpt": "an <excerpt> & more"}
        }
    })
    .to_string();
    let reply = app.deliver_signed(SECRET, id, now(), &body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

async fn job_states(app: &TestApp) -> Vec<(String, i64, Option<String>)> {
    sqlx::query_as("SELECT status, attempts, last_error FROM relay_jobs ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

#[test]
fn events_are_routed_and_shaped_for_each_destination() {
    run(async {
        let (slack, discord, internal) = (
            FakeDestination::start(vec![]).await,
            FakeDestination::start(vec![]).await,
            FakeDestination::start(vec![]).await,
        );
        let mut self_harm = destination("self-harm", "slack", &slack.url, &["moderation.review"]);
        self_harm.categories = vec!["self-harm".into()];
        let app = app_with(vec![
            self_harm,
            destination("blocks", "discord", &discord.url, &["moderation.blocked"]),
            destination("internal", "http", &internal.url, &["*"]),
        ])
        .await;

        deliver(&app, "evt_1", "moderation.review", "post-1", "self-harm").await;
        deliver(&app, "evt_2", "moderation.review", "post-2", "harassment").await;
        deliver(&app, "evt_3", "moderation.blocked", "post-3", "hate").await;
        let attempts = worker(&app, Arc::new(moddesk::relay::SystemClock))
            .run_due()
            .await;

        assert_eq!(attempts, 5);
        assert_eq!(
            (slack.count(), discord.count(), internal.count()),
            (1, 1, 3)
        );
        let message = slack.json(0);
        assert!(message["text"].as_str().unwrap().contains("post-1"));
        let blocks = message["blocks"].to_string();
        for fact in [
            "moderation.review",
            "self-harm 0.93",
            "0.93",
            "&lt;excerpt&gt; &amp; more",
            "https://moddesk.example/items/1",
        ] {
            assert!(blocks.contains(fact), "{fact} missing from {blocks}");
        }
        let embed_message = discord.json(0);
        assert_eq!(
            discord.received.lock().unwrap()[0].uri.query(),
            Some("wait=true")
        );
        assert_eq!(embed_message["embeds"][0]["title"], "Blocked: post-3");

        let verifier = Verifier::new(
            vec![WebhookSecret::parse(RECEIVER_SECRET).unwrap()],
            Duration::from_secs(300),
        );
        let received = internal.received.lock().unwrap();
        for request in received.iter() {
            let header = |name: &str| request.headers.get(name).map(|v| v.to_str().unwrap());
            let signed = SignedHeaders {
                id: header("webhook-id"),
                timestamp: header("webhook-timestamp"),
                signature: header("webhook-signature"),
            };
            verifier
                .verify(&signed, &request.body, now())
                .expect("internal receivers can verify");
        }
        let mut ids: Vec<String> = received
            .iter()
            .map(|r| {
                serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["id"].to_string()
            })
            .collect();
        ids.sort();
        assert_eq!(
            ids,
            [r#""evt_1""#, r#""evt_2""#, r#""evt_3""#],
            "http receivers get the events as they came"
        );
    });
}

#[test]
fn failures_are_retried_on_schedule_and_retry_after_is_a_floor() {
    run(async {
        let limited = Script {
            headers: vec![("retry-after", "120")],
            ..answer(429, "slow down")
        };
        let short = Script {
            headers: vec![("retry-after", "1")],
            ..answer(503, "busy")
        };
        let fake = FakeDestination::start(vec![short, limited]).await;
        let app = app_sending_to("http", &fake).await;
        let clock = ManualClock::new();
        let relay = worker(&app, clock.clone());
        deliver(&app, "evt_1", "moderation.review", "post-1", "spam").await;

        relay.run_due().await;
        let next_at = app.count("SELECT next_at FROM relay_jobs").await - clock.now_ms();
        assert!(
            (4_000..=6_000).contains(&next_at),
            "a 1 s Retry-After still waits the scheduled 5 s, got {next_at} ms"
        );
        assert_eq!(relay.run_due().await, 0, "nothing is due before then");

        clock.advance(Duration::from_secs(6));
        relay.run_due().await;
        let next_at = app.count("SELECT next_at FROM relay_jobs").await - clock.now_ms();
        assert_eq!(next_at, 120_000, "a longer Retry-After is honoured");

        clock.advance(Duration::from_secs(120));
        relay.run_due().await;
        assert_eq!(job_states(&app).await[0].0, "delivered");
        assert_eq!(fake.count(), 3);
        let kinds = app.text("SELECT group_concat(kind, ' ') FROM (SELECT kind FROM history WHERE kind LIKE 'relay.%' ORDER BY id)").await;
        assert_eq!(kinds, "relay.retry relay.retry relay.delivered");
    });
}

#[test]
fn refusals_go_dead_at_once_and_can_be_retried() {
    run(async {
        let html = Script {
            headers: vec![("content-type", "text/html")],
            ..answer(
                400,
                "<html><head><title>Bad request</title></head><body>nope</body></html>",
            )
        };
        let fake = FakeDestination::start(vec![html]).await;
        let app = app_sending_to("slack", &fake).await;
        let clock = ManualClock::new();
        let relay = worker(&app, clock.clone());
        deliver(&app, "evt_1", "moderation.review", "post-1", "spam").await;

        relay.run_due().await;
        let (status, attempts, error) = job_states(&app).await.remove(0);
        assert_eq!((status.as_str(), attempts), ("dead", 1));
        assert_eq!(
            error.as_deref(),
            Some("HTTP 400, an HTML page: Bad request")
        );
        let metrics = app
            .send(
                axum::http::Request::get("/metrics")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert!(
            metrics
                .body
                .contains(r#"moddesk_relay_attempts_total{destination="team",outcome="dead"}"#),
            "{}",
            metrics.body
        );

        let job = app.count("SELECT id FROM relay_jobs").await;
        assert!(
            relay_jobs::requeue_dead(&app.pool, job, "admin", clock.now_ms())
                .await
                .unwrap()
        );
        relay.run_due().await;
        assert_eq!(job_states(&app).await[0].0, "delivered");
    });
}

#[test]
fn out_of_retries_the_job_is_dead_and_the_history_says_why() {
    run(async {
        let fake =
            FakeDestination::start(vec![answer(502, ""), answer(502, ""), answer(502, "")]).await;
        let app = app_sending_to("http", &fake).await;
        let clock = ManualClock::new();
        let relay = worker(&app, clock.clone());
        deliver(&app, "evt_1", "moderation.review", "post-1", "spam").await;

        for _ in 0..3 {
            relay.run_due().await;
            clock.advance(Duration::from_secs(60));
        }

        let (status, attempts, error) = job_states(&app).await.remove(0);
        assert_eq!((status.as_str(), attempts), ("dead", 3));
        assert_eq!(error.as_deref(), Some("gave up after 3 attempts: HTTP 502"));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind = 'relay.dead'")
                .await,
            1
        );
    });
}

#[test]
fn a_hanging_destination_does_not_hold_up_the_others() {
    run(async {
        let hang = Script {
            delay: Duration::from_secs(30),
            ..answer(200, "ok")
        };
        let stuck = FakeDestination::start(vec![hang]).await;
        let fine = FakeDestination::start(vec![]).await;
        let app = app_with(vec![
            destination("stuck", "http", &stuck.url, &[]),
            destination("fine", "http", &fine.url, &[]),
        ])
        .await;
        deliver(&app, "evt_1", "moderation.review", "post-1", "spam").await;

        let started = Instant::now();
        worker(&app, ManualClock::new()).run_due().await;

        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the timeout ends the hang"
        );
        assert_eq!(fine.count(), 1);
        let states = job_states(&app).await;
        assert_eq!(states[0].0, "pending");
        assert_eq!(states[0].2.as_deref(), Some("no answer before the timeout"));
        assert_eq!(states[1].0, "delivered");
    });
}

#[test]
fn slack_messages_are_paced_not_refused() {
    run(async {
        let fake = FakeDestination::start(vec![]).await;
        let app = app_sending_to("slack", &fake).await;
        for n in 0..3 {
            deliver(
                &app,
                &format!("evt_{n}"),
                "moderation.review",
                &format!("post-{n}"),
                "spam",
            )
            .await;
        }

        worker(&app, ManualClock::new()).run_due().await;

        let received = fake.received.lock().unwrap();
        assert_eq!(received.len(), 3);
        let spread = received[2].at - received[0].at;
        assert!(
            spread >= Duration::from_millis(1900),
            "three messages at one a second, got {spread:?}"
        );
    });
}

#[test]
fn racing_workers_send_each_job_once() {
    run(async {
        let fake = FakeDestination::start(vec![]).await;
        let app = app_sending_to("http", &fake).await;
        for n in 0..40 {
            deliver(
                &app,
                &format!("evt_{n}"),
                "moderation.review",
                &format!("post-{n}"),
                "spam",
            )
            .await;
        }
        let clock = ManualClock::new();
        let (a, b) = (worker(&app, clock.clone()), worker(&app, clock.clone()));

        let (sent_a, sent_b) = tokio::join!(a.run_due(), b.run_due());

        assert_eq!(sent_a + sent_b, 40);
        let mut ids: Vec<String> = fake
            .received
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!((fake.count(), ids.len()), (40, 40));
    });
}

#[test]
fn a_destination_down_for_a_while_gets_everything_once_after_a_restart() {
    run(async {
        let fake = FakeDestination::start(vec![answer(503, "down"); 5]).await;
        let app = app_sending_to("http", &fake).await;
        let clock = ManualClock::new();
        for n in 0..5 {
            deliver(
                &app,
                &format!("evt_{n}"),
                "moderation.review",
                &format!("post-{n}"),
                "spam",
            )
            .await;
        }
        worker(&app, clock.clone()).run_due().await;
        assert_eq!(
            app.count("SELECT COUNT(*) FROM relay_jobs WHERE status = 'pending'")
                .await,
            5
        );

        // A new worker stands in for moddesk after a restart: the jobs wait in the database.
        clock.advance(Duration::from_secs(10));
        let restarted = worker(&app, clock.clone());
        restarted.run_due().await;
        restarted.run_due().await;

        assert_eq!(
            app.count("SELECT COUNT(*) FROM relay_jobs WHERE status = 'delivered'")
                .await,
            5
        );
        let delivered: Vec<String> = fake.received.lock().unwrap()[5..]
            .iter()
            .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
            .collect();
        assert_eq!(delivered.len(), 5, "each event once after recovery");
    });
}

#[test]
fn decisions_are_relayed_as_review_resolved_by_the_same_rules() {
    run(async {
        let fake = FakeDestination::start(vec![]).await;
        let elsewhere = FakeDestination::start(vec![]).await;
        let mut self_harm_only =
            destination("safety", "http", &elsewhere.url, &["review.resolved"]);
        self_harm_only.categories = vec!["self-harm".into()];
        let app = app_with(vec![
            destination("product", "http", &fake.url, &["review.resolved"]),
            self_harm_only,
        ])
        .await;
        deliver(&app, "evt_1", "moderation.review", "post-1", "spam").await;
        assert_eq!(
            app.count("SELECT COUNT(*) FROM relay_jobs").await,
            0,
            "events are not wanted here"
        );
        sqlx::query(
            "INSERT INTO users (name, password_hash, role, created_at) \
             VALUES ('alice', 'x', 'reviewer', 0)",
        )
        .execute(&app.pool)
        .await
        .unwrap();

        let actor = app::store::workflow::Actor {
            id: 1,
            name: "alice",
            role: app::model::Role::Reviewer,
        };
        let verdict = app::store::workflow::NewVerdict {
            targets: &[app::store::workflow::Target {
                item_id: 1,
                version: 1,
            }],
            verdict: app::model::Verdict::Remove,
            reason: "harassment",
            note: "threatening",
            at: app::store::now_ms(),
        };
        let decided = app::store::workflow::record_verdict(
            &app.pool,
            actor,
            verdict,
            &app.settings.workflow,
            &app.relay,
        )
        .await
        .unwrap();
        let clock = ManualClock::new();
        worker(&app, clock.clone()).run_due().await;
        assert_eq!(
            fake.count(),
            0,
            "held back while the decision can be undone"
        );
        clock.advance(Duration::from_secs(30));
        worker(&app, clock).run_due().await;

        assert!(decided.relayed);
        let message = fake.json(0);
        assert_eq!(message["type"], "review.resolved");
        assert_eq!(message["data"]["reference_id"], "post-1");
        assert_eq!(message["data"]["decision"], "remove");
        assert_eq!(message["data"]["reason"], "harassment");
        assert_eq!(message["data"]["note"], "threatening");
        assert_eq!(message["data"]["reviewer"], "alice");
        assert_eq!(
            elsewhere.count(),
            0,
            "a spam decision is not for the self-harm channel"
        );
    });
}
