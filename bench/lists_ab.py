"""List answers on CMRC 2018 / DRCD dev: 回答 with and without the list path, on the list questions only.

    python bench/lists_ab.py [--corpora cmrc2018,drcd]

For each dev question that asks for a list (qa.search.cues.is_list_question), the same hits are answered
twice: as before list answers (the highlighted sentences, qa.search.answer.reply) and as `qa ask` answers
now (qa.search.lists.ListSearch: the list that answers, if any). Prints, per set, how many list questions
there are, how many got a list answer, and the share whose gold answer is inside 回答 each way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from answers import key, public_rows  # noqa: E402
from retrieval import CachedQueries  # noqa: E402

from qa.config import Settings  # noqa: E402
from qa.index.encoder import Encoder  # noqa: E402
from qa.search import answer as answer_module  # noqa: E402
from qa.search.cues import is_list_question  # noqa: E402
from qa.search.hybrid import Searcher  # noqa: E402
from qa.search.lists import ListSearch  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpora", default="cmrc2018,drcd")
    args = ap.parse_args()
    settings = Settings.load()
    encoder = Encoder(settings)
    print("| set | list questions | list answers | gold in 回答, sentences | gold in 回答, with lists |")
    print("|---|---|---|---|---|")
    for name in args.corpora.split(","):
        index, rows = public_rows(name, settings, encoder)
        rows = [r for r in rows if is_list_question(r["question"])]
        searcher = Searcher(index, CachedQueries(encoder, [r["question"] for r in rows], f"{name}-dev"), settings)
        k = settings.top_k
        listed_n = before = after = 0
        for row in rows:
            gold = [key(a) for a in row["answers"] if key(a)]
            hits = searcher.search(row["question"], k)
            old, _ = answer_module.reply(hits, row["question"], settings)
            listed = ListSearch(searcher, row["question"], lambda h=hits: h, k)
            new_hits = listed()
            new, _ = answer_module.reply(new_hits, row["question"], settings, listing=listed.run)
            listed_n += listed.run is not None
            before += any(g in key(old.text) for g in gold)
            after += any(g in key(new.text) for g in gold)
        n = len(rows) or 1
        print(f"| {name} dev | {len(rows)} | {listed_n} | {before / n:.4f} | {after / n:.4f} |")


if __name__ == "__main__":
    main()
