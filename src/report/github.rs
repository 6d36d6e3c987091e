//! GitHub Actions: workflow-command annotations for failing checks (at paths relative to the
//! repository root, see [`places`](super::places)) and the Markdown report in
//! the job's step summary. GitHub shows at most 10 error and 10 warning annotations per step,
//! and a step summary of at most 1 MiB; we stay within both and say what was left out.

use std::io::Write as _;
use std::path::Path;

use super::places;
use crate::outcome::Status;
use crate::record::RunRecord;

/// Annotations of each kind GitHub displays per step.
pub const MAX_PER_KIND: usize = 10;
/// The step summary's size limit.
pub const SUMMARY_LIMIT: u64 = 1 << 20;

/// Escapes an annotation message (`%`, CR, LF).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes an annotation property value (also `:` and `,`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// `::error …::` lines: blocking failures and errors as errors, the rest as warnings.
pub fn annotations(record: &RunRecord) -> String {
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    for r in record.results.iter().filter(|r| matches!(r.status, Status::Fail | Status::Error)) {
        let mut props = Vec::new();
        if let Some(place) = places::primary(record, r) {
            props.push(format!("file={}", escape_property(&place.path)));
            if let Some(l) = place.line {
                props.push(format!("line={l}"));
                if let Some(c) = place.column {
                    props.push(format!("col={c}"));
                }
            }
        }
        let word = if r.status == Status::Error { "could not verify" } else { "failed" };
        props.push(format!("title={}", escape_property(&format!("{} {word}", r.id))));
        let mut msg = format!("{}: {}", r.title, r.reason);
        if let Some(rem) = &r.remediation {
            msg.push_str(&format!("\nRemediation: {rem}"));
        }
        let kind = if crate::verdict::is_blocking(r, &record.policy) { "error" } else { "warning" };
        let line = format!("::{kind} {}::{}", props.join(","), escape_data(&msg));
        if kind == "error" { errors.push(line) } else { warnings.push(line) }
    }
    let mut out = String::new();
    for (list, kind) in [(&errors, "error"), (&warnings, "warning")] {
        for l in list.iter().take(MAX_PER_KIND) {
            out.push_str(l);
            out.push('\n');
        }
        if list.len() > MAX_PER_KIND {
            out.push_str(&format!(
                "::notice title=readyctl::{} more {kind}s are not annotated (GitHub shows {MAX_PER_KIND} per step): see the step summary\n",
                list.len() - MAX_PER_KIND
            ));
        }
    }
    out
}

/// Appends `markdown` to the step summary file, keeping the file within [`SUMMARY_LIMIT`].
pub fn append_summary(path: &Path, markdown: &str) -> std::io::Result<()> {
    let existing = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let room = SUMMARY_LIMIT.saturating_sub(existing) as usize;
    let text = if markdown.len() < room {
        format!("{markdown}\n")
    } else {
        let note = "\n\n_(readyctl: report cut to fit GitHub's 1 MiB step summary; the full report.md is in the run directory)_\n";
        if room <= note.len() {
            return Ok(());
        }
        let mut end = room - note.len();
        while !markdown.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}{note}", &markdown[..end])
    };
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    f.write_all(text.as_bytes())
}

/// The report as the step summary shows it. A relative link resolves against github.com there,
/// not against the run directory, so evidence links become paths in code, and one line says
/// where the files are: the workflow run's `readyctl-run` artifact (uploaded by `action.yml`).
pub fn for_step_summary(markdown: &str, run_url: Option<&str>) -> String {
    let link = regex::Regex::new(r"\[[^\]\n]*\]\((evidence/[^)\s]*)\)").expect("valid regex");
    let text = link.replace_all(markdown, |c: &regex::Captures<'_>| {
        let path = c[1].replace("%20", " ");
        let fence = if path.contains('`') { "``" } else { "`" };
        format!("{fence}{path}{fence}")
    });
    let note = match run_url {
        Some(url) => format!(
            "> Evidence files are in the run directory: the `readyctl-run` artifact of [this workflow run]({url})."
        ),
        None => {
            "> Evidence files are in the run directory (paths below are relative to it).".into()
        }
    };
    // After the title line.
    match text.split_once('\n') {
        Some((title, rest)) if title.starts_with("# ") => format!("{title}\n\n{note}\n{rest}"),
        _ => format!("{note}\n\n{text}"),
    }
}

/// `https://github.com/OWNER/REPO/actions/runs/ID` from the Actions environment.
pub fn workflow_run_url(env: impl Fn(&str) -> Option<String>) -> Option<String> {
    let server = env("GITHUB_SERVER_URL").filter(|s| !s.is_empty())?;
    let repo = env("GITHUB_REPOSITORY").filter(|s| !s.is_empty())?;
    let id = env("GITHUB_RUN_ID").filter(|s| s.bytes().all(|b| b.is_ascii_digit()))?;
    Some(format!("{}/{repo}/actions/runs/{id}", server.trim_end_matches('/')))
}

/// When running in GitHub Actions (`GITHUB_ACTIONS=true`): prints annotations on stdout and
/// appends the report (links adapted by [`for_step_summary`]) to `$GITHUB_STEP_SUMMARY`.
pub fn emit_if_enabled(record: &RunRecord, markdown: &str) -> std::io::Result<()> {
    if std::env::var("GITHUB_ACTIONS").as_deref() != Ok("true") {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    out.write_all(annotations(record).as_bytes())?;
    out.flush()?;
    if let Some(p) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let url = workflow_run_url(|name| std::env::var(name).ok());
        append_summary(Path::new(&p), &for_step_summary(markdown, url.as_deref()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_workflow_command_rules() {
        assert_eq!(escape_data("100% done\r\nnext: a, b"), "100%25 done%0D%0Anext: a, b");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
