//! OpenCover XML (.NET: OpenCover, coverlet `opencover`). "Lines" are sequence points, as in
//! OpenCover's own `<Summary numSequencePoints visitedSequencePoints>`: each `<SequencePoint>`
//! is one unit, covered when `vc > 0`. Branches are `<BranchPoint>`s, covered when `vc > 0`.
//! Points are attributed to files through `fileid` (or the method's `<FileRef uid>`), resolved
//! against the module's `<File uid fullPath>` list; summaries are ignored.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::Path;

use quick_xml::events::Event;

use super::xml::Xml;
use super::{CoverageReport, FileDetail, FormatError};

pub(crate) fn read(path: &Path, input: impl BufRead) -> Result<CoverageReport, FormatError> {
    let mut xml = Xml::new(path, input);
    let mut buf = Vec::with_capacity(4096);
    let mut files: BTreeMap<String, FileDetail> = BTreeMap::new();
    let mut uid_path: HashMap<String, String> = HashMap::new();
    let mut method_file: Option<String> = None;
    let mut saw_root = false;
    loop {
        let event = xml.next(&mut buf)?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => match e.local_name().as_ref() {
                b"CoverageSession" => saw_root = true,
                b"Module" => uid_path.clear(),
                b"File" => {
                    if let (Some(uid), Some(full)) =
                        (xml.attr(e, b"uid")?, xml.attr(e, b"fullPath")?)
                    {
                        uid_path.insert(uid, full);
                    }
                }
                b"Method" => method_file = None,
                b"FileRef" => method_file = xml.attr(e, b"uid")?,
                kind @ (b"SequencePoint" | b"BranchPoint") => {
                    let uid = xml.attr(e, b"fileid")?.or_else(|| method_file.clone());
                    let Some(file) = uid.and_then(|u| uid_path.get(&u)) else { continue };
                    let n = |k: &[u8]| xml.attr_num::<u32>(e, k).map(Option::unwrap_or_default);
                    let vc: u64 = xml.attr_num(e, b"vc")?.unwrap_or(0);
                    let d = files.entry(file.clone()).or_default();
                    if kind == b"SequencePoint" {
                        d.hit_unit((n(b"sl")?, n(b"sc")?, n(b"el")?, n(b"ec")?), 1, vc);
                    } else {
                        d.hit_branch((n(b"sl")?, n(b"offset")?, n(b"path")?), vc);
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(xml.error("no <CoverageSession> element: not an OpenCover report"));
    }
    Ok(CoverageReport::from_details(files))
}
