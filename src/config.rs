//! Configuration: built-in defaults, then an optional TOML file, then `MODDESK_*` environment
//! variables. Everything is validated before the server starts; a bad value names its field.

use anyhow::{Context, bail};
use app::workflow::{DueRule, Workflow};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::ingest::signature::{Scheme, WebhookSecret};
use crate::relay::destination::{self, Destination, RawDestination};

/// Every field of [`RawConfig`]: only these are read from `MODDESK_*` variables, so unrelated
/// variables with the prefix do not stop the start.
const FIELDS: [&str; 25] = [
    "listen",
    "database_url",
    "webhook_scheme",
    "webhook_secret",
    "webhook_tolerance_secs",
    "webhook_max_body_bytes",
    "public_url",
    "site_root",
    "log_format",
    "relay_retry_secs",
    "relay_timeout_secs",
    "relay_max_retry_after_secs",
    "claim_minutes",
    "undo_secs",
    "reason_codes",
    "sensitive_categories",
    "due_minutes",
    "due_default_minutes",
    "upstream_url",
    "login_max_failures_per_account",
    "login_max_failures_per_address",
    "login_failure_window_secs",
    "session_idle_secs",
    "session_max_age_secs",
    "overdue_check_secs",
];

/// Configuration as written by the operator, before validation.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Address and port to listen on.
    pub listen: String,
    /// SQLite database URL; the file and its folder are created when missing.
    pub database_url: String,
    /// How deliveries are signed: `standard` (Standard Webhooks headers) or `body`
    /// (`X-Aegis-Signature: sha256=<hex>` over the body alone).
    pub webhook_scheme: String,
    /// Webhook signing secrets, comma separated (`whsec_…` for the standard scheme). Any of them verifies a delivery,
    /// so a new secret can be added before the old one is retired.
    pub webhook_secret: String,
    /// How far a webhook's timestamp may be from now, in seconds, either way.
    pub webhook_tolerance_secs: u64,
    /// Largest webhook body accepted, in bytes.
    pub webhook_max_body_bytes: usize,
    /// The address people use to reach moddesk (for links and the `Secure` cookie flag).
    /// Defaults to `http://` plus `listen`.
    pub public_url: String,
    /// Folder with the built browser bundle and static files.
    pub site_root: String,
    /// Log format: `text` (human readable) or `json`.
    pub log_format: String,
    /// Relay destinations: `[[destination]]` tables (config file only). See docs/relay.md.
    pub destination: Vec<RawDestination>,
    /// Seconds before each retry of a failed relay delivery; after the last one the job is dead.
    pub relay_retry_secs: Vec<u64>,
    /// Seconds a relay request may take before it counts as failed.
    pub relay_timeout_secs: u64,
    /// Longest wait a destination's `Retry-After` can ask for, in seconds.
    pub relay_max_retry_after_secs: u64,
    /// How long a claim holds an item for one reviewer, in minutes.
    pub claim_minutes: u64,
    /// How long a decision can be undone, in seconds; `review.resolved` waits this long.
    pub undo_secs: u64,
    /// Reason codes a decision can carry; one is required to remove content.
    pub reason_codes: Vec<String>,
    /// Categories whose excerpt stays hidden until a reviewer reveals it (the reveal is recorded).
    pub sensitive_categories: Vec<String>,
    /// Time to decision of particular categories, in minutes (`{ self-harm = 15 }`); an item
    /// takes the shortest of its categories.
    pub due_minutes: BTreeMap<String, u64>,
    /// Time to decision of every other item, in minutes.
    pub due_default_minutes: u64,
    /// Link to an item in the upstream's own tool, with `{reference_id}` in it; empty for none.
    pub upstream_url: String,
    /// Failed logins allowed for one account name within the window before further attempts
    /// are refused; 0 turns the limit off.
    pub login_max_failures_per_account: u32,
    /// Failed logins allowed from one client address within the window; 0 turns it off.
    pub login_max_failures_per_address: u32,
    /// The window failed logins are counted in, in seconds.
    pub login_failure_window_secs: u64,
    /// A session ends after this many seconds without a request.
    pub session_idle_secs: u64,
    /// A session ends this many seconds after login, however busy it is.
    pub session_max_age_secs: u64,
    /// How often open items are checked for passing their due time (each alerts once), in
    /// seconds.
    pub overdue_check_secs: u64,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:3000".into(),
            database_url: "sqlite://data/moddesk.db".into(),
            webhook_scheme: "standard".into(),
            webhook_secret: String::new(),
            webhook_tolerance_secs: 300,
            webhook_max_body_bytes: 256 * 1024,
            public_url: String::new(),
            site_root: "target/site".into(),
            log_format: "text".into(),
            destination: Vec::new(),
            relay_retry_secs: vec![
                5, 30, 120, 600, 1_800, 3_600, 10_800, 21_600, 43_200, 86_400,
            ],
            relay_timeout_secs: 10,
            relay_max_retry_after_secs: 3_600,
            claim_minutes: 10,
            undo_secs: 30,
            reason_codes: Workflow::default().reason_codes,
            sensitive_categories: Workflow::default().sensitive_categories,
            due_minutes: BTreeMap::from([("self-harm".to_owned(), 15)]),
            due_default_minutes: 24 * 60,
            upstream_url: String::new(),
            login_max_failures_per_account: 5,
            login_max_failures_per_address: 20,
            login_failure_window_secs: 15 * 60,
            session_idle_secs: 30 * 60,
            session_max_age_secs: 12 * 3_600,
            overdue_check_secs: 30,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database_url: String,
    pub webhook_scheme: Scheme,
    pub webhook_secrets: Vec<WebhookSecret>,
    pub webhook_tolerance: Duration,
    pub webhook_max_body_bytes: usize,
    pub public_url: String,
    pub site_root: PathBuf,
    pub log_format: LogFormat,
    pub destinations: Vec<Destination>,
    pub relay: RelaySettings,
    pub workflow: Workflow,
    pub auth: app::auth::AuthPolicy,
    /// How often the overdue check runs.
    pub overdue_check: Duration,
}

