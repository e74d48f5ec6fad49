"""The 问答 tab of the Gradio page as a chat: a gr.Chatbot transcript in which every answer keeps its
own citation cards (highlighted sentence, 展开上下文, 复制引文), a 新对话 button and example questions.

In:  the QAService; each question with the earlier questions of the conversation.
Out: the new turn: the question (escaped), and the answer as HTML — how a follow-up was read
     (search_query), the answer with [n] markers and the cards (ui.py builds both).

The conversation lives in the page, not on the server. The transcript is the chatbot's value in the
browser: the server returns only the new turn (a hidden component), and a browser-side step appends
it, so the rendered answers (about 15 KB a turn with their cards) are never sent back, and no request
passes max_body_bytes however long the conversation. What the server needs of earlier turns, their
questions, travels with each question (a hidden list in the page, at most max_history_turns).
新对话 and a change of collection clear both in the browser. Reloading the page starts over.
"""

from __future__ import annotations

import contextlib
import html

import gradio as gr

from qa.errors import NotFound, QAError

from .admin_ui import collection_picker
from .cards_view import answer_html, cards_html
from .messages import ui_message

__all__ = ["build_chat_tab", "CHAT_CSS"]

CHAT_CSS = """
#qa-chat .qa-read-as { color: #5b6472; font-size: .85rem; margin-bottom: .2rem; }
#qa-chat .qa-turn { max-width: 100%; padding-right: 2.8rem; box-sizing: border-box; }
/* Gradio's ↓ (scroll to the latest answer) sat over the middle of the cards' text: it goes to the
   right-hand gutter each turn keeps free. */
#qa-chat .scroll-down-button-container { left: auto; right: 6px; transform: none; }
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


# Runs in the browser after each reply: the transcript grows there, the server never sees it. (A js
# step returns the list of its outputs' values, hence the outer brackets around the one output.)
APPEND_TURN_JS = "(chat, turn) => [[...(chat || []), ...(turn || [])]]"


def _earlier(asked) -> list[str]:
    """The page's list of earlier questions, as sent by the browser: strings only."""
    return [q for q in asked if isinstance(q, str)] if isinstance(asked, list) else []


def _answer_message(service, answer: dict) -> str:
    articles = {}
    for doc_id in {h["doc_id"] for h in answer["hits"]}:
        with contextlib.suppress(NotFound):
            articles[doc_id] = service.document(doc_id).to_dict()
    read_as = ""
    if answer.get("search_query") and answer["search_query"] != answer["question"]:
        read_as = f'<div class="qa-read-as">按上文理解为：{html.escape(answer["search_query"])}</div>'
    return f'<div class="qa-turn">{read_as}{answer_html(answer)}{cards_html(answer, articles)}</div>'


def _example_text(row) -> str:
    """The question of a clicked example (its row's one value); "" for anything else sent."""
    return row[0] if isinstance(row, list) and row and isinstance(row[0], str) else ""


def build_chat_tab(service, collections=None):
    """The components of the 问答 tab, created inside the caller's gr.Blocks / gr.Tab.
    `collections` (qa/collections) gives the tab a collection picker, which this returns."""

    keep = service.settings.max_history_turns

    def on_send(question: str, asked: list | None, collection: str | None = None):
        earlier = _earlier(asked)
        shown = html.escape(question or "")
        try:
            service_now = collections.service(collection) if collections is not None else service
            history = [{"question": q, "answer": ""} for q in earlier]
            reply = _answer_message(service_now, service_now.ask(question, history=history).to_dict())
        except QAError as exc:
            reply = f'<div class="qa-error">{html.escape(ui_message(exc.code))}</div>'
        else:
            earlier = (earlier + [question])[-keep:] if keep else []
        turn = [{"role": "user", "content": shown}, {"role": "assistant", "content": reply}]
        return "", turn, earlier

    def examples_for(collection: str | None):
        """The example questions and the question box's placeholder of one collection."""
        try:
            service_now = collections.service(collection) if collections is not None else service
            shown = service_now.examples()
        except QAError:  # a collection without documents yet: no examples
            shown = []
        hint = f"例如：{shown[0]}" if shown else "输入问题，按回车"
        return gr.Dataset(samples=[[q] for q in shown], visible=bool(shown)), gr.Textbox(placeholder=hint)

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
            placeholder="输入问题，按回车",
            elem_id="qa-question",
            scale=5,
            max_length=service.settings.max_question_chars,
        )
        ask_btn = gr.Button("提问", variant="primary", elem_id="qa-ask", scale=1)
        new_btn = gr.Button("新对话", elem_id="qa-new", scale=1)
    picker = collection_picker(collections)
    first = service.examples()
    question.placeholder = f"例如：{first[0]}" if first else "输入问题，按回车"
    # The examples follow the collection (a gr.Dataset, not gr.Examples, so they can be replaced).
    examples = gr.Dataset(
        components=[question],
        samples=[[q] for q in first],
        label="示例问题",
        elem_id="qa-examples",
        visible=bool(first),
    )
    # Named and run as gr.Examples ran it: without the queue, its name "load_example".
    examples.click(_example_text, [examples], [question], api_name="load_example", queue=False, show_progress="hidden")
    gr.HTML("", elem_id="qa-copy-helper", js_on_load=COPY_ANYWHERE_JS)
    asked = gr.JSON([], visible=False, elem_id="qa-asked")  # the earlier questions, kept in the page
    # The server's reply, the new turn only: a hidden chatbot, so that it arrives in the transcript's
    # own message format and the browser only has to append it.
    turn = gr.Chatbot([], visible=False, elem_id="qa-turn-out")
    for event in (question.submit, ask_btn.click):
        event(on_send, [question, asked, picker], [question, turn, asked]).then(
            None, [chat, turn], [chat], js=APPEND_TURN_JS
        )
    new_btn.click(None, None, [question, chat, asked], js="() => ['', [], []]")
    chat.clear(None, None, [asked], js="() => [[]]")  # the chatbot's own 🗑 button: a new conversation too
    if collections is not None:
        # Another knowledge base is another conversation: earlier turns cannot be read against it.
        # The question box is left alone: what is being typed is meant for the new collection.
        picker.input(None, None, [chat, asked], js="() => [[], []]")
        picker.change(examples_for, [picker], [examples, question])
    return picker
