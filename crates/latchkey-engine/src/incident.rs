//! Incident response: revoke at once everything a compromised client holds, or every
//! grant a subject gave (a stolen account, a closed account). Each emits an audit event.

use latchkey_types::ClientId;

use crate::engine::Engine;
use crate::error::Error;
use crate::events::Event;
use crate::grant::Subject;

impl Engine {
    /// Revokes every grant of `client_id` — all its access and refresh tokens — and its
    /// unredeemed authorization codes. Answers how many grants were revoked. To keep the
    /// client out for good, also remove or disable it in your client store.
    pub async fn revoke_client(&self, client_id: &ClientId) -> Result<u64, Error> {
        let grants = self.inner.store.revoke_client_grants(client_id).await?;
        self.emit(|| Event::ClientRevoked {
            client_id: client_id.clone(),
            grants,
        });
        Ok(grants)
    }

    /// Revokes every grant `subject` gave, and their unredeemed authorization codes.
    pub async fn revoke_subject(&self, subject: &Subject) -> Result<u64, Error> {
        let grants = self.inner.store.revoke_subject_grants(subject).await?;
        self.emit(|| Event::SubjectRevoked {
            subject: subject.clone(),
            grants,
        });
        Ok(grants)
    }
}
