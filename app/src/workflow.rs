//! The rules of working the queue, as configured: how long a claim lasts, how long an undo
//! stays possible, the reason codes, which categories are sensitive, when items fall due, and
//! the link to an item in the upstream's own tool.

use crate::model::CategoryScore;

/// A category's time to decision.
#[derive(Debug, Clone, PartialEq)]
pub struct DueRule {
    pub category: String,
    pub within_ms: i64,
}

/// Queue rules shared by the ingest writer and the server functions. Cheap to clone.
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    /// How long a claim holds an item for one reviewer.
    pub claim_ms: i64,
    /// How long after a decision it can be undone (and `review.resolved` waits before it is sent).
    pub undo_ms: i64,
    /// Reason codes a decision can carry; one is required to remove.
    pub reason_codes: Vec<String>,
    /// Categories whose excerpt is hidden until a reviewer reveals it.
    pub sensitive_categories: Vec<String>,
    /// Due times of particular categories; an item takes the shortest that applies.
    pub due: Vec<DueRule>,
    /// Due time of items none of `due` applies to.
    pub default_due_ms: i64,
    /// Link to the item in the upstream's tool; `{reference_id}` is replaced (URL-encoded).
    pub upstream_url: Option<String>,
}

impl Default for Workflow {
    fn default() -> Self {
        Workflow {
            claim_ms: 10 * 60_000,
            undo_ms: 30_000,
            reason_codes: [
                "spam",
                "harassment",
                "hate",
                "self-harm",
                "violence",
                "sexual",
                "illegal",
                "other",
            ]
            .map(String::from)
            .to_vec(),
            sensitive_categories: ["self-harm", "hate", "violence"].map(String::from).to_vec(),
            due: vec![DueRule {
                category: "self-harm".into(),
                within_ms: 15 * 60_000,
            }],
            default_due_ms: 24 * 3_600_000,
            upstream_url: None,
        }
    }
}

impl Workflow {
    /// When an item opened at `opened_at` with these categories falls due.
    pub fn due_at(&self, opened_at: i64, categories: &[CategoryScore]) -> i64 {
        let within = self
            .due
            .iter()
            .filter(|rule| {
                categories
                    .iter()
                    .any(|c| c.name.eq_ignore_ascii_case(&rule.category))
            })
            .map(|rule| rule.within_ms)
            .min()
            .unwrap_or(self.default_due_ms);
        opened_at.saturating_add(within)
    }

    /// Whether an item with these categories hides its excerpt until revealed. Category names
    /// are compared without case, as everywhere in moddesk.
    pub fn is_sensitive(&self, categories: &[CategoryScore]) -> bool {
        categories.iter().any(|c| {
            self.sensitive_categories
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&c.name))
        })
    }

    /// The item's address in the upstream's tool, when a template is configured.
    pub fn upstream_link(&self, reference_id: &str) -> Option<String> {
        let encoded = crate::url::encode_component(reference_id);
        self.upstream_url
            .as_ref()
            .map(|template| template.replace("{reference_id}", &encoded))
    }

    /// Whether `code` is one of the configured reason codes.
    pub fn knows_reason(&self, code: &str) -> bool {
        self.reason_codes.iter().any(|c| c == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_categories as cats;

    #[test]
    fn the_shortest_matching_due_time_applies() {
        let workflow = Workflow {
            due: vec![
                DueRule {
                    category: "self-harm".into(),
                    within_ms: 15,
                },
                DueRule {
                    category: "hate".into(),
                    within_ms: 60,
                },
            ],
            default_due_ms: 1000,
            ..Workflow::default()
        };

        assert_eq!(workflow.due_at(100, &cats(&["hate", "self-harm"])), 115);
        assert_eq!(workflow.due_at(100, &cats(&["hate"])), 160);
        assert_eq!(workflow.due_at(100, &cats(&["spam"])), 1100);
    }

    #[test]
    fn upstream_links_encode_the_reference() {
        let workflow = Workflow {
            upstream_url: Some("https://aegis.example/items/{reference_id}?tab=1".into()),
            ..Workflow::default()
        };

        assert_eq!(
            workflow.upstream_link("post 1/é").as_deref(),
            Some("https://aegis.example/items/post%201%2F%C3%A9?tab=1")
        );
        assert_eq!(Workflow::default().upstream_link("x"), None);
    }
}
