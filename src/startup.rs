//! Builds the whole application from settings. `moddesk serve` and the tests share it.

use crate::config::Settings;
use crate::http::body_deadline::limit_body_time;
use crate::http::csrf::{self, AllowedOrigins};
use crate::http::live::{self, LiveState};
use crate::http::{Health, csv as downloads, guard, healthz, server_fn_status};
use crate::ingest::signature::Verifier;
use crate::ingest::writer::Writer;
use crate::ingest::{self, IngestState};
use crate::relay::{SystemClock, Worker};
use anyhow::Context;
use app::live::Live;
use app::relay::Relay;
use app::server::{ServerState, SetupGate};
use app::store::users;
use app::{App, shell};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::middleware::{from_fn, from_fn_with_state, map_request};
use axum::routing::get;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use sqlx::SqlitePool;
use std::sync::{Arc, OnceLock};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::SqliteStore;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Largest request body the dashboard accepts (its forms are small).
const DASHBOARD_BODY_LIMIT: usize = 64 * 1024;

/// The application built from settings: its routes, and the ingest writer behind them, which
/// is stopped apart from them (see [`serve`]).
pub struct Application {
    pub router: Router,
    pub writer: Writer,
}

/// The router with every route and layer, on an open database, and the ingest writer it hands
/// events to. Queue changes are announced through `live`.
pub async fn build(
    settings: &Settings,
    pool: SqlitePool,
    setup: SetupGate,
    relay: &Relay,
    live: &Live,
) -> anyhow::Result<Application> {
    let verifier = Verifier::with_scheme(
        settings.webhook_scheme,
        settings.webhook_secrets.clone(),
        settings.webhook_tolerance,
    );
    let writer = Writer::spawn(
        pool.connect_options().get_filename(),
        relay.clone(),
        settings.workflow.clone(),
        live.clone(),
    )?;
    let ingest = ingest::router(
        IngestState {
            pool: pool.clone(),
            verifier: Arc::new(verifier),
            writer: writer.clone(),
        },
        settings.webhook_max_body_bytes,
    );
    let metrics = crate::telemetry::metrics();
    let health = Router::new()
        .route("/healthz", get(healthz))
        .with_state(Health {
            pool: pool.clone(),
            writer: writer.clone(),
        })
        .route(
            "/metrics",
            get(move || std::future::ready(metrics.render())),
        );
    let state = ServerState {
        pool,
        setup,
        relay: relay.clone(),
        workflow: settings.workflow.clone(),
        auth: settings.auth,
        chain: app::server::ChainCheck::default(),
        live: live.clone(),
    };
    let dashboard = dashboard_router(settings, state).await?;

    let request_span = |request: &Request<_>| {
        let request_id = request
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(crate::telemetry::loggable_id)
            .unwrap_or_default();
        // The path only: query strings can carry tokens.
        tracing::info_span!("request", method = %request.method(), path = request.uri().path(), request_id)
    };

    let router = ingest
        .merge(health)
        .merge(dashboard)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        // A body trickled in to hold a connection open fails after this long in all (see
        // `http::listener` for the headers' limit).
        .layer(map_request(|request| async move {
            limit_body_time(request, BODY_READ_TIMEOUT)
        }))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid));
    Ok(Application { router, writer })
}

