//! The search box's little syntax, parsed leniently: `"exact phrase"`,
//! `-word` / `-"phrase"` exclusion, inline `kind:` `system:` `tag:` filters,
//! and free text. Nothing is an error: an unbalanced quote is plain text, an
//! unknown `key:` is two words, `AND OR NOT` are ignored (every word is
//! optional anyway), a lone `-` is punctuation.

/// Operator words other engines use; here they are noise, not words.
const OPERATOR_WORDS: &[&str] = &["AND", "OR", "NOT", "&&", "||"];

/// A query with more pieces than this is a paste (a log line, a stack
/// trace), not typed syntax: its `-x` and `key:value` are text.
const MAX_SYNTAX_PIECES: usize = 32;

/// Opening and closing quote characters (ASCII and CJK full-width).
const QUOTES: &[(char, char)] = &[('"', '"'), ('“', '”'), ('「', '」'), ('＂', '＂')];

/// A parsed query.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ParsedQuery {
    /// Free text, in order (quoted phrases excluded).
    pub text: String,
    /// Quoted phrases: each must occur.
    pub phrases: Vec<String>,
    /// Excluded words or phrases: none may occur.
    pub excluded: Vec<String>,
    /// `kind:` values.
    pub kinds: Vec<String>,
    /// `system:` values.
    pub systems: Vec<String>,
    /// `tag:` values.
    pub tags: Vec<String>,
    /// The user is still typing the last word (no trailing space).
    pub last_word_open: bool,
}

impl ParsedQuery {
    /// True when nothing in the query can match or filter.
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
            && self.phrases.is_empty()
            && self.excluded.is_empty()
            && self.kinds.is_empty()
            && self.systems.is_empty()
            && self.tags.is_empty()
    }
}

/// One whitespace-separated piece, or a quoted run.
enum Piece<'a> {
    Word(&'a str),
    Quoted { text: &'a str, negated: bool },
}

/// Parses `q`; never fails.
pub fn parse(q: &str) -> ParsedQuery {
    let mut out = ParsedQuery::default();
    let mut free: Vec<&str> = Vec::new();
    let mut last_is_free_word = false;
    let pieces = pieces(q);
    if pieces.len() > MAX_SYNTAX_PIECES {
        out.text = q.to_string();
        return out;
    }
    for piece in pieces {
        last_is_free_word = false;
        match piece {
            Piece::Quoted { text, negated } if !text.trim().is_empty() => {
                let target = if negated {
                    &mut out.excluded
                } else {
                    &mut out.phrases
                };
                target.push(text.trim().to_string());
            }
            Piece::Quoted { .. } => {}
            Piece::Word(w) => {
                if OPERATOR_WORDS.contains(&w) {
                    continue;
                }
                if let Some(rest) = w.strip_prefix('-').filter(|r| has_word_char(r)) {
                    out.excluded.push(rest.to_string());
                } else if !filter(&mut out, w) {
                    free.push(w);
                    last_is_free_word = true;
                }
            }
        }
    }
    out.text = free.join(" ");
    out.last_word_open = last_is_free_word && !q.ends_with(char::is_whitespace);
    out
}

/// Applies `key:value` when key is a filter name; false otherwise.
fn filter(out: &mut ParsedQuery, word: &str) -> bool {
    let Some((key, value)) = word.split_once(':') else {
        return false;
    };
    let value = value.trim();
    if value.is_empty() || value.contains(':') {
        return false;
    }
    let target = match key.to_ascii_lowercase().as_str() {
        "kind" => &mut out.kinds,
        "system" | "systems" => &mut out.systems,
        "tag" | "tags" => &mut out.tags,
        _ => return false,
    };
    target.extend(
        value
            .split(',')
            .filter(|v| !v.is_empty())
            .map(str::to_string),
    );
    true
}

fn has_word_char(s: &str) -> bool {
    s.chars().any(char::is_alphanumeric)
}

fn closing_quote(c: char) -> Option<char> {
    QUOTES
        .iter()
        .find(|(o, _)| *o == c)
        .map(|&(_, close)| close)
}

/// Splits on whitespace, keeping quoted runs (with an optional leading `-`)
/// together. An opening quote without its closing one is an ordinary
/// character.
fn pieces(q: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = q;
    loop {
        rest = rest.trim_start();
        let Some(first) = rest.chars().next() else {
            break;
        };
        let negated = first == '-';
        let after_dash = if negated { &rest[1..] } else { rest };
        if let Some(quoted) = quoted_run(after_dash) {
            out.push(Piece::Quoted {
                text: quoted.0,
                negated,
            });
            rest = quoted.1;
            continue;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        out.push(Piece::Word(&rest[..end]));
        rest = &rest[end..];
    }
    out
}

/// `("inside", rest)` when `s` starts with a quote that is closed later.
fn quoted_run(s: &str) -> Option<(&str, &str)> {
    let open = s.chars().next()?;
    let close = closing_quote(open)?;
    let body = &s[open.len_utf8()..];
    let end = body.find(close)?;
    Some((&body[..end], &body[end + close.len_utf8()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_exclusions_filters_and_text() {
        let p = parse(
            r#"kind:runbook "日终 批次" ORA-01555 -"test env" -staging tag:db,oracle  restart"#,
        );
        assert_eq!(p.phrases, ["日终 批次"]);
        assert_eq!(p.excluded, ["test env", "staging"]);
        assert_eq!(p.kinds, ["runbook"]);
        assert_eq!(p.tags, ["db", "oracle"]);
        assert_eq!(p.text, "ORA-01555 restart");
        assert!(p.last_word_open);
    }

    #[test]
    fn lenient_on_broken_syntax() {
        let p = parse(r#"AND "unclosed OR a:b:c - foo: 「引號」 "#);
        assert_eq!(p.text, r#""unclosed a:b:c - foo:"#);
        assert_eq!(p.phrases, ["引號"]);
        assert!(p.excluded.is_empty());
        assert!(!p.last_word_open);
        assert!(parse("   ").is_empty());
        assert!(parse("\"\"").is_empty());
    }
}
