"""Splitting notes into sentences for evidence: spaCy's tokenizer and sentencizer rule,
plus the note's line structure.

`sentence_pipeline()` is a blank English pipeline with spaCy's rule-based `sentencizer`, and
before it `note_lines`, a component that presets sentence starts from the note's lines (see
`line_marks`: bullets, list numbers, blank lines, a new capitalised point on its own line);
the sentencizer keeps those and decides every other token. For bulk tagging,
`SentenceSplitter` applies the very same rules (a sentence starts at the first
non-punctuation token after one of the sentencizer's `punct_chars`, unless `line_marks` says
otherwise) to the token arrays of a tokenized Doc, instead of walking Token objects in
Python; tests check it agrees with the pipeline on the shipped corpus and on line-broken notes.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import spacy
from spacy.attrs import IDX, IS_PUNCT, ORTH
from spacy.language import Language
from spacy.tokens import Doc

#: Abbreviations listeners write mid-sentence that spaCy's English tokenizer splits at the
#: full stop, ending a sentence there ("Rang back re. PIP form", "approx. 12 people").
#: Only ones that hardly ever end a sentence (not "appt.", "mins."); none is in the corpus.
NOTE_ABBREVIATIONS = ("re.", "approx.", "tel.", "incl.", "esp.", "wrt.", "ref.", "dept.")


#: A space written as an HTML character reference, as web forms and their exports leave
#: it ("lovely.&nbsp;But I waited"): the tokenizer reads "lovely.&nbsp;But" as one word,
#: so a note of such sentences was one sentence, its evidence the whole note.
HTML_SPACE = r"&(?:nbsp|ensp|emsp|thinsp|#160|#[xX][aA]0);"


def sentence_pipeline() -> Language:
    """Blank English tokenizer + rule-based sentencizer: no downloads, fast, deterministic."""
    from spacy.util import compile_infix_regex

    nlp = spacy.blank("en")
    for abbreviation in NOTE_ABBREVIATIONS:
        for form in (abbreviation, abbreviation.capitalize(), abbreviation.upper()):
            nlp.tokenizer.add_special_case(form, [{ORTH: form}])
    # an HTML space splits words as a space does, and ends a sentence with the punctuation
    # before it (read as punctuation, it is never a sentence's first word)
    nlp.tokenizer.infix_finditer = compile_infix_regex(
        [rf"[.!?…](?={HTML_SPACE})", HTML_SPACE, *nlp.Defaults.infixes]).finditer
    for form in ("&nbsp;", "&ensp;", "&emsp;", "&thinsp;", "&#160;", "&#xa0;", "&#xA0;",
                 "&#Xa0;", "&#XA0;"):
        nlp.vocab[form].is_punct = True
    nlp.add_pipe("note_lines")  # presets starts from the lines; the sentencizer keeps them
    nlp.add_pipe("sentencizer")
    return nlp


# -- line structure --------------------------------------------------------------------
# Notes typed as lists or one point per line often have no full stops, so the sentencizer
# alone reads a whole list as one sentence. A line break starts a sentence when the note's
# layout says a new point begins there; it does not at every line break, because notes pasted
# from email or typed with hard wraps break lines mid-sentence ("the waiting list\nwas 18
# months"). Where in doubt lines stay joined: a sentence shown whole with its neighbour is
# still the evidence, one cut in half is not.

#: Whitespace around at least one line break, between two non-space characters (possessive
#: and anchored at the run's start, so a long run of spaces costs linear time, not square).
_LINE_BREAK = re.compile(r"(?<!\s)[^\S\n]*+\n\s*+(?=\S)")
#: Bullet characters: only a list item opens a line with one.
_BULLET = re.compile(r"[\u2022\u2023\u00b7\u25aa\u25a0\u25cf\u25e6]")
#: Markers that also open hard-wrapped lines of prose: a dash, "*" or ">" (repeated, like
#: "--" or "->"; followed by a space or a letter: "-waited", not "-5 degrees"), and a number
#: or letter closed by a full stop or bracket, followed by a space ("1.", "2)", "(a)", "(iv)",
#: "b)"; but also "since Year\n9. Now he's 18", "her granddaughter\n(13) in the week").
_MARKER = re.compile(
    r"[-*\u2013\u2014>]++(?=\s|[^\W\d_])"
    r"|(?:\d{1,2}[.)]|\((?:\d{1,2}|[A-Za-z]|[ivxIVX]{1,4})\)|[A-Za-z]\))(?=\s)"
)
#: A list number with a full stop, up to its item's first letter or digit on the same line.
_NUMBERED = re.compile(r"\d{1,2}\.[^\S\n]++[^\w\n]*+(?=\w)")
#: Line endings after which a list opens (or the sentencizer has cut anyway).
_LIST_OPENS = frozenset(".!?:")
#: A line ending in one of these goes on in the next line, whatever its case ("spoke to his
#: GP,\nDr Shah", "well-\nbeing", "(and\nHarry)").
_GOES_ON = frozenset(",-\u2013\u2014(/&+[")
#: Words that hardly ever end a sentence, and are the ones before a hard wrap in front of a
#: name or "Monday" ("referred to\nMind", "went with\nSarah", "Dr\nShah", "said\nMum"):
#: articles and possessives, prepositions, conjunctions, auxiliaries, titles, and the
#: verbs listeners write before a person or service.
CONTINUING_WORDS = frozenset(
    """a an the this that these those my your his her its our their some any no every each
    another either neither both all such what which whose whom who where when whenever while
    whilst if unless whether because although though than as once and or but nor so yet then
    about above across after against along among around at before behind below beside
    besides between beyond by despite down during except for from in inside into like near
    of off on onto out outside over past per since through throughout till to toward towards
    under until up upon via with within without am is are was were be been being has have
    had do does did will would shall should can could may might must not said says told
    tell asked ask saw see seen met meet called call rang ring phoned phone emailed email
    texted text contacted contact visited visit named thanked referred dr mr mrs ms miss mx
    prof rev sir st dear last next""".split()
)
_LAST_WORD = re.compile(r"\w+$")
#: Capitalised words that open hard-wrapped lines far more often than new points: days and
#: months follow a verb ("comes back\nThursday", "open\nMonday to Friday").
NOT_OPENING = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april
    june july august september october november december""".split()
)
_FIRST_WORD = re.compile(r"\w+")


