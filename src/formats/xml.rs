//! A thin layer over quick-xml shared by the XML readers: positioned errors, truncation
//! detection (elements still open at end of file) and attribute helpers.

use std::borrow::Cow;
use std::io::BufRead;
use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, BytesText, Event};

use super::{FormatError, Position};

pub(crate) struct Xml<'p, R> {
    reader: Reader<R>,
    path: &'p Path,
    /// Names of the open elements; buffers are reused (`depth` is the live length).
    open: Vec<Vec<u8>>,
    depth: usize,
    seen_element: bool,
}

impl<'p, R: BufRead> Xml<'p, R> {
    pub fn new(path: &'p Path, input: R) -> Self {
        let mut reader = Reader::from_reader(input);
        reader.config_mut().trim_text(true);
        Xml { reader, path, open: Vec::new(), depth: 0, seen_element: false }
    }

    /// The next event; `Eof` only when every element was closed.
    pub fn next<'b>(&mut self, buf: &'b mut Vec<u8>) -> Result<Event<'b>, FormatError> {
        buf.clear();
        let event = match self.reader.read_event_into(buf) {
            Ok(ev) => ev,
            Err(e) => {
                let pos = self.reader.error_position();
                return Err(FormatError::new(
                    self.path,
                    Some(Position::Byte(pos)),
                    format!("malformed XML: {e}"),
                ));
            }
        };
        match &event {
            Event::Start(e) => {
                self.seen_element = true;
                let name = e.local_name();
                if self.depth < self.open.len() {
                    self.open[self.depth].clear();
                    self.open[self.depth].extend_from_slice(name.as_ref());
                } else {
                    self.open.push(name.as_ref().to_vec());
                }
                self.depth += 1;
            }
            Event::Empty(_) => self.seen_element = true,
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            Event::Eof => {
                if self.depth > 0 {
                    let name = &self.open[self.depth - 1];
                    return Err(self.error(format!(
                        "truncated XML: end of file inside <{}>",
                        String::from_utf8_lossy(name)
                    )));
                }
                if !self.seen_element {
                    return Err(self.error("no XML element found (empty or not XML)"));
                }
            }
            _ => {}
        }
        Ok(event)
    }

    /// An error at the reader's current byte position.
    pub fn error(&self, message: impl Into<String>) -> FormatError {
        FormatError::new(self.path, Some(Position::Byte(self.reader.buffer_position())), message)
    }

    /// The unescaped value of attribute `name` (matched on its local name).
    pub fn attr(&self, e: &BytesStart, name: &[u8]) -> Result<Option<String>, FormatError> {
        for attr in e.attributes().with_checks(false) {
            let attr = attr.map_err(|err| self.error(format!("malformed attribute: {err}")))?;
            if attr.key.local_name().as_ref() == name {
                let value = match attr.unescape_value() {
                    Ok(v) => v.into_owned(),
                    Err(_) => String::from_utf8_lossy(&attr.value).into_owned(),
                };
                return Ok(Some(value));
            }
        }
        Ok(None)
    }

    /// Calls `f` with the local name and unescaped value of each attribute named in `wanted`,
    /// in one pass over the attributes.
    pub fn each_attr(
        &self,
        e: &BytesStart,
        wanted: &[&[u8]],
        mut f: impl FnMut(&[u8], Cow<'_, str>),
    ) -> Result<(), FormatError> {
        for attr in e.attributes().with_checks(false) {
            let attr = attr.map_err(|err| self.error(format!("malformed attribute: {err}")))?;
            if !wanted.contains(&attr.key.local_name().as_ref()) {
                continue;
            }
            let value = match attr.unescape_value() {
                Ok(v) => v,
                Err(_) => Cow::Owned(String::from_utf8_lossy(&attr.value).into_owned()),
            };
            f(attr.key.local_name().as_ref(), value);
        }
        Ok(())
    }

    /// Attribute parsed as a number; a present but unparsable value is an error.
    pub fn attr_num<T: std::str::FromStr>(
        &self,
        e: &BytesStart,
        name: &[u8],
    ) -> Result<Option<T>, FormatError> {
        match self.attr(e, name)? {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                self.error(format!(
                    "attribute {}=\"{v}\" is not a number",
                    String::from_utf8_lossy(name)
                ))
            }),
        }
    }
}

/// Text content, unescaped when possible.
pub(crate) fn text(t: &BytesText) -> String {
    match t.unescape() {
        Ok(s) => s.into_owned(),
        Err(_) => String::from_utf8_lossy(t.as_ref()).into_owned(),
    }
}
