"""The web adapters: HTTP JSON API, Gradio page and the embeddable widget, over one QAService.

In:  HTTP requests.
Out: JSON in one shape (errors included), the Gradio chat page, the static /embed page.

    api.py       FastAPI app: /api/*, /embed, /healthz; domain errors → HTTP statuses; `qa serve`
    schema.py    request bodies and the OpenAPI schema: every status sent, every input limit
    ui.py        the Gradio page (问答, 核对引文); every user or document string escaped
    chat_ui.py   the 问答 tab as a chat transcript (gr.Chatbot), citation cards per answer, 新对话, examples
    cards_view.py  the answer and its citation cards as HTML (pure strings; prints the JSON's `citation`)
    check_view.py  the quote check as HTML (Chinese words only)
    messages.py  an error's plain Chinese for the page, from its code (the table is static/messages.js)
    openai_api.py  OpenAI-compatible /v1/models and /v1/chat/completions (SSE streams, OpenAI error object)
    security.py  CSP frame-ancestors, CORS, body size and body read time (plain ASGI middlewares, every route)
    routing.py   HEAD where GET is, 405 with Allow, unknown routes in the one error shape (Gradio's too)
    server.py    uvicorn with a request-head read deadline, idle connections closed, keep-alive setting
    static/      the widget's HTML, CSS and JavaScript, served by qa itself (no outside requests)
"""