def _capitalised(text: str, at: int) -> bool:
    """A line opening with a capitalised word ("Waited", "Money"; not "I", "GP" or "NHS":
    "I", initials and acronyms open hard-wrapped lines mid-sentence too often; nor a day
    or month, `NOT_OPENING`)."""
    if not (text[at].isupper() and at + 1 < len(text) and text[at + 1].islower()):
        return False
    word = _FIRST_WORD.match(text, at)
    return word is None or word.group().lower().rstrip("s") not in NOT_OPENING


def _goes_on(text: str, end: int) -> bool:
    """Whether the line ending at `end` (a non-space character before it) runs on into the
    next: it ends in `_GOES_ON`, in one of `CONTINUING_WORDS`, or in a capitalised word,
    which with a capitalised next line is most often one name ("Talking\nTherapies",
    "Greater\nManchester", "Jim\nReeves")."""
    if text[end - 1] in _GOES_ON:
        return True
    found = _LAST_WORD.search(text, max(0, end - 40), end)
    if found is None:
        return False
    word = found.group()
    return word.lower() in CONTINUING_WORDS or (word[0].isupper() and not word.isupper())


def _list_item(marker: re.Match[str] | None, before: str, kinds: Counter[str]) -> bool:
    """Whether a line opening with `marker` (a `_BULLET` or `_MARKER` match) is a list item;
    `before` is the last non-space character of the line before ("" for the first line),
    `kinds` counts the note's lines by the kind of their `_MARKER`."""
    if marker is None:
        return False
    if marker.re is _BULLET:
        return True
    # a list's when the note has another line like it ("1." and "2.", "(a)" and "(b)"), or
    # the line before opens a list or ends a sentence; a lone one is most often prose
    return kinds[_kind(marker.group())] > 1 or before in _LIST_OPENS


@lru_cache(maxsize=256)
def _kind(marker: str) -> str:
    """"-" and "->" are kinds of their own; "1." and "12." are one, "(a)" and "(iv)" another."""
    return re.sub(r"\w+", "0", marker)


