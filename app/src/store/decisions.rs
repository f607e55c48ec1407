//! Resolved items as the Decisions page and its CSV export read them: filtered by decision,
//! reviewer, category, score band and UTC date range, newest decision first, paged by a cursor
//! on (decided_at, id) so a page deep in a long history costs what the first one does.

use crate::model::{Decision, DecisionFilter, DecisionRow};
use crate::store::review::{FilterError, parse_categories, push_band};
use crate::store::{day_range, format_duration_ms, format_time_ms};
use sqlx::{FromRow, QueryBuilder, Sqlite, SqlitePool};

/// Rows on one Decisions page.
pub const DECISION_PAGE_ROWS: i64 = 50;

/// A filter checked and turned into the values the SQL compares.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    decision: Option<&'static str>,
    reviewer: Option<String>,
    category: Option<String>,
    band: String,
    /// Decided at or after (Unix ms).
    since: Option<i64>,
    /// Decided before (Unix ms): the start of the day after `to`.
    until: Option<i64>,
    /// Rows after this (decided_at, id).
    after: Option<(i64, i64)>,
}

impl Checked {
    /// Checks `filter`; a bad value is refused with a message that names it.
    pub fn new(filter: &DecisionFilter) -> Result<Checked, FilterError> {
        let invalid = |message: String| FilterError::Invalid(message);
        let decision = match filter.decision.trim() {
            "" => None,
            text => Some(
                Decision::parse(text)
                    .ok_or_else(|| invalid(format!("Unknown decision {text:?}.")))?
                    .as_str(),
            ),
        };
        let (since, until) = day_range(&filter.from, &filter.to).map_err(invalid)?;
        let after = match filter.after.trim() {
            "" => None,
            text => Some(parse_cursor(text).ok_or_else(|| {
                invalid("That page link is not valid; start from the first page.".into())
            })?),
        };
        let text = |value: &str| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        let checked = Checked {
            decision,
            reviewer: text(&filter.reviewer),
            category: text(&filter.category),
            band: filter.band.trim().to_owned(),
            since,
            until,
            after,
        };
        // The band is checked by building the condition once.
        push_band(&mut QueryBuilder::new(""), &checked.band)?;
        Ok(checked)
    }

    /// The same filter, continuing after `cursor` (the `next` of a page).
    pub fn continuing(&self, cursor: &str) -> Option<Checked> {
        Some(Checked {
            after: Some(parse_cursor(cursor)?),
            ..self.clone()
        })
    }

    /// Appends the WHERE clause (with the cursor) to `query`.
    fn push_where(&self, query: &mut QueryBuilder<'_, Sqlite>, with_cursor: bool) {
        query.push(" WHERE r.status = 'resolved'");
        if let Some(decision) = self.decision {
            query.push(" AND r.decision = ").push_bind(decision);
        }
        if let Some(reviewer) = &self.reviewer {
            query
                .push(" AND r.decided_by = (SELECT id FROM users WHERE name = ")
                .push_bind(reviewer.clone())
                .push(")");
        }
        if let Some(category) = &self.category {
            query
                .push(" AND r.event_id IN (SELECT event_id FROM event_categories WHERE name = ")
                .push_bind(category.clone())
                .push(")");
        }
        // Checked in `new`, so this cannot fail.
        let _ = push_band(query, &self.band);
        if let Some(since) = self.since {
            query.push(" AND r.decided_at >= ").push_bind(since);
        }
        if let Some(until) = self.until {
            query.push(" AND r.decided_at < ").push_bind(until);
        }
        if let (true, Some((at, id))) = (with_cursor, self.after) {
            query
                .push(" AND (r.decided_at, r.id) < (")
                .push_bind(at)
                .push(", ")
                .push_bind(id)
                .push(")");
        }
    }
}

