//! The history's hash chain: the one canonical form of an entry and its hash, shared by every
//! writer (sqlx here, rusqlite in the ingest writer) and by the verifier that walks the chain.
//! docs/history.md describes the format so that anyone can check a copy of the database.

use sha2::{Digest, Sha256};
use sqlx::{FromRow, SqliteConnection, SqlitePool};
use std::fmt;

/// The previous hash of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Marks the format; a later format would change it.
const DOMAIN: &[u8] = b"moddesk-history-v1\n";

/// The last entry: its id and hash. Parameters: none. A row with a NULL hash is unsealed.
pub const TAIL_SQL: &str = "SELECT id, hash FROM history ORDER BY id DESC LIMIT 1";

/// Appends a sealed entry. Parameters: id, at, actor, kind, reference_id, detail, prev_hash,
/// hash. The `history_chains` trigger refuses it unless it is the next id and chains onto the
/// last entry. `OR FAIL` (not the default ABORT, which changes nothing for a one-row insert)
/// spares SQLite a statement journal on every append.
pub const INSERT_SQL: &str = "INSERT OR FAIL INTO history \
     (id, at, actor, kind, reference_id, detail, prev_hash, hash) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

/// Entries read in one go while walking or sealing the chain.
const CHUNK: i64 = 2_000;

/// The fields an entry's hash covers, in the canonical order.
#[derive(Debug, Clone, Copy)]
pub struct Content<'a> {
    pub id: i64,
    pub at: i64,
    pub actor: &'a str,
    pub kind: &'a str,
    pub reference_id: Option<&'a str>,
    pub detail: &'a str,
    pub prev_hash: &'a str,
}

impl Content<'_> {
    /// The canonical serialisation: a domain line, then each field tagged with its type,
    /// integers as 8 bytes big-endian, text with its byte length (8 bytes big-endian) first, so
    /// no two different entries serialise alike.
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            DOMAIN.len() + 128 + self.actor.len() + self.detail.len() + self.kind.len(),
        );
        out.extend_from_slice(DOMAIN);
        integer(&mut out, self.id);
        integer(&mut out, self.at);
        text(&mut out, self.actor);
        text(&mut out, self.kind);
        match self.reference_id {
            Some(reference_id) => text(&mut out, reference_id),
            None => out.push(b'N'),
        }
        text(&mut out, self.detail);
        text(&mut out, self.prev_hash);
        out
    }

    /// SHA-256 of the canonical form, as lowercase hex.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical()))
    }
}

fn integer(out: &mut Vec<u8>, value: i64) {
    out.push(b'I');
    out.extend_from_slice(&value.to_be_bytes());
}

fn text(out: &mut Vec<u8>, value: &str) {
    out.push(b'S');
    out.extend_from_slice(&(value.len() as u64).to_be_bytes());
    out.extend_from_slice(value.as_bytes());
}

/// A link of the chain: an entry's id and hash. `Link::start()` stands before the first entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub id: i64,
    pub hash: String,
}

impl Link {
    /// Before the first entry: id 0 and the [`GENESIS`] hash.
    pub fn start() -> Link {
        Link {
            id: 0,
            hash: GENESIS.to_owned(),
        }
    }

    /// The link after this one for an entry with these fields, and that entry's hash.
    pub fn next(
        &self,
        at: i64,
        actor: &str,
        kind: &str,
        reference_id: Option<&str>,
        detail: &str,
    ) -> Link {
        let id = self.id + 1;
        let hash = Content {
            id,
            at,
            actor,
            kind,
            reference_id,
            detail,
            prev_hash: &self.hash,
        }
        .hash();
        Link { id, hash }
    }

    /// The link the next append chains onto, from the last entry's id and hash ([`TAIL_SQL`]).
    /// An unsealed last entry is an error: appending after it would leave it out of the chain.
    pub fn from_tail(tail: Option<(i64, Option<String>)>) -> Result<Link, UnsealedTail> {
        match tail {
            None => Ok(Link::start()),
            Some((id, Some(hash))) => Ok(Link { id, hash }),
            Some((id, None)) => Err(UnsealedTail(id)),
        }
    }
}

