"""Stage 1, ingest: files on disk → articles of paragraphs → passages, each with its exact citation.

In:  paths of source files or folders.
Out: a Corpus (`passages.build_corpus`): Article records (numbered paragraphs, each a list of spans of
     the file's text — decoded, or extracted from a PDF/DOCX/… — with its page, slide or sheet+row) and
     Passage records (units of the document's structure, ≤ max_passage_chars) with duplicates marked.

    readers/      one reader per format (txt md pdf docx pptx xlsx html, OCR) behind one interface
    sources.py    find files, read each into a SourceFile with its FileReport (report.py)
    charstats.py  how Chinese a text reads (common-hanzi share): encodings and PDF text layers
    repair.py     PDF text repair: radical/compatibility forms → ordinary characters, junk dropped
    structured.py blocks of structured formats → articles
    layout.py     lines of plain text → articles of logical paragraphs (headlines, page-break repair)
    units.py      an article's paragraphs → the units of a passage: sections, lists, laws, tables, slides
    passages.py   paragraphs → passages with citations; repeated text grouped
    guard.py      one file's reading and layout in a worker process, bounded in time, memory, characters
"""
