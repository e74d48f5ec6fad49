"""data_dir (qa.config.data_root): where indexes, collections, the audit log and the model cache live,
and how citations name files, in a checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

import pytest

import qa.config
from qa.config import Settings, data_root, package_dir, project_root
from qa.index.state import _moved
from qa.ingest.sources import display_path


def test_in_the_checkout_data_dir_is_the_checkout(monkeypatch):
    monkeypatch.delenv("QA_DATA_DIR", raising=False)
    assert data_root() == project_root()
    assert Settings.load(environ={}).path("embeddings") == project_root() / "embeddings"


def test_installed_from_a_wheel_data_dir_is_the_users_data_folder(monkeypatch, tmp_path):
    site = tmp_path / "site-packages"  # no pyproject.toml beside qa/: not a checkout
    (site / "qa").mkdir(parents=True)
    monkeypatch.setattr(qa.config, "project_root", lambda: site)
    monkeypatch.delenv("QA_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert data_root() == tmp_path / "home" / ".local" / "share" / "qa"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_root() == tmp_path / "xdg" / "qa"
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "srv"))  # the service's /var/lib/qa comes this way
    assert data_root() == tmp_path / "srv"


def test_relative_settings_resolve_inside_data_dir(tmp_path):
    s = Settings(data_dir=str(tmp_path))
    assert s.index_path == tmp_path / "embeddings" / "seeds"
    assert s.path(s.model_cache) == tmp_path / "models"
    assert s.audit_path == tmp_path / "embeddings" / "audit.jsonl"
    assert Settings(data_dir=str(tmp_path), index_dir="/abs/idx").index_path == Path("/abs/idx/seeds")


def test_the_seeds_come_from_the_package_when_data_dir_has_none(tmp_path):
    (shipped,) = Settings(data_dir=str(tmp_path)).corpus_paths
    assert shipped == package_dir() / "seeds" and (shipped / "glossary.tsv").is_file()


def test_a_corpus_folder_in_data_dir_comes_before_the_shipped_one(tmp_path):
    (tmp_path / "seeds").mkdir()
    assert Settings(data_dir=str(tmp_path)).corpus_paths == [tmp_path / "seeds"]
    gone = tmp_path / "nowhere"
    assert Settings(data_dir=str(tmp_path), corpus=str(gone)).corpus_paths == [gone]  # named in the error later
    assert Settings(data_dir=str(tmp_path), corpus="nowhere").corpus_paths == [gone]


def test_citations_name_files_relative_to_data_dir_or_the_package(monkeypatch, tmp_path):
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path))
    upload = tmp_path / "embeddings" / "政策.files" / "通知.txt"
    upload.parent.mkdir(parents=True)
    upload.write_text("通知", encoding="utf-8")
    assert display_path(upload) == "政策.files/通知.txt"  # an uploaded file: by its place in its collection
    other = tmp_path / "notes" / "通知.txt"
    other.parent.mkdir()
    other.write_text("通知", encoding="utf-8")
    assert display_path(other) == "notes/通知.txt"  # any other file in data_dir: relative to it
    seed = next((package_dir() / "seeds").glob("*.txt"))
    assert display_path(seed) == f"seeds/{seed.name}"
    assert display_path(seed.resolve()) == f"seeds/{seed.name}"  # in a checkout, qa/seeds links to seeds/
    elsewhere = Path("/etc/hostname")
    assert display_path(elsewhere) == "/etc/hostname"


def test_a_shipped_corpus_that_moved_is_taken_from_where_it_stands_now(tmp_path):
    now = tmp_path / "venv2" / "qa" / "seeds"
    now.mkdir(parents=True)
    kept = tmp_path / "mine"
    kept.mkdir()
    recorded = [tmp_path / "venv1" / "qa" / "seeds", kept]  # an older install's seeds, gone
    assert _moved(recorded, [now]) == [now, kept]


@pytest.mark.parametrize("case", ["other name", "still there"])
def test_a_recorded_input_is_kept_when_it_is_there_or_no_corpus_folder_has_its_name(tmp_path, case):
    now = tmp_path / "new" / "seeds"
    now.mkdir(parents=True)
    recorded = tmp_path / ("old" if case == "still there" else "gone") / ("seeds" if case == "still there" else "报告")
    if case == "still there":
        recorded.mkdir(parents=True)
    assert _moved([recorded], [now]) == [recorded]
