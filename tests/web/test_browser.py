"""The web UI, the /embed widget in a host page and the embedding rules, in a real Chromium.

`qa serve` runs as a real subprocess; host pages are served from other local ports. Every network
request the browser makes is recorded and must go to one of these local servers. Needs Debian's
chromium and a CJK font: apt-get install -y chromium fonts-noto-cjk
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

from qa.config import project_root
from tests.conftest import SCREENSHOTS
from tests.test_cli import WHO_HOSTED
from tests.web.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.web.interface_text import interface_text, plain_chinese_problems

ROOT = project_root()
SHOTS = SCREENSHOTS  # docs/screenshots with REFRESH_SCREENSHOTS=1 (tests/conftest.py)
QUESTION = "第二届长三角一体化发展高层论坛在哪里举行？"
ALTERED_QUOTE = "6月6日，2020年度长三角地区主要领导座谈会没有在浙江湖州举行"
QUESTION_PAYLOAD = '<img src=x onerror="window.__xss=1">'
SCRIPT_PAYLOAD = "<script>window.__xss=1</script>"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk")
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.conftest import free_port, stop_process  # noqa: E402


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


CORPUS = _squash("".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))))


def _in_corpus(shown: str) -> bool:
    """A card's text is seed text: in one piece, or as a headline and the paragraph it opens (the
    passage joins them; a dateline may stand between them in the file)."""
    text = _squash(shown)
    return text in CORPUS or any(text[:i] in CORPUS and text[i:] in CORPUS for i in range(1, len(text)))


# -- servers ---------------------------------------------------------------------------------------

LOCAL_PORTS: set[int] = set()  # every server a test starts; the browser may talk to these only


class PageServer:
    """A local site that serves a few fixed pages: the 'host' that embeds qa in an iframe."""

    def __init__(self):
        self.port = free_port()
        self.pages: dict[str, str] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = site.pages.get(self.path.split("?")[0])
                if body is None:
                    self.send_error(404)
                    return
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        LOCAL_PORTS.add(self.port)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def host_page(qa_port: int, title: str) -> str:
    return f"""<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{title}</title>
<body style="margin:0;background:#eef1f5;font-family:sans-serif">
<div style="max-width:880px;margin:0 auto;padding:18px">
<h1 style="font-size:22px">江南日报 · 专题：长三角一体化</h1>
<p style="color:#555">下方的问答框由 qa 服务提供，嵌入在本页的 iframe 中。</p>
<iframe id="qa" title="文档问答" src="http://127.0.0.1:{qa_port}/embed"
 style="width:100%;height:820px;border:1px solid #cfd6e0;border-radius:10px;background:#fff"></iframe>
{BLOCKED_NOTE}
</div></body></html>"""


# The host snippet's fallback, as docs/widget.md gives it: where the widget never says it is showing
# (the browser refused to frame it), one line the site's administrator can act on.
BLOCKED_NOTE = """<p id="qa-blocked" hidden style="color:#92400e">问答窗口没有显示：本网站不在问答服务允许嵌入的网站名单中。\
请联系问答服务的管理员，把本网站的地址加入名单（设置 embed_origins）。</p>
<script>
  (function () {
    var shown = false;
    addEventListener("message", function (e) { if (e.data && e.data.qa === "embed-ready") shown = true; });
    setTimeout(function () { if (!shown) document.getElementById("qa-blocked").hidden = false; }, 5000);
  })();
</script>"""


class QAServer:
    """`python -m qa serve` as a real subprocess on a free port."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        LOCAL_PORTS.add(self.port)
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qa", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self._wait()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait(self, timeout: float = 600):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"qa serve exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.close()
        raise RuntimeError(f"qa serve did not answer /healthz in {timeout}s:\n{self.log.read_text()[-3000:]}")

    def close(self):
        stop_process(self.proc)


@pytest.fixture(scope="module")
def hosts():
    allowed, blocked = PageServer(), PageServer()
    yield allowed, blocked
    allowed.close()
    blocked.close()


