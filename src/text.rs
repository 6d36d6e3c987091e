//! Small text helpers every part of readyctl shares, so one thing is written one way: lowercase
//! hex (digests, key ids, fingerprints), paths relative to the repository with `/` separators,
//! and the "first few, then how many more" summary of a long list. A leaf: it depends on
//! nothing in the crate. (Plurals are `diag::plural`, beside the diagnostics that use them.)

use std::path::Path;

use sha2::{Digest, Sha256};

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    s
}

/// Lowercase hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `path` relative to `repo`, with `/` separators; `path` itself (with `/`) when it is not
/// under `repo`.
pub fn repo_relative(path: &Path, repo: &Path) -> String {
    slashes(path.strip_prefix(repo).unwrap_or(path))
}

/// `path` relative to `repo`, with `/` separators; `None` when it is not under `repo`.
pub fn under_repo(path: &Path, repo: &Path) -> Option<String> {
    path.strip_prefix(repo).ok().map(slashes)
}

/// A path as text with `/` separators (lossy for names that are not UTF-8).
fn slashes(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// How a shortened list says how many items it left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum More {
    /// ` (+N more)`: in a probe's one-line reason.
    Plus,
    /// ` and N more`: in a sentence.
    And,
}

/// What a list of `total` items of which the first `shown` are written leaves out: ` (+N more)`
/// or ` and N more`, or `""` when it leaves out nothing.
pub fn more(total: usize, shown: usize, wording: More) -> String {
    if total <= shown {
        return String::new();
    }
    match wording {
        More::Plus => format!(" (+{} more)", total - shown),
        More::And => format!(" and {} more", total - shown),
    }
}

/// The first `shown` items, comma-separated, then what was left out ([`more`]).
pub fn first_few<S: AsRef<str>>(items: &[S], shown: usize, wording: More) -> String {
    let listed: Vec<&str> = items.iter().take(shown).map(AsRef::as_ref).collect();
    format!("{}{}", listed.join(", "), more(items.len(), shown, wording))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(hex(&[]), "");
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        let all: Vec<u8> = (0..=255).collect();
        let expected: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&all), expected);
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn paths_are_relative_to_the_repository_with_slashes() {
        let repo = Path::new("/r/repo");
        assert_eq!(repo_relative(Path::new("/r/repo/src/a.rs"), repo), "src/a.rs");
        assert_eq!(repo_relative(Path::new("/elsewhere/a.rs"), repo), "/elsewhere/a.rs");
        assert_eq!(repo_relative(repo, repo), "");
        assert_eq!(repo_relative(Path::new("a\\b.txt"), repo), "a/b.txt");
        assert_eq!(under_repo(Path::new("/r/repo/x/y"), repo).as_deref(), Some("x/y"));
        assert_eq!(under_repo(Path::new("/r/repository/x"), repo), None);
    }

    #[test]
    fn first_few_then_how_many_more() {
        let items = ["a", "b", "c", "d", "e"];
        assert_eq!(first_few(&items, 3, More::Plus), "a, b, c (+2 more)");
        assert_eq!(first_few(&items, 3, More::And), "a, b, c and 2 more");
        assert_eq!(first_few(&items, 5, More::Plus), "a, b, c, d, e");
        assert_eq!(first_few(&items[..0], 3, More::And), "");
        assert_eq!(more(10, 3, More::Plus), " (+7 more)");
        assert_eq!(more(3, 3, More::Plus), "");
        assert_eq!(more(2, 3, More::And), "");
    }
}
