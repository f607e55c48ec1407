//! The numbers behind the Insights page, aggregated in SQL: events per day by type and by
//! category, open items by age, time to decision per category (nearest-rank p50 and p90),
//! decisions per reviewer, and how often reviewers approved what the upstream sent for review,
//! per category and score band. Days are UTC days; a range is `[since, until)` in Unix ms.

use crate::model::{AgeBucket, Agreement, BandCounts, DailySeries, DecisionTimes, ReviewerCounts};
use crate::store::DAY_MS;
use sqlx::SqlitePool;
use std::collections::BTreeMap;

/// Categories shown by name in the events-per-category series; the rest are summed up.
pub const TOP_CATEGORIES: usize = 8;
/// The name of the series that sums up the other categories.
pub const OTHER_CATEGORIES: &str = "(other categories)";

/// Score bands of the agreement chart: label and lower bound, lowest first. Each band runs up
/// to the next band's bound; finer than the queue's bands, because thresholds move by tenths.
pub const BANDS: [(&str, f64); 6] = [
    ("below 0.50", f64::NEG_INFINITY),
    ("0.50–0.60", 0.5),
    ("0.60–0.70", 0.6),
    ("0.70–0.80", 0.7),
    ("0.80–0.90", 0.8),
    ("0.90 and up", 0.9),
];

/// The band index of a score as SQL, over the items aliased `r`.
const BAND_SQL: &str = "CASE WHEN r.score < 0.5 THEN 0 WHEN r.score < 0.6 THEN 1 \
     WHEN r.score < 0.7 THEN 2 WHEN r.score < 0.8 THEN 3 WHEN r.score < 0.9 THEN 4 ELSE 5 END";

/// Age buckets of open items: label and the age (ms) up to which an item is in it.
pub const AGE_BUCKETS: [(&str, i64); 5] = [
    ("under 1 h", 3_600_000),
    ("1–4 h", 4 * 3_600_000),
    ("4–24 h", DAY_MS),
    ("1–7 days", 7 * DAY_MS),
    ("7 days or more", i64::MAX),
];

/// A range of whole UTC days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// Start of the first day (Unix ms).
    pub since: i64,
    /// Start of the day after the last one.
    pub until: i64,
}

impl Range {
    /// How many days the range covers.
    pub fn days(&self) -> usize {
        ((self.until - self.since) / DAY_MS).max(0) as usize
    }
}

/// Lays out `(day index, series name, count)` rows as one series per name, a count per day.
/// Names compare without case (as categories do everywhere); the first spelling seen is kept.
fn daily(range: Range, rows: Vec<(i64, String, i64)>) -> Vec<DailySeries> {
    let mut series: Vec<DailySeries> = Vec::new();
    for (day, name, count) in rows {
        let index = match series
            .iter()
            .position(|s| s.name.eq_ignore_ascii_case(&name))
        {
            Some(index) => index,
            None => {
                series.push(DailySeries {
                    name,
                    counts: vec![0; range.days()],
                });
                series.len() - 1
            }
        };
        if let Some(slot) = usize::try_from(day)
            .ok()
            .and_then(|d| series[index].counts.get_mut(d))
        {
            *slot += count;
        }
    }
    // Largest first, then by name, so colours and order are stable.
    series.sort_by(|a, b| {
        let total = |s: &DailySeries| s.counts.iter().sum::<i64>();
        total(b).cmp(&total(a)).then_with(|| a.name.cmp(&b.name))
    });
    series
}

/// Events received per day, one series per event type.
pub async fn events_by_type(pool: &SqlitePool, range: Range) -> sqlx::Result<Vec<DailySeries>> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT (received_at - ?1) / 86400000 AS day, event_type, COUNT(*) FROM events \
         WHERE received_at >= ?1 AND received_at < ?2 GROUP BY day, event_type",
    )
    .bind(range.since)
    .bind(range.until)
    .fetch_all(pool)
    .await?;
    Ok(daily(range, rows))
}

