//! A shields-style SVG badge: `readiness | READY · silver`, coloured by verdict.

use crate::record::RunRecord;
use crate::verdict::Verdict;

fn xml(text: &str) -> String {
    super::junit::escape(text)
}

/// Approximate width of Verdana 11px text (shields.io's font), in pixels.
fn text_width(text: &str) -> u32 {
    text.chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '.' | ',' | ':' | '\'' | '|' | ' ' | 'I' | '!' => 4,
            'm' | 'w' | 'M' | 'W' => 10,
            c if c.is_ascii_uppercase() => 8,
            _ => 7,
        })
        .sum()
}

pub fn render(record: &RunRecord) -> String {
    let s = &record.summary;
    let label = "readiness";
    let mut value = s.verdict.as_str().to_string();
    if let Some(l) = s.level {
        value.push_str(&format!(" · {}", l.as_str()));
    }
    let color = match s.verdict {
        Verdict::Ready => "#4c1",
        Verdict::NotReady => "#e05d44",
        Verdict::Incomplete => "#dfb317",
    };
    let lw = text_width(label) + 10;
    let vw = text_width(&value) + 10;
    let total = lw + vw;
    let (label, value) = (xml(label), xml(&value));
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{label}: {value}">
  <title>{label}: {value}</title>
  <linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
  <clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>
  <g clip-path="url(#r)">
    <rect width="{lw}" height="20" fill="#555"/>
    <rect x="{lw}" width="{vw}" height="20" fill="{color}"/>
    <rect width="{total}" height="20" fill="url(#s)"/>
  </g>
  <g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
    <text x="{lx}" y="15" fill="#010101" fill-opacity=".3">{label}</text>
    <text x="{lx}" y="14">{label}</text>
    <text x="{vx}" y="15" fill="#010101" fill-opacity=".3">{value}</text>
    <text x="{vx}" y="14">{value}</text>
  </g>
</svg>
"##,
        lx = lw / 2,
        vx = lw + vw / 2,
    )
}
