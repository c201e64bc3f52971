//! The HTTP API over real HTTP on 127.0.0.1 (port 0): every endpoint, errors,
//! path traversal, sanitizing, live edits, request ids, graceful shutdown.

mod common;

use common::{wait_until, TestServer};

const EOD: &str = "runbooks/core-banking/eod-batch-ora-01555.md";

#[test]
fn search_returns_the_cli_json_shape() {
    let s = TestServer::start("mini");
    let r = s.json("/api/search?q=%E6%97%A5%E7%B5%82%E6%89%B9%E6%AC%A1+ORA-01555");
    assert_eq!(r["query"], "日終批次 ORA-01555");
    assert_eq!(r["hits"][0]["id"], EOD);
    assert!(r["hits"][0]["snippet"].as_str().unwrap().contains("<mark>"));
    for key in ["total", "took_ms", "facets"] {
        assert!(r.get(key).is_some(), "{key}");
    }
    let filtered = s.json("/api/search?kind=runbook&kind=incident&system=payment-gateway");
    assert_eq!(filtered["total"], 2);
    assert_eq!(filtered["facets"]["systems"]["payment-gateway"], 2);
}

#[test]
fn invalid_parameters_are_400_with_a_message() {
    let s = TestServer::start("mini");
    for (query, needle) in [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("offset=999999", "offset"),
        ("from=2025-13-40", "YYYY-MM-DD"),
        ("to=tomorrow", "YYYY-MM-DD"),
        ("sort=popular", "relevance, updated"),
        ("from=2025-06-01&to=2025-01-01", "after"),
    ] {
        let r = s.get(&format!("/api/search?q=x&{query}"));
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        let body = r.json();
        assert_eq!(body["error"]["code"], "bad_request");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(needle),
            "{query}: {}",
            r.body
        );
    }
    // Free text is never an error; long text is truncated; big limits capped.
    for q in [
        "%22%22%22",
        "AND+OR+NOT",
        "%00%01",
        "%F0%9F%99%82",
        "((((",
        "kind%3A",
    ] {
        assert_eq!(s.get(&format!("/api/search?q={q}")).status, 200, "{q}");
    }
    let long = "ORA-01555+".repeat(500);
    let r = s.json(&format!("/api/search?q={long}&limit=1000"));
    assert!(r["query"].as_str().unwrap().chars().count() <= 2000);
    assert!(r["hits"].as_array().unwrap().len() <= 100);
}

#[test]
fn documents_render_with_etag_and_unknown_ids_are_404() {
    let s = TestServer::start("mini");
    let r = s.get(&format!("/api/docs/{EOD}"));
    assert_eq!(r.status, 200);
    let etag = r.header("etag").expect("etag").to_string();
    let doc = r.json();
    assert_eq!(doc["id"], EOD);
    assert_eq!(doc["kind"], "runbook");
    assert_eq!(doc["meta"]["owner"], "陳志明");
    assert_eq!(doc["updated"], "2025-06-01");
    assert!(doc["html"]
        .as_str()
        .unwrap()
        .contains("<h2 id=\"症狀\">症狀</h2>"));
    assert_eq!(doc["headings"][1]["anchor"], "症狀");
    assert_eq!(doc["links"][0]["doc"], "runbooks/mysql-db/主从复制延迟.md");
    assert!(doc["problems"].as_array().unwrap().is_empty());
    let again = s.get_with(&format!("/api/docs/{EOD}"), &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);

    // Chinese ids, percent-encoded as browsers send them.
    let r = s.get(
        "/api/docs/runbooks/mysql-db/%E4%B8%BB%E4%BB%8E%E5%A4%8D%E5%88%B6%E5%BB%B6%E8%BF%9F.md",
    );
    assert_eq!(r.status, 200, "{}", r.body);

    let missing = s.get("/api/docs/runbooks/nope.md");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["code"], "not_found");
    assert_eq!(s.get("/api/nothing-here").status, 404);
}

