//! The rules a contract version goes through: drafting, publishing, deprecation, retirement.
//!
//! * A draft must load (OpenAPI 3.0, local `$ref`s, every problem reported with its pointer and
//!   line) and carry a semantic `info.version`; it is stored with its lint counts.
//! * Publishing lints it (no error-level finding), checks that its `x-canongate` block agrees
//!   with the registry (the API's domain and owner team, the domain's system of record), diffs it
//!   against the latest published release of its major (its latest pre-release while it has no
//!   release; the latest version of all, for a new major) and
//!   applies the semver gate: a refusal carries the change list. Older majors thus take
//!   maintenance releases while a newer major is out; a retired major takes none, and a release
//!   into a deprecated major keeps its deprecation.
//! * Deprecation needs a successor that is published and of a later major (gateways serve one
//!   version per major), and a sunset date at least the configured notice after the deprecation
//!   date.
//! * Retiring before the sunset date needs an explicit override with a reason (architects only);
//!   the override is its own audit action.

use canongate_contracts::deprecation::{Date, DeprecationPolicy};
use canongate_contracts::diff::DiffOptions;
use canongate_contracts::lint::{self, Severity};
use canongate_contracts::render::{self, Format};
use canongate_contracts::report::DiffReport;
use canongate_contracts::semver::{Bump, Version};
use canongate_contracts::{Contract, LoadError};
use canongate_policy::config::Lifecycle;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::kinds::{ApiSpec, DomainSpec};
use crate::problem::{ApiError, FieldError, Kind};
use crate::store::versions::VersionRow;
use crate::store::{now_rfc3339, resources};

/// The lifecycle settings of the control plane.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Least notice, in days, between deprecation and sunset.
    pub min_notice_days: u32,
}

/// Where a version is served from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backend {
    /// The system serving it.
    pub system: String,
    /// Path on the system replacing `/{api}/v{major}`.
    #[serde(default)]
    pub path_prefix: String,
}

/// A submitted contract.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// OpenAPI 3.0 text, YAML or JSON.
    pub contract: String,
    /// Where it is served; default: the backend of the highest version of the same major, else
    /// of the highest version.
    #[serde(default)]
    pub backend: Option<Backend>,
    /// Publish it at once (creation only).
    #[serde(default)]
    pub publish: bool,
}

/// A deprecation request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deprecation {
    /// Day the version stops being served (`YYYY-MM-DD`).
    pub sunset: String,
    /// The version replacing it.
    pub successor: String,
    /// Day of the deprecation; default today.
    #[serde(default)]
    pub deprecated_on: Option<String>,
}

/// A retirement request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retirement {
    /// Retire before the sunset date (architects only).
    #[serde(default, rename = "override")]
    pub early: bool,
    /// Why (required with `override`).
    #[serde(default)]
    pub reason: Option<String>,
}

/// What publishing accepted.
#[derive(Debug)]
pub struct Published {
    /// The published version.
    pub row: VersionRow,
    /// The version it was compared with.
    pub previous: Option<String>,
    /// The changes from it, as `contract diff --format json` lists them.
    pub changes: Value,
    /// The smallest bump the changes needed.
    pub required_bump: Option<Bump>,
}

impl Published {
    /// The response body.
    pub fn to_json(&self) -> Value {
        json!({
            "version": self.row.to_json(false),
            "previous": self.previous,
            "changes": self.changes,
            "required_bump": self.required_bump,
        })
    }
}

fn contract_errors(error: &LoadError) -> Vec<FieldError> {
    error
        .problems
        .iter()
        .map(|problem| FieldError {
            field: format!("contract:{}", problem.pointer),
            line: problem.line,
            message: problem.kind.to_string(),
        })
        .collect()
}

