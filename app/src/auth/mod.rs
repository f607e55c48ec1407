//! Authentication: password hashing, the login session and the rules that bound both.

pub mod names;
pub mod password;
pub mod session;

use crate::store::login_failures::Limits;

/// How logins are throttled and how long a session lasts, as configured for the server.
#[derive(Debug, Clone, Copy)]
pub struct AuthPolicy {
    /// Failed logins allowed per account name and per client address within a window.
    pub throttle: Limits,
    /// A session ends after this long without a request (milliseconds).
    pub session_idle_ms: i64,
    /// A session ends this long after login, however busy it is (milliseconds).
    pub session_max_age_ms: i64,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        Self {
            throttle: Limits {
                per_account: 5,
                per_address: 20,
                window_ms: 15 * 60 * 1000,
            },
            session_idle_ms: 30 * 60 * 1000,
            session_max_age_ms: 12 * 60 * 60 * 1000,
        }
    }
}
