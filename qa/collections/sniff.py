"""An uploaded file's type from its bytes, not its name, and a safe name to store it under.

    sniff(data, name) -> ".pdf" | ".docx" | ".pptx" | ".xlsx" | ".html" | ".md" | ".txt"
    stored_name(name, suffix) -> the upload's own name, made safe, ending in the sniffed suffix

A PDF is `%PDF-`; DOCX, PPTX and XLSX are zip files told apart by their main part; HTML opens with a
tag; anything else must decode as text (Markdown when it was named .md). Legacy Office files (OLE2),
images, archives and other binaries are refused with what to do, as `qa ingest` refuses them.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

from qa.errors import UndecodableSource
from qa.ingest.readers import UNSUPPORTED
from qa.ingest.sources import decode_bytes

__all__ = ["sniff", "stored_name"]

_OOXML = {"word/document.xml": ".docx", "ppt/presentation.xml": ".pptx", "xl/workbook.xml": ".xlsx"}
_BINARY = {
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "a legacy Office file (.doc/.xls/.ppt or WPS); save it as DOCX, XLSX or PPTX",
    b"\x89PNG": UNSUPPORTED[".png"],
    b"\xff\xd8\xff": UNSUPPORTED[".jpg"],
    b"GIF8": UNSUPPORTED[".gif"],
    b"{\\rtf": UNSUPPORTED[".rtf"],
    b"\x1f\x8b": "a gzip archive; unpack it and upload the documents inside",
    b"Rar!": "a RAR archive; unpack it and upload the documents inside",
    b"7z\xbc\xaf": "a 7z archive; unpack it and upload the documents inside",
}
_HTML = re.compile(rb"^\s*(<!doctype html|<html|<head|<body|<meta|<title)", re.IGNORECASE)


def sniff(data: bytes, name: str) -> str:
    """The reader suffix for these bytes; UndecodableSource (naming the file) when none fits."""
    head = data[:16]
    for magic, what in _BINARY.items():
        if head.startswith(magic):
            raise UndecodableSource(f"{name}: this is {what}.")
    if head.startswith(b"%PDF-"):
        return ".pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, ValueError):
            raise UndecodableSource(f"{name}: a damaged zip file; save the document again and upload that.") from None
        for part, suffix in _OOXML.items():
            if part in names:
                return suffix
        if "content.xml" in names:
            raise UndecodableSource(f"{name}: {UNSUPPORTED['.odt']}.")
        raise UndecodableSource(f"{name}: a zip archive, not a document; unpack it and upload the documents inside.")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UndecodableSource(f"{name}: a binary file of no supported type (txt md pdf docx pptx xlsx html).")
    body = data.lstrip(b"\xef\xbb\xbf")
    if _HTML.match(body[:2048]):
        return ".html"
    try:
        decode_bytes(data, name)
    except UndecodableSource as exc:
        raise UndecodableSource(f"{name}: not text in any encoding qa reads ({exc.message})") from None
    return ".md" if name.lower().endswith((".md", ".markdown")) else ".txt"


_UNSAFE = re.compile(r"[^\w\-.()（）【】《》 —–·、，]+")  # keep the punctuation of Chinese file names


def stored_name(name: str, suffix: str) -> str:
    """The upload's base name (no folders, no leading dots, no control characters), with `suffix`.

    Chinese names are kept: the stored name is the document's name in citations."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    stem = _UNSAFE.sub("_", stem).strip(" ._")[:100] or "document"
    return stem + suffix
