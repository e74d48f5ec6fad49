"""Is the answer itself on the page? Answer figures on CMRC 2018, DRCD, noisy corpora and the seeds.

    python bench/answers.py                     # CMRC dev, DRCD dev, noisy, news and xquad-zh (tuning parts),
                                                # seeds, no-answer sets
    python bench/answers.py --heldout           # also the held-out parts (run them once)
    python bench/answers.py --corpora noisy-drcd --dump /tmp/misses.jsonl

Figures per corpus, over what `qa ask` returns (the same Searcher and extractive answer):
    R@1         the first card is a passage that holds the gold answer where the question's gold
                passage has it (CMRC/DRCD: the positive passage; noisy: its excerpt that holds the
                answer; seeds: the gold span where it stands)
    in card     a gold answer string is inside the first card's text
    in light    … inside the first card's highlighted sentence
    in 回答     … inside the extractive answer (回答)
    short EM    the short answer is a gold answer; for a list answer (no short answer: its items are the
                answer), its items are the parts of a gold answer that is a series ("A、B和C等" → A, B, C)
    no answer   share of questions answered with "no passage answers this" (on answerable sets: false
                no-answers; on the unanswerable sets, seeds/unanswerable_questions.jsonl and its
                held-out part seeds/unanswerable_heldout.jsonl, and bench/unanswerable/: true ones)

The noisy corpus: every CMRC 2018 dev and DRCD dev paragraph cut at sentence ends into short excerpts
(about 60-160 characters), each its own passage under its article's title, so a question's sibling
excerpts are on its topic and most of them do not hold its answer, as in a collection of short news
excerpts on few topics. A question is kept when one excerpt of its gold paragraph holds a gold answer.
Articles whose title hashes to 0 mod 4 are held out (`--heldout`), never used to choose settings.
Embeddings are cached in bench/cache/ like bench/retrieval.py's. The corpora news, xquad-zh and
unanswerable-heldout (held out; only with --heldout) are built in bench/own_corpora.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from own_corpora import OWN_CORPORA, own_sets, passages_index, train_tune_rows  # noqa: E402
from retrieval import BENCH, CachedQueries, _read_jsonl, public_index  # noqa: E402

from qa.config import Settings  # noqa: E402
from qa.evaluate import load_questions, relevant_ids  # noqa: E402
from qa.index.encoder import Encoder  # noqa: E402
from qa.index.store import Index  # noqa: E402
from qa.records import Citation, Passage  # noqa: E402
from qa.search import answer as answer_module  # noqa: E402
from qa.search.hybrid import Searcher  # noqa: E402
from qa.search.lists import ListSearch  # noqa: E402
from qa.search.query import analyse  # noqa: E402
from qa.service import QAService  # noqa: E402
from qa.text import content_key, sentence_spans  # noqa: E402

EXCERPT_MIN, EXCERPT_MAX = 60, 160


def key(text: str) -> str:
    """What "the answer is inside" compares: normalised (simplified), without punctuation or spaces."""
    return content_key(text)


def excerpts(text: str) -> list[str]:
    """`text` cut at sentence ends into pieces of about EXCERPT_MIN-EXCERPT_MAX characters."""
    out: list[str] = []
    start = None
    spans = sentence_spans(text)
    for i, (s, e) in enumerate(spans):
        start = s if start is None else start
        if e - start >= EXCERPT_MIN or i == len(spans) - 1 or e - start + (spans[i + 1][1] - e) > EXCERPT_MAX:
            out.append(text[start:e])
            start = None
    return out


def held_out(title: str) -> bool:
    return int(hashlib.sha256(title.encode("utf-8")).hexdigest()[:8], 16) % 4 == 0


def noisy_index(dataset: str, settings: Settings, encoder: Encoder) -> tuple[Index, list[dict]]:
    """The dev split of `dataset` as short excerpts; its questions with the excerpt ids that answer them."""
    if dataset == "cmrc2018-train-tune":
        folder, rows, question_rows = train_tune_rows()
    else:
        folder = BENCH / dataset
        rows = _read_jsonl(folder / "passages.jsonl")
        question_rows = _read_jsonl(folder / "questions.jsonl")
    return excerpt_index(folder, f"noisy-{dataset}", rows, question_rows, settings, encoder)


def excerpt_index(folder: Path, name: str, rows: list[dict], question_rows: list[dict], settings, encoder):
    """Passage rows (id, title, text) cut into excerpts and indexed as `noisy_index` describes; the
    question rows (question, answers, positive_ids) kept where an excerpt of their paragraph answers,
    with those excerpts' ids (`pos`) and whether their article is held out."""
    passages: list[Passage] = []
    of_paragraph: dict[str, list[int]] = {}
    for r in rows:
        for n, piece in enumerate(excerpts(r["text"]), start=1):
            pid = len(passages)
            at = r["text"].find(piece)
            cite = Citation(
                f"{r['id']}#{n}", str(folder / "passages.jsonl"), r["title"], None, None, 1, at, at + len(piece)
            )
            passages.append(Passage(pid, cite, piece, r["title"], ((at, at + len(piece)),)))
            of_paragraph.setdefault(r["id"], []).append(pid)
    title_of = {r["id"]: r["title"] for r in rows}
    index = passages_index(name, folder, passages, settings, encoder)
    questions = []
    for q in question_rows:
        if not q["question"].strip():
            continue
        gold = q["positive_ids"][0]
        answers = [key(a) for a in q["answers"] if key(a)]
        pos = {pid for pid in of_paragraph[gold] if any(a in key(passages[pid].text) for a in answers)}
        if pos:
            questions.append({**q, "pos": pos, "heldout": held_out(title_of[gold])})
    return index, questions


