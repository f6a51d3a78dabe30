"""scikit-learn backend: TF-IDF word + character n-grams and one logistic regression per label.

Why this shape: on a few thousand short, misspelt notes a linear model over word and
character n-grams is as accurate as anything that fits on a laptop, trains in seconds and
tags thousands of notes a second.

Training is one stratified k-fold pass per candidate C (a tiny grid): the out-of-fold
scores choose C (best tuned macro-F1) and the per-label thresholds, and the shipped model
is the average of that C's k fold models -- one linear model again, so prediction costs
the same, and the thresholds were tuned on scores of exactly the models being averaged
(no full refit whose scores run hotter than the out-of-fold ones). The TF-IDF weights are
fitted once on all training texts (unsupervised: no labels involved).

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
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from insight.classify.backend import ModelFormatError, TaggerBackend, label_folds, sigmoid
from insight.classify.features import CountCache, fit_union, text_features, union_features
from insight.classify.thresholds import tune_thresholds, tuned_f1

VECTORIZER_FILE = "vectorizer.skops"
WEIGHTS_FILE = "weights.npz"

# Everything a fitted vectoriser contains. Loading refuses any other type.
TRUSTED_TYPES = [
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
    "insight.classify.features.CharNgramHasher",
    "sklearn.feature_extraction.text.HashingVectorizer",
    "numpy.float64",
    "numpy.int64",
    "numpy.dtype",
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.set",
]


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
        # dual liblinear: ~15x faster when features outnumber notes, as they always do here
        clf = LogisticRegression(
            C=C,
            solver="liblinear",
            dual=X.shape[1] > X.shape[0],
            class_weight=class_weight,
            random_state=seed,
            max_iter=500,
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
    """TF-IDF (word + char_wb) features, one-vs-rest logistic regression, tuned thresholds.

    `C` is a number (fixed) or a tuple of candidates chosen from by out-of-fold macro-F1.
    `average_folds=True` ships the mean of the k fold models; False refits on all notes.
    """

    name = "sklearn"

    def __init__(
        self,
        C: float | tuple[float, ...] = (1.0, 10.0),
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] | None = (3, 5),
        n_features: int = 2**20,
        class_weight: str | None = "balanced",
        cv: int = 5,
        average_folds: bool = True,
        seed: int = 0,
    ) -> None:
        self.C = C
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.n_features = n_features
        self.class_weight = class_weight
        self.cv = cv
        self.average_folds = average_folds
        self.seed = seed

    def _features(self) -> FeatureUnion:
        return text_features(self.word_ngrams, self.char_ngrams, self.n_features)

    def c_grid(self) -> tuple[float, ...]:
        grid = tuple(float(c) for c in self.C) if isinstance(self.C, tuple | list) else (self.C,)
        if not grid or min(grid) <= 0:
            raise ValueError(f"C must be a positive number or a tuple of them; got {self.C!r}")
        return grid

    def fit(self, texts: Sequence[str], Y: np.ndarray, labels: Sequence[str] | None = None) -> Self:
        """Choose C and thresholds on out-of-fold predictions; ship the fold-model average."""
        grid = self.c_grid()
        texts, Y = self._validate(texts, Y, labels)
        cache = CountCache(texts)
        self.vectorizer_ = self._features()
        X = fit_union(self.vectorizer_, cache)
        folds = list(label_folds(Y, self.cv, self.seed))
        best: tuple[float, float, np.ndarray, list, list] | None = None
        scores = []
        for C in grid:
            oof = np.zeros(Y.shape, dtype=float)
            coefs, intercepts = [], []
            for train, held in folds:
                coef, intercept = fit_logistic(X[train], Y[train], C, self.class_weight, self.seed)
                oof[held] = sigmoid((X[held] @ coef.T).toarray() + intercept)
                coefs.append(coef)
                intercepts.append(intercept)
            macro = tuned_f1(Y, oof)[0]
            scores.append(macro)
            if best is None or macro > best[0] + 1e-9:  # ties keep the smaller C
                best = (macro, C, oof, coefs, intercepts)
        assert best is not None
        _, self.C_, self.oof_proba_, coefs, intercepts = best
        self.cv_scores_ = np.asarray(scores)
        self.thresholds_ = tune_thresholds(Y, self.oof_proba_)
        if self.average_folds:
            coef = sum(coefs[1:], coefs[0]) / len(coefs)
            self.coef_ = sparse.csr_matrix(coef, dtype=np.float32)
            self.intercept_ = np.mean(intercepts, axis=0)
        else:
            self.coef_, self.intercept_ = fit_logistic(X, Y, self.C_, self.class_weight, self.seed)
        self.coef_.eliminate_zeros()
        self._dense = None
        return self

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return union_features(self.vectorizer_, CountCache(texts))

    def _scores(self, X: sparse.csr_matrix) -> np.ndarray:
        if getattr(self, "_dense", None) is None:
            self._dense = DenseWeights(self.coef_)
        return sigmoid(self._dense.dot(X) + self.intercept_)

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
        save_sparse(
            directory / WEIGHTS_FILE,
            self.coef_,
            intercept=self.intercept_,
            chosen_C=np.array([self.C_]),
            cv_scores=np.asarray(self.cv_scores_),
        )

    def _load_state(self, directory: Path) -> None:
        self.vectorizer_ = load_skops(directory / VECTORIZER_FILE)
        self.coef_, arrays = load_sparse(directory / WEIGHTS_FILE)
        self.intercept_ = arrays["intercept"]
        self.C_ = float(arrays["chosen_C"][0]) if "chosen_C" in arrays else self.c_grid()[0]
        self.cv_scores_ = arrays.get("cv_scores", np.zeros(0))
        if self.coef_.shape[0] != len(self.labels_):
            raise ModelFormatError(f"{directory}: weights do not match the saved labels")


class DenseWeights:
    """Weights as a dense (n_used_features, n_labels) block plus a column map.

    Only features seen in training have weights; scoring a sparse note matrix against this
    block is several times faster than a sparse-sparse product over the full hash space.
    """

    def __init__(self, coef: sparse.csr_matrix) -> None:
        used = np.unique(coef.indices)
        self.position = np.full(coef.shape[1], -1, dtype=np.int64)
        self.position[used] = np.arange(used.size)
        self.block = np.ascontiguousarray(coef[:, used].toarray().T, dtype=np.float64)

    def dot(self, X: sparse.csr_matrix) -> np.ndarray:
        X = sparse.csr_matrix(X)
        pos = self.position[X.indices]
        keep = pos >= 0
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))[keep]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=X.shape[0]))])
        used = sparse.csr_matrix(
            (X.data[keep].astype(np.float64), pos[keep], indptr),
            shape=(X.shape[0], self.block.shape[0]),
        )
        return np.asarray(used @ self.block)


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
    np.savez_compressed(
        file, data=m.data, indices=m.indices, indptr=m.indptr, shape=np.array(m.shape), **arrays
    )


def load_sparse(file: Path) -> tuple[sparse.csr_matrix, dict[str, np.ndarray]]:
    """Inverse of `save_sparse`; `allow_pickle=False` so a tampered file cannot run code."""
    if not file.is_file():
        raise ModelFormatError(f"{file}: missing")
    with np.load(file, allow_pickle=False) as w:
        arrays = {k: w[k] for k in w.files}
    matrix = sparse.csr_matrix(
        (arrays.pop("data"), arrays.pop("indices"), arrays.pop("indptr")),
        shape=tuple(int(x) for x in arrays.pop("shape")),
    )
    return matrix, arrays
