//! Logging (human-readable lines by default, JSON when configured; `RUST_LOG` overrides levels)
//! and the Prometheus metrics recorder.

use crate::config::LogFormat;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::io::IsTerminal;
use std::sync::OnceLock;
use tracing_subscriber::EnvFilter;

const DEFAULT_FILTER: &str = "info,sqlx=warn,tower_sessions=warn,tower_sessions_core=warn";

/// Installs the global subscriber; a second call (as in tests) is ignored.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal());
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Characters of a client-chosen id (a delivery id, a request id) written to the log.
const LOGGED_ID_CHARS: usize = 255;

/// `id` cut to [`LOGGED_ID_CHARS`] characters: a header is the client's to fill, and a long one
/// would otherwise be copied into every log line of its request.
pub fn loggable_id(id: &str) -> &str {
    match id.char_indices().nth(LOGGED_ID_CHARS) {
        Some((cut, _)) => &id[..cut],
        None => id,
    }
}

/// Upper bounds (seconds) of the ingest latency histogram buckets.
const INGEST_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The process-wide Prometheus recorder, installed on first use.
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(crate::ingest::metrics::LATENCY.to_owned()),
                &INGEST_BUCKETS,
            )
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics stays empty");
        }
        spawn_upkeep(handle.clone());
        handle
    })
}

/// How often recorded latencies are folded into the histogram buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Folds recorded latencies into the histogram buckets every [`UPKEEP_EVERY`]. The recorder keeps
/// every sample until then, so without this a desk that nobody scrapes would hold one sample per
/// delivery for as long as it runs.
fn spawn_upkeep(handle: PrometheusHandle) {
    let started = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                handle.run_upkeep();
            }
        });
    if let Err(error) = started {
        tracing::warn!(%error, "the metrics upkeep thread did not start; /metrics scrapes fold the samples instead");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_logged_up_to_255_characters() {
        let long = "é".repeat(10_000);

        assert_eq!(loggable_id(&long).chars().count(), 255);
        assert_eq!(loggable_id("msg_1"), "msg_1");
    }
}
