"""An evaluation corpus unlike the seeds, written as files, with its question set.

    python bench/eval_corpus.py                 # writes bench/eval_corpus/ (git-ignored)
    python bench/eval_corpus.py --out /tmp/x    # elsewhere

Read from ../shared/benchmarks (never copied into the repo):
- plain/  one file per article, headline first: CMRC 2018 dev articles (simplified, one paragraph
          each) and DRCD dev articles (traditional, several paragraphs), paragraphs between blank lines;
- web/    news pages as a scraper saves them, built from CMRC 2018 trial articles: a navigation menu,
          the headline, sometimes a "原标题：…" line, a date/source line, share buttons, a search-snippet
          prefix ("Jan 27, 2023 ... "), subheads (some longer than 20 characters), timestamps, captions,
          list items and table-like lines, 责任编辑 and a copyright line. One answer sentence per page is
          moved out of its paragraph into a short line with no closing punctuation (a list item, a caption,
          a subhead or a table row), so only a system that indexes short lines can find it.

Questions: the datasets' own questions about the chosen articles; the gold is the sentence that holds
the answer (located where it stands). Every fourth article is held out (`heldout.jsonl`), to be run once.
The same files come out for the same seed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.text import sentence_spans  # noqa: E402

BENCH = ROOT.parent / "shared" / "benchmarks"
OUT = ROOT / "bench" / "eval_corpus"

__all__ = ["write_corpus", "OUT"]

MENUS = [
    "首页 | 新闻 | 国内 | 国际 | 财经 | 体育 | 娱乐 | 科技 | 汽车 | 房产",
    "首页 > 新闻中心 > 社会 > 正文",
    "网站首页  要闻  时政  评论  图片  视频  专题",
    "登录 注册 | 设为首页 | 加入收藏 | 手机版",
]
SHARES = [
    "分享到：微信 微博 QQ空间 复制链接",
    "分享： 微信 | 微博 | QQ | 空间",
    "扫一扫 分享到朋友圈",
    "【打印】 【关闭】 【纠错】",
]
SITES = ["新浪网", "人民网", "澎湃新闻", "新华网", "中国新闻网", "央广网", "环球网"]
EDITORS = ["张晓明", "李佳", "王芳", "陈思远", "刘洋", "赵雪"]
SUBHEADS = ["记者调查", "背景链接", "专家解读", "事件回顾", "多方回应", "相关阅读", "延伸阅读"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _load(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["data"]


def _answer_sentence(context: str, qa: dict) -> tuple[int, int] | None:
    """The span of the sentence of `context` that holds the question's first answer."""
    answer = qa["answers"][0]
    start = answer.get("answer_start", -1)
    if start < 0 or context[start : start + len(answer["text"])] != answer["text"]:
        start = context.find(answer["text"])
    if start < 0 or not answer["text"].strip():
        return None
    for s, e in sentence_spans(context):
        if s <= start and start + len(answer["text"]) <= e:
            return s, e
    return None


def _question(qa: dict, gold: str, kind: str, file: str) -> dict:
    return {"question": qa["question"].strip(), "gold": gold, "kind": kind, "file": file, "id": qa["id"]}


def _plain_docs(rng: random.Random, data: list[dict], n: int, prefix: str, per_para: int) -> list[tuple]:
    docs = []
    for art in rng.sample([a for a in data if a["title"].strip()], n):
        name = f"{prefix}-{art['id']}.txt"
        paras = [p["context"].strip() for p in art["paragraphs"]]
        text = art["title"].strip() + "\n\n" + "\n\n".join(paras) + "\n"
        questions = []
        for p in art["paragraphs"]:
            for qa in p["qas"][:per_para]:
                span = _answer_sentence(p["context"].strip(), qa)
                if span and qa["question"].strip():
                    questions.append(_question(qa, p["context"].strip()[span[0] : span[1]], prefix, f"plain/{name}"))
        docs.append((f"plain/{name}", text, questions))
    return docs


def _date(rng: random.Random) -> tuple[str, str, str]:
    y, m, d = rng.randint(2015, 2024), rng.randint(1, 12), rng.randint(1, 28)
    hh, mm = rng.randint(0, 23), rng.randint(0, 59)
    return f"{y}-{m:02d}-{d:02d}", f"{hh:02d}:{mm:02d}", f"{MONTHS[m - 1]} {d}, {y}"


def _short_line(rng: random.Random, sentence: str) -> tuple[str, str]:
    """A sentence turned into a short line without closing punctuation: (line, gold)."""
    core = sentence.rstrip("。！？；…!?;”’」』）) ")
    form = rng.choice(["list", "caption", "subhead", "table"])
    if form == "list":
        return f"· {core}", core
    if form == "caption":
        return f"图：{core}（资料图）", core
    if form == "table":
        # Table-like: two or three cells separated by runs of spaces.
        cut = [m.end() for m in re.finditer(r"[，,、：:]", core)]
        if cut:
            k = rng.choice(cut)
            return f"{core[:k]}    {core[k:]}", core[k:] if len(core) - k >= 4 else core
        return f"{core}    —", core
    return core, core


