"""The reviewed safeguarding phrase list: clear cases caught, known false alarms not."""

from __future__ import annotations

import pytest

from insight.classify.safeguarding import SafeguardingPhrases
from insight.classify.sentences import sentence_pipeline


@pytest.fixture(scope="module")
def phrases():
    nlp = sentence_pipeline()
    matcher = SafeguardingPhrases(nlp)
    return lambda text: [hit.signal for hit in matcher.hits(nlp(text))]


@pytest.mark.parametrize(
    ("note", "signal"),
    [
        ("Said he'd been thinking it'd be easier if he just wasn't here.", "suicidal-thoughts"),
        ("She is feeling SUICIDAL again this week.", "suicidal-thoughts"),
        ("Cuts again, showed me her arm.", "self-harm"),
        ("Told me she's been self-harming since Christmas.", "self-harm"),
        ("Says he has the tablets saved up in a drawer.", "means-and-preparation"),
        ("Partner checks her phone and won't let her go out.", "coercive-control"),
        ("Kid of 9 left alone overnight while mum works.", "child-at-risk"),
        ("He took an overdose on Sunday.", "overdose"),
    ],
)
def test_clear_cases_are_caught(phrases, note, signal):
    assert signal in phrases(note)


@pytest.mark.parametrize(
    "note",
    [
        "She went on the suicide prevention training at work and said it was good.",
        "Our group ran a self-harm awareness session for parents.",
        "He volunteers for a domestic abuse charity on Saturdays.",
        "I was ready to go home after the group.",
        "Talked mostly about her allotment and the football.",
    ],
)
def test_known_false_alarms_are_not_flagged(phrases, note):
    assert phrases(note) == []
