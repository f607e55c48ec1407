//! The history: its hash chain (tampering found and named, concurrent writers, older entries
//! sealed), the History page's filters and chain banner, the CSV export, destination changes
//! recorded at start, and `moddesk audit verify`.

use crate::dashboard::{PASSWORD, add_user_as, form_post, get_page, log_in};
use crate::helpers::{SECRET, TestApp, run};
use app::model::{HistoryView, Role};
use app::store::chain::{self, Break, Content, Verdict};
use app::store::history::{self, NewEntry};

use axum::http::{StatusCode, header};
use moddesk::relay::destination::RawDestination;
use std::process::Command;

/// An entry by `actor` of `kind` at `at` (Unix ms).
fn entry<'a>(
    at: i64,
    actor: &'a str,
    kind: &'a str,
    reference_id: Option<&'a str>,
) -> NewEntry<'a> {
    NewEntry {
        at,
        actor,
        kind,
        reference_id,
        detail: format!("{actor} did {kind}"),
    }
}

/// Appends `n` entries by `tester`, one transaction each.
async fn add_entries(app: &TestApp, n: usize) {
    for i in 0..n {
        let at = 1_000 + i as i64;
        history::record(&app.pool, entry(at, "tester", history::kind::LOGIN, None))
            .await
            .unwrap();
    }
}

/// What someone with the database file can do first.
async fn drop_triggers(app: &TestApp) {
    for trigger in ["history_no_update", "history_no_delete", "history_chains"] {
        sqlx::query(&format!("DROP TRIGGER {trigger}"))
            .execute(&app.pool)
            .await
            .unwrap();
    }
}

async fn verdict(app: &TestApp) -> Verdict {
    chain::verify(&app.pool, None).await.unwrap()
}

async fn exec(app: &TestApp, sql: &str) {
    sqlx::query(sql).execute(&app.pool).await.unwrap();
}

fn broken(verdict: &Verdict) -> (&Break, u64) {
    match verdict {
        Verdict::Broken { problem, checked } => (problem, *checked),
        Verdict::Verified(_) => panic!("the chain verified"),
    }
}

#[test]
fn entries_from_every_writer_form_one_chain() {
    run(async {
        let app = TestApp::new().await;
        add_user_as(&app, "max", Role::Manager).await;
        app.deliver_review("evt_1", "post_1").await;
        app.deliver_review("evt_2", "post_2").await;

        log_in(&app, "max", PASSWORD).await.unwrap();
        log_in(&app, "max", "wrong password").await;

        let total = app.count("SELECT COUNT(*) FROM history").await;
        assert_eq!(total, 5, "created, 2 received, login, failed login");
        let Verdict::Verified(checkpoint) = verdict(&app).await else {
            panic!("the chain does not verify");
        };
        assert_eq!(checkpoint.entries, 5);
        assert_eq!(checkpoint.id, 5);
        assert_eq!(
            checkpoint.hash,
            app.text("SELECT hash FROM history WHERE id = 5").await
        );
    })
}

#[test]
fn a_changed_entry_is_named() {
    run(async {
        let app = TestApp::new().await;
        add_entries(&app, 5).await;
        drop_triggers(&app).await;

        exec(
            &app,
            "UPDATE history SET detail = 'nothing happened' WHERE id = 3",
        )
        .await;

        let verdict = verdict(&app).await;
        assert_eq!(broken(&verdict), (&Break::Changed { id: 3 }, 2));
        assert_eq!(
            verdict.to_string(),
            "History chain broken at entry 3: entry 3 was changed: its content does not match \
             its hash (2 entries before it verified)"
        );
    })
}

#[test]
fn a_removed_entry_is_named() {
    run(async {
        let app = TestApp::new().await;
        add_entries(&app, 5).await;
        drop_triggers(&app).await;

        exec(&app, "DELETE FROM history WHERE id = 3").await;

        let verdict = verdict(&app).await;
        let (problem, checked) = broken(&verdict);
        assert_eq!(
            problem,
            &Break::Removed {
                after: 2,
                before: 4
            }
        );
        assert_eq!(checked, 2);
        assert!(
            verdict
                .to_string()
                .contains("an entry between 2 and 4 was removed"),
            "{verdict}"
        );
    })
}

#[test]
fn removing_the_first_entries_is_named() {
    run(async {
        let app = TestApp::new().await;
        add_entries(&app, 4).await;
        drop_triggers(&app).await;

        exec(&app, "DELETE FROM history WHERE id <= 2").await;

        assert_eq!(
            broken(&verdict(&app).await).0,
            &Break::RemovedBefore { first: 3 }
        );
    })
}

