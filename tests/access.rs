//! Who may read and who may see the audit trail, over real HTTP: reads open
//! by default or behind a reader token when configured; `GET /api/audit`
//! for admins only, newest first, paged.

mod common;

use std::path::Path;
use std::sync::Mutex;

use baton::auth::{Role, TokenStore};
use common::{http_request, TestServer};

const TRAINING: &str = "training/failover-drill.md";

/// Starts a server with one token per role; returns the secrets by role.
fn start(require_read_token: bool) -> (TestServer, Vec<(Role, String)>) {
    let secrets = Mutex::new(Vec::new());
    let server = TestServer::start_configured(
        "mini",
        |data: &Path| {
            let mut store = TokenStore::load(data).unwrap();
            for (name, role) in [
                ("newcomer", Role::Reader),
                ("trainer-lin", Role::Trainer),
                ("ops-admin", Role::Admin),
            ] {
                let secret = store.add(name, role).unwrap();
                secrets.lock().unwrap().push((role, secret));
            }
        },
        |settings| settings.require_read_token = require_read_token,
    );
    (server, secrets.into_inner().unwrap())
}

fn secret(secrets: &[(Role, String)], role: Role) -> String {
    let s = &secrets.iter().find(|(r, _)| *r == role).unwrap().1;
    format!("Bearer {s}")
}

#[test]
fn reads_are_open_by_default() {
    let (s, _) = start(false);
    assert_eq!(s.get("/api/search?q=failover").status, 200);
    assert_eq!(s.get(&format!("/api/docs/{TRAINING}")).status, 200);
}

#[test]
fn reads_need_a_reader_token_when_configured() {
    let (s, k) = start(true);
    for path in [
        "/api/search?q=failover",
        "/api/suggest?q=fa",
        "/api/docs/training/failover-drill.md",
        "/api/docs/training/failover-drill.md/related",
        "/api/tags",
        "/api/problems",
    ] {
        let r = s.get(path);
        assert_eq!(r.status, 401, "{path}: {}", r.body);
        assert_eq!(r.json()["error"]["code"], "unauthorized", "{path}");
        let wrong = s.get_with(path, &[("Authorization", "Bearer not-a-token")]);
        assert_eq!(wrong.status, 401, "{path}");
        for role in [Role::Reader, Role::Admin] {
            let ok = s.get_with(path, &[("Authorization", &secret(&k, role))]);
            assert_eq!(ok.status, 200, "{path} as {role:?}: {}", ok.body);
        }
    }
    // Monitoring needs no secret.
    for path in ["/api/health", "/api/ready", "/metrics", "/api/openapi.json"] {
        assert_eq!(s.get(path).status, 200, "{path}");
    }
}

#[test]
fn the_audit_log_is_for_admins_newest_first_and_paged() {
    let (s, k) = start(false);
    assert_eq!(s.get("/api/audit").status, 401);
    for role in [Role::Reader, Role::Trainer] {
        let r = s.get_with("/api/audit", &[("Authorization", &secret(&k, role))]);
        assert_eq!(r.status, 403, "{role:?}");
    }
    let admin = secret(&k, Role::Admin);
    let empty = s
        .get_with("/api/audit?action=tags", &[("Authorization", &admin)])
        .json();
    assert_eq!(empty["total"], 0);

    let trainer = secret(&k, Role::Trainer);
    for tag in ["first-write", "second-write", "third-write"] {
        let etag = s
            .get(&format!("/api/docs/{TRAINING}"))
            .header("etag")
            .unwrap()
            .to_string();
        let body = format!(r#"{{"tags": ["{tag}"], "segments": []}}"#);
        let r = http_request(
            s.addr,
            "PUT",
            &format!("/api/docs/{TRAINING}/tags"),
            &[
                ("Authorization", &trainer),
                ("If-Match", &etag),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let page = s
        .get_with(
            "/api/audit?action=tags&limit=2",
            &[("Authorization", &admin)],
        )
        .json();
    assert_eq!(page["total"], 3);
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["user"], "trainer-lin");
    assert_eq!(entries[0]["role"], "trainer");
    assert_eq!(entries[0]["id"], TRAINING);
    assert_eq!(entries[0]["detail"]["tags"][0], "third-write");
    // Each write names the ETag it replaced: a chain.
    assert_eq!(entries[0]["etag_before"], entries[1]["etag"]);
    let newest_etag = entries[0]["etag"].as_str().unwrap().to_string();
    let on_disk = std::fs::read(s.corpus.corpus.join(TRAINING)).unwrap();
    assert_eq!(newest_etag, baton::write_back::content_etag(&on_disk));
    let rest = s
        .get_with(
            "/api/audit?action=tags&limit=2&offset=2",
            &[("Authorization", &admin)],
        )
        .json();
    assert_eq!(rest["entries"].as_array().unwrap().len(), 1);
    assert_eq!(
        s.get_with("/api/audit?limit=x", &[("Authorization", &admin)])
            .status,
        400
    );
}

#[test]
fn the_player_reads_recordings_with_the_token_cookie_and_only_those() {
    let (s, k) = start(true);
    s.corpus
        .write("training/media/drill.wav", b"RIFF fake audio");
    let reader = secret(&k, Role::Reader);
    let cookie = format!(
        "theme=dark; baton_token={}",
        reader.trim_start_matches("Bearer ")
    );
    let media = "/api/media/training/media/drill.wav";
    assert_eq!(s.get(media).status, 401);
    let played = s.get_with(media, &[("Cookie", &cookie)]);
    assert_eq!(played.status, 200, "{}", played.body);
    assert_eq!(played.raw_body(), b"RIFF fake audio");
    // The cookie is for recordings only: not for search or documents.
    assert_eq!(
        s.get_with("/api/search?q=x", &[("Cookie", &cookie)]).status,
        401
    );
    assert_eq!(
        s.get_with(&format!("/api/docs/{TRAINING}"), &[("Cookie", &cookie)])
            .status,
        401
    );
    // A wrong cookie is a wrong token.
    let wrong = s.get_with(media, &[("Cookie", "baton_token=nope")]);
    assert_eq!(wrong.status, 401);
}
