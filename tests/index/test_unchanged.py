"""A build reads only new or changed files (qa/index/unchanged.py): what the previous build made of a
file whose bytes it read, under the same reading settings, is taken from it, a refusal included; a
changed file, or other reading settings, reads it again. The index it makes is the one reading
everything gives."""

from __future__ import annotations

from qa.index.build import build_index


def _reports(report) -> dict[str, tuple[bool, str | None]]:
    return {r.file.rsplit("/", 1)[-1]: (r.unchanged, r.error) for r in report["file_reports"]}


def test_a_later_build_reads_only_new_or_changed_files(tiny):
    svc = tiny.service()
    before = svc.index
    bad = tiny.corpus / "坏.pdf"
    bad.write_bytes(b"%PDF-1.4\n" + b"x" * 200)  # refused by its reader
    new = tiny.corpus / "new.txt"
    new.write_text("青溪县观澜水库的库容为四千七百万立方米。\n", encoding="utf-8")
    report = svc.ingest([tiny.corpus])
    reports = _reports(report)
    assert reports["forum.txt"] == (True, None) and reports["other.txt"] == (True, None), reports
    assert reports["new.txt"] == (False, None) and not reports["坏.pdf"][0] and reports["坏.pdf"][1], reports
    kept = [p for p in svc.index.passages if p.citation.file.endswith(("forum.txt", "other.txt"))]
    old = list(before.passages)
    assert [(p.citation, p.text, p.heading, p.context) for p in kept] == [
        (p.citation, p.text, p.heading, p.context) for p in old
    ]

    # The refused file is refused again for the same reason without being read; a changed file is read.
    other = tiny.corpus / "other.txt"
    other.write_text(other.read_text(encoding="utf-8") + "补充一句新的说明。\n", encoding="utf-8")
    (tiny.corpus / "more.txt").write_text("观澜水库建于一九五八年。\n", encoding="utf-8")
    report = svc.ingest([tiny.corpus])
    reports = _reports(report)
    assert reports["forum.txt"] == (True, None) and reports["new.txt"] == (True, None), reports
    assert reports["other.txt"] == (False, None) and reports["more.txt"] == (False, None), reports
    assert reports["坏.pdf"][0] and reports["坏.pdf"][1], reports
    assert any("补充一句新的说明" in p.text for p in svc.index.passages)
    hit = svc.ask("观澜水库的库容是多少？").hits[0]
    assert "四千七百万立方米" in hit.passage.text

    # The same files under other reading settings (a passage length): every file is read again, and
    # the index is what reading every file gives.
    settings = tiny.settings.replace(max_passage_chars=200)
    _, report = build_index(settings, [tiny.corpus], tiny.encoder, tiny.root / "again", svc.index)
    assert not any(unchanged for unchanged, _ in _reports(report).values()), _reports(report)
