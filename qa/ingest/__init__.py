"""Stage 1, ingest: files on disk → articles of paragraphs → passages, each with its exact citation.

In:  paths of source files or folders.
Out: a Corpus (`passages.build_corpus`): Article records (numbered paragraphs, each a list of file
     spans) and Passage records (≤ max_passage_chars, cut at sentence ends) with duplicates marked.

    sources.py    find files, decode bytes (UTF-8, GB18030/GBK/Big5) into a SourceFile
    layout.py     lines → articles of logical paragraphs (headlines, page-break repair, fragments)
    passages.py   paragraphs → passages with citations; repeated text grouped
"""