/// Events received per day, one series per category (an event counts once for each of its
/// categories): the [`TOP_CATEGORIES`] largest by name, the rest summed as [`OTHER_CATEGORIES`].
pub async fn events_by_category(pool: &SqlitePool, range: Range) -> sqlx::Result<Vec<DailySeries>> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT (e.received_at - ?1) / 86400000 AS day, c.name, COUNT(*) \
         FROM events e JOIN event_categories c ON c.event_id = e.id \
         WHERE e.received_at >= ?1 AND e.received_at < ?2 GROUP BY day, c.name",
    )
    .bind(range.since)
    .bind(range.until)
    .fetch_all(pool)
    .await?;
    let mut series = daily(range, rows);
    if series.len() > TOP_CATEGORIES + 1 {
        let rest = series.split_off(TOP_CATEGORIES);
        let mut other = DailySeries {
            name: OTHER_CATEGORIES.to_owned(),
            counts: vec![0; range.days()],
        };
        for s in rest {
            for (slot, count) in other.counts.iter_mut().zip(s.counts) {
                *slot += count;
            }
        }
        series.push(other);
    }
    Ok(series)
}

/// Open items at `now` by age (time since they opened), each bucket split by whether the item
/// is past its due time.
pub async fn open_by_age(pool: &SqlitePool, now: i64) -> sqlx::Result<Vec<AgeBucket>> {
    let mut case = String::from("CASE");
    for (index, (_, below)) in AGE_BUCKETS.iter().enumerate() {
        if *below != i64::MAX {
            case.push_str(&format!(" WHEN ?1 - opened_at < {below} THEN {index}"));
        }
    }
    case.push_str(&format!(" ELSE {} END", AGE_BUCKETS.len() - 1));
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT {case} AS bucket, SUM(due_at > ?1), SUM(due_at <= ?1) FROM review_items \
         WHERE status = 'open' GROUP BY bucket"
    ))
    .bind(now)
    .fetch_all(pool)
    .await?;

    let mut buckets: Vec<AgeBucket> = AGE_BUCKETS
        .iter()
        .map(|(label, _)| AgeBucket {
            label: (*label).to_owned(),
            within_due: 0,
            overdue: 0,
        })
        .collect();
    for (bucket, within_due, overdue) in rows {
        if let Some(b) = usize::try_from(bucket)
            .ok()
            .and_then(|i| buckets.get_mut(i))
        {
            b.within_due = within_due;
            b.overdue = overdue;
        }
    }
    Ok(buckets)
}

/// Time from opening to decision per category, for items decided in `range`; most decided
/// first. Percentiles are nearest-rank: with `n` times sorted ascending, p50 is the time at
/// rank ⌈n × 0.5⌉ and p90 the one at rank ⌈n × 0.9⌉ (ranks from 1), so each is a time some
/// decision actually took.
pub async fn time_to_decision(pool: &SqlitePool, range: Range) -> sqlx::Result<Vec<DecisionTimes>> {
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "WITH ranked AS ( \
            SELECT c.name AS category, r.decided_at - r.opened_at AS ms, \
                   ROW_NUMBER() OVER (PARTITION BY c.name ORDER BY r.decided_at - r.opened_at) \
                       AS rank, \
                   COUNT(*) OVER (PARTITION BY c.name) AS n \
            FROM review_items r JOIN event_categories c ON c.event_id = r.event_id \
            WHERE r.status = 'resolved' AND r.decided_at >= ?1 AND r.decided_at < ?2) \
         SELECT MIN(category), MAX(n), \
                MAX(CASE WHEN rank = (n * 50 + 99) / 100 THEN ms END), \
                MAX(CASE WHEN rank = (n * 90 + 99) / 100 THEN ms END) \
         FROM ranked GROUP BY category COLLATE NOCASE ORDER BY MAX(n) DESC, MIN(category)",
    )
    .bind(range.since)
    .bind(range.until)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(category, decided, p50_ms, p90_ms)| DecisionTimes {
            category,
            decided,
            p50_ms,
            p90_ms,
        })
        .collect())
}

