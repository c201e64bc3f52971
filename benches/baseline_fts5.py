#!/usr/bin/env python3
"""Relevance baseline: SQLite FTS5 BM25 over jieba-segmented text.

What a team would build without baton: every Markdown file of the corpus goes
into an in-memory FTS5 table (id UNINDEXED, title, body); documents are
segmented with jieba.cut_for_search, queries with jieba.cut, tokens joined by
spaces so FTS5's default unicode61 tokenizer sees words. Each query is the OR
of its quoted tokens, ranked by bm25(). Prints MRR@10, Recall@10 and nDCG@10
overall, per lang and per kind, and the misses, in the layout of `baton eval`
(`--json` prints the same JSON shape, which `baton eval --baseline` reads).

Requires Python 3 with sqlite3 built with FTS5 (the usual case) and jieba:

    pip install jieba

Usage:

    python3 benches/baseline_fts5.py --corpus ../shared/corpora \\
        --queries ../shared/eval/dev-queries.jsonl [--json] [--misses N]
"""

import argparse
import json
import logging
import math
import os
import re
import sqlite3
import sys

K = 10
ENGINE = "sqlite-fts5+jieba"
RELEVANCE_NOTE = "binary gains; twins: every listed relevant id counts as relevant"
SKIP_NOTE = "hits with id README.md or */SOURCE.md are removed from the ranking"
MISSING_DEPENDENCY = 3

try:
    import jieba
except ImportError:
    print("baseline_fts5.py needs the jieba package: pip install jieba", file=sys.stderr)
    sys.exit(MISSING_DEPENDENCY)

jieba.setLogLevel(logging.WARNING)


def is_skipped(doc_id):
    """Corpus metadata, not documents (same rule as baton eval)."""
    return doc_id in ("README.md", "SOURCE.md") or doc_id.endswith("/SOURCE.md")


