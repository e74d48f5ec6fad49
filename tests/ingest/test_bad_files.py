"""Files that cannot be read, or only partly: one clear line each, and the rest of the batch goes on."""

from __future__ import annotations

import io
import os
import sys
import zipfile
from pathlib import Path

import pytest

from qa.config import Settings
from qa.errors import UndecodableSource
from qa.index.build import read_sources
from qa.ingest.passages import build_corpus
from qa.ingest.readers import ReadLimits, read_document
from qa.ingest.sources import find_sources, read_source

GOOD = "长三角生态绿色一体化发展示范区建设进展顺利。今年完成了首期工程。"


def _encrypted_pdf() -> bytes:
    """A one-page PDF under the standard security handler whose user password is not empty."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R /Encrypt 4 0 R /ID [<{'ab' * 16}> <{'ab' * 16}>] >>\n".encode()
    )
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _zip_bomb(inflated: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"\0" * inflated)
    return buf.getvalue()


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("secret.pdf", _encrypted_pdf(), "encrypted PDF"),
        ("broken.pdf", b"%PDF-1.4\nnot really", "not a readable PDF"),
        ("bomb.docx", _zip_bomb(3 * 1024 * 1024), "would decompress to 3 MiB"),
        ("random.docx", os.urandom(2048), "not a valid DOCX"),
        ("random.xlsx", b"PK\x03\x04" + os.urandom(512), "not a valid XLSX"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "save it as DOCX"),
        ("report.wps", b"whatever", "save it as DOCX"),
        ("scan.png", b"\x89PNG\r\n\x1a\n", "put scans into a PDF"),
        ("empty.txt", b"  \n", "is empty"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_unreadable_files_get_one_clear_message(name, data, message):
    with pytest.raises(UndecodableSource, match=message) as caught:
        read_document(data, name, ReadLimits(max_unzipped_bytes=1024 * 1024))
    assert "\n" not in caught.value.message


def test_a_small_zip_within_the_limit_is_not_taken_for_a_bomb(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph(GOOD)
    d.save(tmp_path / "ok.docx")
    document = read_document((tmp_path / "ok.docx").read_bytes(), "ok.docx", ReadLimits(max_unzipped_bytes=1024 * 1024))
    assert document.text == GOOD


def test_largest_file_setting(tmp_path):
    f = tmp_path / "big.txt"
    f.write_text(GOOD * 20, encoding="utf-8")
    with pytest.raises(UndecodableSource, match="max_file_mb"):
        read_source(f, max_bytes=1000)
    assert read_source(f, max_bytes=100_000).text == GOOD * 20


def test_page_limit(tmp_path):
    formats = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "formats"
    document = read_document((formats / "poem.pdf").read_bytes(), "poem.pdf", ReadLimits(max_pages=2, ocr=False))
    assert document.pages == 2 and {b.page for b in document.blocks} == {1, 2}
    assert any("only the first 2" in w for w in document.warnings)


def test_html_over_the_size_limit_is_cut_with_a_warning():
    page = (
        "<html><body><p>正文第一段。会议决定加快推进。</p>" + "<a href='/x'>导航</a>" * 20000 + "</body></html>"
    ).encode()
    document = read_document(page, "nav.html", ReadLimits(max_html_bytes=64 * 1024))
    assert "正文第一段" in document.text and any("max_html_mb" in w for w in document.warnings)


def test_five_megabytes_of_navigation_keep_the_body_and_drop_the_menu(tmp_path):
    """A saved page of 5 MB of menu links around one short story, read with the default settings (under
    max_html_mb): the story is kept, not one link is. Its time and memory: bench/html_nav.py (docs/benchmarks.md)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from html_nav import BODY, nav_page

    page = tmp_path / "nav.html"
    page.write_bytes(nav_page(5))
    assert page.stat().st_size >= 5_000_000
    source = read_source(page, Settings.load().read_limits)
    assert BODY in source.text and "新闻中心" not in source.text and source.report.warnings == []
    corpus = build_corpus([source], 300)
    # The page title opens the one passage, with the headline under it: no heading is lost.
    assert [p.text for p in corpus.passages] == [f"示范区建设\n示范区建设进展\n{BODY}"]


