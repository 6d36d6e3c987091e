//! Repairs UTF-8 text that was once decoded as Windows-1252 (or Latin-1) and re-encoded:
//! `âœ…` → `✅`, `ðŸŽ¯` → `🎯`. Each run of characters that map to bytes 0x80–0xFF is turned
//! back into those bytes; the parts that are valid UTF-8 replace the run, the rest stays.

/// Windows-1252's 0x80–0x9F block (0 where the code page leaves a byte undefined: those
/// bytes survive as the C1 control of the same value, as in Latin-1).
const CP1252_80: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// The byte a character stands for under Windows-1252 / Latin-1, when it is 0x80 or above.
fn high_byte(c: char) -> Option<u8> {
    let u = c as u32;
    if (0xA0..=0xFF).contains(&u) {
        return Some(u as u8);
    }
    CP1252_80.iter().position(|&x| x == c).map(|i| 0x80 + i as u8)
}

/// The repaired text and how many sequences were repaired.
pub fn repair(text: &str) -> (String, usize) {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut fixed = 0;
    let mut i = 0;
    while i < chars.len() {
        if high_byte(chars[i]).is_none() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        let mut bytes = Vec::new();
        while i < chars.len()
            && let Some(b) = high_byte(chars[i])
        {
            bytes.push(b);
            i += 1;
        }
        // Bytes and run characters correspond one to one, so invalid parts map back.
        let mut pos = start;
        for chunk in bytes.utf8_chunks() {
            let valid = chunk.valid();
            if !valid.is_empty() {
                out.push_str(valid);
                fixed += valid.chars().count();
                pos += valid.len();
            }
            for _ in chunk.invalid() {
                out.push(chars[pos]);
                pos += 1;
            }
        }
    }
    (out, fixed)
}

#[cfg(test)]
mod tests {
    use super::repair;

    #[test]
    fn repairs_check_marks_and_emoji() {
        assert_eq!(repair("âœ… Done"), ("✅ Done".to_string(), 1));
        assert_eq!(repair("ðŸŽ¯ Goal âš\u{a0}ï¸\u{8f}"), ("🎯 Goal ⚠️".to_string(), 3));
        assert_eq!(repair("cafÃ©"), ("café".to_string(), 1));
    }

    #[test]
    fn leaves_genuine_text_alone() {
        for s in ["café — naïve ✅", "plain ascii", "£5 × 3", "Ä"] {
            assert_eq!(repair(s), (s.to_string(), 0), "{s}");
        }
    }

    #[test]
    fn round_trips_any_mis_decoded_text() {
        let original = "✅ ✔ ☑ ⏸️ ⚠️ ❌ 🎯 — “quoted” café";
        let mangled: String = original
            .bytes()
            .map(|b| {
                if b < 0x80 {
                    b as char
                } else if b < 0xA0 {
                    super::CP1252_80[(b - 0x80) as usize]
                } else {
                    b as char
                }
            })
            .collect();
        assert_ne!(mangled, original);
        assert_eq!(repair(&mangled).0, original);
    }
}
