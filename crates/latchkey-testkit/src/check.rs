//! How the kit reports a broken contract: a panic whose message starts with
//! `storage contract violated:`, names the trait method and the rule it broke, and shows
//! what the store answered next to what the contract requires. Unexpected `Err`s are
//! reported the same way, so a failing run reads as a list of contract names rather than
//! a bare `unwrap` on `None`.

use std::fmt::Debug;

use latchkey_engine::store::StoreError;

/// Unwraps a store answer that the contract says must succeed.
#[track_caller]
pub(crate) fn ok<T>(result: Result<T, StoreError>, contract: &str) -> T {
    match result {
        Ok(value) => value,
        Err(err) => panic!(
            "storage contract violated: {contract}\n  the store failed with: {err:?}\n  \
             (expected success)"
        ),
    }
}

/// Requires `got == want`.
#[track_caller]
pub(crate) fn same<T: Debug + PartialEq>(got: T, want: T, contract: &str) {
    if got != want {
        panic!(
            "storage contract violated: {contract}\n  the store answered: {got:?}\n  \
             the contract requires: {want:?}"
        );
    }
}

/// Requires `cond`, explaining with `detail` when it does not hold.
#[track_caller]
pub(crate) fn holds(cond: bool, contract: &str, detail: impl Debug) {
    if !cond {
        panic!("storage contract violated: {contract}\n  observed: {detail:?}");
    }
}

/// Requires a specific error variant (compared by `matches`).
#[track_caller]
pub(crate) fn fails<T: Debug>(
    result: Result<T, StoreError>,
    matches: impl Fn(&StoreError) -> bool,
    want: &str,
    contract: &str,
) {
    match result {
        Err(err) if matches(&err) => {}
        other => panic!(
            "storage contract violated: {contract}\n  the store answered: {other:?}\n  \
             the contract requires: Err({want})"
        ),
    }
}

/// Requires `Err(StoreError::Duplicate)`.
#[track_caller]
pub(crate) fn duplicate<T: Debug>(result: Result<T, StoreError>, contract: &str) {
    fails(
        result,
        |e| matches!(e, StoreError::Duplicate),
        "StoreError::Duplicate",
        contract,
    );
}

/// Requires `Err(StoreError::GrantRevoked)`.
#[track_caller]
pub(crate) fn grant_revoked<T: Debug>(result: Result<T, StoreError>, contract: &str) {
    fails(
        result,
        |e| matches!(e, StoreError::GrantRevoked),
        "StoreError::GrantRevoked",
        contract,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "storage contract violated: X::y: rule")]
    fn names_the_contract() {
        same(1, 2, "X::y: rule");
    }

    #[test]
    fn passes_quietly() {
        same(1, 1, "x");
        holds(true, "x", ());
        duplicate::<()>(Err(StoreError::Duplicate), "x");
        assert_eq!(ok(Ok::<_, StoreError>(3), "x"), 3);
    }
}
