"""Retrieval and layout on the evaluation corpus that is unlike the seeds (bench/eval_corpus.py).

    python bench/eval_corpus.py && python bench/generality.py             # tuning questions
    python bench/generality.py --heldout                                  # also the held-out questions (run once)
    python bench/generality.py --english bench/english_cmrc.jsonl         # English questions over the CMRC articles
    python bench/generality.py --no-tuning --sweep                        # the tuned settings, here and on the seeds
    python bench/generality.py --no-tuning --crosslang bench/english_cmrc.jsonl   # ways to help English questions

The corpus goes through the same path as `qa ingest` (sources, layout, passages, index) into its own
index (bench/eval_corpus/index by default, so unchanged text is not embedded twice). Printed: what
the layout did (articles, repairs, grouped passages, boilerplate left in passages, short lines left out),
then R@1/R@5/R@20/MRR@10 per retriever and by kind of question.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.errors import QAError  # noqa: E402
from qa.evaluate import evaluate, format_table, load_questions, relevant_ids  # noqa: E402
from qa.service import QAService  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from retrieval import _by_kind as by_kind  # noqa: E402  (one per-kind table for both benches)

# Lines a web page adds around the story; none of them should be (the bulk of) a passage.
BOILERPLATE = re.compile(
    r"^(首页|网站首页|登录 注册)|分享到|^分享：|扫一扫|【打印】|^责任编辑|Copyright ©|版权所有|"
    r"^[A-Z][a-z]{2} \d{1,2}, \d{4} \.\.\."
)


def _strip(results: dict) -> dict:
    return {m: {k: v for k, v in r.items() if k != "misses"} for m, r in results.items()}


def layout_report(service: QAService, corpus: Path) -> None:
    index = service.index
    files = {p.citation.file for p in index.passages} | {a.file for a in index.articles}
    passages = index.passages
    grouped = [p for p in passages if p.duplicate_of is not None]
    with_boiler = [p for p in passages if any(BOILERPLATE.search(line) for line in p.text.split("\n"))]
    snippet = [p for p in passages if re.match(r"^[A-Z][a-z]{2} \d{1,2}, \d{4} \.\.\.", p.text)]
    indexed_spans = {(p.citation.file, s, e) for p in passages for s, e in p.pieces}
    short_missing = 0
    short_total = 0
    for a in index.articles:
        for para in a.paragraphs:
            if len(para.text) <= 60 and not BOILERPLATE.search(para.text):
                short_total += 1
                if not any((a.file, s, e) in indexed_spans for s, e in para.pieces) and not any(
                    para.text in p.text for p in passages if p.citation.file == a.file
                ):
                    short_missing += 1
    sims = [c.similarity for p in passages for c in p.also_in if hasattr(c, "similarity")]
    print(f"### Layout on {corpus} ({len(files)} files)\n")
    print(f"- articles: {len(index.articles)} (one per file expected: {len({a.file for a in index.articles})} files)")
    print(f"- page-break repairs: {len(index.manifest.get('repairs', []))}")
    for r in index.manifest.get("repairs", [])[:10]:
        print(f"    {r}")
    print(f"- passages: {len(passages)}; grouped as repeats: {len(grouped)}")
    if sims:
        print(f"- also_in entries: {len(sims)}, lowest similarity {min(sims):.3f}")
    print(f"- passages holding boilerplate lines: {len(with_boiler)} (of which snippet-date prefixes: {len(snippet)})")
    print(f"- short non-boilerplate paragraphs (≤ 60 chars) in no passage: {short_missing} of {short_total}\n")


def run(service: QAService, path: Path, title: str, show_misses: bool) -> dict:
    questions = load_questions(path)
    results = evaluate(service.searcher, questions)
    print(format_table(_strip(results), f"{title} ({len(questions)} questions)"))
    print()
    by_kind(service, questions)
    if show_misses:
        for q in results["fused"]["misses"]:
            print(f"  fused miss@1: {q}")
        print()
    return results


class _QueryCache:
    """Encoder stand-in that embeds each question once across the sweep."""

    def __init__(self, encoder):
        self.encoder = encoder
        self.vectors: dict[str, object] = {}

    def encode_queries(self, texts):
        import numpy as np

        todo = [t for t in texts if t not in self.vectors]
        if todo:
            self.vectors.update(zip(todo, self.encoder.encode_queries(todo)))
        return np.stack([self.vectors[t] for t in texts])


def _without_lead(index):
    """The same index with a keyword index built without the article lead in each passage's text."""
    import dataclasses

    from qa.index.retrievers import KeywordIndex
    from qa.index.views import keyword_text

    params = index.keyword.params
    texts = [keyword_text(dataclasses.replace(p, context="")) for p in index.passages]
    keyword = KeywordIndex.build(texts, params["mode"], params["k1"], params["b"])
    return dataclasses.replace(index, keyword=keyword)