def corpus_files(root):
    """(id, path) of every Markdown file, hidden files and folders skipped."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or not name.endswith((".md", ".markdown")):
                continue
            path = os.path.join(folder, name)
            doc_id = os.path.relpath(path, root).replace(os.sep, "/")
            if not is_skipped(doc_id):
                yield doc_id, path


TITLE_FIELD = re.compile(r"""^title\s*[:=]\s*["']?(.*?)["']?\s*$""", re.MULTILINE)
HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def title_of(doc_id, text):
    """Front-matter title, else the first heading, else the file name."""
    if text.startswith(("---", "+++")):
        end = text.find(text[:3], 3)
        match = TITLE_FIELD.search(text[3:end]) if end > 0 else None
        if match and match.group(1):
            return match.group(1)
    match = HEADING.search(text)
    if match:
        return match.group(1)
    return os.path.splitext(doc_id.rsplit("/", 1)[-1])[0]


def segment(text, search_mode):
    """jieba tokens joined by spaces (whitespace tokens dropped)."""
    tokens = jieba.cut_for_search(text) if search_mode else jieba.cut(text)
    return " ".join(t for t in tokens if t.strip())


def build_index(root):
    """An in-memory FTS5 table over the corpus; returns it and the titles by id."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body)")
    titles = {}
    for doc_id, path in corpus_files(root):
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", errors="replace")
        title = title_of(doc_id, text)
        titles[doc_id] = title
        db.execute(
            "INSERT INTO docs (id, title, body) VALUES (?, ?, ?)",
            (doc_id, segment(title, True), segment(text, True)),
        )
    db.commit()
    return db, titles


def fts_query(query):
    """OR of the quoted jieba tokens; None when no token has a letter or digit."""
    seen = []
    for token in jieba.cut(query):
        token = token.strip()
        if token and any(c.isalnum() for c in token) and token not in seen:
            seen.append(token)
    if not seen:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in seen)


def ranking(db, titles, query):
    """Top K (id, title) for the query, best first."""
    match = fts_query(query)
    if match is None:
        return []
    try:
        rows = db.execute(
            "SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
            (match, K),
        ).fetchall()
    except sqlite3.OperationalError as e:
        print(f"query {query!r}: {e}", file=sys.stderr)
        return []
    return [{"id": r[0], "title": titles[r[0]]} for r in rows]


def first_relevant_rank(ranked, relevant):
    for i, doc_id in enumerate(ranked[:K]):
        if doc_id in relevant:
            return i + 1
    return None


def recall(ranked, relevant):
    wanted = set(relevant)
    if not wanted:
        return 0.0
    return len(wanted & set(ranked[:K])) / len(wanted)


def discount(rank):
    return 1.0 / math.log2(rank + 1)


def ndcg(ranked, relevant):
    wanted = set(relevant)
    seen = set()
    dcg = 0.0
    for i, doc_id in enumerate(ranked[:K]):
        if doc_id in wanted and doc_id not in seen:
            seen.add(doc_id)
            dcg += discount(i + 1)
    ideal = sum(discount(r) for r in range(1, min(len(wanted), K) + 1))
    return dcg / ideal if ideal else 0.0


def score(q, ranked_hits):
    ids = [h["id"] for h in ranked_hits]
    rank = first_relevant_rank(ids, q["relevant"])
    return {
        "id": q["id"],
        "query": q["query"],
        "lang": q.get("lang", "unspecified"),
        "kind": q.get("kind", "unspecified"),
        "relevant": q["relevant"],
        "ranked": ranked_hits,
        "rank": rank,
        "rr": 1.0 / rank if rank else 0.0,
        "recall": recall(ids, q["relevant"]),
        "ndcg": ndcg(ids, q["relevant"]),
    }


def aggregate(results):
    m = {"count": 0, "mrr": 0.0, "recall": 0.0, "ndcg": 0.0}
    for r in results:
        m["count"] += 1
        m["mrr"] += r["rr"]
        m["recall"] += r["recall"]
        m["ndcg"] += r["ndcg"]
    if m["count"]:
        for key in ("mrr", "recall", "ndcg"):
            m[key] /= m["count"]
    return m


def group_by(results, key):
    groups = {}
    for r in results:
        groups.setdefault(r[key], []).append(r)
    return {k: aggregate(groups[k]) for k in sorted(groups)}


def misses(results):
    out = [
        {
            "id": r["id"],
            "query": r["query"],
            "lang": r["lang"],
            "kind": r["kind"],
            "expected": r["relevant"],
            "rank": r["rank"],
            "first": r["ranked"][0] if r["ranked"] else None,
        }
        for r in results
        if r["rank"] != 1
    ]
    out.sort(key=lambda m: -(m["rank"] or sys.maxsize))
    return out


def report(results):
    return {
        "engine": ENGINE,
        "k": K,
        "relevance": RELEVANCE_NOTE,
        "skipped": SKIP_NOTE,
        "overall": aggregate(results),
        "by_lang": group_by(results, "lang"),
        "by_kind": group_by(results, "kind"),
        "misses": misses(results),
        "results": results,
    }


def render(rep, max_misses):
    lines = [
        f"{rep['engine']}: {rep['overall']['count']} queries, metrics @{rep['k']}",
        f"relevance: {rep['relevance']}",
        f"skipped: {rep['skipped']}",
        "",
        f"{'group':<22} {'n':>4}  {'MRR@10':>7}  {'Recall@10':>9}  {'nDCG@10':>7}",
    ]
    rows = [("overall", rep["overall"])]
    rows += [(f"lang: {k}", m) for k, m in rep["by_lang"].items()]
    rows += [(f"kind: {k}", m) for k, m in rep["by_kind"].items()]
    for label, m in rows:
        lines.append(
            f"{label:<22} {m['count']:>4}  {m['mrr']:>7.3f}  {m['recall']:>9.3f}  {m['ndcg']:>7.3f}"
        )
    all_misses = rep["misses"]
    shown = len(all_misses) if max_misses is None else min(max_misses, len(all_misses))
    lines += ["", f"misses (first relevant not at rank 1): {len(all_misses)}, showing {shown}, worst first"]
    for m in all_misses[:shown]:
        rank = f"rank {m['rank']}" if m["rank"] else f"not in top {rep['k']}"
        first = f"{m['first']['title']}  ({m['first']['id']})" if m["first"] else "(no results)"
        lines += [
            "",
            f"[{m['id']}] {m['lang']} / {m['kind']}: {rank}",
            f"  query:    {m['query']}",
            f"  expected: {' | '.join(m['expected'])}",
            f"  first:    {first}",
        ]
    return "\n".join(lines) + "\n"


def load_queries(path):
    queries = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                queries.append(json.loads(line))
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{number}: {e}")
    return queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", required=True, help="corpus root (ids are relative to it)")
    parser.add_argument("--queries", required=True, help="judged queries, JSON Lines")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--misses", type=int, default=None, help="show at most N misses")
    args = parser.parse_args()
    queries = load_queries(args.queries)
    try:
        db, titles = build_index(args.corpus)
    except sqlite3.OperationalError as e:
        print(f"this Python's sqlite3 lacks FTS5: {e}", file=sys.stderr)
        sys.exit(MISSING_DEPENDENCY)
    print(f"{len(titles)} documents indexed from {args.corpus}", file=sys.stderr)
    results = [score(q, ranking(db, titles, q["query"])) for q in queries]
    rep = report(results)
    if args.json:
        print(json.dumps(rep, ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(render(rep, args.misses))


if __name__ == "__main__":
    main()
