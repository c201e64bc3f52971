//! The write-back front-matter editor. The input is a document, optionally
//! followed by a NUL byte and bytes from which the edits are drawn (so the
//! seeds are plain Markdown files); without them a tags PUT and a handover
//! confirmation are applied. The output must parse, carry exactly the
//! intended changes and keep the body byte for byte (see `checks.rs`).
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use baton::write_back::Edit;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

#[path = "../../tests/properties/checks.rs"]
mod checks;

use checks::EditCall;

/// Keys the server writes, plus a few other common ones.
const KEYS: &[&str] = &[
    "tags",
    "segments",
    "confirmations",
    "items",
    "status",
    "title",
    "systems",
    "updated",
];

/// Strings worth writing: Chinese, identifiers, YAML/TOML look-alikes.
const WORDS: &[&str] = &[
    "日終批次",
    "切換備援流程",
    "ORA-01555",
    "資料庫",
    "yes",
    "null",
    "00:12:30",
    "2025-03-27",
    "a: b",
    "# not a comment",
    "- x",
    "\"quoted\"",
    "'single'",
    "line\nbreak",
    "tab\there",
    "[x]",
    "{k: v}",
    "+++",
    "---",
    "",
    " padded ",
    "1e3",
    "0x1F",
    "~",
    "\\",
];

#[derive(Arbitrary, Debug)]
enum FKey {
    Known(u8),
    Any(String),
}

impl FKey {
    fn get(&self) -> String {
        match self {
            FKey::Known(i) => KEYS[*i as usize % KEYS.len()].to_string(),
            FKey::Any(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum FString {
    Word(u8),
    Any(String),
}

impl FString {
    fn get(&self) -> String {
        match self {
            FString::Word(i) => WORDS[*i as usize % WORDS.len()].to_string(),
            FString::Any(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum FValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(FString),
    Tags(Vec<FString>),
    Segments(Vec<(u16, FString, Vec<FString>)>),
    List(Vec<FValue>),
    Map(Vec<(FKey, FValue)>),
}

impl FValue {
    fn get(&self, depth: usize) -> Value {
        match self {
            FValue::Null => Value::Null,
            FValue::Bool(b) => json!(b),
            FValue::Int(i) => json!(i),
            FValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            FValue::Str(s) => json!(s.get()),
            FValue::Tags(t) => json!(t.iter().map(FString::get).collect::<Vec<_>>()),
            FValue::Segments(s) => Value::Array(
                s.iter()
                    .map(|(secs, label, tags)| {
                        json!({
                            "at": baton::document::transcript::format_time(u32::from(*secs)),
                            "label": label.get(),
                            "tags": tags.iter().map(FString::get).collect::<Vec<_>>(),
                        })
                    })
                    .collect(),
            ),
            FValue::List(l) if depth < 3 => {
                Value::Array(l.iter().map(|v| v.get(depth + 1)).collect())
            }
            FValue::Map(m) if depth < 3 => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.get(), v.get(depth + 1)))
                    .collect::<Map<String, Value>>(),
            ),
            FValue::List(_) | FValue::Map(_) => Value::Null,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum FEdit {
    Set(FKey, FValue),
    Append(FKey, FValue),
    SetInList(FKey, u8, FKey, FValue),
}

#[derive(Arbitrary, Debug)]
enum FCall {
    SetKeys(Vec<(FKey, FValue)>),
    Edits(Vec<FEdit>),
}

impl FCall {
    fn get(&self) -> EditCall {
        match self {
            FCall::SetKeys(u) => {
                EditCall::SetKeys(u.iter().map(|(k, v)| (k.get(), v.get(0))).collect())
            }
            FCall::Edits(e) => EditCall::Edits(
                e.iter()
                    .map(|e| match e {
                        FEdit::Set(k, v) => Edit::Set {
                            key: k.get(),
                            value: v.get(0),
                        },
                        FEdit::Append(k, v) => Edit::Append {
                            key: k.get(),
                            record: v.get(0),
                        },
                        FEdit::SetInList(k, i, f, v) => Edit::SetInList {
                            key: k.get(),
                            index: usize::from(*i % 4),
                            field: f.get(),
                            value: v.get(0),
                        },
                    })
                    .collect(),
            ),
        }
    }
}

/// What the server does: a tags PUT, and a confirmation of item 0.
fn default_calls() -> Vec<EditCall> {
    vec![
        EditCall::SetKeys(vec![
            ("tags".into(), json!(["日終批次", "ORA-01555", "yes"])),
            (
                "segments".into(),
                json!([{"at": "00:12:30", "label": "切換: 備援", "tags": ["rac"]}]),
            ),
        ]),
        EditCall::Edits(vec![
            Edit::Append {
                key: "confirmations".into(),
                record: json!({"by": "王小明", "date": "2026-11-20", "note": "ok # done"}),
            },
            Edit::SetInList {
                key: "items".into(),
                index: 0,
                field: "done".into(),
                value: json!(true),
            },
            Edit::Set {
                key: "status".into(),
                value: json!("confirmed"),
            },
        ]),
    ]
}

fuzz_target!(|data: &[u8]| {
    let (doc, tail) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let Ok(text) = std::str::from_utf8(doc) else {
        return; // the editor only ever sees UTF-8 (it refuses other files first)
    };
    let calls = match tail {
        None => default_calls(),
        Some(tail) => match FCall::arbitrary_take_rest(Unstructured::new(tail)) {
            Ok(call) => vec![call.get()],
            Err(_) => return,
        },
    };
    for call in &calls {
        if let Err(why) = checks::check_edit(text, call) {
            panic!("{why}\ninput: {text:?}\ncall: {call:?}");
        }
    }
});
