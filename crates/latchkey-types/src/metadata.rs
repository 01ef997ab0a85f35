//! Authorization server metadata (RFC 8414 §2).
//!
//! [`AuthorizationServerMetadata`] is the JSON document published at
//! `/.well-known/oauth-authorization-server`. It is plain data: the engine
//! fills it from its configuration, and this crate only fixes the field
//! names and the JSON shape. [`AuthorizationServerMetadata::new`] gives the
//! values an OAuth 2.1 server built on latchkey supports by default.

use serde::{Deserialize, Serialize};

/// Authorization server metadata (RFC 8414 §2, RFC 9207 §3).
///
/// Serializes with absent optional fields omitted. Lists missing from a
/// deserialized document are empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationServerMetadata {
    /// The issuer identifier: an `https` URL without query or fragment.
    pub issuer: String,
    /// URL of the authorization endpoint.
    pub authorization_endpoint: String,
    /// URL of the token endpoint.
    pub token_endpoint: String,
    /// URL of the revocation endpoint (RFC 7009), if offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// URL of the introspection endpoint (RFC 7662), if offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    /// URL of the JSON Web Key Set, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// Scopes the server advertises, if it chooses to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    /// Supported `response_type` values: `["code"]`.
    #[serde(default)]
    pub response_types_supported: Vec<String>,
    /// Supported `response_mode` values: `["query"]`.
    #[serde(default)]
    pub response_modes_supported: Vec<String>,
    /// Supported `grant_type` values.
    #[serde(default)]
    pub grant_types_supported: Vec<String>,
    /// Client authentication methods at the token endpoint.
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// Client authentication methods at the revocation endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// Client authentication methods at the introspection endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// Supported PKCE methods (RFC 7636): `["S256"]`.
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    /// Whether authorization responses carry `iss` (RFC 9207 §3).
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

impl AuthorizationServerMetadata {
    /// Metadata with the three required URLs and latchkey's defaults:
    /// response type `code`, response mode `query`, grant types
    /// `authorization_code` and `refresh_token`, token endpoint
    /// authentication `client_secret_basic`, `client_secret_post` and
    /// `none`, PKCE method `S256`, and `iss` in authorization responses.
    /// Optional endpoints are left unset.
    pub fn new(
        issuer: impl Into<String>,
        authorization_endpoint: impl Into<String>,
        token_endpoint: impl Into<String>,
    ) -> Self {
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        Self {
            issuer: issuer.into(),
            authorization_endpoint: authorization_endpoint.into(),
            token_endpoint: token_endpoint.into(),
            revocation_endpoint: None,
            introspection_endpoint: None,
            jwks_uri: None,
            scopes_supported: None,
            response_types_supported: strings(&["code"]),
            response_modes_supported: strings(&["query"]),
            grant_types_supported: strings(&["authorization_code", "refresh_token"]),
            token_endpoint_auth_methods_supported: strings(&[
                "client_secret_basic",
                "client_secret_post",
                "none",
            ]),
            revocation_endpoint_auth_methods_supported: None,
            introspection_endpoint_auth_methods_supported: None,
            code_challenge_methods_supported: strings(&["S256"]),
            authorization_response_iss_parameter_supported: true,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample() -> AuthorizationServerMetadata {
        AuthorizationServerMetadata::new(
            "https://as.example",
            "https://as.example/authorize",
            "https://as.example/token",
        )
    }

    #[test]
    fn defaults_are_oauth_2_1_code_flow() {
        let m = sample();
        assert_eq!(m.response_types_supported, ["code"]);
        assert_eq!(m.response_modes_supported, ["query"]);
        assert_eq!(m.code_challenge_methods_supported, ["S256"]);
        assert!(m.authorization_response_iss_parameter_supported);
    }

    #[test]
    fn serialization_skips_absent_optional_fields_rfc8414_2() {
        let v: serde_json::Value = serde_json::to_value(sample()).unwrap();
        let obj = v.as_object().unwrap();
        assert_eq!(obj["issuer"], "https://as.example");
        assert_eq!(obj["response_types_supported"], serde_json::json!(["code"]));
        for absent in [
            "revocation_endpoint",
            "introspection_endpoint",
            "jwks_uri",
            "scopes_supported",
        ] {
            assert!(!obj.contains_key(absent), "{absent}");
        }
    }

    #[test]
    fn metadata_round_trips() {
        let mut m = sample();
        m.revocation_endpoint = Some("https://as.example/revoke".into());
        m.revocation_endpoint_auth_methods_supported = Some(vec!["client_secret_basic".into()]);
        m.scopes_supported = Some(vec!["read".into()]);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            serde_json::from_str::<AuthorizationServerMetadata>(&json).unwrap(),
            m
        );
    }

    #[test]
    fn missing_lists_deserialize_as_empty() {
        let json = r#"{"issuer":"i","authorization_endpoint":"a","token_endpoint":"t"}"#;
        let m: AuthorizationServerMetadata = serde_json::from_str(json).unwrap();
        assert!(m.grant_types_supported.is_empty());
        assert!(!m.authorization_response_iss_parameter_supported);
    }
}
