"""The vectorised sentence rules must agree with the spaCy pipeline's components."""

from __future__ import annotations

import json
import re
import textwrap

import pytest

from insight.classify.sentences import (
    SentenceSplitter,
    SplitNotes,
    sentence_pipeline,
    without_stray_quote,
)
from insight.resources import corpora_dir

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
#: Notes laid out in lines: lists, paragraphs, hard wraps, Windows line ends, odd spacing.
LINES = [
    "Met J at the cafe.\n- waited 9 months for talking therapy\n- GP keeps changing\n- food bank",
    "Visit notes\n* housing\n* money \n\t* sleep",
    "1. waited 9 months\n2. GP keeps changing\n3. food bank twice",
    "Plan:\n1) ring GP\n2) food bank\n(a) voucher\n(b) bus fare\na) one\nb) two",
    "\u2022 waited\n\u2022rang twice\n\u00b7 dot\n\u2013 en\n\u2014 em\n\u25aa square\n> quoted",
    "First paragraph with no stop\n\nSecond one\n\n\nthird, lower case",
    "she said the waiting list\nwas 18 months and nobody\nrang her back",
    "Spoke to\nSarah about the\nNHS and then\nMonday came. Referred to Talking\nTherapies",
    "Met J at cafe\nWaited 9 months for therapy\nMoney tight\nI said I would ring",
    "line one\r\n- two\r\n\r\nThree\r\nfour",
    "\n\n  - opens with blank lines\n- b\n",
    "   \n",
    "x\n1.\n2. foo",
    "been on the list since Year\n9. Now he's nearly 18",
    "nobody wants to touch it\n- 'they say it is the GIC's job'\nand so it goes on",
    "Notes:\n- one lone dash after a colon",
    "Ends.\n1. (see above) money\n2. \"quoted\" item\n3.  two spaces",
]


@pytest.fixture(scope="module")
def nlp():
    return sentence_pipeline()


@pytest.mark.parametrize("text", ODD + LINES + make_notes(20)[0])
def test_same_sentence_starts_as_the_spacy_pipeline(nlp, text):
    splitter = SentenceSplitter(nlp)
    expected = [sent.start_char for sent in nlp(text).sents]
    assert splitter.starts(nlp.make_doc(text)) == expected


@pytest.mark.parametrize("text", ODD + LINES)
def test_segments_cover_the_note_and_cut_only_at_whitespace(nlp, text):
    splitter = SentenceSplitter(nlp)
    pieces = splitter.segments(text, nlp.make_doc(text))
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    for (_, end), (start, _) in zip(pieces, pieces[1:], strict=False):
        # at whitespace: after it, or before it where a line break opens the next piece
        assert end == start and (text[start - 1].isspace() or text[start].isspace())


def test_a_batch_gives_the_same_starts_as_one_doc_at_a_time(nlp):
    splitter = SentenceSplitter(nlp)
    docs = [nlp.make_doc(text) for text in ODD + LINES + [". Starts with a stop", "...", "x"]]
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


def corpus_notes() -> list[str]:
    path = corpora_dir() / "notes" / "community-notes.jsonl"
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]


def test_agrees_with_the_pipeline_on_the_corpus_as_lists_and_hard_wrapped(nlp) -> None:
    """The shipped notes have no line breaks; laid out as lists and wrapped at a width,
    they exercise every line rule on real wording."""
    notes = corpus_notes()[:300]
    variants = (
        notes
        + [re.sub(r"(?<=[.!?]) ", "\n- ", t) for t in notes[:100]]  # a list of sentences
        + [re.sub(r"[.!?] ", "\n", t) for t in notes[100:200]]  # a point a line, no stops
        + [textwrap.fill(t, 40) for t in notes[200:]]
    )
    splitter = SentenceSplitter(nlp)
    got = splitter.starts_many([nlp.make_doc(t) for t in variants], variants)
    assert got == [[sent.start_char for sent in doc.sents] for doc in nlp.pipe(variants)]


def pieces(text: str) -> list[str]:
    return [text[a:b].strip() for a, b in SplitNotes([text]).spans[0]]


def test_each_bullet_is_a_sentence() -> None:
    text = (
        "Met J at the cafe.\n- waited 9 months for talking therapy, still nothing\n"
        "- GP keeps changing so has to tell story again\n- money tight, food bank twice"
    )
    assert pieces(text) == [
        "Met J at the cafe.",
        "- waited 9 months for talking therapy, still nothing",
        "- GP keeps changing so has to tell story again",
        "- money tight, food bank twice",
    ]
    for bullet in "*\u2022\u00b7\u2013\u2014\u25aa>":
        text = f"Visit notes\n{bullet} waited 9 months\n  {bullet} money tight"
        assert pieces(text) == ["Visit notes", f"{bullet} waited 9 months", f"{bullet} money tight"]


def test_a_bullet_item_wrapped_onto_a_second_line_stays_whole() -> None:
    text = "- waited 9 months for talking\ntherapy, still nothing\n- money tight"
    assert pieces(text) == ["- waited 9 months for talking\ntherapy, still nothing",
                            "- money tight"]


def test_numbered_and_lettered_lists_keep_the_number_with_its_item() -> None:
    assert pieces("1. waited 9 months\n2. GP keeps changing\n10. food bank twice") == [
        "1. waited 9 months", "2. GP keeps changing", "10. food bank twice"
    ]
    assert pieces("Plan:\n1) ring GP\n2) food bank") == ["Plan:", "1) ring GP", "2) food bank"]
    assert pieces("Asked about\n(a) housing\n(b) money\n(iv) sleep") == [
        "Asked about", "(a) housing", "(b) money", "(iv) sleep"
    ]
    assert pieces("Said:\na) no one rang\nb) letter lost") == [
        "Said:", "a) no one rang", "b) letter lost"
    ]
    # one numbered line after a sentence or a colon is a list's too
    assert pieces("Rang twice.\n1. Waited 9 months") == ["Rang twice.", "1. Waited 9 months"]


