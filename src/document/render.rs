//! Markdown -> sanitized HTML for reading a document.
//!
//! Headings get the same anchors as [`super::markdown::extract`] reports, links
//! to other corpus files point at their `/doc/` page, and everything passes
//! through ammonia so that raw HTML in a file cannot script the reader's
//! browser (no stored XSS).

use pulldown_cmark::{CowStr, Event, Parser, Tag, TagEnd};

use super::markdown::{options, resolve_link, Anchors};
use crate::doc_id::DocId;

/// Renders the body of `id` as sanitized HTML.
pub fn to_html(body: &str, id: &DocId) -> String {
    let events = Parser::new_ext(body, options()).map(swallowing_html_as_text);
    let events = with_anchors_and_links(events.collect(), id);
    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    sanitizer().clean(&html).to_string()
}

/// Elements whose content a browser reads as raw text up to their end tag,
/// and the foreign (SVG, MathML) roots whose parsing rules differ: one left
/// open in a file would hide the rest of the document (the sanitizer drops
/// them with what they swallowed), and foreign content is where mutation
/// XSS lives. None is ever rendered, so raw HTML opening one is shown as
/// text instead.
const SWALLOWING_ELEMENTS: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
    "svg",
    "math",
];

/// Table parts inside a paragraph: the parser moves ("foster-parents")
/// what follows them out of the table, and the sanitizer loses it. Tables
/// written as HTML blocks are fine.
const TABLE_PARTS: &[&str] = &[
    "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "td", "th",
];

fn swallowing_html_as_text(event: Event<'_>) -> Event<'_> {
    match event {
        Event::Html(html) if opens_any(&html, SWALLOWING_ELEMENTS) => Event::Text(html),
        Event::InlineHtml(html)
            if opens_any(&html, SWALLOWING_ELEMENTS) || opens_any(&html, TABLE_PARTS) =>
        {
            Event::Text(html)
        }
        other => other,
    }
}

/// Whether `html` has a start tag of one of `elements`.
fn opens_any(html: &str, elements: &[&str]) -> bool {
    html.match_indices('<').any(|(at, _)| {
        let name: String = html[at + 1..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        elements.contains(&name.as_str())
    })
}

fn with_anchors_and_links<'a>(mut events: Vec<Event<'a>>, id: &DocId) -> Vec<Event<'a>> {
    let mut anchors = Anchors::default();
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Heading { .. }) => {
                let text = heading_text(&events[i + 1..]);
                let anchor = anchors.next(&text);
                if let Event::Start(Tag::Heading { id: hid, .. }) = &mut events[i] {
                    *hid = Some(CowStr::from(anchor));
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                if let Some(target) = resolve_link(id, dest_url) {
                    let fragment = dest_url
                        .split_once('#')
                        .map(|(_, f)| format!("#{f}"))
                        .unwrap_or_default();
                    let url = format!("{}{fragment}", target.url());
                    if let Event::Start(Tag::Link { dest_url, .. }) = &mut events[i] {
                        *dest_url = CowStr::from(url);
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    events
}

fn heading_text(rest: &[Event]) -> String {
    let mut text = String::new();
    for e in rest {
        match e {
            Event::End(TagEnd::Heading(_)) => break,
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            _ => {}
        }
    }
    text
}

fn sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    for h in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        b.add_tag_attributes(h, &["id"]);
    }
    // Task-list boxes only: any raw <input> becomes a disabled checkbox.
    b.add_tags(["input"]);
    b.add_tag_attributes("input", &["checked"]);
    b.set_tag_attribute_value("input", "type", "checkbox");
    b.set_tag_attribute_value("input", "disabled", "");
    b.add_allowed_classes("code", LANGUAGE_CLASSES);
    b.link_rel(Some("noopener noreferrer"));
    b
}

/// Code block languages whose class survives sanitizing (for styling).
const LANGUAGE_CLASSES: &[&str] = &[
    "language-sh",
    "language-bash",
    "language-shell",
    "language-sql",
    "language-yaml",
    "language-json",
    "language-toml",
    "language-text",
    "language-log",
    "language-java",
    "language-python",
    "language-go",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_scripts_and_event_handlers() {
        let id = DocId::parse("a.md").unwrap();
        let html = to_html(
            "# 標題\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n",
            &id,
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("<h1 id=\"標題\">標題</h1>"), "{html}");
    }

    #[test]
    fn an_unclosed_style_or_script_does_not_hide_the_rest() {
        let id = DocId::parse("a.md").unwrap();
        for opener in [
            "x <table><tr><td>cell",
            "<table><tr><td>",
            "<div><table>",
            "x <math><mtext><table><mglyph><style><img src=x onerror=\"a()\">",
            "<style>",
            "x <style> y",
            "<script>",
            "<textarea>",
            "<noscript><p title=\"</noscript>",
        ] {
            let html = to_html(
                &format!("{opener}\n\nbefore <b>kept</b>\n\n# 之後\n\nafter"),
                &id,
            );
            assert!(
                html.contains("<b>kept</b>") && html.contains("after"),
                "{opener}: {html}"
            );
            assert!(
                !html.contains("<style") && !html.contains("<script"),
                "{html}"
            );
        }
    }

    #[test]
    fn only_task_list_checkboxes_survive_as_inputs() {
        let id = DocId::parse("a.md").unwrap();
        let html = to_html(
            "- [x] done\n- [ ] open\n\ntext <input onfocus=x() autofocus> <input type=password>",
            &id,
        );
        assert_eq!(html.matches("<input").count(), 4, "{html}");
        assert_eq!(html.matches("type=\"checkbox\"").count(), 4, "{html}");
        assert_eq!(html.matches("disabled").count(), 4, "{html}");
        assert_eq!(html.matches("checked").count(), 1, "{html}");
        assert!(
            !html.contains("password") && !html.contains("onfocus") && !html.contains("autofocus"),
            "{html}"
        );
    }

    #[test]
    fn corpus_links_point_to_doc_pages() {
        let id = DocId::parse("runbooks/a.md").unwrap();
        let html = to_html("[b](../faq/b.md#step-2)", &id);
        assert!(html.contains("href=\"/doc/faq/b.md#step-2\""), "{html}");
    }
}
