//! Peers for the systems of a snapshot: one prepared `HttpPeer` per endpoint, chosen round-robin.
//!
//! Peers are built once per snapshot (timeouts, TLS name, trust store, keepalive), so picking an
//! upstream per request is an atomic increment and a clone of a prepared peer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use canongate_policy::snapshot::System;
use http::HeaderValue;
use pingora::tls::{CertificateDer, RootCertStore};
use pingora::upstreams::peer::{HttpPeer, HttpUpstreamRequestPolicy};
use pingora::utils::tls::{WrappedX509, parse_x509};
use rustls_pki_types::pem::PemObject;

/// A system's prepared peers.
pub struct SystemPeers {
    peers: Vec<HttpPeer>,
    hosts: Vec<HeaderValue>,
    labels: Vec<String>,
    next: AtomicUsize,
}

/// A system's peers could not be prepared (unusable TLS trust material or base URL).
#[derive(Debug, thiserror::Error)]
#[error("systems.{system}.{field}: {message}")]
pub struct PeerError {
    system: String,
    field: &'static str,
    message: String,
}

impl SystemPeers {
    /// Prepares the peers of `system`.
    pub fn build(system: &System) -> Result<Self, PeerError> {
        let ca = system
            .ca_pem
            .as_deref()
            .map(|pem| trust_store(&system.name, pem))
            .transpose()?;
        let peers = system
            .endpoints
            .iter()
            .map(|endpoint| {
                let mut peer = HttpPeer::new(endpoint.address, endpoint.tls, endpoint.sni.clone());
                let options = &mut peer.options;
                options.connection_timeout = Some(system.connect_timeout);
                options.total_connection_timeout = Some(system.connect_timeout);
                options.read_timeout = Some(system.read_timeout);
                options.write_timeout = Some(system.write_timeout);
                options.idle_timeout = Some(if system.keepalive.pool_size == 0 {
                    std::time::Duration::ZERO
                } else {
                    system.keepalive.idle_timeout
                });
                options.verify_cert = system.verify_tls;
                options.verify_hostname = system.verify_tls;
                options.ca.clone_from(&ca);
                // Canonical APIs are request/response: an upgrade would turn the connection into a
                // tunnel outside routing, admission and limits.
                options.http_upstream_request_policy = HttpUpstreamRequestPolicy::deny_upgrades();
                peer
            })
            .collect();
        let labels = system
            .endpoints
            .iter()
            .map(|endpoint| endpoint.url.clone())
            .collect();
        let hosts = system
            .endpoints
            .iter()
            .map(|endpoint| {
                HeaderValue::from_str(&endpoint.authority).map_err(|_| PeerError {
                    system: system.name.clone(),
                    field: "base_urls",
                    message: format!("`{}` does not make a valid Host header", endpoint.url),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            peers,
            hosts,
            labels,
            next: AtomicUsize::new(0),
        })
    }

    /// Number of endpoints.
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    /// Whether the system has no endpoint (never true for a compiled snapshot).
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    /// The endpoint after `index` (for a retry after a failed connect) and its peer.
    pub fn peer_after(&self, index: usize) -> (usize, Box<HttpPeer>) {
        let next = (index + 1) % self.peers.len();
        (next, Box::new(self.peers[next].clone()))
    }

    /// The next endpoint in round-robin order: its index and a peer to connect to.
    pub fn next_peer(&self) -> (usize, Box<HttpPeer>) {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.peers.len();
        (index, Box::new(self.peers[index].clone()))
    }

    /// The `Host` value for endpoint `index`.
    pub fn host(&self, index: usize) -> &HeaderValue {
        &self.hosts[index]
    }

    /// The base URL of endpoint `index`, for logs.
    pub fn label(&self, index: usize) -> &str {
        &self.labels[index]
    }
}

/// Parses a PEM bundle into the per-peer trust store, refusing anything unusable.
fn trust_store(system: &str, pem: &[u8]) -> Result<Arc<[WrappedX509]>, PeerError> {
    let fail = |message: String| PeerError {
        field: "tls.ca_file",
        system: system.to_owned(),
        message,
    };
    let mut certificates = Vec::new();
    for (index, item) in CertificateDer::pem_slice_iter(pem).enumerate() {
        let der =
            item.map_err(|error| fail(format!("PEM block {index} is unreadable: {error}")))?;
        // The store check parses the certificate, so a malformed one is refused here rather than
        // failing every connection later.
        RootCertStore::empty().add(der.clone()).map_err(|error| {
            fail(format!(
                "certificate {index} is not usable as a CA: {error}"
            ))
        })?;
        certificates.push(WrappedX509::new(der.to_vec(), parse_x509));
    }
    if certificates.is_empty() {
        return Err(fail("the file holds no PEM certificate".into()));
    }
    Ok(certificates.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_pem_blocks_that_are_not_certificates() {
        let junk =
            b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
        let error = trust_store("erp", junk).unwrap_err().to_string();
        assert!(
            error.starts_with("systems.erp.tls.ca_file: certificate 0"),
            "{error}"
        );

        let broken = b"-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n";
        let error = trust_store("erp", broken).unwrap_err().to_string();
        assert!(
            error.contains("unreadable") || error.contains("not usable"),
            "{error}"
        );

        let error = trust_store("erp", b"nothing here").unwrap_err().to_string();
        assert!(
            error.ends_with("the file holds no PEM certificate"),
            "{error}"
        );
    }
}
