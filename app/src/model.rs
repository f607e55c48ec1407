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

/// Who may download CSV exports (decisions, history): managers and admins.
pub const EXPORT_ROLE: Role = Role::Manager;

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

/// What a reviewer does with an open item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Approve,
    Remove,
    /// Hand the item to managers; it stays open.
    Escalate,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Remove => "remove",
            Verdict::Escalate => "escalate",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        match s {
            "approve" => Some(Verdict::Approve),
            "remove" => Some(Verdict::Remove),
            "escalate" => Some(Verdict::Escalate),
            _ => None,
        }
    }

    /// The decision this verdict resolves an item with; `None` for escalation.
    pub fn decision(self) -> Option<Decision> {
        match self {
            Verdict::Approve => Some(Decision::Approve),
            Verdict::Remove => Some(Decision::Remove),
            Verdict::Escalate => None,
        }
    }
}

/// Who holds an item, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub by: String,
    pub until_ms: i64,
    /// Whether the caller holds it.
    pub mine: bool,
}

/// Categories with these names, each scored 0.5: for tests.
#[cfg(test)]
pub fn test_categories(names: &[&str]) -> Vec<CategoryScore> {
    names
        .iter()
        .map(|n| CategoryScore {
            name: n.to_string(),
            score: 0.5,
        })
        .collect()
}

/// A row of the review queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueRow {
    pub id: i64,
    pub reference_id: String,
    pub score: f64,
    pub categories: Vec<CategoryScore>,
    /// `None` when there is none, or when it is sensitive and must be revealed first.
    pub excerpt: Option<String>,
    pub sensitive: bool,
    pub opened_at_ms: i64,
    pub due_at_ms: i64,
    /// A live claim; expired claims are not shown.
    pub claim: Option<Claim>,
    /// Who escalated the item, while it waits for a manager.
    pub escalated_by: Option<String>,
    /// Sent back with a decision, so a decision on a stale view is refused.
    pub version: i64,
}

/// Which open items the queue page lists, from its address. Empty strings mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueFilter {
    /// Items with this category.
    #[serde(default)]
    pub category: String,
    /// `high` (0.80 and up), `mid` (0.50 to 0.80) or `low` (below 0.50).
    #[serde(default)]
    pub band: String,
    /// `new` (under 1 hour), `1h`, `24h` or `7d` (at least that old).
    #[serde(default)]
    pub age: String,
    /// `yes`, `no` or `mine`.
    #[serde(default)]
    pub claimed: String,
    /// `only` or `hide`.
    #[serde(default)]
    pub escalated: String,
    /// Reference ids starting with this.
    #[serde(default)]
    pub reference: String,
    /// `urgent` (due time, then score, then age; the default), `newest`, `oldest` or `score`.
    #[serde(default)]
    pub sort: String,
    /// Where the page starts: the `next` cursor of the page before.
    #[serde(default)]
    pub after: String,
}

/// A decision that can still be undone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoOffer {
    pub batch: i64,
    pub until_ms: i64,
    /// For example "removed 3 items".
    pub summary: String,
}

/// Everything the queue page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueView {
    pub rows: Vec<QueueRow>,
    /// The server's clock when the page was made; countdowns run from it.
    pub now_ms: i64,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
    /// Open items matching the filter.
    pub matching: i64,
    pub reason_codes: Vec<String>,
    /// The caller's latest decision, while it can be undone.
    pub undo: Option<UndoOffer>,
    /// Whether the caller may decide escalated items (managers and admins).
    pub decides_escalated: bool,
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
    /// Withheld (`None`) while the item is sensitive and not revealed.
    pub excerpt: Option<String>,
    pub sensitive: bool,
    pub content_url: Option<String>,
    pub subject: Option<String>,
    pub created_at: String,
    pub opened_at: String,
    pub now_ms: i64,
    pub opened_at_ms: i64,
    pub due_at_ms: i64,
    pub claim: Option<Claim>,
    pub escalated_by: Option<String>,
    pub version: i64,
    pub resolution: Option<Resolution>,
    /// The event body exactly as received; withheld like the excerpt.
    pub raw_body: Option<String>,
    /// Every upstream event and action for the reference id, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// The item in the upstream's own tool.
    pub upstream_link: Option<String>,
    pub reason_codes: Vec<String>,
    /// Whether the caller may decide it now (open, and escalated only for managers).
    pub can_decide: bool,
    /// Whether the caller may reopen it (resolved, caller is a manager or admin).
    pub can_reopen: bool,
    /// The caller's latest decision, while it can be undone.
    pub undo: Option<UndoOffer>,
}

/// A sensitive item's content, once revealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revealed {
    pub excerpt: Option<String>,
    pub raw_body: String,
}

/// One line of an item's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub detail: String,
}

/// How a resolved item was decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    pub decision: Decision,
    pub reason: String,
    pub note: String,
    pub reviewer: String,
    pub decided_at: String,
}

/// A row of the Decisions page (and of its CSV export).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRow {
    pub item_id: i64,
    pub reference_id: String,
    pub decision: Decision,
    pub reason: String,
    pub note: String,
    pub reviewer: String,
    pub decided_at: String,
    pub decided_at_ms: i64,
    /// Time from the item opening to the decision, for example `12m`.
    pub time_to_decision: String,
    pub time_to_decision_ms: i64,
    /// The upstream's score and action of the event the item was decided on.
    pub score: f64,
    pub action: String,
    pub categories: Vec<CategoryScore>,
}

