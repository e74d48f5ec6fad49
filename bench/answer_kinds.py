"""Answers by kind of question: descriptions answered by their sentence, short answers that keep to
what the question names (issue 34).

    python bench/answer_kinds.py                  # the tuning part of both sets
    python bench/answer_kinds.py --split heldout  # the held-out part (run once)

Sets (bench/answer_kinds/, written for this benchmark, not from the seeds):
    descriptions.jsonl  what is X / what for / why / how; `sentence`: a phrase of the answering
                        sentence. corpus "docx": the PaddlePaddle notes of the formats corpus
                        (../shared/corpora/formats/); "corpus": the excerpts in bench/answer_kinds/corpus.
    constrained.jsonl   questions naming a year, an ordinal, a figure or a person, over short news-like
                        excerpts (several per topic, others naming another year, person or ordinal);
                        `gold`: the answer; `breaks`: answers from the passages that do not match.
Prints: descriptions whose 回答 holds the answering sentence with no short answer; constrained
questions whose short answer is right, missing, or breaks a constraint (another year, person, ordinal:
an item of `breaks`; or the wrong kind: cues.fits).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HERE = ROOT / "bench" / "answer_kinds"
DOCX = ROOT.parent / "shared" / "corpora" / "formats" / "PaddlePaddle学习笔记——王欢.docx"


def rows(name: str, split: str) -> list[dict]:
    found = [json.loads(line) for line in (HERE / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in found if split == "all" or r["split"] == split]


def services(folder: Path) -> dict:
    from qa.config import Settings
    from qa.service import QAService

    corpus = QAService(Settings.load({"corpus": str(HERE / "corpus"), "index_dir": str(folder), "index_name": "kinds"}))
    docx = QAService(
        Settings.load({"corpus": str(DOCX), "index_dir": str(folder), "index_name": "docx"}), encoder=corpus.encoder
    )
    return {"corpus": corpus, "docx": docx}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("tune", "heldout", "all"), default="tune")
    parser.add_argument("--show", action="store_true", help="print every question that misses")
    args = parser.parse_args()
    try:
        from qa.search.cues import fits
        from qa.search.query import analyse
    except ImportError:  # the code before issue 34 (for the "before" column): `breaks` items only
        fits, analyse = None, None

    with tempfile.TemporaryDirectory() as tmp:
        svc = services(Path(tmp))
        desc = rows("descriptions.jsonl", args.split)
        held = in_reply = 0
        for r in desc:
            a = svc[r["corpus"]].ask(r["question"])
            in_reply += r["sentence"] in a.answer
            ok = r["sentence"] in a.answer and a.short_answer is None
            held += ok
            if args.show and not ok:
                print("DESC miss:", r["question"], "|", a.answer[:80], "|", a.short_answer and a.short_answer.text)
        cons = rows("constrained.jsonl", args.split)
        right = missing = breaking = in_answer = 0
        for r in cons:
            a = svc["corpus"].ask(r["question"])
            in_answer += r["gold"] in a.answer
            short = a.short_answer.text if a.short_answer else None
            if short is None:
                missing += 1
            elif r["gold"] in short or short in r["gold"]:
                right += 1
            elif any(b in short for b in r["breaks"]) or (fits and not fits(short, analyse(r["question"]).asks)):
                breaking += 1
                if args.show:
                    print("BREAKS:", r["question"], "→", short)
            elif args.show:
                print("other:", r["question"], "→", short)
    print(f"### bench/answer_kinds.py --split {args.split}")
    print("| set | n | result |")
    print("|---|---|---|")
    print(
        f"| descriptions | {len(desc)} | 回答 holds the answering sentence {in_reply}; and it leads, with no short "
        f"span before it: {held} ({held / max(len(desc), 1):.0%}) |"
    )
    print(
        f"| constrained | {len(cons)} | short answer right {right}, none {missing}, breaking a constraint {breaking}, "
        f"other {len(cons) - right - missing - breaking}; gold in 回答 {in_answer} |"
    )


if __name__ == "__main__":
    main()
