"""Roll-up: counts per category, share, breadth and month, with pandas.

Human decisions outrank model output: a note a person labelled counts under the
person's categories; otherwise under the model's.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from insight.classify import FEW_TO_TRUST
from insight.codebook import Codebook
from insight.intake import group_key, without_accents
from insight.privacy import (
    EMPTY,
    HIDDEN,
    WITHHELD,
    Audience,
    SmallGroups,
    covering_counts,
    hidden_as_range,
    is_suppressed,
    may_quote,
    name_spans,
    protect,
    suppress,
)
from insight.store import Store

NOTE_COLUMNS = [
    "id", "heard_on", "listener", "setting", "place", "community", "consent_quote",
    "consent_contact", "categories", "category_source", "safeguarding", "experience",
]
UNDATED = "undated"  # the month column for notes heard on an unknown date


def note_frame(store: Store) -> pd.DataFrame:
    """One row per live note with its effective categories (no note text)."""
    by_source: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for tag in store.tags_for():
        by_source[tag["note_id"]][tag["source"]].append(tag["category"])
    # a note in the safeguarding queue raised a concern, whoever raised it (the listener,
    # the model or the phrase list, even against a listener's "no"), unless a person judged
    # every flag of it a false alarm (`cleared`: its model flag is overruled too)
    queued, cleared = store.safeguarding_state()
    rows: list[dict[str, Any]] = []
    for batch in store.iter_notes():
        for note in batch:
            # categories from a person (the listener's file or a review), else from the
            # last tag run; a note never tagged has none yet
            source = "person" if note["labelled"] else "model" if note["tagged_with"] else None
            safeguarding = note["safeguarding"]
            if safeguarding is None:
                safeguarding = bool(note["model_safeguarding"]) and note["id"] not in cleared
            safeguarding = safeguarding or note["id"] in queued
            rows.append(
                {
                    "id": note["id"],
                    "heard_on": note["heard_on"],
                    "listener": note["listener"],
                    "setting": note["setting"],
                    "place": note["place"],
                    "community": list(note["community"] or []),
                    "consent_quote": bool(note["consent_quote"]),
                    "consent_contact": bool(note["consent_contact"]),
                    "categories": by_source[note["id"]][source] if source else [],
                    "category_source": source,
                    "safeguarding": bool(safeguarding),
                    "experience": note["experience"] or note["model_experience"],
                }
            )
    frame = pd.DataFrame(rows, columns=NOTE_COLUMNS)
    frame["month"] = pd.to_datetime(frame["heard_on"], errors="coerce").dt.strftime("%Y-%m")
    return frame


def heard_between(frame: pd.DataFrame, since: date | None, until: date | None
                  ) -> tuple[pd.DataFrame, int]:
    """The notes heard in a period, both days included, and how many notes have no date
    and so cannot be placed in it: a quarter's report counts that quarter's conversations.
    With neither day given, every note and 0."""
    if since is None and until is None:
        return frame, 0
    heard = pd.to_datetime(frame["heard_on"], errors="coerce")
    keep = _in_period(heard, since, until)
    return frame[keep].reset_index(drop=True), int(heard.isna().sum())


def _in_period(heard: pd.Series, since: date | None, until: date | None) -> pd.Series:
    """Which days of `heard` fall in the period (both days included); with a day given,
    an unknown day is in no period."""
    keep = pd.Series(True, index=heard.index)
    if since is not None:
        keep &= heard >= pd.Timestamp(since)
    if until is not None:
        keep &= heard <= pd.Timestamp(until)
    return keep


def tagging_split(frame: pd.DataFrame, audience: Audience, threshold: int) -> dict[str, Any]:
    """All notes, and those with categories from people, from the model and not tagged yet:
    the three add up to all notes, so they are protected together (`protect`). The number
    of notes is what a reader needs first, so it is kept and a part hidden instead (how the
    notes were tagged is about the work, not about the people heard)."""
    source = frame["category_source"]
    parts = {
        "tagged_by_person": int((source == "person").sum()),
        "tagged_by_model": int((source == "model").sum()),
        "untagged": int(source.isna().sum()),
    }
    notes, shown = protect(len(frame), parts, audience, threshold, keep_total=True)
    return {"notes": notes, **shown}


def categorised_at_least(split: dict[str, Any], threshold: int) -> int:
    """How many notes have categories, as far as a reader of `tagging_split` as shown can
    tell from below: the notes "with categories a person gave" (the model's may have
    found none), or all notes less what the other parts can be at most. With `protect`'s
    rule known, a part it hid is the largest (after a tie, the later name), so at least
    each part shown."""
    total = split["notes"]
    if not isinstance(total, int):
        return 0
    parts = {k: split[k] for k in ("tagged_by_person", "tagged_by_model", "untagged")}
    if WITHHELD in parts.values():
        return 0

    def low(key: str) -> int:
        value = parts[key]
        if isinstance(value, int):
            return value
        if value != HIDDEN:  # "<5"
            return 1
        return max([threshold, *(v + (k > key) for k, v in parts.items()
                                 if isinstance(v, int))])

    def high(key: str) -> int:
        value = parts[key]
        if isinstance(value, int):
            return value
        if value != HIDDEN:
            return threshold - 1
        return total - sum(low(k) for k in parts if k != key)

    person = "tagged_by_person"
    return max(low(person), total - sum(high(k) for k in parts if k != person))


def category_coverage(frame: pd.DataFrame, codebook: Codebook, audience: Audience,
                      threshold: int) -> dict[str, Any]:
    """How many notes no category count stands on, as the report shows them: `no_category`
    (no category from a person or the model, or not tagged yet) and `only_retired` (every
    category they carry is one the codebook no longer has, `only_retired`). A reader of
    "40 notes" must know how many the counts by category rest on.

    With the notes in a current category they add up to all notes, so the three are
    protected together (`protect`: the notes in a category count are never shown, but
    all notes less these two would give them). The part hidden is given as the range the
    rest allow (`hidden_as_range`). Every note not tagged yet is in no category, so where
    the tagging split hides how many are not tagged yet, an exact number in no category
    would bound them and the split's small part with them: it is then not shown either."""
    retired = only_retired(frame, codebook)
    none = int(sum(1 for cats in frame["categories"] if not cats))
    parts = {"counted": len(frame) - none - retired, "only_retired": retired,
             "no_category": none}
    total, shown = protect(len(frame), parts, audience, threshold, keep_total=True)
    shown = hidden_as_range(total, shown, threshold)
    if audience != "lead" and tagging_split(frame, audience, threshold)["untagged"] in (
            HIDDEN, WITHHELD):
        shown["no_category"] = WITHHELD
    return {"no_category": shown["no_category"], "only_retired": shown["only_retired"]}


