//! TAP version 13: one test point per check, a YAML diagnostic block for every one that did
//! not pass. `skip` is `# SKIP`; `waived` and `pending` are `not ok … # TODO` (known, accepted
//! or awaited — a TAP consumer does not count them as failures).

use std::fmt::Write as _;

use crate::outcome::Status;
use crate::record::RunRecord;

/// A description on one line, with `#` escaped so it is not read as a directive.
fn desc(text: &str) -> String {
    text.replace(['\n', '\r'], " ").replace('\\', "\\\\").replace('#', "\\#")
}

pub fn render(record: &RunRecord) -> String {
    let mut t = String::from("TAP version 13\n");
    let _ = writeln!(t, "1..{}", record.results.len());
    for (i, r) in record.results.iter().enumerate() {
        let n = i + 1;
        let name = desc(&format!("{} - {}", r.id, r.title));
        let line = match r.status {
            Status::Pass => format!("ok {n} - {name}"),
            Status::Fail | Status::Error => format!("not ok {n} - {name}"),
            Status::Skip => format!("ok {n} - {name} # SKIP {}", desc(&r.reason)),
            Status::Pending => format!("not ok {n} - {name} # TODO pending: {}", desc(&r.reason)),
            Status::Waived => format!(
                "not ok {n} - {name} # TODO waived: {}",
                desc(r.waiver.as_ref().map_or(&r.reason, |w| &w.reason))
            ),
        };
        t.push_str(&line);
        t.push('\n');
        if r.status == Status::Pass {
            continue;
        }
        let mut m = serde_yaml::Mapping::new();
        let mut put = |k: &str, v: serde_yaml::Value| {
            m.insert(k.into(), v);
        };
        put("status", r.status.as_str().into());
        put("message", r.reason.clone().into());
        put("severity", r.severity.as_str().into());
        put("area", r.area.clone().into());
        put("defined_at", r.defined_at.to_string().into());
        if let Some(w) = &r.waiver {
            put("waived_from", w.waived_from.as_str().into());
            put("original_reason", w.original_reason.clone().into());
            if let Some(by) = &w.approved_by {
                put("approved_by", by.clone().into());
            }
            if let Some(e) = &w.expires {
                put("expires", e.clone().into());
            }
        }
        if let Some(rem) = &r.remediation {
            put("remediation", rem.clone().into());
        }
        if !r.locations.is_empty() {
            let locs: Vec<serde_yaml::Value> = r
                .locations
                .iter()
                .take(50)
                .map(|l| {
                    format!("{}{}", l.path, l.line.map(|n| format!(":{n}")).unwrap_or_default())
                        .into()
                })
                .collect();
            put("locations", locs.into());
        }
        put("duration_ms", r.duration_ms.into());
        let yaml = serde_yaml::to_string(&m).unwrap_or_default();
        t.push_str("  ---\n");
        for l in yaml.lines() {
            let _ = writeln!(t, "  {l}");
        }
        t.push_str("  ...\n");
    }
    t
}