/// `decided_at:id`.
fn parse_cursor(text: &str) -> Option<(i64, i64)> {
    let (at, id) = text.trim().split_once(':')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

#[derive(FromRow)]
struct DecisionRecord {
    id: i64,
    reference_id: String,
    decision: String,
    reason: Option<String>,
    note: Option<String>,
    reviewer: Option<String>,
    opened_at: i64,
    decided_at: i64,
    score: f64,
    action: String,
    categories: String,
}

/// One page of decisions and the cursor of the next page.
pub struct DecisionPage {
    pub rows: Vec<DecisionRow>,
    pub next: Option<String>,
}

/// Up to `limit` decisions matching `filter`, newest first.
pub async fn page(pool: &SqlitePool, filter: &Checked, limit: i64) -> sqlx::Result<DecisionPage> {
    let mut query = QueryBuilder::<Sqlite>::new(
        "SELECT r.id, r.reference_id, r.decision, r.reason, r.note, u.name AS reviewer, \
                r.opened_at, r.decided_at, r.score, e.action, e.categories \
         FROM review_items r JOIN events e ON e.id = r.event_id \
         LEFT JOIN users u ON u.id = r.decided_by",
    );
    filter.push_where(&mut query, true);
    query.push(" ORDER BY r.decided_at DESC, r.id DESC LIMIT ");
    query.push_bind(limit + 1);
    let mut records: Vec<DecisionRecord> = query.build_query_as().fetch_all(pool).await?;

    let next = if records.len() as i64 > limit {
        records.truncate(limit as usize);
        records.last().map(|r| format!("{}:{}", r.decided_at, r.id))
    } else {
        None
    };
    let rows = records.into_iter().filter_map(row).collect();
    Ok(DecisionPage { rows, next })
}

fn row(r: DecisionRecord) -> Option<DecisionRow> {
    Some(DecisionRow {
        item_id: r.id,
        reference_id: r.reference_id,
        decision: Decision::parse(&r.decision)?,
        reason: r.reason.unwrap_or_default(),
        note: r.note.unwrap_or_default(),
        reviewer: r.reviewer.unwrap_or_default(),
        decided_at: format_time_ms(r.decided_at),
        decided_at_ms: r.decided_at,
        time_to_decision: format_duration_ms(r.decided_at - r.opened_at),
        time_to_decision_ms: r.decided_at - r.opened_at,
        score: r.score,
        action: r.action,
        categories: parse_categories(&r.categories),
    })
}

/// How many decisions match `filter` (the cursor aside).
pub async fn count(pool: &SqlitePool, filter: &Checked) -> sqlx::Result<i64> {
    let mut query = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM review_items r");
    filter.push_where(&mut query, false);
    query.build_query_scalar().fetch_one(pool).await
}

/// Every user name, sorted, for the reviewer filter.
pub async fn reviewer_names(pool: &SqlitePool) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT name FROM users ORDER BY name")
        .fetch_all(pool)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DAY_MS;

    fn filter(adjust: impl FnOnce(&mut DecisionFilter)) -> Result<Checked, FilterError> {
        let mut filter = DecisionFilter::default();
        adjust(&mut filter);
        Checked::new(&filter)
    }

    #[test]
    fn dates_are_whole_utc_days_with_both_ends_included() {
        let checked = filter(|f| {
            f.from = "2026-12-01".into();
            f.to = "2026-12-01".into();
        })
        .unwrap();

        assert_eq!(checked.since, Some(1_796_083_200_000));
        assert_eq!(checked.until, Some(1_796_083_200_000 + DAY_MS));
    }

    #[test]
    fn bad_values_are_refused_with_their_name() {
        type Adjust = fn(&mut DecisionFilter);
        let cases: [(Adjust, &str); 5] = [
            (|f| f.decision = "escalate".into(), "decision"),
            (|f| f.band = "top".into(), "band"),
            (|f| f.from = "01/12/2026".into(), "from date"),
            (
                |f| {
                    f.from = "2026-12-02".into();
                    f.to = "2026-12-01".into();
                },
                "after the to date",
            ),
            (|f| f.after = "yesterday".into(), "page link"),
        ];

        for (adjust, words) in cases {
            match filter(adjust) {
                Err(FilterError::Invalid(message)) => {
                    assert!(message.contains(words), "{message:?} should say {words:?}")
                }
                other => panic!("{words}: {:?}", other.is_ok()),
            }
        }
    }
}
