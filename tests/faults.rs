//! Fault injection (issue 10): each test runs a real `baton serve` process on
//! a copy of `tests/fixtures/mini` with a real index on disk, injects one
//! fault from outside, and asserts the three phases: the fault is reported
//! (`/api/health`, `/api/problems`, the log), the service keeps serving what
//! it can (searches of indexed documents answer 200 with their hits, the
//! process is alive), and it recovers without a restart once the fault is
//! gone (new edits searchable, index == corpus, corpus files untouched).
//!
//! Faults that need privileges use the real thing where the machine allows
//! it (a tiny tmpfs, a read-only bind mount, a file baton's user may not
//! read) and otherwise a fallback that still injects the fault: a file-size
//! limit of 0 on the running process (`prlimit`), or running baton as an
//! unprivileged user. Mounts are undone by guards, even on panic. Nothing
//! here skips silently: when neither way works the test fails.
//!
//! SIGKILL during write-back is `tests/crash.rs`.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Longest any phase may take; recovery is bounded by the watcher's retry
/// backoff (at most 30 s) but here happens within a few seconds.
const DEADLINE: Duration = Duration::from_secs(40);

/// The unprivileged user baton runs as when a fault needs permissions to
/// bite (root ignores permission bits).
const NOBODY: u32 = 65534;

