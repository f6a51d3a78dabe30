"""Ensemble backend: average of the scikit-learn and spaCy probabilities, thresholds re-tuned.

The two models make different mistakes (character n-grams vs. a neural bag of words), so
their average is usually steadier than either. Thresholds for the average are tuned on the
spaCy hold-out notes, scored there by both models without having seen them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np

from insight.classify.backend import TaggerBackend
from insight.classify.sklearn_backend import SklearnTagger
from insight.classify.spacy_backend import SpacyTagger
from insight.classify.thresholds import tune_thresholds


class EnsembleTagger(TaggerBackend):
    """Weighted mean of SklearnTagger and SpacyTagger probabilities."""

    name = "ensemble"

    def __init__(
        self,
        weight: float = 0.5,
        sklearn_params: dict[str, Any] | None = None,
        spacy_params: dict[str, Any] | None = None,
        seed: int = 0,
    ) -> None:
        self.weight = weight
        self.sklearn_params = sklearn_params
        self.spacy_params = spacy_params
        self.seed = seed

    def fit(self, texts: Sequence[str], Y: np.ndarray, labels: Sequence[str] | None = None) -> Self:
        texts, Y = self._validate(texts, Y, labels)
        self.sklearn_ = SklearnTagger(seed=self.seed, **(self.sklearn_params or {}))
        self.sklearn_.fit(texts, Y, self.labels_)
        self.spacy_ = SpacyTagger(seed=self.seed, **(self.spacy_params or {}))
        self.spacy_.fit(texts, Y, self.labels_)
        # both sets of scores are out-of-sample for these rows
        held = self.spacy_.holdout_index_
        mixed = self.weight * self.sklearn_.oof_proba_[held] + (
            1 - self.weight
        ) * self.spacy_.holdout_proba_
        self.thresholds_ = tune_thresholds(Y[held], mixed)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = [str(t) for t in texts]
        return self.weight * self.sklearn_.predict_proba(texts) + (
            1 - self.weight
        ) * self.spacy_.predict_proba(texts)

    def _save_state(self, directory: Path) -> None:
        self.sklearn_.save(directory / "sklearn")
        self.spacy_.save(directory / "spacy")

    def _load_state(self, directory: Path) -> None:
        self.sklearn_ = SklearnTagger.load(directory / "sklearn")
        self.spacy_ = SpacyTagger.load(directory / "spacy")
