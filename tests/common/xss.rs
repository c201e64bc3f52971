//! Script-injection vectors and a checker that HTML served by baton is inert.
//!
//! Every vector sets `window.__xss` to its number if it ever runs, so a
//! browser test can tell which one got through. The same list is planted in
//! a document's body, its front matter (title, owner, systems, tags, trainer,
//! recording, segment labels and tags) and a handover plan.
#![allow(dead_code)]

/// Classic, encoded, malformed and mutation-XSS vectors.
pub const VECTORS: &[&str] = &[
    "<script>window.__xss=1</script>",
    "<img src=x onerror=\"window.__xss=2\">",
    "<svg onload=\"window.__xss=3\"><circle r=\"1\"/></svg>",
    "<svg><script>window.__xss=4</script></svg>",
    "<a href=\"javascript:window.__xss=5\">js link</a>",
    "<a href=\" JaVaScRiPt:window.__xss=6\">mixed case</a>",
    "<a href=\"&#106;avascript:window.__xss=7\">entity-encoded</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9ODwvc2NyaXB0Pg==\">data url</a>",
    "<iframe src=\"javascript:window.__xss=9\"></iframe>",
    "<iframe srcdoc=\"<script>parent.__xss=10</script>\"></iframe>",
    "<details open ontoggle=\"window.__xss=11\">toggle</details>",
    "<math><mtext><table><mglyph><style><img src=x onerror=\"window.__xss=12\">",
    "<scr<script>ipt>window.__xss=13</script>",
    "<img src=x onerror=window.__xss=14//",
    "<object data=\"javascript:window.__xss=15\"></object>",
    "<embed src=\"data:image/svg+xml,<svg onload=window.__xss=16>\">",
    "<form action=\"javascript:window.__xss=17\"><button>go</button></form>",
    "<input autofocus onfocus=\"window.__xss=18\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:window.__xss=19\">",
    "<base href=\"javascript:window.__xss=20//\">",
    "<style>@import 'javascript:window.__xss=21';</style>",
    "<div style=\"background:url(javascript:window.__xss=22)\">css url</div>",
    "[markdown link](javascript:window.__xss=23)",
    "![markdown image](javascript:window.__xss=24)",
    "<a href=\"vbscript:window.__xss=25\">vbscript</a>",
    "\"><script>window.__xss=26</script>",
    "'><img src=x onerror=window.__xss=27>",
    "<svg><a xlink:href=\"javascript:window.__xss=28\"><text y=\"20\">svg link</text></a></svg>",
    "<body onload=\"window.__xss=29\">",
    "<noscript><p title=\"</noscript><img src=x onerror=window.__xss=30>\">",
];

/// A word every planted document contains, to search them.
pub const MARKER: &str = "xssvector";

/// A YAML double-quoted scalar (JSON strings are valid YAML).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

fn yaml_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quoted(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// A training record carrying every vector in its body and front matter.
pub fn vector_document() -> String {
    let all = VECTORS.join(" ");
    let segments: String = VECTORS
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "  - at: \"00:{:02}:00\"\n    label: {}\n    tags: [{}]\n",
                i % 60,
                quoted(&format!("{MARKER} {v}")),
                quoted(v)
            )
        })
        .collect();
    let body: String = VECTORS
        .iter()
        .map(|v| format!("{MARKER} 測試 {v}\n\n"))
        .collect();
    format!(
        "---\ntitle: {title}\nkind: training\nowner: {owner}\ntrainer: {trainer}\n\
         recorded: 2026-01-05\nrecording: \"javascript:window.__xss=99\"\n\
         systems: {systems}\ntags: {tags}\nsegments:\n{segments}---\n\n\
         # {MARKER} 惡意內容 {h1}\n\n{body}## 小節 {h2}\n\n{all}\n",
        title = quoted(&format!("{MARKER} 標題 {}", VECTORS[1])),
        owner = quoted(VECTORS[0]),
        trainer = quoted(VECTORS[26]),
        systems = yaml_list(&["core-banking", VECTORS[2]]),
        tags = yaml_list(&VECTORS[..8]),
        h1 = VECTORS[1],
        h2 = VECTORS[12],
    )
}

/// A handover plan with vectors in its title, people, items and body.
pub fn vector_handover() -> String {
    let items: String = VECTORS
        .iter()
        .take(12)
        .enumerate()
        .map(|(i, v)| {
            format!(
                "  - topic: {}\n    stage: documentation\n    due: 2026-12-{:02}\n    done: false\n",
                quoted(&format!("{MARKER} {v}")),
                i + 1
            )
        })
        .collect();
    format!(
        "---\ntitle: {title}\nsystems: [core-banking]\nfrom: {from}\nto: {to}\n\
         start: 2026-12-01\nend: 2026-12-31\nstatus: planned\nitems:\n{items}confirmations: []\n---\n\n\
         # {MARKER} 交接 {h1}\n\n{body}\n",
        title = quoted(&format!("{MARKER} 交接 {}", VECTORS[3])),
        from = quoted(VECTORS[0]),
        to = quoted(VECTORS[17]),
        h1 = VECTORS[9],
        body = VECTORS.join("\n\n"),
    )
}

/// Tags no document HTML may contain: they run script, load other
/// documents, restyle the page or change where links go.
const FORBIDDEN_TAGS: &[&str] = &[
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "style",
    "link", "meta", "base", "form", "button", "textarea", "select", "template", "noscript", "body",
    "html", "head",
];

/// Attributes holding URLs.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "background",
    "poster",
    "data",
    "cite",
];