def public_rows(dataset: str, settings: Settings, encoder: Encoder) -> tuple[Index, list[dict]]:
    index, questions = public_index(dataset, settings, encoder)
    pid_of = {p.doc_id: p.id for p in index.passages}
    return index, [{**q, "pos": {pid_of[x] for x in q["positive_ids"]}} for q in questions]


_SERIES_SPLIT = re.compile(r"、|，|,|以及|和|及|与")


def lists_match(items, answers: list[str]) -> bool:
    """Do a list answer's items say a gold answer (as written: `answers` unkeyed) that is a series, part
    for part, in order?"""
    if not items:
        return False
    got = [key(i.text) for i in items]
    for answer in answers:
        parts = [key(p) for p in _SERIES_SPLIT.split(answer.strip().removesuffix("等等").removesuffix("等"))]
        parts = [p for p in parts if p]
        if len(parts) == len(got) and all(p in g or g in p for p, g in zip(parts, got)):
            return True
    return False


def is_no_answer(text: str) -> bool:
    return text.startswith((answer_module.NO_ANSWER, answer_module.NO_DIRECT_ANSWER))


MISS_KINDS = ("neighbouring excerpt", "same paragraph", "same article", "another article")


def where_missed(passages: list[Passage], first: int, pos: set[int]) -> str:
    """Where the first card stands relative to the excerpts that answer (noisy corpus only: its
    doc ids are "paragraph id#excerpt number"): next to one of them in the same paragraph, elsewhere
    in that paragraph, in another paragraph of the article (same title), or in another article."""
    para, _, n = passages[first].doc_id.rpartition("#")
    answering = [passages[p].doc_id.rpartition("#") for p in pos]
    if any(a == para and abs(int(m) - int(n)) == 1 for a, _, m in answering):
        return MISS_KINDS[0]
    if any(a == para for a, _, _ in answering):
        return MISS_KINDS[1]
    if any(passages[p].heading == passages[first].heading for p in pos):
        return MISS_KINDS[2]
    return MISS_KINDS[3]