/// The last history entry has no hash: the database was not opened through `db::open` (which
/// seals older entries), or someone inserted it by hand.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("history entry {0} is not sealed, so nothing can be chained onto it")]
pub struct UnsealedTail(pub i64);

/// The link the next append chains onto. Call it inside the transaction that appends, after it
/// holds SQLite's write lock (`BEGIN IMMEDIATE`), so no other writer can append in between.
pub async fn tail(conn: &mut SqliteConnection) -> sqlx::Result<Link> {
    let tail: Option<(i64, Option<String>)> = sqlx::query_as(TAIL_SQL).fetch_optional(conn).await?;
    Link::from_tail(tail).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

#[derive(FromRow)]
struct Row {
    id: i64,
    at: i64,
    actor: String,
    kind: String,
    reference_id: Option<String>,
    detail: String,
    prev_hash: Option<String>,
    hash: Option<String>,
}

impl Row {
    /// This row's hash as it should be, over its stored previous hash.
    fn expected_hash(&self, prev_hash: &str) -> String {
        Content {
            id: self.id,
            at: self.at,
            actor: &self.actor,
            kind: &self.kind,
            reference_id: self.reference_id.as_deref(),
            detail: &self.detail,
            prev_hash,
        }
        .hash()
    }
}

const ROWS_SQL: &str = "SELECT id, at, actor, kind, reference_id, detail, prev_hash, hash \
     FROM history WHERE id > ? ORDER BY id LIMIT ?";

/// Seals the entries written before the chain existed, in id order, in one `BEGIN IMMEDIATE`
/// transaction. Only while no entry is sealed yet: once the chain has begun, an unsealed entry
/// can only have been inserted by hand, and sealing it would hide that. Returns how many it
/// sealed.
pub async fn seal_unsealed(pool: &SqlitePool) -> sqlx::Result<u64> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let started: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM history WHERE hash IS NOT NULL)")
            .fetch_one(&mut *tx)
            .await?;
    if started {
        return Ok(0);
    }

    let mut link = Link::start();
    let mut sealed = 0;
    loop {
        let rows: Vec<Row> = sqlx::query_as(ROWS_SQL)
            .bind(link.id)
            .bind(CHUNK)
            .fetch_all(&mut *tx)
            .await?;
        let Some(last) = rows.last() else { break };
        let last_id = last.id;
        for row in &rows {
            let hash = row.expected_hash(&link.hash);
            sqlx::query("UPDATE history SET prev_hash = ?, hash = ? WHERE id = ?")
                .bind(&link.hash)
                .bind(&hash)
                .bind(row.id)
                .execute(&mut *tx)
                .await?;
            link = Link { id: row.id, hash };
            sealed += 1;
        }
        debug_assert_eq!(link.id, last_id);
    }
    tx.commit().await?;
    Ok(sealed)
}

/// A verified prefix of the chain: everything up to entry `id`, whose hash is `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub id: i64,
    pub hash: String,
    /// How many entries the chain has up to and including `id`.
    pub entries: u64,
}

/// What is wrong with the chain, naming the first entry where it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The entry's content no longer matches its hash.
    Changed { id: i64 },
    /// Entries between `after` and `before` are gone: `before` chains onto something missing.
    Removed { after: i64, before: i64 },
    /// The first entries are gone: the first entry left chains onto something missing.
    RemovedBefore { first: i64 },
    /// The entry sits between two entries that chain onto each other: it was put in afterwards.
    Inserted { id: i64, after: i64, before: i64 },
    /// The entry does not chain onto the one before it (`after`, or the start): it was added by
    /// hand, or the entry before it was rewritten with a new hash.
    Unchained { id: i64, after: Option<i64> },
    /// A verified entry that was there before is gone.
    Missing { id: i64 },
}

