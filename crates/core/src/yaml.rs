//! All YAML parsing lives here. Documents are parsed by `serde_yaml_ng` into
//! values that are deserialized with serde; a second pass over the parser's
//! events (`yaml-rust2`) records where every key and value starts, so that each
//! diagnostic can name its line and column, and every problem in a file can be
//! reported in one run instead of stopping at the first.

use crate::diagnostics::{Diagnostic, Position};
use serde::de::DeserializeOwned;
use serde_yaml_ng::Value;
use std::collections::HashMap;
use std::path::Path;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// One step into a document: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

pub type YamlPath = Vec<Seg>;

pub fn key(path: &[Seg], k: &str) -> YamlPath {
    let mut p = path.to_vec();
    p.push(Seg::Key(k.to_string()));
    p
}

pub fn index(path: &[Seg], i: usize) -> YamlPath {
    let mut p = path.to_vec();
    p.push(Seg::Index(i));
    p
}

#[derive(Debug, Default, Clone, Copy)]
struct Marks {
    key: Option<Position>,
    value: Option<Position>,
}

/// A parsed document with the source position of every node.
#[derive(Debug)]
pub struct Document {
    pub value: Value,
    marks: HashMap<YamlPath, Marks>,
}

impl Document {
    /// Where the key of `path` is written (falls back to its value, then to the
    /// nearest ancestor that has a position).
    pub fn key_pos(&self, path: &[Seg]) -> Option<Position> {
        self.find(path, |m| m.key.or(m.value))
    }

    /// Where the value at `path` starts (falls back to its key, then ancestors).
    pub fn value_pos(&self, path: &[Seg]) -> Option<Position> {
        self.find(path, |m| m.value.or(m.key))
    }

    fn find(&self, path: &[Seg], pick: impl Fn(&Marks) -> Option<Position>) -> Option<Position> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.marks.get(&path[..n]).and_then(&pick))
    }

    /// The value at `path`, if present.
    pub fn get(&self, path: &[Seg]) -> Option<&Value> {
        path.iter().try_fold(&self.value, |v, seg| match seg {
            Seg::Key(k) => v.get(k.as_str()),
            Seg::Index(i) => v.get(*i),
        })
    }

    /// Deserialize the node at `path` into `T`; on failure, diagnostics that
    /// point at the offending fields.
    pub fn decode<T: DeserializeOwned>(
        &self,
        file: &Path,
        path: &[Seg],
    ) -> Result<T, Vec<Diagnostic>> {
        let node = self.get(path).cloned().unwrap_or(Value::Null);
        serde_yaml_ng::from_value::<T>(node.clone()).map_err(|e| {
            let message = tidy_serde_message(&e.to_string());
            if let Some(field) = named_field(&message) {
                let position = self
                    .find_key_below(path, field)
                    .or_else(|| self.value_pos(path));
                return vec![Diagnostic::error(file, position, message)];
            }
            let culprits = culprit_fields::<T>(&node);
            if culprits.is_empty() {
                return vec![Diagnostic::error(file, self.value_pos(path), message)];
            }
            culprits
                .into_iter()
                .map(|(field, message)| {
                    Diagnostic::error(
                        file,
                        self.value_pos(&key(path, &field)),
                        format!("`{field}`: {message}"),
                    )
                })
                .collect()
        })
    }

    /// The first key called `field` below `path`, in document order.
    fn find_key_below(&self, path: &[Seg], field: &str) -> Option<Position> {
        self.marks
            .iter()
            .filter(|(p, m)| {
                p.len() > path.len()
                    && p.starts_with(path)
                    && p.last() == Some(&Seg::Key(field.to_string()))
                    && m.key.is_some()
            })
            .filter_map(|(_, m)| m.key)
            .min()
    }
}

/// serde's messages for a wrong type do not say which field: decode each
/// field of `node` on its own and keep those that fail for a reason other
/// than the fields left out.
fn culprit_fields<T: DeserializeOwned>(node: &Value) -> Vec<(String, String)> {
    let Some(map) = node.as_mapping() else {
        return Vec::new();
    };
    map.iter()
        .filter_map(|(k, v)| {
            let field = scalar_text(k)?;
            let mut alone = serde_yaml_ng::Mapping::new();
            alone.insert(k.clone(), v.clone());
            match serde_yaml_ng::from_value::<T>(Value::Mapping(alone)) {
                Err(e) if !e.to_string().starts_with("missing field") => {
                    Some((field, tidy_serde_message(&e.to_string())))
                }
                _ => None,
            }
        })
        .collect()
}

