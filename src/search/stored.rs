//! A hit's stored values, read from the doc store as plain strings and
//! dates.
//!
//! A `TantivyDocument` copies every value into its own arena, and a hit
//! then copied the texts out again (the body twice: once out of the
//! document, once for the snippet). Here each value is kept as the doc
//! store decodes it, and the body is moved out, not copied.

use tantivy::schema::document::{
    ArrayAccess, DeserializeError, DocumentDeserialize, DocumentDeserializer, ObjectAccess,
    ValueDeserialize, ValueDeserializer, ValueVisitor,
};
use tantivy::schema::Field;
use tantivy::DateTime;

/// The stored values of one document, in stored order.
#[derive(Debug, Default)]
pub struct StoredDoc {
    values: Vec<(Field, Stored)>,
}

/// One stored value; hits show only texts and dates.
#[derive(Debug)]
enum Stored {
    Text(String),
    Date(DateTime),
    Other,
}

impl StoredDoc {
    /// The first text of `field`, or "".
    pub fn text(&self, field: Field) -> &str {
        self.texts(field).next().unwrap_or_default()
    }

    /// Every text of `field`, in stored order.
    pub fn texts(&self, field: Field) -> impl Iterator<Item = &str> {
        self.values.iter().filter_map(move |(f, v)| match v {
            Stored::Text(s) if *f == field => Some(s.as_str()),
            _ => None,
        })
    }

    /// The first text of `field`, moved out (later calls see "").
    pub fn take_text(&mut self, field: Field) -> String {
        self.values
            .iter_mut()
            .find_map(|(f, v)| match v {
                Stored::Text(s) if *f == field => Some(std::mem::take(s)),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The first date of `field`.
    pub fn date(&self, field: Field) -> Option<DateTime> {
        self.values.iter().find_map(|(f, v)| match v {
            Stored::Date(d) if *f == field => Some(*d),
            _ => None,
        })
    }
}

impl DocumentDeserialize for StoredDoc {
    fn deserialize<'de, D>(mut deserializer: D) -> Result<Self, DeserializeError>
    where
        D: DocumentDeserializer<'de>,
    {
        let mut values = Vec::with_capacity(deserializer.size_hint());
        while let Some(entry) = deserializer.next_field::<Stored>()? {
            values.push(entry);
        }
        Ok(StoredDoc { values })
    }
}

impl ValueDeserialize for Stored {
    fn deserialize<'de, D>(deserializer: D) -> Result<Self, DeserializeError>
    where
        D: ValueDeserializer<'de>,
    {
        deserializer.deserialize_any(StoredVisitor)
    }
}

/// Keeps texts and dates; reads past everything else.
struct StoredVisitor;

impl ValueVisitor for StoredVisitor {
    type Value = Stored;

    fn visit_null(&self) -> Result<Stored, DeserializeError> {
        Ok(Stored::Other)
    }
    fn visit_string(&self, val: String) -> Result<Stored, DeserializeError> {
        Ok(Stored::Text(val))
    }
    fn visit_datetime(&self, val: DateTime) -> Result<Stored, DeserializeError> {
        Ok(Stored::Date(val))
    }
    fn visit_u64(&self, _: u64) -> Result<Stored, DeserializeError> {
        Ok(Stored::Other)
    }
    fn visit_i64(&self, _: i64) -> Result<Stored, DeserializeError> {
        Ok(Stored::Other)
    }
    fn visit_f64(&self, _: f64) -> Result<Stored, DeserializeError> {
        Ok(Stored::Other)
    }
    fn visit_bool(&self, _: bool) -> Result<Stored, DeserializeError> {
        Ok(Stored::Other)
    }
    fn visit_ip_address(&self, _: std::net::Ipv6Addr) -> Result<Stored, DeserializeError> {
        Ok(Stored::Other)
    }
    fn visit_facet(&self, _: tantivy::schema::Facet) -> Result<Stored, DeserializeError> {
        Ok(Stored::Other)
    }
    fn visit_bytes(&self, _: Vec<u8>) -> Result<Stored, DeserializeError> {
        Ok(Stored::Other)
    }
    fn visit_pre_tokenized_string(
        &self,
        val: tantivy::tokenizer::PreTokenizedString,
    ) -> Result<Stored, DeserializeError> {
        Ok(Stored::Text(val.text))
    }
    // Nested values are read to their end, so the next field starts in
    // the right place.
    fn visit_array<'de, A>(&self, mut access: A) -> Result<Stored, DeserializeError>
    where
        A: ArrayAccess<'de>,
    {
        while access.next_element::<Stored>()?.is_some() {}
        Ok(Stored::Other)
    }
    fn visit_object<'de, A>(&self, mut access: A) -> Result<Stored, DeserializeError>
    where
        A: ObjectAccess<'de>,
    {
        while access.next_entry::<Stored>()?.is_some() {}
        Ok(Stored::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{Schema, FAST, INDEXED, STORED, STRING};
    use tantivy::{doc, Index, IndexWriter};

    #[test]
    fn reads_texts_and_dates_and_skips_the_rest() {
        let mut b = Schema::builder();
        let title = b.add_text_field("title", STRING | STORED);
        let tags = b.add_text_field("tags", STRING | STORED);
        let size = b.add_u64_field("size", STORED | FAST);
        let updated = b.add_date_field("updated", INDEXED | STORED);
        let body = b.add_text_field("body", STORED);
        let dir = tempfile::tempdir().unwrap();
        let index = Index::create_in_dir(dir.path(), b.build()).unwrap();
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let day = DateTime::from_timestamp_secs(1_700_000_000);
        writer
            .add_document(doc!(
                title => "ORA-01555 快照過舊",
                tags => "oracle", size => 42u64, tags => "資料庫",
                updated => day,
                body => "正文 body",
            ))
            .unwrap();
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let mut stored: StoredDoc = searcher.doc(tantivy::DocAddress::new(0, 0)).unwrap();
        assert_eq!(stored.text(title), "ORA-01555 快照過舊");
        // Values after a skipped number still line up with their fields.
        assert_eq!(stored.texts(tags).collect::<Vec<_>>(), ["oracle", "資料庫"]);
        assert_eq!(stored.date(updated), Some(day));
        assert_eq!(stored.take_text(body), "正文 body");
        assert_eq!(stored.take_text(body), "");
        assert_eq!(stored.text(size), "");
    }
}
