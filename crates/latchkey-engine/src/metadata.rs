//! Authorization server metadata (RFC 8414) and the JWKS document: what a client or
//! resource server reads to discover the endpoints, the one PKCE method (S256), the
//! supported grant types and authentication methods, and that responses carry `iss`.

use latchkey_types::AuthorizationServerMetadata;

use crate::engine::{AccessTokenFormat, Engine};
use crate::response::{self, HttpResponse};

/// Path of the metadata document below the issuer (RFC 8414 §3).
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
/// Path of the authorization endpoint below the endpoint base.
pub const AUTHORIZE_PATH: &str = "/authorize";
/// Path of the token endpoint below the endpoint base.
pub const TOKEN_PATH: &str = "/token";
/// Path of the revocation endpoint below the endpoint base.
pub const REVOKE_PATH: &str = "/revoke";
/// Path of the introspection endpoint below the endpoint base.
pub const INTROSPECT_PATH: &str = "/introspect";
/// Path of the JWKS document below the endpoint base.
pub const JWKS_PATH: &str = "/jwks.json";

impl Engine {
    /// The metadata document.
    pub fn metadata(&self) -> AuthorizationServerMetadata {
        let auth_methods = vec![
            "client_secret_basic".to_owned(),
            "client_secret_post".to_owned(),
            "none".to_owned(),
        ];
        let mut scopes: Vec<String> = self
            .inner
            .policy
            .scope_rules()
            .iter()
            .map(|r| r.name.clone())
            .collect();
        scopes.sort();
        AuthorizationServerMetadata {
            issuer: self.inner.issuer.clone(),
            authorization_endpoint: self.endpoint(AUTHORIZE_PATH),
            token_endpoint: self.endpoint(TOKEN_PATH),
            revocation_endpoint: Some(self.endpoint(REVOKE_PATH)),
            introspection_endpoint: Some(self.endpoint(INTROSPECT_PATH)),
            jwks_uri: matches!(self.inner.format, AccessTokenFormat::Jwt(_))
                .then(|| self.endpoint(JWKS_PATH)),
            scopes_supported: (!scopes.is_empty()).then_some(scopes),
            response_types_supported: vec!["code".to_owned()],
            response_modes_supported: vec!["query".to_owned()],
            grant_types_supported: vec![
                "authorization_code".to_owned(),
                "refresh_token".to_owned(),
                "client_credentials".to_owned(),
            ],
            token_endpoint_auth_methods_supported: auth_methods.clone(),
            revocation_endpoint_auth_methods_supported: Some(auth_methods),
            introspection_endpoint_auth_methods_supported: Some(vec![
                "client_secret_basic".to_owned(),
                "client_secret_post".to_owned(),
            ]),
            code_challenge_methods_supported: vec!["S256".to_owned()],
            authorization_response_iss_parameter_supported: true,
        }
    }

    /// The metadata document as a response.
    pub fn metadata_response(&self) -> HttpResponse {
        response::public_json(&self.metadata())
    }

    /// The JWKS document as a response; `None` when access tokens are opaque.
    pub fn jwks_response(&self) -> Option<HttpResponse> {
        match &self.inner.format {
            AccessTokenFormat::Jwt(keys) => Some(response::public_json(&keys.jwks())),
            AccessTokenFormat::Opaque => None,
        }
    }
}