def sweep(service: QAService, path: Path, title: str) -> None:
    """Fused R@1 / R@5 / MRR@10 with each tuned setting varied alone, on these questions."""
    from qa.search.hybrid import Searcher

    questions = load_questions(path)
    encoder = _QueryCache(service.encoder)
    base = service.settings
    plain = _without_lead(service.index)
    grid = [("shipped", {}, service.index)]
    grid += [(f"dense_weight={w}", {"dense_weight": w}, service.index) for w in (0.3, 0.5, 0.6)]
    grid += [(f"keyword_confident_at={c}", {"keyword_confident_at": c}, service.index) for c in (0.0, 0.6, 1.0)]
    grid += [("year_penalty=0", {"year_penalty": 0.0}, service.index)]
    grid += [("lead not in keyword text", {}, plain)]
    # Where each gold stands is the same in every run (the passages are): found once, not once per row.
    gold = {q["question"]: relevant_ids(q["gold"], service.index.passages, service.index.articles) for q in questions}
    print(f"### Settings on {title} ({len(questions)} questions, fused)\n")
    print("| settings | R@1 | R@5 | MRR@10 |")
    print("|---|---|---|---|")
    for label, change, index in grid:
        searcher = Searcher(index, encoder, base.replace(**change))
        m = evaluate(searcher, questions, ("fused",), relevant=lambda q: gold[q["question"]])["fused"]
        print(f"| {label} | {m['R@1']:.4f} | {m['R@5']:.4f} | {m['MRR@10']:.4f} |", flush=True)
    print()


def crosslang(service: QAService, path: Path) -> None:
    """English questions, fused, with each way of giving them Chinese keywords: none (names only), the
    seeds' hand-written glossary, pinyin names, and fusion weighted toward dense."""
    from qa.search.glossary import Glossary
    from qa.search.hybrid import Searcher

    questions = load_questions(path)
    encoder = _QueryCache(service.encoder)
    base = service.settings
    seed_glossary = Glossary.read([ROOT / "seeds" / "glossary.tsv"])
    none = Glossary()
    grid = [("dense alone", none, {}, "dense")]
    grid += [("names only (no glossary, no pinyin)", none, {"pinyin_names": False}, "fused")]
    grid += [("seed glossary (the previous default)", seed_glossary, {"pinyin_names": False}, "fused")]
    grid += [("pinyin names", none, {}, "fused")]
    grid += [("pinyin names + seed glossary", seed_glossary, {}, "fused")]
    for w in (0.6, 0.8):
        grid += [(f"names only, dense_weight={w}", none, {"pinyin_names": False, "dense_weight": w}, "fused")]
        grid += [(f"pinyin names, dense_weight={w}", none, {"dense_weight": w}, "fused")]
    index = service.index
    gold = {q["question"]: relevant_ids(q["gold"], index.passages, index.articles) for q in questions}
    print(f"### English questions, ways to add Chinese keywords ({path.name}, {len(questions)} questions)\n")
    print("| method | R@1 | R@5 | MRR@10 |")
    print("|---|---|---|---|")
    for label, glossary, change, mode in grid:
        searcher = Searcher(index, encoder, base.replace(**change), glossary)
        m = evaluate(searcher, questions, (mode,), relevant=lambda q: gold[q["question"]])[mode]
        print(f"| {label} | {m['R@1']:.4f} | {m['R@5']:.4f} | {m['MRR@10']:.4f} |", flush=True)
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT / "bench" / "eval_corpus")
    ap.add_argument("--index-dir", type=Path, default=ROOT / "bench" / "eval_corpus" / "index")
    ap.add_argument("--heldout", action="store_true", help="also the held-out questions (never used for tuning)")
    ap.add_argument("--english", type=Path, help="English questions over the CMRC articles")
    ap.add_argument("--no-tuning", action="store_true", help="skip the tuning questions")
    ap.add_argument("--misses", action="store_true", help="print the fused misses")
    ap.add_argument("--sweep", action="store_true", help="fused figures with each tuned setting varied (also seeds)")
    ap.add_argument("--crosslang", type=Path, help="English questions: compare ways of adding Chinese keywords")
    args = ap.parse_args()
    corpus = args.corpus.resolve()
    settings = Settings.load(
        {
            "corpus": f"{corpus / 'plain'},{corpus / 'web'}",
            "index_dir": str(args.index_dir.resolve()),
            "index_name": "eval",
        }
    )
    if not (corpus / "plain").is_dir():
        sys.exit(f"No evaluation corpus at {corpus}: make it first with `python bench/eval_corpus.py`.")
    started = time.monotonic()
    try:
        service = QAService(settings)
        _ = service.index
    except QAError as e:  # an unreadable corpus or index: the same message `qa` gives, not a traceback
        sys.exit(str(e))
    print(f"(index ready in {time.monotonic() - started:.0f} s)\n")
    layout_report(service, corpus)
    if not args.no_tuning:
        run(service, corpus / "questions.jsonl", "eval corpus, tuning questions", args.misses)
    if args.heldout:
        run(service, corpus / "heldout.jsonl", "eval corpus, held-out questions", args.misses)
    if args.english:
        run(service, args.english, "English questions over CMRC articles", args.misses)
    if args.sweep:
        sweep(service, corpus / "questions.jsonl", "the eval corpus, tuning questions")
        seeds = QAService(Settings.load())
        sweep(seeds, ROOT / "seeds" / "questions.jsonl", "the seeds")
    if args.crosslang:
        crosslang(service, args.crosslang)


if __name__ == "__main__":
    main()