@pytest.fixture(scope="module")
def qa(hosts, tmp_path_factory):
    allowed, blocked = hosts
    server = QAServer({"QA_EMBED_ORIGINS": allowed.origin}, tmp_path_factory.mktemp("qa") / "serve.log")
    allowed.pages["/host.html"] = host_page(server.port, "允许嵌入的宿主页")
    blocked.pages["/host.html"] = host_page(server.port, "未获允许的宿主页")
    yield server
    server.close()


@pytest.fixture(scope="module")
def xss_qa(tmp_path_factory):
    """A second server over a temporary corpus whose document carries script payloads."""
    base = tmp_path_factory.mktemp("xss")
    corpus = base / "corpus"
    corpus.mkdir()
    (corpus / "payload.txt").write_text(
        f"\n{SCRIPT_PAYLOAD}脚本标题测试\n\n来源：测试网\n2024-01-02 10:00\n\n"
        f"武汉长江大桥于1957年建成通车，{SCRIPT_PAYLOAD}这段文字里有一个脚本标签。\n\n"
        f"第二段：{QUESTION_PAYLOAD}图片标签也只能显示为文字。\n\n"
        "第三段：武汉长江大桥是万里长江第一桥，全长一千六百七十米。\n",
        encoding="utf-8",
    )
    server = QAServer(
        {"QA_CORPUS": str(corpus), "QA_INDEX_DIR": str(base / "index"), "QA_EMBED_ORIGINS": ""}, base / "serve.log"
    )
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser():
    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()
    pw.stop()


@pytest.fixture
def page(browser):
    """A fresh page whose every request is recorded; after the test, all must have gone to local servers."""
    context = browser.new_context(viewport={"width": 1180, "height": 1000}, locale="zh-CN")
    seen: list[str] = []
    context.on("request", lambda r: seen.append(r.url))
    p = context.new_page()
    p.set_default_timeout(60_000)
    yield p
    context.close()
    local = {f"127.0.0.1:{port}" for port in LOCAL_PORTS}
    web = [urlparse(u) for u in seen if urlparse(u).scheme in ("http", "https", "ws", "wss")]
    outside = [u.geturl() for u in web if u.netloc not in local]
    assert seen, "no request was recorded"
    assert not outside, f"requests left the machine: {outside[:10]}"


