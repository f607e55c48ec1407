//! The action history: an append-only, hash-chained log of everything that happened
//! (docs/history.md). Appending and reading; the chain itself is in [`crate::store::chain`].

use crate::model::{HistoryFilter, HistoryRow};
use crate::store::chain::{self, Link};
use crate::store::{day_range, format_time_ms};
use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

/// The actors moddesk itself writes into the history, besides user names. No user may be named
/// like one of them (compared without case), so an entry cannot pass for another actor's.
pub mod actor {
    /// A login attempt, before anyone is known.
    pub const ANONYMOUS: &str = "anonymous";
    /// The first admin, created through the setup link.
    pub const SETUP_LINK: &str = "setup link";
    /// The `moddesk user` command.
    pub const CLI: &str = "cli";
    /// The configured relay destinations, recorded at start.
    pub const CONFIG: &str = "config";
    /// The relay's delivery attempts.
    pub const RELAY: &str = "relay";
    /// Overdue alerts.
    pub const MODDESK: &str = "moddesk";
    /// Events from the upstream webhook.
    pub const AEGIS: &str = "aegis";

    /// Every actor above.
    pub const ALL: [&str; 7] = [ANONYMOUS, SETUP_LINK, CLI, CONFIG, RELAY, MODDESK, AEGIS];
}

/// Kinds of history entries.
pub mod kind {
    pub const EVENT_RECEIVED: &str = "event.received";
    pub const EVENT_DUPLICATE_BODY: &str = "event.duplicate_mismatch";
    pub const REVIEW_DECIDED: &str = "review.decided";
    pub const REVIEW_ESCALATED: &str = "review.escalated";
    pub const REVIEW_CLAIMED: &str = "review.claimed";
    pub const REVIEW_RELEASED: &str = "review.released";
    pub const REVIEW_UNDONE: &str = "review.undone";
    pub const REVIEW_REOPENED: &str = "review.reopened";
    pub const REVIEW_REVEALED: &str = "review.revealed";
    /// An open item passed its due time and its alert was queued.
    pub const REVIEW_OVERDUE: &str = "review.overdue";
    pub const LOGIN: &str = "auth.login";
    pub const LOGIN_FAILED: &str = "auth.login_failed";
    /// A failed login used up the failures allowed for its name or address; later attempts are
    /// refused unchecked, and not recorded one by one.
    pub const LOGIN_THROTTLED: &str = "auth.login_throttled";
    pub const LOGOUT: &str = "auth.logout";
    pub const USER_CREATED: &str = "user.created";
    pub const USER_PASSWORD: &str = "user.password_changed";
    pub const USER_ROLE: &str = "user.role_changed";
    pub const USER_DISABLED: &str = "user.disabled";
    pub const USER_ENABLED: &str = "user.enabled";
    /// A relay destination appeared in the config (recorded at start).
    pub const DESTINATION_ADDED: &str = "destination.added";
    /// A destination's kind, rules, URL or secret changed in the config.
    pub const DESTINATION_CHANGED: &str = "destination.changed";
    pub const DESTINATION_REMOVED: &str = "destination.removed";
    pub use crate::store::relay_jobs::kind::{
        DEAD as RELAY_DEAD, DELIVERED as RELAY_DELIVERED, REQUEUED as RELAY_REQUEUED,
        RETRY as RELAY_RETRY,
    };

    /// Every kind, for the History page's filter. A kind written anywhere belongs here.
    pub const ALL: [&str; 25] = [
        EVENT_RECEIVED,
        EVENT_DUPLICATE_BODY,
        REVIEW_CLAIMED,
        REVIEW_RELEASED,
        REVIEW_DECIDED,
        REVIEW_ESCALATED,
        REVIEW_UNDONE,
        REVIEW_REOPENED,
        REVIEW_REVEALED,
        LOGIN,
        LOGIN_FAILED,
        LOGIN_THROTTLED,
        LOGOUT,
        USER_CREATED,
        USER_PASSWORD,
        USER_ROLE,
        USER_DISABLED,
        USER_ENABLED,
        DESTINATION_ADDED,
        DESTINATION_CHANGED,
        DESTINATION_REMOVED,
        RELAY_DELIVERED,
        RELAY_RETRY,
        RELAY_DEAD,
        RELAY_REQUEUED,
    ];
}

/// An entry to append.
pub struct NewEntry<'a> {
    pub at: i64,
    pub actor: &'a str,
    pub kind: &'a str,
    pub reference_id: Option<&'a str>,
    pub detail: String,
}

impl NewEntry<'_> {
    /// The link this entry makes after `prev`.
    pub fn link_after(&self, prev: &Link) -> Link {
        prev.next(
            self.at,
            self.actor,
            self.kind,
            self.reference_id,
            &self.detail,
        )
    }
}