impl Break {
    /// The first entry that does not verify (for a removal, the entry after the gap).
    pub fn entry(&self) -> i64 {
        match *self {
            Break::Changed { id }
            | Break::Inserted { id, .. }
            | Break::Unchained { id, .. }
            | Break::Missing { id } => id,
            Break::Removed { before, .. } => before,
            Break::RemovedBefore { first } => first,
        }
    }
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Break::Changed { id } => {
                write!(
                    f,
                    "entry {id} was changed: its content does not match its hash"
                )
            }
            Break::Removed { after, before } if before - after == 2 => {
                write!(f, "an entry between {after} and {before} was removed")
            }
            Break::Removed { after, before } => {
                write!(f, "entries between {after} and {before} were removed")
            }
            Break::RemovedBefore { first } => {
                write!(f, "the entries before entry {first} were removed")
            }
            Break::Inserted {
                id,
                after: 0,
                before,
            } => write!(
                f,
                "entry {id} was inserted: entry {before} chains directly onto the start"
            ),
            Break::Inserted { id, after, before } => write!(
                f,
                "entry {id} was inserted: entry {before} chains directly onto entry {after}"
            ),
            Break::Unchained {
                id,
                after: Some(after),
            } => write!(
                f,
                "entry {id} was inserted or entry {after} rewritten: {id} does not chain onto {after}"
            ),
            Break::Unchained { id, after: None } => write!(
                f,
                "entry {id} was inserted or the first entry rewritten: {id} does not start the chain"
            ),
            Break::Missing { id } => write!(f, "entry {id} was removed"),
        }
    }
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry chains and matches its hash, up to this checkpoint.
    Verified(Checkpoint),
    /// The chain breaks; `checked` entries before the break verified.
    Broken { problem: Break, checked: u64 },
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Verified(checkpoint) => {
                write!(f, "History chain verified: {}", entries(checkpoint.entries))
            }
            Verdict::Broken { problem, checked } => write!(
                f,
                "History chain broken at entry {}: {problem} ({} before it verified)",
                problem.entry(),
                entries(*checked)
            ),
        }
    }
}

fn entries(n: u64) -> String {
    if n == 1 {
        "1 entry".to_owned()
    } else {
        format!("{n} entries")
    }
}

/// Walks the chain in id order from `from` (a checkpoint an earlier walk returned; `None` walks
/// from the first entry) and stops at the first break. Reads [`CHUNK`] rows at a time, so memory
/// stays flat however long the history is; entries appended during the walk are included up to
/// where the walk ends. From a checkpoint, the checkpoint's own entry is read again first, so a
/// change to it or its removal is found too (entries before it are not re-read).
pub async fn verify(pool: &SqlitePool, from: Option<&Checkpoint>) -> sqlx::Result<Verdict> {
    let mut walk = match from {
        None => Walk::new(None, 0),
        Some(checkpoint) => match recheck(pool, checkpoint).await? {
            Some(problem) => {
                return Ok(Verdict::Broken {
                    problem,
                    checked: checkpoint.entries.saturating_sub(1),
                });
            }
            None => Walk::new(
                Some(Link {
                    id: checkpoint.id,
                    hash: checkpoint.hash.clone(),
                }),
                checkpoint.entries,
            ),
        },
    };

    loop {
        let after = walk.prev.as_ref().map_or(i64::MIN, |p| p.id);
        let rows: Vec<Row> = sqlx::query_as(ROWS_SQL)
            .bind(after)
            .bind(CHUNK)
            .fetch_all(pool)
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            if let Some(problem) = walk.step(row) {
                return Ok(Verdict::Broken {
                    problem,
                    checked: walk.entries,
                });
            }
        }
    }
    Ok(Verdict::Verified(walk.checkpoint()))
}

/// Whether the checkpoint's entry is still there with the same hash and content.
async fn recheck(pool: &SqlitePool, checkpoint: &Checkpoint) -> sqlx::Result<Option<Break>> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, at, actor, kind, reference_id, detail, prev_hash, hash \
         FROM history WHERE id = ?",
    )
    .bind(checkpoint.id)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(Some(Break::Missing { id: checkpoint.id }));
    };
    let intact = row.hash.as_deref() == Some(checkpoint.hash.as_str())
        && row
            .prev_hash
            .as_deref()
            .is_some_and(|prev| row.expected_hash(prev) == checkpoint.hash);
    Ok((!intact).then_some(Break::Changed { id: row.id }))
}

