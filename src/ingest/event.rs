//! The upstream's event JSON (documented in docs/events.md) and its validation.

use app::model::CategoryScore;
use app::store::events::NewEvent;
use app::text::shorten;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Longest id, reference id, type or category name accepted.
const MAX_ID_CHARS: usize = 255;
/// Longest excerpt stored; longer excerpts are refused rather than cut.
const MAX_EXCERPT_CHARS: usize = 10_000;

#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created_at: String,
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    reference_id: String,
    score: f64,
    action: String,
    categories: Vec<CategoryScore>,
    content: Option<Content>,
    subject: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    kind: Option<String>,
    excerpt: Option<String>,
    url: Option<String>,
}

/// Parses and checks an event body. The error says what is wrong, for the 400 answer.
pub fn parse(body: &[u8], webhook_id: &str, received_at: i64) -> Result<NewEvent, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_owned())?;
    let envelope: Envelope = serde_json::from_str(text).map_err(|e| {
        format!(
            "the body is not a valid event: {}",
            without_quoted_values(&e.to_string())
        )
    })?;
    let data = envelope.data;

    let event_id = bounded("id", envelope.id)?;
    let event_type = bounded("type", envelope.kind)?;
    let reference_id = bounded("data.reference_id", data.reference_id)?;
    let created_at = parse_time(&envelope.created_at)?;
    check_score("data.score", data.score)?;
    if !matches!(data.action.as_str(), "allow" | "review" | "block") {
        return Err(format!(
            "data.action must be allow, review or block, not {}",
            preview(&data.action)
        ));
    }
    for category in &data.categories {
        bounded("data.categories[].name", category.name.clone())?;
        check_score("data.categories[].score", category.score)?;
    }

    let content = data.content.unwrap_or(Content {
        kind: None,
        excerpt: None,
        url: None,
    });
    if content
        .excerpt
        .as_ref()
        .is_some_and(|e| e.chars().count() > MAX_EXCERPT_CHARS)
    {
        return Err(format!(
            "data.content.excerpt is longer than {MAX_EXCERPT_CHARS} characters"
        ));
    }

    Ok(NewEvent {
        source: super::SOURCE.to_owned(),
        event_id,
        webhook_id: webhook_id.to_owned(),
        event_type,
        reference_id,
        action: data.action,
        score: data.score,
        categories: data.categories,
        content_kind: content.kind,
        excerpt: content.excerpt,
        content_url: content.url,
        subject: data.subject,
        created_at,
        received_at,
        body: body.to_vec(),
    })
}

fn bounded(field: &str, value: String) -> Result<String, String> {
    if value.trim().is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    if value.chars().count() > MAX_ID_CHARS {
        return Err(format!("{field} is longer than {MAX_ID_CHARS} characters"));
    }
    Ok(value)
}

fn check_score(field: &str, score: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&score) {
        Ok(())
    } else {
        Err(format!("{field} must be between 0 and 1, not {score}"))
    }
}

fn parse_time(text: &str) -> Result<i64, String> {
    let time = OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|_| format!("created_at must be an RFC 3339 time, not {}", preview(text)))?;
    i64::try_from(time.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| "created_at is out of range".to_owned())
}

/// Characters of a refused value quoted in a refusal reason. Reasons are logged and kept with
/// the dead letter; the value itself is in the kept body, so a reason quotes only its start.
const PREVIEW_CHARS: usize = 32;

/// `value` quoted, cut to [`PREVIEW_CHARS`] characters.
fn preview(value: &str) -> String {
    let shown = shorten(value, PREVIEW_CHARS);
    if shown == value {
        format!("{value:?}")
    } else {
        format!("{shown:?} ({} characters)", value.chars().count())
    }
}