def counted_at_least(coverage: Mapping[str, Any], total: int | str, threshold: int) -> int:
    """How many notes are in a current category, as far as a reader of `category_coverage`
    as shown can tell from below: all notes less the most each of its parts can be (0
    where one is not shown)."""
    if not isinstance(total, int):
        return 0
    most = 0
    for value in coverage.values():
        if isinstance(value, int):
            most += value
        elif isinstance(value, str) and value.startswith("<"):
            most += threshold - 1
        elif isinstance(value, str) and " to " in value:
            most += int(value.rpartition(" to ")[2])
        else:
            return 0
    return max(total - most, 0)


#: The experience values a note can have, in the order the roll-up shows them.
EXPERIENCES = ("negative", "mixed", "positive", "neutral")
#: The trend compares the last this-many months that have notes with the months before.
TREND_MONTHS = 3


def trend_periods(
    frame: pd.DataFrame, today: date | None = None
) -> tuple[list[str], list[str]] | None:
    """The months of the recent period (the `TREND_MONTHS` months up to the last month
    with a note, never the month still going on: its notes are not all in) and of the one
    before; None while the notes do not reach back that far (a trend against months
    before listening began would be a false rise)."""
    dated = frame["month"].dropna()
    if dated.empty:
        return None
    this_month = pd.Period(today or date.today(), freq="M")
    last = min(pd.Period(max(dated), freq="M"), this_month - 1)
    recent = [str(last - i) for i in range(TREND_MONTHS)]
    previous = [str(last - TREND_MONTHS - i) for i in range(TREND_MONTHS)]
    if min(dated) > previous[-1]:
        return None
    return recent, previous


#: A trend is "more" or "fewer" only where chance would give a change of its size less
#: often than this (Fisher's exact test, two-sided, on the category's share of each
#: period's notes): a board reads "more" as rising need.
TREND_P = 0.05


def trend_word(in_recent: int, all_recent: int, in_previous: int, all_previous: int) -> str:
    """More, fewer or no clear change in a category's share of the notes: `in_*` of its
    notes among `all_*` notes in the recent and the earlier period (a share, so that more
    listening is not read as more of everything). "More" or "fewer" needs the shares to
    differ beyond chance (`TREND_P`) and the recent count to be at least a quarter and at
    least three notes off what the earlier share would give."""
    from scipy.stats import fisher_exact

    if not (all_recent and all_previous):
        return "no clear change"
    chance = fisher_exact([[in_recent, all_recent - in_recent],
                           [in_previous, all_previous - in_previous]]).pvalue
    if chance >= TREND_P:
        return "no clear change"
    at_same_share = in_previous * all_recent / all_previous
    if in_recent - at_same_share >= 3 and in_recent >= 1.25 * at_same_share:
        return "more"
    if at_same_share - in_recent >= 3 and in_recent <= 0.8 * at_same_share:
        return "fewer"
    return "no clear change"


