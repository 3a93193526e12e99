//! A version's `deprecation:` metadata, checked and turned into the response fields that announce
//! it: `Deprecation` (RFC 9745), `Sunset` (RFC 8594) and a `Link` to the successor version.
//!
//! The field values are built here, once per compilation, so the data plane only copies them.
//! Dates are civil UTC dates; both fields name the midnight (UTC) that starts the day.

use canongate_contracts::deprecation::Date;
use canongate_contracts::semver::Version;
use http::HeaderValue;

use crate::config::{DeprecationConfig, Lifecycle};

/// Seconds in a UTC day (Unix time has no leap seconds).
const SECONDS_PER_DAY: i64 = 86_400;
/// Day names from the weekday of 1970-01-01, a Thursday.
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The response fields that announce a deprecated version, each absent when the document does
/// not give what it is built from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeprecationFields {
    /// `Deprecation: @<Unix seconds of deprecated_on>` (RFC 9745).
    pub deprecation: Option<HeaderValue>,
    /// `Sunset: <IMF-fixdate of sunset>` (RFC 8594).
    pub sunset: Option<HeaderValue>,
    /// `Link: <{base_path}/v{major}>; rel="successor-version"`.
    pub successor_link: Option<HeaderValue>,
}

/// The version being announced, as far as compilation knows it.
pub(super) struct Announced<'a> {
    /// The version's lifecycle.
    pub lifecycle: Lifecycle,
    /// The version's major, when its contract loaded.
    pub major: Option<u64>,
    /// The majors of all the API's versions, when every contract of the API loaded.
    pub api_majors: Option<&'a [u64]>,
    /// The API's path prefix.
    pub base_path: &'a str,
}

/// Checks `config` (at `at`, the `deprecation` field's place) and builds its fields.
pub(super) fn compile(
    config: &DeprecationConfig,
    version: &Announced<'_>,
    at: &str,
    report: &mut impl FnMut(String, String),
) -> DeprecationFields {
    if !matches!(
        version.lifecycle,
        Lifecycle::Deprecated | Lifecycle::Retired
    ) {
        report(
            at.to_owned(),
            format!(
                "only a deprecated or retired version can carry `deprecation`; this one is {}",
                version.lifecycle.as_str()
            ),
        );
    }
    let mut date = |field: &str, text: &Option<String>| {
        let text = text.as_deref()?;
        let date = parse_date(text);
        if date.is_none() {
            report(
                format!("{at}.{field}"),
                format!("`{text}` is not a date (YYYY-MM-DD)"),
            );
        }
        date
    };
    let deprecated_on = date("deprecated_on", &config.deprecated_on);
    let sunset = date("sunset", &config.sunset);
    if let (Some(deprecated_on), Some(sunset)) = (deprecated_on, sunset)
        && sunset < deprecated_on
    {
        report(
            format!("{at}.sunset"),
            format!("the sunset {sunset} is before the deprecation date {deprecated_on}"),
        );
    }
    let successor = config
        .successor
        .as_deref()
        .and_then(|successor| successor_major(successor, version, at, report));
    DeprecationFields {
        deprecation: deprecated_on
            .and_then(|day| field(format!("@{}", day.days_since_epoch() * SECONDS_PER_DAY))),
        sunset: sunset.and_then(|day| field(imf_fixdate(day))),
        successor_link: successor.and_then(|major| {
            field(format!(
                "<{}/v{major}>; rel=\"successor-version\"",
                version.base_path
            ))
        }),
    }
}

/// The major a `successor` names, when it is one of the API's other versions.
fn successor_major(
    successor: &str,
    version: &Announced<'_>,
    at: &str,
    report: &mut impl FnMut(String, String),
) -> Option<u64> {
    let at = format!("{at}.successor");
    let major = successor
        .strip_prefix('v')
        .filter(|major| !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|major| major.parse().ok())
        .or_else(|| Version::parse(successor).map(|parsed| parsed.major));
    let Some(major) = major else {
        report(
            at,
            format!("`{successor}` is neither a version such as `2.0.0` nor a major such as `v2`"),
        );
        return None;
    };
    if version.major == Some(major) {
        report(at, format!("v{major} is this version itself"));
        return None;
    }
    match version.api_majors {
        Some(majors) if !majors.contains(&major) => {
            let known: Vec<String> = majors.iter().map(|major| format!("v{major}")).collect();
            report(
                at,
                format!(
                    "the API has no v{major} (its versions: {})",
                    known.join(", ")
                ),
            );
            None
        }
        _ => Some(major),
    }
}

