"""The README and docs/: the settings page is what the generator writes, every relative link and
anchor resolves, the set-up commands exist, and no page speaks of how the project was made."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import qa
from qa.config import SETTINGS, Settings
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MANUAL = (
    "usage",
    "formats",
    "api",
    "widget",
    "collections",
    "settings",
    "architecture",
    "benchmarks",
    "scale",
    "deploy",
)


def _generator():
    spec = importlib.util.spec_from_file_location("make_settings_doc", ROOT / "scripts" / "make_settings_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_page_is_generated_from_the_settings_table():
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert page == _generator().render(), "docs/settings.md is out of date: run python scripts/make_settings_doc.py"


def test_settings_page_lists_every_setting_with_its_default():
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z_0-9]+)` \| (.*?) \|", page, flags=re.M))
    assert set(rows) == {s.name for s in SETTINGS}
    for s in SETTINGS:
        assert rows[s.name].strip("`") == ("(empty)" if s.default == "" else str(s.default)), s.name
    assert "`--index`" in page and "`--port` (qa serve)" in page  # flags are read from the real parser


def test_settings_defaults_load_from_an_empty_environment():
    settings = Settings.load(environ={})
    for s in SETTINGS:
        assert getattr(settings, s.name) == s.default


def test_readme_set_up_commands_exist():
    for script in ("scripts/serve.sh", "scripts/test.sh"):
        assert f"bash {script}" in README
        assert (ROOT / script).exists()
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_is_a_short_front_door_linking_every_manual_page():
    assert len(README.splitlines()) <= 250
    for page in MANUAL:
        assert (ROOT / "docs" / f"{page}.md").exists(), page
        assert f"](docs/{page}.md" in README, f"README does not link docs/{page}.md"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (word characters, - and space
    stay), spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.M):
        slug = _slug(heading)
        out.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return out


def test_every_relative_link_and_anchor_resolves():
    broken = []
    for page in PAGES:
        text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, "\n".join(broken)


# How the project's own work was organised is no part of what a user reads. (A login's session
# cookie or an onnxruntime session is another matter: "the page's session cookie" does not match.)
PROCESS_WORDS = re.compile(
    r"\b(this|that|the previous|an earlier|earlier|the next|at|since|before) stops?\b|\bstops? \d+|\bbranch\b"
    r"|\bhelpers?\b|\bother engineers?\b|\b(this|the|a|each|per|earlier|previous) session\b(?! cookie)",
    re.I,
)


def test_no_page_speaks_of_how_the_project_was_made():
    found = [
        f"{page.relative_to(ROOT)}:{n}: {line.strip()[:100]}"
        for page in PAGES
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if PROCESS_WORDS.search(line)
    ]
    assert not found, "\n".join(found)


def test_public_names_are_exported():
    for name in qa.__all__:
        assert hasattr(qa, name), name
