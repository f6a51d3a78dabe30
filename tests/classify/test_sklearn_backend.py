"""The scikit-learn backend's own choices: C from a small grid by CV, fold-model averaging."""

from __future__ import annotations

import numpy as np
import pytest

from insight.classify.backend import load_backend
from insight.classify.sklearn_backend import SklearnTagger
from insight.classify.thresholds import tuned_f1

from .conftest import LABELS


def indicator(labels: list[list[str]]) -> np.ndarray:
    return np.array([[lab in row for lab in LABELS] for row in labels], dtype=int)


@pytest.fixture(scope="module")
def data(notes):
    texts, labels, _, _ = notes
    return texts[:70], indicator(labels[:70]), texts[70:]


def test_c_is_chosen_from_the_grid_by_out_of_fold_macro_f1(data):
    texts, Y, _ = data
    est = SklearnTagger(C=(0.01, 10.0), cv=3, seed=1).fit(texts, Y, LABELS)
    assert est.C_ in (0.01, 10.0)
    assert est.cv_scores_.shape == (2,)
    assert est.cv_scores_[[0.01, 10.0].index(est.C_)] == est.cv_scores_.max()
    # the out-of-fold scores kept are those of the chosen C, and set the thresholds
    assert tuned_f1(Y, est.oof_proba_)[0] == pytest.approx(est.cv_scores_.max())


def test_a_single_c_is_used_as_given(data):
    texts, Y, _ = data
    est = SklearnTagger(C=3.0, cv=3).fit(texts, Y, LABELS)
    assert est.C_ == 3.0 and est.get_params()["C"] == 3.0


def test_bad_c_is_rejected(data):
    texts, Y, _ = data
    with pytest.raises(ValueError, match="C must be"):
        SklearnTagger(C=(), cv=3).fit(texts, Y, LABELS)
    with pytest.raises(ValueError, match="C must be"):
        SklearnTagger(C=-1.0, cv=3).fit(texts, Y, LABELS)


def test_fold_average_and_refit_both_learn(data, notes):
    texts, Y, held = data
    Y_held = indicator(notes[1][70:])
    avg = SklearnTagger(cv=3, average_folds=True).fit(texts, Y, LABELS)
    refit = SklearnTagger(cv=3, average_folds=False).fit(texts, Y, LABELS)
    assert not np.allclose(avg.predict_proba(held), refit.predict_proba(held))
    for est in (avg, refit):
        assert (est.predict(held) == Y_held).mean() >= 0.85


def test_chosen_c_survives_save_and_load(data, tmp_path):
    texts, Y, held = data
    est = SklearnTagger(C=(1.0, 10.0), cv=3).fit(texts, Y, LABELS)
    est.save(tmp_path / "m")
    loaded = load_backend(tmp_path / "m")
    assert loaded.get_params() == est.get_params()
    assert loaded.C_ == est.C_
    np.testing.assert_array_equal(loaded.cv_scores_, est.cv_scores_)
    np.testing.assert_array_equal(loaded.predict_proba(held), est.predict_proba(held))


def test_ensemble_at_full_sklearn_weight_is_the_sklearn_model(data):
    from insight.classify.ensemble import EnsembleTagger

    texts, Y, held = data
    ens = EnsembleTagger(
        weight=1.0, sklearn_params={"cv": 3}, spacy_params={"max_epochs": 2}, seed=0
    ).fit(texts, Y, LABELS)
    np.testing.assert_array_equal(ens.thresholds_, ens.sklearn_.thresholds_)
    np.testing.assert_array_equal(ens.predict(held), ens.sklearn_.predict(held))
