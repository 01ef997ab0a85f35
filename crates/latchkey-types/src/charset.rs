//! Character classes from the OAuth 2.0 ABNF (RFC 6749 Appendix A) and the
//! shared "1..=max VSCHAR" validator used by the identifier newtypes.
//!
//! Internal helpers only: each public type documents the class it accepts.

use latchkey_pkce::ValueError;

/// `VSCHAR = %x20-7E` (RFC 6749 Appendix A).
pub(crate) fn is_vschar(b: u8) -> bool {
    (0x20..=0x7e).contains(&b)
}

/// `NQCHAR = %x21 / %x23-5B / %x5D-7E` (RFC 6749 Appendix A).
pub(crate) fn is_nqchar(b: u8) -> bool {
    b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b)
}

/// `NQSCHAR = %x20-21 / %x23-5B / %x5D-7E` (RFC 6749 Appendix A), the
/// alphabet of `error_description`.
pub(crate) fn is_nqschar(b: u8) -> bool {
    b == 0x20 || is_nqchar(b)
}

/// `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"` (RFC 3986 §2.3).
pub(crate) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Checks that `value` is 1..=`max` VSCHAR characters.
pub(crate) fn check_vschar(value: &str, max: usize) -> Result<(), ValueError> {
    if value.is_empty() {
        return Err(ValueError::Empty);
    }
    if value.len() > max {
        return Err(ValueError::TooLong);
    }
    if !value.bytes().all(is_vschar) {
        return Err(ValueError::InvalidCharacter);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vschar_is_printable_ascii_including_space() {
        assert!(is_vschar(b' '));
        assert!(is_vschar(b'~'));
        assert!(!is_vschar(0x7f));
        assert!(!is_vschar(b'\t'));
    }

    #[test]
    fn nqchar_excludes_space_quote_and_backslash() {
        assert!(!is_nqchar(b' '));
        assert!(!is_nqchar(b'"'));
        assert!(!is_nqchar(b'\\'));
        assert!(is_nqchar(b'!'));
        assert!(is_nqschar(b' '));
    }

    #[test]
    fn unreserved_matches_rfc3986() {
        for b in b"AZaz09-._~" {
            assert!(is_unreserved(*b));
        }
        assert!(!is_unreserved(b'+'));
        assert!(!is_unreserved(b'/'));
    }

    #[test]
    fn check_vschar_reports_each_failure() {
        assert!(matches!(check_vschar("", 4), Err(ValueError::Empty)));
        assert!(matches!(check_vschar("abcde", 4), Err(ValueError::TooLong)));
        assert!(matches!(
            check_vschar("a\nb", 4),
            Err(ValueError::InvalidCharacter)
        ));
        assert!(check_vschar("a b", 4).is_ok());
    }
}
