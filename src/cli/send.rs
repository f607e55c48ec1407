//! `moddesk send`: signs a sample event with the configured secret and posts it, so an operator
//! can check a deployment end to end.

use crate::config::Settings;
use crate::ingest::signature::sign;
use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use rand::Rng;
use rand::distributions::Alphanumeric;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Where to post, for example http://127.0.0.1:3000/hooks/aegis.
    #[arg(long)]
    url: String,
    /// Which event to send.
    #[arg(long = "type", value_enum, default_value_t = SampleType::Review)]
    kind: SampleType,
    /// Reference id of the sample content (random when not given).
    #[arg(long)]
    reference: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SampleType {
    Review,
    Blocked,
}

pub async fn run(args: SendArgs, settings: &Settings) -> anyhow::Result<()> {
    let Some(secret) = settings.webhook_secrets.first() else {
        bail!("webhook_secret is not set; set MODDESK_WEBHOOK_SECRET or use --config");
    };
    let suffix: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(12)
        .map(char::from)
        .collect();
    let event_id = format!("evt_sample_{suffix}");
    let reference = args.reference.unwrap_or_else(|| format!("sample-{suffix}"));
    let body = sample_body(args.kind, &event_id, &reference)?;

    let timestamp = OffsetDateTime::now_utc().unix_timestamp();
    let signature = sign(secret, &event_id, timestamp, body.as_bytes());
    let response = reqwest::Client::new()
        .post(&args.url)
        .header("content-type", "application/json")
        .header("webhook-id", &event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await
        .with_context(|| format!("posting to {}", args.url))?;

    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    println!("{status} {text}");
    println!("event {event_id}, reference {reference}");
    if !status.is_success() {
        bail!("moddesk answered {status}");
    }
    Ok(())
}

fn sample_body(kind: SampleType, event_id: &str, reference: &str) -> anyhow::Result<String> {
    let (event_type, action, score) = match kind {
        SampleType::Review => ("moderation.review", "review", 0.72),
        SampleType::Blocked => ("moderation.blocked", "block", 0.97),
    };
    let created_at = OffsetDateTime::now_utc().format(&Rfc3339)?;
    let event = json!({
        "id": event_id,
        "type": event_type,
        "created_at": created_at,
        "data": {
            "reference_id": reference,
            "score": score,
            "action": action,
            "categories": [
                {"name": "harassment", "score": score},
                {"name": "spam", "score": 0.12}
            ],
            "content": {
                "kind": "comment",
                "excerpt": "Sample comment sent by moddesk send to test this deployment.",
                "url": format!("https://example.invalid/content/{reference}")
            },
            "subject": "user_sample"
        }
    });
    Ok(event.to_string())
}
