//! Per-document visibility over real HTTP: a restricted document, and any
//! trace of it (count, facet, snippet, suggestion, related link, direct URL,
//! media, problems, tag vocabulary), exists only for the right team. Also:
//! forged proxy headers, and the access audit trail across a restart.

mod common;

use std::path::Path;
use std::sync::Mutex;

use baton::auth::{Role, TokenStore};
use common::TestServer;

const SECRET_DOC: &str = "runbooks/network/core-switch-acl.md";
const LINKED: &str = "runbooks/core-banking/eod-batch-ora-01555.md";
const MEDIA: &str = "training/media/acl-walkthrough.wav";

/// Restricted by the folder rule `runbooks/network/**` -> team network.
fn restricted_doc() -> String {
    format!(
        "---\ntitle: Zebracore switch ACL change\nsystems: [zebra-net, zebra-coreswitch]\ntags: [zebra-acl]\nupdated: 2025-02-30\nrecording: ../../{MEDIA}\n---\n\n# Zebracore switch ACL change\n\nThe zebrafirewall rule set; see [EOD](../core-banking/eod-batch-ora-01555.md) for the batch window.\n"
    )
}

struct Who {
    label: &'static str,
    headers: Vec<(&'static str, String)>,
    sees: bool,
}

fn start(configure: impl FnOnce(&mut baton::server::Settings)) -> (TestServer, Vec<Who>) {
    let secrets = Mutex::new(Vec::new());
    let server = TestServer::start_configured(
        "mini",
        |data: &Path| {
            let mut store = TokenStore::load(data).unwrap();
            let dba = store
                .add_with_teams("dba-lin", Role::Reader, &["dba".into()])
                .unwrap();
            let net = store
                .add_with_teams("net-wu", Role::Reader, &["Network".into()])
                .unwrap();
            *secrets.lock().unwrap() = vec![dba, net];
        },
        configure,
    );
    server.corpus.write(SECRET_DOC, restricted_doc());
    server.corpus.write(MEDIA, b"RIFF....WAVEfmt fake audio");
    server.corpus.write(
        "handovers/zebra-handover.md",
        "---\ntitle: Zebra network handover\nsystems: [zebra-net]\nfrom: 吳家豪\nto: 林雅婷\nstatus: in-progress\nstart: 2026-11-01\nitems:\n  - topic: ACL change procedure\n    stage: documentation\n---\n\n# Zebra network handover\n",
    );
    let s = secrets.into_inner().unwrap();
    let who = vec![
        Who {
            label: "anonymous",
            headers: vec![],
            sees: false,
        },
        Who {
            label: "another team",
            headers: vec![("Authorization", format!("Bearer {}", s[0]))],
            sees: false,
        },
        Who {
            label: "the right team",
            headers: vec![("Authorization", format!("Bearer {}", s[1]))],
            sees: true,
        },
    ];
    // The watcher indexes the new file.
    let started = std::time::Instant::now();
    while common::http_get(
        server.addr,
        "/api/search?q=zebrafirewall",
        &[("Authorization", &who[2].headers[0].1)],
    )
    .json()["total"]
        != 1
    {
        assert!(
            started.elapsed().as_secs() < 10,
            "restricted doc never indexed"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (server, who)
}

fn get(s: &TestServer, who: &Who, path: &str) -> common::HttpResponse {
    let headers: Vec<(&str, &str)> = who.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    common::http_get(s.addr, path, &headers)
}

fn json(s: &TestServer, who: &Who, path: &str) -> serde_json::Value {
    let r = get(s, who, path);
    assert_eq!(r.status, 200, "{} {path}: {}", who.label, r.body);
    r.json()
}

#[test]
fn a_restricted_document_leaves_no_trace_for_those_who_may_not_read_it() {
    let (s, everyone) = start(|_| {});
    for who in &everyone {
        let label = who.label;
        let expect = |found: bool, what: &str| {
            assert_eq!(found, who.sees, "{label}: {what}");
        };
        let hits = json(&s, who, "/api/search?q=zebrafirewall");
        expect(hits["total"] == 1, "search total");
        expect(hits["hits"][0]["id"] == SECRET_DOC, "search hit");
        // Counts and facets over everything.
        let all = json(&s, who, "/api/search?q=&limit=100");
        let ids: Vec<&str> = all["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap())
            .collect();
        expect(ids.contains(&SECRET_DOC), "listing");
        assert_eq!(
            all["total"],
            ids.len(),
            "{label}: total counts only visible docs"
        );
        expect(
            !all["facets"]["systems"]["zebra-coreswitch"].is_null(),
            "system facet",
        );
        expect(!all["facets"]["tags"]["zebra-acl"].is_null(), "tag facet");
        let runbooks = all["facets"]["kind"]["runbook"].as_u64().unwrap();
        let visible_runbooks = ids.iter().filter(|i| i.starts_with("runbooks/")).count() as u64;
        assert_eq!(
            runbooks, visible_runbooks,
            "{label}: kind facet = visible runbooks"
        );
        // Snippets: another document's search must not quote it either.
        let text = json(&s, who, "/api/search?q=zebracore");
        expect(text.to_string().contains("zebrafirewall"), "snippet");
        // Suggestions: title, system and tag.
        for typed in ["zebracore", "zebra-cores", "zebra-a"] {
            let sug = json(&s, who, &format!("/api/suggest?q={typed}"));
            let any = !sug["suggestions"].as_array().unwrap().is_empty();
            expect(any, &format!("suggest {typed}"));
        }
        // Related articles of the document it links to.
        let related = json(&s, who, &format!("/api/docs/{LINKED}/related?limit=20"));
        expect(related.to_string().contains(SECRET_DOC), "related link");
        // Direct URLs: 404, not 403, so existence does not leak.
        let direct = get(&s, who, &format!("/api/docs/{SECRET_DOC}"));
        assert_eq!(
            direct.status,
            if who.sees { 200 } else { 404 },
            "{label}: doc"
        );
        let rel = get(&s, who, &format!("/api/docs/{SECRET_DOC}/related"));
        assert_eq!(
            rel.status,
            if who.sees { 200 } else { 404 },
            "{label}: related"
        );
        let media = get(&s, who, &format!("/api/media/{MEDIA}"));
        assert_eq!(
            media.status,
            if who.sees { 200 } else { 404 },
            "{label}: media"
        );
        // The document's problem (an impossible date) and its tag.
        let problems = json(&s, who, "/api/problems");
        expect(problems.to_string().contains(SECRET_DOC), "problems");
        // Health counts what the caller may read.
        let health = json(&s, who, "/api/health");
        let visible_total = json(&s, who, "/api/search?q=&limit=1")["total"].clone();
        assert_eq!(health["docs"], visible_total, "{label}: health docs");
        let vocabulary = json(&s, who, "/api/tags");
        expect(
            vocabulary.to_string().contains("zebra-acl"),
            "tag vocabulary",
        );
        // The handover page: per-system articles, plan item articles, readiness.
        let handover = json(&s, who, "/api/handovers/zebra-handover");
        expect(handover.to_string().contains(SECRET_DOC), "handover entry");
        let gaps = handover["per_system"][0]["gaps"].to_string();
        expect(!gaps.contains("no runbook"), "readiness counts the runbook");
    }
}

#[test]
fn proxy_identity_is_believed_only_from_configured_proxies() {
    let forged = [
        ("X-Forwarded-User", "mallory".to_string()),
        ("X-Forwarded-Groups", "network, dba".to_string()),
    ];
    let as_proxy = |trusted: &str| {
        let trusted: std::net::IpAddr = trusted.parse().unwrap();
        move |settings: &mut baton::server::Settings| {
            settings.proxy = Some(baton::server::access::ProxyAuth {
                trusted: vec![trusted],
                user_header: "X-Forwarded-User".into(),
                groups_header: "X-Forwarded-Groups".into(),
            });
        }
    };
    // The proxy is elsewhere: headers from 127.0.0.1 are forged and ignored.
    let (s, _) = start(as_proxy("192.0.2.10"));
    let who = Who {
        label: "forged headers",
        headers: forged.to_vec(),
        sees: false,
    };
    assert_eq!(json(&s, &who, "/api/search?q=zebrafirewall")["total"], 0);
    assert_eq!(
        get(&s, &who, &format!("/api/docs/{SECRET_DOC}")).status,
        404
    );
    drop(s);
    // We are the proxy: the same headers identify a network-team member.
    let (s, _) = start(as_proxy("127.0.0.1"));
    let who = Who {
        label: "trusted proxy",
        headers: forged.to_vec(),
        sees: true,
    };
    assert_eq!(json(&s, &who, "/api/search?q=zebrafirewall")["total"], 1);
    assert_eq!(
        get(&s, &who, &format!("/api/docs/{SECRET_DOC}")).status,
        200
    );
}

#[test]
fn searches_opens_and_denials_are_audited_and_survive_a_restart() {
    let (s, everyone) = start(|_| {});
    let (anonymous, net) = (&everyone[0], &everyone[2]);
    json(&s, net, "/api/search?q=zebrafirewall");
    json(&s, net, &format!("/api/docs/{SECRET_DOC}"));
    assert_eq!(
        get(&s, anonymous, &format!("/api/docs/{SECRET_DOC}")).status,
        404
    );
    let wrong = get(
        &s,
        &Who {
            label: "wrong token",
            headers: vec![("Authorization", "Bearer nope".into())],
            sees: false,
        },
        "/api/search?q=x",
    );
    assert_eq!(wrong.status, 401);
    let data = s.corpus.dir.path().join("server-data");
    let mut s = s;
    s.server.take().unwrap().stop();

    // A new server on the same data folder appends to the same trail.
    let settings = baton::server::Settings {
        corpus: s.corpus.corpus.clone(),
        data: data.clone(),
        schema: s.corpus.schema.clone(),
        addr: "127.0.0.1:0".into(),
        watch: baton::watch::WatchOptions::default(),
        require_read_token: false,
        proxy: None,
        search_cache_entries: 0,
    };
    let again = baton::server::Server::start(settings).unwrap();
    let started = std::time::Instant::now();
    while common::http_get(again.addr, "/api/ready", &[]).status != 200 {
        assert!(started.elapsed().as_secs() < 10);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    common::http_get(again.addr, "/api/search?q=after-restart", &[]);
    again.stop();
    let log = baton::audit::AuditLog::new(&data, baton::audit::DEFAULT_ROTATE_BYTES);
    let all = log.read(&baton::audit::Filter::default(), 0, 1000).unwrap();
    let has = |action: &str, user: &str, pred: &dyn Fn(&baton::audit::Entry) -> bool| {
        all.entries
            .iter()
            .any(|e| e.action == action && e.user == user && pred(e))
    };
    assert!(
        has("search", "net-wu", &|e| e.query.as_deref()
            == Some("zebrafirewall")
            && e.hits == Some(1)),
        "{:?}",
        all.entries
    );
    assert!(has("open", "net-wu", &|e| e.id.as_deref() == Some(SECRET_DOC)));
    assert!(has("denied", "anonymous", &|e| e.id.as_deref()
        == Some(SECRET_DOC)));
    assert!(has("denied", "anonymous", &|e| e.detail.is_some()));
    assert!(has("search", "anonymous", &|e| e.query.as_deref()
        == Some("after-restart")));

    // `baton audit` prints the same trail, filtered.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("--data")
        .arg(&data)
        .args(["audit", "--user", "net-wu", "--action", "open", "--json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["id"], SECRET_DOC);
}
