//! Webhook signatures, in two schemes. Standard Webhooks (the default): HMAC-SHA256 over
//! `{id}.{timestamp}.{body}` with the base64-decoded secret, sent as space-separated
//! `v1,<base64>` entries. Body-only: `X-Aegis-Signature: sha256=<hex>` of HMAC-SHA256 over the raw
//! body, keyed with the secret's own bytes.

use anyhow::bail;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;
use std::fmt;
use std::time::Duration;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Shortest secret accepted, in decoded bytes.
const MIN_SECRET_BYTES: usize = 24;

/// How deliveries are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `webhook-id`, `webhook-timestamp` and `webhook-signature` headers.
    StandardWebhooks,
    /// `X-Aegis-Signature: sha256=<hex>` over the body alone; id and time come from the payload.
    BodyOnly,
}

/// A webhook signing secret. Its bytes never appear in `Debug` output or logs.
#[derive(Clone)]
pub struct WebhookSecret(SecretSlice<u8>);

impl WebhookSecret {
    /// Parses a secret for `scheme`, trimmed. Standard Webhooks secrets are `whsec_<base64>`;
    /// body-only secrets are used as their own bytes. Either way at least 24 key bytes.
    pub fn parse_for(scheme: Scheme, text: &str) -> anyhow::Result<WebhookSecret> {
        match scheme {
            Scheme::StandardWebhooks => Self::parse(text),
            Scheme::BodyOnly => {
                let text = text.trim();
                if text.len() < MIN_SECRET_BYTES {
                    bail!("a body-only secret needs at least {MIN_SECRET_BYTES} bytes");
                }
                Ok(WebhookSecret(text.as_bytes().to_vec().into()))
            }
        }
    }

    /// Parses `whsec_<base64>`, trimmed; refuses anything else.
    pub fn parse(text: &str) -> anyhow::Result<WebhookSecret> {
        let Some(encoded) = text.trim().strip_prefix("whsec_") else {
            bail!("a webhook secret must start with whsec_");
        };
        // The decoder's own error names a character and its position: not said about a secret.
        let Ok(bytes) = BASE64.decode(encoded) else {
            bail!("the part after whsec_ is not valid base64");
        };
        if bytes.len() < MIN_SECRET_BYTES {
            bail!(
                "the secret decodes to {} bytes; at least {MIN_SECRET_BYTES} are needed",
                bytes.len()
            );
        }
        Ok(WebhookSecret(bytes.into()))
    }

    /// Builds a secret from raw key bytes (for example freshly generated ones).
    pub fn from_bytes(bytes: Vec<u8>) -> WebhookSecret {
        WebhookSecret(bytes.into())
    }

    /// The `whsec_…` form, for writing a generated secret to a config file.
    pub fn to_whsec(&self) -> String {
        format!("whsec_{}", BASE64.encode(self.0.expose_secret()))
    }

    fn hmac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
        let mut mac = self.hmac();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().into()
    }

    fn body_mac(&self, body: &[u8]) -> [u8; 32] {
        let mut mac = self.hmac();
        mac.update(body);
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(redacted)")
    }
}

/// The `webhook-signature` header value for a delivery.
pub fn sign(secret: &WebhookSecret, id: &str, timestamp: i64, body: &[u8]) -> String {
    format!("v1,{}", BASE64.encode(secret.mac(id, timestamp, body)))
}

/// The `X-Aegis-Signature` header value for a body-only delivery.
pub fn sign_body(secret: &WebhookSecret, body: &[u8]) -> String {
    let mac = secret.body_mac(body);
    format!("sha256={}", hex::encode(mac))
}

/// Why a delivery's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    #[error("webhook-timestamp must be a whole, non-negative number of seconds")]
    MalformedTimestamp,
    /// Seconds the signing time lies before now (negative: after now).
    #[error("{}", describe_skew(*.0))]
    OutsideWindow(i64),
    #[error("no signature matches")]
    NoMatch,
}

fn describe_skew(skew: i64) -> String {
    if skew >= 0 {
        format!("the delivery was signed {skew} s ago, outside the allowed window")
    } else {
        format!(
            "the delivery is signed {} s in the future, outside the allowed window",
            -skew
        )
    }
}

/// The three Standard Webhooks headers of a delivery, as received.
pub struct SignedHeaders<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Checks signatures against every configured secret.
pub struct Verifier {
    scheme: Scheme,
    secrets: Vec<WebhookSecret>,
    tolerance: Duration,
}