fn load(origin: &str, text: &str) -> Result<(Contract, Version), ApiError> {
    let contract = canongate_contracts::load_bytes(origin, text.as_bytes()).map_err(|error| {
        ApiError::validation(
            format!(
                "the contract cannot be used: {} problem(s)",
                error.problems.len()
            ),
            contract_errors(&error),
        )
    })?;
    let version = Version::parse(&contract.version).ok_or_else(|| {
        ApiError::field(
            "contract:/info/version",
            format!(
                "`{}` is not a semantic version (MAJOR.MINOR.PATCH)",
                contract.version
            ),
        )
    })?;
    Ok((contract, version))
}

/// A new draft of `api` from `submission`. Without a backend in the submission it takes the one
/// of the highest of `versions` in its own major (a maintenance release of an older major stays
/// on that major's system), else of the highest of all.
pub fn draft(
    api: &str,
    submission: &Submission,
    versions: &[VersionRow],
) -> Result<VersionRow, ApiError> {
    let (contract, semver) = load(&format!("{api} contract"), &submission.contract)?;
    let highest = |same_major: bool| {
        versions
            .iter()
            .filter(|other| !same_major || other.semver.major == semver.major)
            .max_by(|a, b| a.semver.precedence(&b.semver))
    };
    let backend = match (
        &submission.backend,
        highest(true).or_else(|| highest(false)),
    ) {
        (Some(backend), _) => backend.clone(),
        (None, Some(latest)) => Backend {
            system: latest.system.clone(),
            path_prefix: latest.path_prefix.clone(),
        },
        (None, None) => {
            return Err(ApiError::field(
                "/backend",
                format!("`{api}` has no version yet to take the backend from: name the system"),
            ));
        }
    };
    let report = lint::lint_bytes(&contract.origin, submission.contract.as_bytes());
    let count = |severity| i64::try_from(report.count(severity)).unwrap_or(i64::MAX);
    let now = now_rfc3339();
    Ok(VersionRow {
        api: api.to_owned(),
        version: contract.version,
        semver,
        lifecycle: Lifecycle::Draft,
        contract: submission.contract.clone(),
        system: backend.system,
        path_prefix: backend.path_prefix,
        lint: (count(Severity::Error), count(Severity::Warning)),
        deprecated_on: None,
        sunset: None,
        successor: None,
        published_at: None,
        created_at: now.clone(),
        updated_at: now,
        etag: 1,
    })
}

fn require(row: &VersionRow, state: Lifecycle, action: &str) -> Result<(), ApiError> {
    if row.lifecycle == state {
        return Ok(());
    }
    Err(ApiError::new(
        Kind::LifecycleViolation,
        format!(
            "{} {} is {}; only a {} version can be {action}",
            row.api,
            row.version,
            row.lifecycle.as_str(),
            state.as_str()
        ),
    ))
}

/// Checks that a draft may be replaced or deleted.
pub fn editable(row: &VersionRow) -> Result<(), ApiError> {
    require(row, Lifecycle::Draft, "changed or deleted")
}

