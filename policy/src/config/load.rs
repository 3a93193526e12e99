//! Reading the gateway document from YAML, with the location of every shape error.

use std::path::{Path, PathBuf};

use super::GatewayConfig;

/// A document that could not be read or does not have the document's shape.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: cannot read the gateway document: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Malformed YAML, an unknown field, a missing field or a value of the wrong type.
    #[error("{origin}:{line}:{column}: {path}: {message}")]
    Shape {
        /// File name or label of the document.
        origin: String,
        /// 1-based line of the fault (0 when unknown).
        line: usize,
        /// 1-based column of the fault (0 when unknown).
        column: usize,
        /// Field path of the fault, e.g. `apis.inventory.versions[0].lifecycle`.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Reads and parses a gateway document; relative paths in it resolve against its directory.
pub fn load_file(path: &Path) -> Result<GatewayConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse(&path.display().to_string(), &text, base_dir)
}

/// Parses a gateway document from YAML text, or from JSON (a document starting with `{`, such as
/// the control plane's snapshots), which is read by a JSON parser: many times faster and lighter
/// on a large document; `origin` names it in errors.
pub fn parse(origin: &str, text: &str, base_dir: PathBuf) -> Result<GatewayConfig, ConfigError> {
    let shape = |path: String, (line, column), message| ConfigError::Shape {
        origin: origin.to_owned(),
        line,
        column,
        path: match path {
            p if p == "." => "(document)".to_owned(),
            p => p,
        },
        message,
    };
    let mut config: GatewayConfig = if text.trim_start().starts_with('{') {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let path = error.path().to_string();
            let inner = error.into_inner();
            let message = inner.to_string();
            let message = match message.rfind(" at line ") {
                Some(index) => message[..index].to_owned(),
                None => message,
            };
            shape(path, (inner.line(), inner.column()), message)
        })?
    } else {
        let deserializer = serde_norway::Deserializer::from_str(text);
        serde_path_to_error::deserialize(deserializer).map_err(|error| {
            let path = error.path().to_string();
            let inner = error.into_inner();
            let location = inner
                .location()
                .map_or((0, 0), |location| (location.line(), location.column()));
            shape(path, location, strip_location_suffix(&inner.to_string()))
        })?
    };
    config.base_dir = base_dir;
    config.origin = origin.to_owned();
    Ok(config)
}

