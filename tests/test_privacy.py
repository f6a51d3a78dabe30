from __future__ import annotations

import itertools
import random

import pytest

from insight.privacy import (
    HIDDEN,
    MAX_QUOTE_CHARS,
    WITHHELD,
    Quoted,
    Towns,
    covering_counts,
    fuller_excerpt,
    group_counts,
    hidden_as_range,
    holds_back,
    may_quote,
    name_spans,
    protect,
    quotes_for,
    redact_text,
    small_group_warnings,
    spoken_words,
    suppress,
    total_of_groups,
)


def test_no_quote_without_consent_or_after_erasure() -> None:
    notes = [
        {"id": "a", "text": "Waited a year.", "consent_quote": False},
        {"id": "b", "text": "The cafe on a Friday saved me.", "consent_quote": True},
        {"id": "c", "text": None, "consent_quote": True, "erased_at": "2026-01-01"},
    ]
    assert [may_quote(n) for n in notes] == [False, True, False]
    assert [q.note_id for q in quotes_for(notes)] == ["b"]


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("She said 'Without the car I'm finished out here.' The bus stopped.",
         "Without the car I'm finished out here."),
        ('Dad said "they also didn\'t ask me anything" and left.',
         "they also didn't ask me anything"),
        ("“My new worker read my file.” The last one asked again.", "My new worker read my file."),
        ("‘I’m fine, I’m fine’ is all he says.", "I’m fine, I’m fine"),
        ("Went to the lads' club, 'best night of the week' he said.", "best night of the week"),
        ("She said the bus stopped in 2019 and she hasn't been out since.", None),
        ("The man on the crisis line kept calling me 'buddy'.", None),  # too short to quote
        # in quote marks, but written by someone else, not said by the person
        ('The letter from the trust said "you have been removed from the waiting list".', None),
        ("It says my goals are to 'improve my engagement with services'.", None),
        ("Her son texted her 'come and get me now please' at 2am.", None),
        # in quote marks, but what a service's staff said to the person (a lead-review
        # audit: the community page put the GP's words under "you said")
        ("Waiting 14 months, GP keeps saying 'it's in the system'. Nobody picks up.", None),
        ("The nurse told her 'you are not a priority tonight' and sent her home.", None),
        ("Asked the doctor and she said 'come back in six weeks' again.", None),
        # the person's words to the service, and a mum heard at a carers' group, are theirs
        ("He told the GP 'I can't sleep at all' but got nothing.", "I can't sleep at all"),
        ("Mum of a 14 year old said 'CAMHS shut the door on us'.", "CAMHS shut the door on us"),
    ],
)
def test_spoken_words_are_the_passage_in_quote_marks(text: str, spoken: str | None) -> None:
    assert spoken_words(text) == spoken


def test_the_community_hears_only_a_persons_own_words() -> None:
    """A listener's paraphrase is not shown as "you said"; quoted words are, redacted, and
    the quotation chosen is the one in the evidence sentence."""
    paraphrase = "She said the day centre minibus stopped taking wheelchairs in May."
    spoken = ("Met Grace at the cafe. 'The group is the only place I laugh,' she said. "
              "Later: 'my son Tom never rings, nobody does.' She cried.")
    notes = [
        {"id": "a", "text": paraphrase, "consent_quote": True},
        {"id": "b", "text": spoken, "consent_quote": True},
    ]
    assert [q.text for q in quotes_for(notes)][0] == paraphrase
    # the community page quotes only what a lead pinned
    pinned = {"a", "b"}
    assert [q.text for q in quotes_for(notes, own_words=True, chosen=pinned)] == [
        "my son [PERSON] never rings, nobody does."  # the longest
    ]
    excerpts = {"b": "'The group is the only place I laugh,' she said."}
    assert [q.text for q in quotes_for(notes, excerpts=excerpts, own_words=True)] == [
        "The group is the only place I laugh"
    ]


def test_a_quote_is_the_persons_words_or_marked_as_what_was_noted() -> None:
    notes = [
        {"id": "a", "text": "She said the minibus stopped in May.", "consent_quote": True},
        {"id": "b", "text": "He laughed. 'The group got me out of bed again,' he said. Left "
                            "at two.", "consent_quote": True},
        {"id": "c", "text": "'Text me on 07700 900123 if a group starts near me.' Lonely.",
         "consent_quote": True},
    ]
    got = [(q.text, q.own_words) for q in quotes_for(notes)]
    assert got == [
        ("She said the minibus stopped in May.", False),
        ("The group got me out of bed again", True),  # not the listener's words around it
        ("'Text me on [PHONE] if a group starts near me.' Lonely.", False),  # contact words
    ]


