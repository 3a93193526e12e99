//! Deprecation rules for operations, parameters and schema properties.
//!
//! An item is retired in two steps: first marked `deprecated: true` with an
//! `x-sunset` date (`YYYY-MM-DD`, or an RFC 3339 date-time whose date part
//! counts) at least the policy's minimum notice ahead, then removed once that
//! date has passed. [`removal`] classifies a removal, [`transition`] a change
//! of the deprecation marks; the diff turns both into changes.
//!
//! Dates are civil UTC dates counted in days since 1970-01-01 (Howard
//! Hinnant's `days_from_civil`); "today" is part of the policy so tests and
//! CI runs can fix it.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::change::Level;
use crate::semver::Bump;

/// Key of the sunset date extension.
pub const SUNSET: &str = "x-sunset";

/// A civil date (proleptic Gregorian, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Days since 1970-01-01.
    days: i64,
}

impl Date {
    /// The date `year-month-day`, if it exists.
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<Date> {
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then(|| Date {
            days: days_from_civil(year, month, day),
        })
    }

    /// Parses `YYYY-MM-DD`; an RFC 3339 date-time (`YYYY-MM-DDT...`) gives its date.
    pub fn parse(text: &str) -> Option<Date> {
        let date = match text.as_bytes().get(10) {
            None => text,
            Some(b'T' | b't') => &text[..10],
            Some(_) => return None,
        };
        let bytes = date.as_bytes();
        let digits = |range: std::ops::Range<usize>| {
            let part = bytes.get(range)?;
            part.iter()
                .all(u8::is_ascii_digit)
                .then(|| std::str::from_utf8(part).ok()?.parse::<u32>().ok())?
        };
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        Date::from_ymd(i64::from(digits(0..4)?), digits(5..7)?, digits(8..10)?)
    }

    /// Today's date in UTC, from the system clock.
    pub fn today() -> Date {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        Date {
            days: i64::try_from(seconds / 86_400).unwrap_or(0),
        }
    }

    /// The date `days` later (earlier when negative).
    pub fn add_days(self, days: i64) -> Date {
        Date {
            days: self.days.saturating_add(days),
        }
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        self.days
    }

    /// `(year, month, day)`.
    pub fn ymd(self) -> (i64, u32, u32) {
        civil_from_days(self.days)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.ymd();
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// How deprecations are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeprecationPolicy {
    /// The date sunset dates are compared with.
    pub today: Date,
    /// The least notice, in days, between today and the sunset date of a
    /// newly deprecated item.
    pub min_notice_days: u32,
    /// The level of a deprecation without a sunset date or with too short a
    /// notice: [`Level::Warning`] by default, [`Level::Breaking`] to make
    /// CI fail on it.
    pub violation_level: Level,
}

impl Default for DeprecationPolicy {
    /// Today, 90 days of notice, violations as warnings.
    fn default() -> Self {
        Self {
            today: Date::today(),
            min_notice_days: 90,
            violation_level: Level::Warning,
        }
    }
}

/// The `x-sunset` of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sunset {
    /// No `x-sunset`.
    Missing,
    /// An `x-sunset` that is not a date, as written.
    Invalid(String),
    /// The sunset date.
    On(Date),
}

impl Sunset {
    /// The `x-sunset` of the object `node`.
    pub(crate) fn of(node: &Value) -> Sunset {
        Sunset::read(node.get(SUNSET))
    }

    /// Reads an `x-sunset` value.
    pub(crate) fn read(value: Option<&Value>) -> Sunset {
        match value {
            None => Sunset::Missing,
            Some(Value::String(text)) => {
                Date::parse(text).map_or_else(|| Sunset::Invalid(text.clone()), Sunset::On)
            }
            Some(other) => Sunset::Invalid(other.to_string()),
        }
    }
}

/// Deprecation marks of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Marks {
    pub deprecated: bool,
    pub sunset: Sunset,
}

impl Marks {
    /// The `deprecated` flag and `x-sunset` of the object `node`.
    pub(crate) fn of(node: &Value) -> Marks {
        Marks {
            deprecated: node.get("deprecated") == Some(&Value::Bool(true)),
            sunset: Sunset::of(node),
        }
    }
}

/// One outcome of the deprecation rules: the id suffix, e.g. `removed`
/// (the diff prefixes `operation-`, `request-parameter-`, ...), its level,
/// bump and an explanation for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub suffix: &'static str,
    pub level: Level,
    pub bump: Bump,
    pub detail: String,
}

impl Outcome {
    /// What happened to the item, to follow its name in a message.
    pub(crate) fn describe(&self) -> String {
        match self.suffix {
            "deprecated" => "is deprecated".to_owned(),
            "deprecation-reverted" => "is no longer deprecated".to_owned(),
            suffix if suffix.starts_with("removed") => format!("was removed: {}", self.detail),
            _ => format!(
                "is deprecated in breach of the sunset policy: {}",
                self.detail
            ),
        }
    }
}

fn outcome(suffix: &'static str, level: Level, bump: Bump, detail: String) -> Outcome {
    Outcome {
        suffix,
        level,
        bump,
        detail,
    }
}