def _web_doc(rng: random.Random, art: dict) -> tuple[str, str, list[dict]]:
    name = f"web/web-{art['id']}.txt"
    context = art["paragraphs"][0]["context"].strip()
    qas = [qa for qa in art["paragraphs"][0]["qas"] if qa["question"].strip()]
    spans = sentence_spans(context)
    # The answer sentence that goes into a short line: short enough to be one (≤ 60 characters).
    moved = None
    for qa in rng.sample(qas, len(qas)):
        span = _answer_sentence(context, qa)
        if span and 8 <= span[1] - span[0] <= 60 and span != spans[0]:
            moved = (span, qa)
            break
    body_spans = [s for s in spans if not moved or s != moved[0]]
    cuts = sorted(rng.sample(range(1, len(body_spans)), min(2, max(0, len(body_spans) - 1))))
    paragraphs, last = [], 0
    for c in cuts + [len(body_spans)]:
        if c > last:
            paragraphs.append("".join(context[s:e] for s, e in body_spans[last:c]))
        last = c
    day, clock, english_day = _date(rng)
    site = rng.choice(SITES)
    title = art["title"].strip()
    lines: list[str] = []
    if rng.random() < 0.8:
        lines.append(rng.choice(MENUS))
    lines.append(title)
    lines.append(rng.choice([f"{day} {clock}  来源：{site}", f"{day} {clock} {site}", f"来源：{site}  {day}"]))
    if rng.random() < 0.6:
        lines.append(rng.choice(SHARES))
    if rng.random() < 0.5:
        # "原标题：…" (the headline the story first ran under) right before the lead.
        lines.append(f"原标题：{re.split(r'[，。,；]', paragraphs[0])[0][:30]}")
    if rng.random() < 0.5:
        # A news lead such as 晨报讯 or 新华社北京6月5日电, which the seeds' article split keys on.
        m, d = int(day[5:7]), int(day[8:10])
        lead = rng.choice(
            [f"{site}讯 ", f"新华社北京{m}月{d}日电 ", f"中新网{m}月{d}日电 ", f"本报讯（记者 {rng.choice(EDITORS)}）"]
        )
        paragraphs[0] = lead + paragraphs[0]
    questions: list[dict] = []
    for k, para in enumerate(paragraphs):
        if k == 0 and rng.random() < 0.4:
            para = f"{english_day} ... {para}"
        elif k > 0:
            choice = rng.random()
            if choice < 0.35:
                lines.append(rng.choice(SUBHEADS))
            elif choice < 0.55:
                # A long subhead: the title and a phrase, no closing punctuation (≥ 20 characters).
                lines.append(f"{title}：{rng.choice(SUBHEADS)}，多方关注后续最新进展")
            elif choice < 0.7:
                lines.append(f"图为{title}相关资料图片 新华社记者 {rng.choice(EDITORS)} 摄")
            elif choice < 0.85:
                lines.append(f"{clock}")
        lines.append(para)
        if moved and k == 0:
            line, gold = _short_line(rng, context[moved[0][0] : moved[0][1]])
            lines.append(line)
            questions.append(_question(moved[1], gold, "short_line", name))
    if rng.random() < 0.5:
        lines.append(
            f"{day} {clock}:{rng.randint(10, 59)} 来源：{site} 作者：{rng.choice(EDITORS)} 编辑：{rng.choice(EDITORS)}"
        )
    lines.append(f"责任编辑：{rng.choice(EDITORS)}")
    lines.append(
        rng.choice([f"Copyright © {day[:4]} {site} All Rights Reserved", f"版权所有 © {site} 未经授权禁止转载"])
    )
    text = "\n\n".join(lines) + "\n"
    moved_qa = moved[1]["id"] if moved else None
    for qa in qas:
        if qa["id"] == moved_qa:
            continue
        span = _answer_sentence(context, qa)
        if span and (not moved or span != moved[0]):
            questions.append(_question(qa, context[span[0] : span[1]], "web", name))
    return name, text, questions


def write_corpus(out: Path = OUT, seed: int = 20240127, n_cmrc: int = 60, n_drcd: int = 25, n_web: int = 60) -> dict:
    """Write the corpus and its question files under `out`; returns counts."""
    rng = random.Random(seed)
    docs = _plain_docs(rng, _load(BENCH / "cmrc2018" / "cmrc2018_dev.json"), n_cmrc, "cmrc", 2)
    docs += _plain_docs(rng, _load(BENCH / "drcd" / "DRCD_dev.json"), n_drcd, "drcd", 1)
    trial = [a for a in _load(BENCH / "cmrc2018" / "cmrc2018_trial.json") if a["title"].strip()]
    docs += [_web_doc(rng, art) for art in rng.sample(trial, n_web)]
    for sub in ("plain", "web"):
        (out / sub).mkdir(parents=True, exist_ok=True)
        for old in (out / sub).glob("*.txt"):
            old.unlink()
    tuning, heldout = [], []
    for n, (name, text, questions) in enumerate(docs):
        (out / name).write_text(text, encoding="utf-8")
        (heldout if n % 4 == 3 else tuning).extend(questions)
    for fname, rows in (("questions.jsonl", tuning), ("heldout.jsonl", heldout)):
        (out / fname).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return {"files": len(docs), "questions": len(tuning), "heldout": len(heldout)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--seed", type=int, default=20240127)
    args = ap.parse_args()
    print(write_corpus(args.out, args.seed))


if __name__ == "__main__":
    main()
