//! Access-token scope: a set of scope tokens (RFC 6749 §3.3).
//!
//! A `scope` parameter is a list of space-delimited, case-sensitive tokens:
//! `scope = scope-token *( SP scope-token )` with
//! `scope-token = 1*NQCHAR`. [`Scope`] validates that grammar strictly (no
//! leading, trailing or doubled spaces, no tabs, quotes, backslashes or
//! non-ASCII) and stores the tokens as a sorted set, so duplicates collapse
//! and the textual form is canonical and deterministic. The engine uses the
//! set operations to narrow requested scopes to what a client may have.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::charset::is_nqchar;
use crate::limits::{MAX_SCOPE_LEN, MAX_SCOPE_TOKENS};

/// Why a scope value was rejected. Messages never echo the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// The value holds no token at all.
    #[error("scope is empty")]
    Empty,
    /// An empty token: leading, trailing or consecutive spaces.
    #[error("scope contains an empty token")]
    EmptyToken,
    /// A character outside NQCHAR (`%x21 / %x23-5B / %x5D-7E`) inside a
    /// token, or a separator other than a single space.
    #[error("scope contains a disallowed character")]
    InvalidCharacter,
    /// Longer than [`MAX_SCOPE_LEN`] characters.
    #[error("scope is too long")]
    TooLong,
    /// More than [`MAX_SCOPE_TOKENS`] tokens.
    #[error("scope has too many tokens")]
    TooManyTokens,
}

/// A validated set of scope tokens, kept in sorted order.
///
/// Displays (and serializes) as the tokens joined by single spaces. Its
/// textual form is at most [`MAX_SCOPE_LEN`] characters with at most
/// [`MAX_SCOPE_TOKENS`] tokens.
///
/// Held as that canonical text (tokens sorted, duplicates dropped, single
/// spaces), so equal sets are equal strings, hashed as one string. The text is
/// shared, so a clone is a reference count, not an allocation: a scope is
/// copied into every code, token, audit event and response.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Scope {
    canonical: Arc<str>,
}

impl Scope {
    /// Parses a `scope` parameter of at most [`MAX_SCOPE_LEN`] characters.
    ///
    /// # Errors
    ///
    /// [`ScopeError`] if `value` is empty, too long, has too many tokens, an
    /// empty token, or a character outside NQCHAR.
    pub fn parse(value: &str) -> Result<Scope, ScopeError> {
        if value.is_empty() {
            return Err(ScopeError::Empty);
        }
        // Clients usually send the tokens sorted and once each: then the value is its
        // own canonical form and is copied as it is.
        if is_canonical(value) {
            return Ok(Scope {
                canonical: Arc::from(value),
            });
        }
        Self::from_tokens(value.split(' '))
    }