def shot(p, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    p.screenshot(path=str(SHOTS / name), full_page=True)


def settle(locator) -> None:
    """Wait until Gradio's fade-in of this output is over (every ancestor fully opaque), for a clean shot."""
    locator.page.wait_for_function(
        """el => { for (; el; el = el.parentElement) if (getComputedStyle(el).opacity !== '1') return false;
                   return true; }""",
        arg=locator.element_handle(),
    )


def gradio_ask(p, question: str):
    box = p.locator("#qa-question textarea, #qa-question input").first
    box.fill(question)
    box.press("Enter")
    p.locator("#qa-chat .qa-q", has_text=question).wait_for()


# A four-turn conversation: a question, then three ordinal follow-ups read from it. Four turns, because
# a page that sent its whole transcript back with each question would pass the 64 KiB body limit at the fourth.
CONVERSATION = ["习近平讲话中的第一项重点工作是什么？", "第二项呢？", "那第三项呢？", "第四项呢？"]
LIST_ITEMS = {1: "第二，加大科技攻关力度", 2: "第三，提升长三角城市发展质量", 3: "第四，增强欠发达区域高质量发展动能"}


def check_turns(turns) -> None:
    """Every turn of the transcript still shows its own answer and citation cards; the follow-ups say
    how they were read and cite the list item they ask for."""
    assert turns.count() == len(CONVERSATION)
    for i, question in enumerate(CONVERSATION):
        turn = turns.nth(i)
        assert question in turn.locator(".qa-q").inner_text()
        answer_text = turn.locator(".qa-answer").inner_text()
        assert "[1]" in answer_text
        cards = turn.locator(".qa-card")
        assert cards.count() >= 1
        # the cards the answer quotes, and only those, say so (回答出自此段)
        badged = {c.locator(".qa-n").inner_text().strip("[]") for c in cards.all() if c.locator(".qa-from").count()}
        assert "1" in badged and badged == set(re.findall(r"\[(\d+)\]", answer_text)), (badged, answer_text)
        assert _in_corpus(cards.first.locator(".qa-text").inner_text())
        assert _squash(cards.first.locator("mark").first.inner_text()) in CORPUS
        if i:
            assert "按上文理解为" in turn.locator(".qa-read-as").inner_text()
            assert cards.first.locator(".qa-text").inner_text().startswith(LIST_ITEMS[i])


def api(qa, route: str, body: dict) -> dict:
    request = urllib.request.Request(
        qa.url + route, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request) as r:
        return json.loads(r.read())


def check_citations(turn, answer: dict) -> None:
    """The turn prints the JSON's citations as they are: beside 答：, on each card and at its foot."""
    assert turn.locator(".qa-short-where").inner_text() == answer["short_answer"]["citation"]
    cards = turn.locator(".qa-card")
    assert cards.count() == len(answer["hits"])
    for card, hit in zip(cards.all(), answer["hits"]):
        head = card.locator(".qa-card-head").inner_text().replace("回答出自此段", "").strip()
        assert head == f"[{hit['rank']}]{hit['citation']}", (head, hit["citation"])
        assert card.locator(".qa-cite code").inner_text().strip() == hit["highlight"]["citation"]


def check_plain_chinese(where, flow: str) -> None:
    """The interface's own words in this flow (not the documents' text) are plain Chinese."""
    problems = plain_chinese_problems(interface_text(where))
    assert not problems, (flow, problems)


def check_short_answer(turn) -> None:
    """The answer reader's short answer leads the turn (答：袁家军[1], before 回答's sentences), and inside
    card 1 the span is marked, visibly and more strongly, within the card's highlighted sentence."""
    lead = turn.locator(".qa-short-answer")
    assert lead.count() == 1 and lead.is_visible(), "no short answer is shown"
    assert _squash(lead.inner_text()).startswith("答：袁家军[1]"), lead.inner_text()
    assert "qa-short-answer" in turn.locator(".qa-short-answer, .qa-answer").first.get_attribute("class")
    card = turn.locator(".qa-card").first
    assert card.locator(".qa-n").inner_text() == "[1]"
    span = card.locator(".qa-text mark.qa-hl mark.qa-short")
    assert span.is_visible() and span.inner_text() == "袁家军"
    assert "主持" in card.locator(".qa-text mark.qa-hl").inner_text()  # the supporting sentence stays highlighted
    strong, sentence = span.evaluate(
        "m => [getComputedStyle(m).backgroundColor, getComputedStyle(m.parentElement).backgroundColor]"
    )
    assert strong != sentence
    marked_cards = "t => [...t.querySelectorAll('.qa-card')].filter(c => c.querySelector('mark.qa-short')).length"
    assert turn.evaluate(marked_cards) == 1  # card 1 only


# -- the Gradio UI -----------------------------------------------------------------------------------


def test_gradio_chat_holds_a_conversation_with_cards_in_context(qa, page):
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data or "") if r.method == "POST" else None)
    page.goto(qa.url + "/", wait_until="load")
    for question in CONVERSATION:
        gradio_ask(page, question)
    check_turns(page.locator("#qa-chat .qa-turn"))
    # The transcript stays in the page: a question carries the earlier questions, never the answers.
    asks = [body for body in sent if CONVERSATION[0] in body]
    assert len(asks) == len(CONVERSATION) and CONVERSATION[-2] in asks[-1]
    assert all("qa-card" not in body and len(body.encode()) < 4096 for body in asks), [len(b) for b in asks]
    answer = page.locator("#qa-chat .qa-turn").last
    cards = answer.locator(".qa-card")
    first = cards.first
    assert re.search(r"\[\d+\]《.+》（.*第\d+(–\d+)?段）", first.locator(".qa-card-head").inner_text())
    # The examples are this collection's, each answered from the document it was drawn from (QAService.examples).
    examples = page.locator("#qa-examples button, #qa-examples td").all_inner_texts()
    assert any("长三角" in e for e in examples), examples

    # a card opens its passage in context: neighbouring paragraphs, the sentence highlighted
    target = cards.nth(min(1, cards.count() - 1))
    target.locator("summary").click()
    context = target.locator(".qa-context")
    context.wait_for()
    assert context.locator(".qa-para").count() >= 2
    assert context.locator(".qa-target > mark").inner_text()

    # copy-citation puts the human citation and the exact span, 《标题》（晨报，第N段）（file:start-end）, on the clipboard
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=qa.url)
    button = first.locator("button.qa-copy")
    button.click()
    page.locator("#qa-chat button.qa-copy", has_text="已复制").first.wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert re.search(r"^《.+》（.*第\d+(–\d+)?段）（seeds/.+\.txt:\d+-\d+）$", copied), copied
    settle(page.locator("#qa-chat"))  # the transcript's message bubbles keep an opacity of their own
    shot(page, "gradio_chat.png")
    # Gradio's ↓ (to the latest answer) stands clear of the cards' text when the transcript is scrolled up.
    page.locator("#qa-chat .qa-turn").first.scroll_into_view_if_needed()
    down = page.locator("#qa-chat .scroll-down-button-container button")
    down.wait_for(state="visible")
    clash = page.evaluate(
        """b => { const r = b.getBoundingClientRect();
                  return [...document.querySelectorAll('#qa-chat .qa-text, #qa-chat .qa-meta, #qa-chat .qa-cite')]
                    .filter(t => { const s = t.getBoundingClientRect();
                      return s.left < r.right && r.left < s.right && s.top < r.bottom && r.top < s.bottom; }).length; }""",
        down.element_handle(),
    )
    assert clash == 0, "the ↓ button covers card text"
    check_plain_chinese(page, "问答")

    # 新对话 empties the transcript; the same words are then a first question, not a follow-up
    page.locator("#qa-new").click()
    page.wait_for_function("document.querySelectorAll('#qa-chat .qa-turn').length === 0")
    gradio_ask(page, CONVERSATION[2])
    assert page.locator("#qa-chat .qa-read-as").count() == 0

    # So does the chatbot's own clear button: the questions before it are forgotten too.
    gradio_ask(page, CONVERSATION[0])
    labels = ("Clear", "清空对话", "清除")  # Gradio labels the button in the page's language
    page.locator(", ".join(f"#qa-chat button[aria-label='{label}']" for label in labels)).first.click()
    page.wait_for_function("document.querySelectorAll('#qa-chat .qa-turn').length === 0")
    gradio_ask(page, CONVERSATION[1])
    assert page.locator("#qa-chat .qa-read-as").count() == 0

    # The answer reader's short answer, first and marked in its card (a new conversation: read alone).
    page.locator("#qa-new").click()
    page.wait_for_function("document.querySelectorAll('#qa-chat .qa-turn').length === 0")
    gradio_ask(page, WHO_HOSTED)
    check_short_answer(page.locator("#qa-chat .qa-turn").last)
    check_citations(page.locator("#qa-chat .qa-turn").last, api(qa, "/api/ask", {"question": WHO_HOSTED}))
    # An error is said in Chinese from its code (here: a question of punctuation only).
    box = page.locator("#qa-question textarea, #qa-question input").first
    box.fill("？？？")
    box.press("Enter")
    page.locator("#qa-chat .qa-error").last.wait_for()
    assert page.locator("#qa-chat .qa-error").last.inner_text() == "内容是空的：请输入文字。"
    check_plain_chinese(page, "问答: a short answer and an error")


