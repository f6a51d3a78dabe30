"""Thresholds are tuned on held-out scores; a label seen too rarely is not tuned down."""

from __future__ import annotations

import numpy as np

from insight.classify.thresholds import (
    DEFAULT_THRESHOLD,
    MIN_TUNING_POSITIVES,
    best_f1_threshold,
    tune_thresholds,
)


def test_a_threshold_maximises_f1_in_the_middle_of_its_plateau() -> None:
    y = np.array([1, 1, 1, 0, 0, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1])
    # every threshold in (0.3, 0.7] separates them: the middle of that plateau
    assert 0.45 <= best_f1_threshold(y, scores) <= 0.55
    assert best_f1_threshold(np.zeros(6), scores) == DEFAULT_THRESHOLD


def test_a_label_with_few_positives_is_not_tuned_below_the_default() -> None:
    rng = np.random.default_rng(0)
    n = 200
    Y = np.zeros((n, 2), dtype=int)
    Y[:40, 0] = 1  # plenty of positives
    Y[:2, 1] = 1  # two: out-of-fold scores of a rare label are tiny
    P = rng.uniform(0.0, 0.1, size=(n, 2))
    P[:40, 0] += 0.15
    P[:2, 1] = [0.19, 0.18]
    common, rare = tune_thresholds(Y, P)
    assert common < DEFAULT_THRESHOLD  # tuned: the positives score about 0.15-0.25
    assert best_f1_threshold(Y[:, 1], P[:, 1]) < 0.2  # what tuning alone would give
    assert rare == DEFAULT_THRESHOLD
    Y[:MIN_TUNING_POSITIVES, 1] = 1
    P[:MIN_TUNING_POSITIVES, 1] = 0.2
    assert tune_thresholds(Y, P)[1] < DEFAULT_THRESHOLD  # enough positives: tuned
