//! moddesk: receives AegisCore's signed moderation webhooks, stores them in SQLite and serves the
//! review dashboard. `startup` builds the whole app; `main` and the tests both use it.

pub mod cli;
pub mod config;
pub mod db;
pub mod http;
pub mod ingest;
pub mod overdue;
pub mod relay;
pub mod startup;
pub mod telemetry;
