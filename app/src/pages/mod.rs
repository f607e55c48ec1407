//! One module per page.

pub mod decisions;
pub mod deliveries;
pub mod history;
pub mod inbox;
pub mod insights;
pub mod item;
pub mod login;
pub mod not_found;
pub mod queue;
pub mod setup;
pub mod users;
