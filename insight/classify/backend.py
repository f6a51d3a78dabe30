"""The one small interface every category classifier backend follows.

Like a scikit-learn estimator: constructor arguments are stored unchanged, learned state
ends in `_`, `fit(texts, Y)` validates its input, `predict_proba` returns an (n, n_labels)
array in [0, 1] and `predict` applies the per-label `thresholds_`. `save(dir)` writes
`backend.json` plus the backend's own files; `load(dir)` is the exact inverse.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from iterstrat.ml_stratifiers import MultilabelStratifiedKFold
from sklearn.model_selection import StratifiedKFold

from insight.choices import not_one_of
from insight.classify import BACKEND_NAMES

BACKEND_FILE = "backend.json"


class ModelFormatError(ValueError):
    """A directory is not a saved model, or was saved by an incompatible version."""


class ModelMissing(ModelFormatError):
    """The model directory named is not there: a mistake on the command line."""

    usage_error = True  # the CLI's exit code 2, as for a file named that is not there


class TaggerBackend:
    """Base class: shared validation, thresholding and (de)serialisation of params."""

    name: ClassVar[str] = ""
    labels_: list[str]
    thresholds_: np.ndarray

    # -- params ------------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """Constructor arguments, unchanged, so a model can be rebuilt exactly."""
        keys = inspect.signature(type(self).__init__).parameters
        return {k: getattr(self, k) for k in keys if k != "self"}

    def chosen_settings(self) -> dict[str, Any]:
        """The settings a fitted model actually used: what a parameter left to a default or
        to a search (None, a tuple of candidates) came to, for the model card."""
        return {}

    # -- the estimator surface ---------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        Y: np.ndarray,
        labels: Sequence[str] | None = None,
        label_texts: Mapping[str, Sequence[str]] | None = None,
    ) -> Self:
        """Learn from notes and a 0/1 label matrix; `label_texts` are each label's wording
        (codebook name, description, includes), usable as extra training examples."""
        raise NotImplementedError

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Binary label matrix using the tuned per-label thresholds."""
        return (self.predict_proba(texts) >= self.thresholds_).astype(np.int8)

    def held_out_scores(self) -> tuple[np.ndarray, np.ndarray]:
        """After `fit`: (training row indices, their scores from models that did not see
        them) -- the scores the thresholds were tuned on, reused to calibrate confidence."""
        raise NotImplementedError

    def held_out_said(self) -> str | None:
        """After `fit`: how the notes of `held_out_scores` were held out, in words for a
        user ("the 211 training notes spaCy held out"), or None where they were not (too
        few notes to hold any out: their scores are the training fit's)."""
        raise NotImplementedError

    # -- persistence -------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        meta = {
            "backend": self.name,
            "params": _jsonable(self.get_params()),
            "labels": list(self.labels_),
            "thresholds": [float(t) for t in self.thresholds_],
        }
        (directory / BACKEND_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        self._save_state(directory)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        directory = Path(path)
        meta = read_backend_meta(directory)
        if meta["backend"] != cls.name:
            raise ModelFormatError(
                f"{directory}: saved by backend '{meta['backend']}', not '{cls.name}'"
            )
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in meta["params"].items()}
        obj = cls(**params)
        obj.labels_ = list(meta["labels"])
        obj.thresholds_ = np.asarray(meta["thresholds"], dtype=float)
        obj._load_state(directory)
        return obj

    def _save_state(self, directory: Path) -> None:
        raise NotImplementedError

    def _load_state(self, directory: Path) -> None:
        raise NotImplementedError

    # -- helpers for subclasses --------------------------------------------------------
    def _validate(
        self, texts: Sequence[str], Y: np.ndarray, labels: Sequence[str] | None
    ) -> tuple[list[str], np.ndarray]:
        texts = [str(t) for t in texts]
        Y = np.asarray(Y)
        if Y.ndim != 2 or Y.shape[0] != len(texts):
            raise ValueError(f"Y must have shape (n_texts, n_labels); got {Y.shape}")
        if len(texts) < 2:
            raise ValueError("need at least two training texts")
        if Y.shape[1] == 0:
            raise ValueError("no labels to learn")
        if not np.isin(Y, (0, 1)).all():
            raise ValueError("Y must be a binary (0/1) indicator matrix")
        names = list(labels) if labels is not None else [f"label_{j}" for j in range(Y.shape[1])]
        if len(names) != Y.shape[1]:
            raise ValueError(f"{len(names)} label names for {Y.shape[1]} label columns")
        self.labels_ = names
        return texts, Y.astype(np.int8)


def read_backend_meta(directory: Path) -> dict[str, Any]:
    """Read `backend.json`, failing with a message a user can act on."""
    file = directory / BACKEND_FILE
    if not file.is_file():
        raise ModelFormatError(f"{directory}: not a saved classifier (no {BACKEND_FILE})")
    try:
        meta = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"{file}: unreadable ({exc})") from exc
    for key in ("backend", "params", "labels", "thresholds"):
        if key not in meta:
            raise ModelFormatError(f"{file}: missing '{key}'")
    return meta


def label_examples(
    labels: Sequence[str], label_texts: Mapping[str, Sequence[str]] | None, dtype: Any = np.int8
) -> tuple[list[str], np.ndarray]:
    """Each label's distinct wording as one-label training texts (empty if none given)."""
    texts: list[str] = []
    rows: list[int] = []
    for j, name in enumerate(labels):
        wording = (label_texts or {}).get(name, ())
        for text in dict.fromkeys(" ".join(str(t).split()) for t in wording):
            if text:
                texts.append(text)
                rows.append(j)
    Y = np.zeros((len(texts), len(labels)), dtype=dtype)
    Y[np.arange(len(texts)), rows] = 1
    return texts, Y


def label_folds(Y: np.ndarray, cv: int, seed: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Multilabel-stratified folds so rare categories appear in every validation fold.

    A single label column (a one-category codebook, the safeguarding flag) is plain
    stratified k-fold: the multilabel splitter refuses a one-column target.
    """
    n = len(Y)
    k = max(2, min(cv, n))
    if np.ndim(Y) == 2 and np.shape(Y)[1] == 1:
        single = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        yield from single.split(np.zeros((n, 1)), np.asarray(Y)[:, 0])
        return
    splitter = MultilabelStratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    yield from splitter.split(np.zeros((n, 1)), Y)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, clipped so large margins cannot overflow."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value



def backend_class(name: str) -> type[TaggerBackend]:
    """The backend class for a name; imported lazily so spaCy training code loads on demand."""
    if name == "sklearn":
        from insight.classify.sklearn_backend import SklearnTagger

        return SklearnTagger
    if name == "spacy":
        from insight.classify.spacy_backend import SpacyTagger

        return SpacyTagger
    if name == "ensemble":
        from insight.classify.ensemble import EnsembleTagger

        return EnsembleTagger
    raise ValueError(not_one_of("backend", name, BACKEND_NAMES))


def load_backend(path: str | Path) -> TaggerBackend:
    """Load whichever backend saved into `path`, reading its name from `backend.json`."""
    meta = read_backend_meta(Path(path))
    try:
        cls = backend_class(meta["backend"])
    except ValueError as exc:
        raise ModelFormatError(f"{path}: {exc}") from exc
    return cls.load(path)
