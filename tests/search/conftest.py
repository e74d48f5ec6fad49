"""A small collection of short news excerpts written for the search tests: several per topic, some on
topic but without the answer (as in a collection of news from different outlets)."""

from __future__ import annotations

import pytest

from qa.config import Settings
from qa.service import QAService

EXCERPTS = {
    "01.txt": "青川大桥正式通车\n\n青川大桥今天上午正式通车，市民纷纷前往参观。大桥的建成让两岸居民的出行更加方便。",
    "02.txt": "青川大桥的规模\n\n据介绍，青川大桥全长1280米，共有12个桥墩，由市路桥集团承建。",
    "03.txt": "青川大桥通车仪式\n\n在青川大桥通车仪式上，市长李文华为大桥剪彩。",
    "04.txt": "网友热议青川大桥\n\n青川大桥通车的消息传出后，网友们热烈讨论，许多人表示期待已久，也有人担心交通拥堵。",
    "05.txt": "青川大桥的建设历程\n\n青川大桥于2019年3月开工建设，历时四年完工。",
    "06.txt": "青川大桥的位置\n\n青川大桥位于青川县城东部，连接江北新区与老城区。",
    "07.txt": "青川大桥的意义\n\n专家认为，青川大桥对青川县的经济发展意义重大，大桥通车后将带动沿线旅游业。",
    "11.txt": "作家王明的第一部小说\n\n作家王明的第一部小说《春水》出版于1990年，讲述了江南小镇的故事。",
    "12.txt": "作家王明的第二部小说\n\n王明的第二部小说《秋山》获得了全国文学奖。",
    "13.txt": "作家王明的第三部小说\n\n王明的第三部小说《冬雪》被改编成了电影。",
    "14.txt": "作家王明的近况\n\n王明近年来很少公开露面，他表示正在构思新的作品。",
}


@pytest.fixture(scope="session")
def news(tmp_path_factory, service):
    """A QAService over the excerpts (sharing the session's encoder); `news.folder` holds the files."""
    folder = tmp_path_factory.mktemp("news")
    for name, text in EXCERPTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    settings = Settings.load(
        {"corpus": str(folder), "index_dir": str(tmp_path_factory.mktemp("idx")), "index_name": "news"}
    )
    svc = QAService(settings, encoder=service.encoder)
    svc.folder = folder
    return svc
