"""The interface's own words in a page (not the documents' text), and the check that they are plain
Chinese: no English sentence, command line, HTTP header name, raw job id or untranslated Gradio key.

In:  a Playwright page or frame; the CSS selectors of what holds documents' or users' text.
Out: interface_text() the visible text and the labels a screen reader reads (aria-label, title,
     placeholder) with that text left out; plain_chinese_problems() what in it is not plain Chinese.
"""

from __future__ import annotations

import re

__all__ = ["DOCUMENT_TEXT", "interface_text", "plain_chinese_problems"]

# Where the page shows a document's or a user's words (and citations, which carry a document's title
# and file name): these may be in any language.
DOCUMENT_TEXT = (
    ".qa-text, .qa-para, .qa-q, .qa-answer, .qa-short-text, .qa-read-as, .qa-card-head, .qa-cite code, "
    ".qa-short-where, .qa-file, .qa-diff, .qa-flag, textarea, input, #admin-docs li, #reader-title, "
    "#reader-meta, .qa-match .qa-text, [data-testid='user'], #qa-examples, #admin-job li, option, select, "
    "[role='listbox'], .qa-verdict + p + .qa-card-head"
)

_COLLECT = """([skip]) => {
  const root = document.body.cloneNode(true);
  root.querySelectorAll(skip).forEach(n => n.remove());
  root.querySelectorAll('script, style, svg, noscript, template').forEach(n => n.remove());
  const labels = [];
  document.body.querySelectorAll('[aria-label], [title], [placeholder]').forEach(n => {
    if (n.closest(skip.replace(/, textarea, input/, ''))) return;
    for (const a of ['aria-label', 'title', 'placeholder']) if (n.getAttribute(a)) labels.push(n.getAttribute(a));
  });
  return (root.innerText || root.textContent || '') + '\\n' + labels.join('\\n');
}"""

_PROBLEMS = {
    "an English sentence": re.compile(r"\b[A-Za-z]{2,}(?:[ ,']+[A-Za-z]{2,}){3,}"),
    "a command line": re.compile(r"\bqa (?:ingest|serve|ask|verify|collections)\b|--[a-z]|\bcurl\b|QA_[A-Z_]+="),
    "a header name": re.compile(r"Authorization|Bearer|Content-Type|Cookie|Origin:", re.I),
    "a raw job id": re.compile(r"\b\d{14}-[0-9a-f]{8}\b"),
    "an untranslated Gradio key": re.compile(r"\b(?:common|chatbot|upload_text|errors)\.[a-z_]+\b"),
}


def interface_text(where, skip: str = DOCUMENT_TEXT) -> str:
    """The page's (or frame's) own words: visible text and labels, without the documents' text."""
    return where.evaluate(_COLLECT, [skip])


def plain_chinese_problems(text: str) -> list[str]:
    """What in `text` is not plain Chinese for an office worker: [(kind: the words)]."""
    return [f"{kind}: {m.group(0)}" for kind, pattern in _PROBLEMS.items() for m in pattern.finditer(text)]