def test_a_few_own_words_inside_the_listeners_sentence_are_quoted_with_it() -> None:
    notes = [
        {"id": "a", "text": "CAMHS turned her down twice. Mum says she was told she was 'not "
                            "ill enough' and has given up asking.", "consent_quote": True},
        {"id": "b", "text": "Waited a year. 'The wait felt endless to me,' she said.",
         "consent_quote": True},
    ]
    excerpts = {"a": "Mum says she was told she was 'not ill enough' and has given up asking.",
                "b": "'The wait felt endless to me,' she said."}
    got = [(q.text, q.own_words) for q in quotes_for(notes, excerpts=excerpts)]
    assert got == [
        # three words alone lose their meaning: the sentence they are in
        ("Mum says she was told she was 'not ill enough' and has given up asking.", False),
        ("The wait felt endless to me", True),  # a whole saying
    ]
    # the community page takes only own words, of a note a lead pinned: there the few
    # words stand
    assert [q.text for q in quotes_for(notes[:1], excerpts=excerpts, own_words=True,
                                       chosen={"a"})] == ["not ill enough"]


def test_a_note_is_quoted_once_in_a_report() -> None:
    notes = [{"id": "a", "text": "The cafe on a Friday saved me.", "consent_quote": True},
             {"id": "b", "text": "The cafe on a Friday saved me.", "consent_quote": True},
             {"id": "c", "text": "Waited a year for the first call.", "consent_quote": True}]
    quoted = Quoted()
    first = quotes_for(notes[:1], quoted=quoted)
    # the same note again, or the same words from another note: not quoted twice
    second = quotes_for(notes, quoted=quoted)
    assert [q.text for q in first] == ["The cafe on a Friday saved me."]
    assert [q.text for q in second] == ["Waited a year for the first call."]
    assert quoted.notes == {"a", "c"}


def test_excerpt_is_redacted_in_the_context_of_the_whole_note() -> None:
    text = "Spoke to a mum called Grace. Grace said the crisis line never picked up."
    excerpt = "Grace said the crisis line never picked up."
    quoted = redact_text(text, excerpt)
    assert quoted == "[PERSON] said the crisis line never picked up."


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Panic attack in the Co-op in Helston, police came.", ["Helston"]),
        ("moved from st  ives to helston last year", ["st  ives", "helston"]),  # all lower case
        ("Since moving to St Ives she has no GP.", ["St Ives"]),
        # a whole name in any case, an everyday word too: a word taken out costs a word,
        # a small place left in can point to the person
        ("She was reading the letter from Reading council.", ["reading", "Reading"]),
        ("The Helstonians' group closed.", []),  # whole words only
        ("Nothing about a place here.", []),
        ("Went to St. Ives, then Stockton on Tees.", ["St. Ives", "Stockton on Tees"]),
        ("Moved to helston. Sarah said so.", ["helston"]),  # not an everyday word
        ("The Helstons came too, and Ives people.", ["Helstons", "Ives"]),  # plural; a part
        ("Stockton lads, Tees valley", ["Stockton", "Tees"]),  # each a part of the name
    ],
)
def test_places_are_found_as_whole_words(text: str, found: list[str]) -> None:
    spans = name_spans(text, ["Helston", "St Ives", "reading", " ", "Stockton-on-Tees"])
    assert [text[a:b] for a, b in spans] == found


@pytest.mark.parametrize(
    ("community", "text", "found"),
    [  # found by a user audit: each named a small community in a commissioner's quote
        ("Gypsy and Traveller", "As a Traveller woman, us Gypsies get moved on.",
         ["Traveller", "Gypsies"]),
        ("non-binary", "Being nonbinary at the clinic", ["nonbinary"]),
        ("deafblind", "As a deaf-blind man I", ["deaf-blind"]),
        ("Black British", "Black lads get stopped", []),  # too broad a word alone
        # "Care" in a priority's title named no one (a blind lead's audit)
        ("care leavers", "Care, not control, in a crisis", []),
        ("care leavers", "the Care Leavers group", ["Care Leavers"]),
        # a whole name in any case, everyday words or not (a blind privacy audit)
        ("older people", "older people wait longest", ["older people"]),
        ("Little Snoring", "out here in little snoring there is no bus", ["little snoring"]),
        ("Little Snoring", "in Snoring, Little-Snoring too", ["Snoring", "Little-Snoring"]),
        ("Deaf", "I am the only deaf man", ["deaf"]),
        # but a word of a longer name in lower case only where it is no everyday word
        ("Little Snoring", "a little help for the snoring", []),
        ("Hebden Bridge", "out in hebden", ["hebden"]),
        # the "+" goes with the name: "[COMMUNITY]+ group" still named it (a report audit)
        ("LGBTQ+", "LGBTQ+ group in Hebden is the only place", ["LGBTQ+"]),
        ("LGBTQ+", "the lgbtq group", ["lgbtq"]),
        # its other spellings name it too (a commissioner audit: "LGBT youth group")
        ("LGBTQ+", "The LGBT youth group and the LGBTQIA+ night", ["LGBT", "LGBTQIA+"]),
        ("LGBT", "an lgbtq+ choir", ["lgbtq+"]),
        ("LGBTQ+", "a club for bgt fans", []),
    ],
)
def test_a_small_community_in_other_spellings(community: str, text: str, found: list) -> None:
    assert [text[a:b] for a, b in name_spans(text, [community])] == found


