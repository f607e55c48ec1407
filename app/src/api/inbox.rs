//! The dead-letter inbox: signed deliveries that could not be read as events. Admins only.

use crate::error::AppError;
use crate::model::DeadLetterRow;
use leptos::prelude::*;

/// The newest dead letters.
#[server(endpoint = "dead_letters")]
pub async fn dead_letters() -> Result<Vec<DeadLetterRow>, AppError> {
    use crate::model::Role;
    use crate::server::{internal, respond};
    use crate::store::dead_letters;

    respond(|ctx| async move {
        ctx.require_role(Role::Admin).await?;
        dead_letters::list(&ctx.pool, 200).await.map_err(internal)
    })
    .await
}
