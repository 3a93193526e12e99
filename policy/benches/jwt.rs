//! Bearer-token verification cost for HS256, RS256 and ES256: uncached (signature check and
//! claim checks on every call) and cached (SHA-256 of the token and a cache lookup).

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use canongate_policy::auth::{
    self, Algorithm, AuthConfig, Authenticator, IssuerConfig, KeyConfig, SigningKey,
};
use criterion::{Criterion, criterion_group, criterion_main};
use indexmap::IndexMap;
use serde_json::json;

const NOW: u64 = 1_700_000_000;

/// An authenticator trusting `key` under kid `k1`, with a token cache of `capacity` entries.
fn authenticator(key: &SigningKey, capacity: usize) -> Authenticator {
    let issuer = IssuerConfig {
        issuer: "https://idp.example".into(),
        audiences: vec!["canongate".into()],
        require_iss: true,
        require_aud: None,
        require_nbf: false,
        leeway: Duration::from_secs(30),
        consumer_claim: Default::default(),
        keys: vec![KeyConfig {
            kid: Some("k1".into()),
            algorithm: key.algorithm(),
            pem: key.public_pem(),
            pem_file: None,
            jwk: None,
            secret_base64: key.secret_base64(),
        }],
        jwks: None,
    };
    let auth = AuthConfig {
        token_cache_capacity: capacity,
        ..AuthConfig::default()
    };
    let issuers = IndexMap::from([("idp".to_owned(), issuer)]);
    auth::compile(&auth, &issuers, Path::new("."), &mut |at, message| {
        panic!("{at}: {message}")
    })
}

fn bench_verify(c: &mut Criterion) {
    let claims = json!({
        "iss": "https://idp.example",
        "aud": "canongate",
        "sub": "shop-storefront",
        "client_id": "shop-storefront",
        "exp": NOW + 3600,
        "iat": NOW,
        "jti": "5b0f8a54-3d1e-4c0b-9d55-0b8e6f3f2a71",
        "scope": "orders:read orders:write inventory:read",
    });
    let mut group = c.benchmark_group("jwt_verify");
    for algorithm in [Algorithm::HS256, Algorithm::RS256, Algorithm::ES256] {
        let key = SigningKey::generate(algorithm).expect("key generation");
        let token = key.sign(Some("k1"), &claims).expect("signing");
        let uncached = authenticator(&key, 0);
        let cached = authenticator(&key, 100_000);
        assert!(uncached.verify_bearer(&token, NOW).is_ok());
        assert!(cached.verify_bearer(&token, NOW).is_ok());
        group.bench_function(format!("{algorithm}/uncached"), |b| {
            b.iter(|| uncached.verify_bearer(black_box(&token), black_box(NOW)))
        });
        group.bench_function(format!("{algorithm}/cached"), |b| {
            b.iter(|| cached.verify_bearer(black_box(&token), black_box(NOW)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
