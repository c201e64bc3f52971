//! The tantivy schema derived from the baton schema, and Document -> tantivy.

use std::collections::BTreeMap;

use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, NumericOptions,
    Schema as TantivySchema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};
use tantivy::{DateTime, TantivyDocument};

use crate::analysis::TOKENIZER_NAME;
use crate::document::Document;
use crate::schema::{FieldType, Schema};

/// Version of the tantivy field layout below; part of the index fingerprint,
/// so adding or changing a field rebuilds old indexes cleanly.
pub const LAYOUT_VERSION: u32 = 6;

/// Handles of every tantivy field baton uses.
#[derive(Clone, Debug)]
pub struct Fields {
    /// Document id (path), exact.
    pub id: Field,
    /// File name and path, analysed.
    pub path: Field,
    /// Title, analysed and stored.
    pub title: Field,
    /// Headings, analysed and stored.
    pub headings: Field,
    /// Body text, analysed and stored (for snippets).
    pub body: Field,
    /// Every searchable text of the document in one analysed field, so a
    /// term's rarity (IDF) and the length normalisation are the document's,
    /// not one field's (a word frequent in titles is not rare).
    pub all: Field,
    /// Kind, exact.
    pub kind: Field,
    /// The kind's "updated" date.
    pub updated: Field,
    /// Content hash.
    pub hash: Field,
    /// Modification time.
    pub mtime: Field,
    /// File size.
    pub size: Field,
    /// Front matter as JSON.
    pub meta: Field,
    /// Links as JSON.
    pub links: Field,
    /// Problems as JSON.
    pub problems: Field,
    /// "1" on documents that have problems, so they can be listed without a scan.
    pub has_problems: Field,
    /// Corpus documents this one links to (resolved ids), for related articles.
    pub link_to: Field,
    /// Time-coded segments (front matter and transcript cues) as JSON.
    pub segments: Field,
    /// The transcript file the document's entry depends on, for reconciliation.
    pub transcript: Field,
    /// Corpus media files (transcript, recording) the document uses: a
    /// media file is readable by whoever may read a document using it.
    pub media: Field,
    /// Access terms granting the document (see `visibility`): every query
    /// filters on them.
    pub access: Field,
    /// Keyword fields, exact (filters, facets, display).
    pub keyword: BTreeMap<String, Field>,
    /// Keyword fields, analysed (so `core banking` finds `core-banking`).
    pub keyword_text: BTreeMap<String, Field>,
    /// Text and records fields, analysed.
    pub text: BTreeMap<String, Field>,
    /// Date fields.
    pub date: BTreeMap<String, Field>,
    /// Integer fields.
    pub integer: BTreeMap<String, Field>,
}

fn analysed(stored: bool) -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(TOKENIZER_NAME)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let opts = TextOptions::default().set_indexing_options(indexing);
    if stored {
        opts.set_stored()
    } else {
        opts
    }
}

fn date_options() -> DateOptions {
    DateOptions::default()
        .set_indexed()
        .set_fast()
        .set_stored()
        .set_precision(DateTimePrecision::Seconds)
}

/// Builds the tantivy schema for `schema`.
pub fn build(schema: &Schema) -> (TantivySchema, Fields) {
    let mut b = TantivySchema::builder();
    let mut fields = Fields {
        id: b.add_text_field("id", STRING | STORED | FAST),
        path: b.add_text_field("path", analysed(false)),
        title: b.add_text_field("title", analysed(true)),
        headings: b.add_text_field("headings", analysed(true)),
        // Stored for snippets and related articles; its words are searched
        // through `all`, so indexing it again would only double the cost.
        body: b.add_text_field("body", STORED),
        all: b.add_text_field("all", analysed(false)),
        kind: b.add_text_field("kind", STRING | STORED | FAST),
        updated: b.add_date_field("updated", date_options()),
        hash: b.add_text_field("hash", STRING | STORED | FAST),
        mtime: b.add_i64_field("mtime", NumericOptions::default().set_fast().set_stored()),
        size: b.add_u64_field("size", NumericOptions::default().set_fast().set_stored()),
        meta: b.add_text_field("meta", STORED),
        links: b.add_text_field("links", STORED),
        problems: b.add_text_field("problems", STORED),
        has_problems: b.add_text_field("has_problems", STRING),
        link_to: b.add_text_field("link_to", STRING | STORED),
        segments: b.add_text_field("segments", STORED),
        transcript: b.add_text_field("transcript", STRING | STORED | FAST),
        access: b.add_text_field("access", STRING | STORED | FAST),
        media: b.add_text_field("media", STRING),
        keyword: BTreeMap::new(),
        keyword_text: BTreeMap::new(),
        text: BTreeMap::new(),
        date: BTreeMap::new(),
        integer: BTreeMap::new(),
    };
    for (name, def) in &schema.fields {
        match def.ty {
            FieldType::Keyword | FieldType::Keywords => {
                fields.keyword.insert(
                    name.clone(),
                    b.add_text_field(&format!("kw_{name}"), STRING | STORED | FAST),
                );
                fields.keyword_text.insert(
                    name.clone(),
                    b.add_text_field(&format!("kwt_{name}"), analysed(false)),
                );
            }
            FieldType::Text | FieldType::Records => {
                fields.text.insert(
                    name.clone(),
                    b.add_text_field(&format!("tx_{name}"), analysed(false)),
                );
            }
            FieldType::Date => {
                fields.date.insert(
                    name.clone(),
                    b.add_date_field(&format!("dt_{name}"), date_options()),
                );
            }
            FieldType::Integer => {
                let opts = NumericOptions::default()
                    .set_indexed()
                    .set_fast()
                    .set_stored();
                fields
                    .integer
                    .insert(name.clone(), b.add_i64_field(&format!("in_{name}"), opts));
            }
        }
    }
    (b.build(), fields)
}

