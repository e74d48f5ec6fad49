"""An upload's type comes from its bytes (real files of the formats corpus under wrong names), and
the name it is stored under cannot leave the collection's folder."""

from __future__ import annotations

import io
import zipfile

import pytest

from qa.collections.sniff import sniff, stored_name
from qa.errors import UndecodableSource
from tests.collections.conftest import FORMATS

REAL = {
    "poem.pdf": ".pdf",
    "PaddlePaddle学习笔记——王欢.docx": ".docx",
    "Paddle_Fluid框架执行逻辑_v1.2_陈威行.pptx": ".pptx",
    "langchain-ChatGLM_closed.xlsx": ".xlsx",
    "中华人民共和国监察法_sxmu.html": ".html",
    "sample-chinese.txt": ".txt",  # Big5
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_the_type_is_read_from_the_bytes_not_the_name(name):
    data = (FORMATS / name).read_bytes()
    assert sniff(data, "upload.bin") == REAL[name]
    assert sniff(data, "wrong.txt") == REAL[name]


def test_markdown_is_text_named_md():
    data = (FORMATS / "分布式训练技术原理.md").read_bytes()
    assert (sniff(data, "notes.md"), sniff(data, "notes.docx")) == (".md", ".txt")


def _zip(names: list[str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n in names:
            z.writestr(n, "x")
    return out.getvalue()


@pytest.mark.parametrize(
    "data, says",
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "legacy Office"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "images"),
        (_zip(["a.txt"]), "zip archive"),
        (_zip(["content.xml", "mimetype"]), "OpenDocument"),
        (b"PK\x03\x04 not really a zip", "damaged zip"),
        (b"\x7fELF\x02\x01\x01" + b"\0" * 100, "binary file"),
    ],
)
def test_other_files_are_refused_with_what_to_do(data, says):
    with pytest.raises(UndecodableSource, match=says):
        sniff(data, "通知.docx")


@pytest.mark.parametrize(
    "name, stored",
    [
        ("../../etc/passwd", "passwd.txt"),
        ("..\\..\\boot.ini", "boot.txt"),
        (".hidden", "hidden.txt"),
        ("通知 (2024).docx", "通知 (2024).txt"),
        ("a/b/报告.PDF", "报告.txt"),
        ("PaddlePaddle学习笔记——王欢.docx", "PaddlePaddle学习笔记——王欢.txt"),  # the title keeps its dashes
        ("", "document.txt"),
        ("x\x00y;rm -rf.txt", "x_y_rm -rf.txt"),
    ],
)
def test_stored_names_stay_in_the_folder(name, stored):
    assert stored_name(name, ".txt") == stored