#[test]
fn an_entry_added_by_hand_at_the_end_is_named() {
    run(async {
        let app = TestApp::new().await;
        add_entries(&app, 5).await;
        drop_triggers(&app).await;

        exec(
            &app,
            "INSERT INTO history (at, actor, kind, reference_id, detail) \
             VALUES (2000, 'alice', 'review.decided', 'post_9', 'approved item 9')",
        )
        .await;

        let verdict = verdict(&app).await;
        assert_eq!(
            broken(&verdict),
            (
                &Break::Unchained {
                    id: 6,
                    after: Some(5)
                },
                5
            )
        );
        assert!(
            verdict.to_string().contains("entry 6 was inserted"),
            "{verdict}"
        );
    })
}

#[test]
fn an_entry_slipped_in_between_with_a_valid_hash_is_named() {
    run(async {
        let app = TestApp::new().await;
        add_entries(&app, 5).await;
        drop_triggers(&app).await;
        let prev_hash = app.text("SELECT hash FROM history WHERE id = 2").await;
        // The forger knows the format, so the new entry's own hash is right.
        let forged = Content {
            id: 3,
            at: 1_002,
            actor: "alice",
            kind: "review.decided",
            reference_id: Some("post_9"),
            detail: "approved item 9",
            prev_hash: &prev_hash,
        };

        exec(&app, "UPDATE history SET id = id + 1000 WHERE id >= 3").await;
        exec(&app, "UPDATE history SET id = id - 999 WHERE id >= 1000").await;
        sqlx::query(
            "INSERT INTO history (id, at, actor, kind, reference_id, detail, prev_hash, hash) \
             VALUES (3, 1002, 'alice', 'review.decided', 'post_9', 'approved item 9', ?, ?)",
        )
        .bind(&prev_hash)
        .bind(forged.hash())
        .execute(&app.pool)
        .await
        .unwrap();

        let verdict = verdict(&app).await;
        assert_eq!(
            broken(&verdict),
            (
                &Break::Inserted {
                    id: 3,
                    after: 2,
                    before: 4
                },
                2
            )
        );
        assert!(
            verdict.to_string().contains("entry 3 was inserted"),
            "{verdict}"
        );
    })
}

#[test]
fn the_database_refuses_changes_deletions_and_entries_off_the_chain() {
    run(async {
        let app = TestApp::new().await;
        add_entries(&app, 2).await;
        let refused = |sql: &'static str| {
            let pool = app.pool.clone();
            async move {
                sqlx::query(sql)
                    .execute(&pool)
                    .await
                    .expect_err(sql)
                    .to_string()
            }
        };

        let update = refused("UPDATE history SET detail = 'x' WHERE id = 1").await;
        let delete = refused("DELETE FROM history WHERE id = 2").await;
        let unsealed = refused(
            "INSERT INTO history (at, actor, kind, detail) VALUES (1, 'a', 'auth.login', 'd')",
        )
        .await;
        let off_chain = refused(
            "INSERT INTO history (id, at, actor, kind, detail, prev_hash, hash) \
             VALUES (3, 1, 'a', 'auth.login', 'd', 'not the last hash', 'x')",
        )
        .await;

        assert!(update.contains("append-only"), "{update}");
        assert!(delete.contains("append-only"), "{delete}");
        assert!(unsealed.contains("must chain"), "{unsealed}");
        assert!(off_chain.contains("must chain"), "{off_chain}");
        assert!(matches!(verdict(&app).await, Verdict::Verified(c) if c.entries == 2));
    })
}

#[test]
fn concurrent_appends_from_both_writers_still_form_one_chain() {
    run(async {
        let app = TestApp::new().await;
        let appends = (0..40).map(|i| {
            let pool = app.pool.clone();
            tokio::spawn(async move {
                let actor = format!("user{i}");
                history::record(&pool, entry(i, &actor, history::kind::LOGIN, None))
                    .await
                    .unwrap();
            })
        });
        let appends: Vec<_> = appends.collect();
        let app = &app;
        let deliveries = (0..40).map(|i| async move {
            app.deliver_review(&format!("evt_{i}"), &format!("post_{i}"))
                .await
        });

        let replies = futures::future::join_all(deliveries).await;
        for append in appends {
            append.await.unwrap();
        }

        assert!(replies.iter().all(|r| r.status.is_success()));
        assert_eq!(app.count("SELECT COUNT(*) FROM history").await, 80);
        assert_eq!(
            app.count("SELECT COUNT(DISTINCT prev_hash) FROM history")
                .await,
            80,
            "no two entries chain onto the same predecessor"
        );
        assert!(
            matches!(verdict(app).await, Verdict::Verified(c) if c.entries == 80),
            "{}",
            verdict(app).await
        );
    })
}