/// A `baton serve` child with its address and everything it logged.
struct Baton {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

#[derive(Default, Clone)]
struct Spawn {
    /// Run as this uid/gid (privilege drop).
    uid: Option<u32>,
    /// Ignore SIGXFSZ, so a file-size limit makes writes fail with EFBIG
    /// instead of killing the process.
    ignore_xfsz: bool,
}

impl Baton {
    fn start(corpus: &Path, data: &Path, how: Spawn) -> Baton {
        let exe = env!("CARGO_BIN_EXE_baton");
        let mut cmd = if how.ignore_xfsz {
            let mut c = Command::new("sh");
            // An ignored signal stays ignored across exec.
            c.args(["-c", "trap '' XFSZ; exec \"$0\" \"$@\"", exe]);
            c
        } else {
            Command::new(exe)
        };
        cmd.arg("--corpus")
            .arg(corpus)
            .arg("--data")
            .arg(data)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("BATON_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(uid) = how.uid {
            use std::os::unix::process::CommandExt;
            cmd.uid(uid).gid(uid);
        }
        let mut child = cmd.spawn().unwrap();
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let log = Arc::new(Mutex::new(String::new()));
        let mut line = String::new();
        let addr = loop {
            line.clear();
            let n = stderr.read_line(&mut line).unwrap();
            log.lock().unwrap().push_str(&line);
            assert!(
                n > 0,
                "baton serve exited at start:\n{}",
                log.lock().unwrap()
            );
            if let Some(rest) = line.trim().split("http://").nth(1) {
                break rest.parse::<SocketAddr>().unwrap();
            }
        };
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            while stderr.read_line(&mut line).unwrap_or(0) > 0 {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let b = Baton { child, addr, log };
        b.wait("ready", || b.get("/api/ready").0 == 200);
        b
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let r = common::http_get(self.addr, path, &[]);
        (
            r.status,
            serde_json::from_str(&r.body).unwrap_or(Value::Null),
        )
    }

    fn health(&self) -> Value {
        let (status, body) = self.get("/api/health");
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Ids of the documents matching `q`.
    fn ids(&self, q: &str) -> Vec<String> {
        let (status, body) = self.get(&format!("/api/search?q={q}&limit=50"));
        assert_eq!(status, 200, "search {q}: {body}");
        body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect()
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Polls `cond` until true; fails with the log after [`DEADLINE`].
    fn wait(&self, what: &str, mut cond: impl FnMut() -> bool) {
        let started = Instant::now();
        while !cond() {
            assert!(
                started.elapsed() < DEADLINE,
                "timed out waiting for: {what}\n--- baton log ---\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, and waits for a clean exit.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        // The shell's built-in kill: no procps needed.
        let term = Command::new("sh")
            .args(["-c", "kill -TERM \"$0\"", &pid])
            .status()
            .unwrap();
        assert!(term.success());
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "baton exited with {status}:\n{}",
            self.log()
        );
        assert!(!self.log().contains("panicked"), "{}", self.log());
    }
}

impl Drop for Baton {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A mount undone on drop (lazily, so a busy mount cannot stay behind).
struct Mount(PathBuf);

impl Mount {
    /// `mount ARGS... DIR`; `None` when mounting is impossible here (or
    /// `BATON_FAULTS_NO_MOUNT` is set, to exercise the fallbacks).
    fn run(dir: &Path, args: &[&str]) -> Option<Mount> {
        if std::env::var_os("BATON_FAULTS_NO_MOUNT").is_some() {
            return None;
        }
        let out = Command::new("mount").args(args).arg(dir).output().ok()?;
        if out.status.success() {
            Some(Mount(dir.to_path_buf()))
        } else {
            eprintln!(
                "mount {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            None
        }
    }

    /// A tmpfs of `size` on `dir`.
    fn tmpfs(dir: &Path, size: &str) -> Option<Mount> {
        std::fs::create_dir_all(dir).unwrap();
        Mount::run(
            dir,
            &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"],
        )
    }

    /// `dir` bound read-only onto itself.
    fn read_only(dir: &Path) -> Option<Mount> {
        let bind = Mount::run(dir, &["--bind", dir.to_str()?])?;
        let ro = Command::new("mount")
            .args(["-o", "remount,bind,ro"])
            .arg(dir)
            .status()
            .ok()?;
        ro.success().then_some(bind)
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Whether baton can be run as [`NOBODY`] (root, and the binary reachable).
/// `BATON_FAULTS_NO_SETUID` says no, to exercise the last fallbacks.
fn can_run_as_nobody() -> bool {
    use std::os::unix::process::CommandExt;
    std::env::var_os("BATON_FAULTS_NO_SETUID").is_none()
        && is_root()
        && Command::new(env!("CARGO_BIN_EXE_baton"))
            .arg("--help")
            .uid(NOBODY)
            .gid(NOBODY)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

fn chown_tree(dir: &Path, uid: u32) {
    let status = Command::new("chown")
        .arg("-R")
        .arg(format!("{uid}:{uid}"))
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success());
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A temp folder with `corpus/` (a copy of the mini fixture) and a `data/` path.
fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    common::copy_dir(&common::fixtures().join("mini"), &corpus);
    let data = tmp.path().join("data");
    (tmp, corpus, data)
}

const PODS: &str = "runbooks/payment-gateway/restart-pods.md";
const FAQ: &str = "faq/plain-name.md";
const RECORD: &str = "training/failover-drill.md";

/// Appends a line holding `word` to a corpus file.
fn append(corpus: &Path, id: &str, word: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(corpus.join(id))
        .unwrap();
    writeln!(f, "\nMarker {word} 標記\n").unwrap();
}

fn new_doc(corpus: &Path, id: &str, word: &str) {
    let path = corpus.join(id);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format!("# New {word}\n\n{word} 新文件 body\n")).unwrap();
}

/// (id -> content hash) of the documents on disk.
fn corpus_state(root: &Path) -> BTreeMap<String, String> {
    let (entries, _) = baton::corpus::list(root);
    entries
        .into_iter()
        .map(|e| {
            let bytes = std::fs::read(&e.path).unwrap();
            (
                e.id.to_string(),
                blake3::hash(&bytes).to_hex()[..32].to_string(),
            )
        })
        .collect()
}

/// After baton stopped: the index on disk holds exactly the corpus.
fn assert_index_is_corpus(corpus: &Path, data: &Path) {
    let schema = baton::schema::Schema::load(Some(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("index-schema"),
    ))
    .unwrap();
    let index = baton::index::BatonIndex::open(data, &schema, false).unwrap();
    let have: BTreeMap<String, String> = index
        .state()
        .unwrap()
        .into_iter()
        .map(|(id, s)| (id.to_string(), s.hash))
        .collect();
    assert_eq!(have, corpus_state(corpus), "index != corpus");
}

/// Every corpus file's bytes, to show baton never changed them.
fn snapshot(corpus: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(corpus)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect()
}

/// Searches `q` in a loop on a thread until stopped, recording every answer
/// that is not a 200 holding `id`: "keeps serving" asserted throughout the
/// fault, not only at one moment.
struct Prober {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<(usize, Vec<String>)>>,
}

impl Prober {
    fn start(addr: SocketAddr, q: &'static str, id: &'static str) -> Prober {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let (mut n, mut bad) = (0, Vec::new());
            while !flag.load(Ordering::Relaxed) {
                let r = common::http_get(addr, &format!("/api/search?q={q}"), &[]);
                if r.status != 200 || !r.body.contains(id) {
                    bad.push(format!("{}: {}", r.status, r.body));
                }
                n += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            (n, bad)
        });
        Prober {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops and asserts every search answered with the document.
    fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let (n, bad) = self.thread.take().unwrap().join().unwrap();
        assert!(n > 0);
        assert!(
            bad.is_empty(),
            "{} of {n} searches failed during the fault, first: {}",
            bad.len(),
            bad[0]
        );
    }
}

/// The value of a `/metrics` line.
fn metric(b: &Baton, name: &str) -> f64 {
    let r = common::http_get(b.addr, "/metrics", &[]);
    assert_eq!(r.status, 200);
    r.body
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} missing from /metrics"))
        .parse()
        .unwrap()
}

fn index_error(b: &Baton) -> Option<String> {
    b.health()["index_error"].as_str().map(str::to_string)
}

#[test]
fn disk_full_during_commit_is_reported_served_through_and_recovered() {
    let (tmp, corpus, data) = setup();
    let mount = Mount::tmpfs(&data, "2m");
    let fallback = mount.is_none();
    if fallback {
        eprintln!("cannot mount a tmpfs here: emulating a full disk with a file-size limit of 0");
    }
    let mut b = Baton::start(
        &corpus,
        &data,
        Spawn {
            ignore_xfsz: fallback,
            ..Spawn::default()
        },
    );
    assert_eq!(b.ids("OOMKilled"), [PODS]);
    let probe = Prober::start(b.addr, "OOMKilled", PODS);

    // Fill the disk (or forbid any file growth).
    let filler = data.join("filler");
    if fallback {
        let pid = b.child.id().to_string();
        let ok = Command::new("prlimit")
            .args(["--pid", &pid, "--fsize=0:"])
            .status()
            .unwrap();
        assert!(ok.success(), "prlimit failed: no way to inject a full disk");
    } else {
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
    }
    // Edits the writer must commit: a change, a new file, a deletion.
    append(&corpus, PODS, "fullmarkone");
    new_doc(&corpus, "runbooks/disk-full-new.md", "fullmarktwo");
    std::fs::remove_file(corpus.join(FAQ)).unwrap();

    // 1. Reported.
    b.wait("index_error in /api/health", || index_error(&b).is_some());
    let health = b.health();
    assert_eq!(health["status"], "degraded", "{health}");
    let err = index_error(&b).unwrap();
    assert!(
        err.contains("space") || err.contains("too large"),
        "index_error should say the disk is full: {err}"
    );
    assert!(
        !err.contains(tmp.path().to_str().unwrap()),
        "no paths: {err}"
    );
    assert!(b.log().contains("commit failed"), "{}", b.log());
    assert_eq!(metric(&b, "baton_index_writable"), 0.0);
    assert!(metric(&b, "baton_index_commit_failures_total") >= 1.0);
    // 2. Still serving what is indexed; the edits are not visible yet.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(b.alive());
    assert_eq!(b.ids("OOMKilled"), [PODS]);
    assert!(b.ids("fullmarktwo").is_empty());
    assert_eq!(b.health()["docs"], 7);

    // 3. Space back: the pending edits are indexed without a restart.
    if fallback {
        let pid = b.child.id().to_string();
        assert!(Command::new("prlimit")
            .args(["--pid", &pid, "--fsize=unlimited:"])
            .status()
            .unwrap()
            .success());
    } else {
        std::fs::remove_file(&filler).unwrap();
    }
    b.wait("the edits made while the disk was full", || {
        b.ids("fullmarkone") == [PODS]
            && b.ids("fullmarktwo") == ["runbooks/disk-full-new.md"]
            && b.health()["docs"] == 7
    });
    b.wait("index_error cleared", || index_error(&b).is_none());
    assert_eq!(b.health()["status"], "ok");
    assert_eq!(metric(&b, "baton_index_writable"), 1.0);
    let (status, _) = b.get(&format!("/api/docs/{FAQ}"));
    assert_eq!(status, 404, "the deleted file is gone from the index");
    // And it keeps working: a later edit is searchable.
    append(&corpus, "articles/no-front-matter.md", "fullmarkthree");
    b.wait("a later edit", || {
        b.ids("fullmarkthree") == ["articles/no-front-matter.md"]
    });
    probe.finish();
    let before = snapshot(&corpus);
    b.stop();
    assert_eq!(snapshot(&corpus), before, "corpus files untouched");
    assert_index_is_corpus(&corpus, &data);
    drop(mount);
    drop(tmp);
}

#[test]
fn index_folder_deleted_while_serving_is_rebuilt_from_the_corpus() {
    let (_tmp, corpus, data) = setup();
    let mut b = Baton::start(&corpus, &data, Spawn::default());
    assert_eq!(b.ids("OOMKilled"), [PODS]);
    let probe = Prober::start(b.addr, "OOMKilled", PODS);

    std::fs::remove_dir_all(data.join("index")).unwrap();

    // 1. Noticed (within the periodic check, with no edit needed) and reported.
    b.wait("the deleted index folder noticed", || {
        b.log().contains("the index folder is gone")
    });
    // 3. Rebuilt from the corpus without a restart: on disk, complete, live.
    b.wait("the index folder rebuilt", || {
        data.join("index/meta.json").is_file()
            && index_error(&b).is_none()
            && b.health()["docs"] == 7
    });
    assert!(
        metric(&b, "baton_index_commit_failures_total") >= 1.0,
        "the failed commit into the deleted folder is counted"
    );
    append(&corpus, PODS, "rebuiltmark");
    b.wait("an edit after the rebuild", || {
        b.ids("rebuiltmark") == [PODS]
    });
    // 2. Served throughout.
    assert!(b.alive());
    probe.finish();
    assert_eq!(b.health()["status"], "ok");
    b.stop();
    assert_index_is_corpus(&corpus, &data);
}

#[test]
fn corpus_folder_removed_keeps_the_index_and_recovers_when_restored() {
    let (tmp, corpus, data) = setup();
    let mut b = Baton::start(&corpus, &data, Spawn::default());
    assert_eq!(b.health()["docs"], 7);
    let probe = Prober::start(b.addr, "OOMKilled", PODS);
    let corpus_error = |b: &Baton| b.health()["corpus_error"].as_str().map(str::to_string);

    // A: renamed away, then back.
    let away = tmp.path().join("corpus-away");
    std::fs::rename(&corpus, &away).unwrap();
    b.wait("corpus_error while renamed away", || {
        corpus_error(&b).is_some()
    });
    assert_eq!(b.health()["status"], "degraded");
    assert_eq!(metric(&b, "baton_corpus_available"), 0.0);
    assert!(
        corpus_error(&b).unwrap().contains("corpus"),
        "{:?}",
        corpus_error(&b)
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        b.health()["docs"],
        7,
        "nothing deleted while the corpus is away"
    );
    std::fs::rename(&away, &corpus).unwrap();
    b.wait("corpus_error cleared", || corpus_error(&b).is_none());
    append(&corpus, PODS, "backmarkone");
    b.wait("an edit after the rename back", || {
        b.ids("backmarkone") == [PODS]
    });

    // B: deleted (rm -rf), then copied back, a little different.
    std::fs::remove_dir_all(&corpus).unwrap();
    b.wait("corpus_error while deleted", || corpus_error(&b).is_some());
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        b.health()["docs"],
        7,
        "nothing deleted while the corpus is gone"
    );
    assert_eq!(b.ids("backmarkone"), [PODS], "still serving the last index");
    // While files are being copied back the corpus is partial, and so, for
    // a moment, is the index: the prober stops here.
    probe.finish();
    common::copy_dir(&common::fixtures().join("mini"), &corpus);
    std::fs::remove_file(corpus.join(FAQ)).unwrap();
    new_doc(&corpus, "articles/restored.md", "restoredmark");
    b.wait("the restored corpus indexed", || {
        corpus_error(&b).is_none()
            && b.ids("restoredmark") == ["articles/restored.md"]
            && b.ids("backmarkone").is_empty()
            && b.health()["docs"] == 7
    });
    // The new folder is watched: a later edit is searchable.
    append(&corpus, PODS, "backmarktwo");
    b.wait("an edit in the restored folder", || {
        b.ids("backmarktwo") == [PODS]
    });
    assert!(b.alive());
    assert_eq!(b.health()["status"], "ok");
    b.stop();
    assert_index_is_corpus(&corpus, &data);
}

#[test]
fn unreadable_files_are_problems_and_indexed_once_readable() {
    let (tmp, corpus, data) = setup();
    // Root reads everything: make the file unreadable to baton's user.
    let (how, dangling) = if !is_root() {
        (Spawn::default(), false)
    } else if can_run_as_nobody() {
        chown_tree(tmp.path(), NOBODY);
        (
            Spawn {
                uid: Some(NOBODY),
                ..Spawn::default()
            },
            false,
        )
    } else {
        eprintln!("cannot run baton unprivileged: unreadable = a dangling symlink");
        (Spawn::default(), true)
    };
    let mut b = Baton::start(&corpus, &data, how);
    assert_eq!(b.ids("OOMKilled"), [PODS]);
    let pods = corpus.join(PODS);
    let fresh = corpus.join("runbooks/secret-new.md");
    let saved = std::fs::read(&pods).unwrap();
    if dangling {
        std::fs::remove_file(&pods).unwrap();
        std::os::unix::fs::symlink(corpus.join("missing-target.md"), &pods).unwrap();
    } else {
        chmod(&pods, 0o000);
        append(&corpus, PODS, "unreadmark");
        // Created unreadable, so no event can find it readable.
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o000)
            .open(&fresh)
            .unwrap();
        f.write_all(
            b"# New secretmark

secretmark body
",
        )
        .unwrap();
    }
    append(&corpus, "articles/no-front-matter.md", "readablemark");

    // 1. Reported against the path.
    let unreadable = |b: &Baton| -> Vec<String> {
        let (status, body) = b.get("/api/problems");
        assert_eq!(status, 200);
        body["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["code"] == "unreadable")
            .map(|p| p["path"].as_str().unwrap().to_string())
            .collect()
    };
    b.wait("unreadable problems", || {
        let paths = unreadable(&b);
        paths.contains(&PODS.to_string())
            && (dangling || paths.contains(&"runbooks/secret-new.md".to_string()))
    });
    // 2. Everything else indexed and served; the unreadable file's last
    // readable version stays searchable (unless it is now a dangling link).
    b.wait("the readable edit", || {
        b.ids("readablemark") == ["articles/no-front-matter.md"]
    });
    if !dangling {
        assert_eq!(b.ids("OOMKilled"), [PODS]);
        assert!(b.ids("unreadmark").is_empty());
        assert!(b.ids("secretmark").is_empty());
    }
    assert!(b.alive());
    assert_eq!(
        b.health()["status"],
        "ok",
        "a bad file does not degrade the service"
    );

    // 3. Readable again: indexed, and the problems are gone.
    if dangling {
        std::fs::remove_file(&pods).unwrap();
        std::fs::write(&pods, &saved).unwrap();
        append(&corpus, PODS, "unreadmark");
    } else {
        chmod(&pods, 0o644);
        chmod(&fresh, 0o644);
    }
    b.wait("the files indexed once readable", || {
        b.ids("unreadmark") == [PODS]
            && (dangling || b.ids("secretmark") == ["runbooks/secret-new.md"])
    });
    b.wait("the problems cleared", || unreadable(&b).is_empty());
    b.stop();
    assert_index_is_corpus(&corpus, &data);
}

#[test]
fn files_vanishing_and_changing_mid_read_converge() {
    let (_tmp, corpus, data) = setup();
    let mut b = Baton::start(&corpus, &data, Spawn::default());
    // Churn: files rewritten, deleted, re-created and renamed as fast as
    // possible, so reads race with every kind of change.
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs(3) {
        let id = format!("churn/file-{}.md", n % 5);
        let path = corpus.join(&id);
        match n % 4 {
            0 | 1 => new_doc(&corpus, &id, &format!("churnmark{n}")),
            2 => drop(std::fs::remove_file(&path)),
            _ => drop(std::fs::rename(
                &path,
                corpus.join(format!("churn/moved-{}.md", n % 3)),
            )),
        }
        n += 1;
        if n.is_multiple_of(50) {
            assert_eq!(b.ids("OOMKilled"), [PODS], "served during the churn");
        }
    }
    new_doc(&corpus, "churn/final.md", "churnfinal");
    assert!(b.alive());
    let want = corpus_state(&corpus);
    b.wait("the index converges to the corpus after the churn", || {
        b.ids("churnfinal") == ["churn/final.md"] && b.health()["docs"] == want.len()
    });
    b.stop();
    assert_index_is_corpus(&corpus, &data);
}

#[test]
fn read_only_data_folder_serves_the_index_and_recovers_when_writable() {
    let (tmp, corpus, data) = setup();
    // An index and a trainer token, made while the folder is writable.
    Baton::start(&corpus, &data, Spawn::default()).stop();
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--data")
        .arg(&data)
        .args(["token", "add", "ro-test", "--role", "trainer"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_string();

    // Read-only: a read-only bind mount, or else a folder baton's
    // (unprivileged) user may not write.
    let mount = Mount::read_only(&data);
    let how = if mount.is_some() {
        Spawn::default()
    } else if !is_root() {
        chmod(&data, 0o555);
        chmod(&data.join("index"), 0o555);
        Spawn::default()
    } else {
        assert!(
            can_run_as_nobody(),
            "neither a read-only mount nor an unprivileged user is possible"
        );
        eprintln!("cannot mount read-only: baton runs unprivileged on a folder it may not write");
        chown_tree(&corpus, NOBODY);
        // tempdir is 0700; the data folder stays root's and read-only to others.
        chmod(tmp.path(), 0o755);
        Command::new("chmod")
            .arg("-R")
            .arg("a+rX,go-w")
            .arg(&data)
            .status()
            .unwrap();
        Spawn {
            uid: Some(NOBODY),
            ..Spawn::default()
        }
    };
    assert!(
        std::fs::write(data.join("probe"), b"x").is_err() || how.uid.is_some(),
        "the data folder should be read-only"
    );

    // It starts (no crash loop) and says why it cannot index.
    let mut b = Baton::start(&corpus, &data, how.clone());
    let health = b.health();
    assert_eq!(health["status"], "degraded", "{health}");
    let err = index_error(&b).expect("index_error set");
    assert!(
        err.to_lowercase().contains("read-only") || err.to_lowercase().contains("permission"),
        "{err}"
    );
    // Serves the existing index.
    assert_eq!(b.ids("OOMKilled"), [PODS]);
    assert_eq!(health["docs"], 7);
    // A tag write still reaches the corpus file (the truth).
    let etag = common::http_get(b.addr, &format!("/api/docs/{RECORD}"), &[])
        .header("etag")
        .unwrap()
        .to_string();
    let auth = format!("Bearer {secret}");
    let r = common::http_request(
        b.addr,
        "PUT",
        &format!("/api/docs/{RECORD}/tags"),
        &[
            ("Authorization", &auth),
            ("If-Match", &etag),
            ("Content-Type", "application/json"),
        ],
        br#"{"tags": ["rotag"]}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(std::fs::read_to_string(corpus.join(RECORD))
        .unwrap()
        .contains("rotag"));
    append(&corpus, "articles/no-front-matter.md", "romark");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(b.alive());
    assert!(b.ids("romark").is_empty(), "nothing can be indexed yet");

    // Writable again: recovers without a restart.
    if let Some(m) = mount {
        drop(m);
    } else if how.uid.is_some() {
        chown_tree(&data, NOBODY);
    } else {
        chmod(&data, 0o755);
        chmod(&data.join("index"), 0o755);
    }
    b.wait("indexing resumes", || {
        b.ids("romark") == ["articles/no-front-matter.md"]
            && b.get("/api/search?tag=rotag").1["hits"][0]["id"] == RECORD
    });
    b.wait("index_error cleared", || index_error(&b).is_none());
    assert_eq!(b.health()["status"], "ok");
    b.stop();
    assert_index_is_corpus(&corpus, &data);
}
