"""An upgrade keeps what the older version wrote: its collection (index, uploaded file) and audit log.

tests/fixtures/data_dir_dff4ad5.tar.gz was written once by commit dff4ad5 (before data_dir existed):
`qa ingest --index-dir /tmp/qa-upgrade-fixture/embeddings --collection old …/old.files/通知.txt`.
Its manifests record that absolute place, as every install's do, so it is unpacked exactly there:
the data stands where the older version left it, and this version's code opens it."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from qa.config import Settings
from qa.index.build import LAYOUT_VERSION

FIXTURE = Path(__file__).parent / "fixtures" / "data_dir_dff4ad5.tar.gz"
DATA = Path("/tmp/qa-upgrade-fixture")
QUESTION = "档案整理工作由哪个部门负责统一组织？"


def _checked_members(tar: tarfile.TarFile, dest: Path) -> list[tarfile.TarInfo]:
    """The members of `tar`, checked as the "tar" extraction filter (Python 3.11.4+) checks them, a little
    stricter: a name or link that is absolute or leads outside `dest`, or a device, raises tarfile.TarError;
    setuid, setgid, sticky and group/other write bits are dropped."""
    root = os.path.realpath(dest)

    def inside(path: str) -> bool:
        return os.path.commonpath([root, os.path.realpath(os.path.join(root, path))]) == root

    members = []
    for m in tar.getmembers():
        if os.path.isabs(m.name) or not inside(m.name):
            raise tarfile.TarError(f"{m.name!r} would be written outside {dest}")
        if m.issym() and (os.path.isabs(m.linkname) or not inside(os.path.join(os.path.dirname(m.name), m.linkname))):
            raise tarfile.TarError(f"{m.name!r} links outside {dest}: {m.linkname!r}")
        if m.islnk() and (os.path.isabs(m.linkname) or not inside(m.linkname)):
            raise tarfile.TarError(f"{m.name!r} links outside {dest}: {m.linkname!r}")
        if m.isdev():
            raise tarfile.TarError(f"{m.name!r} is a device")
        m.mode &= ~(stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX | stat.S_IWGRP | stat.S_IWOTH)
        members.append(m)
    return members


def _extract(tar: tarfile.TarFile, dest: Path) -> None:
    """Unpack `tar` into `dest` with the "tar" filter; Python 3.11.2 (Debian 12) predates extraction
    filters (3.11.4), so there the same checks are made on the members first."""
    if hasattr(tarfile, "tar_filter"):
        tar.extractall(dest, filter="tar")
    else:
        tar.extractall(dest, members=_checked_members(tar, dest))


def _qa(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa", *args], env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("layout", ["same layout", "older layout"])
def test_a_collection_and_audit_log_of_an_older_version_are_answered_after_the_upgrade(layout):
    shutil.rmtree(DATA, ignore_errors=True)
    with tarfile.open(FIXTURE) as tar:
        _extract(tar, DATA)
    if layout == "same layout":  # as a version with this version's passage layout would have written it
        manifest = DATA / "embeddings" / "old" / "manifest.json"
        m = json.loads(manifest.read_text(encoding="utf-8"))
        m["chunking"].update(layout_version=LAYOUT_VERSION, min_passage_chars=Settings.load().min_passage_chars)
        manifest.write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")
    # else as dff4ad5 wrote it: its passage layout (11) is older than this version's
    env = {
        **os.environ,
        "QA_DATA_DIR": str(DATA),
        "QA_INDEX_DIR": "embeddings",
        "QA_AUDIT_LOG": "audit.jsonl",
        # the model is the same one; the session's materialised copy saves a minute
        "QA_MODEL_CACHE": str(Settings.load().path(Settings.load().model_cache)),
    }
    before = (DATA / "embeddings" / "old").resolve()
    listed = _qa("collections", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    (old,) = [c for c in json.loads(listed.stdout)["collections"] if c["name"] == "old"]
    assert old["files"] == 1 and old["passages"] == 3

    asked = _qa("ask", "--json", "--collection", "old", QUESTION, env=env)
    assert asked.returncode == 0, asked.stderr
    rebuilt = [line for line in asked.stderr.splitlines() if "index old" in line]
    # Used as is when nothing it depends on changed, else rebuilt with one line saying why: never served wrong.
    if layout == "same layout":
        assert (DATA / "embeddings" / "old").resolve() == before and not rebuilt, asked.stderr
    else:
        assert len(rebuilt) == 1 and rebuilt[0].startswith("Rebuilding index old: its chunking changed"), asked.stderr
    hit = json.loads(asked.stdout)["hits"][0]
    # as the older build named it (absolute, it predates data_dir) or as a rebuild does (by its place in
    # the collection)
    assert hit["file"] in ("old.files/通知.txt", str(DATA / "embeddings/old.files/通知.txt"))
    text = (DATA / "embeddings" / hit["file"]).read_text(encoding="utf-8")
    assert "".join(text[a:b] for a, b in hit["pieces"]) == hit["text"] and "由办公室负责统一组织" in hit["text"]

    if layout == "older layout":
        shutil.rmtree(DATA, ignore_errors=True)
        return
    added = DATA / "补充.txt"
    added.write_text("档案联络员名单报送办公室后，由办公室汇总并于三月五日前公布。\n", encoding="utf-8")
    ingested = _qa("ingest", "--collection", "old", str(added), env=env)
    assert ingested.returncode == 0, ingested.stderr
    audit = [json.loads(line) for line in (DATA / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [a["collection"] for a in audit] == ["old", "old"]  # the older version's entry is kept
    assert audit[0]["time"].startswith("2026-12-04T18:26") and audit[1]["files"] == [str(added)]
    shutil.rmtree(DATA, ignore_errors=True)


def test_without_extraction_filters_the_members_are_checked_as_the_tar_filter_would(tmp_path, monkeypatch):
    """Python 3.11.2's path, taken here too: the fixture unpacks whole, a hostile archive does not."""
    monkeypatch.delattr(tarfile, "tar_filter", raising=False)  # absent before 3.11.4
    with tarfile.open(FIXTURE) as tar:
        _extract(tar, tmp_path / "ok")
    assert os.readlink(tmp_path / "ok" / "embeddings" / "old").startswith(".old-")
    assert (tmp_path / "ok" / "embeddings" / "old" / "manifest.json").is_file()

    def archive(*members: tarfile.TarInfo) -> Path:
        path = tmp_path / f"{members[0].name.replace('/', '_')}.tar"
        with tarfile.open(path, "w") as tar:
            for m in members:
                tar.addfile(m, io.BytesIO(b"x") if m.isfile() else None)
        return path

    def member(name: str, kind=tarfile.REGTYPE, link: str = "", mode: int = 0o644) -> tarfile.TarInfo:
        m = tarfile.TarInfo(name)
        m.type, m.linkname, m.mode, m.size = kind, link, mode, 1 if kind == tarfile.REGTYPE else 0
        return m

    for hostile in (
        member("../escaped.txt"),
        member("/tmp/absolute.txt"),
        member("a/../../escaped.txt"),
        member("link", tarfile.SYMTYPE, "../../etc/passwd"),
        member("abs-link", tarfile.SYMTYPE, "/etc/passwd"),
        member("hard", tarfile.LNKTYPE, "../outside"),
        member("dev", tarfile.CHRTYPE),
    ):
        with tarfile.open(archive(hostile)) as tar, pytest.raises(tarfile.TarError):
            _extract(tar, tmp_path / "dest")
        assert not (tmp_path / "dest").exists() and not (tmp_path / "escaped.txt").exists()
    with tarfile.open(archive(member("setuid.sh", mode=0o4777))) as tar:
        _extract(tar, tmp_path / "modes")
    assert stat.S_IMODE((tmp_path / "modes" / "setuid.sh").stat().st_mode) == 0o755
