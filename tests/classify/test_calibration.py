"""Calibrated confidence: closer to observed frequencies, same order, same tags, persisted."""

from __future__ import annotations

import json

import numpy as np
import pytest

from insight.classify import TagModel
from insight.classify.calibration import Calibration, calibration_error

from .conftest import LABELS


def overconfident(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Scores whose true frequency is much lower than the score says (like class-weighted
    logistic regression on a rare category)."""
    rng = np.random.default_rng(seed)
    true_p = rng.uniform(0.0, 0.6, size=(n, 2))
    Y = (rng.uniform(size=(n, 2)) < true_p).astype(int)
    scores = 1 / (1 + np.exp(-(np.log(true_p / (1 - true_p)) * 0.5 + 1.5)))
    return Y, scores


def test_platt_scaling_brings_confidence_close_to_observed_frequency():
    Y, P = overconfident(seed=0)
    fitted = Calibration.fit(Y, P)
    Y_new, P_new = overconfident(seed=1)
    before, after = calibration_error(Y_new, P_new), calibration_error(Y_new, fitted.apply(P_new))
    assert before > 0.15
    assert after < 0.03


def test_calibration_keeps_the_order_of_scores_within_each_category():
    Y, P = overconfident()
    C = Calibration.fit(Y, P).apply(P)
    for j in range(P.shape[1]):
        order = np.argsort(P[:, j], kind="stable")
        assert np.all(np.diff(C[order, j]) >= -1e-12)


def test_category_without_both_outcomes_keeps_its_raw_score():
    Y = np.array([[1, 0], [0, 0], [1, 0], [0, 0]])
    P = np.array([[0.9, 0.2], [0.1, 0.4], [0.8, 0.3], [0.3, 0.1]])
    fitted = Calibration.fit(Y, P)
    np.testing.assert_allclose(fitted.apply(P)[:, 1], P[:, 1], atol=1e-9)
    assert fitted.slope[1] == 1.0 and fitted.intercept[1] == 0.0


def test_a_category_seen_in_two_notes_claims_no_certainty():
    """Two positive notes perfectly split from the rest: without Platt's target smoothing
    the fitted slope runs away and a new note would be shown at confidence 1.00."""
    P = np.array([[0.95], [0.9]] + [[s] for s in np.linspace(0.01, 0.4, 60)])
    Y = np.array([[1], [1]] + [[0]] * 60)
    fitted = Calibration.fit(Y, P)
    top = fitted.apply(np.array([[0.99]]))[0, 0]
    assert top == pytest.approx(0.75)  # (2 + 1) / (2 + 2): no more than two notes support
    assert 0.3 < fitted.apply(np.array([[0.9]]))[0, 0] < 0.75
    again = Calibration.from_json(json.loads(json.dumps(fitted.to_json())), 1)
    assert again.apply(np.array([[0.99]]))[0, 0] == pytest.approx(0.75)
    # with many positive notes the same split is trusted almost fully
    many_P = np.vstack([np.full((200, 1), 0.95), np.linspace(0.01, 0.4, 200)[:, None]])
    many_Y = np.vstack([np.ones((200, 1), dtype=int), np.zeros((200, 1), dtype=int)])
    assert Calibration.fit(many_Y, many_P).apply(np.array([[0.99]]))[0, 0] > 0.98


def test_json_round_trip_and_mismatched_labels_refused():
    Y, P = overconfident()
    fitted = Calibration.fit(Y, P)
    again = Calibration.from_json(json.loads(json.dumps(fitted.to_json())), 2)
    np.testing.assert_allclose(again.apply(P), fitted.apply(P), atol=1e-5)
    assert again.n_rows == len(Y)
    with pytest.raises(ValueError, match="for 3 labels"):
        Calibration.from_json(fitted.to_json(), 3)


def test_calibration_error_is_zero_when_confidence_matches_frequency():
    Y = np.array([[1], [0], [1], [0]])
    assert calibration_error(Y, np.full((4, 1), 0.5)) == 0.0
    assert calibration_error(Y, np.array([[1.0], [1.0], [1.0], [1.0]])) == pytest.approx(0.5)


@pytest.fixture(scope="module")
def model(notes) -> TagModel:
    texts, labels, _, _ = notes
    return TagModel.fit(texts, labels, label_names=LABELS, backend_params={"cv": 3}, seed=2)


def test_tag_model_shows_calibrated_scores_but_tags_by_raw_threshold(model, notes):
    texts = notes[0][:30]
    raw = model.estimator.predict_proba(texts)
    tags = model.tag(texts)
    shown = np.array([[t.scores[lab] for lab in LABELS] for t in tags])
    np.testing.assert_allclose(shown, model.calibration.apply(raw), atol=5e-5)
    assert not np.allclose(shown, raw, atol=1e-3)  # calibration did something
    tagged = np.array([[lab in t.categories for lab in LABELS] for t in tags])
    np.testing.assert_array_equal(tagged, raw >= model.estimator.thresholds_)
    np.testing.assert_allclose(model.predict_proba(texts), model.calibration.apply(raw))


def test_saved_model_keeps_its_calibration_and_old_models_load_without(model, notes, tmp_path):
    texts = notes[0][:10]
    model.save(tmp_path / "m")
    again = TagModel.load(tmp_path / "m")
    np.testing.assert_allclose(again.predict_proba(texts), model.predict_proba(texts), atol=1e-5)
    card = (tmp_path / "m" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Platt scaling" in card and "tagged from confidence" in card
    doc = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    del doc["metadata"]["calibration"]
    (tmp_path / "m" / "model.json").write_text(json.dumps(doc), encoding="utf-8")
    old = TagModel.load(tmp_path / "m")
    assert old.calibration is None
    np.testing.assert_allclose(old.predict_proba(texts), model.estimator.predict_proba(texts))
