"""Failures are one line and lose nothing: two writers at once, a lock held too long, an empty
corpus, a full disk, a read-only index folder. Real processes (`python -m qa`), a real tmpfs and a
real read-only bind mount (in a private mount namespace: needs root and `unshare`, else skipped)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa.index.lock import lock_path
from tests.conftest import ROOT, run_qa
from tests.index.conftest import LEAD_QUOTE, PLACE, QUESTION, _tiny_texts


def _one_error_line(result) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("错误："), result.stderr
    return last


def _can_mount() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt"], capture_output=True, timeout=30
    )
    return probe.returncode == 0


needs_mount = pytest.mark.skipif(not _can_mount(), reason="needs root and unshare -m to mount tmpfs / read-only binds")


def _in_namespace(script: str, env: dict, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a shell script in a private mount namespace: its mounts vanish with it."""
    return subprocess.run(
        ["unshare", "-m", "sh", "-uc", script],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(ROOT),
        env={**os.environ, **env, "PY": sys.executable},
    )


def _read(out: Path, name: str) -> tuple[int, str, str]:
    return (
        int((out / f"{name}.rc").read_text()),
        (out / f"{name}.out").read_text(encoding="utf-8"),
        (out / f"{name}.err").read_text(encoding="utf-8"),
    )


def _qa_line(name: str, *args: str) -> str:
    """A script line running `python -m qa` and keeping rc, stdout and stderr in $OUT."""
    quoted = " ".join(f"'{a}'" for a in args)
    return f'"$PY" -m qa {quoted} > "$OUT/{name}.out" 2> "$OUT/{name}.err"; echo $? > "$OUT/{name}.rc"\n'


def test_two_ingests_at_once_both_land(tmp_path):
    folders = []
    for name, text in _tiny_texts().items():
        folder = tmp_path / name.removesuffix(".txt")
        folder.mkdir()
        (folder / name).write_text(text, encoding="utf-8")
        folders.append(folder)
    env = {**os.environ, "QA_INDEX_DIR": str(tmp_path / "idx"), "QA_INDEX_NAME": "both"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "qa", "ingest", str(folder)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for folder in folders
    ]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    manifest = json.loads((tmp_path / "idx" / "both" / "manifest.json").read_text(encoding="utf-8"))
    assert {Path(s["path"]).name for s in manifest["sources"]} == {"forum.txt", "other.txt"}
    assert {Path(p) for p in manifest["inputs"]} == set(folders)
    stderr = [err for _, err in results]
    assert any("Another process is writing index both" in err for err in stderr), stderr
    # Not a terminal: one line per build step, no bars.
    for step in ("reading:", "layout:", "embedding:", "keyword index:", "FAISS:", "writing:"):
        assert all(step in err for err in stderr), (step, stderr)
    assert not any("\r" in err for err in stderr)


def test_a_writer_waits_then_fails_in_one_line_when_the_lock_is_held(tmp_path):
    from filelock import FileLock

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "forum.txt").write_text(_tiny_texts()["forum.txt"], encoding="utf-8")
    index = tmp_path / "idx" / "held"
    index.parent.mkdir()
    with FileLock(str(lock_path(index))):
        result = run_qa(
            "ingest",
            str(folder),
            env={"QA_INDEX_DIR": str(index.parent), "QA_INDEX_NAME": "held", "QA_LOCK_TIMEOUT": "1"},
        )
    assert "lock_timeout" in _one_error_line(result)
    assert "waiting" in result.stderr
    assert not index.exists() and [p.name for p in index.parent.iterdir()] == [".held.lock"]


@pytest.mark.parametrize("content", ["", "。，！？……——\n\n、；：“”\n"], ids=["empty", "punctuation-only"])
def test_a_corpus_without_words_is_one_error_line(tmp_path, content):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "only.txt").write_text(content, encoding="utf-8")
    idx = tmp_path / "idx"
    result = run_qa("ingest", str(folder), env={"QA_INDEX_DIR": str(idx), "QA_INDEX_NAME": "none"})
    line = _one_error_line(result)
    assert "only.txt" in line or "nothing to index" in line
    assert not (idx / "none").exists()
    assert not [p for p in idx.iterdir() if p.name.endswith(".tmp")]


def test_unfinished_builds_of_killed_runs_are_removed_by_the_next_build(tiny, tmp_path):
    killed = tiny.index_path.parent / ".tiny-20200101T000000-1-1.tmp"
    killed.mkdir()
    (killed / "vectors.npy").write_bytes(b"partial")
    extra = tmp_path / "extra.txt"
    extra.write_text("临时测试文件\n\n虹桥国际开放枢纽的建设方案已经印发。\n", encoding="utf-8")
    svc = tiny.service()
    report = svc.ingest([extra])
    assert report["files"] == 3 and report["embedded"] < report["vectors"]  # the rest reused
    assert not killed.exists()


