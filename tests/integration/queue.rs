//! Working the queue: claims, verdicts, bulk, undo, escalation, reopening, reveals, due times,
//! filters and paging. The rules are exercised through the store (exact states) and over HTTP
//! (statuses and messages people see).

use crate::dashboard::{PASSWORD, add_user_as, form_post, log_in};
use crate::helpers::{SECRET, TestApp, now, run};
use app::model::{QueueFilter, Role, Verdict};
use app::store::review::queue_page;
use app::store::workflow::{self, Actor, NewVerdict, Target, WorkflowError};
use axum::http::StatusCode;

/// Posts a review event for `reference` with `score` and `category`, created `minute` minutes
/// into the day (the upstream's clock orders events of one reference).
async fn review(app: &TestApp, id: &str, reference: &str, score: f64, category: &str, minute: u32) {
    let body = serde_json::json!({
        "id": id,
        "type": "moderation.review",
        "created_at": format!("2026-12-03T10:{:02}:00Z", minute % 60),
        "data": {
            "reference_id": reference,
            "score": score,
            "action": "review",
            "categories": [{"name": category, "score": score}],
            "content": {"kind": "comment", "excerpt": format!("excerpt of {reference}")}
        }
    })
    .to_string();
    let reply = app.deliver_signed(SECRET, id, now(), &body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

/// A user row without a usable password, for store-level tests.
async fn person(app: &TestApp, name: &str, role: Role) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO users (name, password_hash, role, created_at) VALUES (?, 'x', ?, 0) \
         RETURNING id",
    )
    .bind(name)
    .bind(role.as_str())
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

fn actor(id: i64, name: &str, role: Role) -> Actor<'_> {
    Actor { id, name, role }
}

