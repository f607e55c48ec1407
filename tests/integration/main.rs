//! Integration tests: the whole router in-process, each test on its own SQLite database.

mod cli;
mod crash;
mod dashboard;
mod helpers;
mod ingest;
mod ingest_rules;
mod live;
mod login;
mod python_signer;
mod queue;
mod relay;
mod roles;
mod users;