/// serde names the field in "unknown field `x`" and "missing field `x`".
fn named_field(message: &str) -> Option<&str> {
    let rest = message.split("field `").nth(1)?;
    rest.split('`').next()
}

fn tidy_serde_message(message: &str) -> String {
    // "unknown field `requir`, expected one of `a`, `b`" reads well as is; strip
    // serde_yaml's own location suffix, which we replace with file:line:col.
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Parse `text` (read from `file`) into a document with positions.
pub fn parse(file: &Path, text: &str) -> Result<Document, Diagnostic> {
    let value: Value = serde_yaml_ng::from_str(text).map_err(|e| {
        let position = e.location().map(|l| Position {
            line: l.line(),
            column: l.column(),
        });
        Diagnostic::error(
            file,
            position,
            format!("invalid YAML: {}", tidy_serde_message(&e.to_string())),
        )
    })?;
    let mut recorder = MarkRecorder::default();
    // serde_yaml_ng accepted the text, so this parser does too; should the two
    // ever disagree, diagnostics simply lose their positions.
    let _ = Parser::new_from_str(text).load(&mut recorder, false);
    Ok(Document {
        value,
        marks: recorder.marks,
    })
}

enum Frame {
    Map {
        path: YamlPath,
        pending_key: Option<String>,
        expecting_key: bool,
    },
    Seq {
        path: YamlPath,
        next: usize,
    },
}

#[derive(Default)]
struct MarkRecorder {
    stack: Vec<Frame>,
    marks: HashMap<YamlPath, Marks>,
    started: bool,
}

impl MarkRecorder {
    /// Path of a node that starts now, and whether it is a mapping key.
    fn place_node(&mut self) -> Option<(YamlPath, bool)> {
        match self.stack.last_mut() {
            None => {
                if self.started {
                    return None; // only the first document is recorded
                }
                self.started = true;
                Some((Vec::new(), false))
            }
            Some(Frame::Seq { path, next }) => {
                let p = index(path, *next);
                *next += 1;
                Some((p, false))
            }
            Some(Frame::Map {
                path,
                pending_key,
                expecting_key,
            }) => {
                if *expecting_key {
                    *expecting_key = false;
                    Some((path.clone(), true))
                } else {
                    *expecting_key = true;
                    let k = pending_key.take().unwrap_or_default();
                    Some((key(path, &k), false))
                }
            }
        }
    }
}

impl MarkedEventReceiver for MarkRecorder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = Position {
            line: mark.line(),
            column: mark.col() + 1,
        };
        match ev {
            Event::Scalar(text, ..) => {
                let Some((path, is_key)) = self.place_node() else {
                    return;
                };
                if is_key {
                    // A block mapping's start event comes late (after its
                    // first key); its first key is where it really starts.
                    let start = self.marks.entry(path.clone()).or_default();
                    start.value = Some(start.value.map_or(pos, |v| v.min(pos)));
                    let p = key(&path, &text);
                    self.marks.entry(p).or_default().key = Some(pos);
                    if let Some(Frame::Map { pending_key, .. }) = self.stack.last_mut() {
                        *pending_key = Some(text);
                    }
                } else {
                    self.marks.entry(path).or_default().value = Some(pos);
                }
            }
            Event::Alias(_) => {
                if let Some((path, false)) = self.place_node() {
                    self.marks.entry(path).or_default().value = Some(pos);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                let Some((path, is_key)) = self.place_node() else {
                    return;
                };
                // A collection used as a mapping key is unusual; its contents
                // are recorded under the parent's path without a key name.
                if !is_key {
                    self.marks.entry(path.clone()).or_default().value = Some(pos);
                }
                self.stack.push(if is_map {
                    Frame::Map {
                        path,
                        pending_key: None,
                        expecting_key: true,
                    }
                } else {
                    Frame::Seq { path, next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

/// Read and parse a file; an unreadable file is a diagnostic, never a panic.
pub fn read(file: &Path) -> Result<Document, Diagnostic> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Diagnostic::error(file, None, format!("cannot read file: {e}")))?;
    parse(file, &text)
}

/// A YAML scalar as the text a user meant: `1001` and `true` are strings in
/// tag values, as in AWS where every tag value is a string.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `serde(deserialize_with)` helpers that read scalars of any kind as strings.
pub mod lenient {
    use serde::de::{Deserialize, Deserializer, Error};
    use serde_yaml_ng::Value;

    fn text<E: Error>(v: Value) -> Result<String, E> {
        super::scalar_text(&v).ok_or_else(|| E::custom("expected a string, number or boolean"))
    }

    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        text(Value::deserialize(d)?)
    }

    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            v => text(v).map(Some),
        }
    }

    pub fn opt_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::Sequence(items) => items
                .into_iter()
                .map(text)
                .collect::<Result<_, _>>()
                .map(Some),
            _ => Err(D::Error::custom("expected a list of strings")),
        }
    }

    pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(opt_strings(d)?.unwrap_or_default())
    }

    /// A map of tag key to one value.
    pub fn tag_value_map<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<std::collections::BTreeMap<String, String>, D::Error> {
        let map = match Value::deserialize(d)? {
            Value::Null => return Ok(Default::default()),
            Value::Mapping(m) => m,
            _ => return Err(D::Error::custom("expected a map of tag key to value")),
        };
        map.into_iter()
            .map(|(k, v)| Ok((text(k)?, text(v)?)))
            .collect()
    }

    /// A map of tag key to one value or a list of values (`"*"` for any).
    pub fn tag_values<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<std::collections::BTreeMap<String, Vec<String>>, D::Error> {
        let map = match Value::deserialize(d)? {
            Value::Null => return Ok(Default::default()),
            Value::Mapping(m) => m,
            _ => {
                return Err(D::Error::custom(
                    "expected a map of tag key to value or list of values",
                ))
            }
        };
        map.into_iter()
            .map(|(k, v)| {
                let key = text(k)?;
                let values = match v {
                    Value::Sequence(items) => {
                        items.into_iter().map(text).collect::<Result<_, _>>()?
                    }
                    other => vec![text(other)?],
                };
                Ok((key, values))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        parse(Path::new("t.yaml"), text).unwrap()
    }

    #[test]
    fn positions_of_keys_and_values() {
        let d =
            doc("version: 1\npolicies:\n  - name: a\n    require:\n      Owner: {pattern: 'x'}\n");
        let p = vec![
            Seg::Key("policies".into()),
            Seg::Index(0),
            Seg::Key("name".into()),
        ];
        assert_eq!(d.key_pos(&p), Some(Position { line: 3, column: 5 }));
        assert_eq!(
            d.value_pos(&p),
            Some(Position {
                line: 3,
                column: 11
            })
        );
        let p = [
            Seg::Key("policies".into()),
            Seg::Index(0),
            Seg::Key("require".into()),
            Seg::Key("Owner".into()),
            Seg::Key("pattern".into()),
        ];
        assert_eq!(
            d.value_pos(&p),
            Some(Position {
                line: 5,
                column: 24
            })
        );
        // A path that does not exist falls back to its nearest ancestor.
        let missing = key(&p[..4], "values");
        assert_eq!(d.key_pos(&missing), Some(Position { line: 5, column: 7 }));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse(Path::new("t.yaml"), "a: [1, 2\nb: c\n").unwrap_err();
        assert!(e.position.is_some(), "{e}");
        assert!(e.message.starts_with("invalid YAML"), "{e}");
    }

    #[test]
    fn unknown_field_points_at_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct S {
            name: String,
        }
        let d = doc("items:\n  - name: a\n    nmae: b\n");
        let e = d
            .decode::<S>(
                Path::new("t.yaml"),
                &[Seg::Key("items".into()), Seg::Index(0)],
            )
            .unwrap_err()
            .remove(0);
        assert_eq!(e.position, Some(Position { line: 3, column: 5 }));
        assert!(e.message.contains("unknown field `nmae`"), "{}", e.message);
    }
}
