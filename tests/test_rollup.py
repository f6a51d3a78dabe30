from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from insight.codebook import load_codebook
from insight.privacy import HIDDEN, WITHHELD
from insight.rollup import (
    beyond_chance,
    candidate_phrases,
    categories_not_in,
    categorised_at_least,
    category_coverage,
    category_rollup,
    distinct,
    find_key_phrases,
    heard_against_population,
    heard_between,
    heard_from,
    key_phrases,
    naming_no_community,
    note_frame,
    small_groups,
    tagged_under_other_versions,
    tagged_under_unrecorded_versions,
    tagging_split,
    tally,
    trend_word,
)
from insight.store import ModelTagging, Store
from tests.notes import add, note


def test_people_outrank_the_model(store: Store) -> None:
    add(
        store,
        note("a", "text a", categories=["access-waiting"]),
        note("b", "text b"),  # unlabelled: the model's tags count
    )
    store.save_model_tags(
        [
            ModelTagging("a", {"crisis-urgent": 0.9}, ["crisis-urgent"], {}, False, "negative"),
            ModelTagging("b", {"crisis-urgent": 0.8}, ["crisis-urgent"], {}, False, "negative"),
        ],
        model_version="m1",
        codebook_version="1",
    )
    frame = note_frame(store).set_index("id")
    assert frame.loc["a", "categories"] == ["access-waiting"]
    assert frame.loc["a", "category_source"] == "person"
    assert frame.loc["b", "categories"] == ["crisis-urgent"]
    # both kept
    sources = {(t["note_id"], t["source"]) for t in store.tags_for()}
    assert ("a", "model") in sources and ("a", "person") in sources


def test_rollup_counts_share_breadth_and_months(store: Store) -> None:
    add(
        store,
        note("1", "t1", categories=["access-waiting"], heard_on="2026-01-05", place="Hull"),
        note("2", "t2", categories=["access-waiting", "carers-family"], heard_on="2026-01-20",
             place="York", listener="L2"),
        note("3", "t3", categories=["access-waiting"], heard_on="2026-02-02", place="Hull"),
        note("4", "t4", categories=[], heard_on="2026-02-03"),
    )
    table = category_rollup(note_frame(store), load_codebook()).set_index("category")
    row = table.loc["access-waiting"]
    assert row["notes"] == 3
    assert row["share"] == 0.75
    assert row["places"] == 2 and row["listeners"] == 2
    assert row["2026-01"] == 2 and row["2026-02"] == 1
    assert table.loc["carers-family", "notes"] == 1
    assert table.loc["crisis-urgent", "notes"] == 0


def test_small_numbers_suppressed_for_commissioners(store: Store) -> None:
    add(store, *[note(str(i), f"t{i}", categories=["daily-living"]) for i in range(3)])
    book = load_codebook()
    lead = category_rollup(note_frame(store), book, audience="lead").set_index("category")
    commissioner = category_rollup(
        note_frame(store), book, audience="commissioner", threshold=5
    ).set_index("category")
    assert lead.loc["daily-living", "notes"] == 3
    # only a "<5" and zeros: which category those few notes are in is not shown either
    assert (commissioner["notes"] == "not shown").all()
    assert commissioner.loc["daily-living", "share"] is None
    add(store, *[note(f"w{i}", f"w{i}", categories=["access-waiting"]) for i in range(6)])
    commissioner = category_rollup(
        note_frame(store), book, audience="commissioner", threshold=5
    ).set_index("category")
    assert commissioner.loc["daily-living", "notes"] == "<5"
    assert commissioner.loc["access-waiting", "notes"] == "5 to 8"  # so the "<5" stays open
    assert commissioner.loc["crisis-urgent", "notes"] == 0


def test_erased_notes_leave_the_counts(store: Store) -> None:
    add(store, note("x", "t", categories=["daily-living"]), note("y", "u", categories=[]))
    store.erase_notes(["x"])
    table = category_rollup(note_frame(store), load_codebook()).set_index("category")
    assert table.loc["daily-living", "notes"] == 0
    assert len(note_frame(store)) == 1


def test_undated_notes_get_their_own_month_column(store: Store) -> None:
    add(
        store,
        note("d1", "t1", categories=["access-waiting"], heard_on="2026-01-05"),
        note("d2", "t2", categories=["access-waiting"], heard_on=None),
        note("d3", "t3", categories=["carers-family"], heard_on=None),
    )
    table = category_rollup(note_frame(store), load_codebook())
    row = table.set_index("category").loc["access-waiting"]
    assert row["notes"] == 2 and row["2026-01"] == 1 and row["undated"] == 1
    assert table.set_index("category").loc["carers-family", "undated"] == 1


def test_a_suppressed_month_cannot_be_recovered_by_subtraction(store: Store) -> None:
    march = [note(f"m{i}", "t", categories=["access-waiting"], heard_on="2026-03-02")
             for i in range(5)]
    april = [note(f"a{i}", "t", categories=["access-waiting"], heard_on="2026-04-02")
             for i in range(2)]
    add(store, *march, *april)
    row = category_rollup(note_frame(store), load_codebook(), audience="commissioner",
                          threshold=5).set_index("category").loc["access-waiting"]
    # 7 - 5 = 2 would give April away; hiding March too would not help (a hidden month is
    # at least 5, so April is at most 2). The report shows the category's 7 notes, so
    # hiding the total here would protect nothing: the months are not shown instead.
    assert row["notes"] == 7 and row["share"] is not None
    assert row["2026-03"] == "not shown" and row["2026-04"] == "not shown"
    report_view = category_rollup(note_frame(store), load_codebook(), audience="commissioner",
                                  threshold=5, by_month=False).set_index("category")
    assert report_view.loc["access-waiting", "notes"] == row["notes"]
    lead = category_rollup(note_frame(store), load_codebook(), audience="lead")
    assert lead.set_index("category").loc["access-waiting", "2026-03"] == 5


def test_the_month_hidden_is_one_that_leaves_the_small_one_open(store: Store) -> None:
    months = {"2026-03": 9, "2026-04": 2, "2026-05": 6}
    add(store, *[note(f"{m}-{i}", "t", categories=["access-waiting"], heard_on=f"{m}-02")
                 for m, n in months.items() for i in range(n)])
    row = category_rollup(note_frame(store), load_codebook(), audience="commissioner",
                          threshold=5).set_index("category").loc["access-waiting"]
    # hiding May (6) would leave April at most 17 - 9 - 5 - ... = 3: March (9) is hidden
    assert row["notes"] == 17 and row["2026-04"] == "<5"
    assert row["2026-03"] == "hidden" and row["2026-05"] == 6


