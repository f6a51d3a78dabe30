"""TagModel: the object the rest of insight uses — tags, evidence, flags, persistence."""

from __future__ import annotations

import json

import numpy as np
import pytest

from insight.classify import FEW_TO_TRUST, ModelFormatError, NoteTags, TagModel, learnt_from_few
from insight.classify.default import default_cache_dir
from insight.classify.model import ExperienceExtra, SafeguardingExtra

from .conftest import LABELS


@pytest.fixture(scope="module")
def model(notes) -> TagModel:
    texts, labels, flags, experience = notes
    return TagModel.fit(
        texts,
        labels,
        label_names=LABELS,
        safeguarding=flags,
        experience=experience,
        codebook_version="test-1",
        backend_params={"cv": 3},
        seed=1,
    )


def test_tag_returns_one_result_per_note_in_codebook_order(model, notes):
    texts = notes[0][:12]
    tags = model.tag(texts, batch_size=5)  # several batches
    assert len(tags) == len(texts)
    for tag in tags:
        assert isinstance(tag, NoteTags)
        assert tag.categories == [lab for lab in LABELS if lab in tag.categories]
        assert set(tag.scores) == set(LABELS)
        assert all(0.0 <= s <= 1.0 and round(s, 4) == s for s in tag.scores.values())
        assert tag.experience in {"positive", "negative", "mixed", "neutral"}


def test_tag_scores_match_predict_proba(model, notes):
    texts = notes[0][:20]
    P = model.predict_proba(texts)
    got = np.array([[t.scores[lab] for lab in LABELS] for t in model.tag(texts)])
    np.testing.assert_allclose(got, np.round(P, 4), atol=1e-4)


def test_evidence_is_an_exact_sentence_of_the_note_that_carries_the_category(model):
    note = (
        "We talked for a while at the cafe. Universal credit got stopped and the rent is "
        "behind. My mum is knackered looking after me."
    )
    (tag,) = model.tag([note])
    assert set(tag.evidence) == set(tag.categories)
    assert "daily-living" in tag.categories and "carers-family" in tag.categories
    for sentence in tag.evidence.values():
        assert sentence and sentence in note
    assert tag.evidence["daily-living"].startswith("Universal credit")
    assert tag.evidence["carers-family"].startswith("My mum")


@pytest.mark.parametrize("layout", ["- {}", "* {}", "\u2022 {}", "{n}. {}", "{n}) {}"])
def test_evidence_for_a_listed_note_is_its_one_item(model, layout):
    items = [
        "we talked for a while at the cafe",
        "universal credit got stopped and the rent is behind",
        "my mum is knackered looking after me",
    ]
    lines = [layout.format(item, n=n) for n, item in enumerate(items, start=1)]
    for gap in ("\n", "\r\n", "\n\n"):
        note = "Visit notes\n" + gap.join(lines)
        (tag,) = model.tag([note])
        assert {"daily-living", "carers-family"} <= set(tag.categories), (layout, gap)
        assert tag.evidence["daily-living"] == lines[1]
        assert tag.evidence["carers-family"] == lines[2]


def test_evidence_for_a_hard_wrapped_note_is_its_whole_sentence(model):
    note = "We talked for a while and universal credit got\nstopped and the rent is behind"
    (tag,) = model.tag([note])
    assert "daily-living" in tag.categories
    assert tag.evidence["daily-living"] == note


def test_evidence_survives_odd_whitespace_and_empty_notes(model):
    notes = [
        "  my mum is knackered looking after me.\n\nNobody asks how the carers are coping!  ",
        "",
        "   ",
    ]
    tags = model.tag(notes)
    for note, tag in zip(notes, tags, strict=True):
        assert all(sentence in note for sentence in tag.evidence.values())
    for tag in tags[1:]:
        assert tag.categories == [] and tag.evidence == {} and tag.safeguarding is False


def test_empty_note_gets_no_guessed_experience(notes):
    texts, labels, _, _ = notes
    # mostly negative notes: the experience classifier's prior guess would be "negative"
    experience = ["positive" if i % 10 == 0 else "negative" for i in range(len(texts))]
    model = TagModel.fit(texts, labels, label_names=LABELS, experience=experience,
                         backend_params={"cv": 3, "C": 1.0, "sentence_weight": 0.0})
    written, empty, blank = model.tag([texts[1], "", "  \n "])
    assert written.experience == "negative"
    assert empty.experience == blank.experience == "neutral"
    # the classifier's confidence in what it read; none for words that were not there
    assert 0.25 < written.experience_confidence <= 1
    assert empty.experience_confidence is None and blank.experience_confidence is None


