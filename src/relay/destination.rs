//! Relay destinations as configured: `[[destination]]` tables in the config file, checked at
//! start. A destination's URL and secret are secrets: they are redacted from `Debug` and never
//! appear in an error message or a log line.

use anyhow::{Context, bail};
use app::relay::{DEFAULT_TOPICS, Kind, Route, TOPIC_OVERDUE, TOPIC_RESOLVED};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fmt;

use crate::ingest::signature::{Scheme, WebhookSecret};

/// The topics a destination can ask for.
const KNOWN_TOPICS: [&str; 5] = [
    "moderation.review",
    "moderation.blocked",
    TOPIC_RESOLVED,
    TOPIC_OVERDUE,
    "*",
];

/// A `[[destination]]` table as written.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDestination {
    /// Shown on the Deliveries page and in the history; letters, digits, `-`, `_` and `.`.
    pub name: String,
    /// `slack` (incoming webhook), `discord` (webhook) or `http` (signed JSON).
    pub kind: String,
    /// Where messages are posted. A secret: anyone with it can post to the channel.
    pub url: String,
    /// For `http` only: the `whsec_…` secret the receiver verifies our signature with.
    #[serde(default)]
    pub secret: Option<String>,
    /// Topics sent: upstream event types, `review.resolved`, `review.overdue`, or `*` for all.
    /// Default: the upstream's `moderation.review` and `moderation.blocked`.
    #[serde(default)]
    pub events: Vec<String>,
    /// When given, only events with at least one of these categories.
    #[serde(default)]
    pub categories: Vec<String>,
    /// When given, only events scored at least this (0 to 1).
    #[serde(default)]
    pub min_score: Option<f64>,
}

impl fmt::Debug for RawDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawDestination")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("url", &"[redacted]")
            .field("events", &self.events)
            .field("categories", &self.categories)
            .field("min_score", &self.min_score)
            .finish_non_exhaustive()
    }
}

/// A checked destination: its route, and what only the relay worker sees.
#[derive(Debug, Clone)]
pub struct Destination {
    pub route: Route,
    pub url: SecretString,
    /// The signing secret of an `http` destination.
    pub secret: Option<WebhookSecret>,
}

/// Checks every destination; an error names the table (`destination[2].url`) but never shows a
/// URL or secret.
pub fn validate(raw: &[RawDestination]) -> anyhow::Result<Vec<Destination>> {
    let mut names = HashSet::new();
    raw.iter()
        .enumerate()
        .map(|(i, d)| {
            let destination = check(d).with_context(|| format!("destination[{}]", i + 1))?;
            // Names are compared without case: `Safety` and `safety` would read as one.
            if !names.insert(destination.route.name.to_lowercase()) {
                bail!(
                    "destination[{}].name: {:?} is used by another destination",
                    i + 1,
                    destination.route.name
                );
            }
            Ok(destination)
        })
        .collect()
}

impl Destination {
    /// The destination as the history records it: name, kind and rules, and a fingerprint of
    /// its URL and secret (SHA-256 over both, length-prefixed), never the values themselves.
    pub fn recorded(&self) -> app::store::destinations::Configured {
        let mut target = Sha256::new();
        for part in [
            self.url.expose_secret().to_owned(),
            self.secret
                .as_ref()
                .map(WebhookSecret::to_whsec)
                .unwrap_or_default(),
        ] {
            target.update((part.len() as u64).to_be_bytes());
            target.update(part.as_bytes());
        }
        app::store::destinations::Configured {
            name: self.route.name.clone(),
            kind: self.route.kind.as_str().to_owned(),
            rules: self.route.describe(),
            target: hex::encode(target.finalize()),
        }
    }
}