/// serde_norway wraps its messages in "path: … at line L column C"; the error carries the path
/// and the location apart, so only the message proper is kept.
fn strip_location_suffix(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(index) => &message[..index],
        None => message,
    };
    match message.split_once(": ") {
        Some((path, rest)) if !path.is_empty() && !path.contains(' ') => rest.to_owned(),
        _ => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_error(text: &str) -> (usize, String, String) {
        match parse("gw.yaml", text, PathBuf::new()).unwrap_err() {
            ConfigError::Shape {
                line,
                path,
                message,
                ..
            } => (line, path, message),
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn parses_a_minimal_document_with_defaults() {
        let config = parse(
            "gw.yaml",
            "systems:\n  erp:\n    base_urls: [http://127.0.0.1:1]\napis:\n  inventory:\n    versions:\n      - contract: inventory.yaml\n        backend: {system: erp}\n",
            PathBuf::from("/etc/canongate"),
        )
        .unwrap();
        assert_eq!(config.systems["erp"].connect_timeout.as_secs(), 2);
        assert_eq!(
            config.apis["inventory"].versions[0].lifecycle,
            super::super::Lifecycle::Published
        );
        assert_eq!(config.base_dir, PathBuf::from("/etc/canongate"));
        assert_eq!(config.listeners.ops.port(), 9901);
    }

    #[test]
    fn unknown_field_names_its_path_and_line() {
        let (line, path, message) = shape_error(
            "systems:\n  erp:\n    base_urls: [http://127.0.0.1:1]\n    timeout: 2s\napis: {}\n",
        );
        assert_eq!(line, 4);
        assert_eq!(path, "systems.erp.timeout");
        assert!(message.starts_with("unknown field `timeout`"), "{message}");
    }

    #[test]
    fn bad_enum_value_and_bad_duration_are_located() {
        let (_, path, message) = shape_error(
            "systems: {}\napis:\n  a:\n    versions:\n      - contract: a.yaml\n        lifecycle: live\n        backend: {system: erp}\n",
        );
        assert_eq!(path, "apis.a.versions[0].lifecycle");
        assert!(message.contains("unknown variant `live`"), "{message}");

        let (_, path, message) =
            shape_error("systems:\n  erp:\n    base_urls: []\n    read_timeout: 10\napis: {}\n");
        assert_eq!(path, "systems.erp.read_timeout");
        assert!(message.contains("no unit"), "{message}");
    }

    #[test]
    fn malformed_yaml_and_missing_sections_are_refused() {
        let (line, _, _) = shape_error("systems: {\napis: [\n");
        assert!(line > 0);
        let (_, path, message) = shape_error("systems: {}\n");
        assert_eq!(path, "(document)");
        assert!(message.contains("missing field `apis`"), "{message}");
    }

    #[test]
    fn contracts_are_files_or_inline_and_survive_a_json_round_trip() {
        use super::super::{ContractSource, DeprecationConfig};
        let config = parse(
            "gw.yaml",
            "systems:\n  erp:\n    base_urls: [http://127.0.0.1:1]\napis:\n  inventory:\n    versions:\n      - contract: contracts/inventory.yaml\n        lifecycle: deprecated\n        deprecation: {deprecated_on: 2026-01-15, sunset: 2026-07-01, successor: v2}\n        backend: {system: erp}\n      - contract: {inline: \"openapi: 3.0.3\\n\", origin: inventory@2.0.0}\n        backend: {system: erp}\n      - contract:\n          inline: \"{}\"\n        backend: {system: erp}\n",
            PathBuf::new(),
        )
        .unwrap();
        let versions = &config.apis["inventory"].versions;
        assert_eq!(
            versions[0].contract,
            ContractSource::File(PathBuf::from("contracts/inventory.yaml"))
        );
        assert_eq!(
            versions[0].deprecation,
            Some(DeprecationConfig {
                deprecated_on: Some("2026-01-15".into()),
                sunset: Some("2026-07-01".into()),
                successor: Some("v2".into()),
            })
        );
        assert_eq!(
            versions[1].contract,
            ContractSource::Inline {
                origin: "inventory@2.0.0".into(),
                text: "openapi: 3.0.3\n".into(),
            }
        );
        assert_eq!(
            versions[2].contract,
            ContractSource::Inline {
                origin: String::new(),
                text: "{}".into(),
            }
        );
        assert_eq!(versions[2].deprecation, None);

        let json = serde_json::to_string(&config).unwrap();
        assert!(
            json.contains(r#""contract":"contracts/inventory.yaml""#),
            "{json}"
        );
        assert!(json.contains(r#""contract":{"inline":"{}"}"#), "{json}");
        let mut back = parse("gw.json", &json, PathBuf::new()).unwrap();
        back.origin = config.origin.clone();
        assert_eq!(back, config);
    }

    #[test]
    fn json_documents_are_read_with_located_errors() {
        let error = parse(
            "snapshot.json",
            "{\"systems\": {},\n \"apis\": {\"a\": {\"versions\": [],\n   \"colour\": 1}}}",
            PathBuf::new(),
        )
        .unwrap_err();
        let ConfigError::Shape {
            line,
            path,
            message,
            ..
        } = error
        else {
            panic!("{error}")
        };
        assert_eq!(line, 3);
        assert_eq!(path, "apis.a.colour");
        assert!(message.starts_with("unknown field `colour`"), "{message}");
    }

    #[test]
    fn inline_contract_mistakes_are_located() {
        let document = |contract: &str| {
            format!(
                "systems: {{}}\napis:\n  a:\n    versions:\n      - contract: {contract}\n        backend: {{system: erp}}\n"
            )
        };
        let (line, path, message) = shape_error(&document("{inline: x, source: y}"));
        assert_eq!(line, 5);
        assert_eq!(path, "apis.a.versions[0].contract.source");
        assert!(message.starts_with("unknown field `source`"), "{message}");
        let (_, path, message) = shape_error(&document("{origin: y}"));
        assert_eq!(path, "apis.a.versions[0].contract");
        assert!(message.contains("missing field `inline`"), "{message}");
        let (_, path, message) = shape_error(&document("[a.yaml]"));
        assert_eq!(path, "apis.a.versions[0].contract");
        assert!(
            message.contains("a contract file path or a mapping"),
            "{message}"
        );
        let (_, path, message) = shape_error(
            "systems: {}\napis:\n  a:\n    versions:\n      - contract: a.yaml\n        deprecation: {sunset: 2026-01-01, replacement: v2}\n        backend: {system: erp}\n",
        );
        assert_eq!(path, "apis.a.versions[0].deprecation.replacement");
        assert!(
            message.starts_with("unknown field `replacement`"),
            "{message}"
        );
    }

    #[test]
    fn unreadable_file_names_the_file() {
        let error = load_file(Path::new("/nonexistent/gw.yaml")).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("/nonexistent/gw.yaml: cannot read")
        );
    }
}