def gradio_check(page, quote: str):
    result = page.locator("#qa-check-result")
    shown = "() => { const c = document.querySelector('#qa-check-result .qa-check'); return c ? c.innerText : ''; }"
    before = page.evaluate(shown)
    page.locator("#qa-quote textarea").fill(quote)
    page.locator("#qa-check-btn").click()
    # the new verdict, not the one before it (Gradio's own status text around it changes meanwhile)
    page.wait_for_function(f"([b]) => ({shown})() !== b && ({shown})() !== ''", arg=[before])
    return result


def test_gradio_quote_check_shows_verdict_and_diff(qa, page):
    page.goto(qa.url + "/", wait_until="load")
    page.get_by_role("tab", name="核对引文").click()
    # The tab names the collection it checks against, a choice of its own.
    assert page.locator("#qa-check-collection").is_visible()
    assert "在这个知识库中核对" in page.locator("#qa-check-collection").inner_text()
    # An exact quote: the place, no diff legend (nothing struck out or added).
    exact = api(qa, "/api/verify", {"quote": "2020年度长三角地区主要领导座谈会在浙江湖州举行"})
    result = gradio_check(page, "2020年度长三角地区主要领导座谈会在浙江湖州举行")
    assert result.locator(".qa-verdict").inner_text() == "原文一致"
    assert result.locator(".qa-legend").count() == 0
    assert result.locator(".qa-match .qa-card-head").first.inner_text() == f"出处：{exact['matches'][0]['citation']}"
    # A quote found nowhere: its nearest paragraphs wait folded where they are under 60% alike ...
    result = gradio_check(page, "长三角地区将建设世界级的海上风电基地和氢能走廊")  # nearest 26% alike
    assert result.locator(".qa-verdict").inner_text() == "未找到出处"
    assert result.locator("details.qa-nearest").count() == 1 and not result.locator(".qa-match").first.is_visible()
    # ... and open where the nearest is worth reading (69% alike: the same meeting, other claims)
    result = gradio_check(page, "2020年度长三角地区主要领导座谈会在浙江湖州举行了三天并发布了十项成果")
    assert result.locator(".qa-verdict").inner_text() == "未找到出处"
    assert result.locator("details.qa-nearest").count() == 0 and result.locator(".qa-match").first.is_visible()
    check_plain_chinese(page, "核对引文: exact and not found")
    result = gradio_check(page, ALTERED_QUOTE)
    assert result.locator(".qa-verdict").inner_text() == "引文有改动"
    assert result.locator(".qa-diff ins").count() >= 1 and result.locator(".qa-diff del").count() >= 1
    flags = " ".join(result.locator(".qa-flag").all_inner_texts())
    assert "数字改动" in flags and "否定改动" in flags
    assert "第9段" in result.locator(".qa-match .qa-card-head").first.inner_text()
    assert "/" not in result.locator(".qa-verdict + p").inner_text()  # Chinese only: the API's message is not shown
    check_plain_chinese(page, "核对引文: altered")
    settle(result)
    shot(page, "gradio_quote_check.png")


