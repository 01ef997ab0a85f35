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
use crate::scan::is_form_special;

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
/// sent and looked up linearly: cheaper than a map at this size. Every
/// decoded name and value lives in one buffer, so a form costs two
/// allocations however many parameters it has. `Debug` shows the names only:
/// values may be secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct FormParams {
    /// Every distinct name followed by the value it was first sent with
    /// (possibly empty), decoded, one after the other.
    text: String,
    /// Where each parameter lies in `text`, in the order sent.
    spans: Vec<Span>,
}

/// One parameter in [`FormParams::text`]: its name is `start..mid`, its value `mid..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    mid: usize,
    end: usize,
}

impl std::fmt::Debug for FormParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormParams")
            .field("names", &self.spans().map(|(n, _)| n).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
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
/// is), and invalid UTF-8 becomes U+FFFD. The general (allocating) path, for
/// input that is not UTF-8 or escapes non-ASCII octets.
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

/// [`decode`] appended to `out`.
fn decode_bytes_into(out: &mut String, raw: &[u8]) {
    out.push_str(&decode(raw));
}

/// The value of an ASCII hexadecimal digit.
fn hex_digit(b: Option<&u8>) -> Option<u8> {
    match b? {
        b @ b'0'..=b'9' => Some(b - b'0'),
        b @ b'a'..=b'f' => Some(b - b'a' + 10),
        b @ b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
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

/// Room for the parameters of a typical request without growing.
const SPANS_CAPACITY: usize = 8;

/// The parse in progress: one buffer of decoded text, the parameters in it, and the
/// names seen more than once.
struct Collector {
    text: String,
    spans: Vec<Span>,
    repeated: Vec<String>,
    count: usize,
}

impl Collector {
    fn new(input_len: usize) -> Self {
        // Decoding never lengthens plain or escaped text; only U+FFFD replacements of
        // invalid UTF-8 do, and the buffer grows for those.
        Self {
            text: String::with_capacity(input_len),
            spans: Vec::with_capacity(SPANS_CAPACITY),
            repeated: Vec::new(),
            count: 0,
        }
    }

    /// Takes the parameter just decoded at the end of `text` (name `start..mid`, value
    /// `mid..`) if its name is new; otherwise drops it and notes the name as repeated.
    fn finish(&mut self, start: usize, mid: usize) -> Result<(), FormError> {
        if self.count >= MAX_FORM_PARAMS {
            return Err(FormError::TooLarge);
        }
        self.count += 1;
        let bytes = self.text.as_bytes();
        let name = bytes.get(start..mid).unwrap_or_default();
        let seen = self
            .spans
            .iter()
            .any(|s| s.mid - s.start == name.len() && bytes.get(s.start..s.mid) == Some(name));
        if seen {
            let safe = safe_name(self.text.get(start..mid).unwrap_or_default());
            if !self.repeated.contains(&safe) {
                self.repeated.push(safe);
            }
            self.text.truncate(start);
        } else {
            self.spans.push(Span {
                start,
                mid,
                end: self.text.len(),
            });
        }
        Ok(())
    }

    fn done(self) -> LenientForm {
        LenientForm {
            params: FormParams {
                text: self.text,
                spans: self.spans,
            },
            repeated: self.repeated,
        }
    }
}

/// The general parser: [`segments`], each name and value through [`decode`].
fn parse_bytes(input: &[u8]) -> Result<LenientForm, FormError> {
    let mut out = Collector::new(input.len());
    for (raw_name, raw_value) in segments(input) {
        let start = out.text.len();
        decode_bytes_into(&mut out.text, raw_name);
        let mid = out.text.len();
        decode_bytes_into(&mut out.text, raw_value);
        out.finish(start, mid)?;
    }
    Ok(out.done())
}

/// The parser for UTF-8 input, in one pass and without allocating per parameter: plain
/// runs are copied into the buffer as they are, `+` and escapes of ASCII octets (`%3A`,
/// `%2F`: what OAuth values carry) decoded on the way. An escaped non-ASCII octet may
/// start a multi-byte sequence or be invalid UTF-8, so a parameter holding one is
/// decoded again by the general path. Gives exactly what [`parse_bytes`] gives.
fn parse_text(input: &str) -> Result<LenientForm, FormError> {
    let bytes = input.as_bytes();
    let mut out = Collector::new(bytes.len());
    // The current segment starts at `segment` in the input and at `start` in the
    // buffer; `mid` is where its value starts in the buffer once its first '=' is seen.
    // `general`: it holds an escaped non-ASCII octet, decoded when the segment ends.
    let mut segment = 0;
    let mut start = 0;
    let mut mid: Option<usize> = None;
    let mut general = false;
    // `plain..i` is the run not yet copied. Runs start and end next to the ASCII bytes
    // of [`is_form_special`] or at the ends, so slicing `input` there is on char boundaries.
    let mut plain = 0;
    let mut i = 0;
    loop {
        while bytes.get(i).is_some_and(|&b| !is_form_special(b)) {
            i += 1;
        }
        let run = input.get(plain..i).unwrap_or_default();
        match bytes.get(i) {
            None | Some(b'&') => {
                if i > segment {
                    if general {
                        out.text.truncate(start);
                        let raw = bytes.get(segment..i).unwrap_or_default();
                        let mut halves = raw.splitn(2, |&b| b == b'=');
                        decode_bytes_into(&mut out.text, halves.next().unwrap_or_default());
                        mid = Some(out.text.len());
                        decode_bytes_into(&mut out.text, halves.next().unwrap_or_default());
                    } else {
                        out.text.push_str(run);
                    }
                    let mid = mid.unwrap_or(out.text.len());
                    out.finish(start, mid)?;
                }
                if i >= bytes.len() {
                    break;
                }
                i += 1;
                segment = i;
                start = out.text.len();
                mid = None;
                general = false;
            }
            Some(b'=') => {
                if !general {
                    out.text.push_str(run);
                    if mid.is_none() {
                        mid = Some(out.text.len());
                    } else {
                        out.text.push('=');
                    }
                }
                i += 1;
            }
            Some(b'+') => {
                if !general {
                    out.text.push_str(run);
                    out.text.push(' ');
                }
                i += 1;
            }
            Some(_) => {
                // '%': an escape if two hex digits follow, else a literal '%'.
                match (hex_digit(bytes.get(i + 1)), hex_digit(bytes.get(i + 2))) {
                    (Some(high), Some(low)) => {
                        let octet = (high << 4) | low;
                        if !general && octet.is_ascii() {
                            out.text.push_str(run);
                            out.text.push(char::from(octet));
                        } else {
                            general = true;
                        }
                        i += 3;
                    }
                    _ => {
                        if !general {
                            out.text.push_str(run);
                            out.text.push('%');
                        }
                        i += 1;
                    }
                }
            }
        }
        plain = i;
    }
    Ok(out.done())
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
        // Valid UTF-8 input (the usual case) is validated once, here: splitting it at
        // the ASCII '&' and '=' keeps every piece valid.
        match std::str::from_utf8(input) {
            Ok(text) => parse_text(text),
            Err(_) => parse_bytes(input),
        }
    }

    /// Every parameter, empty values included, in the order sent.
    fn spans(&self) -> impl Iterator<Item = (&str, &str)> {
        self.spans.iter().map(|s| {
            (
                self.text.get(s.start..s.mid).unwrap_or_default(),
                self.text.get(s.mid..s.end).unwrap_or_default(),
            )
        })
    }

    fn present(&self) -> impl Iterator<Item = (&str, &str)> {
        self.spans().filter(|(_, value)| !value.is_empty())
    }

    /// The value of parameter `name`, or `None` if it is absent or was sent
    /// with an empty value.
    pub fn get(&self, name: &str) -> Option<&str> {
        let bytes = self.text.as_bytes();
        let span = self.spans.iter().find(|s| {
            s.mid - s.start == name.len() && bytes.get(s.start..s.mid) == Some(name.as_bytes())
        })?;
        self.text.get(span.mid..span.end).filter(|v| !v.is_empty())
    }

    /// Whether parameter `name` is present with a non-empty value.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Iterates over the present (non-empty) parameters in the order sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.present()
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

    /// Every parameter as owned (name, value), empty values included.
    fn all_pairs(form: &FormParams) -> Vec<(String, String)> {
        form.spans()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn ascii_escapes_decode_in_place_and_others_take_the_general_path() {
        let f = FormParams::parse(b"r=https%3A%2F%2Fa.example%2Fcb&s=a+b&e=caf%C3%A9+x&p=50%&q=%2")
            .unwrap();
        assert_eq!(f.get("r"), Some("https://a.example/cb"));
        assert_eq!(f.get("s"), Some("a b"));
        assert_eq!(f.get("e"), Some("caf\u{e9} x"));
        assert_eq!(f.get("p"), Some("50%"));
        assert_eq!(f.get("q"), Some("%2"));
        let f = FormParams::parse("n=\u{e9}%41+%FF&m=%e9".as_bytes()).unwrap();
        assert_eq!(f.get("n"), Some("\u{e9}A \u{fffd}"));
        assert_eq!(f.get("m"), Some("\u{fffd}"));
    }

    #[test]
    fn repeated_names_leave_no_trace_in_the_buffer() {
        let f = FormParams::parse_lenient(b"a=1&b=%41&a=2&a=33&c=3").unwrap();
        assert_eq!(
            all_pairs(&f.params),
            vec![
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "A".to_owned()),
                ("c".to_owned(), "3".to_owned())
            ]
        );
        assert_eq!(f.params.text, "a1bAc3");
    }

    #[test]
    fn debug_shows_names_not_values() {
        let f = FormParams::parse(b"client_secret=TOPSECRET&code=SECRETCODE").unwrap();
        let debug = format!("{f:?}");
        assert!(debug.contains("client_secret") && debug.contains("code"));
        assert!(!debug.contains("TOPSECRET") && !debug.contains("SECRETCODE"));
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
            proptest::prop_assert_eq!(all_pairs(&lenient.params), expected);
        }

        /// The same on input built from the pieces OAuth values are made of: ASCII
        /// escapes (decoded in place), escapes of non-ASCII octets (the general path),
        /// broken escapes, `+`, raw non-ASCII text and separators.
        #[test]
        fn decodes_escapes_like_the_form_urlencoded_crate(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "a", "Z", "=", "&", "+", "%", "%2", "%3A", "%2f", "%41", "%7E", "%25", "%C3%A9",
                "%e9", "%FF", "%80", "\u{e9}", "\u{1F600}", "%%", "%G1", " ",
            ]), 0..24)
        ) {
            let input = pieces.concat();
            let Ok(lenient) = FormParams::parse_lenient(input.as_bytes()) else { return Ok(()) };
            let mut expected: Vec<(String, String)> = Vec::new();
            for (name, value) in form_urlencoded::parse(input.as_bytes()) {
                if !expected.iter().any(|(n, _)| *n == name) {
                    expected.push((name.into_owned(), value.into_owned()));
                }
            }
            proptest::prop_assert_eq!(all_pairs(&lenient.params), expected);
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
            proptest::prop_assert_eq!(all_pairs(&lenient.params), expected);
        }
    }
}
