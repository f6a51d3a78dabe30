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
            token_pattern=r"(?u)\b\w+\b",
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
        return self.vectorizer_.transform([str(t) for t in texts])

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, len(self.labels_)))
        scores = (self.transform(texts) @ self.coef_.T).toarray()
        return sigmoid(scores.astype(float) + self.intercept_)

    def _save_state(self, directory: Path) -> None:
        sio.dump(self.vectorizer_, directory / VECTORIZER_FILE)
        coef = self.coef_.tocsr()
        np.savez_compressed(
            directory / WEIGHTS_FILE,
            data=coef.data, indices=coef.indices, indptr=coef.indptr,
            shape=np.array(coef.shape), intercept=self.intercept_,
        )

    def _load_state(self, directory: Path) -> None:
        self.vectorizer_ = load_skops(directory / VECTORIZER_FILE)
        with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as weights:
            self.coef_ = sparse.csr_matrix(
                (weights["data"], weights["indices"], weights["indptr"]),
                shape=tuple(weights["shape"]),
            )
            self.intercept_ = weights["intercept"]
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