def test_a_count_the_report_shows_is_shown_and_its_months_are_not(store: Store) -> None:
    """8 notes = 5 in January + 3 in March: the report shows the 8, so the roll-up does
    too (hiding it would protect nothing), and withholds both months; places and listeners
    say nothing about the months."""
    add(store, *[note(f"j{i}", "t", categories=["fair-treatment"], heard_on="2026-01-05",
                      listener=f"L{i}", place=f"P{i}") for i in range(5)],
        *[note(f"m{i}", "t", categories=["fair-treatment"], heard_on="2026-03-05",
               listener=f"M{i}", place=f"Q{i}") for i in range(3)])
    row = category_rollup(note_frame(store), load_codebook(), audience="commissioner",
                          threshold=5).set_index("category").loc["fair-treatment"]
    assert row["notes"] == 8 and row["2026-01"] == "not shown" and row["2026-03"] == "not shown"
    assert row["places"] == 8 and row["listeners"] == 8 and row["share"] == 1.0


def test_the_number_of_notes_is_kept_when_a_part_of_the_tagging_split_is_small(
    store: Store,
) -> None:
    """5 notes with categories from a person and 1 not tagged: the number of notes is what
    a reader needs first, so it is shown and the split gives way (how notes were tagged is
    about the work, not the people heard); shares over it are shown."""
    add(store, *[note(f"d{i}", "t", categories=["daily-living"]) for i in range(5)],
        note("u", "not tagged yet"))
    split = tagging_split(note_frame(store), "commissioner", 5)
    assert split["notes"] == 6 and split["untagged"] in ("<5", HIDDEN, WITHHELD)
    assert split["tagged_by_person"] in (HIDDEN, WITHHELD)
    table = category_rollup(note_frame(store), load_codebook(), audience="commissioner",
                            threshold=5).set_index("category")
    assert table.loc["daily-living", "notes"] == 5
    assert table.loc["daily-living", "share"] == round(5 / 6, 3)


def test_a_small_category_is_not_given_away_by_the_notes_with_categories(
    store: Store,
) -> None:
    """The blind audit's case: 24 notes with one category a person gave each, 20 in
    access-waiting and 4 in daily-living. Beside "24 notes have categories a person gave"
    and zeros elsewhere, "20" and "<5" said the "<5" was 4 (23 notes: 3 or 4). The 20 is
    given as the range the other figures allow, without the share, experiences or months
    that would give it back; the "<5" is then anything from 1 to 4."""
    add(store, *[note(f"a{i}", "Waited.", categories=["access-waiting"],
                      heard_on=f"2025-{i % 6 + 1:02d}-10") for i in range(20)],
        *[note(f"d{i}", "Debt.", categories=["daily-living"], heard_on=f"2025-0{i + 1}-12")
          for i in range(4)])
    frame = note_frame(store)
    assert tagging_split(frame, "commissioner", 5)["tagged_by_person"] == 24
    table = category_rollup(frame, load_codebook(), audience="commissioner").set_index(
        "category")
    access = table.loc["access-waiting"]
    assert access["notes"] == "20 to 23" and access["share"] is None
    assert {access[k] for k in ("negative", "mixed", "not known", "2025-01", "2025-06")} == {
        WITHHELD}
    assert table.loc["daily-living", "notes"] == "<5"
    assert table.loc["crisis-urgent", "notes"] == 0  # zeros stay: the range covers them
    # every value of daily-living from 1 to 4 fits: 24 - 23 = 1 ... 24 - 20 = 4
    lead = category_rollup(frame, load_codebook(), audience="lead").set_index("category")
    assert lead.loc["access-waiting", "notes"] == 20 and lead.loc["daily-living", "notes"] == 4


def test_categories_that_hold_every_note_between_them_are_shown_as_they_are(
    store: Store,
) -> None:
    """Notes in two categories each (most notes are): the shown counts hold all 24 notes,
    so they bound no small one, and nothing is widened."""
    add(store, *[note(f"a{i}", "Waited.", categories=["access-waiting", "crisis-urgent"])
                 for i in range(20)],
        *[note(f"d{i}", "Debt.", categories=["daily-living", "crisis-urgent"])
          for i in range(4)])
    table = category_rollup(note_frame(store), load_codebook(),
                            audience="commissioner").set_index("category")
    assert table.loc["access-waiting", "notes"] == 20
    assert table.loc["crisis-urgent", "notes"] == 24
    assert table.loc["daily-living", "notes"] == "<5"


def test_notes_with_categories_as_a_reader_of_the_tagging_split_can_bound_them() -> None:
    split = {"notes": 24, "tagged_by_person": 24, "tagged_by_model": 0, "untagged": 0}
    assert categorised_at_least(split, 5) == 24
    # the model's notes may have no category: only a person's count
    assert categorised_at_least({**split, "tagged_by_person": 14, "tagged_by_model": 10}, 5) == 14
    # the person's part hidden beside a "<5" of the model's: all notes less 4 and the 0
    hidden = {"notes": 22, "tagged_by_person": HIDDEN, "tagged_by_model": "<5", "untagged": 0}
    assert categorised_at_least(hidden, 5) == 18
    assert categorised_at_least({**split, "notes": "<5"}, 5) == 0
    assert categorised_at_least(dict.fromkeys(split, WITHHELD) | {"notes": 7}, 5) == 0


def test_notes_no_category_count_stands_on_are_said_and_kept_from_giving_a_count_away(
    store: Store,
) -> None:
    """Blind commissioner audit: "40 notes" said nothing of how many the category counts
    stand on. The notes in no category (none from a person or the model, or not tagged
    yet) and those only in categories the codebook no longer has are given, a small one
    as "<5" (the notes in a category count, which they and the total would give, are
    never shown)."""
    add(store, *[note(f"a{i}", "Waited.", categories=["access-waiting"]) for i in range(20)],
        *[note(f"u{i}", "Not tagged yet.") for i in range(6)],
        *[note(f"r{i}", "Old.", categories=["voice-gone"]) for i in range(2)])
    frame, book = note_frame(store), load_codebook()
    assert category_coverage(frame, book, "lead", 5) == {"no_category": 6, "only_retired": 2}
    assert category_coverage(frame, book, "commissioner", 5) == {
        "no_category": 6, "only_retired": "<5"}


