//! Times as the dashboard shows them.

use time::OffsetDateTime;
use time::macros::format_description;

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
}

/// A Unix millisecond time as `2026-12-03 14:05:09 UTC`.
pub fn format_time_ms(ms: i64) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc() {
        assert_eq!(format_time_ms(1_649_367_553_000), "2022-04-07 21:39:13 UTC");
    }
}
