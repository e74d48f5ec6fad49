"""Layout rules and grouping beyond the seeds: each rule fires where the seeds need it and does
not fire on a corpus unlike them (CMRC 2018 / DRCD articles and web-style pages written by
bench/eval_corpus.py). No embedding model: these are about text."""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from qa.evaluate import relevant_ids
from qa.ingest import layout
from qa.ingest.boilerplate import is_boilerplate, snippet_prefix
from qa.ingest.layout import layout_articles
from qa.ingest.passages import build_corpus, chunk_spans, group_repeats, own_text, split_file
from qa.ingest.sources import find_sources, read_source
from qa.text import content_key
from tests.conftest import FORMATS, ROOT, SEEDS

sys.path.insert(0, str(ROOT / "bench"))

BENCHMARKS = ROOT.parent / "shared" / "benchmarks"


@pytest.fixture(scope="module")
def eval_dir(tmp_path_factory):
    if not (BENCHMARKS / "cmrc2018" / "cmrc2018_dev.json").exists():
        pytest.skip(f"{BENCHMARKS} is not there")
    from eval_corpus import write_corpus

    out = tmp_path_factory.mktemp("eval_corpus")
    write_corpus(out)
    return out


@pytest.fixture(scope="module")
def eval_corpus(eval_dir):
    return build_corpus([read_source(p) for p in find_sources([eval_dir])], 300)


@pytest.fixture(scope="module")
def seed_corpus():
    return build_corpus([read_source(p) for p in find_sources([SEEDS])], 300)


def _layouts(folder: Path):
    for f in find_sources([folder]):
        yield f, read_source(f).text, layout_articles(read_source(f).text, f.stem)


# --- article split -------------------------------------------------------------------------------


def test_article_split_fires_on_the_seeds_and_never_on_one_article_files(seed_corpus, eval_dir):
    assert [a.doc_id for a in seed_corpus.articles if a.doc_id.startswith("000")] == [
        "000_ee36ff66a312e937-1",
        "000_ee36ff66a312e937-2",
    ]
    originals = 0
    for f, text, arts in _layouts(eval_dir):
        assert len(arts) == 1, (f.name, [a.title for a in arts])
        headline = next(line for line in text.splitlines() if line.strip() and not is_boilerplate(line))
        assert arts[0].title == headline.strip()
        originals += "原标题：" in text
    assert originals >= 20  # the corpus does hold "原标题：…" lines before news leads


def test_an_original_title_line_before_a_lead_stays_in_its_article():
    text = "大飞机首飞成功\n\n原标题：C919今日首飞\n\n新华社上海5月5日电 国产大型客机C919今天首飞成功。\n"
    arts = layout_articles(text, "f")
    assert len(arts) == 1 and arts[0].title == "大飞机首飞成功"
    assert [b.kind for b in arts[0].blocks] == ["line", "body"]  # the original title is searchable text
    two = layout_articles(text + "\n另一条新闻\n\n晨报讯 昨日上午，论坛在湖州举行。\n", "f")
    assert [a.title for a in two] == ["大飞机首飞成功", "另一条新闻"]


# --- headings and short lines ----------------------------------------------------------------------


def test_headings_fire_on_the_seeds_and_open_the_passage_under_them(seed_corpus):
    speech = [a for a in seed_corpus.articles if a.doc_id.startswith("004")][0]
    headings = [p.text for p in speech.paragraphs if p.kind == "heading"]
    assert headings[:2] == [headings[0], "习近平指出"] and len(headings) == 8
    opened = [p for p in seed_corpus.passages if p.heading == "习近平指出" and p.text.startswith("习近平指出\n")]
    assert len(opened) == 2  # the heading is searchable as part of the passage under it