def category_rollup(
    frame: pd.DataFrame,
    codebook: Codebook,
    *,
    audience: Audience = "lead",
    threshold: int = 5,
    by_month: bool = True,
    today: date | None = None,
    trend_from: pd.DataFrame | None = None,
    few_examples: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Per category: notes, share of all notes, distinct places, listeners and communities
    (breadth: many voices or a few), notes by
    experience (negative, mixed, positive, neutral, not known), the trend (its share of
    the notes of the last `TREND_MONTHS` months against its share of the ones before: a
    month with twice the listening is not twice the concern), and per month (plus
    `undated` when some notes have no date). `by_month=False` leaves the months out.

    A category's count is shown as the report shows it (a small one is suppressed):
    where the months or the experiences would give a small one away, they are hidden,
    never the count, since the report beside the roll-up would give the count back.
    Where the notes with categories (as the report's tagging split gives them) are more
    than the shown counts can hold, the rest would bound the suppressed ones ("24 notes,
    20 in one category, the other "<5", all else 0": it is 4), so the largest count is
    given as a range, without its share, experiences or months (`covering_counts`).
    Leads see the trend's counts ("6 of 40 → 18 of 60, more"); others only the word, and only
    where both periods have at least `threshold` notes (two counts, or a count beside
    the months, would give a small month back). `trend_from`: the notes the trend is read
    from where `frame` is a period's (every note up to its end): a quarter alone never
    reaches back far enough for one, so every quarter's report said "too early to say".
    `few_examples`: the categories the model that tagged the notes learnt from few examples
    (`classify.learnt_from_few`); given, a column `learnt_from_few` says where a count rests
    mostly on that model's tags in one of them (how many examples for leads, "<30" for
    others, as the report says it; else None): the count is the least sure of all, whatever
    confidence the model gave its tags (a category learnt from 10 notes filled 40% of a
    commissioners' roll-up; `mostly_model_few`)."""
    total = len(frame)
    # a share is a count over all notes: where the number of notes is suppressed, a share
    # would give it back
    total_hidden = is_suppressed(suppress(total, audience, threshold))
    exploded = frame.explode("categories").dropna(subset=["categories"])
    months = sorted(m for m in frame["month"].dropna().unique())
    undated = bool(frame["month"].isna().any())
    history = frame if trend_from is None else trend_from
    periods = trend_periods(history, today)
    if periods is not None:  # all notes in each period: a trend is in a category's share
        period_notes = [int(history.loc[history["month"].isin(p), "id"].nunique())
                        for p in periods]
        in_history = history.explode("categories").dropna(subset=["categories"])
    records = []
    for category in codebook.categories:
        subset = exploded[exploded["categories"] == category.id]
        count = int(subset["id"].nunique())
        record: dict[str, Any] = {
            "category": category.id,
            "name": category.name,
            "notes": suppress(count, audience, threshold),
            "share": round(count / total, 3) if total else 0.0,
            "places": suppress(distinct(subset["place"]), audience, threshold),
            "listeners": suppress(distinct(subset["listener"]), audience, threshold),
            "communities": suppress(distinct(subset["community"]), audience, threshold),
        }
        felt = subset.drop_duplicates("id")["experience"]
        balance = {e: int((felt == e).sum()) for e in EXPERIENCES}
        balance["not known"] = count - sum(balance.values())
        shown_count, shown_balance = protect(count, balance, audience, threshold,
                                             keep_total=True)
        # the main message ("negative") where it was hidden: as a range the figures give
        record.update(hidden_as_range(shown_count, shown_balance, threshold))
        record["trend"] = "too early to say"  # notes do not reach back far enough
        if periods is not None:
            own = in_history[in_history["categories"] == category.id]
            in_recent = int(own.loc[own["month"].isin(periods[0]), "id"].nunique())
            in_previous = int(own.loc[own["month"].isin(periods[1]), "id"].nunique())
            all_recent, all_previous = period_notes
            word = trend_word(in_recent, all_recent, in_previous, all_previous)
            if audience == "lead":
                record["trend"] = (f"{in_previous} of {all_previous} → {in_recent} of "
                                   f"{all_recent}, {word}")
            elif min(in_recent, in_previous) >= threshold:
                record["trend"] = word
            else:  # hidden for privacy, not for want of evidence: say which
                record["trend"] = f"{WITHHELD}: under {threshold} notes in a period"
        if by_month:
            per_month = subset.groupby("month")["id"].nunique()
            cells = {month: int(per_month.get(month, 0)) for month in months}
            if undated:  # so the month columns add up to the notes column
                cells[UNDATED] = int(subset.loc[subset["month"].isna(), "id"].nunique())
            # the months add up to the notes: a suppressed month must not be recoverable
            record["notes"], shown = protect(count, cells, audience, threshold,
                                             keep_total=True)
            record.update(shown)
        if is_suppressed(record["notes"]) or total_hidden:
            record["share"] = None
        if few_examples is not None:
            record["learnt_from_few"] = mostly_model_few(subset, category.id, few_examples,
                                                         audience)
        records.append(record)
    if audience != "lead" and records:
        # every note with categories is in one at least: what the shown counts cannot hold
        # is in the suppressed ones, so the largest is widened where that would bound them
        counts = {r["category"]: int(exploded.loc[exploded["categories"] == r["category"],
                                                  "id"].nunique()) for r in records}
        in_any = int(exploded.loc[exploded["categories"].isin(list(counts)), "id"].nunique())
        # the report says how many notes are in no category, which bounds them too
        split = tagging_split(frame, audience, threshold)
        covered = max(categorised_at_least(split, threshold), counted_at_least(
            category_coverage(frame, codebook, audience, threshold), split["notes"],
            threshold))
        shown = covering_counts(counts, covered, audience, threshold, union=in_any)
        for record in records:
            value = shown[record["category"]]
            if value == suppress(counts[record["category"]], audience, threshold):
                continue
            # a range (or "not shown"): the share, experiences and months, which give the
            # count back, go with it
            record["notes"], record["share"] = value, None
            for key in (*EXPERIENCES, "not known", *(k for k in record if k in months),
                        *([UNDATED] if UNDATED in record else [])):
                record[key] = WITHHELD
    for record in records:
        if record["notes"] == WITHHELD or (is_suppressed(record["notes"])
                                           and str(record["notes"]).startswith("<")):
            # a note can name several communities: 8 beside "<5" would bound the count (at
            # most two a note: 4 notes), so the breadth is shown no more than the count
            record["communities"] = record["notes"]
    table = pd.DataFrame(records)
    # object dtype keeps suppressed shares as None (not NaN) for JSON and CSV output
    table["share"] = pd.Series([r["share"] for r in records], dtype=object)
    if few_examples is not None:  # and counts as ints beside None, not floats beside NaN
        table["learnt_from_few"] = pd.Series([r["learnt_from_few"] for r in records],
                                             dtype=object)
    return table


def mostly_model_few(notes: pd.DataFrame, category: str, few_examples: Mapping[str, int],
                     audience: Audience) -> int | str | None:
    """Where a category's notes (`notes`, one row a note, with `category_source`) have
    their categories mostly from the model, and the model learnt it from few examples: how
    many (leads) or "<30" (others, as the report says it); else None."""
    if category not in few_examples or notes.empty:
        return None
    counted = notes.drop_duplicates("id")
    if 2 * int((counted["category_source"] == "model").sum()) <= len(counted):
        return None
    return int(few_examples[category]) if audience == "lead" else f"<{FEW_TO_TRUST}"


def learnt_from_few_said(value: int | str) -> str:
    """A `learnt_from_few` value in words, one wording for the roll-up's footnote, the
    report's and its spreadsheet."""
    learnt = (f"{value} note{'s' if value != 1 else ''}" if isinstance(value, int)
              else f"fewer than {FEW_TO_TRUST} labelled notes")
    return (f"mostly the model's tags; it learnt this category from {learnt}: check before "
            "relying on it")


NOT_RECORDED = "not recorded"


def distinct(cells: Iterable[Any]) -> int:
    """How many different places, listeners or communities the cells name, a name in any
    case, spacing or accents once ("Leeds" and "leeds " are one place, "Café" and "cafe"
    one setting)."""
    return len({group_key(name) for cell in cells for name in group_names(cell)})


def evidence_profile(notes: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Where and when the notes an insight rests on were heard: forty notes from one
    listener in one place in one month say something other than forty from fifteen
    listeners across a county over a year, and a reader weighing the finding must be able
    to tell. Days as "YYYY-MM-DD" (None when no note is dated), and how many different
    places, listeners and settings (`distinct`), and how many notes carry no date."""
    notes = list(notes)
    days = sorted(str(n["heard_on"])[:10] for n in notes if n.get("heard_on"))
    return {
        "first": days[0] if days else None,
        "last": days[-1] if days else None,
        "undated": len(notes) - len(days),
        **{column: distinct(n.get(key) for n in notes)
           for column, key in (("places", "place"), ("listeners", "listener"),
                               ("settings", "setting"))},
    }


def categories_not_in(frame: pd.DataFrame, codebook: Codebook) -> list[str]:
    """What to say of notes tagged with categories the codebook does not have (renamed or
    removed since they were tagged), which must not pass unnoticed: those with no other
    category are in no category count (`only_retired`); the others count under their
    current categories only, and the warning says which is which."""
    known = set(codebook.ids)
    lost = Counter(c for cats in frame["categories"] for c in cats if c not in known)
    if not lost:
        return []
    listed = ", ".join(f"{c} ({n} note{'s' if n != 1 else ''})" for c, n in sorted(lost.items()))
    carrying = int(sum(1 for cats in frame["categories"] if any(c not in known for c in cats)))
    uncounted = only_retired(frame, codebook)
    counted = carrying - uncounted
    if not counted:
        what = ("it carries no other category, so it is in no category count"
                if uncounted == 1 else
                "they carry no other category, so they are in no category count")
    elif not uncounted:
        what = ("it is counted under its current categories only" if counted == 1 else
                "they are counted under their current categories only")
    else:
        what = (f"{uncounted} of them carr{'ies' if uncounted == 1 else 'y'} no other "
                f"category, so {'it is' if uncounted == 1 else 'they are'} in no category "
                f"count; the other {counted} {'is' if counted == 1 else 'are'} counted under "
                f"{'its' if counted == 1 else 'their'} current categories only")
    return [f"notes are tagged with categories the workspace's codebook does not have: "
            f"{listed}; {what}. If the codebook renamed or merged them, carry "
            "their tags over (`insight codebook rename OLD NEW`) and train again; if it "
            "dropped them, put them back, or train again, re-tag (`insight tag --retag`) "
            "and review the notes people labelled"]


def only_retired(frame: pd.DataFrame, codebook: Codebook) -> int:
    """How many notes are in no category count because every category they are tagged
    with is one the codebook no longer has (retired, or split or renamed without `codebook
    rename`): a report must say so, not show them as notes about nothing."""
    known = set(codebook.ids)
    return int(sum(1 for cats in frame["categories"]
                   if cats and not any(c in known for c in cats)))


def tagged_under_other_versions(store: Store, frame: pd.DataFrame,
                                codebook: Codebook) -> dict[str, int]:
    """Notes of `frame` whose counted categories (a person's, else the model's) were tagged
    under a codebook version other than `codebook`'s, per version, oldest first: a report
    "on version 2" whose notes were tagged under version 1 must say so. A tag that
    recorded no version (a listener's file, a review before versions were kept) is in
    none."""
    source = dict(zip(frame["id"], frame["category_source"], strict=True))
    versions: dict[str, set[str]] = defaultdict(set)
    for tag in store.tags_for():
        version = tag["codebook_version"]
        if version is not None and version != codebook.version \
                and source.get(tag["note_id"]) == tag["source"]:
            versions[tag["note_id"]].add(version)
    counts = Counter(v for found in versions.values() for v in found)
    return dict(sorted(counts.items()))


def tagged_under_unrecorded_versions(store: Store, frame: pd.DataFrame) -> int:
    """Notes of `frame` whose counted categories (a person's, else the model's) include a
    tag that recorded no codebook version (a listener's file, a review before versions
    were kept): any of them may have been tagged under another version, so a count
    `tagged_under_other_versions` gives is then a floor, and a report must say so."""
    source = dict(zip(frame["id"], frame["category_source"], strict=True))
    return len({tag["note_id"] for tag in store.tags_for()
                if tag["codebook_version"] is None
                and source.get(tag["note_id"]) == tag["source"]})


def tally(cells: Iterable[Any]) -> tuple[Counter[str], int]:
    """Notes per group the cells name, a name in any case or spacing once, under its most
    common spelling ("phone" and "Phone" are one setting); and how many cells name none."""
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    missing = 0
    for cell in cells:
        names = group_names(cell)
        if not names:
            missing += 1
        for name in dict.fromkeys(group_key(n) for n in names):
            counts[name] += 1
        for name in names:
            spellings[group_key(name)][name] += 1
    return Counter({spellings[k].most_common(1)[0][0]: n for k, n in counts.items()}), missing


def group_names(cell: Any) -> list[str]:
    """The settings, places or communities a note's cell names (one value, or a list of
    communities), spacing tidied, as written; an empty value or "not recorded" names none.
    One reading for every count by group, so that a name is the same group everywhere."""
    values = cell if isinstance(cell, list) else [cell]
    names = [" ".join(v.split()) for v in values if isinstance(v, str)]
    return [n for n in names if n and n.casefold() != NOT_RECORDED]


def heard_from(
    frame: pd.DataFrame, audience: Audience = "lead", threshold: int = 5,
    never_name: Collection[str] = (),
) -> dict[str, list[tuple[str, int | None]]]:
    """Who was heard, and where: for leads, notes per setting and per community people
    described (most first, then "not recorded"); spellings that differ only in case or
    spacing are one group.

    Outside the leads' view only the names of settings and communities `threshold` notes
    or more come from, in alphabetical order, with no counts (None): a small group's name
    can point to the person, and any count, order or row beside the report's total was
    found to give small ones back (a named setting has at least `threshold` notes, so the
    others' count can be worked out from the total); never those a lead listed in
    `never_name` (in any case or spacing), nor one that holds personal details (a
    listener's "home visit to Mrs Okafor 07700 900777": `insight.redact.find_pii`)."""
    lead = audience == "lead"
    hidden = {" ".join(n.casefold().split()) for n in never_name}
    if not lead:
        from insight.redact import find_pii
    out: dict[str, list[tuple[str, int | None]]] = {}
    for kind, column in (("setting", "setting"), ("community", "community")):
        counts, missing = tally(frame[column])
        if lead:
            rows: list[tuple[str, int | None]] = sorted(
                counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))
            out[kind] = rows + ([(NOT_RECORDED, missing)] if missing else [])
        else:
            out[kind] = sorted(((name, None) for name, n in counts.items()
                                if n >= threshold and " ".join(name.casefold().split())
                                not in hidden and not find_pii(name)),
                               key=lambda kv: kv[0].casefold())
    return out


#: How notes from a community compare with its share of the local population: below
#: half "much less heard", below 0.8 "less heard", above 1.25 "more heard", else "about in
#: proportion".
HEARD_BANDS = ((0.5, "much less heard"), (0.8, "less heard"), (1.25, "about in proportion"))


def beyond_chance(count: int, notes: int, percent: float) -> bool:
    """Whether `count` of `notes` differs from `percent` of them by more than chance would
    often give (binomial test, two-sided, p below `TREND_P`): "less heard" on a gap of two
    notes would be a verdict the numbers cannot carry."""
    from scipy.stats import binomtest

    if not notes or not 0 < percent < 100:
        return True
    return bool(binomtest(count, notes, percent / 100).pvalue < TREND_P)


def heard_against_population(
    frame: pd.DataFrame,
    population: dict[str, float],
    audience: Audience = "lead",
    threshold: int = 5,
) -> list[dict[str, Any]]:
    """For each community the workspace declares (percent of the local population), its
    notes, the notes it would have if heard in proportion, and how it compares: who is
    and is not being heard. For leads, proportion is over the notes that name a community
    (a note that names none says nothing about who spoke).

    Outside the leads' view nothing here may undo `heard_from`: proportion is over all
    notes (the report's total; the number naming a community would give back the small
    number naming none), a count below the threshold is `<threshold` even when it is 0 (a
    small community's name must not say whether someone from it spoke), has no share, and
    is compared only where any count that small would say the same (expected at least
    twice the threshold: "much less heard"). With fewer notes than the threshold in all,
    there is no table (its expected counts would give the total back)."""
    lead = audience == "lead"
    named = frame["community"].map(
        lambda names: {n.casefold() for n in group_names(names)}
    )
    with_community = int((named.map(len) > 0).sum())
    over = with_community if lead else len(frame)
    if not lead and len(frame) < threshold:
        return []
    counts: Counter[str] = Counter(name for found in named for name in found)
    rows = []
    for community, percent in population.items():
        count = counts[" ".join(community.split()).casefold()]
        expected = over * percent / 100
        small = not lead and count < threshold
        if not with_community:
            heard = "no notes name a community yet"
        elif small:
            heard = ("much less heard" if expected >= 2 * threshold
                     else f"fewer than {threshold} notes: too few to compare")
        elif count == 0:
            heard = "not heard"
        else:
            ratio = count / expected
            heard = next((label for upper, label in HEARD_BANDS if ratio < upper), "more heard")
            if heard != "about in proportion" and not beyond_chance(count, over, percent):
                heard = "no clear difference (few notes)"
        rows.append({
            "community": community,
            "population_percent": percent,
            "notes": f"<{threshold}" if small else count,
            "expected": round(expected),
            "share_percent": None if small or not with_community
            else round(100 * count / over, 1),
            "heard": heard,
        })
    return rows

def naming_no_community(
    frame: pd.DataFrame, audience: Audience = "lead", threshold: int = 5
) -> dict[str, Any]:
    """How many of the notes name no community, which the population comparison counts
    in no row: for leads the number (their shares leave those notes out); outside the
    leads' view the share of all notes in words, to 10% ("about 30%", "between 10% and
    20%"; the shares there are of all notes, so each is lower by about that much), or
    only that it is fewer than
    `threshold` notes (an exact small count would go beside the report's total)."""
    none = int((frame["community"].map(lambda names: len(group_names(names))) == 0).sum())
    total = len(frame)
    if audience == "lead" or not none:
        return {"notes": none, "of": total, "percent": None}
    if none < threshold:
        return {"notes": f"<{threshold}", "of": total, "percent": None}
    share = 100 * none / total
    low, high = int(share // 10 * 10), int(-(-share // 10) * 10)
    near = int(round(share, -1))
    # to the nearest 10% only when that is near the truth (16% is not "about 20%")
    said = f"about {near}%" if abs(share - near) < 1.5 else f"between {low}% and {high}%"
    return {"notes": None, "of": total, "percent": said}


def small_groups(frame: pd.DataFrame, audience: Audience, threshold: int) -> SmallGroups:
    """Outside the leads' view, the places and communities fewer than `threshold` notes
    come from, which quotes and phrases do not name: beside a story, a small place or
    community can point to the one person who told it, and "Who we heard from" does not
    name them either. Leads: none."""
    if audience == "lead":
        return EMPTY
    out: dict[str, list[str]] = {}
    for kind, column in (("PLACE", "place"), ("COMMUNITY", "community")):
        counts: Counter[str] = Counter()
        for cell in frame[column]:
            counts.update({name.casefold() for name in group_names(cell)})
        out[kind] = sorted(name for name, n in counts.items() if n < threshold)
    return out


def merged_groups(*groups: SmallGroups) -> SmallGroups:
    """Every place and community any of `groups` holds (a quote hides the union)."""
    kinds = {kind for g in groups for kind in g}
    return {kind: sorted({name for g in groups for name in g.get(kind, ())})
            for kind in kinds}


#: Words that say nothing of a theme at the edge of a phrase, beside scikit-learn's
#: English stop words: reporting verbs and fillers of listeners' notes.
_FILLER = frozenset("""
    said says say saying told tell tells asked asks really just like got get gets getting
    think thought know knew known knows going went go goes lot lots bit thing things also way still
    even want wanted feel felt make made need needs needed ok okay yeah yes maybe kind sort
    actually till though anyway basically literally apparently honestly probably obviously
    definitely came come comes coming
""".split())
#: Words that say nothing on their own ("new", "different", "help": every category has
#: them) but may be part of a longer phrase ("new worker", "different doctor each time").
_WEAK_ALONE = frozenset("""
    new different good bad better worse best worst right wrong big small little long short
    old same other next last whole real proper great nice hard easy able sure true help
    helped helps helping people person time times day days start started talk talked
    place places man men woman women lady ladies guy lad lads girl girls boy boys group
    groups someone somebody everyone everybody week weeks
    month months year years
""".split())
#: Verbs of telling, by their base form: in every form but "-ing" no phrase starts or ends
#: with them ("explained", "mentions"), as with `_FILLER`; the "-ing" form is weak alone
#: ("telling" alone says nothing, "telling my story" does).
_REPORTING_VERBS = frozenset("""
    say tell ask explain mention describe reply agree suggest reckon wonder realise realize
""".split())
#: Verbs that say nothing alone in any form ("runs", "moved", "changed", "heard", "wrote")
#: but may be part of a longer phrase ("moved house", "never heard of it", "runs a group").
_WEAK_VERBS = frozenset("""
    run move change use keep put take give let show turn leave bring happen end stay find
    look see hear write mean try seem
""".split())
#: Phrases never cross these: sentence and clause ends, brackets, quote marks, symbols and
#: emoji, underscores, spaced dashes (a hyphen or an apostrophe inside a word is no break).
_PHRASE_BREAK = re.compile(r"[^\w\s'’-]+|[\w'’-]*\d[\w'’-]*|_+|\s[-–—]+\s")
_PHRASE_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
#: A key phrase is in at least this many of a category's notes, and at least twice as
#: common in them as in the other notes.
MIN_PHRASE_NOTES = 3
MIN_PHRASE_LIFT = 2.0
#: How many notes holding a phrase (spread over them) are read for personal data before
#: it is shown outside the leads' view.
PHRASE_NOTES_CHECKED = 50


def phrase_runs(text: str) -> list[list[tuple[str, int, int]]]:
    """A note cut into runs of words a phrase may span, each word in lower case with its
    offsets in the note: clause ends, symbols, emoji and numbers end a run ("son 14
    hates school" is two runs). Phrases are found and found again in the note this one
    way, so a phrase shown is always one that could be checked."""
    runs: list[list[tuple[str, int, int]]] = []
    edges = [0, *(x for m in _PHRASE_BREAK.finditer(text) for x in m.span()), len(text)]
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        run = [(m.group().casefold().replace("’", "'"), m.start(), m.end())
               for m in _PHRASE_WORD.finditer(text, a, b)]
        if run:
            runs.append(run)
    return runs


def phrase_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """Every possible key phrase of a note with its offsets: one to three words of a run,
    not starting or ending with a stop word, a contraction or a single letter."""
    stop = _phrase_stop_words()
    for run in phrase_runs(text):
        edge = [len(w) > 1 and "'" not in w and w not in stop for w, _, _ in run]
        for i in range(len(run)):
            if not edge[i]:
                continue
            for n in (1, 2, 3):
                if i + n <= len(run) and edge[i + n - 1]:
                    yield " ".join(w for w, _, _ in run[i : i + n]), run[i][1], run[i + n - 1][2]


def content_words(text: str) -> set[str]:
    """A text's words that carry its meaning, each cut to a rough stem ("waiting", "waits"
    and "waited" are "wait"): stop words, fillers and single letters left out. For telling
    whether a note speaks of what a finding names (`report`)."""
    stop = _phrase_stop_words()
    words = set()
    for run in phrase_runs(text):
        for word, _, _ in run:
            word = word.removesuffix("'s")
            if len(word) > 2 and "'" not in word and word not in stop:
                words.add(_stem(word))
    return words


def _stem(word: str) -> str:
    """A rough stem, alike for a word's common forms: "waits", "waited", "waiting" are
    "wait"; "house", "housing" are "hous"; "crisis" stays whole."""
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "is", "us")) and len(word) > 3:
        word = word[:-1]
    return word.removesuffix("e") if len(word) > 3 else word


def candidate_phrases(text: str) -> list[str]:
    """A note's possible key phrases (`phrase_spans`), each once."""
    return list({phrase for phrase, _, _ in phrase_spans(text)})


@lru_cache(maxsize=1)
def _verb_forms() -> dict[str, frozenset[str]]:
    """Every form of `_REPORTING_VERBS` and `_WEAK_VERBS` ("explained", "wrote"), from
    spaCy's English lemma table (spacy-lookups-data), so the lists name base forms only."""
    import gzip
    import json
    from importlib.resources import files

    table = files("spacy_lookups_data") / "data" / "en_lemma_lookup.json.gz"
    lemmas: dict[str, str] = json.loads(gzip.decompress(table.read_bytes()))
    forms: dict[str, set[str]] = defaultdict(set)
    for form, lemma in lemmas.items():
        forms[lemma].add(form.lower())
    reporting = {f for v in _REPORTING_VERBS for f in forms[v] | {v}}
    weak = {f for v in _WEAK_VERBS for f in forms[v] | {v}}
    return {"stop": frozenset(f for f in reporting if not f.endswith("ing")),
            "weak": frozenset(weak | {f for f in reporting if f.endswith("ing")})}


@lru_cache(maxsize=1)
def _phrase_stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS | _FILLER | _verb_forms()["stop"])


@lru_cache(maxsize=1)
def _weak_alone() -> frozenset[str]:
    return _WEAK_ALONE | _verb_forms()["weak"]


@dataclass(frozen=True)
class KeyPhrases:
    """Each category's key phrases, and for a category with none, why: an empty cell
    reads as a fault, where the reason is most often too few notes."""

    phrases: dict[str, list[tuple[str, int | None]]] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)


def key_phrases(
    notes: Iterable[dict[str, Any]],
    frame: pd.DataFrame,
    codebook: Codebook,
    *,
    audience: Audience = "lead",
    threshold: int = 5,
    flagged: Collection[str] = (),
    cleared: Collection[str] = (),
    top: int = 6,
) -> dict[str, list[tuple[str, int | None]]]:
    """What people talk about within each category (`find_key_phrases`), the phrases only."""
    return find_key_phrases(notes, frame, codebook, audience=audience, threshold=threshold,
                            flagged=flagged, cleared=cleared, top=top).phrases


def find_key_phrases(
    notes: Iterable[dict[str, Any]],
    frame: pd.DataFrame,
    codebook: Codebook,
    *,
    audience: Audience = "lead",
    threshold: int = 5,
    flagged: Collection[str] = (),
    cleared: Collection[str] = (),
    top: int = 6,
) -> KeyPhrases:
    """What people talk about within each category: the phrases most typical of its notes
    against the other notes (log-odds ratio with an informative Dirichlet prior, Monroe,
    Colaresi and Quinn 2008), each with the number of the category's notes that hold it.
    A phrase's longer form is shown where it covers enough of its notes ("crisis team",
    not "crisis").

    `notes`: the notes (with their text) of `frame`, the categories each counts under.
    Outside the leads' view phrases come only from notes that may be quoted
    (`privacy.may_quote`: consent, no safeguarding concern), each is in at least
    `threshold` of them, passes `_PhraseScreen` (no names, small groups or personal data),
    and the numbers are not shown (None): nor is the number of a category's notes in why
    it has none, which could be a small one."""
    from sklearn.feature_extraction.text import CountVectorizer

    lead = audience == "lead"
    groups = small_groups(frame, audience, threshold)
    live = set(frame["id"])
    texts = {n["id"]: n["text"] for n in notes
             if n["id"] in live and n.get("text") and (lead or may_quote(n, flagged, cleared))}
    least = MIN_PHRASE_NOTES if lead else max(MIN_PHRASE_NOTES, threshold)
    kept = "" if lead else " that may be quoted"
    if len(texts) < least:
        return KeyPhrases(missing=dict.fromkeys(
            codebook.ids, f"too few notes{kept} in all (a phrase needs {least})"))
    ids = list(texts)
    vectorizer = CountVectorizer(analyzer=candidate_phrases, binary=True, min_df=least)
    try:
        X = vectorizer.fit_transform(texts[i] for i in ids).tocsc()
    except ValueError:  # no phrase in enough notes
        return KeyPhrases(missing=dict.fromkeys(
            codebook.ids, f"no phrase is in {least} or more notes{kept}"))
    vocabulary = vectorizer.get_feature_names_out()
    words = np.array([phrase.count(" ") + 1 for phrase in vocabulary])
    in_category = frame.set_index("id")["categories"].reindex(ids)
    everywhere = np.asarray(X.sum(axis=0)).ravel().astype(float)
    # the prior: each phrase as common as it is over all notes, worth 1% of them
    prior = everywhere * 0.01
    screen = None if lead else _PhraseScreen(ids, texts, frame, groups, threshold)

    out: dict[str, list[tuple[str, int | None]]] = {}
    missing: dict[str, str] = {}
    for category in codebook.categories:
        member = in_category.map(
            lambda found, c=category.id: isinstance(found, list) and c in found
        ).to_numpy()
        n_in, n_out = int(member.sum()), int((~member).sum())
        if n_in < least:  # outside the leads' view the number could be a small one
            missing[category.id] = (
                ("no notes" if n_in == 0 else f"only {n_in} note{'s' if n_in > 1 else ''}")
                + f"; a phrase needs {least}" if lead else
                f"too few notes{kept} (a phrase needs {least})")
            continue
        if n_out == 0:
            missing[category.id] = "every note is in it: no other notes to compare with"
            continue
        inside = np.asarray(X[member].sum(axis=0)).ravel().astype(float)
        outside = everywhere - inside
        # log-odds of each phrase in the category's notes against the others', smoothed
        # towards how common it is overall, divided by its standard error
        a, a0 = prior, prior.sum()
        total_in, total_out = inside.sum(), outside.sum()
        with np.errstate(divide="ignore", invalid="ignore"):  # a vocabulary of one phrase
            delta = (np.log((inside + a) / (total_in + a0 - inside - a))
                     - np.log((outside + a) / (total_out + a0 - outside - a)))
            z = delta / np.sqrt(1 / (inside + a) + 1 / (outside + a))
        typical = ((inside >= least) & np.isfinite(z)
                   & (inside / n_in >= MIN_PHRASE_LIFT * outside / n_out))
        # most typical first; on a tie the shorter phrase ("crisis team" before "team
        # never came"), then alphabetical (the vocabulary's order)
        order = [i for i in np.lexsort((words, -z))
                 if typical[i] and vocabulary[i] not in _weak_alone()]
        chosen: list[tuple[str, int | None]] = []
        screened = False
        for i in order:
            phrase = vocabulary[i]
            longer = [k for k in order if inside[k] >= 0.3 * inside[i]
                      and f" {phrase} " in f" {vocabulary[k]} " and k != i]
            if longer:
                i = max(longer, key=lambda k: (inside[k], z[k], -words[k]))
                phrase = vocabulary[i]
            if any(_overlap(phrase, c) for c, _ in chosen):
                continue
            rows = X[:, i].nonzero()[0]
            if screen is not None and not screen.shareable(phrase, rows[member[rows]]):
                screened = True
                continue
            chosen.append((phrase, int(inside[i]) if lead else None))
            if len(chosen) == top:
                break
        if chosen:
            out[category.id] = chosen
        elif screened:
            missing[category.id] = "its phrases could point to a person or small group"
        else:
            missing[category.id] = f"no phrase in {least} or more of its notes{kept} stands out"
    return KeyPhrases(out, missing)


class _PhraseScreen:
    """Whether a phrase may leave the leads' view, built for a red team's findings:

    - no word of it is a name (a first name or surname that is not an everyday word, in
      the redaction lexicon), a place few notes come from (a place in the lexicon, unless
      the place field names it for at least `threshold` notes), a word of the name of a
      place or community few notes come from (`small_groups`, plurals alike: "Somalis",
      "hebden"), or in a script other than the Latin alphabet (names the lexicon cannot
      know);
    - its notes come from at least two listeners and two days (five notes of one
      conversation are one person), and from two places where a word of it is one no
      dictionary knows (a staff member's surname at one surgery, a street, a rare
      condition);
    - in each of up to `PHRASE_NOTES_CHECKED` notes that hold it, it is found (found the
      way phrases are made, or left out: a check that cannot find the phrase must not pass
      it) and touches no personal data `insight.redact` finds and no small group's name.
    """

    def __init__(self, ids: list[str], texts: dict[str, str], frame: pd.DataFrame,
                 groups: SmallGroups, threshold: int) -> None:
        self.ids, self.texts, self.groups = ids, texts, groups
        rows = frame.set_index("id").reindex(ids)
        self.listener = rows["listener"].fillna("").to_numpy()
        self.day = rows["heard_on"].astype(str).to_numpy()
        self.place = rows["place"].map(lambda p: " ".join(group_names(p)).casefold())
        self.small_words = {_singular(w) for names in groups.values() for name in names
                            for w in re.findall(r"[^\W\d_]+", name.casefold()) if len(w) > 2}
        counts = Counter(self.place)
        self.big_place_words = {w for place, n in counts.items() if n >= threshold
                                for w in re.findall(r"[^\W\d_]+", place)}
        self.place = self.place.to_numpy()
        self.spans: dict[str, list[tuple[int, int]]] = {}

    def word_ok(self, word: str) -> bool | None:
        """False: never shown; None: a word no dictionary knows; True: an everyday word."""
        plain = without_accents(word)
        if not re.fullmatch(r"[a-z']+", plain) or _singular(word) in self.small_words:
            return False
        from insight.redact import lexicon_flags

        flags = lexicon_flags(word)
        if "W" in flags:
            return True
        if "F" in flags or "L" in flags:
            return False
        if "P" in flags:
            return word in self.big_place_words
        return None

    def shareable(self, phrase: str, rows: np.ndarray) -> bool:
        known = [self.word_ok(w) for w in phrase.split()]
        if False in known or len(set(self.listener[rows])) < 2 or len(set(self.day[rows])) < 2:
            return False
        if None in known and len(set(self.place[rows])) < 2:
            return False
        spread = np.linspace(0, len(rows) - 1, min(len(rows), PHRASE_NOTES_CHECKED))
        return all(self._clean_in(phrase, self.ids[rows[at]])
                   for at in np.unique(spread.astype(int)))

    def _clean_in(self, phrase: str, note_id: str) -> bool:
        from insight.redact import redact

        text = self.texts[note_id]
        if note_id not in self.spans:
            self.spans[note_id] = [(s.start, s.end) for s in redact(text).spans] + [
                span for names in self.groups.values() for span in name_spans(text, names)
            ]
        found = [(a, b) for p, a, b in phrase_spans(text) if p == phrase]
        return bool(found) and not any(
            a < y and x < b for a, b in found for x, y in self.spans[note_id]
        )


def _overlap(a: str, b: str) -> bool:
    """Whether two phrases say the same thing twice: one holds the other ("crisis" and
    "crisis team"; "letter" and "letters") or one runs on into the other ("rang the crisis"
    and "crisis team")."""
    x, y = _singular(a).split(), _singular(b).split()
    if f" {' '.join(x)} " in f" {' '.join(y)} " or f" {' '.join(y)} " in f" {' '.join(x)} ":
        return True
    return any(x[-k:] == y[:k] or y[-k:] == x[:k] for k in range(1, min(len(x), len(y))))


def _singular(phrase: str) -> str:
    """A phrase with each word's plural -s dropped, to tell "letter" and "letters" alike."""
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                    for w in phrase.split())


def find_notes(
    frame: pd.DataFrame,
    *,
    listener: str | None = None,
    place: str | None = None,
    category: str | None = None,
    since: date | None = None,
    until: date | None = None,
    safeguarding: bool | None = None,
    tagged_by: str | None = None,
    setting: str | None = None,
    community: str | None = None,
    contact: bool | None = None,
) -> pd.DataFrame:
    """The notes of a `note_frame` that match every filter given (listener, place, setting
    and community as `group_names` reads them, in any case and with or without accents; a
    note matches a community it
    names among others; `tagged_by` person, model or none; `contact`: whether the person
    agreed to be contacted, to be told what happened next), newest first; no note text."""
    keep = pd.Series(True, index=frame.index)

    def plain(text: str) -> str:  # "renee okafor" finds Renée Okafor
        return group_key(" ".join(text.split()))

    def named(column: str, value: str) -> pd.Series:
        wanted = plain(value)
        return frame[column].map(lambda cell: wanted in {plain(n) for n in group_names(cell)})

    for column, value in (("listener", listener), ("place", place), ("setting", setting),
                          ("community", community)):
        if value is not None:
            keep &= named(column, value)
    if category is not None:
        keep &= frame["categories"].map(lambda found: category in found)
    heard = pd.to_datetime(frame["heard_on"], errors="coerce")
    keep &= _in_period(heard, since, until)
    if safeguarding is not None:
        keep &= frame["safeguarding"] == safeguarding
    if contact is not None:
        keep &= frame["consent_contact"] == contact
    if tagged_by is not None:
        source = frame["category_source"].fillna("none")
        keep &= source == tagged_by
    found = frame[keep].assign(_heard=heard[keep])
    return found.sort_values(["_heard", "id"], ascending=[False, True],
                             na_position="last").drop(columns="_heard")