def figures(searcher: Searcher, rows: list[dict], top_k: int, dump=None, name: str = "", rows_out=None) -> dict:
    """The answer figures (module docstring) over `rows`: each has question, answers, pos (ids)."""
    counts = dict.fromkeys(("R@1", "in card", "in light", "in 回答", "no answer", "short EM", "short in"), 0)
    missed = dict.fromkeys(MISS_KINDS, 0)
    noisy = name.startswith("noisy")
    times = []
    for row in rows:
        started = time.perf_counter()
        question = analyse(row["question"])  # once, as QAService.ask does
        # As `qa ask` answers (QAService.ask): a list question is answered with its list, its passages first.
        listed = ListSearch(searcher, question, lambda q=question: searcher.search(q, top_k), top_k)
        hits = listed()
        extracted, short = answer_module.reply(hits, question, searcher.settings, listing=listed.run)
        reply = extracted.text
        times.append((time.perf_counter() - started) * 1000)
        answers = [key(a) for a in row["answers"] if key(a)]
        first = hits[0] if hits else None
        got = {
            "R@1": bool(first and first.passage.id in row["pos"]),
            "in card": bool(first and any(a in key(first.passage.text) for a in answers)),
            "in light": bool(first and any(a in key(first.highlighted_sentence) for a in answers)),
            "in 回答": any(a in key(reply) for a in answers),
            "no answer": is_no_answer(reply),
            "short EM": bool(short and key(short.text) in answers) or lists_match(extracted.items, row["answers"]),
            "short in": bool(
                short and any(a in key(short.text) or key(short.text) in a for a in answers if key(short.text))
            ),
        }
        for k, v in got.items():
            counts[k] += v
        if rows_out is not None:
            rows_out.write(
                json.dumps({"question": row["question"], "short": short and short.text, **got}, ensure_ascii=False)
                + "\n"
            )
        if noisy and first and not got["R@1"]:
            missed[where_missed(searcher.index.passages, first.passage.id, row["pos"])] += 1
        if dump is not None and not (got["R@1"] and got["in 回答"]):
            top = [
                {"text": h.passage.text, "light": h.highlighted_sentence, "ok": h.passage.id in row["pos"]}
                for h in hits[:3]
            ]
            dump.write(
                json.dumps(
                    {
                        "corpus": name,
                        "question": row["question"],
                        "answers": row["answers"],
                        **got,
                        "answer": reply,
                        "top": top,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    n = len(rows) or 1
    out = {k: v / n for k, v in counts.items()}
    out["n"] = len(rows)
    if noisy:
        out["missed"] = missed
    out["p50 ms"] = statistics.median(times) if times else 0.0
    return out


def sweep_features(searcher: Searcher, rows: list[dict]) -> list[dict]:
    """Per question, the first rerank_depth fused candidates (no second stage) with each sentence's
    evidence parts, so that weights can be compared without searching again."""
    s = searcher.settings
    plain = Searcher(searcher.index, searcher.encoder, s.replace(rerank_depth=0), searcher.glossary)
    out = []
    for row in rows:
        question = analyse(row["question"])
        qvec = plain.embed_question(question)
        ranked, added = plain._rank(question, "fused", s.rerank_depth, qvec)
        asked = plain.evidence.question(question, added)
        answers = [key(a) for a in row["answers"] if key(a)]
        cands = []
        for r in ranked:
            text = searcher.index.passages[r.pid].text
            sents = plain.evidence.sentences(asked, r.pid, qvec)
            cands.append(
                {
                    "fused": r.score,
                    "pos": r.pid in row["pos"],
                    "card": any(a in key(text) for a in answers),
                    "feats": np.array([[f.evidence.dense, f.evidence.coverage, float(f.evidence.cue)] for f in sents]),
                    "light": [any(a in key(text[f.span[0] : f.span[1]]) for a in answers) for f in sents],
                }
            )
        out.append({"cands": cands})
    return out


def sweep_score(features: list[dict], weights: np.ndarray) -> dict:
    """R@1, answer in first card and in its best sentence, with final = fused + feats @ weights (max over sentences)."""
    r1 = card = light = 0
    for q in features:
        best, best_score, best_sentence = None, -1e9, 0
        for c in q["cands"]:
            scores = c["feats"] @ weights if len(c["feats"]) else np.zeros(1)
            i = int(np.argmax(scores))
            total = c["fused"] + float(scores[i])
            if total > best_score:
                best, best_score, best_sentence = c, total, i
        if best is not None:
            r1 += best["pos"]
            card += best["card"]
            light += best["light"][best_sentence] if best["light"] else 0
    n = len(features) or 1
    return {"R@1": r1 / n, "in card": card / n, "in light": light / n}


def run_sweep(named: dict[str, tuple[Searcher, list[dict]]]) -> None:
    grid = [
        np.array([a, b, c]) for a in (0.0, 0.25, 0.5, 1.0) for b in (0.0, 0.1, 0.25, 0.5) for c in (0.0, 0.05, 0.1, 0.2)
    ]
    feats = {}
    for name, (searcher, rows) in named.items():
        started = time.monotonic()
        feats[name] = sweep_features(searcher, rows)
        print(f"  features of {name}: {time.monotonic() - started:.0f} s", file=sys.stderr)
    results = []
    for w in grid:
        per = {name: sweep_score(f, w) for name, f in feats.items()}
        results.append((w, per))
    names = list(feats)
    print("| dense, coverage, cue | " + " | ".join(f"{n} R@1 / card / light" for n in names) + " |")
    print("|---" * (len(names) + 1) + "|")
    noisy = [n for n in names if n.startswith("noisy")] or names
    results.sort(key=lambda wp: -sum(wp[1][n]["R@1"] + wp[1][n]["in card"] for n in noisy))
    for w, per in results[:25] + [wp for wp in results if not wp[0].any()]:
        cells = " | ".join(f"{per[n]['R@1']:.4f} / {per[n]['in card']:.4f} / {per[n]['in light']:.4f}" for n in names)
        print(f"| {', '.join(f'{x:g}' for x in w)} | {cells} |")


def seeds_rows(service: QAService, file: str) -> list[dict]:
    index = service.index
    rows = []
    for q in load_questions(ROOT / "seeds" / file):
        rows.append({**q, "answers": [q["gold"]], "pos": relevant_ids(q["gold"], index.passages, index.articles)})
    return rows


def unanswerable_rows(file: str = "unanswerable_questions.jsonl") -> list[dict]:
    path = ROOT / "seeds" / file
    if not path.exists():
        return []
    return [{"question": r["question"], "answers": [], "pos": set()} for r in _read_jsonl(path)]


def table(results: dict) -> str:
    lines = [
        "| corpus | questions | R@1 | answer in first card | in highlight | in 回答 | short answer EM | no answer "
        "| search+answer p50 |"
    ]
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for name, m in results.items():
        lines.append(
            f"| {name} | {m['n']} | {m['R@1']:.4f} | {m['in card']:.4f} | {m['in light']:.4f} | {m['in 回答']:.4f} "
            f"| {m['short EM']:.4f} | {m['no answer']:.4f} | {m['p50 ms']:.1f} ms |"
        )
    return "\n".join(lines)


def misses_table(results: dict) -> str:
    """Where the first card stands when it is not an answering excerpt (noisy corpus), as a share of
    all the set's questions."""
    lines = ["| first card missed, it is | " + " | ".join(MISS_KINDS) + " |", "|---" * (len(MISS_KINDS) + 1) + "|"]
    for name, m in results.items():
        if "missed" in m:
            cells = " | ".join(f"{m['missed'][k] / (m['n'] or 1):.4f}" for k in MISS_KINDS)
            lines.append(f"| {name} | {cells} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--corpora",
        default="cmrc2018,drcd,noisy-cmrc2018,noisy-drcd,news,xquad-zh,seeds,unanswerable,unanswerable-heldout",
    )
    ap.add_argument("--heldout", action="store_true", help="also the held-out parts (run them once)")
    ap.add_argument("--heldout-only", action="store_true", help="the noisy and news corpora's held-out parts alone")
    ap.add_argument("--limit", type=int, help="first N questions of each set")
    ap.add_argument("--dump", type=Path, help="write each question the first card or 回答 misses here (JSONL)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument("--rows", type=Path, help="write every question's figures and short answer here (JSONL)")
    ap.add_argument("--sweep", action="store_true", help="compare evidence weights on the tuning sets (no held-out)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a setting for this run")
    args = ap.parse_args()
    settings = Settings.load(dict(kv.split("=", 1) for kv in args.set))
    encoder = Encoder(settings)
    dump = args.dump.open("w", encoding="utf-8") if args.dump else None
    rows_out = args.rows.open("w", encoding="utf-8") if args.rows else None
    results: dict[str, dict] = {}
    service = None
    to_sweep: dict[str, tuple[Searcher, list[dict]]] = {}
    for name in args.corpora.split(","):
        started = time.monotonic()
        if name in ("seeds", "unanswerable"):
            service = service or QAService(settings)
            searcher = service.searcher
            sets = {"seeds": seeds_rows(service, "questions.jsonl")} if name == "seeds" else {}
            if name == "seeds" and args.heldout:
                sets["seeds held out"] = seeds_rows(service, "heldout_questions.jsonl")
            if name == "unanswerable":
                sets["seeds, unanswerable (want: no answer)"] = unanswerable_rows()
                if args.heldout:
                    sets["seeds, unanswerable, held out"] = unanswerable_rows("unanswerable_heldout.jsonl")
        elif name.startswith("noisy-"):
            dataset = name.removeprefix("noisy-")
            index, rows = noisy_index(dataset, settings, encoder)
            searcher = Searcher(
                index, CachedQueries(encoder, [r["question"] for r in rows], f"noisy-{dataset}"), settings
            )
            label = f"noisy {dataset} ({len(index.passages)} excerpts)"
            sets = {f"{label}, tuning": [r for r in rows if not r["heldout"]]}
            if dataset == "cmrc2018-train-tune":  # all of it is for tuning: no article of it is judged
                sets = {label: rows}
            elif args.heldout or args.heldout_only:
                sets[f"{label}, held out"] = [r for r in rows if r["heldout"]]
                if args.heldout_only:
                    del sets[f"{label}, tuning"]
        elif name in OWN_CORPORA:
            sets = own_sets(name, settings, encoder, args.heldout or args.heldout_only, args.heldout_only)
        else:
            index, rows = public_rows(name, settings, encoder)
            searcher = Searcher(index, CachedQueries(encoder, [r["question"] for r in rows], f"{name}-dev"), settings)
            sets = {f"{name} dev": rows}
        for label, rows in sets.items():
            searcher, rows = rows if name in OWN_CORPORA else (searcher, rows)
            if args.sweep:
                if rows and rows[0]["answers"]:
                    to_sweep[label] = (searcher, rows[: args.limit] if args.limit else rows)
                continue
            results[label] = figures(
                searcher, rows[: args.limit] if args.limit else rows, settings.top_k, dump, label, rows_out
            )
        print(f"  {name}: {time.monotonic() - started:.0f} s", file=sys.stderr)
    if args.sweep:
        run_sweep(to_sweep)
        return
    print(table(results))
    if any("missed" in m for m in results.values()):
        print(misses_table(results))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
