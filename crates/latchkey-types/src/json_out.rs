//! Writing response bodies straight into a byte buffer, byte for byte as `serde_json`
//! writes them (same escaping, same number format), for the bodies on the hot paths: a
//! token response and an introspection answer are a handful of members, and going
//! through `Serialize` was ~15 % of an introspection in a native profile. Each writer's
//! tests hold it to `serde_json`.

/// Appends `value` as a JSON string, escaped as `serde_json` escapes: `"`, `\\` and
/// control characters; everything else (non-ASCII included) as it is.
pub(crate) fn push_json_str(out: &mut Vec<u8>, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = value.as_bytes();
    // Tokens and scopes have nothing to escape: find that out in one tight scan.
    let Some(first) = crate::scan::find_json_special(bytes) else {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    };
    let mut plain = 0;
    for (i, &b) in bytes.iter().enumerate().skip(first) {
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0c => b'f',
            0x00..=0x1f => 0,
            _ => continue,
        };
        out.extend_from_slice(bytes.get(plain..i).unwrap_or_default());
        out.push(b'\\');
        if short == 0 {
            let high = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
            let low = HEX.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0');
            out.extend_from_slice(&[b'u', b'0', b'0', high, low]);
        } else {
            out.push(short);
        }
        plain = i + 1;
    }
    out.extend_from_slice(bytes.get(plain..).unwrap_or_default());
    out.push(b'"');
}

/// Appends `value` in decimal.
pub(crate) fn push_decimal(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut first = digits.len();
    loop {
        first -= 1;
        if let Some(slot) = digits.get_mut(first) {
            // `value % 10` is below 10.
            *slot = b'0' + (value % 10) as u8;
        }
        value /= 10;
        if value == 0 || first == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(first..).unwrap_or_default());
}

/// Appends `value` in decimal, with a `-` if negative.
pub(crate) fn push_signed(out: &mut Vec<u8>, value: i64) {
    if value < 0 {
        out.push(b'-');
    }
    push_decimal(out, value.unsigned_abs());
}

/// Appends `,"name":` (or `"name":` as the first member, when `out` ends in `{`).
pub(crate) fn push_key(out: &mut Vec<u8>, name: &str) {
    if out.last() != Some(&b'{') {
        out.push(b',');
    }
    push_json_str(out, name);
    out.push(b':');
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_serde_json_writes_them() {
        for value in [0, 1, -1, 9, 10, -10, 1_700_000_000, i64::MIN, i64::MAX] {
            let mut out = Vec::new();
            push_signed(&mut out, value);
            assert_eq!(out, serde_json::to_vec(&value).unwrap(), "{value}");
        }
        let mut out = Vec::new();
        push_decimal(&mut out, u64::MAX);
        assert_eq!(out, serde_json::to_vec(&u64::MAX).unwrap());
    }

    #[test]
    fn keys_are_separated_by_commas_after_the_first() {
        let mut out = b"{".to_vec();
        push_key(&mut out, "a");
        out.push(b'1');
        push_key(&mut out, "b\"");
        out.push(b'2');
        out.push(b'}');
        assert_eq!(out, br#"{"a":1,"b\"":2}"#);
    }

    proptest::proptest! {
        /// Any text: the same bytes as `serde_json`.
        #[test]
        fn strings_are_escaped_as_serde_json_escapes(text in "\\PC*", controls in "[\\x00-\\x1f\"\\\\]{0,8}") {
            let text = format!("{text}{controls}{text}");
            let mut out = Vec::new();
            push_json_str(&mut out, &text);
            proptest::prop_assert_eq!(out, serde_json::to_vec(&text).unwrap());
        }
    }
}
