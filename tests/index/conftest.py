"""A tiny real index (two short articles from the seeds), built once and copied per test.

Damage and failure tests each get their own copy of the corpus and the index (the manifest's
recorded paths rewritten to the copy; its file hashes do not cover the manifest itself), so a test
may damage either without a build of its own. Rebuilds load the model once: `tiny_encoder`.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from qa.config import Settings
from qa.index import record_file
from qa.index.store import Index
from qa.service import QAService
from tests.conftest import SEEDS

# The forum article: its lead says where the forum was held.
PLACE = "浙江湖州"
QUESTION = "第二届长三角一体化发展高层论坛在哪里举行？"
LEAD_QUOTE = "第二届长三角一体化发展高层论坛、长三角一体化(网上)创新成果展在浙江湖州举行"


def _tiny_texts() -> dict[str, str]:
    forum = (SEEDS / "000_ee36ff66a312e937.txt").read_text(encoding="utf-8")
    start = forum.index("共话高质量发展 共享一体化创新")
    end = forum.index("\n\n随后举行了", start)
    other = (SEEDS / "004_57879f32f046822d.txt").read_text(encoding="utf-8")
    cut = other.index("\n\n", 400)
    return {"forum.txt": forum[start:end] + "\n", "other.txt": other[:cut] + "\n"}


@dataclass
class Tiny:
    root: Path
    corpus: Path
    encoder: object

    @property
    def settings(self) -> Settings:
        return Settings.load({"corpus": str(self.corpus), "index_dir": str(self.root / "idx"), "index_name": "tiny"})

    @property
    def env(self) -> dict:
        """Environment for a `python -m qa` subprocess on this index."""
        return {"QA_CORPUS": str(self.corpus), "QA_INDEX_DIR": str(self.root / "idx"), "QA_INDEX_NAME": "tiny"}

    @property
    def index_path(self) -> Path:
        return self.root / "idx" / "tiny"

    @property
    def build(self) -> Path:
        return self.index_path.resolve()

    def service(self, messages: list | None = None):
        from qa.service import QAService

        svc = QAService(self.settings, on_rebuild=None if messages is None else messages.append)
        svc.encoder = self.encoder  # one loaded model for every rebuild in the session
        return svc


@pytest.fixture(scope="session")
def tiny_encoder():
    from qa.index.encoder import Encoder

    return Encoder(Settings.load())


@pytest.fixture(scope="session")
def tiny_built(tmp_path_factory, tiny_encoder) -> Tiny:
    root = tmp_path_factory.mktemp("tiny")
    corpus = root / "docs"
    corpus.mkdir()
    for name, text in _tiny_texts().items():
        (corpus / name).write_text(text, encoding="utf-8")
    tiny = Tiny(root, corpus, tiny_encoder)
    _ = tiny.service().index
    return tiny


@pytest.fixture()
def tiny(tmp_path, tiny_built) -> Tiny:
    """A private copy of the tiny corpus and its index. Citations keep the original file names (they
    are labels, inside hashed files); the manifest maps each name to the copy's path."""
    root = tmp_path / "tiny"
    shutil.copytree(tiny_built.root, root, symlinks=True)
    manifest = root / "idx" / "tiny" / "manifest.json"
    m = json.loads(manifest.read_text(encoding="utf-8"))
    old, new = str(tiny_built.root), str(root)
    m["inputs"] = [p.replace(old, new) for p in m["inputs"]]
    for s in m["sources"]:
        s["path"] = s["path"].replace(old, new)
    manifest.write_text(json.dumps(m, ensure_ascii=False, indent=2), encoding="utf-8")
    (root / "idx" / ".tiny.hashes.json").unlink(missing_ok=True)
    return Tiny(root, root / "docs", tiny_built.encoder)


@pytest.fixture(scope="session")
def on_disk(service, tmp_path_factory):
    """The seeds index opened as a large one would be: every records file read on demand. A copy of its
    own: the session's service maps the same files, and what its requests read must not count here."""
    _ = service.index
    folder = tmp_path_factory.mktemp("on-disk") / "seeds"
    shutil.copytree(Path(service.index.path).resolve(), folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(record_file, "IN_MEMORY_BYTES", 0)
        index = Index.load(folder)
    svc = QAService(service.settings)
    svc.encoder = service.encoder
    svc.use_index(index)
    return svc


@pytest.fixture(scope="session")
def on_disk_index(on_disk):
    return on_disk.index
