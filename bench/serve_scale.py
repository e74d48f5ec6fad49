"""A real `qa serve` on a large index: start-up, memory while serving, /api/ask and /api/verify latency.

    python bench/serve_scale.py --passages 1000000 --work /tmp/serve-1m            # passage + sentence vectors
    python bench/serve_scale.py --passages 1000000 --no-sentence-vectors --work /tmp/serve-1m-p

The index is written once per --work folder by qa's own writer (`write_index`), as `qa ingest` would
write it, from the CMRC 2018 and DRCD passages (four splits, ../shared/benchmarks): each public
passage is a source file under <work>/docs, cut at sentence ends into passages of at most
`max_passage_chars` (one article and one passage each, title as heading), repeated until there are
N passages. A copy has its own doc id and cites the same file and span, so every citation holds when
the server re-reads it. Vectors: a passage's sentences keep their vectors from the default encoder
(embedded once, cached in bench/cache as bench/retrieval.py caches them) and the passage gets their
mean, with Gaussian noise on every copy (as bench/scale.py); copies share their original's keyword
token ids. `ann` is the shipped default (auto: HNSW at this size).
Embedding 1M passages for real would take days on this machine; everything after embedding is qa's
own code.

Then `qa serve` starts on it as a user would start it (the default runtime embeds the questions),
and the script prints: seconds until /healthz answers, RSS after start, and after 200 CMRC/DRCD dev
questions through /api/ask (a first round warms, the second is timed) p50/p95, then 100 quote checks
through /api/verify (50 files: 30 characters as printed, and with one character changed) p50/p95,
RSS and peak RSS (VmHWM) of the server process, and the index files it holds most of at the end
(/proc/<pid>/smaps). RSS counts the pages of mapped files the process holds (RssFile) as well as
its own memory (RssAnon). QA_MAPPED_PAGES_MB in the environment reaches the server (a high value
keeps every page it reads). --memory-limit-gb N runs the server in a memory cgroup of N GB (Linux,
root) that also counts the page cache it fills: a machine of that size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scale import BENCH, NOISE, SPLITS, _rows, percentile  # noqa: E402

COLLECTION = "scale"


def base_corpus(docs: Path, max_chars: int):
    """The public passages as source files, cut into passages of at most `max_chars` at sentence ends
    (as qa's layout cuts them), each with its vectors: one for the passage (the mean of its sentences'
    cached vectors, renormalised) and one per sentence when it has several."""
    from bench.retrieval import _cached
    from qa.config import Settings
    from qa.index.encoder import Encoder
    from qa.index.views import dense_views
    from qa.records import Citation, Passage
    from qa.text import sentence_spans

    encoder = Encoder(Settings.load())

    chunks, vectors = [], []  # chunks: (row, file, start, end); vectors: one (k, dim) array a chunk
    for dataset, split, prefix in SPLITS:
        rows = _rows(BENCH / dataset / f"{prefix}passages.jsonl")
        # The same records bench/retrieval.py embedded, so the cached vectors are theirs.
        split_passages = [
            Passage(i, Citation(r["id"], "x", r["title"], None, None, 1, 0, len(r["text"])), r["text"], r["title"])
            for i, r in enumerate(rows)
        ]
        views = dense_views(split_passages, True)
        name = f"{dataset}-{split}-views-{encoder.weights_hash[:12]}"
        cached_vectors = _cached(name, [v.text for v in views], encoder.encode_passages)
        starts = np.r_[np.flatnonzero(np.r_[True, np.diff([v.owner for v in views]) != 0]), len(views)]
        folder = docs / f"{dataset}-{split}"
        folder.mkdir(parents=True, exist_ok=True)
        for i, r in enumerate(rows):
            f = folder / f"{r['id']}.txt"
            if not f.exists():
                f.write_text(r["text"], encoding="utf-8")
            spans = sentence_spans(r["text"])
            own = cached_vectors[starts[i] : starts[i + 1]]
            sentence_vectors = own[1:] if len(spans) > 1 else own[:1].repeat(len(spans), axis=0)
            group: list[int] = []
            for k, (s0, e0) in enumerate(spans + [(None, None)]):
                if group and (s0 is None or e0 - spans[group[0]][0] > max_chars):
                    sv = sentence_vectors[group]
                    mean = sv.mean(axis=0)
                    chunk_vectors = [mean / np.linalg.norm(mean)] + (list(sv) if len(group) > 1 else [])
                    chunks.append((r, f, spans[group[0]][0], spans[group[-1]][1]))
                    vectors.append(np.asarray(chunk_vectors, dtype=np.float32))
                    group = []
                if s0 is not None:
                    group.append(k)
    return chunks, vectors


def build(work: Path, n: int, sentence_vectors: bool) -> Path:
    from qa.config import Settings
    from qa.files import file_sha256
    from qa.index.build import wanted_manifest
    from qa.index.encoder import Encoder
    from qa.index.retrievers import _BM25, DenseIndex, KeywordIndex, _bm25s
    from qa.index.store import write_index
    from qa.index.views import keyword_text
    from qa.ingest.sources import display_path
    from qa.records import Article, Citation, Paragraph, Passage
    from qa.text import keyword_tokens

    overrides = {"index_dir": str(work / "embeddings"), "index_name": COLLECTION, "sentence_vectors": sentence_vectors}
    settings = Settings.load(overrides)
    path = settings.index_path
    if (path / "manifest.json").exists():
        return path
    started = time.perf_counter()
    base, base_vectors = base_corpus(work / "docs", settings.max_passage_chars)
    if not sentence_vectors:
        base_vectors = [v[:1] for v in base_vectors]
    records, articles = [], []
    for pid in range(n):
        copy, (row, f, start, end) = pid // len(base), base[pid % len(base)]
        doc_id = f"{row['id']}@{start}" + (f"#{copy}" if copy else "")
        text = row["text"][start:end]
        citation = Citation(doc_id, display_path(f), row["title"], None, None, 1, start, end)
        lead = row["text"].split("。", 1)[0][:120]
        records.append(Passage(pid, citation, text, row["title"], ((start, end),), lead))
        paragraph = Paragraph(1, "body", text, ((start, end),))
        articles.append(Article(doc_id, display_path(f), row["title"], None, None, (paragraph,)))
    print(f"  {n:,} passages ({len(base):,} distinct) and articles in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)  # fmt: skip
    owners = np.repeat(np.arange(n), [len(base_vectors[pid % len(base)]) for pid in range(n)])
    # On disk, not in memory: with sentence vectors 1M passages hold several million vectors, and
    # FAISS's HNSW keeps its own copy while it builds; the page cache can give these pages back.
    # Both scratch files are kept until the index is written, so a build cut off resumes from them.
    scratch, dense_scratch = work / "vectors-scratch.npy", work / "dense-scratch"
    shape = (len(owners), base_vectors[0].shape[1])
    if not (scratch.exists() and np.load(scratch, mmap_mode="r").shape == shape):
        part = scratch.with_suffix(".part")
        vectors = np.lib.format.open_memmap(part, "w+", np.float32, shape)
        rng, at = np.random.default_rng(13), 0
        for pid in range(n):
            block = base_vectors[pid % len(base)]
            if pid >= len(base):
                block = block + rng.normal(0, NOISE, size=block.shape).astype(np.float32)
                block /= np.linalg.norm(block, axis=1, keepdims=True)
            vectors[at : at + len(block)] = block
            at += len(block)
        vectors.flush()
        del vectors
        part.rename(scratch)  # only a finished file carries the name a later run reuses
    vectors = np.load(scratch, mmap_mode="r")
    print(f"  {len(vectors):,} vectors in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    step = time.perf_counter()
    if not (dense_scratch / DenseIndex.FILE).exists():
        dense = DenseIndex.build(vectors, owners, settings.ann)
        part = dense_scratch.with_suffix(".part")
        shutil.rmtree(part, ignore_errors=True)
        part.mkdir()
        dense.save(part)
        part.rename(dense_scratch)
        del dense  # the keyword build below needs the memory; the graph comes back mapped
    print(f"  dense ({settings.ann}) built in {time.perf_counter() - step:.0f} s", file=sys.stderr)
    step = time.perf_counter()
    # Copies share their original's token ids (one list per distinct passage): a list of strings per
    # passage would take 8 bytes a token for 1M passages, more than this machine holds while building.
    vocab: dict[str, int] = {}
    base_ids = [
        [vocab.setdefault(t, len(vocab)) for t in keyword_tokens(keyword_text(p), settings.keyword_tokens)]
        for p in records[: len(base)]
    ]
    bm25 = _bm25s().BM25(k1=settings.bm25_k1, b=settings.bm25_b)
    bm25.index(([base_ids[pid % len(base)] for pid in range(n)], vocab), show_progress=False)
    keyword = KeywordIndex(_BM25(bm25), {"mode": settings.keyword_tokens, "k1": settings.bm25_k1, "b": settings.bm25_b})
    print(f"  keyword index built in {time.perf_counter() - step:.0f} s", file=sys.stderr)
    files = sorted({f for _, f, _, _ in base})
    manifest = {
        **wanted_manifest(settings, Encoder(settings)),
        "name": COLLECTION,
        "dim": int(vectors.shape[1]),
        "inputs": [str((work / "docs").resolve())],
        "sources": [
            {
                "file": display_path(f),
                "path": str(f.resolve()),
                "sha256": file_sha256(f),
                "bytes": f.stat().st_size,
                "mtime_ns": f.stat().st_mtime_ns,
                "encoding": "utf-8",
                "format": "txt",
            }
            for f in files
        ],  # fmt: skip
        "skipped": [],
        "file_reports": [],
    }
    step = time.perf_counter()
    view_keys = [f"{i:x}" for i in range(len(vectors))]
    write_index(path, manifest, articles, records, vectors, view_keys, DenseIndex.load(dense_scratch), keyword)
    del vectors
    scratch.unlink()
    shutil.rmtree(dense_scratch)
    print(
        f"  written in {time.perf_counter() - step:.0f} s; total {time.perf_counter() - started:.0f} s", file=sys.stderr
    )
    return path


def _status(pid: int) -> dict[str, float]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key = line.split(":")[0]
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[key] = int(line.split()[1]) / 1024
    return out


def _mapped(pid: int, folder: Path, top: int = 8) -> dict[str, float]:
    """MB resident per memory-mapped file under `folder` (from /proc/<pid>/smaps), largest first."""
    from tests.conftest import smaps

    rss = {
        str(Path(f).relative_to(folder)): m["rss_kb"] / 1024 for f, m in smaps(pid).items() if f.startswith(str(folder))
    }
    return dict(sorted(rss.items(), key=lambda kv: -kv[1])[:top])


def _post(port: int, route: str, **fields) -> float:
    body = json.dumps({**fields, "collection": COLLECTION}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{route}", body, {"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        assert response.status == 200
        json.load(response)
    return (time.perf_counter() - started) * 1000


def quotes(docs: Path, n: int = 50) -> list[str]:
    """From `n` source files: 30 characters quoted as printed, and the same with one character changed."""
    out = []
    for f in sorted(docs.rglob("*.txt"))[:: max(1, len(list(docs.rglob("*.txt"))) // n)][:n]:
        exact = f.read_text(encoding="utf-8")[10:40]
        out += [exact, exact[:15] + ("不" if exact[15] != "不" else "是") + exact[16:]]
    return out


class MemoryCgroup:
    """A memory cgroup (Linux, root; v2 or v1) capping what the server may hold, page cache it reads
    included: the index files are evicted from the page cache first, so every page the server
    reads is charged to it. Shows it serving on a machine of `limit_gb` rather than reading RSS."""

    def __init__(self, limit_gb: float, index: Path):
        v2 = Path("/sys/fs/cgroup")
        self.v2 = "memory" in (v2 / "cgroup.controllers").read_text() if (v2 / "cgroup.controllers").exists() else False
        self.path = (v2 if self.v2 else v2 / "memory") / f"qa-serve-bench-{os.getpid()}"
        self.path.mkdir()
        limit = str(int(limit_gb * (1 << 30)))
        (self.path / ("memory.max" if self.v2 else "memory.limit_in_bytes")).write_text(limit)
        for f in index.resolve().rglob("*"):
            if f.is_file():
                fd = os.open(f, os.O_RDONLY)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                os.close(fd)

    def enter(self) -> None:
        """Called in the child before exec: the server starts inside the cgroup."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def peak_mb(self) -> float:
        name = "memory.peak" if self.v2 else "memory.max_usage_in_bytes"
        return int((self.path / name).read_text()) / (1 << 20)

    def remove(self) -> None:
        self.path.rmdir()


