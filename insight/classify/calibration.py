"""Turning a backend's scores into calibrated confidence, per category.

Why: leads see a confidence next to every machine tag and the review queue sorts by it, so
0.7 should mean "about 7 in 10 notes scored like this really are about this category".
Raw scores do not mean that: class weighting pushes rare categories' scores up, and each
category is tagged at its own tuned threshold, so a raw 0.6 can be a confident tag for one
category and no tag at all for another.

Platt scaling, one per category: a logistic regression on the logit of the held-out scores
(out-of-fold for scikit-learn, the hold-out slice for spaCy), the same scores the thresholds
were tuned on. Two numbers per category, so it is stable with few positive notes (isotonic
regression is not), and it is increasing, so which categories a note gets never changes:
tags are still decided by the raw score against the tuned threshold. Platt's own target
smoothing keeps a category seen in a handful of notes from claiming certainty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import numpy as np
from sklearn.linear_model import LogisticRegression

from insight.classify.backend import sigmoid

EPS = 1e-6
METHOD = "platt"


def logit(P: np.ndarray) -> np.ndarray:
    P = np.clip(np.asarray(P, dtype=float), EPS, 1 - EPS)
    return np.log(P / (1 - P))


@dataclass
class Calibration:
    """Per-category `sigmoid(slope * logit(score) + intercept)`; identity where unfitted."""

    slope: np.ndarray
    intercept: np.ndarray
    n_rows: int = 0
    #: per category, the most confidence its held-out notes can support: (k + 1) / (k + 2)
    #: with k positive notes (Laplace's rule of succession); 1 where unknown
    ceiling: np.ndarray | None = None

    @classmethod
    def identity(cls, n_labels: int) -> Self:
        return cls(np.ones(n_labels), np.zeros(n_labels), 0, np.ones(n_labels))

    @classmethod
    def fit(cls, Y: np.ndarray, P: np.ndarray, C: float = 100.0) -> Self:
        """Fit on held-out scores `P` of notes with known labels `Y` (both (n, n_labels)).

        A category whose held-out notes are all positive or all negative, or whose fitted
        slope is not positive (scores carry no signal), keeps its raw score.
        """
        Y, P = np.asarray(Y), np.asarray(P, dtype=float)
        if Y.shape != P.shape:
            raise ValueError(f"labels {Y.shape} and scores {P.shape} differ in shape")
        out = cls.identity(Y.shape[1])
        out.n_rows = len(Y)
        Z = logit(P)
        for j in range(Y.shape[1]):
            y = Y[:, j].astype(int)
            if y.min() == y.max():
                continue
            # Platt's targets: (n+ + 1) / (n+ + 2) for a positive note, 1 / (n- + 2) for
            # a negative one, not 1 and 0. With two positive notes a perfect split would
            # otherwise give a confidence of 1.00 to a category the model has barely seen;
            # with a hundred the targets are 0.99 and 0.01 and change next to nothing.
            # Each note counts once as positive and once as negative, weighted by target.
            n_pos = int(y.sum())
            assert out.ceiling is not None
            out.ceiling[j] = (n_pos + 1) / (n_pos + 2)
            target = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (len(y) - n_pos + 2))
            lr = LogisticRegression(C=C, max_iter=1000).fit(
                np.vstack([Z[:, [j]], Z[:, [j]]]),
                np.concatenate([np.ones(len(y), dtype=int), np.zeros(len(y), dtype=int)]),
                sample_weight=np.concatenate([target, 1 - target]),
            )
            if lr.coef_[0, 0] > 0:
                out.slope[j], out.intercept[j] = lr.coef_[0, 0], lr.intercept_[0]
        return out

    def apply(self, P: np.ndarray) -> np.ndarray:
        if len(P) == 0:
            return np.asarray(P, dtype=float)
        confidence = sigmoid(logit(P) * self.slope + self.intercept)
        return confidence if self.ceiling is None else np.minimum(confidence, self.ceiling)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": METHOD,
            "fitted_on_rows": self.n_rows,
            "slope": [round(float(a), 6) for a in self.slope],
            "intercept": [round(float(b), 6) for b in self.intercept],
            **({"ceiling": [round(float(c), 6) for c in self.ceiling]}
               if self.ceiling is not None else {}),
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], n_labels: int) -> Self:
        if doc.get("method") != METHOD or len(doc.get("slope", [])) != n_labels:
            raise ValueError(f"not a {METHOD} calibration for {n_labels} labels")
        return cls(
            np.asarray(doc["slope"], dtype=float),
            np.asarray(doc["intercept"], dtype=float),
            int(doc.get("fitted_on_rows", 0)),
            np.asarray(doc["ceiling"], dtype=float) if "ceiling" in doc else None,
        )


def calibration_error(Y: np.ndarray, P: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over every (note, category) pair, equal-width bins:
    the mean gap between confidence and how often the category was really there."""
    y = np.asarray(Y, dtype=float).ravel()
    p = np.asarray(P, dtype=float).ravel()
    if p.size == 0:
        return 0.0
    which = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(p[mask].mean() - y[mask].mean())
    return float(total / p.size)
