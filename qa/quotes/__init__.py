"""Quote checking: a pasted quotation → a verdict with the evidence where the text really stands.

In:  a quotation and the Articles of an index.
Out: a QuoteCheck record: exact / normalized / altered / spliced / not_found, each match with its
     citation, a character diff and flagged changes (numbers, dates, names, negations).

    ngram_index.py  normalised paragraphs joined, character 3-gram lookup, offset maps back to files
    align.py        best source window, character diff, normalisations, change flags
    checker.py      the verdict logic (QuoteChecker)
    messages.py     the message that comes with each verdict
"""
