"""The jieba dictionary cache: written once, read back to the same segmentation, ignored when damaged."""

from __future__ import annotations

import jieba

from qa import text

TEXT = "长三角一体化发展的新格局，两山理念在湖州落地。"


def test_the_cache_gives_the_same_segmentation_and_a_damaged_one_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache = text._jieba_cache(jieba.__version__, "长三角 5\n两山 5\n")
    assert cache.parent == tmp_path / "qa" and cache != text._jieba_cache(jieba.__version__, "长三角 5\n")

    built = jieba.Tokenizer()
    built.add_word("两山", 100000)
    built_words = list(built.cut(TEXT))
    assert not text._load_jieba_cache(jieba.Tokenizer(), cache)  # nothing there yet
    text._save_jieba_cache(built, cache)
    assert cache.is_file() and [p.name for p in cache.parent.iterdir()] == [cache.name]  # no temp left

    loaded = jieba.Tokenizer()
    assert text._load_jieba_cache(loaded, cache) and loaded.initialized
    assert list(loaded.cut(TEXT)) == built_words and "两山" in built_words

    cache.write_bytes(b"not a pickle")
    assert not text._load_jieba_cache(jieba.Tokenizer(), cache)  # damaged: built again, not trusted
