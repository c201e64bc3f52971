//! A hit's stored texts, read straight from the doc store's bytes.
//!
//! tantivy's document reader validates every stored text as UTF-8 and
//! copies it out, the whole body included, for every hit: a tenth of a
//! search's instructions went there. Here a document's bytes are only
//! indexed by field: a text is validated when it is read (a title, a tag),
//! and the body is handed on as bytes, so that a snippet validates just the
//! passage it shows.
//!
//! The layout is tantivy's doc-store format (tantivy 0.27,
//! `schema/document/se.rs`): a VInt count of values, then per value the
//! field (u32, little-endian), a type code and the value (a text: VInt
//! length, then its bytes; numbers and dates: 8 bytes). A test reads every
//! document of an index both ways, so a format change fails the tests, not
//! a search.

use std::ops::Range;

use tantivy::schema::Field;
use tantivy::store::StoreReader;
use tantivy::{DocId, TantivyError};

/// Type codes of tantivy's doc store (`schema::document::type_codes`).
mod code {
    pub const TEXT: u8 = 0;
    pub const U64: u8 = 1;
    pub const I64: u8 = 2;
    pub const FACET: u8 = 3;
    pub const BYTES: u8 = 4;
    pub const DATE: u8 = 5;
    pub const F64: u8 = 6;
    pub const BOOL: u8 = 9;
    pub const NULL: u8 = 11;
}

/// The stored texts of one document, in stored order, unvalidated.
pub struct StoredDoc {
    bytes: tantivy::directory::OwnedBytes,
    texts: Vec<(Field, Range<usize>)>,
}

impl StoredDoc {
    /// Reads document `doc` of the segment `store` belongs to.
    pub fn read(store: &StoreReader, doc: DocId) -> tantivy::Result<StoredDoc> {
        let bytes = store.get_document_bytes(doc)?;
        let texts = index_texts(&bytes).map_err(|e| {
            TantivyError::DataCorruption(tantivy::error::DataCorruption::comment_only(format!(
                "stored document {doc}: {e}"
            )))
        })?;
        Ok(StoredDoc { bytes, texts })
    }

    /// Every text of `field`, in stored order, as bytes (not validated).
    pub fn raw_texts(&self, field: Field) -> impl Iterator<Item = &[u8]> {
        self.texts
            .iter()
            .filter(move |(f, _)| *f == field)
            .map(|(_, range)| &self.bytes.as_slice()[range.clone()])
    }

    /// The first text of `field` as bytes (not validated), or none.
    pub fn raw_text(&self, field: Field) -> &[u8] {
        self.raw_texts(field).next().unwrap_or_default()
    }

    /// Every text of `field`, in stored order.
    pub fn texts(&self, field: Field) -> tantivy::Result<Vec<String>> {
        self.raw_texts(field).map(validated).collect()
    }

    /// The first text of `field`, or "".
    pub fn text(&self, field: Field) -> tantivy::Result<String> {
        validated(self.raw_text(field))
    }
}

fn validated(bytes: &[u8]) -> tantivy::Result<String> {
    std::str::from_utf8(bytes).map(str::to_string).map_err(|e| {
        TantivyError::DataCorruption(tantivy::error::DataCorruption::comment_only(format!(
            "a stored text is not UTF-8: {e}"
        )))
    })
}

/// The field and byte range of every text value in a serialized document.
fn index_texts(bytes: &[u8]) -> Result<Vec<(Field, Range<usize>)>, String> {
    let mut at = 0;
    let count = vint(bytes, &mut at)?;
    let mut texts = Vec::with_capacity(count.min(64) as usize);
    for _ in 0..count {
        let field = Field::from_field_id(u32::from_le_bytes(fixed(bytes, &mut at)?));
        let [type_code] = fixed::<1>(bytes, &mut at)?;
        match type_code {
            code::TEXT | code::FACET | code::BYTES => {
                let len = usize::try_from(vint(bytes, &mut at)?).map_err(|e| e.to_string())?;
                let range = at..at.checked_add(len).ok_or("text length overflows")?;
                if range.end > bytes.len() {
                    return Err(format!(
                        "a value runs past the document's end ({len} bytes)"
                    ));
                }
                at = range.end;
                if type_code == code::TEXT {
                    texts.push((field, range));
                }
            }
            code::U64 | code::I64 | code::DATE | code::F64 => {
                fixed::<8>(bytes, &mut at)?;
            }
            code::BOOL => {
                fixed::<1>(bytes, &mut at)?;
            }
            code::NULL => {}
            // IP addresses, arrays, objects and extensions: baton's schema
            // stores none of them.
            other => return Err(format!("unexpected stored value type {other}")),
        }
    }
    Ok(texts)
}

