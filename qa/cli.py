"""The `qa` command line: a thin adapter over QAService. Plain Chinese for people, --json for scripts."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from .config import SETTINGS, Settings
from .errors import QAError

__all__ = ["main"]

EXAMPLES = """示例 / examples:
  qa ask "2020年度长三角地区主要领导座谈会在哪里举行？"
  qa ask - --json < questions.txt
  qa chat                      (follow-ups: 那第三项呢？ 他强调了什么？; /new starts over; Ctrl-D exits)
  qa verify "共同打造国际一流营商环境"
  qa ingest 文件夹/ 报告.txt
  qa ingest --collection 政策文件 通知.docx
  qa ask --collection 政策文件 "……"
  qa collections
  qa remove --collection 政策文件 通知-1
  qa eval seeds/questions.jsonl
  qa serve --port 7860
"""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", dest="index_name", help="index name inside the index folder (default: seeds)")
    common.add_argument("--index-dir", help="folder of built indexes (default: embeddings)")
    common.add_argument("--model", help="embedding model (default: the bundled multilingual-e5-small)")
    common.add_argument("--collection", help="collection (knowledge base) to use; default: the seeds (index_name)")
    common.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override any setting; `qa settings` lists them",
    )
    p = argparse.ArgumentParser(
        prog="qa",
        description="中文文档问答与引文核对（离线）",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", parents=[common], help="answer a question with cited passages")
    ask.add_argument("question", help="the question, or - to read one question per line from stdin")
    ask.add_argument("--top-k", type=int, help="number of passages (default 5)")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")

    sub.add_parser("chat", parents=[common], help="an interactive conversation with follow-up questions")

    verify = sub.add_parser("verify", parents=[common], help="check whether a quotation appears in the sources")
    verify.add_argument("quote", help="the quotation, or - to read one per line from stdin")
    verify.add_argument("--json", action="store_true", help="one JSON object per quotation")

    ingest = sub.add_parser(
        "ingest", parents=[common], help="add files or folders (txt md pdf docx pptx xlsx html) to the index"
    )
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="embed on a Ray cluster (pip install 'qa[ray]'): its address, or none for a local Ray instance",
    )

    ev = sub.add_parser("eval", parents=[common], help="Recall@k and MRR of keyword, dense and fused search")
    ev.add_argument("questions", type=Path, help='JSONL of {"question": ..., "gold": "a span of the source"}')
    ev.add_argument("--json", action="store_true")

    serve = sub.add_parser("serve", parents=[common], help="start the web chat, the JSON API and /embed")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--root-path", help="URL prefix behind a reverse proxy, e.g. /qa")
    serve.add_argument("--embed-origins", help="origins allowed to frame /embed, space-separated")

    sub.add_parser("settings", parents=[common], help="list every setting with its value and help")
    service = sub.add_parser("service", help="run `qa serve` under systemd: print or install its unit")
    service.add_argument("action", choices=("unit", "install"), help="unit: print the unit file; install: write it")
    service.add_argument("--user", default="qa", help="unprivileged user the server runs as (default: qa)")
    service.add_argument("--executable", help="the qa command to run (default: this venv's bin/qa)")
    service.add_argument("--env-file", default="/etc/qa/qa.env", help="settings file (default: /etc/qa/qa.env)")
    from .cli_collections import add_parsers

    add_parsers(sub, common)
    return p


def _settings(args) -> Settings:
    overrides = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            raise QAError(f"--set needs NAME=VALUE, got {item!r}.")
        overrides[name.strip()] = value
    for name in ("index_name", "index_dir", "model", "host", "port", "root_path", "embed_origins", "ray"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    settings = Settings.load(overrides)
    if settings.data_dir:  # citations name files relative to data_dir (qa/ingest/sources.py reads it from here)
        os.environ["QA_DATA_DIR"] = settings.data_dir
    return settings


def _lines(arg: str):
    if arg != "-":
        yield arg
        return
    for line in sys.stdin:
        line = line.rstrip("\n")
        if line.strip():
            yield line


def _print_answer(answer) -> None:
    from .chat.render import card_text, item_lines, short_answer_line

    print(f"问题：{answer.question}")
    lead = short_answer_line(answer)  # the answer reader's exact answer, where it found one
    if lead:
        print(lead)
    print(f"回答：{answer.answer}")
    if answer.answer_items:  # a list answer: every item numbered, with its card and file offsets
        print(f"共 {len(answer.answer_items)} 项：")
        print("\n".join(item_lines(answer)))
    for hit in answer.hits:
        c = hit.citation
        print(f"\n[{hit.rank}] {c.label()}  （{c.span_label()}，得分 {hit.score:.4f}）")
        print(f"    {card_text(hit, answer)}")
        if (sentence := hit.sentence_citation.label()) != c.label():  # a card over pages or paragraphs
            print(f"    划线句出处：{sentence}")
        for other in hit.also_in:
            print(f"    也见于：{other.label()}（{other.span_label()}）")
    print()


def _print_check(check) -> None:
    d = check.to_dict()
    print(f"引文：{d['quote']}")
    print(f"结论：{d['verdict']}  {d.get('message') or ''}".rstrip())
    for m in d["matches"]:
        print(f"  出处：{m['citation']}（{m['file']}:{m['start']}-{m['end']}，相似度 {m['similarity']:.2f}）")
        print(f"  原文：{m['source_text']}")
        if m.get("normalizations"):
            print(f"  规范化：{', '.join(m['normalizations'])}")
        changes = [seg for seg in m.get("diff", []) if seg["op"] != "equal"]
        for seg in changes:
            print(f"  差异：{seg['op']} 引文「{seg['quote']}」 原文「{seg['source']}」")
        for flag in m.get("flags", []):
            print(f"  ⚠ {flag['kind']}：引文「{flag['quote']}」 原文「{flag['source']}」")
    for part in d.get("parts", []):
        locs = "; ".join(m["citation"] for m in part["matches"])
        print(f"  片段「{part['quote']}」：{part['verdict']} {locs}")
    print()


def _service(args) -> int:
    from .systemd import UnitOptions, default_executable, install, unit_text

    opts = UnitOptions(args.executable or default_executable(), args.user, args.env_file)
    if args.action == "unit":
        print(unit_text(opts), end="")
        return 0
    for line in install(opts):
        print(line)
    return 0


def _run(args) -> int:
    if args.command == "service":
        return _service(args)
    settings = _settings(args)
    if args.command == "settings":
        for s in SETTINGS:
            value = getattr(settings, s.name)
            shown = ("'(set)'" if value else "''") if s.name.endswith("_token") else repr(value)  # never print a secret
            print(f"{s.name:20} = {shown:40}  {s.help}")
        return 0
    if args.command == "serve":
        from .web.api import serve

        serve(settings)
        return 0

    from .service import QAService

    # A build (ingest, or a first use / rebuild under any command) reports each step on stderr:
    # bars on a terminal, one line per step otherwise.
    logging.getLogger("qa").setLevel(logging.INFO)
    service = QAService(settings, progress=sys.stderr.isatty(), on_rebuild=lambda m: print(m, file=sys.stderr))
    from . import cli_collections

    if args.command in ("collections", "remove"):
        return cli_collections.run(args, settings)
    if getattr(args, "collection", None) and args.command != "ingest":
        service = cli_collections.collections_for(settings).service(args.collection)
    if args.command == "chat":
        from .chat.terminal import run_chat

        return run_chat(service)
    if args.command == "ingest":
        report = cli_collections.ingest(args, settings) if args.collection else service.ingest(args.paths)
        for file_report in report.get("file_reports", ()):
            print(file_report.line())  # one line per file: read (pages, passages, warnings) or why not
        if report.get("unchanged"):
            print(f"索引未变：{report['files']} 个文件、{report['passages']} 个段落都已是最新。")
        else:
            print(
                f"已建索引：{report['files']} 个文件，{report['passages']} 个段落"
                f"（新嵌入 {report['embedded']}，复用 {report['reused']}），用时 {report['seconds']} 秒。"
            )
        return 0
    if args.command == "eval":
        from .chat.evaluation import (
            evaluate_conversations,
            format_conversation_table,
            is_conversation_file,
            load_conversations,
        )
        from .evaluate import evaluate, format_table, load_questions

        if args.questions.exists() and is_conversation_file(args.questions):  # follow-up conversations
            results = evaluate_conversations(service.searcher, load_conversations(args.questions))
            print(
                json.dumps(results, ensure_ascii=False, indent=2)
                if args.json
                else format_conversation_table(
                    results,
                    f"{args.questions} ({results['with context']['all']['questions']} conversations, last turn)",
                )
            )
            return 0
        results = evaluate(service.searcher, load_questions(args.questions))
        if args.json:
            print(json.dumps(results, ensure_ascii=False, indent=2))
        else:
            print(format_table(results, f"{args.questions} ({results['fused']['questions']} questions)"))
        return 0

    failed = 0
    for text in _lines(args.question if args.command == "ask" else args.quote):
        try:
            result = service.ask(text, args.top_k) if args.command == "ask" else service.verify(text)
        except QAError as exc:
            if args.json and (args.question if args.command == "ask" else args.quote) == "-":
                key = "question" if args.command == "ask" else "quote"
                print(json.dumps({key: text, **exc.to_dict()}, ensure_ascii=False), flush=True)
                failed += 1
                continue
            raise
        if args.json:
            print(json.dumps(result.to_dict(), ensure_ascii=False), flush=True)
        elif args.command == "ask":
            _print_answer(result)
        else:
            _print_check(result)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except QAError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`qa ask … --json | head`): stop quietly. Python's own flush of
        # stdout at exit would raise again, so stdout is pointed at /dev/null first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