    /// Builds a scope from individual tokens, each 1*NQCHAR. Duplicates
    /// collapse. The joined form must fit in [`MAX_SCOPE_LEN`] characters and
    /// at most [`MAX_SCOPE_TOKENS`] tokens may be given. An empty iterator
    /// gives the empty scope.
    ///
    /// # Errors
    ///
    /// [`ScopeError`] for an empty or invalid token, or if a limit is
    /// exceeded.
    pub fn from_tokens<I, S>(tokens: I) -> Result<Scope, ScopeError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut accepted: Vec<S> = Vec::new();
        let mut joined_len: usize = 0;
        for (count, token) in tokens.into_iter().enumerate() {
            if count >= MAX_SCOPE_TOKENS {
                return Err(ScopeError::TooManyTokens);
            }
            let text = token.as_ref();
            // The separating space counts too, except before the first token.
            joined_len = joined_len
                .saturating_add(text.len())
                .saturating_add(usize::from(count > 0));
            if joined_len > MAX_SCOPE_LEN {
                return Err(ScopeError::TooLong);
            }
            if text.is_empty() {
                return Err(ScopeError::EmptyToken);
            }
            if !text.bytes().all(is_nqchar) {
                return Err(ScopeError::InvalidCharacter);
            }
            accepted.push(token);
        }
        accepted.sort_unstable_by(|a, b| a.as_ref().cmp(b.as_ref()));
        accepted.dedup_by(|a, b| a.as_ref() == b.as_ref());
        let mut canonical = String::with_capacity(joined_len);
        for (i, token) in accepted.iter().enumerate() {
            if i > 0 {
                canonical.push(' ');
            }
            canonical.push_str(token.as_ref());
        }
        Ok(Scope {
            canonical: Arc::from(canonical),
        })
    }

    /// The scope with no tokens.
    pub fn empty() -> Scope {
        Scope::default()
    }

    /// The tokens in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.canonical.split(' ').filter(|t| !t.is_empty())
    }

    /// Whether `token` is in this scope (case-sensitive).
    pub fn contains(&self, token: &str) -> bool {
        self.iter().any(|t| t == token)
    }

    /// Whether every token of `self` is also in `other`.
    pub fn is_subset_of(&self, other: &Scope) -> bool {
        // Equal canonical forms are equal sets (a request for the client's whole scope).
        if self.canonical == other.canonical {
            return true;
        }
        // Both are sorted: one merge pass.
        let mut theirs = other.iter();
        'mine: for token in self.iter() {
            for candidate in theirs.by_ref() {
                match candidate.cmp(token) {
                    std::cmp::Ordering::Less => continue,
                    std::cmp::Ordering::Equal => continue 'mine,
                    std::cmp::Ordering::Greater => return false,
                }
            }
            return false;
        }
        true
    }

    /// The tokens present in both scopes.
    pub fn intersection(&self, other: &Scope) -> Scope {
        let mut canonical = String::new();
        for token in self.iter().filter(|t| other.contains(t)) {
            if !canonical.is_empty() {
                canonical.push(' ');
            }
            canonical.push_str(token);
        }
        Scope {
            canonical: Arc::from(canonical),
        }
    }

    /// Whether the scope has no tokens.
    pub fn is_empty(&self) -> bool {
        self.canonical.is_empty()
    }

    /// Number of distinct tokens.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// The canonical textual form: the tokens sorted, joined by single spaces.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// The canonical textual form, same as [`Display`](fmt::Display).
    pub fn as_string(&self) -> String {
        self.canonical.to_string()
    }
}

