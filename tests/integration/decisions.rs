//! The Decisions page and its CSV export: every filter narrows to exactly the decisions it
//! names, pages cover a long history once and in order, the CSV holds the same rows as all the
//! pages, formula-like cells are defused, and the export checks the session like the page.

use crate::dashboard::{PASSWORD, add_user_as, form_post, get_page, log_in};
use crate::helpers::{SeedDecision, TestApp, run, seed_item, seed_user};
use app::model::{DecisionFilter, DecisionRow, DecisionsView, Role};
use app::store::decisions::{self, Checked};
use app::store::{day_start_ms, format_rfc3339_ms};

use axum::http::{StatusCode, header};

const HOUR: i64 = 3_600_000;

fn day(text: &str) -> i64 {
    day_start_ms(text).unwrap()
}

/// Reference ids of the decisions `filter` matches, and how many the count says match.
async fn references(app: &TestApp, filter: &DecisionFilter) -> (Vec<String>, i64) {
    let checked = Checked::new(filter).unwrap();
    let page = decisions::page(&app.pool, &checked, 100).await.unwrap();
    let count = decisions::count(&app.pool, &checked).await.unwrap();
    (
        page.rows.into_iter().map(|r| r.reference_id).collect(),
        count,
    )
}

/// The records of a CSV body, header first.
fn records(body: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn every_filter_narrows_to_the_decisions_it_names() {
    run(async {
        let app = TestApp::new().await;
        let alice = seed_user(&app.pool, "alice", Role::Reviewer).await;
        let bob = seed_user(&app.pool, "bob", Role::Manager).await;
        let decided = |decision, by, at| {
            Some(SeedDecision {
                decision,
                reason: if decision == "remove" { "spam" } else { "" },
                note: "",
                by,
                at,
            })
        };
        let opened = day("2026-11-01");
        let due = opened + HOUR;
        let pool = &app.pool;
        let at = |d: &str, hours: i64| day(d) + hours * HOUR;
        seed_item(
            pool,
            "d1",
            0.55,
            &["spam"],
            opened,
            due,
            decided("approve", alice, at("2026-11-02", 10)),
        )
        .await;
        seed_item(
            pool,
            "d2",
            0.92,
            &["hate"],
            opened,
            due,
            decided("remove", alice, at("2026-11-03", 9)),
        )
        .await;
        let last_second = day("2026-11-04") - 1_000;
        seed_item(
            pool,
            "d3",
            0.81,
            &["spam", "Hate"],
            opened,
            due,
            decided("remove", bob, last_second),
        )
        .await;
        seed_item(
            pool,
            "d4",
            0.30,
            &["self-harm"],
            opened,
            due,
            decided("approve", bob, day("2026-11-04")),
        )
        .await;
        seed_item(
            pool,
            "d5",
            0.65,
            &["spam"],
            opened,
            due,
            decided("approve", alice, at("2026-11-05", 12)),
        )
        .await;
        seed_item(pool, "open", 0.9, &["spam", "hate"], opened, due, None).await;
        let f = |adjust: fn(&mut DecisionFilter)| {
            let mut filter = DecisionFilter::default();
            adjust(&mut filter);
            filter
        };
        let cases: Vec<(DecisionFilter, &[&str])> = vec![
            (f(|_| {}), &["d5", "d4", "d3", "d2", "d1"]),
            (f(|f| f.decision = "approve".into()), &["d5", "d4", "d1"]),
            (f(|f| f.decision = "remove".into()), &["d3", "d2"]),
            (f(|f| f.reviewer = "alice".into()), &["d5", "d2", "d1"]),
            (f(|f| f.reviewer = "BOB".into()), &["d4", "d3"]),
            (f(|f| f.reviewer = "nobody".into()), &[]),
            (f(|f| f.category = "hate".into()), &["d3", "d2"]),
            (f(|f| f.category = "SPAM".into()), &["d5", "d3", "d1"]),
            (f(|f| f.band = "high".into()), &["d3", "d2"]),
            (f(|f| f.band = "mid".into()), &["d5", "d1"]),
            (f(|f| f.band = "low".into()), &["d4"]),
            (
                f(|f| {
                    f.from = "2026-11-03".into();
                    f.to = "2026-11-03".into();
                }),
                &["d3", "d2"],
            ),
            (f(|f| f.from = "2026-11-04".into()), &["d5", "d4"]),
            (f(|f| f.to = "2026-11-03".into()), &["d3", "d2", "d1"]),
            (
                f(|f| {
                    f.decision = "remove".into();
                    f.reviewer = "alice".into();
                    f.category = "hate".into();
                    f.band = "high".into();
                    f.from = "2026-11-03".into();
                }),
                &["d2"],
            ),
        ];

        for (filter, expected) in cases {
            let (found, count) = references(&app, &filter).await;

            assert_eq!(found, expected, "{filter:?}");
            assert_eq!(count, expected.len() as i64, "{filter:?}");
        }
    })
}

/// Seeds `n` decisions in one statement: every fourth one approved by bob, the rest removed by
/// alice, three to a minute so the cursor must break ties by id.
async fn seed_many(app: &TestApp, n: i64, alice: i64, bob: i64) {
    let base = day("2026-11-10");
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
         INSERT INTO events (source, event_id, webhook_id, event_type, reference_id, action, \
            score, categories, created_at, received_at, body) \
         SELECT 'aegis', 'many_' || i, 'msg_many_' || i, 'moderation.review', \
            printf('many-%05d', i), 'review', (50 + i % 50) / 100.0, \
            '[{\"name\":\"spam\",\"score\":0.6}]', ?2, ?2, x'7b7d' FROM n",
    )
    .bind(n)
    .bind(base)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO event_categories (event_id, name) \
         SELECT id, 'spam' FROM events WHERE event_id LIKE 'many_%'",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO review_items (reference_id, event_id, status, opened_at, score, due_at, \
            decision, reason, note, decided_by, decided_at) \
         SELECT reference_id, id, 'resolved', received_at, score, received_at + 3600000, \
            CASE WHEN id % 4 = 0 THEN 'approve' ELSE 'remove' END, \
            CASE WHEN id % 4 = 0 THEN NULL ELSE 'spam' END, 'note ' || id, \
            CASE WHEN id % 4 = 0 THEN ?2 ELSE ?1 END, received_at + (id / 3) * 60000 \
         FROM events WHERE event_id LIKE 'many_%'",
    )
    .bind(alice)
    .bind(bob)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// Every page of `/api/resolved` for the form fields `form`, following the cursor.