def test_notes_in_no_category_do_not_bound_a_small_part_of_the_tagging_split(
    store: Store,
) -> None:
    """Every note not tagged yet is in no category: where the split hides how many are
    not tagged yet (beside its small count of notes a person labelled), an exact number
    in no category would bound them from above, and so pin the "<5" down (33 notes, 10
    from the model, 19 in no category: 19 not tagged yet, 4 labelled)."""
    add(store, *[note(f"p{i}", "Waited.", categories=["access-waiting"]) for i in range(4)],
        *[note(f"m{i}", "Waited.") for i in range(10)],
        *[note(f"u{i}", "Not tagged yet.") for i in range(19)])
    store.save_model_tags(
        [ModelTagging(f"m{i}", {"access-waiting": 0.9}, ["access-waiting"], {}, False, None)
         for i in range(10)], model_version="m", codebook_version="1")
    frame = note_frame(store)
    split = tagging_split(frame, "commissioner", 5)
    assert split["tagged_by_person"] == "<5" and split["untagged"] == HIDDEN
    shown = category_coverage(frame, load_codebook(), "commissioner", 5)
    assert shown["no_category"] == WITHHELD
    assert category_coverage(frame, load_codebook(), "lead", 5)["no_category"] == 19


def test_a_small_category_is_not_given_away_by_the_notes_in_no_category(
    store: Store,
) -> None:
    """The model found no category for 10 of 34 notes: the split alone bounds nothing (the
    model's notes may have none), but 34 notes less the 10 in no category is 24 with
    categories, and "20" beside a "<5" would say it is 4. The 20 is widened, as it is
    where the split gives the notes with categories."""
    add(store, *[note(f"n{i}", "Said.") for i in range(34)])
    store.save_model_tags(
        [ModelTagging(f"n{i}", {"access-waiting": 0.9}, ["access-waiting"], {}, False, None)
         for i in range(20)]
        + [ModelTagging(f"n{i}", {"daily-living": 0.9}, ["daily-living"], {}, False, None)
           for i in range(20, 24)]
        + [ModelTagging(f"n{i}", {}, [], {}, False, None) for i in range(24, 34)],
        model_version="m", codebook_version="1")
    frame, book = note_frame(store), load_codebook()
    assert category_coverage(frame, book, "commissioner", 5)["no_category"] == 10
    table = category_rollup(frame, book, audience="commissioner").set_index("category")
    assert table.loc["access-waiting", "notes"] == "20 to 23"
    assert table.loc["daily-living", "notes"] == "<5"


def test_the_warning_of_a_retired_category_says_which_notes_are_in_no_count(
    store: Store,
) -> None:
    """Blind audit: `report` and `rollup` said notes tagged with a category the codebook
    no longer has were "in no count", even those also in a current category, which count
    under it."""
    add(store, *[note(f"g{i}", "Old.", categories=["voice-gone"]) for i in range(3)],
        *[note(f"b{i}", "Both.", categories=["voice-gone", "access-waiting"])
          for i in range(2)])
    [said] = categories_not_in(note_frame(store), load_codebook())
    assert said.startswith("notes are tagged with categories the workspace's codebook does "
                           "not have: voice-gone (5 notes); 3 of them carry no other category, "
                           "so they are in no category count; the other 2 are counted under "
                           "their current categories only")
    assert "they are in no count" not in said
    store.erase_notes([f"g{i}" for i in range(3)])
    [said] = categories_not_in(note_frame(store), load_codebook())
    assert "voice-gone (2 notes); they are counted under their current categories only" \
        in said
    store.erase_notes(["b1"])
    [said] = categories_not_in(note_frame(store), load_codebook())
    assert "voice-gone (1 note); it is counted under its current categories only" in said
    add(store, note("g9", "Old.", categories=["voice-gone"]))
    store.erase_notes(["b0"])
    [said] = categories_not_in(note_frame(store), load_codebook())
    assert "voice-gone (1 note); it carries no other category, so it is in no category " \
        "count" in said


def test_notes_whose_counted_tags_record_no_codebook_version(store: Store) -> None:
    """A listener's labels and reviews made before versions were kept record no version:
    a count of notes "tagged under version 1" is then a floor, and the report must know
    how many notes it cannot place."""
    add(store, note("listener", "Labelled in the file.", categories=["access-waiting"]),
        note("model", "Tagged by the model."), note("untagged", "Not tagged yet."))
    store.save_model_tags(
        [ModelTagging(n, {"access-waiting": 0.9}, ["access-waiting"], {}, False, None)
         for n in ("listener", "model")], model_version="m", codebook_version="1")
    frame = note_frame(store)
    v2 = replace(load_codebook(), version="2")
    # the listener's note counts under the person's label (no version), not the model's
    assert tagged_under_other_versions(store, frame, v2) == {"1": 1}
    assert tagged_under_unrecorded_versions(store, frame) == 1
    store.erase_notes(["listener"])
    assert tagged_under_unrecorded_versions(store, note_frame(store)) == 0


def test_shares_are_hidden_when_the_number_of_notes_is_small(store: Store) -> None:
    add(store, *[note(f"d{i}", "t", categories=["daily-living"]) for i in range(4)])
    table = category_rollup(note_frame(store), load_codebook(), audience="commissioner",
                            threshold=5).set_index("category")
    assert table.loc["daily-living", "notes"] == "not shown"  # no count above zero shown
    assert table["share"].isna().all()
    lead = category_rollup(note_frame(store), load_codebook()).set_index("category")
    assert lead.loc["daily-living", "share"] == 1.0


def test_a_note_anyone_flagged_counts_as_safeguarding(store: Store) -> None:
    """The listener's yes, the model's flag or the phrase list's queue item (even against
    a listener's no): `notes list --safeguarding` must find every one."""
    add(store,
        note("person", "Said she has a plan.", safeguarding=True),
        note("listener-no", "Said she wants to end it all.", safeguarding=False),
        note("unasked", "Said she wants to end it all."),
        note("clear", "Liked the cafe.", safeguarding=False))
    store.flag_safeguarding("listener-no", by="phrase-list", reason="test")
    store.flag_safeguarding("unasked", by="phrase-list", reason="test")
    frame = note_frame(store).set_index("id")
    assert frame["safeguarding"].to_dict() == {
        "person": True, "listener-no": True, "unasked": True, "clear": False,
    }


