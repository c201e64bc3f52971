#!/usr/bin/env bash
# Soak test of `baton serve` (issue 10): a bounded run of mixed load on
# 127.0.0.1, then proof that nothing went wrong.
#
#   benches/soak.sh [SECONDS] [CORPORA_DIR] [QUERIES_FILE]
#   defaults: 600, ../shared/corpora (else the bundled corpus/), and
#   ../shared/eval/dev-queries.jsonl (else a built-in list of queries)
#
# 1. replicates the corpora into a temp git repository until it holds
#    >= 10,000 documents (plus the bundled training records, which take tags),
#    commits it on `main`, and makes a branch `other` that removes, adds and
#    edits 100 files each;
# 2. `baton index`, `baton token add soak --role editor`, `baton serve`;
# 3. for SECONDS, all at once:
#    - wrk at 8 connections rotating through real queries, one wrk run per
#      slice (SECONDS/20, at least 10 s) so p99 is reported over time;
#    - an edit on disk every second (in-place write, atomic temp+rename, or
#      create/delete of a new file), on files both branches share;
#    - a tag write every 3 s through PUT /api/docs/{id}/tags with the editor
#      token and If-Match (a 412 from a concurrent write is re-read and
#      retried, up to 5 times; anything else is an error);
#    - `git checkout other` / `git checkout main` every SECONDS/5 (120 s in
#      a 10-minute run, at least 15 s);
#    - the server's RSS sampled every 5 s;
# 4. waits until the watcher is idle, then `baton verify` compares the
#    index with the corpus (ids and content hashes: missing, extra, stale).
#
# Prints a summary (errors, p50/p99/QPS per slice, RSS start/end) and exits
# non-zero on any error, on index != corpus, or on heap growth (see RSS_*).
# Needs wrk (apt-get install wrk), git and python3; loopback only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${1:-600}
CORPORA=${2:-../shared/corpora}
QUERIES=${3:-../shared/eval/dev-queries.jsonl}
MIN_DOCS=10000
PORT=${BATON_SOAK_PORT:-17712}

if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk (Debian package)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk </dev/null >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk </dev/null >/dev/null; }
fi

