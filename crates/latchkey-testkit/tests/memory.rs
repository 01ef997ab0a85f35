//! The in-memory reference store passes the conformance kit.

use std::sync::Arc;

use latchkey_engine::store::{Client, ClientSecretVerifier, Storage};
use latchkey_engine::types::{ClientId, GrantType, RedirectUri, Scope};
use latchkey_engine::MemoryStore;

#[allow(clippy::unwrap_used)]
fn client() -> Client {
    Client {
        id: ClientId::new("kit-seeded").unwrap(),
        name: "Seeded client".to_owned(),
        secret: Some(ClientSecretVerifier::for_secret("s3cret")),
        redirect_uris: vec![RedirectUri::parse("https://app.example/cb").unwrap()],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scope: Scope::parse("openid profile").unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_store_passes_the_kit() {
    let store = MemoryStore::new();
    let seeded = client();
    store.put_client(seeded.clone());
    latchkey_testkit::run_conformance(Arc::new(store), Some(&seeded)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_kit_runs_twice_against_one_store_and_through_dyn() {
    let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
    latchkey_testkit::run_conformance(Arc::clone(&store), None).await;
    latchkey_testkit::run_conformance(store, None).await;
}

#[tokio::test(flavor = "multi_thread")]
#[should_panic(expected = "storage contract violated: ClientStore::get_client")]
async fn a_missing_seeded_client_is_reported() {
    latchkey_testkit::run_conformance(Arc::new(MemoryStore::new()), Some(&client())).await;
}
