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

/// A duration as its two largest units: `45s`, `4m 10s`, `3h 5m`, `2d 4h`.
pub fn format_duration_ms(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_show_two_units() {
        assert_eq!(format_duration_ms(-5), "0s");
        assert_eq!(format_duration_ms(45_000), "45s");
        assert_eq!(format_duration_ms(250_000), "4m 10s");
        assert_eq!(format_duration_ms(3 * 3_600_000 + 5 * 60_000), "3h 5m");
        assert_eq!(format_duration_ms(2 * 86_400_000 + 4 * 3_600_000), "2d 4h");
    }

    #[test]
    fn times_are_utc() {
        assert_eq!(format_time_ms(1_649_367_553_000), "2022-04-07 21:39:13 UTC");
    }
}