cargo build --release -q
TARGET=${CARGO_TARGET_DIR:-target}
[[ $TARGET == /* ]] || TARGET=$(pwd)/$TARGET
BATON=$TARGET/release/baton
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# 1. corpus in a git repository, with a second branch that differs
[[ -d $CORPORA ]] || CORPORA=corpus
per_copy=$(find "$CORPORA" -name '*.md' | wc -l)
copies=$(( (MIN_DOCS + per_copy - 1) / per_copy ))
mkdir -p "$WORK/corpus"
for i in $(seq 1 "$copies"); do cp -r "$CORPORA" "$WORK/corpus/copy-$i"; done
cp -r corpus/training "$WORK/corpus/training"
C=$WORK/corpus
git_() { git -C "$C" -c user.name=soak -c user.email=soak@localhost -c core.quotepath=off "$@"; }
git_ init -q -b main
git_ add -A && git_ commit -q -m "soak corpus"
git_ checkout -q -b other
python3 - "$C/copy-1" <<'PY'
import pathlib, sys
root = pathlib.Path(sys.argv[1])
files = sorted(p for p in root.rglob("*.md"))
for p in files[:100]:
    p.unlink()
for p in files[100:200]:
    with open(p, "a", encoding="utf-8") as f:
        f.write("\n\n## other branch\n\nEdited on the other branch: zqbranchother.\n")
new = root / "soak-other"
new.mkdir()
for i in range(100):
    (new / f"other-{i:03}.md").write_text(
        f"# 分支文件 {i}\n\nOnly on branch other ({i}); zqbranchnew.\n", encoding="utf-8")
PY
git_ add -A && git_ commit -q -m "other: 100 removed, 100 edited, 100 added"
git_ checkout -q main
docs=$(find "$C" -name '*.md' -not -path '*/.git/*' | wc -l)
echo "corpus: $docs Markdown files ($copies copies of $CORPORA + training/), git branches main and other"

# 2. index, token, serve
"$BATON" --corpus "$C" --data "$WORK/data" index >/dev/null
SECRET=$("$BATON" --corpus "$C" --data "$WORK/data" token add soak --role editor)
"$BATON" --corpus "$C" --data "$WORK/data" serve --addr "127.0.0.1:$PORT" 2>"$WORK/serve.log" &
SERVER_PID=$!
for _ in $(seq 1 600); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/api/ready')" 2>/dev/null && break
    sleep 0.1
done

python3 - "$QUERIES" > "$WORK/paths.txt" <<'PY'
import json, os, sys, urllib.parse
queries = []
if os.path.exists(sys.argv[1]):
    for line in open(sys.argv[1], encoding="utf-8"):
        line = line.strip()
        if line:
            queries.append(json.loads(line)["query"] if line.startswith("{") else line)
if not queries:
    queries = ["日終批次 ORA-01555", "資料庫 連線", "failover", "kubernetes pod OOMKilled",
               "核心系統", "证书更新", "DNS timeout", "備份還原 RMAN", "ATM 交換", "Data Guard switchover"]
for q in queries:
    print("/api/search?q=" + urllib.parse.quote(q))
PY
cat > "$WORK/rotate.lua" <<LUA
local paths = {}
for line in io.lines("$WORK/paths.txt") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = (i % #paths) + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT qps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f requests=%d socket_errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests, e.connect + e.read + e.write + e.timeout, e.status))
end
LUA

# 3 and 4: the load, the checks and the summary.
python3 - "$DURATION" "$PORT" "$SERVER_PID" "$C" "$WORK" "$BATON" "$SECRET" <<'PY'
import http.client, json, os, random, re, subprocess, sys, threading, time, urllib.parse

duration, port, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
corpus, work, baton, secret = sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
slice_s = max(10, duration // 20)
checkout_every = max(15, duration // 5)
# Heap growth allowed between the first and the last third of the run (after
# the first slice has warmed caches): the search cache and the doc-store
# caches are bounded, so a warm server's heap should stay flat; 25% + 32 MB
# absorbs allocator noise and tantivy's merge buffers, while a leak of even
# 100 bytes per request (~1,000 requests/s) would add 60 MB in 10 minutes.
RSS_GROWTH_RATIO, RSS_GROWTH_MB = 1.25, 32
rng = random.Random(10)
stop = threading.Event()
errors = []  # (what, detail)
lock = threading.Lock()
counts = {"edits": 0, "tag_writes": 0, "tag_412_retries": 0, "checkouts": 0}

def error(what, detail):
    with lock:
        errors.append((what, str(detail)[:300]))

def rss():
    try:
        fields = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status"))
        return int(fields["VmRSS"].split()[0]) // 1024, int(fields["RssAnon"].split()[0]) // 1024
    except (OSError, KeyError, ValueError):
        return None

def request(method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()

# Files both branches hold unchanged (copy-2 and up, minus copy-1 which the
# other branch changes): edits to them survive a checkout, as a real user's
# uncommitted edits would.
edit_pool = []
for top in sorted(os.listdir(corpus)):
    if top.startswith("copy-") and top != "copy-1":
        for d, _, files in os.walk(os.path.join(corpus, top)):
            edit_pool += [os.path.join(d, f) for f in files if f.endswith(".md")]
training = sorted("training/" + f for f in os.listdir(os.path.join(corpus, "training")) if f.endswith(".md"))
new_files = []

def editor():
    n = 0
    while not stop.wait(1.0):
        n += 1
        try:
            kind = n % 3
            if kind == 0:  # in place
                with open(rng.choice(edit_pool), "a", encoding="utf-8") as f:
                    f.write(f"\n\nsoak edit {n}: 日終批次 zqsoakedit{n}\n")
            elif kind == 1:  # atomic save, as editors do
                path = rng.choice(edit_pool)
                text = open(path, encoding="utf-8").read()
                tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.soak{n}.tmp")
                with open(tmp, "w", encoding="utf-8") as f:
                    f.write(text + f"\n\natomic soak edit {n}\n")
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            elif new_files and rng.random() < 0.4:
                os.unlink(new_files.pop(rng.randrange(len(new_files))))
            else:
                d = os.path.join(corpus, "soak-new")
                os.makedirs(d, exist_ok=True)
                p = os.path.join(d, f"新文件-{n}.md")
                with open(p, "w", encoding="utf-8") as f:
                    f.write(f"# 新文件 {n}\n\nCreated by the soak, zqsoaknew{n}.\n")
                new_files.append(p)
            with lock:
                counts["edits"] += 1
        except OSError as e:
            error("edit", e)

def tagger():
    n = 0
    auth = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    while not stop.wait(3.0):
        n += 1
        doc = rng.choice(training)
        path = "/api/docs/" + urllib.parse.quote(doc)
        body = json.dumps({"tags": ["soak", f"round-{n % 7}", "演練"],
                           "segments": [{"at": "00:01:00", "label": f"soak {n}", "tags": ["soak"]}]})
        try:
            for attempt in range(6):
                status, headers, _ = request("GET", path)
                if status != 200:
                    error("tag GET", f"{doc}: {status}")
                    break
                etag = {k.lower(): v for k, v in headers.items()}.get("etag", "")
                status, _, resp = request("PUT", path + "/tags", body, dict(auth, **{"If-Match": etag}))
                if status == 200:
                    with lock:
                        counts["tag_writes"] += 1
                    break
                if status == 412 and attempt < 5:
                    with lock:
                        counts["tag_412_retries"] += 1
                    continue
                error("tag PUT", f"{doc}: {status} {resp[:200]!r}")
                break
        except OSError as e:
            error("tag write", e)

def checkouts():
    branch = "other"
    while not stop.wait(checkout_every):
        r = subprocess.run(["git", "-C", corpus, "checkout", "-q", branch], capture_output=True, text=True)
        if r.returncode != 0:
            error("git checkout", r.stderr.strip())
        else:
            with lock:
                counts["checkouts"] += 1
        branch = "main" if branch == "other" else "other"

samples = []  # (seconds since start, VmRSS MB, RssAnon MB)
t0 = time.time()
def sampler():
    while True:
        r = rss()
        if r is None:
            error("server", "server process is gone")
            return
        samples.append((time.time() - t0,) + r)
        if stop.wait(5.0):
            return

threads = [threading.Thread(target=f, daemon=True) for f in (editor, tagger, checkouts, sampler)]
for t in threads:
    t.start()
slices = []
while time.time() - t0 < duration - 1:
    left = int(duration - (time.time() - t0))
    d = max(1, min(slice_s, left))
    start = time.time() - t0
    out = subprocess.run(["wrk", "-t2", "-c8", f"-d{d}s", "-s", f"{work}/rotate.lua", f"http://127.0.0.1:{port}"],
                         capture_output=True, text=True)
    m = re.search(r"^RESULT (.*)$", out.stdout, re.M)
    if not m:
        error("wrk", out.stdout[-300:] + out.stderr[-300:])
        break
    res = {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    res["t"] = start
    slices.append(res)
    if res["socket_errors"] or res["non2xx"]:
        error("search", f"slice at {start:.0f}s: {res['socket_errors']:.0f} socket errors, {res['non2xx']:.0f} non-2xx")
stop.set()
for t in threads:
    t.join(timeout=60)
rss_end = rss()

# Settle: the watcher idle (no pending change) for 3 s in a row, then verify.
settle_start = time.time()
quiet = 0
while quiet < 3 and time.time() - settle_start < 120:
    try:
        status, _, body = request("GET", "/api/health")
        quiet = quiet + 1 if status == 200 and json.loads(body).get("lag_ms", 1) == 0 else 0
    except OSError:
        quiet = 0
    time.sleep(1)
settled_s = time.time() - settle_start
v = subprocess.run([baton, "--corpus", corpus, "--data", f"{work}/data", "verify", "--json"], capture_output=True, text=True)
try:
    verify = json.loads(v.stdout.strip().splitlines()[-1])
except (ValueError, IndexError):
    verify = None
    error("verify", v.stdout[-300:] + v.stderr[-300:])
if verify and (verify["missing"] or verify["extra"] or verify["stale"]):
    error("index != corpus", json.dumps(verify, ensure_ascii=False))
branch = subprocess.run(["git", "-C", corpus, "branch", "--show-current"], capture_output=True, text=True).stdout.strip()

# RSS trend on the heap (RssAnon): file-backed pages of the mmapped index are
# page cache, not growth. Warm = after the first slice.
warm = [s for s in samples if s[0] >= slice_s] or samples
third = max(1, len(warm) // 3)
med = lambda xs: sorted(xs)[len(xs) // 2]
anon_first, anon_last = med([s[2] for s in warm[:third]]), med([s[2] for s in warm[-third:]])
if anon_last > anon_first * RSS_GROWTH_RATIO + RSS_GROWTH_MB:
    error("rss", f"heap grew from {anon_first} MB to {anon_last} MB (limit x{RSS_GROWTH_RATIO} + {RSS_GROWTH_MB} MB)")

print(f"\nsoak: {duration} s, {len(slices)} wrk slices of {slice_s} s at 8 connections, "
      f"checkout every {checkout_every} s; corpus on branch {branch} at the end")
print(f"{'slice':>6} {'from_s':>7} {'qps':>7} {'p50_ms':>8} {'p99_ms':>8} {'max_ms':>8} {'requests':>9} {'errors':>7}")
for i, s in enumerate(slices):
    print(f"{i + 1:>6} {s['t']:>7.0f} {s['qps']:>7.0f} {s['p50_ms']:>8.2f} {s['p99_ms']:>8.2f} {s['max_ms']:>8.1f} "
          f"{s['requests']:>9.0f} {s['socket_errors'] + s['non2xx']:>7.0f}")
if slices:
    p99s = [s["p99_ms"] for s in slices]
    print(f"p99 over slices: min {min(p99s):.2f} ms, median {med(p99s):.2f} ms, max {max(p99s):.2f} ms; "
          f"{sum(s['requests'] for s in slices):.0f} searches")
print(f"edits {counts['edits']}, tag writes {counts['tag_writes']} ({counts['tag_412_retries']} retried after 412), "
      f"checkouts {counts['checkouts']}")
if samples:
    print(f"server RSS MB (VmRSS / heap RssAnon): start {samples[0][1]} / {samples[0][2]}, "
          f"warm {warm[0][1]} / {warm[0][2]}, peak {max(s[1] for s in samples)} / {max(s[2] for s in samples)}, "
          f"end {rss_end[0] if rss_end else '?'} / {rss_end[1] if rss_end else '?'}; "
          f"heap median first third {anon_first}, last third {anon_last}")
    print("RSS over time (s: VmRSS/RssAnon MB): " + ", ".join(
        f"{s[0]:.0f}:{s[1]}/{s[2]}" for s in samples[:: max(1, len(samples) // 12)]))
if verify:
    print(f"index vs corpus (after {settled_s:.0f} s settling): corpus {verify['corpus']}, index {verify['indexed']}, "
          f"missing {verify['missing']}, extra {verify['extra']}, stale {verify['stale']}"
          + ("".join("\n  " + e for e in verify["examples"])))
print(f"errors: {len(errors)}")
for what, detail in errors[:30]:
    print(f"  {what}: {detail}")
sys.exit(1 if errors else 0)
PY
