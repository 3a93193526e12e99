//! The semver gate: which version bump a set of changes needs, and whether
//! the new document's `info.version` makes it.
//!
//! Versions follow semver.org 2.0.0 (`MAJOR.MINOR.PATCH`, optional
//! `-pre.release` and `+build`). Each [`Change`] carries the bump its kind
//! calls for: breaking changes a major, additions and deprecations a minor,
//! the rest a patch; [`required_bump`] takes the largest. [`check_version`]
//! compares the two versions by semver precedence: the new one must be
//! greater, and greater by at least the required bump. Changes from a
//! pre-release (`2.0.0-rc.1`) are not held to compatibility, as semver.org
//! allows: any greater version passes.

use std::cmp::Ordering;
use std::fmt;

use serde::Serialize;

use crate::change::Change;

/// A semantic version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// `MAJOR`.
    pub major: u64,
    /// `MINOR`.
    pub minor: u64,
    /// `PATCH`.
    pub patch: u64,
    /// The dot-separated pre-release identifiers (empty for a release).
    pub pre: Vec<String>,
}

impl Version {
    /// Parses `text`; `None` when it is not a semantic version. Build
    /// metadata is accepted and ignored, as precedence ignores it.
    pub fn parse(text: &str) -> Option<Version> {
        let (version, build) = match text.split_once('+') {
            Some((version, build)) => (version, Some(build)),
            None => (text, None),
        };
        let (core, pre) = match version.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (version, None),
        };
        let numbers: Vec<&str> = core.split('.').collect();
        let [major, minor, patch] = numbers.as_slice() else {
            return None;
        };
        let valid = [major, minor, patch].iter().all(|n| is_number(n))
            && pre.is_none_or(|pre| identifiers(pre, true))
            && build.is_none_or(|build| identifiers(build, false));
        if !valid {
            return None;
        }
        Some(Version {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
            patch: patch.parse().ok()?,
            pre: pre
                .map(|pre| pre.split('.').map(str::to_owned).collect())
                .unwrap_or_default(),
        })
    }

    /// Whether this is a pre-release (`1.0.0-rc.1`).
    pub fn is_pre_release(&self) -> bool {
        !self.pre.is_empty()
    }

    /// Semver precedence (build metadata ignored).
    pub fn precedence(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_pre(&self.pre, &other.pre),
            })
    }

    /// The bump from `self` to the greater `next`; `None` when `next` is not greater.
    pub fn bump_to(&self, next: &Version) -> Option<Bump> {
        if next.precedence(self) != Ordering::Greater {
            return None;
        }
        Some(if next.major != self.major {
            Bump::Major
        } else if next.minor != self.minor {
            Bump::Minor
        } else {
            Bump::Patch
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if self.is_pre_release() {
            write!(f, "-{}", self.pre.join("."))?;
        }
        Ok(())
    }
}

/// Pre-release precedence: identifiers compared left to right, numeric ones
/// numerically and below alphanumeric ones; a shorter prefix is lower.
fn compare_pre(left: &[String], right: &[String]) -> Ordering {
    for (a, b) in left.iter().zip(right) {
        let order = match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(a), Ok(b)) => a.cmp(&b),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => a.cmp(b),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    left.len().cmp(&right.len())
}

/// The major version of `version` if it is a semantic version.
pub(crate) fn major(version: &str) -> Option<u64> {
    Version::parse(version).map(|version| version.major)
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

/// A version increment, smallest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    /// `PATCH`: fixes and clarifications; nothing a consumer can rely on changed.
    Patch,
    /// `MINOR`: backward-compatible additions and deprecations.
    Minor,
    /// `MAJOR`: changes that break existing consumers.
    Major,
}

impl Bump {
    /// The lowercase name, e.g. `"major"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

impl fmt::Display for Bump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The smallest bump that `changes` allow: the largest bump any of them
/// needs, and at least a patch (a new version must differ from the old one).
pub fn required_bump(changes: &[Change]) -> Bump {
    changes
        .iter()
        .map(|change| change.bump)
        .max()
        .unwrap_or(Bump::Patch)
}

/// Why [`check_version`] refuses a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Refusal {
    /// One of the versions is not a semantic version.
    InvalidVersion {
        /// The version as written.
        version: String,
    },
    /// The new version is not greater than the old one.
    NotIncreased,
    /// The new version is greater, but by less than the changes need.
    BumpTooSmall,
}

/// The semver gate's answer for one pair of versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// `info.version` of the old document.
    pub old_version: String,
    /// `info.version` of the new document.
    pub new_version: String,
    /// The smallest bump the changes allow.
    pub required_bump: Bump,
    /// The bump from the old version to the new one; `None` when the new
    /// version is not greater (or either is not a semantic version).
    pub actual_bump: Option<Bump>,
    /// Why the new version is refused; `None` when it is accepted.
    pub refusal: Option<Refusal>,
}