async fn item_id(app: &TestApp, reference: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM review_items WHERE reference_id = ? AND status = 'open'")
        .bind(reference)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn target(app: &TestApp, reference: &str) -> Target {
    let (item_id, version): (i64, i64) = sqlx::query_as(
        "SELECT id, version FROM review_items WHERE reference_id = ? AND status = 'open'",
    )
    .bind(reference)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    Target { item_id, version }
}

async fn verdict(
    app: &TestApp,
    who: Actor<'_>,
    targets: &[Target],
    verdict: Verdict,
    reason: &str,
) -> Result<workflow::Recorded, WorkflowError> {
    let new = NewVerdict {
        targets,
        verdict,
        reason,
        note: "",
        at: app::store::now_ms(),
    };
    workflow::record_verdict(&app.pool, who, new, &app.settings.workflow, &app.relay).await
}

#[test]
fn next_item_hands_out_the_most_urgent_unclaimed_item() {
    run(async {
        let app = TestApp::new().await;
        review(&app, "e1", "low-spam", 0.55, "spam", 1).await;
        review(&app, "e2", "high-spam", 0.95, "spam", 2).await;
        review(&app, "e3", "self-harm", 0.60, "self-harm", 3).await;
        let alice = person(&app, "alice", Role::Reviewer).await;
        let bob = person(&app, "bob", Role::Reviewer).await;
        let carol = person(&app, "carol", Role::Reviewer).await;
        let dave = person(&app, "dave", Role::Reviewer).await;
        // The spam items fall due in the same minute, wherever the clock's minute turned.
        sqlx::query(
            "UPDATE review_items SET due_at = 4102444800000 WHERE reference_id LIKE '%spam'",
        )
        .execute(&app.pool)
        .await
        .unwrap();
        let w = &app.settings.workflow;
        let t = app::store::now_ms();

        let first = workflow::claim_next(&app.pool, actor(alice, "alice", Role::Reviewer), t, w)
            .await
            .unwrap();
        let again = workflow::claim_next(&app.pool, actor(alice, "alice", Role::Reviewer), t, w)
            .await
            .unwrap();
        let second = workflow::claim_next(&app.pool, actor(bob, "bob", Role::Reviewer), t, w)
            .await
            .unwrap();
        let third = workflow::claim_next(&app.pool, actor(carol, "carol", Role::Reviewer), t, w)
            .await
            .unwrap();
        let none = workflow::claim_next(&app.pool, actor(dave, "dave", Role::Reviewer), t, w)
            .await
            .unwrap();
        let after_expiry = workflow::claim_next(
            &app.pool,
            actor(dave, "dave", Role::Reviewer),
            t + w.claim_ms + 1,
            w,
        )
        .await
        .unwrap();

        assert_eq!(
            first,
            Some(item_id(&app, "self-harm").await),
            "self-harm is due in 15 minutes"
        );
        assert_eq!(again, first, "a reviewer keeps the item they hold");
        assert_eq!(
            second,
            Some(item_id(&app, "high-spam").await),
            "then the higher score"
        );
        assert_eq!(third, Some(item_id(&app, "low-spam").await));
        assert_eq!(none, None, "everything is held");
        assert_eq!(after_expiry, first, "an expired claim frees the item");
    })
}

#[test]
fn concurrent_claims_never_share_an_item() {
    run(async {
        let app = TestApp::new().await;
        for i in 0..20 {
            review(&app, &format!("e{i}"), &format!("post-{i}"), 0.7, "spam", i).await;
        }
        let mut people = Vec::new();
        for i in 0..20 {
            people.push(person(&app, &format!("r{i}"), Role::Reviewer).await);
        }

        let claims = futures::future::join_all(people.iter().map(|&id| {
            let pool = app.pool.clone();
            let w = app.settings.workflow.clone();
            async move {
                let name = format!("r{id}");
                workflow::claim_next(
                    &pool,
                    actor(id, &name, Role::Reviewer),
                    app::store::now_ms(),
                    &w,
                )
                .await
                .unwrap()
            }
        }))
        .await;

        let mut got: Vec<i64> = claims
            .into_iter()
            .map(|c| c.expect("an item for everyone"))
            .collect();
        got.sort_unstable();
        got.dedup();
        assert_eq!(got.len(), 20, "twenty reviewers, twenty different items");
    })
}

#[test]
fn a_verdict_is_refused_when_someone_else_holds_the_item_or_it_changed() {
    run(async {
        let app = TestApp::new().await;
        review(&app, "e1", "post-1", 0.7, "spam", 1).await;
        let alice = person(&app, "alice", Role::Reviewer).await;
        let bob = person(&app, "bob", Role::Reviewer).await;
        let seen = target(&app, "post-1").await;
        workflow::claim(
            &app.pool,
            actor(alice, "alice", Role::Reviewer),
            seen.item_id,
            app::store::now_ms(),
            &app.settings.workflow,
        )
        .await
        .unwrap();

        let held = verdict(
            &app,
            actor(bob, "bob", Role::Reviewer),
            &[seen],
            Verdict::Approve,
            "",
        )
        .await;
        review(&app, "e2", "post-1", 0.9, "spam", 5).await; // a newer event for the same content
        let stale = verdict(
            &app,
            actor(alice, "alice", Role::Reviewer),
            &[seen],
            Verdict::Approve,
            "",
        )
        .await;
        let fresh = target(&app, "post-1").await;
        let current = verdict(
            &app,
            actor(alice, "alice", Role::Reviewer),
            &[fresh],
            Verdict::Approve,
            "",
        )
        .await;

        match held {
            Err(WorkflowError::Conflict(message)) => {
                assert!(message.contains("alice"), "{message}")
            }
            other => panic!("expected a conflict naming alice, got {other:?}"),
        }
        match stale {
            Err(WorkflowError::Conflict(message)) => {
                assert!(message.contains("changed"), "{message}")
            }
            other => panic!("expected a stale-view conflict, got {other:?}"),
        }
        assert!(current.is_ok(), "{current:?}");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind = 'review.decided'")
                .await,
            1
        );
    })
}