/// Classifies the removal of an item marked `old`: breaking unless it was
/// deprecated and its sunset date has passed.
pub(crate) fn removal(old: &Marks, policy: &DeprecationPolicy) -> Outcome {
    match (&old.deprecated, &old.sunset) {
        (false, _) => outcome(
            "removed",
            Level::Breaking,
            Bump::Major,
            "it was not deprecated first".into(),
        ),
        (true, Sunset::On(date)) if *date <= policy.today => outcome(
            "removed-after-sunset",
            Level::Info,
            Bump::Minor,
            format!("it was deprecated and its sunset date {date} has passed"),
        ),
        (true, Sunset::On(date)) => outcome(
            "removed-before-sunset",
            Level::Breaking,
            Bump::Major,
            format!("it is deprecated, but its sunset date {date} has not passed"),
        ),
        (true, _) => outcome(
            "removed-before-sunset",
            Level::Breaking,
            Bump::Major,
            "it was deprecated without a sunset date".into(),
        ),
    }
}

/// Classifies a change of deprecation marks from `old` to `new`: the
/// deprecation itself (or its reversal), then any breach of the policy by
/// the new sunset date.
pub(crate) fn transition(old: &Marks, new: &Marks, policy: &DeprecationPolicy) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    match (old.deprecated, new.deprecated) {
        (false, true) => outcomes.push(outcome(
            "deprecated",
            Level::Info,
            Bump::Minor,
            String::new(),
        )),
        (true, false) => outcomes.push(outcome(
            "deprecation-reverted",
            Level::Info,
            Bump::Minor,
            String::new(),
        )),
        _ => {}
    }
    let judged = new.deprecated && (!old.deprecated || old.sunset != new.sunset);
    if judged {
        outcomes.extend(breach(&new.sunset, policy));
    }
    outcomes
}

/// The policy breach of a deprecation with `sunset`, if any.
fn breach(sunset: &Sunset, policy: &DeprecationPolicy) -> Option<Outcome> {
    let level = policy.violation_level;
    let earliest = policy.today.add_days(i64::from(policy.min_notice_days));
    match sunset {
        Sunset::Missing => Some(outcome(
            "deprecated-without-sunset",
            level,
            Bump::Minor,
            format!("it has no {SUNSET} date"),
        )),
        Sunset::Invalid(text) => Some(outcome(
            "deprecated-without-sunset",
            level,
            Bump::Minor,
            format!("its {SUNSET} `{text}` is not a date (YYYY-MM-DD)"),
        )),
        Sunset::On(date) if *date < earliest => Some(outcome(
            "sunset-too-soon",
            level,
            Bump::Minor,
            format!(
                "its sunset date {date} is less than {} days away (earliest {earliest})",
                policy.min_notice_days
            ),
        )),
        Sunset::On(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap_or_else(|| panic!("{text}"))
    }

    fn policy() -> DeprecationPolicy {
        DeprecationPolicy {
            today: date("2026-06-01"),
            min_notice_days: 90,
            violation_level: Level::Warning,
        }
    }

    #[test]
    fn dates_round_trip() {
        for text in [
            "1970-01-01",
            "2000-02-29",
            "2026-06-01",
            "1969-12-31",
            "2400-12-31",
        ] {
            assert_eq!(date(text).to_string(), text);
        }
        assert_eq!(date("1970-01-02").days, 1);
        assert_eq!(date("2026-03-01").add_days(-1).to_string(), "2026-02-28");
        assert_eq!(date("2026-06-01T12:00:00Z"), date("2026-06-01"));
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "2026/01/01",
            "2026-01-01x",
            "",
            "2026-00-10",
            "+026-01-01",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert!(Date::today() > date("2020-01-01"));
    }

    #[test]
    fn removals() {
        let marks = |node| Marks::of(&node);
        let cases = [
            (json!({}), "removed", Level::Breaking),
            (
                json!({"deprecated": true}),
                "removed-before-sunset",
                Level::Breaking,
            ),
            (
                json!({"deprecated": true, "x-sunset": "2026-07-01"}),
                "removed-before-sunset",
                Level::Breaking,
            ),
            (
                json!({"deprecated": true, "x-sunset": "2026-06-01"}),
                "removed-after-sunset",
                Level::Info,
            ),
            (
                json!({"x-sunset": "2020-01-01"}),
                "removed",
                Level::Breaking,
            ),
        ];
        for (node, suffix, level) in cases {
            let found = removal(&marks(node.clone()), &policy());
            assert_eq!((found.suffix, found.level), (suffix, level), "{node}");
        }
    }

    #[test]
    fn transitions() {
        let suffixes = |old: Value, new: Value| -> Vec<&'static str> {
            transition(&Marks::of(&old), &Marks::of(&new), &policy())
                .into_iter()
                .map(|o| o.suffix)
                .collect()
        };
        let soon = json!({"deprecated": true, "x-sunset": "2026-08-01"});
        let later = json!({"deprecated": true, "x-sunset": "2026-08-30"});
        assert_eq!(suffixes(json!({}), later.clone()), ["deprecated"]);
        assert_eq!(
            suffixes(json!({}), soon.clone()),
            ["deprecated", "sunset-too-soon"]
        );
        assert_eq!(
            suffixes(json!({}), json!({"deprecated": true})),
            ["deprecated", "deprecated-without-sunset"]
        );
        assert_eq!(
            suffixes(json!({}), json!({"deprecated": true, "x-sunset": "soon"})),
            ["deprecated", "deprecated-without-sunset"]
        );
        assert_eq!(suffixes(later.clone(), json!({})), ["deprecation-reverted"]);
        assert_eq!(suffixes(later.clone(), soon), ["sunset-too-soon"]);
        assert!(suffixes(later.clone(), later).is_empty());
    }
}
