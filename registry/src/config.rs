//! The control plane's own settings (`canongate control-plane --config FILE`), read from YAML.
//!
//! ```yaml
//! listen: 127.0.0.1:9080
//! admin_issuer:                 # JWTs for the admin API; roles in the `scope` claim
//!   issuer: https://idp.example.com/
//!   audiences: [canongate-admin]
//!   keys: [{kid: k1, algorithm: ES256, pem_file: admin-es256.pem}]
//!   # or keys the IdP rotates:
//!   # jwks: {url: https://idp.example.com/jwks.json, algorithms: [ES256]}
//! lifecycle:
//!   min_sunset_notice_days: 90  # least notice between deprecation and sunset
//! limits:
//!   max_body_bytes: 4194304     # larger bodies get 413 before they are read
//!   request_timeout: 30s
//!   max_wait: 60s               # longest snapshot long poll
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use canongate_policy::auth::{AuthConfig, Authenticator, IssuerConfig};
use indexmap::IndexMap;
use serde::Deserialize;

/// The whole settings document; every field has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlPlaneConfig {
    /// Address of the admin API.
    #[serde(default = "ControlPlaneConfig::default_listen")]
    pub listen: SocketAddr,
    /// Issuer of admin JWTs (inline keys and/or a JWKS endpoint, as the gateway's issuers);
    /// absent: only the bootstrap token is accepted.
    #[serde(default)]
    pub admin_issuer: Option<IssuerConfig>,
    /// Lifecycle rules.
    #[serde(default)]
    pub lifecycle: LifecycleConfig,
    /// Request limits.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Directory relative key files resolve against.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// Lifecycle rules.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleConfig {
    /// Least number of days between a version's deprecation and its sunset.
    #[serde(default = "LifecycleConfig::default_notice")]
    pub min_sunset_notice_days: u32,
}

/// Request limits of the admin API.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest accepted request body, in bytes.
    #[serde(default = "LimitsConfig::default_body")]
    pub max_body_bytes: usize,
    /// Time limit of a request (long polls excepted).
    #[serde(
        default = "LimitsConfig::default_timeout",
        with = "canongate_policy::duration"
    )]
    pub request_timeout: Duration,
    /// Longest `?wait=` a snapshot long poll may ask for.
    #[serde(
        default = "LimitsConfig::default_wait",
        with = "canongate_policy::duration"
    )]
    pub max_wait: Duration,
}

impl ControlPlaneConfig {
    fn default_listen() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 9080))
    }
}

impl Default for ControlPlaneConfig {
    fn default() -> Self {
        Self {
            listen: Self::default_listen(),
            admin_issuer: None,
            lifecycle: LifecycleConfig::default(),
            limits: LimitsConfig::default(),
            base_dir: PathBuf::new(),
        }
    }
}

impl LifecycleConfig {
    fn default_notice() -> u32 {
        90
    }
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        Self {
            min_sunset_notice_days: Self::default_notice(),
        }
    }
}

impl LimitsConfig {
    fn default_body() -> usize {
        4 << 20
    }
    fn default_timeout() -> Duration {
        Duration::from_secs(30)
    }
    fn default_wait() -> Duration {
        Duration::from_secs(60)
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: Self::default_body(),
            request_timeout: Self::default_timeout(),
            max_wait: Self::default_wait(),
        }
    }
}

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Unreadable file.
    #[error("{}: cannot read the control-plane settings: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Malformed YAML or a field of the wrong shape.
    #[error("{}:{line}:{column}: {field}: {message}", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// The field at fault.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The admin issuer does not compile.
    #[error("{origin}: {problems}")]
    Issuer {
        /// The file.
        origin: String,
        /// Each problem with its field.
        problems: String,
    },
}

impl ControlPlaneConfig {
    /// Reads the settings file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config: Self = serde_path_to_error::deserialize(
            serde_norway::Deserializer::from_str(&text),
        )
        .map_err(|error| {
            let field = error.path().to_string();
            let inner = error.into_inner();
            let (line, column) = inner
                .location()
                .map_or((0, 0), |at| (at.line(), at.column()));
            ConfigError::Shape {
                path: path.to_path_buf(),
                line,
                column,
                field,
                message: inner.to_string(),
            }
        })?;
        config.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(config)
    }

    /// Compiles the admin issuer, if any, into an authenticator.
    pub fn admin_authenticator(&self) -> Result<Option<Authenticator>, ConfigError> {
        let Some(issuer) = &self.admin_issuer else {
            return Ok(None);
        };
        let mut problems = Vec::new();
        if issuer.audiences.is_empty() {
            problems.push(
                "admin_issuer.audiences: name the audience of admin tokens, so that tokens the issuer gives for other services are not accepted".to_owned(),
            );
        }
        let issuers = IndexMap::from([("admin_issuer".to_owned(), issuer.clone())]);
        let authenticator = canongate_policy::auth::compile(
            &AuthConfig::default(),
            &issuers,
            &self.base_dir,
            &mut |location, message| {
                problems.push(format!("{}: {message}", location.replace("issuers.", "")))
            },
        );
        if problems.is_empty() {
            Ok(Some(authenticator))
        } else {
            Err(ConfigError::Issuer {
                origin: self.base_dir.display().to_string(),
                problems: problems.join("; "),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deployment_example_reads() {
        let example =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/control-plane.example.yaml");
        let config = ControlPlaneConfig::load(&example).unwrap();
        assert_eq!(config.listen, SocketAddr::from(([127, 0, 0, 1], 9080)));
        assert_eq!(config.lifecycle.min_sunset_notice_days, 90);
        assert_eq!(config.limits.max_wait, Duration::from_secs(60));
        assert!(config.admin_issuer.is_some());
    }

    #[test]
    fn shape_errors_name_the_file_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cp.yaml");
        std::fs::write(
            &file,
            "listen: 127.0.0.1:1\nlimits:\n  max_wait: 10s\n  colour: red\n",
        )
        .unwrap();
        let message = ControlPlaneConfig::load(&file).unwrap_err().to_string();
        assert!(message.contains("cp.yaml:4:"), "{message}");
        assert!(message.contains("colour"), "{message}");
    }

    #[test]
    fn the_admin_issuer_may_take_its_keys_from_a_jwks_endpoint() {
        let config: ControlPlaneConfig = serde_norway::from_str(
            "admin_issuer:\n  issuer: https://idp/\n  audiences: [admin]\n  jwks: {url: 'https://idp/jwks', algorithms: [ES256]}\n",
        )
        .unwrap();
        let authenticator = config.admin_authenticator().unwrap().expect("an issuer");
        assert_eq!(authenticator.jwks_endpoints().len(), 1);

        let plain_http: ControlPlaneConfig = serde_norway::from_str(
            "admin_issuer:\n  issuer: https://idp/\n  audiences: [admin]\n  jwks: {url: 'http://idp.example/jwks', algorithms: [ES256]}\n",
        )
        .unwrap();
        let message = plain_http.admin_authenticator().unwrap_err().to_string();
        assert!(
            message.contains("admin_issuer.jwks.url") && message.contains("over https"),
            "{message}"
        );
    }
}