/// How the relay retries and waits.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// The wait before retry 1, 2, …; a job that fails once more than this has entries is dead.
    pub retry: Vec<Duration>,
    pub timeout: Duration,
    pub max_retry_after: Duration,
}

impl Settings {
    /// Loads defaults, then `file` when given, then the environment, and validates the result.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(RawConfig::default()));
        if let Some(file) = file {
            if !file.exists() {
                bail!("config file {} does not exist", file.display());
            }
            check_syntax(file)?;
            figment = figment.merge(Toml::file(file));
        }
        let raw: RawConfig = figment
            .merge(Env::prefixed("MODDESK_").only(&FIELDS))
            .extract()
            .context("invalid configuration")?;
        raw.validate()
    }
}

/// Refuses a config file that is not valid TOML, naming the line and column but not quoting the
/// line: it may hold a secret (a webhook secret, a destination URL) with a quote missing.
fn check_syntax(file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading the config file {}", file.display()))?;
    if let Err(error) = toml::from_str::<toml::Table>(&text) {
        let at = error.span().map_or(0, |span| span.start);
        let before = &text[..at.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        bail!(
            "config file {}: line {line}, column {column}: {}",
            file.display(),
            error.message().trim_end()
        );
    }
    Ok(())
}

impl Settings {
    /// Checks what `serve` needs beyond a valid configuration: at least one webhook secret.
    pub fn check_serve(&self) -> anyhow::Result<()> {
        if self.webhook_secrets.is_empty() {
            bail!(
                "webhook_secret: no secret is configured, so no delivery could be verified; \
                 set MODDESK_WEBHOOK_SECRET or webhook_secret in the config file"
            );
        }
        Ok(())
    }
}

impl RawConfig {
    /// Checks every field and builds [`Settings`].
    pub fn validate(self) -> anyhow::Result<Settings> {
        let listen: SocketAddr = self.listen.trim().parse().with_context(|| {
            format!(
                "listen: {:?} is not an address like 127.0.0.1:3000",
                self.listen
            )
        })?;

        let database_url = self.database_url.trim().to_owned();
        if !database_url.starts_with("sqlite:") {
            bail!("database_url: {database_url:?} must start with sqlite:");
        }

        let webhook_scheme = match self.webhook_scheme.trim() {
            "standard" => Scheme::StandardWebhooks,
            "body" => Scheme::BodyOnly,
            other => bail!("webhook_scheme: {other:?} is not one of standard, body"),
        };
        let webhook_secrets = parse_secrets(webhook_scheme, &self.webhook_secret)?;

        if self.webhook_tolerance_secs == 0 || self.webhook_tolerance_secs > 86_400 {
            bail!("webhook_tolerance_secs: must be between 1 and 86400 seconds");
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.webhook_max_body_bytes) {
            bail!("webhook_max_body_bytes: must be between 1 KiB and 64 MiB");
        }

        let public_url = match self.public_url.trim().trim_end_matches('/') {
            "" => format!("http://{listen}"),
            url if url.starts_with("http://") || url.starts_with("https://") => url.to_owned(),
            url => bail!("public_url: {url:?} must start with http:// or https://"),
        };

        let log_format = match self.log_format.trim() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => bail!("log_format: {other:?} is not one of text, json"),
        };

        let destinations = destination::validate(&self.destination)?;
        if self.relay_retry_secs.is_empty()
            || self
                .relay_retry_secs
                .iter()
                .any(|&s| s == 0 || s > 7 * 86_400)
        {
            bail!("relay_retry_secs: give at least one wait, each between 1 s and 7 days");
        }
        if !(1..=300).contains(&self.relay_timeout_secs) {
            bail!("relay_timeout_secs: must be between 1 and 300 seconds");
        }
        if !(1..=86_400).contains(&self.relay_max_retry_after_secs) {
            bail!("relay_max_retry_after_secs: must be between 1 and 86400 seconds");
        }
        let relay = RelaySettings {
            retry: self
                .relay_retry_secs
                .iter()
                .map(|&s| Duration::from_secs(s))
                .collect(),
            timeout: Duration::from_secs(self.relay_timeout_secs),
            max_retry_after: Duration::from_secs(self.relay_max_retry_after_secs),
        };

        let workflow = self.workflow()?;
        let auth = self.auth_policy()?;
        if !(1..=3_600).contains(&self.overdue_check_secs) {
            bail!("overdue_check_secs: must be between 1 and 3600 seconds");
        }

        Ok(Settings {
            listen,
            database_url,
            webhook_scheme,
            webhook_secrets,
            webhook_tolerance: Duration::from_secs(self.webhook_tolerance_secs),
            webhook_max_body_bytes: self.webhook_max_body_bytes,
            public_url,
            site_root: PathBuf::from(self.site_root),
            log_format,
            destinations,
            relay,
            workflow,
            auth,
            overdue_check: Duration::from_secs(self.overdue_check_secs),
        })
    }

    /// The login throttling and session limits.
    fn auth_policy(&self) -> anyhow::Result<app::auth::AuthPolicy> {
        const DAY: u64 = 86_400;
        if !(1..=DAY).contains(&self.login_failure_window_secs) {
            bail!("login_failure_window_secs: must be between 1 and 86400 seconds");
        }
        if !(60..=7 * DAY).contains(&self.session_idle_secs) {
            bail!("session_idle_secs: must be between 60 seconds and 7 days");
        }
        if !(1..=30 * DAY).contains(&self.session_max_age_secs) {
            bail!("session_max_age_secs: must be between 1 second and 30 days");
        }
        let ms = |secs: u64| i64::try_from(secs * 1_000).unwrap_or(i64::MAX);
        Ok(app::auth::AuthPolicy {
            throttle: app::store::login_failures::Limits {
                per_account: self.login_max_failures_per_account,
                per_address: self.login_max_failures_per_address,
                window_ms: ms(self.login_failure_window_secs),
            },
            session_idle_ms: ms(self.session_idle_secs),
            session_max_age_ms: ms(self.session_max_age_secs),
        })
    }

    /// The queue rules: claim and undo times, reason codes, sensitive categories, due times.
    fn workflow(&self) -> anyhow::Result<Workflow> {
        if !(1..=24 * 60).contains(&self.claim_minutes) {
            bail!("claim_minutes: must be between 1 and 1440");
        }
        if !(1..=3_600).contains(&self.undo_secs) {
            bail!("undo_secs: must be between 1 and 3600 seconds");
        }
        let reason_codes = names("reason_codes", &self.reason_codes)?;
        if reason_codes.is_empty() {
            bail!("reason_codes: give at least one (removing content needs a reason code)");
        }
        let sensitive_categories = names("sensitive_categories", &self.sensitive_categories)?;
        let month = 31 * 24 * 60;
        if !(1..=month).contains(&self.due_default_minutes) {
            bail!("due_default_minutes: must be between 1 and {month}");
        }
        let mut due = Vec::new();
        for (category, &minutes) in &self.due_minutes {
            if category.trim().is_empty() || !(1..=month).contains(&minutes) {
                bail!(
                    "due_minutes: {category:?} must be a category name with 1 to {month} minutes"
                );
            }
            due.push(DueRule {
                category: category.trim().to_owned(),
                within_ms: minutes as i64 * 60_000,
            });
        }
        let upstream_url = match self.upstream_url.trim() {
            "" => None,
            url if (url.starts_with("https://") || url.starts_with("http://"))
                && url.contains("{reference_id}") =>
            {
                Some(url.to_owned())
            }
            url => bail!(
                "upstream_url: {url:?} must be an http(s) address containing {{reference_id}}"
            ),
        };

        Ok(Workflow {
            claim_ms: self.claim_minutes as i64 * 60_000,
            undo_ms: self.undo_secs as i64 * 1000,
            reason_codes,
            sensitive_categories,
            due,
            default_due_ms: self.due_default_minutes as i64 * 60_000,
            upstream_url,
        })
    }
}