def serve(work: Path, sentence_vectors: bool, port: int, cgroup: MemoryCgroup | None = None) -> dict:
    from bench.scale import question_texts
    from tests.conftest import stop_process

    questions = question_texts()
    env = {**os.environ, "QA_INDEX_DIR": str(work / "embeddings"), "QA_INDEX_NAME": COLLECTION,
           "QA_SENTENCE_VECTORS": "true" if sentence_vectors else "false"}  # fmt: skip
    log = (work / "serve.log").open("w")
    started = time.perf_counter()
    command = [sys.executable, "-m", "qa", "serve", "--port", str(port)]
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=log, preexec_fn=cgroup.enter if cgroup else None)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None:
                raise SystemExit(f"qa serve exited: see {work / 'serve.log'}")
            time.sleep(0.5)
        result = {"start_s": time.perf_counter() - started, "after_start": _status(proc.pid)}
        _post(port, "/api/ask", question=questions[0])
        result["after_first"] = _status(proc.pid)
        for q in questions:
            _post(port, "/api/ask", question=q)
        times = [_post(port, "/api/ask", question=q) for q in questions]
        result.update(p50=statistics.median(times), p95=percentile(times, 95), after=_status(proc.pid))
        times = [_post(port, "/api/verify", quote=q) for q in quotes(work / "docs")]
        result.update(
            quote_p50=statistics.median(times), quote_p95=percentile(times, 95), after_quotes=_status(proc.pid)
        )
        result["mapped_files_mb"] = _mapped(proc.pid, (work / "embeddings").resolve())
        if cgroup:
            result["cgroup_peak_mb"] = cgroup.peak_mb()
        return result
    finally:
        stop_process(proc)
        log.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, default=1_000_000)
    ap.add_argument("--no-sentence-vectors", action="store_true")
    ap.add_argument("--work", type=Path, required=True, help="folder for the sources and the index (kept)")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--memory-limit-gb", type=float, help="serve inside a memory cgroup of this size (Linux, root)")
    args = ap.parse_args()
    sentence_vectors = not args.no_sentence_vectors
    args.work.mkdir(parents=True, exist_ok=True)
    path = build(args.work.resolve(), args.passages, sentence_vectors)
    disk = sum(f.stat().st_size for f in path.resolve().rglob("*") if f.is_file()) / 1e9
    cgroup = MemoryCgroup(args.memory_limit_gb, path) if args.memory_limit_gb else None
    try:
        r = serve(args.work.resolve(), sentence_vectors, args.port, cgroup)
    finally:
        if cgroup:
            cgroup.remove()
    print(json.dumps(r))
    mb = lambda d: f"{d['VmRSS']:,.0f} (anon {d['RssAnon']:,.0f}, mapped files {d['RssFile']:,.0f})"  # noqa: E731
    print("| passages | vectors | index on disk GB | start s | RSS MB after start | RSS MB after 400 questions | "
          "RSS MB after 100 quotes | peak RSS MB | /api/ask p50 ms | p95 ms | /api/verify p50 ms | p95 ms |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    views = json.loads((path / "manifest.json").read_text(encoding="utf-8")).get("passages")
    print(f"| {views:,}{'' if sentence_vectors else ' (no sentence vectors)'} | "
          f"{np.load(path / 'owners.npy', mmap_mode='r').shape[0]:,} | {disk:.1f} | {r['start_s']:.0f} | "
          f"{mb(r['after_start'])} | {mb(r['after'])} | {mb(r['after_quotes'])} | {r['after_quotes']['VmHWM']:,.0f} | "
          f"{r['p50']:.0f} | {r['p95']:.0f} | {r['quote_p50']:.0f} | {r['quote_p95']:.0f} |")  # fmt: skip
    if cgroup:
        print(f"in a memory cgroup of {args.memory_limit_gb:g} GB: peak charged (own memory and the page cache "
              f"it filled) {r['cgroup_peak_mb']:,.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