/// Panics unless `html` is inert: no forbidden tag, no event handler or
/// inline style, and only http(s), mailto, tel or relative URLs.
pub fn assert_inert_html(context: &str, html: &str) {
    for tag in tags(html) {
        assert!(
            !FORBIDDEN_TAGS.contains(&tag.name.as_str()),
            "{context}: <{}> survived in {html}",
            tag.name
        );
        if tag.name == "input" {
            let kind = tag.attr("type").unwrap_or_default();
            assert_eq!(
                kind, "checkbox",
                "{context}: an input that is not a task checkbox in {html}"
            );
        }
        for (name, value) in &tag.attributes {
            assert!(
                !name.starts_with("on") && name != "style" && name != "srcdoc",
                "{context}: attribute {name}={value:?} survived in {html}"
            );
            if URL_ATTRIBUTES.contains(&name.as_str()) {
                assert_safe_url(context, value);
            }
        }
    }
}

/// Panics unless `snippet` is escaped text whose only markup is `<mark>`.
pub fn assert_inert_snippet(context: &str, snippet: &str) {
    for tag in tags(snippet) {
        assert!(
            tag.name == "mark" && tag.attributes.is_empty(),
            "{context}: snippet markup other than <mark>: <{}> in {snippet}",
            tag.name
        );
    }
}

/// Panics unless `url` (attribute text, entities decoded) is http(s),
/// mailto, tel or relative.
pub fn assert_safe_url(context: &str, url: &str) {
    let decoded: String = decode_entities(url)
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    let scheme_end = decoded.find(':');
    let path_start = decoded.find(['/', '?', '#']).unwrap_or(decoded.len());
    if let Some(end) = scheme_end.filter(|&e| e < path_start) {
        let scheme = &decoded[..end];
        assert!(
            ["http", "https", "mailto", "tel"].contains(&scheme),
            "{context}: URL with scheme {scheme:?} survived: {url:?}"
        );
    }
}

/// Walks a JSON response: `html` strings must be inert HTML, `snippet`
/// strings inert snippets, and `url`/`href` strings safe URLs. Every other
/// string is plain text, which the UI inserts as text.
pub fn assert_inert_json(context: &str, value: &serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                let here = format!("{context}.{key}");
                match (key.as_str(), v.as_str()) {
                    ("html", Some(s)) => assert_inert_html(&here, s),
                    ("snippet", Some(s)) => assert_inert_snippet(&here, s),
                    ("url" | "href", Some(s)) => assert_safe_url(&here, s),
                    _ => assert_inert_json(&here, v),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                assert_inert_json(&format!("{context}[{i}]"), v);
            }
        }
        _ => {}
    }
}

/// A start tag found in HTML text.
pub struct Tag {
    pub name: String,
    pub attributes: Vec<(String, String)>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<String> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

/// The start tags of `html`, as a browser's tokenizer would see them: a `<`
/// followed by a letter opens a tag; attribute values may be quoted.
pub fn tags(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'<' && i + 1 < b.len() && b[i + 1].is_ascii_alphabetic() {
            let (tag, next) = read_tag(html, i + 1);
            out.push(tag);
            i = next;
        } else {
            i += 1;
        }
    }
    out
}

fn read_tag(html: &str, start: usize) -> (Tag, usize) {
    let b = html.as_bytes();
    let mut i = start;
    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
        i += 1;
    }
    let name = html[start..i].to_ascii_lowercase();
    let mut attributes = Vec::new();
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() || b[i] == b'>' {
            break;
        }
        let name_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let attr = html[name_start..i].to_ascii_lowercase();
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let quote = b[i];
                let v_start = i + 1;
                i = v_start;
                while i < b.len() && b[i] != quote {
                    i += 1;
                }
                value = html[v_start..i.min(b.len())].to_string();
                i = (i + 1).min(b.len());
            } else {
                let v_start = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                value = html[v_start..i].to_string();
            }
        }
        attributes.push((attr, value));
    }
    (Tag { name, attributes }, (i + 1).min(b.len()))
}

/// Decodes numeric and the common named character references.
fn decode_entities(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest.find(';').filter(|&e| e <= 12);
        let decoded = end.and_then(|e| {
            let entity = &rest[1..e];
            let code = if let Some(hex) = entity.strip_prefix("#x").or(entity.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok()
            } else if let Some(dec) = entity.strip_prefix('#') {
                dec.parse().ok()
            } else {
                match entity {
                    "amp" => Some('&' as u32),
                    "lt" => Some('<' as u32),
                    "gt" => Some('>' as u32),
                    "quot" => Some('"' as u32),
                    "apos" => Some('\'' as u32),
                    "colon" => Some(':' as u32),
                    "tab" => Some('\t' as u32),
                    "newline" => Some('\n' as u32),
                    _ => None,
                }
            };
            code.and_then(char::from_u32).map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod checker_tests {
    use super::*;

    // The checker itself must catch what it is meant to catch.
    #[test]
    #[should_panic(expected = "<script>")]
    fn a_script_tag_is_caught() {
        assert_inert_html("t", "<p>x</p><script>alert(1)</script>");
    }

    #[test]
    #[should_panic(expected = "onerror")]
    fn an_event_handler_is_caught() {
        assert_inert_html("t", "<img src=x onerror=alert(1)>");
    }

    #[test]
    #[should_panic(expected = "javascript")]
    fn an_entity_encoded_javascript_url_is_caught() {
        assert_inert_html("t", "<a href=\"&#106;ava&#x73;cript&colon;alert(1)\">x</a>");
    }

    #[test]
    fn escaped_markup_is_text() {
        assert_inert_html(
            "t",
            "<p>&lt;script&gt;alert(1)&lt;/script&gt; <a href=\"/doc/a.md\">a</a></p>",
        );
        assert_inert_snippet("t", "&lt;img onerror=x&gt; <mark>hit</mark>");
    }
}
