"""Every `qa …` command shown in README.md and docs/*.md runs as written.

Which lines run (the rule is `commands()` below):
- A command is a line that starts with `$ qa ` in any fenced code block, or with `qa ` in a block
  marked `bash` (the `$ ` is dropped; a trailing `# comment` stays, bash ignores it). Other lines of
  an unmarked block are output, not commands.
- Skipped, each for a reason in SKIP: `qa serve` (a server that runs until stopped: the server tests
  cover it), `qa chat` with no input redirected (it waits for a person), and `--ray` (needs a Ray
  cluster; tests/index/test_ray.py covers it). Lines that start otherwise (`QA_…=… qa serve`, `curl`,
  `pip`, `python bench/…`) are not commands of this test.
- Set-up lines: a line of a `bash` block that starts with `mkdir ` or `printf ` (the docs make their
  example files with them) runs too, in its place.
- A command that reads only (all but `qa ingest` and `qa remove`) runs once, where it is first shown;
  the same line shown again (its `# comment` aside) is not run again.

How they run: in document order (README.md, then docs/*.md by name; a later command may remove what
an earlier one added), each through `bash -c` with the virtualenv's bin first on PATH, so `qa` is the
installed entry point. The working directory is a scratch folder in which `seeds` is a symlink to the
checkout's seeds/, so the paths the docs show resolve and the files the docs create land in the
scratch folder. QA_INDEX_DIR points at a copy of the session's seed index in that folder, so
ingesting and removing never touch the index other tests read, and nothing is rebuilt from nothing.
Each must exit 0 with no traceback on stderr.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SKIP = {
    r"^qa serve\b": "a server: runs until stopped",
    r"^qa chat\b(?!.*[<|])": "interactive: waits for a person's input",
    r"--ray\b": "needs a Ray cluster",
}
SETUP = ("mkdir ", "printf ")
WRITES = ("qa ingest ", "qa remove ")
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)


def commands() -> tuple[list[tuple[str, str, bool]], list[tuple[str, str, str]]]:
    """(page, line, is_setup) to run in order, and (page, line, reason) skipped."""
    run, skipped, seen = [], [], set()
    for page in PAGES:
        name = page.relative_to(ROOT).as_posix()
        for lang, block in FENCE.findall(page.read_text(encoding="utf-8")):
            for line in block.splitlines():
                line = line.strip()
                if line.startswith("$ qa "):
                    line = line[2:]
                elif lang != "bash" or not line.startswith(("qa ", *SETUP)):
                    continue
                if line.startswith(SETUP):
                    run.append((name, line, True))
                    continue
                reason = next((why for rule, why in SKIP.items() if re.search(rule, line)), None)
                bare = line.split("  #")[0].strip()
                if reason:
                    skipped.append((name, line, reason))
                elif bare.startswith(WRITES) or bare not in seen:
                    seen.add(bare)
                    run.append((name, line, False))
    return run, skipped


def test_the_rule_finds_the_commands():
    run, skipped = commands()
    shown = [line.split()[1] for _, line, setup in run if not setup]
    for verb in ("ask", "verify", "ingest", "eval", "collections", "remove", "settings"):
        assert verb in shown, f"no qa {verb} command found in the docs"
    assert {why for _, _, why in skipped} <= set(SKIP.values())
    assert any(line.startswith("qa serve") for _, line, _ in skipped)


@pytest.fixture(scope="module")
def scratch(service, tmp_path_factory) -> Path:
    from tests.collections.conftest import copy_seed_index

    folder = tmp_path_factory.mktemp("docs-commands")
    (folder / "seeds").symlink_to(ROOT / "seeds")
    copy_seed_index(service, folder / "index")
    return folder


def test_every_command_shown_runs(scratch):
    env = {
        **os.environ,
        "QA_INDEX_DIR": str(scratch / "index"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    assert shutil.which("qa", path=env["PATH"]), "the qa entry point is not installed"
    failures = []
    ran = 0
    for page, line, setup in commands()[0]:
        proc = subprocess.run(["bash", "-c", line], cwd=scratch, env=env, capture_output=True, text=True, timeout=300)
        ran += not setup
        if proc.returncode != 0 or "Traceback" in proc.stderr:
            failures.append(f"{page}: {line}\n  exit {proc.returncode}\n  {proc.stderr.strip()[-1500:]}")
    assert not failures, "\n".join(failures)
    print(f"{ran} qa commands ran")
