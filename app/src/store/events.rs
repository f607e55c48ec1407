//! Received upstream events: the row types and SQL the ingest writer uses. Storing one also
//! opens or refreshes its review item and appends the history entry, in one transaction.

use crate::model::CategoryScore;
use crate::store::history::{NewEntry, kind};

/// The upstream's event type that sends content to human review.
pub const TYPE_REVIEW: &str = "moderation.review";

/// A verified, parsed event ready to be stored.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub source: String,
    pub event_id: String,
    pub webhook_id: String,
    pub event_type: String,
    pub reference_id: String,
    pub action: String,
    pub score: f64,
    pub categories: Vec<CategoryScore>,
    pub content_kind: Option<String>,
    pub excerpt: Option<String>,
    pub content_url: Option<String>,
    pub subject: Option<String>,
    pub created_at: i64,
    pub received_at: i64,
    pub body: Vec<u8>,
}

/// What storing an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// First delivery of this event id: stored; `queued` for review, `relayed` to at least one
    /// destination.
    Stored { queued: bool, relayed: bool },
    /// The id was already stored with the same body: nothing written.
    Duplicate,
    /// The id was already stored with a different body: the first body is kept, the mismatch is
    /// noted in the history.
    DuplicateMismatch,
}

/// Inserts an event unless (source, event_id) exists; one changed row means it was new, and its
/// row id is the connection's last inserted one. Parameters in the order of [`NewEvent`]'s
/// fields, with `categories` as JSON.
///
/// There is no `RETURNING id`: SQLite runs `RETURNING` as a trigger, and a statement with a
/// trigger that may fail keeps a copy of every page it changes (a statement journal), which
/// cost the ingest writer about 4 % of its time.
pub const INSERT_SQL: &str = "INSERT INTO events (source, event_id, webhook_id, event_type, \
     reference_id, action, score, categories, content_kind, excerpt, content_url, subject, \
     created_at, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
     ON CONFLICT (source, event_id) DO NOTHING";

/// Records one category name of a stored event, for the queue's category filter. Parameters:
/// event row id, name. A name listed twice in one event is kept once.
pub const CATEGORY_SQL: &str =
    "INSERT OR IGNORE INTO event_categories (event_id, name) VALUES (?, ?)";

/// Whether the stored event (source, event_id) has exactly this body (byte for byte), and the
/// stored event's reference id. Parameters: body, source, event_id.
pub const SAME_BODY_SQL: &str =
    "SELECT body = ?, reference_id FROM events WHERE source = ? AND event_id = ?";

impl NewEvent {
    /// The history entry for a newly stored event.
    pub fn received_entry(&self) -> NewEntry<'_> {
        NewEntry {
            at: self.received_at,
            actor: &self.source,
            kind: kind::EVENT_RECEIVED,
            reference_id: Some(&self.reference_id),
            detail: format!(
                "{} {} (action {}, score {:.2})",
                self.event_type, self.event_id, self.action, self.score
            ),
        }
    }

    /// The history entry for a redelivery whose body differs from the stored one, filed under
    /// the stored event's reference id.
    pub fn mismatch_entry<'a>(&'a self, stored_reference_id: &'a str) -> NewEntry<'a> {
        NewEntry {
            at: self.received_at,
            actor: &self.source,
            kind: kind::EVENT_DUPLICATE_BODY,
            reference_id: Some(stored_reference_id),
            detail: format!(
                "redelivery of {} carried a different body; the first body was kept",
                self.event_id
            ),
        }
    }
}
