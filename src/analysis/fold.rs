//! Character folding that remembers where each folded byte came from.
//!
//! Folding is NFKC (per character: full-width `ＯＲＡ－０１５５５` becomes
//! `ORA-01555`) followed by Traditional->Simplified characters (fast2s, which
//! maps 3-byte characters to 3-byte characters, so that step never moves an
//! offset). Tokens are found in the folded text, and [`Folded::original`] maps
//! their offsets back so snippets highlight what the author wrote.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

/// Text after folding, with a way back to offsets in the original.
pub struct Folded<'a> {
    /// The folded text (not yet lowercased; tokens are lowercased one by one).
    pub text: Cow<'a, str>,
    /// `map[i]` is the original byte offset of folded byte `i`; `None` when
    /// folding kept every offset (ASCII text, or no NFKC change).
    map: Option<Vec<u32>>,
}

impl<'a> Folded<'a> {
    /// Folds `text`.
    pub fn new(text: &'a str) -> Folded<'a> {
        if text.is_ascii() {
            return Folded {
                text: Cow::Borrowed(text),
                map: None,
            };
        }
        let (mut folded, map) = nfkc_with_map(text);
        fast2s::replace(&mut folded);
        Folded {
            text: Cow::Owned(folded),
            map,
        }
    }

    /// The original byte offset of folded byte offset `pos`.
    pub fn original(&self, pos: usize) -> usize {
        match &self.map {
            None => pos,
            Some(map) => map.get(pos).map(|&p| p as usize).unwrap_or(pos),
        }
    }
}

/// NFKC per character. Most CJK text is already NFKC, so the offset map is
/// built only when some character actually changes.
fn nfkc_with_map(text: &str) -> (String, Option<Vec<u32>>) {
    let first_change = text
        .char_indices()
        .find(|&(_, c)| !is_nfkc_stable(c) && changes_under_nfkc(c));
    let Some((start, _)) = first_change else {
        return (text.to_string(), None);
    };
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start]);
    let mut map: Vec<u32> = (0..start as u32).collect();
    for (pos, c) in text[start..].char_indices() {
        let orig = (start + pos) as u32;
        if is_nfkc_stable(c) {
            push_mapped(&mut out, &mut map, c, orig);
        } else {
            for folded in std::iter::once(c).nfkc() {
                push_mapped(&mut out, &mut map, folded, orig);
            }
        }
    }
    map.push(text.len() as u32);
    (out, Some(map))
}

fn push_mapped(out: &mut String, map: &mut Vec<u32>, c: char, orig: u32) {
    out.push(c);
    map.extend(std::iter::repeat_n(orig, c.len_utf8()));
}

/// ASCII and the CJK Unified Ideographs block never change under NFKC.
fn is_nfkc_stable(c: char) -> bool {
    c.is_ascii() || ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

fn changes_under_nfkc(c: char) -> bool {
    let mut it = std::iter::once(c).nfkc();
    !(it.next() == Some(c) && it.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_borrowed() {
        let f = Folded::new("ORA-01555");
        assert!(matches!(f.text, Cow::Borrowed(_)));
        assert_eq!(f.original(4), 4);
    }

    #[test]
    fn traditional_becomes_simplified_in_place() {
        let f = Folded::new("資料庫伺服器");
        assert_eq!(f.text, "资料库伺服器");
        assert_eq!(f.original(3), 3);
    }

    #[test]
    fn fullwidth_maps_back_to_original_offsets() {
        let original = "錯誤ＯＲＡ－０１５５５發生";
        let f = Folded::new(original);
        assert_eq!(f.text, "错误ORA-01555发生");
        let start = f.text.find("ORA").unwrap();
        let end = f.text.find("发生").unwrap();
        assert_eq!(
            &original[f.original(start)..f.original(end)],
            "ＯＲＡ－０１５５５"
        );
        assert_eq!(f.original(f.text.len()), original.len());
    }
}
