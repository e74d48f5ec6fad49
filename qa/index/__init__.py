"""Stage 2, index: passages → a searchable index on disk, and the two retrievers that read it.

In:  a Corpus of passages (from qa.ingest) and the settings that shape an index.
Out: an Index folder (manifest, passages, articles, vectors, FAISS, bm25s files), swapped in
     atomically, and the Index object that search reads.

    bundled_model.py  the packaged multilingual-e5-small weights → a local sentence-transformers folder
    encoder.py        settings.model → a loaded model; text → unit vectors
    onnx_model.py     the bundled model exported to ONNX (fp32, int8) and a torch-free encoder for it
    ray_embed.py      a build's embedding step on a Ray cluster (extra qa[ray])
    retrievers.py     DenseIndex (FAISS) and KeywordIndex (BM25 over jieba words and character n-grams)
    store.py          the folder of plain files plus manifest; atomic write and read
    record_file.py    passages.jsonl / articles.jsonl with a line table: records read on demand
    paging.py         mapped index files read at random (no read-ahead into resident memory)
    integrity.py      size + sha256 of every file (large arrays' hashes cached), structure checks
    lock.py           one writer at a time per index (a lock file held for the whole build)
    citations.py      every served citation re-read from its source file
    progress.py       each build step's progress: bars or lines with rate and ETA, status() for a job
    build.py          read sources, embed only what changed, write
    state.py          open an index: decide when it is stale or damaged, rebuild it under the lock
"""