def test_a_small_community_is_named_as_a_community() -> None:
    text = "Being Polish, the Roma lads at the market said to polish my CV in English."
    # "polish" names the small community too, in any case: the safe side
    assert redact_text(text, text, {"COMMUNITY": ["polish", "roma"]}) == (
        "Being [COMMUNITY], the [COMMUNITY] lads at the market said to [COMMUNITY] my CV in "
        "English.")


def test_a_small_place_or_community_in_lower_case_is_left_out_of_quotes() -> None:
    """A blind privacy audit: the one note from Little Snoring quoted "out here in little
    snoring there is no bus" as written, while "Snoring" and "Little-Snoring" were masked;
    the one note of the Deaf community kept "deaf"."""
    text = 'He said "Out here in little snoring there is no bus, I am the only deaf man".'
    groups = {"PLACE": ["little snoring"], "COMMUNITY": ["deaf"]}
    assert quotes_for([{"id": "q8", "text": text, "consent_quote": True}], audience=
                      "commissioner", key=b"k", small_groups=groups)[0].text == (
        "Out here in [PLACE] there is no bus, I am the only [COMMUNITY] man")


def test_leads_words_naming_a_small_group_are_warned_of_once_per_wording() -> None:
    written = [("I1", "title", "Roma families in Hebden Bridge, and Roma elders"),
               ("P1", "description", "We polish the process; older people wait"),
               ("A1", "how", "a Roma mum chaired it")]
    groups = {"PLACE": ["hebden bridge"], "COMMUNITY": ["roma", "polish", "older people"]}
    warned = small_group_warnings(written, groups, 5)
    # as quotes are masked: a whole name in any case ("polish" is a false alarm a lead
    # can pass over; "older people" beside a count gives the small group back)
    assert [w.split(",")[0] for w in warned] == [
        "I1 title names 'Hebden Bridge'", "I1 title names 'Roma'",
        "P1 description names 'polish'", "P1 description names 'older people'",
        "A1 how names 'Roma'"]
    assert "a place fewer than 5 notes come from" in warned[0]
    assert small_group_warnings(written, {}, 5) == []


def test_a_place_read_as_a_name_is_still_the_place() -> None:
    text = "Lovely girl at the Spar in Hebden Bridge gave me the number."
    assert redact_text(text, text, {"PLACE": ["Hebden Bridge"]}) == (
        "Lovely girl at the Spar in [PLACE] gave me the number.")


def test_a_place_is_redacted_beside_personal_data_without_cutting_it() -> None:
    text = "Kate from Helston said the crisis line in Truro never answered."
    quoted = redact_text(text, "Kate from Helston said the crisis line in Truro never answered.",
                         {"PLACE": ["helston"]})
    assert quoted == "[PERSON] from [PLACE] said the crisis line in Truro never answered."


@pytest.mark.parametrize(
    ("text", "shown"),
    [  # a commissioner audit: towns no note's place field names were quoted as written
        ("I live in Keighley and the bus never comes.",
         "I live in [PLACE] and the bus never comes."),
        ("Since we moved to Keighley's estate nobody rang.",
         "Since we moved to [PLACE]'s estate nobody rang."),
        ("Got a bed in Milton Keynes, then Stoke-on-Trent.",
         "Got a bed in [PLACE], then [PLACE]."),
        ("She came from Somalia to St. Helens.", "She came from [PLACE] to [PLACE]."),
        # a town that is also an everyday word, only where it is clearly the town
        ("Reading the letter, I had a Bath and cried.",
         "Reading the letter, I had a Bath and cried."),
        ("We moved to Reading, then Bath.", "We moved to [PLACE], then Bath."),
        ("I live in reading now", "I live in reading now"),  # capitalised words only
        # the area, or a word of it; the places many notes come from; the country
        ("The Leeds crisis line and Bradford A&E", "The Leeds crisis line and Bradford A&E"),
        ("Since I came to England the GP in Pudsey", "Since I came to England the GP in [PLACE]"),
    ],
)
def test_a_town_a_quote_may_not_name_is_written_as_a_place(text: str, shown: str) -> None:
    towns = Towns(area="City of Leeds", shown=["bradford ", "Harehills"])
    assert redact_text(text, text, towns=towns) == shown
    assert redact_text(text, text) == text  # the leads' view


