//! Sign-in: signed bearer tokens (EdDSA JWTs with Entra's claims), the Entra-compatible
//! client-credentials token endpoint, OpenID discovery, the JWKS, and the cloud metadata
//! document `az cloud register` reads. Every ARM call passes [`authenticate`].
//!
//! Tokens carry `tid`, `oid`, `exp`, `nbf`, `iat`, `aud`, `iss` (and `appid` for service
//! principals); a token lives at most 24 hours. There is no other kind of API key.

use std::collections::HashMap;
use std::sync::RwLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use leitstand_core::ErrorCode;
use leitstand_store::{Principal, Store};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::ApiError;
use crate::keys::LocalKey;
use crate::AppState;

/// The longest a token may live.
pub const MAX_TOKEN_TTL: Duration = Duration::hours(24);
/// The lifetime of tokens from the token endpoint.
pub const ENDPOINT_TOKEN_TTL: Duration = Duration::hours(1);
/// The audience every server accepts besides its own URLs (tokens the CLI issues carry it).
pub const GENERIC_AUDIENCE: &str = "api://leitstand";

/// The claims of a Leitstand access token, named as Entra names them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub tid: String,
    pub oid: String,
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    #[serde(default)]
    pub idtyp: String,
    #[serde(default)]
    pub ver: String,
    #[serde(default)]
    pub uti: String,
}

/// Issues a signed token for a principal.
pub fn issue_token(
    key: &LocalKey,
    issuer: &str,
    audience: &str,
    principal: &Principal,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let ttl = ttl.min(MAX_TOKEN_TTL);
    let claims = Claims {
        aud: audience.to_owned(),
        iss: issuer.to_owned(),
        iat: now.timestamp(),
        nbf: now.timestamp() - 60,
        exp: (now + ttl).timestamp(),
        tid: principal.tenant_id.clone(),
        oid: principal.id.clone(),
        sub: principal.id.clone(),
        appid: principal.app_id.clone(),
        idtyp: if principal.app_id.is_some() {
            "app".into()
        } else {
            "user".into()
        },
        ver: "2.0".into(),
        uti: uuid::Uuid::new_v4().simple().to_string(),
    };
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.kid.clone());
    let encoding = EncodingKey::from_ed_pem(key.pem.as_bytes())
        .map_err(|e| ApiError::internal("load the token key", &e))?;
    jsonwebtoken::encode(&header, &claims, &encoding)
        .map_err(|e| ApiError::internal("sign a token", &e))
}

/// Public token-verification keys, by key id, fetched from the store on first use; tokens
/// whose signature was verified, so a token's Ed25519 check runs once, not per request; and
/// principals as of a tenant version.
#[derive(Default)]
pub struct KeyCache {
    keys: RwLock<HashMap<String, DecodingKey>>,
    verified: RwLock<HashMap<String, Claims>>,
    principals: RwLock<HashMap<(String, String), (i64, Principal)>>,
}

/// Most verified tokens kept; the cache starts over when full.
const MAX_VERIFIED_TOKENS: usize = 100_000;

impl KeyCache {
    async fn get(&self, store: &Store, kid: &str) -> Result<Option<DecodingKey>, ApiError> {
        if let Some(key) = self.keys.read().ok().and_then(|k| k.get(kid).cloned()) {
            return Ok(Some(key));
        }
        let Some(row) = store.public_key(kid).await? else {
            return Ok(None);
        };
        if row.purpose != "token" {
            return Ok(None);
        }
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&row.public_key);
        let key = DecodingKey::from_ed_components(&x)
            .map_err(|e| ApiError::internal("load a token key", &e))?;
        if let Ok(mut keys) = self.keys.write() {
            keys.insert(kid.to_owned(), key.clone());
        }
        Ok(Some(key))
    }

    fn verified(&self, token: &str) -> Option<Claims> {
        self.verified
            .read()
            .ok()
            .and_then(|v| v.get(token).cloned())
    }

    fn remember(&self, token: &str, claims: &Claims) {
        if let Ok(mut verified) = self.verified.write() {
            if verified.len() >= MAX_VERIFIED_TOKENS {
                verified.clear();
            }
            verified.insert(token.to_owned(), claims.clone());
        }
    }

    /// Returns the principal as of tenant `version`, from the cache or the store. Every
    /// change to a principal is a tenant write, which bumps the version.
    async fn principal(
        &self,
        store: &Store,
        version: i64,
        tenant: &str,
        oid: &str,
    ) -> Result<Option<Principal>, ApiError> {
        let key = (tenant.to_owned(), oid.to_owned());
        if let Some((v, p)) = self
            .principals
            .read()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            if v == version {
                return Ok(Some(p));
            }
        }
        let principal = store.get_principal(tenant, oid).await?;
        if let (Some(p), Ok(mut map)) = (&principal, self.principals.write()) {
            if map.len() >= MAX_VERIFIED_TOKENS {
                map.clear();
            }
            map.insert(key, (version, p.clone()));
        }
        Ok(principal)
    }
}

