"""English questions over Chinese text: pinyin names find the Chinese they spell (qa/search/crosslang.py).

Fires on names written in Mandarin pinyin; stays silent on other romanisations, single syllables,
ordinary English words and questions with Chinese in them, over the whole CMRC 2018 dev split (848
passages, not the seeds). No embedding model: the dense candidates are replaced by every passage."""

from __future__ import annotations

import json

import pytest

from qa.search.crosslang import PinyinNames, name_spellings, reading, spelled
from tests.conftest import ROOT

CMRC = ROOT.parent / "shared" / "benchmarks" / "cmrc2018" / "passages.jsonl"


@pytest.fixture(scope="module")
def cmrc_passages():
    if not CMRC.exists():
        pytest.skip(f"{CMRC} is not there")
    rows = [json.loads(line) for line in CMRC.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["text"] for r in rows]


def test_name_spellings_are_runs_of_capitalised_words():
    assert name_spellings("Where is the Chong Mausoleum of the Guangxu Emperor located?") == [
        "where",
        "chongmausoleum",
        "chong",
        "mausoleum",
        "guangxuemperor",
        "guangxu",
        "emperor",
    ]
    assert name_spellings("What was the first film of the actor Li Kun?") == ["what", "likun"]  # "li", "kun": too short


@pytest.mark.parametrize(
    "question, names",
    [
        ("In what year did Xu Zhantang move to Hong Kong with his family?", "徐展堂"),
        ("What is the other name of the book Zi Bu Yu by Yuan Mei?", "子不语 袁枚"),
        ("What was the first film of the actor Li Kun?", "李昆"),
        ("In which period did the official Liao Li serve?", "廖立"),
        ("Where is Luodian town in Jinhua?", "罗店 金华"),
    ],
)
def test_pinyin_names_spell_their_chinese(cmrc_passages, question, names):
    """Over all 848 passages the spelling also meets homophones (袁枚 and 元没, 廖立 and 料理); among a
    question's dense candidates there are fewer. The name itself is always found."""
    assert set(names.split()) <= set(PinyinNames().terms(question, cmrc_passages).split())


@pytest.mark.parametrize(
    "question",
    [
        "Which baseball teams did Koji Akiyama play for?",  # Japanese romanisation of 秋山幸二
        "How long is the open lower section of the Kwun Tong Nullah?",  # Cantonese: 观塘
        "What is the Larry Bird exception also called?",
        "Who is Ram Baran Yadav?",
        "What shape is the flat head of the death adder?",  # no name; "What" spells nothing
        "Which country is the symphonic metal band Haggard from?",
        "徐展堂在哪一年随家人一起奔赴香港？",  # a question with Chinese needs none of this
        "Xu Zhantang 在哪一年来香港？",
    ],
)
def test_pinyin_names_stay_silent_without_a_pinyin_name(cmrc_passages, question):
    assert PinyinNames().terms(question, cmrc_passages) == ""


def test_a_name_spells_whole_characters_two_or_more():
    names = PinyinNames()
    text = "洪水来了，李先生在香港。"
    assert names.terms("Did Hong see it?", [text]) == ""  # one syllable, one character: never on its own
    assert names.terms("Did Li Xian see it?", [text]) == "李先"
    assert spelled("xianzai", "先在") == {"先在"}
    assert (
        spelled("xianza", "先在") == spelled("ianzai", "先在") == spelled("lixian", "李|先") == set()
    )  # whole characters
    assert spelled("shuilai", text) == {"水来"}
    assert reading("徐") == "xu" and reading("吕") == "lu" and reading("a") == ""


def test_search_adds_what_the_names_spell_only_for_english_questions(service):
    """Through the Searcher on the real seed index, without the seeds' glossary: an English question's
    names (Lou Qinjian, He Lifeng) reach the keyword query as 娄勤俭, 何立峰; not with pinyin_names off,
    and not for a question with Chinese in it."""
    from qa.search.glossary import Glossary
    from qa.search.hybrid import Searcher

    question = "What did Lou Qinjian and He Lifeng say at the symposium?"
    searcher = Searcher(service.index, service.encoder, service.settings, Glossary())
    dense = service.index.dense.search(searcher.embed_question(question), service.settings.candidates)
    assert {"娄勤俭", "何立峰"} <= set(searcher.added_terms(question, dense).split())
    off = Searcher(service.index, service.encoder, service.settings.replace(pinyin_names=False), Glossary())
    assert off.added_terms(question, dense) == ""
    assert searcher.added_terms("娄勤俭 said what?", dense) == ""