def line_marks(text: str, idx: Sequence[int]) -> tuple[list[int], list[int]]:
    """The sentence starts a note's lines make, as token indices: (starts, not starts).

    `idx` are the tokens' character offsets (a Doc's IDX array). A line starts a sentence when
    it follows a blank line, is a list item (`_list_item`), or opens with a capitalised word
    (`_capitalised`) after a line that does not run on (`_goes_on`); a line after a full stop
    needs none of these, the sentencizer starts it anyway. Any other line goes on with the
    sentence before it. Such a sentence starts at the whitespace token holding the line
    break, as the sentencizer's does after a full stop, so a note still cuts into pieces at
    whitespace. Not starts: in a numbered item, the tokens after the number's full stop up to
    the item's first word ("1. Waited 9 months" is one sentence). This is the one definition
    of the rule: `note_lines` and `SentenceSplitter` both apply it.
    """
    starts: list[int] = []
    not_starts: list[int] = []
    if "\n" not in text or not text.strip():
        return starts, not_starts
    # (where the line starts, the whitespace before it or None for the note's first line)
    lines: list[tuple[int, re.Match[str] | None]] = [(len(text) - len(text.lstrip()), None)]
    lines += [(brk.end(), brk) for brk in _LINE_BREAK.finditer(text) if brk.start()]
    markers = [_BULLET.match(text, line) or _MARKER.match(text, line) for line, _ in lines]
    kinds = Counter(_kind(m.group()) for m in markers if m is not None and m.re is _MARKER)
    for (line, brk), marker in zip(lines, markers, strict=True):
        item = _list_item(marker, text[brk.start() - 1] if brk else "", kinds)
        if item and (numbered := _NUMBERED.match(text, line)):
            not_starts.extend(
                range(bisect_right(idx, line), bisect_right(idx, numbered.end()))
            )
        if brk is None or not (
            item
            or brk.group().count("\n") > 1
            or (_capitalised(text, line) and not _goes_on(text, brk.start()))
        ):
            continue
        token = bisect_left(idx, line)
        if token < len(idx) and idx[token] == line:  # always, with spaCy's tokenizer
            space = token - 1  # the whitespace token with the line break
            starts.append(space if space >= 0 and text[idx[space]].isspace() else token)
    return starts, not_starts


@Language.component("note_lines")
def note_lines(doc: Doc) -> Doc:
    """Preset the sentence starts `line_marks` finds, for the sentencizer after it to keep."""
    starts, not_starts = line_marks(doc.text, doc.to_array(IDX).tolist())
    for i in not_starts:
        doc[i].is_sent_start = False
    for i in starts:  # a start wins where both fall on one token
        doc[i].is_sent_start = True
    return doc


class SentenceSplitter:
    """The pipeline's sentence rules, vectorised over a Doc's token arrays."""

    def __init__(self, nlp: Language) -> None:
        chars = nlp.get_pipe("sentencizer").punct_chars
        self._punct = np.array(sorted(nlp.vocab.strings.add(c) for c in chars), dtype=np.uint64)

    def starts(self, doc: Doc) -> list[int]:
        """Character offsets where sentences start (always includes the first token)."""
        return self.starts_many([doc])[0]

    def starts_many(
        self, docs: list[Doc], texts: Sequence[str] | None = None
    ) -> list[list[int]]:
        """`starts` for a batch of docs in one vectorised pass (the rule, not Token objects).

        `texts` are the docs' texts if the caller has them (saves rebuilding them).
        """
        if texts is None:
            texts = [doc.text for doc in docs]
        lengths = np.array([len(doc) for doc in docs], dtype=np.int64)
        if lengths.sum() == 0:
            return [[] for _ in docs]
        arr = np.concatenate(
            [doc.to_array([ORTH, IS_PUNCT, IDX]).reshape(-1, 3) for doc in docs]
        ).astype(np.int64)
        n = len(arr)
        first = np.concatenate([[0], np.cumsum(lengths)[:-1]])  # first token of each doc
        doc_first = np.repeat(first, lengths)
        in_chars = np.isin(arr[:, 0].astype(np.uint64), self._punct)
        punctish = in_chars | (arr[:, 1] == 1)
        index = np.arange(n)
        last_word = np.maximum.accumulate(np.where(~punctish, index, -1))
        prev_word = np.concatenate([[-1], last_word[:-1]])  # last non-punct token before i
        prev_word = np.maximum(prev_word, doc_first - 1)  # ...within the same doc
        seen = np.concatenate([[0], np.cumsum(in_chars)])  # punct_chars among tokens < i
        start = ~punctish & (seen[index] - seen[prev_word + 1] > 0)
        start[first[lengths > 0]] = True
        offsets = arr[:, 2]
        for begin, size, text in zip(first.tolist(), lengths.tolist(), texts, strict=True):
            if "\n" in text:  # as `note_lines` presets them before the sentencizer
                line_starts, not_starts = line_marks(text, offsets[begin : begin + size].tolist())
                start[[begin + i for i in not_starts]] = False
                start[[begin + i for i in line_starts]] = True
        out = []
        for begin, size in zip(first.tolist(), lengths.tolist(), strict=True):
            block = slice(begin, begin + size)
            out.append(offsets[block][start[block]].tolist())
        return out

    def segments(self, text: str, doc: Doc) -> list[tuple[int, int]]:
        """Cut a note into (start, end) pieces at its sentence starts, only at whitespace.

        The pieces cover the whole note, so n-gram counts of the pieces add up to those of
        the note; a sentence that starts mid-word (rare) stays joined to the one before.
        """
        return self.segments_many([text], [doc])[0]

    def segments_many(self, texts: list[str], docs: list[Doc]) -> list[list[tuple[int, int]]]:
        starts = self.starts_many(docs, texts)
        return [_cut(text, note) for text, note in zip(texts, starts, strict=True)]