fn check(d: &RawDestination) -> anyhow::Result<Destination> {
    let name = d.name.trim();
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !name_ok {
        bail!("name: {name:?} must be 1 to 64 letters, digits, '-', '_' or '.'");
    }
    let kind = Kind::parse(d.kind.trim())
        .with_context(|| format!("kind: {:?} is not one of slack, discord, http", d.kind))?;

    let url = reqwest::Url::parse(d.url.trim()).ok();
    if !url.is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some()) {
        bail!("url: not an http:// or https:// URL (the value is not shown: it is a secret)");
    }

    let secret = match (kind, d.secret.as_deref()) {
        (Kind::Http, Some(text)) => {
            Some(WebhookSecret::parse_for(Scheme::StandardWebhooks, text).context("secret")?)
        }
        (Kind::Http, None) => bail!("secret: an http destination needs a whsec_ signing secret"),
        (_, Some(_)) => bail!("secret: only http destinations sign their messages"),
        (_, None) => None,
    };

    let topics: Vec<String> = if d.events.is_empty() {
        DEFAULT_TOPICS.iter().map(|t| t.to_string()).collect()
    } else {
        d.events.iter().map(|t| t.trim().to_owned()).collect()
    };
    if d.categories.iter().any(|c| c.trim().is_empty()) {
        bail!("categories: may not contain empty names");
    }
    // A misspelt topic would route nothing, silently; `*` is the way to take whatever comes.
    if let Some(unknown) = topics.iter().find(|t| !KNOWN_TOPICS.contains(&t.as_str())) {
        bail!(
            "events: {unknown:?} is not one of {}",
            KNOWN_TOPICS.join(", ")
        );
    }
    if d.min_score.is_some_and(|s| !(0.0..=1.0).contains(&s)) {
        bail!("min_score: must be between 0 and 1");
    }

    Ok(Destination {
        route: Route {
            name: name.to_owned(),
            kind,
            topics,
            categories: d.categories.iter().map(|c| c.trim().to_owned()).collect(),
            min_score: d.min_score,
        },
        url: SecretString::from(d.url.trim().to_owned()),
        secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(kind: &str, url: &str, secret: Option<&str>) -> RawDestination {
        RawDestination {
            name: "team".into(),
            kind: kind.into(),
            url: url.into(),
            secret: secret.map(str::to_owned),
            events: vec![],
            categories: vec![],
            min_score: None,
        }
    }

    const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const HOOK: &str = "https://hooks.example.invalid/services/T0/B0/XYZsecretpart";

    #[test]
    fn valid_destinations_pass_with_default_topics() {
        let checked = validate(&[raw("slack", HOOK, None)]).unwrap();

        assert_eq!(checked[0].route.topics, DEFAULT_TOPICS);
        assert!(validate(&[raw("http", HOOK, Some(SECRET))]).is_ok());
    }

    #[test]
    fn bad_destinations_name_the_field_and_never_the_url() {
        let duplicate = vec![raw("slack", HOOK, None), raw("discord", HOOK, None)];
        let cases: Vec<(Vec<RawDestination>, &str)> = vec![
            (vec![raw("teams", HOOK, None)], "destination[1]: kind"),
            (
                vec![raw("slack", "ftp://x/secretpart", None)],
                "destination[1]: url",
            ),
            (vec![raw("http", HOOK, None)], "destination[1]: secret"),
            (
                vec![raw("slack", HOOK, Some(SECRET))],
                "destination[1]: secret",
            ),
            (
                vec![RawDestination {
                    min_score: Some(1.5),
                    ..raw("slack", HOOK, None)
                }],
                "destination[1]: min_score",
            ),
            (
                vec![RawDestination {
                    events: vec!["moderation.blocks".into()],
                    ..raw("slack", HOOK, None)
                }],
                "destination[1]: events",
            ),
            (duplicate, "destination[2].name"),
        ];

        for (destinations, field) in cases {
            let error = format!("{:#}", validate(&destinations).unwrap_err());
            assert!(error.starts_with(field), "{error:?} should name {field}");
            assert!(!error.contains("secretpart"), "{error:?} shows the URL");
        }
    }

    #[test]
    fn debug_output_hides_the_url() {
        let text = format!("{:?}", raw("slack", HOOK, None));

        assert!(!text.contains("secretpart"));
    }
}
