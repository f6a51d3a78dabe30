"""The safeguarding head (recall-first threshold, exact persistence) and one-label folds."""

from __future__ import annotations

import numpy as np
import pytest

from insight.classify.backend import label_folds
from insight.classify.heads import ExperienceClassifier, SafeguardingClassifier
from insight.classify.sklearn_backend import SklearnTagger

from .conftest import RISK, make_notes


@pytest.fixture(scope="module")
def head_and_notes():
    texts, _, flags, _ = make_notes(n=120, seed=3)
    return SafeguardingClassifier(recall_target=1.0, seed=0).fit(texts, flags), texts, flags


def test_threshold_keeps_every_out_of_fold_risk_note_at_target_one(head_and_notes):
    head, texts, flags = head_and_notes
    assert head.oof_recall_ == 1.0
    assert head.info()["oof_recall"] == 1.0
    assert 0.0 < head.oof_precision_ <= 1.0
    # the shipped model is refitted on all notes, so every training risk note clears it
    y = np.asarray(flags)
    assert head.predict(texts)[y].all()


def test_flags_new_risk_wording_and_not_plain_notes(head_and_notes):
    head, _, _ = head_and_notes
    risky = f"We had a chat at the cafe. {RISK[0]}"
    calm = "We had a chat at the cafe. She was chatty and made a cup of tea."
    assert head.predict([risky, calm]).tolist() == [True, False]


def test_save_load_gives_identical_scores_and_threshold(head_and_notes, tmp_path):
    head, texts, _ = head_and_notes
    head.save(tmp_path / "sg")
    again = SafeguardingClassifier.load(tmp_path / "sg", head.info())
    assert again.threshold_ == head.threshold_
    np.testing.assert_array_equal(again.predict_proba(texts), head.predict_proba(texts))


def test_extra_notes_teach_new_wording_without_moving_the_threshold():
    """Audit notes join the training notes, but only the training notes set the threshold:
    a new way of saying risk is learned, the everyday flag rate is not pushed up."""
    texts, _, flags, _ = make_notes(n=120, seed=3)
    new_wording = "Says the only way out is the railway line near the estate."
    unlike_anything = [  # risk said in words no other note uses: hard out of fold
        "Asked how deep the reservoir is, twice.",
        "Gave his fishing rods to his nephew, then went quiet.",
        "Sleeps in the car now and answers nobody.",
        "Wrote something for his daughter to read later.",
        "Keeps saying the lads will manage fine without him.",
        "Bought rope on the way home and laughed about it.",
    ]
    extra = [f"We met at the market. {new_wording}"] * 4 + unlike_anything + [
        "We met at the market. She bought apples and chatted about the weather.",
        "We met at the market. He liked the new bus timetable.",
    ]
    extra_flags = [True] * (4 + len(unlike_anything)) + [False] * 2
    plain = SafeguardingClassifier(seed=0).fit(texts, flags)
    both = SafeguardingClassifier(seed=0).fit(
        [*texts, *extra], [*flags, *extra_flags],
        threshold_on=[True] * len(texts) + [False] * len(extra),
    )
    probe = [f"Chat at the library. {new_wording}"]
    assert both.predict_proba(probe)[0] > plain.predict_proba(probe)[0]
    assert both.predict(probe).tolist() == [True]
    # the threshold comes from the training notes' out-of-fold scores alone
    assert both.oof_recall_ >= 0.98
    every = SafeguardingClassifier(seed=0).fit([*texts, *extra], [*flags, *extra_flags])
    assert every.threshold_ < both.threshold_  # chasing the hard notes would flag more


def test_too_few_flagged_notes_is_a_clear_error():
    with pytest.raises(ValueError, match="at least two flagged"):
        SafeguardingClassifier().fit(["a note", "another", "third"], [True, False, False])


def test_single_label_folds_are_stratified():
    y = np.array([[1]] * 10 + [[0]] * 30)
    folds = list(label_folds(y, 5, seed=0))
    assert len(folds) == 5
    assert [int(y[held].sum()) for _, held in folds] == [2, 2, 2, 2, 2]
    assert sorted(np.concatenate([held for _, held in folds]).tolist()) == list(range(40))


def test_one_category_codebook_trains():
    texts, labels, _, _ = make_notes(n=60, seed=4)
    Y = np.array([["carers-family" in row] for row in labels], dtype=np.int8)
    tagger = SklearnTagger(cv=3, seed=0).fit(texts, Y, ["carers-family"])
    assert tagger.predict(texts).shape == (60, 1)
    assert (tagger.predict(texts)[:, 0] == Y[:, 0]).mean() > 0.9



