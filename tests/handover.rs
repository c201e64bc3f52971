//! The handover workflow on the bundled sample corpus: readiness gaps and
//! scores for a fixed day (library and CLI), the handover API over real
//! HTTP, confirmations written back byte-preservingly with If-Match, and
//! feedback notes that are corpus files, searchable right after the 201.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use baton::auth::{Role, TokenStore};
use baton::handover::readiness::{readiness, Readiness};
use baton::handover::Catalog;
use chrono::NaiveDate;
use common::{http_request, TestCorpus, TestServer};

const PGW: &str = "handovers/payment-gateway-vendor-exit.md";
const ATM: &str = "handovers/atm-switch-team-transfer.md";
const EOD: &str = "handovers/core-banking-eod-2026q4.md";
const DBA: &str = "handovers/oracle-dba-rotation-2025.md";

/// The day the expected gaps below were worked out for (day counts change daily).
fn fixed_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
}

fn bundled() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

fn indexed_corpus() -> TestCorpus {
    let t = TestCorpus::empty();
    common::copy_dir(&bundled(), &t.corpus);
    t.reconcile();
    t
}

/// `(code, message, doc)` of a gap.
type GapRow = (String, String, Option<String>);

/// `(system, score, gaps)` per system.
fn summary(r: &Readiness) -> Vec<(String, u32, Vec<GapRow>)> {
    r.systems
        .iter()
        .map(|s| {
            let gaps = s
                .gaps
                .iter()
                .map(|g| (g.code.clone(), g.message.clone(), g.doc.clone()))
                .collect();
            (s.system.clone(), s.score, gaps)
        })
        .collect()
}

fn gap(code: &str, message: &str, doc: Option<&str>) -> GapRow {
    (code.into(), message.into(), doc.map(str::to_string))
}

#[test]
fn sample_handovers_have_the_exact_gaps_and_scores() {
    let t = indexed_corpus();
    let catalog = Catalog::from_index(&t.index).unwrap();
    let handovers = catalog.handovers();
    let states: Vec<(&str, &str)> = handovers
        .iter()
        .map(|h| (h.id.as_str(), h.status.as_str()))
        .collect();
    assert_eq!(
        states,
        [
            (ATM, "in-progress"),
            (EOD, "planned"),
            (DBA, "confirmed"),
            (PGW, "follow-up")
        ]
    );
    assert!(handovers.iter().all(|h| h.problems.is_empty()));
    let day = fixed_day();
    let of = |id: &str| readiness(&catalog, &t.schema, &catalog.handover(id).unwrap(), day);

    // The deliberate gaps: no contact sheet, an incident nobody wrote a
    // runbook for, and the vendor's legacy runbook left unreviewed.
    let pgw = of("payment-gateway-vendor-exit");
    assert_eq!(
        summary(&pgw),
        [(
            "payment-gateway".to_string(),
            60,
            vec![
                gap("missing_kind", "no contact document for payment-gateway", None),
                gap(
                    "incident_without_runbook",
                    "incident incidents/2026/2026-09-15-payment-gateway-fisc-cert-expiry.md (P2, 2026-09-15) has no linked runbook; write one and link it",
                    Some("incidents/2026/2026-09-15-payment-gateway-fisc-cert-expiry.md"),
                ),
                gap(
                    "stale_doc",
                    "runbooks/payment-gateway/weblogic-legacy-failover.md updated 781 days ago, limit 365",
                    Some("runbooks/payment-gateway/weblogic-legacy-failover.md"),
                ),
            ]
        )]
    );
    assert_eq!(pgw.score, 60);
    let incidents: Vec<(&str, bool)> = pgw.systems[0]
        .incidents
        .iter()
        .map(|i| (i.severity.as_deref().unwrap(), i.has_runbook))
        .collect();
    assert_eq!(incidents, [("P1", true), ("P2", false), ("P4", true)]);
    assert_eq!(pgw.systems[0].training.len(), 2);

    assert_eq!(
        summary(&of(EOD)),
        [
            ("core-banking".to_string(), 100, vec![]),
            (
                "batch-scheduling".to_string(),
                87,
                vec![
                    gap(
                        "stale_doc",
                        "contacts/batch-scheduling.md updated 1081 days ago, limit 180",
                        Some("contacts/batch-scheduling.md")
                    ),
                    gap(
                        "stale_doc",
                        "runbooks/batch-scheduling/agent-unavailable.md updated 641 days ago, limit 365",
                        Some("runbooks/batch-scheduling/agent-unavailable.md")
                    ),
                    gap(
                        "no_owner",
                        "runbooks/batch-scheduling/agent-unavailable.md has no owner; add `owner:` to its front matter",
                        Some("runbooks/batch-scheduling/agent-unavailable.md")
                    ),
                ]
            ),
        ]
    );
    assert_eq!(of(EOD).score, 87, "the least ready system decides");

    // TOML front matter (the Oracle documents) is read the same way.
    assert_eq!(
        summary(&of(DBA)),
        [
            (
                "oracle-db".to_string(),
                85,
                vec![
                    gap(
                        "stale_doc",
                        "runbooks/oracle-db/tablespace-expansion.md updated 1193 days ago, limit 365",
                        Some("runbooks/oracle-db/tablespace-expansion.md")
                    ),
                    gap(
                        "stale_doc",
                        "runbooks/oracle-db/ora-04031-shared-pool.md updated 443 days ago, limit 365",
                        Some("runbooks/oracle-db/ora-04031-shared-pool.md")
                    ),
                    gap(
                        "stale_doc",
                        "contacts/oracle-db.md updated 415 days ago, limit 180",
                        Some("contacts/oracle-db.md")
                    ),
                ]
            ),
            ("core-banking".to_string(), 100, vec![]),
        ]
    );
    assert_eq!(summary(&of(ATM)), [("atm-switch".to_string(), 100, vec![])]);

    // `baton check` reads the files, the server the index: same verdict.
    let (_, from_files) = baton::check::handover_readiness(
        &t.corpus,
        &t.schema,
        baton::document::DEFAULT_MAX_FILE_BYTES,
        PGW,
        day,
    )
    .unwrap();
    assert_eq!(from_files, pgw);
}

