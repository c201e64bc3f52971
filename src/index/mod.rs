//! The tantivy index on disk: a cache of the corpus (DESIGN principle 1).
//!
//! [`BatonIndex::open`] creates or opens the index under the data folder and
//! rebuilds it when the schema/analysis fingerprint changed. One writer thread
//! ([`writer::Writer`]) owns tantivy's `IndexWriter` (DESIGN principle 2);
//! [`reconcile`] brings the index in line with the corpus.

pub mod fields;
pub mod reconcile;
pub mod writer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, FileSlice, Lock, MmapDirectory, WatchCallback,
    WatchHandle, WritePtr, META_LOCK,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, ReloadPolicy};

use crate::analysis::tokenizer::BatonTokenizer;
use crate::analysis::{Analyzer, TOKENIZER_NAME};
use crate::doc_id::DocId;
use crate::schema::Schema;
pub use fields::Fields;

/// File in the data folder recording the fingerprint the index was built with.
const FINGERPRINT_FILE: &str = "fingerprint";

/// Decompressed doc-store blocks (16 KiB) kept per segment reader
/// (tantivy's default is 100): every hit's stored fields are read for its
/// snippet, and the same runbooks come up again and again. A bulk load is
/// merged into one segment (see the writer), so this is about what the
/// whole index keeps: 600 blocks is what two segments of 300 kept before.
pub const DOC_STORE_CACHE_BLOCKS: usize = 600;

/// Index failures.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy reported an error.
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The data folder could not be used.
    #[error("data folder {path}: {source}")]
    Io {
        /// The path concerned.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The writer thread is gone.
    #[error("the index writer has stopped")]
    WriterGone,
    /// The index on disk cannot be written now (disk full, read-only, folder
    /// deleted); the writer recovers by itself once the cause is gone.
    #[error("the index cannot be written: {0}")]
    Unwritable(String),
    /// The corpus folder is missing or cannot be listed; nothing is deleted
    /// from the index until it is back.
    #[error("{0}; the index is kept as it was")]
    CorpusUnavailable(String),
}

/// The index folder: tantivy's `MmapDirectory`, except that readers may
/// open an index on a folder that cannot be written (read-only mount,
/// another user's files). tantivy's readers take the meta lock, a file they
/// create and lock, only so a writer's garbage collection cannot delete the
/// segment files they are about to open; where no file can be written there
/// is no such writer, and the lock is not needed.
#[derive(Clone, Debug)]
struct IndexDirectory(MmapDirectory);

impl IndexDirectory {
    fn open(dir: &Path) -> Result<IndexDirectory, IndexError> {
        MmapDirectory::open(dir)
            .map(IndexDirectory)
            .map_err(|e| IndexError::Tantivy(e.into()))
    }
}

impl Directory for IndexDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.0.get_file_handle(path)
    }
    fn open_read(&self, path: &Path) -> Result<FileSlice, OpenReadError> {
        self.0.open_read(path)
    }
    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.0.delete(path)
    }
    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.0.exists(path)
    }
    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.0.open_write(path)
    }
    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.0.atomic_read(path)
    }
    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.0.atomic_write(path, data)
    }
    fn sync_directory(&self) -> std::io::Result<()> {
        self.0.sync_directory()
    }
    fn watch(&self, callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.0.watch(callback)
    }
    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        match self.0.acquire_lock(lock) {
            Err(LockError::IoError(e))
                if lock.filepath == META_LOCK.filepath
                    && matches!(
                        e.kind(),
                        std::io::ErrorKind::ReadOnlyFilesystem
                            | std::io::ErrorKind::PermissionDenied
                    ) =>
            {
                Ok(DirectoryLock::from(Box::new(())))
            }
            other => other,
        }
    }
}

/// Opens the index in `dir`, or creates it there; `true` when created.
fn open_or_create(
    dir: &Path,
    schema: &tantivy::schema::Schema,
) -> Result<(Index, bool), IndexError> {
    let directory = IndexDirectory::open(dir)?;
    if Index::exists(&directory).map_err(|e| IndexError::Tantivy(e.into()))? {
        let index = Index::open(directory)?;
        if index.schema() != *schema {
            return Err(IndexError::Tantivy(tantivy::TantivyError::SchemaError(
                "stored schema differs from the expected one".into(),
            )));
        }
        // Opening a reader opens every segment: corrupt files fail here, not mid-search.
        index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map(|_: IndexReader| ())?;
        Ok((index, false))
    } else {
        Ok((
            Index::create(directory, schema.clone(), Default::default())?,
            true,
        ))
    }
}

