//! The watcher keeps the index equal to the corpus under every edit pattern:
//! each test edits real files and polls (with a deadline) until the set of
//! (id, content hash) in the index equals the corpus's.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton::index::writer::Writer;
use baton::watch::{self, WatchHandle, WatchOptions};
use common::TestCorpus;

/// (id -> content hash) of the documents on disk.
fn corpus_state(root: &Path) -> BTreeMap<String, String> {
    let (entries, _) = baton::corpus::list(root);
    entries
        .into_iter()
        .filter_map(|e| {
            let bytes = std::fs::read(&e.path).ok()?;
            Some((
                e.id.to_string(),
                blake3::hash(&bytes).to_hex()[..32].to_string(),
            ))
        })
        .collect()
}

fn index_state(t: &TestCorpus) -> BTreeMap<String, String> {
    t.index
        .state()
        .unwrap()
        .into_iter()
        .map(|(id, s)| (id.to_string(), s.hash))
        .collect()
}

/// Waits until index == corpus; panics with the difference after `deadline`.
fn assert_converges(t: &TestCorpus, deadline: Duration) {
    let started = Instant::now();
    loop {
        let (want, have) = (corpus_state(&t.corpus), index_state(t));
        if want == have {
            return;
        }
        if started.elapsed() > deadline {
            let missing: Vec<_> = want
                .keys()
                .filter(|k| have.get(*k) != want.get(*k))
                .take(5)
                .collect();
            let extra: Vec<_> = have
                .keys()
                .filter(|k| !want.contains_key(*k))
                .take(5)
                .collect();
            panic!("index did not converge in {deadline:?}: {} vs {} docs; stale/missing {missing:?}; extra {extra:?}", have.len(), want.len());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn watching(t: &TestCorpus, opts: WatchOptions) -> WatchHandle {
    let writer = Arc::new(Writer::start(&t.index).unwrap());
    let opts = WatchOptions {
        reconcile_interval: Duration::from_secs(3600),
        ..opts
    };
    let handle = watch::start(t.index.clone(), writer, &t.corpus, opts).unwrap();
    // inotify watches are in place once `start` returns.
    handle
}

fn doc(title: &str) -> String {
    format!("---\nsystems: [core-banking]\n---\n# {title}\n\n內容 {title} body\n")
}

#[test]
fn create_modify_delete_a_file() {
    let t = TestCorpus::fixture("mini");
    let _w = watching(&t, WatchOptions::default());
    t.write("runbooks/new.md", doc("新增手冊"));
    assert_converges(&t, Duration::from_secs(5));
    assert_eq!(t.ids("新增手冊"), vec!["runbooks/new.md"]);
    t.write("runbooks/new.md", doc("修改手冊"));
    assert_converges(&t, Duration::from_secs(5));
    assert_eq!(t.ids("修改手冊"), vec!["runbooks/new.md"]);
    std::fs::remove_file(t.corpus.join("runbooks/new.md")).unwrap();
    assert_converges(&t, Duration::from_secs(5));
    assert!(t.ids("修改手冊").is_empty());
}

#[test]
fn two_saves_in_quick_succession_with_equal_size() {
    let t = TestCorpus::fixture("mini");
    let _w = watching(&t, WatchOptions::default());
    for i in 0..5 {
        // Same length every time: only the content hash tells them apart.
        t.write("faq/fast.md", format!("# fast\n\nrevision{i} 內容\n"));
    }
    assert_converges(&t, Duration::from_secs(5));
    assert_eq!(t.ids("revision4"), vec!["faq/fast.md"]);
}

#[test]
fn atomic_save_by_rename_over_the_original() {
    let t = TestCorpus::fixture("mini");
    let _w = watching(&t, WatchOptions::default());
    let target = t
        .corpus
        .join("runbooks/core-banking/eod-batch-ora-01555.md");
    // vim / VS Code / sed -i: write a temp file next to it, then rename over.
    for (i, temp) in [".eod.md.swp", "eod.md~", "4913", ".eod.md.tmp-8812"]
        .iter()
        .enumerate()
    {
        let temp = target.with_file_name(temp);
        std::fs::write(&temp, doc(&format!("原子存檔{i}"))).unwrap();
        std::fs::rename(&temp, &target).unwrap();
        assert_converges(&t, Duration::from_secs(5));
        assert_eq!(
            t.ids(&format!("原子存檔{i}")),
            vec!["runbooks/core-banking/eod-batch-ora-01555.md"]
        );
    }
}

#[test]
fn renaming_a_folder_of_100_documents() {
    let t = TestCorpus::fixture("mini");
    for i in 0..100 {
        t.write(
            &format!("old-team/sub/doc-{i}.md"),
            doc(&format!("folderdoc{i}")),
        );
    }
    t.reconcile();
    let _w = watching(&t, WatchOptions::default());
    std::fs::rename(t.corpus.join("old-team"), t.corpus.join("新團隊")).unwrap();
    assert_converges(&t, Duration::from_secs(10));
    assert_eq!(t.ids("folderdoc42"), vec!["新團隊/sub/doc-42.md"]);
}

#[test]
fn deleting_a_folder() {
    let t = TestCorpus::fixture("mini");
    let _w = watching(&t, WatchOptions::default());
    std::fs::remove_dir_all(t.corpus.join("runbooks")).unwrap();
    assert_converges(&t, Duration::from_secs(5));
    assert_eq!(t.index.num_docs(), 4);
}

#[test]
fn burst_of_2000_files() {
    let t = TestCorpus::fixture("mini");
    let _w = watching(&t, WatchOptions::default());
    for i in 0..2000 {
        t.write(
            &format!("burst/{}/doc-{i}.md", i % 20),
            doc(&format!("burstdoc{i}")),
        );
    }
    assert_converges(&t, Duration::from_secs(60));
    assert_eq!(t.index.num_docs(), 2007);
}

#[test]
fn rename_to_non_markdown_and_back() {
    let t = TestCorpus::fixture("mini");
    let _w = watching(&t, WatchOptions::default());
    let md = t.corpus.join("faq/plain-name.md");
    let txt = t.corpus.join("faq/plain-name.txt");
    std::fs::rename(&md, &txt).unwrap();
    assert_converges(&t, Duration::from_secs(5));
    assert!(!t.ids("资料备份").contains(&"faq/plain-name.md".to_string()));
    std::fs::rename(&txt, &md).unwrap();
    assert_converges(&t, Duration::from_secs(5));
    assert_eq!(t.ids("资料备份")[0], "faq/plain-name.md");
}

#[test]
fn poll_mode_sees_changes() {
    let t = TestCorpus::fixture("mini");
    let opts = WatchOptions {
        poll: true,
        poll_interval: Duration::from_millis(200),
        ..WatchOptions::default()
    };
    let w = watching(&t, opts);
    assert!(w.stats.polling.load(std::sync::atomic::Ordering::Relaxed));
    t.write("faq/polled.md", doc("輪詢模式"));
    assert_converges(&t, Duration::from_secs(10));
    std::fs::remove_file(t.corpus.join("faq/plain-name.md")).unwrap();
    assert_converges(&t, Duration::from_secs(10));
}

#[test]
fn symlinks_inside_followed_outside_ignored_loops_harmless() {
    let t = TestCorpus::fixture("mini");
    let outside = t.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.md"), "# outside secret\n").unwrap();
    std::os::unix::fs::symlink(&outside, t.corpus.join("linked-outside")).unwrap();
    std::os::unix::fs::symlink(t.corpus.join("faq"), t.corpus.join("faq-alias")).unwrap();
    std::os::unix::fs::symlink(t.corpus.join("loop"), t.corpus.join("loop")).ok();
    std::fs::create_dir_all(t.corpus.join("cycle")).unwrap();
    std::os::unix::fs::symlink(t.corpus.join("cycle"), t.corpus.join("cycle/again")).unwrap();
    let report = t.reconcile();
    assert!(
        t.ids("secret").is_empty(),
        "targets outside the corpus are ignored"
    );
    let hits = t.ids("资料备份");
    assert!(
        hits.contains(&"faq-alias/plain-name.md".to_string()),
        "inside symlink followed: {hits:?}"
    );
    assert!(
        report.problems.iter().any(|p| p.code == "unreadable"),
        "loop reported: {:?}",
        report.problems
    );
}

#[test]
fn corrupt_index_is_moved_aside_and_rebuilt() {
    let t = TestCorpus::fixture("mini");
    std::fs::write(t.data.join("index/meta.json"), b"{ not json").unwrap();
    let reopened = baton::index::BatonIndex::open(&t.data, &t.schema, false).unwrap();
    assert!(reopened.rebuilt);
    let aside = std::fs::read_dir(&t.data)
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with("index.broken-"));
    assert!(aside, "the broken index is kept aside");
    let t = TestCorpus {
        index: reopened,
        ..t
    };
    t.reconcile();
    assert_converges(&t, Duration::from_secs(1));
}

#[test]
fn sigkill_during_indexing_then_restart_converges() {
    let t = TestCorpus::empty();
    for i in 0..3000 {
        let filler = "交易紀錄 transaction log line ".repeat(40);
        t.write(
            &format!("bulk/{}/doc-{i}.md", i % 30),
            format!("# 文件 {i}\n\n{filler}\nkilltest{i}\n"),
        );
    }
    let bin = env!("CARGO_BIN_EXE_baton");
    let run = || {
        let mut cmd = std::process::Command::new(bin);
        cmd.arg("--corpus")
            .arg(&t.corpus)
            .arg("--data")
            .arg(&t.data)
            .arg("--schema")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("index-schema"))
            .arg("index")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        cmd
    };
    let mut child = run().spawn().unwrap();
    // Wait until the index folder exists, then kill mid-way.
    let started = Instant::now();
    while !t.data.join("index/meta.json").exists() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(150));
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was killed before finishing");

    let out = run().output().unwrap();
    assert!(out.status.success());
    let index = baton::index::BatonIndex::open(&t.data, &t.schema, false).unwrap();
    let t = TestCorpus { index, ..t };
    assert_converges(&t, Duration::from_secs(1));
    assert_eq!(t.index.num_docs(), 3000);
}
