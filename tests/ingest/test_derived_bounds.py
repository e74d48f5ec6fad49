"""Texts derived from a file are bounded, whatever the file: the lead sentence every passage carries, the
headings over its passages; and a blank PDF page (no ink once rendered) is not sent to OCR, while a
scanned page with text is."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest

from qa.ingest.layout import SOURCE_MAX
from qa.ingest.passages import LEAD_MAX, build_corpus
from qa.ingest.readers import ReadLimits, read_document
from qa.ingest.readers.pdf import has_ink
from qa.ingest.sources import find_sources, read_source
from qa.ingest.units import HEADING_MAX
from tests.conftest import ROOT, SEEDS
from tests.hostile_files import blank_pdf, one_line_text

FORMATS = ROOT.parent / "shared" / "corpora" / "formats"


def _passages(tmp_path, name: str, text: str):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return build_corpus([read_source(f)], 300).passages


def test_a_line_with_no_sentence_end_is_not_the_lead_of_every_passage(tmp_path):
    ps = _passages(tmp_path, "一行.txt", one_line_text(30_000).decode())
    assert len(ps) >= 90 and all(0 < len(p.context) <= LEAD_MAX for p in ps)
    assert ps[0].text.startswith(ps[0].context)
    # a long first sentence is cut at a comma when it has one
    clause = "会议强调，" + "要坚持稳中求进工作总基调" * 12 + "，" + "推动高质量发展" * 20 + "。"
    ps = _passages(tmp_path, "长句.txt", f"{clause}\n\n第二段。\n")
    assert ps[0].context.endswith("，") and len(ps[0].context) <= LEAD_MAX


def test_a_source_line_of_a_whole_file_is_not_every_citation_s_source(tmp_path):
    ps = _passages(tmp_path, "来源.txt", "来源：" + one_line_text(30_000).decode() + "\n正文第一句。\n")
    assert ps and all(len(p.citation.source) <= SOURCE_MAX for p in ps)
    ps = _passages(tmp_path, "新闻.txt", "标题\n来源：新华社\n正文第一句。\n")
    assert ps[0].citation.source == "新华社"


def test_a_news_lead_is_kept_whole():
    # The seeds' leads (other text than the hostile one): every one kept as its first sentence.
    sources = [read_source(p) for p in sorted(SEEDS.glob("*.txt"))]
    leads = {p.context for p in build_corpus(sources, 300).passages if p.context}
    assert leads and all(len(lead) <= LEAD_MAX and lead[-1] in "。！？；”" for lead in leads), [
        lead for lead in leads if lead[-1] not in "。！？；”"
    ][:3]


def test_a_heading_of_a_whole_file_is_text_and_stacked_headings_are_bounded(tmp_path):
    ps = _passages(tmp_path, "标题.md", "# " + one_line_text(3_000).decode() + "\n")
    assert len(ps) >= 9 and all(len(p.text) <= 300 and not p.heading for p in ps)
    stacked = "\n\n".join(f"## 第{k}节标题" for k in range(100)) + "\n\n正文第一句。\n"
    ps = _passages(tmp_path, "多标题.md", stacked)
    assert all(len(p.heading) <= HEADING_MAX for p in ps)
    assert any(p.heading.endswith("第99节标题") for p in ps)
    # ordinary headings stay as they are
    ps = _passages(tmp_path, "指南.md", "# 指南\n\n## 精度对齐\n\n正文第一句。\n")
    assert ps[0].heading == "指南\n精度对齐"


def _image_pdf(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PDF")
    return out.getvalue()


def test_a_blank_page_has_no_ink_and_is_not_sent_to_ocr():
    document = read_document(blank_pdf(300), "blank.pdf", ReadLimits())
    assert document.pages == 300 and document.ocr_pages == [] and document.needs_ocr == [], document.warnings
    from PIL import Image

    white = pdfium.PdfDocument(_image_pdf(Image.new("RGB", (1240, 1754), "white")))  # a blank scan
    assert not has_ink(white[0])


@pytest.fixture(scope="module")
def scanned_page() -> bytes:
    """A scanned page: the first page of the meeting minutes rendered to an image, in a PDF with no text
    layer at all."""
    pdf = pdfium.PdfDocument((FORMATS / "2024-4-25-meeting-minutes.pdf").read_bytes())
    return _image_pdf(pdf[0].render(scale=1.5).to_pil())


def test_a_scanned_page_has_ink_and_still_needs_ocr(scanned_page):
    assert has_ink(pdfium.PdfDocument(scanned_page)[0])
    document = read_document(scanned_page, "scan.pdf", ReadLimits(ocr=False))  # OCR itself: test_readers.py
    assert document.needs_ocr == [1] and any("need OCR" in w for w in document.warnings)
    for name in ("poem.pdf", "论文复现指南-新.pdf"):  # pages with a text layer: ink too
        assert has_ink(pdfium.PdfDocument((FORMATS / name).read_bytes())[0])


def test_a_missing_upload_is_named_within_its_collection(tmp_path):
    gone = tmp_path / "库.files" / "good.txt"
    with pytest.raises(Exception) as missing:
        find_sources([gone])
    assert "库.files/good.txt" in missing.value.message and str(tmp_path) not in missing.value.message
    with pytest.raises(Exception) as missing:
        read_source(gone)
    assert "库.files/good.txt" in missing.value.message and str(tmp_path) not in missing.value.message
