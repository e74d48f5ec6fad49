"""The README documents every setting with its real default, and the set-up commands it gives exist."""

from __future__ import annotations

import re

import qa
from qa.config import SETTINGS, Settings
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _documented() -> dict[str, str]:
    rows = re.findall(r"^\| `([a-z_0-9]+)` \| (.*?) \| (.*?) \|$", README, flags=re.M)
    return {name: default for name, default, _ in rows}


def test_every_setting_is_documented_with_its_default():
    documented = _documented()
    for s in SETTINGS:
        assert s.name in documented, f"setting {s.name} is missing from the README table"
        shown = documented[s.name].strip("`")
        expected = "(empty)" if s.default == "" else str(s.default)
        assert shown == expected, f"README says {s.name} = {shown}, code says {expected}"
    assert set(documented) <= {s.name for s in SETTINGS} | {"--set"}


def test_settings_defaults_load_from_an_empty_environment():
    settings = Settings.load(environ={})
    for s in SETTINGS:
        assert getattr(settings, s.name) == s.default


def test_readme_set_up_commands_exist():
    for script in ("scripts/serve.sh", "scripts/test.sh"):
        assert f"bash {script}" in README
        assert (ROOT / script).exists()
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_public_names_are_exported():
    for name in qa.__all__:
        assert hasattr(qa, name), name
