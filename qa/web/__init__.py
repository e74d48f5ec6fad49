"""The web adapters: HTTP JSON API, Gradio page and the embeddable widget, over one QAService.

In:  HTTP requests.
Out: JSON in one shape (errors included), the Gradio chat page, the static /embed page.

    api.py       FastAPI app: /api/*, /embed, /healthz; domain errors → HTTP statuses; `qa serve`
    ui.py        the Gradio page (问答, 核对引文); every user or document string escaped
    security.py  CSP frame-ancestors, CORS, body size limit (plain ASGI middlewares)
    static/      the widget's HTML, CSS and JavaScript, served by qa itself (no outside requests)
"""