/// Publishes the draft `row` of `api` (whose domain is `domain`), given every version of the API.
pub fn publish(
    sql: &rusqlite::Connection,
    api: &ApiSpec,
    mut row: VersionRow,
    versions: &[VersionRow],
    rules: Rules,
) -> Result<Published, ApiError> {
    require(&row, Lifecycle::Draft, "published")?;
    let origin = format!("{}@{}", row.api, row.version);
    let report = lint::lint_bytes(&origin, row.contract.as_bytes());
    let errors: Vec<FieldError> = report
        .findings
        .iter()
        .filter(|finding| finding.severity == Severity::Error)
        .map(|finding| FieldError {
            field: format!("contract:{}", finding.pointer),
            line: finding.line,
            message: format!("{}: {}", finding.rule, finding.message),
        })
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::validation(
            format!(
                "the contract has {} lint error(s); fix them before publishing",
                errors.len()
            ),
            errors,
        ));
    }
    let (contract, _) = load(&origin, &row.contract)?;
    agree_with_registry(sql, api, &contract)?;
    let previous = baseline(versions, &row);
    let line = previous.filter(|line| line.semver.major == row.semver.major);
    if let Some(retired) = line.filter(|line| line.lifecycle == Lifecycle::Retired) {
        return Err(ApiError::new(
            Kind::LifecycleViolation,
            format!(
                "{} v{} is retired ({} is); publish into a newer major",
                row.api, row.semver.major, retired.version
            ),
        ));
    }
    let (changes, required_bump) = match previous {
        Some(previous) => {
            let old_origin = format!("{}@{}", previous.api, previous.version);
            let options = DiffOptions {
                deprecation: DeprecationPolicy {
                    min_notice_days: rules.min_notice_days,
                    ..DeprecationPolicy::default()
                },
            };
            let report = DiffReport::from_bytes(
                (&old_origin, previous.contract.as_bytes()),
                (&origin, row.contract.as_bytes()),
                &options,
                true,
            )
            .map_err(|error| {
                ApiError::validation("a contract does not load", contract_errors(&error))
            })?;
            let listed: Value = serde_json::from_str(&render::diff(&report, Format::Json, None))
                .map_err(ApiError::internal)?;
            let changes = listed["changes"].clone();
            if let Some(verdict) = report.verdict.as_ref().filter(|v| !v.is_accepted()) {
                return Err(ApiError::new(Kind::BreakingChange, verdict.to_string())
                    .with("old_version", json!(verdict.old_version))
                    .with("new_version", json!(verdict.new_version))
                    .with("required_bump", json!(verdict.required_bump))
                    .with("suggested_version", json!(verdict.suggestion()))
                    .with("changes", changes));
            }
            (changes, Some(report.required_bump()))
        }
        None => (json!([]), None),
    };
    row.lifecycle = Lifecycle::Published;
    if let Some(deprecated) = line.filter(|line| line.lifecycle == Lifecycle::Deprecated) {
        inherit_deprecation(&mut row, deprecated);
    }
    row.published_at = Some(now_rfc3339());
    Ok(Published {
        previous: previous.map(|previous| previous.version.clone()),
        row,
        changes,
        required_bump,
    })
}

/// The published version `row` is checked against: the latest published release of its major
/// (a maintenance release of an older major while a newer one is out: `1.5.0` after `2.0.0`
/// is checked against `1.4.0`; pre-releases are passed over while the major has a release, so
/// `1.5.0` after `1.5.0-rc.1` is still checked against `1.4.0`), else the latest published
/// pre-release of its major, else, opening a new major, the latest published version of all,
/// so that a new major is always above every published one.
fn baseline<'a>(versions: &'a [VersionRow], row: &VersionRow) -> Option<&'a VersionRow> {
    let latest = |same_major: bool, releases_only: bool| {
        versions
            .iter()
            .filter(|other| other.was_published())
            .filter(|other| !same_major || other.semver.major == row.semver.major)
            .filter(|other| !releases_only || !other.semver.is_pre_release())
            .max_by(|a, b| a.semver.precedence(&b.semver))
    };
    latest(true, true)
        .or_else(|| latest(true, false))
        .or_else(|| latest(false, false))
}

/// A release into a deprecated major stays deprecated with the line's date, sunset and
/// successor: a maintenance release cannot end an announced deprecation. (A retired major takes
/// no releases at all.)
fn inherit_deprecation(row: &mut VersionRow, line: &VersionRow) {
    row.lifecycle = Lifecycle::Deprecated;
    row.deprecated_on.clone_from(&line.deprecated_on);
    row.sunset.clone_from(&line.sunset);
    row.successor.clone_from(&line.successor);
}

