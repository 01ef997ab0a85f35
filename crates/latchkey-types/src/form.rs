//! Parsing of `application/x-www-form-urlencoded` query strings and bodies.
//!
//! Every OAuth 2.0 request this crate understands arrives either as a query
//! string (authorization endpoint) or as a form-encoded body (token,
//! revocation and introspection endpoints). [`FormParams`] is the one place
//! where those bytes are decoded, and it enforces the rules that RFC 6749
//! states for all of them: a parameter sent without a value is treated as
//! omitted (§3.1), and no parameter may be included more than once
//! (§3.1, §3.2). Input size and parameter count are bounded by
//! [`MAX_FORM_BYTES`] and [`MAX_FORM_PARAMS`].

use std::borrow::Cow;

use crate::limits::{MAX_FORM_BYTES, MAX_FORM_PARAMS, MAX_PARAM_NAME_LEN};

/// Placeholder reported instead of a parameter name that is too long or
/// contains characters other than ASCII letters, digits, `_`, `-` and `.`.
pub const UNNAMED_PARAMETER: &str = "(unnamed)";

/// Why a form-encoded query string or body was rejected.
///
/// The messages never contain parameter values, only (sanitised) names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormError {
    /// The input is larger than [`MAX_FORM_BYTES`] or holds more than
    /// [`MAX_FORM_PARAMS`] parameters.
    #[error("request parameters too large")]
    TooLarge,
    /// A parameter was included more than once (RFC 6749 §3.1, §3.2). Holds
    /// the parameter name if it is a plain ASCII name of at most
    /// [`MAX_PARAM_NAME_LEN`] characters, otherwise [`UNNAMED_PARAMETER`].
    #[error("parameter `{0}` included more than once")]
    Repeated(String),
}

/// Decoded form parameters with unique names.
///
/// Values are percent-decoded and `+` is decoded as a space. Invalid UTF-8
/// is replaced by U+FFFD, which every protocol value validator in this crate
/// rejects. Parameters with an empty value are treated as absent by
/// [`get`](Self::get) (RFC 6749 §3.1); they still count towards repetition,
/// so `state=&state=x` is [`FormError::Repeated`].
///
/// A request carries a handful of parameters, so they are kept in the order
/// sent in a small vector and looked up linearly: cheaper than a map at this
/// size, and each name is stored once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormParams {
    /// Every distinct name with the value it was first sent with (possibly empty).
    pairs: Vec<(String, String)>,
}

/// Result of the lenient parse: the parameters plus the (sanitised) names
/// that were repeated. Used by the authorization endpoint, which must still
/// read `client_id` and `redirect_uri` when another parameter is repeated.
#[derive(Debug)]
pub(crate) struct LenientForm {
    pub(crate) params: FormParams,
    pub(crate) repeated: Vec<String>,
}

impl LenientForm {
    /// Whether the parameter called `name` was included more than once.
    pub(crate) fn is_repeated(&self, name: &str) -> bool {
        self.repeated.iter().any(|n| n == name)
    }
}

/// Decodes one `application/x-www-form-urlencoded` name or value: `+` is a
/// space, `%XX` an octet (a `%` not followed by two hex digits stays as it
/// is), and invalid UTF-8 becomes U+FFFD. Text with neither `+` nor `%` — the
/// common case for OAuth values — is copied without decoding.
fn decode(raw: &[u8]) -> String {
    if !raw.iter().any(|&b| b == b'+' || b == b'%') {
        return String::from_utf8_lossy(raw).into_owned();
    }
    let spaced: Cow<'_, [u8]> = if raw.contains(&b'+') {
        Cow::Owned(
            raw.iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect(),
        )
    } else {
        Cow::Borrowed(raw)
    };
    let bytes: Cow<'_, [u8]> = percent_encoding::percent_decode(&spaced).into();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// [`decode`] for text already known to be UTF-8: plain text is copied as is.
fn decode_text(raw: &str) -> String {
    if raw.contains(['+', '%']) {
        decode(raw.as_bytes())
    } else {
        raw.to_owned()
    }
}

/// Splits form input into (name, value) pairs, undecoded: segments separated by '&',
/// empty segments skipped, name and value split at the first '=' (none: empty value).
fn segments(input: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    input
        .split(|&b| b == b'&')
        .filter(|s| !s.is_empty())
        .map(|segment| {
            let mut halves = segment.splitn(2, |&b| b == b'=');
            (
                halves.next().unwrap_or_default(),
                halves.next().unwrap_or_default(),
            )
        })
}

