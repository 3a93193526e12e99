//! Running the control plane (`canongate control-plane`) on a free port with its own data
//! directory and an admin issuer whose key the test holds (inline, or published at a JWKS
//! endpoint), so tests mint admin tokens for any role (or expired ones); killing it with SIGKILL and restarting it on the same data; and
//! gateways that follow it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use canongate_policy::auth::{Algorithm, SigningKey};
use reqwest::Method;
use reqwest::blocking::Response;
use serde_json::{Value, json};

use crate::gateway::{Gateway, anonymous_client, binary, capture};
use crate::{free_address, tokens, wait_for};

/// `iss` of the test admin issuer.
pub const ADMIN_ISSUER: &str = "https://admin.test.invalid/";
/// `aud` of admin tokens.
pub const ADMIN_AUDIENCE: &str = "canongate-admin";
const ADMIN_KID: &str = "admin-1";

/// A control plane process; killed on drop.
pub struct ControlPlane {
    child: Option<Child>,
    /// The admin API's address.
    pub address: SocketAddr,
    /// The store's directory.
    pub data: PathBuf,
    /// The bootstrap admin token printed at the first start.
    pub bootstrap: String,
    settings: PathBuf,
    key: SigningKey,
    logs: Arc<Mutex<String>>,
    stdout: Arc<Mutex<String>>,
    dir: tempfile::TempDir,
}

impl ControlPlane {
    /// A control plane on a fresh data directory, once it answers `/healthz`.
    pub fn start() -> Self {
        Self::start_seeded(|_| ())
    }

    /// A control plane on a data directory `seed` fills first (given its path), once it answers
    /// `/healthz`.
    pub fn start_seeded(seed: impl FnOnce(&Path)) -> Self {
        let key = SigningKey::generate(Algorithm::ES256).expect("admin key");
        let issuer = json!({
            "issuer": ADMIN_ISSUER,
            "audiences": [ADMIN_AUDIENCE],
            "keys": [{"kid": ADMIN_KID, "algorithm": "ES256", "jwk": key.jwk(Some(ADMIN_KID))}],
        });
        Self::start_with(seed, key, issuer)
    }

    /// A control plane whose admin issuer publishes its keys at `jwks_url` only (ES256; an
    /// unknown `kid` refetches them at most once a second); `key` signs the tokens of
    /// [`Self::token`] under the `kid` `admin-1`.
    pub fn start_with_admin_jwks(key: SigningKey, jwks_url: &str) -> Self {
        let issuer = json!({
            "issuer": ADMIN_ISSUER,
            "audiences": [ADMIN_AUDIENCE],
            "jwks": {
                "url": jwks_url,
                "algorithms": ["ES256"],
                "refresh_interval": "1h",
                "min_refresh_interval": "1s",
                "timeout": "1s",
            },
        });
        Self::start_with(|_| (), key, issuer)
    }