/// Converts a parsed document into a tantivy document.
pub fn to_tantivy(doc: &Document, f: &Fields) -> TantivyDocument {
    let mut t = TantivyDocument::default();
    let id = doc.doc_id().as_str();
    t.add_text(f.id, id);
    t.add_text(f.path, id);
    t.add_text(f.title, &doc.title);
    let headings: Vec<&str> = doc.headings.iter().map(|h| h.text.as_str()).collect();
    t.add_text(f.headings, headings.join("\n"));
    t.add_text(f.body, &doc.body);
    t.add_text(f.all, &doc.title);
    t.add_text(f.all, headings.join("\n"));
    t.add_text(f.all, id);
    t.add_text(f.kind, &doc.kind);
    if let Some(updated) = doc.updated {
        t.add_date(
            f.updated,
            DateTime::from_timestamp_secs(updated.timestamp()),
        );
    }
    t.add_text(f.hash, &doc.hash);
    t.add_i64(f.mtime, doc.mtime);
    t.add_u64(f.size, doc.size);
    t.add_text(
        f.meta,
        serde_json::Value::Object(doc.meta.clone()).to_string(),
    );
    t.add_text(
        f.links,
        serde_json::to_string(&doc.links).unwrap_or_default(),
    );
    t.add_text(
        f.problems,
        serde_json::to_string(&doc.problems).unwrap_or_default(),
    );
    if !doc.problems.is_empty() {
        t.add_text(f.has_problems, "1");
    }
    let mut targets: Vec<&str> = doc
        .links
        .iter()
        .filter_map(|l| l.doc.as_ref())
        .map(|d| d.as_str())
        .collect();
    targets.sort_unstable();
    targets.dedup();
    for target in targets {
        t.add_text(f.link_to, target);
    }
    for (name, values) in &doc.keywords {
        if let (Some(&exact), Some(&text)) = (f.keyword.get(name), f.keyword_text.get(name)) {
            for v in values {
                t.add_text(exact, v);
                t.add_text(text, v);
                t.add_text(f.all, v);
            }
        }
    }
    for (name, value) in &doc.texts {
        if let Some(&field) = f.text.get(name) {
            t.add_text(field, value);
            t.add_text(f.all, value);
        }
    }
    t.add_text(f.all, &doc.body);
    for term in doc.access.terms() {
        t.add_text(f.access, term);
    }
    for file in doc.media_files() {
        t.add_text(f.media, file.as_str());
    }
    if !doc.segments.is_empty() {
        t.add_text(
            f.segments,
            serde_json::to_string(&doc.segments).unwrap_or_default(),
        );
    }
    if let Some(file) = &doc.transcript {
        t.add_text(f.transcript, file.id.as_str());
        // What was said is searchable like the body; the trainer's own
        // segment labels are already in `all` through the records field.
        let spoken: Vec<&str> = doc
            .segments
            .iter()
            .filter(|s| s.source == crate::document::transcript::Source::Transcript)
            .map(|s| s.label.as_str())
            .collect();
        t.add_text(f.all, spoken.join("\n"));
    }
    for (name, value) in &doc.dates {
        if let Some(&field) = f.date.get(name) {
            t.add_date(field, DateTime::from_timestamp_secs(value.timestamp()));
        }
    }
    for (name, value) in &doc.integers {
        if let Some(&field) = f.integer.get(name) {
            t.add_i64(field, *value);
        }
    }
    t
}
