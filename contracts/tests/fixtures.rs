//! Runs every fixture pair of `tests/fixtures/` through the diff and checks
//! the changes and the required bump against `tests/fixtures/manifest.yaml`,
//! reporting every mismatch at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use canongate_contracts::change::Level;
use canongate_contracts::deprecation::{Date, DeprecationPolicy};
use canongate_contracts::diff::{DiffOptions, diff};
use canongate_contracts::semver::{Bump, required_bump};
use canongate_contracts::{Contract, load_file};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Manifest {
    today: String,
    min_sunset_notice_days: u32,
    cases: BTreeMap<String, Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    bump: String,
    changes: Vec<Expected>,
}

#[derive(Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
struct Expected {
    id: String,
    level: String,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn manifest() -> Manifest {
    let text = std::fs::read_to_string(fixtures().join("manifest.yaml")).expect("manifest");
    serde_norway::from_str(&text).expect("the manifest is valid")
}

fn load(path: &Path) -> Result<Contract, String> {
    load_file(path).map_err(|error| error.to_string())
}

fn level_name(level: Level) -> &'static str {
    level.as_str()
}

fn bump_name(bump: Bump) -> &'static str {
    bump.as_str()
}

#[test]
fn every_fixture_matches_the_manifest() {
    let manifest = manifest();
    let options = DiffOptions {
        deprecation: DeprecationPolicy {
            today: Date::parse(&manifest.today).expect("today is a date"),
            min_notice_days: manifest.min_sunset_notice_days,
            violation_level: Level::Warning,
        },
    };
    let mut folders: Vec<String> = std::fs::read_dir(fixtures())
        .expect("fixtures")
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let listed: Vec<&String> = manifest.cases.keys().collect();
    assert_eq!(
        folders.iter().collect::<Vec<_>>(),
        listed,
        "every fixture folder is in the manifest and the other way round"
    );
    assert!(
        manifest.cases.len() >= 150,
        "{} cases",
        manifest.cases.len()
    );

    let mut mismatches = Vec::new();
    for (name, case) in &manifest.cases {
        let folder = fixtures().join(name);
        let (old, new) = match (
            load(&folder.join("base.yaml")),
            load(&folder.join("revision.yaml")),
        ) {
            (Ok(old), Ok(new)) => (old, new),
            (old, new) => {
                mismatches.push(format!(
                    "{name}: does not load: {:?} {:?}",
                    old.err(),
                    new.err()
                ));
                continue;
            }
        };
        let changes = diff(&old, &new, &options);
        let mut found: Vec<Expected> = changes
            .iter()
            .map(|change| Expected {
                id: change.id.clone(),
                level: level_name(change.level).to_owned(),
            })
            .collect();
        let mut expected = case.changes.clone();
        found.sort();
        expected.sort();
        if found != expected {
            let show = |list: &[Expected]| {
                list.iter()
                    .map(|e| format!("{} ({})", e.id, e.level))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let messages: Vec<String> = changes
                .iter()
                .map(|change| format!("    {}: {}", change.id, change.message))
                .collect();
            mismatches.push(format!(
                "{name}:\n  expected [{}]\n  found    [{}]\n{}",
                show(&expected),
                show(&found),
                messages.join("\n")
            ));
        }
        let bump = bump_name(required_bump(&changes));
        if bump != case.bump {
            mismatches.push(format!("{name}: bump expected {} found {bump}", case.bump));
        }
        let reverse = diff(&new, &old, &options);
        let itself = diff(&new, &new, &options);
        if !itself.is_empty() {
            mismatches.push(format!(
                "{name}: the revision differs from itself: {itself:?}"
            ));
        }
        if case.changes.is_empty() && !reverse.is_empty() {
            mismatches.push(format!(
                "{name}: no change one way but {} the other way",
                reverse.len()
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
