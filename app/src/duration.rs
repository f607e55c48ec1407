//! Durations as the dashboard shows them, on the server and in the browser alike (countdowns
//! tick in the browser).

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

/// How a due time reads at `now`: `due in 12m 5s`, or `overdue 3m 2s` with `true`.
pub fn due_text(due_at_ms: i64, now_ms: i64) -> (String, bool) {
    if due_at_ms > now_ms {
        (
            format!("due in {}", format_duration_ms(due_at_ms - now_ms)),
            false,
        )
    } else {
        (
            format!("overdue {}", format_duration_ms(now_ms - due_at_ms)),
            true,
        )
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
    fn due_times_count_down_then_up() {
        assert_eq!(due_text(70_000, 10_000), ("due in 1m 0s".to_owned(), false));
        assert_eq!(due_text(10_000, 70_000), ("overdue 1m 0s".to_owned(), true));
    }
}
