//! Shared helpers for integration tests: a real corpus folder in a temp dir,
//! a real on-disk index, real files. No mocks.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use baton::index::{reconcile, writer::Writer, BatonIndex};
use baton::schema::Schema;
use baton::search::{search, SearchRequest, SearchResponse};

/// A temp corpus + data folder with an index over it.
pub struct TestCorpus {
    pub dir: tempfile::TempDir,
    pub corpus: PathBuf,
    pub data: PathBuf,
    pub schema: Schema,
    pub index: BatonIndex,
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

impl TestCorpus {
    /// An empty corpus.
    pub fn empty() -> TestCorpus {
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("corpus");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&corpus).unwrap();
        let schema = Schema::load(Some(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("index-schema"),
        ))
        .unwrap();
        let index = BatonIndex::open(&data, &schema, false).unwrap();
        TestCorpus {
            dir,
            corpus,
            data,
            schema,
            index,
        }
    }

    /// A copy of `tests/fixtures/<name>`, indexed.
    pub fn fixture(name: &str) -> TestCorpus {
        let t = TestCorpus::empty();
        copy_dir(&fixtures().join(name), &t.corpus);
        t.reconcile();
        t
    }

    /// Writes a corpus file (creating folders).
    pub fn write(&self, id: &str, content: impl AsRef<[u8]>) {
        let path = self.corpus.join(id);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    /// Runs a reconciliation and returns its report.
    pub fn reconcile(&self) -> reconcile::Report {
        self.reconcile_with_limit(baton::document::DEFAULT_MAX_FILE_BYTES)
    }

    pub fn reconcile_with_limit(&self, max_file_bytes: u64) -> reconcile::Report {
        let writer = Writer::start(&self.index).unwrap();
        let opts = reconcile::Options {
            max_file_bytes,
            progress: &|_, _| {},
        };
        reconcile::reconcile(&self.index, &writer, &self.corpus, &opts).unwrap()
    }

    pub fn search(&self, q: &str) -> SearchResponse {
        search(&self.index, &SearchRequest::new(q)).unwrap()
    }

    pub fn search_req(&self, req: &SearchRequest) -> SearchResponse {
        search(&self.index, req).unwrap()
    }

    /// Ids of the hits for `q`, best first.
    pub fn ids(&self, q: &str) -> Vec<String> {
        self.search(q).hits.into_iter().map(|h| h.id).collect()
    }
}
