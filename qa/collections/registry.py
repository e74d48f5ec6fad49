"""Named collections: one index each under index_dir, one QAService each, one shared model.

    index_dir/<name>          the collection's index (symlink → its current build, see qa/index/store.py)
    index_dir/.<name>.lock    its writer lock (qa/index/lock.py): one writer at a time, across processes
    index_dir/<name>.files/   the files uploaded into it; citations of them read back from here

The default collection is the index `index_name` (the seeds unless configured otherwise), built from
`corpus` on first use exactly as before collections existed: an existing index folder is the default
collection as it stands, without a rebuild. Any other collection starts empty (its files folder
only) and holds what was ingested or uploaded into it.

In:  a name. Out: its QAService (`service`), its facts (`info` → CollectionInfo), the list (`names`).
A service notices a build another process swapped in (`qa ingest` from the shell): each `service`
call compares the symlink's target with the build it answers from (one readlink).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

from qa.config import Settings
from qa.errors import Conflict, CorruptIndex, EmptyCollection, InputError, NotFound
from qa.index.encoder import Encoder
from qa.index.lock import writer_lock
from qa.index.state import open_index
from qa.index.store import MANIFEST, hash_cache_path, read_manifest

__all__ = ["Collections", "CollectionInfo", "check_name", "NAME_PATTERN"]

# Letters (Chinese too), digits, _ and -, not starting with -; no dots, so a name never meets the files
# folder or a build. The same rule is in the OpenAPI schema (qa/web/schema.py).
NAME_PATTERN = r"^[\p{L}\p{N}_][\p{L}\p{N}_-]{0,63}$"


def _valid(name: str) -> bool:
    return 0 < len(name) <= 64 and name[0] != "-" and all(c in "_-" or unicodedata.category(c)[0] in "LN" for c in name)


# Scripts whose letters pass for one another's (аdmin with a Cyrillic а is not admin). Chinese,
# Japanese and Korean mix with Latin in ordinary names (AI政策); they are not counted.
_CONFUSABLE_SCRIPTS = {"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"}


def _scripts(name: str) -> set[str]:
    words = (unicodedata.name(c, "").split(" ", 1)[0] for c in name if c.isalpha())
    return {w for w in words if w in _CONFUSABLE_SCRIPTS}


def _fold(name: str) -> str:
    """NFKC (full-width ＡＢＣ is ABC, the same collection) where that keeps the name within the rule;
    else NFC where that does; else the name as given. So a name the schema's pattern accepts stays
    accepted: NFKC turns some letters into a letter and a sign the rule refuses (ŀ into l·, ﷺ into
    18 characters with spaces), and both forms split some letters into a letter and a
    combining mark (क़ into क and ◌़)."""
    for form in ("NFKC", "NFC"):
        folded = unicodedata.normalize(form, name)
        if _valid(folded):
            return folded
    return name


def check_name(name: object) -> str:
    """The collection's name in its one spelling (_fold). InputError for a name of other characters, or
    mixing look-alike scripts (Latin with Cyrillic …)."""
    folded = _fold(name) if isinstance(name, str) else name
    if not isinstance(folded, str) or not _valid(folded):
        raise InputError(
            f"知识库名称 {name!r} 无效：只能用文字、数字、_ 和 -，最长 64 个字符。/ Invalid collection name {name!r}: "
            "use letters (Chinese too), digits, _ and -, at most 64 characters."
        )
    if len(scripts := _scripts(folded)) > 1:
        raise InputError(
            f"知识库名称 {name!r} 混用了形近的文字（{'、'.join(sorted(scripts))}）。/ Collection name {name!r} mixes "
            f"look-alike scripts ({', '.join(sorted(scripts))}); write it in one."
        )
    return folded


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    default: bool
    documents: int  # articles in its index (0 while empty)
    passages: int
    files: int  # source files its index was built from
    built_at: str | None  # when its current build was written; None while it has none

    def to_dict(self) -> dict:
        return asdict(self)


class Collections:
    def __init__(self, settings: Settings, default_service=None, progress: bool = False, on_rebuild=None):
        """`default_service`: the QAService of the default collection when the caller has one already."""
        from qa.service import QAService

        self.settings = settings
        self.default = settings.index_name
        self.progress = progress
        self.on_rebuild = on_rebuild
        self.encoder = default_service.encoder if default_service else Encoder(settings)
        self._make = QAService
        self._services: dict[str, object] = {}
        self._builds: dict[str, str] = {}
        self._lock = threading.Lock()
        if default_service is not None:
            self._services[self.default] = default_service

    # -- where things are --------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        return self.settings.path(self.settings.index_dir)

    def index_path(self, name: str) -> Path:
        return self.folder / check_name(name)

    def files_dir(self, name: str) -> Path:
        return self.folder / f"{check_name(name)}.files"

    def settings_for(self, name: str) -> Settings:
        """The default collection keeps the configured corpus; any other has none but what was added."""
        name = check_name(name)
        if name == self.default:
            return self.settings
        return self.settings.replace(index_name=check_name(name), corpus="")

    # -- what exists ---------------------------------------------------------------------------
    def names(self) -> list[str]:
        """The default collection first, then the others by name."""
        found = set()
        if self.folder.is_dir():
            for entry in self.folder.iterdir():
                name = entry.name.removesuffix(".files")
                if not _valid(name):
                    continue
                if entry.name.endswith(".files") and entry.is_dir() or (entry / MANIFEST).exists():
                    found.add(name)
        found.discard(self.default)
        return [self.default, *sorted(found)]

    def exists(self, name: str) -> bool:
        name = check_name(name)
        return name == self.default or self.files_dir(name).is_dir() or (self.index_path(name) / MANIFEST).exists()

    def require(self, name: str | None) -> str:
        """The existing collection's name in its one spelling; NotFound otherwise. A name no collection
        could have (other characters, look-alike scripts) is not found either, as documented for reads:
        only creating one says why such a name is refused."""
        asked = name
        try:
            name = self.default if name is None else check_name(name)
        except InputError:
            name = None
        if name is None or not self.exists(name):
            name = asked
            raise NotFound(
                f"没有名为 {name!r} 的知识库。/ No collection {name!r}; GET /api/collections (or `qa collections`) "
                "lists them."
            )
        return name

    def has_index(self, name: str) -> bool:
        return (self.index_path(name) / MANIFEST).exists()

    def info(self, name: str) -> CollectionInfo:
        name = self.require(name)
        if name == self.default and not self.has_index(name):
            _ = self.service(name).index  # the default collection is built from `corpus` on first use
        try:
            m = read_manifest(self.index_path(name))
        except CorruptIndex:
            return CollectionInfo(name, name == self.default, 0, 0, 0, None)
        return CollectionInfo(
            name, name == self.default, m.get("articles", 0), m["passages"], len(m["sources"]), m.get("built_at")
        )

    # -- services -------------------------------------------------------------------------------
    def service(self, name: str | None = None):
        """The QAService answering from collection `name` (the default when None); NotFound when
        there is no such collection, and a clear error while it has no documents yet."""
        name = self.require(name)
        if name != self.default and not self.has_index(name):
            raise EmptyCollection(
                f"知识库 {name!r} 还没有文档：请先上传或用 qa ingest --collection {name} 添加。/ Collection "
                f"{name!r} has no documents yet; upload some or run `qa ingest --collection {name} PATH`."
            )
        with self._lock:
            svc = self._services.get(name)
            if svc is None:
                svc = self._make(self.settings_for(name), self.progress, self.on_rebuild, encoder=self.encoder)
                self._services[name] = svc
        self._follow_swaps(name, svc)
        return svc

    def _follow_swaps(self, name: str, svc) -> None:
        """Reopen a collection whose symlink another writer pointed at a new build."""
        try:
            target = os.readlink(self.index_path(name))
        except OSError:
            return  # not a symlink (a folder copied in by hand) or not built yet: the service opens it
        seen = self._builds.get(name)
        if seen == target:
            return
        if seen is not None:
            svc.use_index(open_index(svc.settings, svc.encoder, on_rebuild=self.on_rebuild))
        else:
            _ = svc.index
        self._builds[name] = target

    def adopt(self, name: str, index) -> None:
        """A build this process just swapped in: its service answers from it at once."""
        svc = self.service(name)
        svc.use_index(index)
        self._builds[name] = index.path.resolve().name

    # -- create and drop --------------------------------------------------------------------------
    def create(self, name: str, exist_ok: bool = False) -> CollectionInfo:
        """A new empty collection; Conflict when it exists, unless `exist_ok` (an upload creating the
        collection it goes to: two first uploads at once both land in it)."""
        name = check_name(name)
        if not exist_ok and self.exists(name):
            raise Conflict(f"知识库 {name!r} 已存在。/ Collection {name!r} exists already.")
        try:
            self.files_dir(name).mkdir(parents=True, exist_ok=exist_ok)  # one mkdir wins a race
        except FileExistsError:
            raise Conflict(f"知识库 {name!r} 已存在。/ Collection {name!r} exists already.") from None
        return CollectionInfo(name, name == self.default, 0, 0, 0, None)

    def drop(self, name: str) -> None:
        """Remove a collection: its index, its builds and its uploaded files (under its writer lock)."""
        name = self.require(name)
        if name == self.default:
            raise InputError(
                f"默认知识库 {name!r} 不能删除。/ The default collection {name!r} cannot be dropped; remove its "
                "documents instead."
            )
        path = self.index_path(name)
        with writer_lock(path, self.settings.lock_timeout):
            with self._lock:
                self._services.pop(name, None)
                self._builds.pop(name, None)
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
            build = re.compile(re.escape(f".{name}-") + r"\d{8}T\d{6}-\d+-\d+(\.tmp)?$")  # as store.py names them
            for old in self.folder.iterdir():
                if build.match(old.name):
                    shutil.rmtree(old, ignore_errors=True)
            hash_cache_path(path).unlink(missing_ok=True)
            shutil.rmtree(self.files_dir(name), ignore_errors=True)
