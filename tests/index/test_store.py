"""The index on disk: manifest, incremental re-embedding, stale and damaged indexes, crash safety."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from qa.config import Settings
from qa.errors import CorruptIndex
from qa.index.store import Index
from qa.ingest.report import FileReport
from qa.service import QAService
from tests.conftest import ROOT, SEEDS, run_qa


@pytest.fixture()
def corpus_dir(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for f in SEEDS.glob("*.txt"):
        shutil.copy(f, folder / f.name)
    return folder


@pytest.fixture()
def svc(tmp_path, corpus_dir):
    settings = Settings.load({"corpus": str(corpus_dir), "index_dir": str(tmp_path / "idx"), "index_name": "t"})
    return QAService(settings)


def test_manifest_records_model_corpus_and_versions(service):
    m = service.index.manifest
    assert m["model"] == "bundled:multilingual-e5-small"
    assert len(m["weights_hash"]) == 64 and len(m["corpus_hash"]) == 64
    assert {s["file"] for s in m["sources"]} == {"seeds/000_ee36ff66a312e937.txt", "seeds/004_57879f32f046822d.txt"}
    assert m["versions"]["faiss-cpu"] and m["versions"]["bm25s"] and m["versions"]["sentence-transformers"]
    assert m["chunking"]["max_passage_chars"] == service.settings.max_passage_chars
    assert m["chunking"]["min_passage_chars"] == service.settings.min_passage_chars
    # The ingest report gives each file's passage count and median length: fragments show at once.
    reports = [FileReport.from_dict(r) for r in m["file_reports"]]
    assert all(r.passages > 0 and r.median_chars >= 80 for r in reports)
    assert all(f"{r.passages} 段, 每段中位 {r.median_chars} 字" in r.line() for r in reports)
    assert m["passages"] == len(service.index.passages)
    folder = service.index.path
    assert folder.is_symlink()
    for name in ("manifest.json", "passages.jsonl", "articles.jsonl", "vectors.npy", "dense.faiss"):
        assert (folder / name).exists(), name
    first = json.loads((folder / "passages.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert "长三角" in (folder / "passages.jsonl").read_text(encoding="utf-8")  # written readable, not \u escapes
    assert {"doc_id", "file", "start", "end", "text", "pieces"} <= set(first)


def _new_view_owners(index, old_keys: set[str]) -> set[int]:
    """Passages owning the vectors that had to be embedded (their text was not embedded before)."""
    return {int(index.dense.owners[i]) for i, key in enumerate(index.view_keys) if key not in old_keys}


def _passage_with(index, phrase: str) -> int:
    (pid,) = [p.id for p in index.passages if phrase in p.text]
    return pid


def test_ingest_twice_changes_nothing_and_only_changed_files_are_reembedded(svc, corpus_dir):
    _ = svc.index  # first use builds it
    build = svc.index.path.resolve()
    again = svc.ingest([corpus_dir])
    assert again["unchanged"] and again["embedded"] == 0
    lines = [r.line() for r in again["file_reports"]]  # every file still gets its line
    assert len(lines) == 2 and all(line.startswith("未变") and "unchanged, not re-read" in line for line in lines)
    assert svc.index.path.resolve() == build

    changed = corpus_dir / "000_ee36ff66a312e937.txt"
    in_changed = sum(p.citation.file.endswith(changed.name) for p in svc.index.passages)
    # An edit in a body paragraph: only the passage holding it is embedded again.
    changed.write_text(
        changed.read_text(encoding="utf-8").replace("北京大学教授周其仁", "北大教授周其仁"), encoding="utf-8"
    )
    before = set(svc.index.view_keys)
    report = svc.ingest([corpus_dir])
    assert not report["unchanged"]
    assert report["reused"] == report["vectors"] - report["embedded"]
    assert _new_view_owners(svc.index, before) == {_passage_with(svc.index, "北大教授周其仁")}
    assert svc.index.path.resolve() != build and not build.exists()  # old build removed after the swap
    assert any("北大教授周其仁" in p.text for p in svc.index.passages)
    # An edit in an article's lead sentence: one passage is embedded again; the lead, part of the
    # keyword text of every passage of that article, is updated for all of them.
    changed.write_text(
        changed.read_text(encoding="utf-8").replace("座谈会在浙江湖州举行", "座谈会在浙江省湖州市举行"),
        encoding="utf-8",
    )
    before = set(svc.index.view_keys)
    svc.ingest([corpus_dir])
    assert _new_view_owners(svc.index, before) == {_passage_with(svc.index, "座谈会在浙江省湖州市举行")}
    first_article = [p for p in svc.index.passages if p.doc_id == "000_ee36ff66a312e937-1"]
    assert 1 < len(first_article) < in_changed
    assert all("浙江省湖州市" in p.context for p in first_article)


def test_added_file_is_indexed_and_gbk_is_decoded(svc, tmp_path):
    _ = svc.index
    extra = tmp_path / "gbk.txt"
    extra.write_bytes("临时测试文件\n\n淀山湖世界级湖区的建设进度良好，今年完成了首期工程。".encode("gbk"))
    report = svc.ingest([extra])
    assert report["files"] == 3
    hits = svc.ask("淀山湖世界级湖区的建设进度如何？").hits
    assert hits[0].citation.file.endswith("gbk.txt")


def test_stale_index_is_rebuilt_when_settings_change(svc, tmp_path, corpus_dir):
    n = len(svc.index.passages)
    messages = []
    other = QAService(svc.settings.replace(max_passage_chars=120), on_rebuild=messages.append)
    assert len(other.index.passages) > n
    assert messages and "chunking changed" in messages[0]


@pytest.mark.parametrize("damage", ["manifest", "faiss", "passages", "missing_vectors"])
def test_damaged_index_is_detected_and_rebuilt(svc, damage):
    folder = svc.index.path.resolve()
    {
        "manifest": lambda: (folder / "manifest.json").write_text("{not json", encoding="utf-8"),
        "faiss": lambda: (folder / "dense.faiss").write_bytes(b"\0garbage"),
        "passages": lambda: (folder / "passages.jsonl").write_text('{"id": 0}\n', encoding="utf-8"),
        "missing_vectors": lambda: (folder / "vectors.npy").unlink(),
    }[damage]()
    with pytest.raises(CorruptIndex):
        Index.load(svc.index.path)
    messages = []
    fresh = QAService(svc.settings, on_rebuild=messages.append)
    assert fresh.ask("长三角一体化").hits
    assert messages and "damaged" in messages[0]


def test_an_index_of_another_version_is_rebuilt_and_said_so(svc, tmp_path):
    """An index another qa wrote (other format_version) is rebuilt like a damaged one, and the message
    says what it is; a manifest that is not an object is damaged."""
    manifest = svc.index.path.resolve() / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps({**data, "format_version": 2}), encoding="utf-8")
    messages = []
    fresh = QAService(svc.settings, on_rebuild=messages.append)
    assert fresh.ask("长三角一体化").hits
    assert messages and "another version of qa" in messages[0] and "damaged" not in messages[0]
    copy = shutil.copytree(fresh.index.path.resolve(), tmp_path / "copy")  # the rebuilt one stays whole
    (copy / "manifest.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(CorruptIndex, match="damaged"):
        Index.load(copy)


def test_ingest_into_a_damaged_index_keeps_what_it_covered(svc, tmp_path):
    files = {p.citation.file for p in svc.index.passages}
    (svc.index.path.resolve() / "dense.faiss").write_bytes(b"\0garbage")
    extra = tmp_path / "extra.txt"
    extra.write_text("临时测试文件\n\n虹桥国际开放枢纽的建设方案已经印发。", encoding="utf-8")
    fresh = QAService(svc.settings)
    report = fresh.ingest([extra])
    assert not report["unchanged"] and report["files"] == len(files) + 1
    assert {p.citation.file for p in fresh.index.passages} == files | {str(extra)}


def test_killed_ingest_leaves_the_old_index_answering(svc, tmp_path):
    old_build = svc.index.path.resolve()
    big = tmp_path / "big"
    big.mkdir()
    # Enough distinct text that embedding takes several seconds, so the kill lands mid-build.
    seed = (SEEDS / "004_57879f32f046822d.txt").read_text(encoding="utf-8")
    for i in range(20):
        (big / f"copy{i}.txt").write_text(seed.replace("长三角", f"长三角{i}号"), encoding="utf-8")
    env = {
        **os.environ,
        "QA_CORPUS": svc.settings.corpus,
        "QA_INDEX_DIR": svc.settings.index_dir,
        "QA_INDEX_NAME": svc.settings.index_name,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa", "ingest", str(big)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in proc.stdout:  # wait until it is embedding: the middle of the build
        if "embedding" in line:
            break
    time.sleep(1)
    assert proc.poll() is None, "ingest finished before it could be killed; make the input bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert svc.index.path.resolve() == old_build
    index = Index.load(svc.index.path)
    assert len(index.passages) == len(svc.index.passages)
    result = run_qa(
        "ask",
        "长三角地区主要领导座谈会在哪里举行？",
        "--json",
        env={
            "QA_CORPUS": svc.settings.corpus,
            "QA_INDEX_DIR": svc.settings.index_dir,
            "QA_INDEX_NAME": svc.settings.index_name,
        },
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["hits"]
