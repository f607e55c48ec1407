//! What each kind of destination receives. An event or decision is first summed up once
//! ([`Summary`]); Slack and Discord render the summary within their size limits, while `http`
//! receivers get the JSON itself.

use app::model::CategoryScore;
use app::relay::{TOPIC_OVERDUE, TOPIC_RESOLVED, TOPIC_TEST};
use app::store::format_duration_ms;
use app::store::format_time_ms;
use app::store::relay_jobs::EventFacts;
use app::text::shorten;
use serde_json::{Value, json};

/// What a job is about.
pub enum Subject<'a> {
    /// An upstream event, as stored.
    Event(&'a EventFacts),
    /// A decision or test message: its topic and JSON payload.
    Payload { topic: &'a str, payload: &'a Value },
}

/// The facts of a message, before a destination's format.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub title: String,
    pub fields: Vec<(&'static str, String)>,
    pub excerpt: Option<String>,
    /// Where the item is in moddesk.
    pub link: Option<String>,
}

const EXCERPT_CHARS: usize = 300;
const TOP_CATEGORIES: usize = 3;

impl Summary {
    pub fn of(subject: &Subject<'_>, public_url: &str) -> Summary {
        let item_link = |id: i64| format!("{public_url}/items/{id}");
        match subject {
            Subject::Event(e) => {
                let label = match e.event_type.as_str() {
                    "moderation.review" => "Review needed",
                    "moderation.blocked" => "Blocked",
                    other => other,
                };
                let top = top_categories(&e.categories);
                Summary {
                    title: format!("{label}: {}", e.reference_id),
                    fields: vec![
                        ("Event", e.event_type.clone()),
                        ("Action", e.action.clone()),
                        ("Score", format!("{:.2}", e.score)),
                        ("Categories", top),
                        ("Reference", e.reference_id.clone()),
                        ("Created", format_time_ms(e.created_at)),
                    ],
                    excerpt: e
                        .excerpt
                        .as_deref()
                        .filter(|x| !x.trim().is_empty())
                        .map(|x| shorten(x, EXCERPT_CHARS)),
                    link: e.item_id.map(item_link),
                }
            }
            Subject::Payload { topic, payload } => {
                let data = &payload["data"];
                let text = |key: &str| data[key].as_str().unwrap_or_default().to_owned();
                match *topic {
                    TOPIC_RESOLVED => Summary {
                        title: format!(
                            "Decision: {} on {}",
                            text("decision"),
                            text("reference_id")
                        ),
                        fields: vec![
                            ("Decision", text("decision")),
                            ("Reviewer", text("reviewer")),
                            ("Reason", non_empty(text("reason"))),
                            ("Reference", text("reference_id")),
                            ("Decided", text("decided_at")),
                        ],
                        excerpt: None,
                        link: data["item_id"].as_i64().map(item_link),
                    },
                    TOPIC_OVERDUE => {
                        let categories: Vec<CategoryScore> =
                            serde_json::from_value(data["categories"].clone()).unwrap_or_default();
                        let overdue_ms = data["overdue_secs"].as_i64().unwrap_or(0) * 1000;
                        Summary {
                            title: format!("Overdue: {}", text("reference_id")),
                            fields: vec![
                                ("Reference", text("reference_id")),
                                ("Categories", top_categories(&categories)),
                                (
                                    "Score",
                                    format!("{:.2}", data["score"].as_f64().unwrap_or(0.0)),
                                ),
                                ("Due", text("due_at")),
                                ("Overdue by", format_duration_ms(overdue_ms)),
                            ],
                            excerpt: None,
                            link: data["item_id"].as_i64().map(item_link),
                        }
                    }
                    TOPIC_TEST => Summary {
                        title: "Test message from moddesk".into(),
                        fields: vec![("Destination", text("destination"))],
                        excerpt: Some(text("message")),
                        link: Some(public_url.to_owned()),
                    },
                    other => Summary {
                        title: other.to_owned(),
                        fields: Vec::new(),
                        excerpt: None,
                        link: None,
                    },
                }
            }
        }
    }

