"""The exception hierarchy of qa: domain errors raised by the core, translated at the edges.

    QAError                      base class; `.code` is a stable machine-readable name
    ├── InputError               the user's question, quote or option is unusable (HTTP 400/422)
    │   ├── EmptyInput
    │   └── InputTooLong
    ├── SourceError              a file to ingest cannot be read
    │   ├── SourceNotFound
    │   ├── UndecodableSource
    │   └── EmptyCorpus          the sources hold no text to index (empty or punctuation only)
    ├── IndexError_              the index on disk is missing, stale or damaged
    │   ├── CorruptIndex         damaged: files fail their recorded hashes, or a citation its source
    │   ├── IndexBusy            another process holds the index's write lock past lock_timeout
    │   └── IndexWriteError      a build cannot be written (disk full, read-only folder)
    ├── NotFound                 an id (document, passage, collection, job) does not exist (HTTP 404)
    ├── Unauthorized             no token or a wrong one (HTTP 401)
    │   └── TooManyAttempts      too many wrong tokens from one address: wait (HTTP 429)
    ├── Forbidden                writing without admin_token from another machine (HTTP 403)
    │   └── CrossOrigin          a state-changing request sent by a page of another origin (HTTP 403)
    ├── Conflict                 the request clashes with what exists (a collection name taken, HTTP 409)
    └── ModelError               the embedding model cannot be loaded

Every message says what happened and what to do next.
"""

from __future__ import annotations

__all__ = [
    "QAError",
    "InputError",
    "EmptyInput",
    "InputTooLong",
    "SourceError",
    "SourceNotFound",
    "UndecodableSource",
    "EmptyCorpus",
    "IndexError_",
    "CorruptIndex",
    "IndexOfAnotherVersion",
    "IndexBusy",
    "IndexWriteError",
    "NotFound",
    "EmptyCollection",
    "Unauthorized",
    "TooManyAttempts",
    "Forbidden",
    "CrossOrigin",
    "Conflict",
    "ModelError",
]


class QAError(Exception):
    """Base of every error qa raises on purpose."""

    code = "qa_error"
    http_status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class InputError(QAError):
    code = "invalid_input"
    http_status = 422


class EmptyInput(InputError):
    code = "empty_input"


class InputTooLong(InputError):
    code = "input_too_long"


class SourceError(QAError):
    code = "source_error"
    http_status = 422


class SourceNotFound(SourceError):
    code = "source_not_found"
    http_status = 404


class UndecodableSource(SourceError):
    code = "undecodable_source"


class EmptyCorpus(SourceError):
    code = "empty_corpus"


class IndexError_(QAError):  # trailing underscore: do not shadow the builtin IndexError
    code = "index_error"
    http_status = 503


class CorruptIndex(IndexError_):
    code = "corrupt_index"


class IndexOfAnotherVersion(CorruptIndex):
    """Whole, but written by a qa with another index format: rebuilt like a damaged one, said as it is."""


class IndexBusy(IndexError_):
    code = "index_busy"


class IndexWriteError(IndexError_):
    code = "index_write_error"


class NotFound(QAError):
    code = "not_found"
    http_status = 404


class EmptyCollection(NotFound):
    """A collection that exists but has no documents yet: nothing to answer from."""

    code = "empty_collection"


class Unauthorized(QAError):
    code = "unauthorized"
    http_status = 401


class TooManyAttempts(Unauthorized):
    code = "too_many_attempts"
    http_status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class Forbidden(QAError):
    code = "forbidden"
    http_status = 403


class CrossOrigin(Forbidden):
    code = "cross_origin"


class Conflict(QAError):
    code = "conflict"
    http_status = 409


class ModelError(QAError):
    code = "model_error"
    http_status = 503
