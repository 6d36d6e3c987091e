//! A thin layer over quick-xml shared by the XML readers: positioned errors, truncation
//! detection (elements still open at end of file) and attribute helpers.

use std::io::BufRead;
use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, BytesText, Event};

use super::{FormatError, Position};

pub(crate) struct Xml<'p, R> {
    reader: Reader<R>,
    path: &'p Path,
    open: Vec<Vec<u8>>,
    seen_element: bool,
}

impl<'p, R: BufRead> Xml<'p, R> {
    pub fn new(path: &'p Path, input: R) -> Self {
        let mut reader = Reader::from_reader(input);
        reader.config_mut().trim_text(true);
        Xml { reader, path, open: Vec::new(), seen_element: false }
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
                self.open.push(e.local_name().as_ref().to_vec());
            }
            Event::Empty(_) => self.seen_element = true,
            Event::End(_) => {
                self.open.pop();
            }
            Event::Eof => {
                if let Some(name) = self.open.last() {
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
