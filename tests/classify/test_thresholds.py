"""Thresholds are tuned on held-out scores; a label seen too rarely is not tuned down."""

from __future__ import annotations

import numpy as np

from insight.classify.backend import backend_class
from insight.classify.model import TagModel
from insight.classify.thresholds import (
    DEFAULT_THRESHOLD,
    MIN_TUNING_POSITIVES,
    MIN_USEFUL_F1,
    MOST_TAGGED,
    best_f1_threshold,
    floor_rare,
)


def test_a_threshold_maximises_f1_in_the_middle_of_its_plateau() -> None:
    y = np.array([1, 1, 1, 0, 0, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1])
    # every threshold in (0.3, 0.7] separates them: the middle of that plateau
    assert 0.45 <= best_f1_threshold(y, scores) <= 0.55
    assert best_f1_threshold(np.zeros(6), scores) == DEFAULT_THRESHOLD


def test_a_label_whose_scores_tell_nothing_keeps_the_default_threshold() -> None:
    """Five positives among 500 whose scores are no higher than the rest: the best F1 is
    at the grid's floor (tag nearly every note), which no user wants from a tag."""
    rng = np.random.default_rng(0)
    scores = rng.uniform(0.0, 0.2, 500)
    y = np.zeros(500, dtype=int)
    y[:5] = 1
    tagged_everywhere = float(scores.min())
    assert _f1(y, scores, 0.05) < MIN_USEFUL_F1 and _f1(y, scores, 0.05) > 0
    assert best_f1_threshold(y, scores, smooth=0) == DEFAULT_THRESHOLD
    assert best_f1_threshold(y, scores) == DEFAULT_THRESHOLD
    assert tagged_everywhere < 0.05
    # the same five, scored above the rest, are learned: a threshold below the default
    learned = scores.copy()
    learned[:5] = 0.3
    assert best_f1_threshold(y, learned) < DEFAULT_THRESHOLD


def test_a_broad_rise_in_f1_beats_a_one_step_peak() -> None:
    # F1 is best at exactly 0.40 (one grid step: a positive at 0.40, a negative at 0.39),
    # which is luck in the tuning rows; smoothed, the choice is where F1 stays high nearby
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0])
    scores = np.array([0.90, 0.815, 0.40, 0.805, 0.39, 0.35, 0.10, 0.10, 0.10])
    raw = best_f1_threshold(y, scores, smooth=0)
    smoothed = best_f1_threshold(y, scores)
    assert raw == 0.40 and smoothed != raw
    assert _f1(y, scores, raw) > _f1(y, scores, smoothed)  # the raw best, on these rows

    def nearby(t: float) -> float:  # mean F1 over the thresholds two steps either side
        return float(np.mean([_f1(y, scores, t + d / 100) for d in range(-2, 3)]))

    assert nearby(smoothed) > nearby(raw)


def _f1(y: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    pred = scores >= threshold - 1e-9
    return 2 * int((pred & (y == 1)).sum()) / (int(pred.sum()) + int(y.sum()))


def test_a_label_with_few_examples_is_not_tuned_below_the_default() -> None:
    floored = floor_rare(np.array([0.17, 0.17, 0.8]), np.array([2, MIN_TUNING_POSITIVES, 2]))
    assert floored.tolist() == [DEFAULT_THRESHOLD, 0.17, 0.8]


def test_a_model_keeps_a_rare_labels_threshold_at_the_default_or_above(notes) -> None:
    texts, labels, _, _ = notes
    rare = [i for i, row in enumerate(labels) if row][:2]
    tagged = [[*row, "bereavement"] if i in rare else row for i, row in enumerate(labels)]
    names = sorted({lab for row in tagged for lab in row})
    model = TagModel.fit(texts, tagged, label_names=names, backend_params={"cv": 3})
    assert model.thresholds["bereavement"] >= DEFAULT_THRESHOLD
    # tuned alone, the out-of-fold scores of two examples tell them from nothing (F1
    # below MIN_USEFUL_F1), so the backend's own tuning keeps the default as well
    Y = np.array([[name in row for name in names] for row in tagged], dtype=np.int8)
    backend = backend_class("sklearn")(seed=0, cv=3).fit(texts, Y, names, None)
    assert backend.thresholds_[names.index("bereavement")] == DEFAULT_THRESHOLD


def test_a_threshold_never_tags_more_than_twice_the_notes_that_have_the_label() -> None:
    """A category learnt from 12 of 200 notes whose scores tell them apart no better than
    chance: tagging every note scores F1 2p / (1 + p) = 0.11, above `MIN_USEFUL_F1`, so F1
    alone put the threshold at the grid's floor and the category on every note (a
    workspace's roll-up showed it on 40% of notes, 6 of the 100 new ones really about it)."""
    scores = np.linspace(0.06, 0.30, 200)
    y = (np.arange(200) % 17 == 0).astype(int)  # spread evenly: no signal in the scores
    assert y.sum() == 12 and _f1(y, scores, 0.05) >= MIN_USEFUL_F1
    chosen = best_f1_threshold(y, scores)
    assert (scores >= chosen).sum() <= MOST_TAGGED * y.sum()
    assert chosen >= DEFAULT_THRESHOLD  # nothing useful within that: not learned
    # the rule as it was, for the record: every note
    assert (scores >= best_f1_threshold(y, scores, most_tagged=None)).all()
    # scores that do tell them apart are tuned as before
    learned = np.where(y == 1, scores + 0.2, scores)
    assert best_f1_threshold(y, learned) == best_f1_threshold(y, learned, most_tagged=None)


def test_a_label_not_learned_keeps_no_threshold_that_tags_most_notes() -> None:
    """Not learned, a label keeps the default threshold, unless its scores sit above it on
    many notes (balanced class weights can put an unlearned label's scores near 0.5 on
    every note): then the lowest threshold above it that tags no more than twice its notes."""
    rng = np.random.default_rng(1)
    scores = rng.uniform(0.45, 0.75, 300)
    y = np.zeros(300, dtype=int)
    y[rng.choice(300, 10, replace=False)] = 1
    chosen = best_f1_threshold(y, scores)
    assert chosen > DEFAULT_THRESHOLD
    assert (scores >= chosen).sum() <= MOST_TAGGED * 10 < (scores >= DEFAULT_THRESHOLD).sum()


def test_a_model_tags_a_category_it_did_not_learn_on_few_new_notes(notes) -> None:
    """A category put on 9 of 90 notes at random (nothing in their words says it): the
    model, trained for real, puts it on no more new notes than twice its share."""
    import random

    from tests.classify.conftest import LABELS, make_notes

    texts, labels, _, _ = notes
    other = set(random.Random(2).sample(range(len(texts)), 9))
    tagged = [[*row, "other"] if i in other else row for i, row in enumerate(labels)]
    model = TagModel.fit(texts, tagged, label_names=[*LABELS, "other"],
                         backend_params={"cv": 5})
    new, _, _, _ = make_notes(60, seed=7)
    given = sum("other" in note.categories for note in model.tag(new))
    assert given <= MOST_TAGGED * len(other) / len(texts) * len(new)  # 12 of 60; it was 59
    check = model.metadata["held_out"]["per_label"]["other"]
    assert check["support"] == 9 and check["tagged"] <= MOST_TAGGED * 9