#[test]
fn the_page_check_builds_on_its_last_checkpoint_and_rereads_it() {
    run(async {
        let app = TestApp::new().await;
        let check = app::server::ChainCheck::default();
        add_entries(&app, 3).await;
        let first = check.verdict(&app.pool).await.unwrap();
        add_entries(&app, 2).await;

        let second = check.verdict(&app.pool).await.unwrap();
        drop_triggers(&app).await;
        exec(&app, "UPDATE history SET detail = 'rewritten' WHERE id = 5").await;
        let third = check.verdict(&app.pool).await.unwrap();

        assert!(matches!(first, Verdict::Verified(c) if c.entries == 3));
        assert!(matches!(second, Verdict::Verified(c) if c.entries == 5 && c.id == 5));
        assert_eq!(broken(&third).0, &Break::Changed { id: 5 });
    })
}

#[test]
fn entries_from_before_the_chain_are_sealed_once_at_open() {
    run(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/old.db", dir.path().display());
        let options = url
            .parse::<sqlx::sqlite::SqliteConnectOptions>()
            .unwrap()
            .create_if_missing(true);
        let old = sqlx::SqlitePool::connect_with(options).await.unwrap();
        let mut before_chain = sqlx::migrate!("./migrations");
        before_chain.migrations = before_chain
            .migrations
            .iter()
            .filter(|m| m.version < 20261204000001)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        before_chain.run(&old).await.unwrap();
        for detail in ["first", "second", "third"] {
            sqlx::query(
                "INSERT INTO history (at, actor, kind, detail) VALUES (1, 'cli', 'user.created', ?)",
            )
            .bind(detail)
            .execute(&old)
            .await
            .unwrap();
        }
        old.close().await;

        let pool = moddesk::db::open(&url).await.unwrap();
        history::record(&pool, entry(2, "later", history::kind::LOGIN, None))
            .await
            .unwrap();
        pool.close().await;
        let pool = moddesk::db::open(&url).await.unwrap();

        let verdict = chain::verify(&pool, None).await.unwrap();
        assert!(
            matches!(&verdict, Verdict::Verified(c) if c.entries == 4),
            "{verdict}"
        );
        let first_prev: String = sqlx::query_scalar("SELECT prev_hash FROM history WHERE id = 1")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(first_prev, chain::GENESIS);
    })
}

#[test]
fn an_unsealed_entry_added_later_is_not_sealed() {
    run(async {
        let app = TestApp::new().await;
        add_entries(&app, 2).await;
        drop_triggers(&app).await;
        exec(
            &app,
            "INSERT INTO history (at, actor, kind, detail) VALUES (1, 'x', 'auth.login', 'd')",
        )
        .await;

        let sealed = chain::seal_unsealed(&app.pool).await.unwrap();

        assert_eq!(sealed, 0);
        assert_eq!(
            broken(&verdict(&app).await).0,
            &Break::Unchained {
                id: 3,
                after: Some(2)
            }
        );
    })
}

/// An app with the manager max, logged in, and entries of several actors, kinds, references
/// and days. Returns the app and max's cookie.
async fn app_with_varied_history() -> (TestApp, String) {
    let app = TestApp::new().await;
    add_user_as(&app, "max", Role::Manager).await;
    let cookie = log_in(&app, "max", PASSWORD).await.unwrap();
    let day = 86_400_000;
    let dec_3 = 1_606_953_600_000; // 2020-12-03 00:00 UTC
    let entries = [
        entry(
            dec_3 - 1,
            "alice",
            history::kind::REVIEW_CLAIMED,
            Some("post_1"),
        ),
        entry(
            dec_3,
            "alice",
            history::kind::REVIEW_DECIDED,
            Some("post_1"),
        ),
        entry(
            dec_3 + day - 1,
            "Bob",
            history::kind::REVIEW_DECIDED,
            Some("post_2"),
        ),
        entry(
            dec_3 + day,
            "bob",
            history::kind::REVIEW_REVEALED,
            Some("post_2"),
        ),
        entry(
            dec_3 + 2 * day,
            "relay",
            history::kind::RELAY_DELIVERED,
            Some("post_1"),
        ),
    ];
    for e in entries {
        history::record(&app.pool, e).await.unwrap();
    }
    (app, cookie)
}

