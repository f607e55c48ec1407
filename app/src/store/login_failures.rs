//! Failed logins per account name and per client address, for throttling. Kept in SQLite so the
//! count is shared by every request and survives a restart; rows leave once outside the window.

use sqlx::SqlitePool;

/// How many failures are allowed within `window_ms` before further attempts are refused.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Failures allowed per account name; 0 turns the account limit off.
    pub per_account: u32,
    /// Failures allowed per client address; 0 turns the address limit off.
    pub per_address: u32,
    pub window_ms: i64,
}

/// The outcome of asking to attempt a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The attempt may go ahead; it is counted as a failure (row `id`) until [`succeeded`] says
    /// otherwise, so parallel attempts cannot all slip under the limit. `uses_up` says whether
    /// this attempt, if it fails, is the one that brings its account or address to the limit.
    Admitted { id: i64, uses_up: UsesUp },
    /// Too many failures; the next attempt is admitted at `retry_at` (Unix ms) at the earliest.
    Refused { retry_at: i64 },
}

/// Which limits an admitted attempt uses up if it fails. Exactly one attempt per key reaches the
/// limit each time the key comes back under it, so throttling is recorded once, not once per
/// refused request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsesUp {
    pub account: bool,
    pub address: bool,
}

/// Reserves an attempt for `account` from `address` at time `now`, unless either has used up its
/// failures within the window. The check and the reservation are one statement, so concurrent
/// attempts are counted exactly. `None` for either key skips its limit.
pub async fn admit(
    pool: &SqlitePool,
    limits: Limits,
    account: Option<&str>,
    address: Option<&str>,
    now: i64,
) -> sqlx::Result<Admission> {
    let since = now - limits.window_ms;
    sqlx::query("DELETE FROM login_failures WHERE at <= ?")
        .bind(since)
        .execute(pool)
        .await?;

    // The counts in RETURNING include the new row and are taken by the same statement, so two
    // attempts cannot both see themselves as the one that reaches the limit.
    let admitted: Option<(i64, bool, bool)> = sqlx::query_as(
        "INSERT INTO login_failures (account, address, at) SELECT ?1, ?2, ?3 \
         WHERE (?4 = 0 OR ?1 IS NULL \
                OR (SELECT COUNT(*) FROM login_failures WHERE account = ?1 AND at > ?5) < ?4) \
           AND (?6 = 0 OR ?2 IS NULL \
                OR (SELECT COUNT(*) FROM login_failures WHERE address = ?2 AND at > ?5) < ?6) \
         RETURNING id, \
           ?4 > 0 AND ?1 IS NOT NULL \
             AND (SELECT COUNT(*) FROM login_failures WHERE account = ?1 AND at > ?5) = ?4, \
           ?6 > 0 AND ?2 IS NOT NULL \
             AND (SELECT COUNT(*) FROM login_failures WHERE address = ?2 AND at > ?5) = ?6",
    )
    .bind(account)
    .bind(address)
    .bind(now)
    .bind(limits.per_account)
    .bind(since)
    .bind(limits.per_address)
    .fetch_optional(pool)
    .await?;
    if let Some((id, account, address)) = admitted {
        let uses_up = UsesUp { account, address };
        return Ok(Admission::Admitted { id, uses_up });
    }

    let by_account = free_again_at(pool, "account", account, limits.per_account, since);
    let by_address = free_again_at(pool, "address", address, limits.per_address, since);
    // Both can be gone if the rows just left the window; then the next attempt may go ahead.
    let newest = by_account.await?.max(by_address.await?);
    let retry_at = newest.map_or(now, |at| at + limits.window_ms);
    Ok(Admission::Refused { retry_at })
}

/// The time of the `limit`-th newest failure for this key: once it leaves the window, the key is
/// below its limit again. `None` when the key is under its limit (or the limit is off).
async fn free_again_at(
    pool: &SqlitePool,
    column: &str,
    key: Option<&str>,
    limit: u32,
    since: i64,
) -> sqlx::Result<Option<i64>> {
    let Some(key) = key.filter(|_| limit > 0) else {
        return Ok(None);
    };
    // `column` is one of two constants chosen above, never input.
    let sql = format!(
        "SELECT at FROM login_failures WHERE {column} = ? AND at > ? \
         ORDER BY at DESC LIMIT 1 OFFSET ?"
    );
    sqlx::query_scalar(&sql)
        .bind(key)
        .bind(since)
        .bind(i64::from(limit) - 1)
        .fetch_optional(pool)
        .await
}

/// A login succeeded: its own reservation is dropped and the account's failures are cleared.
/// The address keeps its other failures, so one good account cannot reset an address's budget.
pub async fn succeeded(pool: &SqlitePool, id: i64, account: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE id = ? OR account = ?")
        .bind(id)
        .bind(account)
        .execute(pool)
        .await?;
    Ok(())
}