def test_who_was_heard_names_no_small_setting_or_community_outside_the_leads_view(
    store: Store,
) -> None:
    add(store,
        *[note(f"c{i}", "t", setting="Drop-in" if i % 3 else "drop-in ",
               community=["carers", "Black Caribbean"] if i < 4 else ["carers"])
          for i in range(8)],
        *[note(f"p{i}", "t", setting="phone call", community=["young people"])
          for i in range(6)],
        note("r1", "t", setting="hostel", community=["Roma"]),
        note("r2", "t", setting="mosque", community=["Roma", "women"]),
        note("r3", "t", setting="mosque"),
        note("n1", "t", setting="Not recorded"),
        note("n2", "t"))
    frame = note_frame(store)
    lead = heard_from(frame, "lead", 5)
    assert lead["setting"] == [("Drop-in", 8), ("phone call", 6), ("mosque", 2),
                               ("hostel", 1), ("not recorded", 2)]
    assert dict(lead["community"])["Roma"] == 2 and dict(lead["community"])["not recorded"] == 3
    # outside the leads' view: names of the large groups only, in alphabetical order and
    # without counts (a named setting has 5 or more notes, so any count or order beside
    # the total would give the small ones back)
    shown = heard_from(frame, "commissioner", 5)
    assert shown == {"setting": [("Drop-in", None), ("phone call", None)],
                     "community": [("carers", None), ("young people", None)]}
    # a lead's choice: a setting or community never named, in any case or spacing
    chosen = heard_from(frame, "community", 5, never_name=["PHONE  call", "carers"])
    assert chosen == {"setting": [("Drop-in", None)], "community": [("young people", None)]}
    assert heard_from(frame, "lead", 5, never_name=["phone call"]) == lead  # leads see all
    # a setting or community typed with a person's name or number in it is never named
    add(store, *[note(f"v{i}", "t", setting="home visit to Mrs Okafor 07700 900777",
                      community=["Okafor family"]) for i in range(5)])
    frame = note_frame(store)
    assert heard_from(frame, "commissioner", 5) == shown
    assert dict(heard_from(frame, "lead", 5)["setting"])[
        "home visit to Mrs Okafor 07700 900777"] == 5


def test_who_is_and_is_not_heard_against_the_local_population(store: Store) -> None:
    add(store,
        *[note(f"c{i}", "t", community=["carers"]) for i in range(30)],
        *[note(f"y{i}", "t", community=["young people", "Somali"]) for i in range(6)],
        *[note(f"r{i}", "t", community=["Roma"]) for i in range(2)],
        *[note(f"x{i}", "t", community=["Polish"]) for i in range(2)],
        *[note(f"n{i}", "t") for i in range(10)])
    population = {"carers": 10, "Young People": 20, "Roma": 0.5, "Polish": 30,
                  "Bangladeshi": 3}
    rows = {r["community"]: r for r in heard_against_population(
        note_frame(store), population, "commissioner", 5)}
    # outside the leads' view proportion is over all 50 notes (the report's total)
    assert rows["carers"]["notes"] == 30 and rows["carers"]["expected"] == 5
    assert rows["carers"]["share_percent"] == 60.0 and rows["carers"]["heard"] == "more heard"
    assert rows["Young People"]["notes"] == 6 and rows["Young People"]["expected"] == 10
    # 6 notes where 10 were expected is a gap chance often gives (blind audit, commissioner:
    # "less heard" on a gap of two notes was a verdict the numbers could not carry)
    assert rows["Young People"]["heard"] == "no clear difference (few notes)"
    # a small community's 0 is not told apart from 1 to 4: either would say something
    # heard_from keeps back (that someone from it spoke, or that the "<5" is not 0)
    assert rows["Bangladeshi"]["notes"] == "<5" and rows["Bangladeshi"]["share_percent"] is None
    # a suppressed count has no share; it is compared only where any count under 5 would
    # say the same (15 expected: much less heard), never where it would not (0.25 expected)
    assert rows["Polish"]["notes"] == "<5" and rows["Polish"]["share_percent"] is None
    assert rows["Polish"]["heard"] == "much less heard"
    assert rows["Roma"]["notes"] == "<5" and rows["Roma"]["heard"].startswith("fewer than 5")
    # leads: over the 40 notes that name a community (the 10 that name none say nothing
    # about who spoke), exact counts
    lead = {r["community"]: r for r in heard_against_population(note_frame(store), population)}
    assert lead["carers"]["expected"] == 4 and lead["carers"]["share_percent"] == 75.0
    assert lead["Roma"]["notes"] == 2 and lead["Roma"]["heard"] == "more heard"
    assert lead["Bangladeshi"]["notes"] == 0 and lead["Bangladeshi"]["heard"] == "not heard"
    # fewer notes than the threshold in all: no table outside the leads' view
    assert heard_against_population(note_frame(store).head(4), population, "community", 5) == []


def test_shares_cannot_be_divided_back_into_a_small_number_of_notes_naming_no_community(
    store: Store,
) -> None:
    """With 3 notes naming no community, a share over the 40 that name one (30/40 = 75.0%)
    beside the report's total of 43 would give the 3 away: outside the leads' view the
    proportion is over all notes."""
    add(store, *[note(f"c{i}", "t", community=["carers"]) for i in range(30)],
        *[note(f"o{i}", "t", community=["older people"]) for i in range(10)],
        *[note(f"n{i}", "t") for i in range(3)])
    [row] = heard_against_population(note_frame(store), {"carers": 50}, "commissioner", 5)
    assert row["share_percent"] == round(100 * 30 / 43, 1) and row["expected"] == round(21.5)
    [lead] = heard_against_population(note_frame(store), {"carers": 50}, "lead", 5)
    assert lead["share_percent"] == 75.0 and lead["expected"] == 20


def test_candidate_phrases_stay_within_a_clause_and_skip_stop_words() -> None:
    found = candidate_phrases("She rang the Crisis Team twice; nobody came. Waited 3 hours, "
                              "they didn't ring back")
    assert "crisis team" in found and "rang" in found and "waited" in found
    assert "team twice" in found
    assert "twice nobody" not in found  # not across ";"
    assert "hours" in found and "3 hours" not in found  # no numbers
    assert not any(p.startswith(("the ", "she ")) or p.endswith(" the") for p in found)
    assert "didn't" not in found and "didn't ring" not in found  # a contraction at an edge
    # fillers of spoken English are no theme on their own
    assert "actually" not in candidate_phrases("They actually listened, came till late")
    assert "actually listened" not in candidate_phrases("They actually listened")


