//! Relay routing, shared by everything that queues relay jobs: which destinations want which
//! events. Sending is the server binary's relay worker; this module only decides and queues.

use crate::model::CategoryScore;
use std::sync::Arc;
use tokio::sync::Notify;

/// Topic of the job that tells a reviewer's decision to a destination.
pub const TOPIC_RESOLVED: &str = "review.resolved";
/// Topic of the alert that an open item is past its due time.
pub const TOPIC_OVERDUE: &str = "review.overdue";
/// Topic of a test message sent from the Deliveries page.
pub const TOPIC_TEST: &str = "relay.test";
/// Upstream event types a destination gets when its config names no `events`.
pub const DEFAULT_TOPICS: [&str; 3] = ["moderation.review", "moderation.blocked", TOPIC_OVERDUE];

/// Where a destination's messages go and in which shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Slack,
    Discord,
    Http,
}

impl Kind {
    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "slack" => Some(Kind::Slack),
            "discord" => Some(Kind::Discord),
            "http" => Some(Kind::Http),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Slack => "slack",
            Kind::Discord => "discord",
            Kind::Http => "http",
        }
    }
}

/// One destination's routing rule. Its URL and secret are not here: they stay in the relay
/// worker, so nothing that renders pages can show them.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub name: String,
    pub kind: Kind,
    /// Topics sent; `*` sends every topic.
    pub topics: Vec<String>,
    /// When not empty, an event must carry at least one of these categories.
    pub categories: Vec<String>,
    /// When set, an event's score must be at least this.
    pub min_score: Option<f64>,
}

impl Route {
    /// Whether this destination wants an upstream event with these facts.
    pub fn wants_event(&self, event_type: &str, score: f64, categories: &[CategoryScore]) -> bool {
        self.wants_topic(event_type)
            && self.min_score.is_none_or(|min| score >= min)
            && (self.categories.is_empty()
                || categories.iter().any(|c| {
                    self.categories
                        .iter()
                        .any(|wanted| wanted.eq_ignore_ascii_case(&c.name))
                }))
    }

    /// The rule in words, for the Deliveries page.
    pub fn describe(&self) -> String {
        let mut parts = vec![self.topics.join(", ")];
        if !self.categories.is_empty() {
            parts.push(format!("categories {}", self.categories.join(", ")));
        }
        if let Some(min) = self.min_score {
            parts.push(format!("score ≥ {min:.2}"));
        }
        parts.join(" · ")
    }

    /// Whether this destination wants messages of `topic` at all.
    pub fn wants_topic(&self, topic: &str) -> bool {
        self.topics.iter().any(|t| t == "*" || t == topic)
    }
}

/// The configured destinations' routes and the bell that wakes the relay worker when new jobs
/// are queued. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Relay {
    pub routes: Arc<Vec<Route>>,
    pub wake: Arc<Notify>,
}

impl Relay {
    pub fn new(routes: Vec<Route>) -> Relay {
        Relay {
            routes: Arc::new(routes),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Destinations that want this upstream event.
    pub fn for_event<'a>(
        &'a self,
        event_type: &'a str,
        score: f64,
        categories: &'a [CategoryScore],
    ) -> impl Iterator<Item = &'a Route> + 'a {
        self.routes
            .iter()
            .filter(move |r| r.wants_event(event_type, score, categories))
    }

    /// Destinations that want a reviewer's decision on an item whose event had these facts:
    /// a destination's categories and minimum score apply to decisions as to events.
    pub fn resolved_to(&self, score: f64, categories: &[CategoryScore]) -> Vec<String> {
        self.for_event(TOPIC_RESOLVED, score, categories)
            .map(|r| r.name.clone())
            .collect()
    }

    /// Tells the worker there is new work.
    pub fn notify(&self) {
        self.wake.notify_waiters();
    }
}

/// The `review.resolved` message: what the product needs to act on a reviewer's decision.
pub fn resolved_payload(
    item_id: i64,
    reference_id: &str,
    decision: &str,
    reason: &str,
    note: &str,
    reviewer: &str,
    at: i64,
) -> String {
    serde_json::json!({
        "type": TOPIC_RESOLVED,
        "id": format!("resolved_{item_id}_{at}"),
        "created_at": crate::store::format_time_ms(at),
        "data": {
            "item_id": item_id,
            "reference_id": reference_id,
            "decision": decision,
            "reason": reason,
            "note": note,
            "reviewer": reviewer,
            "decided_at": crate::store::format_time_ms(at),
        }
    })
    .to_string()
}

/// The `review.overdue` message: which item is past its due time, by how much at `now`, and
/// where to open it. Its id is stable per item: an item alerts once.
pub fn overdue_payload(
    item_id: i64,
    reference_id: &str,
    categories: &[CategoryScore],
    score: f64,
    due_at: i64,
    now: i64,
    link: &str,
) -> String {
    serde_json::json!({
        "type": TOPIC_OVERDUE,
        "id": format!("overdue_{item_id}"),
        "created_at": crate::store::format_time_ms(now),
        "data": {
            "item_id": item_id,
            "reference_id": reference_id,
            "categories": categories,
            "score": score,
            "due_at": crate::store::format_time_ms(due_at),
            "overdue_secs": (now - due_at).max(0) / 1000,
            "url": link,
        }
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_categories as cats;

    fn route(topics: &[&str], categories: &[&str], min_score: Option<f64>) -> Route {
        Route {
            name: "r".into(),
            kind: Kind::Http,
            topics: topics.iter().map(|t| t.to_string()).collect(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            min_score,
        }
    }

    #[test]
    fn routing_rules_combine() {
        let self_harm = route(&["moderation.review"], &["self-harm"], Some(0.5));
        let everything = route(&["*"], &[], None);

        let cases = [
            (
                &self_harm,
                "moderation.review",
                0.9,
                cats(&["self-harm"]),
                true,
            ),
            (
                &self_harm,
                "moderation.review",
                0.4,
                cats(&["self-harm"]),
                false,
            ),
            (&self_harm, "moderation.review", 0.9, cats(&["spam"]), false),
            (
                &self_harm,
                "moderation.blocked",
                0.9,
                cats(&["self-harm"]),
                false,
            ),
            (&everything, "moderation.blocked", 0.0, cats(&[]), true),
            (&everything, "something.new", 0.0, cats(&[]), true),
        ];

        for (route, event_type, score, categories, wanted) in cases {
            assert_eq!(
                route.wants_event(event_type, score, &categories),
                wanted,
                "{event_type} {score} {categories:?}"
            );
        }
    }
}