def test_safeguarding_is_classifier_or_phrase_list(model):
    tags = model.tag(
        [
            "She said she has been cutting again and showed me her arm.",
            "He said the suicide prevention training at work was useful.",
        ]
    )
    assert tags[0].safeguarding is True
    assert tags[1].safeguarding is False
    assert model.metadata["safeguarding"]["method"] == "classifier OR phrases"
    # the reason names the signals and the score, never the note's words
    assert tags[0].safeguarding_why.startswith("phrase list: self-harm")
    assert "cutting" not in tags[0].safeguarding_why
    assert tags[1].safeguarding_why == ""
    # the classifier's score and the score it flags from, kept to hold back quotes of
    # notes near the flag (`privacy.holds_back`)
    head = model.safeguarding_model
    assert [t.safeguarding_threshold for t in tags] == [round(head.threshold_, 4)] * 2
    assert all(0 <= t.safeguarding_score <= 1 for t in tags)
    assert model.tag([""])[0].safeguarding_score is None


def test_where_a_note_reads_as_risk_is_in_its_own_words(model):
    text = ("We talked about the allotment. She said she has been cutting again and "
            "showed me her arm. Then tea.")
    found = model.safeguarding_words(text)
    assert {signal for signal, _ in found["phrases"]} == {"self-harm"}
    assert all(words in text for _, words in found["phrases"])
    sentence, score, threshold = found["sentence"]
    assert sentence == "She said she has been cutting again and showed me her arm."
    assert score >= threshold  # the sentence the flag rests on scores as a flag
    calm = model.safeguarding_words("We talked about the allotment.")
    assert calm["phrases"] == [] and calm["sentence"][1] < calm["sentence"][2]


def test_without_flag_labels_the_model_falls_back_and_says_so(notes):
    texts, labels, _, _ = notes
    model = TagModel.fit(texts, labels, label_names=LABELS, backend_params={"cv": 3})
    assert model.metadata["safeguarding"]["method"] == "phrases"
    assert model.metadata["experience"]["method"] == "rule"
    (risky, calm) = model.tag(["Told me he has his tablets saved up.", "Lovely chat about tea."])
    assert risky.safeguarding and not calm.safeguarding
    assert risky.experience == calm.experience == "neutral"
    assert risky.safeguarding_score is None and risky.safeguarding_threshold is None


def test_extra_safeguarding_notes_give_a_model_without_flags_a_classifier(notes):
    """A bring-your-own model whose data has no safeguarding column still learns the flag
    from notes labelled for safeguarding elsewhere; with flags of its own, an extra note
    that repeats a training note is not counted twice."""
    texts, labels, flags, _ = notes
    extra = SafeguardingExtra(
        [f"Second visit. {t}" for t in texts] + [texts[0]], [*flags, flags[0]],
        [True] * (len(texts) + 1),
    )
    model = TagModel.fit(
        texts, labels, label_names=LABELS, backend_params={"cv": 3}, safeguarding_extra=extra
    )
    info = model.metadata["safeguarding"]
    assert info["method"] == "classifier OR phrases" and info["extra_notes"] == len(texts) + 1
    # no flags of its own: the everyday extra notes set the threshold
    assert info["threshold_from"] == "training notes and everyday extra notes"
    # the card says where it learned, and that the data gave no flags
    assert info["learned_from"] == (
        f"{len(texts) + 1} shipped notes ({sum(flags) + flags[0]} flagged)")
    assert info["reason"] == "no safeguarding labels given"
    risky, calm = model.tag(["Says she has been cutting again.", "Lovely chat about tea."])
    assert risky.safeguarding and not calm.safeguarding
    both = TagModel.fit(
        texts, labels, label_names=LABELS, safeguarding=flags, backend_params={"cv": 3},
        safeguarding_extra=extra,
    )
    assert both.metadata["safeguarding"]["extra_notes"] == len(texts)
    assert both.metadata["safeguarding"]["n_flagged"] == 2 * sum(flags)
    assert both.metadata["safeguarding"]["learned_from"] == (
        f"{len(texts)} training notes ({sum(flags)} flagged) and {len(texts)} shipped notes "
        f"({sum(flags)} flagged)")
    assert "reason" not in both.metadata["safeguarding"]
    # notes that only teach (an audit set) never set the threshold
    teach = SafeguardingExtra(extra.texts, extra.flags, [False] * len(extra.texts))
    only = TagModel.fit(texts, labels, label_names=LABELS, backend_params={"cv": 3},
                        safeguarding_extra=teach)
    assert only.metadata["safeguarding"]["threshold_from"] == "all notes"