#[test]
fn remove_needs_a_known_reason_code() {
    run(async {
        let app = TestApp::new().await;
        review(&app, "e1", "post-1", 0.7, "spam", 1).await;
        let alice = person(&app, "alice", Role::Reviewer).await;
        let t = target(&app, "post-1").await;
        let who = actor(alice, "alice", Role::Reviewer);

        let missing = verdict(&app, who, &[t], Verdict::Remove, "").await;
        let unknown = verdict(&app, who, &[t], Verdict::Remove, "ugly").await;
        let known = verdict(&app, who, &[t], Verdict::Remove, "spam").await;

        assert!(
            matches!(missing, Err(WorkflowError::Invalid(_))),
            "{missing:?}"
        );
        assert!(
            matches!(unknown, Err(WorkflowError::Invalid(_))),
            "{unknown:?}"
        );
        assert!(known.is_ok(), "{known:?}");
        assert_eq!(app.text("SELECT reason FROM review_items").await, "spam");
    })
}

#[test]
fn a_bulk_verdict_is_all_or_nothing_and_one_undo_restores_it() {
    run(async {
        let app = TestApp::new().await;
        for i in 0..3 {
            review(&app, &format!("e{i}"), &format!("post-{i}"), 0.7, "spam", i).await;
        }
        let alice = person(&app, "alice", Role::Reviewer).await;
        let bob = person(&app, "bob", Role::Reviewer).await;
        let who = actor(alice, "alice", Role::Reviewer);
        let targets = vec![
            target(&app, "post-0").await,
            target(&app, "post-1").await,
            target(&app, "post-2").await,
        ];
        workflow::claim(
            &app.pool,
            actor(bob, "bob", Role::Reviewer),
            targets[2].item_id,
            app::store::now_ms(),
            &app.settings.workflow,
        )
        .await
        .unwrap();

        let refused = verdict(&app, who, &targets, Verdict::Remove, "spam").await;
        let open_after_refusal = app
            .count("SELECT COUNT(*) FROM review_items WHERE status = 'open'")
            .await;
        let done = verdict(&app, who, &targets[..2], Verdict::Remove, "spam")
            .await
            .unwrap();
        let offer = workflow::undo_offer(&app.pool, alice, app::store::now_ms())
            .await
            .unwrap();
        let restored = workflow::undo(
            &app.pool,
            who,
            None,
            app::store::now_ms(),
            &app.settings.workflow,
        )
        .await
        .unwrap();
        let twice = workflow::undo(
            &app.pool,
            who,
            Some(done.batch),
            app::store::now_ms(),
            &app.settings.workflow,
        )
        .await;

        assert!(
            matches!(refused, Err(WorkflowError::Conflict(_))),
            "{refused:?}"
        );
        assert_eq!(open_after_refusal, 3, "nothing was decided");
        assert_eq!(
            offer.map(|o| o.summary),
            Some("You removed 2 items.".into())
        );
        assert_eq!(restored.len(), 2);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM review_items WHERE status = 'open'")
                .await,
            3
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM review_items WHERE claimed_by = {alice}"
            ))
            .await,
            2,
            "undone items go back to the one who decided them"
        );
        assert!(
            matches!(twice, Err(WorkflowError::Conflict(_))),
            "{twice:?}"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind = 'review.undone'")
                .await,
            2
        );
    })
}

#[test]
fn undo_ends_with_its_window() {
    run(async {
        let app = TestApp::new().await;
        review(&app, "e1", "post-1", 0.7, "spam", 1).await;
        let alice = person(&app, "alice", Role::Reviewer).await;
        let who = actor(alice, "alice", Role::Reviewer);
        verdict(
            &app,
            who,
            &[target(&app, "post-1").await],
            Verdict::Approve,
            "",
        )
        .await
        .unwrap();
        let later = app::store::now_ms() + app.settings.workflow.undo_ms + 1;

        let late = workflow::undo(&app.pool, who, None, later, &app.settings.workflow).await;

        assert!(
            matches!(late, Err(WorkflowError::Conflict(ref m)) if m.contains("passed")),
            "{late:?}"
        );
        assert_eq!(
            workflow::undo_offer(&app.pool, alice, later).await.unwrap(),
            None
        );
        assert_eq!(
            app.text("SELECT status FROM review_items").await,
            "resolved"
        );
    })
}

