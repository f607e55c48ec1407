//! SQLite storage: one module per table group. Functions take a connection or pool so callers
//! decide the transaction; rows are converted to wire types here and nowhere else.

pub mod chain;
pub mod dead_letters;
pub mod decisions;
pub mod destinations;
pub mod events;
pub mod history;
pub mod insights;
pub mod login_failures;
pub mod overdue;
pub mod relay_jobs;
pub mod review;
pub mod users;
pub mod workflow;

mod time_fmt;

pub use crate::duration::format_duration_ms;
pub use time_fmt::{
    DAY_MS, day_range, day_start_ms, format_day_ms, format_rfc3339_ms, format_time_ms, now_ms,
};
