//! What the benches share: the 1 KB `moderation.review` event they send, so their figures
//! compare, and how they read their options.

/// The value after the option `name` on the command line (`--events 1000`), if it is there.
pub fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// The body of a review event with the id `id` for the content `reference_id`: two categories,
/// an excerpt of 620 characters.
pub fn review_event(id: &str, reference_id: &str) -> String {
    serde_json::json!({
        "id": id,
        "type": "moderation.review",
        "created_at": "2026-12-03T12:00:00Z",
        "data": {
            "reference_id": reference_id,
            "score": 0.73,
            "action": "review",
            "categories": [{"name": "harassment", "score": 0.73}, {"name": "spam", "score": 0.11}],
            "content": {"kind": "comment", "excerpt": "x".repeat(620), "url": "https://example.invalid/c/1"},
            "subject": "user_bench"
        }
    })
    .to_string()
}