impl Verdict {
    /// Whether the new version may be published.
    pub fn is_accepted(&self) -> bool {
        self.refusal.is_none()
    }

    /// The smallest acceptable new version (for messages), when the old one
    /// is a semantic version.
    pub fn suggestion(&self) -> Option<String> {
        let old = Version::parse(&self.old_version)?;
        let next = match self.required_bump {
            Bump::Major => format!("{}.0.0", old.major.saturating_add(1)),
            Bump::Minor => format!("{}.{}.0", old.major, old.minor.saturating_add(1)),
            Bump::Patch if old.is_pre_release() => {
                format!("{}.{}.{}", old.major, old.minor, old.patch)
            }
            Bump::Patch => format!(
                "{}.{}.{}",
                old.major,
                old.minor,
                old.patch.saturating_add(1)
            ),
        };
        Some(next)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (old, new, required) = (&self.old_version, &self.new_version, self.required_bump);
        let hint = self
            .suggestion()
            .map(|next| format!("; the smallest acceptable version is {next}"))
            .unwrap_or_default();
        match (&self.refusal, self.actual_bump) {
            (None, Some(actual)) => write!(
                f,
                "accepted: {old} -> {new} is a {actual} bump; the changes need at least a {required} bump"
            ),
            (None, None) => write!(f, "accepted: {old} -> {new}"),
            (Some(Refusal::InvalidVersion { version }), _) => write!(
                f,
                "refused: `{version}` is not a semantic version (MAJOR.MINOR.PATCH)"
            ),
            (Some(Refusal::NotIncreased), _) => write!(
                f,
                "refused: {new} is not greater than {old}; the changes need a {required} bump{hint}"
            ),
            (Some(Refusal::BumpTooSmall), actual) => write!(
                f,
                "refused: {old} -> {new} is a {} bump, but the changes need a {required} bump{hint}",
                actual.map_or("smaller", Bump::as_str)
            ),
        }
    }
}

