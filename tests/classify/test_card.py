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
        "benefits": {"precision": 0.9, "recall": 0.6, "f1": 0.72, "support": 9},
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
    assert "| benefits | 0.900 | 0.600 | 0.720 | 9 |" in card_of(tested)
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
