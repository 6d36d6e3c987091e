//! Where each node of a YAML document is, by path (`checks[1].http.expect`). serde_yaml gives
//! values without positions, so a second, event-level pass with yaml-rust2 records the line and
//! column of every key and value; diagnostics look their place up here.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Deepest nesting of mappings and sequences a checklist may have (a real one needs about 8).
pub const MAX_DEPTH: usize = 64;

/// 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl From<Marker> for Pos {
    fn from(m: Marker) -> Self {
        Pos { line: m.line(), col: m.col() + 1 }
    }
}

/// Positions of keys and values by path.
#[derive(Debug, Default)]
pub struct SpanMap {
    /// Path → (position of the key, or of the sequence item; position of the value).
    nodes: HashMap<String, (Pos, Pos)>,
}

impl SpanMap {
    /// Builds the map; a document yaml-rust2 cannot parse gives an empty map (serde_yaml then
    /// reports the syntax error with its own position). `Err` is where the document nests
    /// deeper than [`MAX_DEPTH`]: nothing else reads it then (each level's path repeats its
    /// parent's, so unbounded nesting would cost quadratic time and memory, and recursion).
    pub fn build(source: &str) -> Result<SpanMap, Pos> {
        let mut recv = Recv { map: SpanMap::default(), stack: Vec::new() };
        // Event by event rather than `Parser::load`, which recurses once per level.
        let mut parser = Parser::new_from_str(source);
        loop {
            let (event, mark) = match parser.next_token() {
                Ok(x) => x,
                // The scanner's own limit (255 flow levels), hit while it looks ahead.
                Err(e) if e.info() == "recursion limit exceeded" => {
                    return Err(Pos::from(*e.marker()));
                }
                Err(_) => return Ok(SpanMap::default()),
            };
            match event {
                Event::DocumentEnd | Event::StreamEnd => break,
                Event::MappingStart(..) | Event::SequenceStart(..)
                    if recv.stack.len() >= MAX_DEPTH =>
                {
                    return Err(Pos::from(mark));
                }
                _ => recv.on_event(event, mark),
            }
        }
        Ok(recv.map)
    }

    /// Position of the key at `path` (or of the sequence item).
    pub fn key(&self, path: &str) -> Option<Pos> {
        self.nodes.get(path).map(|(k, _)| *k)
    }

    /// Position of the value at `path`.
    pub fn value(&self, path: &str) -> Option<Pos> {
        self.nodes.get(path).map(|(_, v)| *v)
    }

    /// The key at `path`, or of its nearest ancestor that is known.
    pub fn nearest_key(&self, path: &str) -> Option<Pos> {
        let mut p = path.to_string();
        loop {
            if let Some(pos) = self.key(&p) {
                return Some(pos);
            }
            p = parent(&p)?;
        }
    }
}

/// `a.b[2].c` → `a.b[2]` → `a.b` → `a` → ``.
pub fn parent(path: &str) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(path[..cut].to_string())
}

pub fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

pub fn join_index(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

enum Frame {
    /// `item_pending`: a mapping that is a sequence item, whose position is taken from its first
    /// key (yaml-rust2 marks a block mapping's start after its first key).
    Map {
        path: String,
        pending_key: Option<(String, Pos)>,
        item_pending: bool,
    },
    Seq {
        path: String,
        next: usize,
    },
}

struct Recv {
    map: SpanMap,
    stack: Vec<Frame>,
}

impl Recv {
    /// Called for a node (scalar or container start) at `mark`: returns the node's path and
    /// records its position, or `None` when the node is a mapping key.
    fn place(&mut self, mark: Pos, key_text: Option<&str>) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Map { path, pending_key, item_pending }) => match pending_key.take() {
                None => {
                    if std::mem::take(item_pending) {
                        self.map.nodes.insert(path.clone(), (mark, mark));
                    }
                    if let Some(k) = key_text {
                        *pending_key = Some((k.to_string(), mark));
                    } else {
                        // A complex key: give it an unmatchable name so values still pair up.
                        *pending_key = Some(("\u{0}".into(), mark));
                    }
                    None
                }
                Some((k, kpos)) => {
                    let p = join_key(path, &k);
                    self.map.nodes.insert(p.clone(), (kpos, mark));
                    Some(p)
                }
            },
            Some(Frame::Seq { path, next }) => {
                let p = join_index(path, *next);
                *next += 1;
                self.map.nodes.insert(p.clone(), (mark, mark));
                Some(p)
            }
        }
    }
}

impl MarkedEventReceiver for Recv {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = Pos::from(mark);
        match ev {
            Event::Scalar(text, ..) => {
                self.place(pos, Some(&text));
            }
            Event::Alias(_) => {
                self.place(pos, None);
            }
            Event::MappingStart(..) => {
                let in_seq = matches!(self.stack.last(), Some(Frame::Seq { .. }));
                // A mapping used as a key is not supported by the checklist: path "\0".
                let path = self.place(pos, None).unwrap_or_else(|| "\u{0}".into());
                self.stack.push(Frame::Map { path, pending_key: None, item_pending: in_seq });
            }
            Event::SequenceStart(..) => {
                let path = self.place(pos, None).unwrap_or_else(|| "\u{0}".into());
                self.stack.push(Frame::Seq { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keys_values_and_items() {
        let src = "version: 1\nchecks:\n  - id: a\n    http:\n      expect: { stauts: 200 }\n";
        let m = SpanMap::build(src).unwrap();
        assert_eq!(m.key("version"), Some(Pos { line: 1, col: 1 }));
        assert_eq!(m.value("version"), Some(Pos { line: 1, col: 10 }));
        assert_eq!(m.key("checks[0]"), Some(Pos { line: 3, col: 5 }));
        assert_eq!(m.key("checks[0].id"), Some(Pos { line: 3, col: 5 }));
        assert_eq!(m.key("checks[0].http.expect.stauts"), Some(Pos { line: 5, col: 17 }));
        assert_eq!(m.nearest_key("checks[0].http.nope.deeper"), Some(Pos { line: 4, col: 5 }));
    }

    #[test]
    fn nesting_past_the_limit_is_located_and_not_read_further() {
        let ok = format!("a: {}{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert!(SpanMap::build(&ok).is_ok());
        let deeper = format!("a: {}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(SpanMap::build(&deeper).unwrap_err(), Pos { line: 1, col: 4 + MAX_DEPTH - 1 });
        // Flow nesting past the scanner's own limit stops there.
        let deep = format!("a: {}{}", "[".repeat(200_000), "]".repeat(200_000));
        assert!(SpanMap::build(&deep).unwrap_err().col < 300);
        // Block nesting is counted by events: the root mapping is level 1, line N opens level N.
        let block: String =
            (0..100).map(|i| format!("{}k{i}:\n", "  ".repeat(i))).collect::<String>() + "x";
        assert_eq!(SpanMap::build(&block).unwrap_err().line, MAX_DEPTH + 1);
    }

    #[test]
    fn parent_walks_up() {
        assert_eq!(parent("a.b[2].c").as_deref(), Some("a.b[2]"));
        assert_eq!(parent("a.b[2]").as_deref(), Some("a.b"));
        assert_eq!(parent("a").as_deref(), Some(""));
        assert_eq!(parent(""), None);
    }
}