/// The History page's data for `form` (`filter[actor]=…&before=…`).
async fn page(app: &TestApp, cookie: &str, form: &str) -> HistoryView {
    let reply = app
        .send(form_post("/api/history_page", form, Some(cookie)))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{form}: {}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

/// The details shown for `form`, newest first.
async fn details(app: &TestApp, cookie: &str, form: &str) -> Vec<String> {
    page(app, cookie, form)
        .await
        .rows
        .into_iter()
        .map(|r| r.detail)
        .collect()
}

#[test]
fn each_filter_narrows_the_history() {
    run(async {
        let (app, cookie) = app_with_varied_history().await;

        let everything = details(&app, &cookie, "").await;
        let by_bob = details(&app, &cookie, "filter[actor]=BOB").await;
        let decided = details(&app, &cookie, "filter[kind]=review.decided").await;
        let post_1 = details(&app, &cookie, "filter[reference]=post_1").await;
        // A to date as well: max logged in at the real time, later.
        let from = details(
            &app,
            &cookie,
            "filter[from]=2020-12-04&filter[to]=2020-12-31",
        )
        .await;
        let dec_3 = details(
            &app,
            &cookie,
            "filter[from]=2020-12-03&filter[to]=2020-12-03",
        )
        .await;
        let combined = details(
            &app,
            &cookie,
            "filter[kind]=review.decided&filter[reference]=post_2&filter[actor]=bob",
        )
        .await;

        assert_eq!(everything.len(), 7, "user created, login and five more");
        assert_eq!(
            by_bob,
            ["bob did review.revealed", "Bob did review.decided"]
        );
        assert_eq!(
            decided,
            ["Bob did review.decided", "alice did review.decided"]
        );
        assert_eq!(
            post_1,
            [
                "relay did relay.delivered",
                "alice did review.decided",
                "alice did review.claimed"
            ]
        );
        assert_eq!(
            from,
            ["relay did relay.delivered", "bob did review.revealed"]
        );
        assert_eq!(
            dec_3,
            ["Bob did review.decided", "alice did review.decided"]
        );
        assert_eq!(combined, ["Bob did review.decided"]);
        assert!(
            page(&app, &cookie, "")
                .await
                .kinds
                .contains(&"destination.added".to_owned())
        );
    })
}

#[test]
fn bad_filters_are_refused_with_a_reason() {
    run(async {
        let (app, cookie) = app_with_varied_history().await;

        for (form, reason) in [
            ("filter[kind]=review.maybe", "review.maybe"),
            ("filter[from]=yesterday", "from date"),
            (
                "filter[from]=2026-12-05&filter[to]=2026-12-04",
                "after the to date",
            ),
        ] {
            let reply = app
                .send(form_post("/api/history_page", form, Some(&cookie)))
                .await;

            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{form}");
            assert!(reply.body.contains(reason), "{form}: {}", reply.body);
        }
    })
}

#[test]
fn pages_of_a_filter_continue_with_older_entries() {
    run(async {
        let app = TestApp::new().await;
        add_user_as(&app, "max", Role::Manager).await;
        let cookie = log_in(&app, "max", PASSWORD).await.unwrap();
        add_entries(&app, 150).await;

        let first = page(&app, &cookie, "filter[actor]=tester").await;
        let older = first.older.expect("a second page");
        let second = page(
            &app,
            &cookie,
            &format!("filter[actor]=tester&before={older}"),
        )
        .await;

        assert_eq!(first.rows.len(), 100);
        assert_eq!(second.rows.len(), 50);
        assert_eq!(second.older, None);
        assert!(
            second
                .rows
                .iter()
                .all(|r| r.id < older && r.actor == "tester")
        );
    })
}

#[test]
fn the_csv_export_has_every_filtered_row_with_formulas_defused() {
    run(async {
        let app = TestApp::new().await;
        add_user_as(&app, "max", Role::Manager).await;
        let cookie = log_in(&app, "max", PASSWORD).await.unwrap();
        let mut tx = app.pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
        for i in 0..2_500 {
            let (actor, detail) = match i % 3 {
                0 => (
                    "=cmd|' /C calc'!A0",
                    "@SUM(1+1)*cmd|' /C calc'!A0".to_owned(),
                ),
                1 => (
                    "alice",
                    format!("decided, with \"quotes\"\nand a line break {i}"),
                ),
                _ => ("bob", format!("-{i}")),
            };
            let new = NewEntry {
                at: 1_796_256_000_000 + i,
                actor,
                kind: history::kind::REVIEW_DECIDED,
                reference_id: Some("post_1"),
                detail,
            };
            history::append(&mut tx, new).await.unwrap();
        }
        tx.commit().await.unwrap();

        let reply = app
            .send(get_page(
                "/history.csv?kind=review.decided&reference=post_1",
                Some(&cookie),
            ))
            .await;

        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert!(
            reply.headers[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        let mut csv = csv::Reader::from_reader(reply.body.as_bytes());
        assert_eq!(
            csv.headers().unwrap(),
            vec![
                "id",
                "at",
                "actor",
                "kind",
                "reference_id",
                "detail",
                "hash"
            ]
        );
        let exported: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
        let mut shown = Vec::new();
        let mut before = String::new();
        loop {
            let view = page(
                &app,
                &cookie,
                &format!("filter[kind]=review.decided&filter[reference]=post_1{before}"),
            )
            .await;
            shown.extend(view.rows);
            match view.older {
                Some(id) => before = format!("&before={id}"),
                None => break,
            }
        }
        assert_eq!(exported.len(), 2_500);
        assert_eq!(exported.len(), shown.len());
        for (cells, row) in exported.iter().zip(&shown) {
            let expected_actor = if row.actor.starts_with('=') {
                format!("'{}", row.actor)
            } else {
                row.actor.clone()
            };
            let expected_detail = if row.detail.starts_with(['@', '-']) {
                format!("'{}", row.detail)
            } else {
                row.detail.clone()
            };
            assert_eq!(&cells[0], row.id.to_string());
            assert_eq!(&cells[1], row.at);
            assert_eq!(cells[2], expected_actor);
            assert_eq!(&cells[3], row.kind);
            assert_eq!(&cells[4], "post_1");
            assert_eq!(cells[5], expected_detail);
            assert_eq!(cells[6].len(), 64);
        }
    })
}

#[test]
fn the_csv_export_and_page_data_check_the_role() {
    run(async {
        let app = TestApp::new().await;
        add_user_as(&app, "rita", Role::Reviewer).await;
        add_user_as(&app, "ada", Role::Admin).await;
        let reviewer = log_in(&app, "rita", PASSWORD).await.unwrap();
        let admin = log_in(&app, "ada", PASSWORD).await.unwrap();

        let anonymous_csv = app.send(get_page("/history.csv", None)).await;
        let reviewer_csv = app
            .send(get_page("/history.csv?kind=auth.login", Some(&reviewer)))
            .await;
        let admin_csv = app.send(get_page("/history.csv", Some(&admin))).await;
        let bad_filter = app
            .send(get_page("/history.csv?from=soon", Some(&admin)))
            .await;

        assert_eq!(anonymous_csv.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reviewer_csv.status, StatusCode::FORBIDDEN);
        assert_eq!(admin_csv.status, StatusCode::OK);
        assert_eq!(bad_filter.status, StatusCode::BAD_REQUEST);
        assert!(bad_filter.body.contains("from date"), "{}", bad_filter.body);
        for function in ["/api/history_page", "/api/history_chain"] {
            let anonymous = app.send(form_post(function, "", None)).await;
            let refused = app.send(form_post(function, "", Some(&reviewer))).await;
            assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{function}");
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{function}");
        }
    })
}

#[test]
fn the_page_shows_whether_the_chain_verifies_and_links_the_export() {
    run(async {
        let app = TestApp::new().await;
        add_user_as(&app, "max", Role::Manager).await;
        let cookie = log_in(&app, "max", PASSWORD).await.unwrap();

        let intact = app
            .send(get_page("/history?kind=auth.login", Some(&cookie)))
            .await;
        let status = app
            .send(form_post("/api/history_chain", "", Some(&cookie)))
            .await;

        assert_eq!(intact.status, StatusCode::OK);
        assert!(
            intact.body.contains("History chain verified: 2 entries"),
            "{}",
            intact.body
        );
        assert!(
            intact
                .body
                .contains(r#"href="/history.csv?kind=auth.login""#),
            "{}",
            intact.body
        );
        assert!(
            status.body.contains(r#""verified":true"#),
            "{}",
            status.body
        );
    })
}

#[test]
fn a_broken_chain_shows_on_the_page() {
    run(async {
        let app = TestApp::new().await;
        add_user_as(&app, "max", Role::Manager).await;
        add_entries(&app, 3).await;
        drop_triggers(&app).await;
        exec(&app, "DELETE FROM history WHERE id = 2").await;
        let cookie = log_in(&app, "max", PASSWORD).await.unwrap();

        let reply = app
            .send(form_post("/api/history_chain", "", Some(&cookie)))
            .await;

        let status: app::model::ChainStatus = serde_json::from_str(&reply.body).unwrap();
        assert!(!status.verified);
        assert_eq!(status.broken_at, Some(3));
        assert!(
            status.message.starts_with(
                "History chain broken at entry 3: an entry between 1 and 3 was removed"
            ),
            "{}",
            status.message
        );
    })
}

fn destination(name: &str, kind: &str, url: &str) -> RawDestination {
    RawDestination {
        name: name.into(),
        kind: kind.into(),
        url: url.into(),
        secret: (kind == "http").then(|| SECRET.to_owned()),
        events: vec![],
        categories: vec![],
        min_score: None,
    }
}

#[test]
fn destination_changes_are_recorded_at_start_without_urls() {
    run(async {
        let app = TestApp::with_config(|raw| {
            raw.destination = vec![
                destination("ops", "slack", "https://hooks.example.invalid/one"),
                destination("internal", "http", "https://internal.example.invalid/a"),
                destination("old", "discord", "https://discord.example.invalid/x"),
            ];
        })
        .await;
        moddesk::startup::record_destination_changes(&app.pool, &app.settings)
            .await
            .unwrap();
        moddesk::startup::record_destination_changes(&app.pool, &app.settings)
            .await
            .unwrap();
        let mut changed = app.settings.clone();
        changed.destinations = moddesk::relay::destination::validate(&[
            destination("ops", "slack", "https://hooks.example.invalid/two"),
            RawDestination {
                min_score: Some(0.9),
                ..destination("internal", "http", "https://internal.example.invalid/a")
            },
            destination("new", "discord", "https://discord.example.invalid/y"),
        ])
        .unwrap();

        moddesk::startup::record_destination_changes(&app.pool, &changed)
            .await
            .unwrap();

        let kinds = app
            .text(
                "SELECT group_concat(kind || ' ' || detail, ' | ') FROM \
                 (SELECT kind, detail FROM history WHERE kind LIKE 'destination.%' ORDER BY id)",
            )
            .await;
        assert_eq!(
            kinds,
            "destination.added slack destination ops added: moderation.review, moderation.blocked, review.overdue \
             | destination.added http destination internal added: moderation.review, moderation.blocked, review.overdue \
             | destination.added discord destination old added: moderation.review, moderation.blocked, review.overdue \
             | destination.changed destination ops changed: its URL or secret changed \
             | destination.changed destination internal changed: sends moderation.review, moderation.blocked, review.overdue · score ≥ 0.90 (was moderation.review, moderation.blocked, review.overdue) \
             | destination.added discord destination new added: moderation.review, moderation.blocked, review.overdue \
             | destination.removed discord destination old removed"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE detail LIKE '%example.invalid%' OR detail LIKE '%whsec%'")
                .await,
            0
        );
        assert!(matches!(verdict(&app).await, Verdict::Verified(_)));
    })
}

/// Runs `moddesk audit verify` on the app's database.
fn audit_verify(app: &TestApp) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_moddesk"))
        .args(["audit", "verify"])
        .env("MODDESK_DATABASE_URL", &app.settings.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn audit_verify_exits_0_for_an_intact_chain_and_1_for_a_broken_one() {
    run(async {
        let app = TestApp::new().await;
        add_entries(&app, 4).await;
        let head = app.text("SELECT hash FROM history WHERE id = 4").await;

        let intact = audit_verify(&app);
        drop_triggers(&app).await;
        exec(
            &app,
            "UPDATE history SET actor = 'someone else' WHERE id = 2",
        )
        .await;
        let tampered = audit_verify(&app);

        let intact_out = String::from_utf8_lossy(&intact.stdout);
        let tampered_out = String::from_utf8_lossy(&tampered.stdout);
        assert_eq!(intact.status.code(), Some(0), "{intact_out}");
        assert_eq!(
            intact_out.trim(),
            format!("History chain verified: 4 entries; the last is entry 4 with hash {head}")
        );
        assert_eq!(tampered.status.code(), Some(1), "{tampered_out}");
        assert_eq!(
            tampered_out.trim(),
            "History chain broken at entry 2: entry 2 was changed: its content does not match \
             its hash (1 entry before it verified)"
        );
    })
}
