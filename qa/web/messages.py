"""What a person reads for an error on the Gradio page: the Chinese text for its `code`, from the one
table the widget and the admin page read too (static/messages.js). The error's own `message` (Chinese
and English, naming commands and headers) stays for the CLI and the API.

In:  an error code (QAError.code, the API's error.code). Out: plain Chinese.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

__all__ = ["ui_message", "ui_messages"]

TABLE = Path(__file__).parent / "static" / "messages.js"


@functools.cache
def ui_messages() -> dict[str, str]:
    """The table: code -> Chinese. The JS file's object literal is plain JSON."""
    text = TABLE.read_text(encoding="utf-8")
    start = text.index("{", text.index("QA_MESSAGES ="))
    return json.loads(text[start : text.rindex("}") + 1])


def ui_message(code: str) -> str:
    """The Chinese text for `code`; the generic one for a code the table lacks."""
    table = ui_messages()
    return table.get(code) or table["qa_error"]
