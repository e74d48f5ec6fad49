"""qa.files.write_atomically: the target is replaced whole or not at all, and no temporary file stays."""

from __future__ import annotations

import pytest

from qa.files import write_atomically


def test_a_write_replaces_the_target_whole(tmp_path):
    target = tmp_path / "cache.json"
    target.write_text("old", encoding="utf-8")
    write_atomically(target, lambda tmp: tmp.write_text("new", encoding="utf-8"))
    assert target.read_text(encoding="utf-8") == "new"
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["cache.json"]


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "cache.json"
    target.write_text("old", encoding="utf-8")

    def half_then_crash(tmp):
        tmp.write_text("ha", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, half_then_crash)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["cache.json"]


def test_a_private_file_keeps_its_mode(tmp_path):
    target = tmp_path / "jieba.pickle"
    write_atomically(target, lambda tmp: tmp.write_bytes(b"x"), mode=0o600)
    assert target.stat().st_mode & 0o777 == 0o600
