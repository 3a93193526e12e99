//! The data plane's running state: a compiled snapshot plus its prepared peers and JWKS fetcher,
//! swapped whole.
//!
//! [`load`] reads a gateway document, compiles it (reusing the running runtime's token cache,
//! JWKS keys and limiter state when their settings are unchanged) and prepares its peers; any
//! failure leaves the caller's current runtime untouched. [`SharedRuntime`] is read once per
//! request (one atomic load) and replaced atomically on reload, so in-flight requests finish on
//! the runtime they started with.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use canongate_policy::config::{self, ConfigError};
use canongate_policy::snapshot::CompileContext;
use canongate_policy::throttle::ThrottleClock;
use canongate_policy::{CompileError, Snapshot};

use crate::jwks::JwksFetcher;
use crate::upstream::{PeerError, SystemPeers};

/// A snapshot ready to serve.
pub struct Runtime {
    /// The compiled document.
    pub snapshot: Snapshot,
    /// Peers per system, indexed like `snapshot.systems`.
    pub peers: Vec<SystemPeers>,
    /// Files the runtime was built from (the document and its contract files; inline contracts
    /// have none), for change watching.
    pub sources: Vec<PathBuf>,
    /// Keeps the issuers' JWKS fresh; shared with the previous runtime when the issuers did not
    /// change.
    pub jwks: Arc<JwksFetcher>,
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
    /// The JWKS fetcher could not start.
    #[error("cannot start the JWKS fetcher: {0}")]
    Jwks(std::io::Error),
}

impl Runtime {
    /// Total idle connections the systems ask to keep: the capacity of the shared pool.
    pub fn keepalive_pool_size(&self) -> usize {
        self.snapshot.systems.iter().fold(0usize, |total, system| {
            total.saturating_add(system.keepalive.pool_size)
        })
    }
}

/// A document compiled and its peers prepared, not yet serving.
pub struct Checked {
    /// The compiled document.
    pub snapshot: Snapshot,
    /// Peers per system.
    pub peers: Vec<SystemPeers>,
    /// The document and its contract files (inline contracts have none).
    pub sources: Vec<PathBuf>,
}

/// Reads, compiles and prepares the document at `path` without starting anything (what
/// `config check` runs); `previous` is the snapshot it would replace.
pub fn check(
    path: &Path,
    clock: &ThrottleClock,
    previous: Option<&Snapshot>,
) -> Result<Checked, LoadError> {
    let document = config::load_file(path)?;
    let context = CompileContext {
        clock: Some(clock.clone()),
        previous,
    };
    let snapshot = Snapshot::compile_with(&document, &context)?;
    let peers = snapshot
        .systems
        .iter()
        .map(SystemPeers::build)
        .collect::<Result<_, _>>()
        .map_err(|source| LoadError::Peers {
            origin: document.origin.clone(),
            source,
        })?;
    let mut sources = vec![path.to_path_buf()];
    sources.extend(document.apis.values().flat_map(|api| {
        api.versions
            .iter()
            .filter_map(|version| version.contract.file())
            .map(|file| document.base_dir.join(file))
    }));
    Ok(Checked {
        snapshot,
        peers,
        sources,
    })
}

/// Checks the document at `path` and makes it a runtime, starting its JWKS fetcher (or sharing
/// the one of `previous`, the runtime it replaces, when the issuers did not change).
pub fn load(
    path: &Path,
    clock: &ThrottleClock,
    previous: Option<&Runtime>,
) -> Result<Runtime, LoadError> {
    let Checked {
        snapshot,
        peers,
        sources,
    } = check(path, clock, previous.map(|runtime| &runtime.snapshot))?;
    let jwks = match previous {
        Some(previous) if Arc::ptr_eq(&previous.snapshot.auth, &snapshot.auth) => {
            previous.jwks.clone()
        }
        _ => Arc::new(JwksFetcher::spawn(&snapshot.auth).map_err(LoadError::Jwks)?),
    };
    Ok(Runtime {
        snapshot,
        peers,
        sources,
        jwks,
    })
}
