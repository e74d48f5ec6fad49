"""The Gradio side of collections: the collection picker of the 问答 tab and the 管理 (admin) tab.

The admin tab frames the plain admin page (`admin`, static/admin.html + admin.js, served by qa itself):
its login form, upload with per-file results and job progress, document list and delete buttons all
call the write API (admin_api.py) with the page's session cookie, so the page and the API are one
path, under one access rule (auth.py). No token is ever put into the page: the login form posts it
once to `api/login`, which answers with an HttpOnly cookie.
"""

from __future__ import annotations

import gradio as gr

__all__ = ["collection_picker", "admin_tab"]


def collection_picker(collections, elem_id: str = "qa-collection", label: str = "知识库"):
    """A dropdown of the collections (a hidden None without collections); refreshed when the page loads."""
    if collections is None:
        return gr.State(None)
    names = collections.names()
    return gr.Dropdown(
        choices=names,
        value=collections.default,
        label=label,
        elem_id=elem_id,
        interactive=True,
        allow_custom_value=False,
    )


def admin_tab(demo: gr.Blocks, pickers, collections) -> None:
    """The 管理 tab; `pickers`, the collection dropdowns of the other tabs, follow the collections made here."""

    def refresh(current: str | None):
        names = collections.names()
        return gr.Dropdown(choices=names, value=current if current in names else collections.default)

    with gr.Tab("管理", elem_id="qa-tab-admin") as tab:
        gr.HTML(
            '<iframe src="admin" title="知识库管理" id="qa-admin-frame" '
            'style="width:100%;height:760px;border:0"></iframe>',
            elem_id="qa-admin",
        )
    for picker in pickers:
        demo.load(refresh, [picker], [picker])
        # Collections made in the admin tab appear in the picker when the user goes back to ask.
        tab.select(refresh, [picker], [picker])
        picker.focus(refresh, [picker], [picker])
