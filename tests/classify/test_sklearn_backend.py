"""The scikit-learn backend's own choices: C and sentence weight from small grids by CV,
fold-model averaging, codebook wording as extra examples."""

from __future__ import annotations

import numpy as np
import pytest

from insight.classify.backend import load_backend
from insight.classify.sentences import SplitNotes
from insight.classify.sklearn_backend import SklearnTagger
from insight.classify.thresholds import tuned_f1

from .conftest import LABELS


def indicator(labels: list[list[str]]) -> np.ndarray:
    return np.array([[lab in row for lab in LABELS] for row in labels], dtype=int)


@pytest.fixture(scope="module")
def data(notes):
    texts, labels, _, _ = notes
    return texts[:70], indicator(labels[:70]), texts[70:]


def test_c_and_sentence_weight_are_chosen_by_out_of_fold_macro_f1(data):
    texts, Y, _ = data
    est = SklearnTagger(C=(0.01, 10.0), sentence_weight=(0.0, 0.5), cv=3, seed=1)
    est.fit(texts, Y, LABELS)
    assert set(est.cv_scores_) == {(0.01, 0.0), (0.01, 0.5), (10.0, 0.0), (10.0, 0.5)}
    best = max(est.cv_scores_.values())
    assert est.cv_scores_[(est.C_, est.sentence_weight_)] == best
    # the out-of-fold scores kept are those of the chosen pair, and set the thresholds
    assert tuned_f1(Y, est.oof_proba_)[0] == pytest.approx(best)
    assert est.oof_proba_.shape == Y.shape


def test_a_single_c_is_used_as_given(data):
    texts, Y, _ = data
    est = SklearnTagger(C=3.0, cv=3).fit(texts, Y, LABELS)
    assert est.C_ == 3.0 and est.get_params()["C"] == 3.0


def test_note_score_mixes_in_its_best_sentence(data):
    texts, Y, held = data
    note_only = SklearnTagger(C=1.0, sentence_weight=0.0, cv=3).fit(texts, Y, LABELS)
    mixed = SklearnTagger(C=1.0, sentence_weight=0.4, cv=3).fit(texts, Y, LABELS)
    # same fitted weights either way: the weight only changes how a note is scored
    np.testing.assert_array_equal(note_only.coef_.toarray(), mixed.coef_.toarray())
    two = "The GP was kind and listened. The bus fare to get there costs a fortune."
    split = SplitNotes([two])
    sentences = [two[a:b] for a, b in split.spans[0]]
    assert len(sentences) == 2
    whole = note_only.predict_proba([two])[0]
    best = note_only.predict_proba(sentences).max(axis=0)
    np.testing.assert_allclose(mixed.predict_proba([two])[0], 0.6 * whole + 0.4 * best)
    # a one-sentence note scores the same either way
    one = ["Nobody rang me back after the referral."]
    np.testing.assert_allclose(mixed.predict_proba(one), note_only.predict_proba(one))


def test_codebook_wording_teaches_a_category_with_no_labelled_notes():
    texts = [f"note {i} about {w}" for i, w in enumerate(["buses", "the GP", "a group"] * 10)]
    Y = np.array([[t.endswith("buses"), t.endswith("GP"), False] for t in texts], dtype=int)
    labels = ["travel", "gp", "food"]
    wording = {"food": ["food bank, meals, hungry, cannot afford to eat"]}
    plain = SklearnTagger(C=1.0, sentence_weight=0.0, cv=3).fit(texts, Y, labels)
    taught = SklearnTagger(C=1.0, sentence_weight=0.0, cv=3).fit(texts, Y, labels, wording)
    hungry = ["went to the food bank because I was hungry"]
    assert taught.predict_proba(hungry)[0, 2] > 0.5 > plain.predict_proba(hungry)[0, 2]
    # wording rows are training examples only: thresholds come from the real notes
    assert taught.oof_proba_.shape == Y.shape