# -- the embed, in a host page on an allowed origin --------------------------------------------------


def test_embed_in_host_page_asks_opens_context_and_checks_quotes(qa, hosts, page):
    allowed, _ = hosts
    page.goto(allowed.origin + "/host.html", wait_until="load")
    frame = page.frame_locator("#qa")
    for n, question in enumerate(CONVERSATION, start=1):
        frame.locator("#q").fill(question)
        frame.locator("#q").press("Enter")
        frame.locator(f"#answer[data-state=done][data-turns='{n}']").wait_for()  # latency: bench/browser_latency.py
    check_turns(frame.locator("#answer .qa-turn"))
    cards = frame.locator("#answer .qa-turn").last.locator(".qa-card")
    shot(page, "embed_in_host_page.png")

    cards.first.click()
    reader = frame.locator("#reader")
    reader.locator(".qa-target > mark").wait_for()
    assert reader.locator(".qa-para").count() >= 2
    assert _squash(reader.locator(".qa-target > mark").inner_text()) in CORPUS
    shot(page, "embed_context.png")
    frame.locator("#reader-back").click()
    cards.first.wait_for()

    frame.locator("#mode-check").click()
    frame.locator("#quote").fill(ALTERED_QUOTE)
    frame.locator("#check-form button").click()
    frame.locator("#check[data-state=done]").wait_for()
    check = frame.locator("#check")
    assert check.locator(".qa-verdict").inner_text() == "引文有改动"
    assert check.locator(".qa-diff ins").count() >= 1
    assert "第9段" in check.locator(".qa-card-head").first.inner_text()
    assert any("数字改动" in f for f in check.locator(".qa-flag").all_inner_texts())
    shot(page, "embed_quote_check.png")
    # as on the page: Chinese words only, no legend without a diff, a far not-found's nearest folded
    assert "/" not in check.locator("p.qa-text").first.inner_text()
    for quote, verdict in (
        ("2020年度长三角地区主要领导座谈会在浙江湖州举行", "原文一致"),
        ("长三角地区将建设世界级的海上风电基地和氢能走廊", "未找到出处"),
    ):
        frame.locator("#quote").fill(quote)
        frame.locator("#check-form button").click()
        frame.locator("#check[data-state=done] .qa-verdict", has_text=verdict).wait_for()
    frame.locator("#check details.qa-nearest").wait_for(state="attached")
    assert not frame.locator("#check .qa-match").first.is_visible()
    frame.locator("#quote").fill("2020年度长三角地区主要领导座谈会在浙江湖州举行")
    frame.locator("#check-form button").click()
    frame.locator("#check[data-state=done] .qa-verdict", has_text="原文一致").wait_for()
    assert frame.locator("#check .qa-diff, #check del").count() == 0  # an exact match: no diff, no legend

    # The answer reader's short answer, first and marked in its card and in the passage in context.
    frame.locator("#mode-ask").click()
    frame.locator("#new-chat").click()
    frame.locator("#q").fill(WHO_HOSTED)
    frame.locator("#q").press("Enter")
    frame.locator("#answer[data-state=done][data-turns='1']").wait_for()
    check_short_answer(frame.locator("#answer .qa-turn"))
    check_citations(frame.locator("#answer .qa-turn"), api(qa, "/api/ask", {"question": WHO_HOSTED}))
    shot(page, "embed_short_answer.png")
    frame.locator("#answer .qa-card").first.click()
    assert reader.locator(".qa-target mark.qa-hl mark.qa-short").inner_text() == "袁家军"
    check_plain_chinese(page.locator("#qa").element_handle().content_frame(), "widget")