def test_the_area_is_named_even_where_few_notes_give_it_as_their_place() -> None:
    text = 'He said "The Leeds crisis team never came, and in Helston nobody does".'
    groups = {"PLACE": ["leeds", "helston"]}
    [quote] = quotes_for([{"id": "n", "text": text, "consent_quote": True}],
                         audience="commissioner", key=b"k", small_groups=groups,
                         towns=Towns(area="Leeds"))
    assert quote.text == "The Leeds crisis team never came, and in [PLACE] nobody does"
    [quote] = quotes_for([{"id": "n", "text": text, "consent_quote": True}],
                         audience="commissioner", key=b"k", small_groups=groups,
                         towns=Towns(area="West Yorkshire"))
    assert quote.text == "The [PLACE] crisis team never came, and in [PLACE] nobody does"


def test_long_notes_are_cut_at_a_sentence_and_contact_details_removed() -> None:
    text = ("Ring me on 07700 900123 if the group restarts. " * 3) + "x" * 400
    quoted = redact_text(text)
    assert "07700 900123" not in quoted
    assert "[PHONE]" in quoted
    assert quoted.endswith("…")
    assert len(quoted) < 320


def test_suppression_only_outside_the_leads_view() -> None:
    assert suppress(3, "lead", 5) == 3
    assert suppress(3, "commissioner", 5) == "<5"
    assert suppress(3, "community", 5) == "<5"
    assert suppress(0, "commissioner", 5) == 0
    assert suppress(5, "commissioner", 5) == 5


def _possible_values(
    total: int | str, shown: dict, threshold: int, keep_total: bool
) -> dict:
    """Every value each suppressed part can take, to someone who sees what is shown and
    knows the rule: a part shown as "<t" is 1..t-1, a hidden one at least t, a withheld
    one anything, they add up to the total when it is shown, and `protect` run on those
    values must give exactly what is shown (brute force)."""
    from itertools import product

    secret = [k for k, v in shown.items() if isinstance(v, str)]
    known = {k: v for k, v in shown.items() if isinstance(v, int)}
    ranges = [range(1, threshold) if shown[k] not in (HIDDEN, WITHHELD)
              else range(threshold, 25) if shown[k] == HIDDEN else range(0, 25)
              for k in secret]
    seen: dict = {k: set() for k in secret}
    for values in product(*ranges):
        candidate = {**known, **dict(zip(secret, values, strict=True))}
        whole = sum(candidate.values())
        if isinstance(total, int) and whole != total:
            continue
        if protect(whole, candidate, "commissioner", threshold,
                   keep_total=keep_total) != (total, shown):
            continue  # the rule would have shown something else for these values
        for k, v in zip(secret, values, strict=True):
            seen[k].add(v)
    return seen


@pytest.mark.parametrize("keep_total", [False, True])
@pytest.mark.parametrize("seed", range(300))
def test_no_suppressed_part_can_be_narrowed_down_from_the_total(
    seed: int, keep_total: bool
) -> None:
    """Not even by someone who knows how `protect` chooses what to hide."""
    rng = random.Random(seed)
    values = [0, 1, 2, 3, 4, 5, 6, 7, 9, 12]
    parts = {f"m{i}": rng.choice(values) for i in range(rng.randint(1, 4))}
    total = sum(parts.values())
    shown_total, shown = protect(total, parts, "commissioner", 5, keep_total=keep_total)
    if keep_total:  # shown as anywhere else: only a small total is suppressed
        assert shown_total == (total if total == 0 or total >= 5 else "<5")
    if isinstance(shown_total, str) and shown_total != HIDDEN:  # the total itself is small
        # no breakdown at all: "<5" parts (each at least 1) and zeros would bound it
        assert set(shown.values()) == {WITHHELD}
        return
    if WITHHELD in shown.values():  # nothing of the parts is shown
        assert set(shown.values()) == {WITHHELD}
        return
    for key, possible in _possible_values(shown_total, shown, 5, keep_total).items():
        if parts[key] in range(1, 5):  # a small part, however it is shown
            assert possible >= {1, 2, 3, 4}, (parts, shown_total, shown)
    for key, value in shown.items():  # nothing shown is wrong
        assert value == parts[key] or isinstance(value, str)


def test_a_small_total_has_no_breakdown() -> None:
    """Four months of one note each under a "<5" total: shown as "<5" and zeros, the
    months would say the total is exactly 4 and each month exactly 1 (a user audit)."""
    parts = {"2025-03": 1, "2025-05": 1, "2025-07": 1, "2025-08": 1, "2025-09": 0}
    for keep_total in (False, True):
        total, shown = protect(4, parts, "commissioner", 5, keep_total=keep_total)
        assert total == "<5" and set(shown.values()) == {WITHHELD}
    assert protect(4, parts, "lead", 5, keep_total=True) == (4, parts)
    assert protect(0, {"a": 0}, "commissioner", 5) == (0, {"a": 0})


