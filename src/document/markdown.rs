//! Markdown body -> plain text, headings (with anchors) and links.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Serialize;

use crate::doc_id::DocId;

/// A heading with the anchor the rendered HTML gives it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Heading {
    /// 1 to 6.
    pub level: u8,
    /// Heading text.
    pub text: String,
    /// The `id` of the heading in rendered HTML.
    pub anchor: String,
}

/// A link in the body.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Link {
    /// The link target as written.
    pub target: String,
    /// The corpus document it points to, for relative links to `.md` files.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub doc: Option<DocId>,
    /// The link text.
    pub text: String,
}

/// What [`extract`] finds in a body.
#[derive(Debug, Default)]
pub struct Extracted {
    /// Plain text, one line per block, code included.
    pub text: String,
    /// Headings in order.
    pub headings: Vec<Heading>,
    /// The first level-1 heading.
    pub first_h1: Option<String>,
    /// Links in order.
    pub links: Vec<Link>,
}

/// The Markdown extensions baton understands, for text and for HTML alike.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Walks the Markdown events of `body` (the file `id`).
pub fn extract(body: &str, id: &DocId) -> Extracted {
    let mut out = Extracted {
        text: String::with_capacity(body.len()),
        ..Extracted::default()
    };
    let mut anchors = Anchors::default();
    let mut heading: Option<(u8, String)> = None;
    let mut link: Option<(String, String)> = None;
    for event in Parser::new_ext(body, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => {
                out.text.push_str(&t);
                if let Some((_, h)) = heading.as_mut() {
                    h.push_str(&t);
                }
                if let Some((_, l)) = link.as_mut() {
                    l.push_str(&t);
                }
            }
            Event::Html(t) | Event::InlineHtml(t) => push_html_text(&t, &mut out.text),
            Event::SoftBreak => out.text.push(' '),
            Event::HardBreak | Event::Rule => out.text.push('\n'),
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((level_number(level), String::new()))
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, text)) = heading.take() {
                    let text = text.trim().to_string();
                    if level == 1 && out.first_h1.is_none() && !text.is_empty() {
                        out.first_h1 = Some(text.clone());
                    }
                    out.headings.push(Heading {
                        level,
                        anchor: anchors.next(&text),
                        text,
                    });
                }
                out.text.push('\n');
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                link = Some((dest_url.to_string(), String::new()))
            }
            Event::End(TagEnd::Link) => {
                if let Some((target, text)) = link.take() {
                    out.links.push(Link {
                        doc: resolve_link(id, &target),
                        target,
                        text,
                    });
                }
            }
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableCell
                | TagEnd::TableRow
                | TagEnd::BlockQuote(_),
            ) => out.text.push('\n'),
            Event::End(TagEnd::TableHead) => out.text.push('\n'),
            _ => {}
        }
    }
    out
}

/// Keeps the text between tags of raw HTML (`<details>` blocks hold prose).
fn push_html_text(html: &str, out: &mut String) {
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
}

fn level_number(level: HeadingLevel) -> u8 {
    level as u8
}

/// Unique heading anchors: `## 處理步驟` -> `處理步驟`, repeats get `-1`, `-2`.
#[derive(Default)]
pub struct Anchors {
    seen: std::collections::HashMap<String, usize>,
}

impl Anchors {
    /// The anchor for the next heading with `text`.
    pub fn next(&mut self, text: &str) -> String {
        let mut slug = String::new();
        for c in text.trim().chars().flat_map(char::to_lowercase) {
            if c.is_alphanumeric() {
                slug.push(c);
            } else if (c.is_whitespace() || c == '-' || c == '_') && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let slug = slug.trim_matches('-').to_string();
        let slug = if slug.is_empty() {
            "section".to_string()
        } else {
            slug
        };
        let count = self.seen.entry(slug.clone()).or_insert(0);
        *count += 1;
        if *count == 1 {
            slug
        } else {
            format!("{slug}-{}", *count - 1)
        }
    }
}

/// The corpus document a link points to: relative (or corpus-absolute,
/// `/faq/x.md`) links to `.md` files; never outside the corpus.
pub fn resolve_link(from: &DocId, target: &str) -> Option<DocId> {
    if target.contains("://")
        || target.starts_with("//")
        || target.starts_with('#')
        || target.starts_with("mailto:")
    {
        return None;
    }
    let path = target.split(['#', '?']).next()?;
    let path = percent_decode(path);
    if !path.to_ascii_lowercase().ends_with(".md") {
        return None;
    }
    from.join(&path)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> DocId {
        DocId::parse(s).unwrap()
    }

    #[test]
    fn code_blocks_are_text_and_headings_have_anchors() {
        let e = extract(
            "# 日終批次\n\n## 處理步驟\n\n```sh\nsqlplus / as sysdba\n```\n## 處理步驟\n",
            &id("a.md"),
        );
        assert!(e.text.contains("sqlplus / as sysdba"));
        assert_eq!(e.first_h1.as_deref(), Some("日終批次"));
        assert_eq!(e.headings[1].anchor, "處理步驟");
        assert_eq!(e.headings[2].anchor, "處理步驟-1");
    }

    #[test]
    fn links_resolve_inside_the_corpus_only() {
        let from = id("runbooks/core/a.md");
        assert_eq!(
            resolve_link(&from, "../../incidents/b.md#x"),
            Some(id("incidents/b.md"))
        );
        assert_eq!(resolve_link(&from, "/faq/c.md"), Some(id("faq/c.md")));
        assert_eq!(
            resolve_link(&from, "%E6%97%A5.md"),
            Some(id("runbooks/core/日.md"))
        );
        assert_eq!(resolve_link(&from, "../../../../etc/passwd.md"), None);
        assert_eq!(resolve_link(&from, "https://x.example/a.md"), None);
    }
}
