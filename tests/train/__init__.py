"""The training pipelines end to end on slices of CMRC 2018 train (skipped where the data is absent)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT.parent / "shared" / "training" / "cmrc2018" / "cmrc2018_train.json"
needs_training_data = pytest.mark.skipif(not TRAIN.is_file(), reason=f"training data not found at {TRAIN}")


def run_script(*args: str, timeout: int = 900) -> str:
    """A training script run as a user runs it, from the repository root; its stdout."""
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout
