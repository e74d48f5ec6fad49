"""The command line of collections: `qa collections`, `qa remove`, and `--collection` on ask/verify/ingest.

A thin adapter over qa.collections; cli.py registers these commands and hands them over. Writes
(ingest, remove) are appended to the audit log as done by `cli:<user>`.
"""

from __future__ import annotations

import getpass
import json
import sys

from .collections import AuditLog, Collections, add_files, remove_documents

__all__ = ["add_parsers", "collections_for", "run", "ingest"]


def add_parsers(sub, common) -> None:
    listing = sub.add_parser("collections", parents=[common], help="list the collections with their counts")
    listing.add_argument("--json", action="store_true")
    remove = sub.add_parser("remove", parents=[common], help="remove documents (doc ids or files) from a collection")
    remove.add_argument("docs", nargs="+", help="doc_id (qa ask --json shows them) or the file as cited")


def collections_for(settings) -> Collections:
    return Collections(settings, progress=sys.stderr.isatty(), on_rebuild=lambda m: print(m, file=sys.stderr))


def _audit(settings, action: str, collection: str, files: list[str], result: str) -> None:
    AuditLog(settings.audit_path).write(f"cli:{getpass.getuser()}", action, collection, files, result)


def ingest(args, settings) -> dict:
    """`qa ingest --collection NAME PATH…`: the report of cli.py's ingest, for that collection."""
    registry = collections_for(settings)
    files = [str(p) for p in args.paths]
    try:
        report = add_files(registry, args.collection, [p.resolve() for p in args.paths])
    except Exception as exc:
        _audit(settings, "ingest", args.collection, files, f"failed: {getattr(exc, 'message', exc)}")
        raise
    _audit(settings, "ingest", args.collection, files, "unchanged" if report["unchanged"] else "done")
    return report


def run(args, settings) -> int:
    registry = collections_for(settings)
    if args.command == "collections":
        infos = [registry.info(name) for name in registry.names()]
        if args.json:
            print(json.dumps({"collections": [i.to_dict() for i in infos]}, ensure_ascii=False))
            return 0
        print(f"{'知识库':<20}{'文档':>6}{'段落':>8}{'文件':>6}  建于")
        for i in infos:
            mark = " (默认)" if i.default else ""
            print(f"{i.name + mark:<20}{i.documents:>8}{i.passages:>10}{i.files:>8}  {i.built_at or '—'}")
        return 0
    name = args.collection or registry.default
    try:
        result = remove_documents(registry, name, args.docs)
    except Exception as exc:
        _audit(settings, "remove", name, args.docs, f"failed: {getattr(exc, 'message', exc)}")
        raise
    _audit(settings, "remove", name, args.docs, f"done: {len(result['removed_docs'])} documents removed")
    for file in result["removed_files"]:
        print(f"已移出 {file}")
    print(
        f"已删除 {len(result['removed_docs'])} 篇文档；知识库 {name} 现有 {result['files']} 个文件，"
        f"{result['passages']} 个段落。"
    )
    return 0