/// What the index knows about one stored document, for reconciliation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredState {
    /// Content hash.
    pub hash: String,
    /// Modification time when indexed.
    pub mtime: i64,
    /// Size when indexed.
    pub size: u64,
    /// The transcript the document used when indexed.
    pub transcript: Option<String>,
}

/// An open index with its reader.
#[derive(Clone)]
pub struct BatonIndex {
    /// The tantivy index.
    pub index: Index,
    /// Shared reader; reloaded by the writer after each commit.
    pub reader: IndexReader,
    /// Field handles.
    pub fields: Fields,
    /// The baton schema it was built for.
    pub schema: Schema,
    /// The analysis pipeline, shared with the query side.
    pub analyzer: Analyzer,
    /// Set when this open rebuilt the index from empty (new, or fingerprint changed).
    pub rebuilt: bool,
    /// The folder holding the tantivy files (`<data>/index`).
    pub dir: PathBuf,
    /// Per-segment arrays searches read for every match.
    pub columns: crate::search::columns::ColumnCache,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl BatonIndex {
    /// Opens the index under `data_dir`, creating it, or wiping it when it was
    /// built with another schema or pipeline (or when `rebuild` is set).
    pub fn open(data_dir: &Path, schema: &Schema, rebuild: bool) -> Result<BatonIndex, IndexError> {
        let dir: PathBuf = data_dir.join("index");
        let fp_path = data_dir.join(FINGERPRINT_FILE);
        let stored_fp = std::fs::read_to_string(&fp_path).ok();
        let fingerprint = format!("{}-layout{}", schema.fingerprint(), fields::LAYOUT_VERSION);
        let current = stored_fp.as_deref().map(str::trim) == Some(fingerprint.as_str());
        let mut rebuilt = false;
        if dir.exists() && (!current || rebuild) {
            if rebuild {
                tracing::info!(path = %dir.display(), "rebuilding index as requested");
            } else {
                tracing::info!(path = %dir.display(), "schema or analysis pipeline changed; rebuilding index");
            }
            std::fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
        }
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let (tantivy_schema, fields) = fields::build(schema);
        let (index, created) = match open_or_create(&dir, &tantivy_schema) {
            Ok(opened) => opened,
            Err(e) => {
                // A cache that cannot be read is worth nothing: keep it for a
                // post-mortem, start a fresh one, and let reconciliation refill it.
                let aside = data_dir.join(format!(
                    "index.broken-{}",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S")
                ));
                tracing::warn!(error = %e, moved_to = %aside.display(), "index cannot be opened; moving it aside and rebuilding");
                std::fs::rename(&dir, &aside).map_err(io_err(&dir))?;
                std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
                open_or_create(&dir, &tantivy_schema)?
            }
        };
        rebuilt |= created;
        if !current || rebuilt {
            // Only written when it changes, so a read-only data folder holding
            // a current index can still be opened and served.
            std::fs::write(&fp_path, &fingerprint).map_err(io_err(&fp_path))?;
        }
        let analyzer = Analyzer::for_schema(schema);
        index.tokenizers().register(
            TOKENIZER_NAME,
            TextAnalyzer::from(BatonTokenizer::new(analyzer.clone())),
        );
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(DOC_STORE_CACHE_BLOCKS)
            .try_into()?;
        Ok(BatonIndex {
            index,
            reader,
            fields,
            schema: schema.clone(),
            analyzer,
            rebuilt,
            columns: Default::default(),
            dir,
        })
    }

    /// Whether the index files are where they should be (`meta.json` exists).
    pub fn on_disk(&self) -> bool {
        self.dir.join("meta.json").is_file()
    }

    /// Creates a fresh, empty index in [`BatonIndex::dir`] after the folder
    /// was deleted under us. The reader keeps serving the old segments (their
    /// files stay mapped) until the next commit reloads it.
    pub fn recreate_on_disk(&self) -> Result<(), IndexError> {
        std::fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        let directory = IndexDirectory::open(&self.dir)?;
        if !Index::exists(&directory).map_err(|e| IndexError::Tantivy(e.into()))? {
            Index::create(
                directory,
                self.index.schema(),
                self.index.settings().clone(),
            )?;
        }
        Ok(())
    }

    /// Number of documents currently searchable.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Segments a search currently goes through.
    pub fn num_segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Hash, mtime and size of every indexed document, read from fast fields.
    pub fn state(&self) -> Result<HashMap<DocId, StoredState>, IndexError> {
        let searcher = self.reader.searcher();
        let mut state = HashMap::new();
        for segment in searcher.segment_readers() {
            let ff = segment.fast_fields();
            let (Some(ids), Some(hashes)) = (ff.str("id")?, ff.str("hash")?) else {
                continue;
            };
            // Streaming each dictionary once is far cheaper than one ord
            // lookup per document (320 ms -> a few ms on 12,000 documents).
            let (id_terms, hash_terms) = (all_terms(&ids)?, all_terms(&hashes)?);
            let transcripts = ff.str("transcript")?;
            let transcript_terms = match &transcripts {
                Some(t) => all_terms(t)?,
                None => Vec::new(),
            };
            let mtimes = ff.i64("mtime")?;
            let sizes = ff.u64("size")?;
            for doc in segment.doc_ids_alive() {
                let id = ids
                    .term_ords(doc)
                    .next()
                    .and_then(|o| id_terms.get(o as usize));
                let hash = hashes
                    .term_ords(doc)
                    .next()
                    .and_then(|o| hash_terms.get(o as usize));
                let (Some(id), Some(hash)) = (id, hash) else {
                    continue;
                };
                let Ok(id) = DocId::parse(id) else {
                    continue;
                };
                let entry = StoredState {
                    hash: hash.clone(),
                    mtime: mtimes.first(doc).unwrap_or(0),
                    size: sizes.first(doc).unwrap_or(0),
                    transcript: transcripts
                        .as_ref()
                        .and_then(|t| t.term_ords(doc).next())
                        .and_then(|o| transcript_terms.get(o as usize))
                        .cloned(),
                };
                state.insert(id, entry);
            }
        }
        Ok(state)
    }
}

impl BatonIndex {
    /// Problems recorded on indexed documents, by path then line.
    pub fn problems(&self) -> Result<Vec<crate::problem::Problem>, IndexError> {
        self.problems_for(&crate::visibility::Viewer::All)
    }

