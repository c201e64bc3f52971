//! Trainers tag recordings over real HTTP: tokens and roles, If-Match
//! (428/412), byte-preserving write-back, read-your-writes, the tag vocabulary.

mod common;

use std::path::Path;
use std::sync::Mutex;

use baton::auth::{Role, TokenStore};
use common::{http_request, TestServer};

const TRAINING: &str = "training/failover-drill.md";

/// Secrets created before the server starts, by role.
struct Secrets {
    trainer: String,
    reader: String,
}

fn start() -> (TestServer, Secrets) {
    let secrets = Mutex::new(None);
    let server = TestServer::start_with("mini", |data: &Path| {
        let mut store = TokenStore::load(data).unwrap();
        let trainer = store.add("trainer-lin", Role::Trainer).unwrap();
        let reader = store.add("newcomer", Role::Reader).unwrap();
        *secrets.lock().unwrap() = Some(Secrets { trainer, reader });
    });
    let secrets = secrets.into_inner().unwrap().unwrap();
    (server, secrets)
}

fn etag(s: &TestServer, id: &str) -> String {
    s.get(&format!("/api/docs/{id}"))
        .header("etag")
        .unwrap()
        .to_string()
}

fn put(s: &TestServer, id: &str, headers: &[(&str, &str)], body: &str) -> common::HttpResponse {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    http_request(
        s.addr,
        "PUT",
        &format!("/api/docs/{id}/tags"),
        &all,
        body.as_bytes(),
    )
}

const BODY: &str = r#"{"tags": ["Failover", "演練", "核心系統"], "segments": [
    {"at": "45:00", "label": "回切與驗證", "tags": ["failback"]},
    {"at": "00:12:30", "label": "切換備援流程 walkthroughprobe", "tags": ["Failover"]}]}"#;

#[test]
fn writes_need_a_trainer_token_and_the_current_etag() {
    let (s, k) = start();
    let tag = etag(&s, TRAINING);
    let bearer = |secret: &str| format!("Bearer {secret}");

    assert_eq!(put(&s, TRAINING, &[("If-Match", &tag)], BODY).status, 401);
    assert_eq!(
        put(
            &s,
            TRAINING,
            &[("Authorization", "Bearer baton_wrong"), ("If-Match", &tag)],
            BODY
        )
        .status,
        401
    );
    let r = put(
        &s,
        TRAINING,
        &[("Authorization", &bearer(&k.reader)), ("If-Match", &tag)],
        BODY,
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"]["code"], "forbidden");
    let r = put(
        &s,
        TRAINING,
        &[("Authorization", &bearer(&k.trainer))],
        BODY,
    );
    assert_eq!(r.status, 428);
    let r = put(
        &s,
        TRAINING,
        &[
            ("Authorization", &bearer(&k.trainer)),
            ("If-Match", "\"0000\""),
        ],
        BODY,
    );
    assert_eq!(r.status, 412);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains(tag.trim_matches('"')));
    let r = put(
        &s,
        TRAINING,
        &[("Authorization", &bearer(&k.trainer)), ("If-Match", &tag)],
        r#"{"tags": ["<script>"]}"#,
    );
    assert_eq!(r.status, 400);
    let r = put(
        &s,
        TRAINING,
        &[("Authorization", &bearer(&k.trainer)), ("If-Match", &tag)],
        r#"{"tagz": []}"#,
    );
    assert_eq!(r.status, 400);
    let runbook = "runbooks/core-banking/eod-batch-ora-01555.md";
    let r = put(
        &s,
        runbook,
        &[
            ("Authorization", &bearer(&k.trainer)),
            ("If-Match", &etag(&s, runbook)),
        ],
        BODY,
    );
    assert_eq!(r.status, 409, "only training records take tags: {}", r.body);
    // Nothing above changed the file.
    assert_eq!(etag(&s, TRAINING), tag);
}

