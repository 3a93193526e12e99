//! UTC calendar windows for quotas: the day and the month containing a Unix time, each with an
//! index (which window it is) and the Unix time at which it ends.
//!
//! Dates are computed with the proleptic-Gregorian day-count conversions (days since 1970-01-01
//! to and from year/month/day), so no date library is needed. Unix time has no leap seconds:
//! every UTC day is 86,400 seconds long.

use std::fmt::Write as _;

const SECONDS_PER_DAY: u64 = 86_400;
/// Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar.
const EPOCH_SHIFT: u64 = 719_468;
const DAYS_PER_ERA: u64 = 146_097;

/// One calendar window containing a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Window {
    /// Which window: days or months since 1970-01 (wraps only after millions of years).
    pub index: u32,
    /// Unix time (seconds) at which the window ends and the next begins.
    pub resets_at: u64,
}

/// The UTC day containing `unix` (seconds).
pub(super) fn day(unix: u64) -> Window {
    let days = unix / SECONDS_PER_DAY;
    Window {
        index: days as u32,
        resets_at: (days + 1).saturating_mul(SECONDS_PER_DAY),
    }
}

/// The UTC calendar month containing `unix` (seconds).
pub(super) fn month(unix: u64) -> Window {
    let (year, month, _) = civil_from_days(unix / SECONDS_PER_DAY);
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    Window {
        index: ((year - 1970) * 12 + month - 1) as u32,
        resets_at: days_from_civil(next_year, next_month, 1).saturating_mul(SECONDS_PER_DAY),
    }
}

/// `unix` as an RFC 3339 UTC timestamp, e.g. `2026-06-01T00:00:00Z`.
pub(super) fn rfc3339(unix: u64) -> String {
    let (year, month, day) = civil_from_days(unix / SECONDS_PER_DAY);
    let second_of_day = unix % SECONDS_PER_DAY;
    let mut text = String::with_capacity(20);
    let _ = write!(
        text,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    );
    text
}

/// (year, month 1–12, day 1–31) of the day `days` after 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let shifted = days + EPOCH_SHIFT;
    let era = shifted / DAYS_PER_ERA;
    let day_of_era = shifted - era * DAYS_PER_ERA;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Days from 1970-01-01 to `year-month-day` (which must not precede 1970-01-01).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let year = year - u64::from(month <= 2);
    let era = year / 400;
    let year_of_era = year - era * 400;
    let month_from_march = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - EPOCH_SHIFT
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-02-29T12:00:00Z (a leap day).
    const LEAP_DAY_NOON: u64 = 1_709_208_000;
    /// 2024-03-01T00:00:00Z.
    const MARCH_2024: u64 = 1_709_251_200;
    /// 2025-12-31T23:59:59Z.
    const NEW_YEARS_EVE_2025: u64 = 1_767_225_599;
    /// 2026-01-01T00:00:00Z.
    const NEW_YEAR_2026: u64 = 1_767_225_600;

    #[test]
    fn days_end_at_utc_midnight() {
        assert_eq!(day(LEAP_DAY_NOON).resets_at, MARCH_2024);
        assert_eq!(day(MARCH_2024 - 1).index + 1, day(MARCH_2024).index);
        assert_eq!(
            day(0),
            Window {
                index: 0,
                resets_at: 86_400
            }
        );
    }

    #[test]
    fn months_end_on_the_first_including_leap_years_and_new_year() {
        assert_eq!(month(LEAP_DAY_NOON).resets_at, MARCH_2024);
        assert_eq!(month(MARCH_2024).index, month(LEAP_DAY_NOON).index + 1);
        assert_eq!(month(NEW_YEARS_EVE_2025).resets_at, NEW_YEAR_2026);
        assert_eq!(
            month(NEW_YEAR_2026).index,
            month(NEW_YEARS_EVE_2025).index + 1
        );
        assert_eq!(month(0).index, 0);
        assert_eq!(month(0).resets_at, 31 * 86_400);
    }

    #[test]
    fn renders_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(LEAP_DAY_NOON), "2024-02-29T12:00:00Z");
        assert_eq!(rfc3339(NEW_YEARS_EVE_2025), "2025-12-31T23:59:59Z");
    }

    #[test]
    fn day_counts_round_trip_over_four_centuries() {
        for days in (0..146_097 * 2).step_by(37) {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(
                days_from_civil(year, month, day),
                days,
                "{year}-{month}-{day}"
            );
        }
    }
}