fn baton(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--corpus")
        .arg(bundled())
        .args(args)
        .env_remove("BATON_CORPUS")
        .output()
        .unwrap()
}

#[test]
fn check_handover_prints_the_report_and_fails_on_error_gaps() {
    let out = baton(&[
        "check",
        "--handover",
        "payment-gateway-vendor-exit",
        "--today",
        "2026-11-20",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("payment-gateway: 60/100"), "{text}");
    assert!(
        text.contains("no contact document for payment-gateway"),
        "{text}"
    );
    assert!(
        text.contains(
            "runbooks/payment-gateway/weblogic-legacy-failover.md updated 781 days ago, limit 365"
        ),
        "{text}"
    );

    let out = baton(&[
        "check",
        "--handover",
        ATM,
        "--today",
        "2026-11-20",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["readiness"]["score"], 100);
    assert_eq!(json["handover"]["status"], "in-progress");

    let out = baton(&["check", "--handover", "nope"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no handover 'nope'"));
    let out = baton(&["check", "--today", "20.11.2026"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("YYYY-MM-DD"));

    // The whole corpus passes (gaps are warnings) so a docs repo's CI can run it.
    let out = baton(&["check", "--today", "2026-11-20", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let gaps = json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["code"] == "handover-gap")
        .count();
    assert_eq!(gaps, 3 + 3 + 3, "{json}");
}

struct Secrets {
    editor: String,
    trainer: String,
    reader: String,
}

fn start() -> (TestServer, Secrets) {
    let secrets = Mutex::new(None);
    // The bundled corpus, copied to a temp folder by the shared helper.
    let server = TestServer::start_with("../../corpus", |data: &Path| {
        let mut store = TokenStore::load(data).unwrap();
        let editor = store.add("editor-wu", Role::Editor).unwrap();
        let trainer = store.add("newcomer-tsai", Role::Trainer).unwrap();
        let reader = store.add("reader", Role::Reader).unwrap();
        *secrets.lock().unwrap() = Some(Secrets {
            editor,
            trainer,
            reader,
        });
    });
    let secrets = secrets.into_inner().unwrap().unwrap();
    (server, secrets)
}

fn post(s: &TestServer, path: &str, headers: &[(&str, &str)], body: &str) -> common::HttpResponse {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    http_request(s.addr, "POST", path, &all, body.as_bytes())
}

#[test]
fn handover_list_and_page_follow_the_design_contract() {
    let (s, _) = start();
    let list = s.json("/api/handovers");
    let handovers = list["handovers"].as_array().unwrap();
    assert_eq!(handovers.len(), 4);
    for h in handovers {
        for key in ["id", "title", "from", "to", "systems", "status", "score"] {
            assert!(!h[key].is_null(), "{key} missing: {h}");
        }
    }
    let pgw = handovers.iter().find(|h| h["id"] == PGW).unwrap();
    assert_eq!(pgw["status"], "follow-up");
    assert_eq!(pgw["score"], 60);

    let r = s.get(&format!("/api/handovers/{PGW}"));
    assert_eq!(r.status, 200, "{}", r.body);
    let page = r.json();
    assert_eq!(r.header("etag"), page["etag"].as_str());
    for key in [
        "id",
        "title",
        "from",
        "to",
        "systems",
        "status",
        "items",
        "confirmations",
        "per_system",
    ] {
        assert!(!page[key].is_null(), "{key} missing");
    }
    let system = &page["per_system"][0];
    assert_eq!(system["system"], "payment-gateway");
    assert_eq!(system["score"], 60);
    // Codes and documents, not day counts: the server judges as of today.
    let gaps: Vec<(&str, Option<&str>)> = system["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["code"].as_str().unwrap(), g["doc"].as_str()))
        .collect();
    assert_eq!(
        gaps,
        [
            ("missing_kind", None),
            (
                "incident_without_runbook",
                Some("incidents/2026/2026-09-15-payment-gateway-fisc-cert-expiry.md")
            ),
            (
                "stale_doc",
                Some("runbooks/payment-gateway/weblogic-legacy-failover.md")
            ),
        ]
    );
    assert_eq!(
        system["gaps"][0]["message"],
        "no contact document for payment-gateway"
    );
    let runbooks = system["articles"]["runbook"].as_array().unwrap();
    // Anonymous: three of its own and the MySQL one it shares; the F5 one
    // lives in runbooks/network/, restricted to the network team.
    assert_eq!(runbooks.len(), 4, "{runbooks:?}");
    assert!(!system.to_string().contains("runbooks/network/"));
    // Documents the handover links to come first, and say so.
    assert!(
        runbooks[0]["reasons"][0] == "linked from this handover",
        "{}",
        runbooks[0]
    );
    assert!(system["articles"]["training"].as_array().unwrap().len() >= 2);
    assert!(system["articles"].get("handover").is_none());
    let mut ids: Vec<&str> = system["articles"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|v| v.as_array().unwrap())
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "each document once");

    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 8);
    assert_eq!(items[2]["stage"], "documentation");
    assert_eq!(items[2]["done"], false);
    let contact_item = items[2]["articles"].as_array().unwrap();
    assert!(!contact_item.is_empty());
    assert!(contact_item[0]["reasons"][0]
        .as_str()
        .unwrap()
        .contains("payment-gateway"));
    assert_eq!(page["confirmations"].as_array().unwrap().len(), 2);
    assert_eq!(
        page["feedback"][0]["id"],
        "feedback/2025-11-20-payment-gateway-first-month.md"
    );

    // Short names work too; unknown handovers are 404.
    assert_eq!(s.json("/api/handovers/atm-switch-team-transfer")["id"], ATM);
    assert_eq!(s.get("/api/handovers/nope").status, 404);
    assert_eq!(
        s.get("/api/handovers/runbooks/network/dns-failover.md")
            .status,
        404
    );

    let spec = s.json("/api/openapi.json");
    for (path, method) in [
        ("/api/handovers", "get"),
        ("/api/handovers/{id}", "get"),
        ("/api/handovers/{id}/confirmations", "post"),
        ("/api/feedback", "post"),
    ] {
        assert!(
            spec["paths"][path][method].is_object(),
            "{path} {method} missing from OpenAPI"
        );
    }
}

#[test]
fn a_confirmation_round_trips_through_the_file() {
    let (s, k) = start();
    let path = s.corpus.corpus.join(ATM);
    let original = std::fs::read_to_string(&path).unwrap();
    let url = format!("/api/handovers/{ATM}/confirmations");
    let page = s.json(&format!("/api/handovers/{ATM}"));
    let etag = page["etag"].as_str().unwrap().to_string();
    let topic = "補寫 Switch 版本升級手冊（目前沒有文件）";
    assert_eq!(page["items"][2]["topic"], topic);
    let body = r#"{"item": 2, "remark": "草稿已完成: 待主管審閱"}"#;
    let bearer = |secret: &str| format!("Bearer {secret}");

    assert_eq!(post(&s, &url, &[("If-Match", &etag)], body).status, 401);
    for secret in [&k.reader, &k.trainer] {
        let r = post(
            &s,
            &url,
            &[("Authorization", &bearer(secret)), ("If-Match", &etag)],
            body,
        );
        assert_eq!(r.status, 403, "{}", r.body);
    }
    let editor = bearer(&k.editor);
    assert_eq!(
        post(&s, &url, &[("Authorization", &editor)], body).status,
        428
    );
    let r = post(
        &s,
        &url,
        &[("Authorization", &editor), ("If-Match", "\"stale\"")],
        body,
    );
    assert_eq!(r.status, 412);
    let r = post(
        &s,
        &url,
        &[("Authorization", &editor), ("If-Match", &etag)],
        r#"{"item": 99}"#,
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        original,
        "refusals change nothing"
    );

    let r = post(
        &s,
        &url,
        &[("Authorization", &editor), ("If-Match", &etag)],
        body,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let written = r.json();
    let date = written["confirmation"]["date"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(written["confirmation"]["by"], "editor-wu");
    assert_eq!(written["confirmation"]["item"], topic);
    assert_eq!(written["status"], "in-progress");

    // On disk: the record appended, the item marked done, nothing else touched.
    let item_at = original.find(topic).unwrap();
    let done_at = item_at + original[item_at..].find("done: false").unwrap();
    let fence = original.find("---\n\n# ATM").unwrap();
    let expected = format!(
        "{}done: true{}  - by: editor-wu\n    date: \"{date}\"\n    item: {topic}\n    note: \"草稿已完成: 待主管審閱\"\n{}",
        &original[..done_at],
        &original[done_at + "done: false".len()..fence],
        &original[fence..]
    );
    let now = std::fs::read_to_string(&path).unwrap();
    assert_eq!(now, expected);
    assert_eq!(r.header("etag"), written["etag"].as_str());
    assert_eq!(
        written["etag"],
        baton::write_back::content_etag(now.as_bytes())
    );

    // The API shows it at once, and the old ETag is now stale.
    let page = s.json(&format!("/api/handovers/{ATM}"));
    assert_eq!(page["items"][2]["done"], true);
    let last = page["confirmations"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["by"], "editor-wu");
    assert_eq!(last["item"], topic);
    assert_eq!(page["etag"], written["etag"]);
    let r = post(
        &s,
        &url,
        &[("Authorization", &editor), ("If-Match", &etag)],
        body,
    );
    assert_eq!(r.status, 412);

    // Signing off the whole handover (by short name) moves it to confirmed.
    let etag = written["etag"].as_str().unwrap();
    let r = post(
        &s,
        "/api/handovers/atm-switch-team-transfer/confirmations",
        &[("Authorization", &editor), ("If-Match", etag)],
        r#"{"item": null}"#,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["status"], "confirmed");
    let now = std::fs::read_to_string(&path).unwrap();
    assert!(now.contains("\nstatus: confirmed\n"), "{now}");
    assert!(now.ends_with(&original[fence..]), "the body is untouched");
    assert_eq!(
        s.json(&format!("/api/handovers/{ATM}"))["status"],
        "confirmed"
    );

    let audit = std::fs::read_to_string(
        s.corpus
            .dir
            .path()
            .join("server-data")
            .join(baton::audit::AUDIT_FILE),
    )
    .unwrap();
    assert_eq!(
        audit.matches("\"action\":\"confirmation\"").count(),
        2,
        "{audit}"
    );
}

#[test]
fn feedback_notes_are_corpus_files_searchable_at_once() {
    let (s, k) = start();
    let bearer = |secret: &str| format!("Bearer {secret}");
    let body = r#"{"handover": "payment-gateway-vendor-exit", "title": "第二個月回饋：憑證到期",
        "body": "憑證到期提醒仍然沒有 owner。feedbackprobe 需要一份 runbook。", "tags": ["Certificate"]}"#;
    assert_eq!(post(&s, "/api/feedback", &[], body).status, 401);
    let r = post(
        &s,
        "/api/feedback",
        &[("Authorization", &bearer(&k.reader))],
        body,
    );
    assert_eq!(r.status, 403);
    let r = post(
        &s,
        "/api/feedback",
        &[("Authorization", &bearer(&k.trainer))],
        r#"{"handover": "nope", "title": "t", "body": "b"}"#,
    );
    assert_eq!(r.status, 404, "{}", r.body);
    let r = post(
        &s,
        "/api/feedback",
        &[("Authorization", &bearer(&k.trainer))],
        r#"{"handover": "nope", "title": "", "body": "b"}"#,
    );
    assert_eq!(r.status, 400, "{}", r.body);

    let r = post(
        &s,
        "/api/feedback",
        &[("Authorization", &bearer(&k.trainer))],
        body,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let note = r.json();
    let id = note["id"].as_str().unwrap().to_string();
    assert!(
        id.starts_with("feedback/") && id.ends_with("-第二個月回饋-憑證到期.md"),
        "{id}"
    );
    assert_eq!(note["handover"], PGW);
    assert_eq!(r.header("etag"), note["etag"].as_str());

    // A real file, with front matter linking it to the handover.
    let text = std::fs::read_to_string(s.corpus.corpus.join(&id)).unwrap();
    assert!(text.starts_with("---\ntitle: 第二個月回饋：憑證到期\nhandover: handovers/payment-gateway-vendor-exit.md\nauthor: newcomer-tsai\n"), "{text}");
    assert!(text.contains("tags: [feedback, certificate]"), "{text}");
    assert!(
        text.contains("](../handovers/payment-gateway-vendor-exit.md)"),
        "{text}"
    );

    // Read-your-writes: searchable and on the handover page without waiting.
    let hits = s.json("/api/search?q=feedbackprobe");
    assert_eq!(hits["hits"][0]["id"], id.as_str());
    assert_eq!(hits["hits"][0]["kind"], "feedback");
    let doc = s.json(&format!("/api/docs/{id}"));
    assert_eq!(doc["meta"]["handover"], PGW);
    let page = s.json(&format!("/api/handovers/{PGW}"));
    assert!(page["feedback"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == id.as_str() && f["author"] == "newcomer-tsai"));

    // The same title again gets a new file, never overwriting the first.
    let r = post(
        &s,
        "/api/feedback",
        &[("Authorization", &bearer(&k.editor))],
        body,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let second = r.json()["id"].as_str().unwrap().to_string();
    assert_ne!(second, id);
    assert!(second.ends_with("-2.md"), "{second}");
    assert_eq!(
        std::fs::read_to_string(s.corpus.corpus.join(&id)).unwrap(),
        text
    );
}

#[test]
fn toml_handovers_take_confirmations_too() {
    let (s, k) = start();
    let toml = "+++\ntitle = \"MySQL 值班交接\"\nsystems = [\"mysql-db\"]\nfrom = \"周杰\"\nto = \"李娜\"\nstatus = \"in-progress\" # 進行中\n\n[[items]]\ntopic = \"复制延迟手册复核\"\nstage = \"documentation\"\ndone = false\n+++\n\n# MySQL 值班交接\n\n正文不变。\n";
    s.corpus.write("handovers/mysql-oncall.md", toml);
    let started = std::time::Instant::now();
    while s.get("/api/handovers/mysql-oncall").status != 200 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "never indexed"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let etag = s.json("/api/handovers/mysql-oncall")["etag"]
        .as_str()
        .unwrap()
        .to_string();
    let r = post(
        &s,
        "/api/handovers/mysql-oncall/confirmations",
        &[
            ("Authorization", &format!("Bearer {}", k.editor)),
            ("If-Match", &etag),
        ],
        r#"{"item": "复制延迟手册复核", "remark": "ok"}"#,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let now = std::fs::read_to_string(s.corpus.corpus.join("handovers/mysql-oncall.md")).unwrap();
    // Keys not touched keep their bytes (and comments); the body is untouched.
    assert!(now.starts_with("+++\ntitle = \"MySQL 值班交接\"\nsystems = [\"mysql-db\"]\nfrom = \"周杰\"\nto = \"李娜\"\nstatus = \"in-progress\" # 進行中\n"), "{now}");
    assert!(
        now.ends_with("+++\n\n# MySQL 值班交接\n\n正文不变。\n"),
        "{now}"
    );
    let page = s.json("/api/handovers/mysql-oncall");
    assert_eq!(page["items"][0]["done"], true);
    assert_eq!(page["confirmations"][0]["by"], "editor-wu");
    assert_eq!(page["confirmations"][0]["note"], "ok");
}