/// Approvals and removals per reviewer in `range`, most decisions first. Undone decisions are
/// not counted: an undo takes the decision back.
pub async fn per_reviewer(pool: &SqlitePool, range: Range) -> sqlx::Result<Vec<ReviewerCounts>> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT COALESCE(u.name, '(removed user)'), SUM(r.decision = 'approve'), \
                SUM(r.decision = 'remove') \
         FROM review_items r LEFT JOIN users u ON u.id = r.decided_by \
         WHERE r.status = 'resolved' AND r.decided_at >= ?1 AND r.decided_at < ?2 \
         GROUP BY r.decided_by ORDER BY COUNT(*) DESC, 1",
    )
    .bind(range.since)
    .bind(range.until)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(reviewer, approved, removed)| ReviewerCounts {
            reviewer,
            approved,
            removed,
        })
        .collect())
}

/// For items decided in `range`: per score band (the upstream's score of the event the item was
/// decided on), how many were decided and how many approved. First for all items (named
/// `all_label`), then per category, most decided first.
pub async fn agreement(
    pool: &SqlitePool,
    range: Range,
    all_label: &str,
) -> sqlx::Result<Vec<Agreement>> {
    let all: Vec<(String, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT ?3, {BAND_SQL} AS band, COUNT(*), SUM(r.decision = 'approve') \
         FROM review_items r \
         WHERE r.status = 'resolved' AND r.decided_at >= ?1 AND r.decided_at < ?2 \
         GROUP BY band"
    ))
    .bind(range.since)
    .bind(range.until)
    .bind(all_label)
    .fetch_all(pool)
    .await?;
    let per_category: Vec<(String, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT MIN(c.name), {BAND_SQL} AS band, COUNT(*), SUM(r.decision = 'approve') \
         FROM review_items r JOIN event_categories c ON c.event_id = r.event_id \
         WHERE r.status = 'resolved' AND r.decided_at >= ?1 AND r.decided_at < ?2 \
         GROUP BY c.name, band"
    ))
    .bind(range.since)
    .bind(range.until)
    .fetch_all(pool)
    .await?;

    let mut overall = by_band(all);
    if overall.is_empty() {
        overall.push(Agreement {
            category: all_label.to_owned(),
            bands: vec![BandCounts::default(); BANDS.len()],
        });
    }
    let mut categories = by_band(per_category);
    let decided = |a: &Agreement| a.bands.iter().map(|b| b.decided).sum::<i64>();
    categories.sort_by(|a, b| {
        decided(b)
            .cmp(&decided(a))
            .then_with(|| a.category.cmp(&b.category))
    });
    overall.extend(categories);
    Ok(overall)
}

/// `(name, band, decided, approved)` rows as one [`Agreement`] per name.
fn by_band(rows: Vec<(String, i64, i64, i64)>) -> Vec<Agreement> {
    let mut grouped: BTreeMap<String, Agreement> = BTreeMap::new();
    for (name, band, decided, approved) in rows {
        let entry = grouped
            .entry(name.to_ascii_lowercase())
            .or_insert_with(|| Agreement {
                category: name,
                bands: vec![BandCounts::default(); BANDS.len()],
            });
        if let Some(slot) = usize::try_from(band)
            .ok()
            .and_then(|b| entry.bands.get_mut(b))
        {
            slot.decided += decided;
            slot.approved += approved;
        }
    }
    grouped.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_rows_become_one_series_per_name_largest_first() {
        let range = Range {
            since: 0,
            until: 3 * DAY_MS,
        };
        let rows = vec![
            (0, "spam".to_owned(), 1),
            (2, "Hate".to_owned(), 4),
            (1, "hate".to_owned(), 1),
            (9, "spam".to_owned(), 7),
        ];

        let series = daily(range, rows);

        assert_eq!(
            series,
            vec![
                DailySeries {
                    name: "Hate".into(),
                    counts: vec![0, 1, 4]
                },
                DailySeries {
                    name: "spam".into(),
                    counts: vec![1, 0, 0]
                },
            ]
        );
    }
}
