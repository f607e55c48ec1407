//! One delivery attempt: the request, and what its answer means for the job. Only 2xx is
//! success; 408, 429, 5xx and network failures are retried; any other answer is final.

use app::text::shorten;
use rand::Rng;
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use std::time::{Duration, SystemTime};

/// Most of an error answer kept to describe it.
const KEPT_BODY_BYTES: usize = 16 * 1024;
const DESCRIBED_CHARS: usize = 200;

/// An attempt's result before the retry schedule is applied.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Success {
        status: u16,
    },
    /// Worth trying again, after `retry_after` when the destination asked for a wait.
    Transient {
        status: Option<u16>,
        error: String,
        retry_after: Option<Duration>,
    },
    Permanent {
        status: u16,
        error: String,
    },
}

/// Sends `body` and reads the answer. The error text never contains the URL.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    headers: HeaderMap,
    body: Vec<u8>,
) -> Answer {
    let response = match client.post(url).headers(headers).body(body).send().await {
        Ok(response) => response,
        Err(error) => return failed_request(error),
    };
    let status = response.status().as_u16();
    if response.status().is_success() {
        return Answer::Success { status };
    }

    let header_wait = retry_after_header(response.headers());
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = read_capped(response).await;
    let error = describe(status, &content_type, &body);

    match status {
        429 | 503 => Answer::Transient {
            status: Some(status),
            error,
            retry_after: header_wait.or_else(|| retry_after_json(&body)),
        },
        408 | 500..=599 => Answer::Transient {
            status: Some(status),
            error,
            retry_after: None,
        },
        _ => Answer::Permanent { status, error },
    }
}

fn failed_request(error: reqwest::Error) -> Answer {
    let error = if error.is_timeout() {
        "no answer before the timeout".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        format!("request failed: {}", error.without_url())
    };
    Answer::Transient {
        status: None,
        error,
        retry_after: None,
    }
}

async fn read_capped(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < KEPT_BODY_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(KEPT_BODY_BYTES);
    body
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after_header(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

/// Discord's JSON `retry_after`, in seconds (fractions allowed).
fn retry_after_json(body: &[u8]) -> Option<Duration> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let seconds = value.get("retry_after")?.as_f64()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(1e6)))
}

/// A short description of an error answer, whatever its body is: JSON, text or an HTML page.
pub fn describe(status: u16, content_type: &str, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return format!("HTTP {status}");
    }
    if content_type.contains("html") || trimmed.starts_with('<') {
        let title = html_title(trimmed)
            .map(|t| format!(": {}", shorten(t, 100)))
            .unwrap_or_default();
        return format!("HTTP {status}, an HTML page{title}");
    }
    let detail = match serde_json::from_str::<serde_json::Value>(trimmed) {
        Ok(json) => json.to_string(),
        Err(_) => trimmed.split_whitespace().collect::<Vec<_>>().join(" "),
    };
    format!("HTTP {status}: {}", shorten(&detail, DESCRIBED_CHARS))
}

fn html_title(html: &str) -> Option<&str> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    Some(html[start..end].trim()).filter(|t| !t.is_empty())
}

/// The wait before the next attempt after `attempts` failed ones, with ±20 % jitter so many
/// jobs failing together do not all come back at once; `None` when the schedule is used up.
pub fn backoff(schedule: &[Duration], attempts: i64) -> Option<Duration> {
    let base = *schedule.get(usize::try_from(attempts).ok()?.checked_sub(1)?)?;
    let factor = rand::thread_rng().gen_range(0.8..=1.2);
    Some(base.mul_f64(factor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_answers_are_described_briefly() {
        let cases = [
            (
                500,
                "text/html",
                "<html><head><title>502 Bad Gateway</title></head><body>…</body></html>",
                "HTTP 500, an HTML page: 502 Bad Gateway",
            ),
            (
                400,
                "application/json",
                "{\"error\": \"invalid_payload\"}",
                "HTTP 400: {\"error\":\"invalid_payload\"}",
            ),
            (404, "text/plain", "no_service\n", "HTTP 404: no_service"),
            (500, "", "", "HTTP 500"),
        ];

        for (status, content_type, body, expected) in cases {
            assert_eq!(describe(status, content_type, body.as_bytes()), expected);
        }
    }

    #[test]
    fn retry_after_comes_from_the_header_or_discords_body() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());

        assert_eq!(retry_after_header(&headers), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after_json(br#"{"message": "You are being rate limited.", "retry_after": 1.5}"#),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(retry_after_json(b"<html>"), None);
    }

    #[test]
    fn backoff_follows_the_schedule_with_jitter_and_ends() {
        let schedule = [Duration::from_secs(5), Duration::from_secs(30)];

        let first = backoff(&schedule, 1).unwrap();
        assert!((4.0..=6.0).contains(&first.as_secs_f64()), "{first:?}");
        let second = backoff(&schedule, 2).unwrap();
        assert!((24.0..=36.0).contains(&second.as_secs_f64()), "{second:?}");
        assert_eq!(backoff(&schedule, 3), None);
    }
}
