"""Citations for every format, read back: each hit's text is the extracted text at its pieces, with the
page, slide or sheet and row it stands on; quotes carry the same; the API serves the extracted text."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from qa.web.api import create_app

PAGED = {"pdf": "第{}页", "pptx": "第{}张幻灯片"}


@pytest.fixture(scope="module")
def texts(formats_service):
    return {a.doc_id: formats_service.document_text(a.doc_id)["text"] for a in formats_service.documents()}


@pytest.fixture(scope="module")
def hits(formats_service):
    """Hits for a question made of the first passage of every document (five hits each)."""
    index = formats_service.index
    out = []
    for article in index.articles:
        first = next(p for p in index.passages if p.doc_id == article.doc_id)
        out.extend(formats_service.ask(first.text[:30], top_k=5).hits)
    return out


def test_every_format_is_indexed(formats_service):
    assert {a.format for a in formats_service.documents()} == {"pdf", "docx", "pptx", "xlsx", "html", "md", "txt"}


def test_every_hit_reads_back_from_the_extracted_text(hits, texts):
    assert {h.citation.format for h in hits} == {"pdf", "docx", "pptx", "xlsx", "html", "md", "txt"}
    for hit in hits:
        d = hit.to_dict()
        text = texts[d["doc_id"]]
        pieces = d["pieces"]  # every format carries its pieces
        assert "".join(text[s:e] for s, e in pieces) == d["text"]
        assert (d["start"], d["end"]) == (pieces[0][0], pieces[-1][1])
        if len(pieces) == 1:
            assert text[d["start"] : d["end"]] == d["text"]


def test_hits_carry_page_slide_or_sheet_and_row(hits):
    for hit in hits:
        c = hit.citation
        if c.format in PAGED:
            assert c.page in (1, 2) and c.sheet is None
            pages = str(c.page) if c.page_end is None else f"{c.page}–{c.page_end}"  # a passage over pages
            assert PAGED[c.format].format(pages) in c.label()
        elif c.format == "xlsx":
            assert c.sheet == "Sheet1" and 2 <= c.row <= 102 and c.page is None
            rows = str(c.row) if c.row_end is None else f"{c.row}–{c.row_end}"
            assert f"Sheet1·第{rows}行" in c.label()
        else:
            assert (c.page, c.sheet, c.row) == (None, None, None)


def test_a_hit_on_page_two_cites_page_two(formats_service, texts):
    hit = formats_service.ask("注意对齐前需要打开eval()模式，否则会对齐失败", top_k=1).hits[0]
    assert hit.citation.file.endswith("论文复现指南-新.pdf") and hit.citation.page == 2
    assert "eval()模式" in hit.passage.text


def test_quote_matches_carry_their_place(formats_service):
    row = formats_service.verify("当前的运行环境是什么，windows还是Linux").to_dict()
    assert row["verdict"] == "exact"
    assert {(m["sheet"], m["row"]) for m in row["matches"]} == {("Sheet1", 3)}
    poem = formats_service.verify("鸥鹭飞难辨，沙汀望莫分").to_dict()
    assert poem["verdict"] == "exact" and poem["matches"][0]["page"] == 1 and poem["matches"][0]["format"] == "pdf"


def test_api_serves_the_extracted_text(formats_service, texts):
    client = TestClient(create_app(formats_service, formats_service.settings))
    for doc_id, text in texts.items():
        r = client.get(f"/api/documents/{doc_id}/text")
        assert r.status_code == 200 and r.json()["text"] == text
    assert client.get("/api/documents/nope/text").status_code == 404
    hit = client.post("/api/ask", json={"question": "各级监察委员会是行使国家监察职能的专责机关"}).json()["hits"][0]
    assert hit["format"] == "html" and {
        "page",
        "sheet",
        "row",
        "pieces",
        "page_end",
        "row_end",
        "paragraph_end",
    } <= set(hit)
    plain = client.post("/api/ask", json={"question": "维基大典的始作者是谁？"}).json()["hits"][0]
    assert plain["file"].endswith("sample-chinese.txt") and plain["format"] == "txt"
    assert (plain["page"], plain["sheet"], plain["row"]) == (None, None, None)  # one shape for every format


def test_pages_appear_in_the_ui_cards(formats_service):
    from qa.web.cards_view import cards_html
    from qa.web.check_view import check_html

    articles = {a.doc_id: a.to_dict() for a in formats_service.documents()}
    on_slide = next(p for p in formats_service.index.passages if p.citation.format == "pptx" and len(p.text) > 20)
    answer = formats_service.ask(on_slide.text[:40], top_k=10).to_dict()
    slide = {**answer, "hits": [h for h in answer["hits"] if h.get("format") == "pptx"][:1]}
    assert slide["hits"], "a slide among the first ten hits"
    assert f"第{slide['hits'][0]['page']}张幻灯片" in cards_html(slide, articles)
    assert f"第{slide['hits'][0]['page']}张幻灯片" in slide["hits"][0]["citation"]
    quote = formats_service.verify("当前的运行环境是什么，windows还是Linux").to_dict()
    assert "Sheet1·第3行" in check_html(quote)