#[test]
fn tags_are_written_back_and_searchable_at_once() {
    let (s, k) = start();
    let path = s.corpus.corpus.join(TRAINING);
    let before = std::fs::read_to_string(&path).unwrap();
    let tag = etag(&s, TRAINING);
    let r = put(
        &s,
        TRAINING,
        &[
            ("Authorization", &format!("Bearer {}", k.trainer)),
            ("If-Match", &tag),
        ],
        BODY,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert_eq!(
        body["tags"],
        serde_json::json!(["failover", "演練", "核心系統"])
    );
    assert_eq!(
        body["segments"][0]["at"], "00:12:30",
        "segments sorted and times normalised"
    );
    assert_eq!(body["segments"][1]["at"], "00:45:00");
    let new_etag = r.header("etag").unwrap().to_string();
    assert_ne!(new_etag, tag);
    assert_eq!(etag(&s, TRAINING), new_etag);

    // Only the tags and segments keys changed: every other line is identical.
    let after = std::fs::read_to_string(&path).unwrap();
    let keep = |text: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut skipping = false;
        for line in text.lines() {
            if line.starts_with("tags:") || line.starts_with("segments:") {
                skipping = true;
                continue;
            }
            if skipping && (line.starts_with(' ') || line.starts_with('-')) {
                continue;
            }
            skipping = false;
            out.push(line.to_string());
        }
        out
    };
    assert_eq!(keep(&before), keep(&after));
    assert!(after.contains("切換備援流程 walkthroughprobe"));

    // Read-your-writes: searchable in the very next request, no waiting.
    let hits = s.json("/api/search?q=walkthroughprobe");
    assert_eq!(hits["hits"][0]["id"], TRAINING);
    // ... and the hit names the moment of the recording.
    assert_eq!(hits["hits"][0]["segment"]["at"], "00:12:30");
    assert_eq!(hits["hits"][0]["segment"]["source"], "segment");
    let tagged = s.json("/api/search?tag=%E6%BC%94%E7%B7%B4"); // tag=演練
    assert_eq!(tagged["total"], 1);
    let vocabulary = s.json("/api/tags");
    let tags = vocabulary["tags"].as_array().unwrap();
    assert!(
        tags.iter().any(|t| t["tag"] == "演練" && t["count"] == 1),
        "{tags:?}"
    );
}

#[test]
fn token_cli_prints_only_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let baton = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
            .arg("--data")
            .arg(dir.path())
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap()
    };
    let out = baton(&["token", "add", "alice", "--role", "trainer"]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1);
    let secret = stdout.trim();
    assert!(secret.starts_with("baton_"));
    let stored = TokenStore::load(dir.path()).unwrap();
    assert_eq!(stored.verify(secret).map(|t| t.role), Some(Role::Trainer));
    let list = String::from_utf8(baton(&["token", "list"]).stdout).unwrap();
    assert!(list.contains("alice") && !list.contains(secret));
    assert!(baton(&["token", "revoke", "alice"]).status.success());
    assert!(!baton(&["token", "revoke", "alice"]).status.success());
    assert!(TokenStore::load(dir.path())
        .unwrap()
        .verify(secret)
        .is_none());
}

#[test]
fn concurrent_writers_with_one_etag_have_exactly_one_winner() {
    let (s, k) = start();
    let tag = etag(&s, TRAINING);
    let addr = s.addr;
    let threads: Vec<_> = (0..20)
        .map(|i| {
            let (tag, secret) = (tag.clone(), k.trainer.clone());
            std::thread::spawn(move || {
                let body = format!(r#"{{"tags": ["writer-{i}"]}}"#);
                let auth = format!("Bearer {secret}");
                let headers = [
                    ("Authorization", auth.as_str()),
                    ("If-Match", tag.as_str()),
                    ("Content-Type", "application/json"),
                ];
                (
                    i,
                    http_request(
                        addr,
                        "PUT",
                        &format!("/api/docs/{TRAINING}/tags"),
                        &headers,
                        body.as_bytes(),
                    )
                    .status,
                )
            })
        })
        .collect();
    let results: Vec<(usize, u16)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let winners: Vec<usize> = results
        .iter()
        .filter(|(_, st)| *st == 200)
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert!(
        results.iter().all(|(_, st)| *st == 200 || *st == 412),
        "{results:?}"
    );
    let text = std::fs::read_to_string(s.corpus.corpus.join(TRAINING)).unwrap();
    assert!(
        text.contains(&format!("tags: [writer-{}]", winners[0])),
        "{text}"
    );

    let audit = std::fs::read_to_string(s.corpus.dir.path().join("server-data/audit.log")).unwrap();
    // The trail also holds reads (the ETag fetch was an `open`); writes are `tags`.
    let lines: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["action"] == "tags")
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "one audit line per successful write: {audit}"
    );
    assert_eq!(lines[0]["user"], "trainer-lin");
    assert_eq!(lines[0]["id"], TRAINING);
}

#[test]
fn oversized_bodies_and_traversal_ids_are_refused() {
    let (s, k) = start();
    let auth = format!("Bearer {}", k.trainer);
    let tag = etag(&s, TRAINING);
    let huge = format!(r#"{{"tags": ["{}"]}}"#, "x".repeat(100 * 1024));
    let r = put(
        &s,
        TRAINING,
        &[("Authorization", &auth), ("If-Match", &tag)],
        &huge,
    );
    assert_eq!(r.status, 413);
    for id in [
        "../secret.md",
        "%2e%2e%2fsecret.md",
        "training/..%2f..%2fsecret.md",
        "/etc/passwd",
    ] {
        let r = put(
            &s,
            id,
            &[("Authorization", &auth), ("If-Match", &tag)],
            BODY,
        );
        assert_eq!(r.status, 404, "{id}: {}", r.body);
    }
    assert_eq!(etag(&s, TRAINING), tag, "nothing was written");
}