def _phrase_notes(store: Store) -> None:
    """Six notes on waiting, six on crisis care, six on a walking group; the GP is in
    three of each, so typical of none."""
    waiting = [
        "Been on the waiting list since March, nobody rings back.",
        "Still on the waiting list for therapy after a year. The GP says be patient.",
        "Her son is stuck on a waiting list and school can't help.",
        "The waiting list for the memory clinic is eight months; the GP keeps apologising.",
        "He gave up, the waiting list never moves.",
        "They put me on the waiting list again, the GP just shrugs.",
    ]
    crisis = [
        "Rang the crisis team at midnight and nobody came.",
        "The crisis team visited once, then never again. GP was closed.",
        "Mum called the crisis team when he stopped eating.",
        "Crisis team said go to A&E, sat there six hours; the GP rang after.",
        "The crisis team were kind but rushed.",
        "Phoned the crisis team three times in one week, then the GP.",
    ]
    walking = [f"The walking group in the park on day {i} helps" + (", the GP sent me." if i < 3
               else ".") for i in range(6)]
    add(store, *[note(f"{kind[0]}{i}", t, categories=[category], **_heard(i))
                 for kind, category in (("waiting", "access-waiting"), ("crisis", "crisis-urgent"),
                                        ("o", "community-support"))
                 for i, t in enumerate({"waiting": waiting, "crisis": crisis}.get(kind, walking))])


def _heard(i: int) -> dict[str, str]:
    """Notes from three listeners, on different days, in two places."""
    return {"listener": f"L{i % 3}", "heard_on": f"2026-03-{10 + i:02d}",
            "place": "Leeds" if i % 2 else "Sheffield"}


def test_key_phrases_are_what_is_typical_of_a_category(store: Store) -> None:
    _phrase_notes(store)
    notes = [n for batch in store.iter_notes() for n in batch]
    found = key_phrases(notes, note_frame(store), load_codebook(), audience="lead")
    assert found["access-waiting"][0] == ("waiting list", 6)
    assert found["crisis-urgent"][0] == ("crisis team", 6)
    assert "crisis" not in dict(found["crisis-urgent"])  # the longer form instead
    assert "walking group" in dict(found["community-support"])
    # in three notes of each category: typical of none
    assert all("gp" not in dict(v) for v in found.values())
    assert "waiting list" not in dict(found["crisis-urgent"])
    # a month named once is in too few notes to be a theme
    assert all("march" not in dict(v) for v in found.values())


def test_a_category_without_key_phrases_says_why(store: Store) -> None:
    """An empty cell read as a fault: a category with none says why, most often too few
    notes; outside the leads' view without the number, which could be a small one."""
    _phrase_notes(store)
    add(store, *[note(f"f{i}", f"Money is tight, {what}.", categories=["daily-living"],
                      **_heard(i)) for i, what in enumerate(("rent up", "bus fares"))])
    add(store, *[note(f"v{i}", what, categories=["voice-involvement"], **_heard(i))
                 for i, what in enumerate(("Nobody listened.", "Felt heard for once.",
                                           "Was asked my view on the plan."))])
    notes = [n for batch in store.iter_notes() for n in batch]
    found = find_key_phrases(notes, note_frame(store), load_codebook(), audience="lead")
    assert "access-waiting" in found.phrases and "access-waiting" not in found.missing
    assert found.missing["daily-living"] == "only 2 notes; a phrase needs 3"
    assert found.missing["carers-family"] == "no notes; a phrase needs 3"
    # three notes, but no phrase in three of them
    assert found.missing["voice-involvement"] == "no phrase in 3 or more of its notes stands out"
    assert set(found.phrases) | set(found.missing) == set(load_codebook().ids)
    shared = find_key_phrases(notes, note_frame(store), load_codebook(),
                              audience="commissioner")
    assert shared.missing["daily-living"] == "too few notes that may be quoted (a phrase needs 5)"
    assert not any(ch.isdigit() and ch != "5" for why in shared.missing.values() for ch in why)
    few = find_key_phrases(notes[:2], note_frame(store), load_codebook())
    assert few.phrases == {} and set(few.missing.values()) == {
        "too few notes in all (a phrase needs 3)"}


def _lead_phrases(store: Store, texts: list[str], category: str) -> dict[str, int]:
    """The leads' key phrases of `category` for notes `texts`, beside six on waiting."""
    add(store, *[note(f"c{i}", t, categories=[category], **_heard(i))
                 for i, t in enumerate(texts)])
    add(store, *[note(f"w{i}", f"Waiting for therapy, month {i}.", categories=["access-waiting"],
                      **_heard(i)) for i in range(6)])
    notes = [n for batch in store.iter_notes() for n in batch]
    return dict(key_phrases(notes, note_frame(store), load_codebook(), audience="lead")[
        category])


def test_a_word_that_says_nothing_alone_is_no_key_phrase(store: Store) -> None:
    """"new" is typical of notes about changing workers, but says nothing on its own;
    "new worker", in enough notes, says what."""
    changing = [f"A new {who} again, telling my story from the start."
                for who in ("worker", "worker", "worker", "doctor", "doctor", "nurse", "nurse",
                            "psychiatrist", "psychiatrist", "therapist", "therapist")]
    found = _lead_phrases(store, changing, "continuity-relationships")
    assert found.get("new worker") == 3
    assert "telling my story" in found
    assert "new" not in found and "start" not in found


def test_verbs_of_telling_and_weak_verbs_are_no_key_phrase_alone(store: Store) -> None:
    """Listeners' notes are full of "explained", "heard", "moved": typical of a category's
    notes, but no theme; the phrases they are part of can be ("hearing voices")."""
    voices = [f"She explained she was hearing voices again and {what}."
              for what in ("moved flat", "moved wards", "moved house", "wrote it down",
                           "wrote to the GP", "wrote a list", "heard nothing back",
                           "heard the CPN left", "heard of a group")]
    found = _lead_phrases(store, voices, "clinical-social-help")
    assert found.get("hearing voices") == 9
    for verb in ("explained", "moved", "wrote", "heard", "hearing"):
        assert verb not in found
    assert not any(p.startswith("explained") or p.endswith("explained") for p in found)


