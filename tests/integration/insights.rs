//! The Insights page: every series matches a dataset seeded with known times (percentiles
//! included), names cannot inject markup into the charts or the page, and the range is checked.

use crate::dashboard::{PASSWORD, add_user_as, form_post, log_in};
use crate::helpers::{SeedDecision, SeedEvent, TestApp, run, seed_event, seed_item, seed_user};
use app::model::{
    AgeBucket, Agreement, BandCounts, DailySeries, DecisionTimes, InsightsView, ReviewerCounts,
    Role,
};
use app::store::{DAY_MS, day_start_ms, format_day_ms, now_ms};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const SCRIPT: &str = "<script>alert(1)</script>";
const BOLD_BOB: &str = "<b onmouseover=alert(2)>bob</b>";

fn day(text: &str) -> i64 {
    day_start_ms(text).unwrap()
}

fn series(name: &str, counts: &[i64]) -> DailySeries {
    DailySeries {
        name: name.into(),
        counts: counts.to_vec(),
    }
}

fn bands(counts: [(i64, i64); 6]) -> Vec<BandCounts> {
    counts
        .into_iter()
        .map(|(decided, approved)| BandCounts { decided, approved })
        .collect()
}

/// One decided review item: (reference, score, category), when it opened, minutes to its
/// decision, and (decision, reviewer).
async fn decided(
    app: &TestApp,
    (reference, score, category): (&str, f64, &str),
    opened_at: i64,
    minutes: i64,
    (decision, by): (&'static str, i64),
) {
    let decision = SeedDecision {
        decision,
        reason: if decision == "remove" { "spam" } else { "" },
        note: "",
        by,
        at: opened_at + minutes * MINUTE,
    };
    let due = opened_at + HOUR;
    seed_item(
        &app.pool,
        reference,
        score,
        &[category],
        opened_at,
        due,
        Some(decision),
    )
    .await;
}

async fn blocked(app: &TestApp, category: &str, received_at: i64) {
    let event = SeedEvent {
        reference: "blocked-post",
        event_type: "moderation.blocked",
        score: 0.99,
        categories: &[category],
        received_at,
    };
    seed_event(&app.pool, event).await;
}

/// The dataset the expectations below are worked out from.
async fn seed(app: &TestApp, now: i64) {
    let alice = seed_user(&app.pool, "alice", Role::Reviewer).await;
    let bob = seed_user(&app.pool, BOLD_BOB, Role::Reviewer).await;
    for at in [day("2026-11-01") + HOUR, day("2026-11-01") + 2 * HOUR] {
        blocked(app, "spam", at).await;
    }
    for c in ["c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08"] {
        blocked(app, c, day("2026-11-01") + 3 * HOUR).await;
    }
    blocked(app, "violence", day("2026-11-03") + HOUR).await;

    // spam: ten decisions taking 1 to 10 minutes; four low scores approved by alice.
    let spam = [0.42, 0.48, 0.55, 0.58, 0.65, 0.75, 0.77, 0.85, 0.95, 0.97];
    for (i, score) in spam.into_iter().enumerate() {
        let minutes = i as i64 + 1;
        let (decision, by) = match i {
            0..=3 => ("approve", alice),
            4 | 5 => ("remove", alice),
            _ => ("remove", bob),
        };
        let opened = day("2026-11-02") + HOUR + i as i64 * MINUTE;
        let reference = format!("s{minutes}");
        decided(
            app,
            (&reference, score, "spam"),
            opened,
            minutes,
            (decision, by),
        )
        .await;
    }
    // hate: 2, 4 and 30 minutes, all by bob.
    let opened = day("2026-11-03") + 2 * HOUR;
    decided(app, ("h1", 0.72, "hate"), opened, 2, ("approve", bob)).await;
    decided(app, ("h2", 0.83, "hate"), opened, 4, ("remove", bob)).await;
    decided(app, ("h3", 0.91, "hate"), opened, 30, ("remove", bob)).await;
    let opened = day("2026-11-01") + 5 * HOUR;
    decided(app, ("x1", 0.52, SCRIPT), opened, 7, ("approve", alice)).await;
    // Outside the range: counted nowhere.
    let opened = day("2026-10-30");
    decided(
        app,
        ("o1", 0.99, "spam"),
        opened,
        60 * 30,
        ("remove", alice),
    )
    .await;

    // Open now, one per age bucket.
    let open = [
        ("a", now - 30 * MINUTE, now + HOUR),
        ("b", now - 2 * HOUR, now - HOUR),
        ("e", now - 5 * HOUR, now + HOUR),
        ("c", now - 3 * DAY_MS, now + DAY_MS),
        ("d", now - 10 * DAY_MS, now - 9 * DAY_MS),
    ];
    for (reference, opened, due) in open {
        seed_item(&app.pool, reference, 0.6, &["spam"], opened, due, None).await;
    }
}

async fn insights(app: &TestApp, cookie: &str, form: &str) -> (StatusCode, String) {
    let reply = app
        .send(form_post("/api/insights", form, Some(cookie)))
        .await;
    (reply.status, reply.body)
}

#[test]
fn every_series_matches_the_seeded_numbers() {
    run(async {
        let app = TestApp::new().await;
        let now = now_ms();
        seed(&app, now).await;
        add_user_as(&app, "max", Role::Manager).await;
        let cookie = log_in(&app, "max", PASSWORD).await.unwrap();

        let (status, body) =
            insights(&app, &cookie, "range[from]=2026-11-01&range[to]=2026-11-03").await;

        assert_eq!(status, StatusCode::OK, "{body}");
        let view: InsightsView = serde_json::from_str(&body).unwrap();
        assert_eq!(view.days, ["2026-11-01", "2026-11-02", "2026-11-03"]);
        assert_eq!(
            view.events_by_type,
            [
                series("moderation.review", &[1, 10, 3]),
                series("moderation.blocked", &[10, 0, 1]),
            ]
        );
        assert_eq!(
            view.events_by_category,
            [
                series("spam", &[2, 10, 0]),
                series("hate", &[0, 0, 3]),
                series(SCRIPT, &[1, 0, 0]),
                series("c01", &[1, 0, 0]),
                series("c02", &[1, 0, 0]),
                series("c03", &[1, 0, 0]),
                series("c04", &[1, 0, 0]),
                series("c05", &[1, 0, 0]),
                series("(other categories)", &[3, 0, 1]),
            ]
        );
        let bucket = |label: &str, within_due, overdue| AgeBucket {
            label: label.into(),
            within_due,
            overdue,
        };
        assert_eq!(
            view.open_by_age,
            [
                bucket("under 1 h", 1, 0),
                bucket("1–4 h", 0, 1),
                bucket("4–24 h", 1, 0),
                bucket("1–7 days", 1, 0),
                bucket("7 days or more", 0, 1),
            ]
        );
        let times = |category: &str, decided, p50: i64, p90: i64| DecisionTimes {
            category: category.into(),
            decided,
            p50_ms: p50 * MINUTE,
            p90_ms: p90 * MINUTE,
        };
        assert_eq!(
            view.time_to_decision,
            [
                times("spam", 10, 5, 9),
                times("hate", 3, 4, 30),
                times(SCRIPT, 1, 7, 7),
            ],
            "nearest rank: p50 is the ⌈n/2⌉-th time, p90 the ⌈0.9 n⌉-th"
        );
        let reviewer = |name: &str, approved, removed| ReviewerCounts {
            reviewer: name.into(),
            approved,
            removed,
        };
        assert_eq!(
            view.per_reviewer,
            [reviewer(BOLD_BOB, 1, 6), reviewer("alice", 5, 2)]
        );
        let agreement = |category: &str, counts| Agreement {
            category: category.into(),
            bands: bands(counts),
        };
        assert_eq!(
            view.agreement,
            [
                agreement(
                    "all items",
                    [(2, 2), (3, 3), (1, 0), (3, 1), (2, 0), (3, 0)]
                ),
                agreement("spam", [(2, 2), (2, 2), (1, 0), (2, 0), (1, 0), (2, 0)]),
                agreement("hate", [(0, 0), (0, 0), (0, 0), (1, 1), (1, 0), (1, 0)]),
                agreement(SCRIPT, [(0, 0), (1, 1), (0, 0), (0, 0), (0, 0), (0, 0)]),
            ]
        );
        for svg in [
            &view.charts.events_by_type,
            &view.charts.events_by_category,
            &view.charts.open_by_age,
            &view.charts.time_to_decision,
            &view.charts.per_reviewer,
            &view.charts.agreement,
        ] {
            assert!(svg.starts_with("<svg"), "{svg}");
            assert!(!svg.contains("No data"), "{svg}");
        }
    })
}

#[test]
fn names_cannot_add_markup_to_the_charts_or_the_page() {
    run(async {
        let app = TestApp::new().await;
        seed(&app, now_ms()).await;
        add_user_as(&app, "max", Role::Manager).await;
        let cookie = log_in(&app, "max", PASSWORD).await.unwrap();

        let (_, body) =
            insights(&app, &cookie, "range[from]=2026-11-01&range[to]=2026-11-03").await;
        let page = app
            .send(
                Request::get("/insights?from=2026-11-01&to=2026-11-03")
                    .header(header::COOKIE, &cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;

        let view: InsightsView = serde_json::from_str(&body).unwrap();
        let charts = [
            &view.charts.events_by_category,
            &view.charts.time_to_decision,
            &view.charts.agreement,
            &view.charts.per_reviewer,
        ];
        for svg in charts {
            assert!(!svg.contains("<script"), "{svg}");
            assert!(!svg.contains("<b "), "{svg}");
        }
        assert!(view.charts.time_to_decision.contains("&lt;script&gt;"));
        assert!(view.charts.per_reviewer.contains("&lt;b onmouseover"));
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            !page.body.contains(SCRIPT),
            "the page shows the name as text"
        );
        assert!(
            !page.body.contains("<b onmouseover"),
            "the page shows the name as text"
        );
        assert!(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    })
}

#[test]
fn the_range_defaults_to_the_last_thirty_days_and_is_checked() {
    run(async {
        let app = TestApp::new().await;
        add_user_as(&app, "max", Role::Manager).await;
        let cookie = log_in(&app, "max", PASSWORD).await.unwrap();

        let (status, body) = insights(&app, &cookie, "").await;
        let refused = [
            ("range[from]=yesterday", "from date"),
            (
                "range[from]=2026-11-03&range[to]=2026-11-01",
                "after the to date",
            ),
            (
                "range[from]=2025-01-01&range[to]=2026-01-02",
                "at most 366 days",
            ),
        ];

        assert_eq!(status, StatusCode::OK, "{body}");
        let view: InsightsView = serde_json::from_str(&body).unwrap();
        assert_eq!(view.days.len(), 30);
        assert_eq!(view.to, format_day_ms(now_ms()));
        assert!(view.events_by_type.is_empty());
        assert!(view.charts.events_by_type.contains("No data in this range"));
        for (form, words) in refused {
            let (status, body) = insights(&app, &cookie, form).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
            assert!(body.contains(words), "{form}: {body}");
        }
    })
}