def test_symlinks_leaving_the_folder_are_not_followed_unless_allowed(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    outside = tmp_path / "secret.txt"
    outside.write_text("外面的文件不应被读入。", encoding="utf-8")
    (folder / "link.txt").symlink_to(outside)
    (folder / "inner.txt").symlink_to(folder / "good.txt")  # stays inside: the same file, found once
    notes: list[str] = []
    assert find_sources([folder], notes=notes) == [folder / "good.txt"]
    assert len(notes) == 1 and "not followed" in notes[0] and "follow_symlinks" in notes[0]
    assert folder / "link.txt" in find_sources([folder], follow_symlinks=True)


def _mixed_folder(folder: Path) -> Path:
    """One readable file beside an encrypted PDF and a legacy .doc."""
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "secret.pdf").write_bytes(_encrypted_pdf())
    (folder / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    return folder


def test_a_batch_goes_on_past_bad_files(tmp_path):
    folder = _mixed_folder(tmp_path / "batch")
    (folder / "empty.md").write_bytes(b"")
    sources, reports, skipped = read_sources(Settings.load(), [folder])
    assert [s.path.name for s in sources] == ["good.txt"]
    lines = {Path(r.file).name: r.line() for r in reports}
    assert lines["good.txt"].startswith("已读") and lines["secret.pdf"].startswith("未读")
    assert "encrypted" in lines["secret.pdf"] and "DOCX" in lines["old.doc"] and "empty" in lines["empty.md"]
    assert len(skipped) == 3 and all(len(line.splitlines()) == 1 for line in lines.values())


def test_cli_reports_every_file_and_fails_only_when_nothing_was_read(tmp_path):
    from tests.conftest import run_qa

    folder = _mixed_folder(tmp_path / "mixed")
    env = {"QA_CORPUS": str(folder), "QA_INDEX_NAME": "mixed-batch"}
    done = run_qa("ingest", str(folder), env=env)
    assert done.returncode == 0, done.stderr
    assert "已读" in done.stdout and "good.txt" in done.stdout
    assert "未读" in done.stdout and "encrypted PDF" in done.stdout and "save it as DOCX" in done.stdout
    assert "Traceback" not in done.stderr
    # Ingested again unchanged: nothing is re-read, and still every file gets its line.
    again = run_qa("ingest", str(folder), env=env)
    assert again.returncode == 0, again.stderr
    lines = {
        line.split(" ", 2)[1].rstrip(":"): line for line in again.stdout.splitlines() if line[:2] in ("未变", "未读")
    }
    assert {Path(f).name for f in lines} == {"good.txt", "secret.pdf", "old.doc"}, again.stdout
    good = next(line for f, line in lines.items() if f.endswith("good.txt"))
    assert good.startswith("未变") and "unchanged, not re-read" in good and "1 段" in good
    secret = next(line for f, line in lines.items() if f.endswith("secret.pdf"))
    assert secret.startswith("未读") and "encrypted PDF" in secret and "not tried again" in secret
    assert "索引未变" in again.stdout and "已读" not in again.stdout

    bad = tmp_path / "all-bad"
    bad.mkdir()
    (bad / "secret.pdf").write_bytes(_encrypted_pdf())
    refused = run_qa("ingest", str(bad), env={"QA_CORPUS": str(bad), "QA_INDEX_NAME": "all-bad"})
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    # One error line, the last; the lines before it are the build's step lines ("reading: 1 files …").
    errors = [line for line in refused.stderr.splitlines() if line.startswith("错误：")]
    assert len(errors) == 1 and refused.stderr.strip().splitlines()[-1] == errors[0]
    assert "encrypted PDF" in refused.stderr
