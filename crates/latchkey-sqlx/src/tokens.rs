//! `TokenStore` over a sqlx pool: grants with their tokens, rotation and revocation.
//! Storing a grant with its tokens and rotating a refresh token are written per backend
//! (`write_grant`, `write_rotation` in the backend modules: one statement on PostgreSQL, one
//! transaction on SQLite), both opened by the conditional write that refuses a revoked grant
//! or picks the single winning rotation; so are the token lookups (`read_access`,
//! `read_refresh`: batched with concurrent lookups on PostgreSQL). Bulk revocations record
//! every matching grant in `lk_revoked_grants` and drop the unredeemed codes in one
//! transaction.

/// Implements `TokenStore` for `$store` (see [`crate::store::impl_storage!`]).
macro_rules! impl_token_store {
    ($store:ty, $conn:ty) => {
        impl $store {
            async fn insert_access_in(
                conn: &mut $conn,
                a: &latchkey_engine::store::AccessTokenRecord,
                op: &'static str,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(sql::INSERT_ACCESS)
                    .bind(a.digest.as_bytes().as_slice())
                    .bind(a.grant_id.as_bytes().as_slice())
                    .bind(codec::scope_text(&a.scope))
                    .bind(codec::secs(a.issued_at))
                    .bind(codec::secs(a.expires_at))
                    .execute(conn)
                    .await
                    .map_err(map_err(op))?;
                Ok(done.rows_affected() == 1)
            }

            /// What an unsuccessful rotation met: a replay of a used, live token (with its
            /// grant id), or nothing usable ([`sql::REFRESH_STATUS`]).
            async fn rotation_refused(
                &self,
                presented: &SecretDigest,
                now: i64,
            ) -> Result<latchkey_engine::store::RotateOutcome, StoreError> {
                use latchkey_engine::store::RotateOutcome;
                let used: Option<(Vec<u8>,)> = sqlx::query_as(sql::REFRESH_STATUS)
                    .bind(presented.as_bytes().as_slice())
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err("rotate_refresh_token"))?;
                match used {
                    Some((grant_id,)) => {
                        Ok(RotateOutcome::Replayed(codec::grant_id_of(&grant_id)?))
                    }
                    None => Ok(RotateOutcome::Unknown),
                }
            }

            /// One bulk revocation, in one transaction. Order matters under `READ
            /// COMMITTED`: first drop the unredeemed codes (a code consumed before this
            /// is kept and seen as consumed by the next step), then revoke the grant ids of
            /// consumed codes whose grant is not stored yet (redemptions in flight), then
            /// the stored grants (catching any in-flight grant committed meanwhile).
            async fn revoke_matching(
                &self,
                statements: [&'static str; 3],
                key: &str,
                op: &'static str,
            ) -> Result<u64, StoreError> {
                // A bulk revocation locks many code rows, and so may a batched redemption,
                // each in its own order: the database may break the deadlock by aborting
                // this transaction, which then rolls back whole and is simply run again.
                let mut attempts = 1;
                loop {
                    match self.revoke_matching_once(statements, key).await {
                        Err(err)
                            if attempts < crate::error::CONFLICT_ATTEMPTS
                                && crate::error::is_conflict(&err) =>
                        {
                            attempts += 1;
                        }
                        done => return done.map_err(map_err(op)),
                    }
                }
            }

            async fn revoke_matching_once(
                &self,
                statements: [&'static str; 3],
                key: &str,
            ) -> Result<u64, sqlx::Error> {
                let [drop_codes, in_flight, revoke] = statements;
                let mut tx = self.pool.begin().await?;
                for statement in [drop_codes, in_flight] {
                    sqlx::query(statement).bind(key).execute(&mut *tx).await?;
                }
                let revoked = sqlx::query(revoke)
                    .bind(key)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                Ok(revoked)
            }
        }

        #[async_trait::async_trait]
        impl latchkey_engine::store::TokenStore for $store {
            async fn insert_grant(
                &self,
                g: &latchkey_engine::Grant,
                access: &latchkey_engine::store::AccessTokenRecord,
                refresh: Option<&latchkey_engine::store::RefreshTokenRecord>,
            ) -> Result<(), StoreError> {
                self.write_grant(g, access, refresh).await
            }

            async fn get_access_token(
                &self,
                digest: &SecretDigest,
                now: OffsetDateTime,
            ) -> Result<
                Option<(
                    latchkey_engine::store::AccessTokenRecord,
                    latchkey_engine::Grant,
                )>,
                StoreError,
            > {
                self.read_access(digest, codec::secs(now)).await
            }

            async fn get_refresh_token(
                &self,
                digest: &SecretDigest,
                now: OffsetDateTime,
            ) -> Result<
                Option<(
                    latchkey_engine::store::RefreshTokenRecord,
                    latchkey_engine::Grant,
                )>,
                StoreError,
            > {
                self.read_refresh(digest, codec::secs(now)).await
            }

            async fn rotate_refresh_token(
                &self,
                presented: &SecretDigest,
                next_refresh: &latchkey_engine::store::RefreshTokenRecord,
                next_access: &latchkey_engine::store::AccessTokenRecord,
                now: OffsetDateTime,
            ) -> Result<latchkey_engine::store::RotateOutcome, StoreError> {
                self.write_rotation(presented, next_refresh, next_access, codec::secs(now))
                    .await
            }

            async fn insert_access_token(
                &self,
                access: &latchkey_engine::store::AccessTokenRecord,
            ) -> Result<(), StoreError> {
                const OP: &str = "insert_access_token";
                let mut conn = self.pool.acquire().await.map_err(map_err(OP))?;
                if Self::insert_access_in(&mut conn, access, OP).await? {
                    Ok(())
                } else {
                    Err(StoreError::GrantRevoked)
                }
            }

            async fn revoke_access_token(&self, digest: &SecretDigest) -> Result<bool, StoreError> {
                let done = sqlx::query(sql::REVOKE_ACCESS)
                    .bind(digest.as_bytes().as_slice())
                    .execute(&self.pool)
                    .await
                    .map_err(map_err("revoke_access_token"))?;
                Ok(done.rows_affected() > 0)
            }

            async fn revoke_grant(
                &self,
                grant_id: &latchkey_engine::GrantId,
            ) -> Result<(), StoreError> {
                sqlx::query(sql::REVOKE_GRANT)
                    .bind(grant_id.as_bytes().as_slice())
                    .execute(&self.pool)
                    .await
                    .map_err(map_err("revoke_grant"))?;
                Ok(())
            }

            async fn revoke_client_grants(
                &self,
                client_id: &latchkey_engine::types::ClientId,
            ) -> Result<u64, StoreError> {
                self.revoke_matching(
                    [
                        sql::DROP_CLIENT_CODES,
                        sql::REVOKE_CLIENT_IN_FLIGHT,
                        sql::REVOKE_CLIENT_GRANTS,
                    ],
                    client_id.as_str(),
                    "revoke_client_grants",
                )
                .await
            }

            async fn revoke_subject_grants(
                &self,
                subject: &latchkey_engine::Subject,
            ) -> Result<u64, StoreError> {
                self.revoke_matching(
                    [
                        sql::DROP_SUBJECT_CODES,
                        sql::REVOKE_SUBJECT_IN_FLIGHT,
                        sql::REVOKE_SUBJECT_GRANTS,
                    ],
                    subject.as_str(),
                    "revoke_subject_grants",
                )
                .await
            }
        }
    };
}

pub(crate) use impl_token_store;
