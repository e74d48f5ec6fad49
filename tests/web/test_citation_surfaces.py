"""One human citation on every surface: the CLI, POST /api/ask, POST /api/verify, the page's cards and
short answer, and the page's quote check all print the string Citation.label builds (the JSON's
`citation`), on real files of ../shared/corpora/formats: a PDF, a slide, a spreadsheet row and a
passage of several paragraphs. (The widget prints the JSON's `citation` as is: tests/web/test_browser.py
compares its cards with /api/ask.) The page next to a highlighted sentence or a short answer is the
page that sentence is on, not the first page of its card."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient

from qa.cli import _print_answer, _print_check
from qa.web.api import create_app
from qa.web.cards_view import answer_html, cards_html
from qa.web.check_view import check_html

PADIFF = "PaDiff主要分为三步：实例化模型，复制参数，自动计算Diff"  # on page 2 of 论文复现指南-新.pdf


@pytest.fixture(scope="module")
def client(formats_service):
    return TestClient(create_app(formats_service, formats_service.settings))


def _surfaces(formats_service, client, capsys, question: str) -> tuple[dict, str, str]:
    """The answer's JSON from /api/ask, what the CLI prints for it and the page's HTML."""
    body = client.post("/api/ask", json={"question": question}).json()
    answer = formats_service.ask(question)
    assert answer.to_dict()["hits"] == body["hits"]  # the API serves the service's answer as is
    _print_answer(answer)
    cli = capsys.readouterr().out
    articles = {h["doc_id"]: formats_service.document(h["doc_id"]).to_dict() for h in body["hits"]}
    page = html.unescape(answer_html(body) + cards_html(body, articles))
    return body, cli, page


def _everywhere(hit: dict, cli: str, page: str) -> None:
    """The card's citation and its highlighted sentence's on the CLI and the page, built nowhere else."""
    card, sentence = hit["citation"], hit["highlight"]["citation"]
    assert f"[{hit['rank']}] {card}  （{hit['file']}:{hit['start']}-{hit['end']}" in cli
    assert f"划线句出处：{sentence}" in cli or sentence == card  # the CLI names it where it differs
    assert f'<span class="qa-n">[{hit["rank"]}]</span>{card}' in page
    assert f"划线句出处：</span><code>{sentence}<span" in page


def _checked(client, capsys, quote: str) -> tuple[dict, str, str]:
    body = client.post("/api/verify", json={"quote": quote}).json()
    _print_check(_Check(body))
    cli = capsys.readouterr().out
    return body, cli, html.unescape(check_html(body))


class _Check:
    """What _print_check reads of a QuoteCheck: its to_dict(), the JSON the API serves."""

    def __init__(self, body: dict):
        self.body = body

    def to_dict(self) -> dict:
        return self.body


def test_a_pdf_sentence_is_cited_on_its_own_page(formats_service, client, capsys):
    body, cli, page = _surfaces(formats_service, client, capsys, "PaDiff主要分为哪几步？")
    hit = body["hits"][0]
    assert hit["format"] == "pdf" and (hit["page"], hit["page_end"]) == (1, 2)  # the passage runs over a page
    assert PADIFF in hit["text"]
    # A list answer's card highlights its first item (实例化模型), which stands on page 2 with the sentence.
    assert hit["text"][hit["highlight"]["start"] : hit["highlight"]["end"]] in PADIFF
    assert hit["citation"] == f"《{hit['title']}》第1–2页"
    assert hit["highlight"]["page"] == 2 and hit["highlight"]["citation"] == f"《{hit['title']}》第2页"
    # A list question: the steps are the answer, each cited on its own page (no short answer 三步).
    assert body["short_answer"] is None
    items = body["answer_items"]
    assert [i["text"] for i in items] == ["实例化模型", "复制参数", "自动计算Diff"]
    assert {i["citation"] for i in items} == {f"《{hit['title']}》第2页"}
    assert f"1. 实例化模型 [{items[0]['card']}] {items[0]['citation']}（" in cli
    _everywhere(hit, cli, page)
    # The quote check places the sentence where the card's highlight says it is.
    check, check_cli, check_page = _checked(client, capsys, PADIFF)
    match = check["matches"][0]
    assert (check["verdict"], match["page"]) == ("exact", 2)
    assert match["citation"] == hit["highlight"]["citation"]
    assert f"出处：{match['citation']}（" in check_cli and f"出处：{match['citation']}</div>" in check_page


def test_a_slide_a_spreadsheet_row_and_a_passage_of_paragraphs(formats_service, client, capsys):
    passages = formats_service.index.passages
    slide = next(p for p in passages if p.citation.format == "pptx" and len(p.text) > 30)
    several = next(
        p
        for p in passages
        if p.citation.paragraph_end and p.citation.page is None and p.citation.sheet is None and len(p.text) > 60
    )
    for passage, place in ((slide, f"第{slide.citation.page}张幻灯片"), (several, "段")):
        body, cli, page = _surfaces(formats_service, client, capsys, passage.text[:40])
        hit = next(h for h in body["hits"] if h["doc_id"] == passage.doc_id and h["start"] == passage.citation.start)
        assert hit["citation"] == passage.citation.label() and place in hit["citation"]
        _everywhere(hit, cli, page)
    first, last = several.citation.paragraph, several.citation.paragraph_end
    assert (
        several.citation.label().endswith(f"第{first}–{last}段") or f"第{first}–{last}段）" in several.citation.label()
    )
    # A spreadsheet row: the quote check and the card of the same row cite it alike.
    check, check_cli, check_page = _checked(client, capsys, "当前的运行环境是什么，windows还是Linux")
    match = check["matches"][0]
    assert match["citation"] == f"《{match['title']}》Sheet1·第3行"
    assert f"出处：{match['citation']}（" in check_cli and f"出处：{match['citation']}</div>" in check_page
    body, cli, page = _surfaces(formats_service, client, capsys, "当前的运行环境是什么，windows还是Linux")
    row = next(h for h in body["hits"] if h["sheet"] and h["row"] == 3)
    assert row["highlight"]["citation"] == match["citation"]
    _everywhere(row, cli, page)
