//! A moddesk router on a fresh database, and helpers to sign and send deliveries to it.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use moddesk::config::RawConfig;
use moddesk::ingest::signature::{WebhookSecret, sign};
use sqlx::SqlitePool;
use std::time::Duration;
use tempfile::TempDir;
use tower::ServiceExt;

pub const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
pub const OTHER_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub struct TestApp {
    pub router: Router,
    pub pool: SqlitePool,
    pub settings: moddesk::config::Settings,
    pub relay: app::relay::Relay,
    pub live: app::live::Live,
    _dir: TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with_config(|_| {}).await
    }

    pub async fn with_config(adjust: impl FnOnce(&mut RawConfig)) -> TestApp {
        Self::build(adjust, app::server::SetupGate::closed()).await
    }

    /// An app whose setup link is open, as on a first start with no users.
    pub async fn with_setup(setup: app::server::SetupGate) -> TestApp {
        Self::build(|_| {}, setup).await
    }

    async fn build(adjust: impl FnOnce(&mut RawConfig), setup: app::server::SetupGate) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut raw = RawConfig {
            database_url: format!("sqlite://{}/moddesk.db", dir.path().display()),
            webhook_secret: SECRET.into(),
            site_root: dir.path().display().to_string(),
            ..RawConfig::default()
        };
        adjust(&mut raw);
        let settings = raw.validate().unwrap();
        let pool = moddesk::db::open(&settings.database_url).await.unwrap();
        let relay = moddesk::startup::relay_for(&settings);
        let live = app::live::Live::new();
        let router = moddesk::startup::build(&settings, pool.clone(), setup, &relay, &live)
            .await
            .unwrap()
            .router;
        TestApp {
            router,
            pool,
            settings,
            relay,
            live,
            _dir: dir,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let target = format!("{} {}", request.method(), request.uri());
        let response = tokio::time::timeout(
            Duration::from_secs(20),
            self.router.clone().oneshot(request),
        )
        .await
        .unwrap_or_else(|_| panic!("{target} got no answer within 20 s"))
        .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// The status `request` is answered with, without reading the body (an event stream's
    /// never ends).
    pub async fn status_of(&self, request: Request<Body>) -> StatusCode {
        let target = format!("{} {}", request.method(), request.uri());
        tokio::time::timeout(
            Duration::from_secs(20),
            self.router.clone().oneshot(request),
        )
        .await
        .unwrap_or_else(|_| panic!("{target} got no answer within 20 s"))
        .unwrap()
        .status()
    }

    /// Posts `body` to the ingest route with the given Standard Webhooks headers.
    pub async fn deliver(&self, id: &str, timestamp: &str, signature: &str, body: &str) -> Reply {
        let request = Request::post("/hooks/aegis")
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp)
            .header("webhook-signature", signature)
            .body(Body::from(body.to_owned()))
            .unwrap();
        self.send(request).await
    }

    /// Signs `body` with `secret` at time `timestamp` and posts it.
    pub async fn deliver_signed(
        &self,
        secret: &str,
        id: &str,
        timestamp: i64,
        body: &str,
    ) -> Reply {
        let signature = sign(
            &WebhookSecret::parse(secret).unwrap(),
            id,
            timestamp,
            body.as_bytes(),
        );
        self.deliver(id, &timestamp.to_string(), &signature, body)
            .await
    }

    /// Posts a valid `moderation.review` event, signed with [`SECRET`].
    pub async fn deliver_review(&self, event_id: &str, reference: &str) -> Reply {
        let body = event(event_id, "moderation.review", reference);
        self.deliver_signed(SECRET, event_id, now(), &body).await
    }

    /// The single text value `sql` selects.
    pub async fn text(&self, sql: &str) -> String {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }

    /// The single number `sql` selects.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }
}

