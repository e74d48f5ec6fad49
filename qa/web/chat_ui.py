"""The 问答 tab of the Gradio page as a chat: a gr.Chatbot transcript in which every answer keeps its
own citation cards (highlighted sentence, 展开上下文, 复制引文), a 新对话 button and example questions.

In:  the QAService; each question with the transcript the browser sends along.
Out: the transcript with the new turn: the question (escaped), and the answer as HTML — how a
     follow-up was read (search_query), the answer with [n] markers and the cards (ui.py builds both).

The transcript is kept in the Gradio session's state (gr.State: the server's memory for this browser
tab, dropped when the tab closes; nothing is written anywhere), not sent back with each question: the
answers with their cards are about 15 KB a turn, and a page sending its transcript would pass
max_body_bytes (64 KiB, 413) at the fourth turn. The earlier questions are read from it.
"""

from __future__ import annotations

import contextlib
import html

import gradio as gr

from qa.errors import NotFound, QAError

from .admin_ui import collection_picker
from .ui import answer_html, cards_html

__all__ = ["build_chat_tab", "CHAT_CSS", "history_from_transcript"]

CHAT_CSS = """
#qa-chat .qa-read-as { color: #5b6472; font-size: .85rem; margin-bottom: .2rem; }
#qa-chat .qa-turn { max-width: 100%; }
"""

# One delegated listener for the copy buttons inside the transcript (cards are re-rendered per turn).
COPY_ANYWHERE_JS = """
if (!window.__qaCopy) {
  window.__qaCopy = true;
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('#qa-chat button.qa-copy');
    if (!button) return;
    event.preventDefault();
    // The transcript's sanitiser drops data-* attributes: the citation is the <code> beside the button.
    var code = button.parentNode.querySelector('code');
    var text = button.getAttribute('data-copy') || (code ? code.textContent : '');
    function done() { button.textContent = '已复制'; setTimeout(function () { button.textContent = '复制引文'; }, 1500); }
    function fallback() {
      var area = document.createElement('textarea');
      area.value = text; document.body.appendChild(area); area.select();
      try { document.execCommand('copy'); done(); } finally { area.remove(); }
    }
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
    else fallback();
  });
}
"""


def _text_of(content) -> str:
    """A transcript message's text: a string, or Gradio's list of parts [{"type": "text", "text": ...}]."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return ""


def history_from_transcript(transcript: list | None) -> list[dict]:
    """The earlier questions, oldest first, from the chatbot value (user messages hold the escaped question)."""
    out = []
    for m in transcript or []:
        if isinstance(m, dict) and m.get("role") == "user":
            out.append({"question": html.unescape(_text_of(m.get("content"))), "answer": ""})
    return out


def _answer_message(service, answer: dict) -> str:
    articles = {}
    for doc_id in {h["doc_id"] for h in answer["hits"]}:
        with contextlib.suppress(NotFound):
            articles[doc_id] = service.document(doc_id).to_dict()
    read_as = ""
    if answer.get("search_query") and answer["search_query"] != answer["question"]:
        read_as = f'<div class="qa-read-as">按上文理解为：{html.escape(answer["search_query"])}</div>'
    return f'<div class="qa-turn">{read_as}{answer_html(answer)}{cards_html(answer, articles)}</div>'


def build_chat_tab(service, collections=None):
    """The components of the 问答 tab, created inside the caller's gr.Blocks / gr.Tab.
    `collections` (qa/collections) gives the tab a collection picker, which this returns."""

    def on_send(question: str, transcript: list | None, collection: str | None = None):
        transcript = list(transcript or [])
        history = history_from_transcript(transcript)
        shown = html.escape(question or "")
        try:
            service_now = collections.service(collection) if collections is not None else service
            reply = _answer_message(service_now, service_now.ask(question, history=history).to_dict())
        except QAError as exc:
            reply = f'<div class="qa-error">{html.escape(exc.message)}</div>'
        transcript += [{"role": "user", "content": shown}, {"role": "assistant", "content": reply}]
        return "", transcript, transcript

    chat = gr.Chatbot(
        elem_id="qa-chat",
        label="对话",
        height=620,
        sanitize_html=True,
        line_breaks=False,
        group_consecutive_messages=False,
        feedback_options=None,
        placeholder="提问后，答案和引文卡片会出现在这里；可以接着追问，例如“那第三项呢？”",
    )
    with gr.Row(equal_height=True):
        question = gr.Textbox(
            label="问题",
            placeholder="例如：长三角地区主要领导座谈会在哪里举行？",
            elem_id="qa-question",
            scale=5,
            max_length=service.settings.max_question_chars,
        )
        ask_btn = gr.Button("提问", variant="primary", elem_id="qa-ask", scale=1)
        new_btn = gr.Button("新对话", elem_id="qa-new", scale=1)
    picker = collection_picker(collections)
    gr.Examples([[q] for q in service.examples()], inputs=[question], label="示例问题")
    gr.HTML("", elem_id="qa-copy-helper", js_on_load=COPY_ANYWHERE_JS)
    transcript = gr.State([])  # this tab's conversation; the chatbot only shows it
    question.submit(on_send, [question, transcript, picker], [question, chat, transcript])
    ask_btn.click(on_send, [question, transcript, picker], [question, chat, transcript])
    new_btn.click(lambda: ("", [], []), None, [question, chat, transcript])
    if collections is not None:
        # Another knowledge base is another conversation: earlier turns cannot be read against it.
        # The question box is left alone: what is being typed is meant for the new collection.
        picker.input(lambda: ([], []), None, [chat, transcript])
    return picker