def test_a_model_without_experience_labels_learns_experience_from_other_notes(notes):
    """A bring-your-own model's data rarely says how each person felt; "neutral" for every
    note would read as "no one was unhappy". Notes labelled elsewhere teach it instead;
    a model with labels of its own uses those."""
    texts, labels, _, experience = notes
    extra = ExperienceExtra([f"Second visit. {t}" for t in texts], experience, "other notes")
    model = TagModel.fit(texts, labels, label_names=LABELS, backend_params={"cv": 3},
                         experience_extra=extra)
    info = model.metadata["experience"]
    assert info["method"] == "classifier" and info["learned_from"] == "other notes"
    assert info["reason"] == "no experience labels given"
    shown = [t.experience for t in model.tag(texts)]
    assert len(set(shown)) > 1  # not one value for every note
    agree = np.mean([a == b for a, b in zip(shown, experience, strict=True)])
    assert agree > 0.5
    own = TagModel.fit(texts, labels, label_names=LABELS, backend_params={"cv": 3},
                       experience=experience, experience_extra=extra)
    assert own.metadata["experience"]["learned_from"] == \
        f"other notes and {len(texts)} of these notes"
    assert own.metadata["experience"]["n_labelled"] == 2 * len(texts)


def test_a_few_experience_labels_are_learned_beside_other_notes_not_alone(notes):
    """A lead judged three notes (one negative, two positive) and retrained: the model
    learned from those three alone, read every note positive or negative, and a note
    about suicidal thoughts positive (blind audit, own codebook)."""
    texts, labels, _, experience = notes
    extra = ExperienceExtra([f"Second visit. {t}" for t in texts], experience, "other notes")
    few = [None] * len(texts)
    kinds = sorted({e for e in experience if e is not None})
    judged = [i for i, e in enumerate(experience) if e == kinds[0]][:1] + [
        i for i, e in enumerate(experience) if e == kinds[-1]][:2]
    for i in judged:
        few[i] = experience[i]
    model = TagModel.fit(texts, labels, label_names=LABELS, backend_params={"cv": 3},
                         experience=few, experience_extra=extra)
    info = model.metadata["experience"]
    assert info["n_own"] == 3 and info["learned_from"] == "other notes and 3 of these notes"
    assert set(info["classifier"]["classes"]) == set(experience) - {None}
    shown = [t.experience for t in model.tag(texts)]
    assert np.mean([a == b for a, b in zip(shown, experience, strict=True)]) > 0.5


def test_unknown_labels_are_dropped_and_recorded(notes):
    texts, labels, _, _ = notes
    noisy = [row + (["typo-label"] if i % 10 == 0 else []) for i, row in enumerate(labels)]
    model = TagModel.fit(texts, noisy, label_names=LABELS, backend_params={"cv": 3})
    assert model.labels == LABELS
    assert model.metadata["unknown_labels_dropped"] == {"typo-label": 9}


def test_metadata_names_data_codebook_and_version(model, notes):
    meta = model.metadata
    assert meta["backend"] == "sklearn" and model.backend == "sklearn"
    assert meta["codebook"]["version"] == "test-1" and model.codebook_version == "test-1"
    assert len(meta["training_data_sha256"]) == 64
    assert meta["n_train"] == len(notes[0])
    assert len(model.model_version) == 12
    again = TagModel.fit(
        *notes[:2],
        label_names=LABELS,
        safeguarding=notes[2],
        experience=notes[3],
        codebook_version="test-1",
        backend_params={"cv": 3},
        seed=1,
    )
    assert again.model_version == model.model_version
    other = TagModel.fit(
        notes[0][:-1], notes[1][:-1], label_names=LABELS, backend_params={"cv": 3}, seed=1
    )
    assert other.model_version != model.model_version


