//! Queue paging at scale: seeds a database with many open review items (default 300,000; set
//! `MODDESK_BENCH_ITEMS`), then times one queue page (first page, a deep page reached by its
//! cursor, and each filter), claim-next, and the count of matching items. Prints the median and
//! worst of several runs per case. Run with `cargo bench --bench queue`.

use app::model::QueueFilter;
use app::store::review::queue_page;
use app::store::workflow::{self, Actor};
use app::workflow::Workflow;
use std::time::{Duration, Instant};

const RUNS: usize = 15;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let items: i64 = std::env::var("MODDESK_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300_000);
    let dir = tempfile::tempdir()?;
    let pool = moddesk::db::open(&format!("sqlite://{}/queue.db", dir.path().display())).await?;

    let seeded = Instant::now();
    seed(&pool, items).await?;
    println!("seeded {items} open items in {:.1?}", seeded.elapsed());
    let user: i64 = sqlx::query_scalar(
        "INSERT INTO users (name, password_hash, role, created_at) VALUES ('bench', 'x', 'reviewer', 0) RETURNING id",
    )
    .fetch_one(&pool)
    .await?;
    let workflow = Workflow::default();
    let now = app::store::now_ms();

    // A deep page: follow the cursor 200 pages (10,000 rows) in.
    let mut after = String::new();
    for _ in 0..200 {
        let filter = QueueFilter {
            after: after.clone(),
            ..Default::default()
        };
        let page = queue_page(&pool, &filter, user, now, &workflow).await?;
        after = page.next.unwrap_or_default();
    }

    let cases: Vec<(&str, QueueFilter)> = vec![
        ("first page, most urgent", QueueFilter::default()),
        (
            "page 201, most urgent",
            QueueFilter {
                after: after.clone(),
                ..Default::default()
            },
        ),
        (
            "newest",
            QueueFilter {
                sort: "newest".into(),
                ..Default::default()
            },
        ),
        (
            "highest score",
            QueueFilter {
                sort: "score".into(),
                ..Default::default()
            },
        ),
        (
            "score band high",
            QueueFilter {
                band: "high".into(),
                ..Default::default()
            },
        ),
        (
            "category hate (1 in 10)",
            QueueFilter {
                category: "hate".into(),
                ..Default::default()
            },
        ),
        (
            "unclaimed",
            QueueFilter {
                claimed: "no".into(),
                ..Default::default()
            },
        ),
        (
            "reference prefix",
            QueueFilter {
                reference: "post-0012".into(),
                ..Default::default()
            },
        ),
    ];
    println!(
        "{:<28} {:>12} {:>12} {:>10}",
        "queue page (50 rows)", "median", "worst", "matching"
    );
    for (name, filter) in cases {
        let mut times = Vec::with_capacity(RUNS);
        let mut matching = 0;
        for _ in 0..RUNS {
            let started = Instant::now();
            let page = queue_page(&pool, &filter, user, now, &workflow).await?;
            times.push(started.elapsed());
            matching = page.matching;
        }
        let (median, worst) = summary(&mut times);
        println!("{name:<28} {median:>12.2?} {worst:>12.2?} {matching:>10}");
    }

    let mut times = Vec::with_capacity(RUNS);
    for i in 0..RUNS {
        let who = Actor {
            id: user,
            name: "bench",
            role: app::model::Role::Reviewer,
        };
        let started = Instant::now();
        // A later "now" each run, so the previous claim has expired and a new one is made.
        workflow::claim_next(
            &pool,
            who,
            now + (i as i64 + 1) * workflow.claim_ms + 1,
            &workflow,
        )
        .await?;
        times.push(started.elapsed());
    }
    let (median, worst) = summary(&mut times);
    println!("{:<28} {median:>12.2?} {worst:>12.2?}", "claim next");
    Ok(())
}

fn summary(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort_unstable();
    (times[times.len() / 2], times[times.len() - 1])
}

/// Inserts `items` events and their open review items in one transaction, the way the ingest
/// writer would store them (scores spread over 0.30 to 0.99, one item in ten is `hate`).
async fn seed(pool: &sqlx::SqlitePool, items: i64) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    let now = app::store::now_ms();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
         INSERT INTO events (source, event_id, webhook_id, event_type, reference_id, action, score, \
            categories, excerpt, created_at, received_at, body) \
         SELECT 'aegis', 'evt_' || i, 'msg_' || i, 'moderation.review', printf('post-%07d', i), \
            'review', 0.30 + (i % 70) / 100.0, \
            CASE WHEN i % 10 = 0 THEN '[{\"name\":\"hate\",\"score\":0.8}]' \
                 ELSE '[{\"name\":\"spam\",\"score\":0.6}]' END, \
            'an excerpt of some length for row ' || i, ?2 - i * 1000, ?2 - i * 1000, \
            zeroblob(600) FROM n",
    )
    .bind(items)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO event_categories (event_id, name) \
         SELECT e.id, json_extract(j.value, '$.name') FROM events e, json_each(e.categories) j",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO review_items (reference_id, event_id, status, opened_at, score, due_at) \
         SELECT reference_id, id, 'open', received_at, score, \
            received_at + CASE WHEN categories LIKE '%hate%' THEN 900000 ELSE 86400000 END \
         FROM events",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query("ANALYZE").execute(pool).await?;
    Ok(())
}
