//! The one-time setup link that lets the first admin be created in the browser.

use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq;

/// Holds the hash of the setup token while no user exists. The token itself is only printed once
/// to the log at start; it is gone once the first admin exists.
#[derive(Clone, Default)]
pub struct SetupGate {
    token_hash: Arc<Mutex<Option<[u8; 32]>>>,
}

impl SetupGate {
    /// A gate with no open token: setup through the browser is closed.
    pub fn closed() -> Self {
        Self::default()
    }

    /// Opens the gate with a fresh random token and returns it, to be shown to the operator.
    pub fn open(&self) -> String {
        let mut bytes = [0u8; 24];
        OsRng.fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        *self.lock() = Some(Sha256::digest(token.as_bytes()).into());
        token
    }

    /// Checks `token` in constant time.
    pub fn accepts(&self, token: &str) -> bool {
        let Some(expected) = *self.lock() else {
            return false;
        };
        let given: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        given.ct_eq(&expected).into()
    }

    /// Whether a setup link works at all (without saying which).
    pub fn is_open(&self) -> bool {
        self.lock().is_some()
    }

    /// Closes the gate for good.
    pub fn close(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<[u8; 32]>> {
        self.token_hash
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_its_token_until_closed() {
        let gate = SetupGate::closed();
        assert!(!gate.accepts(""));
        assert!(!gate.is_open());

        let token = gate.open();

        assert!(gate.is_open());
        assert!(gate.accepts(&token));
        assert!(!gate.accepts("not-the-token"));
        gate.close();
        assert!(!gate.accepts(&token));
        assert!(!gate.is_open());
    }
}