/// Pages, server functions, the live update stream and static files, behind sessions and the
/// cross-site check.
async fn dashboard_router(settings: &Settings, state: ServerState) -> anyhow::Result<Router> {
    let store = SqliteStore::new(state.pool.clone());
    store
        .migrate()
        .await
        .context("creating the session table")?;
    let sessions = SessionManagerLayer::new(store.clone())
        .with_name("moddesk_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.public_url.starts_with("https://"))
        .with_expiry(Expiry::OnInactivity(time::Duration::milliseconds(
            state.auth.session_idle_ms,
        )));

    let options = LeptosOptions::builder()
        .output_name("moddesk")
        .site_root(settings.site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(settings.listen)
        .build();
    let routes = route_list();
    let guard_state = state.clone();
    let download_routes = downloads::routes(state.clone());
    // Added after the page guard: the stream answers 401 itself rather than redirecting.
    let live_routes = Router::new()
        .route("/live", get(live::stream))
        .with_state(LiveState {
            live: state.live.clone(),
            pool: state.pool.clone(),
            auth: state.auth,
            sessions: Arc::new(store.clone()),
        });
    let allowed = AllowedOrigins(Arc::new(vec![settings.public_url.clone()]));

    let context = move || provide_context(state.clone());

    Ok(Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .route_layer(from_fn_with_state(guard_state, guard::require_login))
        .merge(live_routes)
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
        .with_state(options)
        // Downloads check the session and role themselves (401/403, not the login redirect).
        .merge(download_routes)
        .layer(from_fn(server_fn_status::correct_status))
        .layer(DefaultBodyLimit::max(DASHBOARD_BODY_LIMIT))
        .layer(from_fn_with_state(allowed, csrf::refuse_cross_site))
        .layer(sessions))
}

/// How long a client may take to send a request's whole body.
pub const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The app's routes, worked out once per process. Working them out renders the app with
/// resource loading switched off by a process-wide flag, so a page render that starts meanwhile
/// (on another router in the same process, as in the tests) would wait forever for its data.
pub fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The routing side of the configured relay destinations.
pub fn relay_for(settings: &Settings) -> Relay {
    Relay::new(
        settings
            .destinations
            .iter()
            .map(|d| d.route.clone())
            .collect(),
    )
}

/// Jobs queued for a destination that has since left the config are never sent; say so once.
async fn warn_of_removed_destinations(pool: &SqlitePool, relay: &Relay) -> anyhow::Result<()> {
    let counts = app::store::relay_jobs::counts(pool)
        .await
        .context("counting relay jobs")?;
    for c in counts {
        if c.pending > 0 && !relay.routes.iter().any(|r| r.name == c.destination) {
            tracing::warn!(destination = %c.destination, pending = c.pending, "relay jobs wait for a destination that is no longer configured; they are not sent");
        }
    }
    Ok(())
}

/// Records in the history how the configured destinations differ from those it recorded last
/// (added, changed or removed, by name and kind; never a URL or secret).
pub async fn record_destination_changes(
    pool: &SqlitePool,
    settings: &Settings,
) -> anyhow::Result<()> {
    let configured: Vec<_> = settings.destinations.iter().map(|d| d.recorded()).collect();
    let now = app::store::now_ms();
    let written = app::store::destinations::record_changes(pool, &configured, now)
        .await
        .context("recording destination changes in the history")?;
    if written > 0 {
        tracing::info!(
            changes = written,
            "relay destinations changed since the last start"
        );
    }
    Ok(())
}

/// Runs the server until Ctrl-C or SIGTERM.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let pool = crate::db::open(&settings.database_url).await?;
    let setup = SetupGate::closed();
    if users::count(&pool).await.context("counting users")? == 0 {
        let token = setup.open();
        tracing::warn!(
            "No users yet. Create the first admin at {}/setup?token={token} (the link works once)",
            settings.public_url
        );
    }

    let relay = relay_for(&settings);
    record_destination_changes(&pool, &settings).await?;
    warn_of_removed_destinations(&pool, &relay).await?;
    let live = Live::new();
    let Application { router, writer } =
        build(&settings, pool.clone(), setup, &relay, &live).await?;
    Worker::new(
        pool.clone(),
        settings.destinations.clone(),
        settings.relay.clone(),
        settings.public_url.clone(),
        &relay,
        Arc::new(SystemClock),
    )?
    .spawn();
    crate::overdue::OverdueCheck::new(
        pool.clone(),
        relay.clone(),
        settings.public_url.clone(),
        Arc::new(SystemClock),
        settings.overdue_check,
    )
    .spawn();
    spawn_session_purge(pool.clone());
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    tracing::info!(address = %settings.listen, public_url = %settings.public_url, "moddesk is listening");

    // The client's address (for login throttling) is passed to handlers by the listener.
    crate::http::listener::serve(listener, router, async move {
        shutdown_signal().await;
        // Open live streams would keep their connections, and so the shutdown, waiting.
        live.close();
        tokio::spawn(exit_on_second_signal());
    })
    .await;
    // Requests cut off by the grace period may still hold the router; the writer stores what
    // they handed it and refuses the rest, so nothing is answered after the log is folded.
    writer.stop().await;
    let database = std::path::PathBuf::from(pool.connect_options().get_filename());
    pool.close().await;
    // The log may still hold the last events (the checkpoint thread copies it behind the writer).
    match tokio::task::spawn_blocking(move || crate::db::fold_log(&database)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(
            error = format!("{error:#}"),
            "the database log was not folded into the database file; the next start reads it"
        ),
        Err(error) => tracing::warn!(
            %error,
            "the database log was not folded into the database file; the next start reads it"
        ),
    }
    Ok(())
}

/// How often expired sessions are deleted.
const SESSION_PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Deletes expired sessions every [`SESSION_PURGE_EVERY`]. The session layer refuses them
/// anyway; this keeps the table from growing with every login.
fn spawn_session_purge(pool: SqlitePool) {
    use tower_sessions::session_store::ExpiredDeletion;

    let store = SqliteStore::new(pool);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SESSION_PURGE_EVERY);
        loop {
            every.tick().await;
            if let Err(error) = store.delete_expired().await {
                tracing::warn!(%error, "deleting expired sessions failed");
            }
        }
    });
}

/// Exits at once on a second Ctrl-C or SIGTERM while the stop waits for requests. Every event
/// answered so far is on disk already; only the fold of the log into the database file is
/// skipped, and the next start reads the log.
async fn exit_on_second_signal() {
    shutdown_signal().await;
    tracing::warn!("second stop signal: exiting without waiting for open requests");
    std::process::exit(1);
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
