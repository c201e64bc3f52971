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

/// A real baton server on 127.0.0.1, port 0, over a temp corpus.
pub struct TestServer {
    pub corpus: TestCorpus,
    pub server: Option<baton::server::Server>,
    pub addr: std::net::SocketAddr,
}

impl TestServer {
    /// Starts a server on a copy of `tests/fixtures/<fixture>` and waits until ready.
    pub fn start(fixture: &str) -> TestServer {
        TestServer::start_with(fixture, |_| {})
    }

    /// Like [`TestServer::start`], after `prepare` ran on the data folder
    /// (e.g. to create tokens).
    pub fn start_with(fixture: &str, prepare: impl FnOnce(&Path)) -> TestServer {
        TestServer::start_configured(fixture, prepare, |_| {})
    }

    /// Like [`TestServer::start_with`], with `configure` adjusting the settings.
    #[allow(dead_code)]
    pub fn start_configured(
        fixture: &str,
        prepare: impl FnOnce(&Path),
        configure: impl FnOnce(&mut baton::server::Settings),
    ) -> TestServer {
        let corpus = TestCorpus::empty();
        copy_dir(&fixtures().join(fixture), &corpus.corpus);
        let data = corpus.dir.path().join("server-data");
        prepare(&data);
        let mut settings = baton::server::Settings {
            corpus: corpus.corpus.clone(),
            data,
            schema: corpus.schema.clone(),
            addr: "127.0.0.1:0".into(),
            watch: baton::watch::WatchOptions::default(),
            require_read_token: false,
            proxy: None,
            search_cache_entries: baton::config::DEFAULT_SEARCH_CACHE_ENTRIES,
        };
        configure(&mut settings);
        let server = baton::server::Server::start(settings).unwrap();
        let addr = server.addr;
        let t = TestServer {
            corpus,
            server: Some(server),
            addr,
        };
        t.wait_ready();
        t
    }

    pub fn wait_ready(&self) {
        let started = std::time::Instant::now();
        while self.get("/api/ready").status != 200 {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "server never became ready"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// GET with the path sent exactly as given (no client-side normalisation).
    pub fn get(&self, raw_path: &str) -> HttpResponse {
        http_get(self.addr, raw_path, &[])
    }

    pub fn get_with(&self, raw_path: &str, headers: &[(&str, &str)]) -> HttpResponse {
        http_get(self.addr, raw_path, headers)
    }

    pub fn json(&self, raw_path: &str) -> serde_json::Value {
        let r = self.get(raw_path);
        assert_eq!(r.status, 200, "{raw_path}: {}", r.body);
        serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{raw_path}: {e}: {}", r.body))
    }
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body as received (for binary responses).
    pub bytes: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn raw_body(&self) -> &[u8] {
        &self.bytes
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// A minimal HTTP/1.1 GET over a raw socket, so test paths (`..`, `%2e`,
/// backslashes) reach the server byte for byte.
pub fn http_get(
    addr: std::net::SocketAddr,
    raw_path: &str,
    headers: &[(&str, &str)],
) -> HttpResponse {
    http_request(addr, "GET", raw_path, headers, b"")
}

/// Any method, with a body, over a raw socket.
pub fn http_request(
    addr: std::net::SocketAddr,
    method: &str,
    raw_path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut req = format!(
        "{method} {raw_path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> HttpResponse {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    HttpResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        bytes: body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
    out
}

/// Starts the `baton serve` binary on 127.0.0.1 port 0 and returns the
/// child with the address it printed (not yet necessarily ready).
#[allow(dead_code)]
pub fn spawn_serve(corpus: &Path, data: &Path) -> (std::process::Child, std::net::SocketAddr) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("--corpus")
        .arg(corpus)
        .arg("--data")
        .arg(data)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "server exited early"
        );
        if let Some(rest) = line.trim().split("http://").nth(1) {
            break rest.parse::<std::net::SocketAddr>().unwrap();
        }
    };
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (child, addr)
}

/// Polls `ok` every 25 ms until it holds; fails after 20 s naming `what`.
#[allow(dead_code)]
pub fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !ok() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
}
