//! SIGKILL during write-back: the corpus file is afterwards entirely the
//! old version or entirely a new one (never a mix, never empty), no temp
//! file survives the next start, and the index agrees with the file.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

const RECORD: &str = "training/failover-drill.md";

fn baton() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_baton"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// Starts `baton serve` and returns it with its address once ready.
fn serve(corpus: &Path, data: &Path) -> (Child, SocketAddr) {
    let (child, addr) = common::spawn_serve(corpus, data);
    let started = Instant::now();
    while common::http_get(addr, "/api/ready", &[]).status != 200 {
        assert!(started.elapsed() < Duration::from_secs(60), "never ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, addr)
}

/// A PUT that reports a dead server as `None` instead of panicking.
fn try_put(addr: SocketAddr, secret: &str, etag: &str, tag: &str) -> Option<(u16, String)> {
    let body = format!(r#"{{"tags": ["{tag}"], "segments": []}}"#);
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let req = format!(
        "PUT /api/docs/{RECORD}/tags HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {secret}\r\nIf-Match: {etag}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let status = raw.split(' ').nth(1)?.parse().ok()?;
    let etag = raw.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("etag:")
            .map(|_| l[5..].trim().to_string())
    })?;
    Some((status, etag))
}

/// What the file would be with `tag` written over `base`.
fn with_tag(base: &str, tag: &str) -> String {
    baton::write_back::set_front_matter_keys(
        base,
        &[("tags", json!([tag])), ("segments", json!([]))],
    )
    .unwrap()
}

#[test]
fn sigkill_while_writing_back_leaves_the_old_or_the_new_file() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    let data = tmp.path().join("data");
    common::copy_dir(&common::fixtures().join("mini"), &corpus);
    // A large record makes each write (and its fsync) long enough to be hit.
    let path = corpus.join(RECORD);
    let mut text = std::fs::read_to_string(&path).unwrap();
    for i in 0..3_000 {
        text.push_str(&format!("演練紀錄第 {i} 行：切換備援後確認交易正常。\n"));
    }
    std::fs::write(&path, &text).unwrap();
    let out = baton()
        .arg("--data")
        .arg(&data)
        .args(["token", "add", "crash-test", "--role", "trainer"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_string();

    let mut rounds_with_writes = 0;
    for round in 0..6u64 {
        let before = std::fs::read_to_string(&path).unwrap();
        let (mut child, addr) = serve(&corpus, &data);
        let attempted = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let cut_off = Arc::new(AtomicBool::new(false));
        let writer = {
            let (attempted, stop, secret) = (attempted.clone(), stop.clone(), secret.clone());
            let cut_off = cut_off.clone();
            let mut etag = baton::write_back::content_etag(before.as_bytes());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let tag = format!("crash-{round}-{n}");
                    attempted.lock().unwrap().push(tag.clone());
                    match try_put(addr, &secret, &etag, &tag) {
                        Some((200 | 412, new_etag)) => etag = new_etag,
                        Some((status, _)) => panic!("PUT answered {status}"),
                        None => {
                            // The server died with this request in flight.
                            cut_off.store(true, Ordering::Relaxed);
                            return;
                        }
                    }
                    n += 1;
                }
            })
        };
        // Kill at a different moment each round, while writes are under way.
        std::thread::sleep(Duration::from_millis(150 + round * 70));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();

        let after = std::fs::read_to_string(&path).expect("file exists and is UTF-8");
        let attempted = attempted.lock().unwrap();
        if cut_off.load(Ordering::Relaxed) {
            rounds_with_writes += 1;
        }
        eprintln!("round {round}: {} writes attempted", attempted.len());
        let whole = after == before || attempted.iter().any(|tag| after == with_tag(&before, tag));
        assert!(
            whole,
            "round {round}: the file is neither the old version nor a complete new one ({} bytes, {} attempts)",
            after.len(),
            attempted.len()
        );
    }
    assert!(
        rounds_with_writes >= 4,
        "most kills should land with a write in flight ({rounds_with_writes} of 6)"
    );

    // The next start removes the dead writers' temp files and indexes the
    // file as it is.
    let (mut child, addr) = serve(&corpus, &data);
    let leftovers: Vec<_> = walkdir::WalkDir::new(&corpus)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("baton-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let file = std::fs::read_to_string(&path).unwrap();
    let doc = baton::document::parse(
        baton::doc_id::DocId::parse(RECORD).unwrap(),
        &file,
        &baton::schema::Schema::load(None).unwrap(),
    );
    let tag = doc.keyword_values("tags")[0].clone();
    let found = common::http_get(addr, &format!("/api/search?tag={tag}"), &[]).json();
    assert_eq!(found["hits"][0]["id"], RECORD, "{found}");
    child.kill().unwrap();
    child.wait().unwrap();
}