/// A JSON parser's message with each quoted string value it repeats from the body cut out
/// (`invalid type: string "…"`), so no body content reaches the logs through it.
fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find('"') {
        out.push_str(&rest[..start]);
        let quoted = &rest[start + 1..];
        // The parser quotes with Rust's escapes, so an inner quote is `\"`.
        let mut escaped = false;
        let end = quoted.char_indices().find_map(|(i, c)| {
            let closes = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            closes.then_some(i)
        });
        out.push_str("\"…\"");
        let Some(end) = end else {
            return out;
        };
        rest = &quoted[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid() -> serde_json::Value {
        json!({
            "id": "evt_1",
            "type": "moderation.review",
            "created_at": "2026-12-03T12:00:00.250Z",
            "data": {
                "reference_id": "post_1",
                "score": 0.82,
                "action": "review",
                "categories": [{"name": "harassment", "score": 0.82}],
                "content": {"kind": "comment", "excerpt": "hello", "url": "https://example.test/p/1"},
                "subject": "user_9"
            }
        })
    }

    fn parse_json(value: &serde_json::Value) -> Result<NewEvent, String> {
        parse(value.to_string().as_bytes(), "msg_1", 0)
    }

    #[test]
    fn a_full_event_parses() {
        let event = parse_json(&valid()).unwrap();

        assert_eq!(event.event_id, "evt_1");
        assert_eq!(event.reference_id, "post_1");
        assert_eq!(event.created_at, 1_796_299_200_250);
        assert_eq!(event.excerpt.as_deref(), Some("hello"));
        assert_eq!(event.categories.len(), 1);
    }

    #[test]
    fn optional_parts_may_be_missing() {
        let mut value = valid();
        let data = value["data"].as_object_mut().unwrap();
        data.remove("content");
        data.remove("subject");

        assert!(parse_json(&value).is_ok());
    }

    #[test]
    fn bad_events_say_what_is_wrong() {
        let cases: Vec<(&str, serde_json::Value, &str)> = vec![
            ("/data/score", json!(1.5), "data.score"),
            ("/data/action", json!("delete"), "data.action"),
            ("/created_at", json!("yesterday"), "created_at"),
            ("/id", json!(""), "id must not be empty"),
            (
                "/data/categories/0/score",
                json!(-0.1),
                "data.categories[].score",
            ),
            ("/data/reference_id", json!(5), "not a valid event"),
        ];

        for (pointer, replacement, expected) in cases {
            let mut value = valid();
            *value.pointer_mut(pointer).unwrap() = replacement;

            let error = parse_json(&value).unwrap_err();
            assert!(error.contains(expected), "{pointer}: {error}");
        }
    }

    #[test]
    fn reasons_quote_no_more_than_the_start_of_a_refused_value() {
        let long = format!("jane.doe@example.com {}", "A".repeat(5_000));
        let cases = [
            ("/data/action", json!(long)),
            ("/created_at", json!(long)),
            ("/data/score", json!(long)),
            ("/data/reference_id", json!({ "nested": long })),
        ];

        for (pointer, replacement) in cases {
            let mut value = valid();
            *value.pointer_mut(pointer).unwrap() = replacement;

            let error = parse_json(&value).unwrap_err();
            assert!(
                error.len() < 200,
                "{pointer}: {} bytes: {error}",
                error.len()
            );
            assert!(
                !error.contains("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                "{pointer}: {error}"
            );
        }
    }

    #[test]
    fn quoted_values_in_parser_messages_are_cut_out() {
        let message = r#"invalid type: string "my \"phone\" 555", expected f64 at line 1 column 9"#;

        assert_eq!(
            without_quoted_values(message),
            "invalid type: string \"…\", expected f64 at line 1 column 9"
        );
    }

    #[test]
    fn non_utf8_and_non_json_bodies_are_refused() {
        assert_eq!(
            parse(&[0xff, 0xfe], "m", 0).unwrap_err(),
            "the body is not UTF-8"
        );
        assert!(
            parse(b"not json", "m", 0)
                .unwrap_err()
                .contains("not a valid event")
        );
    }
}