def test_blank_lines_start_a_paragraph() -> None:
    text = "talked about the wait\n\nmum is exhausted and nobody asks\n  \n\nfood bank again"
    assert pieces(text) == [
        "talked about the wait", "mum is exhausted and nobody asks", "food bank again"
    ]


def test_a_capitalised_line_after_a_complete_one_is_a_new_point() -> None:
    text = "Met J at cafe\nWaited 9 months for therapy\nMoney tight, food bank twice"
    assert pieces(text) == [
        "Met J at cafe", "Waited 9 months for therapy", "Money tight, food bank twice"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "she said the waiting list\nwas 18 months and nobody\nrang her back",
        "then she spoke to\nSarah about it",  # a name after a word that goes on
        "he was referred to Talking\nTherapies last year",  # a name across the wrap
        "the crisis cafe is only open\nThursday to Sunday",  # a day after a verb
        "after seeing the GP\nI felt a bit better",  # "I" mid-sentence
        "we both rang the\nNHS helpline",
        "she sees him on a Tuesday,\nSaturday if she can",
        "nobody in the team wants to touch it\n- 'not our job' - and so it goes on",
    ],
)
def test_hard_wrapped_lines_stay_one_sentence(text) -> None:
    assert pieces(text) == [text]


def test_a_number_wrapped_to_the_start_of_a_line_is_no_list() -> None:
    text = "on the list for an assessment since Year\n9. Now he is nearly 18"
    assert pieces(text) == ["on the list for an assessment since Year\n9.", "Now he is nearly 18"]


def test_hard_wrapped_corpus_notes_cut_where_the_unwrapped_ones_do() -> None:
    """Wrapping notes at a width cuts hardly any sentence in two: the few are lines opening
    with a name or a language after a verb ("speaks\nUrdu")."""
    notes = corpus_notes()[:400]
    nlp = sentence_pipeline()
    splitter = SentenceSplitter(nlp)

    def cuts(text: str) -> dict[int, str]:
        """The note's cuts, by the count of non-space characters before each: the text before."""
        spans = splitter.segments(text, nlp.make_doc(text))[1:]
        return {len(re.sub(r"\s", "", text[:a])): text[:a].rstrip() for a, _ in spans}

    breaks = mid_sentence = 0
    for note in notes:
        wrapped = textwrap.fill(note, 50, break_on_hyphens=False)
        breaks += wrapped.count("\n")
        unwrapped = cuts(note)
        for at, before in cuts(wrapped).items():
            # a wrap after a full stop the note cut mid-word (".'They") is a sentence start
            if at not in unwrapped and not re.search(r"[.!?][\'\"]?$", before):
                mid_sentence += 1
    assert breaks > 1000 and mid_sentence / breaks < 0.005, (mid_sentence, breaks)


def test_windows_line_ends_cut_as_unix_ones_do() -> None:
    text = "Visit notes\n- waited 9 months\n- money tight\n\nnext para\nStill going\nAnd on"
    windows = text.replace("\n", "\r\n")
    assert pieces(windows) == pieces(text)
    assert len(pieces(text)) == 6


@pytest.mark.parametrize(("sentence", "shown"), [
    # a quotation running on past the sentence: its lone mark goes
    ("'Waited nine months for counselling.", "Waited nine months for counselling."),
    ("Citizens Advice are helping with the forms.'", "Citizens Advice are helping with the forms."),
    ("“Nobody rang me back.", "Nobody rang me back."),
    # a quotation that opens and closes inside the sentence is kept whole
    ("'I was fine,' she said.", "'I was fine,' she said."),
    ('"Nobody rang."', '"Nobody rang."'),
    ("He said 'no'.", "He said 'no'."),
    ("Don’t ask.", "Don’t ask."),  # an apostrophe is no quote mark
])
def test_evidence_loses_a_stray_quote_mark_and_stays_a_substring(sentence: str,
                                                                 shown: str) -> None:
    assert without_stray_quote(sentence) == shown
    assert shown in sentence


#: Sentences a web form joined with HTML spaces, not spaces (Care Opinion exports do)
HTML_SPACED = [
    "The staff were lovely.&nbsp;But I waited eight months for therapy.&nbsp;My GP upped "
    "the tablets.",
    "Rang twice!&#160;Nobody came back?&nbsp;&nbsp;So I gave up.&ensp;",
    "Fish&amp;chips after.&nbsp;R&D said no&nbsp;thanks.",
]


@pytest.mark.parametrize("text", HTML_SPACED)
def test_an_html_space_after_a_full_stop_ends_a_sentence(nlp, text) -> None:
    """Blind audit: "lovely.&nbsp;But I waited" was one word to the tokenizer, so the note
    was one sentence, its evidence the whole note, and the model missed what it said."""
    from insight.classify.sentences import trimmed

    splitter = SentenceSplitter(nlp)
    assert splitter.starts(nlp.make_doc(text)) == [s.start_char for s in nlp(text).sents]
    shown = [trimmed(text[a:b]) for a, b in splitter.segments(text, nlp.make_doc(text))]
    assert len(shown) == text.count(".&") + text.count("!&") + text.count("?&") + 1 - (
        1 if text.endswith(";") else 0)
    for sentence in shown:
        assert sentence in text and sentence == sentence.strip()
        assert not re.search(r"^&\w+;|&#?\w+;$", sentence)  # no HTML space at either end
    if text.startswith("Fish"):  # an entity that is no space, or one mid-sentence: no cut
        assert shown == ["Fish&amp;chips after.", "R&D said no&nbsp;thanks."]
