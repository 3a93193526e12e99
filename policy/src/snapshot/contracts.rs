//! Contracts as compilation needs them — major, version and each operation's route and
//! security — loaded once per distinct text and kept from one snapshot to the next.
//!
//! A reload of a large document (a control plane's thousand APIs, one of them changed) would
//! otherwise parse and normalize every contract again. Entries are keyed by the SHA-256 of the
//! contract's bytes, so a changed contract is always loaded afresh; only successful loads are
//! kept, so a broken contract reports its problems at every compilation.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use canongate_contracts::{Contract, Method, SecurityRequirement};

use crate::config::ContractSource;

/// One operation of a loaded contract.
#[derive(Debug)]
pub(crate) struct RoutedOperation {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) operation_id: String,
    pub(crate) security: Option<Vec<SecurityRequirement>>,
}

/// What compilation uses of a contract.
#[derive(Debug)]
pub(crate) struct Routed {
    pub(crate) major: u64,
    pub(crate) version: String,
    pub(crate) operations: Vec<RoutedOperation>,
}

impl From<Contract> for Routed {
    fn from(contract: Contract) -> Self {
        Routed {
            major: contract.major,
            version: contract.version,
            operations: contract
                .operations
                .into_iter()
                .map(|operation| RoutedOperation {
                    method: operation.method,
                    path: operation.path,
                    operation_id: operation.operation_id,
                    security: operation.security,
                })
                .collect(),
        }
    }
}

/// SHA-256 of a contract's bytes.
type Digest = [u8; 32];

/// The contracts of one snapshot, by digest; the next compilation starts from them.
#[derive(Debug, Clone, Default)]
pub struct ContractCache(Arc<HashMap<Digest, Arc<Routed>>>);

/// Loads the contracts of one compilation, reusing the previous snapshot's.
pub(crate) struct Loader<'a> {
    previous: Option<&'a ContractCache>,
    loaded: HashMap<Digest, Arc<Routed>>,
}

impl<'a> Loader<'a> {
    pub(crate) fn new(previous: Option<&'a ContractCache>) -> Self {
        Self {
            previous,
            loaded: HashMap::new(),
        }
    }

    /// The contract of `source` (named `name` in messages) and its digest, or its problems.
    pub(crate) fn load(
        &mut self,
        base_dir: &Path,
        source: &ContractSource,
        name: &str,
    ) -> Result<(Arc<Routed>, Digest), Vec<String>> {
        let problems = |error: canongate_contracts::LoadError| -> Vec<String> {
            error.problems.iter().map(ToString::to_string).collect()
        };
        let file_bytes;
        let bytes = match source {
            ContractSource::File(file) => {
                let path = base_dir.join(file);
                file_bytes = match std::fs::read(&path) {
                    Ok(bytes) => bytes,
                    // The loader words the failure, with the file's name.
                    Err(_) => {
                        return Err(canongate_contracts::load_file(&path)
                            .err()
                            .map(problems)
                            .unwrap_or_default());
                    }
                };
                file_bytes.as_slice()
            }
            ContractSource::Inline { text, .. } => text.as_bytes(),
        };
        let digest = crate::auth::sha256_of(bytes);
        let known = self
            .loaded
            .get(&digest)
            .or_else(|| self.previous.and_then(|cache| cache.0.get(&digest)));
        let routed = match known {
            Some(routed) => routed.clone(),
            None => Arc::new(Routed::from(
                canongate_contracts::load_bytes(name, bytes).map_err(problems)?,
            )),
        };
        self.loaded.insert(digest, routed.clone());
        Ok((routed, digest))
    }

    /// The contracts this compilation used, for the next one.
    pub(crate) fn finish(self) -> ContractCache {
        ContractCache(Arc::new(self.loaded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTRACT: &str = "openapi: 3.0.3\ninfo: {title: t, version: 2.1.0}\nx-canongate: {domain: d, owner-team: t, system-of-record: s}\npaths:\n  /items:\n    get:\n      operationId: listItems\n      security: []\n      responses:\n        '200': {description: ok}\n";

    fn inline(text: &str) -> ContractSource {
        ContractSource::Inline {
            origin: "t@2.1.0".into(),
            text: text.into(),
        }
    }

    #[test]
    fn an_unchanged_contract_is_reused_by_the_next_compilation() {
        let mut first = Loader::new(None);
        let (loaded, digest) = first.load(Path::new(""), &inline(CONTRACT), "t").unwrap();
        assert_eq!((loaded.major, loaded.operations.len()), (2, 1));
        let cache = first.finish();
        let mut second = Loader::new(Some(&cache));
        let (reused, same) = second.load(Path::new(""), &inline(CONTRACT), "t").unwrap();
        assert!(Arc::ptr_eq(&loaded, &reused));
        assert_eq!(digest, same);
        let changed = CONTRACT.replace("2.1.0", "2.2.0");
        let (fresh, _) = second.load(Path::new(""), &inline(&changed), "t").unwrap();
        assert_eq!(fresh.version, "2.2.0");
        assert_eq!(second.finish().0.len(), 2);
    }

    #[test]
    fn broken_contracts_are_reported_every_time() {
        let mut loader = Loader::new(None);
        for _ in 0..2 {
            let problems = loader
                .load(Path::new(""), &inline("openapi: 3.1.0\n"), "broken")
                .unwrap_err();
            assert!(problems[0].starts_with("broken"), "{problems:?}");
        }
        assert!(loader.finish().0.is_empty());
        let missing = Loader::new(None)
            .load(
                Path::new("/nowhere"),
                &ContractSource::File("x.yaml".into()),
                "x.yaml",
            )
            .unwrap_err();
        assert!(missing[0].contains("x.yaml"), "{missing:?}");
    }
}