# -- embedding rules -----------------------------------------------------------------------------------


def test_disallowed_origin_cannot_frame_the_embed(qa, hosts, page):
    allowed, blocked = hosts
    with urllib.request.urlopen(qa.url + "/embed") as r:
        csp = r.headers["Content-Security-Policy"]
    ancestors = re.search(r"frame-ancestors ([^;]+)", csp).group(1).split()
    assert ancestors == ["'self'", allowed.origin]
    assert blocked.origin not in csp

    page.goto(blocked.origin + "/host.html", wait_until="load")
    frame = page.locator("#qa").element_handle().content_frame()
    assert frame is not None
    # Chromium replaces a frame refused by frame-ancestors with its error page
    assert frame.url.startswith("chrome-error://"), frame.url
    assert frame.locator("#q").count() == 0, "the embed must not render inside a page on a disallowed origin"
    # the host snippet says why, in one line its administrator can act on, instead of a grey frame alone
    page.locator("#qa-blocked").wait_for(state="visible", timeout=15_000)
    assert "embed_origins" in page.locator("#qa-blocked").inner_text()
    shot(page, "embed_blocked_origin.png")

    # the same host page on the allowed origin does show it (the block is about the origin, not the page)
    page.goto(allowed.origin + "/host.html", wait_until="load")
    page.frame_locator("#qa").locator("#q").wait_for()
    page.wait_for_timeout(5500)  # past the snippet's wait: the widget said it shows, so no note
    assert page.locator("#qa-blocked").is_hidden()


# -- script payloads render as text ----------------------------------------------------------------


def test_question_payload_is_text_in_embed_and_ui(qa, page):
    page.goto(qa.url + "/embed", wait_until="load")
    page.fill("#q", QUESTION_PAYLOAD)
    page.press("#q", "Enter")
    page.locator("#answer[data-state=done], #ask-status.qa-error").first.wait_for()
    assert QUESTION_PAYLOAD in page.locator("#answer").inner_text()
    assert page.locator("#answer img").count() == 0
    assert page.evaluate("window.__xss") is None

    page.goto(qa.url + "/", wait_until="load")
    gradio_ask(page, QUESTION_PAYLOAD)
    assert QUESTION_PAYLOAD in page.locator("#qa-chat").inner_text()
    assert page.locator("#qa-chat img").count() == 0
    assert page.evaluate("window.__xss") is None


