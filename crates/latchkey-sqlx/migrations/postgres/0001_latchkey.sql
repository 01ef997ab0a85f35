-- latchkey storage schema (PostgreSQL). Digests are 32-byte SHA-256 BYTEAs, grant ids
-- 16-byte BYTEA values, times unix seconds, scopes space-joined text.

CREATE TABLE IF NOT EXISTS lk_clients (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    secret_sha256   BYTEA,
    redirect_uris   TEXT NOT NULL,
    grant_types     TEXT NOT NULL,
    scope           TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS lk_interactions (
    id                      BYTEA PRIMARY KEY NOT NULL,
    client_id               TEXT NOT NULL,
    redirect_uri            TEXT NOT NULL,
    redirect_uri_sent       BOOLEAN NOT NULL,
    scope                   TEXT NOT NULL,
    state                   TEXT,
    code_challenge_method   TEXT,
    code_challenge          TEXT,
    nonce                   TEXT,
    created_at              BIGINT NOT NULL,
    expires_at              BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS lk_interactions_expires ON lk_interactions (expires_at);

CREATE TABLE IF NOT EXISTS lk_codes (
    digest                  BYTEA PRIMARY KEY NOT NULL,
    grant_id                BYTEA NOT NULL,
    client_id               TEXT NOT NULL,
    subject                 TEXT,
    scope                   TEXT NOT NULL,
    auth_time               BIGINT,
    acr                     TEXT,
    amr                     TEXT,
    grant_created_at        BIGINT NOT NULL,
    refresh_expires_at      BIGINT,
    redirect_uri            TEXT NOT NULL,
    redirect_uri_sent       BOOLEAN NOT NULL,
    code_challenge_method   TEXT,
    code_challenge          TEXT,
    nonce                   TEXT,
    issued_at               BIGINT NOT NULL,
    expires_at              BIGINT NOT NULL,
    consumed_at             BIGINT
);
CREATE INDEX IF NOT EXISTS lk_codes_client ON lk_codes (client_id);
CREATE INDEX IF NOT EXISTS lk_codes_subject ON lk_codes (subject);
CREATE INDEX IF NOT EXISTS lk_codes_expires ON lk_codes (expires_at);

CREATE TABLE IF NOT EXISTS lk_grants (
    id                  BYTEA PRIMARY KEY NOT NULL,
    client_id           TEXT NOT NULL,
    subject             TEXT,
    scope               TEXT NOT NULL,
    auth_time           BIGINT,
    acr                 TEXT,
    amr                 TEXT,
    created_at          BIGINT NOT NULL,
    refresh_expires_at  BIGINT
);
CREATE INDEX IF NOT EXISTS lk_grants_client ON lk_grants (client_id);
CREATE INDEX IF NOT EXISTS lk_grants_subject ON lk_grants (subject);

-- A revocation outlives the grant row and may precede it (a code replay racing the
-- first redemption), so it has its own table.
CREATE TABLE IF NOT EXISTS lk_revoked_grants (
    grant_id    BYTEA PRIMARY KEY NOT NULL
);

CREATE TABLE IF NOT EXISTS lk_access_tokens (
    digest      BYTEA PRIMARY KEY NOT NULL,
    grant_id    BYTEA NOT NULL,
    scope       TEXT NOT NULL,
    issued_at   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS lk_access_tokens_grant ON lk_access_tokens (grant_id);
CREATE INDEX IF NOT EXISTS lk_access_tokens_expires ON lk_access_tokens (expires_at);

CREATE TABLE IF NOT EXISTS lk_refresh_tokens (
    digest      BYTEA PRIMARY KEY NOT NULL,
    grant_id    BYTEA NOT NULL,
    issued_at   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX IF NOT EXISTS lk_refresh_tokens_grant ON lk_refresh_tokens (grant_id);
CREATE INDEX IF NOT EXISTS lk_refresh_tokens_expires ON lk_refresh_tokens (expires_at);
