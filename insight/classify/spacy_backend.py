"""spaCy backend: `textcat_multilabel` in a blank English pipeline, trained with spaCy's API.

The architecture and optimiser live in `models/spacy-textcat/config.cfg` so a model can be
rebuilt exactly. Training holds out a stratified slice of the TRAINING notes to choose the
number of epochs and the per-label thresholds, then retrains on all of them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import spacy
from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit
from spacy.language import Language
from spacy.training import Example
from spacy.util import fix_random_seed, load_config, load_model_from_config, minibatch

from insight.classify.backend import ModelFormatError, TaggerBackend, label_examples
from insight.classify.thresholds import tune_thresholds
from insight.resources import models_dir

PIPE = "textcat_multilabel"
PIPELINE_DIR = "pipeline"
MIN_HOLDOUT_ROWS = 20


def default_config_path() -> Path:
    return models_dir() / "spacy-textcat" / "config.cfg"


def _tuned_micro_f1(Y: np.ndarray, P: np.ndarray) -> float:
    """Micro-F1 after tuning thresholds on the same rows: used only to pick the epoch (raw
    best thresholds, as `tuned_f1` for the sklearn backend)."""
    pred = P >= tune_thresholds(Y, P, smooth=0, most_tagged=None)
    y = Y.astype(bool)
    tp = float((y & pred).sum())
    denom = float(y.sum() + pred.sum())
    return 2 * tp / denom if denom else 0.0


class SpacyTagger(TaggerBackend):
    """spaCy `textcat_multilabel` (bag-of-words n-grams) with tuned thresholds."""

    name = "spacy"

    def __init__(
        self,
        config_path: str | None = None,
        max_epochs: int | None = None,
        learn_rate: float | None = None,
        dropout: float | None = None,
        holdout: float | None = None,
        seed: int = 0,
    ) -> None:
        self.config_path = config_path
        self.max_epochs = max_epochs
        self.learn_rate = learn_rate
        self.dropout = dropout
        self.holdout = holdout
        self.seed = seed

    # -- configuration -----------------------------------------------------------------
    def _config(self) -> Any:
        path = Path(self.config_path) if self.config_path else default_config_path()
        config = load_config(path, interpolate=False)
        config["system"]["seed"] = self.seed
        training = config["training"]
        training["seed"] = self.seed
        for key, value in (
            ("max_epochs", self.max_epochs),
            ("dropout", self.dropout),
            ("holdout", self.holdout),
        ):
            if value is not None:
                training[key] = value
        if self.learn_rate is not None:
            training["optimizer"]["learn_rate"] = self.learn_rate
        return config

    def _train(
        self,
        texts: list[str],
        Y: np.ndarray,
        epochs: int,
        held: tuple[list[str], np.ndarray] | None = None,
        patience: int = 0,
    ) -> tuple[Language, list[np.ndarray]]:
        """Train for `epochs`; if `held` is given, return its probabilities after each epoch.

        With `patience`, stop once the held-out score has not improved for that many epochs.
        """
        config = self._config()
        training = config["training"]
        fix_random_seed(self.seed)
        nlp = load_model_from_config(config, auto_fill=True, validate=True)
        textcat = nlp.get_pipe(PIPE)
        for label in self.labels_:
            textcat.add_label(label)
        examples = [
            Example.from_dict(
                nlp.make_doc(text),
                {"cats": {lab: float(v) for lab, v in zip(self.labels_, row, strict=True)}},
            )
            for text, row in zip(texts, Y, strict=True)
        ]
        optimizer = nlp.initialize(lambda: examples)
        rng = random.Random(self.seed)
        size, drop = int(training["batch_size"]), float(training["dropout"])
        history: list[np.ndarray] = []
        for _ in range(epochs):
            order = examples[:]
            rng.shuffle(order)
            losses: dict[str, float] = {}
            for batch in minibatch(order, size=size):
                nlp.update(batch, sgd=optimizer, drop=drop, losses=losses)
            if held is not None:
                history.append(_proba(nlp, held[0], self.labels_))
                scores = [_tuned_micro_f1(held[1], P) for P in history]
                if patience and len(scores) - 1 - int(np.argmax(scores)) >= patience:
                    break
        return nlp, history

    # -- estimator surface -------------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        Y: np.ndarray,
        labels: Sequence[str] | None = None,
        label_texts: Mapping[str, Sequence[str]] | None = None,
    ) -> Self:
        """Pick epochs and thresholds on a held-out slice of training notes, then refit all.

        `label_texts` (a codebook's wording) join the training examples, never the hold-out.
        """
        texts, Y = self._validate(texts, Y, labels)
        extra_texts, Y_extra = label_examples(self.labels_, label_texts, Y.dtype)
        training = self._config()["training"]
        max_epochs = int(training["max_epochs"])
        share = float(training["holdout"])
        n_held = int(round(share * len(texts)))
        if n_held >= MIN_HOLDOUT_ROWS:
            splitter = MultilabelStratifiedShuffleSplit(
                n_splits=1, test_size=share, random_state=self.seed
            )
            inner, held = next(splitter.split(np.zeros((len(texts), 1)), Y))
            arr = np.asarray(texts, dtype=object)
            _, history = self._train(
                arr[inner].tolist() + extra_texts,
                np.vstack([Y[inner], Y_extra]),
                max_epochs,
                (arr[held].tolist(), Y[held]),
                patience=int(training.get("patience", 0)),
            )
            best = int(np.argmax([_tuned_micro_f1(Y[held], P) for P in history]))
            self.epochs_ = best + 1
            self.holdout_index_ = held
            self.holdout_proba_ = history[best]
            self.thresholds_ = tune_thresholds(Y[held], history[best])
            self.held_out_ = True
        else:  # too few notes to hold any out: train fully, tune on training predictions
            self.held_out_ = False
            self.epochs_ = max_epochs
            self.holdout_index_ = np.arange(len(texts))
            self.holdout_proba_ = None
        self.nlp_, _ = self._train(texts + extra_texts, np.vstack([Y, Y_extra]), self.epochs_)
        if self.holdout_proba_ is None:
            self.holdout_proba_ = _proba(self.nlp_, texts, self.labels_)
            self.thresholds_ = tune_thresholds(Y, self.holdout_proba_)
        return self

    def chosen_settings(self) -> dict[str, Any]:
        training = self._config()["training"]
        return {
            "config": str(self.config_path or default_config_path().name),
            "epochs": int(self.epochs_),
            "max_epochs": int(training["max_epochs"]),
            "learn_rate": training["optimizer"].get("learn_rate"),
            "dropout": float(training["dropout"]),
            "holdout": float(training["holdout"]),
        }

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return _proba(self.nlp_, [str(t) for t in texts], self.labels_)

    def held_out_scores(self) -> tuple[np.ndarray, np.ndarray]:
        """The hold-out slice's scores (training-set scores when too few notes to hold out)."""
        return np.asarray(self.holdout_index_), self.holdout_proba_

    def held_out_said(self) -> str | None:
        if not getattr(self, "held_out_", False):  # scored on the notes it trained on
            return None
        return f"the {len(self.holdout_index_)} training notes spaCy held out"

    def _save_state(self, directory: Path) -> None:
        # Without the vocab: its string store holds every word of the training notes
        # (names, numbers), and the bag-of-words model needs only their hashes, which it
        # recomputes from the text. A model folder is made to be shared.
        self.nlp_.to_disk(directory / PIPELINE_DIR, exclude=["vocab"])
        (directory / "epochs.txt").write_text(str(self.epochs_), encoding="utf-8")

    def _load_state(self, directory: Path) -> None:
        path = directory / PIPELINE_DIR
        if not (path / "config.cfg").is_file():
            raise ModelFormatError(f"{path}: missing spaCy pipeline")
        self.nlp_ = spacy.load(path)
        self.epochs_ = int((directory / "epochs.txt").read_text(encoding="utf-8"))
        if list(self.nlp_.get_pipe(PIPE).labels) != sorted(self.labels_) and set(
            self.nlp_.get_pipe(PIPE).labels
        ) != set(self.labels_):
            raise ModelFormatError(f"{path}: pipeline labels do not match the saved labels")


def _proba(nlp: Language, texts: list[str], labels: list[str]) -> np.ndarray:
    """Category scores; a blank text scores 0 (spaCy's bag-of-words layer fails on a batch
    that mixes empty and non-empty docs, and a blank note says nothing anyway)."""
    out = np.zeros((len(texts), len(labels)))
    rows = [i for i, text in enumerate(texts) if text.strip()]
    docs = nlp.pipe((texts[i] for i in rows), batch_size=1000)
    for i, doc in zip(rows, docs, strict=True):
        out[i] = [doc.cats[lab] for lab in labels]
    return np.clip(out, 0.0, 1.0)
