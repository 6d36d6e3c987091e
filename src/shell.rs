//! Shell text helpers shared by the checklist (variable interpolation into `sh -c` scripts)
//! and the probes that show or build scripts: a leaf, so `probe` does not import them back
//! from `checklist`.

/// Ends the assignments `checklist::interp::Resolver::expand_shell` puts before a script.
pub const VALUES_END: &str = "\n# readyctl: end of interpolated values\n";

/// The script as written, without the value assignments before it: for one-line summaries.
/// (The last marker is the real one: values come before it, the script after.)
pub fn script_body(script: &str) -> &str {
    script.rsplit_once(VALUES_END).map_or(script, |(_, body)| body)
}

/// Characters that mean nothing to the shell wherever they stand (no quoting, expansion,
/// globbing, word splitting, comment or tilde).
pub fn literal_in_shell(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '_' | '.' | '/' | ':' | '=' | '@' | '%' | '+' | ',' | '-')
}

/// `text` as one single-quoted shell word (`'` written as `'\''`).
pub fn shell_quote(text: &str) -> String {
    if !text.is_empty() && text.chars().all(literal_in_shell) {
        return text.to_owned();
    }
    format!("'{}'", text.replace('\'', "'\\''"))
}
