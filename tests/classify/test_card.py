"""MODEL_CARD.md: what the card says of how a model was scored."""

from __future__ import annotations

from insight.classify.card import render_card, scoring_scope

METRICS = {
    "data": "t3.csv",
    "n_notes": 40,
    "micro_f1": 0.71,
    "macro_f1": 0.75,
    "labels_without_examples": ["crisis"],
    "labels_not_scored": ["digital", "money"],
    "per_label": {
        "housing": {"precision": 0.8, "recall": 0.7, "f1": 0.7467, "support": 12},
        "benefits": {"precision": 0.9, "recall": 0.6, "f1": 0.72, "support": 19},
        "crisis": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0},
    },
}


def card_of(metrics: dict) -> str:
    return render_card({"model_version": "m1", "metadata": {"metrics": metrics}})


def test_the_card_says_which_categories_were_scored_and_which_were_not_tested() -> None:
    card = card_of(METRICS)
    assert ("Scored 3 of the model's 5 categories: the data codes only these (not scored: "
            "digital, money).") in card
    assert ("Micro-F1 counts the tags in the 3 categories scored; macro-F1 averages the 2 "
            "with examples here; not tested (no examples): crisis.") in card
    assert "| housing | 0.800 | 0.700 | 0.747 | 12 |" in card
    # no examples: no score, not "0.000"
    assert "| crisis | | | not tested (no examples) | 0 |" in card
    assert "| digital | | | not scored (not coded in the data) | |" in card
    assert "| crisis | 0.000" not in card


def test_data_coding_every_category_with_examples_needs_no_explaining() -> None:
    tested = {**METRICS, "labels_not_scored": [], "labels_without_examples": [],
              "per_label": {k: v for k, v in METRICS["per_label"].items() if v["support"]}}
    assert scoring_scope(tested) == []
    assert "| benefits | 0.900 | 0.600 | 0.720 | 19 |" in card_of(tested)
    # metrics written before categories could go unscored still read
    older = {k: v for k, v in METRICS.items() if k != "labels_not_scored"}
    assert scoring_scope(older) == [
        "micro-F1 counts the tags in the 3 categories scored; macro-F1 averages the 2 with "
        "examples here; not tested (no examples): crisis"
    ]


def test_a_model_without_a_codebook_and_a_spacy_model_are_described_as_they_are() -> None:
    own = render_card({"model_version": "m2", "metadata": {
        "codebook": {"id": None, "version": None},
        "parameters": {"C": [1.0, 10.0], "seed": 0}, "settings": {"C": 1.0},
        "training_data": {"file": "t.csv", "rows": 9, "rows_used": 9, "min_count": 1,
                          "unknown": {}}}})
    assert "| codebook | none: the categories are the training data's own labels |" in own
    assert "version ?" not in own and "Labels not in the codebook" not in own
    assert "categories learned from its training data's labels" in own
    assert "tuned on out-of-fold training predictions" in own
    assert 'Parameters: `{"C": [1.0, 10.0], "seed": 0}`;' in own
    spacy = render_card({"model_version": "m3", "metadata": {
        "codebook": {"id": "enquiry", "version": None},
        "parameters": {"max_epochs": None, "dropout": None, "seed": 0},
        "settings": {"epochs": 6, "max_epochs": 12, "dropout": 0.3, "holdout": 0.2}}})
    assert "| codebook | enquiry (no version given) |" in spacy
    assert "null" not in spacy
    assert ('Parameters: `{"seed": 0}` (max_epochs, dropout: from its config, in the '
            "settings used)") in spacy
    assert "tuned on a held-out part of the training notes" in spacy


def test_the_card_says_in_words_what_its_numbers_mean() -> None:
    """A user could not read "calibration error 0.014 (0.044 over the tags given)", nor a
    category "tagged from confidence 0.09", and took an F1 from 5 examples at its word."""
    from insight.classify.calibration import Calibration
    from insight.classify.card import confidence_said

    metrics = {
        **METRICS, "labels_not_scored": [], "labels_without_examples": [],
        "tag_calibration_error": 0.044,
        "per_label": {**METRICS["per_label"],
                      "medication": {"precision": 0.5, "recall": 0.4, "f1": 0.444, "support": 5}},
        # of the tags given: 136 at 0.6 to 0.8, 88 of them right; 4 at 0.8 or more
        "confidence_bands": [
            {"from": 0.2, "to": 0.4, "tags": 30, "right": 9, "mean_confidence": 0.31},
            {"from": 0.6, "to": 0.8, "tags": 136, "right": 88, "mean_confidence": 0.69},
            {"from": 0.8, "to": 1.0, "tags": 4, "right": 4, "mean_confidence": 0.86}],
    }
    said = confidence_said(metrics)
    assert said == (
        "what the confidence means on this data: tags given at a confidence of 0.6 to 0.8 "
        "(0.69 on average) were right about 6 times in 10 (88 of 136 tags); over all its "
        "tags, the confidence shown was on average 0.04 away from how often tags like it "
        "were right (the calibration error; 0 would be exact)")
    # too few tags around 0.7 to say: the band with the most tags is said instead
    fewer = {**metrics, "confidence_bands": [metrics["confidence_bands"][0],
                                             {**metrics["confidence_bands"][1], "tags": 6}]}
    assert "confidence of 0.2 to 0.4 (0.31 on average) were right about 3 times in 10 (9 of " \
        "30 tags)" in confidence_said(fewer)
    assert confidence_said({**metrics, "confidence_bands": []}) is None  # no tag given
    card = " ".join(render_card({"model_version": "m1", "metadata": {
        "labels": ["feeling-safe", "housing"], "thresholds": [0.09, 0.4],
        "calibration": Calibration.identity(2).to_json(), "metrics": metrics}}).split())
    assert f"{said[0].upper()}{said[1:]}." in card
    assert "| medication | 0.500 | 0.400 | 0.444 (too few to judge) | 5 |" in card
    assert "| housing | 0.800 | 0.700 | 0.747 | 12 |" in card  # 12 examples: judged
    assert ("Too few examples here to judge (under 10): medication (5); their figures are "
            "shown, but one note more or less moves them a lot.") in card
    # the threshold on the confidence scale, in a sentence, with the lowest as example
    assert ('"Tagged from confidence" is that threshold on the confidence scale: the model '
            "tags a note with the category once its confidence reaches it.") in card
    assert "(feeling-safe is tagged from 0.09: a tag there is right about 1 time in 10)" in card