def test_no_short_line_is_lost(eval_dir, eval_corpus):
    """Every answer sentence moved into a short line (list item, caption, subhead, table row) is in a
    passage, and every paragraph that is not furniture or metadata is covered by passages."""
    files = ("questions.jsonl", "heldout.jsonl")
    questions = [json.loads(line) for f in files for line in (eval_dir / f).read_text(encoding="utf-8").splitlines()]
    short = [q for q in questions if q["kind"] == "short_line"]
    assert len(short) >= 40
    passages, articles = list(eval_corpus.passages), list(eval_corpus.articles)
    assert all(relevant_ids(q["gold"], passages, articles) for q in short)
    texts = {a.file: read_source(eval_dir / a.file).text for a in articles}
    covered = {file: [False] * len(text) for file, text in texts.items()}
    for p in passages:
        for s, e in p.pieces:
            covered[p.citation.file][s:e] = [True] * (e - s)
    for a in articles:
        text, marks = texts[a.file], covered[a.file]
        for para in a.paragraphs:
            if para.kind not in ("boilerplate", "meta"):
                assert all(marks[k] for s, e in para.pieces for k in range(s, e) if not text[k].isspace()), para


def test_a_short_line_is_a_heading_only_when_it_introduces_text():
    text = (
        "标题\n\n第一段正文，说了一件事。\n\n· 成立时间：1998年\n\n图：会场一角（资料图）\n\n项目    数值\n\n结语在此\n"
    )
    kinds = [b.kind for a in layout_articles(text, "f") for b in a.blocks]
    assert kinds == ["body", "list", "line", "line", "line"]


def _split(text: str, name: str = "notes.txt"):
    from qa.ingest.readers import read_document
    from qa.ingest.sources import SourceFile

    doc = read_document(text.encode("utf-8"), name)
    source = SourceFile(
        Path(name), name, doc.text, "utf-8", "0", doc.format, None if doc.blocks is None else tuple(doc.blocks)
    )
    return split_file(source, 300)


def test_a_headline_opens_the_first_passage_of_its_article():
    """No text is lost for being short: the headline is searchable as part of the passage under it,
    in plain text (even a first line that is a clause, not a title) and in structured formats."""
    arts, passages, _ = _split("产品说明书适用于以下型号，\n\n本产品出厂前已经过严格检测。请在常温下使用。\n")
    assert arts[0].title == "产品说明书适用于以下型号，"
    assert passages[0].text == "产品说明书适用于以下型号，\n本产品出厂前已经过严格检测。请在常温下使用。"
    assert passages[0].heading == arts[0].title and own_text(passages[0]).startswith("本产品")
    arts, passages, _ = _split("# 安装指南\n\n## 准备\n\n先关闭电源。然后拆下外壳。\n", "guide.md")
    assert arts[0].title == "安装指南" and passages[0].text == "安装指南\n准备\n先关闭电源。然后拆下外壳。"
    assert passages[0].heading == "安装指南\n准备" and own_text(passages[0]) == "先关闭电源。然后拆下外壳。"


def test_a_file_without_a_headline_opens_no_passage_with_one():
    """Where the title is the file name (no headline stands in the file), nothing is prepended."""
    arts, passages, _ = _split(
        "本产品出厂前已经过严格检测，请在常温下使用，避免阳光直射和潮湿的环境。\n\n第二段正文在此。\n"
    )
    assert arts[0].title == "notes" and arts[0].title_pieces == ()
    assert [p.text for p in passages] == [
        "本产品出厂前已经过严格检测，请在常温下使用，避免阳光直射和潮湿的环境。",
        "第二段正文在此。",
    ]
    assert all(p.heading == "" for p in passages)


def test_no_headline_is_lost(eval_corpus, seed_corpus):
    for corpus in (eval_corpus, seed_corpus):
        covered = {(p.citation.file, s, e) for p in corpus.passages for s, e in p.pieces}
        for a in corpus.articles:
            assert all((a.file, s, e) in covered for s, e in a.title_pieces), a.title


# --- page-break repair and fragments ---------------------------------------------------------------


def test_page_break_repair_fires_on_the_seeds_and_never_on_the_new_corpus(seed_corpus, eval_corpus):
    seed_joins = [r for r in seed_corpus.repairs if "joined page break" in r]
    assert len(seed_joins) == 4
    assert [r for r in eval_corpus.repairs] == []


