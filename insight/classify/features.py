"""Text features for the linear models: hashed word and character n-grams with TF-IDF.

Hashing keeps fitted state to one idf array per part (no vocabulary dict), so models load
fast and memory does not grow with the vocabulary. Character n-grams are taken within
words (like scikit-learn's `char_wb`) and cached per distinct word: real text repeats
words constantly, so a note costs a few dictionary look-ups instead of re-slicing every
n-gram — which is what makes tagging thousands of notes a second possible.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils import murmurhash3_32

MAX_CACHED_WORDS = 500_000


def _strip_accents(word: str) -> str:
    normalized = unicodedata.normalize("NFKD", word)
    if normalized == word:
        return word
    return "".join(c for c in normalized if not unicodedata.combining(c))


class _CachedHasher(TransformerMixin, BaseEstimator):
    """A stateless hasher with a look-up cache that is rebuilt on demand, never saved."""

    def fit(self, X: Sequence[str], y: Any = None) -> Self:
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_cache", None)
        return state


class CharNgramHasher(_CachedHasher):
    """Counts of hashed character n-grams of each lower-cased, space-padded word.

    Stateless (nothing learned in `fit`); the per-word cache is rebuilt on demand and never
    saved. Counts of a text equal the sum of the counts of any split of it at whitespace.
    """

    def __init__(self, ngram_range: tuple[int, int] = (3, 5), n_features: int = 2**20) -> None:
        self.ngram_range = ngram_range
        self.n_features = n_features

    def _word_indices(self, word: str) -> np.ndarray:
        padded = f" {_strip_accents(word)} "
        low, high = self.ngram_range
        grams: list[str] = []
        for n in range(low, high + 1):
            if len(padded) <= n:
                grams.append(padded)  # a short word counts once, as in char_wb
                break
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
        return np.fromiter(
            (abs(murmurhash3_32(g, seed=0)) % self.n_features for g in grams),
            dtype=np.int32,
            count=len(grams),
        )

    def transform(self, X: Sequence[str]) -> sparse.csr_matrix:
        cache: dict[str, np.ndarray] = self.__dict__.setdefault("_cache", {})
        if len(cache) > MAX_CACHED_WORDS:
            cache.clear()
        pieces: list[np.ndarray] = []
        words_per_doc = np.zeros(len(X), dtype=np.int64)
        for d, text in enumerate(X):
            words = str(text).lower().split()
            words_per_doc[d] = len(words)
            for word in words:
                found = cache.get(word)
                if found is None:
                    found = cache[word] = self._word_indices(word)
                pieces.append(found)
        sizes = np.fromiter((p.size for p in pieces), dtype=np.int64, count=len(pieces))
        word_ptr = np.concatenate([[0], np.cumsum(words_per_doc)])
        size_ptr = np.concatenate([[0], np.cumsum(sizes)])
        indptr = size_ptr[word_ptr]
        indices = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int32)
        data = np.ones(indices.size, dtype=np.float32)
        matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(X), self.n_features))
        matrix.sum_duplicates()
        return matrix


WORD = re.compile(r"(?u)\b\w+\b")
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant: spreads combined n-gram hashes


class _TokenHashes(dict):
    """token -> murmurhash3 of its accent-stripped form, computed on first look-up."""

    def __missing__(self, token: str) -> int:
        value = self[token] = murmurhash3_32(_strip_accents(token), seed=0, positive=True)
        return value


class WordNgramHasher(_CachedHasher):
    """Counts of hashed word n-grams (lower-cased, accents stripped, `\\b\\w+\\b` tokens).

    Each distinct token is hashed once (murmurhash3) and cached; an n-gram's hash is an
    arithmetic mix of its tokens' hashes, computed for a whole batch at once in numpy.
    Same features as scikit-learn's HashingVectorizer in kind, several times faster on
    real text, which repeats its words constantly. Stateless: nothing learned in `fit`.
    """

    def __init__(self, ngram_range: tuple[int, int] = (1, 2), n_features: int = 2**20) -> None:
        self.ngram_range = ngram_range
        self.n_features = n_features

    def transform(self, X: Sequence[str]) -> sparse.csr_matrix:
        cache = self.__dict__.get("_cache")
        if cache is None or len(cache) > MAX_CACHED_WORDS:
            cache = self.__dict__["_cache"] = _TokenHashes()
        hashes: list[int] = []
        lengths = np.zeros(len(X), dtype=np.int64)
        for d, text in enumerate(X):
            tokens = WORD.findall(str(text).lower())
            lengths[d] = len(tokens)
            hashes.extend(map(cache.__getitem__, tokens))
        h = np.asarray(hashes, dtype=np.uint64)
        doc = np.repeat(np.arange(len(X), dtype=np.int64), lengths)
        low, high = self.ngram_range
        rows, cols = [], []
        gram = h
        for n in range(1, high + 1):
            if n > 1:  # n-grams by start position: the (n-1)-gram there, then the next token
                gram = gram[:-1] * _MIX + h[n - 1 :]
            if n >= low and gram.size:
                within = doc[: gram.size] == doc[n - 1 :]  # all n tokens in one note
                mixed = gram[within] if n == 1 else gram[within] ^ (gram[within] >> np.uint64(29))
                rows.append(doc[: gram.size][within])
                cols.append((mixed % np.uint64(self.n_features)).astype(np.int64))
        row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        matrix = sparse.csr_matrix(
            (np.ones(row.size, dtype=np.float32), (row, col)), shape=(len(X), self.n_features)
        )
        matrix.sum_duplicates()
        return matrix


def text_features(
    word_ngrams: tuple[int, int] = (1, 2),
    char_ngrams: tuple[int, int] | None = (3, 5),
    n_features: int = 2**20,
) -> FeatureUnion:
    """TF-IDF (sublinear tf, l2) over hashed word n-grams and, optionally, in-word char n-grams."""
    word = WordNgramHasher(ngram_range=tuple(word_ngrams), n_features=n_features)
    parts = [("word", Pipeline([("hash", word), ("tfidf", TfidfTransformer(sublinear_tf=True))]))]
    if char_ngrams:
        char = CharNgramHasher(ngram_range=tuple(char_ngrams), n_features=n_features)
        parts.append(
            ("char", Pipeline([("hash", char), ("tfidf", TfidfTransformer(sublinear_tf=True))]))
        )
    return FeatureUnion(parts)


class CountCache:
    """Hashed n-gram counts for one batch of notes (and optionally their sentences).

    Tagging needs the same counts several times: the category model on notes and on
    sentences, the safeguarding and experience models on notes. Hashing is stateless, so
    identical hashers give identical counts and each is computed once per batch. When the
    notes' `segments` are given (pieces of each note cut at whitespace), character n-gram
    counts of a note are the sum of its segments' counts — exactly, because they never
    cross whitespace — so character analysis runs once over the text.
    """

    def __init__(
        self,
        texts: Sequence[str],
        segments: Sequence[str] | None = None,
        segment_note: Sequence[int] | None = None,
    ) -> None:
        self.texts = [str(t) for t in texts]
        self.segments = None if segments is None else list(segments)
        self._note_of = None if segment_note is None else np.asarray(segment_note)
        self._counts: dict[tuple[str, str], sparse.csr_matrix] = {}
        self._memo: dict[Any, Any] = {}

    def memo(self, key: Any, compute: Any) -> Any:
        """A value derived from this batch (e.g. a model's sentence scores), computed once."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @property
    def segment_note(self) -> np.ndarray:
        """For each segment, the row of the note it belongs to."""
        if self._note_of is None:
            raise ValueError("no segments in this batch")
        return self._note_of

    def counts(self, hasher: Any, level: str = "note") -> sparse.csr_matrix:
        params = sorted((k, repr(v)) for k, v in hasher.get_params().items())
        key = (f"{type(hasher).__name__}{params}", level)
        if key not in self._counts:
            if level == "segment":
                if self.segments is None:
                    raise ValueError("no segments in this batch")
                matrix = hasher.transform(self.segments)
            elif isinstance(hasher, CharNgramHasher) and self.segments is not None:
                seg = self.counts(hasher, "segment")
                n_seg = len(self.segments)
                owner = sparse.csr_matrix(
                    (np.ones(n_seg, dtype=np.float32), (self._note_of, np.arange(n_seg))),
                    shape=(len(self.texts), n_seg),
                )
                matrix = owner @ seg
            else:
                matrix = hasher.transform(self.texts)
            self._counts[key] = sparse.csr_matrix(matrix)
        return self._counts[key]

    def rows(self, keep: np.ndarray) -> CountCache:
        """A cache for a subset of the notes, reusing counts already computed (no segments)."""
        sub = CountCache([self.texts[i] for i in keep])
        for (name, level), matrix in self._counts.items():
            if level == "note":
                sub._counts[(name, level)] = matrix[keep]
        return sub


def fit_union(union: FeatureUnion, cache: CountCache) -> sparse.csr_matrix:
    """Fit each part's idf on the cached counts and return the training matrix."""
    blocks = []
    for _, pipe in union.transformer_list:
        counts = cache.counts(pipe.named_steps["hash"])
        blocks.append(pipe.named_steps["tfidf"].fit_transform(counts))
    return sparse.hstack(blocks, format="csr")


def union_features(
    union: FeatureUnion, cache: CountCache, level: str = "note"
) -> sparse.csr_matrix:
    """Apply a fitted hashed TF-IDF union using counts from the cache."""
    blocks = []
    for _, pipe in union.transformer_list:
        counts = cache.counts(pipe.named_steps["hash"], level)
        blocks.append(pipe.named_steps["tfidf"].transform(counts))
    return sparse.hstack(blocks, format="csr")


# Words and clause marks: a negator reaches over at most `window` words and never past one.
_VALENCE_TOKEN = re.compile(r"(?u)\w+|[.,;:!?]")
_CLAUSE_MARKS = frozenset(".,;:!?")
_SENTENCE_MARKS = frozenset(".!?")


class Valence:
    """How positive and how negative a note's words are, from a valence lexicon.

    Experience is learned from the corpus's notes, most of them long and about problems, so
    a model of word n-grams alone reads short comments from their topic, not their tone
    ("Fantastic staff." came out negative). A lexicon rated by people for how positive
    each word is knows "fantastic" and "rude" whatever the notes taught. VADER's
    (Hutto & Gilbert 2014, MIT licence), with its rule that a negator in the three words
    before flips and damps a word ("not helpful"), here stopped at clause punctuation
    ("Nothing, lovely people" is not "not lovely"), and its rule that what follows "but"
    in a sentence weighs three times what comes before. Four numbers a note: a compound score
    in (-1, 1), positive and negative sums scaled by length, and how much of both there
    is (a mixed experience). Computed for a batch in numpy: a few microseconds a note.
    """

    N_FEATURES = 4

    def __init__(
        self,
        lexicon: dict[str, float],
        negators: Sequence[str],
        window: int = 3,
        negation: float = 0.74,
        source: str = "",
    ) -> None:
        self.lexicon = dict(lexicon)
        self.negators = frozenset(negators)
        self._negated: re.Pattern[str] | None = None  # built on first use (`negated_words`)
        self.window = window
        self.negation = negation
        self.source = source

    @classmethod
    def vader(cls) -> Self:
        """VADER's lexicon (single words only) and negators, read from the installed package."""
        from importlib.metadata import version

        from vaderSentiment import vaderSentiment as vader

        words = vader.SentimentIntensityAnalyzer().lexicon
        lexicon = {w: float(v) for w, v in words.items() if WORD.fullmatch(w)}
        # "didn't" is the tokens "didn", "t": its last token marks the negation
        negators = {WORD.findall(n.lower())[-1] for n in vader.NEGATE} | {"no"}
        return cls(lexicon, sorted(negators), negation=-vader.N_SCALAR,
                   source=f"vaderSentiment {version('vaderSentiment')}")

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        lengths = np.zeros(len(texts), dtype=np.int64)
        tokens: list[str] = []
        for d, text in enumerate(texts):
            found = _VALENCE_TOKEN.findall(str(text).lower())
            lengths[d] = len(found)
            tokens.extend(found)
        n = len(tokens)
        values = np.fromiter((self.lexicon.get(t, 0.0) for t in tokens), float, n)
        negator = np.fromiter((t in self.negators for t in tokens), bool, n)
        # clause number of each token: a negator counts only within its own clause and note
        mark = np.fromiter((t in _CLAUSE_MARKS for t in tokens), bool, n)
        clause = np.cumsum(mark) + np.repeat(np.cumsum(lengths) - lengths, lengths)
        negated = np.zeros(n, dtype=bool)
        for k in range(1, self.window + 1):
            negated[k:] |= negator[:-k] & (clause[k:] == clause[:-k])
        values = np.where(negated, -self.negation * values, values)
        doc = np.repeat(np.arange(len(texts)), lengths)
        # "Kind staff, but the wait was awful": 0.5 before a sentence's "but", 1.5 after
        first = np.zeros(n, dtype=bool)
        first[np.cumsum(lengths)[lengths > 0] - lengths[lengths > 0]] = True
        ends = np.fromiter((t in _SENTENCE_MARKS for t in tokens), bool, n)
        first[1:] |= ends[:-1]
        sentence = np.cumsum(first) - 1
        but = np.fromiter((t == "but" for t in tokens), bool, n)
        after = (np.cumsum(but) - np.cumsum(but)[first][sentence] + but[first][sentence]) > 0
        has_but = np.bincount(sentence, but, int(sentence[-1]) + 1 if n else 0) > 0
        values = values * np.where(after & ~but, 1.5, np.where(has_but[sentence], 0.5, 1.0))
        pos = np.bincount(doc, np.clip(values, 0, None), len(texts))
        neg = np.bincount(doc, np.clip(-values, 0, None), len(texts))
        words = lengths - np.bincount(doc, mark, len(texts))
        net = pos - neg
        scale = np.sqrt(words + 1)
        return np.column_stack([
            net / np.sqrt(net * net + 15),  # VADER's normalisation of its compound score
            pos / scale,
            neg / scale,
            np.minimum(pos, neg) / (pos + neg + 1),
        ])

    def negated_words(self, texts: Sequence[str], n_features: int = 2**18) -> sparse.csr_matrix:
        """Which words each note says after a negator, in the same clause ("didnt listen",
        "nobody rang back", "never felt heard"), hashed as their own features, each note's
        row of unit length. A word's tone can turn on what comes before it; the lexicon
        knows few words of services ("listen", "rang"), so the model learns these from the
        notes (Das and Chen 2001; Pang, Lee and Vaithyanathan 2002)."""
        if self._negated is None:  # a negator, then the rest of its clause
            words = "|".join(sorted(map(re.escape, self.negators), key=len, reverse=True))
            self._negated = re.compile(rf"(?<!\w)(?:{words})(?!\w)([^.,;:!?]*)")
        rows: list[int] = []
        cols: list[int] = []
        hashed: dict[str, int] = {}
        for d, text in enumerate(texts):
            found: set[int] = set()
            for clause in self._negated.findall(str(text).lower()):
                for token in WORD.findall(clause):
                    if (column := hashed.get(token)) is None:
                        column = hashed[token] = abs(
                            murmurhash3_32(f"not {token}", seed=1)) % n_features
                    found.add(column)
            rows.extend([d] * len(found))
            cols.extend(found)
        counts = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)),
                                   shape=(len(texts), n_features))
        norms = np.sqrt(np.asarray(counts.sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1.0 / norms) @ counts)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "window": self.window, "negation": self.negation,
                "negators": sorted(self.negators), "lexicon": self.lexicon}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(data["lexicon"], data["negators"], window=data["window"],
                   negation=data["negation"], source=data.get("source", ""))
