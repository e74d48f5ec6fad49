"""scripts/torch.sh, the torch wheel scripts/bootstrap.sh and scripts/bundle.sh install: the CPU build
(torch==2.13.0+cpu) wherever it can be had, else (bootstrap) PyPI's CUDA build after one warning line,
or (bundle) one line and exit 3.

Stand-ins only, never a real download: two tiny wheels, a `torch` package with a __version__, served
from local folders and a file:// simple index; pip's settings are none but the test's own
(PIP_CONFIG_FILE=/dev/null, no PIP_* from this machine), and PyTorch's CPU index is reached through a
proxy on a loopback port that accepts a connection and closes it, so it is unreachable and the test sees
that pip asked for it."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from qa.config import project_root

SCRIPT = project_root() / "scripts" / "torch.sh"
CPU = "torch-2.13.0+cpu-py3-none-any.whl"
PLAIN = "torch-2.13.0-py3-none-any.whl"


def _wheel(folder: Path, version: str) -> Path:
    """A minimal valid wheel of a `torch` package whose __version__ is `version`: its path."""
    info = f"torch-{version}.dist-info"
    files = {
        "torch/__init__.py": f'__version__ = "{version}"\n',
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"torch-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return path


def _simple_index(root: Path, wheel: Path) -> str:
    """A PEP 503 index in `root` serving `wheel` (the way pip reads a file:// index): its URL."""
    project = root / "torch"
    project.mkdir(parents=True)
    (project / wheel.name).write_bytes(wheel.read_bytes())
    (project / "index.html").write_text(f'<html><body><a href="{wheel.name}">{wheel.name}</a></body></html>\n')
    return root.as_uri()


class _ClosingProxy:
    """A loopback port that accepts each connection and closes it at once: an index behind it is
    unreachable, and `connections` says whether pip tried it."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory):
    """The CPU stand-in in a folder and a simple index; the plain one in a simple index; a proxy that
    makes https://download.pytorch.org unreachable."""
    root = tmp_path_factory.mktemp("torch-choice")
    cpu = _wheel(root / "cpu-wheels", "2.13.0+cpu")
    plain = _wheel(root / "plain-wheels", "2.13.0")
    proxy = _ClosingProxy()
    yield {
        "cpu_folder": str(cpu.parent),
        "cpu_index": _simple_index(root / "cpu-simple", cpu),
        "plain_index": _simple_index(root / "plain-simple", plain),
        "missing": str(root / "no-such-folder"),
        "proxy": proxy,
    }
    proxy.sock.close()


def _choose(stand_ins, mode: str, dest: Path, torch_index: str | None = None, find_links: str | None = None):
    """Run scripts/torch.sh with pip configured by this test alone: the plain stand-in's index is
    "the configured index" (PyPI's place), `find_links` an extra folder, every https request through
    the closing proxy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and "proxy" not in k.lower()}
    env.pop("QA_TORCH_INDEX", None)
    env.update(
        PYTHON=sys.executable,
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL=stand_ins["plain_index"],
        PIP_PROXY=stand_ins["proxy"].url,
        https_proxy=stand_ins["proxy"].url,
        PIP_RETRIES="0",
        PIP_NO_CACHE_DIR="1",
    )
    if find_links:
        env["PIP_FIND_LINKS"] = find_links
    if torch_index:
        env["QA_TORCH_INDEX"] = torch_index
    dest.mkdir()
    return subprocess.run(["bash", str(SCRIPT), str(dest), mode], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("form", ["cpu_folder", "cpu_index"])
def test_the_cpu_build_at_qa_torch_index_is_taken_over_the_configured_plain_one(stand_ins, form, tmp_path):
    r = _choose(stand_ins, "any", tmp_path / "dest", torch_index=stand_ins[form])
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert r.stdout.strip() == str(tmp_path / "dest" / CPU)
    assert sorted(p.name for p in (tmp_path / "dest").iterdir()) == [CPU]
    if form == "cpu_folder":  # the chosen wheel installs, and it is the CPU build that gets imported
        target = tmp_path / "site"
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target", str(target)]
        subprocess.run([*pip, r.stdout.strip()], check=True, env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
        version = subprocess.run(
            [sys.executable, "-c", "import torch; print(torch.__version__)"],
            env={**os.environ, "PYTHONPATH": str(target)},
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert version.stdout.strip() == "2.13.0+cpu", version.stderr


def test_a_configured_folder_with_the_cpu_build_is_taken_before_the_configured_index_with_the_plain_one(
    stand_ins, tmp_path
):
    r = _choose(stand_ins, "cpu", tmp_path / "dest", find_links=stand_ins["cpu_folder"])
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert Path(r.stdout.strip()).name == CPU


def test_with_pytorchs_index_unreachable_bootstrap_warns_once_and_falls_back_and_bundle_stops(stand_ins, tmp_path):
    before = stand_ins["proxy"].connections
    r = _choose(stand_ins, "any", tmp_path / "any")
    assert stand_ins["proxy"].connections > before  # pip did ask PyTorch's index, through the closed proxy
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()).name == PLAIN
    (line,) = r.stderr.splitlines()
    assert line.startswith("warning: no CPU torch (torch==2.13.0+cpu) reachable")
    assert "CUDA build, several GB of nvidia-* libraries" in line and "set QA_TORCH_INDEX" in line

    r = _choose(stand_ins, "cpu", tmp_path / "cpu")
    assert r.returncode == 3 and r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert line.startswith("no CPU torch (torch==2.13.0+cpu) reachable") and "set QA_TORCH_INDEX" in line
    assert not any((tmp_path / "cpu").iterdir())


def test_a_qa_torch_index_folder_that_is_missing_falls_back_or_stops_the_same_way(stand_ins, tmp_path):
    r = _choose(stand_ins, "any", tmp_path / "any", torch_index=stand_ins["missing"])
    assert r.returncode == 0 and Path(r.stdout.strip()).name == PLAIN
    (line,) = r.stderr.splitlines()
    assert line.startswith("warning:") and f"QA_TORCH_INDEX={stand_ins['missing']}" in line

    r = _choose(stand_ins, "cpu", tmp_path / "cpu", torch_index=stand_ins["missing"])
    assert r.returncode == 3 and f"QA_TORCH_INDEX={stand_ins['missing']}" in r.stderr
    assert len(r.stderr.splitlines()) == 1 and not any((tmp_path / "cpu").iterdir())