impl Verifier {
    pub fn new(secrets: Vec<WebhookSecret>, tolerance: Duration) -> Self {
        Self::with_scheme(Scheme::StandardWebhooks, secrets, tolerance)
    }

    pub fn with_scheme(scheme: Scheme, secrets: Vec<WebhookSecret>, tolerance: Duration) -> Self {
        Self {
            scheme,
            secrets,
            tolerance,
        }
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Verifies a body-only delivery's `X-Aegis-Signature` header: `sha256=` and 64 hex digits
    /// matching any secret. The timestamp window is checked on the payload's time by the caller,
    /// through [`Verifier::check_window`].
    pub fn verify_body(&self, signature: Option<&str>, body: &[u8]) -> Result<(), VerifyError> {
        let signature = signature.ok_or(VerifyError::MissingHeader("x-aegis-signature"))?;
        let given = signature
            .strip_prefix("sha256=")
            .and_then(decode_hex)
            .ok_or(VerifyError::NoMatch)?;
        let matched = self.secrets.iter().fold(false, |any, secret| {
            any | bool::from(given.ct_eq(&secret.body_mac(body)))
        });
        if matched {
            Ok(())
        } else {
            Err(VerifyError::NoMatch)
        }
    }

    /// Refuses a signing time (Unix seconds) further than the tolerance from `now`.
    pub fn check_window(&self, timestamp: i64, now: i64) -> Result<(), VerifyError> {
        let skew = now.saturating_sub(timestamp);
        if skew.unsigned_abs() > self.tolerance.as_secs() {
            return Err(VerifyError::OutsideWindow(skew));
        }
        Ok(())
    }

    /// Whether any secret is configured; without one nothing can be verified.
    pub fn has_secrets(&self) -> bool {
        !self.secrets.is_empty()
    }

    /// Verifies a delivery at time `now` (Unix seconds) and returns its id and timestamp. The
    /// body is checked exactly as received. Entries that are not well-formed `v1` signatures are
    /// skipped; any well-formed one that matches any secret accepts.
    pub fn verify<'a>(
        &self,
        headers: &SignedHeaders<'a>,
        body: &[u8],
        now: i64,
    ) -> Result<(&'a str, i64), VerifyError> {
        let id = headers
            .id
            .filter(|id| !id.is_empty())
            .ok_or(VerifyError::MissingHeader("webhook-id"))?;
        let timestamp = headers
            .timestamp
            .ok_or(VerifyError::MissingHeader("webhook-timestamp"))?;
        let signature = headers
            .signature
            .ok_or(VerifyError::MissingHeader("webhook-signature"))?;

        let timestamp = parse_timestamp(timestamp)?;
        self.check_window(timestamp, now)?;

        let given: Vec<[u8; 32]> = signature.split(' ').filter_map(decode_entry).collect();
        let matched = self.secrets.iter().any(|secret| {
            let expected = secret.mac(id, timestamp, body);
            given
                .iter()
                .fold(false, |any, sig| any | bool::from(sig.ct_eq(&expected)))
        });
        if matched {
            Ok((id, timestamp))
        } else {
            Err(VerifyError::NoMatch)
        }
    }
}

fn parse_timestamp(text: &str) -> Result<i64, VerifyError> {
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VerifyError::MalformedTimestamp);
    }
    text.parse().map_err(|_| VerifyError::MalformedTimestamp)
}

/// Exactly 64 hex digits as 32 bytes; anything else (signs, spaces, other lengths) is `None`.
fn decode_hex(text: &str) -> Option<[u8; 32]> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text, &mut bytes).ok()?;
    Some(bytes)
}

