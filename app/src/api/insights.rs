//! The Insights page's numbers and charts, for managers and admins: the charts are drawn on the
//! server and sent as SVG together with the numbers they show.

use crate::error::AppError;
use crate::model::{InsightsRange, InsightsView};
use leptos::prelude::*;

/// Days covered when the address names no range.
pub const DEFAULT_DAYS: i64 = 30;
/// Longest range, in days: a chart with a bar a day stays readable.
pub const MAX_DAYS: i64 = 366;
/// The label of the agreement row over all decided items.
pub const ALL_ITEMS: &str = "all items";

/// The numbers and charts for `range` (UTC days; the last 30 days when empty).
#[server(endpoint = "insights")]
pub async fn insights(#[server(default)] range: InsightsRange) -> Result<InsightsView, AppError> {
    use crate::model::Role;
    use crate::server::{internal, respond};
    use crate::store::now_ms;

    respond(|ctx| async move {
        ctx.require_role(Role::Manager).await?;
        let now = now_ms();
        let range = checked_range(&range, now)?;
        let mut view = gather(&ctx.pool, range, now).await.map_err(internal)?;
        view.charts = crate::insights::charts(&view).map_err(internal)?;
        Ok(view)
    })
    .await
}

/// The range asked for as whole UTC days, or the reason it is refused.
#[cfg(feature = "ssr")]
fn checked_range(
    range: &InsightsRange,
    now: i64,
) -> Result<crate::store::insights::Range, AppError> {
    use crate::store::{DAY_MS, day_range};

    let (since, until) = day_range(&range.from, &range.to).map_err(AppError::Invalid)?;
    let today = now.div_euclid(DAY_MS) * DAY_MS;
    let until = until.unwrap_or(today + DAY_MS);
    let since = since.unwrap_or(until - DEFAULT_DAYS * DAY_MS);
    if since >= until {
        return Err(AppError::Invalid(
            "The from date is after the to date.".into(),
        ));
    }
    if (until - since) / DAY_MS > MAX_DAYS {
        return Err(AppError::Invalid(format!(
            "Choose at most {MAX_DAYS} days."
        )));
    }
    Ok(crate::store::insights::Range { since, until })
}

#[cfg(feature = "ssr")]
async fn gather(
    pool: &sqlx::SqlitePool,
    range: crate::store::insights::Range,
    now: i64,
) -> sqlx::Result<InsightsView> {
    use crate::store::insights::{self as store, BANDS};
    use crate::store::{DAY_MS, format_day_ms};

    Ok(InsightsView {
        from: format_day_ms(range.since),
        to: format_day_ms(range.until - DAY_MS),
        days: (0..range.days() as i64)
            .map(|d| format_day_ms(range.since + d * DAY_MS))
            .collect(),
        events_by_type: store::events_by_type(pool, range).await?,
        events_by_category: store::events_by_category(pool, range).await?,
        open_by_age: store::open_by_age(pool, now).await?,
        time_to_decision: store::time_to_decision(pool, range).await?,
        per_reviewer: store::per_reviewer(pool, range).await?,
        bands: BANDS.iter().map(|(label, _)| (*label).to_owned()).collect(),
        agreement: store::agreement(pool, range, ALL_ITEMS).await?,
        charts: Default::default(),
    })
}
