"""scikit-learn backend: TF-IDF word + character n-grams and one logistic regression per label.

Why this shape: on a few thousand short, misspelt notes a linear model over word and
character n-grams is as accurate as anything that fits on a laptop, trains in seconds and
tags thousands of notes a second. Thresholds come from out-of-fold training predictions.
Only the fitted vectoriser is a scikit-learn object (saved with skops, explicit trusted
types); the weights are plain arrays in an `.npz` file loaded without pickle.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Self

import numpy as np
import skops.io as sio
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from insight.classify.backend import ModelFormatError, TaggerBackend, label_folds, sigmoid
from insight.classify.thresholds import tune_thresholds

VECTORIZER_FILE = "vectorizer.skops"
WEIGHTS_FILE = "weights.npz"

# Everything a fitted vectoriser contains. Loading refuses any other type.
TRUSTED_TYPES = [
    "sklearn.feature_extraction.text.HashingVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
    "numpy.float64",
    "numpy.int64",
    "numpy.dtype",
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.set",
]


def text_features(
    word_ngrams: tuple[int, int] = (1, 2),
    char_ngrams: tuple[int, int] | None = (2, 5),
    n_features: int = 2**20,
) -> FeatureUnion:
    """Hashed TF-IDF over word and char_wb n-grams, shared by every linear model here.

    Hashing keeps the fitted state to one idf array per part (no vocabulary dict), so models
    load in well under a second and memory does not grow with the training vocabulary.
    """
    def part(analyzer: str, ngrams: tuple[int, int]) -> Pipeline:
        hashing = HashingVectorizer(
            analyzer=analyzer,
            ngram_range=tuple(ngrams),
            n_features=n_features,
            alternate_sign=False,
            norm=None,
            strip_accents="unicode",
            token_pattern=r"(?u)\b\w+\b" if analyzer == "word" else None,
            dtype=np.float32,
        )
        return Pipeline([("hash", hashing), ("tfidf", TfidfTransformer(sublinear_tf=True))])

    parts = [("word", part("word", word_ngrams))]
    if char_ngrams:
        parts.append(("char", part("char_wb", char_ngrams)))
    return FeatureUnion(parts)


def fit_vectorizer(vec: FeatureUnion, texts: Sequence[str]) -> sparse.csr_matrix:
    """Fit the idf weights and return the training matrix."""
    return vec.fit_transform(list(texts)).tocsr()


class CountCache:
    """Hashed n-gram counts for one batch of notes (and optionally their sentences).

    Tagging needs the same counts several times: the category model on notes and on
    sentences, the safeguarding and experience models on notes. Hashing is stateless, so
    identical hashers give identical counts and each is computed once per batch. When the
    notes' `segments` are given (pieces of each note cut at whitespace), character n-gram
    counts of a note are the sum of its segments' counts — exactly, because `char_wb`
    n-grams never cross whitespace — so character analysis runs once over the text.
    """

    def __init__(
        self,
        texts: Sequence[str],
        segments: Sequence[str] | None = None,
        segment_note: Sequence[int] | None = None,
    ) -> None:
        self.texts = [str(t) for t in texts]
        self.segments = None if segments is None else list(segments)
        self._note_of = None if segment_note is None else np.asarray(segment_note)
        self._counts: dict[tuple[str, str], sparse.csr_matrix] = {}

    def counts(self, hasher: HashingVectorizer, level: str = "note") -> sparse.csr_matrix:
        key = (repr(sorted(hasher.get_params().items())), level)
        if key not in self._counts:
            if level == "segment":
                if self.segments is None:
                    raise ValueError("no segments in this batch")
                matrix = hasher.transform(self.segments)
            elif hasher.analyzer == "char_wb" and self.segments is not None:
                seg = self.counts(hasher, "segment")
                n_seg = len(self.segments)
                owner = sparse.csr_matrix(
                    (np.ones(n_seg, dtype=np.float32), (self._note_of, np.arange(n_seg))),
                    shape=(len(self.texts), n_seg),
                )
                matrix = owner @ seg
            else:
                matrix = hasher.transform(self.texts)
            self._counts[key] = matrix.tocsr()
        return self._counts[key]


def union_features(
    union: FeatureUnion, cache: CountCache, level: str = "note"
) -> sparse.csr_matrix:
    """Apply a fitted hashed TF-IDF union using counts from the cache."""
    blocks = []
    for _, pipe in union.transformer_list:
        counts = cache.counts(pipe.named_steps["hash"], level)
        blocks.append(pipe.named_steps["tfidf"].transform(counts))
    return sparse.hstack(blocks, format="csr")


def fit_logistic(
    X: sparse.csr_matrix, Y: np.ndarray, C: float, class_weight: str | None, seed: int
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """One binary logistic regression per column; constant columns get a prior-only model."""
    n_labels, n_features = Y.shape[1], X.shape[1]
    seen = np.flatnonzero(X.getnnz(axis=0))  # only features present in training can be non-zero
    X = X[:, seen]
    rows = np.zeros((n_labels, seen.size), dtype=np.float32)
    intercept = np.zeros(n_labels, dtype=np.float64)
    for j in range(n_labels):
        y = Y[:, j]
        if y.min() == y.max():
            prior = np.clip(y.mean(), 1e-3, 1 - 1e-3)
            intercept[j] = np.log(prior / (1 - prior))
            continue
        clf = LogisticRegression(
            C=C, solver="liblinear", class_weight=class_weight, random_state=seed, max_iter=200
        )
        clf.fit(X, y)
        rows[j] = clf.coef_[0]
        intercept[j] = clf.intercept_[0]
    coef = sparse.csr_matrix(
        (rows.ravel(), np.tile(seen, n_labels), np.arange(n_labels + 1) * seen.size),
        shape=(n_labels, n_features),
    )
    coef.eliminate_zeros()
    return coef, intercept


class SklearnTagger(TaggerBackend):
    """TF-IDF (word + char_wb) features, one-vs-rest logistic regression, tuned thresholds."""

    name = "sklearn"

    def __init__(
        self,
        C: float = 10.0,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] | None = (2, 5),
        n_features: int = 2**20,
        class_weight: str | None = None,
        cv: int = 5,
        seed: int = 0,
    ) -> None:
        self.C = C
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.n_features = n_features
        self.class_weight = class_weight
        self.cv = cv
        self.seed = seed

    def _features(self) -> FeatureUnion:
        return text_features(self.word_ngrams, self.char_ngrams, self.n_features)

    def fit(self, texts: Sequence[str], Y: np.ndarray, labels: Sequence[str] | None = None) -> Self:
        """Tune thresholds on out-of-fold predictions, then refit on all training texts."""
        texts, Y = self._validate(texts, Y, labels)
        oof = np.zeros(Y.shape, dtype=float)
        arr = np.asarray(texts, dtype=object)
        for train, held in label_folds(Y, self.cv, self.seed):
            vec = self._features()
            X = fit_vectorizer(vec, arr[train].tolist())
            coef, intercept = fit_logistic(X, Y[train], self.C, self.class_weight, self.seed)
            oof[held] = sigmoid((vec.transform(arr[held].tolist()) @ coef.T).toarray() + intercept)
        self.oof_proba_ = oof
        self.thresholds_ = tune_thresholds(Y, oof)
        self.vectorizer_ = self._features()
        X = fit_vectorizer(self.vectorizer_, texts)
        self.coef_, self.intercept_ = fit_logistic(X, Y, self.C, self.class_weight, self.seed)
        return self

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return union_features(self.vectorizer_, CountCache(texts))

    def _scores(self, X: sparse.csr_matrix) -> np.ndarray:
        if getattr(self, "_coef_t", None) is None or self._coef_t.shape[1] != self.coef_.shape[0]:
            self._coef_t = self.coef_.T.tocsr()  # (n_features, n_labels): fast X @ W
        return sigmoid((X @ self._coef_t).toarray().astype(float) + self.intercept_)

    def predict_proba(self, texts: Sequence[str], cache: CountCache | None = None) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, len(self.labels_)))
        return self._scores(union_features(self.vectorizer_, cache or CountCache(texts)))

    def predict_proba_segments(self, cache: CountCache) -> np.ndarray:
        """Scores for each sentence segment in the cache (used to pick evidence)."""
        if not cache.segments:
            return np.zeros((0, len(self.labels_)))
        return self._scores(union_features(self.vectorizer_, cache, "segment"))

    def _save_state(self, directory: Path) -> None:
        sio.dump(self.vectorizer_, directory / VECTORIZER_FILE)
        save_sparse(directory / WEIGHTS_FILE, self.coef_, intercept=self.intercept_)

    def _load_state(self, directory: Path) -> None:
        self.vectorizer_ = load_skops(directory / VECTORIZER_FILE)
        self.coef_, arrays = load_sparse(directory / WEIGHTS_FILE)
        self.intercept_ = arrays["intercept"]
        if self.coef_.shape[0] != len(self.labels_):
            raise ModelFormatError(f"{directory}: weights do not match the saved labels")


def load_skops(file: Path, extra_trusted: Sequence[str] = ()) -> object:
    """Load a skops file, refusing any type outside our explicit trusted list."""
    if not file.is_file():
        raise ModelFormatError(f"{file}: missing")
    trusted = [*TRUSTED_TYPES, *extra_trusted]
    untrusted = [t for t in sio.get_untrusted_types(file=file) if t not in trusted]
    if untrusted:
        raise ModelFormatError(f"{file}: contains types we do not trust: {untrusted}")
    return sio.load(file, trusted=trusted)


def save_sparse(file: Path, matrix: sparse.csr_matrix, **arrays: np.ndarray) -> None:
    """Weights as plain arrays in an .npz: loadable without pickle."""
    m = sparse.csr_matrix(matrix)
    np.savez_compressed(file, data=m.data, indices=m.indices, indptr=m.indptr,
                        shape=np.array(m.shape), **arrays)


def load_sparse(file: Path) -> tuple[sparse.csr_matrix, dict[str, np.ndarray]]:
    if not file.is_file():
        raise ModelFormatError(f"{file}: missing")
    with np.load(file, allow_pickle=False) as w:
        arrays = {k: w[k] for k in w.files}
    matrix = sparse.csr_matrix(
        (arrays.pop("data"), arrays.pop("indices"), arrays.pop("indptr")),
        shape=tuple(int(x) for x in arrays.pop("shape")),
    )
    return matrix, arrays