fn unauthorized(code: ErrorCode, message: &str) -> ApiError {
    ApiError::new(code, message)
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: String,
    /// The caller's tenant hierarchy, current as of this request.
    pub snapshot: std::sync::Arc<leitstand_store::Snapshot>,
    pub principal: Principal,
    pub claims: Claims,
}

fn normalize_audience(aud: &str) -> String {
    aud.trim_end_matches('/').to_ascii_lowercase()
}

/// Checks the bearer token of a request and returns its caller.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            unauthorized(
                ErrorCode::AuthenticationFailed,
                "authentication failed: the `Authorization` header is missing",
            )
        })?;
    let header = header.to_str().map_err(|_| {
        unauthorized(
            ErrorCode::InvalidAuthenticationToken,
            "the `Authorization` header is not valid text",
        )
    })?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(|| {
            unauthorized(
                ErrorCode::InvalidAuthenticationToken,
                "the `Authorization` header must be `Bearer <token>`",
            )
        })?
        .trim();
    let claims = verify_token(state, token).await?;
    let snapshot = match state.store.snapshot(&claims.tid).await {
        Ok(snapshot) => snapshot,
        Err(leitstand_store::StoreError::TenantNotFound(_)) => {
            return Err(unauthorized(
                ErrorCode::InvalidAuthenticationTokenTenant,
                "the token's tenant does not exist",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let principal = state
        .token_keys
        .principal(&state.store, snapshot.version, &claims.tid, &claims.oid)
        .await?
        .ok_or_else(|| {
            unauthorized(
                ErrorCode::InvalidAuthenticationToken,
                "the token's principal does not exist (any more)",
            )
        })?;
    Ok(Caller {
        tenant: claims.tid.clone(),
        principal,
        claims,
        snapshot,
    })
}

/// Verifies a token's signature, time window and audience.
pub async fn verify_token(state: &AppState, token: &str) -> Result<Claims, ApiError> {
    let claims = match state.token_keys.verified(token) {
        Some(claims) => claims,
        None => {
            let claims = verify_signature(state, token).await?;
            state.token_keys.remember(token, &claims);
            claims
        }
    };
    check_claims(state, claims)
}

async fn verify_signature(state: &AppState, token: &str) -> Result<Claims, ApiError> {
    let bad = |what: &str| {
        unauthorized(
            ErrorCode::InvalidAuthenticationToken,
            &format!("the access token is invalid: {what}"),
        )
    };
    let header =
        jsonwebtoken::decode_header(token).map_err(|_| bad("it is not a well-formed JWT"))?;
    if header.alg != Algorithm::EdDSA {
        return Err(bad("its signing algorithm is not EdDSA"));
    }
    let kid = header
        .kid
        .ok_or_else(|| bad("it names no signing key (`kid`)"))?;
    let key = state
        .token_keys
        .get(&state.store, &kid)
        .await?
        .ok_or_else(|| bad("it is signed by an unknown key"))?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(token, &key, &validation)
        .map_err(|_| bad("its signature does not verify"))?;
    Ok(data.claims)
}

/// Checks a verified token's time window and audience (on every request).
fn check_claims(state: &AppState, claims: Claims) -> Result<Claims, ApiError> {
    let bad = |what: &str| {
        unauthorized(
            ErrorCode::InvalidAuthenticationToken,
            &format!("the access token is invalid: {what}"),
        )
    };
    let now = state.clock.now().timestamp();
    if claims.exp <= now {
        return Err(unauthorized(
            ErrorCode::ExpiredAuthenticationToken,
            "the access token has expired; get a new one",
        ));
    }
    if claims.nbf > now + 60 {
        return Err(bad("it is not valid yet (`nbf` is in the future)"));
    }
    let aud = normalize_audience(&claims.aud);
    if !state
        .config
        .audiences
        .iter()
        .any(|a| normalize_audience(a) == aud)
    {
        return Err(unauthorized(
            ErrorCode::InvalidAuthenticationToken,
            &format!(
                "the access token has audience `{}`, which this server does not accept",
                claims.aud
            ),
        ));
    }
    Ok(claims)
}

/// Hashes a service-principal secret with argon2.
pub fn hash_secret(secret: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal("hash a secret", &e))
}

/// Makes a new random client secret (40 characters, 240 bits).
pub fn new_secret() -> String {
    let bytes: [u8; 30] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| state.config.listen.clone());
    format!(
        "{}://{}",
        if state.config.tls { "https" } else { "http" },
        host
    )
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description, "error_codes": [] })),
    )
        .into_response()
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub async fn openid_configuration(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    let base = base_url(&state, &headers);
    Json(json!({
        "issuer": format!("{base}/{tenant}/v2.0"),
        "authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{base}/{tenant}/oauth2/v2.0/token"),
        "jwks_uri": format!("{base}/{tenant}/discovery/v2.0/keys"),
        "response_types_supported": ["code", "id_token", "code id_token", "token id_token", "token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "grant_types_supported": ["client_credentials"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "appid"],
        "tenant_region_scope": null,
        "cloud_instance_name": "leitstand",
    }))
    .into_response()
}

