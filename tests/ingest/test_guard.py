"""qa.ingest.guard: each file read and laid out in a worker process, refused with one line past its
time, its memory or its characters; what it reads is what reading in the process itself gives."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from qa.config import Settings
from qa.errors import UndecodableSource
from qa.ingest.guard import FileBounds, read_guarded
from tests.collections.conftest import FORMATS
from tests.conftest import run_qa
from tests.hostile_files import docx_unzipping_to, spreadsheet_claiming_every_cell

BOUNDS = FileBounds.of(Settings.load())


@pytest.fixture(scope="module")
def docx_bomb(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "bomb.docx"
    path.write_bytes(docx_unzipping_to(40))
    return path


def test_a_file_past_max_file_seconds_is_refused_with_one_line(docx_bomb):
    started = time.monotonic()
    with pytest.raises(UndecodableSource) as refused:
        read_guarded(docx_bomb, replace(BOUNDS, seconds=2))
    assert time.monotonic() - started < 15  # killed, not waited for
    message = refused.value.message
    assert "\n" not in message and "bomb.docx" in message and "max_file_seconds" in message, message
    # the killed worker is replaced: the next file reads
    assert read_guarded(FORMATS / "sample-chinese.txt", BOUNDS).passages


def test_a_file_past_max_file_memory_mb_is_refused_with_one_line(docx_bomb):
    with pytest.raises(UndecodableSource) as refused:
        read_guarded(docx_bomb, replace(BOUNDS, memory_mb=64))
    message = refused.value.message
    assert "\n" not in message and "bomb.docx" in message and "max_file_memory_mb" in message, message
    assert read_guarded(FORMATS / "sample-chinese.txt", BOUNDS).passages


def test_characters_produced_are_counted_not_rows_kept(tmp_path):
    sheet = tmp_path / "sheet.xlsx"
    sheet.write_bytes(spreadsheet_claiming_every_cell())
    read = read_guarded(sheet, BOUNDS)  # rows as the sheet holds them, not the million it claims
    assert read.source.report.pages == 1 and "最后一格" in read.source.text
    text = tmp_path / "long.txt"
    text.write_text("这是一句话。" * 400, encoding="utf-8")
    with pytest.raises(UndecodableSource, match="max_file_chars"):
        read_guarded(text, replace(BOUNDS, max_chars=1000))
    assert read_guarded(text, replace(BOUNDS, max_chars=2400)).passages  # at the limit: read


@pytest.mark.parametrize(
    "name",
    [
        "PaddlePaddle学习笔记——王欢.docx",
        "Paddle_Fluid框架执行逻辑_v1.2_陈威行.pptx",
        "langchain-ChatGLM_closed.xlsx",
        "中华人民共和国监察法_sxmu.html",
        "分布式训练技术原理.md",
        "test.txt",
        "论文复现指南-新.pdf",
    ],
)
def test_a_normal_file_gives_the_same_passages_as_read_in_process(name):
    guarded = read_guarded(FORMATS / name, BOUNDS)
    in_process = read_guarded(FORMATS / name, replace(BOUNDS, seconds=0))
    assert guarded.passages and guarded.passages == in_process.passages
    assert guarded.articles == in_process.articles and guarded.source == in_process.source


def test_errors_name_the_file_as_reports_do_and_keep_their_type(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"x" * 200)
    with pytest.raises(UndecodableSource) as refused:
        read_guarded(broken, BOUNDS)
    assert "broken.pdf" in refused.value.message and "\n" not in refused.value.message


def test_qa_ingest_refuses_the_hostile_file_in_one_line_and_indexes_the_rest(docx_bomb, tmp_path):
    """The same guard in the shell: `qa ingest` of a folder holding the DOCX bomb and a good file."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "bomb.docx").write_bytes(docx_bomb.read_bytes())
    (folder / "good.txt").write_text("青溪县观澜水库的库容为四千七百万立方米。\n", encoding="utf-8")
    started = time.monotonic()
    done = run_qa("ingest", "--collection", "炸弹", "--set", "max_file_seconds=3", str(folder),
                  env={"QA_INDEX_DIR": str(tmp_path / "index")}, timeout=240)  # fmt: skip
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    refused = [line for line in (done.stdout + done.stderr).splitlines() if "bomb.docx" in line]
    assert len(refused) == 1 and "max_file_seconds" in refused[0], done.stdout + done.stderr
    assert "good.txt" in done.stdout + done.stderr and time.monotonic() - started < 200


def test_a_file_s_time_has_a_ceiling_however_many_pages_are_ocrd(tmp_path):
    """Each page OCR'd adds ocr_page_seconds (30 here), but never past max_file_seconds_total (12 here):
    a scan of six pages is refused at the ceiling, not allowed 10 + 6 × 30 s."""
    pytest.importorskip("rapidocr_onnxruntime", reason="the OCR extra: pip install 'qa[ocr]'")
    import pypdfium2 as pdfium

    page = pdfium.PdfDocument((FORMATS / "2024-4-25-meeting-minutes.pdf").read_bytes())[0].render(scale=1.5).to_pil()
    scan = tmp_path / "scan.pdf"
    page.save(scan, "PDF", save_all=True, append_images=[page] * 5)
    started = time.monotonic()
    with pytest.raises(UndecodableSource) as refused:
        read_guarded(scan, replace(BOUNDS, seconds=10, ocr_page_seconds=30, seconds_total=12))
    assert time.monotonic() - started < 30
    message = refused.value.message
    assert "\n" not in message and "scan.pdf" in message and "max_file_seconds_total" in message, message


def test_an_idle_worker_exits_so_its_memory_goes_back():
    """A worker holds what its last file made it allocate (1.4 GB seen), and the OCR model once loaded:
    left idle for idle_seconds it exits; the next file gets a fresh one."""
    from qa.ingest import guard

    read_guarded(FORMATS / "test.txt", replace(BOUNDS, idle_seconds=1))
    worker = guard._POOL._idle[-1]  # the one that read it, kept for the next file
    deadline = time.monotonic() + 15
    while worker.alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not worker.alive()
    assert read_guarded(FORMATS / "test.txt", BOUNDS).passages  # a fresh worker takes over
    assert worker not in guard._POOL._idle
