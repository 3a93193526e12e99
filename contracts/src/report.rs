//! A diff of two contract files, ready to render: both files, the changes,
//! the semver verdict when asked for, and the line of every pointer.
//!
//! [`DiffReport::from_bytes`] loads both files strictly (any load problem
//! makes the input unusable and is returned with its file, pointer and
//! line), diffs them ([`crate::diff`]) and, with `check_version`, applies
//! the semver gate ([`crate::semver::check_version`]).

use crate::change::{Change, Level};
use crate::diff::{DiffOptions, diff};
use crate::error::LoadError;
use crate::lines::LineIndex;
use crate::load;
use crate::semver::{self, Bump, Verdict};

/// One of the two compared files.
#[derive(Debug, Clone)]
pub struct ContractFile {
    /// The file path or label.
    pub origin: String,
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    lines: LineIndex,
}

impl ContractFile {
    /// The 1-based line of `pointer` in the file (or of its nearest ancestor).
    pub fn line(&self, pointer: &str) -> Option<usize> {
        self.lines.line(pointer)
    }
}

/// The changes between two contract files.
#[derive(Debug, Clone)]
pub struct DiffReport {
    /// The old version.
    pub old: ContractFile,
    /// The new version.
    pub new: ContractFile,
    /// Every change, in [`diff`] order.
    pub changes: Vec<Change>,
    /// The semver gate's verdict, when it was applied.
    pub verdict: Option<Verdict>,
}

impl DiffReport {
    /// Loads the old and new contracts from their bytes and diffs them;
    /// the problems of both files when either does not load.
    pub fn from_bytes(
        old: (&str, &[u8]),
        new: (&str, &[u8]),
        options: &DiffOptions,
        check_version: bool,
    ) -> Result<DiffReport, LoadError> {
        let loaded = (
            load::analyze(old.0, old.1).into_located(),
            load::analyze(new.0, new.1).into_located(),
        );
        let ((old_contract, old_lines), (new_contract, new_lines)) = match loaded {
            (Ok(old), Ok(new)) => (old, new),
            (old, new) => {
                let problems = [old.err(), new.err()]
                    .into_iter()
                    .flatten()
                    .flat_map(|error| error.problems)
                    .collect();
                return Err(LoadError { problems });
            }
        };
        let changes = diff(&old_contract, &new_contract, options);
        let verdict = check_version
            .then(|| semver::check_version(&old_contract.version, &new_contract.version, &changes));
        let file = |contract: crate::Contract, lines| ContractFile {
            origin: contract.origin,
            title: contract.title,
            version: contract.version,
            lines,
        };
        Ok(DiffReport {
            old: file(old_contract, old_lines),
            new: file(new_contract, new_lines),
            changes,
            verdict,
        })
    }

    /// The smallest version bump the changes allow.
    pub fn required_bump(&self) -> Bump {
        semver::required_bump(&self.changes)
    }

    /// The number of changes of `level`.
    pub fn count(&self, level: Level) -> usize {
        self.changes.iter().filter(|c| c.level == level).count()
    }

    /// Whether CI should fail: a change at or above `threshold` (`None`:
    /// never), or a refused version when the gate was applied.
    pub fn fails(&self, threshold: Option<Level>) -> bool {
        let refused = self.verdict.as_ref().is_some_and(|v| !v.is_accepted());
        let above =
            threshold.is_some_and(|threshold| self.changes.iter().any(|c| c.level >= threshold));
        refused || above
    }

    /// Where to point at `change`: the new file at its new pointer, else the
    /// old file at its old pointer; the file and line.
    pub fn location(&self, change: &Change) -> (&str, Option<usize>) {
        match (&change.new_pointer, &change.old_pointer) {
            (Some(pointer), _) => (&self.new.origin, self.new.line(pointer)),
            (None, Some(pointer)) => (&self.old.origin, self.old.line(pointer)),
            (None, None) => (&self.new.origin, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ProblemKind;

    const OLD: &str = "openapi: 3.0.3\ninfo:\n  title: Orders\n  version: 1.0.0\nx-canongate: {domain: order, owner-team: commerce, system-of-record: erp}\npaths:\n  /orders:\n    get:\n      operationId: listOrders\n      parameters:\n        - {name: status, in: query, schema: {type: string}}\n      responses:\n        '200': {description: ok}\n";

    #[test]
    fn locates_changes_and_applies_the_gate() {
        let new = OLD
            .replace("version: 1.0.0", "version: 1.1.0")
            .replace("in: query,", "in: query, required: true,");
        let report = DiffReport::from_bytes(
            ("old.yaml", OLD.as_bytes()),
            ("new.yaml", new.as_bytes()),
            &DiffOptions::default(),
            true,
        )
        .expect("loads");
        assert_eq!(report.changes.len(), 1);
        assert_eq!(report.changes[0].id, "request-parameter-became-required");
        assert_eq!(report.location(&report.changes[0]), ("new.yaml", Some(11)));
        assert_eq!(report.required_bump(), Bump::Major);
        let verdict = report.verdict.as_ref().expect("checked");
        assert!(!verdict.is_accepted());
        assert!(
            report.fails(None),
            "a refused version fails even with --fail-on never"
        );
        assert_eq!(report.count(Level::Breaking), 1);
    }

    #[test]
    fn reports_the_problems_of_both_files() {
        let error = DiffReport::from_bytes(
            ("old.yaml", b"openapi: 3.1.0\n"),
            ("new.yaml", b"a: ["),
            &DiffOptions::default(),
            false,
        )
        .expect_err("unusable");
        let origins: Vec<&str> = error.problems.iter().map(|p| p.origin.as_str()).collect();
        assert_eq!(origins, ["old.yaml", "new.yaml"]);
        assert!(matches!(error.problems[1].kind, ProblemKind::Syntax { .. }));
    }
}
