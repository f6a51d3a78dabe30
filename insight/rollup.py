"""Roll-up: counts per category, share, breadth and month, with pandas.

Human decisions outrank model output: a note a person labelled counts under the
person's categories; otherwise under the model's.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pandas as pd

from insight.codebook import Codebook
from insight.privacy import Audience, is_suppressed, protect, suppress
from insight.store import Store

NOTE_COLUMNS = [
    "id", "heard_on", "listener", "setting", "place", "community", "consent_quote",
    "categories", "category_source", "safeguarding", "experience",
]
UNDATED = "undated"  # the month column for notes heard on an unknown date


def note_frame(store: Store) -> pd.DataFrame:
    """One row per live note with its effective categories (no note text)."""
    by_source: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for tag in store.tags_for():
        by_source[tag["note_id"]][tag["source"]].append(tag["category"])
    # a note in the safeguarding queue raised a concern, whoever raised it (the listener,
    # the model or the phrase list, even against a listener's "no")
    queued = {item["note_id"] for item in store.safeguarding_items(open_only=False)}
    rows: list[dict[str, Any]] = []
    for batch in store.iter_notes():
        for note in batch:
            # categories from a person (the listener's file or a review), else from the
            # last tag run; a note never tagged has none yet
            source = "person" if note["labelled"] else "model" if note["tagged_with"] else None
            safeguarding = note["safeguarding"]
            if safeguarding is None:
                safeguarding = bool(note["model_safeguarding"])
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
                    "categories": by_source[note["id"]][source] if source else [],
                    "category_source": source,
                    "safeguarding": bool(safeguarding),
                    "experience": note["experience"] or note["model_experience"],
                }
            )
    frame = pd.DataFrame(rows, columns=NOTE_COLUMNS)
    frame["month"] = pd.to_datetime(frame["heard_on"], errors="coerce").dt.strftime("%Y-%m")
    return frame


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


def category_rollup(
    frame: pd.DataFrame,
    codebook: Codebook,
    *,
    audience: Audience = "lead",
    threshold: int = 5,
    by_month: bool = True,
) -> pd.DataFrame:
    """Per category: notes, share of all notes, distinct places and listeners, per month
    (plus `undated` when some notes have no date). `by_month=False` leaves the months out.

    A category's count is shown as the report shows it (only a small one is suppressed):
    where the months would give a small month away, months are hidden, never the count,
    since the report beside the roll-up would give the count back."""
    total = len(frame)
    # a share is a count over all notes: where the number of notes is suppressed, a share
    # would give it back
    total_hidden = is_suppressed(suppress(total, audience, threshold))
    exploded = frame.explode("categories").dropna(subset=["categories"])
    months = sorted(m for m in frame["month"].dropna().unique())
    undated = bool(frame["month"].isna().any())
    records = []
    for category in codebook.categories:
        subset = exploded[exploded["categories"] == category.id]
        count = int(subset["id"].nunique())
        record: dict[str, Any] = {
            "category": category.id,
            "name": category.name,
            "notes": suppress(count, audience, threshold),
            "share": round(count / total, 3) if total else 0.0,
            "places": suppress(int(subset["place"].nunique()), audience, threshold),
            "listeners": suppress(int(subset["listener"].nunique()), audience, threshold),
        }
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
        records.append(record)
    table = pd.DataFrame(records)
    # object dtype keeps suppressed shares as None (not NaN) for JSON and CSV output
    table["share"] = pd.Series([r["share"] for r in records], dtype=object)
    return table


NOT_RECORDED = "not recorded"


def heard_from(
    frame: pd.DataFrame, audience: Audience = "lead", threshold: int = 5
) -> dict[str, list[tuple[str, int | None]]]:
    """Who was heard, and where: for leads, notes per setting and per community people
    described (most first, then "not recorded"); spellings that differ only in case or
    spacing are one group.

    Outside the leads' view only the names of settings and communities `threshold` notes
    or more come from, in alphabetical order, with no counts (None): a small group's name
    can point to the person, and any count, order or row beside the report's total was
    found to give small ones back (a named setting has at least `threshold` notes, so the
    others' count can be worked out from the total)."""
    lead = audience == "lead"

    def grouped(values: pd.Series) -> tuple[Counter[str], int]:
        counts: Counter[str] = Counter()
        spellings: dict[str, Counter[str]] = defaultdict(Counter)
        missing = 0
        for value in values:
            names = value if isinstance(value, list) else [value]
            names = [" ".join(str(v).split()) for v in names if isinstance(v, str)]
            names = [n for n in names if n and n.casefold() != NOT_RECORDED]
            if not names:
                missing += 1
            for name in dict.fromkeys(n.casefold() for n in names):
                counts[name] += 1
            for name in names:
                spellings[name.casefold()][name] += 1
        shown = Counter({spellings[k].most_common(1)[0][0]: n for k, n in counts.items()})
        return shown, missing

    out: dict[str, list[tuple[str, int | None]]] = {}
    for kind, column in (("setting", "setting"), ("community", "community")):
        counts, missing = grouped(frame[column])
        if lead:
            rows: list[tuple[str, int | None]] = sorted(
                counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))
            out[kind] = rows + ([(NOT_RECORDED, missing)] if missing else [])
        else:
            out[kind] = sorted(((name, None) for name, n in counts.items() if n >= threshold),
                               key=lambda kv: kv[0].casefold())
    return out


#: How notes from a community compare with its share of the local population: below
#: half "much less heard", below 0.8 "less heard", above 1.25 "more heard", else "about in
#: proportion".
HEARD_BANDS = ((0.5, "much less heard"), (0.8, "less heard"), (1.25, "about in proportion"))


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
        lambda names: {" ".join(str(n).split()).casefold() for n in names or [] if str(n).strip()}
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

def find_notes(
    frame: pd.DataFrame,
    *,
    listener: str | None = None,
    place: str | None = None,
    category: str | None = None,
    since: Any = None,
    until: Any = None,
    safeguarding: bool | None = None,
    tagged_by: str | None = None,
) -> pd.DataFrame:
    """The notes of a `note_frame` that match every filter given (listener and place in
    any case; `tagged_by` person, model or none), newest first; no note text."""
    keep = pd.Series(True, index=frame.index)
    if listener is not None:
        keep &= frame["listener"].fillna("").str.casefold() == listener.casefold()
    if place is not None:
        keep &= frame["place"].fillna("").str.casefold() == place.casefold()
    if category is not None:
        keep &= frame["categories"].map(lambda found: category in found)
    heard = pd.to_datetime(frame["heard_on"], errors="coerce")
    if since is not None:
        keep &= heard >= pd.Timestamp(since)
    if until is not None:
        keep &= heard <= pd.Timestamp(until)
    if safeguarding is not None:
        keep &= frame["safeguarding"] == safeguarding
    if tagged_by is not None:
        source = frame["category_source"].fillna("none")
        keep &= source == tagged_by
    found = frame[keep].assign(_heard=heard[keep])
    return found.sort_values(["_heard", "id"], ascending=[False, True],
                             na_position="last").drop(columns="_heard")
