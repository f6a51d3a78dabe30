"""The contract every category backend must meet (like scikit-learn's check_estimator)."""

from __future__ import annotations

import numpy as np
import pytest

from insight.classify.backend import ModelFormatError, backend_class, load_backend

from .conftest import LABELS

BACKENDS = ["sklearn", "spacy", "ensemble"]
FAST = {
    "sklearn": {"cv": 3},
    "spacy": {"max_epochs": 6},
    "ensemble": {"sklearn_params": {"cv": 3}, "spacy_params": {"max_epochs": 6}},
}


def indicator(labels: list[list[str]]) -> np.ndarray:
    return np.array([[lab in row for lab in LABELS] for row in labels], dtype=int)


@pytest.fixture(scope="module", params=BACKENDS)
def fitted(request, notes):
    texts, labels, _, _ = notes
    params = FAST[request.param]
    est = backend_class(request.param)(seed=3, **params)
    est.fit(texts[:70], indicator(labels[:70]), LABELS)
    return request.param, params, est


def test_constructor_arguments_are_kept_unchanged(fitted):
    name, params, est = fitted
    got = est.get_params()
    assert got["seed"] == 3
    for key, value in params.items():
        assert got[key] == value


def test_chosen_settings_say_what_defaults_and_searches_came_to(fitted, tmp_path):
    """For the model card: every setting a concrete value (no None, no candidate tuple),
    the same after a save and load."""
    name, _, est = fitted
    chosen = est.chosen_settings()

    def leaves(value):
        return [x for v in value.values() for x in leaves(v)] if isinstance(value, dict) else [
            value]

    assert chosen and all(isinstance(v, int | float | str) for v in leaves(chosen))
    if name == "spacy":
        assert 1 <= chosen["epochs"] <= chosen["max_epochs"] == 6
    if name == "sklearn":
        assert chosen["C"] in est.c_grid()
    est.save(tmp_path / "m")
    assert load_backend(tmp_path / "m").chosen_settings() == chosen


def test_shapes_probabilities_and_binary_predictions(fitted, notes):
    _, _, est = fitted
    texts = notes[0][70:]
    P = est.predict_proba(texts)
    assert P.shape == (len(texts), len(LABELS))
    assert np.all((P >= 0) & (P <= 1))
    pred = est.predict(texts)
    assert pred.shape == P.shape
    assert set(np.unique(pred)) <= {0, 1}
    assert est.labels_ == LABELS
    assert len(est.thresholds_) == len(LABELS)
    assert np.array_equal(pred, (P >= est.thresholds_).astype(pred.dtype))


def test_held_out_scores_are_real_predictions_for_training_rows(fitted, notes):
    _, _, est = fitted
    rows, P = est.held_out_scores()
    assert rows.ndim == 1 and len(rows) == len(P) > 0
    assert rows.min() >= 0 and rows.max() < 70 and len(set(rows.tolist())) == len(rows)
    assert P.shape == (len(rows), len(LABELS)) and np.all((P >= 0) & (P <= 1))
    # the rows' own labels separate their held-out scores (they are real predictions)
    Y = indicator(notes[1][:70])[rows]
    assert all(P[Y[:, j] == 1, j].mean() > P[Y[:, j] == 0, j].mean() for j in range(len(LABELS)))


def test_learns_the_labels(fitted, notes):
    _, _, est = fitted
    texts, labels = notes[0][70:], notes[1][70:]
    pred = est.predict(texts)
    Y = indicator(labels)
    agreement = (pred == Y).mean()
    assert agreement >= 0.85, f"only {agreement:.2f} of held-out label decisions right"


def test_same_seed_gives_identical_scores(fitted, notes):
    name, params, est = fitted
    texts, labels, _, _ = notes
    again = backend_class(name)(seed=3, **params).fit(texts[:70], indicator(labels[:70]), LABELS)
    np.testing.assert_array_equal(est.predict_proba(texts[70:]), again.predict_proba(texts[70:]))
    np.testing.assert_array_equal(est.thresholds_, again.thresholds_)


def test_save_load_round_trip(fitted, notes, tmp_path):
    name, _, est = fitted
    est.save(tmp_path / name)
    loaded = load_backend(tmp_path / name)
    assert type(loaded) is type(est)
    assert loaded.labels_ == est.labels_
    assert loaded.get_params() == est.get_params()
    np.testing.assert_array_equal(loaded.thresholds_, est.thresholds_)
    np.testing.assert_array_equal(loaded.predict_proba(notes[0]), est.predict_proba(notes[0]))


def test_saved_files_hold_no_word_of_the_training_notes(fitted, tmp_path):
    """Model folders are shared; the notes they learnt from are about people's health."""
    name, _, est = fitted
    est.save(tmp_path / name)
    words = {"knackered", "universal", "bouncing", "assessment"}  # from the training phrases
    for file in (tmp_path / name).rglob("*"):
        if file.is_file():
            content = file.read_bytes().decode("utf-8", errors="ignore").lower()
            assert not [w for w in words if w in content], file


def test_load_refuses_a_directory_that_is_not_a_model(tmp_path):
    with pytest.raises(ModelFormatError, match="not a saved classifier"):
        load_backend(tmp_path)


def test_label_that_never_occurs_still_gets_a_column(fitted, notes):
    name, params, _ = fitted
    texts, labels, _, _ = notes
    names = [*LABELS, "never-seen"]
    Y = np.array([[lab in row for lab in names] for row in labels[:70]], dtype=int)
    est = backend_class(name)(seed=0, **params).fit(texts[:70], Y, names)
    P = est.predict_proba(texts[70:])
    assert P.shape == (20, 4)
    assert np.all(est.predict(texts[70:])[:, 3] == 0)


def test_bad_input_is_rejected_clearly(fitted, notes):
    name, params, _ = fitted
    with pytest.raises(ValueError, match="shape"):
        backend_class(name)(**params).fit(notes[0][:10], np.zeros((9, 3)), LABELS)
    with pytest.raises(ValueError, match="binary"):
        backend_class(name)(**params).fit(notes[0][:10], np.full((10, 3), 2), LABELS)
