"""The ingest report: one line per file — what was read, how, and what could not be."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

__all__ = ["FileReport"]


@dataclass
class FileReport:
    file: str
    format: str
    pages: int | None = None  # pages, slides or rows read
    characters: int = 0
    passages: int = 0
    median_chars: int = 0  # median passage length: a low one says the file was cut into fragments
    ocr_pages: list[int] = field(default_factory=list)
    needs_ocr: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None  # why the file was not read at all
    unchanged: bool = False  # a re-ingest found the file as the index last read it: not read again

    @property
    def ok(self) -> bool:
        return self.error is None

    def line(self) -> str:
        """One line for people: 已读 / 未读 / 未变, what, and any warning on following indented lines.
        An unchanged file says so and repeats what its last read found (and any warning it still has)."""
        if self.error:
            again = " (unchanged since then, not tried again)" if self.unchanged else ""
            return f"未读 {self.file}: {self.error}{again}"
        what = [self.format]
        if self.pages is not None:
            what.append(
                f"{self.pages} {'行' if self.format == 'xlsx' else '张幻灯片' if self.format == 'pptx' else '页'}"
            )
        what += [f"{self.characters} 字", f"{self.passages} 段"]
        if self.passages:
            what.append(f"每段中位 {self.median_chars} 字")
        if self.ocr_pages:
            what.append(f"OCR {len(self.ocr_pages)} 页")
        if self.unchanged:
            out = f"未变 {self.file}: unchanged, not re-read (last read: {', '.join(what)})"
        else:
            out = f"已读 {self.file}: {', '.join(what)}"
        return "\n".join([out, *(f"  注意：{w}" for w in self.warnings)])

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> FileReport:
        """A report as the manifest recorded it (keys this version does not know are ignored)."""
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})
