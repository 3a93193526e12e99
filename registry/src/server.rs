//! Starting the control plane: compile the admin issuer, open the store (minting the bootstrap
//! token at the first start), bind the admin API and serve it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use tokio::sync::watch;

use crate::api::{self, App, Limits};
use crate::auth::{self, Gatekeeper};
use crate::config::ControlPlaneConfig;
use crate::governance::Rules;
use crate::store::Store;

/// The admin API's OpenAPI document.
pub const OPENAPI_YAML: &str = include_str!("../openapi.yaml");

/// Key of the bootstrap token's digest in the store.
const BOOTSTRAP_KEY: &str = "bootstrap_token_sha256";

/// What the control plane needs to start.
#[derive(Debug, Clone)]
pub struct Options {
    /// Directory of the store.
    pub data: PathBuf,
    /// The settings.
    pub config: ControlPlaneConfig,
}

/// A control plane ready to serve.
pub struct Prepared {
    /// The shared state.
    pub app: api::Shared,
    /// The bootstrap admin token, when it was minted by this start (show it once).
    pub bootstrap_token: Option<String>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared").finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (index, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Opens the store and prepares the API state.
pub fn prepare(options: &Options) -> anyhow::Result<Prepared> {
    // Settings first: a start refused for them must not have minted (and lost) the bootstrap
    // token, which is shown only once.
    let issuer = options.config.admin_authenticator()?;
    let store = Store::open(&options.data)?;
    let minted = auth::mint_bootstrap_token();
    let bootstrap_token = store
        .init_meta(BOOTSTRAP_KEY, &hex(&auth::digest(&minted)))
        .map_err(|error| anyhow::anyhow!("{}", error.detail))?
        .then_some(minted);
    let digest = store
        .meta(BOOTSTRAP_KEY)
        .map_err(|error| anyhow::anyhow!("{}", error.detail))?
        .as_deref()
        .and_then(unhex)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: the stored bootstrap token digest is corrupt",
                store.path().display()
            )
        })?;
    let routes = store.dry_run(|tx| {
        crate::document::check(tx, crate::document::Scope::Routes).map(|problems| {
            for problem in problems {
                tracing::warn!(field = %problem.field, message = %problem.message, "the stored routes do not compile");
            }
        })
    });
    if let Err(error) = routes {
        tracing::warn!(detail = %error.detail, "cannot compile the stored routes at start");
    }
    let revision = store
        .revision()
        .map_err(|error| anyhow::anyhow!("{}", error.detail))?;
    let openapi: serde_json::Value = serde_norway::from_str(OPENAPI_YAML)?;
    let limits = &options.config.limits;
    let app = Arc::new(App {
        store,
        gatekeeper: Gatekeeper::new(digest, issuer),
        rules: Rules {
            min_notice_days: options.config.lifecycle.min_sunset_notice_days,
        },
        limits: Limits {
            max_body_bytes: limits.max_body_bytes,
            request_timeout: limits.request_timeout,
            max_wait: limits.max_wait,
        },
        revision: watch::Sender::new(revision),
        snapshot: Mutex::new(None),
        building: tokio::sync::Mutex::new(()),
        gateways: Mutex::new(Default::default()),
        openapi: Bytes::from(serde_json::to_vec(&openapi)?),
    });
    Ok(Prepared {
        app,
        bootstrap_token,
    })
}

/// Serves the admin API on `listener` until the future resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: api::Shared,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    tokio::spawn(api::prebuild(app.clone()));
    let service = api::router(app).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}
