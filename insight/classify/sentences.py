"""Splitting notes into sentences for evidence: spaCy's tokenizer and sentencizer rule.

`sentence_pipeline()` is a blank English pipeline with spaCy's rule-based `sentencizer`.
For bulk tagging, `SentenceSplitter` applies the very same rule (a sentence starts at the
first non-punctuation token after one of the sentencizer's `punct_chars`) to the token
arrays of a tokenized Doc, instead of walking Token objects in Python; a test checks it
agrees with the component on the shipped corpus.
"""

from __future__ import annotations

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


def sentence_pipeline() -> Language:
    """Blank English tokenizer + rule-based sentencizer: no downloads, fast, deterministic."""
    nlp = spacy.blank("en")
    for abbreviation in NOTE_ABBREVIATIONS:
        for form in (abbreviation, abbreviation.capitalize(), abbreviation.upper()):
            nlp.tokenizer.add_special_case(form, [{ORTH: form}])
    nlp.add_pipe("sentencizer")
    return nlp


class SentenceSplitter:
    """The pipeline's sentencizer rule, vectorised over a Doc's token arrays."""

    def __init__(self, nlp: Language) -> None:
        chars = nlp.get_pipe("sentencizer").punct_chars
        self._punct = np.array(sorted(nlp.vocab.strings.add(c) for c in chars), dtype=np.uint64)

    def starts(self, doc: Doc) -> list[int]:
        """Character offsets where sentences start (always includes the first token)."""
        return self.starts_many([doc])[0]

    def starts_many(self, docs: list[Doc]) -> list[list[int]]:
        """`starts` for a batch of docs in one vectorised pass (the rule, not Token objects)."""
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
        return [
            _cut(text, starts) for text, starts in zip(texts, self.starts_many(docs), strict=True)
        ]


def _cut(text: str, starts: list[int]) -> list[tuple[int, int]]:
    cuts = [0]
    for start in starts:
        # at whitespace: before the sentence, or its first "token" is a line break, as
        # when a full stop is followed by a new line
        if start > cuts[-1] and (text[start - 1].isspace() or text[start].isspace()):
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