    /// Problems of the documents `viewer` may read.
    pub fn problems_for(
        &self,
        viewer: &crate::visibility::Viewer,
    ) -> Result<Vec<crate::problem::Problem>, IndexError> {
        use tantivy::collector::DocSetCollector;
        use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
        use tantivy::schema::{IndexRecordOption, Value};
        let searcher = self.reader.searcher();
        let q: Box<dyn Query> = Box::new(TermQuery::new(
            tantivy::Term::from_field_text(self.fields.has_problems, "1"),
            IndexRecordOption::Basic,
        ));
        let q = match self.access_filter(viewer) {
            None => q,
            Some(visible) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, q),
                (Occur::Must, visible),
            ])),
        };
        let mut out = Vec::new();
        for addr in searcher.search(&*q, &DocSetCollector)? {
            let doc: tantivy::TantivyDocument = searcher.doc(addr)?;
            let json = doc
                .get_first(self.fields.problems)
                .and_then(|v| v.as_str())
                .unwrap_or("[]");
            out.extend(
                serde_json::from_str::<Vec<crate::problem::Problem>>(json).unwrap_or_default(),
            );
        }
        out.sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
        Ok(out)
    }
}

impl BatonIndex {
    /// The mandatory filter of what `viewer` may see (`None`: everything):
    /// any of the viewer's access terms. Every query that can surface a
    /// document includes it, so hidden documents are not even counted.
    pub fn access_filter(
        &self,
        viewer: &crate::visibility::Viewer,
    ) -> Option<Box<dyn tantivy::query::Query>> {
        use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
        let terms = viewer.terms()?;
        let any: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .map(|t| {
                let tq = TermQuery::new(
                    tantivy::Term::from_field_text(self.fields.access, t),
                    tantivy::schema::IndexRecordOption::Basic,
                );
                (Occur::Should, Box::new(tq) as Box<dyn Query>)
            })
            .collect();
        // A filter, not a signal: scoring it would add each access term's
        // IDF to the relevance (public and internal documents would rank
        // differently) and cost BM25 work on every match.
        Some(Box::new(ConstScoreQuery::new(
            Box::new(BooleanQuery::new(any)),
            0.0,
        )))
    }
}

/// Every term of a string fast field, indexed by term ordinal.
fn all_terms(column: &tantivy::columnar::StrColumn) -> Result<Vec<String>, IndexError> {
    let mut terms = Vec::with_capacity(column.num_terms());
    let mut stream = column
        .dictionary()
        .stream()
        .map_err(|e| IndexError::Tantivy(e.into()))?;
    while stream.advance() {
        terms.push(String::from_utf8_lossy(stream.key()).into_owned());
    }
    Ok(terms)
}
