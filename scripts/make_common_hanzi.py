"""Write qa/data/common_hanzi.txt: the 5,000 most frequent hanzi, weighted by jieba's word counts.

Run once; the table is committed. jieba's dictionary (MIT) counts words in a large simplified
corpus; a character's weight is the summed count of the words it appears in.
"""

from collections import Counter
from pathlib import Path

import jieba

counts: Counter = Counter()
dict_path = Path(jieba.__file__).parent / "dict.txt"
for line in dict_path.read_text(encoding="utf-8").splitlines():
    word, freq, *_ = line.split(" ")
    for ch in word:
        if "\u4e00" <= ch <= "\u9fff":
            counts[ch] += int(freq)
top = "".join(ch for ch, _ in counts.most_common(5000))
out = Path(__file__).resolve().parent.parent / "qa" / "data" / "common_hanzi.txt"
out.write_text(top + "\n", encoding="utf-8")
print(f"wrote {len(top)} characters to {out}")
