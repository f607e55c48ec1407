//! Ingest metrics, exported at `/metrics`.

use std::time::Duration;

/// Deliveries by outcome: `accepted`, `duplicate`, or `rejected` with a `reason`.
pub const DELIVERIES: &str = "moddesk_deliveries_total";
/// Seconds from request to answer, for deliveries that passed verification.
pub const LATENCY: &str = "moddesk_ingest_duration_seconds";

pub fn accepted(elapsed: Duration) {
    metrics::counter!(DELIVERIES, "outcome" => "accepted").increment(1);
    metrics::histogram!(LATENCY).record(elapsed.as_secs_f64());
}

pub fn duplicate(elapsed: Duration) {
    metrics::counter!(DELIVERIES, "outcome" => "duplicate").increment(1);
    metrics::histogram!(LATENCY).record(elapsed.as_secs_f64());
}

pub fn rejected(reason: &'static str) {
    metrics::counter!(DELIVERIES, "outcome" => "rejected", "reason" => reason).increment(1);
}
