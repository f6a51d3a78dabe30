"""Ensemble backend: average of the scikit-learn and spaCy probabilities, thresholds re-tuned.

The two models make different mistakes (character n-grams vs. a neural bag of words), so
their average can be steadier than either. The weight and the thresholds for the average are
tuned on the spaCy hold-out notes, scored there by both models without having seen them.
The weight grid includes 1.0 (scikit-learn alone): on Care Opinion the hold-out does not
always show a gain from spaCy, and then the ensemble should not pay for one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np

from insight.classify.backend import TaggerBackend
from insight.classify.sklearn_backend import SklearnTagger
from insight.classify.spacy_backend import SpacyTagger
from insight.classify.thresholds import tune_thresholds, tuned_f1

WEIGHT_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # sklearn's share, chosen on the hold-out


class EnsembleTagger(TaggerBackend):
    """Weighted mean of SklearnTagger and SpacyTagger probabilities.

    `weight` is scikit-learn's share; None chooses it from WEIGHT_GRID on the hold-out rows.
    """

    name = "ensemble"

    def __init__(
        self,
        weight: float | None = None,
        sklearn_params: dict[str, Any] | None = None,
        spacy_params: dict[str, Any] | None = None,
        seed: int = 0,
    ) -> None:
        self.weight = weight
        self.sklearn_params = sklearn_params
        self.spacy_params = spacy_params
        self.seed = seed

    def fit(
        self,
        texts: Sequence[str],
        Y: np.ndarray,
        labels: Sequence[str] | None = None,
        label_texts: Mapping[str, Sequence[str]] | None = None,
    ) -> Self:
        texts, Y = self._validate(texts, Y, labels)
        self.sklearn_ = SklearnTagger(seed=self.seed, **(self.sklearn_params or {}))
        self.sklearn_.fit(texts, Y, self.labels_, label_texts)
        self.spacy_ = SpacyTagger(seed=self.seed, **(self.spacy_params or {}))
        self.spacy_.fit(texts, Y, self.labels_, label_texts)
        return self._tune(Y)

    @classmethod
    def combine(
        cls,
        sklearn_model: SklearnTagger,
        spacy_model: SpacyTagger,
        Y: np.ndarray,
        weight: float | None = None,
    ) -> EnsembleTagger:
        """Build from two backends just fitted on the same (texts, Y), without refitting."""
        if sklearn_model.labels_ != spacy_model.labels_ or sklearn_model.seed != spacy_model.seed:
            raise ValueError("both backends must be fitted on the same labels with the same seed")
        obj = cls(
            weight=weight,
            sklearn_params=_own_params(sklearn_model),
            spacy_params=_own_params(spacy_model),
            seed=sklearn_model.seed,
        )
        obj.labels_ = list(sklearn_model.labels_)
        obj.sklearn_, obj.spacy_ = sklearn_model, spacy_model
        return obj._tune(np.asarray(Y))

    def _tune(self, Y: np.ndarray) -> Self:
        """Choose the sklearn weight (unless fixed) and thresholds on out-of-sample rows."""
        held = self.spacy_.holdout_index_
        a, b = self.sklearn_.oof_proba_[held], self.spacy_.holdout_proba_
        y = Y[held].astype(bool)
        best = (-1.0, 0.5)
        self.weight_scores_: dict[float, float] = {}
        for w in [self.weight] if self.weight is not None else WEIGHT_GRID:
            macro = tuned_f1(y, w * a + (1 - w) * b)[0]
            self.weight_scores_[float(w)] = macro
            if macro > best[0] + 1e-9:
                best = (macro, float(w))
        self.weight_ = best[1]
        self.weighed_on_ = len(held)
        if self.weight_ >= 1.0:  # sklearn alone: its thresholds saw every training row, not a slice
            self.thresholds_ = np.array(self.sklearn_.thresholds_, dtype=float)
        else:
            self.thresholds_ = tune_thresholds(y, self.weight_ * a + (1 - self.weight_) * b)
        return self

    def chosen_settings(self) -> dict[str, Any]:
        """The weight chosen and, so that `insight train` can say what it means, each
        weight's macro-F1 on the notes it was chosen on (`weight_scores`: sklearn's share ->
        score; 1.0 is scikit-learn alone) and how many they were."""
        return {"sklearn_weight": self.weight_, "sklearn": self.sklearn_.chosen_settings(),
                "spacy": self.spacy_.chosen_settings(),
                "weight_scores": {f"{w:g}": round(v, 4) for w, v in self.weight_scores_.items()},
                "weighed_on": self.weighed_on_}

    def held_out_said(self) -> str | None:
        if self.weight_ >= 1.0:
            return self.sklearn_.held_out_said()
        return self.spacy_.held_out_said()

    def held_out_scores(self) -> tuple[np.ndarray, np.ndarray]:
        if self.weight_ >= 1.0:
            return self.sklearn_.held_out_scores()
        held = self.spacy_.holdout_index_
        w = self.weight_
        return held, w * self.sklearn_.oof_proba_[held] + (1 - w) * self.spacy_.holdout_proba_

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = [str(t) for t in texts]
        w = self.weight_
        P = self.sklearn_.predict_proba(texts)
        if w >= 1.0:  # spaCy has no say: do not spend time running it
            return P
        return w * P + (1 - w) * self.spacy_.predict_proba(texts)

    def _save_state(self, directory: Path) -> None:
        self.sklearn_.save(directory / "sklearn")
        self.spacy_.save(directory / "spacy")
        (directory / "weight.json").write_text(json.dumps({
            "weight": self.weight_, "weighed_on": self.weighed_on_,
            "weight_scores": {f"{w:g}": v for w, v in self.weight_scores_.items()}}))

    def _load_state(self, directory: Path) -> None:
        self.sklearn_ = SklearnTagger.load(directory / "sklearn")
        self.spacy_ = SpacyTagger.load(directory / "spacy")
        saved = json.loads((directory / "weight.json").read_text())
        self.weight_ = float(saved["weight"])
        self.weighed_on_ = saved.get("weighed_on")  # both absent from models saved before
        self.weight_scores_ = {float(w): v for w, v in (saved.get("weight_scores") or {}).items()}


def _own_params(model: TaggerBackend) -> dict[str, Any]:
    return {k: v for k, v in model.get_params().items() if k != "seed"}
