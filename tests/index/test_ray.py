"""`qa ingest --ray`: the embedding step on a real local Ray cluster (2 CPUs) builds the index the local path builds."""

from __future__ import annotations

import os

import numpy as np
import pytest
import ray

from qa.index.build import build_index
from qa.index.store import Index
from qa.search.hybrid import Searcher
from tests.index.conftest import PLACE, QUESTION

QUESTIONS = [QUESTION, "长三角一体化发展的新格局是什么？", "论坛上谁作了演讲？"]


@pytest.fixture(scope="module")
def local_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=128 * 1024 * 1024)
    yield
    ray.shutdown()


def test_ray_build_matches_the_local_build(tiny_built, local_cluster, tmp_path):
    local = Index.load(tiny_built.index_path)
    settings = tiny_built.settings.replace(ray="local", index_dir=str(tmp_path / "idx"))

    index, report = build_index(settings, [tiny_built.corpus], tiny_built.encoder, path=tmp_path / "idx" / "tiny")

    # The embedding ran on the cluster, in Ray actors (other processes), not in this one.
    assert report["ray_workers"] and os.getpid() not in report["ray_workers"]
    assert report["embedded"] > 0 and report["vectors"] == len(local.vectors)

    assert [p.to_dict() for p in index.passages] == [p.to_dict() for p in local.passages]
    assert index.view_keys == local.view_keys
    cosines = (index.vectors * local.vectors).sum(axis=1)
    assert cosines.min() >= 0.9999, f"lowest cosine {cosines.min():.6f}"
    np.testing.assert_array_equal(index.dense.owners, local.dense.owners)

    on_ray, here = Searcher(index, tiny_built.encoder, settings), Searcher(local, tiny_built.encoder, settings)
    for question in QUESTIONS:
        assert [h.passage.id for h in on_ray.search(question, 5)] == [h.passage.id for h in here.search(question, 5)]
    assert PLACE in on_ray.search(QUESTION, 1)[0].passage.text