    /// One line for notifications and clients that show no blocks or embeds.
    pub fn plain_text(&self) -> String {
        let facts = self
            .fields
            .iter()
            .map(|(name, value)| format!("{}: {value}", name.to_lowercase()))
            .collect::<Vec<_>>()
            .join(", ");
        let mut text = format!("[moddesk] {} ({facts})", self.title);
        if let Some(link) = &self.link {
            text.push(' ');
            text.push_str(link);
        }
        text
    }
}

/// The highest-scored categories with their scores, or `none`.
fn top_categories(categories: &[CategoryScore]) -> String {
    let mut categories = categories.to_vec();
    categories.sort_by(|a, b| b.score.total_cmp(&a.score));
    let top = categories
        .iter()
        .take(TOP_CATEGORIES)
        .map(|c| format!("{} {:.2}", c.name, c.score))
        .collect::<Vec<_>>()
        .join(", ");
    if top.is_empty() { "none".into() } else { top }
}

fn non_empty(text: String) -> String {
    if text.trim().is_empty() {
        "none given".into()
    } else {
        text
    }
}

/// Slack's mrkdwn treats `&`, `<` and `>` as markup.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack incoming-webhook message: Block Kit blocks plus the plain `text` fallback.
/// Limits: header 150 characters, section text 3,000, at most 10 fields of 2,000.
pub fn slack(summary: &Summary) -> Value {
    let fields: Vec<Value> = summary
        .fields
        .iter()
        .take(10)
        .map(|(name, value)| {
            json!({"type": "mrkdwn", "text": shorten(&format!("*{name}*\n{}", slack_escape(value)), 2000)})
        })
        .collect();
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": shorten(&summary.title, 150)}}),
        json!({"type": "section", "fields": fields}),
    ];
    if let Some(excerpt) = &summary.excerpt {
        let quoted = format!("> {}", slack_escape(excerpt).replace('\n', "\n> "));
        blocks.push(
            json!({"type": "section", "text": {"type": "mrkdwn", "text": shorten(&quoted, 3000)}}),
        );
    }
    if let Some(link) = &summary.link {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("<{link}|Open in moddesk>")}}));
    }
    json!({"text": shorten(&slack_escape(&summary.plain_text()), 3000), "blocks": blocks})
}

