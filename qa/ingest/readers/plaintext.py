"""Plain text: UTF-8 (BOM or not), UTF-16 with a BOM, GB18030/GBK and Big5 chosen by how Chinese they read."""

from __future__ import annotations

import codecs

from qa.errors import UndecodableSource
from qa.ingest.charstats import commonness

from .base import Document, ReadLimits

__all__ = ["read", "decode_bytes"]

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip
# Legacy encodings Chinese offices save in. Each is tried; the one that reads as the most ordinary
# Chinese wins (Big5 bytes also decode without error as GB18030, into rare characters).
_LEGACY = ("gb18030", "big5")


def _binary(name: str) -> UndecodableSource:
    return UndecodableSource(f"{name} looks like a binary file (it contains NUL bytes); give a text file.")


def _utf8(data: bytes, name: str, warnings: list[str]) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Cut in the middle of its last character (a copy or download stopped short): read the rest.
        if exc.reason == "unexpected end of data" and exc.end == len(data) and len(data) - exc.start < 4:
            try:
                text = data[: exc.start].decode("utf-8")
            except UnicodeDecodeError:
                return None
            warnings.append(f"{name}: the last character is cut off ({len(data) - exc.start} bytes); read without it")
            return text
        return None


def decode_bytes(data: bytes, name: str, warnings: list[str] | None = None) -> tuple[str, str]:
    """Text and encoding of `data`; line ends normalised to \\n so a CRLF file cites the same spans."""
    warnings = [] if warnings is None else warnings
    text = encoding = None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text, encoding = data.decode(codec), codec.replace("-sig", "")
            except UnicodeDecodeError:
                raise UndecodableSource(f"{name} starts with a {codec} byte-order mark but is not {codec}.") from None
            break
    if text is None:
        text = _utf8(data, name, warnings)
        encoding = "utf-8"
    if text is None:
        if b"\x00" in data:
            raise _binary(name)
        best = None
        for codec in _LEGACY:
            try:
                candidate = data.decode(codec)
            except UnicodeDecodeError:
                continue
            score = commonness(candidate) or 0.0
            if best is None or score > best[0]:
                best = (score, candidate, codec)
        if best is None or best[0] < 0.5:
            raise UndecodableSource(
                f"{name} is not UTF-8, UTF-16, GB18030/GBK or Big5 text; save it as UTF-8 and ingest it again."
            )
        _, text, encoding = best
    if "\x00" in text:
        raise _binary(name)
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def read(data: bytes, name: str, limits: ReadLimits) -> Document:
    warnings: list[str] = []
    text, encoding = decode_bytes(data, name, warnings)
    return Document("txt", text, blocks=None, extracted=False, encoding=encoding, warnings=warnings)