/// The state of a walk: the last two entries that verified and how many have.
struct Walk {
    prev: Option<Link>,
    /// The entry before `prev`, to tell an inserted `prev` from other breaks.
    before_prev: Option<Link>,
    entries: u64,
}

impl Walk {
    fn new(prev: Option<Link>, entries: u64) -> Walk {
        Walk {
            prev,
            before_prev: None,
            entries,
        }
    }

    /// Checks that `row` chains onto the previous entry and matches its own hash.
    fn step(&mut self, row: Row) -> Option<Break> {
        let expected_prev = self.prev.as_ref().map_or(GENESIS, |p| p.hash.as_str());
        let Some(prev_hash) = row.prev_hash.as_deref().filter(|h| *h == expected_prev) else {
            return Some(self.unchained(&row));
        };
        let hash = row.expected_hash(prev_hash);
        if row.hash.as_deref() != Some(hash.as_str()) {
            return Some(Break::Changed { id: row.id });
        }
        self.before_prev = self.prev.replace(Link { id: row.id, hash });
        self.entries += 1;
        None
    }

    /// Why `row` does not chain onto the previous entry. If it chains onto the entry before
    /// that one, the previous entry was slipped in between them.
    fn unchained(&mut self, row: &Row) -> Break {
        let (Some(prev), row_prev) = (&self.prev, row.prev_hash.as_deref()) else {
            return if row.id > 1 {
                Break::RemovedBefore { first: row.id }
            } else {
                Break::Unchained {
                    id: row.id,
                    after: None,
                }
            };
        };
        let skipped_over = match &self.before_prev {
            Some(before) => row_prev == Some(before.hash.as_str()),
            None => self.entries == 1 && row_prev == Some(GENESIS),
        };
        if skipped_over {
            self.entries -= 1;
            return Break::Inserted {
                id: prev.id,
                after: self.before_prev.as_ref().map_or(0, |b| b.id),
                before: row.id,
            };
        }
        if row.id > prev.id + 1 {
            Break::Removed {
                after: prev.id,
                before: row.id,
            }
        } else {
            Break::Unchained {
                id: row.id,
                after: Some(prev.id),
            }
        }
    }

    fn checkpoint(self) -> Checkpoint {
        let last = self.prev.unwrap_or_else(Link::start);
        Checkpoint {
            id: last.id,
            hash: last.hash,
            entries: self.entries,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content<'a>(detail: &'a str, reference_id: Option<&'a str>) -> Content<'a> {
        Content {
            id: 7,
            at: 1_700_000_000_000,
            actor: "alice",
            kind: "review.decided",
            reference_id,
            detail,
            prev_hash: GENESIS,
        }
    }

    #[test]
    fn fields_cannot_run_into_each_other() {
        let a = Content {
            actor: "al",
            kind: "ice.x",
            ..content("d", None)
        };
        let b = Content {
            actor: "ali",
            kind: "ce.x",
            ..content("d", None)
        };

        assert_ne!(a.hash(), b.hash());
        assert_ne!(content("", None).hash(), content("", Some("")).hash());
    }

    #[test]
    fn the_hash_is_stable() {
        // Pinned so a change to the canonical form cannot go unnoticed: it would break every
        // existing chain. docs/history.md shows how to recompute it.
        assert_eq!(
            content("approved", Some("post-1")).hash(),
            "77e3ce19ea7ada34c7d9768a0d40ede898bd172325077bf3d07d84c5ce91f422"
        );
    }

    #[test]
    fn a_start_link_chains_from_genesis() {
        let first = Link::start().next(1, "a", "k", None, "d");

        assert_eq!(first.id, 1);
        assert_eq!(
            first.hash,
            Content {
                id: 1,
                at: 1,
                actor: "a",
                kind: "k",
                reference_id: None,
                detail: "d",
                prev_hash: GENESIS
            }
            .hash()
        );
    }
}
