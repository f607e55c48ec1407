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

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// The start (00:00 UTC, in Unix ms) of the day written `YYYY-MM-DD`; `None` when it is not a
/// valid date.
pub fn day_start_ms(text: &str) -> Option<i64> {
    let format = format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text.trim(), &format).ok()?;
    let seconds = date.midnight().assume_utc().unix_timestamp();
    seconds.checked_mul(1000)
}

/// A filter's range of whole UTC days, `from` and `to` both included, each `YYYY-MM-DD` or blank
/// for no bound: the start of the first day and the start of the day after the last (Unix ms).
/// A bad value is refused with a sentence naming it.
pub fn day_range(from: &str, to: &str) -> Result<(Option<i64>, Option<i64>), String> {
    let day = |text: &str, field: &str| match text.trim() {
        "" => Ok(None),
        text => day_start_ms(text)
            .map(Some)
            .ok_or_else(|| format!("The {field} date {text:?} is not a date (YYYY-MM-DD).")),
    };
    let since = day(from, "from")?;
    let until = day(to, "to")?.map(|start| start + DAY_MS);
    if let (Some(since), Some(until)) = (since, until)
        && since >= until
    {
        return Err("The from date is after the to date.".into());
    }
    Ok((since, until))
}

/// The UTC day of a Unix millisecond time, as `2026-12-03`.
pub fn format_day_ms(ms: i64) -> String {
    let format = format_description!("[year]-[month]-[day]");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| ms.to_string())
}

/// A Unix millisecond time as RFC 3339 in UTC, `2026-12-03T14:05:09Z`, for files other programs
/// read.
pub fn format_rfc3339_ms(ms: i64) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
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
        assert_eq!(format_rfc3339_ms(1_649_367_553_000), "2022-04-07T21:39:13Z");
        assert_eq!(format_day_ms(1_649_367_553_000), "2022-04-07");
    }

    #[test]
    fn days_start_at_utc_midnight() {
        assert_eq!(day_start_ms("2022-04-07"), Some(1_649_289_600_000));
        assert_eq!(day_start_ms("2022-02-30"), None);
        assert_eq!(day_start_ms("yesterday"), None);
    }
}
