//! The Deliveries page's server functions: relay destinations and jobs, retrying a dead job and
//! sending a test message. Admins only.

use crate::error::AppError;
use crate::model::DeliveriesView;
use leptos::prelude::*;

/// How many jobs the page lists.
#[cfg(feature = "ssr")]
const JOB_ROWS: i64 = 200;

/// Every destination with its job counts, and the most recent jobs (dead first).
#[server(endpoint = "deliveries")]
pub async fn deliveries() -> Result<DeliveriesView, AppError> {
    use crate::model::{DestinationView, Role};
    use crate::server::{internal, respond};
    use crate::store::relay_jobs;

    respond(|ctx| async move {
        ctx.require_role(Role::Admin).await?;
        let counts = relay_jobs::counts(&ctx.pool).await.map_err(internal)?;
        let jobs = relay_jobs::recent(&ctx.pool, JOB_ROWS)
            .await
            .map_err(internal)?;
        let routes = &ctx.relay.routes;
        let configured = routes.iter().map(|route| {
            let count = counts.iter().find(|c| c.destination == route.name);
            DestinationView {
                name: route.name.clone(),
                kind: route.kind.as_str().into(),
                routing: route.describe(),
                pending: count.map_or(0, |c| c.pending),
                delivered: count.map_or(0, |c| c.delivered),
                dead: count.map_or(0, |c| c.dead),
            }
        });
        // Jobs of destinations removed from the config are shown, not hidden: they wait forever.
        let removed = counts
            .iter()
            .filter(|c| !routes.iter().any(|r| r.name == c.destination))
            .map(|c| DestinationView {
                name: c.destination.clone(),
                kind: "none".into(),
                routing: "no longer configured: its jobs are not sent".into(),
                pending: c.pending,
                delivered: c.delivered,
                dead: c.dead,
            });
        let destinations = configured.chain(removed).collect();
        Ok(DeliveriesView { destinations, jobs })
    })
    .await
}

/// Puts a dead job back in the queue.
#[server(endpoint = "deliveries_retry")]
pub async fn retry_job(job_id: i64) -> Result<(), AppError> {
    use crate::model::Role;
    use crate::server::{internal, respond};
    use crate::store::{now_ms, relay_jobs};

    respond(|ctx| async move {
        let user = ctx.require_role(Role::Admin).await?;
        let destination = relay_jobs::destination_of(&ctx.pool, job_id)
            .await
            .map_err(internal)?
            .ok_or_else(|| AppError::NotFound(format!("There is no job {job_id}.")))?;
        if !ctx.relay.routes.iter().any(|r| r.name == destination) {
            return Err(AppError::Conflict(format!(
                "Destination {destination:?} is no longer configured, so job {job_id} cannot be sent."
            )));
        }
        let requeued = relay_jobs::requeue_dead(&ctx.pool, job_id, &user.name, now_ms())
            .await
            .map_err(internal)?;
        if !requeued {
            return Err(AppError::Conflict(format!(
                "Job {job_id} is not dead (it may have been retried already)."
            )));
        }
        tracing::info!(job_id, user = %user.name, "relay job queued again");
        ctx.relay.notify();
        Ok(())
    })
    .await
}

/// Queues a test message for one destination.
#[server(endpoint = "deliveries_test")]
pub async fn send_test(destination: String) -> Result<(), AppError> {
    use crate::model::Role;
    use crate::relay::TOPIC_TEST;
    use crate::server::{internal, respond};
    use crate::store::{now_ms, relay_jobs};

    respond(|ctx| async move {
        let user = ctx.require_role(Role::Admin).await?;
        if !ctx.relay.routes.iter().any(|r| r.name == destination) {
            return Err(AppError::NotFound(format!(
                "There is no destination {destination:?}."
            )));
        }
        let payload = serde_json::json!({
            "type": TOPIC_TEST,
            "data": {
                "destination": destination,
                "message": format!("{} sent this test from the Deliveries page.", user.name),
            }
        })
        .to_string();
        let mut conn = ctx.pool.acquire().await.map_err(internal)?;
        relay_jobs::enqueue_payload(
            &mut conn,
            &destination,
            TOPIC_TEST,
            None,
            &payload,
            now_ms(),
        )
        .await
        .map_err(internal)?;
        tracing::info!(%destination, user = %user.name, "relay test message queued");
        ctx.relay.notify();
        Ok(())
    })
    .await
}
