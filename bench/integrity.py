"""What the integrity checks cost: opening an index (sizes, hashes, structure), a large array hashed
once then found in the hash cache, and re-reading every citation of an answer from its source.

    python bench/integrity.py               # on the seed index (built first if missing)
    python bench/integrity.py --array-mb 256

Run on an otherwise idle machine; the numbers are wall-clock milliseconds on this machine's CPU.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn, rounds: int) -> float:
    """Median milliseconds of `rounds` calls."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--array-mb", type=int, default=128, help="size of the synthetic large array")
    args = parser.parse_args()

    from qa.index import integrity
    from qa.index.store import Index, hash_cache_path, read_manifest
    from qa.service import QAService

    service = QAService()
    service.warm()
    path = service.index.path
    manifest = read_manifest(path)
    files = manifest["files"]
    size = sum(f["bytes"] for f in files.values())
    print(f"index {path.name}: {len(service.index.passages)} passages, {len(files)} files, {size / 1e6:.1f} MB")
    print(f"  open (load + sizes + hashes + structure): {timed(lambda: Index.load(path), args.rounds):8.1f} ms")
    verify = lambda: integrity.verify_files(path.resolve(), files, hash_cache_path(path))  # noqa: E731
    print(f"  of which sizes + hashes:                  {timed(verify, args.rounds):8.1f} ms")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        array = folder / "vectors.npy"
        with array.open("wb") as f:
            block = bytes(range(256)) * 4096  # 1 MiB
            for _ in range(args.array_mb):
                f.write(block)
        recorded = integrity.record_files(folder)
        cache = folder / "hashes.json"
        first = timed(lambda: integrity.verify_files(folder, recorded, cache), 1)
        again = timed(lambda: integrity.verify_files(folder, recorded, cache), args.rounds)
        print(f"{args.array_mb} MB array: first check (hashed) {first:8.1f} ms, later checks (cached) {again:8.2f} ms")

    questions = [json.loads(line)["question"] for line in (ROOT / "seeds" / "questions.jsonl").open(encoding="utf-8")]
    search_ms, check_ms = [], []
    sources = service._sources_now()
    for q in questions:
        started = time.perf_counter()
        hits = service.searcher.search(q, service.settings.top_k)
        mid = time.perf_counter()
        assert not sources.false(service._hit_claims(hits))
        search_ms.append((mid - started) * 1000)
        check_ms.append((time.perf_counter() - mid) * 1000)
    print(
        f"{len(questions)} seed questions: search p50 {statistics.median(search_ms):.2f} ms, "
        f"citation re-read p50 {statistics.median(check_ms):.3f} ms (max {max(check_ms):.3f} ms)"
    )


if __name__ == "__main__":
    main()
