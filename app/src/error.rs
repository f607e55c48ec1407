//! The one error type server functions return, and how the browser shows it.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What went wrong, as the dashboard needs to know it. 5xx causes are logged on the server and
/// never sent to the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// 401: no session, or the session ended.
    #[error("Please log in.")]
    Unauthenticated,
    /// 403: logged in, but the role does not allow this.
    #[error("You are not allowed to do this.")]
    Forbidden,
    /// 403 with the reason, where the reason helps (for example an escalated item).
    #[error("{0}")]
    NotAllowed(String),
    /// 404: the thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 400: the input was refused; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// 409: the state changed under the caller (for example, someone decided the item first).
    #[error("{0}")]
    Conflict(String),
    /// 429: too many failed logins; the message says when to try again.
    #[error("{0}")]
    TooManyRequests(String),
    /// 500: a fault on the server; the cause is in the server log.
    #[error("Something went wrong on the server. The error was logged.")]
    Internal,
    /// The request never got a usable answer (network, decoding).
    #[error("Could not reach moddesk: {0}")]
    Transport(String),
}

impl AppError {
    /// HTTP status the server answers with for this error.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden | AppError::NotAllowed(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Invalid(_) => 400,
            AppError::Conflict(_) => 409,
            AppError::TooManyRequests(_) => 429,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(reason)
            | ServerFnErrorErr::Deserialization(reason)
            | ServerFnErrorErr::MissingArg(reason) => {
                AppError::Invalid(format!("The form could not be read: {reason}"))
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}