def test_key_phrases_outside_the_leads_view(store: Store) -> None:
    _phrase_notes(store)
    # seven more waiting notes name a worker and a small place; two without consent
    add(store, *[note(f"x{i}", "Dr Okafor at the Helston surgery said the referral was lost.",
                      categories=["access-waiting"], consent_quote=i < 5,
                      **{**_heard(i), "place": "Helston" if i == 0 else "Leeds"})
                 for i in range(7)])
    add(store, note("s", "Told the GP I had the pills saved; Dr Okafor at the Helston "
                         "surgery said the referral was lost.", categories=["access-waiting"],
                    safeguarding=True))
    notes = [n for batch in store.iter_notes() for n in batch]
    frame = note_frame(store)
    lead = dict(key_phrases(notes, frame, load_codebook(), audience="lead")["access-waiting"])
    assert lead["referral was lost"] == 8  # the seven and the safeguarding note
    assert any("okafor" in p for p in lead) and any("helston" in p for p in lead)
    seen = dict(key_phrases(notes, frame, load_codebook(), audience="commissioner")
                ["access-waiting"])
    assert set(seen.values()) == {None}  # no numbers
    assert "waiting list" in seen
    # five notes that may be quoted hold it: enough
    assert "referral was lost" in seen
    # as many hold the name and the place; a name is never a phrase outside the leads'
    # view, nor a place fewer than five notes come from
    assert not any("okafor" in p or "helston" in p for p in seen)
    fewer = dict(key_phrases(notes, frame, load_codebook(), audience="commissioner",
                             threshold=6).get("access-waiting", []))
    # without consent or with a safeguarding concern a note does not count: five, not six
    assert "referral was lost" not in fewer and "waiting list" in fewer


def test_small_groups_are_places_and_communities_with_few_notes(store: Store) -> None:
    add(store, *[note(f"n{i}", "x", place="Leeds" if i else " helston ",
                      community=["Roma"] if i == 1 else ["women"]) for i in range(6)])
    frame = note_frame(store)
    assert small_groups(frame, "commissioner", 5) == {"PLACE": ["helston"],
                                                      "COMMUNITY": ["roma"]}
    assert small_groups(frame, "lead", 5) == {}


def test_breadth_counts_a_place_or_listener_once_in_any_case(store: Store) -> None:
    add(store, *[note(f"n{i}", "x", categories=["crisis-urgent"], place=p, listener=w)
                 for i, (p, w) in enumerate([("Leeds", "L-1"), ("leeds ", "l-1"),
                                             ("York", "L-2"), ("Hull", "L-3")])])
    row = category_rollup(note_frame(store), load_codebook()).set_index("category")
    assert (row.loc["crisis-urgent", "places"], row.loc["crisis-urgent", "listeners"]) == (3, 3)


def test_breadth_counts_communities_once_in_any_spelling(store: Store) -> None:
    add(store, *[note(f"n{i}", "x", categories=["carers-family"],
                      community=[["Carers", "Polish"], ["carers ", "polish"], ["Roma"],
                                 ["not recorded"], [], ["Young people", "Carers"]][i])
                 for i in range(6)])
    lead = category_rollup(note_frame(store), load_codebook()).set_index("category")
    assert lead.loc["carers-family", "communities"] == 4  # carers, polish, roma, young people
    shown = category_rollup(note_frame(store), load_codebook(), audience="commissioner")
    assert shown.set_index("category").loc["carers-family", "communities"] == "<5"


def test_experience_balance_per_category(store: Store) -> None:
    felt = ["negative"] * 7 + ["positive"] * 2 + ["mixed"] * 5 + [None]
    add(store, *[note(f"n{i}", f"text {i}", categories=["access-waiting"], experience=e)
                 for i, e in enumerate(felt)])
    lead = category_rollup(note_frame(store), load_codebook(), audience="lead").set_index(
        "category").loc["access-waiting"]
    assert (lead["negative"], lead["mixed"], lead["positive"], lead["neutral"],
            lead["not known"]) == (7, 5, 2, 0, 1)
    shown = category_rollup(note_frame(store), load_codebook(),
                            audience="commissioner").set_index("category").loc["access-waiting"]
    assert shown["notes"] == 15
    parts = [shown[e] for e in ("negative", "mixed", "positive", "neutral", "not known")]
    # 7 and 5 beside the total would leave the small parts 3 between them: not shown
    assert not any(isinstance(p, int) and p < 5 for p in parts)
    assert sum(isinstance(p, int) for p in parts) < 2
    add(store, *[note(f"m{i}", f"more {i}", categories=["access-waiting"], experience=e)
                 for i, e in enumerate(["positive"] * 3 + ["neutral"] * 5 + [None] * 4)])
    more = category_rollup(note_frame(store), load_codebook(),
                           audience="commissioner").set_index("category").loc["access-waiting"]
    assert (more["negative"], more["mixed"], more["positive"], more["neutral"],
            more["not known"]) == (7, 5, 5, 5, 5)


def _dated(store: Store, category: str, per_month: dict[str, int]) -> None:
    add(store, *[note(f"{category}-{month}-{i}", "x", categories=[category],
                      heard_on=f"{month}-10")
                 for month, n in per_month.items() for i in range(n)])


def test_trend_compares_the_last_months_with_the_ones_before(store: Store) -> None:
    _dated(store, "access-waiting", {"2025-01": 3, "2025-02": 2, "2025-03": 1,
                                      "2025-04": 10, "2025-05": 12, "2025-06": 10})
    _dated(store, "crisis-urgent", {"2025-01": 5, "2025-02": 5, "2025-03": 5,
                                     "2025-04": 4, "2025-05": 4, "2025-06": 5})
    _dated(store, "daily-living", {"2025-02": 1, "2025-06": 2})
    frame = note_frame(store)
    lead = category_rollup(frame, load_codebook(), audience="lead").set_index("category")
    # a share of each period's notes: 6 of 22 at the earlier share would be 12.8 of 47
    assert lead.loc["access-waiting", "trend"] == "6 of 22 → 32 of 47, more"
    assert lead.loc["crisis-urgent", "trend"] == "15 of 22 → 13 of 47, fewer"  # 32 expected
    assert lead.loc["daily-living", "trend"] == "1 of 22 → 2 of 47, no clear change"
    shown = category_rollup(frame, load_codebook(), audience="commissioner").set_index(
        "category")
    assert shown.loc["access-waiting", "trend"] == "more"
    assert shown.loc["crisis-urgent", "trend"] == "fewer"
    # hidden for privacy (fewer than 5 in a period), said so: not "too few to say"
    assert shown.loc["daily-living", "trend"] == "not shown: under 5 notes in a period"
    # notes that do not reach back six months: no trend yet
    later = frame[frame["month"] >= "2025-02"]
    assert set(category_rollup(later, load_codebook())["trend"]) == {"too early to say"}
    # the month still going on is not a period's end: its notes are not all in
    early_june = category_rollup(frame, load_codebook(), today=date(2025, 6, 3))
    assert early_june.set_index("category").loc["access-waiting", "trend"] == (
        "too early to say")  # May back to December: before the first notes
    assert category_rollup(frame, load_codebook(), today=date(2025, 7, 3)).set_index(
        "category").loc["access-waiting", "trend"] == "6 of 22 → 32 of 47, more"


