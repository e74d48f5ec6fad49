"""A large index keeps its records and its quote arrays on disk (record_file.py, NormalizedCorpus.load):
the seeds index opened that way answers questions and quotes exactly as the one read whole."""

from __future__ import annotations

import hashlib
import json
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from qa.errors import CorruptIndex
from qa.index import record_file
from qa.index.store import Index
from qa.quotes.checker import QuoteChecker

QUESTIONS = ["长三角一体化发展高层论坛在哪里举行？", "上海的GDP是多少", "What did the forum discuss?"]


def _quotes(service) -> list[str]:
    """An exact, an altered, a spliced and an absent quote, from the seeds' own passages."""
    first, second = service.index.passages[3].text, service.index.passages[10].text
    exact = first[:30]
    altered = exact[:12] + "不" + exact[13:]
    spliced = first[:15] + second[:15]
    return [exact, altered, spliced, "这句话在语料里不存在，完全是为测试而编写的。"]


def test_records_on_disk_are_the_records_read_whole(service, on_disk):
    mem, disk = service.index, on_disk.index
    assert mem.passages.in_memory and not disk.passages.in_memory and not disk.articles.in_memory
    assert list(disk.passages) == list(mem.passages) and list(disk.articles) == list(mem.articles)
    assert disk.passages[-1] == mem.passages[len(mem.passages) - 1]
    assert disk.passages[2:5] == list(mem.passages)[2:5]
    with pytest.raises(IndexError):
        disk.passages[len(mem.passages)]
    mapped = Path("/proc/self/maps").read_text()
    for name in ("passages.jsonl", "articles.jsonl", "quotes/order.npy", "keyword/text/data.csc.index.npy"):
        assert str(disk.folder / name) in mapped, name


def test_answers_and_quote_checks_on_disk_are_the_same(service, on_disk):
    for q in QUESTIONS:
        assert on_disk.ask(q).to_dict() == service.ask(q).to_dict(), q
    verdicts = set()
    for quote in _quotes(service):
        got = on_disk.verify(quote)
        assert got.to_dict() == service.verify(quote).to_dict(), quote
        verdicts.add(got.verdict)
    assert verdicts >= {"exact", "altered", "not_found"}, verdicts
    doc = service.index.articles[1].doc_id
    assert on_disk.document(doc) == service.document(doc)


def test_the_mapped_quote_index_is_the_one_built_from_the_articles(service):
    """The arrays written at ingest give the verdicts of a checker built now from the articles."""
    built = QuoteChecker(list(service.index.articles))
    for quote in _quotes(service):
        assert built.check(quote).to_dict() == service.quotes.check(quote).to_dict(), quote


def test_threads_reading_records_on_disk_get_their_own(service, on_disk):
    """Many server threads at once: each read is a slice of the mapping, no shared position."""
    mem = list(service.index.passages)
    disk = on_disk.index.passages
    disk._read.cache_clear()
    ids = [random.Random(seed).randrange(len(mem)) for seed in range(400)]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: disk[i], ids))
    assert got == [mem[i] for i in ids]


def _forge_file(folder: Path, rel: str, write) -> None:
    """Rewrite a build file and its recorded hash, so only the structure checks can tell."""
    f = folder / rel
    write(f)
    manifest = folder / "manifest.json"
    m = json.loads(manifest.read_text(encoding="utf-8"))
    m["files"][rel] = {"bytes": f.stat().st_size, "sha256": hashlib.sha256(f.read_bytes()).hexdigest()}
    manifest.write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")


def test_a_line_table_that_does_not_match_its_file_is_damage(tiny, monkeypatch):
    monkeypatch.setattr(record_file, "IN_MEMORY_BYTES", 0)
    Index.load(tiny.index_path)  # sound: opens
    _forge_file(tiny.build, "passages.jsonl.offsets.npy", lambda f: np.save(f, np.load(f) + 1))
    with pytest.raises(CorruptIndex, match="line table"):
        Index.load(tiny.index_path)


def test_quote_arrays_that_do_not_fit_together_are_damage(tiny):
    _forge_file(tiny.build, "quotes/order.npy", lambda f: np.save(f, np.load(f)[:-5]))
    with pytest.raises(CorruptIndex, match="quote index"):
        Index.load(tiny.index_path)