def test_save_and_load_give_identical_tags_and_a_model_card(model, notes, tmp_path):
    model.save(tmp_path / "m")
    assert {"model.json", "MODEL_CARD.md"} <= {p.name for p in (tmp_path / "m").iterdir()}
    card = (tmp_path / "m" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert model.model_version in card and model.metadata["training_data_sha256"] in card
    assert "every category had 30 training examples or more." in card and " (few) |" not in card
    chosen = model.estimator.chosen_settings()
    assert f"settings used: `{{\"C\": {chosen['C']}, \"sentence_weight\": " in card
    loaded = TagModel.load(tmp_path / "m")
    assert loaded.labels == model.labels and loaded.model_version == model.model_version
    assert loaded.tag(notes[0][:15]) == model.tag(notes[0][:15])


def test_a_category_learnt_from_few_examples_is_named_in_the_model_and_its_card(
        notes, tmp_path):
    """A category added to a codebook and labelled on a handful of notes can be tagged at a
    confidence those few notes do not support: the model names the categories it learnt
    from fewer than `FEW_TO_TRUST` examples, read from model.json alone, and its card marks
    them; the categories with dozens of examples are not named."""
    texts, labels, _, _ = notes
    few = [i for i, text in enumerate(texts) if "food bank" in text][:6]
    assert len(few) == 6
    relabelled = [row + (["food"] if i in few else []) for i, row in enumerate(labels)]
    model = TagModel.fit(texts, relabelled, label_names=[*LABELS, "food"],
                         backend_params={"cv": 3}, seed=1)
    counts = model.metadata["label_counts"]
    assert counts["food"] == 6 and min(counts[label] for label in LABELS) >= FEW_TO_TRUST
    assert learnt_from_few(model.metadata) == {"food": 6}
    model.save(tmp_path / "m")
    doc = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    assert learnt_from_few(doc["metadata"]) == {"food": 6}
    card = (tmp_path / "m" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "| food | 6 (few) |" in card
    assert all(f"| {label} | {counts[label]} |" in card for label in LABELS)
    limits = " ".join(card.split("## Limits")[1].split())
    assert f"Trained on {len(texts)} notes; 1 category learnt from fewer than 30 examples: " \
        "food (6)." in limits


def test_load_gives_clear_errors(tmp_path, model):
    with pytest.raises(ModelFormatError, match="no model.json"):
        TagModel.load(tmp_path)
    with pytest.raises(ModelFormatError, match="no such folder"):
        TagModel.load(tmp_path / "missing")
    model.save(tmp_path / "m")
    with pytest.raises(ModelFormatError, match="give the model's folder, .*m, not its model"):
        TagModel.load(tmp_path / "m" / "model.json")
    doc = json.loads((tmp_path / "m" / "model.json").read_text())
    doc["format_version"] = 99
    (tmp_path / "m" / "model.json").write_text(json.dumps(doc))
    with pytest.raises(ModelFormatError, match="format 99"):
        TagModel.load(tmp_path / "m")


def test_default_model_loads_from_its_cache(model, tmp_path):
    from insight.classify.default import corpus_hash, default_model

    target = default_cache_dir(tmp_path) / f"default-{corpus_hash()}"
    model.save(target)
    loaded = default_model(cache_dir=tmp_path)
    assert loaded.model_version == model.model_version


def test_tag_in_two_processes_matches_one(model, notes):
    texts = notes[0] * 3
    assert model.tag(texts, batch_size=50, n_process=2) == model.tag(texts, batch_size=50)


@pytest.mark.parametrize("backend", ["spacy", "ensemble"])
def test_other_backends_tag_with_evidence_too(notes, backend):
    texts, labels, _, _ = notes
    params = (
        {"max_epochs": 6}
        if backend == "spacy"
        else {"sklearn_params": {"cv": 3}, "spacy_params": {"max_epochs": 6}}
    )
    model = TagModel.fit(texts, labels, label_names=LABELS, backend=backend, backend_params=params)
    tags = model.tag(texts[:10])
    P = model.predict_proba(texts[:10])
    for text, tag, row in zip(texts[:10], tags, P, strict=True):
        assert set(tag.evidence) == set(tag.categories)
        assert all(sentence and sentence in text for sentence in tag.evidence.values())
        assert [tag.scores[lab] for lab in LABELS] == [round(float(p), 4) for p in row]
    # a blank row among real ones (common in exports) tags as nothing, not a crash
    mixed = model.tag([texts[0], "", "   ", texts[1]])
    assert mixed[1].categories == [] and mixed[2].categories == []
    assert mixed[0] == tags[0]
