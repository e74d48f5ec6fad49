"""Integrity: every kind of index damage is found (file hashes, structure, or a citation re-read
from its source), the index is rebuilt with a message, and the answer served afterwards is true."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from qa.errors import CorruptIndex
from qa.index import integrity
from qa.index.store import Index
from tests.index.conftest import LEAD_QUOTE, PLACE, QUESTION


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write_lines(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _edit_text(folder):
    f = folder / "passages.jsonl"
    assert PLACE in f.read_text(encoding="utf-8")
    f.write_text(f.read_text(encoding="utf-8").replace(PLACE, "江苏南京"), encoding="utf-8")


def _swap_texts(folder):
    rows = _lines(folder / "passages.jsonl")
    (i,) = [n for n, r in enumerate(rows) if PLACE in r["text"]]
    j = (i + 1) % len(rows)
    rows[i]["text"], rows[j]["text"] = rows[j]["text"], rows[i]["text"]
    _write_lines(folder / "passages.jsonl", rows)


def _reverse_owners(folder):
    owners = np.load(folder / "owners.npy")
    np.save(folder / "owners.npy", owners[::-1].copy())


def _nan_vectors(folder):
    vectors = np.load(folder / "vectors.npy")
    vectors[:] = np.nan
    np.save(folder / "vectors.npy", vectors)


def _empty_articles(folder):
    (folder / "articles.jsonl").write_text("", encoding="utf-8")


def _keyword_out_of_range(folder):
    f = folder / "keyword" / "text" / "indices.csc.index.npy"
    indices = np.load(f)
    np.save(f, indices + 10**6)


def _manifest_wrong_type(folder):
    f = folder / "manifest.json"
    m = json.loads(f.read_text(encoding="utf-8"))
    m["sources"] = "x"
    f.write_text(json.dumps(m), encoding="utf-8")


DAMAGE = {
    "passage text edited": _edit_text,
    "two passage texts swapped": _swap_texts,
    "owners.npy reversed": _reverse_owners,
    "vectors set to NaN": _nan_vectors,
    "articles.jsonl emptied": _empty_articles,
    "bm25s indices out of range": _keyword_out_of_range,
    "manifest sources of the wrong type": _manifest_wrong_type,
}


def _true_to_source(hit, corpus) -> bool:
    text = (corpus / hit.citation.file.rsplit("/", 1)[-1]).read_text(encoding="utf-8")
    return "".join(text[s:e] for s, e in hit.passage.pieces) == hit.passage.text


@pytest.mark.parametrize("damage", DAMAGE)
def test_damage_is_detected_and_rebuilt_and_answers_are_true(tiny, damage):
    DAMAGE[damage](tiny.build)
    with pytest.raises(CorruptIndex):
        Index.load(tiny.index_path)
    messages = []
    svc = tiny.service(messages)
    top = svc.ask(QUESTION).hits[0]
    assert PLACE in top.passage.text and _true_to_source(top, tiny.corpus)
    assert messages and "damaged" in messages[0], messages
    # Quotes are checked against the rebuilt articles: not silently not_found.
    assert svc.verify(LEAD_QUOTE).verdict == "exact"
    Index.load(tiny.index_path)  # the rebuilt index passes its own checks


def _forge(folder, name, old, new):
    """Change a file of the build *and* its recorded hash, as a forger (or a bug) would: only the
    citation check can tell."""
    f = folder / name
    f.write_text(f.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    manifest = folder / "manifest.json"
    m = json.loads(manifest.read_text(encoding="utf-8"))
    m["files"][name] = {"bytes": f.stat().st_size, "sha256": hashlib.sha256(f.read_bytes()).hexdigest()}
    manifest.write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")


def test_a_forged_passage_that_passes_the_hashes_is_caught_by_its_citation(tiny):
    _forge(tiny.build, "passages.jsonl", PLACE, "江苏南京")
    Index.load(tiny.index_path)  # hashes and structure agree: it opens
    messages = []
    svc = tiny.service(messages)
    hits = svc.ask(QUESTION).hits
    assert any("no longer matches" in m for m in messages), messages
    assert PLACE in hits[0].passage.text and _true_to_source(hits[0], tiny.corpus)
    assert all("江苏南京" not in h.passage.text for h in hits)


def test_a_forged_paragraph_is_not_served_as_an_exact_quote(tiny):
    forged = LEAD_QUOTE.replace(PLACE, "江苏南京")
    _forge(tiny.build, "articles.jsonl", PLACE, "江苏南京")
    messages = []
    svc = tiny.service(messages)
    check = svc.verify(forged)
    assert any("no longer matches" in m for m in messages), messages
    assert check.verdict == "altered" and PLACE in check.matches[0].source_text


def test_a_source_edited_while_serving_is_reread_and_the_index_rebuilt(tiny):
    messages = []
    svc = tiny.service(messages)
    assert PLACE in svc.ask(QUESTION).hits[0].passage.text and not messages
    source = tiny.corpus / "forum.txt"
    source.write_text(source.read_text(encoding="utf-8").replace(PLACE, "江苏南京"), encoding="utf-8")
    top = svc.ask(QUESTION).hits[0]
    assert "江苏南京" in top.passage.text and _true_to_source(top, tiny.corpus)
    assert messages and "forum.txt" in messages[-1] and "no longer matches" in messages[-1]


def test_large_arrays_are_hashed_once_per_size_and_mtime(tiny, monkeypatch):
    monkeypatch.setattr(integrity, "HASH_CACHE_MIN_BYTES", 10_000)  # the tiny arrays count as large
    hashed = []
    real = integrity.file_sha256
    monkeypatch.setattr(integrity, "file_sha256", lambda p: hashed.append(p.name) or real(p))
    Index.load(tiny.index_path)
    assert "vectors.npy" in hashed and "dense.faiss" in hashed
    hashed.clear()
    Index.load(tiny.index_path)
    assert "vectors.npy" not in hashed and "dense.faiss" not in hashed
    assert "view_keys.json" in hashed or "owners.npy" in hashed  # small files: every time
    # Same size, new content (and so a new mtime): hashed again and found.
    vectors = np.load(tiny.build / "vectors.npy")
    vectors[0, 0] += 0.5
    np.save(tiny.build / "vectors.npy", vectors)
    with pytest.raises(CorruptIndex, match="vectors.npy"):
        Index.load(tiny.index_path)


def test_forged_keyword_arrays_that_pass_the_hashes_fail_the_structure_check(tiny):
    folder = tiny.build
    f = folder / "keyword" / "text" / "indices.csc.index.npy"
    np.save(f, np.load(f) + 10**6)
    manifest = folder / "manifest.json"
    m = json.loads(manifest.read_text(encoding="utf-8"))
    m["files"]["keyword/text/indices.csc.index.npy"] = {
        "bytes": f.stat().st_size,
        "sha256": hashlib.sha256(f.read_bytes()).hexdigest(),
    }
    manifest.write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(CorruptIndex, match="keyword index .* malformed"):
        Index.load(tiny.index_path)


def test_a_served_index_maps_its_vectors_and_faiss_file_and_answers_the_same(tiny):
    import faiss

    index = Index.load(tiny.index_path)
    assert isinstance(index.vectors, np.memmap)
    mapped = Path("/proc/self/maps").read_text()
    assert str((tiny.build / "vectors.npy").resolve()) in mapped
    assert str((tiny.build / "dense.faiss").resolve()) in mapped
    in_memory = faiss.read_index(str(tiny.build / "dense.faiss"))
    queries = np.asarray(index.vectors[:5])
    assert (index.dense.index.search(queries, 5)[1] == in_memory.search(queries, 5)[1]).all()


@pytest.mark.parametrize("where", ["first", "last"])
def test_a_nan_in_any_block_of_a_mapped_vectors_file_fails_the_structure_check(tiny, monkeypatch, where):
    """Forged so the hashes pass; read through the file in blocks of two rows, the NaN is found in
    the first and in the last block alike."""
    folder = tiny.build
    f = folder / "vectors.npy"
    vectors = np.load(f)
    assert len(vectors) > 4
    vectors[0 if where == "first" else -1, 3] = np.nan
    np.save(f, vectors)
    manifest = folder / "manifest.json"
    m = json.loads(manifest.read_text(encoding="utf-8"))
    m["files"]["vectors.npy"] = {"bytes": f.stat().st_size, "sha256": hashlib.sha256(f.read_bytes()).hexdigest()}
    manifest.write_text(json.dumps(m), encoding="utf-8")
    monkeypatch.setattr(integrity, "BLOCK_BYTES", 2 * vectors.shape[1] * 4)
    with pytest.raises(CorruptIndex, match="NaN"):
        Index.load(tiny.index_path)
