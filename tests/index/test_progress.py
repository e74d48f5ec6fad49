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
