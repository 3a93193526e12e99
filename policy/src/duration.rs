//! Human-readable durations in the gateway document (`250ms`, `2s`, `5m`, `1h`).
//!
//! Serde helpers used with `#[serde(with = "crate::duration")]`; values round-trip to the same text.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer, de};

/// Parses `<integer><unit>` where unit is `ms`, `s`, `m` or `h`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{text}` has no unit: write e.g. `500ms`, `2s`, `1m`"))?;
    let (number, unit) = text.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a whole number"))?;
    let millis = match unit {
        "ms" => Some(value),
        "s" => value.checked_mul(1_000),
        "m" => value.checked_mul(60_000),
        "h" => value.checked_mul(3_600_000),
        _ => {
            return Err(format!(
                "`{text}` has unknown unit `{unit}`: use ms, s, m or h"
            ));
        }
    }
    .ok_or_else(|| format!("`{text}` is too large"))?;
    Ok(Duration::from_millis(millis))
}

/// Formats a duration in the largest unit that represents it exactly.
pub fn format(duration: Duration) -> String {
    let millis = duration.as_millis();
    match millis {
        m if m % 3_600_000 == 0 && m > 0 => format!("{}h", m / 3_600_000),
        m if m % 60_000 == 0 && m > 0 => format!("{}m", m / 60_000),
        m if m % 1_000 == 0 => format!("{}s", m / 1_000),
        m => format!("{m}ms"),
    }
}

/// Serde `deserialize_with` for a [`Duration`] written as text.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse(&text).map_err(de::Error::custom)
}

/// Serde `serialize_with` for a [`Duration`] written as text.
pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(*duration))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
    }

    #[test]
    fn refuses_missing_or_unknown_units_and_overflow() {
        assert!(parse("10").unwrap_err().contains("no unit"));
        assert!(parse("10d").unwrap_err().contains("unknown unit `d`"));
        assert!(parse("s").unwrap_err().contains("whole number"));
        assert!(parse("99999999999999999999h").is_err());
    }

    #[test]
    fn formats_in_the_largest_exact_unit() {
        for text in ["250ms", "2s", "5m", "1h", "0s", "1500ms"] {
            assert_eq!(format(parse(text).unwrap()), text);
        }
    }
}