#[test]
fn path_traversal_never_reaches_files_outside_the_corpus() {
    let s = TestServer::start("mini");
    let secret = s.corpus.dir.path().join("secret.md");
    std::fs::write(&secret, "# TOP SECRET password=hunter2\n").unwrap();
    std::fs::write(s.corpus.dir.path().join("secret.txt"), "hunter2").unwrap();
    std::os::unix::fs::symlink(&secret, s.corpus.corpus.join("faq/linked-secret.md")).unwrap();
    std::fs::write(
        s.corpus.corpus.join("faq/notes.txt"),
        "hunter2 not a document",
    )
    .unwrap();
    let abs = secret.display().to_string();
    let attempts = [
        "/api/docs/../secret.md".to_string(),
        "/api/docs/faq/../../secret.md".into(),
        "/api/docs/%2e%2e/secret.md".into(),
        "/api/docs/%2e%2e%2fsecret.md".into(),
        "/api/docs/faq%2f..%2f..%2fsecret.md".into(),
        "/api/docs/%252e%252e%252fsecret.md".into(),
        "/api/docs/..%5csecret.md".into(),
        "/api/docs/faq%5c..%5c..%5csecret.md".into(),
        format!("/api/docs/{abs}"),
        format!("/api/docs/%2F{}", abs.trim_start_matches('/')),
        "/api/docs/faq/plain-name.md%00.txt".into(),
        "/api/docs/C:%5cwindows%5csecret.md".into(),
        "/api/docs/faq/linked-secret.md".into(),
        "/api/docs/faq/notes.txt".into(),
        "/api/docs/../secret.md/related".into(),
        "/api/docs/%2e%2e%2fsecret.md/related".into(),
    ];
    for path in &attempts {
        let r = s.get(path);
        assert!(
            r.status == 404 || r.status == 400,
            "{path}: {} {}",
            r.status,
            r.body
        );
        assert!(!r.body.contains("hunter2"), "{path} leaked: {}", r.body);
    }
}

#[test]
fn html_and_snippets_are_sanitized() {
    let s = TestServer::start("mini");
    s.corpus.write(
        "articles/xss.md",
        "# 惡意 xssprobe\n\n<script>alert('x')</script>\n\n<img src=x onerror=\"alert(1)\">\n\n[click](javascript:alert(1))\n\n<a href=\"javascript:alert(2)\" onclick=\"alert(3)\">raw</a>\n\n<iframe src=\"https://evil.example\"></iframe>\n\nxssprobe <b>bold</b> &lt;script&gt; text\n",
    );
    wait_until("xss doc indexed", || {
        s.json("/api/search?q=xssprobe")["total"] == 1
    });
    let doc = s.json("/api/docs/articles/xss.md");
    let html = doc["html"].as_str().unwrap();
    for bad in ["<script", "onerror", "javascript:", "onclick", "<iframe"] {
        assert!(!html.to_lowercase().contains(bad), "{bad} in {html}");
    }
    let hit = &s.json("/api/search?q=xssprobe+script")["hits"][0];
    let snippet = hit["snippet"].as_str().unwrap();
    assert!(
        !snippet.contains("<script") && !snippet.contains("<b>"),
        "{snippet}"
    );
    let stripped = snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(
        !stripped.contains('<'),
        "only <mark> tags in snippets: {snippet}"
    );
}

#[test]
fn related_explains_why() {
    let s = TestServer::start("mini");
    let r = s.json("/api/docs/runbooks/payment-gateway/restart-pods.md/related?limit=5");
    let hits = r["hits"].as_array().unwrap();
    let incident = hits
        .iter()
        .find(|h| h["id"] == "incidents/2025/2025-03-14-pgw-503.md")
        .expect("incident links here");
    let reasons: Vec<&str> = incident["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"links to this document"), "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.starts_with("same system")),
        "{reasons:?}"
    );
    assert_eq!(hits[0]["id"], "incidents/2025/2025-03-14-pgw-503.md");
    let eod = s.json(&format!("/api/docs/{EOD}/related"));
    let first = &eod["hits"][0];
    assert_eq!(first["id"], "runbooks/mysql-db/主从复制延迟.md");
    assert!(first["reasons"][0]
        .as_str()
        .unwrap()
        .contains("linked from this document"));
    assert_eq!(s.get("/api/docs/runbooks/nope.md/related").status, 404);
    assert_eq!(
        s.get(&format!("/api/docs/{EOD}/related?limit=x")).status,
        400
    );
}