    fn start_with(seed: impl FnOnce(&Path), key: SigningKey, admin_issuer: Value) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        seed(&dir.path().join("registry"));
        let settings = dir.path().join("control-plane.yaml");
        let document = json!({
            "admin_issuer": admin_issuer,
            "lifecycle": {"min_sunset_notice_days": 90},
            "limits": {"max_body_bytes": 1_048_576, "max_wait": "30s"},
        });
        std::fs::write(&settings, document.to_string()).expect("write settings");
        let mut control_plane = ControlPlane {
            child: None,
            address: free_address(),
            data: dir.path().join("registry"),
            bootstrap: String::new(),
            settings,
            key,
            logs: Arc::default(),
            stdout: Arc::default(),
            dir,
        };
        control_plane.spawn();
        let prefix = "bootstrap admin token (shown once; only its SHA-256 is stored): ";
        control_plane.bootstrap = wait_for(
            "the bootstrap token on standard output",
            Duration::from_secs(10),
            || {
                let stdout = control_plane.stdout.lock().unwrap().clone();
                stdout
                    .lines()
                    .find_map(|line| line.strip_prefix(prefix))
                    .map(str::to_owned)
            },
        );
        control_plane
    }

    /// A directory the test may use, removed with the control plane.
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    fn spawn(&mut self) {
        let mut child = Command::new(binary())
            .arg("control-plane")
            .arg("--data")
            .arg(&self.data)
            .arg("--config")
            .arg(&self.settings)
            .args(["--listen", &self.address.to_string()])
            .env("CANONGATE_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the control plane");
        self.stdout = capture(child.stdout.take().expect("stdout"));
        self.logs = capture(child.stderr.take().expect("stderr"));
        self.child = Some(child);
        let url = format!("http://{}/healthz", self.address);
        wait_for(
            "the control plane to answer",
            Duration::from_secs(20),
            || {
                if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                    panic!("the control plane exited with {status}:\n{}", self.logs());
                }
                anonymous_client()
                    .get(&url)
                    .send()
                    .ok()
                    .filter(|response| response.status() == 200)
                    .map(|_| ())
            },
        );
    }

    /// Kills the process with SIGKILL (no chance to flush anything) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same data directory and address.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Everything it logged since its last start.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// The base URL (`http://127.0.0.1:port`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// An admin JWT for `subject` holding `roles`, valid for ten minutes.
    pub fn token_as(&self, subject: &str, roles: &[&str]) -> String {
        let claims = tokens::claims(ADMIN_ISSUER, ADMIN_AUDIENCE, subject, &roles.join(" "));
        tokens::sign(&self.key, Some(ADMIN_KID), &claims)
    }

    /// An admin JWT for `tester` holding `roles`.
    pub fn token(&self, roles: &[&str]) -> String {
        self.token_as("tester", roles)
    }

    /// An admin JWT for `tester` holding `roles`, signed by `key` under `kid` (a key the admin
    /// issuer may or may not publish).
    pub fn token_signed_by(key: &SigningKey, kid: &str, roles: &[&str]) -> String {
        let claims = tokens::claims(ADMIN_ISSUER, ADMIN_AUDIENCE, "tester", &roles.join(" "));
        tokens::sign(key, Some(kid), &claims)
    }

    /// An admin JWT holding `roles` that expired an hour ago.
    pub fn expired_token(&self, roles: &[&str]) -> String {
        let claims = tokens::claims(ADMIN_ISSUER, ADMIN_AUDIENCE, "tester", &roles.join(" "));
        let past = tokens::unix_now() - 3600;
        let claims = tokens::with_claim(&claims, "exp", json!(past));
        tokens::sign(&self.key, Some(ADMIN_KID), &claims)
    }

    /// Sends `method` `/api/v1{path}` with `token` (if any) and a JSON `body` (if any).
    pub fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut request =
            anonymous_client().request(method, format!("{}/api/v1{path}", self.base_url()));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().expect("the control plane answers")
    }

    /// Sends as the bootstrap admin and expects a 2xx; returns the JSON body (`null` for none).
    pub fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Value {
        let response = self.send(method.clone(), path, Some(&self.bootstrap), body);
        let status = response.status();
        let text = response.text().expect("body");
        assert!(status.is_success(), "{method} {path}: {status}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Registers a team, a system at `base_url`, a domain and an API named `api` whose contracts
    /// say `x-canongate: {domain: api, owner-team: team-of-api, system-of-record: sys}`.
    pub fn register_api(&self, api: &str, base_url: &str) {
        let team = format!("team-{api}");
        self.admin(
            Method::POST,
            "/teams",
            Some(&json!({"name": team, "spec": {"display_name": team}})),
        );
        self.admin(
            Method::POST,
            "/systems",
            Some(&json!({"name": format!("sys-{api}"), "spec": {"connection": {"base_urls": [base_url]}}})),
        );
        self.admin(
            Method::POST,
            "/domains",
            Some(&json!({"name": api, "spec": {"owner_team": team, "system_of_record": format!("sys-{api}")}})),
        );
        self.admin(
            Method::POST,
            "/apis",
            Some(&json!({"name": api, "spec": {"domain": api, "owner_team": team}})),
        );
    }

    /// Publishes `contract` as a version of `api`, served by `sys-{api}` under `/{api}`.
    pub fn publish(&self, api: &str, contract: &str) -> Value {
        let body = json!({
            "contract": contract,
            "backend": {"system": format!("sys-{api}"), "path_prefix": format!("/{api}")},
            "publish": true,
        });
        self.admin(Method::POST, &format!("/apis/{api}/versions"), Some(&body))
    }

    /// A gateway following this control plane with a `gateway` token, keeping its state in
    /// `state_dir`.
    pub fn gateway(&self, state_dir: &Path) -> Gateway {
        following_gateway(&self.base_url(), &self.token(&["gateway"]), state_dir)
    }
}

/// A gateway following the control plane at `url` with `token`, keeping its state in
/// `state_dir`, once ready.
pub fn following_gateway(url: &str, token: &str, state_dir: &Path) -> Gateway {
    let dir = tempfile::tempdir().expect("temp dir");
    let (proxy, ops) = (free_address(), free_address());
    let mut command = Command::new(binary());
    command
        .arg("gateway")
        .args(["--control-plane", url, "--token", token])
        .arg("--state-dir")
        .arg(state_dir)
        .args([
            "--listen",
            &proxy.to_string(),
            "--ops-listen",
            &ops.to_string(),
            "--threads",
            "1",
            "--gateway-id",
            "test-gateway",
        ]);
    Gateway::launch(
        command,
        proxy,
        ops,
        state_dir.join("last-known-good.json"),
        dir,
    )
}

/// A small contract for `api` at `version`: `GET /items` (scope `{api}:read`), `GET
/// /items/{id}`, and, when `with_create`, `POST /items`.
pub fn contract(api: &str, version: &str, with_create: bool) -> String {
    let create = if with_create {
        format!(
            "    post:\n      operationId: createItem\n      summary: Create an item\n      description: Creates an item.\n      tags: [items]\n      security: [{{bearer: [\"{api}:write\"]}}]\n      requestBody:\n        required: true\n        content:\n          application/json:\n            schema: {{type: object}}\n      responses:\n        '201':\n          description: created\n          content:\n            application/json:\n              schema: {{type: object}}\n        default:\n          $ref: '#/components/responses/Problem'\n"
        )
    } else {
        String::new()
    };
    format!(
        "openapi: 3.0.3\ninfo:\n  title: {api} API\n  version: {version}\n  description: Items of {api}.\n  contact: {{name: team-{api}}}\nservers: [{{url: /{api}}}]\ntags: [{{name: items, description: Items}}]\nx-canongate: {{domain: {api}, owner-team: team-{api}, system-of-record: sys-{api}}}\npaths:\n  /items:\n    get:\n      operationId: listItems\n      summary: List items\n      description: Lists items.\n      tags: [items]\n      security: []\n      parameters:\n        - {{name: limit, in: query, schema: {{type: integer}}}}\n        - {{name: cursor, in: query, schema: {{type: string}}}}\n      responses:\n        '200':\n          description: the items\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n                  items: {{type: array, items: {{type: object}}}}\n                  next_cursor: {{type: string, nullable: true}}\n        default:\n          $ref: '#/components/responses/Problem'\n{create}  /items/{{id}}:\n    get:\n      operationId: getItem\n      summary: Get an item\n      description: Gets an item.\n      tags: [items]\n      security: []\n      parameters:\n        - {{name: id, in: path, required: true, schema: {{type: string}}}}\n      responses:\n        '200':\n          description: the item\n          content:\n            application/json:\n              schema: {{type: object}}\n        default:\n          $ref: '#/components/responses/Problem'\ncomponents:\n  securitySchemes:\n    bearer: {{type: http, scheme: bearer}}\n  responses:\n    Problem:\n      description: a problem\n      content:\n        application/problem+json:\n          schema: {{type: object}}\n"
    )
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        self.kill();
    }
}
