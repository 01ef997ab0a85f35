//! Byte classes of the hot scans, and finding the first byte of a class eight bytes at a
//! time (SWAR: one `u64` holds eight bytes; the classic bit tricks test all of them at
//! once). Token JSON crosses long plain runs (43-character tokens), where this does a
//! fraction of a byte-by-byte loop's work; form input, whose runs are short, is scanned
//! byte by byte (measured: SWAR was slower there).

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether some byte of `word` is zero.
fn has_zero(word: u64) -> bool {
    word.wrapping_sub(ONES) & !word & HIGHS != 0
}

/// Whether some byte of `word` is `byte`.
fn has_byte(word: u64, byte: u8) -> bool {
    has_zero(word ^ (ONES * u64::from(byte)))
}

/// Whether some byte of `word` is below `bound` (at most 128).
fn has_below(word: u64, bound: u8) -> bool {
    word.wrapping_sub(ONES * u64::from(bound)) & !word & HIGHS != 0
}

/// The index of the first byte for which `is_member` holds, checking eight bytes at a
/// time with `word_may_hold` (which must be true for every word holding a member).
fn find(
    bytes: &[u8],
    word_may_hold: impl Fn(u64) -> bool,
    is_member: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        // Always eight bytes; were it not, the byte-by-byte check below would decide.
        let may_hold =
            <[u8; 8]>::try_from(chunk).map_or(true, |word| word_may_hold(u64::from_le_bytes(word)));
        if may_hold {
            if let Some(i) = chunk.iter().position(|&b| is_member(b)) {
                return Some(base + i);
            }
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| is_member(b))
        .map(|i| base + i)
}

/// The separators and escapes of form input: `&`, `=`, `+`, `%`.
pub(crate) fn is_form_special(b: u8) -> bool {
    matches!(b, b'&' | b'=' | b'+' | b'%')
}

/// What a JSON string must escape: `"`, `\` and control characters.
pub(crate) fn is_json_special(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The index of the first [`is_json_special`] byte.
pub(crate) fn find_json_special(bytes: &[u8]) -> Option<usize> {
    find(
        bytes,
        |w| has_below(w, 0x20) || has_byte(w, b'"') || has_byte(w, b'\\'),
        is_json_special,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The same answers as a byte-by-byte search, on any bytes.
        #[test]
        fn finds_what_a_plain_search_finds(
            bytes in proptest::collection::vec(proptest::sample::select(
                b"a\"\\\x00\x1f\x20\x7f\x80\xff\x9f\xa5Z".to_vec()), 0..40)
        ) {
            proptest::prop_assert_eq!(
                find_json_special(&bytes),
                bytes.iter().position(|&b| is_json_special(b))
            );
        }

        #[test]
        fn finds_what_a_plain_search_finds_on_any_bytes(bytes: Vec<u8>) {
            proptest::prop_assert_eq!(
                find_json_special(&bytes),
                bytes.iter().position(|&b| is_json_special(b))
            );
        }
    }
}
