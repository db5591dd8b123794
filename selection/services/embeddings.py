"""The embedding cache: embed each distinct (embedder, text) once, in batches, and reuse it everywhere.

`embeddings_for_texts` is the one entry point: it hashes the texts, embeds each distinct one not yet stored
once (in batches, each committed on its own so an interrupted job resumes where it stopped), and returns the matrix
in the order of the texts. A second selection on the same data with other K, A, alpha or beta embeds nothing.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
from django.conf import settings

from selection.core import embedders as core_embedders
from selection.models import Embedding, Example

LOOKUP_CHUNK = 5000
EMBED_TEXT_MODES = core_embedders.TEXT_MODES

Progress = Callable[[int, int], None]


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def embedder_get(spec: str) -> Any:
    """The embedder for a spec (a short name such as "minilm", a model id or a local path). TF-IDF fits are
    cached by corpus under DEFT_DATA_DIR/cache/tfidf, so a second selection on the same texts does not refit."""
    embedder = core_embedders.get_embedder(spec)
    if isinstance(embedder, core_embedders.TfidfSvdEmbedder) and embedder.cache_dir is None:
        embedder.cache_dir = Path(settings.DEFT_DATA_DIR) / "cache" / "tfidf"
    return embedder


def embedding_is_cacheable(embedder: Any) -> bool:
    """False for embedders fitted on the texts they are given (TF-IDF + SVD): a vector depends on the whole
    corpus, so it is neither reusable for another run nor comparable across batches; they embed in one call
    (TF-IDF caches that whole fit by corpus instead, see `embedder_get`)."""
    return not isinstance(embedder, core_embedders.TfidfSvdEmbedder)


def embedding_texts(examples: Iterable[Example], mode: str = "src") -> list[str]:
    """What gets embedded for each example: `src` (instruction + input), `input`, or `input+target`."""
    if mode not in EMBED_TEXT_MODES:
        raise ValueError(f"unknown embed_text {mode!r}; use one of {', '.join(EMBED_TEXT_MODES)}")
    return [core_embedders.text_for_embedding(ex.src, ex.refs[0] if ex.refs else "", mode) for ex in examples]


def embeddings_missing(*, embedder_name: str, hashes: Sequence[str]) -> list[str]:
    """The distinct hashes with no stored vector yet, in first-seen order."""
    distinct = list(dict.fromkeys(hashes))
    have: set[str] = set()
    for start in range(0, len(distinct), LOOKUP_CHUNK):
        chunk = distinct[start:start + LOOKUP_CHUNK]
        have.update(Embedding.objects.filter(embedder=embedder_name, text_sha256__in=chunk)
                    .values_list("text_sha256", flat=True))
    return [h for h in distinct if h not in have]


def embeddings_store(*, embedder_name: str, hashes: Sequence[str], vectors: np.ndarray) -> None:
    """Store one batch (its own transaction: autocommit), ignoring rows another worker stored meanwhile."""
    vectors = np.ascontiguousarray(vectors, dtype="<f4")
    if vectors.ndim != 2 or len(vectors) != len(hashes):
        raise ValueError(f"expected {len(hashes)} vectors, got an array of shape {vectors.shape}")
    dim = vectors.shape[1]
    Embedding.objects.bulk_create(
        [Embedding(embedder=embedder_name, text_sha256=h, dim=dim, vector=v.tobytes()) for h, v in zip(hashes, vectors)],
        ignore_conflicts=True,
    )


def embeddings_load(*, embedder_name: str, hashes: Sequence[str]) -> np.ndarray:
    """The stored vectors for the hashes, in their order (float32, shape (len(hashes), dim))."""
    distinct = list(dict.fromkeys(hashes))
    found: dict[str, np.ndarray] = {}
    for start in range(0, len(distinct), LOOKUP_CHUNK):
        chunk = distinct[start:start + LOOKUP_CHUNK]
        for h, blob in Embedding.objects.filter(embedder=embedder_name, text_sha256__in=chunk).values_list(
            "text_sha256", "vector"
        ):
            found[h] = np.frombuffer(bytes(blob), dtype="<f4")
    missing = [h for h in distinct if h not in found]
    if missing:
        raise LookupError(f"{len(missing)} texts have no stored embedding for {embedder_name!r}")
    if not hashes:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([found[h] for h in hashes]).astype(np.float32, copy=False)


def embeddings_for_texts(
    *, embedder: Any, texts: Sequence[str], batch_size: int = 64, progress: Progress | None = None,
) -> tuple[np.ndarray, int]:
    """Embed what is not cached yet (batch by batch, each stored at once), then return (matrix, n_embedded).

    `progress(done, total)` counts distinct texts: those already cached count as done from the start.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if not embedding_is_cacheable(embedder):
        vectors = np.asarray(embedder.embed(list(texts), batch_size=batch_size, progress=progress), dtype=np.float32)
        return vectors, 0 if getattr(embedder, "last_cache_hit_", False) else len(set(texts))
    hashes = [text_sha256(t) for t in texts]
    todo = embeddings_missing(embedder_name=embedder.name, hashes=hashes)
    total = len(set(hashes))
    done = total - len(todo)
    if progress:
        progress(done, total)
    if todo:
        text_of = dict(zip(hashes, texts))
        for start in range(0, len(todo), batch_size):
            batch = todo[start:start + batch_size]
            vectors = embedder.embed([text_of[h] for h in batch], batch_size=batch_size)
            embeddings_store(embedder_name=embedder.name, hashes=batch, vectors=np.asarray(vectors))
            done += len(batch)
            if progress:
                progress(done, total)
    return embeddings_load(embedder_name=embedder.name, hashes=hashes), len(todo)