@pytest.mark.parametrize(
    "text",
    [
        "巴黎当地时间周一晚，总统在电视讲话中宣布新的措施和安排\n\n00:10\n\n法国世界报援引消息人士的话说，措施将持续两周。",
        "大飞机研制历时多年，工程师们攻克了许多难关，国产大飞机C919有多难\n\n大飞机是一个国家工业水平的重要标志。",
        "会议听取了各地区各部门关于推进工作的汇报和下一步的主要安排\n\n第二，加大科技攻关力度。创新主动权必须牢牢掌握。",
    ],
)
def test_page_break_repair_needs_evidence(text):
    """A line that stops without a sentence end, then a timestamp, a new section or plain prose: no
    word runs across the join and no caption or page number stands between, so nothing is joined."""
    repairs = [r for a in layout_articles("标题\n\n" + text, "f") for r in a.repairs]
    assert repairs == []


def test_a_cut_line_with_a_page_number_between_is_joined():
    cut = "会议强调，要坚持稳中求进工作总基调，全面深化改革开放，统筹疫情防控和经济社会发展工作，扎实做好六稳工作、全面落实六保任务，推动"
    text = f"标题\n\n{cut}\n\n— 12 —\n\n高质量发展取得新的成效。\n"
    (art,) = layout_articles(text, "f")
    assert [b.text for b in art.blocks if b.kind == "body"] == [cut + "高质量发展取得新的成效。"]
    assert len(art.repairs) == 1


def test_fragment_dropping_needs_a_page_break(seed_corpus, eval_corpus):
    assert [r for r in seed_corpus.repairs if "dropped" in r] == [
        r for r in seed_corpus.repairs if "场的重要桥梁。" in r
    ]
    assert not [r for r in eval_corpus.repairs if "dropped" in r]
    # A pull quote that repeats the end of the paragraph, with no page break in it, is kept.
    text = "标题\n\n他说，我们要共同打造国际一流营商环境。\n\n共同打造国际一流营商环境。\n"
    (art,) = layout_articles(text, "f")
    assert len(art.blocks) == 2 and art.repairs == []


# --- boilerplate -----------------------------------------------------------------------------------


def test_boilerplate_is_kept_out_of_passages(eval_corpus, seed_corpus):
    furniture = [p for a in eval_corpus.articles for p in a.paragraphs if p.kind == "boilerplate"]
    assert len(furniture) >= 200
    for p in eval_corpus.passages:
        for line in p.text.split("\n"):
            assert not is_boilerplate(line) and not snippet_prefix(line + " x"), p.text[:80]
            assert "责任编辑" not in line and "Copyright" not in line and "分享到" not in line
    assert not [p for a in seed_corpus.articles for p in a.paragraphs if p.kind == "boilerplate"]


def test_boilerplate_rules_do_not_fire_on_article_text():
    """Every paragraph of the CMRC 2018 and DRCD passage files is text, not furniture."""
    lines = []
    for name in ("cmrc2018/passages.jsonl", "drcd/passages.jsonl"):
        path = BENCHMARKS / name
        if not path.exists():
            pytest.skip(f"{path} is not there")
        lines += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
        lines += [line.split("。")[0] for line in lines[-300:]]  # and short openings of them
    assert not [t for t in lines if is_boilerplate(t)]
    assert not [t for t in lines if snippet_prefix(t)]
    for text in ("首页 | 新闻 | 国内 | 国际", "分享到：微信 微博", "责任编辑：王芳", "Copyright © 2023 新浪网"):
        assert is_boilerplate(text)
    assert snippet_prefix("Jan 27, 2023 ... 国务院新闻办公室今天举行发布会。") == len("Jan 27, 2023 ... ")


# --- grouping --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def formats_corpus():
    """The real files of ../shared/corpora/formats (every format), read without OCR."""
    from qa.errors import SourceError
    from qa.ingest.readers.base import ReadLimits

    if not FORMATS.exists():
        pytest.skip(f"{FORMATS} is not there")
    sources = []
    for f in find_sources([FORMATS]):
        try:
            sources.append(read_source(f, ReadLimits(ocr=False)))
        except SourceError:
            continue  # the corpus holds files meant to be refused
    return build_corpus(sources, 300)