/// Decodes pieces into unique parameters, counting repeats, within [`MAX_FORM_PARAMS`].
fn collect_pairs<T: Copy>(
    pieces: impl Iterator<Item = (T, T)>,
    decode: impl Fn(T) -> String,
) -> Result<LenientForm, FormError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut repeated = Vec::new();
    for (count, (raw_name, raw_value)) in pieces.enumerate() {
        if count >= MAX_FORM_PARAMS {
            return Err(FormError::TooLarge);
        }
        let name = decode(raw_name);
        if pairs.iter().any(|(seen, _)| *seen == name) {
            let safe = safe_name(&name);
            if !repeated.contains(&safe) {
                repeated.push(safe);
            }
            continue;
        }
        pairs.push((name, decode(raw_value)));
    }
    Ok(LenientForm {
        params: FormParams { pairs },
        repeated,
    })
}

impl FormParams {
    /// Parses a form-encoded query string or body.
    ///
    /// `input` may be at most [`MAX_FORM_BYTES`] bytes with at most
    /// [`MAX_FORM_PARAMS`] parameters.
    ///
    /// # Errors
    ///
    /// [`FormError::TooLarge`] if a limit is exceeded, and
    /// [`FormError::Repeated`] for the first parameter name that occurs more
    /// than once.
    pub fn parse(input: &[u8]) -> Result<FormParams, FormError> {
        let lenient = Self::parse_lenient(input)?;
        match lenient.repeated.into_iter().next() {
            Some(name) => Err(FormError::Repeated(name)),
            None => Ok(lenient.params),
        }
    }

    /// Like [`parse`](Self::parse) but collects repeated names instead of
    /// failing on them. For a repeated name the first occurrence wins;
    /// callers must not use values of repeated parameters.
    pub(crate) fn parse_lenient(input: &[u8]) -> Result<LenientForm, FormError> {
        if input.len() > MAX_FORM_BYTES {
            return Err(FormError::TooLarge);
        }
        // Valid UTF-8 input (the usual case) is validated once, here: splitting it at the
        // ASCII '&' and '=' keeps every piece valid, so plain pieces are copied as they are.
        match std::str::from_utf8(input) {
            Ok(text) => collect_pairs(
                text.split('&')
                    .filter(|s| !s.is_empty())
                    .map(|segment| segment.split_once('=').unwrap_or((segment, ""))),
                decode_text,
            ),
            Err(_) => collect_pairs(segments(input), decode),
        }
    }

    fn present(&self) -> impl Iterator<Item = &(String, String)> {
        self.pairs.iter().filter(|(_, value)| !value.is_empty())
    }

    /// The value of parameter `name`, or `None` if it is absent or was sent
    /// with an empty value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.present()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    }

    /// Whether parameter `name` is present with a non-empty value.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Iterates over the present (non-empty) parameters in the order sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.present().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of parameters present with a non-empty value.
    pub fn len(&self) -> usize {
        self.present().count()
    }

    /// Whether no parameter is present with a non-empty value.
    pub fn is_empty(&self) -> bool {
        self.present().next().is_none()
    }
}

