"""`qa chat`: an interactive conversation in the terminal, with the follow-up handling of the API.

In:  lines typed on stdin (a terminal or a pipe); `/new` starts a new conversation; Ctrl-D (end of
     input) or `/quit` ends it.
Out: each answer in plain text on stdout (how a follow-up was read, the answer with [n] markers,
     each cited passage with its best sentence in 【】); errors as one `错误：` line, and the conversation
     goes on. The conversation lives in this process only.
"""

from __future__ import annotations

import sys

from qa.errors import QAError

from .history import Turn
from .render import terminal_answer

__all__ = ["run_chat"]

GREETING = "qa chat：输入问题并回车；/new 开始新对话；Ctrl-D 退出。"


def run_chat(service, stdin=None, stdout=None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    turns: list[Turn] = []
    limit = service.settings.max_history_turns

    def say(text: str) -> None:
        print(text, file=stdout, flush=True)

    say(GREETING)
    while True:
        if interactive:
            try:
                line = input("问> ")
            except EOFError:
                break
        else:
            line = stdin.readline()
            if not line:
                break
        line = line.strip()
        if not line:
            continue
        if line in ("/quit", "/exit"):
            break
        if line == "/new":
            turns.clear()
            say("（已开始新对话）")
            continue
        try:
            answer = service.ask(line, None, history=turns[-limit:] if limit else [])
        except QAError as exc:
            say(f"错误：{exc.message}")
            continue
        turns.append(Turn(line, answer.answer))
        say(terminal_answer(answer))
        say("")
    say("再见。")
    return 0
