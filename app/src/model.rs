//! Wire types shared by the server and the browser. Database rows live in `store`; these are
//! what a page is allowed to see (no password hashes, no secrets).

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a user may do. Each role includes everything of the roles before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Reviewer,
    Manager,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reviewer => "reviewer",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "reviewer" => Some(Role::Reviewer),
            "manager" => Some(Role::Manager),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The logged-in user, as pages see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

/// A human decision on a review item. The upstream's own action is never changed by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The content stays up.
    Approve,
    /// The content is taken down.
    Remove,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Remove => "remove",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "approve" => Some(Decision::Approve),
            "remove" => Some(Decision::Remove),
            _ => None,
        }
    }
}

/// One matched category and the upstream's score for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryScore {
    pub name: String,
    pub score: f64,
}

/// A row of the review queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueRow {
    pub id: i64,
    pub reference_id: String,
    pub score: f64,
    pub categories: Vec<CategoryScore>,
    pub excerpt: Option<String>,
    /// How long the item has been open, for example `4m` or `2h 10m`.
    pub age: String,
}

/// Everything the item page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemDetail {
    pub id: i64,
    pub reference_id: String,
    pub open: bool,
    pub event_id: String,
    pub event_type: String,
    pub action: String,
    pub score: f64,
    pub categories: Vec<CategoryScore>,
    pub content_kind: Option<String>,
    pub excerpt: Option<String>,
    pub content_url: Option<String>,
    pub subject: Option<String>,
    pub created_at: String,
    pub opened_at: String,
    pub age: String,
    pub resolution: Option<Resolution>,
    /// The event body exactly as received.
    pub raw_body: String,
}

/// How a resolved item was decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    pub decision: Decision,
    pub note: String,
    pub reviewer: String,
    pub decided_at: String,
}

/// A row of the Decisions page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRow {
    pub item_id: i64,
    pub reference_id: String,
    pub decision: Decision,
    pub note: String,
    pub reviewer: String,
    pub decided_at: String,
    /// Time from the item opening to the decision, for example `12m`.
    pub time_to_decision: String,
    pub score: f64,
    pub action: String,
}

/// A row of the History page: one action, by a person or by the upstream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub reference_id: Option<String>,
    pub detail: String,
}

/// A delivery kept in the dead-letter inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetterRow {
    pub id: i64,
    pub received_at: String,
    pub source: String,
    pub reason: String,
    /// JSON object of the signature-related headers.
    pub headers: String,
    /// The body as text (invalid UTF-8 shown as replacement characters).
    pub body: String,
    pub body_bytes: usize,
}

/// A configured relay destination as admins see it: no URL, no secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DestinationView {
    pub name: String,
    pub kind: String,
    /// The routing rule in words, e.g. "moderation.review · categories self-harm · score ≥ 0.50".
    pub routing: String,
    pub pending: i64,
    pub delivered: i64,
    pub dead: i64,
}

/// Job counts of one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationCounts {
    pub destination: String,
    pub pending: i64,
    pub delivered: i64,
    pub dead: i64,
}

/// One relay job on the Deliveries page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryJobRow {
    pub id: i64,
    pub destination: String,
    pub topic: String,
    pub reference_id: Option<String>,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt: Option<String>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: String,
}

/// Everything the Deliveries page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveriesView {
    pub destinations: Vec<DestinationView>,
    pub jobs: Vec<DeliveryJobRow>,
}

/// A dashboard user on the Users page: no password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
}
