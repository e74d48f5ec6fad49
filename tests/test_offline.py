"""Offline for real: run qa in a network namespace with no network at all (only loopback).

A fresh model cache forces the bundled model to be materialised there too, so nothing on the way
from packaged weights to an answer may touch the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SCRIPT = """
import json
from fastapi.testclient import TestClient
from qa.web.api import create_app
from qa.config import Settings
from qa.service import QAService

settings = Settings.load()
service = QAService(settings)
client = TestClient(create_app(service, settings))
ask = client.post("/api/ask", json={"question": "第二届长三角一体化发展高层论坛在哪里举行？", "top_k": 1})
verify = client.post("/api/verify", json={"quote": "共同打造国际一流营商环境"})
page = client.get("/")
print(json.dumps({"ask": ask.status_code, "file": ask.json()["hits"][0]["file"],
                  "verify": verify.json()["verdict"], "page": page.status_code}))
"""


def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _unshare_works() and not os.environ.get("CI"), reason="needs unshare -n (root)")
def test_model_index_api_and_ui_work_with_no_network(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env.update(QA_MODEL_CACHE=str(tmp_path / "models"), QA_INDEX_DIR=str(tmp_path / "index"))
    result = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout.strip().splitlines()[-1]
    assert '"ask": 200' in out and '"verify": "exact"' in out and '"page": 200' in out
    assert "seeds/000_ee36ff66a312e937.txt" in out
    assert any((tmp_path / "models").iterdir())  # the model really was built inside the namespace
