"""The real `qa` command in a subprocess: JSON shapes, batch mode, friendly errors and exit codes."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import QUOTE_MATCH_KEYS, ROOT, run_qa

HIT_KEYS = {
    "rank",
    "score",
    "doc_id",
    "file",
    "title",
    "source",
    "date",
    "paragraph",
    "start",
    "end",
    "page",
    "sheet",
    "row",
    "format",
    "page_end",
    "row_end",
    "paragraph_end",
    "text",
    "pieces",
    "highlight",
    "dense_rank",
    "keyword_rank",
    "also_in",
    "citation",
}
# The answer reader's keys: on the cards it read (answer_score) and the short answer's card (answer_span).
READER_HIT_KEYS = {"answer_score", "answer_span"}
WHO_HOSTED = "谁主持了成果发布会？"  # answered 袁家军 two sentences after the one repeating the question


def test_ask_json_shape_and_checkable_citation(service, seed_texts):
    result = run_qa("ask", "第二届长三角一体化发展高层论坛在哪里举行？", "--json", "--top-k", "3")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"question", "answer", "answered", "answer_from", "short_answer", "answer_items", "hits"}
    assert answer["answer_items"] == []  # not a list question
    assert len(answer["hits"]) == 3 and "[1]" in answer["answer"] and answer["answered"] is True
    for source in answer["answer_from"]:  # each quoted sentence stands in its card where it says
        hit = answer["hits"][source["rank"] - 1]
        assert hit["text"][source["start"] : source["end"]] in answer["answer"]
    for hit in answer["hits"]:
        assert HIT_KEYS <= set(hit) <= HIT_KEYS | READER_HIT_KEYS
        assert (hit["page"], hit["sheet"], hit["row"], hit["format"]) == (None, None, None, "txt")
        assert (hit["page_end"], hit["row_end"], hit["paragraph_end"]) == (None, None, None)  # one seed paragraph
        assert "".join(seed_texts[hit["file"]][s:e] for s, e in hit["pieces"]) == hit["text"]
        assert set(hit["highlight"]) == {"start", "end", "paragraph", "page", "citation"}
        about = "，".join(x for x in (hit["source"], hit["date"], f"第{hit['paragraph']}段") if x)
        assert hit["citation"] == f"《{hit['title']}》（{about}）"  # a seed article: source (晨报), paragraph
        assert 0 <= hit["highlight"]["start"] < hit["highlight"]["end"] <= len(hit["text"])
        if hit["end"] - hit["start"] == len(hit["text"]):  # not straddling a repaired page break
            assert seed_texts[hit["file"]][hit["start"] : hit["end"]] == hit["text"]
    assert "浙江湖州" in answer["hits"][0]["text"]


def test_ask_reads_questions_from_stdin_one_process(service):
    result = run_qa(
        "ask", "-", "--json", input="习近平在哪里主持召开座谈会？\n\n第二届长三角一体化发展高层论坛在哪里举行？\n"
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["question"] for a in lines] == [
        "习近平在哪里主持召开座谈会？",
        "第二届长三角一体化发展高层论坛在哪里举行？",
    ]
    assert all(a["hits"] for a in lines)


def test_plain_output_is_chinese_with_citations(service):
    result = run_qa("ask", "要共同打造什么样的营商环境？")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("问题：") and "回答：" in result.stdout
    assert "[1] " in result.stdout and "第" in result.stdout and "段" in result.stdout and "【" in result.stdout


def test_plain_output_leads_with_the_short_answer_marked_in_its_card(service, seed_texts):
    result = run_qa("ask", WHO_HOSTED)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"问题：{WHO_HOSTED}" and lines[2].startswith("回答：")
    # 答：袁家军 [1] 《标题》（晨报，第N段）（seeds/….txt:start-end）: the span, its card, the place it stands and
    # the file offsets that read back from the file
    lead = re.fullmatch(r"答：(.+) \[(\d+)\] (《[^》]+》（[^）]+）)（(.+):(\d+)-(\d+)）", lines[1])
    assert lead, lines[1]
    text, card, _, file, start, end = lead.groups()
    assert (text, card) == ("袁家军", "1")
    assert seed_texts[file][int(start) : int(end)] == "袁家军"
    # card [1] cites that file, and shows the answer in 〖〗 inside its highlighted sentence 【】
    at = next(i for i, line in enumerate(lines) if line.startswith("[1] "))
    assert f"（{file}:" in lines[at]
    body = lines[at + 1]
    assert body.count("〖") == body.count("〗") == 1 and "〖" not in result.stdout.replace(body, "")
    assert re.search(r"【[^【】]*〖袁家军〗[^【】]*】", body), body
    assert "主持" in body[body.index("【") : body.index("】")]


def test_reader_off_no_short_answer_and_the_output_as_before(service):
    """QA_ANSWER_READER=off: no 答： line, no 〖〗, no short_answer or reader keys in the JSON, and the
    answer of before the reader (the sentence repeating the question, the issue's complaint)."""
    off = {"QA_ANSWER_READER": "off"}
    plain = run_qa("ask", WHO_HOSTED, env=off)
    as_json = run_qa("ask", WHO_HOSTED, "--json", env=off)
    assert plain.returncode == 0 and as_json.returncode == 0, plain.stderr + as_json.stderr
    answer = json.loads(as_json.stdout)
    assert answer["short_answer"] is None
    assert all(set(hit) == HIT_KEYS for hit in answer["hits"])
    assert answer["answer"].startswith("昨日,在圆满完成座谈会各项议程后,举行了成果发布会。[1]")
    lines = plain.stdout.splitlines()
    assert lines[:2] == [f"问题：{WHO_HOSTED}", f"回答：{answer['answer']}"]
    assert "答：" not in plain.stdout.replace("回答：", "") and "〖" not in plain.stdout and "〗" not in plain.stdout


@pytest.mark.parametrize("question, expected", [("", "空"), ("   ", "空"), ("？？", "空"), ("长" * 100_000, "太长")])
def test_bad_questions_get_a_clear_error_and_nonzero_exit(service, question, expected):
    # Through stdin: 100,000 Chinese characters are longer than one command-line argument may be.
    result = run_qa("ask", question) if len(question) < 100 else run_qa("ask", "-", input=question + "\n")
    assert result.returncode == 2
    assert result.stderr.startswith("错误：") and expected in result.stderr
    assert "Traceback" not in result.stderr


def test_batch_mode_reports_bad_lines_and_continues(service):
    result = run_qa("ask", "-", "--json", input="？\n长三角一体化\n")
    assert result.returncode == 1
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["error"]["code"] == "empty_input" and second["hits"]


def test_ingest_refuses_missing_and_binary_files_and_keeps_the_index(service, tmp_path):
    before = service.index.path.resolve()
    missing = run_qa("ingest", str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and "No such file" in missing.stderr
    binary = tmp_path / "photo.txt"
    binary.write_bytes(bytes(range(256)) * 64)
    refused = run_qa("ingest", str(binary))
    assert refused.returncode == 2 and "binary" in refused.stderr
    assert service.index.path.resolve() == before


def test_verify_json_shape(service):
    result = run_qa("verify", "-", "--json", input="共同打造国际一流营商环境\n共同打造国际二流营商环境\n")
    assert result.returncode == 0, result.stderr
    exact, altered = (json.loads(line) for line in result.stdout.splitlines())
    assert exact["verdict"] == "exact" and altered["verdict"] == "altered"
    match = exact["matches"][0]
    assert set(match) == QUOTE_MATCH_KEYS and (match["page"], match["format"]) == (None, "txt")


def test_eval_prints_the_three_retrievals(service):
    result = run_qa("eval", str(ROOT / "seeds" / "questions.jsonl"))
    assert result.returncode == 0, result.stderr
    for mode in ("keyword", "dense", "fused"):
        assert f"| {mode} |" in result.stdout


def test_settings_lists_every_setting_and_bad_values_are_refused():
    from qa.config import SETTINGS

    result = run_qa("settings", "--set", "top_k=7")
    assert result.returncode == 0
    for s in SETTINGS:
        assert s.name in result.stdout
    assert "top_k                = 7" in result.stdout
    bad = run_qa("settings", "--set", "top_k=many")
    assert bad.returncode == 2 and "top_k" in bad.stderr
    unknown = run_qa("settings", "--set", "colour=red")
    assert unknown.returncode == 2 and "Unknown setting" in unknown.stderr


def test_python_dash_m_and_help():
    result = run_qa("--help")
    assert result.returncode == 0 and "qa ask" in result.stdout


def test_a_reader_that_goes_away_ends_the_command_quietly(service):
    """`qa ask - --json | head -c 1`: the pipe closes after the first byte; no traceback follows."""
    import subprocess
    import sys

    questions = "\n".join(["长三角地区主要领导座谈会在哪里举行？"] * 30)
    out = subprocess.run(
        f"{sys.executable} -m qa ask - --json | head -c 1",
        shell=True,
        input=questions,
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        timeout=300,
    )
    assert out.stdout == "{"
    assert "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr, out.stderr
