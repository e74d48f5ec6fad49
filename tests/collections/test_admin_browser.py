"""The admin flow in a real headless Chromium against a real `qa serve` with a read and an admin
token: log in on the login page the page redirects to, log into the 管理 tab, make a collection, upload a PDF from the formats corpus, watch the job's progress,
then pick that collection in the 问答 tab and ask about the PDF, and again in `/embed?collection=诗词`. Every request stays on this machine;
the token never appears in the page, its cookies readable by script, or any URL."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.collections.conftest import FORMATS
from tests.conftest import SCREENSHOTS
from tests.web.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.web.interface_text import interface_text, plain_chinese_problems

ADMIN = "browser-admin-token-4f1c"
READ = "browser-read-token-9d2e"
SHOTS = SCREENSHOTS  # docs/screenshots with REFRESH_SCREENSHOTS=1 (tests/conftest.py)
PDF = FORMATS / "poem.pdf"  # 6 pages, 30 poems
QUESTION = "《春雪》的作者是谁？"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk")
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402


def test_admin_logs_in_uploads_a_pdf_watches_progress_and_asks_about_it(server_factory):
    server = server_factory({"QA_ADMIN_TOKEN": ADMIN, "QA_READ_TOKEN": READ})
    seen: list[str] = []
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(viewport={"width": 1180, "height": 1000}, locale="zh-CN")
        context.on("request", lambda r: seen.append(r.url))
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(server.url + "/", wait_until="load")  # reading needs a login: the login page, then back
        page.locator("#login-token").fill(READ)
        page.locator("#login-submit").click()
        page.get_by_role("tab", name="管理").click()
        admin = page.frame_locator("#qa-admin-frame")
        admin.locator("#admin-status", has_text="请输入管理令牌").wait_for()

        admin.locator("#admin-token").fill("not-the-token")
        admin.locator("#admin-login").click()
        admin.locator("#admin-login-error", has_text="令牌不正确").wait_for()
        admin_frame = page.locator("#qa-admin-frame").element_handle().content_frame()
        assert not plain_chinese_problems(interface_text(admin_frame)), interface_text(admin_frame)
        admin.locator("#admin-token").fill(ADMIN)
        admin.locator("#admin-login").click()
        admin.locator("#admin-panel").wait_for(state="visible")
        assert admin.locator("#admin-token").input_value() == ""  # not kept in the page

        admin.locator("#admin-new").fill("诗词")
        admin.locator("#admin-create").click()
        page.wait_for_function(
            "() => document.querySelector('#qa-admin-frame').contentDocument"
            ".querySelector('#admin-collection').value === '诗词'"
        )
        admin.locator("#admin-files").set_input_files(str(PDF))
        admin.locator("#admin-upload").click()
        states, file_states, words = set(), set(), []
        state = admin.locator("#admin-job-state")
        state.wait_for()
        while True:  # watch the progress the page shows until the job ends
            states.add(state.get_attribute("data-state"))
            file_states.update(admin.locator("#admin-job li").evaluate_all("ls => ls.map(l => l.dataset.state)"))
            words.append(interface_text(admin_frame))
            if states & {"done", "failed"}:
                break
            page.wait_for_timeout(100)
        job_text = admin.locator("#admin-job").inner_text()
        assert "done" in states and re.search(r"poem.pdf：已索引（\d+ 个段落）", job_text), job_text
        assert states & {"queued", "running"}, states  # progress was shown before the end
        # the file's own state moved with the build (read, then the build's steps), not 待索引 to the end
        assert file_states - {"queued", "indexed"}, file_states
        assert re.search(r"完成：已索引 1 个文件。知识库现有 \d+ 个段落。", job_text), job_text
        problems = [p for w in words for p in plain_chinese_problems(w)]
        assert not problems, problems  # job steps, units and the closing line in Chinese; no job id
        admin.locator("#admin-docs li", has_text="poem").wait_for()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "admin_upload.png"), full_page=True)

        page.get_by_role("tab", name="问答").click()
        picker = page.locator("#qa-collection input")
        picker.click()
        examples_before = page.locator("#qa-examples").inner_text()
        page.get_by_role("option", name="诗词").click()
        # the examples and the placeholder follow the collection: none of 长三角 is left
        page.wait_for_function(
            "() => !document.querySelector('#qa-examples') || "
            "!document.querySelector('#qa-examples').innerText.includes('长三角')"
        )
        assert "长三角" in examples_before
        placeholder = page.locator("#qa-question textarea, #qa-question input").first.get_attribute("placeholder")
        assert "长三角" not in placeholder, placeholder
        example = page.locator("#qa-examples button, #qa-examples tr.tr-body").first
        example.wait_for()
        shown = example.inner_text().strip()
        assert "poem" in shown, shown  # the collection's one document, and qa answers it from there
        example.click()
        box = page.locator("#qa-question textarea, #qa-question input").first
        page.wait_for_function("([t]) => document.querySelector('#qa-question textarea').value === t", arg=[shown])
        box = page.locator("#qa-question textarea, #qa-question input").first
        box.fill(QUESTION)
        box.press("Enter")
        page.locator("#qa-chat .qa-q", has_text=QUESTION).wait_for()  # the 问答 tab is a chat transcript
        turn = page.locator("#qa-chat .qa-turn").last
        cards = " ".join(turn.locator(".qa-card").all_inner_texts())
        assert "韩愈" in turn.inner_text() and "poem" in cards, cards

        # /embed?collection=NAME pins the widget to that collection
        page.goto(server.url + "/embed?collection=" + "诗词", wait_until="load")
        page.locator("#q").fill(QUESTION)
        page.locator("#q").press("Enter")
        page.locator("#answer[data-state=done]").wait_for()
        assert "韩愈" in page.locator("body").inner_text()

        page.goto(server.url + "/", wait_until="load")
        for frame in page.frames:
            assert ADMIN not in frame.content() and READ not in frame.content()
        assert all(ADMIN not in c["value"] and READ not in c["value"] for c in context.cookies())

        # A new collection without documents: the widget says so in plain words (from the error's code),
        # not "… 用 qa ingest --collection … 添加 / … run `qa ingest …`".
        page.get_by_role("tab", name="管理").click()
        admin.locator("#admin-new").fill("空的")
        admin.locator("#admin-create").click()
        page.wait_for_function(
            "() => document.querySelector('#qa-admin-frame').contentDocument"
            ".querySelector('#admin-collection').value === '空的'"
        )
        page.goto(server.url + "/embed?collection=" + "空的", wait_until="load")
        page.locator("#q").fill(QUESTION)
        page.locator("#q").press("Enter")
        page.locator("#ask-status.qa-error").wait_for()
        assert page.locator("#ask-status").inner_text() == "这个知识库还没有文档：请管理员在“管理”页上传文档。"
        assert not plain_chinese_problems(interface_text(page)), interface_text(page)
        context.close()
    finally:
        browser.close()
        pw.stop()
    assert all(ADMIN not in url and READ not in url for url in seen)
    outside = [
        u for u in seen if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).port != server.port
    ]
    assert not outside, outside[:5]
