//! Semantic version check for `info.version` (semver.org 2.0.0 grammar).

/// The major version of `version` if it is a semantic version
/// (`MAJOR.MINOR.PATCH`, optional `-pre.release` and `+build` parts).
pub(crate) fn major(version: &str) -> Option<u64> {
    let (version, build) = match version.split_once('+') {
        Some((version, build)) => (version, Some(build)),
        None => (version, None),
    };
    let (core, pre) = match version.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (version, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    let [major, minor, patch] = numbers.as_slice() else {
        return None;
    };
    let valid = [minor, patch].iter().all(|n| is_number(n))
        && pre.is_none_or(|pre| identifiers(pre, true))
        && build.is_none_or(|build| identifiers(build, false));
    if !valid || !is_number(major) {
        return None;
    }
    major.parse().ok()
}

/// A numeric identifier: digits without a leading zero.
fn is_number(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
}

/// Dot-separated non-empty `[0-9A-Za-z-]` identifiers; numeric pre-release
/// identifiers must not have leading zeros.
fn identifiers(text: &str, pre_release: bool) -> bool {
    text.split('.').all(|id| {
        let chars_ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let numeric = id.bytes().all(|b| b.is_ascii_digit());
        chars_ok && !(pre_release && numeric && !is_number(id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_semantic_versions() {
        assert_eq!(major("1.0.0"), Some(1));
        assert_eq!(major("0.9.12"), Some(0));
        assert_eq!(major("12.3.4-beta.1+build.7"), Some(12));
        assert_eq!(major("2.0.0-rc-1"), Some(2));
    }

    #[test]
    fn rejects_everything_else() {
        for version in [
            "1", "1.0", "v1.0.0", "01.0.0", "1.0.0-", "1.0.0-01", "1.0.0+", "1..0", "1.0.0.0", "",
            "1.0.x",
        ] {
            assert_eq!(major(version), None, "{version}");
        }
    }
}
