"""paging.py: the mapped files of an index opened on disk are read at random (no read-ahead) and let
go of after each request; other mappings of the process, and arrays in memory, are left alone."""

from __future__ import annotations

import mmap

import numpy as np
import pytest

from qa.index.paging import advise_random, mapped_by, release
from tests.conftest import smaps

pytestmark = pytest.mark.skipif(not hasattr(mmap, "MADV_RANDOM"), reason="madvise is Linux-only")

LARGE_FILES = (
    "dense.faiss",
    "passages.jsonl",
    "articles.jsonl",
    "vectors.npy",
    "quotes/order.npy",
    "quotes/cps.npy",
    "keyword/text/data.csc.index.npy",
)


def test_the_large_files_of_an_index_on_disk_are_read_at_random(on_disk_index):
    maps = smaps()
    for name in LARGE_FILES:
        path = str(on_disk_index.folder / name)
        assert path in maps, f"{name} is not mapped"
        assert "rr" in maps[path]["flags"], name


def _requests(service) -> dict[str, int]:
    """An answer and a quote check after reading every page of the vectors; then kB resident per file."""
    index = service.index
    float(np.asarray(index.vectors).sum())
    assert smaps()[str(index.folder / "vectors.npy")]["rss_kb"] > 0
    assert service.ask("长三角一体化发展高层论坛在哪里举行？").hits
    assert service.verify(index.passages[3].text[:30]).verdict == "exact"
    maps = smaps()
    return {name: maps[str(index.folder / name)]["rss_kb"] for name in LARGE_FILES}


def test_past_its_budget_a_server_lets_go_of_the_pages_a_request_read(on_disk, monkeypatch):
    monkeypatch.setattr(on_disk, "settings", on_disk.settings.replace(mapped_pages_mb=0))
    assert _requests(on_disk) == dict.fromkeys(LARGE_FILES, 0)


def test_within_its_budget_a_server_keeps_them(on_disk, monkeypatch):
    monkeypatch.setattr(on_disk, "settings", on_disk.settings.replace(mapped_pages_mb=1_000_000))
    resident = _requests(on_disk)
    assert resident["vectors.npy"] > 0 and resident["quotes/order.npy"] > 0, resident  # records: cached


def test_other_mappings_and_arrays_in_memory_are_left_alone(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(10_000, dtype=np.int64))
    np.save(tmp_path / "b.npy", np.arange(10_000, dtype=np.int64))
    a = np.load(tmp_path / "a.npy", mmap_mode="r")
    b = np.load(tmp_path / "b.npy", mmap_mode="r")
    int(a.sum()) + int(b.sum())
    advise_random([a, np.zeros(3)])  # an array in memory: nothing to advise, no error
    release([a])
    maps = smaps()
    assert "rr" in maps[str(tmp_path / "a.npy")]["flags"] and maps[str(tmp_path / "a.npy")]["rss_kb"] == 0
    assert "rr" not in maps[str(tmp_path / "b.npy")]["flags"] and maps[str(tmp_path / "b.npy")]["rss_kb"] > 0
    assert int(a[-1]) == int(b[-1]) == 9_999  # a page let go of is read again as it was


def test_a_load_claims_only_the_mapping_it_made(tmp_path):
    """Two mappings of one file: each load's ranges are its own, so releasing one never reaches
    memory the other (or whatever replaces it) holds."""
    path = tmp_path / "c.npy"
    np.save(path, np.arange(100_000, dtype=np.int64))
    first, first_ranges = mapped_by(lambda: np.load(path, mmap_mode="r"), path)
    second, second_ranges = mapped_by(lambda: np.load(path, mmap_mode="r"), path)
    assert len(first_ranges) == len(second_ranges) == 1 and first_ranges != second_ranges
    assert mapped_by(lambda: np.zeros(3), path)[1] == []  # a load that maps nothing claims nothing
    int(first.sum()) + int(second.sum())
    release(second_ranges)
    assert int(second[-1]) == int(first[-1]) == 99_999
