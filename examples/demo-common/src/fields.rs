//! The fields of the demo's forms and query strings. A page reads two or three fields of a
//! small form once, so [`Fields`] keeps them in order as they were sent, borrowed from the
//! request wherever nothing had to be percent-decoded, and finds a field by scanning: no
//! map and no copy of a field that is sent plainly. A field given twice makes the whole
//! form unreadable, so no page can be shown one value while checking another; so does a
//! form of more than [`MAX_FIELDS`] fields, which keeps the scan for repeats short.

use std::borrow::Cow;

/// The most fields a demo form or query may carry. Its own forms send at most three, the
/// callback at most five.
pub(crate) const MAX_FIELDS: usize = 32;

/// The fields of one urlencoded form or query string, in the order sent.
#[derive(Debug, Default)]
pub(crate) struct Fields<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> Fields<'a> {
    /// The fields of `input`; `None` if a field appears twice or there are more than
    /// [`MAX_FIELDS`].
    pub(crate) fn parse(input: &'a [u8]) -> Option<Self> {
        let mut fields: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::with_capacity(4);
        for (name, value) in form_urlencoded::parse(input) {
            if fields.len() == MAX_FIELDS || fields.iter().any(|(seen, _)| *seen == name) {
                return None;
            }
            fields.push((name, value));
        }
        Some(Self(fields))
    }

    /// The value of field `name`, if it was sent (possibly empty).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_ref())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_found_by_name_and_decoded() {
        let fields = Fields::parse(b"a=1&b=&c=%3Cx%3E&d+e=f+g").unwrap();
        assert_eq!(fields.get("a"), Some("1"));
        assert_eq!(fields.get("b"), Some(""));
        assert_eq!(fields.get("c"), Some("<x>"));
        assert_eq!(fields.get("d e"), Some("f g"));
        assert_eq!(fields.get("z"), None);
        assert!(matches!(
            fields.0.first(),
            Some((Cow::Borrowed(_), Cow::Borrowed(_)))
        ));
        assert_eq!(Fields::parse(b"").unwrap().get("a"), None);
    }

    #[test]
    fn a_repeated_field_makes_the_form_unreadable() {
        assert!(Fields::parse(b"a=1&b=2").is_some());
        assert!(Fields::parse(b"a=1&a=2").is_none());
        // The same name, once encoded and once plain, is the same field.
        assert!(Fields::parse(b"csrf=x&%63srf=y").is_none());
    }

    #[test]
    fn more_than_max_fields_are_refused() {
        let form = |n: usize| {
            (0..n)
                .map(|i| format!("f{i}=v"))
                .collect::<Vec<_>>()
                .join("&")
        };
        assert!(Fields::parse(form(MAX_FIELDS).as_bytes()).is_some());
        assert!(Fields::parse(form(MAX_FIELDS + 1).as_bytes()).is_none());
    }
}
