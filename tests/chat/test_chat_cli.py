"""`qa chat` driven as a real process through a stdin pipe: follow-ups, /new, end of input."""

from __future__ import annotations

from tests.conftest import run_qa


def test_chat_reads_follow_ups_starts_over_and_ends_on_eof(service):
    lines = ["习近平讲话中的第一项重点工作是什么？", "那第三项呢？", "/new", "那第三项呢？", "？？", "长三角"]
    result = run_qa("chat", input="\n".join(lines) + "\n")
    out = result.stdout
    assert result.returncode == 0, result.stderr
    turns = out.split("回答：")
    assert len(turns) == 5, out  # four answers; the content-free line is an error, not an answer
    # the follow-up is read from the conversation, and says so
    assert "（按上文理解为：习近平讲话中的第三项重点工作是什么？）" in turns[1]
    assert turns[2].startswith("第三，提升长三角城市发展质量。[1]")
    # after /new the same words have no conversation to lean on
    assert "（已开始新对话）" in turns[2] and "按上文理解为" not in turns[3]
    assert "错误：" in turns[3] and "seeds/" in turns[4]
    assert out.rstrip().endswith("再见。")