/// `GET /{tenant}/discovery/v2.0/keys`: the public token-signing keys as a JWKS.
pub async fn jwks(State(state): State<AppState>) -> Result<Response, ApiError> {
    let keys = state.store.public_keys("token").await?;
    let keys: Vec<serde_json::Value> = keys
        .iter()
        .map(|k| {
            json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "use": "sig",
                "alg": "EdDSA",
                "kid": k.kid,
                "x": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&k.public_key),
            })
        })
        .collect();
    Ok(Json(json!({ "keys": keys })).into_response())
}

/// The form of a token request.
#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

/// `POST /{tenant}/oauth2/v2.0/token`: the client-credentials flow.
pub async fn token(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form: TokenRequest = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the request body must be form-encoded",
            )
        }
    };
    if form.grant_type.as_deref() != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only grant_type=client_credentials is supported",
        );
    }
    let (Some(client_id), Some(secret)) = (form.client_id, form.client_secret) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id and client_secret are required",
        );
    };
    let Some(scope) = form.scope else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "scope is required, e.g. `https://host:port/.default`",
        );
    };
    let base = base_url(&state, &headers);
    let resource = scope
        .split_whitespace()
        .find_map(|s| s.strip_suffix("/.default"))
        .map(|r| r.trim_end_matches('/').to_owned());
    let Some(resource) = resource else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "the scope must name this server's resource with `/.default`",
        );
    };
    let audience = if normalize_audience(&resource) == normalize_audience(&base)
        || state
            .config
            .audiences
            .iter()
            .any(|a| normalize_audience(a) == normalize_audience(&resource))
    {
        format!("{resource}/")
    } else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("the resource `{resource}` is not this server; ask for `{base}/.default`"),
        );
    };
    match check_client(&state, &tenant, &client_id, &secret).await {
        Ok(Some(principal)) => {
            let newest = state.config.data_dir.as_deref().and_then(|dir| match crate::keys::newest(dir, crate::keys::KeyPurpose::Token) {
                Ok(key) => key,
                Err(e) => {
                    tracing::warn!(error = %e, "failed to read the token keys; using the key loaded at start");
                    None
                }
            });
            let Some(key) = newest.as_ref().or(state.token_key.as_deref()) else {
                return oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "this server has no token key");
            };
            let issuer = format!("{base}/{tenant}/v2.0");
            match issue_token(key, &issuer, &audience, &principal, ENDPOINT_TOKEN_TTL, state.clock.now()) {
                Ok(token) => Json(json!({
                    "token_type": "Bearer",
                    "expires_in": ENDPOINT_TOKEN_TTL.num_seconds() - 1,
                    "ext_expires_in": ENDPOINT_TOKEN_TTL.num_seconds() - 1,
                    "access_token": token,
                }))
                .into_response(),
                Err(e) => e.into_response(),
            }
        }
        Ok(None) => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "AADSTS7000215: invalid client secret provided, or the client, tenant or secret is unknown or expired",
        ),
        Err(e) => e.into_response(),
    }
}

async fn check_client(
    state: &AppState,
    tenant: &str,
    client_id: &str,
    secret: &str,
) -> Result<Option<Principal>, ApiError> {
    let Some(principal) = state.store.principal_by_app_id(client_id).await? else {
        return Ok(None);
    };
    if !principal.tenant_id.eq_ignore_ascii_case(tenant) {
        return Ok(None);
    }
    let now = leitstand_store::format_time(state.clock.now());
    let hashes: Vec<String> = state
        .store
        .secrets_of(&principal.id)
        .await?
        .into_iter()
        .filter(|s| s.expires_at > now)
        .map(|s| s.secret_hash)
        .collect();
    let secret = secret.to_owned();
    let ok = tokio::task::spawn_blocking(move || {
        hashes.iter().any(|h| {
            PasswordHash::new(h).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(secret.as_bytes(), &parsed)
                    .is_ok()
            })
        })
    })
    .await
    .map_err(|e| ApiError::internal("verify a client secret", &e))?;
    Ok(ok.then_some(principal))
}

/// `GET /metadata/endpoints`: the cloud metadata `az cloud register` reads.
pub async fn metadata_endpoints(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = base_url(&state, &headers);
    Json(json!({
        "name": "Leitstand",
        "portal": format!("{base}/"),
        "resourceManager": format!("{base}/"),
        "authentication": {
            "loginEndpoint": format!("{base}/"),
            "audiences": [format!("{base}/"), GENERIC_AUDIENCE],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "microsoftGraphResourceId": format!("{base}/"),
        "graphAudience": format!("{base}/"),
        "activeDirectoryDataLake": null,
        "suffixes": {},
    }))
    .into_response()
}
