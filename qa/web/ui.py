"""Gradio adapter: a Chinese chat page (问答) and a quotation checker (核对引文) over one QAService.

Every string that comes from a user or a document is HTML-escaped before it enters any HTML, so a
question or a document containing markup is shown as text and never runs.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

import html

import gradio as gr

from qa.errors import QAError

from .admin_ui import admin_tab, collection_picker
from .cards_view import CSS
from .check_view import check_html
from .messages import ui_message

__all__ = ["build_ui", "CSS", "I18N"]

# Gradio's own words the page shows or reads aloud that its zh-CN table lacks: a screen reader heard
# the bare key "common.complete" when an answer arrived (gradio/templates/frontend/assets/zh-CN-*.js has
# no such key, and en-* none either). Custom translations are merged into its tables by locale.
_OWN_WORDS = {"common.complete": "完成", "common.error": "出错"}
I18N = gr.I18n(**{locale: dict(_OWN_WORDS) for locale in ("en", "zh", "zh-CN", "zh-TW")})


def error_html(exc: QAError) -> str:
    """The error in plain Chinese, from its code (static/messages.js); its own message is for the CLI/API."""
    return f'<div class="qa-error">{html.escape(ui_message(exc.code))}</div>'


def build_ui(service, collections=None) -> gr.Blocks:
    """`collections` (qa/collections): the picker's choices and the admin tab; None = the one service."""

    def on_check(quote: str, collection: str | None = None):
        try:
            service_now = collections.service(collection) if collections is not None else service
            return check_html(service_now.verify(quote).to_dict())
        except QAError as exc:
            return error_html(exc)

    with gr.Blocks(title="qa · 中文文档问答", analytics_enabled=False) as demo:
        demo.i18n_instance = I18N  # read by the page's config (mount_gradio_app keeps it)
        gr.Markdown("## 中文文档问答\n答案只引用文档原文，每句都注明出处；点开引文卡片可在上下文中阅读。")
        with gr.Tab("问答", elem_id="qa-tab-ask"):
            from .chat_ui import build_chat_tab  # the chat transcript (follow-ups, cards per answer)

            picker = build_chat_tab(service, collections)
        with gr.Tab("核对引文", elem_id="qa-tab-check"):
            # Its own, visible choice: a quote is checked against the collection named here.
            check_picker = collection_picker(collections, "qa-check-collection", "在这个知识库中核对")
            quote = gr.Textbox(
                label="引文",
                lines=4,
                elem_id="qa-quote",
                max_length=service.settings.max_quote_chars,
                placeholder="粘贴要核对的引文（一句或一段原文），按“核对”。",
            )
            check_btn = gr.Button("核对", variant="primary", elem_id="qa-check-btn")
            verdict = gr.HTML(elem_id="qa-check-result", js_on_load=None)
            check_btn.click(on_check, [quote, check_picker], [verdict])
        if collections is not None:
            admin_tab(demo, [picker, check_picker], collections)
    return demo