/// Discord's limits for one embed: title 256, description 4,096, 25 fields of name 256 and value
/// 1,024, and 6,000 characters in all; message content 2,000.
pub fn discord(summary: &Summary) -> Value {
    let title = shorten(&summary.title, 256);
    let description = summary
        .excerpt
        .as_deref()
        .map(|x| shorten(x, 4096))
        .unwrap_or_default();
    let fields: Vec<(String, String)> = summary
        .fields
        .iter()
        .take(25)
        .map(|(name, value)| (shorten(name, 256), shorten(value, 1024)))
        .collect();

    // The sum of title, description and fields stays within 6,000: the description gives way.
    let fixed: usize = title.chars().count()
        + fields
            .iter()
            .map(|(n, v)| n.chars().count() + v.chars().count())
            .sum::<usize>();
    let description = shorten(&description, 6000usize.saturating_sub(fixed));

    let mut embed = json!({
        "title": title,
        "color": 0xD9_77_06,
        "fields": fields
            .iter()
            .map(|(name, value)| json!({"name": name, "value": value, "inline": true}))
            .collect::<Vec<_>>(),
    });
    if !description.is_empty() {
        embed["description"] = json!(description);
    }
    if let Some(link) = &summary.link {
        embed["url"] = json!(link);
    }
    // No mention in an event or a note may ping anyone (@everyone, roles, users).
    json!({
        "content": shorten(&summary.plain_text(), 2000),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(excerpt: &str) -> EventFacts {
        EventFacts {
            event_id: "evt_1".into(),
            event_type: "moderation.review".into(),
            reference_id: "post-9".into(),
            action: "review".into(),
            score: 0.91,
            categories: vec![
                CategoryScore {
                    name: "spam".into(),
                    score: 0.2,
                },
                CategoryScore {
                    name: "self-harm".into(),
                    score: 0.91,
                },
            ],
            excerpt: Some(excerpt.into()),
            created_at: 0,
            body: b"{}".to_vec(),
            item_id: Some(7),
        }
    }

    #[test]
    fn summary_puts_top_categories_first_and_links_the_item() {
        let summary = Summary::of(&Subject::Event(&facts("hi")), "https://md.example");

        assert_eq!(summary.title, "Review needed: post-9");
        assert!(
            summary
                .fields
                .contains(&("Categories", "self-harm 0.91, spam 0.20".into()))
        );
        assert_eq!(summary.link.as_deref(), Some("https://md.example/items/7"));
    }

    #[test]
    fn overdue_alerts_say_what_is_late_by_how_much_and_link_the_item() {
        let categories = vec![CategoryScore {
            name: "self-harm".into(),
            score: 0.93,
        }];
        let payload: Value = serde_json::from_str(&app::relay::overdue_payload(
            12,
            "post-1",
            &categories,
            0.93,
            1_000_000,
            1_000_000 + 95_000,
            "https://md.example/items/12",
        ))
        .unwrap();

        let summary = Summary::of(
            &Subject::Payload {
                topic: TOPIC_OVERDUE,
                payload: &payload,
            },
            "https://md.example",
        );

        assert_eq!(summary.title, "Overdue: post-1");
        assert_eq!(
            summary.fields,
            vec![
                ("Reference", "post-1".to_owned()),
                ("Categories", "self-harm 0.93".to_owned()),
                ("Score", "0.93".to_owned()),
                ("Due", "1970-01-01 00:16:40 UTC".to_owned()),
                ("Overdue by", "1m 35s".to_owned()),
            ]
        );
        assert_eq!(summary.link.as_deref(), Some("https://md.example/items/12"));
        assert_eq!(payload["data"]["url"], "https://md.example/items/12");
        assert_eq!(payload["data"]["overdue_secs"], 95);
        let slack_text = slack(&summary).to_string();
        assert!(slack_text.contains("Overdue by"), "{slack_text}");
        assert!(discord(&summary)["embeds"][0]["url"] == "https://md.example/items/12");
    }

    #[test]
    fn slack_escapes_markup_and_keeps_a_text_fallback() {
        let message = slack(&Summary::of(&Subject::Event(&facts("<b>&")), "https://md"));

        assert!(message["text"].as_str().unwrap().contains("post-9"));
        let text = message.to_string();
        assert!(text.contains("&lt;b&gt;&amp;"), "{text}");
    }

    #[test]
    fn no_text_can_ping_or_link_on_its_own() {
        let mut summary = Summary::of(&Subject::Event(&facts("x")), "https://md");
        summary.title = "<!channel> @everyone <https://evil.example|click>".into();

        let slack_text = slack(&summary)["text"].as_str().unwrap().to_owned();
        let discord_message = discord(&summary);

        assert!(slack_text.contains("&lt;!channel&gt;"), "{slack_text}");
        assert!(!slack_text.contains("<https://evil"), "{slack_text}");
        assert_eq!(discord_message["allowed_mentions"]["parse"], json!([]));
    }

    #[test]
    fn discord_stays_within_its_limits() {
        let huge = "x".repeat(20_000);
        let mut summary = Summary::of(&Subject::Event(&facts(&huge)), "https://md");
        summary.title = "t".repeat(1000);
        summary.fields.push(("Long", "v".repeat(5000)));

        let message = discord(&summary);

        let embed = &message["embeds"][0];
        let len = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
        assert!(len(&message["content"]) <= 2000);
        assert!(len(&embed["title"]) <= 256);
        let fields = embed["fields"].as_array().unwrap();
        assert!(
            fields
                .iter()
                .all(|f| len(&f["value"]) <= 1024 && len(&f["name"]) <= 256)
        );
        let total = len(&embed["title"])
            + len(&embed["description"])
            + fields
                .iter()
                .map(|f| len(&f["name"]) + len(&f["value"]))
                .sum::<usize>();
        assert!(total <= 6000, "{total}");
    }
}
