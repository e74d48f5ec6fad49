"""Stage 3, search: a question → ranked passages with citations and an extractive answer.

In:  a question and an Index (from qa.index).
Out: Hit records (passage, citation, scores, highlighted sentence) and the answer text.

    hybrid.py   dense and keyword candidates, fused, duplicates collapsed, best sentence marked
    fusion.py   convex sum of normalised scores, or reciprocal rank fusion (pure functions)
    glossary.py a corpus's own English → Chinese glossary (optional: glossary.tsv in its folder)
    crosslang.py English questions: the Chinese their pinyin names spell in the dense candidates
    answer.py   the best sentence of each hit, quoted with [n] citation markers
"""
