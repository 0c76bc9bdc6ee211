//! A CSV bill's tag map (CUR 2.0 `resource_tags`, FOCUS `Tags`: JSON text
//! on every line) read for the few keys tagwarden wants, without building
//! the map: keys and values are borrowed from the line unless they hold
//! escapes, and every other value is skipped unread. On tens of millions
//! of lines this is most of the cost of a CSV bill.

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Per list of key names (best first), the value of the first of them the
/// map holds with a non-empty string. None for all when the text is not a
/// JSON object: its tags are not read.
pub(super) fn find<'t, const N: usize>(
    text: &'t str,
    lists: [&[String]; N],
) -> [Option<Cow<'t, str>>; N] {
    let mut de = serde_json::Deserializer::from_str(text);
    match (Seek { lists }).deserialize(&mut de) {
        Ok(found) => found.map(|f| f.map(|(_, v)| v)),
        Err(_) => std::array::from_fn(|_| None),
    }
}

type Found<'t, const N: usize> = [Option<(usize, Cow<'t, str>)>; N];

struct Seek<'a, const N: usize> {
    lists: [&'a [String]; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for Seek<'_, N> {
    type Value = Found<'de, N>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Found<'de, N>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for Seek<'_, N> {
    type Value = Found<'de, N>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of tags")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found<'de, N>, A::Error> {
        let mut found: Found<'de, N> = std::array::from_fn(|_| None);
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            let ranks = self
                .lists
                .map(|names| names.iter().position(|n| *n == *key));
            if ranks.iter().all(Option::is_none) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let Some(Text(value)) = map.next_value::<MaybeText<'de>>()?.0 else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            for (slot, rank) in found.iter_mut().zip(ranks) {
                if let Some(rank) = rank {
                    if slot.as_ref().is_none_or(|(r, _)| rank < *r) {
                        *slot = Some((rank, value.clone()));
                    }
                }
            }
        }
        Ok(found)
    }
}

/// A string, borrowed when it holds no escapes.
struct Text<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v.to_string())))
    }
}

/// A value that is a string, or anything else (skipped: None).
struct MaybeText<'de>(Option<Text<'de>>);

impl<'de> serde::Deserialize<'de> for MaybeText<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MaybeTextVisitor)
    }
}

struct MaybeTextVisitor;

impl<'de> Visitor<'de> for MaybeTextVisitor {
    type Value = MaybeText<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<MaybeText<'de>, E> {
        Ok(MaybeText(Some(Text(Cow::Borrowed(v)))))
    }

    fn visit_str<E>(self, v: &str) -> Result<MaybeText<'de>, E> {
        Ok(MaybeText(Some(Text(Cow::Owned(v.to_string())))))
    }

    fn visit_bool<E>(self, _: bool) -> Result<MaybeText<'de>, E> {
        Ok(MaybeText(None))
    }

    fn visit_i64<E>(self, _: i64) -> Result<MaybeText<'de>, E> {
        Ok(MaybeText(None))
    }

    fn visit_u64<E>(self, _: u64) -> Result<MaybeText<'de>, E> {
        Ok(MaybeText(None))
    }

    fn visit_f64<E>(self, _: f64) -> Result<MaybeText<'de>, E> {
        Ok(MaybeText(None))
    }

    fn visit_unit<E>(self) -> Result<MaybeText<'de>, E> {
        Ok(MaybeText(None))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> Result<MaybeText<'de>, A::Error> {
        while s.next_element::<IgnoredAny>()?.is_some() {}
        Ok(MaybeText(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<MaybeText<'de>, A::Error> {
        while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(MaybeText(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_best_ranked_string_of_each_list() {
        let map = names(&["user_map_migrated", "user:map-migrated", "map-migrated"]);
        let work = names(&["user_app", "user_workload"]);
        let text = r#"{"user_workload":"web","other":{"a":[1,2]},"map-migrated":"x","user_map_migrated":"migABC","user_app":"erp"}"#;
        let [tag, w] = find(text, [&map, &work]);
        assert_eq!(tag.as_deref(), Some("migABC"));
        assert_eq!(w.as_deref(), Some("erp"));
        assert!(
            matches!(tag, Some(Cow::Borrowed(_))),
            "no copy without escapes"
        );
    }

    #[test]
    fn escapes_empties_and_non_strings() {
        let map = names(&["user_map_migrated"]);
        let work = names(&["user_app", "user_workload"]);
        let [tag, w] = find(
            r#"{"user_map_migrated":"mig\u0041","user_app":"","user_workload":7}"#,
            [&map, &work],
        );
        assert_eq!(tag.as_deref(), Some("migA"));
        assert_eq!(w, None, "an empty value and a number are no workload");
        for bad in ["", "{}", "[1]", "{\"user_map_migrated\":", "not json"] {
            assert_eq!(find(bad, [&map, &work]), [None, None], "{bad}");
        }
    }
}
