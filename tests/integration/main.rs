//! Integration tests: the whole router in-process, each test on its own SQLite database.

mod cli;
mod crash;
mod dashboard;
mod decisions;
mod helpers;
mod history;
mod ingest;
mod ingest_rules;
mod insights;
mod listener;
mod live;
mod login;
mod overdue;
mod python_signer;
mod queue;
mod relay;
mod roles;
mod users;