def test_document_payload_is_text_everywhere(xss_qa, page):
    question = "武汉长江大桥是哪一年建成通车的？"
    with urllib.request.urlopen(xss_qa.url + "/api/documents") as r:
        docs = json.load(r)["documents"]
    assert any(SCRIPT_PAYLOAD in (d["title"] or "") for d in docs), docs

    # the Gradio UI: examples (drawn from titles), cards and the context view
    page.goto(xss_qa.url + "/", wait_until="load")
    gradio_ask(page, question)
    cards = page.locator("#qa-chat .qa-card")
    cards.first.wait_for()
    shown = page.locator("#qa-chat").inner_text()
    assert "<script>" in shown or "<img" in shown, shown[:500]
    for i in range(cards.count()):
        cards.nth(i).locator("summary").click()
    assert page.locator("#qa-chat script, #qa-chat img").count() == 0
    page.get_by_role("tab", name="核对引文").click()
    page.locator("#qa-quote textarea").fill(f"武汉长江大桥于1957年建成通车，{SCRIPT_PAYLOAD}这段文字里有一个脚本标签。")
    page.locator("#qa-check-btn").click()
    page.locator("#qa-check-result .qa-verdict").wait_for()
    assert page.locator("#qa-check-result script, #qa-check-result img").count() == 0
    assert page.evaluate("window.__xss") is None

    # the embed: cards, the passage in context, the quote check
    page.goto(xss_qa.url + "/embed", wait_until="load")
    page.fill("#q", question)
    page.press("#q", "Enter")
    page.locator("#answer[data-state=done]").wait_for()
    assert "<script>" in page.locator("#answer").inner_text() or "<img" in page.locator("#answer").inner_text()
    page.locator(".qa-card").first.click()
    page.locator("#reader .qa-target").wait_for()
    assert "<" in page.locator("#reader-body").inner_text()
    page.click("#mode-check")
    page.fill("#quote", f"第二段：{QUESTION_PAYLOAD}图片标签也只能显示为文字。")
    page.click("#check-form button")
    page.locator("#check[data-state=done]").wait_for()
    assert page.locator("main script, main img").count() == 0
    assert page.evaluate("window.__xss") is None


# -- a list answer -------------------------------------------------------------------------------------

LIST_QUESTION = "长三角一体化发展有哪些重点工作？"
KEY_TASKS = ["第一，推动长三角区域经济高质量发展", "第二，加大科技攻关力度", "第三，提升长三角城市发展质量"]
KEY_TASKS.append("第四，增强欠发达区域高质量发展动能")


def check_list_answer(turn) -> None:
    """回答 quotes every item of the list, in order, each with the [n] of a card of the turn that holds it
    and says 回答出自此段."""
    answer_text = _squash(turn.locator(".qa-answer").inner_text())
    found = [re.search(re.escape(item) + r"\[(\d+)\]", answer_text) for item in KEY_TASKS]
    assert all(found), answer_text
    assert [m.start() for m in found] == sorted(m.start() for m in found)  # in order
    cards = {c.locator(".qa-n").inner_text().strip("[]"): c for c in turn.locator(".qa-card").all()}
    for item, m in zip(KEY_TASKS, found):
        card = cards[m.group(1)]
        assert item in _squash(card.locator(".qa-text").inner_text())
        assert card.locator(".qa-from").count() == 1


def test_a_list_answer_cites_every_item_in_the_page_and_the_widget(qa, hosts, page):
    page.goto(qa.url + "/", wait_until="load")
    gradio_ask(page, LIST_QUESTION)
    check_list_answer(page.locator("#qa-chat .qa-turn").last)
    allowed, _ = hosts
    page.goto(allowed.origin + "/host.html", wait_until="load")
    frame = page.frame_locator("#qa")
    frame.locator("#q").fill(LIST_QUESTION)
    frame.locator("#q").press("Enter")
    frame.locator("#answer[data-state=done][data-turns='1']").wait_for()
    check_list_answer(frame.locator("#answer .qa-turn").last)
