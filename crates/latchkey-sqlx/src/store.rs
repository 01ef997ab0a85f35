//! The storage traits over a sqlx pool, written once and stamped out for each backend by
//! [`impl_storage!`]: the statements in [`crate::sql`] are dialect-neutral and the rows in
//! [`crate::codec`] decode from either driver, so only the pool type differs — except for
//! the steps of a code exchange, which each backend writes itself (`read_client`,
//! `read_client_shared`, `client_changed`, `consume`, `write_grant`, `write_rotation`): PostgreSQL batches concurrent calls into
//! one statement ([`crate::pg_batch`]), SQLite runs them one by one. Every
//! at-most-once step is one conditional write; the follow-up `SELECT`s run only after that
//! write matched nothing, to say *why* (replayed, expired, unknown). Multi-row writes
//! (`insert_grant`, rotation, bulk revocation) run in a transaction whose first statement
//! is a write, so SQLite takes its writer lock up front and never has to upgrade a read.

/// Implements every `latchkey_engine::store` trait for `$store`, a struct with a
/// `pool: sqlx::Pool<DB>` field whose connections are `$conn`. The expansion site must
/// import `SecretDigest`, `StoreError`, `OffsetDateTime`, `codec`, `sql` and `map_err`.
macro_rules! impl_storage {
    ($store:ty, $conn:ty) => {
        #[async_trait::async_trait]
        impl latchkey_engine::store::ClientStore for $store {
            async fn get_client(
                &self,
                id: &latchkey_engine::types::ClientId,
            ) -> Result<Option<latchkey_engine::store::Client>, StoreError> {
                self.read_client(id).await
            }

            async fn get_client_shared(
                &self,
                id: &latchkey_engine::types::ClientId,
            ) -> Result<Option<std::sync::Arc<latchkey_engine::store::Client>>, StoreError> {
                self.read_client_shared(id).await
            }
        }

        #[async_trait::async_trait]
        impl latchkey_engine::store::InteractionStore for $store {
            async fn put_interaction(
                &self,
                id: &SecretDigest,
                r: &latchkey_engine::store::InteractionRecord,
            ) -> Result<(), StoreError> {
                let (method, challenge) = codec::challenge_cols(r.code_challenge.as_ref());
                sqlx::query(sql::PUT_INTERACTION)
                    .bind(id.as_bytes().as_slice())
                    .bind(r.client_id.as_str())
                    .bind(r.redirect_uri.as_str())
                    .bind(r.redirect_uri_sent)
                    .bind(codec::scope_text(&r.scope))
                    .bind(r.state.as_ref().map(|s| s.as_str()))
                    .bind(method)
                    .bind(challenge)
                    .bind(r.nonce.as_ref().map(|n| n.as_str()))
                    .bind(codec::secs(r.created_at))
                    .bind(codec::secs(r.expires_at))
                    .execute(&self.pool)
                    .await
                    .map_err(map_err("put_interaction"))?;
                Ok(())
            }

            async fn get_interaction(
                &self,
                id: &SecretDigest,
                now: OffsetDateTime,
            ) -> Result<Option<latchkey_engine::store::InteractionRecord>, StoreError> {
                self.interaction(sql::GET_INTERACTION, id, now, "get_interaction")
                    .await
            }

            async fn take_interaction(
                &self,
                id: &SecretDigest,
                now: OffsetDateTime,
            ) -> Result<Option<latchkey_engine::store::InteractionRecord>, StoreError> {
                self.interaction(sql::TAKE_INTERACTION, id, now, "take_interaction")
                    .await
            }
        }

        impl $store {
            /// Registers a client, or replaces the registration with the same id. Redirect
            /// URIs, grant types and scope are kept as space-joined text, the secret as its
            /// SHA-256 digest.
            pub async fn put_client(
                &self,
                client: &latchkey_engine::store::Client,
            ) -> Result<(), StoreError> {
                let (uris, grant_types, secret) = codec::client_cols(client)?;
                let done = sqlx::query(sql::PUT_CLIENT)
                    .bind(client.id.as_str())
                    .bind(client.name.as_str())
                    .bind(secret)
                    .bind(uris)
                    .bind(grant_types)
                    .bind(codec::scope_text(&client.scope))
                    .execute(&self.pool)
                    .await;
                self.client_changed(client.id.as_str());
                done.map_err(map_err("put_client"))?;
                Ok(())
            }

            /// Removes a client registration; answers whether there was one. Its grants
            /// stay until revoked (see `revoke_client_grants`).
            pub async fn remove_client(
                &self,
                id: &latchkey_engine::types::ClientId,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(sql::DELETE_CLIENT)
                    .bind(id.as_str())
                    .execute(&self.pool)
                    .await;
                self.client_changed(id.as_str());
                let done = done.map_err(map_err("remove_client"))?;
                Ok(done.rows_affected() > 0)
            }

            async fn interaction(
                &self,
                statement: &'static str,
                id: &SecretDigest,
                now: OffsetDateTime,
                op: &'static str,
            ) -> Result<Option<latchkey_engine::store::InteractionRecord>, StoreError> {
                sqlx::query_as::<_, crate::codec::InteractionRow>(statement)
                    .bind(id.as_bytes().as_slice())
                    .bind(codec::secs(now))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err(op))?
                    .map(crate::codec::InteractionRow::into_record)
                    .transpose()
            }
        }

        #[async_trait::async_trait]
        impl latchkey_engine::store::CodeStore for $store {
            async fn insert_code(
                &self,
                c: &latchkey_engine::store::CodeRecord,
            ) -> Result<(), StoreError> {
                let (auth_time, acr, amr) = codec::auth_cols(&c.grant);
                let (method, challenge) = codec::challenge_cols(c.code_challenge.as_ref());
                sqlx::query(sql::INSERT_CODE)
                    .bind(c.digest.as_bytes().as_slice())
                    .bind(c.grant.id.as_bytes().as_slice())
                    .bind(c.grant.client_id.as_str())
                    .bind(c.grant.subject.as_ref().map(|s| s.as_str()))
                    .bind(codec::scope_text(&c.grant.scope))
                    .bind(auth_time)
                    .bind(acr)
                    .bind(amr)
                    .bind(codec::secs(c.grant.created_at))
                    .bind(codec::opt_secs(c.grant.refresh_expires_at))
                    .bind(c.redirect_uri.as_str())
                    .bind(c.redirect_uri_sent)
                    .bind(method)
                    .bind(challenge)
                    .bind(c.nonce.as_ref().map(|n| n.as_str()))
                    .bind(codec::secs(c.issued_at))
                    .bind(codec::secs(c.expires_at))
                    .execute(&self.pool)
                    .await
                    .map_err(map_err("insert_code"))?;
                Ok(())
            }

            async fn consume_code(
                &self,
                digest: &SecretDigest,
                now: OffsetDateTime,
            ) -> Result<latchkey_engine::store::ConsumeOutcome, StoreError> {
                self.consume(digest, codec::secs(now)).await
            }
        }

        #[async_trait::async_trait]
        impl latchkey_engine::store::Maintenance for $store {
            async fn purge_expired(
                &self,
                now: OffsetDateTime,
                code_replay_window: time::Duration,
            ) -> Result<latchkey_engine::store::PurgeReport, StoreError> {
                let now = codec::secs(now);
                let code_cutoff = now.saturating_sub(code_replay_window.whole_seconds());
                let run = |statement: &'static str, at: i64| async move {
                    sqlx::query(statement)
                        .bind(at)
                        .execute(&self.pool)
                        .await
                        .map(|done| done.rows_affected())
                        .map_err(map_err("purge_expired"))
                };
                let interactions = run(sql::PURGE_INTERACTIONS, now).await?;
                let codes = run(sql::PURGE_CODES, code_cutoff).await?;
                let tokens =
                    run(sql::PURGE_ACCESS, now).await? + run(sql::PURGE_REFRESH, now).await?;
                sqlx::query(sql::PURGE_GRANTS)
                    .execute(&self.pool)
                    .await
                    .map_err(map_err("purge_expired"))?;
                Ok(latchkey_engine::store::PurgeReport {
                    codes,
                    interactions,
                    tokens,
                })
            }
        }

        crate::tokens::impl_token_store!($store, $conn);
    };
}

pub(crate) use impl_storage;