/// The contract's `x-canongate` block must say what the registry says.
fn agree_with_registry(
    sql: &rusqlite::Connection,
    api: &ApiSpec,
    contract: &Contract,
) -> Result<(), ApiError> {
    let governance = &contract.governance;
    let mut errors = Vec::new();
    let mut expect = |field: &str, found: &str, wanted: &str, source: &str| {
        if found != wanted {
            errors.push(FieldError::new(
                format!("contract:/x-canongate/{field}"),
                format!("is `{found}`, but {source} is `{wanted}`"),
            ));
        }
    };
    expect(
        "domain",
        &governance.domain,
        &api.domain,
        "the API's domain",
    );
    expect(
        "owner-team",
        &governance.owner_team,
        &api.owner_team,
        "the API's owner team",
    );
    if let Some(domain) = resources::get(sql, "domains", &api.domain)? {
        let domain: DomainSpec = crate::kinds::decode(&domain.spec, "")
            .map_err(|error| ApiError::internal(error.message))?;
        expect(
            "system-of-record",
            &governance.system_of_record,
            &domain.system_of_record,
            "the domain's system of record",
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(
            "the contract's governance block disagrees with the registry",
            errors,
        ))
    }
}

fn date(field: &str, text: &str) -> Result<Date, ApiError> {
    Date::parse(text)
        .filter(|_| text.len() == 10)
        .ok_or_else(|| ApiError::field(field, format!("`{text}` is not a date (YYYY-MM-DD)")))
}

/// Deprecates the published `row`, given every version of its API.
pub fn deprecate(
    mut row: VersionRow,
    request: &Deprecation,
    versions: &[VersionRow],
    rules: Rules,
) -> Result<VersionRow, ApiError> {
    require(&row, Lifecycle::Published, "deprecated")?;
    let deprecated_on = match &request.deprecated_on {
        Some(text) => date("/deprecated_on", text)?,
        None => Date::today(),
    };
    let sunset = date("/sunset", &request.sunset)?;
    // Notice runs from when consumers can learn of it: a backdated deprecation gives none
    // before today.
    let announced = deprecated_on.max(Date::today());
    let earliest = announced.add_days(i64::from(rules.min_notice_days));
    if sunset < earliest {
        return Err(ApiError::field(
            "/sunset",
            format!(
                "{sunset} gives {} day(s) of notice after {announced}; at least {} are required (sunset on or after {earliest})",
                sunset.days_since_epoch() - announced.days_since_epoch(),
                rules.min_notice_days
            ),
        ));
    }
    let successor = versions
        .iter()
        .find(|other| other.version == request.successor)
        .ok_or_else(|| {
            ApiError::field(
                "/successor",
                format!("{} has no version `{}`", row.api, request.successor),
            )
        })?;
    if successor.lifecycle != Lifecycle::Published || successor.semver.major <= row.semver.major {
        // Gateways serve one version per major: the successor is the next major's path.
        return Err(ApiError::field(
            "/successor",
            format!(
                "the successor must be a published version of a later major than v{}; {} is {} v{}",
                row.semver.major,
                successor.version,
                successor.lifecycle.as_str(),
                successor.semver.major
            ),
        ));
    }
    row.lifecycle = Lifecycle::Deprecated;
    row.deprecated_on = Some(deprecated_on.to_string());
    row.sunset = Some(sunset.to_string());
    row.successor = Some(successor.version.clone());
    Ok(row)
}

/// Retires the deprecated `row`; returns it and whether the sunset date was overridden.
pub fn retire(mut row: VersionRow, request: &Retirement) -> Result<(VersionRow, bool), ApiError> {
    require(&row, Lifecycle::Deprecated, "retired")?;
    let sunset = row
        .sunset
        .as_deref()
        .and_then(Date::parse)
        .ok_or_else(|| ApiError::internal("a deprecated version without a sunset date"))?;
    let early = Date::today() < sunset;
    if early && !request.early {
        return Err(ApiError::new(
            Kind::LifecycleViolation,
            format!(
                "{} {} reaches its sunset on {sunset}; retiring it earlier needs `override: true` and a reason",
                row.api, row.version
            ),
        ));
    }
    if early
        && request
            .reason
            .as_deref()
            .is_none_or(|reason| reason.trim().is_empty())
    {
        return Err(ApiError::field(
            "/reason",
            "an early retirement needs a reason",
        ));
    }
    row.lifecycle = Lifecycle::Retired;
    Ok((row, early))
}