/// Appends one entry inside the caller's transaction, chained onto the last entry.
///
/// The transaction must hold SQLite's write lock before this reads the last entry: begin it
/// with `BEGIN IMMEDIATE` (or write something first). Otherwise another writer may append in
/// between; the `history_chains` trigger then refuses this entry (an error, never a fork), but
/// an IMMEDIATE transaction simply waits its turn. For an entry on its own, use [`record`].
pub async fn append(conn: &mut SqliteConnection, entry: NewEntry<'_>) -> sqlx::Result<()> {
    let prev = chain::tail(&mut *conn).await?;
    let link = entry.link_after(&prev);
    sqlx::query(chain::INSERT_SQL)
        .bind(link.id)
        .bind(entry.at)
        .bind(entry.actor)
        .bind(entry.kind)
        .bind(entry.reference_id)
        .bind(&entry.detail)
        .bind(&prev.hash)
        .bind(&link.hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Appends one entry in a `BEGIN IMMEDIATE` transaction of its own.
pub async fn record(pool: &SqlitePool, entry: NewEntry<'_>) -> sqlx::Result<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    append(&mut tx, entry).await?;
    tx.commit().await
}

/// A checked [`HistoryFilter`]: what the SQL compares with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    actor: Option<String>,
    kind: Option<&'static str>,
    reference_id: Option<String>,
    /// Unix ms, inclusive.
    from_ms: Option<i64>,
    /// Unix ms, exclusive: the start of the day after `to`.
    until_ms: Option<i64>,
}

impl Query {
    /// Checks the filter; the error says which field is wrong and why.
    pub fn parse(filter: &HistoryFilter) -> Result<Query, String> {
        let kind = match filter.kind.trim() {
            "" => None,
            given => Some(
                kind::ALL
                    .into_iter()
                    .find(|k| *k == given)
                    .ok_or_else(|| format!("There is no kind of history entry {given:?}."))?,
            ),
        };
        let (from_ms, until_ms) = day_range(&filter.from, &filter.to)?;
        let given = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        Ok(Query {
            actor: given(&filter.actor),
            kind,
            reference_id: given(&filter.reference),
            from_ms,
            until_ms,
        })
    }

    fn push_conditions<'q>(&'q self, sql: &mut QueryBuilder<'q, Sqlite>) {
        if let Some(actor) = &self.actor {
            sql.push(" AND actor = ")
                .push_bind(actor)
                .push(" COLLATE NOCASE");
        }
        if let Some(kind) = self.kind {
            sql.push(" AND kind = ").push_bind(kind);
        }
        if let Some(reference_id) = &self.reference_id {
            sql.push(" AND reference_id = ").push_bind(reference_id);
        }
        if let Some(from) = self.from_ms {
            sql.push(" AND at >= ").push_bind(from);
        }
        if let Some(until) = self.until_ms {
            sql.push(" AND at < ").push_bind(until);
        }
    }
}

#[derive(FromRow)]
struct Row {
    id: i64,
    at: i64,
    actor: String,
    kind: String,
    reference_id: Option<String>,
    detail: String,
    hash: Option<String>,
}

/// A stored entry with its hash, for the CSV export.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub row: HistoryRow,
    /// `None` only for an entry inserted by hand (the chain check names it).
    pub hash: Option<String>,
}

/// The newest entries matching `query` first, `limit` of them, older than entry `before` when
/// given. Filters by actor, kind and reference go through an index; a date range alone is read
/// newest first until enough rows match.
pub async fn list(
    pool: &SqlitePool,
    query: &Query,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<Entry>> {
    let mut sql = QueryBuilder::<Sqlite>::new(
        "SELECT id, at, actor, kind, reference_id, detail, hash FROM history WHERE id < ",
    );
    sql.push_bind(before.unwrap_or(i64::MAX));
    query.push_conditions(&mut sql);
    sql.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
    let rows: Vec<Row> = sql.build_query_as().fetch_all(pool).await?;

    Ok(rows
        .into_iter()
        .map(|r| Entry {
            row: HistoryRow {
                id: r.id,
                at: format_time_ms(r.at),
                actor: r.actor,
                kind: r.kind,
                reference_id: r.reference_id,
                detail: r.detail,
            },
            hash: r.hash,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DAY_MS;

    fn filter(from: &str, to: &str) -> HistoryFilter {
        HistoryFilter {
            from: from.into(),
            to: to.into(),
            ..HistoryFilter::default()
        }
    }

    #[test]
    fn a_date_range_covers_whole_utc_days() {
        let query = Query::parse(&filter("2026-12-03", "2026-12-03")).unwrap();

        assert_eq!(query.from_ms, Some(1_796_256_000_000));
        assert_eq!(query.until_ms, Some(1_796_256_000_000 + DAY_MS));
    }

    #[test]
    fn bad_filters_say_what_is_wrong() {
        let unknown_kind = HistoryFilter {
            kind: "review.maybe".into(),
            ..HistoryFilter::default()
        };

        assert!(
            Query::parse(&unknown_kind)
                .unwrap_err()
                .contains("review.maybe")
        );
        assert!(
            Query::parse(&filter("03.12.2026", ""))
                .unwrap_err()
                .contains("from")
        );
        assert!(
            Query::parse(&filter("2026-12-04", "2026-12-03"))
                .unwrap_err()
                .contains("after")
        );
        assert_eq!(
            Query::parse(&HistoryFilter::default()),
            Ok(Query::default())
        );
    }

    #[test]
    fn every_kind_is_listed_once() {
        let mut kinds = kind::ALL.to_vec();
        kinds.sort_unstable();
        kinds.dedup();

        assert_eq!(kinds.len(), kind::ALL.len());
    }
}
