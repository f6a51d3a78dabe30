"""Report: the golden thread as one self-contained HTML file (no external requests).

What goes in passes through `insight.privacy` first: quotes only from notes with consent to
quote, redacted; small numbers suppressed for commissioners and the community; safeguarding
as counts only.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from html import escape
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from jinja2 import Environment, PackageLoader, select_autoescape  # noqa: E402
from markupsafe import Markup  # noqa: E402

from insight import __version__  # noqa: E402
from insight.classify import FEW_TO_SCORE, FEW_TO_TRUST, learnt_from_few  # noqa: E402
from insight.clock import uk_day, uk_time, uk_today  # noqa: E402
from insight.codebook import Codebook  # noqa: E402
from insight.intake import group_key  # noqa: E402
from insight.privacy import (  # noqa: E402
    ERASED,
    HIDDEN,
    NO_CONSENT,
    NO_WORDS,
    RAISED_CONCERN,
    WITHHELD,
    Audience,
    Quoted,
    SmallGroups,
    Towns,
    group_counts,
    hidden_as_range,
    holds_back,
    id_candidates,
    is_suppressed,
    may_quote,
    note_ref,
    protect,
    quotes_for,
    redact_text,
    small_group_warnings,
    spoken_words,
    suppress,
    total_of_groups,
    why_held_back,
    why_not_quoted,
    written_detail_warnings,
)
from insight.rollup import (  # noqa: E402
    NOT_RECORDED,
    TREND_MONTHS,
    categories_not_in,
    category_coverage,
    category_rollup,
    content_words,
    distinct,
    evidence_profile,
    group_names,
    heard_against_population,
    heard_between,
    heard_from,
    key_phrases,
    learnt_from_few_said,
    merged_groups,
    naming_no_community,
    note_frame,
    only_retired,
    small_groups,
    tagged_under_other_versions,
    tagged_under_unrecorded_versions,
    tagging_split,
    tally,
    trend_periods,
)
from insight.sheets import WorkbookError, csv_cell, write_workbook, written_whole  # noqa: E402
from insight.store import Store, parse_ref, ref  # noqa: E402
from insight.tagging import model_reviews  # noqa: E402
from insight.thread import (  # noqa: E402
    QUOTES_PER_INSIGHT,
    coproduction,
    evidence_retagged,
    insight_categories_not_in,
    load_thread,
    long_day,
    pin_blockers,
)

#: `QUOTES_PER_INSIGHT` (imported above): quotes per insight, 1 on the community page

#: Why an insight's notes may not be quoted, as the leads' report sums them up for a
#: board report (`why_not_quoted`'s reasons, and `holds_back`'s), in this order.
NOT_QUOTED = {NO_CONSENT: "no consent to quote",
              RAISED_CONCERN: "safeguarding flag or open item",
              "held back": "held back as a possible missed risk",
              NO_WORDS: "no words", ERASED: "erased"}


#: The report's title unless one is given; the community page is "You said, we did"
#: under a title of the deployment's own (a charity's name), never under this one.
DEFAULT_TITLE = "Community listening: influence report"


@dataclass
class ReportData:
    title: str
    audience: str
    generated: str
    threshold: int
    summary: dict[str, Any]
    rollup: list[dict[str, Any]]
    chart_svg: str
    priorities: list[dict[str, Any]] = field(default_factory=list)
    unlinked_actions: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: for whoever writes the report, never shown in it: leads' words naming a small group
    #: (in the leads' view they are thread checks instead)
    warnings: list[str] = field(default_factory=list)
    version: str = __version__
    plain_words: dict[str, str] = field(default_factory=dict)
    #: leads only: notes per place, listener and month, to see who and where is heard
    breakdowns: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    #: leads only, to do before the report goes out: notes the thread rests on whose
    #: categories only the model gave, and open safeguarding items with days waiting
    unreviewed: list[str] = field(default_factory=list)
    #: actions per commissioning stage (rows, in the cycle's order) and status (columns):
    #: where the response sits, at a glance (actions, not people: no suppression)
    action_overview: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    waiting: list[tuple[int, int]] = field(default_factory=list)
    #: notes per setting and per community (`heard_from`); outside the leads' view only
    #: the names of those many notes come from
    heard_from: dict[str, list[tuple[str, int | None]]] = field(default_factory=dict)
    #: not on the community page: declared communities against the notes from them
    #: (`heard_against_population`), and where the population figures come from
    population: list[dict[str, Any]] = field(default_factory=list)
    population_source: str = ""
    #: the notes that name no community, which the comparison counts in no row
    #: (`naming_no_community`)
    unnamed: dict[str, Any] = field(default_factory=dict)
    #: the roll-up's trend compares the last this-many months with the ones before
    trend_months: int = TREND_MONTHS
    #: which months those are, in words ("August to October 2026 against May to July
    #: 2026"); "" while the notes do not reach back far enough
    trend_span: str = ""
    #: how the report was made, for a reader to weigh it (`model_facts`): the model that
    #: tagged notes and how well it did on notes it never saw, and how many of the notes
    #: the priorities rest on have categories only from it
    method: dict[str, Any] = field(default_factory=dict)
    #: where the work sits on the co-production grid, and involvement per stage
    #: (`thread.coproduction`)
    coproduction: dict[str, Any] = field(default_factory=dict)
    #: record -> its title ("P3" -> "Help right now..."), so a link says where it goes
    titles: dict[str, str] = field(default_factory=dict)
    #: how people reach the team (the community page says it: tell us if we got it wrong)
    contact: str = ""
    #: the area the workspace listens in (`Workspace.area`), "" when not declared
    area: str = ""
    #: when readers will hear more ("in March 2027"), as whoever writes the report says it
    next_update: str = ""
    #: outside the leads' view: the settings and communities it names ("setting:cafe"),
    #: for `Store.record_report`, so the next report says which it names for the first time
    named: list[str] = field(default_factory=list)
    #: notes in no category count because every category they carry is one the codebook
    #: no longer has (`uncounted`, suppressed outside the leads' view) and, for leads, the
    #: notes per such category; {} when there are none
    retired: dict[str, Any] = field(default_factory=dict)
    #: leads only: insights in the thread with no quote a lead pinned, which the community
    #: page therefore quotes nothing for
    unpinned: list[str] = field(default_factory=list)
    #: leads only: insights whose pinned notes can none of them be quoted now (erased,
    #: consent withdrawn, a safeguarding concern): the community page has no quote for them
    pins_unquotable: list[str] = field(default_factory=list)
    #: the period the report counts notes in (`since`, `until`; None for open ends), or {}
    #: for every note
    period: dict[str, date | None] = field(default_factory=dict)
    #: what moved in the thread (`Thread.changes`) from `changes_from` to `changes_to`, of
    #: the records this report shows; `changes_from` is None from the start: a period
    #: with no first day, or the audience's first report (everything so far)
    changes: list[dict[str, Any]] = field(default_factory=list)
    changes_from: date | None = None
    changes_to: date | None = None
    #: "period" (the report's own period), "last report" (since the one before) or
    #: "first" (the audience's first report: everything so far)
    changes_basis: str = ""


def _bar_chart(rollup: list[dict[str, Any]], threshold: int) -> str:
    """Horizontal bars of notes per category as inline SVG, with a text alternative. A
    suppressed count is drawn as a hatched bar up to the threshold, labelled "<5": an
    empty bar would read as none. A count given as a range ("20 to 23", `covering_counts`)
    is drawn up to its low end, labelled with the range; one not shown, not drawn."""
    names = [r["name"] for r in rollup][::-1]
    counts = [r["notes"] for r in rollup][::-1]
    few = [isinstance(c, str) and c.startswith("<") for c in counts]
    values = [threshold if f else c if isinstance(c, int)
              else int(c.split(" to ")[0]) if " to " in c else 0
              for f, c in zip(few, counts, strict=True)]
    labels = [str(c) for c in counts]
    plt.rcParams["svg.fonttype"] = "none"
    plt.rcParams["svg.hashsalt"] = "insight"  # the same chart gives the same file
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(names) + 0.8))
    bars = ax.barh(names, values, color=["white" if f else "#2b6c8f" for f in few],
                   edgecolor="#2b6c8f")
    for bar, f in zip(bars, few, strict=True):
        if f:
            bar.set_hatch("///")
    ax.bar_label(bars, labels=labels, padding=3, fontsize=9)
    ax.set_xlabel("notes" + (f" (hatched: fewer than {threshold})" if any(few) else ""))
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="y", labelsize=9)
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    described = "; ".join(f"{n}: {c}" for n, c in zip(names[::-1], labels[::-1], strict=True))
    alternative = escape(f"Bar chart of notes per category. {described}.")
    head = svg.index(">") + 1
    return (svg[: head - 1] + f' role="img" aria-label="{alternative}">'
            + f"<title>{alternative}</title>" + svg[head:])


#: Words services use that people may not know: explained at the foot of the community
#: page wherever the page uses them (in actions, owners, outcomes written by services).
PLAIN_WORDS = {
    "A&E": "the hospital emergency department (Accident and Emergency)",
    "CAMHS": "Children and Young People's Mental Health Services",
    "CBT": "cognitive behavioural therapy: a talking therapy about how thoughts, feelings "
           "and what we do affect each other",
    "CMHT": "Community Mental Health Team: the local NHS team for adults with mental "
            "health problems",
    "CPN": "community psychiatric nurse: a mental health nurse who sees people at home or "
           "in the community",
    "CQC": "Care Quality Commission: the body that inspects health and care services",
    "DBT": "dialectical behaviour therapy: a talking therapy that teaches skills for coping "
           "with strong feelings",
    "DNA": "did not attend: a missed appointment",
    "EIP": "Early Intervention in Psychosis: a team for people with a first episode of "
           "psychosis",
    "GP": "family doctor",
    "IAPT": "the NHS talking therapies service (it used to be called Improving Access to "
            "Psychological Therapies)",
    "ICB": "Integrated Care Board: the NHS body that plans and pays for local health "
           "services",
    "MHA": "Mental Health Act",
    "NHS": "National Health Service",
    "PALS": "Patient Advice and Liaison Service: where you can raise a concern about NHS care",
    "PICU": "psychiatric intensive care unit",
    "VCSE": "voluntary, community and social enterprise organisations: charities and "
            "community groups",
    "Talking Therapies": "the NHS service for talking therapies such as counselling and "
                         "CBT, which you can ask for yourself",
    "Trust": "the NHS organisation that runs local hospital and community mental health "
             "services",
    "commissioner": "the person at the NHS or the council who decides which services are "
                    "paid for",
    "care plan": "the written plan of the care and support you agreed with your care team",
    "peer support": "support from people who have been through something similar",
    "peer-led": "run by people who have been through something similar",
    "pilot": "a trial for a set time, to see if something works before it is kept",
    "crisis team": "the NHS team that helps people in a mental health crisis, at home",
    "social prescriber": "someone, often at the GP surgery, who puts people in touch with "
                         "local groups and activities",
}


def plain_words_used(texts: list[str]) -> dict[str, str]:
    """The `PLAIN_WORDS` the given texts use, in the order of the list, and those their
    meanings use ("CBT" in the meaning of "Talking Therapies")."""
    joined = "\n".join(t for t in texts if t)
    used: dict[str, str] = {}
    while True:
        found = {  # "Trust", "ICB" as written; "commissioner", "care plan" in any case
            word: meaning for word, meaning in PLAIN_WORDS.items()
            if re.search(rf"(?<![\w&]){re.escape(word)}s?(?![\w&])", joined,
                         0 if word[0].isupper() else re.IGNORECASE)
        }
        if found.keys() == used.keys():
            return found
        used = found
        joined = "\n".join([joined, *found.values()])


def build_report(
    store: Store,
    codebook: Codebook,
    *,
    audience: Audience = "commissioner",
    threshold: int = 5,
    title: str = DEFAULT_TITLE,
    quotes_per_insight: int | None = QUOTES_PER_INSIGHT,
    population: dict[str, float] | None = None,
    population_source: str = "",
    model: dict[str, Any] | None = None,
    contact: str = "",
    next_update: str = "",
    never_name: Collection[str] = (),
    tagged_by: Collection[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    last_report: datetime | None = None,
    area: str = "",
) -> ReportData:
    """The report's content for one audience, through `privacy` (see the module docstring).
    `population`: community -> percent of the local population (the workspace's
    `[population]`), to compare who was heard with who lives there. `model`: the
    workspace model's `model.json` (`model_facts` reads how it was measured); without
    it, `tagged_by` names the models whose tags the notes carry, of which no measure is
    kept. `contact`:
    how people reach the team, for the community page; `next_update`: when readers will
    hear more (a page that says nothing of it reads as the end). `never_name`: settings and
    communities a lead chose never to name outside the leads' view (`heard_from`).
    `since`, `until`: count and quote only notes heard in that period, an insight's,
    priority's and action's too (the thread's records as they stood at its end, an insight
    with none heard in it shown with none), and say what changed in the thread in it;
    without them,
    what changed since `last_report` (when the audience's report was last written), if
    given: what happened since its day, and what was recorded since, dated earlier.
    `area`: the area the workspace listens in, which the report says and quotes may name;
    outside the leads' view a quote writes any other town the lexicon knows as [PLACE],
    unless at least `threshold` of the workspace's notes come from it (`privacy.Towns`).

    The community page is public and read by the people who spoke: it quotes only notes a
    lead pinned for the insight (a person read the words and chose them for that finding),
    never the model's pick, and names no person as an action's owner."""
    every_note = note_frame(store)
    frame, undated = heard_between(every_note, since, until)
    # the report shows each category's total, not its months: protect what is shown
    # a period's trend: its last months against those before, whenever they were heard
    rollup = category_rollup(
        frame, codebook, audience=audience, threshold=threshold, by_month=False,
        trend_from=heard_between(every_note, None, until)[0] if since or until else None,
        few_examples=learnt_from_few((model or {}).get("metadata") or {}),
    )
    rollup_rows = rollup[["category", "name", "notes", "share", "places", "listeners",
                          "communities", "negative", "mixed", "positive", "neutral",
                          "not known", "trend", "learnt_from_few"]].to_dict("records")
    thread = full = load_thread(store)
    heard_on = dict(zip(every_note["id"], every_note["heard_on"], strict=True))
    # a past period's report says what was true at its end: statuses, outcomes, evidence
    as_of = min(until, uk_today()) if until else uk_today()
    if as_of < uk_today():
        thread = thread.as_of(as_of, heard_on)
    live, kept = set(frame["id"]), set(every_note["id"])
    # a period's counts, evidence profiles and quotes are of the notes heard in it, so two
    # adjacent periods' reports cannot be subtracted to count a few notes, and a quote is
    # that period's voice; the thread itself (which insights, priorities and actions) is
    # as it stood at the period's end
    by_period = bool(since or until)
    counted = thread.heard_in(live) if by_period else thread
    # an erased note is in no count, but a concern still open on one is: it is open until
    # a person closes it, whatever happened to the note (a note heard outside the period
    # is another period's); a flag a person judged a false alarm is no concern
    # (`Store.safeguarding_state`). The queue is as it stands now, even in a past period's
    # report: notes are often typed up weeks later, and an open concern is open today.
    now = datetime.now(UTC).replace(tzinfo=None)
    flagged = [f for f in store.safeguarding_items(open_only=False)
               if not f["not_a_concern"] and (f["note_id"] in live or (
                   f["acknowledged_at"] is None and f["note_id"] not in kept))]
    flagged_ids = {f["note_id"] for f in flagged}
    _, cleared = store.safeguarding_state()
    # a place or community few notes come from in the period, or in all, is not named in
    # a quote: a period's note may name a town heard of once, in another year
    in_period, in_all = (small_groups(f, audience, threshold) for f in (frame, every_note))
    groups = merged_groups(in_period, in_all)
    by_quarter: dict[pd.Period, SmallGroups] = {}

    def groups_of(note: dict[str, Any]) -> SmallGroups:
        """The small groups a quote of this note hides: the report's, and those of the
        quarter the note was heard in, so a community one of a few people in that quarter
        is hidden alike in a report of the quarter and in one of all notes (side by side,
        "deaf" in one and "[COMMUNITY]" in the other, under one reference, said who)."""
        day = note.get("heard_on")
        if audience == "lead" or not isinstance(day, date):
            return groups
        quarter = pd.Period(day, freq="Q")
        if quarter not in by_quarter:
            heard, _ = heard_between(every_note, quarter.start_time.date(),
                                     quarter.end_time.date())
            by_quarter[quarter] = merged_groups(groups,
                                                small_groups(heard, audience, threshold))
        return by_quarter[quarter]
    # a town no note's place field names is in no small group: a quote names only the
    # area and the places many of the workspace's notes come from
    towns = None if audience == "lead" else Towns(
        area, [name for name, n in tally(every_note["place"])[0].items() if n >= threshold])
    phrases = key_phrases(
        (note for batch in store.iter_notes() for note in batch), frame, codebook,
        audience=audience, threshold=threshold, flagged=flagged_ids, cleared=cleared,
    )
    for row in rollup_rows:
        row["phrases"] = phrases.get(row["category"], [])
    key = store.secret("note-ref")
    heard = frame["heard_on"].dropna()
    # open + acknowledged = routed: a small acknowledged count must not be worked out; the
    # number routed is the one that matters, so the split gives way to it
    # counted in notes, as the report says (a note may have two items: the flag's and a
    # person's); open: a note with an item no one has acknowledged yet
    n_open = len({f["note_id"] for f in flagged if f["acknowledged_at"] is None})
    routed, routed_parts = protect(
        len(flagged_ids), {"open": n_open, "acknowledged": len(flagged_ids) - n_open},
        audience, threshold, keep_total=True,
    )
    # what the category counts and the quotes stand on, of the notes counted
    coverage = category_coverage(frame, codebook, audience, threshold)
    quotable = sum(may_quote(n, flagged_ids, cleared) for batch in store.iter_notes()
                   for n in batch if n["id"] in live)
    summary = {
        "notes": suppress(len(frame), audience, threshold),  # as the split gives it
        # a period's own days, else those of the first and last conversations
        "from": str(since) if since else str(min(heard)) if len(heard) else None,
        "to": str(until) if until else str(max(heard)) if len(heard) else None,
        "listeners": suppress(distinct(frame["listener"]), audience, threshold),
        "places": suppress(distinct(frame["place"]), audience, threshold),
        **tagging_split(frame, audience, threshold),
        "no_category": coverage["no_category"],
        "may_quote": quotable_shown(quotable, len(frame), audience, threshold),
        "safeguarding_flagged": routed,
        "safeguarding_open": routed_parts["open"],
        **safeguarding_response(flagged, now, audience, threshold),
        # flags of the model or phrase list a person judged no concern: how the queue is
        # read, not only filled
        "safeguarding_cleared": suppress(len(cleared & live), audience, threshold),
        "priorities": len(thread.priorities),
        "actions": len(thread.actions),
        "outcomes": len(thread.outcomes),
    }

    # An insight's count is its own; a priority's or an action's total is shown only where
    # it tells nothing its insights' counts do not (`total_of_groups`).
    insight_counts = group_counts(
        {i: counted.notes_of_insight(i) for i in thread.insights}, audience, threshold
    )
    not_shown = {i for i, count in insight_counts.items() if count == HIDDEN}

    def total(note_ids: list[str], insight_ids: list[int]) -> int | str:
        groups = {i: len(counted.notes_of_insight(i)) for i in dict.fromkeys(insight_ids)}
        return total_of_groups(len(note_ids), groups, audience, threshold, hidden=not_shown)

    def action_view(action_id: int) -> dict[str, Any]:
        action = thread.actions[action_id]
        return {
            "ref": ref("action", action_id),
            "title": action["title"],
            "description": action["description"],
            # on the public page a person's name in "who is responsible" is taken out
            "owner": public_owner(action["owner"]) if action["owner"] and audience == "community"
            else action["owner"],
            "status": action["status"],
            # the day it reached that status (None for one the audit log does not date)
            "status_since": thread.status_since(action_id),
            # the reason is a decline's: kept in the record (and the audit log) when the
            # status moves on, but no report says it of an action no longer declined
            "reason": action["reason"] if action["status"] == "declined" else None,
            "due_on": action["due_on"],
            "stage": action["stage"],
            "framework": action["framework"],
            "outcomes": [
                {
                    "ref": ref("outcome", o["id"]),
                    "description": o["description"],
                    "observed_on": o["observed_on"],
                    "evidence": o["evidence"],
                    "fed_back": o["fed_back"],
                    "fed_back_on": o["fed_back_on"],
                }
                for o in thread.outcomes_of_action(action_id)
            ],
            "involvement": _involvement(thread.involvement.get(action_id), audience),
            # a past period's: the priorities it answers, agreed only after the period
            "answers_later": [
                {"ref": ref("priority", p), "agreed_on": full.priorities[p]["agreed_on"]}
                for p in action.get("answers_later", [])],
            "chain": _named_chain(counted.chain(action_id), audience, insight_counts, key),
            "evidence": total(
                counted.notes_of_action(action_id),
                [i for p in thread.priorities_of_action(action_id)
                 for i in thread.insights_of_priority(p)],
            ),
        }

    priorities = []
    linked_actions: set[int] = set()
    quoted = Quoted()  # each note and wording quoted once in the report
    # notes whose words may speak of a risk the flag did not raise (`privacy.holds_back`),
    # read once however many insights a note supports
    scored: dict[str, tuple[float, float]] = {}
    risky: dict[str, bool] = {}

    def held_back_of(candidates: list[dict[str, Any]]) -> set[str]:
        unread = [n for n in candidates if n["id"] not in risky]
        if unread:
            scored.update(store.safeguarding_scores([n["id"] for n in unread]))
            found = holds_back(unread, scored)
            risky.update((n["id"], n["id"] in found) for n in unread)
        return {n["id"] for n in candidates if risky[n["id"]]}
    for priority_id, priority in thread.priorities.items():
        # "you said" needs someone to have said it (the leads' checks list it): by the
        # period's end, not in it (a priority agreed last year whose action moved in this
        # period belongs on this period's page)
        if audience == "community" and not thread.notes_of_priority(priority_id):
            continue
        insight_views = []
        for insight_id in thread.insights_of_priority(priority_id):
            insight = thread.insights[insight_id]
            note_ids = counted.notes_of_insight(insight_id)
            evidence = insight_counts[insight_id]
            on_topic = [t for t in store.tags_for(note_ids)
                        if t["category"] in insight["categories"]]
            excerpts = {t["note_id"]: t["evidence"] for t in on_topic if t["evidence"]}
            # quote first what people tagged, then what the model is surest of
            strength: dict[str, float] = {}
            for t in on_topic:
                value = 2.0 if t["source"] == "person" else float(t["confidence"] or 0.0)
                strength[t["note_id"]] = max(strength.get(t["note_id"], 0.0), value)
            # a lead's pins come first, in the order pinned; what a lead left out is never
            # quoted for this insight. Neither makes a note quotable: `quotes_for` still
            # decides on consent, safeguarding and erasure, and suppression below.
            pinned = [n for n in thread.pinned_notes(insight_id) if n in note_ids]
            left_out = set(thread.left_out_notes(insight_id)) & set(note_ids)
            linked = {n["id"]: n for n in (store.get_note(i) for i in note_ids) if n}
            # a note that went the other way from most of the insight's notes (a good
            # experience under a finding most people found bad) is quoted only after
            # the rest: its words would read as contradicting the finding
            against = against_lean([_experience(n) for n in linked.values()])
            # then words that speak of what the finding names before words that share
            # none of its words (the model's evidence is for the broad category: "full
            # by the time I get there" under a finding about crisis lines), then the
            # person's own words before what a listener noted of them
            finding = content_words(f"{insight['title']} {insight['summary'] or ''}")
            # outside the leads' view, the software picks from notes of a place or
            # community few notes come from last: a story beside them can point to the
            # one person (a name in the words is taken out, the story is not)
            ordered = pinned + sorted(
                (n for n in note_ids if n not in left_out and n not in pinned),
                key=lambda n: (
                    n in linked and _from_small_group(linked[n], groups_of(linked[n])),
                    n in linked and _experience(linked[n]) in against,
                    n in linked and not finding & content_words(
                        excerpts.get(n) or linked[n]["text"] or ""),
                    n in linked and not _speaks(linked[n], excerpts.get(n)),
                    -strength.get(n, 0.0),
                ),
            )
            if audience == "community":  # a person chose these words for this finding
                ordered = pinned
            # the software picks no note whose words may speak of a risk the flag did not
            # raise, for any audience (the leads' report shows what others will read, and
            # says which notes were held back, for a lead to read and pin)
            candidates = [] if audience == "community" else [
                linked[n] for n in note_ids if n in linked and n not in pinned
                and n not in left_out and may_quote(linked[n], flagged_ids, cleared)]
            held = held_back_of(candidates)
            notes = [linked[n] for n in ordered if n in linked]
            # leads only: every note here no report may quote, by reason, and each pin
            # not quoted with what to do (others must not learn which notes were flagged)
            not_quoted: dict[str, list[str]] = {}
            if audience == "lead":
                for n in sorted(linked):
                    for why in why_not_quoted(linked[n], flagged_ids, cleared):
                        not_quoted.setdefault(why, []).append(n)
                not_quoted["held back"] = sorted(held)
            # a pin the software would hold back is quoted (a person read it): leads are
            # asked to read it again before the report goes out
            pins_held = held_back_of([linked[n] for n in pinned if n in linked and may_quote(
                linked[n], flagged_ids, cleared)]) if audience == "lead" else set()
            quotes = [] if audience != "lead" and is_suppressed(evidence) else quotes_for(
                notes,
                limit=1 if audience == "community" else quotes_per_insight,
                excerpts=excerpts,
                flagged=flagged_ids,
                cleared=cleared,
                audience=audience,
                key=key,
                within=ref("insight", insight_id),
                # "you said" over a quote is only true of the person's own words
                own_words=audience == "community",
                quoted=quoted,
                small_groups=groups_of,
                chosen=pinned,
                towns=towns,
                held_back=held,
            )
            insight_views.append(
                {
                    "ref": ref("insight", insight_id),
                    "title": insight["title"],
                    "summary": insight["summary"],
                    "categories": [
                        codebook.get(c).name if c in codebook
                        else f"{c} (no longer in the codebook)"
                        for c in insight["categories"]
                    ],
                    "evidence": evidence,
                    # a period's insight with none of its notes heard in the period: the
                    # month it was first heard, the same in every later report
                    "first_heard": min((str(d)[:10] for n in thread.notes_of_insight(insight_id)
                                        if isinstance(d := heard_on.get(n), date)),
                                       default=None) if by_period and not note_ids else None,
                    # leads see everything: beside a period's count, every note linked to
                    # the insight by the period's end
                    "linked": len(thread.notes_of_insight(insight_id))
                    if audience == "lead" and by_period else None,
                    # a quote from an insight few notes rest on would speak for one of
                    # those few people: outside the leads' view, none
                    "quotes": quotes,
                    # leads only: which quotes a lead pinned (by note id, as leads see
                    # quotes named) and how many notes were left out of quoting
                    "pinned": [q.note_id for q in quotes if q.note_id in pinned]
                    if audience == "lead" else [],
                    # quotes no lead chose: the sentence the model's tag rests on, which
                    # readers should know can miss the finding's point
                    "picked": sum(q.source not in pinned for q in quotes),
                    "left_out": len(left_out) if audience == "lead" else 0,
                    # leads only: the notes held back from the quotes the software picks,
                    # and how many it may pick that the classifier never scored
                    "held_back": sorted(held) if audience == "lead" else [],
                    "unscored": sum(n["id"] not in scored for n in candidates)
                    if audience == "lead" else 0,
                    # leads only: how many notes may not be quoted, of how many, and which
                    # by reason (`NOT_QUOTED`); a pin not quoted, why and what to do
                    "not_quoted": {
                        "notes": len({n for ids in not_quoted.values() for n in ids}),
                        "of": len(note_ids),
                        "reasons": [(label, not_quoted[why]) for why, label in NOT_QUOTED.items()
                                    if not_quoted.get(why)]}
                    if audience == "lead" else {},
                    "pins_not_quoted": [(n, steps) for n in pinned
                                        if (steps := pin_blockers(store, n))]
                    if audience == "lead" else [],
                    "pins_held_back": [(n, why_held_back(linked[n], scored.get(n)))
                                       for n in pinned if n in pins_held],
                    # when, where and by how many listeners its notes were heard: not on
                    # the community page, not where the count itself is not shown, and
                    # not of no notes (a period's insight with none heard in it)
                    "profile": {**evidence_profile(n for n in linked.values()
                                                   if n["erased_at"] is None),
                                # outside the leads' view counts under it are "<5", as
                                # every count in the report is
                                "threshold": threshold if audience != "lead" else None}
                    if audience != "community" and not is_suppressed(evidence) and note_ids
                    else None,
                }
            )
        action_ids = sorted(a for a, ps in thread.action_priorities.items() if priority_id in ps)
        linked_actions.update(action_ids)
        priorities.append(
            {
                "ref": ref("priority", priority_id),
                "title": priority["title"],
                "description": priority["description"],
                "agreed_on": priority["agreed_on"],
                # no longer pursued: since when and why (None while it is pursued)
                "withdrawn": {"on": w["withdrawn_on"], "reason": w["reason"]}
                if (w := thread.withdrawn.get(priority_id)) else None,
                "evidence": total(
                    counted.notes_of_priority(priority_id),
                    thread.insights_of_priority(priority_id),
                ),
                "insights": insight_views,
                "actions": [action_view(a) for a in action_ids],
            }
        )
    mark_repeats(priorities)
    lost = categories_not_in(frame, codebook)
    # every reader is told of notes in no category count for a codebook change, and of
    # categories counted that were tagged under an earlier version of the codebook
    uncounted = only_retired(frame, codebook)
    retired = {"uncounted": coverage["only_retired"],
               "categories": sorted(Counter(c for cats in frame["categories"] for c in cats
                                            if c not in codebook).items())
               if audience == "lead" else []} if uncounted or (
                   audience == "lead" and lost) else {}
    unpinned = [ref("insight", i) for i in sorted({i for p in thread.priorities
                                                   for i in thread.insights_of_priority(p)})
                if not thread.pinned_notes(i) and counted.notes_of_insight(i)]
    pins_unquotable = [
        ref("insight", i) for i in sorted({i for p in thread.priorities
                                           for i in thread.insights_of_priority(p)})
        if (pins := thread.pinned_notes(i)) and not any(
            (n := store.get_note(pin)) is not None and may_quote(n, flagged_ids, cleared)
            for pin in pins)]
    written = list(thread.written())
    named = small_group_warnings(
        written, small_groups(frame, "commissioner", threshold), threshold
    ) + written_detail_warnings(written, store.existing_notes(id_candidates(written)))
    # what the community page shows: services' words, and the people's quoted
    shown = shown_by_leads(priorities) + [q.text for p in priorities for i in p["insights"]
                                          for q in i["quotes"]]
    # notes the thread rests on whose categories no person gave or reviewed (the model's,
    # or none yet): leads see which, and every reader how many
    resting = {n for p in thread.priorities for n in counted.notes_of_priority(p)}
    unreviewed = resting & set(frame.loc[frame["category_source"] != "person", "id"])
    # what moved in the thread: in the period, else since the last report; of what this
    # report shows (the community page leaves out priorities no one's words are under)
    changes_from = since if by_period else uk_day(last_report) if last_report else None
    changes_to = as_of  # a period still running: what changed so far
    shown_refs = {p["ref"] for p in priorities} | {
        a["ref"] for p in priorities for a in p["actions"]} | {
        ref("action", a) for a in thread.actions
        if a not in linked_actions and audience != "community"}  # no such list there
    changes = [c for c in thread.changes(changes_from or date.min, changes_to,
                                         recorded_after=None if by_period else last_report)
               if c.get("action", c["ref"]) in shown_refs
               # people are being told now: "fed back" is the team's record, not news
               and not (audience == "community" and c["change"] == "fed back")
               ]
    if audience == "community":  # who declined, named as the action is (no person's name)
        changes = [{**c, "owner": public_owner(c["owner"])} if c.get("owner") else c
                   for c in changes]
    period_warnings = [
        f"{undated} note{'s have' if undated != 1 else ' has'} no date heard, so "
        f"{'they are' if undated != 1 else 'it is'} in no period and not counted here "
        "(`insight notes update ID --heard-on DAY`)"] if undated else []
    return ReportData(
        period={"since": since, "until": until, "as_of": as_of} if by_period else {},
        changes=changes,
        changes_from=changes_from,
        changes_to=changes_to,
        changes_basis="period" if by_period else "last report" if last_report else "first",
        breakdowns=_breakdowns(frame) if audience == "lead" else {},
        heard_from=(named_groups := heard_from(frame, audience, threshold, never_name)),
        population=heard_against_population(frame, population, audience, threshold)
        if population and audience != "community" else [],
        population_source=population_source,
        trend_span=_trend_span(trend_periods(frame)),
        unnamed=naming_no_community(frame, audience, threshold)
        if population and audience != "community" else {},
        action_overview=_action_overview(thread.actions.values()),
        coproduction=coproduction(thread),
        unreviewed=sorted(unreviewed) if audience == "lead" else [],
        retired=retired,
        method={**model_facts(model), "codebook": codebook_title(codebook),
                "other_versions": {v: suppress(n, audience, threshold) for v, n in
                                   tagged_under_other_versions(store, frame, codebook).items()},
                # a tag with no version may be of another: those counts are then floors
                "versions_unrecorded": tagged_under_unrecorded_versions(store, frame) > 0,
                # said only of priorities there are
                **({"model_only": len(unreviewed) if audience == "lead" else
                    share_in_words(len(unreviewed), len(resting))}
                   if thread.priorities else {}),
                **({"tagged_by": sorted(tagged_by)} if tagged_by and not model else {}),
                "reviews": model_reviews(store, list(frame["id"]))},
        waiting=[
            (f["id"], (now - f["flagged_at"]).days)
            for f in flagged if f["acknowledged_at"] is None
        ] if audience == "lead" else [],
        plain_words=plain_words_used(shown) if audience == "community" else {},
        title=title,
        audience=audience,
        generated=uk_time(datetime.now(UTC)),
        threshold=threshold,
        summary=summary,
        rollup=rollup_rows,
        chart_svg=_bar_chart(rollup_rows, threshold),
        priorities=priorities,
        unlinked_actions=[action_view(a) for a in thread.actions if a not in linked_actions],
        problems=thread.problems(as_of, shown_only=audience != "lead") + (
            named + lost + evidence_retagged(store, thread)
            + insight_categories_not_in(thread, codebook.ids) if audience == "lead" else []),
        warnings=period_warnings + (named if audience != "lead" else []) + lost
        + (_community_warnings(shown_by_leads(priorities), contact, unpinned, next_update)
           + _pins_unquoted(priorities, counted) if audience == "community" else [])
        + (_naming_warnings(named_groups, store.named_in_reports(
            audience, _name_keys(named_groups))) if audience != "lead" else [])
        + (_singling_out_warnings(priorities) if audience != "lead" else []),
        contact=contact.strip(),
        area=" ".join(area.split()),
        named=_name_keys(named_groups) if audience != "lead" else [],
        next_update=" ".join(next_update.split()).rstrip("."),
        titles={**{ref("priority", i): p["title"] for i, p in thread.priorities.items()},
                **{ref("insight", i): n["title"] for i, n in thread.insights.items()}},
        unpinned=unpinned if audience == "lead" else [],
        pins_unquotable=pins_unquotable if audience == "lead" else [],
    )


#: Capitals a reader may not know ("QIPP", "LA"): two or more, not inside [brackets].
_ABBREVIATION = re.compile(r"(?<![\w\[&])[A-Z][A-Z&]+s?(?![\w\]&])")
#: Abbreviations in mixed case ("SLaM", "CaMHS", "LeDeR", "SaLT"): short, half capitals or
#: more (not "McDonald", "LaToya", "YouTube").
_MIXED_ABBREVIATION = re.compile(r"(?<![\w\[&])[A-Z][A-Za-z]{2,5}(?![\w\]&])")


def _abbreviations(text: str) -> set[str]:
    """The abbreviations a text uses, as written ("ICBs" as "ICB")."""
    found = {m.group(0).rstrip("s") if m.group(0)[:-1].isupper() else m.group(0)
             for m in _ABBREVIATION.finditer(text)}
    for m in _MIXED_ABBREVIATION.finditer(text):
        word = m.group(0)
        capitals = sum(c.isupper() for c in word)
        plural = word.endswith("s") and word[:-1].isupper()  # "GPs": read above
        if not word.isupper() and not plural and capitals >= 2 and 2 * capitals >= len(word):
            found.add(word)
    return found
#: Abbreviations every reader knows.
_KNOWN_ABBREVIATIONS = frozenset({"UK", "OK", "TV"})


#: "the only farmer up there", "only Somali family on the estate", "the one deaf lad in
#: the village": words that single a person out, whatever redaction took from them
_SINGLED_OUT = re.compile(
    r"\b(?:the\s+)?(?:only|one|last)\s+(?:[\w\[\]'’-]+\s+){0,3}?"
    r"(?:man|woman|men|women|lad|lass|girl|boy|bloke|lady|person|people|family|families"
    r"|kid|child|mum|dad|farmer|carer|student|refugee|couple|household)\s+"
    r"(?:up\s+there|round\s+here|in|on|at|up|round|around|for\s+miles)\b",
    re.IGNORECASE)


def _singling_out_warnings(priorities: list[dict[str, Any]]) -> list[str]:
    """Quotes that say someone is the only one of a kind somewhere: with the place or
    community taken out they can still point to the person, so a lead should look."""
    found = [i["ref"] for p in priorities for i in p["insights"]
             if any(_SINGLED_OUT.search(q.text) for q in i["quotes"])]
    if not found:
        return []
    return [f"{', '.join(sorted(set(found)))}: a quote says someone is the only one of a "
            "kind somewhere (\"the only farmer up there\"), which can point to the person "
            "whatever was taken out: read it, and pin another quote or leave that note out "
            "(`insight insights quote I1 NOTE_ID --leave-out`)"]


def quoted_notes(data: ReportData) -> list[str]:
    """The notes whose words the report quotes (for `Store.record_report`)."""
    return list(dict.fromkeys(q.source for p in data.priorities for i in p["insights"]
                              for q in i["quotes"] if q.source))


def mark_repeats(priorities: list[dict[str, Any]]) -> None:
    """Mark each insight and action view with the priorities it is shown under, in page
    order ("under"), and the first of them ("first_under"). An insight or action may
    support several priorities (`priority_insights`, `action_priorities`) and is shown
    under each; only its first appearance carries its id, so the page has one anchor per
    record and a link to "#I3" lands where it was first shown."""
    under: dict[str, list[str]] = {}
    for priority in priorities:
        for view in (*priority["insights"], *priority["actions"]):
            under.setdefault(view["ref"], []).append(priority["ref"])
    for priority in priorities:
        for view in (*priority["insights"], *priority["actions"]):
            view["under"] = under[view["ref"]]
            view["first_under"] = under[view["ref"]][0]


def shown_by_leads(priorities: list[dict[str, Any]]) -> list[str]:
    """What leads and services wrote that a report shows under its priorities (not
    people's quotes)."""
    return [
        text for p in priorities for text in (
            p["title"], p["description"],
            *(i[k] for i in p["insights"] for k in ("title", "summary")),
            *(a[k] for a in p["actions"] for k in ("title", "owner", "reason")),
            *((a["involvement"] or {}).get("how") for a in p["actions"]),
            *(o["description"] for a in p["actions"] for o in a["outcomes"]),
        ) if text
    ]


def _name_keys(named: dict[str, list[tuple[str, int | None]]]) -> list[str]:
    """The settings and communities a report names, one key each ("community:somali")."""
    return [f"{kind}:{group_key(name)}" for kind, rows in named.items() for name, _ in rows]


def _naming_warnings(named: dict[str, list[tuple[str, int | None]]],
                     before: set[str] | None = None) -> list[str]:
    """What a report outside the leads' view names of where and whom it heard, so a lead
    sees it before it goes out and can leave a name out (`never_name`): every name the
    first time, then only those no earlier report for these readers named (`before`: the
    `_name_keys` they named; None when none recorded it), as a list of forty names said
    again each quarter is no longer read."""
    plural = {"setting": "settings", "community": "communities"}
    before = before or set()
    new = {kind: [n for n, _ in rows if f"{kind}:{group_key(n)}" not in before]
           for kind, rows in named.items()}
    said = [f"{plural.get(kind, kind)} {', '.join(repr(n) for n in names)}"
            for kind, names in new.items() if names]
    if not said:
        return []
    again = sum(len(rows) - len(new[kind]) for kind, rows in named.items())
    return [f"this report names {'for the first time ' if before else ''}{' and '.join(said)}"
            + (f" (and {again} named in earlier reports for these readers)" if again else "")
            + "; to leave one out, list it under never_name in insight.toml (its notes are "
            "still counted)"]


def _pins_unquoted(priorities: list[dict[str, Any]], thread: Any) -> list[str]:
    """Insights a lead pinned quotes for that the community page still quotes none of: it
    quotes only a person's own words (in quote marks), with consent and no concern, and in
    a period's page only notes heard in it (`thread`: as the report counts it)."""
    shown = {i["ref"]: bool(i["quotes"]) for p in priorities for i in p["insights"]}
    # where each quoted note is quoted first: a note is quoted once in a page
    quoted_under: dict[str, str] = {}
    for p in priorities:
        for i in p["insights"]:
            for q in i["quotes"]:
                quoted_under.setdefault(q.source, i["ref"])
    silent = sorted({r for r, quoted in shown.items()
                     if not quoted and thread.pinned_notes(parse_ref("insight", r))})
    if not silent:
        return []
    suppressed = {i["ref"] for p in priorities for i in p["insights"]
                  if is_suppressed(i["evidence"])}
    few = [r for r in silent if r in suppressed]
    warnings = [f"{', '.join(few)}: the community page quotes none of the notes pinned, as "
                f"{'its count is' if len(few) == 1 else 'their counts are'} not shown outside "
                "the leads' view (too few notes, or a few short of another insight's), and a "
                "quote would speak for one of those few people"] if few else []
    silent = [r for r in silent if r not in few]
    # a period's page quotes only notes heard in the period (`Thread.heard_in`)
    unheard = [r for r in silent if not set(thread.pinned_notes(i := parse_ref("insight", r)))
               & set(thread.notes_of_insight(i))]
    warnings += [f"{', '.join(unheard)}: the community page quotes none of the notes pinned, "
                 f"as none of them was heard in this period and a period's page quotes only "
                 "its own notes; pin a note heard in it, or leave it without a quote"
                 ] if unheard else []
    silent = [r for r in silent if r not in unheard]
    taken = {r: sorted({quoted_under[n] for n in thread.pinned_notes(parse_ref("insight", r))
                        if quoted_under.get(n, r) != r}) for r in silent}
    warnings += [f"{r}: the community page quotes none of the notes pinned, as a note pinned for "
                f"it is quoted under {', '.join(taken[r])} already (a page quotes a note once); "
                "pin another note, with the person's own words in quote marks and consent to "
                "quote" for r in silent if taken[r]]
    rest = [r for r in silent if not taken[r]]
    if rest:
        warnings.append(
            f"{', '.join(rest)}: the community page quotes none of the notes pinned, as it "
            "quotes only a person's own words (in quote marks), with consent to quote and no "
            "safeguarding concern; pin a note that has them, or leave it without a quote")
    return warnings


_MONTHS = {name.casefold(): number for number in range(1, 13)
           for name in (calendar.month_name[number], calendar.month_abbr[number])}
_MONTH_YEAR = re.compile(r"\b([A-Za-z]{3,9})\.?,?\s+(\d{4})\b|\b(?<![\d/-])(\d{4})\b")


def _passed(when: str, today: date) -> str | None:
    """The month or year a "next update" names, when it is over by `today` ("October
    2026", "2025"), as written; None where none is named or the latest named is still to
    come ("after the June 2026 meeting, in January 2027")."""
    named = []
    for found in _MONTH_YEAR.finditer(when):
        word, year, alone = found.groups()
        number = _MONTHS.get((word or "").casefold())
        if number is not None:
            named.append(((int(year), number), f"{calendar.month_name[number]} {year}"))
        else:  # a year alone, or after a word that is no month ("spring 2025")
            named.append(((int(year or alone), 12), year or alone))
    if not named:
        return None
    latest, said = max(named)
    return said if latest < (today.year, today.month) else None


def _community_warnings(written: list[str], contact: str, unpinned: list[str],
                        next_update: str = "") -> list[str]:
    """For whoever writes the community page: what would leave its readers stuck."""
    warnings = []
    if not contact.strip():
        warnings.append("the community page gives no way to reach you: add --contact "
                        "\"how to reach us\" (or contact = \"...\" under [insight] in "
                        "insight.toml)")
    if not next_update.strip():
        warnings.append("the community page does not say when people will hear more: add "
                        "--next-update \"in March 2027\"")
    elif (gone := _passed(next_update, uk_today())) is not None:
        warnings.append(f"the community page says people will hear more {next_update.strip()!r}, "
                        f"but {gone} has passed: give a time still to come (--next-update)")
    if unpinned:
        warnings.append(f"the community page quotes only words a lead pinned; "
                        f"{', '.join(unpinned)} ha{'s' if len(unpinned) == 1 else 've'} none "
                        "(`insight insights quote INSIGHT NOTE --pin`)")
    explained = {w.casefold() for w in PLAIN_WORDS}
    unexplained = sorted({word for text in written for word in _abbreviations(text)}
                         - set(PLAIN_WORDS) - _KNOWN_ABBREVIATIONS, key=str.casefold)
    unexplained = [w for w in unexplained if w.casefold() not in explained]
    if unexplained:
        warnings.append(f"the community page uses abbreviations it does not explain: "
                        f"{', '.join(unexplained)}; write them out in plain words")
    return warnings


def quotable_shown(quotable: int, notes: int, audience: Audience, threshold: int
                   ) -> int | str:
    """How many of the notes may be quoted (`may_quote`), as the audience may see it: with
    the notes that may not, it adds up to all notes, so a few that may not (a "<5" of
    safeguarding concerns, with everyone's consent) are not given by subtraction: the
    count is then the range the figures allow ("36 to 39")."""
    total, shown = protect(notes, {"may_quote": quotable, "may_not": notes - quotable},
                           audience, threshold, keep_total=True)
    return hidden_as_range(total, shown, threshold)["may_quote"]


def codebook_title(codebook: Codebook) -> str:
    """The codebook as a reader can look it up: its name (else its file's) and version."""
    name = codebook.name or (Path(codebook.path).stem if codebook.path else "")
    return f'"{name}", version {codebook.version}' if name else f"version {codebook.version}"


# A category's score from fewer held-out notes than this is not named as the model's lowest
# (too few to judge, as `insight evaluate` and the card mark it)
MIN_NAMED_SUPPORT = FEW_TO_SCORE


def share_in_words(part: int, whole: int) -> str:
    """A share said in words ("none", "a few", "some", "about half", "most", "all"):
    outside the leads' view a count of notes beside a priority's, itself shown as a range
    or a floor, would give that count (and a small insight's) away by subtraction."""
    if part <= 0 or whole <= 0:
        return "none"
    if part >= whole:
        return "all"
    share = part / whole
    return ("a few" if share < 0.25 else "some" if share < 0.45
            else "about half" if share <= 0.55 else "most")


def model_facts(model: dict[str, Any] | None) -> dict[str, Any]:
    """What a reader needs to weigh the model's tags, from its `model.json`: its version,
    how it was measured on labelled notes it was not trained on (macro-F1, the category it
    does worst on, those it was not tested on, experience accuracy) and on what, and the
    categories it learnt from few examples. {} without a model."""
    if not model:
        return {}
    meta = model.get("metadata", {})
    metrics = meta.get("metrics") or {}
    names = meta.get("category_names") or {}
    per_label = metrics.get("per_label") or {}
    # a category with no examples in the notes it was checked on has no score (its F1 of 0
    # measures nothing), nor has one the data did not code
    tested = {name: m for name, m in per_label.items() if m.get("support") != 0}
    untested = [name for name in [*per_label, *(metrics.get("labels_not_scored") or [])]
                if name not in tested]
    # an F1 from a handful of notes says little: 0.00 from 3 notes is not "the lowest"
    enough = {name: m for name, m in tested.items()
              if m.get("support") is None or m["support"] >= MIN_NAMED_SUPPORT}
    weakest = min(enough.items(), key=lambda kv: kv[1].get("f1", 1.0), default=None)
    return {
        "model_version": model.get("model_version") or meta.get("model_version"),
        "macro_f1": metrics.get("macro_f1"),
        "experience_accuracy": metrics.get("experience_accuracy"),
        "measured_on": metrics.get("data"),
        "weakest": (names.get(weakest[0], weakest[0]), weakest[1].get("f1"),
                    weakest[1].get("support"))
        if weakest else None,
        "few": [names.get(name, name) for name in tested if name not in enough],
        # notes it was checked on that it had also learned from (`evaluate` on a file that
        # overlaps its training data): the score flatters it, and the report must say so
        "seen": metrics.get("notes_seen_in_training") or 0,
        "n_notes": metrics.get("n_notes"),
        "min_support": MIN_NAMED_SUPPORT,
        "untested": [names.get(name, name) for name in untested],
        # categories it learnt from few notes: their tags, and the counts resting on them,
        # are the least sure whatever confidence the model gave (`learnt_from_few`)
        "few_examples": [(names.get(name, name), n) for name, n in learnt_from_few(meta).items()],
        "few_to_trust": FEW_TO_TRUST,
    }


def _trend_span(periods: tuple[list[str], list[str]] | None) -> str:
    """The trend's two periods in words: "August to October 2026 against May to July 2026"."""
    if periods is None:
        return ""

    def span(months: list[str]) -> str:
        first, last = (datetime.strptime(m, "%Y-%m") for m in (min(months), max(months)))
        if first.year == last.year:
            return f"{first:%B} to {last:%B %Y}"
        return f"{first:%B %Y} to {last:%B %Y}"

    return f"{span(periods[0])} against {span(periods[1])}"


def _from_small_group(note: dict[str, Any], groups: SmallGroups) -> bool:
    """Whether a note comes from a place or community few notes come from (`small_groups`:
    names in lower case; none in the leads' view)."""
    return (any(p.casefold() in groups.get("PLACE", ()) for p in group_names(note["place"]))
            or any(c.casefold() in groups.get("COMMUNITY", ())
                   for c in group_names(note["community"])))


def _speaks(note: dict[str, Any], excerpt: str | None) -> bool:
    """Whether the note's quote would be the person's own words (`privacy.spoken_words` in
    or around its evidence sentence), not what the listener noted."""
    text = note.get("text") or ""
    at = text.find(excerpt) if excerpt else -1
    within = (at, at + len(excerpt)) if excerpt and at >= 0 else None
    return spoken_words(text, within) is not None


def _experience(note: dict[str, Any]) -> str | None:
    """A person's judgement of the note's experience, else the model's (as the roll-up)."""
    return note["experience"] or note["model_experience"]


def against_lean(experiences: list[str | None]) -> frozenset[str]:
    """The experience that goes against most of an insight's notes: "positive" where more
    were negative than positive, "negative" where more were positive; none when neither
    leads (mixed, neutral and unknown notes lean neither way)."""
    counts = Counter(experiences)
    if counts["negative"] > counts["positive"]:
        return frozenset({"positive"})
    if counts["positive"] > counts["negative"]:
        return frozenset({"negative"})
    return frozenset()


def _involvement(involved: dict[str, Any] | None, audience: Audience) -> dict[str, Any] | None:
    """How people with lived experience took part in an action; outside the leads' view
    the lead's words about it are redacted (they describe people, and may name them)."""
    if involved is None or audience == "lead" or not involved.get("how"):
        return involved
    from insight.redact import redact

    return {**involved, "how": redact(involved["how"]).text}


def _action_overview(actions: Any) -> list[tuple[str, dict[str, int]]]:
    """Actions counted per commissioning stage and status, stages in the cycle's order."""
    from insight.thread import ACTION_STATUSES, STAGES

    counts: dict[str, Counter[str]] = {}
    for action in actions:
        counts.setdefault(action["stage"] or "stage not set", Counter())[action["status"]] += 1
    order = [*STAGES, "stage not set"]
    return [(stage, {status: counts[stage][status] for status in ACTION_STATUSES})
            for stage in order if stage in counts]


def _breakdowns(frame: Any) -> dict[str, list[tuple[str, int]]]:
    """Notes per place and listener (most first) and per month (in order): where
    listening happens, and where it does not, for the leads' view only."""
    def counted(column: str, by_count: bool) -> list[tuple[str, int]]:
        counts, missing = tally(frame[column])  # "Sue B" and "sue b": one listener
        if missing:
            counts["not given"] = missing
        if by_count:
            return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))
        return sorted(counts.items(), key=lambda kv: (kv[0] == "not given", kv[0]))

    return {"place": counted("place", True), "listener": counted("listener", True),
            "month": counted("month", False)}


