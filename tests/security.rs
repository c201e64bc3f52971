//! Browser-facing security over real HTTP: script-injection vectors are inert
//! in every API view, every response carries the security headers, other
//! origins get no CORS grant and cannot write, token guessing is throttled,
//! and secrets never reach the logs or the data folder.

mod common;
#[path = "common/xss.rs"]
mod xss;

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use baton::auth::{Role, TokenStore};
use common::{http_request, wait_until, TestServer};

const VECTOR_DOC: &str = "training/xss-vectors.md";
const VECTOR_HANDOVER: &str = "handovers/xss-vectors.md";
const TRAINING: &str = "training/failover-drill.md";

/// A server on the mini corpus with an editor token; returns its secret.
fn start_with_editor() -> (TestServer, String) {
    let secret = Mutex::new(String::new());
    let s = TestServer::start_with("mini", |data: &Path| {
        let mut store = TokenStore::load(data).unwrap();
        *secret.lock().unwrap() = store.add("editor-chen", Role::Editor).unwrap();
    });
    (s, secret.into_inner().unwrap())
}

#[test]
fn injection_vectors_are_inert_in_every_api_view() {
    let s = TestServer::start("mini");
    s.corpus.write(VECTOR_DOC, xss::vector_document());
    s.corpus.write(VECTOR_HANDOVER, xss::vector_handover());
    wait_until("vector documents indexed", || {
        s.json(&format!("/api/search?q={}", xss::MARKER))["total"] == 2
    });

    // The document: sanitized body HTML, headings, metadata, segments.
    let doc = s.json(&format!("/api/docs/{VECTOR_DOC}"));
    let html = doc["html"].as_str().expect("html");
    assert!(html.contains(xss::MARKER), "the body is rendered: {html}");
    // Nothing after a vector is lost: every paragraph and heading is there
    // (an unclosed <style> once swallowed the rest of the document).
    assert!(
        html.matches(xss::MARKER).count() > xss::VECTORS.len() && html.contains("小節"),
        "text around the vectors survives: {html}"
    );
    xss::assert_inert_json("doc", &doc);
    // Front-matter text comes back as text, for the UI to insert as text.
    assert!(
        doc.to_string().contains("onerror"),
        "metadata is returned verbatim as text"
    );

    // Snippets of searches that hit each field: body, title, tags, segments.
    for q in [
        xss::MARKER,
        "script",
        "onerror",
        "javascript",
        "標題",
        "svg",
        "測試",
    ] {
        let r = s.json(&format!("/api/search?q={q}"));
        xss::assert_inert_json(&format!("search {q}"), &r);
    }
    let hits = s.json(&format!("/api/search?q={}+onerror", xss::MARKER));
    assert!(
        hits["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["snippet"].as_str().unwrap_or("").contains("<mark>")),
        "snippets are highlighted: {hits}"
    );

    // Suggestions, related articles, tag vocabulary, handovers, problems.
    for path in [
        format!("/api/suggest?q={}", xss::MARKER),
        "/api/suggest?q=%3Cimg".to_string(),
        format!("/api/docs/{VECTOR_DOC}/related"),
        "/api/tags".to_string(),
        "/api/handovers".to_string(),
        "/api/problems".to_string(),
    ] {
        xss::assert_inert_json(&path, &s.json(&path));
    }
    let handovers = s.json("/api/handovers");
    let planted = handovers
        .as_array()
        .or_else(|| handovers["handovers"].as_array())
        .expect("a list")
        .iter()
        .find(|h| h.to_string().contains(xss::MARKER))
        .unwrap_or_else(|| panic!("the vector handover is listed: {handovers}"));
    let id = planted["id"].as_str().expect("id");
    let detail = s.json(&format!("/api/handovers/{id}"));
    assert!(detail.to_string().contains(xss::MARKER), "{detail}");
    xss::assert_inert_json("handover", &detail);
}

/// The CSP's effective directive for scripts.
fn script_sources(csp: &str) -> String {
    let directive = |name: &str| {
        csp.split(';')
            .map(str::trim)
            .find(|d| d.split_whitespace().next() == Some(name))
            .map(str::to_string)
    };
    directive("script-src")
        .or_else(|| directive("default-src"))
        .unwrap_or_default()
}

#[test]
fn every_response_carries_the_security_headers() {
    let (s, editor) = start_with_editor();
    let bearer = format!("Bearer {editor}");
    let responses = [
        ("page", s.get("/")),
        ("doc page", s.get(&format!("/doc/{TRAINING}"))),
        ("asset", s.get("/static/dom.js")),
        ("search", s.get("/api/search?q=failover")),
        ("document", s.get(&format!("/api/docs/{TRAINING}"))),
        ("unknown document", s.get("/api/docs/nope.md")),
        ("traversal", s.get("/api/docs/..%2f..%2fetc%2fpasswd")),
        ("bad parameter", s.get("/api/search?q=a&limit=abc")),
        ("media 404", s.get("/api/media/nope.wav")),
        ("metrics", s.get("/metrics")),
        ("openapi", s.get("/api/openapi.json")),
        ("unknown route", s.get("/nope")),
        (
            "write without token",
            http_request(
                s.addr,
                "PUT",
                &format!("/api/docs/{TRAINING}/tags"),
                &[],
                b"{}",
            ),
        ),
        (
            "write without If-Match",
            http_request(
                s.addr,
                "PUT",
                &format!("/api/docs/{TRAINING}/tags"),
                &[
                    ("Authorization", &bearer),
                    ("Content-Type", "application/json"),
                ],
                b"{}",
            ),
        ),
        (
            "preflight",
            http_request(
                s.addr,
                "OPTIONS",
                "/api/search",
                &[("Origin", "http://evil.example")],
                b"",
            ),
        ),
    ];
    for (what, r) in &responses {
        let csp = r
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{what}: no CSP"));
        let scripts = script_sources(csp);
        assert!(
            !scripts.is_empty(),
            "{what}: the CSP restricts scripts: {csp}"
        );
        assert!(
            !scripts.contains("unsafe-inline") && !scripts.contains("unsafe-eval"),
            "{what}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{what}");
    }
    // Pages may load their own scripts; data responses may load nothing.
    let page_csp = responses[0].1.header("content-security-policy").unwrap();
    assert_eq!(script_sources(page_csp), "script-src 'self'");
    let api_csp = responses[3].1.header("content-security-policy").unwrap();
    assert!(
        api_csp.contains("default-src 'none'") && api_csp.contains("sandbox"),
        "{api_csp}"
    );
}

#[test]
fn other_origins_get_no_cors_grant_and_cannot_write() {
    let (s, editor) = start_with_editor();
    let evil = ("Origin", "http://evil.example");
    // Reads: answered, but without any grant a browser would honour.
    let read = s.get_with("/api/search?q=failover", &[evil]);
    assert_eq!(read.status, 200);
    let preflight = http_request(
        s.addr,
        "OPTIONS",
        &format!("/api/docs/{TRAINING}/tags"),
        &[
            evil,
            ("Access-Control-Request-Method", "PUT"),
            (
                "Access-Control-Request-Headers",
                "authorization,if-match,content-type",
            ),
        ],
        b"",
    );
    assert!(
        !(200..300).contains(&preflight.status),
        "preflight refused: {}",
        preflight.status
    );
    for r in [&read, &preflight] {
        for (name, _) in &r.headers {
            assert!(
                !name
                    .to_ascii_lowercase()
                    .starts_with("access-control-allow"),
                "CORS header {name}"
            );
        }
    }

    // A write from another origin with a valid token and ETag is refused
    // and the file is untouched; the same write from baton's own page works.
    let path = s.corpus.corpus.join(TRAINING);
    let before = std::fs::read(&path).unwrap();
    let etag = s
        .get(&format!("/api/docs/{TRAINING}"))
        .header("etag")
        .unwrap()
        .to_string();
    let bearer = format!("Bearer {editor}");
    let write = |origin: &str| {
        http_request(
            s.addr,
            "PUT",
            &format!("/api/docs/{TRAINING}/tags"),
            &[
                ("Origin", origin),
                ("Authorization", &bearer),
                ("If-Match", &etag),
                ("Content-Type", "application/json"),
            ],
            br#"{"tags": ["csrf-probe"]}"#,
        )
    };
    for origin in [
        "http://evil.example",
        "null",
        &format!("http://{}.evil.example", s.addr.ip()),
    ] {
        let r = write(origin);
        assert_eq!(r.status, 403, "{origin}: {}", r.body);
        assert_eq!(r.json()["error"]["code"], "forbidden");
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "a refused write changed the file"
    );
    let own = write(&format!("http://{}", s.addr));
    assert_eq!(own.status, 200, "{}", own.body);
    assert!(String::from_utf8(std::fs::read(&path).unwrap())
        .unwrap()
        .contains("csrf-probe"));
}

#[test]
fn token_guessing_is_throttled() {
    let (s, editor) = start_with_editor();
    let guess = |secret: &str| {
        s.get_with(
            "/api/audit",
            &[("Authorization", &format!("Bearer {secret}"))],
        )
    };
    for i in 0..10 {
        let r = guess(&format!("baton_guess{i:02}"));
        assert_eq!(r.status, 401, "guess {i}: {}", r.body);
    }
    // After ten wrong secrets even the right one waits: guessing is slowed
    // to ten tries a minute per address.
    let r = guess("baton_guess10");
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "too_many_requests");
    assert_eq!(guess(&editor).status, 429);
    // Requests without a token are not guesses and keep working.
    assert_eq!(s.get("/api/search?q=failover").status, 200);
}