#[test]
fn escalated_items_are_for_managers() {
    run(async {
        let app = TestApp::new().await;
        review(&app, "e1", "post-1", 0.7, "spam", 1).await;
        let alice = person(&app, "alice", Role::Reviewer).await;
        let mia = person(&app, "mia", Role::Manager).await;
        let reviewer = actor(alice, "alice", Role::Reviewer);
        let manager = actor(mia, "mia", Role::Manager);
        verdict(
            &app,
            reviewer,
            &[target(&app, "post-1").await],
            Verdict::Escalate,
            "",
        )
        .await
        .unwrap();
        let t = target(&app, "post-1").await;
        let w = &app.settings.workflow;

        let reviewer_decides = verdict(&app, reviewer, &[t], Verdict::Approve, "").await;
        let reviewer_next = workflow::claim_next(&app.pool, reviewer, app::store::now_ms(), w)
            .await
            .unwrap();
        let manager_next = workflow::claim_next(&app.pool, manager, app::store::now_ms(), w)
            .await
            .unwrap();
        let manager_decides = verdict(&app, manager, &[t], Verdict::Approve, "").await;

        assert!(
            matches!(reviewer_decides, Err(WorkflowError::Forbidden(_))),
            "{reviewer_decides:?}"
        );
        assert_eq!(
            reviewer_next, None,
            "reviewers are not handed escalated items"
        );
        assert_eq!(manager_next, Some(t.item_id));
        assert!(manager_decides.is_ok(), "{manager_decides:?}");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind = 'review.escalated'")
                .await,
            1
        );
    })
}

#[test]
fn managers_reopen_with_a_reason_unless_newer_work_is_open() {
    run(async {
        let app = TestApp::new().await;
        review(&app, "e1", "post-1", 0.7, "spam", 1).await;
        let alice = person(&app, "alice", Role::Reviewer).await;
        let mia = person(&app, "mia", Role::Manager).await;
        let id = item_id(&app, "post-1").await;
        verdict(
            &app,
            actor(alice, "alice", Role::Reviewer),
            &[target(&app, "post-1").await],
            Verdict::Remove,
            "spam",
        )
        .await
        .unwrap();
        let manager = actor(mia, "mia", Role::Manager);
        let t = app::store::now_ms();

        let by_reviewer = workflow::reopen(
            &app.pool,
            actor(alice, "alice", Role::Reviewer),
            id,
            "oops",
            t,
        )
        .await;
        let without_reason = workflow::reopen(&app.pool, manager, id, "  ", t).await;
        let reopened = workflow::reopen(&app.pool, manager, id, "the user appealed", t).await;
        verdict(
            &app,
            manager,
            &[target(&app, "post-1").await],
            Verdict::Approve,
            "",
        )
        .await
        .unwrap();
        review(&app, "e2", "post-1", 0.8, "spam", 9).await; // new content: a new open item
        let blocked = workflow::reopen(&app.pool, manager, id, "again", t).await;

        assert!(
            matches!(by_reviewer, Err(WorkflowError::Forbidden(_))),
            "{by_reviewer:?}"
        );
        assert!(
            matches!(without_reason, Err(WorkflowError::Invalid(_))),
            "{without_reason:?}"
        );
        assert_eq!(reopened.unwrap(), "post-1");
        assert!(
            matches!(blocked, Err(WorkflowError::Conflict(_))),
            "{blocked:?}"
        );
        let detail = app
            .text("SELECT detail FROM history WHERE kind = 'review.reopened'")
            .await;
        assert!(
            detail.contains("was remove (spam): the user appealed"),
            "{detail}"
        );
    })
}