#[test]
fn suggest_completes_titles_systems_and_tags_in_both_scripts() {
    let s = TestServer::start("mini");
    let texts = |q: &str| -> Vec<(String, String)> {
        s.json(&format!("/api/suggest?q={q}"))["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["type"].as_str().unwrap().to_string(),
                    x["text"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let traditional = texts("%E6%97%A5%E7%B5%82"); // 日終
    let title = (
        "title".to_string(),
        "日終批次 ORA-01555 快照過舊處理程序".to_string(),
    );
    assert!(traditional.contains(&title), "{traditional:?}");
    assert_eq!(
        traditional[0],
        ("tag".to_string(), "日終批次".to_string()),
        "shorter completions first"
    );
    assert_eq!(
        texts("%E6%97%A5%E7%BB%88"),
        traditional,
        "日终 (Simplified) completes the same"
    );
    let systems = s.json("/api/suggest?q=payment");
    assert!(systems["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["type"] == "system" && x["text"] == "payment-gateway"));
    assert_eq!(
        s.json("/api/suggest?q=")["suggestions"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn problems_health_ready_and_metrics() {
    let s = TestServer::start("mini");
    let health = s.json("/api/health");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["docs"], 7);
    assert_eq!(health["problems"], 0);
    assert!(health["last_commit"].is_string());
    assert_eq!(s.json("/api/ready")["ready"], true);

    s.corpus.write(
        "runbooks/broken.md",
        "---\nsystems: [core-banking\n---\nbrokenfm body\n",
    );
    wait_until("problem recorded", || {
        s.json("/api/problems")["total"].as_u64() > Some(0)
    });
    let problems = s.json("/api/problems");
    let list = problems["problems"].as_array().unwrap();
    assert!(
        list.iter().all(|p| p["path"] == "runbooks/broken.md"),
        "{list:?}"
    );
    let codes: Vec<&str> = list.iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        ["missing-field", "front-matter"],
        "by line; the unparsable systems list is also missing"
    );
    assert_eq!(s.json("/api/health")["problems"], 2);

    s.get("/api/search?q=ORA-01555");
    let metrics = s.get("/metrics");
    assert_eq!(metrics.status, 200);
    assert!(metrics
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    for needle in [
        "baton_http_requests_total{route=\"/api/search\",status=\"200\"}",
        "baton_http_request_duration_seconds_bucket{route=\"/api/search\",status=\"200\",le=\"0.01\"}",
        "baton_index_documents 8",
        "baton_index_segments ",
        "baton_problems 2",
        "baton_watcher_events_total",
        "baton_index_commits_total",
        "baton_commit_lag_seconds",
    ] {
        assert!(metrics.body.contains(needle), "missing {needle}:\n{}", metrics.body);
    }
}

#[test]
fn openapi_lists_every_route() {
    let s = TestServer::start("mini");
    let spec = s.json("/api/openapi.json");
    let paths = spec["paths"].as_object().unwrap();
    for route in [
        "/",
        "/api/search",
        "/api/suggest",
        "/api/docs/{id}",
        "/api/docs/{id}/related",
        "/api/problems",
        "/api/tags",
        "/api/health",
        "/api/ready",
        "/api/openapi.json",
        "/metrics",
    ] {
        assert!(paths.contains_key(route), "{route} missing from OpenAPI");
        let concrete = route.replace("{id}", EOD);
        assert_ne!(
            s.get(&concrete).status,
            404,
            "{route} is documented but not served"
        );
    }
    assert!(spec["components"]["schemas"]["SearchResponse"].is_object());
    // The write route (PUT; tests/tags.rs exercises it).
    assert!(spec["paths"]["/api/docs/{id}/tags"]["put"].is_object());
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
}

#[test]
fn edits_on_disk_show_up_in_search() {
    let s = TestServer::start("mini");
    // Asked before the file exists (and again: answered from the search
    // cache); the commit that indexes it must end that cached answer.
    assert_eq!(s.json("/api/search?q=livesearchprobe")["total"], 0);
    assert_eq!(s.json("/api/search?q=livesearchprobe")["total"], 0);
    s.corpus.write(
        "faq/新問題.md",
        "# 新問題\n\nlivesearchprobe 如何重跑日終批次？\n",
    );
    wait_until("new doc searchable", || {
        s.json("/api/search?q=livesearchprobe")["total"] == 1
    });
    std::fs::remove_file(s.corpus.corpus.join("faq/新問題.md")).unwrap();
    wait_until("deleted doc gone", || {
        s.json("/api/search?q=livesearchprobe")["total"] == 0
    });
}

#[test]
fn request_ids_are_set_and_echoed() {
    let s = TestServer::start("mini");
    let r = s.get("/api/health");
    assert!(r.header("x-request-id").unwrap().starts_with("baton-"));
    let r = s.get_with("/api/health", &[("X-Request-Id", "trace-abc-123")]);
    assert_eq!(r.header("x-request-id"), Some("trace-abc-123"));
}

#[test]
fn sigterm_during_requests_ends_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    common::copy_dir(&common::fixtures().join("mini"), &corpus);
    let (mut child, addr) = common::spawn_serve(&corpus, &tmp.path().join("data"));
    wait_until("ready", || {
        common::http_get(addr, "/api/ready", &[]).status == 200
    });
    let clients: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                let r = common::http_get(addr, &format!("/api/search?q=ORA-01555+{i}"), &[]);
                r.status
            })
        })
        .collect();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    for c in clients {
        // Requests that got in finish with 200; none is cut off mid-way.
        if let Ok(status) = c.join() {
            assert!(status == 200, "status {status}");
        }
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "clean exit on SIGTERM");
}

#[test]
fn pages_carry_a_strict_csp_and_assets_are_versioned() {
    let s = TestServer::start("mini");
    for path in [
        "/",
        "/?q=%E6%97%A5%E7%B5%82&kind=runbook",
        &format!("/doc/{EOD}"),
        "/handovers",
        "/handover/handovers/x.md",
        "/problems",
    ] {
        let r = s.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.header("content-type").unwrap().starts_with("text/html"),
            "{path}"
        );
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }
    let shell = s.get("/").body;
    assert!(!shell.contains("<script>"), "no inline script in the shell");
    let start = shell.find("<script").unwrap();
    let start = start + shell[start..].find("/static/").unwrap();
    let end = start + shell[start..].find('"').unwrap();
    let app = &shell[start..end];
    assert!(app.ends_with("/app.js"), "{app}");
    let r = s.get(app);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(r.header("cache-control").unwrap().contains("immutable"));
    let etag = r.header("etag").unwrap().to_string();
    assert_eq!(
        s.get_with(app, &[("If-None-Match", &etag)]).status,
        304,
        "revalidation"
    );
    // A page loaded before an upgrade still gets the file, but not cached for long.
    let old = s.get("/static/0123456789ab/app.css");
    assert_eq!(old.status, 200);
    assert_eq!(old.header("cache-control"), Some("no-cache"));
    assert_eq!(s.get("/static/0123456789ab/nope.js").status, 404);
    assert_eq!(s.get("/static/0123456789ab/index.html").status, 404);
    let kinds = s.json("/api/kinds");
    assert!(kinds["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["name"] == "runbook" && k["stale_after_days"].as_u64() > Some(0)));
}
