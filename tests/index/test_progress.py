"""Build progress: a bar with count, rate and ETA on a terminal; one line per step otherwise."""

from __future__ import annotations

import logging
import time

from qa.index.progress import BuildProgress


def test_bars_show_count_rate_and_eta(capsys):
    with BuildProgress(bars=True).step("embedding", 3, "texts") as advance:
        for _ in range(3):
            time.sleep(0.15)  # tqdm redraws at most every 0.1 s
            advance(1)
    err = capsys.readouterr().err
    assert "embedding" in err and "3/3" in err and "texts/s" in err and "<" in err  # elapsed<remaining


def test_without_a_terminal_each_step_is_one_line(capsys, caplog):
    caplog.set_level(logging.INFO, logger="qa")
    with BuildProgress(bars=False).step("reading", 2, "files") as advance:
        advance(1)
        advance(1)
    assert capsys.readouterr().err == ""  # no bar
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith("reading: 2 files in ")


def test_long_steps_report_rate_and_eta_between_lines(caplog):
    caplog.set_level(logging.INFO, logger="qa")
    seen = []
    progress = BuildProgress(bars=False, every=0.0, on_update=seen.append)
    with progress.step("embedding", 4, "texts") as advance:
        for _ in range(2):
            time.sleep(0.05)
            advance(1)
        running = progress.status()["current"]
        advance(2)
    assert running["step"] == "embedding" and running["done"] == 2 and running["total"] == 4
    # Two done in about 0.1 s: about 20 a second, so the two left need about 0.1 s.
    assert 5 < running["rate"] < 40 and 0 < running["eta_seconds"] < 0.5
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("embedding: 1 / 4 texts, ") and "texts/s, about 0 s left" in lines[1]
    assert lines[-1].startswith("embedding: 4 texts in ")  # the step's summary: what it did, how long
    assert progress.status() == {"current": None, "finished": progress.history}
    assert [h["step"] for h in progress.history] == ["embedding"] and progress.history[0]["count"] == 4
    assert seen[-1]["current"] is None and seen[-1]["finished"][0]["step"] == "embedding"