/// An app with one `http` destination for `review.resolved` (never reached: the tests look at
/// the queued jobs).
async fn relaying_decisions() -> TestApp {
    TestApp::with_config(|c| {
        c.destination = vec![moddesk::relay::destination::RawDestination {
            name: "product".into(),
            kind: "http".into(),
            url: "http://127.0.0.1:9/hook".into(),
            secret: Some("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".into()),
            events: vec!["review.resolved".into()],
            categories: vec![],
            min_score: None,
        }];
    })
    .await
}

#[test]
fn decisions_are_relayed_only_after_the_undo_window_and_undo_withdraws_them() {
    run(async {
        let app = relaying_decisions().await;
        review(&app, "e1", "post-1", 0.7, "spam", 1).await;
        let alice = person(&app, "alice", Role::Reviewer).await;
        let who = actor(alice, "alice", Role::Reviewer);

        let done = verdict(
            &app,
            who,
            &[target(&app, "post-1").await],
            Verdict::Approve,
            "",
        )
        .await
        .unwrap();
        let next_at = app.count("SELECT next_at FROM relay_jobs").await;
        workflow::undo(
            &app.pool,
            who,
            None,
            app::store::now_ms(),
            &app.settings.workflow,
        )
        .await
        .unwrap();

        assert!(done.relayed);
        assert_eq!(
            next_at, done.undo_until,
            "held back until the undo window closes"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM relay_jobs").await,
            0,
            "withdrawn by the undo"
        );
    })
}

#[test]
fn reopening_inside_the_undo_window_withdraws_only_that_items_message() {
    run(async {
        let app = relaying_decisions().await;
        review(&app, "e1", "post-1", 0.7, "spam", 1).await;
        review(&app, "e2", "post-2", 0.7, "spam", 1).await;
        let alice = person(&app, "alice", Role::Reviewer).await;
        let mona = person(&app, "mona", Role::Manager).await;
        verdict(
            &app,
            actor(alice, "alice", Role::Reviewer),
            &[target(&app, "post-1").await, target(&app, "post-2").await],
            Verdict::Remove,
            "spam",
        )
        .await
        .unwrap();
        let reopened = app
            .count("SELECT id FROM review_items WHERE reference_id = 'post-1'")
            .await;

        workflow::reopen(
            &app.pool,
            actor(mona, "mona", Role::Manager),
            reopened,
            "appeal upheld",
            app::store::now_ms(),
        )
        .await
        .unwrap();

        assert_eq!(
            app.text("SELECT group_concat(reference_id) FROM relay_jobs")
                .await,
            "post-2",
            "the other item's decision still stands"
        );
        let detail = app
            .text("SELECT detail FROM history WHERE kind = 'review.reopened'")
            .await;
        assert!(
            detail.contains("unsent decision message was withdrawn"),
            "{detail}"
        );
    })
}

