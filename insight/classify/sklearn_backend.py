"""scikit-learn backend: TF-IDF word + character n-grams and one logistic regression per label.

Why this shape: on a few thousand short, misspelt notes a linear model over word and
character n-grams is as accurate as anything that fits on a laptop, trains in seconds and
tags thousands of notes a second.

Training is one stratified k-fold pass per candidate C (a tiny grid): the out-of-fold
scores choose C and the sentence weight (best tuned macro-F1) and the per-label
thresholds, and the shipped model is the average of that C's k fold models -- one linear
model again, so prediction costs the same, and the thresholds were tuned on scores of
exactly the models being averaged (no full refit whose scores run hotter than the
out-of-fold ones). The TF-IDF weights are fitted once on all training texts
(unsupervised: no labels involved). Sentence weights cost no extra training: the same
fold models score each held-out note's sentences.

Only the fitted vectoriser is a scikit-learn object (saved with skops, explicit trusted
types); the weights are plain arrays in an `.npz` file loaded without pickle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import skops.io as sio
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from insight.classify.backend import (
    ModelFormatError,
    TaggerBackend,
    label_examples,
    label_folds,
    sigmoid,
)
from insight.classify.features import CountCache, fit_union, text_features, union_features
from insight.classify.sentences import SplitNotes
from insight.classify.thresholds import SMOOTH_STEPS, tune_thresholds, tuned_f1

VECTORIZER_FILE = "vectorizer.skops"
WEIGHTS_FILE = "weights.npz"

# Everything a fitted vectoriser contains. Loading refuses any other type.
TRUSTED_TYPES = [
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
    "insight.classify.features.CharNgramHasher",
    "insight.classify.features.WordNgramHasher",
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
    X: sparse.csr_matrix,
    Y: np.ndarray,
    C: float,
    class_weight: str | None,
    seed: int,
    sample_weight: np.ndarray | None = None,
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
        clf.fit(X, y, sample_weight=sample_weight)
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

    `C` and `sentence_weight` are numbers (fixed) or tuples of candidates, chosen together
    by out-of-fold macro-F1. A note's score is `(1 - w) * whole-note score + w * best
    sentence score`: a category is usually carried by one sentence (the evidence), and in a
    long note that sentence's words are diluted by everything else.
    `label_texts` given to `fit` (a codebook's names, descriptions and includes) join every
    training fold as extra examples worth `label_text_weight` notes per category in all;
    they are never scored, so they cannot bias the thresholds. They help most where a
    category has few labelled notes.
    `average_folds=True` ships the mean of the k fold models; False refits on all notes.
    `threshold_smoothing`: grid steps either side over which F1 is averaged before each
    label's threshold is chosen (`thresholds.best_f1_threshold`; 0: the raw best).
    """

    name = "sklearn"

    def __init__(
        self,
        C: float | tuple[float, ...] = (1.0, 10.0),
        sentence_weight: float | tuple[float, ...] = (0.0, 0.3, 0.5),
        label_text_weight: float = 10.0,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] | None = (3, 5),
        n_features: int = 2**20,
        class_weight: str | None = "balanced",
        cv: int = 5,
        average_folds: bool = True,
        threshold_smoothing: int = SMOOTH_STEPS,
        seed: int = 0,
    ) -> None:
        self.C = C
        self.sentence_weight = sentence_weight
        self.label_text_weight = label_text_weight
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.n_features = n_features
        self.class_weight = class_weight
        self.cv = cv
        self.average_folds = average_folds
        self.threshold_smoothing = threshold_smoothing
        self.seed = seed

    def _features(self) -> FeatureUnion:
        return text_features(self.word_ngrams, self.char_ngrams, self.n_features)

    def chosen_settings(self) -> dict[str, Any]:
        return {"C": self.C_, "sentence_weight": self.sentence_weight_}

    def c_grid(self) -> tuple[float, ...]:
        grid = _grid(self.C, "C")
        if min(grid) <= 0:
            raise ValueError(f"C must be a positive number or a tuple of them; got {self.C!r}")
        return grid

    def sentence_grid(self) -> tuple[float, ...]:
        grid = _grid(self.sentence_weight, "sentence_weight")
        if min(grid) < 0 or max(grid) > 1:
            raise ValueError(f"sentence_weight must be in [0, 1]; got {self.sentence_weight!r}")
        return grid

    def fit(
        self,
        texts: Sequence[str],
        Y: np.ndarray,
        labels: Sequence[str] | None = None,
        label_texts: Mapping[str, Sequence[str]] | None = None,
    ) -> Self:
        """Choose C, sentence weight and thresholds out of fold; ship the fold-model average."""
        c_grid, w_grid = self.c_grid(), self.sentence_grid()
        texts, Y = self._validate(texts, Y, labels)
        use_sentences = max(w_grid) > 0
        cache = SplitNotes(texts).cache if use_sentences else CountCache(texts)
        self.vectorizer_ = self._features()
        X = fit_union(self.vectorizer_, cache)  # idf from the notes alone
        if use_sentences:
            S = union_features(self.vectorizer_, cache, "segment")
            owner = cache.segment_note
        X_extra, Y_extra, w_extra = self._label_examples(label_texts, Y)

        def fit_on(rows: np.ndarray, C: float) -> tuple[sparse.csr_matrix, np.ndarray]:
            """Logistic models on these notes plus the codebook wording rows."""
            return fit_logistic(
                sparse.vstack([X[rows], X_extra], format="csr"),
                np.vstack([Y[rows], Y_extra]),
                C,
                self.class_weight,
                self.seed,
                np.concatenate([np.ones(len(rows)), w_extra]),
            )

        folds = list(label_folds(Y, self.cv, self.seed))
        best: tuple[float, float, float, np.ndarray, list, list] | None = None
        scores = {}
        for C in c_grid:
            note = np.zeros(Y.shape, dtype=float)
            sentence = np.zeros(Y.shape, dtype=float)
            coefs, intercepts = [], []
            for train, held in folds:
                coef, intercept = fit_on(train, C)
                note[held] = sigmoid((X[held] @ coef.T).toarray() + intercept)
                if use_sentences:
                    rows = np.flatnonzero(np.isin(owner, held))
                    seg = sigmoid((S[rows] @ coef.T).toarray() + intercept)
                    sentence[held] = best_segment(seg, owner[rows], len(texts))[held]
                coefs.append(coef)
                intercepts.append(intercept)
            for w in w_grid:
                oof = (1 - w) * note + w * sentence if w > 0 else note
                macro = tuned_f1(Y, oof)[0]
                scores[(C, w)] = macro
                if best is None or macro > best[0] + 1e-9:  # ties keep the simpler model
                    best = (macro, C, w, oof, coefs, intercepts)
        assert best is not None
        _, self.C_, self.sentence_weight_, self.oof_proba_, coefs, intercepts = best
        self.cv_scores_ = scores
        self.thresholds_ = tune_thresholds(Y, self.oof_proba_, self.threshold_smoothing)
        if self.average_folds:
            coef = sum(coefs[1:], coefs[0]) / len(coefs)
            self.coef_ = sparse.csr_matrix(coef, dtype=np.float32)
            self.intercept_ = np.mean(intercepts, axis=0)
        else:
            self.coef_, self.intercept_ = fit_on(np.arange(len(texts)), self.C_)
        self.coef_.eliminate_zeros()
        self._dense = None
        return self

    def held_out_scores(self) -> tuple[np.ndarray, np.ndarray]:
        return np.arange(len(self.oof_proba_)), self.oof_proba_

    def held_out_said(self) -> str | None:
        folds = max(2, min(self.cv, len(self.oof_proba_)))
        return (f"the {len(self.oof_proba_)} training notes, each scored by the model of "
                f"{folds}-fold cross-validation that did not see it")

    def _label_examples(
        self, label_texts: Mapping[str, Sequence[str]] | None, Y: np.ndarray
    ) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
        """Label texts as extra training rows; each label's rows share `label_text_weight`."""
        docs, Y_extra = label_examples(self.labels_, label_texts, Y.dtype)
        if not docs:
            n_columns = len(self.vectorizer_.transformer_list) * self.n_features
            return sparse.csr_matrix((0, n_columns)), Y_extra, np.zeros(0)
        per_label = np.maximum(Y_extra.sum(axis=0), 1)
        weights = (Y_extra * (self.label_text_weight / per_label)).sum(axis=1)
        return union_features(self.vectorizer_, CountCache(docs)), Y_extra, weights

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return union_features(self.vectorizer_, CountCache(texts))

    def _scores(self, X: sparse.csr_matrix) -> np.ndarray:
        if getattr(self, "_dense", None) is None:
            self._dense = DenseWeights(self.coef_)
        return sigmoid(self._dense.dot(X) + self.intercept_)

    def predict_proba(self, texts: Sequence[str], cache: CountCache | None = None) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, len(self.labels_)))
        w = self.sentence_weight_
        if w > 0 and (cache is None or cache.segments is None):
            cache = SplitNotes(texts).cache
        cache = cache or CountCache(texts)
        P = self._scores(union_features(self.vectorizer_, cache))
        if w <= 0:
            return P
        best = best_segment(self.predict_proba_segments(cache), cache.segment_note, len(texts))
        return (1 - w) * P + w * best

    def predict_proba_segments(self, cache: CountCache) -> np.ndarray:
        """Whole-note model scores for each sentence segment in the cache (for evidence)."""
        if not cache.segments:
            return np.zeros((0, len(self.labels_)))
        return cache.memo(
            ("segment-scores", id(self)),
            lambda: self._scores(union_features(self.vectorizer_, cache, "segment")),
        )

    def evidence_scores(
        self, cache: CountCache, notes: Sequence[int] | None = None
    ) -> np.ndarray:
        """For each sentence segment and label, the part of its note's score (logit, before
        the intercept) that the segment's own n-grams carry.

        A note's feature value is shared among its segments in proportion to their counts
        of that n-gram (segments cut at whitespace, so counts add up; a word pair across
        two sentences belongs to neither), so the segments' parts add up to what the model
        used to tag the note. The evidence is the segment carrying the most of it, not the
        one that scores highest read alone: a short aside ("Rang her on the phone.") can
        score high on its own while saying little about why the note was tagged. On
        hand-annotated evidence (`scripts/benchmark_evidence.py`) this agrees with people
        more often. `notes`: only the segments of these notes are scored (the others' rows
        are 0), e.g. those with more than one sentence and a tag.
        """
        out = np.zeros((len(cache.segments or ()), len(self.labels_)))
        if not cache.segments:
            return out
        owner = cache.segment_note
        rows = np.arange(len(owner)) if notes is None else np.flatnonzero(np.isin(owner, notes))
        if not rows.size:
            return out
        blocks = []
        for _, pipe in self.vectorizer_.transformer_list:
            hasher, tfidf = pipe.named_steps["hash"], pipe.named_steps["tfidf"]
            counts = cache.counts(hasher)
            # each n-gram's note feature value per occurrence, given to the segments by
            # their own counts of it
            per_count = sparse.csr_matrix(tfidf.transform(counts).multiply(counts.power(-1)))
            segment_counts = cache.counts(hasher, "segment")[rows]
            blocks.append(sparse.csr_matrix(segment_counts.multiply(per_count[owner[rows]])))
        if getattr(self, "_dense", None) is None:
            self._dense = DenseWeights(self.coef_)
        out[rows] = self._dense.dot(sparse.hstack(blocks, format="csr"))
        return out

    def _save_state(self, directory: Path) -> None:
        sio.dump(self.vectorizer_, directory / VECTORIZER_FILE)
        save_sparse(
            directory / WEIGHTS_FILE,
            self.coef_,
            intercept=self.intercept_,
            chosen_C=np.array([self.C_]),
            chosen_sentence_weight=np.array([self.sentence_weight_]),
            cv_grid=np.array([[c, w] for c, w in self.cv_scores_], dtype=float).reshape(-1, 2),
            cv_scores=np.array(list(self.cv_scores_.values()), dtype=float),
        )

    def _load_state(self, directory: Path) -> None:
        self.vectorizer_ = load_skops(directory / VECTORIZER_FILE)
        self.coef_, arrays = load_sparse(directory / WEIGHTS_FILE)
        self.intercept_ = arrays["intercept"]
        self.C_ = float(arrays["chosen_C"][0]) if "chosen_C" in arrays else self.c_grid()[0]
        chosen_w = arrays.get("chosen_sentence_weight")
        self.sentence_weight_ = float(chosen_w[0]) if chosen_w is not None else 0.0
        grid = arrays.get("cv_grid", np.zeros((0, 2)))
        values = arrays.get("cv_scores", np.zeros(0))
        self.cv_scores_ = {
            (float(c), float(w)): float(v) for (c, w), v in zip(grid, values, strict=False)
        }
        if self.coef_.shape[0] != len(self.labels_):
            raise ModelFormatError(f"{directory}: weights do not match the saved labels")


def best_segment(scores: np.ndarray, owner: np.ndarray, n_notes: int) -> np.ndarray:
    """Per note, the highest score among its segments (0 for a note with none)."""
    out = np.zeros((n_notes, scores.shape[1]), dtype=float)
    np.maximum.at(out, owner, scores)
    return out


def _grid(value: float | Sequence[float], name: str) -> tuple[float, ...]:
    grid = tuple(float(v) for v in value) if isinstance(value, tuple | list) else (float(value),)
    if not grid:
        raise ValueError(f"{name} must be a number or a non-empty tuple of them")
    return grid


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