/// Runs a test on the one multi-threaded runtime all tests share, as the server runs on one
/// runtime in production.
pub fn run<F: std::future::Future>(test: F) -> F::Output {
    static RUNTIME: std::sync::LazyLock<tokio::runtime::Runtime> = std::sync::LazyLock::new(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("test runtime")
    });
    RUNTIME.block_on(test)
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A valid event body.
pub fn event(id: &str, event_type: &str, reference: &str) -> String {
    serde_json::json!({
        "id": id,
        "type": event_type,
        "created_at": "2026-12-03T10:00:00Z",
        "data": {
            "reference_id": reference,
            "score": 0.81,
            "action": if event_type == "moderation.blocked" { "block" } else { "review" },
            "categories": [{"name": "harassment", "score": 0.81}],
            "content": {"kind": "comment", "excerpt": "you are all idiots"},
            "subject": "user_1"
        }
    })
    .to_string()
}

/// An upstream event stored straight into the database, as the ingest writer stores one.
pub struct SeedEvent<'a> {
    pub reference: &'a str,
    pub event_type: &'a str,
    pub score: f64,
    pub categories: &'a [&'a str],
    pub received_at: i64,
}

/// Stores `e` with its category index rows; returns the event's row id.
pub async fn seed_event(pool: &SqlitePool, e: SeedEvent<'_>) -> i64 {
    static NEXT: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let categories: Vec<serde_json::Value> = e
        .categories
        .iter()
        .map(|c| serde_json::json!({"name": c, "score": e.score}))
        .collect();
    let action = if e.event_type == "moderation.blocked" {
        "block"
    } else {
        "review"
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO events (source, event_id, webhook_id, event_type, reference_id, action, \
         score, categories, excerpt, created_at, received_at, body) \
         VALUES ('aegis', ?, ?, ?, ?, ?, ?, ?, 'an excerpt', ?, ?, x'7b7d') RETURNING id",
    )
    .bind(format!("seed_evt_{n}"))
    .bind(format!("seed_msg_{n}"))
    .bind(e.event_type)
    .bind(e.reference)
    .bind(action)
    .bind(e.score)
    .bind(serde_json::Value::Array(categories).to_string())
    .bind(e.received_at)
    .bind(e.received_at)
    .fetch_one(pool)
    .await
    .unwrap();
    for name in e.categories {
        sqlx::query("INSERT OR IGNORE INTO event_categories (event_id, name) VALUES (?, ?)")
            .bind(id)
            .bind(name)
            .execute(pool)
            .await
            .unwrap();
    }
    id
}

/// A decision on a seeded item: approve or remove, by user id, at a time.
pub struct SeedDecision<'a> {
    pub decision: &'a str,
    pub reason: &'a str,
    pub note: &'a str,
    pub by: i64,
    pub at: i64,
}

/// A review item for a `moderation.review` event with `categories` and `score`, opened at
/// `opened_at` and due at `due_at`; resolved when `decided` is given. Returns the item id.
pub async fn seed_item(
    pool: &SqlitePool,
    reference: &str,
    score: f64,
    categories: &[&str],
    opened_at: i64,
    due_at: i64,
    decided: Option<SeedDecision<'_>>,
) -> i64 {
    let event = SeedEvent {
        reference,
        event_type: "moderation.review",
        score,
        categories,
        received_at: opened_at,
    };
    let event_id = seed_event(pool, event).await;
    let (status, decision, reason, note, by, at) = match &decided {
        Some(d) => (
            "resolved",
            Some(d.decision),
            (!d.reason.is_empty()).then_some(d.reason),
            Some(d.note),
            Some(d.by),
            Some(d.at),
        ),
        None => ("open", None, None, None, None, None),
    };
    sqlx::query_scalar(
        "INSERT INTO review_items (reference_id, event_id, status, opened_at, score, due_at, \
         decision, reason, note, decided_by, decided_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(reference)
    .bind(event_id)
    .bind(status)
    .bind(opened_at)
    .bind(score)
    .bind(due_at)
    .bind(decision)
    .bind(reason)
    .bind(note)
    .bind(by)
    .bind(at)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// A user row without a usable password, for store-level tests; returns its id.
pub async fn seed_user(pool: &SqlitePool, name: &str, role: app::model::Role) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO users (name, password_hash, role, created_at) VALUES (?, 'x', ?, 0) \
         RETURNING id",
    )
    .bind(name)
    .bind(role.as_str())
    .fetch_one(pool)
    .await
    .unwrap()
}
