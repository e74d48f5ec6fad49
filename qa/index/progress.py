"""Progress of a build's steps (reading, layout, embedding, keyword index, FAISS, writing).

On a terminal each step is a tqdm bar on stderr with its count, rate and ETA; otherwise (a log
file, a pipe, a server) each step is one line when it ends: what it did and how long it took.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterator

__all__ = ["BuildProgress"]

log = logging.getLogger("qa")


class BuildProgress:
    def __init__(self, bars: bool = False, on_advance: Callable[[str, int, int | None], None] | None = None):
        """`on_advance(step, done, total)` is called after each batch (a background job reports it)."""
        self.bars = bars
        self.on_advance = on_advance

    @contextlib.contextmanager
    def step(self, name: str, total: int | None, unit: str) -> Iterator[Callable[[int], None]]:
        """A step of `total` units; the body calls the yielded function with each batch's count."""
        started = time.monotonic()
        done = 0
        bar = None
        if self.bars:
            from tqdm import tqdm

            bar = tqdm(total=total, desc=name, unit=f" {unit}", file=sys.stderr, leave=False, dynamic_ncols=True)

        def advance(n: int = 1) -> None:
            nonlocal done
            done += n
            if bar is not None:
                bar.update(n)
            if self.on_advance is not None:
                self.on_advance(name, done, total)

        if self.on_advance is not None:
            self.on_advance(name, 0, total)
        try:
            yield advance
        finally:
            if bar is not None:
                bar.close()
        seconds = time.monotonic() - started
        count = done if done or total is None else total
        rate = f", {count / seconds:,.0f} {unit}/s" if seconds >= 0.5 and count else ""
        log.info("%s: %s %s in %.1f s%s", name, f"{count:,}", unit, seconds, rate)