#[test]
fn sensitive_content_is_withheld_until_revealed_and_reveals_are_recorded() {
    run(async {
        let app = TestApp::new().await;
        add_user_as(&app, "alice", Role::Reviewer).await;
        review(&app, "e1", "post-1", 0.7, "self-harm", 1).await;
        let id = item_id(&app, "post-1").await;
        let cookie = log_in(&app, "alice", PASSWORD).await.unwrap();

        let queue = app
            .send(form_post("/api/open_queue", "", Some(&cookie)))
            .await;
        let item = app
            .send(form_post(
                "/api/review_item",
                &format!("id={id}"),
                Some(&cookie),
            ))
            .await;
        let page = app
            .send(
                axum::http::Request::get(format!("/items/{id}"))
                    .header(axum::http::header::COOKIE, &cookie)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        let revealed = app
            .send(form_post(
                "/api/reveal",
                &format!("item_id={id}"),
                Some(&cookie),
            ))
            .await;

        for (what, reply) in [("queue", &queue), ("item", &item), ("page", &page)] {
            assert_eq!(reply.status, StatusCode::OK, "{what}: {}", reply.body);
            assert!(
                !reply.body.contains("excerpt of post-1"),
                "{what} shows the excerpt"
            );
        }
        assert!(page.body.contains("Reveal sensitive content"));
        assert_eq!(revealed.status, StatusCode::OK, "{}", revealed.body);
        assert!(revealed.body.contains("excerpt of post-1"));
        assert_eq!(
            app.text("SELECT actor FROM history WHERE kind = 'review.revealed'")
                .await,
            "alice"
        );
    })
}

#[test]
fn due_times_follow_the_categories() {
    run(async {
        let app = TestApp::new().await;
        review(&app, "e1", "urgent", 0.7, "self-harm", 1).await;
        review(&app, "e2", "routine", 0.7, "spam", 2).await;

        let urgent = app
            .count("SELECT due_at - opened_at FROM review_items WHERE reference_id = 'urgent'")
            .await;
        let routine = app
            .count("SELECT due_at - opened_at FROM review_items WHERE reference_id = 'routine'")
            .await;

        assert_eq!(urgent, 15 * 60_000);
        assert_eq!(routine, 24 * 3_600_000);
    })
}

#[test]
fn filters_narrow_the_queue_and_pages_cover_it_once() {
    run(async {
        let app = TestApp::new().await;
        for i in 0..120u32 {
            let category = if i % 3 == 0 { "hate" } else { "spam" };
            let score = 0.3 + f64::from(i % 7) * 0.1;
            review(
                &app,
                &format!("e{i}"),
                &format!("post-{i:03}"),
                score,
                category,
                i,
            )
            .await;
        }
        let alice = person(&app, "alice", Role::Reviewer).await;
        workflow::claim(
            &app.pool,
            actor(alice, "alice", Role::Reviewer),
            item_id(&app, "post-007").await,
            app::store::now_ms(),
            &app.settings.workflow,
        )
        .await
        .unwrap();
        let w = &app.settings.workflow;
        let now = app::store::now_ms();
        let page = |filter: QueueFilter| {
            let pool = app.pool.clone();
            async move { queue_page(&pool, &filter, alice, now, w).await.unwrap() }
        };

        let hate = page(QueueFilter {
            category: "hate".into(),
            ..Default::default()
        })
        .await;
        let high = page(QueueFilter {
            band: "high".into(),
            ..Default::default()
        })
        .await;
        let mine = page(QueueFilter {
            claimed: "mine".into(),
            ..Default::default()
        })
        .await;
        let prefix = page(QueueFilter {
            reference: "post-01".into(),
            ..Default::default()
        })
        .await;
        let bad = queue_page(
            &app.pool,
            &QueueFilter {
                band: "huge".into(),
                ..Default::default()
            },
            alice,
            now,
            w,
        )
        .await;
        for sort in ["", "newest", "oldest", "score"] {
            let mut seen = Vec::new();
            let mut after = String::new();
            loop {
                let p = page(QueueFilter {
                    sort: sort.into(),
                    after: after.clone(),
                    ..Default::default()
                })
                .await;
                seen.extend(p.rows.iter().map(|r| r.id));
                match p.next {
                    Some(next) => after = next,
                    None => break,
                }
            }
            let mut unique = seen.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(
                (seen.len(), unique.len()),
                (120, 120),
                "sort {sort:?} pages cover every item once"
            );
        }

        assert_eq!(hate.matching, 40);
        assert!(hate.rows.iter().all(|r| r.categories[0].name == "hate"));
        assert!(high.rows.iter().all(|r| r.score >= 0.8) && high.matching > 0);
        assert_eq!(mine.rows.len(), 1);
        assert!(mine.rows[0].claim.as_ref().is_some_and(|c| c.mine));
        assert_eq!(prefix.matching, 10, "post-010 to post-019");
        assert!(bad.is_err());
    })
}

#[test]
fn conflicts_over_http_say_who_holds_the_item() {
    run(async {
        let app = TestApp::new().await;
        add_user_as(&app, "alice", Role::Reviewer).await;
        add_user_as(&app, "bob", Role::Reviewer).await;
        review(&app, "e1", "post-1", 0.7, "spam", 1).await;
        let id = item_id(&app, "post-1").await;
        let alice = log_in(&app, "alice", PASSWORD).await.unwrap();
        let bob = log_in(&app, "bob", PASSWORD).await.unwrap();

        let next = app
            .send(form_post("/api/claim_next", "", Some(&alice)))
            .await;
        let bobs = app
            .send(form_post(
                "/api/decide",
                &format!("item_id={id}&version=1&verdict=approve"),
                Some(&bob),
            ))
            .await;
        let bob_claims = app
            .send(form_post(
                "/api/claim_item",
                &format!("item_id={id}"),
                Some(&bob),
            ))
            .await;
        let alices = app
            .send(form_post(
                "/api/decide",
                &format!("item_id={id}&version=1&verdict=approve"),
                Some(&alice),
            ))
            .await;
        let bulk_bad = app
            .send(form_post(
                "/api/decide_bulk",
                "items=1:x&verdict=approve",
                Some(&alice),
            ))
            .await;

        assert!(
            next.status.is_success() || next.status.is_redirection(),
            "{}",
            next.status
        );
        assert_eq!(
            next.headers.get("location").and_then(|l| l.to_str().ok()),
            Some(format!("/items/{id}").as_str())
        );
        assert_eq!(bobs.status, StatusCode::CONFLICT, "{}", bobs.body);
        assert!(bobs.body.contains("alice"), "{}", bobs.body);
        assert_eq!(
            bob_claims.status,
            StatusCode::CONFLICT,
            "{}",
            bob_claims.body
        );
        assert!(
            alices.status.is_success() || alices.status.is_redirection(),
            "{}",
            alices.body
        );
        assert_eq!(
            bulk_bad.status,
            StatusCode::BAD_REQUEST,
            "{}",
            bulk_bad.body
        );
    })
}

#[test]
fn undo_is_refused_while_someone_else_holds_an_item_and_only_for_the_latest_decision() {
    run(async {
        let app = TestApp::new().await;
        review(&app, "e1", "post-1", 0.7, "spam", 1).await;
        review(&app, "e2", "post-2", 0.7, "spam", 2).await;
        let alice = person(&app, "alice", Role::Reviewer).await;
        let mia = person(&app, "mia", Role::Manager).await;
        let reviewer = actor(alice, "alice", Role::Reviewer);
        let w = &app.settings.workflow;
        let first = verdict(
            &app,
            reviewer,
            &[target(&app, "post-1").await],
            Verdict::Escalate,
            "",
        )
        .await
        .unwrap();
        workflow::claim(
            &app.pool,
            actor(mia, "mia", Role::Manager),
            item_id(&app, "post-1").await,
            app::store::now_ms(),
            w,
        )
        .await
        .unwrap();

        let while_held = workflow::undo(&app.pool, reviewer, None, app::store::now_ms(), w).await;
        verdict(
            &app,
            reviewer,
            &[target(&app, "post-2").await],
            Verdict::Approve,
            "",
        )
        .await
        .unwrap();
        let older = workflow::undo(
            &app.pool,
            reviewer,
            Some(first.batch),
            app::store::now_ms(),
            w,
        )
        .await;

        assert!(
            matches!(while_held, Err(WorkflowError::Conflict(ref m)) if m.contains("mia")),
            "{while_held:?}"
        );
        assert!(
            matches!(older, Err(WorkflowError::Conflict(ref m)) if m.contains("latest")),
            "{older:?}"
        );
        assert_eq!(
            app.count("SELECT claimed_by FROM review_items WHERE reference_id = 'post-1'")
                .await,
            mia,
            "the manager keeps the item"
        );
    })
}

#[test]
fn a_reopened_decision_is_no_longer_offered_for_undo() {
    run(async {
        let app = TestApp::new().await;
        review(&app, "e1", "post-1", 0.7, "spam", 1).await;
        let mia = person(&app, "mia", Role::Manager).await;
        let manager = actor(mia, "mia", Role::Manager);
        let id = item_id(&app, "post-1").await;
        verdict(
            &app,
            manager,
            &[target(&app, "post-1").await],
            Verdict::Remove,
            "spam",
        )
        .await
        .unwrap();

        workflow::reopen(&app.pool, manager, id, "second look", app::store::now_ms())
            .await
            .unwrap();

        assert_eq!(
            workflow::undo_offer(&app.pool, mia, app::store::now_ms())
                .await
                .unwrap(),
            None
        );
    })
}

#[test]
fn a_late_older_event_never_reopens_decided_content() {
    run(async {
        let app = TestApp::new().await;
        review(&app, "e1", "post-1", 0.7, "spam", 30).await;
        let alice = person(&app, "alice", Role::Reviewer).await;
        verdict(
            &app,
            actor(alice, "alice", Role::Reviewer),
            &[target(&app, "post-1").await],
            Verdict::Approve,
            "",
        )
        .await
        .unwrap();

        review(&app, "e0", "post-1", 0.9, "spam", 10).await; // older, arriving late
        let after_older = app
            .count("SELECT COUNT(*) FROM review_items WHERE status = 'open'")
            .await;
        review(&app, "e2", "post-1", 0.9, "spam", 45).await; // newer content
        let after_newer = app
            .count("SELECT COUNT(*) FROM review_items WHERE status = 'open'")
            .await;

        assert_eq!(after_older, 0, "the older event is only in the timeline");
        assert_eq!(after_newer, 1, "newer content is reviewed again");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind = 'event.received' AND reference_id = 'post-1'").await,
            3
        );
    })
}