def test_a_periods_trend_reads_the_months_before_it(store: Store) -> None:
    """A quarter's roll-up alone never reaches back six months: every quarterly report said
    "too early to say" of notes going back two years (a commissioner audit). Its trend is
    its months against the ones before, read from every note up to its end."""
    _dated(store, "access-waiting", {"2025-01": 3, "2025-02": 2, "2025-03": 1,
                                      "2025-04": 10, "2025-05": 12, "2025-06": 10,
                                      "2025-07": 1})
    _dated(store, "crisis-urgent", {"2025-01": 5, "2025-02": 5, "2025-03": 5,
                                     "2025-04": 4, "2025-05": 4, "2025-06": 5})
    every = note_frame(store)
    quarter, _ = heard_between(every, date(2025, 4, 1), date(2025, 6, 30))
    alone = category_rollup(quarter, load_codebook(), audience="lead")
    assert set(alone["trend"]) == {"too early to say"}
    upto, _ = heard_between(every, None, date(2025, 6, 30))
    read = category_rollup(quarter, load_codebook(), audience="lead",
                           trend_from=upto).set_index("category")
    # as over every note to June (July's note is after the quarter: not in it)
    assert read.loc["access-waiting", "trend"] == "6 of 21 → 32 of 45, more"
    assert read.loc["access-waiting", "notes"] == 32  # the counts stay the quarter's


def test_more_listening_is_not_a_trend(store: Store) -> None:
    # twice the notes in the last three months, in the same proportions (blind audit: a
    # busy month read as every category rising)
    _dated(store, "access-waiting", {"2025-01": 4, "2025-03": 6, "2025-05": 10, "2025-06": 10})
    _dated(store, "crisis-urgent", {"2025-02": 5, "2025-04": 10})
    lead = category_rollup(note_frame(store), load_codebook(), today=date(2025, 7, 1))
    trends = lead.set_index("category")["trend"]
    assert trends["access-waiting"] == "10 of 15 → 20 of 30, no clear change"
    assert trends["crisis-urgent"] == "5 of 15 → 10 of 30, no clear change"


def test_trend_words() -> None:
    assert trend_word(40, 100, 20, 100) == "more" and trend_word(20, 100, 40, 100) == "fewer"
    # a commissioner's board reads "more" as rising need: a change chance explains is none
    # (blind audit: 12 of 90 -> 13 of 71 was "more"; Fisher's exact p = 0.39)
    assert trend_word(13, 71, 12, 90) == "no clear change"
    assert trend_word(12, 27, 6, 22) == "no clear change"  # twice the share, p = 0.24
    assert trend_word(4, 5, 1, 1000) == "more"  # beyond chance, and 4 notes more
    assert trend_word(2, 5, 1, 1000) == "no clear change"  # beyond chance, but 2 notes
    assert trend_word(1200, 5000, 1000, 5000) == "no clear change"  # up a fifth only
    assert trend_word(0, 0, 0, 0) == "no clear change"


@pytest.mark.parametrize(
    ("text", "never", "extra"),
    [
        # a name beside a number: the phrase must not join across it, nor pass unchecked
        ("Worried sick, son jayden 14 hates school. The referral was lost.", "jayden", {}),
        # a curly apostrophe in a name the redactor finds after a job title
        ("Nurse O’Neill listened. The referral was lost.", "neill", {}),
        # a lower-case first name with no cue (the redactor misses it)
        ("sandra at reception was kind but the referral was lost.", "sandra", {}),
        # a name in a script the lexicon cannot know
        ("landlord محمد خان shouted, the referral was lost.", "خان", {}),
        # a small place under another spelling, and a small community in the plural
        ("Since moving to hebden the referral was lost.", "hebden",
         {"place": "Hebden Bridge"}),
        ("The Somalis at the mosque say the referral was lost.", "somali",
         {"community": ["Somali"]}),
        # a handle and an e-mail address, split at their symbols
        ("Message kayla_x on snap, the referral was lost.", "kayla", {}),
        ("Email sandra_jones@gmail.com, the referral was lost.", "jones", {}),
    ],
)
def test_phrases_outside_the_leads_view_name_no_one(
    store: Store, text: str, never: str, extra: dict
) -> None:
    # found in a red team: each leaked as a phrase from five consented notes
    add(store, *[note(f"n{i}", text, categories=["access-waiting"],
                      **{**_heard(i), **(extra if i < 3 else {})}) for i in range(5)])
    add(store, *[note(f"o{i}", f"The walking group on day {i} helps.",
                      categories=["community-support"], **_heard(i)) for i in range(10)])
    notes = [n for batch in store.iter_notes() for n in batch]
    found = key_phrases(notes, note_frame(store), load_codebook(), audience="commissioner")
    shown = [p for p, _ in found.get("access-waiting", [])]
    assert "referral was lost" in shown  # the same notes give phrases
    assert not any(never in p for p in shown)
    lead = key_phrases(notes, note_frame(store), load_codebook(), audience="lead")
    assert any(never in p for p, _ in lead["access-waiting"])  # leads see what was said


def test_one_conversation_noted_five_times_is_not_a_theme(store: Store) -> None:
    texts = ["Has Ehlers-Danlos and the clinic referral was lost.",
             "Has Ehlers-Danlos and the clinic referral was lost!",
             "has Ehlers-Danlos and the clinic referral was lost.",
             "Has Ehlers-Danlos, and the clinic referral was lost.",
             "Has Ehlers-Danlos and the clinic referral got lost."]
    add(store, *[note(f"n{i}", t, categories=["access-waiting"]) for i, t in enumerate(texts)])
    add(store, *[note(f"o{i}", f"The walking group on day {i} helps.",
                      categories=["community-support"], **_heard(i)) for i in range(10)])
    notes = [n for batch in store.iter_notes() for n in batch]
    # one listener, one day: perhaps one person
    assert "access-waiting" not in key_phrases(notes, note_frame(store), load_codebook(),
                                               audience="commissioner")
    assert "ehlers danlos" in dict(key_phrases(notes, note_frame(store), load_codebook(),
                                               audience="lead")["access-waiting"])


