//! The data plane's running state: a compiled snapshot plus its prepared peers, swapped whole.
//!
//! [`load`] reads a gateway document, compiles it and prepares its peers; any failure leaves the
//! caller's current runtime untouched. [`SharedRuntime`] is read once per request (one atomic
//! load) and replaced atomically on reload, so in-flight requests finish on the runtime they
//! started with.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use canongate_policy::config::{self, ConfigError};
use canongate_policy::{CompileError, Snapshot};

use crate::upstream::{PeerError, SystemPeers};

/// A snapshot ready to serve.
pub struct Runtime {
    /// The compiled document.
    pub snapshot: Snapshot,
    /// Peers per system, indexed like `snapshot.systems`.
    pub peers: Vec<SystemPeers>,
    /// Files the runtime was built from (the document and its contracts), for change watching.
    pub sources: Vec<PathBuf>,
}

/// The runtime every worker reads, replaced atomically on reload.
pub type SharedRuntime = Arc<ArcSwap<Runtime>>;

/// Why a document could not become a runtime.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Unreadable or ill-shaped document.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The document's meaning is wrong (each problem is listed).
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// TLS material could not be used.
    #[error("{origin}: {source}")]
    Peers {
        /// The document.
        origin: String,
        /// The failure.
        source: PeerError,
    },
}

impl Runtime {
    /// Prepares the peers of a compiled snapshot.
    pub fn new(snapshot: Snapshot) -> Result<Self, PeerError> {
        let peers = snapshot
            .systems
            .iter()
            .map(SystemPeers::build)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            snapshot,
            peers,
            sources: Vec::new(),
        })
    }

    /// Total idle connections the systems ask to keep: the capacity of the shared pool.
    pub fn keepalive_pool_size(&self) -> usize {
        self.snapshot.systems.iter().fold(0usize, |total, system| {
            total.saturating_add(system.keepalive.pool_size)
        })
    }
}

/// Reads, compiles and prepares the document at `path`.
pub fn load(path: &Path) -> Result<Runtime, LoadError> {
    let document = config::load_file(path)?;
    let snapshot = Snapshot::compile(&document)?;
    let mut runtime = Runtime::new(snapshot).map_err(|source| LoadError::Peers {
        origin: document.origin.clone(),
        source,
    })?;
    runtime.sources.push(path.to_path_buf());
    runtime
        .sources
        .extend(document.apis.values().flat_map(|api| {
            api.versions
                .iter()
                .map(|version| document.base_dir.join(&version.contract))
        }));
    Ok(runtime)
}