/// A VInt as tantivy writes it: 7 bits a byte, low bits first, the last
/// byte marked by its high bit.
fn vint(bytes: &[u8], at: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let [b] = fixed::<1>(bytes, at)?;
        value |= u64::from(b & 0x7F) << shift;
        if b & 0x80 != 0 {
            return Ok(value);
        }
    }
    Err("a VInt is longer than 64 bits".to_string())
}

fn fixed<const N: usize>(bytes: &[u8], at: &mut usize) -> Result<[u8; N], String> {
    let value = bytes
        .get(*at..*at + N)
        .and_then(|b| b.try_into().ok())
        .ok_or("the document ends inside a value")?;
    *at += N;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{Schema, Value, FAST, INDEXED, STORED, STRING};
    use tantivy::{doc, DateTime, Index, IndexWriter, TantivyDocument};

    #[test]
    fn reads_the_texts_tantivy_reads_and_skips_the_rest() {
        let mut b = Schema::builder();
        let title = b.add_text_field("title", STRING | STORED);
        let tags = b.add_text_field("tags", STRING | STORED);
        let size = b.add_u64_field("size", STORED | FAST);
        let mtime = b.add_i64_field("mtime", STORED);
        let updated = b.add_date_field("updated", INDEXED | STORED);
        let ok = b.add_bool_field("ok", STORED);
        let raw = b.add_bytes_field("raw", STORED);
        let body = b.add_text_field("body", STORED);
        let dir = tempfile::tempdir().unwrap();
        let index = Index::create_in_dir(dir.path(), b.build()).unwrap();
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let long = "日終批次 ORA-01555 ".repeat(400);
        writer
            .add_document(doc!(
                title => "ORA-01555 快照過舊",
                tags => "oracle", size => 42u64, tags => "資料庫",
                mtime => -7i64, updated => DateTime::from_timestamp_secs(1_700_000_000),
                ok => true, raw => vec![0xFFu8, 0, 1],
                body => long.as_str(),
            ))
            .unwrap();
        writer.add_document(doc!(title => "")).unwrap();
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let store = searcher.segment_reader(0).get_store_reader(1).unwrap();
        let stored = StoredDoc::read(&store, 0).unwrap();
        assert_eq!(stored.text(title).unwrap(), "ORA-01555 快照過舊");
        // Values after skipped numbers, dates, bools and bytes still line up.
        assert_eq!(stored.texts(tags).unwrap(), ["oracle", "資料庫"]);
        assert_eq!(stored.raw_text(body), long.as_bytes());
        assert_eq!(stored.text(size).unwrap(), "");
        assert!(
            stored.raw_texts(raw).next().is_none(),
            "bytes are not texts"
        );
        // The same as tantivy's own reading of the document.
        let theirs: TantivyDocument = searcher.doc(tantivy::DocAddress::new(0, 0)).unwrap();
        let their_tags: Vec<&str> = theirs.get_all(tags).filter_map(|v| v.as_str()).collect();
        assert_eq!(their_tags, stored.texts(tags).unwrap());
        assert_eq!(StoredDoc::read(&store, 1).unwrap().text(title).unwrap(), "");
    }

    #[test]
    fn damaged_documents_are_errors_not_panics() {
        let cases: [&[u8]; 6] = [
            &[],
            &[0x81],                            // one value, then nothing
            &[0x81, 0, 0, 0, 0, 0, 0x85, b'a'], // text of 5 bytes, 1 there
            &[0x81, 0, 0, 0, 0, 10],            // an IP address
            &[0x81, 0, 0, 0, 0, 1, 0, 0],       // a u64 cut short
            &[
                0x81, 0, 0, 0, 0, 0, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F,
            ],
        ];
        for bytes in cases {
            assert!(index_texts(bytes).is_err(), "{bytes:?}");
        }
        let fine = [0x82, 3, 0, 0, 0, 0, 0x82, b'h', b'i', 1, 0, 0, 0, 11];
        assert_eq!(
            index_texts(&fine).unwrap(),
            [(Field::from_field_id(3), 7..9)]
        );
    }
}
