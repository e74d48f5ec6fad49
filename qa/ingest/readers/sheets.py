"""XLSX with openpyxl (read-only, streamed): each row a passage "列名：值；…" citing its sheet and row."""

from __future__ import annotations

from .base import Document, ReadLimits, TextBlock, assemble
from .office import open_office

__all__ = ["read"]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read(data: bytes, name: str, limits: ReadLimits) -> Document:
    import openpyxl

    book = open_office(
        data, name, "XLSX", limits, lambda stream: openpyxl.load_workbook(stream, read_only=True, data_only=True)
    )
    warnings: list[str] = []
    blocks: list[TextBlock] = []
    rows_read = 0
    try:
        for sheet in book.worksheets:
            # Rows as the sheet holds them, not as its <dimension> claims: a claimed A1:XFD1048576 would
            # pad every row to 16,384 cells and the sheet to a million rows.
            sheet.reset_dimensions()
            header: list[str] | None = None
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [_cell(v) for v in values]
                if not any(cells):
                    continue
                if header is None:
                    # The first non-empty row names the columns; an unnamed one is called 列N.
                    header = [c or f"列{k}" for k, c in enumerate(cells, start=1)]
                    continue
                rows_read += 1
                if rows_read > limits.max_pages * 50:
                    warnings.append(f"{name}: only the first {rows_read - 1} rows are read (setting max_pages × 50)")
                    break
                pairs = [f"{header[k] if k < len(header) else f'列{k + 1}'}：{c}" for k, c in enumerate(cells) if c]
                blocks.append(TextBlock("；".join(pairs), "table_row", sheet=sheet.title, row=number, origin="row"))
            else:
                continue
            break
    finally:
        book.close()
    return assemble("xlsx", blocks, pages=rows_read, warnings=warnings)