/// The name itself if it is safe to show in an error message, otherwise
/// [`UNNAMED_PARAMETER`].
fn safe_name(name: &str) -> String {
    let plain = !name.is_empty()
        && name.len() <= MAX_PARAM_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if plain {
        name.to_owned()
    } else {
        UNNAMED_PARAMETER.to_owned()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn plus_decodes_to_space_and_percent_escapes_decode() {
        let f = FormParams::parse(b"scope=a+b%20c&x=%41").unwrap();
        assert_eq!(f.get("scope"), Some("a b c"));
        assert_eq!(f.get("x"), Some("A"));
    }

    #[test]
    fn repeated_parameter_is_an_error_rfc6749_3_1() {
        let err = FormParams::parse(b"a=1&state=x&state=y").unwrap_err();
        assert_eq!(err, FormError::Repeated("state".into()));
    }

    #[test]
    fn repeated_parameter_counts_even_when_one_value_is_empty() {
        let err = FormParams::parse(b"state=&state=y").unwrap_err();
        assert_eq!(err, FormError::Repeated("state".into()));
    }

    #[test]
    fn percent_encoded_name_is_the_same_parameter() {
        let err = FormParams::parse(b"client_id=a&client%5Fid=b").unwrap_err();
        assert_eq!(err, FormError::Repeated("client_id".into()));
    }

    #[test]
    fn unsafe_repeated_name_is_not_echoed() {
        let err = FormParams::parse(b"%3Cscript%3E=1&%3Cscript%3E=2").unwrap_err();
        assert_eq!(err, FormError::Repeated(UNNAMED_PARAMETER.into()));
        let long = "n".repeat(MAX_PARAM_NAME_LEN + 1);
        let input = format!("{long}=1&{long}=2");
        let err = FormParams::parse(input.as_bytes()).unwrap_err();
        assert_eq!(err, FormError::Repeated(UNNAMED_PARAMETER.into()));
    }

    #[test]
    fn empty_value_counts_as_absent_rfc6749_3_1() {
        let f = FormParams::parse(b"state=&scope=openid").unwrap();
        assert_eq!(f.get("state"), None);
        assert!(!f.contains("state"));
        assert!(f.contains("scope"));
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn unknown_parameters_are_kept() {
        let f = FormParams::parse(b"foo=bar").unwrap();
        assert_eq!(f.get("foo"), Some("bar"));
        assert_eq!(f.iter().collect::<Vec<_>>(), vec![("foo", "bar")]);
    }

    #[test]
    fn empty_input_has_no_parameters() {
        assert!(FormParams::parse(b"").unwrap().is_empty());
    }

    #[test]
    fn oversize_input_is_too_large() {
        let input = vec![b'a'; MAX_FORM_BYTES + 1];
        assert_eq!(FormParams::parse(&input), Err(FormError::TooLarge));
        let input = vec![b'a'; MAX_FORM_BYTES];
        assert!(FormParams::parse(&input).is_ok());
    }

    #[test]
    fn too_many_parameters_is_too_large() {
        let ok: Vec<String> = (0..MAX_FORM_PARAMS).map(|i| format!("p{i}=1")).collect();
        assert!(FormParams::parse(ok.join("&").as_bytes()).is_ok());
        let many: Vec<String> = (0..=MAX_FORM_PARAMS).map(|i| format!("p{i}=1")).collect();
        assert_eq!(
            FormParams::parse(many.join("&").as_bytes()),
            Err(FormError::TooLarge)
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_not_a_panic() {
        let f = FormParams::parse(b"a=%FF%FE").unwrap();
        assert_eq!(f.get("a"), Some("\u{FFFD}\u{FFFD}"));
    }

    #[test]
    fn lenient_parse_reports_all_repeated_names() {
        let f = FormParams::parse_lenient(b"a=1&a=2&b=1&b=2&a=3&c=1").unwrap();
        assert_eq!(f.repeated, vec!["a".to_owned(), "b".to_owned()]);
        assert!(f.is_repeated("a"));
        assert!(!f.is_repeated("c"));
        assert_eq!(f.params.get("a"), Some("1"));
    }

    #[test]
    fn error_messages_do_not_contain_values() {
        let err = FormParams::parse(b"code=SECRETCODE&code=SECRETCODE").unwrap_err();
        assert!(!err.to_string().contains("SECRETCODE"));
    }

    proptest::proptest! {
        /// The parser decodes exactly as the `form_urlencoded` crate does: for every
        /// name's first occurrence, the same name and value.
        #[test]
        fn decodes_like_the_form_urlencoded_crate(input in "[a-z=&%+0-9A-F\\x{e9}_ ]{0,60}") {
            let Ok(lenient) = FormParams::parse_lenient(input.as_bytes()) else { return Ok(()) };
            let mut expected: Vec<(String, String)> = Vec::new();
            for (name, value) in form_urlencoded::parse(input.as_bytes()) {
                if !expected.iter().any(|(n, _)| *n == name) {
                    expected.push((name.into_owned(), value.into_owned()));
                }
            }
            proptest::prop_assert_eq!(lenient.params.pairs, expected);
        }

        /// The same on raw bytes, invalid UTF-8 included (decoded lossily by both).
        #[test]
        fn decodes_bytes_like_the_form_urlencoded_crate(
            input in proptest::collection::vec(proptest::sample::select(
                b"a=&%+2F0\xc3\xa9\xff\x80".to_vec()), 0..40)
        ) {
            let Ok(lenient) = FormParams::parse_lenient(&input) else { return Ok(()) };
            let mut expected: Vec<(String, String)> = Vec::new();
            for (name, value) in form_urlencoded::parse(&input) {
                if !expected.iter().any(|(n, _)| *n == name) {
                    expected.push((name.into_owned(), value.into_owned()));
                }
            }
            proptest::prop_assert_eq!(lenient.params.pairs, expected);
        }
    }
}