/// Whether `value` is a valid scope already in canonical form: within the limits, every
/// token 1*NQCHAR, tokens strictly increasing, single spaces between them.
fn is_canonical(value: &str) -> bool {
    if value.len() > MAX_SCOPE_LEN {
        return false;
    }
    let mut previous: Option<&str> = None;
    for (count, token) in value.split(' ').enumerate() {
        if count >= MAX_SCOPE_TOKENS
            || token.is_empty()
            || !token.bytes().all(is_nqchar)
            || previous.is_some_and(|p| p >= token)
        {
            return false;
        }
        previous = Some(token);
    }
    true
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

impl std::str::FromStr for Scope {
    type Err = ScopeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::parse(s)
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    /// Validates like [`Scope::parse`], except that `""` gives the empty
    /// scope so that every `Scope` round-trips through serde.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        if s.is_empty() {
            return Ok(Scope::empty());
        }
        Scope::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scope_tokens_are_space_separated_rfc6749_3_3() {
        let s = Scope::parse("read write").unwrap();
        assert_eq!(s.len(), 2);
        assert!(s.contains("read"));
        assert!(s.contains("write"));
        assert!(!s.contains("Read"));
    }

    #[test]
    fn display_is_sorted_and_deduplicated() {
        let s = Scope::parse("write read write").unwrap();
        assert_eq!(s.to_string(), "read write");
        assert_eq!(s.as_string(), "read write");
        assert_eq!(s.iter().collect::<Vec<_>>(), vec!["read", "write"]);
    }

    #[test]
    fn empty_tokens_are_rejected() {
        for bad in [" a", "a ", "a  b", " "] {
            assert_eq!(Scope::parse(bad), Err(ScopeError::EmptyToken), "{bad:?}");
        }
        assert_eq!(Scope::parse(""), Err(ScopeError::Empty));
    }

    #[test]
    fn non_nqchar_characters_are_rejected() {
        for bad in ["a\tb", "a\"b", "a\\b", "caf\u{e9}", "a\nb", "a\u{7f}"] {
            assert_eq!(
                Scope::parse(bad),
                Err(ScopeError::InvalidCharacter),
                "{bad:?}"
            );
        }
        assert!(Scope::parse("!#[]~ urn:x:y https://api.example/read").is_ok());
    }

    #[test]
    fn scope_length_limit() {
        let max = "a".repeat(MAX_SCOPE_LEN);
        assert!(Scope::parse(&max).is_ok());
        let over = "a".repeat(MAX_SCOPE_LEN + 1);
        assert_eq!(Scope::parse(&over), Err(ScopeError::TooLong));
    }

    #[test]
    fn scope_token_count_limit() {
        let ok: Vec<String> = (0..MAX_SCOPE_TOKENS).map(|i| format!("s{i}")).collect();
        assert_eq!(Scope::parse(&ok.join(" ")).unwrap().len(), MAX_SCOPE_TOKENS);
        let many: Vec<String> = (0..=MAX_SCOPE_TOKENS).map(|i| format!("s{i}")).collect();
        assert_eq!(
            Scope::parse(&many.join(" ")),
            Err(ScopeError::TooManyTokens)
        );
    }

    #[test]
    fn from_tokens_validates_each_token() {
        let s = Scope::from_tokens(["b", "a", "b"]).unwrap();
        assert_eq!(s.to_string(), "a b");
        assert_eq!(
            Scope::from_tokens(["a b"]),
            Err(ScopeError::InvalidCharacter)
        );
        assert_eq!(Scope::from_tokens([""]), Err(ScopeError::EmptyToken));
        assert!(Scope::from_tokens(Vec::<String>::new()).unwrap().is_empty());
    }

    #[test]
    fn set_operations() {
        let all = Scope::parse("a b c").unwrap();
        let some = Scope::parse("c a").unwrap();
        let other = Scope::parse("c d").unwrap();
        assert!(some.is_subset_of(&all));
        assert!(!other.is_subset_of(&all));
        assert!(Scope::empty().is_subset_of(&all));
        assert_eq!(all.intersection(&other).to_string(), "c");
        assert!(some.intersection(&Scope::empty()).is_empty());
    }

    #[test]
    fn serde_uses_the_space_separated_string() {
        let s = Scope::parse("b a").unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"a b\"");
        let back: Scope = serde_json::from_str("\"a b\"").unwrap();
        assert_eq!(back, s);
        assert!(serde_json::from_str::<Scope>("\"a  b\"").is_err());
        let empty: Scope = serde_json::from_str("\"\"").unwrap();
        assert!(empty.is_empty());
        assert_eq!(serde_json::to_string(&Scope::empty()).unwrap(), "\"\"");
    }

    #[test]
    fn from_str_matches_parse() {
        let s: Scope = "x y".parse().unwrap();
        assert_eq!(s, Scope::parse("y x").unwrap());
    }

    proptest::proptest! {
        /// The canonical-string representation answers every set question exactly as a
        /// `BTreeSet` of the same tokens would.
        #[test]
        fn set_operations_match_a_btreeset_model(
            a in proptest::collection::vec("[a-d]{1,2}", 0..6),
            b in proptest::collection::vec("[a-d]{1,2}", 0..6),
        ) {
            use std::collections::BTreeSet;
            let (sa, sb) = (Scope::from_tokens(&a).unwrap(), Scope::from_tokens(&b).unwrap());
            let (ma, mb): (BTreeSet<&str>, BTreeSet<&str>) =
                (a.iter().map(String::as_str).collect(), b.iter().map(String::as_str).collect());
            proptest::prop_assert_eq!(sa.iter().collect::<Vec<_>>(), ma.iter().copied().collect::<Vec<_>>());
            proptest::prop_assert_eq!(sa.is_subset_of(&sb), ma.is_subset(&mb));
            let both = sa.intersection(&sb);
            proptest::prop_assert_eq!(
                both.iter().collect::<Vec<_>>(),
                ma.intersection(&mb).copied().collect::<Vec<_>>()
            );
            proptest::prop_assert_eq!(sa.len(), ma.len());
            proptest::prop_assert_eq!(sa == sb, ma == mb);
            for t in ["a", "b", "ab", "dd"] {
                proptest::prop_assert_eq!(sa.contains(t), ma.contains(t));
            }
        }

        /// `parse` (with its shortcut for values already canonical) answers exactly as
        /// `from_tokens` on the value split at each space, errors included.
        #[test]
        fn parse_agrees_with_from_tokens(value in r#"[a-c "\\\x{e9}]{0,12}"#) {
            let expected = if value.is_empty() {
                Err(ScopeError::Empty)
            } else {
                Scope::from_tokens(value.split(' '))
            };
            proptest::prop_assert_eq!(Scope::parse(&value), expected);
        }
    }
}