def test_every_also_in_entry_is_the_same_text(seed_corpus, eval_corpus, formats_corpus):
    """Over the seeds, the eval corpus and the formats corpus: every also_in entry is ≥ 0.95 similar
    to its passage over the whole text (rapidfuzz ratio), and says so."""
    corpora = (seed_corpus, eval_corpus, formats_corpus)
    by_place = {}
    for corpus in corpora:
        for p in corpus.passages:
            by_place[(p.citation.file, p.citation.start, p.citation.end)] = p
    entries = 0
    for corpus in corpora:
        for p in corpus.passages:
            for c in p.also_in:
                other = by_place[(c.file, c.start, c.end)]
                similarity = fuzz.ratio(content_key(own_text(p)), content_key(own_text(other))) / 100
                assert similarity >= 0.95 and c.similarity == pytest.approx(similarity, abs=1e-3)
                entries += 1
    assert entries >= 14  # the seeds' speech printed twice: each side lists the other


def test_a_short_line_inside_a_longer_passage_is_not_its_copy():
    texts = [
        "会议指出，要共同优化和稳定产业链、供应链。共同打造世界级产业集群和标志性产业链。",
        "共同优化和稳定产业链、供应链",
        "会议指出，要共同优化和稳定产业链、供应链。共同打造世界级产业集群和标志性产业链！",
        "會議指出，要共同優化和穩定產業鏈、供應鏈。共同打造世界級產業集群和標誌性產業鏈。",
    ]
    grouping = group_repeats(texts)
    assert grouping.parent == {2: 0, 3: 0} and grouping.similarity == {2: 1.0, 3: 1.0}


def test_grouping_compares_a_bounded_number_of_pairs():
    """Linear: at most 8 whole-passage comparisons per passage, however many passages look alike."""
    rng = random.Random(7)
    words = ["长三角", "一体化", "发展", "高质量", "会议", "指出", "推动", "创新", "区域", "合作", "建设", "产业"]
    base = ["".join(rng.choice(words) for _ in range(40)) + "。" for _ in range(300)]
    texts = []
    for n in range(3000):
        t = base[n % 300]
        i = rng.randrange(len(t) - 1)
        texts.append(t[:i] + "新" + t[i + 1 :] if n >= 300 else t)  # near copies differing in one character
    grouping = group_repeats(texts)
    assert grouping.comparisons <= 8 * len(texts)
    assert len(grouping.parent) >= 2500  # and the near copies are still found
    for i, j in list(grouping.parent.items())[:300]:
        assert fuzz.ratio(content_key(texts[i]), content_key(texts[j])) >= 95


# --- linear steps and long lines -------------------------------------------------------------------


def test_a_long_line_without_punctuation_is_cut_at_max_passage_chars(tmp_path):
    rng = random.Random(1)
    line = "".join(
        rng.choice("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动")
        for _ in range(60_000)
    )
    latin = " ".join("word" + str(rng.randrange(100)) for _ in range(5_000))
    f = tmp_path / "long.txt"
    f.write_text(f"标题\n\n{line}\n\n{latin}\n", encoding="utf-8")
    corpus = build_corpus([read_source(f)], 300)
    lengths = [len(p.text) for p in corpus.passages]
    assert max(lengths) <= 300 and sum(lengths) >= len(line) + len(latin) - 5_000
    assert len(corpus.passages) <= (len(line) + len(latin)) // 150 + 2
    spans = chunk_spans(latin, 300)
    assert all(latin[e - 1] != " " and (e == len(latin) or latin[e] == " ") for s, e in spans)  # cut at spaces


def test_layout_looks_at_each_line_a_bounded_number_of_times(monkeypatch):
    """Page-break repair checks at most two following lines per line, so layout is linear in lines."""
    calls = Counter()
    real = layout._word_spans_join

    def counting(left, right):
        calls["join"] += 1
        return real(left, right)

    monkeypatch.setattr(layout, "_word_spans_join", counting)
    lines = [f"第{n}行说的是一件事情，还没有说完就被截断在这里了还要继续往下" for n in range(5000)]
    arts = layout_articles("标题\n\n" + "\n\n".join(lines) + "\n", "f")
    assert calls["join"] <= 3 * len(lines)
    assert sum(len(a.blocks) for a in arts) >= 1
