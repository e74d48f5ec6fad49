"""The README and docs/: the settings page is what the generator writes, every relative link and
anchor resolves, and the set-up commands exist."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import qa
from qa.config import SETTINGS, Settings
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


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


def test_public_names_are_exported():
    for name in qa.__all__:
        assert hasattr(qa, name), name
