"""Dense views: which texts a passage is embedded as, and no text embedded twice."""

from __future__ import annotations

import numpy as np

from qa.index.views import dense_views, embed_views, in_chunks, text_key, views_to_embed
from qa.records import Citation, Passage

SENTENCES = [
    "上海市今年新建了十二座公园，市民休闲空间明显增加。",
    "南京地铁五号线预计明年年底开通运营。",
    "合肥的新能源汽车产量去年增长了一倍多。",
    "杭州亚运会的场馆赛后将向公众开放。",
]


def _passage(pid: int, text: str, heading: str = "") -> Passage:
    return Passage(
        pid, Citation(f"d{pid}", "x.txt", "x", None, None, 1, 0, len(text)), text, heading, ((0, len(text)),)
    )


def test_a_passage_is_embedded_with_its_heading_and_each_of_its_sentences():
    long = _passage(0, "".join(SENTENCES), heading="城市建设")
    traditional = _passage(1, "臺北市政府今天宣布擴大補助。補助從明年一月開始。")
    single = _passage(2, "只有一句话的段落。")
    passages = [long, traditional, single]

    off = dense_views(passages, False)
    assert [v.owner for v in off] == [0, 1, 2] and off[0].text == "城市建设\n" + "".join(SENTENCES)

    views = dense_views(passages, True)
    assert [v.text for v in views if v.owner == 0][1:] == SENTENCES
    assert [v.text for v in views if v.owner == 1][1:] == ["台北市政府今天宣布扩大补助。", "补助从明年一月开始。"]
    assert [v.owner for v in views].count(2) == 1  # a one-sentence passage is its only sentence
    assert [v.key for v in views] == [text_key(v.text) for v in views]


def test_each_distinct_text_is_embedded_once_and_a_previous_builds_vectors_are_reused():
    calls: list[list[str]] = []

    def encode(texts):
        calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    a = _passage(0, SENTENCES[0] + SENTENCES[1])
    copy = _passage(1, SENTENCES[0] + SENTENCES[1])  # the same passage in another file
    b = _passage(2, SENTENCES[2] + SENTENCES[0])  # shares a sentence with a
    views = dense_views([a, copy, b], True)
    steps: list[int] = []
    vectors, embedded = embed_views(views, in_chunks(encode, steps.append), 2)
    texts = [t for call in calls for t in call]
    assert sorted(texts) == sorted({v.text for v in views}) and embedded == views_to_embed(views) == 5
    assert [len(t) for t in texts] == sorted(map(len, texts), reverse=True)  # longest first
    assert sum(steps) == 5 and [row[0] for row in vectors] == [len(v.text) for v in views]

    # b changed: only its new passage text is embedded; its sentences are known already.
    reuse = {v.key: vectors[i] for i, v in enumerate(views)}
    calls.clear()
    b2 = _passage(2, SENTENCES[0] + SENTENCES[2])
    again, embedded = embed_views(dense_views([a, copy, b2], True), in_chunks(encode), 2, reuse)
    assert calls == [[b2.text]] and embedded == 1 and again[-3][0] == len(b2.text)

    calls.clear()
    same, embedded = embed_views(views, in_chunks(encode), 2, reuse)  # nothing new: no encoder call
    assert calls == [] and embedded == 0 and np.array_equal(same, vectors)