def test_experience_on_the_shipped_corpus_names_every_value_fairly_often():
    """Train split -> dev split of the real corpus. "neutral" is 1 note in 10; without
    balanced class weights macro-F1 here was 0.44, with them 0.62."""
    from sklearn.metrics import f1_score

    from insight.classify.default import load_corpus

    data, splits = load_corpus()
    def part(name):
        rows = [i for i, n in enumerate(data.ids) if splits[n] == name and data.experience[i]]
        return [data.texts[i] for i in rows], [data.experience[i] for i in rows]

    (x_train, y_train), (x_dev, y_dev) = part("train"), part("dev")
    predicted = ExperienceClassifier(seed=0).fit(x_train, y_train).predict(x_dev)
    assert set(predicted) == {"positive", "negative", "mixed", "neutral"}
    assert f1_score(y_dev, predicted, average="macro") > 0.55


# Hand-written short comments, unlike the corpus's long notes (how real comments often are)
SHORT = {
    "Fantastic staff.": "positive",
    "Staff were rude.": "negative",
    "Excellent care": "positive",
    "Waited ages, no one called back.": "negative",
    "Couldn't fault the crisis team.": "positive",
    "Not helpful at all": "negative",
    "Thank you for everything.": "positive",
    "Parking was a nightmare.": "negative",
    "Really kind nurse, listened to me.": "positive",
    "Felt fobbed off again.": "negative",
}


def test_experience_reads_short_comments_by_their_tone():
    """Trained on the corpus's train split only: with n-grams alone, 'Fantastic staff.'
    read negative and 'Staff were rude.' positive (their topic, not their tone)."""
    from insight.classify.default import load_corpus

    data, splits = load_corpus()
    rows = [i for i, n in enumerate(data.ids) if splits[n] == "train" and data.experience[i]]
    model = ExperienceClassifier(seed=0).fit(
        [data.texts[i] for i in rows], [data.experience[i] for i in rows])
    predicted = model.predict(list(SHORT))
    right = [p == want for p, want in zip(predicted, SHORT.values(), strict=True)]
    assert sum(right) >= 9, dict(zip(SHORT, predicted, strict=True))


def test_experience_confidence_is_a_probability_of_the_value_given():
    """The confidence a lead sees beside the model's experience value: each row sums to 1
    over the four values and its largest is the value predicted; a plainly worded comment
    is read with more confidence than a flat one."""
    from insight.classify.default import load_corpus

    data, splits = load_corpus()
    rows = [i for i, n in enumerate(data.ids) if splits[n] == "train" and data.experience[i]]
    model = ExperienceClassifier(seed=0).fit(
        [data.texts[i] for i in rows], [data.experience[i] for i in rows])
    texts = ["Fantastic staff, so kind, I felt really cared for.",
             "Went to the clinic on Tuesday."]
    P = model.predict_proba(texts)
    assert P.shape == (2, 4) and np.allclose(P.sum(axis=1), 1)
    assert [model.classes_[k] for k in P.argmax(axis=1)] == model.predict(texts)
    assert model.predict(texts)[0] == "positive"
    assert P[0].max() > P[1].max()
    assert model.predict_proba([]).shape == (0, 4)


def test_experience_save_load_keeps_predictions_and_its_lexicon(tmp_path):
    texts, _, _, _ = make_notes(n=80, seed=5)
    values = ["positive", "negative", "mixed", "neutral"] * 20
    for weight in (3.0, 0.0):  # 0: a model saved before the lexicon was added
        model = ExperienceClassifier(seed=0, valence_weight=weight).fit(texts, values)
        if weight:
            assert model.info()["valence"]["negated_words_weight"] == 0.5
        model.save(tmp_path / f"ex{weight}")
        again = ExperienceClassifier.load(tmp_path / f"ex{weight}", model.info())
        assert again.predict(texts) == model.predict(texts)
        assert ("valence" in again.info()) == bool(weight)
        assert (tmp_path / f"ex{weight}" / "valence.json").exists() == bool(weight)
    # a model saved before negated words were added reads without them, as it was fitted
    old = ExperienceClassifier(seed=0, negation_weight=0.0).fit(texts, values)
    old.save(tmp_path / "old")
    info = old.info()
    del info["valence"]["negated_words_weight"]
    assert ExperienceClassifier.load(tmp_path / "old", info).predict(texts) == \
        old.predict(texts)
