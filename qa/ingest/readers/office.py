"""What every Office Open XML reader (DOCX, PPTX, XLSX) checks first: a zip that is not a bomb."""

from __future__ import annotations

import io
import zipfile

from qa.errors import UndecodableSource

from .base import ReadLimits

__all__ = ["checked_zip", "open_office"]


def checked_zip(data: bytes, name: str, what: str, limits: ReadLimits) -> io.BytesIO:
    """The file as a stream for the library, once its zip directory says it is safe to open.

    The sizes in the directory are what decompression will produce (zipfile refuses members that
    inflate past their recorded size), so summing them bounds memory before anything is inflated.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
    except zipfile.BadZipFile:
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise UndecodableSource(
                f"{name} is an encrypted or legacy (OLE) Office file, not {what}; "
                f"remove the password or save it again as {what} (or PDF) and ingest that."
            ) from None
        raise UndecodableSource(f"{name} is not a valid {what} file (not a zip archive); it may be damaged.") from None
    total = sum(i.file_size for i in infos)
    if total > limits.max_unzipped_bytes:
        raise UndecodableSource(
            f"{name} would decompress to {total // (1024 * 1024)} MiB, over the limit of "
            f"{limits.max_unzipped_bytes // (1024 * 1024)} MiB (setting max_unzipped_mb); not read."
        )
    if "[Content_Types].xml" not in names:
        raise UndecodableSource(f"{name} is a zip archive but not a {what} document.")
    return io.BytesIO(data)


def open_office(data: bytes, name: str, what: str, limits: ReadLimits, opener):
    """`opener(stream)` of the library for this format, on a zip checked by checked_zip. Libraries
    raise KeyError, ValueError, lxml errors … on damaged files: each becomes one clear message."""
    stream = checked_zip(data, name, what, limits)
    try:
        return opener(stream)
    except Exception as exc:
        raise UndecodableSource(
            f"{name} is not a readable {what} file ({type(exc).__name__}); it may be damaged."
        ) from None
