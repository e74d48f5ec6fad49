"""Windows to fit the reader's answers head on: does this excerpt answer, or only share the topic?

    python train/answer_windows.py --out train/work/answer_windows.jsonl

In:  CMRC 2018 train (../shared/training, CC BY-SA 4.0): only the 95% of paragraphs the reader trains on
     (train/reader_data.py's hash split; the other 5% is the tune slice), of the articles whose title
     hashes into `--share`; qa's own first stage over them (bench/answers.py's excerpt index, reader off).
Out: JSONL, one window a line: qid, question, heading, text, label (1 answers, 0 does not), kind, and
     `check` (the question is held apart to check the fit: a hash of its id, `--check-share`).

Every window is a (question, heading, excerpt) as qa reads it: the article's title as the heading, the
excerpt as its passage (the reader tokenises "title：excerpt" with `AnswerReader.windows`). Kinds:
    answer        the excerpt of bench/answers.py's cut (60-160 characters) that holds the answer
    answer-size   a sentence-aligned excerpt of 40-300 characters holding it (reader_data.excerpt)
    sibling       an excerpt of the same paragraph without the answer
    first-stage   the Searcher's (reader off) first 3 hits without the answer, whatever their article
    changed       the answering excerpt with the question's year, date, ordinal, figure or person
                  changed in it to one it then names instead (qa/search/query.py's constraints)
    no-sentence   the answering excerpt with the sentences holding the answer taken out
Traditional-script copies are not made: qa folds traditional characters to simplified one for one
before reading (qa.text.to_simplified), so a copy reads the same ids (`--check-traditional` measures it).
Deterministic for a given `--seed`.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "train"))
sys.path.insert(0, str(ROOT / "bench"))

from reader_data import excerpt, is_tune, sentence_spans, share_of  # noqa: E402

TRAINING = ROOT.parent / "shared" / "training" / "cmrc2018" / "cmrc2018_train.json"
_DATE = re.compile(r"(\d{1,2})月(\d{1,2})日")
_ORDINAL = re.compile(r"第\s*([0-9]+)\s*(任|届|次|位|名|代|期|号|轮|场|季|集|章|条|款|批|个)")
_LEADING_FIGURE = re.compile(r"^\d+")


def articles(path: Path, share: float) -> tuple[list[dict], list[dict]]:
    """Passage rows and question rows (bench/answers.py's shape) of the training paragraphs."""
    rows, questions = [], []
    for article in json.loads(Path(path).read_text(encoding="utf-8"))["data"]:
        title = article.get("title") or article["paragraphs"][0]["id"]
        if share_of(title) >= share:
            continue
        for para in article["paragraphs"]:
            if is_tune(para["id"], 0.05):
                continue
            rows.append({"id": para["id"], "title": title, "text": para["context"]})
            for qa in para["qas"]:
                answers = [a["text"].strip() for a in qa["answers"] if a["text"].strip()]
                questions.append({"id": qa["id"], "question": qa["question"].strip(), "answers": answers, "positive_ids": [para["id"]]})  # fmt: skip
    return rows, questions


def changed(question, text: str, names: list[str], rng: random.Random) -> str | None:
    """`text` with one thing the question names (a year, a date, an ordinal, a figure, a person) that it
    also names changed to another value, everywhere in it; None when it names none of them. (jieba's
    person tags are loose: some "names" are other words, which only makes more changed windows.)"""
    c = question.constraints
    for year in sorted(c.years):
        if year in text:
            other = next(str(int(year) + d) for d in (1, -1, 2, -2, 3, 5) if str(int(year) + d) not in text)
            return text.replace(year, other)
    date = _DATE.search(question.normalized)
    if date and date.group(0) in text:
        day = int(date.group(2))
        return text.replace(date.group(0), f"{date.group(1)}月{day % 28 + 1}日")
    for n, unit in sorted(c.ordinals):
        for m in _ORDINAL.finditer(text):
            if int(m.group(1)) == n and m.group(2) == unit:
                return text.replace(m.group(0), f"第{n + 1}{unit}")
    for figure in sorted(c.numbers):
        m = _LEADING_FIGURE.match(figure)
        if m and figure in text:
            return text.replace(figure, str(int(m.group(0)) * 2 + 1) + figure[m.end() :])
    for name in c.names:
        others = [n for n in names if n not in text and len(n) == len(name)]
        if name in text and others:
            return text.replace(name, rng.choice(others))
    return None


def without_answer(text: str, answers: list[str]) -> str | None:
    from qa.text import content_key, sentence_spans

    keep = [
        text[a:b] for a, b in sentence_spans(text) if not any(content_key(x) in content_key(text[a:b]) for x in answers)
    ]
    rest = "".join(keep)
    return rest if len(rest) >= 20 and not any(content_key(x) in content_key(rest) for x in answers) else None


def build(args) -> list[dict]:
    from answers import excerpt_index
    from retrieval import CachedQueries

    from qa.config import Settings
    from qa.index.encoder import Encoder
    from qa.search.hybrid import Searcher
    from qa.search.query import analyse

    rng = random.Random(args.seed)
    rows, question_rows = articles(args.train, args.share)
    settings = Settings.load({"answer_reader": "off"})
    encoder = Encoder(settings)
    index, questions = excerpt_index(args.train, f"answer-windows-{args.share}", rows, question_rows, settings, encoder)
    searcher = Searcher(index, CachedQueries(encoder, [q["question"] for q in questions], "answer-windows"), settings)
    passages = index.passages
    of_paragraph: dict[str, list[int]] = {}
    for p in passages:
        of_paragraph.setdefault(p.doc_id.rpartition("#")[0], []).append(p.id)
    context = {r["id"]: r["text"] for r in rows}
    analysed = {q["id"]: analyse(q["question"]) for q in questions}
    names = sorted({n for a in analysed.values() for n in a.constraints.names})
    out: list[dict] = []
    for q in questions[: args.limit or None]:
        out += question_windows(q, analysed[q["id"]], passages, of_paragraph, context, searcher, names, rng, args)
    return out


def question_windows(q, question, passages, of_paragraph, context, searcher, names, rng, args) -> list[dict]:
    """The windows of one question (module docstring), each excerpt once."""
    from answers import key

    answers = [key(a) for a in q["answers"] if key(a)]
    gold = q["positive_ids"][0]
    title = passages[min(q["pos"])].heading
    check = share_of(q["id"]) < args.check_share
    out: list[dict] = []
    seen: set[str] = set()

    def holds(text: str) -> bool:
        return any(a in key(text) for a in answers)

    def add(text: str | None, label: int, kind: str, heading: str = title) -> None:
        if text and text not in seen:
            seen.add(text)
            out.append({"qid": q["id"], "question": q["question"], "heading": heading, "text": text, "label": label, "kind": kind, "check": check})  # fmt: skip

    answering = passages[min(q["pos"])].text
    add(answering, 1, "answer")
    start = context[gold].find(q["answers"][0]) if q["answers"] else -1
    if start >= 0:
        span = excerpt(sentence_spans(context[gold]), rng, (start, start + len(q["answers"][0])), None, rng.randint(40, 300))  # fmt: skip
        if span:
            add(context[gold][span[0] : span[1]], 1, "answer-size")
    siblings = [p for p in of_paragraph[gold] if not holds(passages[p].text)]
    if siblings:
        add(passages[rng.choice(siblings)].text, 0, "sibling")
    for hit in [h for h in searcher.search(question, 10) if not holds(h.passage.text)][:3]:
        add(hit.passage.text, 0, "first-stage", hit.passage.heading)  # read under its own article's title
    both = changed(question, f"{title}\n{answering}", names, rng)  # the heading too: it names the same
    if both:
        heading, _, text = both.partition("\n")
        add(text, 0, "changed", heading)
    add(without_answer(answering, q["answers"]), 0, "no-sentence")
    return out


def traditional_identity(windows: list[dict], share: float, seed: int) -> float:
    """Share of a sample of windows whose OpenCC s2t copy folds back to the very same text."""
    import opencc

    from qa.text import to_simplified

    convert = opencc.OpenCC("s2t")
    sample = random.Random(seed).sample(windows, max(1, int(len(windows) * share)))
    same = sum(to_simplified(convert.convert(w["heading"] + w["text"])) == w["heading"] + w["text"] for w in sample)
    return same / len(sample)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--train", type=Path, default=TRAINING)
    p.add_argument("--out", type=Path, default=ROOT / "train" / "work" / "answer_windows.jsonl")
    p.add_argument("--share", type=float, default=0.25, help="articles whose title hashes below it")
    p.add_argument("--check-share", type=float, default=0.15, help="questions held apart to check the fit")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--limit", type=int, default=0, help="the first N questions only (tests)")
    p.add_argument("--check-traditional", action="store_true")
    args = p.parse_args(argv)
    windows = build(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as f:
        for w in windows:
            f.write(json.dumps(w, ensure_ascii=False) + "\n")
    counts: dict[str, list[int]] = {}
    for w in windows:
        counts.setdefault(w["kind"], [0, 0])[w["check"]] += 1
    print(f"{len(windows)} windows, {sum(w['label'] for w in windows)} answering; by kind (fit / check): {counts}")
    if args.check_traditional:
        print(
            f"traditional copies that fold back to the same text: {traditional_identity(windows, 0.2, args.seed):.4f}"
        )


if __name__ == "__main__":
    main()