/// The semver gate: whether `new_version` may follow `old_version` given
/// the `changes` between the two documents.
///
/// The new version must be greater by semver precedence, and its bump at
/// least [`required_bump`]; a pre-release old version accepts any greater
/// new version.
pub fn check_version(old_version: &str, new_version: &str, changes: &[Change]) -> Verdict {
    let required_bump = required_bump(changes);
    let verdict = |actual_bump, refusal| Verdict {
        old_version: old_version.to_owned(),
        new_version: new_version.to_owned(),
        required_bump,
        actual_bump,
        refusal,
    };
    let (old, new) = match (Version::parse(old_version), Version::parse(new_version)) {
        (Some(old), Some(new)) => (old, new),
        (None, _) => {
            let version = old_version.to_owned();
            return verdict(None, Some(Refusal::InvalidVersion { version }));
        }
        (_, None) => {
            let version = new_version.to_owned();
            return verdict(None, Some(Refusal::InvalidVersion { version }));
        }
    };
    let Some(actual) = old.bump_to(&new) else {
        return verdict(None, Some(Refusal::NotIncreased));
    };
    let enough = actual >= required_bump || old.is_pre_release();
    verdict(Some(actual), (!enough).then_some(Refusal::BumpTooSmall))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::{Change, Level, OperationRef};
    use crate::model::Method;

    fn change(bump: Bump) -> Change {
        Change {
            id: "x".into(),
            level: Level::Info,
            bump,
            operation: OperationRef {
                method: Method::Get,
                path: "/a".into(),
                operation_id: "a".into(),
            },
            old_pointer: None,
            new_pointer: None,
            message: String::new(),
        }
    }

    #[test]
    fn parses_semantic_versions() {
        assert_eq!(major("1.0.0"), Some(1));
        assert_eq!(major("0.9.12"), Some(0));
        assert_eq!(major("12.3.4-beta.1+build.7"), Some(12));
        assert_eq!(major("2.0.0-rc-1"), Some(2));
        let version = Version::parse("1.2.3-rc.1+b").expect("valid");
        assert_eq!(version.to_string(), "1.2.3-rc.1");
    }

    #[test]
    fn rejects_everything_else() {
        for version in [
            "1",
            "1.0",
            "v1.0.0",
            "01.0.0",
            "1.0.0-",
            "1.0.0-01",
            "1.0.0+",
            "1..0",
            "1.0.0.0",
            "",
            "1.0.x",
            "1.01.0",
            "99999999999999999999999.0.0",
        ] {
            assert_eq!(Version::parse(version), None, "{version}");
        }
    }

    #[test]
    fn orders_by_precedence() {
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
        ];
        for pair in ordered.windows(2) {
            let (a, b) = (
                Version::parse(pair[0]).expect("a"),
                Version::parse(pair[1]).expect("b"),
            );
            assert_eq!(
                a.precedence(&b),
                Ordering::Less,
                "{} < {}",
                pair[0],
                pair[1]
            );
        }
        let (a, b) = (
            Version::parse("1.0.0+a").expect("a"),
            Version::parse("1.0.0+b").expect("b"),
        );
        assert_eq!(a.precedence(&b), Ordering::Equal);
    }

    #[test]
    fn the_required_bump_is_the_largest() {
        assert_eq!(required_bump(&[]), Bump::Patch);
        assert_eq!(
            required_bump(&[change(Bump::Minor), change(Bump::Patch)]),
            Bump::Minor
        );
        assert_eq!(
            required_bump(&[change(Bump::Minor), change(Bump::Major)]),
            Bump::Major
        );
    }

    #[test]
    fn checks_the_new_version() {
        let breaking = [change(Bump::Major)];
        let additive = [change(Bump::Minor)];
        let accepted = check_version("1.4.2", "2.0.0", &breaking);
        assert!(accepted.is_accepted(), "{accepted}");
        assert_eq!(accepted.actual_bump, Some(Bump::Major));

        let refused = check_version("1.4.2", "1.5.0", &breaking);
        assert_eq!(refused.refusal, Some(Refusal::BumpTooSmall));
        assert_eq!(
            refused.to_string(),
            "refused: 1.4.2 -> 1.5.0 is a minor bump, but the changes need a major bump; the smallest acceptable version is 2.0.0"
        );
        assert!(check_version("1.4.2", "1.5.0", &additive).is_accepted());
        assert_eq!(
            check_version("1.4.2", "1.4.3", &additive).refusal,
            Some(Refusal::BumpTooSmall)
        );
        assert!(check_version("1.4.2", "1.4.3", &[]).is_accepted());
        assert_eq!(
            check_version("1.4.2", "1.4.2", &[]).refusal,
            Some(Refusal::NotIncreased)
        );
        assert_eq!(
            check_version("1.4.2", "1.4.1", &[]).refusal,
            Some(Refusal::NotIncreased)
        );
        assert_eq!(
            check_version("1.4.2", "1.4.2+build.9", &[]).refusal,
            Some(Refusal::NotIncreased)
        );
        assert_eq!(
            check_version("1.4.2", "2.0", &[]).refusal,
            Some(Refusal::InvalidVersion {
                version: "2.0".into()
            })
        );
    }

    #[test]
    fn pre_releases_are_not_held_to_compatibility() {
        let breaking = [change(Bump::Major)];
        assert!(check_version("2.0.0-rc.1", "2.0.0-rc.2", &breaking).is_accepted());
        assert!(check_version("2.0.0-rc.2", "2.0.0", &breaking).is_accepted());
        assert_eq!(
            check_version("2.0.0", "2.0.1-rc.1", &breaking).refusal,
            Some(Refusal::BumpTooSmall)
        );
        assert!(check_version("1.9.0", "2.0.0-rc.1", &breaking).is_accepted());
    }
}