/// Starts `baton serve` with debug logging into a file; returns the child
/// and address.
fn serve_logging(
    corpus: &Path,
    data: &Path,
    log: &Path,
) -> (std::process::Child, std::net::SocketAddr) {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("--corpus")
        .arg(corpus)
        .arg("--data")
        .arg(data)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("BATON_LOG", "trace")
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut child = child;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(addr) = text.lines().find_map(|l| l.split("http://").nth(1)) {
            return (child, addr.trim().parse().unwrap());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!(
        "no address in the log: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

#[test]
fn secrets_never_reach_the_logs_or_the_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    let data = dir.path().join("data");
    common::copy_dir(&common::fixtures().join("mini"), &corpus);
    let mut store = TokenStore::load(&data).unwrap();
    let editor = store.add("editor-chen", Role::Editor).unwrap();
    let admin = store.add("ops-admin", Role::Admin).unwrap();
    let wrong = "baton_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab";
    let log = dir.path().join("serve.log");
    let (mut child, addr) = serve_logging(&corpus, &data, &log);
    let get = |path: &str, headers: &[(&str, &str)]| common::http_get(addr, path, headers);
    wait_until("ready", || get("/api/ready", &[]).status == 200);

    let bearer = |s: &str| format!("Bearer {s}");
    let etag = get(&format!("/api/docs/{TRAINING}"), &[])
        .header("etag")
        .unwrap()
        .to_string();
    let put = http_request(
        addr,
        "PUT",
        &format!("/api/docs/{TRAINING}/tags"),
        &[
            ("Authorization", &bearer(&editor)),
            ("If-Match", &etag),
            ("Content-Type", "application/json"),
        ],
        br#"{"tags": ["logprobe"]}"#,
    );
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(
        get("/api/audit", &[("Authorization", &bearer(&admin))]).status,
        200
    );
    assert_eq!(
        get("/api/audit", &[("Authorization", &bearer(wrong))]).status,
        401
    );
    assert_eq!(
        get(
            "/api/search?q=failover",
            &[("Authorization", &bearer(wrong))]
        )
        .status,
        401
    );
    assert_eq!(get("/api/search?q=querytextprobe", &[]).status, 200);
    let cookie = format!("baton_token={editor}");
    get("/api/media/training/nope.wav", &[("Cookie", &cookie)]);

    // Stop cleanly so every log line is written.
    sigterm(child.id());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let text = std::fs::read_to_string(&log).unwrap();
    // The capture works: requests and the write are in it.
    assert!(
        text.contains("/api/docs/") && text.contains("request"),
        "log too thin: {text}"
    );
    assert!(text.lines().count() > 10, "{text}");
    assert!(
        !text.contains("querytextprobe"),
        "query strings are not logged"
    );
    for secret in [&editor, &admin, &wrong.to_string()] {
        let leaks: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(secret.as_str()))
            .collect();
        assert!(leaks.is_empty(), "secret in the log: {leaks:?}");
    }
    for entry in walkdir::WalkDir::new(&data)
        .into_iter()
        .filter_map(Result::ok)
    {
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            let content = String::from_utf8_lossy(&bytes);
            for secret in [&editor, &admin] {
                assert!(
                    !content.contains(secret.as_str()),
                    "secret stored in {}",
                    entry.path().display()
                );
            }
        }
    }
    let audit = std::fs::read_to_string(data.join("audit.log")).unwrap();
    assert!(
        audit.contains("editor-chen"),
        "the audit trail names the token: {audit}"
    );
}

fn sigterm(pid: u32) {
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -TERM {pid}");
}
