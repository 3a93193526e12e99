//! A project's lint configuration: turn rules off or change their severity.
//!
//! ```yaml
//! # canongate-lint.yaml
//! rules:
//!   operation-tags: off                # disable
//!   canongate-list-paginated: error    # make stricter
//!   info-contact: hint                 # make softer
//! ```
//!
//! `rules` maps rule ids to `off`, `error`, `warning` (or `warn`), `info`
//! or `hint`; rules not listed keep their defaults. The file is read
//! strictly: an unknown key, an unknown rule id or an unknown severity is an
//! error naming the file, the line and the key.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::{RULES, Severity};
use crate::lines::LineIndex;
use crate::pointer;

/// Severity overrides for some rules; the default ruleset changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ruleset {
    /// Rule id -> its severity, or `None` when the rule is off.
    overrides: HashMap<&'static str, Option<Severity>>,
}

/// Why a lint configuration file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesetError {
    /// The file cannot be read.
    #[error("{origin}: cannot read the lint configuration: {message}")]
    Io {
        /// The file path or label.
        origin: String,
        /// The operating system's message.
        message: String,
    },
    /// The file is not well-formed YAML or JSON.
    #[error("{origin}:{line}: syntax error: {message}")]
    Syntax {
        /// The file path or label.
        origin: String,
        /// 1-based line of the error (0 when unknown).
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// A key or value is not allowed.
    #[error("{origin}:{}: {}: {message}", line.map_or_else(|| "?".to_owned(), |l| l.to_string()), pointer::display(pointer))]
    Invalid {
        /// The file path or label.
        origin: String,
        /// JSON pointer of the offending key.
        pointer: String,
        /// 1-based line of the key, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
}

impl Ruleset {
    /// Reads the configuration file at `path`.
    pub fn load(path: &Path) -> Result<Ruleset, RulesetError> {
        let origin = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|error| RulesetError::Io {
            origin: origin.clone(),
            message: error.to_string(),
        })?;
        Ruleset::parse(&origin, &bytes)
    }

    /// Reads a configuration from YAML or JSON `bytes`; `origin` labels it in errors.
    pub fn parse(origin: &str, bytes: &[u8]) -> Result<Ruleset, RulesetError> {
        let document: Value =
            serde_norway::from_slice(bytes).map_err(|error| RulesetError::Syntax {
                origin: origin.to_owned(),
                line: error.location().map_or(0, |location| location.line()),
                message: error.to_string(),
            })?;
        let lines = LineIndex::new(&String::from_utf8_lossy(bytes));
        let invalid = |at: &str, message: String| RulesetError::Invalid {
            origin: origin.to_owned(),
            pointer: at.to_owned(),
            line: lines.line(at),
            message,
        };
        let Some(root) = document.as_object() else {
            return Err(invalid(
                "",
                "expected a mapping with a `rules` mapping".into(),
            ));
        };
        if let Some(key) = root.keys().find(|key| *key != "rules") {
            let at = pointer::child("", key);
            return Err(invalid(
                &at,
                format!("unknown key `{key}`; expected `rules`"),
            ));
        }
        let rules = match root.get("rules") {
            None => return Ok(Ruleset::default()),
            Some(Value::Object(rules)) => rules,
            Some(_) => {
                let message = "`rules` must map rule ids to severities".to_owned();
                return Err(invalid("/rules", message));
            }
        };
        let mut overrides = HashMap::new();
        for (id, setting) in rules {
            let at = pointer::child("/rules", id);
            let Some(rule) = RULES.iter().find(|rule| rule.id == id) else {
                return Err(invalid(&at, format!("unknown rule id `{id}`")));
            };
            let severity = match setting.as_str() {
                Some("off") | Some("false") => None,
                Some("error") => Some(Severity::Error),
                Some("warning") | Some("warn") => Some(Severity::Warning),
                Some("info") => Some(Severity::Info),
                Some("hint") => Some(Severity::Hint),
                _ if setting == &Value::Bool(false) => None,
                _ => {
                    let message = format!(
                        "`{}` is not a setting; expected off, error, warning, info or hint",
                        setting
                            .as_str()
                            .map_or_else(|| setting.to_string(), str::to_owned)
                    );
                    return Err(invalid(&at, message));
                }
            };
            overrides.insert(rule.id, severity);
        }
        Ok(Ruleset { overrides })
    }

    /// The severity of the rule `id` (whose default is `default`), or `None` when it is off.
    pub fn severity(&self, id: &str, default: Severity) -> Option<Severity> {
        self.overrides.get(id).copied().unwrap_or(Some(default))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Ruleset, RulesetError> {
        Ruleset::parse("lint.yaml", text.as_bytes())
    }

    #[test]
    fn reads_overrides() {
        let ruleset = parse(
            "rules:\n  operation-tags: off\n  info-contact: hint\n  canongate-list-paginated: error\n  operation-description: warn\n",
        )
        .expect("valid");
        assert_eq!(ruleset.severity("operation-tags", Severity::Warning), None);
        assert_eq!(
            ruleset.severity("info-contact", Severity::Warning),
            Some(Severity::Hint)
        );
        assert_eq!(
            ruleset.severity("canongate-list-paginated", Severity::Warning),
            Some(Severity::Error)
        );
        assert_eq!(
            ruleset.severity("parser", Severity::Error),
            Some(Severity::Error)
        );
        assert_eq!(parse("{}").expect("empty"), Ruleset::default());
    }

    #[test]
    fn names_the_file_line_and_key_of_mistakes() {
        let error =
            parse("rules:\n  operation-tags: off\n  no-such-rule: error\n").expect_err("unknown");
        assert_eq!(
            error.to_string(),
            "lint.yaml:3: /rules/no-such-rule: unknown rule id `no-such-rule`"
        );
        let error = parse("rules:\n  operation-tags: fatal\n").expect_err("severity");
        assert!(
            error
                .to_string()
                .starts_with("lint.yaml:2: /rules/operation-tags: `fatal` is not a setting"),
            "{error}"
        );
        let error = parse("extends: spectral:oas\n").expect_err("key");
        assert_eq!(
            error.to_string(),
            "lint.yaml:1: /extends: unknown key `extends`; expected `rules`"
        );
        assert!(matches!(
            parse("rules: [a]"),
            Err(RulesetError::Invalid { .. })
        ));
        assert!(matches!(parse("- a"), Err(RulesetError::Invalid { .. })));
        assert!(matches!(
            parse("rules: {a: b"),
            Err(RulesetError::Syntax { .. })
        ));
        let missing = Ruleset::load(Path::new("/nonexistent/lint.yaml")).expect_err("io");
        assert!(matches!(missing, RulesetError::Io { .. }));
    }
}