/// A `v1,<base64>` entry as its 32 signature bytes; anything else is `None`.
fn decode_entry(entry: &str) -> Option<[u8; 32]> {
    let encoded = entry.strip_prefix("v1,")?;
    let bytes = BASE64.decode(encoded).ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The published Standard Webhooks test vector.
    const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const TIMESTAMP: i64 = 1_649_367_553;
    const BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
    const SIGNATURE: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

    fn verifier() -> Verifier {
        Verifier::new(
            vec![WebhookSecret::parse(SECRET).unwrap()],
            Duration::from_secs(300),
        )
    }

    fn check(signature: &str, now: i64) -> Result<(&str, i64), VerifyError> {
        let timestamp = TIMESTAMP.to_string();
        let headers = SignedHeaders {
            id: Some(ID),
            timestamp: Some(&timestamp),
            signature: Some(signature),
        };
        verifier()
            .verify(&headers, BODY, now)
            .map(|(_, ts)| (ID, ts))
    }

    #[test]
    fn signs_the_published_vector() {
        let secret = WebhookSecret::parse(SECRET).unwrap();

        assert_eq!(sign(&secret, ID, TIMESTAMP, BODY), SIGNATURE);
    }

    #[test]
    fn verifies_the_published_vector() {
        assert_eq!(check(SIGNATURE, TIMESTAMP), Ok((ID, TIMESTAMP)));
    }

    #[test]
    fn any_valid_entry_among_several_accepts() {
        let list = format!("v1,bm90IGl0 v2,abc {SIGNATURE}");

        assert!(check(&list, TIMESTAMP).is_ok());
    }

    #[test]
    fn incomplete_or_extended_signatures_are_refused() {
        let truncated = &SIGNATURE[..SIGNATURE.len() - 4];
        let cases = [
            "v1,".to_owned(),
            truncated.to_owned(),
            format!("{SIGNATURE}A"),
            format!("{SIGNATURE}AAAA"),
            SIGNATURE.replace("v1,", "v2,"),
            String::new(),
        ];

        for case in cases {
            assert_eq!(
                check(&case, TIMESTAMP),
                Err(VerifyError::NoMatch),
                "{case:?}"
            );
        }
    }

    #[test]
    fn the_window_is_inclusive_of_its_bound() {
        assert!(check(SIGNATURE, TIMESTAMP + 300).is_ok());
        assert!(check(SIGNATURE, TIMESTAMP - 300).is_ok());
        assert_eq!(
            check(SIGNATURE, TIMESTAMP + 301),
            Err(VerifyError::OutsideWindow(301))
        );
        assert_eq!(
            check(SIGNATURE, TIMESTAMP - 301),
            Err(VerifyError::OutsideWindow(-301))
        );
    }

    #[test]
    fn malformed_timestamps_are_named() {
        for bad in ["-5", "1.5", "", "abc", "99999999999999999999"] {
            let headers = SignedHeaders {
                id: Some(ID),
                timestamp: Some(bad),
                signature: Some(SIGNATURE),
            };

            assert_eq!(
                verifier().verify(&headers, BODY, TIMESTAMP),
                Err(VerifyError::MalformedTimestamp),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn body_only_signatures_verify_exactly() {
        let secret =
            WebhookSecret::parse_for(Scheme::BodyOnly, "a-body-only-secret-of-32-bytes!!").unwrap();
        let verifier = Verifier::with_scheme(
            Scheme::BodyOnly,
            vec![secret.clone()],
            Duration::from_secs(300),
        );
        let good = sign_body(&secret, BODY);

        assert_eq!(verifier.verify_body(Some(&good), BODY), Ok(()));
        assert_eq!(
            verifier.verify_body(
                Some(&good.to_uppercase().replace("SHA256=", "sha256=")),
                BODY
            ),
            Ok(())
        );
        assert_eq!(
            decode_hex(&format!("+{}", "0".repeat(63))),
            None,
            "signed digits"
        );
        assert_eq!(decode_hex(&"0".repeat(64)), Some([0; 32]));
        for bad in [
            format!("{good}0"),
            good[..good.len() - 2].to_owned(),
            good.replace("sha256=", ""),
            "sha256=".to_owned(),
        ] {
            assert_eq!(
                verifier.verify_body(Some(&bad), BODY),
                Err(VerifyError::NoMatch),
                "{bad:?}"
            );
        }
        assert_eq!(
            verifier.verify_body(Some(&good), &BODY[1..]),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            verifier.verify_body(None, BODY),
            Err(VerifyError::MissingHeader("x-aegis-signature"))
        );
        assert!(WebhookSecret::parse_for(Scheme::BodyOnly, "too short").is_err());
    }

    #[test]
    fn secrets_are_parsed_strictly() {
        assert!(WebhookSecret::parse(&format!("  {SECRET}\n")).is_ok());
        assert!(WebhookSecret::parse("C2FVsBQIhrscChlQIMV+b5sSYspob7oD").is_err());
        assert!(WebhookSecret::parse("whsec_not base64!").is_err());
        assert!(WebhookSecret::parse("whsec_c2hvcnQ=").is_err());
        assert_eq!(
            format!("{:?}", WebhookSecret::parse(SECRET).unwrap()),
            "WebhookSecret(redacted)"
        );
    }
}
