//! Overdue alerts: an open item past its due time alerts once, to the destinations that ask for
//! `review.overdue` and match its categories and score, and never again: not on the next
//! check, not after a restart, not twice when two checks race. Decided items never alert.

use crate::helpers::{SeedDecision, TestApp, run, seed_item, seed_user};
use app::model::Role;
use app::store::workflow::{self, Actor};
use moddesk::overdue::OverdueCheck;
use moddesk::relay::Clock;
use moddesk::relay::destination::RawDestination;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

const MINUTE: i64 = 60_000;

/// A clock the test moves by hand.
struct ManualClock(AtomicI64);

impl ManualClock {
    fn at(ms: i64) -> Arc<ManualClock> {
        Arc::new(ManualClock(AtomicI64::new(ms)))
    }

    fn advance(&self, by: i64) {
        self.0.fetch_add(by, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

fn destination(name: &str, events: &[&str], categories: &[&str]) -> RawDestination {
    RawDestination {
        name: name.into(),
        kind: "http".into(),
        url: "http://127.0.0.1:9/hook".into(),
        secret: Some(crate::helpers::SECRET.into()),
        events: events.iter().map(|e| e.to_string()).collect(),
        categories: categories.iter().map(|c| c.to_string()).collect(),
        min_score: None,
    }
}

/// An app with destinations: one for overdue alerts, one for everything about spam, one for
/// blocks only (no alerts), and one for spam with the default topics (which include alerts).
async fn app() -> TestApp {
    TestApp::with_config(|raw| {
        raw.public_url = "https://desk.example".into();
        raw.destination = vec![
            destination("alerts", &["review.overdue"], &[]),
            destination("spam-all", &["*"], &["spam"]),
            destination("blocks", &["moderation.blocked"], &[]),
            destination("default-spam", &[], &["spam"]),
        ];
    })
    .await
}

fn check(app: &TestApp, clock: &Arc<ManualClock>) -> OverdueCheck {
    OverdueCheck::new(
        app.pool.clone(),
        app.relay.clone(),
        app.settings.public_url.clone(),
        clock.clone(),
        Duration::from_secs(30),
    )
}

/// `(destination, reference_id)` of every overdue job, in order.
async fn alert_jobs(app: &TestApp) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT destination, reference_id FROM relay_jobs WHERE topic = 'review.overdue' \
         ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

#[test]
fn an_overdue_item_alerts_once_to_the_destinations_that_ask() {
    run(async {
        let app = app().await;
        let t0 = 1_800_000_000_000;
        let clock = ManualClock::at(t0);
        let due = t0 + 15 * MINUTE;
        let hate = seed_item(&app.pool, "post-hate", 0.9, &["hate"], t0, due, None).await;
        seed_item(
            &app.pool,
            "post-spam",
            0.7,
            &["Spam"],
            t0,
            due + MINUTE,
            None,
        )
        .await;

        let before_due = check(&app, &clock).run_once().await.unwrap();
        clock.advance(20 * MINUTE);
        let first = check(&app, &clock).run_once().await.unwrap();
        clock.advance(MINUTE);
        let again = check(&app, &clock).run_once().await.unwrap();
        // A new check on the same database: what a restart starts with.
        let restarted = check(&app, &ManualClock::at(t0 + 60 * MINUTE))
            .run_once()
            .await
            .unwrap();

        assert_eq!(before_due, 0);
        assert_eq!((first, again, restarted), (2, 0, 0));
        assert_eq!(
            alert_jobs(&app).await,
            [
                ("alerts".to_owned(), "post-hate".to_owned()),
                ("alerts".to_owned(), "post-spam".to_owned()),
                ("spam-all".to_owned(), "post-spam".to_owned()),
                ("default-spam".to_owned(), "post-spam".to_owned()),
            ]
        );
        let payload: serde_json::Value = serde_json::from_str(
            &app.text(
                "SELECT payload FROM relay_jobs WHERE reference_id = 'post-hate' \
                 AND topic = 'review.overdue'",
            )
            .await,
        )
        .unwrap();
        assert_eq!(payload["type"], "review.overdue");
        assert_eq!(payload["data"]["item_id"], hate);
        assert_eq!(payload["data"]["overdue_secs"], 5 * 60);
        assert_eq!(payload["data"]["categories"][0]["name"], "hate");
        assert_eq!(
            payload["data"]["url"],
            format!("https://desk.example/items/{hate}")
        );
        let history = app
            .text("SELECT detail FROM history WHERE kind = 'review.overdue' AND reference_id = 'post-hate'")
            .await;
        assert!(history.contains("overdue by 5m 0s"), "{history}");
        assert!(history.contains("alert queued for alerts"), "{history}");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind = 'review.overdue'")
                .await,
            2
        );
    })
}

#[test]
fn decided_items_never_alert_and_a_reopened_item_alerts_at_most_once() {
    run(async {
        let app = app().await;
        let t0 = 1_800_000_000_000;
        let clock = ManualClock::at(t0 + 60 * MINUTE);
        let alice = seed_user(&app.pool, "alice", Role::Manager).await;
        let decided = SeedDecision {
            decision: "approve",
            reason: "",
            note: "",
            by: alice,
            at: t0 + MINUTE,
        };
        seed_item(
            &app.pool,
            "decided",
            0.8,
            &["spam"],
            t0,
            t0 + 15 * MINUTE,
            Some(decided),
        )
        .await;
        let reopened = seed_item(
            &app.pool,
            "reopened",
            0.8,
            &["hate"],
            t0,
            t0 + 15 * MINUTE,
            None,
        )
        .await;
        let manager = Actor {
            id: alice,
            name: "alice",
            role: Role::Manager,
        };

        let first = check(&app, &clock).run_once().await.unwrap();
        let version = app
            .count(&format!(
                "SELECT version FROM review_items WHERE id = {reopened}"
            ))
            .await;
        let targets = [workflow::Target {
            item_id: reopened,
            version,
        }];
        let verdict = workflow::NewVerdict {
            targets: &targets,
            verdict: app::model::Verdict::Approve,
            reason: "",
            note: "",
            at: clock.now_ms(),
        };
        workflow::record_verdict(
            &app.pool,
            manager,
            verdict,
            &app.settings.workflow,
            &app.relay,
        )
        .await
        .unwrap();
        workflow::reopen(&app.pool, manager, reopened, "appeal", clock.now_ms())
            .await
            .unwrap();
        clock.advance(MINUTE);
        let after_reopening = check(&app, &clock).run_once().await.unwrap();

        assert_eq!(first, 1, "only the open item");
        assert_eq!(
            after_reopening, 0,
            "the item alerted before; reopening does not re-arm it"
        );
        assert_eq!(
            alert_jobs(&app).await,
            [("alerts".to_owned(), "reopened".to_owned())]
        );
    })
}

#[test]
fn two_checks_racing_queue_one_alert_per_item() {
    run(async {
        let app = app().await;
        let t0 = 1_800_000_000_000;
        for i in 0..450 {
            let due = t0 + i * 1_000;
            seed_item(
                &app.pool,
                &format!("post-{i:03}"),
                0.9,
                &["hate"],
                t0,
                due,
                None,
            )
            .await;
        }
        let clock = ManualClock::at(t0 + 60 * MINUTE);
        let (a, b) = (check(&app, &clock), check(&app, &clock));

        let (left, right) = tokio::join!(a.run_once(), b.run_once());

        assert_eq!(left.unwrap() + right.unwrap(), 450);
        let jobs = alert_jobs(&app).await;
        assert_eq!(jobs.len(), 450);
        let mut references: Vec<&String> = jobs.iter().map(|(_, r)| r).collect();
        references.dedup();
        assert_eq!(references.len(), 450, "one job per item");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM review_items WHERE overdue_alerted_at IS NULL")
                .await,
            0
        );
    })
}

#[test]
fn an_item_decided_before_its_due_time_and_reopened_late_alerts_once() {
    run(async {
        let app = app().await;
        let t0 = 1_800_000_000_000;
        let alice = seed_user(&app.pool, "alice", Role::Manager).await;
        let decided = SeedDecision {
            decision: "remove",
            reason: "spam",
            note: "",
            by: alice,
            at: t0 + MINUTE,
        };
        let item = seed_item(
            &app.pool,
            "late",
            0.8,
            &["hate"],
            t0,
            t0 + 15 * MINUTE,
            Some(decided),
        )
        .await;
        let clock = ManualClock::at(t0 + 60 * MINUTE);
        let manager = Actor {
            id: alice,
            name: "alice",
            role: Role::Manager,
        };

        let while_decided = check(&app, &clock).run_once().await.unwrap();
        workflow::reopen(&app.pool, manager, item, "appeal", clock.now_ms())
            .await
            .unwrap();
        let reopened = check(&app, &clock).run_once().await.unwrap();
        let again = check(&app, &clock).run_once().await.unwrap();

        assert_eq!((while_decided, reopened, again), (0, 1, 0));
    })
}
