//! Server functions, one module per area. Each checks the caller on the server before it reads
//! or writes anything; hiding a button in the page is never the check.

pub mod auth;
pub mod deliveries;
pub mod history;
pub mod inbox;
pub mod insights;
pub mod review;
pub mod users;
