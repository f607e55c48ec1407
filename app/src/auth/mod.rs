//! Authentication: password hashing and the login session.

pub mod password;
pub mod session;