def test_phrases_do_not_run_across_numbers_symbols_or_emoji() -> None:
    found = candidate_phrases("waited 😡 weeks, son 14 hates school, a&e at 3am, mum@home")
    assert "waited weeks" not in found and "son hates" not in found
    assert {"waited", "weeks", "hates school", "son"} <= set(found)
    assert not any("3am" in p or "mum home" in p for p in found)


def test_how_many_notes_name_no_community(store: Store) -> None:
    add(store, *[note(f"c{i}", "t", community=["carers"]) for i in range(30)],
        *[note(f"n{i}", "t") for i in range(13)])
    frame = note_frame(store)
    assert naming_no_community(frame) == {"notes": 13, "of": 43, "percent": None}
    # outside the leads' view: a share to the nearest 10% (13 of 43 is 30.2%)
    assert naming_no_community(frame, "commissioner", 5)["percent"] == "about 30%"
    # 6 of 36 (16.7%) is not "about 20%": a range where the nearest 10% is not near
    some = frame[~frame["id"].isin([f"n{i}" for i in range(6, 13)])]
    assert naming_no_community(some, "commissioner", 5)["percent"] == "between 10% and 20%"
    assert naming_no_community(frame, "commissioner", 5)["notes"] is None
    # a small number of notes naming none is not given beside the total
    few = frame[~frame["id"].isin([f"n{i}" for i in range(10)])]
    assert naming_no_community(few, "commissioner", 5) == {"notes": "<5", "of": 33,
                                                           "percent": None}
    everyone = frame[frame["id"].str.startswith("c")]
    assert naming_no_community(everyone, "commissioner", 5)["notes"] == 0


def test_who_or_when_alone_is_no_key_phrase(store: Store) -> None:
    """"man", "group", "months" say nothing alone (a blind audit saw "man" and "group" as
    what commissioners were told people said); "walking group" does."""
    said = [f"The walking group {day} is the only place he talks; one man said it saved him."
            for day in ("Monday", "Tuesday", "Friday", "Monday", "Sunday", "Friday")]
    add(store, *[note(f"g{i}", t, categories=["community-support"], **_heard(i))
                 for i, t in enumerate(said)])
    add(store, *[note(f"w{i}", f"Waiting for therapy for months, {i}.",
                      categories=["access-waiting"], **_heard(i)) for i in range(6)])
    notes = [n for batch in store.iter_notes() for n in batch]
    found = dict(key_phrases(notes, note_frame(store), load_codebook(), audience="lead")[
        "community-support"])
    assert "walking group" in found
    assert not {"man", "group", "months"} & set(found)


def test_a_group_is_counted_once_in_any_case_or_accent() -> None:
    counts, missing = tally(["Café", "cafe", " Cafe", "phone", None])
    assert counts == {"Café": 3, "phone": 1} and missing == 1
    assert distinct(pd.Series(["Café", "cafe", "CAFE"])) == 1


def test_less_heard_only_beyond_chance(store: Store) -> None:
    add(store, *[note(f"c{i}", "t", community=["carers"]) for i in range(80)],
        *[note(f"y{i}", "t", community=["young people"]) for i in range(20)])
    [row] = heard_against_population(note_frame(store), {"young people": 40}, "lead", 5)
    assert (row["notes"], row["expected"], row["heard"]) == (20, 40, "less heard")
    assert beyond_chance(20, 100, 40) and not beyond_chance(9, 60, 19)


def test_communities_beside_a_small_count_do_not_bound_it(store: Store) -> None:
    """Four notes naming two communities each: 8 communities beside "<5" would say the
    count is 4 wherever a note names at most two."""
    names = [["Polish", "Carers"], ["Roma", "Young people"], ["Somali", "Deaf"],
             ["Sikh", "LGBTQ+"]]
    add(store, *[note(f"n{i}", "x", categories=["carers-family"], community=names[i])
                 for i in range(4)])
    lead = category_rollup(note_frame(store), load_codebook()).set_index("category")
    assert lead.loc["carers-family", "communities"] == 8
    shown = category_rollup(note_frame(store), load_codebook(),
                            audience="commissioner").set_index("category")
    # hidden here as the only category ("<5" with four notes tagged would give 4 back)
    assert shown.loc["carers-family", "notes"] == "not shown"
    assert shown.loc["carers-family", "communities"] == "not shown"
    add(store, *[note(f"m{i}", "y", categories=["access-waiting"]) for i in range(9)])
    shown = category_rollup(note_frame(store), load_codebook(),
                            audience="commissioner").set_index("category")
    assert shown.loc["carers-family", "notes"] == "<5"
    assert shown.loc["carers-family", "communities"] == "<5"


def test_a_count_resting_mostly_on_tags_the_model_learnt_from_few_notes_is_marked(
        store: Store) -> None:
    """A commissioners' roll-up showed a category on 40% of notes, nearly all of them the
    model's tags in a category it learnt from 9 notes, with no caveat beside the count.
    Where most of a category's notes have it from the model, and the model learnt it from
    few examples, the roll-up says so: how many examples for leads, "<30" for others (as
    the report says it); a count resting on people's labels, or on a category learnt from
    many, is not marked."""
    add(store,
        *(note(f"p{i}", f"person {i}", categories=["access-waiting"]) for i in range(2)),
        *(note(f"c{i}", f"carer {i}", categories=["carers-family"]) for i in range(4)),
        *(note(f"m{i}", f"model {i}") for i in range(6)))
    store.save_model_tags(
        [ModelTagging(f"m{i}", {}, ["access-waiting", "daily-living"]
                      + (["carers-family"] if i < 2 else []), {}, False, None)
         for i in range(6)],
        model_version="m1", codebook_version="1")
    few = {"access-waiting": 9, "carers-family": 12}  # daily-living: learnt from many
    frame = note_frame(store)
    lead = category_rollup(frame, load_codebook(), few_examples=few).set_index("category")
    assert lead.loc["access-waiting", "notes"] == 8  # 6 of them the model's
    assert lead.loc["access-waiting", "learnt_from_few"] == 9
    assert lead.loc["carers-family", "learnt_from_few"] is None  # 4 of 6 from people
    assert lead.loc["daily-living", "learnt_from_few"] is None  # many examples
    assert lead.loc["crisis-urgent", "learnt_from_few"] is None  # no notes at all
    shown = category_rollup(frame, load_codebook(), audience="commissioner",
                            few_examples=few).set_index("category")
    assert shown.loc["access-waiting", "learnt_from_few"] == "<30"
    # without the model's counts (a caller of the library), no column, as before
    assert "learnt_from_few" not in category_rollup(frame, load_codebook()).columns
