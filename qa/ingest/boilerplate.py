"""Web-page furniture that is not part of the story: menus, share buttons, 责任编辑, copyright lines,
and the date a search engine puts before a snippet ("Jan 27, 2023 ... ").

Each rule needs positive evidence (a known menu word, a share or print button, an editor or copyright
formula); a line the rules cannot place is left as text. Boilerplate lines stay in the article (they can
be quoted) but are never passages.
"""

from __future__ import annotations

import re

__all__ = ["is_boilerplate", "snippet_prefix"]

# Words that make up site navigation; a line of several short items, most of them these, is a menu.
_MENU_WORDS = frozenset(
    [
        "首页",
        "网站首页",
        "新闻",
        "新闻中心",
        "国内",
        "国际",
        "财经",
        "体育",
        "娱乐",
        "科技",
        "汽车",
        "房产",
        "要闻",
        "时政",
        "评论",
        "图片",
        "视频",
        "专题",
        "社会",
        "军事",
        "教育",
        "健康",
        "旅游",
        "文化",
        "正文",
        "登录",
        "注册",
        "设为首页",
        "加入收藏",
        "手机版",
        "客户端",
        "订阅",
        "更多",
        "直播",
        "地方",
        "滚动",
        "返回首页",
        "home",
        "news",
        "sports",
        "login",
    ]
)
_MENU_SPLIT = re.compile(r"\s*[|｜>›»/]\s*|\s{2,}|\s+")
_BUTTONS = re.compile(r"^(分享到|分享\s*[：:]|扫一扫|返回顶部)|【\s*(打印|关闭|纠错|收藏|推荐|字号)[^】]*】")
_EDITOR = re.compile(r"^[【\[]?\s*(责任编辑|责编|编辑|校对|审核|監製|责任校对)\s*[：:]\s*\S{1,12}\s*[】\]]?\s*$")
_COPYRIGHT = re.compile(r"(copyright\s*(©|\(c\))?|©|版权所有|all rights reserved|未经授权禁止转载|禁止转载)", re.I)
# "Jan 27, 2023 ... ", "2023年1月27日 ... ", "3 days ago ... ": what a search result shows before its snippet.
_SNIPPET = re.compile(
    r"^((Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}"
    r"|\d{4}年\d{1,2}月\d{1,2}日|\d{1,2} (days?|hours?) ago|\d+\s*(天|小时)前)\s*(\.\.\.|…|—|-)\s*"
)


def _is_menu(line: str) -> bool:
    items = [x for x in _MENU_SPLIT.split(line.strip().lower()) if x]
    if len(items) < 3 or any(len(x) > 8 for x in items):
        return False
    return sum(x in _MENU_WORDS for x in items) >= max(2, (len(items) + 1) // 2)


def is_boilerplate(line: str) -> bool:
    """True for a whole line that is site furniture, not text: a menu, share/print buttons, an editor
    credit, a copyright notice."""
    text = line.strip()
    if not text or len(text) > 80:
        return False
    if _EDITOR.match(text) or _is_menu(text):
        return True
    if _BUTTONS.search(text) and len(text) <= 40:
        return True
    return bool(_COPYRIGHT.search(text)) and len(text) <= 60


def snippet_prefix(line: str) -> int:
    """Length of a search-snippet date prefix at the start of `line` (0 when there is none)."""
    m = _SNIPPET.match(line)
    return m.end() if m and m.end() < len(line) else 0
