"""Small note-level classifiers for the two flags that are not categories.

Safeguarding (binary, threshold chosen for recall) is a logistic regression over word
n-gram TF-IDF: risk is carried by words ("cutting again"). Experience (positive /
negative / mixed / neutral) adds the category model's character n-grams and a lexicon of
how positive or negative words are.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import skops.io as sio
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from insight.classify.backend import sigmoid
from insight.classify.features import (
    CountCache,
    Valence,
    fit_union,
    text_features,
    union_features,
)
from insight.classify.sklearn_backend import fit_logistic, load_skops, load_sparse, save_sparse
from insight.classify.thresholds import recall_threshold

# Recall matters more than precision: aim above the 0.95 the project promises, so that
# an unlucky split still clears it (costs more false alarms, which a person reviews).
SAFEGUARDING_RECALL_TARGET = 0.98
VALENCE_FILE = "valence.json"


class SafeguardingClassifier:
    """Binary classifier whose threshold keeps out-of-fold recall at or above the target."""

    def __init__(
        self,
        C: float = 10.0,
        recall_target: float = SAFEGUARDING_RECALL_TARGET,
        cv: int = 5,
        seed: int = 0,
    ) -> None:
        self.C = C
        self.recall_target = recall_target
        self.cv = cv
        self.seed = seed

    def _fit_once(self, texts: list[str], y: np.ndarray) -> tuple[Any, sparse.csr_matrix, float]:
        vec = text_features(char_ngrams=None)
        X = fit_union(vec, CountCache(texts))
        coef, intercept = fit_logistic(X, y[:, None], self.C, "balanced", self.seed)
        return vec, coef, float(intercept[0])

    def fit(
        self, texts: Sequence[str], y: Sequence[bool], threshold_on: Sequence[bool] | None = None
    ) -> Self:
        """`threshold_on`: the notes whose out-of-fold scores set the threshold (default
        all). Extra notes written to teach other wordings of risk are learned from, but
        leaving them out here keeps the share of everyday notes flagged where it was."""
        texts = [str(t) for t in texts]
        y_arr = np.asarray(y, dtype=int)
        chosen = (
            np.ones(len(texts), dtype=bool)
            if threshold_on is None
            else np.asarray(threshold_on, dtype=bool)
        )
        n_pos = int(y_arr.sum())
        if n_pos < 2 or n_pos == len(y_arr):
            raise ValueError(
                "safeguarding classifier needs at least two flagged and unflagged notes"
            )
        k = max(2, min(self.cv, n_pos))
        oof = np.zeros(len(texts))
        arr = np.asarray(texts, dtype=object)
        folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=self.seed)
        for train, held in folds.split(arr, y_arr):
            vec, coef, b = self._fit_once(arr[train].tolist(), y_arr[train])
            X_held = union_features(vec, CountCache(arr[held].tolist()))
            oof[held] = sigmoid((X_held @ coef.T).toarray()[:, 0] + b)
        self.threshold_ = recall_threshold(y_arr[chosen], oof[chosen], self.recall_target)
        flagged = oof >= self.threshold_
        self.oof_recall_ = float(flagged[chosen & (y_arr == 1)].mean())
        self.oof_precision_ = (
            float(y_arr[chosen & flagged].mean()) if (chosen & flagged).any() else 0.0
        )
        self.vectorizer_, self.coef_, self.intercept_ = self._fit_once(texts, y_arr)
        return self

    def predict_proba(self, texts: Sequence[str], cache: CountCache | None = None) -> np.ndarray:
        X = union_features(self.vectorizer_, cache or CountCache(texts))
        return sigmoid((X @ self.coef_.T).toarray()[:, 0] + self.intercept_)

    def predict(self, texts: Sequence[str], cache: CountCache | None = None) -> np.ndarray:
        return self.predict_proba(texts, cache) >= self.threshold_

    def info(self) -> dict[str, Any]:
        return {
            "C": self.C,
            "recall_target": self.recall_target,
            "cv": self.cv,
            "seed": self.seed,
            "threshold": round(self.threshold_, 4),
            "oof_recall": round(self.oof_recall_, 4),
            "oof_precision": round(self.oof_precision_, 4),
        }

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        sio.dump(self.vectorizer_, directory / "vectorizer.skops")
        save_sparse(
            directory / "weights.npz",
            self.coef_,
            intercept=np.array([self.intercept_]),
            threshold=np.array([self.threshold_]),
        )

    @classmethod
    def load(cls, directory: Path, info: dict[str, Any]) -> Self:
        obj = cls(
            C=info["C"], recall_target=info["recall_target"], cv=info["cv"], seed=info["seed"]
        )
        obj.vectorizer_ = load_skops(directory / "vectorizer.skops")
        obj.coef_, w = load_sparse(directory / "weights.npz")
        obj.intercept_ = float(w["intercept"][0])
        obj.threshold_ = float(w["threshold"][0])
        obj.oof_recall_ = info.get("oof_recall", float("nan"))
        obj.oof_precision_ = info.get("oof_precision", float("nan"))
        return obj


class ExperienceClassifier:
    """Multinomial logistic regression over the four experience values.

    Balanced class weights: "neutral" and "positive" are much rarer than "negative" in
    listening notes, and without weights the model all but never says them (5-fold CV on
    the default corpus: accuracy 0.59 -> 0.67, macro-F1 0.45 -> 0.62 with weights and the
    category model's character n-grams, whose counts tagging computes anyway). Plus the
    note's `Valence` (four columns, times `valence_weight` so they count beside the
    unit-length n-gram blocks): without it, short comments were read by topic, not tone
    (docs/benchmarks.md, "Experience").
    """

    def __init__(self, C: float = 20.0, seed: int = 0, valence_weight: float = 3.0,
                 negation_weight: float = 0.5) -> None:
        self.C = C
        self.seed = seed
        self.valence_weight = valence_weight
        self.negation_weight = negation_weight

    def _with_tone(self, X: sparse.csr_matrix, texts: Sequence[str]) -> sparse.csr_matrix:
        if self.valence_ is None:  # a model saved before valence was added
            return X
        blocks = [X, sparse.csr_matrix(self.valence_.transform(texts) * self.valence_weight)]
        if self.negation_weight:  # 0 in a model saved before negated words were added
            blocks.append(self.valence_.negated_words(texts) * self.negation_weight)
        return sparse.hstack(blocks, format="csr")

    def fit(self, texts: Sequence[str], y: Sequence[str]) -> Self:
        texts = [str(t) for t in texts]
        self.vectorizer_ = text_features()
        self.valence_: Valence | None = Valence.vader() if self.valence_weight else None
        X = self._with_tone(fit_union(self.vectorizer_, CountCache(texts)), texts)
        seen = np.flatnonzero(X.getnnz(axis=0))  # fit on present features only: much faster
        # newton-cg: the same optimum as lbfgs in a few steps; lbfgs took 190 iterations
        # (15 s on the corpus) once the valence columns joined the unit-length blocks
        clf = LogisticRegression(C=self.C, class_weight="balanced", solver="newton-cg",
                                 max_iter=3000, random_state=self.seed)
        clf.fit(X[:, seen], np.asarray(y))
        self.classes_ = [str(c) for c in clf.classes_]
        coef = np.zeros((clf.coef_.shape[0], X.shape[1]))
        coef[:, seen] = clf.coef_
        intercept = clf.intercept_.astype(float)
        if len(self.classes_) == 2:  # binary LR stores one row; expand to two for softmax
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        self.coef_ = sparse.csr_matrix(coef.astype(np.float32))
        self.intercept_ = intercept
        return self

    def predict_proba(self, texts: Sequence[str], cache: CountCache | None = None) -> np.ndarray:
        """Each value's probability, columns in `classes_` order (softmax of the logits).

        Shown to leads as the model's confidence in its experience value, uncalibrated:
        on the training notes' 3-fold out-of-fold scores the temperature that fits best is
        1.05, and its calibration error is 0.011 before and 0.009 after, so scaling would
        add a cross-validation to every build for nothing a lead could see
        (docs/benchmarks.md, "Experience", gives the error on notes never trained on)."""
        if not texts:
            return np.zeros((0, len(self.classes_)))
        cache = cache or CountCache(texts)
        X = self._with_tone(union_features(self.vectorizer_, cache), cache.texts)
        z = (X @ self.coef_.T).toarray() + self.intercept_
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, texts: Sequence[str], cache: CountCache | None = None) -> list[str]:
        return [self.classes_[i] for i in self.predict_proba(texts, cache).argmax(axis=1)]

    def info(self) -> dict[str, Any]:
        info = {"C": self.C, "seed": self.seed, "classes": self.classes_}
        if self.valence_ is not None:
            info["valence"] = {"weight": self.valence_weight, "source": self.valence_.source,
                               "words": len(self.valence_.lexicon),
                               "negated_words_weight": self.negation_weight}
        return info

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        sio.dump(self.vectorizer_, directory / "vectorizer.skops")
        save_sparse(directory / "weights.npz", self.coef_, intercept=self.intercept_)
        if self.valence_ is not None:  # the model keeps its own copy of the lexicon
            (directory / VALENCE_FILE).write_text(
                json.dumps(self.valence_.to_json(), sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, info: dict[str, Any]) -> Self:
        valence = info.get("valence")
        obj = cls(C=info["C"], seed=info["seed"],
                  valence_weight=valence["weight"] if valence else 0.0,
                  negation_weight=(valence or {}).get("negated_words_weight", 0.0))
        obj.valence_ = (Valence.from_json(json.loads(
            (directory / VALENCE_FILE).read_text(encoding="utf-8"))) if valence else None)
        obj.classes_ = list(info["classes"])
        obj.vectorizer_ = load_skops(directory / "vectorizer.skops")
        obj.coef_, w = load_sparse(directory / "weights.npz")
        obj.intercept_ = w["intercept"]
        return obj