def _named_chain(
    chain: dict[str, Any],
    audience: Audience,
    insight_counts: dict[Any, int | str],
    key: bytes,
) -> dict[str, Any]:
    """The thread's chain with each note named as the audience may see it; an insight whose
    count is suppressed or hidden lists none (a list would give the count away)."""

    def notes(insight: dict[str, Any]) -> dict[str, Any]:
        count = insight_counts[parse_ref("insight", insight["insight"])]
        if is_suppressed(count):
            return {"notes": [], "few": count}
        notes = [note_ref(n, audience, key, insight["insight"]) for n in insight["notes"]]
        return {"notes": notes, "few": None}

    return {
        **chain,
        "priorities": [
            {**p, "insights": [{**i, **notes(i)} for i in p["insights"]]}
            for p in chain["priorities"]
        ],
    }


_ENV = Environment(
    loader=PackageLoader("insight", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def profile_words(profile: dict[str, Any]) -> str:
    """An insight's `evidence_profile` as the report says it: "heard March 2025 to
    September 2026, in 23 places, by 15 listeners, in 6 kinds of setting"."""
    first, last = _month_year(profile["first"]), _month_year(profile["last"])
    parts = [f"heard {first}" + (f" to {last}" if last != first else "")] if first else []
    small = profile.get("threshold")
    for count, one, many in ((profile["places"], "place", "places"),
                             (profile["listeners"], "listener", "listeners"),
                             (profile["settings"], "kind of setting", "kinds of setting")):
        if count:
            said = (f"fewer than {small} {many}" if small and count < small
                    else f"{'one' if count == 1 else count} {one if count == 1 else many}")
            parts.append(f"{'in' if one != 'listener' else 'by'} {said}")
    if profile["undated"]:
        parts.append(f"{profile['undated']} note{'s' if profile['undated'] != 1 else ''} "
                     "with no date")
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


def _month_year(value: str | None) -> str:
    """"2026-02-28" as "February 2026": plain words for the community page."""
    if not value:
        return ""
    try:
        return datetime.strptime(str(value)[:10], "%Y-%m-%d").strftime("%B %Y")
    except ValueError:
        return str(value)


_ENV.filters["month_year"] = _month_year
_ENV.filters["few_said"] = learnt_from_few_said
_ENV.filters["profile_words"] = profile_words


_ENV.filters["long_date"] = long_day

#: A UK phone number (020 7946 0321, 07700 900123, 0800 123 4567, 116 123, 111, 999) or an
#: e-mail address in text a reader may tap on a phone. Not `insight.redact`'s: it finds
#: personal numbers, and leaves out helplines, the numbers a reader most needs to tap.
_TAPPABLE = re.compile(
    r"(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    r"|(?<![\w/.-])(?P<phone>(?:\+44\s?|0)\d{2,4}(?:[ -]?\d{3,4}){1,2}|116\s?123|111|999)"
    r"(?![\w/.-])")


def _tappable(text: str | None) -> Markup:
    """Text with its phone numbers and e-mail addresses as links a phone can call or write
    to (escaped, so the text is shown as written)."""
    out, position = [], 0
    text = text or ""
    for m in _TAPPABLE.finditer(text):
        out.append(Markup.escape(text[position:m.start()]))
        shown = Markup.escape(m.group(0))
        if m["email"]:
            out.append(Markup(f'<a href="mailto:{shown}">{shown}</a>'))
        else:
            digits = re.sub(r"[^\d+]", "", m.group(0))
            out.append(Markup(f'<a href="tel:{digits}">{shown}</a>'))
        position = m.end()
    out.append(Markup.escape(text[position:]))
    return Markup("").join(out)


_ENV.filters["tappable"] = _tappable


def _named(rows: list[tuple[str, Any]], limit: int = 6) -> str:
    """The groups a `heard_from` list names, in words ("carers, older people and young
    people"); never "not recorded"."""
    names = [name for name, _ in rows if name != NOT_RECORDED]
    if len(names) > limit:
        return f"{', '.join(names[:limit])} and others"
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


_ENV.filters["named"] = _named


def _check(text: str, audience: str) -> Markup:
    """A thread check as its reader can use it: a lead gets the command to run as code;
    anyone else, who has no workspace to run it in, the sentence without it."""
    if audience != "lead":
        return Markup.escape(re.sub(r"\s*\(`[^`]*`\)", "", text).replace("`", ""))
    parts = re.split(r"`([^`]*)`", text)
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if odd else Markup.escape(part)
        for odd, part in ((i % 2 == 1, p) for i, p in enumerate(parts))
    )


_ENV.filters["check"] = _check

#: What a redaction mark stands for, in the community page's words ("[PERSON]" reads as
#: a glitch to someone who has never seen a redacted document)
_REMOVED = {
    "PERSON": "name", "PHONE": "phone number", "EMAIL": "email address",
    "NHS_NUMBER": "NHS number", "NI_NUMBER": "National Insurance number",
    "POSTCODE": "postcode", "ADDRESS": "address", "DATE_OF_BIRTH": "date of birth",
    "SCHOOL": "school", "HANDLE": "social media name", "VEHICLE": "vehicle registration",
    "ID_NUMBER": "ID or account number",
    "PLACE": "place",
    "COMMUNITY": "community",
}


#: A title before a name taken out, said as the role it names on the public page ("Dr
#: Patel" is "a doctor", not "Dr [name removed]"); a title that names no role ("Mrs") goes
#: with the name.
_TITLE_ROLES = {
    "dr": "a doctor", "doctor": "a doctor", "prof": "a professor", "professor": "a professor",
    "cllr": "a councillor", "councillor": "a councillor", "nurse": "a nurse",
    "imam": "an imam", "pastor": "a pastor", "rev": "a minister", "revd": "a minister",
    "reverend": "a minister",
}
_TITLE_BEFORE_NAME = re.compile(
    r"\b(?P<title>[A-Za-z]+)\.?\s+\[PERSON\](?:\s+\[PERSON\])*")
_NAME_TITLES = {"mr", "mrs", "ms", "miss", "mx", "sir", "dame"}


def public_owner(owner: str) -> str:
    """Who is responsible for an action, as the community page says it: names taken out
    (`redact_text`), and a title left before a removed name said as its role."""

    def role(m: re.Match[str]) -> str:
        title = m["title"].lower()
        if title in _TITLE_ROLES:
            return _TITLE_ROLES[title]
        return "[PERSON]" if title in _NAME_TITLES else m[0]

    return _TITLE_BEFORE_NAME.sub(role, redact_text(owner, places=False))


def _removed(text: str | None) -> str:
    """"[PERSON]" as "[name removed]", and so on for every mark redaction writes."""
    return re.sub(r"\[([A-Z_]+)\]",
                  lambda m: f"[{_REMOVED[m[1]]} removed]" if m[1] in _REMOVED else m[0],
                  text or "")


_ENV.filters["removed"] = _removed
#: the first letter up, the rest as written ("a doctor decided", "ICB decided")
_ENV.filters["opening"] = lambda text: text[:1].upper() + text[1:]
_ENV.globals["DEFAULT_TITLE"] = DEFAULT_TITLE
#: a count the audience may not see even as "<5" (`HIDDEN`, `WITHHELD`): a sentence says so
#: in words rather than dropping the marker in where a number would go
_ENV.tests["withheld"] = lambda value: value in (HIDDEN, WITHHELD)


def render_html(data: ReportData) -> str:
    """The community gets "you said, we did" in plain words; others the full thread."""
    name = "community.html.j2" if data.audience == "community" else "report.html.j2"
    return _ENV.get_template(name).render(r=data)


#: What `write_report` writes, by the file's suffix.
REPORT_FORMATS = (".html", ".xlsx", ".csv")
#: The tables of a report in a spreadsheet (`report_tables`), in order.
REPORT_TABLES = ("About", "Categories", "Priorities", "Insights", "Actions", "Outcomes",
                 "Changes")


def report_files(out: str | Path, audience: str) -> list[Path]:
    """The files `write_report` writes for `out`, or a ValueError saying why it cannot:
    an unknown suffix, tables for the community (its report is a page in plain words), or
    a folder where a file would go."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in REPORT_FORMATS:
        raise ValueError(f"a report is written as {', '.join(REPORT_FORMATS)}; "
                         f"got {path.name!r}")
    if suffix != ".html" and audience == "community":
        raise ValueError("the community's report is a page in plain words: write it as "
                         ".html (tables are for leads and commissioners)")
    targets = [path] if suffix != ".csv" else [
        path.with_name(f"{path.stem}-{name.lower().replace(' ', '-')}.csv")
        for name in REPORT_TABLES]
    for target in targets:
        if target.is_dir():
            raise ValueError(f"{target} is a folder; give a file name")
    return targets


def write_report(data: ReportData, out: str | Path) -> list[Path]:
    """Write the report: one self-contained HTML file; an Excel workbook with a sheet per
    table (`report_tables`); or, for `.csv`, one CSV file per table beside each other
    (`report-categories.csv`, ...). Every format is made from the same `ReportData`, so
    each holds only what the audience's HTML report may show."""
    targets = report_files(out, data.audience)
    path = Path(out)
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    private = data.audience == "lead"  # notes' words, for leads only
    if suffix == ".html":
        html = render_html(data)
        with written_whole(path, private=private) as partial:
            partial.write_text(html, encoding="utf-8")
        return [path]
    tables = report_tables(data)
    if suffix == ".xlsx":
        try:
            with written_whole(path, private=private) as partial:
                write_workbook(tables, partial)
        except WorkbookError as exc:  # a text cut short in a cell misleads: none written
            raise WorkbookError(f"{exc}: write the report as .csv or .html, which hold "
                                "every text whole") from None
        return [path]
    written = []
    for file, rows in zip(targets, tables.values(), strict=True):
        with written_whole(file, private=private) as partial, \
                partial.open("w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel
            writer = csv.writer(handle)
            for row in rows:
                writer.writerow([csv_cell(v) for v in row])
        written.append(file)
    return written


def safeguarding_response(
    flagged: list[dict[str, Any]], now: datetime, audience: str, threshold: int
) -> dict[str, Any]:
    """How fast a person acted on the queue: the median days from flag to acknowledgement
    (None with nothing acknowledged; `WITHHELD` outside the leads' view when fewer than
    `threshold` were)
    and how long the oldest open item has waited (None with none open)."""
    taken = sorted((f["acknowledged_at"] - f["flagged_at"]).total_seconds() / 86_400
                   for f in flagged if f["acknowledged_at"] is not None)
    waited = [(now - f["flagged_at"]).days for f in flagged if f["acknowledged_at"] is None]
    enough = bool(taken) and (audience == "lead" or len(taken) >= threshold)
    middle = len(taken) // 2
    median = (taken[middle] if len(taken) % 2 else (taken[middle - 1] + taken[middle]) / 2) \
        if enough else None
    # hidden for privacy (too few acknowledged) is not the same as none acknowledged
    return {"safeguarding_median_days": round(median, 1) if median is not None
            else WITHHELD if taken else None,
            "safeguarding_oldest_open_days": max(waited) if waited else None}


#: The About sheet's words for the summary's fields, as the HTML report says them
ABOUT_FIELDS = {
    "from": "first conversation",
    "to": "last conversation",
    "tagged_by_person": "notes with categories a person gave",
    "tagged_by_model": "notes tagged by the model (with or without a category)",
    "untagged": "notes not tagged yet",
    "no_category": "notes in no category (neither a person nor the model gave them one, or "
                   "they are not tagged yet): no category count includes them",
    "may_quote": "notes that may be quoted (the person agreed to be quoted, and the note "
                 "raised no safeguarding concern): every quote is from these",
    "safeguarding_flagged": "notes that raised a safeguarding concern",
    "safeguarding_open": "of those, concerns not yet acknowledged",
    "safeguarding_median_days": "days from flag to a person acknowledging it (median, of "
                                "the items acknowledged; open items are not in it)",
    "safeguarding_oldest_open_days": "days the oldest open concern has waited since it was "
                                     "flagged (the conversation may be much earlier)",
    "safeguarding_cleared": "flags of the model or phrase list a person judged no concern",
}


#: The About sheet's words for `ReportData.retired`, as the HTML report says them
RETIRED_FIELDS = {
    "uncounted": "notes tagged only with categories this codebook no longer has, so in no "
                 "category count (they are still among the notes)",
    "categories": "categories this codebook no longer has, with the notes tagged with each "
                  "(counted under none of them)",
}


def report_tables(data: ReportData) -> dict[str, list[list[Any]]]:
    """The report as tables (a header row, then rows) for spreadsheets: the summary,
    categories, priorities, insights, actions, outcomes and what changed (in the period,
    or since the last report), with the golden thread's
    references linking them. Counts are as the audience's report shows them ("<5", "not
    shown"); quotes are left out (a spreadsheet is copied and sorted away from the notes on
    consent and redaction that the report gives beside them)."""
    lead = data.audience == "lead"
    about: list[list[Any]] = [
        ["field", "value"], ["title", data.title], ["audience", data.audience],
        *([["area", data.area]] if data.area else []),
        ["generated", data.generated], ["insight version", data.version],
        # what the counts cover, and what "Changes" covers
        *([["notes heard from", data.period.get("since") or "the first note"],
           ["notes heard until", data.period.get("until") or "the last note"],
           ["counts", "of notes heard in the period, those of each insight, priority and "
                      "action too (one from before it may have none); the thread as it "
                      f"stood on {data.period['as_of']}"]]
          if data.period else []),
        *([["changes from", data.changes_from or "the start"],
           ["changes to", data.changes_to]] if data.changes_basis else []),
        # "hidden" and "not shown" stand where a number would: say what they mean, as the
        # report's header does
        ["small numbers", f"counts below {data.threshold} are shown as <{data.threshold}; "
                          f"'{HIDDEN}' or '{WITHHELD}': a count not shown, for privacy, because "
                          "it would give one of them away (by subtraction from a total or from "
                          "another count)" if not lead else "not suppressed (leads' view)"],
        # outside the leads' view the first and last conversations are given by month,
        # as the report gives them
        *([ABOUT_FIELDS.get(key, key),
           value if lead or key not in ("from", "to") else _month_year(value)]
          for key, value in data.summary.items()),
        # as the HTML says it under its categories
        *([[RETIRED_FIELDS["uncounted"], data.retired["uncounted"]]]
          if data.retired.get("uncounted") else []),
        *([[RETIRED_FIELDS["categories"], ", ".join(f"{c} ({n})" for c, n in
                                                    data.retired["categories"])]]
          if data.retired.get("categories") else []),
    ]
    categories: list[list[Any]] = [[
        *(["category"] if lead else []), "name", "notes", "share", "places", "listeners",
        "communities", "negative", "mixed", "positive", "neutral", "experience not known",
        f"last {data.trend_months} months", "often said", "check",
    ]]
    for row in data.rollup:
        categories.append([
            *([row["category"]] if lead else []), row["name"], row["notes"], row["share"],
            row["places"], row["listeners"], row["communities"], row["negative"], row["mixed"],
            row["positive"], row["neutral"], row["not known"],
            row["trend"] or "", "; ".join(p if n is None else f"{p} ({n})"
                                          for p, n in row.get("phrases", [])),
            # as the HTML's footnote says it
            "" if row.get("learnt_from_few") is None
            else learnt_from_few_said(row["learnt_from_few"]),
        ])
    priorities = [["priority", "title", "description", "agreed on", "withdrawn on",
                   "withdrawn because", "notes", "insights", "actions"]]
    # leads see everything: beside a period's count, every note linked by its end
    linked = lead and bool(data.period)
    insights = [["insight", "title", "summary", "categories", "notes", "priorities",
                 "first heard", "last heard", "places", "listeners", "settings",
                 *(["notes linked in all, to the period's end"] if linked else [])]]
    actions = [["action", "title", "owner", "status", "status since", "reason", "stage",
                "due on", "framework", "notes", "priorities", "outcomes",
                "lived experience: mode",
                "lived experience: continuity", "lived experience: how"]]
    outcomes = [["outcome", "action", "description", "observed on", "evidence",
                 "fed back to the community", "fed back on"]]
    action_priorities: dict[str, list[str]] = {}
    action_rows: dict[str, dict[str, Any]] = {}
    # one row per insight, however many priorities it supports: a column summed must not
    # count its notes twice
    insight_priorities: dict[str, list[str]] = {}
    insight_rows: dict[str, dict[str, Any]] = {}
    for priority in data.priorities:
        withdrawn = priority["withdrawn"] or {}
        priorities.append([
            priority["ref"], priority["title"], priority["description"],
            priority["agreed_on"], withdrawn.get("on"), withdrawn.get("reason"),
            priority["evidence"],
            ", ".join(i["ref"] for i in priority["insights"]),
            ", ".join(a["ref"] for a in priority["actions"]),
        ])
        for insight in priority["insights"]:
            insight_priorities.setdefault(insight["ref"], []).append(priority["ref"])
            insight_rows.setdefault(insight["ref"], insight)
        for action in priority["actions"]:
            action_priorities.setdefault(action["ref"], []).append(priority["ref"])
            action_rows[action["ref"]] = action
    for ref_, insight in insight_rows.items():
        # where its count is not shown, neither is where its notes came from
        profile = insight["profile"] or {}
        insights.append([ref_, insight["title"], insight["summary"],
                         ", ".join(insight["categories"]), insight["evidence"],
                         ", ".join(insight_priorities[ref_]),
                         *(profile.get(k) if lead else _month_year(profile.get(k)) or None
                           for k in ("first", "last")),
                         *(f"<{profile['threshold']}" if profile.get("threshold")
                           and profile.get(k) and profile[k] < profile["threshold"]
                           else profile.get(k) for k in ("places", "listeners", "settings")),
                         *([insight["linked"]] if linked else [])])
    for action in data.unlinked_actions:
        action_rows.setdefault(action["ref"], action)
    for ref_, action in action_rows.items():
        actions.append([
            ref_, action["title"], action["owner"], action["status"], action["status_since"],
            action["reason"], action["stage"], action["due_on"], action["framework"],
            action["evidence"],
            ", ".join(action_priorities.get(ref_, [])),
            ", ".join(o["ref"] for o in action["outcomes"]),
            *((action["involvement"] or {}).get(k) for k in ("mode", "continuity", "how")),
        ])
        for outcome in action["outcomes"]:
            outcomes.append([outcome["ref"], ref_, outcome["description"],
                             outcome["observed_on"], outcome["evidence"],
                             "yes" if outcome["fed_back"] else "no", outcome["fed_back_on"]])
    changes = [["day", "record", "kind", "title", "change", "reason", "of action",
                "recorded on"]] + [
        [c["on"], c["ref"], c["kind"], c["title"], c["change"], c.get("reason"),
         c.get("action"), c.get("recorded_on")] for c in data.changes]
    tables = {"About": about, "Categories": categories, "Priorities": priorities,
              "Insights": insights, "Actions": actions, "Outcomes": outcomes,
              "Changes": changes}
    assert tuple(tables) == REPORT_TABLES
    return tables


