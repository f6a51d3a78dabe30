"""The hashed n-gram features: what they count, and that cached counts add up."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from insight.classify.features import CharNgramHasher, CountCache, Valence, WordNgramHasher
from insight.classify.sentences import SplitNotes

NOTES = [
    "Rang the GP six times. Nobody rang back!",
    "Café closed, no group now; the café was everything.",
    "",
    "ok",
    "Been on the list since March. Still waiting. Mum's knackered.",
]


def test_word_hasher_counts_the_same_tokens_and_ngrams_as_scikit_learn():
    ours = WordNgramHasher((1, 2), 2**20).transform(NOTES)
    reference = HashingVectorizer(
        ngram_range=(1, 2), n_features=2**20, alternate_sign=False, norm=None,
        strip_accents="unicode", token_pattern=r"(?u)\b\w+\b",
    ).transform(NOTES)
    # same number of unigrams + bigrams per note (hash positions differ, counts do not)
    np.testing.assert_array_equal(ours.sum(axis=1), reference.sum(axis=1))
    assert ours[2].nnz == 0 and ours[3].sum() == 1


def test_word_bigrams_never_join_two_notes():
    hasher = WordNgramHasher((2, 2), 2**20)
    apart = hasher.transform(["alpha beta", "gamma delta"])
    together = hasher.transform(["alpha beta gamma delta"])
    assert apart.sum() == 2 and together.sum() == 3
    joined = hasher.transform(["beta gamma"])
    assert joined.indices[0] not in set(apart.indices)


def test_word_hasher_ignores_case_and_accents_and_its_cache():
    hasher = WordNgramHasher((1, 2), 2**18)
    a = hasher.transform(["Café Crisis line"])
    b = hasher.transform(["cafe crisis LINE"])
    assert (a != b).nnz == 0
    fresh = WordNgramHasher((1, 2), 2**18).transform(["cafe crisis LINE"])
    assert (fresh != b).nnz == 0


def test_note_char_counts_equal_the_sum_of_their_sentences():
    split = SplitNotes(NOTES)
    hasher = CharNgramHasher((3, 5), 2**20)
    from_segments = split.cache.counts(hasher)
    direct = hasher.transform(NOTES)
    assert (from_segments != direct).nnz == 0
    assert len(split.cache.segment_note) == sum(len(s) for s in split.spans)


def test_count_cache_memo_computes_once():
    cache = CountCache(NOTES)
    calls = []
    for _ in range(3):
        cache.memo("k", lambda: calls.append(1) or len(calls))
    assert calls == [1]


def _tone(valence: Valence, text: str) -> float:
    return float(valence.transform([text])[0, 0])


def test_valence_reads_tone_with_negation_within_a_clause():
    valence = Valence.vader()
    assert _tone(valence, "Fantastic staff.") > 0.3
    assert _tone(valence, "Staff were rude.") < -0.3
    assert _tone(valence, "The nurse wasn't helpful") < 0 < _tone(valence, "The nurse was helpful")
    assert _tone(valence, "Couldn't fault them") > 0  # a negated complaint is praise
    # a negator does not reach past a comma, nor into the next note of a batch
    assert _tone(valence, "Nothing, lovely people") == _tone(valence, "lovely people")
    both = valence.transform(["It was not", "good"])
    np.testing.assert_allclose(both[1], valence.transform(["good"])[0])


def test_valence_weighs_what_follows_but():
    valence = Valence.vader()
    assert _tone(valence, "Excellent care, but the wait was awful!") < 0
    assert _tone(valence, "The wait was awful, but excellent care!") > 0
    # only within its own sentence
    assert _tone(valence, "Awful wait. Excellent care.") > 0
    mixed = valence.transform(["Kind staff but an awful wait", "Kind staff"])[:, 3]
    assert mixed[0] > 0 == mixed[1]


def test_valence_rows_match_notes_and_survive_json():
    valence = Valence.vader()
    batch = valence.transform(NOTES)
    assert batch.shape == (len(NOTES), Valence.N_FEATURES)
    np.testing.assert_array_equal(batch[2], 0)  # empty note
    for i, note in enumerate(NOTES):
        np.testing.assert_allclose(batch[i], valence.transform([note])[0])
    again = Valence.from_json(valence.to_json())
    np.testing.assert_array_equal(again.transform(NOTES), batch)
    assert valence.transform([]).shape == (0, Valence.N_FEATURES)


def test_negated_words_are_the_words_after_a_negator_in_its_clause():
    valence = Valence.vader()
    rows = valence.negated_words(["they didnt listen", "they listened",
                                  "Nobody, listen to me", "not listen. listen", ""])
    assert rows.shape[0] == 5
    assert rows[0].nnz == 1 and rows[1].nnz == 0  # "didnt" turns "listen"
    assert rows[2].nnz == 0  # a comma ends the negator's reach
    assert (rows[3] != rows[0]).nnz == 0  # the same word after a negator: the same feature
    assert rows[4].nnz == 0
    np.testing.assert_allclose(
        valence.negated_words(["never rang back and not once"]).power(2).sum(), 1.0)
