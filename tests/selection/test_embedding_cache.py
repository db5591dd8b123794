"""The embedding cache: each (embedder, text) embedded once, batches committed as they go, runs reuse it."""
from __future__ import annotations

import numpy as np
import pytest

from selection.models import Embedding
from selection.selectors import embedding_cache_stats
from selection.services import embeddings as svc


class CountingEmbedder:
    """A deterministic stand-in that records every text it is asked to embed (and can fail mid-way)."""

    name = "counting-test"
    dim = 4

    def __init__(self, fail_after_calls: int | None = None) -> None:
        self.calls: list[list[str]] = []
        self.fail_after_calls = fail_after_calls

    def embed(self, texts, batch_size=32, progress=None):  # noqa: ANN001, ANN201
        if self.fail_after_calls is not None and len(self.calls) >= self.fail_after_calls:
            raise RuntimeError("worker killed")
        self.calls.append(list(texts))
        return np.array([[len(t), t.count("a"), t.count("e"), 1.0] for t in texts], dtype=np.float32)

    @property
    def embedded(self) -> list[str]:
        return [t for call in self.calls for t in call]


TEXTS = ["alpha beta", "gamma", "delta epsilon", "alpha beta", "zeta", "eta theta iota", "kappa"]


@pytest.mark.django_db
def test_each_distinct_text_is_embedded_once_and_returned_in_order():
    embedder = CountingEmbedder()
    X, n_new = svc.embeddings_for_texts(embedder=embedder, texts=TEXTS, batch_size=2)
    assert n_new == 6  # "alpha beta" appears twice, embedded once
    assert sorted(embedder.embedded) == sorted(set(TEXTS))
    assert all(len(call) <= 2 for call in embedder.calls)
    expected = embedder.embed(TEXTS)
    np.testing.assert_array_equal(X, expected)

    again = CountingEmbedder()
    X2, n_new2 = svc.embeddings_for_texts(embedder=again, texts=list(reversed(TEXTS)), batch_size=2)
    assert n_new2 == 0 and again.calls == []
    np.testing.assert_array_equal(X2, X[::-1])


@pytest.mark.django_db
def test_an_interrupted_embedding_resumes_without_recomputing_stored_batches():
    failing = CountingEmbedder(fail_after_calls=2)
    with pytest.raises(RuntimeError):
        svc.embeddings_for_texts(embedder=failing, texts=TEXTS, batch_size=2)
    assert Embedding.objects.filter(embedder="counting-test").count() == 4  # two batches were committed

    resumed = CountingEmbedder()
    progress: list[tuple[int, int]] = []
    X, n_new = svc.embeddings_for_texts(embedder=resumed, texts=TEXTS, batch_size=2,
                                        progress=lambda d, t: progress.append((d, t)))
    assert n_new == 2
    assert set(resumed.embedded) == set(TEXTS) - set(failing.embedded)
    assert progress[0] == (4, 6) and progress[-1] == (6, 6)
    assert X.shape == (7, 4)


@pytest.mark.django_db
def test_embedders_are_kept_apart_and_stats_count_bytes():
    svc.embeddings_for_texts(embedder=CountingEmbedder(), texts=["one", "two"])
    other = CountingEmbedder()
    other.name = "other-embedder"
    svc.embeddings_for_texts(embedder=other, texts=["one"])
    assert len(other.calls) == 1  # same text, other embedder: embedded again
    stats = embedding_cache_stats()
    assert stats["rows"] == 3
    assert stats["bytes"] == 3 * 4 * 4
    assert stats["embedders"]["other-embedder"] == {"rows": 1, "bytes": 16}


def test_embed_text_modes_choose_what_is_embedded():
    from selection.models import Example

    ex = Example(src="Fix grammar: He go home.", refs=["He goes home."], task="gec")
    assert svc.embedding_texts([ex], "src") == ["Fix grammar: He go home."]
    assert svc.embedding_texts([ex], "input") == ["He go home."]
    both = svc.embedding_texts([ex], "input+target")[0]
    assert "He go home." in both and "He goes home." in both and "Fix grammar" not in both
    with pytest.raises(ValueError, match="embed_text"):
        svc.embedding_texts([ex], "target")


def test_a_tfidf_fit_is_cached_by_corpus_under_the_data_dir(settings, tmp_path):
    settings.DEFT_DATA_DIR = tmp_path
    first = svc.embedder_get("tfidf:3")
    X, n_new = svc.embeddings_for_texts(embedder=first, texts=TEXTS)
    assert n_new == len(set(TEXTS)) and first.last_cache_hit_ is False
    assert len(list((tmp_path / "cache" / "tfidf").glob("*.npy"))) == 1

    second = svc.embedder_get("tfidf:3")
    X2, n_new2 = svc.embeddings_for_texts(embedder=second, texts=list(reversed(TEXTS)))
    assert n_new2 == 0 and second.last_cache_hit_ is True
    np.testing.assert_array_equal(X2, X[::-1])