async fn all_pages(app: &TestApp, form: &str, cookie: &str) -> (Vec<DecisionRow>, i64) {
    let mut rows = Vec::new();
    let mut after = String::new();
    loop {
        let body = format!("{form}&filter[after]={}", after.replace(':', "%3A"));
        let reply = app
            .send(form_post("/api/resolved", &body, Some(cookie)))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let view: DecisionsView = serde_json::from_str(&reply.body).unwrap();
        assert!(view.rows.len() <= 50);
        rows.extend(view.rows);
        match view.next {
            Some(next) => after = next,
            None => return (rows, view.matching),
        }
    }
}

#[test]
fn the_csv_holds_exactly_the_rows_of_all_the_pages() {
    run(async {
        let app = TestApp::new().await;
        add_user_as(&app, "alice", Role::Manager).await;
        let alice = app.count("SELECT id FROM users WHERE name = 'alice'").await;
        let bob = seed_user(&app.pool, "bob", Role::Reviewer).await;
        seed_many(&app, 1_234, alice, bob).await;
        let cookie = log_in(&app, "alice", PASSWORD).await.unwrap();
        let expected: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM review_items WHERE decision = 'remove' \
             ORDER BY decided_at DESC, id DESC",
        )
        .fetch_all(&app.pool)
        .await
        .unwrap();

        let (rows, matching) = all_pages(&app, "filter[decision]=remove", &cookie).await;
        let reply = app
            .send(get_page("/decisions.csv?decision=remove", Some(&cookie)))
            .await;

        let ids: Vec<i64> = rows.iter().map(|r| r.item_id).collect();
        assert_eq!(
            ids, expected,
            "the pages list every match once, newest first"
        );
        assert_eq!(matching, expected.len() as i64);
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(
            reply.headers[header::CONTENT_TYPE],
            "text/csv; charset=utf-8"
        );
        let disposition = reply.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(
            disposition.starts_with("attachment; filename=\"decisions-"),
            "{disposition}"
        );
        let records = records(&reply.body);
        assert_eq!(records[0], moddesk::http::decisions_csv::HEADER);
        let expected_cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| moddesk::http::decisions_csv::cells(r).to_vec())
            .collect();
        assert_eq!(records.len() - 1, expected_cells.len());
        for (i, (got, want)) in records[1..].iter().zip(&expected_cells).enumerate() {
            assert_eq!(got, want, "row {i}");
        }
        let first = &rows[0];
        assert_eq!(
            records[1][..8],
            [
                first.item_id.to_string(),
                first.reference_id.clone(),
                "remove".into(),
                "spam".into(),
                format!("note {}", first.item_id),
                "alice".into(),
                format_rfc3339_ms(first.decided_at_ms),
                (first.time_to_decision_ms / 1000).to_string(),
            ]
        );
    })
}