@pytest.mark.parametrize("seed", range(5))
def test_a_hidden_part_as_a_range_holds_it_and_says_no_more_than_the_figures(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(300):
        parts = {k: rng.choice([0, 1, 2, 3, 4, 5, 8, 13, 30, 41]) for k in "abcde"}
        total, shown = protect(sum(parts.values()), parts, "commissioner", 5, keep_total=True)
        ranged = hidden_as_range(total, shown, 5)
        hidden = [k for k, v in shown.items() if v == HIDDEN]
        if not hidden:
            assert ranged == shown
            continue
        [key] = hidden
        value = ranged[key]
        low, high = (value, value) if isinstance(value, int) else map(int, value.split(" to "))
        assert low <= parts[key] <= high
        # every value the hidden part could take, given what else is shown, is in the range
        rest = total - sum(v for v in shown.values() if isinstance(v, int))
        small = [k for k, v in shown.items() if v == "<5"]
        possible = {rest - sum(c) for c in itertools.product(range(1, 5), repeat=len(small))}
        assert {p for p in possible if p >= 0} <= set(range(low, high + 1))
        assert {k: v for k, v in ranged.items() if k != key} == {
            k: v for k, v in shown.items() if k != key}


def test_the_smallest_other_part_is_not_hidden_since_that_can_be_undone() -> None:
    """18 = January <5 + February 7 + March hidden: had the smallest part that works been
    hidden, March would be at most 7, so January at least 4 ... and with a total shown
    elsewhere, exactly 1 (the case a red team found). The largest part is hidden instead,
    or the total."""
    # March is known to be more than February, so January at most 18 - 7 - 8 = 3: all
    # months are withheld; with a larger March, hiding it leaves January open
    assert protect(18, {"jan": 1, "feb": 7, "mar": 10}, "commissioner", 5,
                   keep_total=True) == (18, dict.fromkeys(["jan", "feb", "mar"], WITHHELD))
    assert protect(23, {"jan": 1, "feb": 7, "mar": 15}, "commissioner", 5,
                   keep_total=True) == (23, {"jan": "<5", "feb": 7, "mar": HIDDEN})
    assert protect(18, {"jan": 1, "feb": 7, "mar": 10}, "commissioner", 5) == (
        HIDDEN, {"jan": "<5", "feb": 7, "mar": 10})
    # 7 tagged by a person, 1 by the model: the total (8) would give the 1 away
    assert protect(8, {"person": 7, "model": 1}, "commissioner", 5) == (
        HIDDEN, {"person": 7, "model": "<5"})


def test_protect_hides_as_little_as_it_can() -> None:
    assert protect(20, {"a": 10, "b": 10}, "commissioner", 5) == (20, {"a": 10, "b": 10})
    assert protect(13, {"a": 10, "b": 3}, "commissioner", 5) == (HIDDEN, {"a": 10, "b": "<5"})
    assert protect(7, {"a": 5, "b": 2}, "commissioner", 5) == (HIDDEN, {"a": 5, "b": "<5"})
    assert protect(7, {"a": 5, "b": 2, "c": 0}, "commissioner", 5, keep_total=True) == (
        7, {"a": WITHHELD, "b": WITHHELD, "c": WITHHELD}
    )
    # even where the total would leave the small parts open (3 + 2 = 5): hiding it only
    # where it does not would tell which
    assert protect(15, {"a": 10, "b": 3, "c": 2}, "commissioner", 5) == (
        HIDDEN, {"a": 10, "b": "<5", "c": "<5"})
    assert protect(13, {"a": 10, "b": 3}, "lead", 5) == (13, {"a": 10, "b": 3})


def test_categories_that_every_note_is_in_give_no_small_one_away() -> None:
    """24 notes with categories, 20 in one, "<5" and zeros in the rest: the notes the 20
    leave out are in the "<5", which is then 4 (a blind privacy audit). The 20 becomes the
    range the rest allows."""
    counts = {"access": 20, "daily": 4, "crisis": 0}
    assert covering_counts(counts, 24, "commissioner", 5) == {
        "access": "20 to 23", "daily": "<5", "crisis": 0}
    assert covering_counts(counts, 24, "lead", 5) == counts
    # notes in two categories: the shown counts hold every note, nothing to hide
    assert covering_counts({"access": 20, "daily": 4, "crisis": 9}, 24, "commissioner", 5) == {
        "access": 20, "daily": "<5", "crisis": 9}
    # fewer notes left over than there are "<5"s (each is at least 1 anyway): no bound.
    # With as many, the "<5"s are not bounded either, but the 20 is widened all the same:
    # widening only from one more would tell, when it happens, that they hold one more
    assert covering_counts({"a": 20, "b": 1, "c": 1}, 21, "commissioner", 5) == {
        "a": 20, "b": "<5", "c": "<5"}
    assert covering_counts({"a": 20, "b": 1, "c": 1}, 22, "commissioner", 5) == {
        "a": "14 to 20", "b": "<5", "c": "<5"}
    # nothing shown to widen: the "<5"s alone would be bounded (8 notes in two of them)
    assert covering_counts({"a": 4, "b": 4, "c": 0}, 8, "commissioner", 5) == dict.fromkeys(
        "abc", WITHHELD)
    # only "<5"s and zeros, whatever the reader can bound: which categories a handful of
    # notes are in says what those few talked about (a report audit: one note, all "waiting")
    assert covering_counts({"a": 1, "b": 0, "c": 0}, 0, "commissioner", 5) == dict.fromkeys(
        "abc", WITHHELD)
    # where fewer notes are in a category than the reader's floor says (a person labelled
    # a note with none), the range still holds the count
    assert covering_counts(counts, 24, "commissioner", 5, union=21) == {
        "access": "17 to 23", "daily": "<5", "crisis": 0}


@pytest.mark.parametrize("groups", [2, 3])
def test_no_suppressed_category_can_be_narrowed_down_from_the_notes_with_categories(
    groups: int,
) -> None:
    """By brute force, to someone who knows the rule: every set of counts and floor of
    notes with categories (notes can be in several categories, so the notes in any are
    from the largest count to their sum) that gives what is shown leaves each "<5" open
    from 1 to 4, and a range holds every count that gives it."""
    seen: dict = {}
    for counts in itertools.product(range(19), repeat=groups):
        for covered in range(min(sum(counts), 18) + 1):
            shown = covering_counts(dict(enumerate(counts)), covered, "commissioner", 5)
            seen.setdefault((covered, tuple(shown.values())), []).append(counts)
    for (_, shown), possible in seen.items():
        for i, value in enumerate(shown):
            if value == "<5":
                assert {c[i] for c in possible} >= {1, 2, 3, 4}, shown
            elif isinstance(value, str) and " to " in value:
                low, high = map(int, value.split(" to "))
                assert all(low <= c[i] <= high for c in possible), shown
            elif value != WITHHELD:
                assert {c[i] for c in possible} == {value}


def test_a_total_over_groups_is_shown_only_when_it_adds_nothing() -> None:
    """A priority's notes beside its insights' counts: shown only when it is their sum."""
    assert total_of_groups(15, {"i1": 10, "i3": 5}, "commissioner", 5) == 15
    # 12 - 10 would give i2 away; 18 - 13 how many notes i1 and i3 share: only what the
    # groups' counts say already
    assert total_of_groups(12, {"i1": 10, "i2": 2}, "commissioner", 5) == "at least 10"
    # all shown, so only their largest and their sum: nothing they do not say already
    assert total_of_groups(13, {"i1": 10, "i3": 8}, "commissioner", 5) == "10 to 18"
    assert total_of_groups(6, {"i2": 3, "i4": 3}, "commissioner", 5) == HIDDEN
    assert total_of_groups(3, {"i2": 3}, "commissioner", 5) == "<5"
    assert total_of_groups(12, {"i1": 10, "i2": 2}, "lead", 5) == 12


@pytest.mark.parametrize("seed", range(200))
def test_no_small_group_can_be_worked_out_from_totals_over_shared_groups(seed: int) -> None:
    """Random insights (sets of notes) under random priorities: every shown total equals
    the sum of shown counts, so no subtraction reveals anything that is not shown."""
    rng = random.Random(seed)
    groups = {f"i{k}": set(rng.sample(range(40), rng.choice([1, 2, 3, 5, 8, 12])))
              for k in range(4)}
    for _ in range(3):
        members = rng.sample(sorted(groups), rng.randint(1, 4))
        union = set().union(*(groups[m] for m in members))
        shown = total_of_groups(len(union), {m: len(groups[m]) for m in members},
                                "commissioner", 5)
        parts = [suppress(len(groups[m]), "commissioner", 5) for m in members]
        if isinstance(shown, int):
            assert all(isinstance(c, int) for c in parts) and sum(parts) == shown
        elif shown.startswith("at least "):
            assert int(shown.split()[-1]) == max(c for c in parts if isinstance(c, int))
        elif " to " in shown:
            low, high = (int(n) for n in shown.split(" to "))
            assert all(isinstance(c, int) for c in parts)
            assert (low, high) == (max(parts), sum(parts)) and low <= len(union) <= high


def test_an_insight_inside_another_is_hidden_when_they_differ_by_a_few() -> None:
    big, inner, near, apart = set(range(12)), set(range(9)), set(range(5)), set(range(20, 27))
    counts = group_counts({"A": big, "B": inner, "C": near, "D": apart}, "commissioner", 5)
    # 12 - 9 = 3 notes in A and not in B: B is hidden; C is 7 notes short of A, 4 of B
    assert counts == {"A": 12, "B": HIDDEN, "C": 5, "D": 7}
    assert group_counts({"A": big, "B": inner}, "lead", 5) == {"A": 12, "B": 9}
    assert group_counts({"A": big, "B": set(big)}, "commissioner", 5) == {"A": 12, "B": 12}
    # a priority over A and B: B's count is not shown, so neither is an exact total
    assert total_of_groups(12, {"A": 12, "B": 9}, "commissioner", 5, hidden={"B"}) == (
        "at least 12"
    )


@pytest.mark.parametrize("seed", range(200))
def test_no_small_difference_between_nested_insights_is_shown(seed: int) -> None:
    rng = random.Random(seed)
    pool = list(range(30))
    groups: dict[str, set[int]] = {"i0": set(rng.sample(pool, rng.randint(1, 25)))}
    for k in range(1, 6):  # nested ones (a sample of an earlier group) and fresh ones
        base = groups[rng.choice(sorted(groups))] if rng.random() < 0.7 else set(pool)
        groups[f"i{k}"] = set(rng.sample(sorted(base), rng.randint(1, len(base))))
    counts = group_counts(groups, "commissioner", 5)
    for a, b in [(a, b) for a in groups for b in groups if a != b]:
        if groups[b] < groups[a] and isinstance(counts[a], int) and isinstance(counts[b], int):
            assert counts[a] - counts[b] >= 5
    for g, notes in groups.items():  # nothing is shown that is not the true count
        assert counts[g] in (len(notes), HIDDEN, "<5")


def test_a_short_evidence_sentence_is_quoted_with_the_sentences_after_it() -> None:
    text = ("waiting list again. 9 months. says she feels worse than when referred. "
            "Also asked about the bus.")
    assert fuller_excerpt(text, "waiting list again.") == (
        "waiting list again. 9 months. says she feels worse than when referred.")
    # long enough, not in the note, or nothing after it: as it was
    long = "Rang the crisis team twice and nobody came back to her."
    assert fuller_excerpt(long + " She gave up.", long) == long
    assert fuller_excerpt(text, "not there") == "not there"
    assert fuller_excerpt("Short one.", "Short one.") == "Short one."
    # the note's last words: the sentences before them, as many as make it say something
    visit = "Met at the carers cafe. Her son waits for a mental health assessment. Took a leaflet."
    assert fuller_excerpt(visit, "Took a leaflet.") == (
        "Her son waits for a mental health assessment. Took a leaflet.")
    assert fuller_excerpt("Sad. Took a leaflet.", "Took a leaflet.") == "Sad. Took a leaflet."
    assert fuller_excerpt("x" * 400 + ". Took a leaflet.", "Took a leaflet.") == "Took a leaflet."
    # never past the longest quote
    assert len(fuller_excerpt("Waited. " + "x" * 400 + ".", "Waited.")) < 20
    [quote] = quotes_for([{"id": "n", "text": text, "consent_quote": True}],
                         excerpts={"n": "waiting list again."})
    assert quote.text == "waiting list again. 9 months. says she feels worse than when referred."


def quoted(text: str, excerpt: str | None = None, **kwargs: object) -> list[tuple[str, bool]]:
    """What the software picks from one note with consent (its evidence sentence, if
    any), as (text, own words)."""
    return [(q.text, q.own_words) for q in quotes_for(
        [{"id": "n", "text": text, "consent_quote": True}],
        excerpts={"n": excerpt} if excerpt else None, **kwargs)]  # type: ignore[arg-type]


def test_a_picked_quote_is_whole_sentences_not_a_fragment() -> None:
    """A peer-listener audit: quotes the software picked were pieces of a sentence, a few
    words that said nothing alone, or cut mid-thought."""
    # words in quote marks that carry on the listener's sentence: the whole sentence
    said = ("Rang the crisis line at 2am and the woman said she 'would rather sit in A&E all "
            "night than ring that number again' which says it all.")
    assert quoted(said) == [(said, False)]
    # too short to say anything, on its own or in its note: not picked
    assert quoted("It never came.") == []
    assert quoted("Bus gone. Sad.") == []
    # a first sentence too long to quote whole: not cut mid-thought, not picked
    rambling = "Long chat at the cafe with a woman who " + "tried and tried and " * 20 + "gave up."
    assert len(rambling) > MAX_QUOTE_CHARS and quoted(rambling) == []
    # a note longer than a quote: its first whole sentences within the limit
    long = ("The crisis line rang out three times on Sunday night. It rang out again. "
            + "And again " * 30 + "on Monday.")
    assert len(long) > MAX_QUOTE_CHARS and quoted(long) == [
        ("The crisis line rang out three times on Sunday night. It rang out again.", False)]
    # own words that stand alone are still the person's own words
    assert quoted("Met at the cafe. 'I rang the crisis line six times and nobody came,' "
                  "he said.") == [("I rang the crisis line six times and nobody came", True)]
    # the evidence sentence cut inside a quotation: the whole quotation (here with the
    # sentence before, as its first word points back)
    note = ("Dad at the carers group, lad on the CAMHS list since Year 9. 'They said eighteen "
            "months at the very least for him. He'll be an adult by then, and then what?' "
            "Angry more than sad.")
    assert quoted(note, "'They said eighteen months at the very least for him.") == [
        ("Dad at the carers group, lad on the CAMHS list since Year 9. 'They said eighteen "
         "months at the very least for him. He'll be an adult by then, and then what?'", False)]
    # where one note gives nothing whole, the next is quoted
    notes = [{"id": "a", "text": "It never came.", "consent_quote": True},
             {"id": "b", "text": "The memory clinic letter took four months.",
              "consent_quote": True}]
    assert [q.note_id for q in quotes_for(notes, limit=1)] == ["b"]


def test_a_sentence_pointing_back_is_quoted_with_the_one_before() -> None:
    note = ("Waited eleven months for the letter from the memory clinic. That was the worst "
            "bit of the whole year. Took a leaflet.")
    assert quoted(note, "That was the worst bit of the whole year.") == [
        ("Waited eleven months for the letter from the memory clinic. That was the worst bit "
         "of the whole year.", False)]
    # the person's own words pointing back: in the listener's sentence before them
    plan = ("Asked about care for her son after she's gone. She's 78. Said she's written it "
            "all down in a notebook and left it in the bureau. 'That's my plan. It's a "
            "notebook in a drawer.'")
    assert quoted(plan, "'That's my plan.") == [
        ("Said she's written it all down in a notebook and left it in the bureau. 'That's my "
         "plan. It's a notebook in a drawer.'", False)]
    # the sentence before points back too: the passage would still not stand alone
    chain = ("Beverley talked after the group. She's sure they would have let a white lad's mum "
             "near him. He was taken to a ward in Norfolk for fourteen weeks.")
    assert quoted(chain, "He was taken to a ward in Norfolk for fourteen weeks.") == []
    # past the longest quote with the sentence before: not picked
    far = "x " * 170 + "end. It was the worst wait of all for her."
    assert quoted(far, "It was the worst wait of all for her.") == []
    # a note's first sentence has nothing before it to point at
    assert quoted("She said the memory clinic letter took four months.") == [
        ("She said the memory clinic letter took four months.", False)]
    # a lead who pinned the note read it whole: quoted as chosen
    assert [q.text for q in quotes_for(
        [{"id": "n", "text": chain, "consent_quote": True}], chosen={"n"},
        excerpts={"n": "He was taken to a ward in Norfolk for fourteen weeks."})] == [
        "He was taken to a ward in Norfolk for fourteen weeks."]


def test_words_that_may_speak_of_a_risk_the_flag_missed_are_held_back() -> None:
    notes = [
        {"id": "balcony", "consent_quote": True,
         "text": "'Some nights I'm standing on the balcony thinking about it,' she said."},
        {"id": "burden", "consent_quote": True,
         "text": "'What's the point of me now, I'm just a burden to my kids,' he said."},
        {"id": "scored", "consent_quote": True,
         "text": "'Nobody has rung me back since the summer, not once,' she said."},
        {"id": "calm", "consent_quote": True,
         "text": "'The cafe on a Friday is the best bit of my week,' she said."},
    ]
    # the classifier's score and the score it flags from: half of it holds a note back
    scores = {"scored": (0.10, 0.18), "calm": (0.08, 0.18), "balcony": (0.05, 0.18)}
    held = holds_back(notes, scores)
    assert held == {"balcony", "burden", "scored"}
    assert holds_back(notes[2:], {"scored": (0.09, 0.18)}) == {"scored"}  # at half: held
    assert holds_back(notes[2:], {"scored": (0.0899, 0.18)}) == set()
    # never flagged, so quotable; but the software picks none of them
    assert all(may_quote(n) for n in notes)
    assert [q.note_id for q in quotes_for(notes, held_back=held)] == ["calm"]
    # a lead who read one and pinned it: quoted
    assert [q.note_id for q in quotes_for(notes, held_back=held, chosen={"burden"})] == [
        "burden", "calm"]


def test_a_quote_naming_a_gp_practice_is_kept_with_the_place_taken_out() -> None:
    """A practice or street is a place (PLACE), not contact details: the person's own words
    are still quoted, with it removed (an [ADDRESS] would have dropped them)."""
    notes = [{"id": "a", "text": "She said 'Nurse Jane at Walworth Road surgery was the only "
                                 "one who listened to me'. Left early.", "consent_quote": True}]
    assert [(q.text, q.own_words) for q in quotes_for(notes, own_words=True)] == [
        ("Nurse [PERSON] at [PLACE] was the only one who listened to me", True)]
