//! The keys tokens are verified with, each pinned to one algorithm: HS256 secrets (two during
//! a rotation), a PEM public key, and JWKS documents, inline or fetched from a URL. A JWKS URL
//! is fetched at cold start and again when a token names a `kid` not in the cache, at most
//! once per refresh interval, so that a flood of made-up `kid`s cannot hammer the issuer.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_rustls::ConfigBuilderExt;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};

/// A verification key and the one algorithm it verifies.
#[derive(Clone)]
pub struct Key {
    /// The `kid` it is published under (JWKS keys); `None` matches any token.
    pub kid: Option<String>,
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

/// The keys of a JWKS document that this service accepts: RSA keys for RS256 and P-256 keys
/// for ES256, each with the algorithm it declares (or its type implies). Others are skipped.
pub fn keys_of(jwks: &JwkSet) -> Vec<Key> {
    jwks.keys
        .iter()
        .filter_map(|jwk| {
            let implied = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
                    Algorithm::ES256
                }
                _ => return None,
            };
            let declared = match jwk.common.key_algorithm {
                None => implied,
                Some(KeyAlgorithm::RS256) => Algorithm::RS256,
                Some(KeyAlgorithm::ES256) => Algorithm::ES256,
                Some(_) => return None,
            };
            if declared != implied {
                return None;
            }
            Some(Key {
                kid: jwk.common.key_id.clone(),
                algorithm: declared,
                key: DecodingKey::from_jwk(jwk).ok()?,
            })
        })
        .collect()
}

type HttpClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// A JWKS document fetched from a URL and cached.
pub struct RemoteJwks {
    url: String,
    client: HttpClient,
    keys: RwLock<Vec<Key>>,
    last_fetch: Mutex<Option<Instant>>,
    refresh_interval: Duration,
    /// A cache older than this is fetched again on the next token, so that a key the issuer
    /// removed (revoked, compromised) stops verifying.
    max_age: Duration,
}

const FETCH_TIMEOUT: Duration = Duration::from_secs(2);

impl RemoteJwks {
    pub fn new(url: String, refresh_interval: Duration, max_age: Duration) -> Arc<Self> {
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_native_roots()
        .unwrap_or_else(|_| {
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(rustls::RootCertStore::empty())
        })
        .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        Arc::new(Self {
            url,
            client: Client::builder(TokioExecutor::new()).build(connector),
            keys: RwLock::new(Vec::new()),
            last_fetch: Mutex::new(None),
            refresh_interval,
            max_age,
        })
    }

    /// The cached keys.
    pub fn cached(&self) -> Vec<Key> {
        self.keys
            .read()
            .map(|keys| keys.clone())
            .unwrap_or_default()
    }

    /// Fetches the document again if the cache is older than its maximum age.
    pub async fn refresh_if_old(&self) {
        let old = self
            .last_fetch
            .lock()
            .map(|last| last.is_some_and(|at| at.elapsed() > self.max_age))
            .unwrap_or(false);
        if old {
            self.refresh().await;
        }
    }

    /// Fetches the document again unless it was fetched within the refresh interval; `true`
    /// if the cache changed.
    pub async fn refresh(&self) -> bool {
        {
            let mut last = self.last_fetch.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|at| at.elapsed() < self.refresh_interval) {
                return false;
            }
            *last = Some(Instant::now());
        }
        match tokio::time::timeout(FETCH_TIMEOUT, self.fetch()).await {
            Ok(Ok(keys)) => {
                tracing::info!(keys = keys.len(), "JWKS fetched");
                if let Ok(mut cached) = self.keys.write() {
                    *cached = keys;
                }
                true
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "JWKS fetch failed");
                false
            }
            Err(_) => {
                tracing::warn!("JWKS fetch timed out");
                false
            }
        }
    }

    async fn fetch(&self) -> Result<Vec<Key>, String> {
        let uri: hyper::Uri = self.url.parse().map_err(|e| format!("bad JWKS URL: {e}"))?;
        let response = self.client.get(uri).await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("JWKS URL answered {}", response.status()));
        }
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let jwks: JwkSet = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        Ok(keys_of(&jwks))
    }
}
