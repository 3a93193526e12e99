//! Systems of the document compiled to endpoints: resolved socket addresses, TLS names and trust.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use crate::config::{GatewayConfig, KeepaliveConfig, SystemConfig};

/// Largest idle-connection pool one system may ask for.
pub const MAX_POOL_SIZE: usize = 65_536;

/// Index of a system in [`crate::Snapshot::systems`].
pub type SystemIndex = usize;

/// One base URL of a system, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The base URL as written, for logs.
    pub url: String,
    /// Resolved address.
    pub address: SocketAddr,
    /// Whether to speak TLS.
    pub tls: bool,
    /// Server name for SNI and certificate checks (empty for plain HTTP).
    pub sni: String,
    /// Value for the `Host` header sent to the system.
    pub authority: String,
}

/// A compiled system.
#[derive(Debug, Clone)]
pub struct System {
    /// System name.
    pub name: String,
    /// Endpoints, used round-robin.
    pub endpoints: Vec<Endpoint>,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Read timeout.
    pub read_timeout: Duration,
    /// Write timeout.
    pub write_timeout: Duration,
    /// PEM bundle of CA certificates to trust (none: the built-in roots).
    pub ca_pem: Option<Vec<u8>>,
    /// Whether certificates and host names are checked.
    pub verify_tls: bool,
    /// Keepalive settings.
    pub keepalive: KeepaliveConfig,
}

/// Compiled systems, looked up by name while APIs are compiled.
#[derive(Debug, Default)]
pub(super) struct Systems(Vec<System>);

impl Systems {
    pub(super) fn index_of(&self, name: &str) -> Option<SystemIndex> {
        self.0.iter().position(|system| system.name == name)
    }

    pub(super) fn names(&self) -> Vec<&str> {
        self.0.iter().map(|system| system.name.as_str()).collect()
    }

    pub(super) fn into_vec(self) -> Vec<System> {
        self.0
    }
}

/// Compiles every system, reporting problems as `(location, message)`.
pub(super) fn compile(config: &GatewayConfig, report: &mut impl FnMut(String, String)) -> Systems {
    let mut systems = Systems::default();
    for (name, system) in &config.systems {
        let at = format!("systems.{name}");
        if !super::is_name(name) {
            report(
                at.clone(),
                "system names use lower-case letters, digits and `-`".into(),
            );
        }
        systems
            .0
            .push(compile_one(config, name, system, &at, report));
    }
    systems
}

fn compile_one(
    config: &GatewayConfig,
    name: &str,
    system: &SystemConfig,
    at: &str,
    report: &mut impl FnMut(String, String),
) -> System {
    if system.base_urls.is_empty() {
        report(
            format!("{at}.base_urls"),
            "a system needs at least one base URL".into(),
        );
    }
    let endpoints = system
        .base_urls
        .iter()
        .enumerate()
        .filter_map(|(index, url)| {
            endpoint(url, system.tls.sni.as_deref())
                .map_err(|message| report(format!("{at}.base_urls[{index}]"), message))
                .ok()
        })
        .collect();
    for (field, value) in [
        ("connect_timeout", system.connect_timeout),
        ("read_timeout", system.read_timeout),
        ("write_timeout", system.write_timeout),
    ] {
        if value.is_zero() {
            report(format!("{at}.{field}"), "must be greater than zero".into());
        }
    }
    if system.keepalive.pool_size > MAX_POOL_SIZE {
        report(
            format!("{at}.keepalive.pool_size"),
            format!("must be at most {MAX_POOL_SIZE}"),
        );
    }
    let ca_pem = system.tls.ca_file.as_ref().and_then(|file| {
        let path = config.base_dir.join(file);
        match std::fs::read(&path) {
            Ok(pem) if contains_certificate(&pem) => Some(pem),
            Ok(_) => {
                report(
                    format!("{at}.tls.ca_file"),
                    format!("{} holds no PEM certificate", path.display()),
                );
                None
            }
            Err(error) => {
                report(
                    format!("{at}.tls.ca_file"),
                    format!("cannot read {}: {error}", path.display()),
                );
                None
            }
        }
    });
    System {
        name: name.to_owned(),
        endpoints,
        connect_timeout: system.connect_timeout,
        read_timeout: system.read_timeout,
        write_timeout: system.write_timeout,
        ca_pem,
        verify_tls: !system.tls.insecure_skip_verify,
        keepalive: system.keepalive,
    }
}

fn contains_certificate(pem: &[u8]) -> bool {
    pem.windows(27)
        .any(|window| window == b"-----BEGIN CERTIFICATE-----")
}

/// Parses and resolves one base URL.
fn endpoint(text: &str, sni: Option<&str>) -> Result<Endpoint, String> {
    let url = url::Url::parse(text).map_err(|error| format!("`{text}` is not a URL: {error}"))?;
    let tls = match url.scheme() {
        "http" => false,
        "https" => true,
        other => return Err(format!("`{text}`: scheme `{other}` is not http or https")),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("`{text}`: credentials do not belong in a base URL"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "`{text}`: a base URL is scheme, host and port only; put paths in backend.path_prefix"
        ));
    }
    let host = url
        .host_str()
        .ok_or_else(|| format!("`{text}` has no host"))?;
    let port = url
        .port_or_known_default()
        .unwrap_or(if tls { 443 } else { 80 });
    let bare_host = host.trim_start_matches('[').trim_end_matches(']');
    let address = (bare_host, port)
        .to_socket_addrs()
        .map_err(|error| format!("`{text}`: cannot resolve `{host}`: {error}"))?
        .next()
        .ok_or_else(|| format!("`{text}`: `{host}` resolves to no address"))?;
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    Ok(Endpoint {
        url: text.to_owned(),
        address,
        tls,
        sni: if tls {
            sni.unwrap_or(bare_host).to_owned()
        } else {
            String::new()
        },
        authority,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_http_and_https_endpoints() {
        let plain = endpoint("http://127.0.0.1:7001", None).unwrap();
        assert_eq!(plain.address, "127.0.0.1:7001".parse().unwrap());
        assert!(!plain.tls);
        assert_eq!(plain.authority, "127.0.0.1:7001");

        let secure = endpoint("https://localhost:8443/", Some("erp.internal")).unwrap();
        assert!(secure.tls);
        assert_eq!(secure.sni, "erp.internal");
        assert_eq!(secure.address.port(), 8443);

        let default_port = endpoint("https://127.0.0.1", None).unwrap();
        assert_eq!(default_port.address.port(), 443);
        assert_eq!(default_port.sni, "127.0.0.1");
    }

    #[test]
    fn refuses_bad_urls_with_the_reason() {
        for (url, reason) in [
            ("ftp://127.0.0.1", "scheme `ftp`"),
            ("http://127.0.0.1:1/api", "put paths in backend.path_prefix"),
            ("http://user:pw@127.0.0.1", "credentials"),
            ("not a url", "is not a URL"),
        ] {
            let message = endpoint(url, None).unwrap_err();
            assert!(message.contains(reason), "{url}: {message}");
        }
    }
}