def test_bad_c_is_rejected(data):
    texts, Y, _ = data
    with pytest.raises(ValueError, match="C must be"):
        SklearnTagger(C=(), cv=3).fit(texts, Y, LABELS)
    with pytest.raises(ValueError, match="C must be"):
        SklearnTagger(C=-1.0, cv=3).fit(texts, Y, LABELS)
    with pytest.raises(ValueError, match="sentence_weight must be"):
        SklearnTagger(sentence_weight=1.5, cv=3).fit(texts, Y, LABELS)


def test_fold_average_and_refit_both_learn(data, notes):
    texts, Y, held = data
    Y_held = indicator(notes[1][70:])
    avg = SklearnTagger(cv=3, average_folds=True).fit(texts, Y, LABELS)
    refit = SklearnTagger(cv=3, average_folds=False).fit(texts, Y, LABELS)
    assert not np.allclose(avg.predict_proba(held), refit.predict_proba(held))
    for est in (avg, refit):
        assert (est.predict(held) == Y_held).mean() >= 0.85


def test_chosen_c_and_sentence_weight_survive_save_and_load(data, tmp_path):
    texts, Y, held = data
    est = SklearnTagger(C=(1.0, 10.0), sentence_weight=(0.0, 0.5), cv=3).fit(texts, Y, LABELS)
    est.save(tmp_path / "m")
    loaded = load_backend(tmp_path / "m")
    assert loaded.get_params() == est.get_params()
    assert (loaded.C_, loaded.sentence_weight_) == (est.C_, est.sentence_weight_)
    assert loaded.cv_scores_ == est.cv_scores_
    np.testing.assert_array_equal(loaded.predict_proba(held), est.predict_proba(held))


def test_ensemble_at_full_sklearn_weight_is_the_sklearn_model(data):
    from insight.classify.ensemble import EnsembleTagger

    texts, Y, held = data
    ens = EnsembleTagger(
        weight=1.0, sklearn_params={"cv": 3}, spacy_params={"max_epochs": 2}, seed=0
    ).fit(texts, Y, LABELS)
    np.testing.assert_array_equal(ens.thresholds_, ens.sklearn_.thresholds_)
    np.testing.assert_array_equal(ens.predict(held), ens.sklearn_.predict(held))


def test_sentence_evidence_parts_add_up_to_the_note_score(data):
    """With word unigrams and in-word character n-grams nothing crosses a sentence, so the
    sentences' parts are exactly the note's score before the intercept."""
    texts, Y, held = data
    est = SklearnTagger(C=1.0, sentence_weight=0.0, word_ngrams=(1, 1), cv=3).fit(
        texts, Y, LABELS
    )
    split = SplitNotes(held[:8])
    parts = est.evidence_scores(split.cache)
    assert parts.shape == (len(split.cache.segments), len(LABELS))
    summed = np.zeros((8, len(LABELS)))
    np.add.at(summed, split.cache.segment_note, parts)
    logit = np.log(est.predict_proba(held[:8]) / (1 - est.predict_proba(held[:8])))
    np.testing.assert_allclose(summed + est.intercept_, logit, atol=1e-5)
    # scoring only some notes' sentences gives the same rows for them, zeros elsewhere
    some = est.evidence_scores(split.cache, [1, 4])
    mine = np.isin(split.cache.segment_note, [1, 4])
    np.testing.assert_allclose(some[mine], parts[mine])
    assert not some[~mine].any()


def test_evidence_is_the_sentence_carrying_the_tag(data):
    """Of filler, the tag's sentence and a one-word aside, the tag's sentence carries the
    most of the note's score."""
    texts, Y, _ = data
    est = SklearnTagger(C=1.0, sentence_weight=0.0, cv=3).fit(texts, Y, LABELS)
    note = (
        "We talked for a while at the cafe and she said the weather was awful today. "
        "Waited eight months for a first assessment and the GP said I'm not ill enough. "
        "List."
    )
    split = SplitNotes([note])
    sentences = [note[a:b].strip() for a, b in split.spans[0]]
    j = LABELS.index("access-waiting")
    carried = est.evidence_scores(split.cache)[:, j]
    assert sentences[int(carried.argmax())].startswith("Waited eight months")
