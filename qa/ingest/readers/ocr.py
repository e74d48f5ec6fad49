"""OCR of rendered pages with rapidocr-onnxruntime (the optional extra qa[ocr]; its wheel ships the
PP-OCR Chinese models, so it runs offline). Only pages without a usable text layer come here."""

from __future__ import annotations

import os
from functools import lru_cache

__all__ = ["available", "INSTALL_HINT", "ocr_lines"]

INSTALL_HINT = "pip install 'qa[ocr]'"


def available() -> bool:
    if os.environ.get("QA_DISABLE_OCR") == "1":  # lets tests see the behaviour without the extra
        return False
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _engine():
    import logging

    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()
    logging.getLogger("RapidOCR").setLevel(logging.WARNING)
    return engine


def ocr_lines(image) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Text lines of an RGB image (numpy array) with their boxes (left, top, right, bottom), in reading
    order: top to bottom, then left to right."""
    result, _ = _engine()(image)
    lines = []
    for box, text, _score in result or ():
        xs = [p[0] for p in box]
        ys = [p[1] for p in box]
        lines.append((text.strip(), (min(xs), min(ys), max(xs), max(ys))))
    lines.sort(key=lambda ln: (round(ln[1][1] / 12), ln[1][0]))
    return [ln for ln in lines if ln[0]]