@needs_mount
def test_disk_full_during_a_build_is_one_line_and_the_old_index_keeps_answering(tiny, tmp_path):
    disk, out = tmp_path / "disk", tmp_path / "out"
    disk.mkdir()
    out.mkdir()
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "more.txt").write_text(_tiny_texts()["other.txt"].replace("长三角", "珠三角"), encoding="utf-8")
    script = (
        f'mount -t tmpfs -o size=2m tmpfs "{disk}"\n'
        f'cp -a "{tiny.root / "idx"}/." "{disk}/"\n'
        # Leave 48 KiB: the lock file and the small files fit, the new vectors do not.
        f'avail=$(df --output=avail -B1 "{disk}" | tail -1)\n'
        f'head -c $((avail - 49152)) /dev/zero > "{disk}/filler"\n'
        + _qa_line("ingest", "ingest", str(extra))
        + f'ls -a "{disk}" > "$OUT/listing"\n'
        + _qa_line("ask", "ask", QUESTION, "--json")
    )
    env = {**tiny.env, "QA_INDEX_DIR": str(disk), "OUT": str(out)}
    done = _in_namespace(script, env)
    assert done.returncode == 0, done.stderr
    rc, _, err = _read(out, "ingest")
    line = _one_error_line(subprocess.CompletedProcess([], rc, "", err))
    # numpy says "N requested and M written", faiss "write error", the OS "No space left on device".
    assert re.search(r"; \d[\d,]{0,6} bytes free\)", line) and "previous index is unchanged" in line, line
    listing = (out / "listing").read_text().split()
    assert not [name for name in listing if name.endswith(".tmp")], listing
    assert [name for name in listing if name.startswith(".tiny-")] == [tiny.build.name], listing
    rc, answer, err = _read(out, "ask")
    assert rc == 0, err
    assert PLACE in json.loads(answer)["hits"][0]["text"]


def _read_only(path: Path) -> str:
    return f'mount --bind "{path}" "{path}" && mount -o remount,bind,ro "{path}" "{path}"\n'


@needs_mount
def test_read_only_index_folder_ingest_fails_in_one_line_and_a_stale_index_still_answers(tiny, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    idx = tiny.root / "idx"
    source = tiny.corpus / "forum.txt"
    # The source changes: the index is stale, and its passage holding PLACE no longer true.
    source.write_text(source.read_text(encoding="utf-8").replace(PLACE, "江苏南京"), encoding="utf-8")
    extra = tmp_path / "extra.txt"
    extra.write_text("临时测试文件\n\n虹桥国际开放枢纽的建设方案已经印发。\n", encoding="utf-8")
    script = (
        _read_only(idx)
        + _qa_line("ingest", "ingest", str(extra))
        + _qa_line("ask", "ask", QUESTION, "--json")
        + _qa_line("verify", "verify", LEAD_QUOTE)
    )
    done = _in_namespace(script, {**tiny.env, "OUT": str(out)})
    assert done.returncode == 0, done.stderr
    rc, _, err = _read(out, "ingest")
    assert "must be writable" in _one_error_line(subprocess.CompletedProcess([], rc, "", err))
    rc, answer, err = _read(out, "ask")
    assert rc == 0, err
    assert "is stale" in err and "cannot be rebuilt" in err
    hits = json.loads(answer)["hits"]
    assert hits and not any(PLACE in h["text"] for h in hits)  # the passage its source no longer holds is withheld
    text = source.read_text(encoding="utf-8")
    assert all("".join(text[s:e] for s, e in h["pieces"]) == h["text"] for h in hits if h["file"].endswith("forum.txt"))
    # A verdict on a paragraph the source no longer holds is an error, not a served lie.
    rc, _, err = _read(out, "verify")
    _one_error_line(subprocess.CompletedProcess([], rc, "", err))
    assert tiny.build == tiny.index_path.resolve()  # nothing was changed


@needs_mount
def test_damaged_read_only_index_is_one_line_for_ask_and_serve(tiny, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    manifest = tiny.build / "manifest.json"
    m = json.loads(manifest.read_text(encoding="utf-8"))
    m["sources"] = "x"
    manifest.write_text(json.dumps(m), encoding="utf-8")
    script = (
        _read_only(tiny.root / "idx")
        + _qa_line("ask", "ask", QUESTION)
        + _qa_line("serve", "serve", "--port", "1")  # fails before it would bind
    )
    done = _in_namespace(script, {**tiny.env, "OUT": str(out)})
    assert done.returncode == 0, done.stderr
    for name in ("ask", "serve"):
        rc, _, err = _read(out, name)
        line = _one_error_line(subprocess.CompletedProcess([], rc, "", err))
        assert "must be writable" in line, line
    assert "'sources' should be a list" in _read(out, "ask")[2]


@needs_mount
def test_serve_starts_on_a_stale_read_only_index(tiny, tmp_path):
    import httpx

    source = tiny.corpus / "other.txt"
    source.write_text(source.read_text(encoding="utf-8") + "\n新增的一段文字。\n", encoding="utf-8")
    port = 20000 + os.getpid() % 20000
    script = _read_only(tiny.root / "idx") + f'exec "$PY" -m qa serve --port {port}\n'
    proc = subprocess.Popen(
        ["unshare", "-m", "sh", "-uc", script],
        cwd=ROOT,
        env={**os.environ, **tiny.env, "PY": sys.executable},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        answer = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/api/ask", json={"question": QUESTION}, timeout=30)
                break
            except httpx.TransportError:
                time.sleep(1)
        assert answer is not None, proc.communicate(timeout=5)
        assert answer.status_code == 200 and PLACE in answer.json()["hits"][0]["text"]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "is stale" in err and "Traceback" not in err
