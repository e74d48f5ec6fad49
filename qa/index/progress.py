"""Progress of a build's steps (reading, layout, embedding, keyword index, FAISS, writing).

In:  the build's steps, each with a total and the counts done as it goes.
Out: on a terminal, a tqdm bar per step on stderr with its count, rate and ETA; otherwise (a log file,
     a pipe, a server) a line every `every` seconds on long steps (done of total, rate, ETA) and one
     line when each step ends. `status()` is the same as a dict (for an API job status), and `history`
     lists each finished step with its count and seconds (for benchmarks and the build report).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator

__all__ = ["BuildProgress", "StepStatus"]

log = logging.getLogger("qa")


class StepStatus:
    """One step as it runs: done of total units, its rate so far and the time it still needs."""

    def __init__(self, name: str, total: int | None, unit: str):
        self.name, self.total, self.unit = name, total, unit
        self.done = 0
        self.started = time.monotonic()

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float | None:
        """Units per second so far; None until there is something to measure."""
        seconds = self.seconds
        return self.done / seconds if self.done and seconds > 0 else None

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the rate so far; None while the rate or the total is unknown."""
        rate = self.rate
        if rate is None or self.total is None:
            return None
        return max(0.0, (self.total - self.done) / rate)

    def to_dict(self) -> dict:
        rate, eta = self.rate, self.eta_seconds
        return {
            "step": self.name,
            "done": self.done,
            "total": self.total,
            "unit": self.unit,
            "seconds": round(self.seconds, 1),
            "rate": None if rate is None else round(rate, 2),
            "eta_seconds": None if eta is None else round(eta, 1),
        }

    def line(self) -> str:
        rate, eta = self.rate, self.eta_seconds
        total = f" / {self.total:,}" if self.total is not None else ""
        speed = f", {rate:,.1f} {self.unit}/s" if rate else ""
        left = f", about {_duration(eta)} left" if eta is not None else ""
        return f"{self.name}: {self.done:,}{total} {self.unit}{speed}{left}"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class BuildProgress:
    """Progress of one build. `bars`: tqdm bars (a terminal); `every`: seconds between progress lines
    otherwise; `on_update`: called with `status()` after every advance (e.g. to update a job record);
    `on_advance(step, done, total, item)`: called at a step's start and after each batch (a background
    job); `item` names what the step is at (the file being read), where the step says."""

    def __init__(
        self,
        bars: bool = False,
        every: float = 30.0,
        on_update: Callable[[dict], None] | None = None,
        on_advance: Callable[..., None] | None = None,
    ):
        self.bars = bars
        self.every = every
        self.on_update = on_update
        self.on_advance = on_advance
        self.current: StepStatus | None = None
        self.history: list[dict] = []
        self._lock = threading.Lock()

    def status(self) -> dict:
        """The running step (or None) and the finished ones: safe to read from another thread."""
        with self._lock:
            return {"current": self.current.to_dict() if self.current else None, "finished": list(self.history)}

    @contextlib.contextmanager
    def step(self, name: str, total: int | None, unit: str) -> Iterator[Callable[[int], None]]:
        """A step of `total` units; the body calls the yielded function with each batch's count (and,
        optionally, the item it starts on: a file's name, for a job's per-file state)."""
        status = StepStatus(name, total, unit)
        with self._lock:
            self.current = status
        last_line = status.started
        bar = None
        if self.bars:
            from tqdm import tqdm

            bar = tqdm(total=total, desc=name, unit=f" {unit}", file=sys.stderr, leave=False, dynamic_ncols=True)

        def advance(n: int = 1, item: str | None = None) -> None:
            nonlocal last_line
            status.done += n
            if bar is not None:
                bar.update(n)
            elif time.monotonic() - last_line >= self.every:
                last_line = time.monotonic()
                log.info("%s", status.line())
            if self.on_update is not None:
                self.on_update(self.status())
            if self.on_advance is not None:
                self.on_advance(name, status.done, total, item)

        if self.on_advance is not None:
            self.on_advance(name, 0, total, None)
        try:
            yield advance
        finally:
            if bar is not None:
                bar.close()
            with self._lock:
                self.current = None
        seconds = status.seconds
        count = status.done if status.done or total is None else total
        with self._lock:
            self.history.append({"step": name, "count": count, "unit": unit, "seconds": round(seconds, 3)})
        rate = f", {count / seconds:,.0f} {unit}/s" if seconds >= 0.5 and count else ""
        log.info("%s: %s %s in %.1f s%s", name, f"{count:,}", unit, seconds, rate)
        if self.on_update is not None:
            self.on_update(self.status())