/// A list of short names (reason codes, categories): trimmed, 1 to 40 characters, no repeats.
fn names(field: &str, list: &[String]) -> anyhow::Result<Vec<String>> {
    let mut seen = HashSet::new();
    list.iter()
        .map(|name| {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 40 {
                bail!("{field}: {name:?} must be 1 to 40 characters");
            }
            if !seen.insert(name.to_owned()) {
                bail!("{field}: {name:?} is listed twice");
            }
            Ok(name.to_owned())
        })
        .collect()
}

/// The comma-separated secret list; blank means none, but a blank entry in a list is an error.
fn parse_secrets(scheme: Scheme, list: &str) -> anyhow::Result<Vec<WebhookSecret>> {
    if list.trim().is_empty() {
        return Ok(Vec::new());
    }
    list.split(',')
        .enumerate()
        .map(|(i, text)| {
            let context = || format!("webhook_secret: secret {} of the list", i + 1);
            if text.trim().is_empty() {
                return Err(anyhow::anyhow!("it is empty")).with_context(context);
            }
            WebhookSecret::parse_for(scheme, text).with_context(context)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawConfig {
        RawConfig::default()
    }

    #[test]
    fn a_syntax_error_names_its_place_without_quoting_the_line() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("moddesk.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:3000\"\nwebhook_secret = \"whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0\n",
        )
        .unwrap();

        let message = format!("{:#}", Settings::load(Some(&file)).unwrap_err());

        assert!(message.contains("line 2"), "{message}");
        assert!(!message.contains("whsec_"), "{message}");
    }

    #[test]
    fn defaults_are_valid() {
        let settings = raw().validate().unwrap();

        assert_eq!(settings.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(settings.public_url, "http://127.0.0.1:3000");
        assert!(settings.webhook_secrets.is_empty());
    }

    #[test]
    fn bad_values_name_their_field() {
        let cases: Vec<(RawConfig, &str)> = vec![
            (
                RawConfig {
                    listen: "localhost".into(),
                    ..raw()
                },
                "listen",
            ),
            (
                RawConfig {
                    database_url: "postgres://x".into(),
                    ..raw()
                },
                "database_url",
            ),
            (
                RawConfig {
                    webhook_secret: "nope".into(),
                    ..raw()
                },
                "webhook_secret",
            ),
            (
                RawConfig {
                    public_url: "ftp://x".into(),
                    ..raw()
                },
                "public_url",
            ),
            (
                RawConfig {
                    log_format: "xml".into(),
                    ..raw()
                },
                "log_format",
            ),
            (
                RawConfig {
                    webhook_tolerance_secs: 0,
                    ..raw()
                },
                "webhook_tolerance_secs",
            ),
            (
                RawConfig {
                    reason_codes: vec![],
                    ..raw()
                },
                "reason_codes",
            ),
            (
                RawConfig {
                    reason_codes: vec!["spam".into(), " spam".into()],
                    ..raw()
                },
                "reason_codes",
            ),
            (
                RawConfig {
                    due_minutes: BTreeMap::from([("hate".to_owned(), 0)]),
                    ..raw()
                },
                "due_minutes",
            ),
            (
                RawConfig {
                    upstream_url: "https://aegis.example/items".into(),
                    ..raw()
                },
                "upstream_url",
            ),
            (
                RawConfig {
                    claim_minutes: 0,
                    ..raw()
                },
                "claim_minutes",
            ),
            (
                RawConfig {
                    login_failure_window_secs: 0,
                    ..raw()
                },
                "login_failure_window_secs",
            ),
            (
                RawConfig {
                    session_idle_secs: 10,
                    ..raw()
                },
                "session_idle_secs",
            ),
            (
                RawConfig {
                    session_max_age_secs: 0,
                    ..raw()
                },
                "session_max_age_secs",
            ),
        ];

        for (config, field) in cases {
            let error = format!("{:#}", config.validate().unwrap_err());
            assert!(error.starts_with(field), "{error:?} should name {field}");
        }
    }

    #[test]
    fn several_secrets_are_read_from_one_value() {
        let config = RawConfig {
            webhook_secret:
                " whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD , whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw "
                    .into(),
            ..raw()
        };

        assert_eq!(config.validate().unwrap().webhook_secrets.len(), 2);
    }
}