/// A `YYYY-MM-DD` date (a date-time is refused).
fn parse_date(text: &str) -> Option<Date> {
    if text.len() == 10 {
        Date::parse(text)
    } else {
        None
    }
}

/// Midnight UTC of `day` as an IMF-fixdate (RFC 9110), e.g. `Sun, 06 Nov 1994 00:00:00 GMT`.
fn imf_fixdate(day: Date) -> String {
    let (year, month, day_of_month) = day.ymd();
    let weekday = WEEKDAYS[day.days_since_epoch().rem_euclid(7) as usize];
    let month = MONTHS[month as usize - 1];
    format!("{weekday}, {day_of_month:02} {month} {year:04} 00:00:00 GMT")
}

/// A field value built from checked ASCII parts (dates, digits and a validated path prefix).
fn field(text: String) -> Option<HeaderValue> {
    HeaderValue::try_from(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile_announced(
        config: &DeprecationConfig,
        lifecycle: Lifecycle,
    ) -> (DeprecationFields, Vec<(String, String)>) {
        let mut problems = Vec::new();
        let version = Announced {
            lifecycle,
            major: Some(1),
            api_majors: Some(&[1, 2]),
            base_path: "/inventory",
        };
        let fields = compile(
            config,
            &version,
            "apis.inventory.versions[0].deprecation",
            &mut |at, message| {
                problems.push((at, message));
            },
        );
        (fields, problems)
    }

    fn announce(deprecated_on: &str, sunset: &str, successor: &str) -> DeprecationConfig {
        DeprecationConfig {
            deprecated_on: Some(deprecated_on.to_owned()),
            sunset: Some(sunset.to_owned()),
            successor: Some(successor.to_owned()),
        }
    }

    #[test]
    fn builds_the_three_fields() {
        let (fields, problems) = compile_announced(
            &announce("1994-11-05", "1994-11-06", "2.0.0"),
            Lifecycle::Deprecated,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(fields.deprecation.unwrap(), "@783993600");
        assert_eq!(fields.sunset.unwrap(), "Sun, 06 Nov 1994 00:00:00 GMT");
        assert_eq!(
            fields.successor_link.unwrap(),
            "</inventory/v2>; rel=\"successor-version\""
        );
        let (fields, _) = compile_announced(
            &DeprecationConfig {
                successor: Some("v2".into()),
                ..DeprecationConfig::default()
            },
            Lifecycle::Retired,
        );
        assert_eq!(fields.deprecation, None);
        assert_eq!(fields.sunset, None);
        assert!(fields.successor_link.is_some());
    }

    #[test]
    fn formats_dates_across_leap_years_and_the_epoch() {
        for (date, expected) in [
            ("1970-01-01", "Thu, 01 Jan 1970 00:00:00 GMT"),
            ("2024-02-29", "Thu, 29 Feb 2024 00:00:00 GMT"),
            ("2027-12-31", "Fri, 31 Dec 2027 00:00:00 GMT"),
            ("1969-12-31", "Wed, 31 Dec 1969 00:00:00 GMT"),
        ] {
            assert_eq!(imf_fixdate(parse_date(date).unwrap()), expected);
        }
    }

    #[test]
    fn reports_each_problem_at_its_field() {
        let (_, problems) = compile_announced(
            &announce("2026-02-30", "2026-13-01", "3.0.0"),
            Lifecycle::Published,
        );
        let at = "apis.inventory.versions[0].deprecation";
        let expected = [
            (at.to_owned(), "this one is published"),
            (format!("{at}.deprecated_on"), "`2026-02-30` is not a date"),
            (format!("{at}.sunset"), "`2026-13-01` is not a date"),
            (
                format!("{at}.successor"),
                "has no v3 (its versions: v1, v2)",
            ),
        ];
        assert_eq!(problems.len(), expected.len(), "{problems:?}");
        for ((location, message), (want_at, fragment)) in problems.iter().zip(&expected) {
            assert_eq!(location, want_at);
            assert!(message.contains(fragment), "{message}");
        }
        for (config, fragment) in [
            (announce("2026-06-01", "2026-05-31", "v2"), "is before"),
            (
                announce("2026-06-01", "2026-06-01T00:00:00Z", "v2"),
                "not a date",
            ),
            (
                announce("2026-06-01", "2026-07-01", "v1"),
                "this version itself",
            ),
            (
                announce("2026-06-01", "2026-07-01", "two"),
                "neither a version",
            ),
        ] {
            let (_, problems) = compile_announced(&config, Lifecycle::Deprecated);
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].1.contains(fragment), "{problems:?}");
        }
    }
}