#[test]
fn cells_that_look_like_formulas_are_defused() {
    run(async {
        let app = TestApp::new().await;
        add_user_as(&app, "alice", Role::Manager).await;
        let evil = seed_user(&app.pool, "=evil()", Role::Reviewer).await;
        let notes = [
            "=HYPERLINK(\"https://evil.example\",\"x\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "\tindented",
            "\rreturn",
            "two lines,\nwith \"quotes\"",
        ];
        for (i, note) in notes.iter().enumerate() {
            let decision = SeedDecision {
                decision: "approve",
                reason: "",
                note,
                by: evil,
                at: 1_000_000 + i as i64,
            };
            seed_item(
                &app.pool,
                &format!("post-{i}"),
                0.6,
                &["spam"],
                0,
                0,
                Some(decision),
            )
            .await;
        }
        let cookie = log_in(&app, "alice", PASSWORD).await.unwrap();

        let reply = app.send(get_page("/decisions.csv", Some(&cookie))).await;

        assert_eq!(reply.status, StatusCode::OK);
        let records = records(&reply.body);
        let column = |name: &str| {
            let at = records[0].iter().position(|h| h == name).unwrap();
            records[1..]
                .iter()
                .map(|r| r[at].clone())
                .collect::<Vec<_>>()
        };
        let mut expected: Vec<String> = notes
            .iter()
            .map(|n| match n.chars().next() {
                Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{n}"),
                _ => n.to_string(),
            })
            .collect();
        expected.reverse();
        assert_eq!(column("note"), expected);
        assert!(column("reviewer").iter().all(|r| r == "'=evil()"));
    })
}

#[test]
fn the_export_checks_the_session_like_the_page() {
    run(async {
        let app = TestApp::new().await;
        add_user_as(&app, "alice", Role::Manager).await;
        add_user_as(&app, "rita", Role::Reviewer).await;
        let cookie = log_in(&app, "alice", PASSWORD).await.unwrap();
        let reviewer = log_in(&app, "rita", PASSWORD).await.unwrap();

        let anonymous = app.send(get_page("/decisions.csv", None)).await;
        let below = app.send(get_page("/decisions.csv", Some(&reviewer))).await;
        let bad_filter = app
            .send(get_page("/decisions.csv?from=yesterday", Some(&cookie)))
            .await;
        let allowed = app.send(get_page("/decisions.csv", Some(&cookie))).await;
        sqlx::query("UPDATE users SET disabled = 1, session_epoch = session_epoch + 1")
            .execute(&app.pool)
            .await
            .unwrap();
        let disabled = app.send(get_page("/decisions.csv", Some(&cookie))).await;

        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        assert!(anonymous.headers.get(header::CONTENT_DISPOSITION).is_none());
        assert_eq!(below.status, StatusCode::FORBIDDEN);
        assert!(below.headers.get(header::CONTENT_DISPOSITION).is_none());
        assert_eq!(bad_filter.status, StatusCode::BAD_REQUEST);
        assert!(bad_filter.body.contains("from date"), "{}", bad_filter.body);
        assert_eq!(allowed.status, StatusCode::OK);
        assert_eq!(records(&allowed.body).len(), 1, "the header row alone");
        assert_eq!(disabled.status, StatusCode::UNAUTHORIZED);
    })
}

#[test]
fn the_page_keeps_the_filter_in_its_links() {
    run(async {
        let app = TestApp::new().await;
        add_user_as(&app, "alice", Role::Manager).await;
        let alice = app.count("SELECT id FROM users WHERE name = 'alice'").await;
        seed_many(&app, 120, alice, alice).await;
        let cookie = log_in(&app, "alice", PASSWORD).await.unwrap();

        let reply = app
            .send(get_page(
                "/decisions?decision=remove&reviewer=alice&category=spam",
                Some(&cookie),
            ))
            .await;

        assert_eq!(reply.status, StatusCode::OK);
        let html = reply.body;
        assert!(
            html.contains(
                "href=\"/decisions.csv?decision=remove&amp;reviewer=alice&amp;category=spam\""
            ),
            "the export link carries the filter"
        );
        assert!(
            html.contains(
                "/decisions?decision=remove&amp;reviewer=alice&amp;category=spam&amp;after="
            ),
            "the next page keeps the filter"
        );
        assert!(
            html.contains("90 decisions match"),
            "three in four are removals"
        );
    })
}

#[test]
fn reviewers_see_decisions_without_the_export() {
    run(async {
        let app = TestApp::new().await;
        add_user_as(&app, "rita", Role::Reviewer).await;
        let rita = app.count("SELECT id FROM users WHERE name = 'rita'").await;
        seed_many(&app, 4, rita, rita).await;
        let cookie = log_in(&app, "rita", PASSWORD).await.unwrap();

        let reply = app.send(get_page("/decisions", Some(&cookie))).await;

        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.body.contains("4 decisions match"), "{}", reply.body);
        assert!(!reply.body.contains("/decisions.csv"), "no export link");
    })
}