/// Which resolved items the Decisions page lists (and its CSV export holds), from the address.
/// Empty strings mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionFilter {
    /// `approve` or `remove`.
    #[serde(default)]
    pub decision: String,
    /// The name of the user who decided.
    #[serde(default)]
    pub reviewer: String,
    /// Items with this category.
    #[serde(default)]
    pub category: String,
    /// `high` (0.80 and up), `mid` (0.50 to 0.80) or `low` (below 0.50), as on the queue.
    #[serde(default)]
    pub band: String,
    /// Decided on or after this UTC day, `YYYY-MM-DD`.
    #[serde(default)]
    pub from: String,
    /// Decided on or before this UTC day, `YYYY-MM-DD`.
    #[serde(default)]
    pub to: String,
    /// Where the page starts: the `next` cursor of the page before.
    #[serde(default)]
    pub after: String,
}

impl DecisionFilter {
    /// The query string (`?…`, or empty) of this filter, starting after `after`.
    pub fn query(&self, after: &str) -> String {
        crate::url::query_string(&[
            ("decision", &self.decision),
            ("reviewer", &self.reviewer),
            ("category", &self.category),
            ("band", &self.band),
            ("from", &self.from),
            ("to", &self.to),
            ("after", after),
        ])
    }
}

/// Everything the Decisions page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionsView {
    pub rows: Vec<DecisionRow>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
    /// Resolved items matching the filter.
    pub matching: i64,
    /// Every user name, for the reviewer filter.
    pub reviewers: Vec<String>,
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

/// Which history entries the History page and its CSV export show, from the page's address.
/// Empty strings mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryFilter {
    /// Entries by this actor (a user name, `relay`, the upstream's source, …), without case.
    #[serde(default)]
    pub actor: String,
    /// Entries of this kind, one of [`HistoryView::kinds`].
    #[serde(default)]
    pub kind: String,
    /// Entries about this reference id, exactly.
    #[serde(default)]
    pub reference: String,
    /// Entries on or after this day (`YYYY-MM-DD`, UTC).
    #[serde(default)]
    pub from: String,
    /// Entries on or before this day (`YYYY-MM-DD`, UTC).
    #[serde(default)]
    pub to: String,
}

/// One page of the History page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryView {
    /// Newest first.
    pub rows: Vec<HistoryRow>,
    /// The id to continue from for older entries, when there are more.
    pub older: Option<i64>,
    /// Every kind of entry, for the kind filter.
    pub kinds: Vec<String>,
}

/// Whether the history's hash chain verifies, for the History page's banner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainStatus {
    pub verified: bool,
    /// Entries verified (all of them when `verified`; those before the break otherwise).
    pub entries: u64,
    /// The first entry that does not verify.
    pub broken_at: Option<i64>,
    /// The whole finding in a sentence.
    pub message: String,
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

/// Which UTC days the Insights page covers, from its address (`YYYY-MM-DD`, both included).
/// Empty means the last 30 days up to today.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsightsRange {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

/// One series of counts per day, aligned with [`InsightsView::days`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailySeries {
    pub name: String,
    pub counts: Vec<i64>,
}

/// Open items whose age falls in one bucket, split by whether they are past their due time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgeBucket {
    pub label: String,
    pub within_due: i64,
    pub overdue: i64,
}

/// Time from opening to decision of the items of one category decided in the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionTimes {
    pub category: String,
    pub decided: i64,
    /// Nearest-rank percentiles: the smallest time at least half (nine tenths) of the
    /// decisions took no longer than.
    pub p50_ms: i64,
    pub p90_ms: i64,
}

/// One reviewer's decisions in the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewerCounts {
    pub reviewer: String,
    pub approved: i64,
    pub removed: i64,
}

/// Decisions in one score band: how many, and how many a reviewer approved (kept up) although
/// the upstream had sent them for review.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BandCounts {
    pub decided: i64,
    pub approved: i64,
}

/// Agreement with the upstream for one category (or all items), one entry per score band of
/// [`InsightsView::bands`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    pub category: String,
    pub bands: Vec<BandCounts>,
}

/// The charts of the Insights page, as SVG drawn on the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsightsCharts {
    pub events_by_type: String,
    pub events_by_category: String,
    pub open_by_age: String,
    pub time_to_decision: String,
    pub per_reviewer: String,
    pub agreement: String,
}

/// Everything the Insights page shows: the numbers, and the charts drawn from them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightsView {
    /// The range covered, as UTC days `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    /// Every day of the range, oldest first.
    pub days: Vec<String>,
    pub events_by_type: Vec<DailySeries>,
    pub events_by_category: Vec<DailySeries>,
    /// Open items now, by age; not limited to the range.
    pub open_by_age: Vec<AgeBucket>,
    pub time_to_decision: Vec<DecisionTimes>,
    pub per_reviewer: Vec<ReviewerCounts>,
    /// Score band labels, lowest first.
    pub bands: Vec<String>,
    /// All decided items first, then each category.
    pub agreement: Vec<Agreement>,
    pub charts: InsightsCharts,
}

/// What a live update is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// The stream has (re)opened: the current state, to catch up on anything missed.
    Hello,
    /// A review event was stored: a new open item, or a newer event for one.
    Arrived,
    Claimed,
    Released,
    /// Approved or removed.
    Decided,
    Escalated,
    Undone,
    Reopened,
    /// The stream fell behind and dropped notices: refetch everything.
    Refetch,
}

/// One message of the `/live` stream. It names a change, never an item's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveMessage {
    /// Rises with every change, also across restarts; the same number means nothing changed.
    pub seq: u64,
    pub change: Change,
    pub item_id: Option<i64>,
    pub reference_id: Option<String>,
    /// Open items now; missing when it could not be counted.
    pub open_count: Option<i64>,
}
