//! Front matter: YAML between `---` lines or TOML between `+++` lines, at the
//! very top of the file. Parse errors become problems with the file's line
//! number; the body is still indexed.

use serde_json::{Map, Value};

use crate::problem::Problem;

/// The front-matter language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `---` ... `---`
    Yaml,
    /// `+++` ... `+++`
    Toml,
}

/// A file split into front matter and body.
#[derive(Debug)]
pub struct FrontMatter<'a> {
    /// The front-matter language, if the file has front matter.
    pub format: Option<Format>,
    /// Front-matter text between the fences.
    pub raw: &'a str,
    /// 1-based file line of the first front-matter line.
    pub first_line: usize,
    /// The Markdown body.
    pub body: &'a str,
    /// The opening fence has no closing fence.
    pub unterminated: bool,
}

impl FrontMatter<'_> {
    /// The file line on which `key` is set, if it can be found.
    pub fn key_line(&self, key: &str) -> Option<usize> {
        let format = self.format?;
        self.raw
            .lines()
            .position(|line| {
                let rest = line.strip_prefix(key).or_else(|| {
                    line.strip_prefix(['"', '\''])
                        .and_then(|l| l.strip_prefix(key))
                        .and_then(|l| l.strip_prefix(['"', '\'']))
                });
                match (rest.map(str::trim_start), format) {
                    (Some(r), Format::Yaml) => r.starts_with(':'),
                    (Some(r), Format::Toml) => r.starts_with('='),
                    (None, _) => false,
                }
            })
            .map(|i| self.first_line + i)
    }
}

/// Splits `text` at its front-matter fences.
pub fn split(text: &str) -> FrontMatter<'_> {
    let none = FrontMatter {
        format: None,
        raw: "",
        first_line: 1,
        body: text,
        unterminated: false,
    };
    let first_end = text.find('\n').unwrap_or(text.len());
    let format = match text[..first_end].trim_end() {
        "---" => Format::Yaml,
        "+++" => Format::Toml,
        _ => return none,
    };
    let content_start = (first_end + 1).min(text.len());
    let mut pos = content_start;
    while pos < text.len() {
        let end = text[pos..]
            .find('\n')
            .map(|i| pos + i)
            .unwrap_or(text.len());
        let line = text[pos..end].trim_end();
        let closes = match format {
            Format::Yaml => line == "---" || line == "...",
            Format::Toml => line == "+++",
        };
        if closes {
            let body_start = (end + 1).min(text.len());
            return FrontMatter {
                format: Some(format),
                raw: &text[content_start..pos],
                first_line: 2,
                body: &text[body_start..],
                unterminated: false,
            };
        }
        pos = end + 1;
    }
    FrontMatter {
        unterminated: true,
        format: Some(format),
        ..none
    }
}

/// Parses the front matter into a JSON map; failures become problems.
pub fn parse(fm: &FrontMatter, path: &str, problems: &mut Vec<Problem>) -> Map<String, Value> {
    if fm.unterminated {
        problems.push(Problem::error(
            path,
            Some(1),
            "front-matter",
            "front matter opens on line 1 but is never closed; the whole file is indexed as text",
        ));
        return Map::new();
    }
    let result = match fm.format {
        None => return Map::new(),
        Some(Format::Yaml) => parse_yaml(fm),
        Some(Format::Toml) => parse_toml(fm),
    };
    match result {
        Ok(Value::Object(map)) => map,
        Ok(Value::Null) => Map::new(),
        Ok(other) => {
            problems.push(Problem::error(
                path,
                Some(fm.first_line),
                "front-matter",
                format!(
                    "front matter must be a mapping of keys to values, found {}",
                    kind_name(&other)
                ),
            ));
            Map::new()
        }
        Err((line, message)) => {
            problems.push(Problem::error(
                path,
                Some(line),
                "front-matter",
                format!("front matter cannot be parsed ({message}); the body is still indexed"),
            ));
            Map::new()
        }
    }
}

fn parse_yaml(fm: &FrontMatter) -> Result<Value, (usize, String)> {
    serde_yaml_ng::from_str::<Value>(fm.raw).map_err(|e| {
        let line = e
            .location()
            .map(|l| fm.first_line + l.line() - 1)
            .unwrap_or(fm.first_line);
        (line, e.to_string())
    })
}

fn parse_toml(fm: &FrontMatter) -> Result<Value, (usize, String)> {
    let table: toml::Table = toml::from_str(fm.raw).map_err(|e| {
        let line = e
            .span()
            .map(|s| fm.first_line + crate::schema::line_of(fm.raw, s.start) - 1)
            .unwrap_or(fm.first_line);
        (line, e.message().trim().to_string())
    })?;
    Ok(toml_to_json(toml::Value::Table(table)))
}

fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "a list",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        _ => "something else",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_yaml_and_toml() {
        let fm = split("---\ntitle: x\n---\nbody\n");
        assert_eq!(fm.format, Some(Format::Yaml));
        assert_eq!(fm.raw, "title: x\n");
        assert_eq!(fm.body, "body\n");
        assert_eq!(fm.key_line("title"), Some(2));
        let fm = split("+++\r\ntitle = \"x\"\r\n+++\r\nbody");
        assert_eq!(fm.format, Some(Format::Toml));
        assert_eq!(fm.body, "body");
        assert_eq!(fm.key_line("title"), Some(2));
    }

    #[test]
    fn no_front_matter_and_thematic_break() {
        assert_eq!(split("# Title\n---\n").format, None);
        let fm = split("---\ntitle: never closed\n");
        assert!(fm.unterminated);
    }
}