#: Quote marks that open a quotation, each with the marks that close it.
_CLOSES = {'"': '"', "'": "'’", "“": "”", "‘": "’", "«": "»"}
_OPENS_BEFORE = re.compile(r"(?:^|(?<=\s))['‘\"“«]")


def without_stray_quote(sentence: str) -> str:
    """A sentence with a quote mark cut off at an end where the quotation runs on past it
    ("'Waited nine months.", where the quote ends two sentences later): shown alone as
    evidence, a lone mark reads as a mistake. Still a substring of the note."""
    if len(sentence) > 1 and sentence[0] in _CLOSES and not any(
            c in sentence[1:] for c in _CLOSES[sentence[0]]):
        sentence = sentence[1:].lstrip()
    if len(sentence) > 1 and sentence[-1] in "'\"”’»" and not _OPENS_BEFORE.search(
            sentence[:-1]):
        sentence = sentence[:-1].rstrip()
    return sentence


_AFTER_HTML_SPACE = re.compile(rf"{HTML_SPACE}\Z")
_HTML_SPACE_ENDS = re.compile(rf"^(?:\s|{HTML_SPACE})+|(?:\s|{HTML_SPACE})+$")


def trimmed(sentence: str) -> str:
    """A segment as a sentence is shown: without the spaces, written or as HTML
    ("&nbsp;"), that end it. Still a substring of the note."""
    return _HTML_SPACE_ENDS.sub("", sentence)


def _cut(text: str, starts: list[int]) -> list[tuple[int, int]]:
    cuts = [0]
    for start in starts:
        # at whitespace: before the sentence, or its first "token" is a line break, as
        # when a full stop is followed by a new line
        if start > cuts[-1] and (text[start - 1].isspace() or text[start].isspace()
                                 or _AFTER_HTML_SPACE.search(text, 0, start)):
            cuts.append(start)
    cuts.append(len(text))
    pieces = [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if text[a:b].strip()]
    return pieces or [(0, len(text))]


class SplitNotes:
    """Notes tokenized and cut into sentence segments, with their n-gram count cache.

    `spans[i]` are the (start, end) offsets of note i's segments; `cache` holds the notes and
    every segment in order, so models score notes and sentences from one set of counts.
    """

    def __init__(self, texts: Sequence[str], nlp: Language | None = None) -> None:
        nlp = nlp or shared_pipeline()
        self.texts = [str(t) for t in texts]
        self.docs = list(nlp.tokenizer.pipe(self.texts, batch_size=1000))
        self.spans = SentenceSplitter(nlp).segments_many(self.texts, self.docs)
        segments = [t[a:b] for t, note in zip(self.texts, self.spans, strict=True) for a, b in note]
        owner = [i for i, note in enumerate(self.spans) for _ in note]
        # Imported here so intake's phrase screen, which needs only the tokenizer and the
        # sentence cutter, does not load scikit-learn.
        from insight.classify.features import CountCache

        self.cache = CountCache(self.texts, segments, owner)


@lru_cache(maxsize=1)
def shared_pipeline() -> Language:
    """One sentence pipeline per process, for code that has none of its own."""
    return sentence_pipeline()


@lru_cache(maxsize=1)
def _shared_splitter() -> SentenceSplitter:
    return SentenceSplitter(shared_pipeline())


#: What may open a sentence before its first word: "She's 78. 'Who will do it?"
_OPENERS = frozenset("'\"“‘«([")


def note_sentences(text: str) -> list[tuple[int, int]]:
    """A note's sentences as (start, end) offsets without the spaces around them, as the
    sentencizer tagging uses starts them, each with the quote mark or bracket it opens
    with ("'Who will do it?"): for code that must keep to a note's whole sentences, such
    as a quote the software picks. Cut only at whitespace, as `SentenceSplitter.segments`
    does, so an evidence sentence is one or more of them."""
    if not text.strip():
        return []
    starts = []
    for start in _shared_splitter().starts(shared_pipeline().make_doc(text)):
        while start > 0 and text[start - 1] in _OPENERS:
            start -= 1
        starts.append(start)
    spans = []
    for a, b in _cut(text, starts):  # cut as the segments are, without their spaces
        piece = text[a:b]
        start = a + len(piece) - len(piece.lstrip())
        spans.append((start, start + len(piece.strip())))
    return spans
