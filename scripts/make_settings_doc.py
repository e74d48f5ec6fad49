"""Write docs/settings.md from the settings table (qa.config.SETTINGS) and the CLI's flags.

    python scripts/make_settings_doc.py            # rewrite docs/settings.md
    python scripts/make_settings_doc.py --check    # exit 1 if docs/settings.md is not what this writes

tests/test_docs.py fails when docs/settings.md differs from render(), so a new setting, a changed
default or help text, or a new flag shows up there until this script is run again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.cli import _parser  # noqa: E402
from qa.config import SETTINGS  # noqa: E402

DOC = ROOT / "docs" / "settings.md"

INTRO = """\
# Settings

<!-- Generated from qa/config.py (SETTINGS) and the qa command's flags by
     scripts/make_settings_doc.py; edit those, then run `python scripts/make_settings_doc.py`. -->

qa reads one table of settings. Each has a default, and each can be set for one command or one
server in three ways; a later one wins:

1. the default below;
2. the environment variable `QA_<NAME>`, the name in capitals (`QA_TOP_K=8`, `QA_ADMIN_TOKEN=…`);
3. on the command line, `--set name=value` (any setting, any command, repeatable), or the command's
   own flag where it has one (the column *flag*).

```bash
qa settings                                    # every setting, its current value and help
qa ask "长三角一体化" --set top_k=3 --set fusion=rrf
```

Values are checked when read: a number where a number is due, one of the listed choices, a range
where there is one; a wrong value or an unknown name is one `错误：` line and exit code 2. True and
false are `1`/`true`/`yes`/`on` and `0`/`false`/`no`/`off`. Give tokens as environment variables,
not `--set` (a command line is visible to other users); `qa settings` shows only whether a token is
set. Relative paths are read from `data_dir` (the checkout when qa runs from one; see
[deploy.md](deploy.md#where-the-data-lives-data_dir)), whatever the working directory.
"""

OUTRO = """\
Changing a setting that shapes the index (`model`, `encoder_backend`, `max_passage_chars`,
`sentence_vectors`, `keyword_tokens`, `bm25_k1`, `bm25_b`, `ann`) makes the index stale; it is rebuilt
on next use, re-embedding only text it has not embedded before.
"""


def _flags() -> dict[str, list[str]]:
    """Setting name -> the flags that set it, as `--flag` (`qa <command>`), read from the real parser."""
    names = {s.name for s in SETTINGS}
    found: dict[str, dict[str, list[str]]] = {}
    for action in _parser()._subparsers._group_actions:  # the subcommands
        for command, sub in action.choices.items():
            for a in sub._actions:
                if a.dest in names and a.option_strings:
                    found.setdefault(a.dest, {}).setdefault(a.option_strings[-1], []).append(command)
    # Commands that take settings at all (`qa service` only writes a unit file): a flag all of them have is bare.
    subs = next(a for a in _parser()._subparsers._group_actions).choices.values()
    every = sum(1 for sub in subs if any(a.dest == "set" for a in sub._actions))
    out: dict[str, list[str]] = {}
    for name, by_flag in found.items():
        out[name] = [
            f"`{flag}`" + ("" if len(commands) == every else f" ({', '.join('qa ' + c for c in commands)})")
            for flag, commands in by_flag.items()
        ]
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    flags = _flags()
    rows = ["| setting | default | flag | what it does |", "|---|---|---|---|"]
    for s in SETTINGS:
        default = "(empty)" if s.default == "" else f"`{s.default}`"
        help_text = s.help + (f" One of: {', '.join(s.choices)}." if s.choices else "")
        rows.append(f"| `{s.name}` | {default} | {', '.join(flags.get(s.name, [])) or '—'} | {_cell(help_text)} |")
    return f"{INTRO}\n" + "\n".join(rows) + f"\n\n{OUTRO}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check that docs/settings.md is current")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print("docs/settings.md is out of date: run python scripts/make_settings_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)} ({len(SETTINGS)} settings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