#[test]
fn category_names_are_compared_without_case() {
    run(async {
        let app = TestApp::new().await;
        review(&app, "e1", "post-1", 0.7, "Self-Harm", 1).await;
        let alice = person(&app, "alice", Role::Reviewer).await;
        let w = &app.settings.workflow;
        let now = app::store::now_ms();

        let page = queue_page(&app.pool, &QueueFilter::default(), alice, now, w)
            .await
            .unwrap();
        let filtered = queue_page(
            &app.pool,
            &QueueFilter {
                category: "self-harm".into(),
                ..Default::default()
            },
            alice,
            now,
            w,
        )
        .await
        .unwrap();

        assert!(
            page.rows[0].sensitive && page.rows[0].excerpt.is_none(),
            "withheld"
        );
        assert_eq!(
            page.rows[0].due_at_ms - page.rows[0].opened_at_ms,
            15 * 60_000
        );
        assert_eq!(filtered.matching, 1);
    })
}

#[test]
fn reviewers_are_told_why_an_escalated_item_is_not_theirs() {
    run(async {
        let app = TestApp::new().await;
        add_user_as(&app, "alice", Role::Reviewer).await;
        review(&app, "e1", "post-1", 0.7, "spam", 1).await;
        let id = item_id(&app, "post-1").await;
        let cookie = log_in(&app, "alice", PASSWORD).await.unwrap();
        app.send(form_post(
            "/api/decide",
            &format!("item_id={id}&version=1&verdict=escalate"),
            Some(&cookie),
        ))
        .await;

        let reply = app
            .send(form_post(
                "/api/decide",
                &format!("item_id={id}&version=2&verdict=approve"),
                Some(&cookie),
            ))
            .await;
        let with_reason = app
            .send(form_post(
                "/api/decide",
                &format!("item_id={id}&version=2&verdict=escalate&reason=spam"),
                Some(&cookie),
            ))
            .await;

        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
        assert!(
            reply.body.contains("a manager decides it"),
            "{}",
            reply.body
        );
        assert_eq!(
            with_reason.status,
            StatusCode::BAD_REQUEST,
            "{}",
            with_reason.body
        );
    })
}
