"""The vectorised sentence rule must agree with spaCy's sentencizer component."""

from __future__ import annotations

import pytest

from insight.classify.sentences import SentenceSplitter, SplitNotes, sentence_pipeline

from .conftest import make_notes

ODD = [
    "",
    "   ",
    "No punctuation at all",
    "Wait... what?! He said 'no.' Then left.",
    "end.  Two spaces. \n\nNew para!",
    "Dr. Ahmed was lovely. (Really.) OK",
    "ok.Then no space.",
    "??? !!! . . .",
    'She said: "I rang them 6 times." Nobody came.',
    "Ends with a stop.",
    "Rang back re. PIP form. Approx. 12 people there.",
]


@pytest.fixture(scope="module")
def nlp():
    return sentence_pipeline()


@pytest.mark.parametrize("text", ODD + make_notes(20)[0])
def test_same_sentence_starts_as_the_spacy_sentencizer(nlp, text):
    splitter = SentenceSplitter(nlp)
    expected = [sent.start_char for sent in nlp(text).sents]
    assert splitter.starts(nlp.make_doc(text)) == expected


@pytest.mark.parametrize("text", ODD)
def test_segments_cover_the_note_and_cut_only_at_whitespace(nlp, text):
    splitter = SentenceSplitter(nlp)
    pieces = splitter.segments(text, nlp.make_doc(text))
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    for (_, end), (start, _) in zip(pieces, pieces[1:], strict=False):
        assert end == start and text[start - 1].isspace()


def test_a_batch_gives_the_same_starts_as_one_doc_at_a_time(nlp):
    splitter = SentenceSplitter(nlp)
    docs = [nlp.make_doc(text) for text in ODD + [". Starts with a stop", "...", "x"]]
    assert splitter.starts_many(docs) == [splitter.starts(doc) for doc in docs]
    assert splitter.starts_many(docs) == [[s.start_char for s in nlp(d.text).sents] for d in docs]


def test_a_line_break_after_a_full_stop_starts_a_sentence() -> None:
    """Notes pasted from forms break lines after sentences; each line is its own piece
    (the sentencizer starts the sentence at the line break itself)."""
    for gap in ("\n", "\r\n", "\n\n", "\r\n\r\n"):
        text = f"No care package in place.{gap}I am absolutely exhausted."
        split = SplitNotes([text])
        pieces = [text[a:b].strip() for a, b in split.spans[0]]
        assert pieces == ["No care package in place.", "I am absolutely exhausted."], gap


def test_abbreviations_listeners_use_mid_sentence_do_not_end_one(nlp) -> None:
    text = "Rang back re. PIP form, no joy. Approx. 12 came, incl. two carers. Tel. given."
    assert [sent.text for sent in nlp(text).sents] == [
        "Rang back re. PIP form, no joy.", "Approx. 12 came, incl. two carers.", "Tel. given."
    ]
