"""Collections: several named knowledge bases, changed while they are being served.

In:  collection names, uploaded files, documents to remove.
Out: one QAService per collection (each its own index folder and manifest under index_dir), background
     jobs that build and swap in a collection's new index, and an audit log of every write.

    registry.py  names → index folders, files folders and QAServices (one shared model); create, drop
    sniff.py     an upload's type from its bytes, and a safe name to store it under
    changes.py   store an upload, add files, remove documents: under the collection's writer lock
    jobs.py      background jobs, one at a time per collection, their state on disk; orphans of a killed
                 server failed
    audit.py     the audit log (JSONL): time, client, action, collection, files, result
"""

from .audit import AuditLog
from .changes import StoredFile, add_files, remove_documents, store_upload
from .jobs import Job, JobFile, Jobs
from .registry import CollectionInfo, Collections, check_name

__all__ = [
    "AuditLog",
    "CollectionInfo",
    "Collections",
    "Job",
    "JobFile",
    "Jobs",
    "StoredFile",
    "add_files",
    "check_name",
    "remove_documents",
    "store_upload",
]
