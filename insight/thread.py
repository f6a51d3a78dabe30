"""The golden thread: insights, priorities, actions and outcomes, and the links between them.

    note <── insight <── priority <── action <── outcome

Every link is stored explicitly and can be followed both ways: from an action down to the
notes that support it, and from a note up to every action it influenced.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from insight.choices import closest, not_one_of
from insight.clock import uk_day, uk_today
from insight.privacy import ERASED, NO_CONSENT, NO_WORDS, RAISED_CONCERN, why_not_quoted
from insight.store import (
    DISMISSIBLE,
    EXCLUDE,
    INVOLVEMENT_CONTINUITY,
    INVOLVEMENT_MODES,
    PIN,
    NotFound,
    Store,
    StoreError,
    Undeleted,
    action_priorities,
    insight_notes,
    priority_insights,
    ref,
)

ACTION_STATUSES = ("proposed", "agreed", "in progress", "done", "declined")
#: A change recorded more than this long after the day it gives is marked "recorded on"
#: in reports: a week covers typing up a meeting's notes.
RECORDED_LATE = timedelta(days=7)
#: Words people use for a status, offered as a did-you-mean (never taken as the status:
#: "closed" could be done or declined)
STATUS_HINTS = {
    "complete": "done", "completed": "done", "finished": "done", "closed": "done",
    "started": "in progress", "ongoing": "in progress", "underway": "in progress",
    "doing": "in progress", "in hand": "in progress", "approved": "agreed",
    "accepted": "agreed", "rejected": "declined", "refused": "declined",
    "not going ahead": "declined", "suggested": "proposed", "new": "proposed",
}
STAGES = (
    "strategic planning",
    "specifying outcomes",
    "pathway design",
    "contracting",
    "monitoring",
)

#: Other names for the stages, as commissioners and guidance write them
STAGE_SYNONYMS = {
    "planning": "strategic planning", "needs assessment": "strategic planning",
    "needs analysis": "strategic planning", "analysis": "strategic planning",
    "analyse": "strategic planning", "strategy": "strategic planning",
    "outcomes": "specifying outcomes", "specification": "specifying outcomes",
    "service specification": "specifying outcomes", "specify outcomes": "specifying outcomes",
    "design": "pathway design", "service design": "pathway design",
    "designing services": "pathway design", "co-design": "pathway design",
    "codesign": "pathway design", "procurement": "contracting", "procuring": "contracting",
    "contract": "contracting", "review": "monitoring", "evaluation": "monitoring",
    "monitoring and evaluation": "monitoring", "contract monitoring": "monitoring",
}


class ThreadError(ValueError):
    """A thread rule was broken (declined without a reason, a blank title, ...)."""


class UnknownValue(ThreadError):
    """A status, stage or category that does not exist (a usage error: the CLI exits 2)."""


def _title(value: str) -> str:
    """A title as stored: trimmed, and never blank (a report would show "P3 · ")."""
    title = " ".join(str(value or "").split())
    if not title:
        raise ThreadError("a title cannot be blank: say in plain words what it is")
    return title


def action_status(value: str) -> str:
    """An action status as typed ("In-progress", "DONE") as stored; an unknown one is a
    usage error with a did-you-mean ("completed": done)."""
    status = " ".join(value.strip().lower().replace("-", " ").replace("_", " ").split())
    if status not in ACTION_STATUSES:
        raise UnknownValue(not_one_of("action status", value, ACTION_STATUSES, STATUS_HINTS))
    return status


def _stage(value: str | None) -> str | None:
    if value is None:
        return None
    stage = " ".join(value.strip().lower().replace("_", " ").split())
    stage = STAGE_SYNONYMS.get(stage, STAGE_SYNONYMS.get(stage.replace("-", " "), stage))
    stage = stage if stage in STAGES else stage.replace("-", " ")
    if stage not in STAGES:
        raise UnknownValue(not_one_of("commissioning stage", value, STAGES, STAGE_SYNONYMS))
    return stage


# -- creating and linking -------------------------------------------------------------


def check_categories(categories: Sequence[str],
                     known: Sequence[str] | Mapping[str, str] | None) -> None:
    """Category ids must come from the workspace's codebook. `known`: its ids, or its ids
    to their names, whose words also find the id meant ("housing" is daily-living, whose
    name says housing; "continuity" is continuity-relationships)."""
    if known is None:
        return
    unknown = [c for c in categories if c not in known]
    if not unknown:
        return
    names = known if isinstance(known, Mapping) else {}
    found: dict[str, set[str]] = {}
    for category in known:
        for word in re.findall(r"[a-z]{4,}", f"{category} {names.get(category, '')}".lower()):
            found.setdefault(word, set()).add(category)
    words = {word: next(iter(ids)) for word, ids in found.items() if len(ids) == 1}
    hints = [f"{c} (did you mean {hint}?)" if (hint := closest(c, list(known), words)) else c
             for c in unknown]
    raise UnknownValue(f"unknown category id(s): {', '.join(hints)} (not in the codebook)")


def add_insight(
    store: Store,
    title: str,
    *,
    summary: str | None = None,
    categories: Sequence[str] = (),
    note_ids: Sequence[str] = (),
    known_categories: Sequence[str] | Mapping[str, str] | None = None,
) -> int:
    check_categories(categories, known_categories)
    _check_notes(store, note_ids)  # before anything is created: a failed add leaves nothing
    insight_id = store.create_record(
        "insight", title=_title(title), summary=summary, categories=list(categories)
    )
    link_notes(store, insight_id, note_ids)
    return insight_id


def title_key(title: str) -> str:
    """A title as people would read it: case, spacing and a final full stop ignored."""
    return " ".join(title.casefold().split()).rstrip(".")


def same_title(store: Store, kind: str, title: str) -> list[int]:
    """Records of this kind with the same title: two priorities that say one thing split
    the evidence and the actions between them."""
    key = title_key(title)
    return [r["id"] for r in store.list_records(kind) if title_key(r["title"] or "") == key]


def _check_notes(store: Store, note_ids: Sequence[str]) -> None:
    """Notes an insight may rest on: stored and not erased."""
    missing = sorted(set(note_ids) - set(store.existing_notes(note_ids)))
    if len(missing) == 1:
        raise store.no_note(missing[0])
    if missing:
        raise NotFound(f"no such note(s): {', '.join(missing[:5])}")
    erased = sorted(n for n in set(note_ids) if (store.get_note(n) or {}).get("erased_at"))
    if erased:
        raise StoreError(f"erased note(s) cannot be evidence: {', '.join(erased[:5])}")


def link_notes(store: Store, insight_id: int, note_ids: Sequence[str]) -> int:
    store.get_record("insight", insight_id)
    _check_notes(store, note_ids)
    return sum(
        store.link(insight_notes, ("insight_id", insight_id), ("note_id", n)) for n in note_ids
    )


def add_priority(
    store: Store,
    title: str,
    *,
    description: str | None = None,
    agreed_on: date | None = None,
    insight_ids: Sequence[int] = (),
) -> int:
    title = _title(title)
    _happened(agreed_on, "agreed")
    for insight_id in insight_ids:
        store.get_record("insight", insight_id)
    priority_id = store.create_record(
        "priority", title=title, description=description, agreed_on=agreed_on
    )
    link_insights(store, priority_id, insight_ids)
    return priority_id


def _pursued(store: Store, priority_ids: Sequence[int]) -> None:
    """New work is never linked to a priority the leads no longer pursue: the community
    page would say on one page that it stopped and that it is being worked on."""
    withdrawn = store.withdrawals()
    for priority_id in priority_ids:
        if priority_id in withdrawn:
            name = ref("priority", priority_id)
            raise ThreadError(
                f"{name} was withdrawn on {long_day(withdrawn[priority_id]['withdrawn_on'])}: "
                f"reinstate it first (`insight priorities reinstate {name}`) to link new work "
                "to it, or link the work to a priority still pursued")


def link_insights(store: Store, priority_id: int, insight_ids: Sequence[int]) -> int:
    store.get_record("priority", priority_id)
    _pursued(store, [priority_id])
    for insight_id in insight_ids:
        store.get_record("insight", insight_id)
    return sum(
        store.link(priority_insights, ("priority_id", priority_id), ("insight_id", i))
        for i in insight_ids
    )


def add_action(
    store: Store,
    title: str,
    *,
    owner: str | None = None,
    status: str = "proposed",
    reason: str | None = None,
    description: str | None = None,
    due_on: date | None = None,
    stage: str | None = None,
    framework: str | None = None,
    priority_ids: Sequence[int] = (),
    status_on: date | None = None,
) -> int:
    """A new action; `status_on`: the day its status was reached (today if not given)."""
    status = action_status(status)
    title = _title(title)
    if status == "declined" and not (reason or "").strip():
        raise ThreadError("a declined action needs a reason (--reason)")
    for priority_id in priority_ids:
        store.get_record("priority", priority_id)
    _pursued(store, priority_ids)
    action_id = store.create_record(
        "action",
        audited={"status_on": _status_on(status_on).isoformat()},
        title=title,
        owner=owner,
        status=status,
        reason=reason,
        description=description,
        due_on=due_on,
        stage=_stage(stage),
        framework=framework,
    )
    link_priorities(store, action_id, priority_ids)
    return action_id


def link_priorities(store: Store, action_id: int, priority_ids: Sequence[int]) -> int:
    store.get_record("action", action_id)
    for priority_id in priority_ids:
        store.get_record("priority", priority_id)
    _pursued(store, priority_ids)
    return sum(
        store.link(action_priorities, ("action_id", action_id), ("priority_id", p))
        for p in priority_ids
    )


#: What each kind of record links down to: (link table, own column, other column, kind).
_DOWN = {
    "insight": (insight_notes, "insight_id", "note_id", "note"),
    "priority": (priority_insights, "priority_id", "insight_id", "insight"),
    "action": (action_priorities, "action_id", "priority_id", "priority"),
}


def unlink(store: Store, kind: str, record_id: int, targets: Sequence[str | int]) -> int:
    """Take notes off an insight, insights off a priority or priorities off an action (a
    link made by mistake); each removal audited. Returns how many links there were."""
    table, own, other, other_kind = _DOWN[kind]
    store.get_record(kind, record_id)
    removed = 0
    for target in targets:
        if other_kind == "note":
            if store.get_note(str(target)) is None:
                raise store.no_note(str(target))
        else:
            store.get_record(other_kind, int(target))
        if not store.unlink(table, (own, record_id), (other, target)):
            shown = target if other_kind == "note" else ref(other_kind, int(target))
            raise ThreadError(f"{ref(kind, record_id)} is not linked to {other_kind} {shown}")
        removed += 1
    return removed


def delete_record(store: Store, kind: str, record_id: int) -> None:
    """Delete a thread record made by mistake, with its links (an action also takes its
    outcomes); the audit log keeps what it was."""
    store.delete_record(kind, record_id)


#: How a command names each kind of record.
PLURAL = {"insight": "insights", "priority": "priorities", "action": "actions",
           "outcome": "outcomes"}


def merge_records(store: Store, kind: str, source: int, target: int) -> dict[str, int]:
    """Fold a record into another that says the same (the thread check "have the same
    title: merge them"): `target` gains what `source` rests on and leads to (an insight's
    notes, quote choices and priorities; a priority's insights and actions; an action's
    priorities, outcomes and involvement), then `source` is deleted, so no evidence,
    action or outcome is lost and none is counted twice. Audited as one "merge" and each
    link and deletion as usual. Returns how many of each were moved."""
    if kind not in ("insight", "priority", "action"):
        raise ThreadError(f"a {kind} cannot be merged")
    if source == target:
        raise ThreadError(f"{ref(kind, source)} cannot be merged into itself")
    store.get_record(kind, source)
    store.get_record(kind, target)
    thread = load_thread(store)
    moved: dict[str, int] = {}
    if kind == "insight":
        moved["notes"] = link_notes(store, target, thread.notes_of_insight(source))
        chosen = thread.quote_choices.get(target, {})
        for note_id, choice in thread.quote_choices.get(source, {}).items():
            if note_id not in chosen:  # the target's own choice for a note stands
                set_quote_choice(store, target, note_id, QUOTE_CHOICE_WORDS[choice])
        moved["priorities"] = sum(
            link_insights(store, p, [target]) for p, ins in thread.priority_insights.items()
            if source in ins)
    elif kind == "priority":
        if source in thread.withdrawn:  # the withdrawal would go with it, unsaid
            raise ThreadError(
                f"{ref(kind, source)} was withdrawn on "
                f"{long_day(thread.withdrawn[source]['withdrawn_on'])}: merging it would take "
                "the withdrawal, and why, out of every report; reinstate it first "
                f"(`insight priorities reinstate {ref(kind, source)}`) if it is the same "
                f"priority as {ref(kind, target)}")
        if target in thread.withdrawn:
            _pursued(store, [target])  # says why, and what to do
        moved["insights"] = link_insights(store, target, thread.insights_of_priority(source))
        moved["actions"] = sum(
            link_priorities(store, a, [target]) for a, ps in thread.action_priorities.items()
            if source in ps)
    else:
        moved["priorities"] = link_priorities(store, target,
                                              thread.priorities_of_action(source))
        outcomes = thread.outcomes_of_action(source)
        for outcome in outcomes:  # what came of the work stays with it
            store.update_record("outcome", outcome["id"], action_id=target)
        moved["outcomes"] = len(outcomes)
        involved = thread.involvement.get(source)
        if involved and target not in thread.involvement:
            store.set_involvement(target, involved["mode"], involved["continuity"],
                                  involved["how"])
    store.record_event("merge", kind, str(source),
                       {"from": ref(kind, source), "into": ref(kind, target), **moved})
    store.delete_record(kind, source)
    return moved


def undelete_record(store: Store, kind: str, record_id: int) -> Undeleted:
    """Bring back a thread record deleted by mistake, with the links and outcomes its
    deletion took, from the audit log (`Store.undelete_record`)."""
    return store.undelete_record(kind, record_id)


#: Quotes a report gives an insight (the community page gives one): a lead's pins beyond
#: these are not quoted.
QUOTES_PER_INSIGHT = 2
#: A lead's choices about quoting a note for an insight, as people say them -> as stored.
QUOTE_CHOICES = {"pin": PIN, "leave out": EXCLUDE}
#: Stored choice -> plain words.
QUOTE_CHOICE_WORDS = {stored: said for said, stored in QUOTE_CHOICES.items()}


def set_quote_choice(
    store: Store, insight_id: int, note_id: str, choice: str | None
) -> str | None:
    """Pin a note's quote for an insight ("pin": quoted first, in the order pinned), keep
    it out ("leave out": never quoted for that insight, for any audience) or clear the
    choice (None). Only a note linked to the insight; audited. A pin never overrides
    consent, a safeguarding concern or suppression (`quote_blockers` says what stops
    one). Returns the choice there was before, in plain words, or None."""
    stored = None
    if choice is not None:
        said = " ".join(choice.strip().lower().replace("-", " ").replace("_", " ").split())
        stored = QUOTE_CHOICES.get(said, said if said in QUOTE_CHOICE_WORDS else None)
        if stored is None:
            raise UnknownValue(not_one_of("quote choice", choice, QUOTE_CHOICES))
    before = store.set_quote_choice(insight_id, note_id, stored)
    return QUOTE_CHOICE_WORDS[before["choice"]] if before else None


def quote_blockers(store: Store, note_id: str) -> list[str]:
    """Why a note's words cannot be quoted in any report (`privacy.why_not_quoted`, with
    the note's safeguarding queue items); empty if it may be quoted."""
    note = store.get_note(note_id)
    if note is None:
        return ["the note was erased"]
    concerns, cleared = store.safeguarding_state()
    return why_not_quoted(note, concerns & {note_id}, cleared & {note_id})


def pin_blockers(store: Store, note_id: str) -> list[str]:
    """Why a note a lead pinned will not be quoted (`quote_blockers`), each with what the
    lead can do next: a pin is a person's choice, so they are told how to make it count or
    to choose again (an open safeguarding item: acknowledge it first). Empty if it may be
    quoted."""
    reasons = quote_blockers(store, note_id)
    steps = []
    for why in reasons:
        if why == NO_CONSENT:
            steps.append(f"{why}: pin another note, unless they tell you they now agree "
                         f"(`insight notes consent {note_id} --quote`)")
        elif why == RAISED_CONCERN:
            steps.append(_concern_step(store, note_id))
        elif why in (ERASED, NO_WORDS):
            steps.append(f"{why}: pin another note")
        else:  # a reason added to `why_not_quoted` later: said as it is
            steps.append(why)
    return steps


def _concern_step(store: Store, note_id: str) -> str:
    """What a lead can do about a pin held out of reports by a safeguarding concern: an
    item still open is acknowledged first; only a flag of the model or the phrase list
    judged a false alarm lets the note be quoted, a real concern never does."""
    items = [i for i in store.safeguarding_items(open_only=False, note_id=note_id)
             if not i["not_a_concern"]]
    still_open = [i for i in items if i["acknowledged_at"] is None]
    if not still_open:
        return f"{RAISED_CONCERN}: pin another note"
    note = store.get_note(note_id) or {}
    # cleared only if every concern on it is an open flag of the model or the phrase list
    may_clear = not note.get("safeguarding") and len(still_open) == len(items) and all(
        str(i["flagged_by"]).startswith(DISMISSIBLE) for i in items)
    numbers = ", ".join(str(i["id"]) for i in still_open)
    command = f"insight safeguarding ack {still_open[0]['id'] if len(still_open) == 1 else 'ITEM'}"
    opened = (f"safeguarding item {numbers} on it is still open: acknowledge it first"
              if len(still_open) == 1 else
              f"safeguarding items {numbers} on it are still open: acknowledge them first")
    return f"{opened} (`{command}`); " + (
        "if it is judged a false alarm of the model or the phrase list (`--not-a-concern`), "
        "the note may be quoted; a note that raised a real concern never is" if may_clear else
        "a note that raised a concern is never quoted, so pin another note")


#: Fields a person may correct after the fact, per kind (status has its own rules).
EDITABLE = {
    "insight": ("title", "summary", "categories"),
    "priority": ("title", "description", "agreed_on"),
    "action": ("title", "description", "owner", "due_on", "stage", "framework"),
    "outcome": ("description", "observed_on", "evidence", "fed_back_on"),
}


def update_record(store: Store, kind: str, record_id: int, *,
                  known_categories: Sequence[str] | Mapping[str, str] | None = None,
                  **values: Any) -> dict[str, Any]:
    """Correct fields of a thread record (only those given, and only `EDITABLE` ones); an
    outcome given a fed-back date is fed back. An insight's `categories` replace its own,
    checked against `known_categories` as `add_insight` checks them (a category renamed or
    split in the codebook is corrected so)."""
    unknown = set(values) - set(EDITABLE[kind])
    if unknown:
        raise ThreadError(f"a {kind} has no field(s) {', '.join(sorted(unknown))} to change")
    if not values:
        raise ThreadError(f"nothing to change: give one of {', '.join(EDITABLE[kind])}")
    if "categories" in values:
        values["categories"] = list(dict.fromkeys(values["categories"]))
        check_categories(values["categories"], known_categories)
    if "stage" in values:
        values["stage"] = _stage(values["stage"])
    if "title" in values:
        values["title"] = _title(values["title"])
    for name, what in (("agreed_on", "agreed"), ("observed_on", "observed"),
                       ("fed_back_on", "fed back")):
        _happened(values.get(name), what)
    if kind == "outcome":
        current = store.get_record("outcome", record_id)
        _check_dates(values.get("observed_on", current["observed_on"]),
                     values.get("fed_back_on", current["fed_back_on"]))
        if values.get("fed_back_on") is not None:
            values["fed_back"] = True
        elif current["fed_back"] and any(
                name in values and values[name] != current[name]
                for name in ("description", "observed_on")):
            # people heard the outcome as it was: the correction is not fed back yet
            values.update(fed_back=False, fed_back_on=None)
    return store.update_record(kind, record_id, **values)


def unmark_fed_back(store: Store, outcome_id: int) -> dict[str, Any]:
    """An outcome marked fed back by mistake: not fed back (audited)."""
    return store.update_record("outcome", outcome_id, fed_back=False, fed_back_on=None)


def evidence_retagged(store: Store, thread: Thread) -> list[str]:
    """Notes an insight rests on that a person has since tagged with none of its
    categories (a review after retraining): they may no longer be evidence for it. Checked
    for insights that name categories; a note no person labelled is the model's reading
    and is left to the lead who linked it."""
    found = []
    for insight_id, insight in sorted(thread.insights.items()):
        wanted = set(insight.get("categories") or ())
        note_ids = thread.notes_of_insight(insight_id)
        if not wanted or not note_ids:
            continue
        states = store.note_states(note_ids)
        person: dict[str, set[str]] = {n: set() for n in note_ids}
        for tag in store.tags_for(note_ids):
            if tag["source"] == "person":
                person[tag["note_id"]].add(tag["category"])
        off = [n for n in note_ids if (states.get(n) or {}).get("labelled")
               and not person[n] & wanted]
        if off:
            found.append(
                f"insight {ref('insight', insight_id)} rests on {', '.join(off[:5])}"
                + (f" and {len(off) - 5} more" if len(off) > 5 else "")
                + f", which a person tagged with none of its categories "
                f"({', '.join(sorted(wanted))}): unlink them (`insight insights unlink "
                f"{ref('insight', insight_id)} NOTE`) or keep them as evidence knowingly")
    return found


def insight_categories_not_in(thread: Thread, known: Collection[str]) -> list[str]:
    """Insights naming a category the codebook no longer has (retired, split or renamed
    since): a lead corrects them, as a report cannot say what such a category covers."""
    found = []
    for insight_id, insight in sorted(thread.insights.items()):
        gone = [c for c in insight.get("categories") or () if c not in known]
        if gone:
            found.append(
                f"insight {ref('insight', insight_id)} is about "
                f"{', '.join(gone)}, no longer in the codebook: give it the codebook's "
                f"categories (`insight insights update {ref('insight', insight_id)} "
                "--category ID`, repeated for each)")
    return found


def withdraw_priority(store: Store, priority_id: int, reason: str,
                      on: date | None = None) -> dict[str, Any] | None:
    """Mark a priority as no longer pursued (`on`: since when; today if not given), with
    why: the reports keep it, say so and give the reason, as people were told it mattered.
    Returns what was recorded before (a correction), or None."""
    if not (reason or "").strip():
        raise ThreadError("say why the priority is no longer pursued (--reason): the "
                          "reports tell the people who raised it")
    day = _status_on(on)
    agreed = store.get_record("priority", priority_id)["agreed_on"]
    if agreed is not None and day < agreed:
        raise ThreadError(f"{ref('priority', priority_id)} was agreed on {agreed}: it cannot "
                          f"be withdrawn on {day}, before that")
    return store.withdraw_priority(priority_id, reason.strip(), day)


def reinstate_priority(store: Store, priority_id: int, on: date | None = None
                       ) -> dict[str, Any] | None:
    """Pursue a withdrawn priority again from `on` (today if not given; not before it was
    withdrawn, never to come): the reports say it was withdrawn and taken up again.
    Returns the withdrawal undone, or None if it was not withdrawn."""
    withdrawn = store.withdrawals().get(priority_id)
    if withdrawn is None:
        store.get_record("priority", priority_id)
        return None
    day = _status_on(on, withdrawn["withdrawn_on"], "withdrawn")
    return store.reinstate_priority(priority_id, day)


def long_day(value: date | str | None) -> str:
    """A day as people write one in England, "27 November 2026" (from a date, or text that
    starts YYYY-MM-DD; other text as it is)."""
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value or "")
    return f"{value.day} {value:%B %Y}"


def _status_on(on: date | None, since: date | None = None, was: str | None = None) -> date:
    """The day an action reached a status (or a priority was withdrawn): today unless a
    person says, never to come, and not before the status it follows was reached."""
    today = uk_today()
    on = on or today
    if on > today:
        raise ThreadError(f"{long_day(on)} is still to come: give the day the status was "
                          "reached")
    if since is not None and on < since:
        raise ThreadError(f"it became {was} on {long_day(since)}: a later status cannot be "
                          f"dated {long_day(on)}, before it (check the date; `insight trace` "
                          "gives the record's days)")
    return on


def set_action_status(
    store: Store, action_id: int, status: str, *, reason: str | None = None,
    on: date | None = None,
) -> dict[str, Any]:
    """A new status for an action, dated `on` (the day it was reached; today if not given):
    the reports say since when. The same status again with `on` corrects its day."""
    status = action_status(status)
    if status == "declined" and not (reason or "").strip():
        raise ThreadError("a declined action needs a reason (--reason)")
    current = store.get_record("action", action_id)["status"]
    history = store.status_history().get(action_id, [])
    if status == current:  # the same status: its day corrected, if one is given
        history = history[:-1]
    follows = history[-1] if history else None  # the status this one comes after
    values: dict[str, Any] = {"status": status}
    if reason is not None:
        values["reason"] = reason
    audited = None
    if status != current or on is not None:
        try:
            day = _status_on(on, follows["on"] if follows else None,
                             follows["status"] if follows else None)
        except ThreadError as error:
            if follows is None or on is None or on > uk_today():
                raise
            name = ref("action", action_id)
            if status == current:  # its day corrected to before the status it follows
                raise ThreadError(
                    f"{error}. To date both: take {status} back (`insight actions status "
                    f"{name} --undo`), give {follows['status']} its day (`insight actions "
                    f"status {name} {follows['status']} --on DAY`), then {status} again with "
                    "--on") from None
            if len(history) != 1:
                raise
            # the status it was added with, dated the day it was added: a history typed in
            # afterwards starts with that day put right
            raise ThreadError(
                f"{error}. If it was {follows['status']} before that, give that day first: "
                f"`insight actions status {name} {follows['status']} --on DAY` (on or before "
                f"{long_day(on)}); `insight actions add` takes --status-on for this") from None
        audited = {"status_on": day.isoformat()}
    return store.update_record("action", action_id, audited=audited, **values)


def undo_action_status(store: Store, action_id: int) -> dict[str, Any]:
    """Take back an action's last status, recorded by mistake: the action goes back to the
    status before, with its day, and the history the reports and `trace` read leaves the
    mistake out (the audit log keeps both, marked)."""
    current = store.get_record("action", action_id)["status"]
    history = store.status_history().get(action_id, [])
    if len(history) < 2 or history[-1]["status"] != current:
        raise ThreadError(
            f"{ref('action', action_id)} has no status before {current} to go back to: give "
            "the status it should have (`insight actions status "
            f"{ref('action', action_id)} STATUS`)")
    back = history[-2]
    return store.update_record(
        "action", action_id, status=back["status"],
        audited={"status_on": back["on"].isoformat(), "status_undone": current})


def _happened(day: date | None, what: str) -> None:
    """A day something was done (agreed, observed, fed back) has come: a report would
    otherwise tell people of what has not happened yet."""
    if day is not None and day > uk_today():
        raise ThreadError(f"{what} on {long_day(day)}: that day is still to come; give the "
                          "day it happened")


def _check_dates(observed_on: date | None, fed_back_on: date | None) -> None:
    if observed_on and fed_back_on and fed_back_on < observed_on:
        raise ThreadError(
            f"fed back on {fed_back_on}, before it was observed on {observed_on}: "
            "check the dates"
        )


#: What an action's outcome means while the action has this status, for a person to see
#: before the community page shows it under "What changed".
OUTCOME_WARNINGS = {
    "declined": "is declined: the community page shows its outcome under \"Not going "
                "ahead\" as what happened since; check that it reads right there",
    "proposed": "is only proposed: is this an outcome of it, or should its status change "
                "first (`insight actions status`)?",
    "agreed": "is agreed but not started: the community page shows the outcome as what has "
              "happened so far; if the work has begun or is done, say so first (`insight "
              "actions status`)",
}


def add_outcome(
    store: Store,
    action_id: int,
    description: str,
    *,
    observed_on: date | None = None,
    evidence: str | None = None,
    fed_back: bool = False,
    fed_back_on: date | None = None,
) -> int:
    store.get_record("action", action_id)
    _happened(observed_on, "observed")
    _happened(fed_back_on, "fed back")
    _check_dates(observed_on, fed_back_on)
    return store.create_record(
        "outcome",
        action_id=action_id,
        description=description,
        observed_on=observed_on,
        evidence=evidence,
        fed_back=fed_back or fed_back_on is not None,
        fed_back_on=fed_back_on,
    )


def outcome_before_action(store: Store, action_id: int, observed_on: date | None) -> str:
    """A warning (else "") when an outcome was seen before the day the action's first
    status was reached: a report's timeline would show what came of it before it was
    begun, most often because the action's history was typed in later, dated today."""
    history = store.status_history().get(action_id, [])
    if observed_on is None or not history or observed_on >= history[0]["on"]:
        return ""
    name, first = ref("action", action_id), history[0]
    return (f"{name} was {first['status']} on {long_day(first['on'])}, after this outcome was "
            f"seen ({long_day(observed_on)}): reports would show what came of it before it "
            f"began. If it began earlier, give its statuses their days (`insight actions "
            f"status {name} STATUS --on DAY`)")


def set_involvement(
    store: Store, action_id: int, mode: str | None, continuity: str | None = None,
    how: str | None = None,
) -> dict[str, Any] | None:
    """How people with lived experience took part in an action, on the co-production
    grid: active (they shaped or made the decision) or passive (asked or told), embedded
    (ongoing, part of how the work is run) or isolated (one-off); `mode` None clears it.
    Returns what was recorded before."""
    if mode is not None:
        mode = _one_of(mode, INVOLVEMENT_MODES, "involvement")
        if continuity is None:
            raise UnknownValue("say whether the involvement is embedded (ongoing) or "
                               "isolated (one-off)")
        continuity = _CONTINUITY_WORDS.get(
            " ".join(continuity.strip().lower().replace("-", " ").split()), continuity)
        continuity = _one_of(continuity, INVOLVEMENT_CONTINUITY, "involvement")
        how = " ".join(how.split()) or None if how else None
    return store.set_involvement(action_id, mode, continuity, how)


#: The words the co-production grid is explained with, read as its values.
_CONTINUITY_WORDS = {"one off": "isolated", "oneoff": "isolated", "ongoing": "embedded"}


def _one_of(value: str, allowed: Sequence[str], what: str) -> str:
    word = " ".join(value.strip().lower().split())
    if word not in allowed:
        raise UnknownValue(not_one_of(what, value, allowed))
    return word


def coproduction(thread: Thread) -> dict[str, Any]:
    """Where the work sits on the co-production grid (active/passive x embedded/isolated)
    and at which commissioning stages people with lived experience took part: actions
    counted per cell and per stage (actions, not people: nothing to suppress). `sits` is
    the cell or cells most actions are in; empty while no involvement is recorded."""
    grid = {(m, c): [] for m in INVOLVEMENT_MODES for c in INVOLVEMENT_CONTINUITY}
    stages: dict[str, dict[str, int]] = {}
    for action_id, action in sorted(thread.actions.items()):
        involved = thread.involvement.get(action_id)
        stage = action["stage"] or "stage not set"
        row = stages.setdefault(stage, {m: 0 for m in (*INVOLVEMENT_MODES, "not recorded")})
        row[involved["mode"] if involved else "not recorded"] += 1
        if involved:
            grid[(involved["mode"], involved["continuity"])].append(ref("action", action_id))
    most = max((len(v) for v in grid.values()), default=0)
    order = [*STAGES, "stage not set"]
    return {
        "grid": grid,
        "sits": [f"{m} and {c}" for (m, c), v in grid.items() if most and len(v) == most],
        "stages": [(stage, stages[stage]) for stage in order if stage in stages],
        "recorded": sum(len(v) for v in grid.values()),
        "actions": len(thread.actions),
    }


# -- following the thread -------------------------------------------------------------


@dataclass
class Thread:
    """All thread records and links, loaded once, navigable both ways."""

    insights: dict[int, dict[str, Any]]
    priorities: dict[int, dict[str, Any]]
    actions: dict[int, dict[str, Any]]
    outcomes: dict[int, dict[str, Any]]
    insight_notes: dict[int, list[str]] = field(default_factory=dict)
    priority_insights: dict[int, list[int]] = field(default_factory=dict)
    action_priorities: dict[int, list[int]] = field(default_factory=dict)
    #: insight id -> {note id: "pin" | "exclude"}: leads' quote choices, pins first in
    #: the order they were pinned
    quote_choices: dict[int, dict[str, str]] = field(default_factory=dict)
    #: action id -> how people with lived experience took part (mode, continuity, how)
    involvement: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: action id -> each status it reached, oldest first (`Store.status_history`)
    statuses: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    #: priority id -> why and since when it is no longer pursued (`Store.withdrawals`)
    withdrawn: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: priority id -> withdrawals later undone, and when (`Store.reinstatements`)
    reinstated: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def as_of(self, day: date, heard: Mapping[str, date | None]) -> Thread:
        """The thread as it stood at the end of `day`, for a past period's report: only
        evidence heard by then (`heard`: note id -> day heard; a note with no day is
        kept), insights with any of it, priorities agreed by then (one with no day agreed:
        recorded by then), actions with the status they had then (none yet: left out), outcomes seen
        by then (or recorded, with no day seen) and fed back only if by then, withdrawals
        made by then."""
        def by_then(on: Any) -> bool:  # no day known (None, a frame's NaN): kept
            return not isinstance(on, date) or on <= day

        notes = {i: [n for n in ns if by_then(heard.get(n))]
                 for i, ns in self.insight_notes.items()}
        insights = {i: r for i, r in self.insights.items() if notes.get(i)}
        # one with no day agreed is as of the day it was recorded: a priority added after
        # the period read, in its report, as one the period already had
        priorities = {p: r for p, r in self.priorities.items()
                      if by_then(r["agreed_on"] or (uk_day(r["created_at"])
                                                    if r.get("created_at") else None))}
        statuses = {a: [h for h in history if h["on"] <= day]
                    for a, history in self.statuses.items()}
        actions = {}
        for action_id, action in self.actions.items():
            # the priorities it answers that were agreed only later: said, so an action
            # resting on nothing yet is not read as a thread broken
            later = [p for p in self.action_priorities.get(action_id, []) if p not in priorities]
            reached = statuses.get(action_id)
            if reached:
                status = reached[-1]["status"]
                actions[action_id] = {**action, "status": status, "answers_later": later,
                                      "reason": action["reason"] if status == "declined"
                                      else None}
            elif action_id not in self.statuses:  # no history kept: as it is
                actions[action_id] = {**action, "answers_later": later}
        outcomes = {}
        for outcome_id, outcome in self.outcomes.items():
            seen = outcome["observed_on"] or uk_day(outcome["created_at"])
            if outcome["action_id"] in actions and seen <= day:
                told = outcome["fed_back"] and by_then(outcome["fed_back_on"])
                outcomes[outcome_id] = {**outcome, "fed_back": told,
                                        "fed_back_on": outcome["fed_back_on"] if told else None}
        return Thread(
            insights=insights, priorities=priorities, actions=actions, outcomes=outcomes,
            insight_notes={i: ns for i, ns in notes.items() if i in insights},
            priority_insights={p: [i for i in ins if i in insights]
                               for p, ins in self.priority_insights.items() if p in priorities},
            action_priorities={a: [p for p in ps if p in priorities]
                               for a, ps in self.action_priorities.items() if a in actions},
            quote_choices={i: c for i, c in self.quote_choices.items() if i in insights},
            involvement={a: v for a, v in self.involvement.items() if a in actions},
            statuses={a: h for a, h in statuses.items() if a in actions and h},
            withdrawn=self._withdrawn_on(day, priorities),
            reinstated={p: [u for u in us if u["reinstated_on"] <= day]
                        for p, us in self.reinstated.items() if p in priorities},
        )

    def heard_in(self, note_ids: Collection[str]) -> Thread:
        """The thread with each insight's evidence cut to `note_ids` (the notes heard in a
        period), every record and link kept: a period's report counts and quotes only the
        period's notes, so two adjacent periods' figures share no note and cannot be
        subtracted one from the other to count a few, and an insight with none heard in
        it is still shown, with none."""
        keep = set(note_ids)
        return replace(self, insight_notes={i: [n for n in ns if n in keep]
                                            for i, ns in self.insight_notes.items()})

    def status_since(self, action_id: int) -> date | None:
        """The day an action reached the status it has (None if not known: an action
        whose history the audit log does not hold)."""
        history = self.statuses.get(action_id)
        action = self.actions.get(action_id)
        if not history or action is None or history[-1]["status"] != action["status"]:
            return None
        return history[-1]["on"]

    def notes_of_insight(self, insight_id: int) -> list[str]:
        return self.insight_notes.get(insight_id, [])

    def pinned_notes(self, insight_id: int) -> list[str]:
        """Notes a lead pinned for this insight's quotes, in the order pinned."""
        return [n for n, c in self.quote_choices.get(insight_id, {}).items() if c == PIN]

    def left_out_notes(self, insight_id: int) -> list[str]:
        """Notes a lead left out of this insight's quotes."""
        return [n for n, c in self.quote_choices.get(insight_id, {}).items() if c == EXCLUDE]

    def insights_of_priority(self, priority_id: int) -> list[int]:
        return self.priority_insights.get(priority_id, [])

    def notes_of_priority(self, priority_id: int) -> list[str]:
        seen: dict[str, None] = {}
        for insight_id in self.insights_of_priority(priority_id):
            seen.update(dict.fromkeys(self.notes_of_insight(insight_id)))
        return list(seen)

    def priorities_of_action(self, action_id: int) -> list[int]:
        return self.action_priorities.get(action_id, [])

    def outcomes_of_action(self, action_id: int) -> list[dict[str, Any]]:
        return [o for o in self.outcomes.values() if o["action_id"] == action_id]

    def chain(self, action_id: int) -> dict[str, Any]:
        """action -> priorities -> insights -> note ids, for the report and for checks."""
        return {
            "action": ref("action", action_id),
            "priorities": [
                {
                    "priority": ref("priority", p),
                    "insights": [
                        {"insight": ref("insight", i), "notes": self.notes_of_insight(i)}
                        for i in self.insights_of_priority(p)
                    ],
                }
                for p in self.priorities_of_action(action_id)
            ],
        }

    def _withdrawn_on(self, day: date, priorities: Collection[int]
                      ) -> dict[int, dict[str, Any]]:
        """The withdrawals in force at the end of `day`: those standing now made by then,
        and those later undone that were made by then and undone after it."""
        found = {}
        for priority_id, undone in self.reinstated.items():
            for withdrawal in undone:
                if withdrawal["withdrawn_on"] <= day < withdrawal["reinstated_on"]:
                    found[priority_id] = withdrawal
        for priority_id, withdrawal in self.withdrawn.items():
            if withdrawal["withdrawn_on"] <= day:
                found[priority_id] = withdrawal
        return {p: w for p, w in found.items() if p in priorities}

    def changes(self, since: date, until: date, recorded_after: datetime | None = None
                ) -> list[dict[str, Any]]:
        """What moved in the thread between two days, both included, oldest first: a
        priority agreed (or added, with no day agreed) or withdrawn, an action reaching a
        status, an outcome seen (or recorded, with no day seen) or fed back. What a
        quarter's report says changed since the one before. `recorded_after` (the last
        report's time): also what was recorded since then though dated before `since`
        (a status given its day late), which no report has said yet. Each: `on`, `kind`,
        `ref`, `title` (an outcome's words), `change`, and `reason` (a withdrawal's, a
        decline's), `owner` (who declined) or `action` (an outcome's)."""
        found: list[dict[str, Any]] = []

        def add(on: date, kind: str, record_id: int, title: str, change: str,
                recorded: datetime | None = None, **extra: Any) -> None:
            late = (recorded_after is not None and recorded is not None
                    and recorded > recorded_after)
            if on <= until and (since <= on or late):
                # typed in well after the day it gives (back-filled): an assurance reader
                # must tell a record made at the time from one made later
                typed = uk_day(recorded) if recorded is not None else None
                found.append({"on": on, "kind": kind, "ref": ref(kind, record_id),
                              "title": title, "change": change,
                              "recorded_on": typed if typed and typed > on + RECORDED_LATE
                              else None, **extra})

        for priority_id, priority in self.priorities.items():
            agreed = priority["agreed_on"]
            add(agreed or uk_day(priority["created_at"]), "priority", priority_id,
                priority["title"], "agreed" if agreed else "added", priority["created_at"])
            for undone in self.reinstated.get(priority_id, []):  # withdrawn, then again
                add(undone["withdrawn_on"], "priority", priority_id, priority["title"],
                    "withdrawn", undone["recorded_at"], reason=undone["reason"])
                add(undone["reinstated_on"], "priority", priority_id, priority["title"],
                    "reinstated", undone["recorded_at"])
            if withdrawn := self.withdrawn.get(priority_id):
                add(withdrawn["withdrawn_on"], "priority", priority_id, priority["title"],
                    "withdrawn", withdrawn["recorded_at"], reason=withdrawn["reason"])
        for action_id, action in self.actions.items():
            for reached in self.statuses.get(action_id, []):
                declined = reached["status"] == "declined" and action["status"] == "declined"
                add(reached["on"], "action", action_id, action["title"], reached["status"],
                    reached.get("recorded_at"),
                    **({"reason": action["reason"]} if declined and action["reason"] else {}),
                    **({"owner": action["owner"]} if declined and action["owner"] else {}))
        for outcome_id, outcome in self.outcomes.items():
            action = ref("action", outcome["action_id"])
            add(outcome["observed_on"] or uk_day(outcome["created_at"]), "outcome", outcome_id,
                outcome["description"], "seen" if outcome["observed_on"] else "recorded",
                outcome["created_at"], action=action)
            if outcome["fed_back"] and outcome["fed_back_on"]:
                add(outcome["fed_back_on"], "outcome", outcome_id, outcome["description"],
                    "fed back", outcome["updated_at"], action=action)
        order = {"priority": 0, "action": 1, "outcome": 2}
        return sorted(found, key=lambda c: (c["on"], order[c["kind"]], int(c["ref"][1:])))

    def trace(self, kind: str, record_id: int) -> dict[str, Any]:
        """Any thread record both ways: down to the notes it rests on, up to the actions it
        led to (`insight trace P1`). An outcome is traced through its action."""
        if kind == "outcome":
            action_id = self.outcomes[record_id]["action_id"]
            return {"outcome": ref("outcome", record_id), **self.chain(action_id)}
        if kind == "action":  # and what came of it: the thread's last knot
            return {
                **self.chain(record_id),
                "statuses": [{"status": h["status"], "on": h["on"].isoformat()}
                             for h in self.statuses.get(record_id, [])],
                "outcomes": [ref("outcome", o["id"]) for o in self.outcomes_of_action(record_id)],
            }
        if kind == "priority":
            withdrawn = self.withdrawn.get(record_id)
            return {
                "priority": ref("priority", record_id),
                "withdrawn": {"on": withdrawn["withdrawn_on"].isoformat(),
                              "reason": withdrawn["reason"]} if withdrawn else None,
                "insights": [
                    {"insight": ref("insight", i), "notes": self.notes_of_insight(i)}
                    for i in self.insights_of_priority(record_id)
                ],
                "actions": [
                    ref("action", a)
                    for a, ps in sorted(self.action_priorities.items()) if record_id in ps
                ],
            }
        priorities = sorted(p for p, ins in self.priority_insights.items() if record_id in ins)
        return {
            "insight": ref("insight", record_id),
            "notes": self.notes_of_insight(record_id),
            "priorities": [ref("priority", p) for p in priorities],
            "actions": [
                ref("action", a)
                for a, ps in sorted(self.action_priorities.items())
                if set(ps) & set(priorities)
            ],
        }

    def notes_of_action(self, action_id: int) -> list[str]:
        seen: dict[str, None] = {}
        for priority_id in self.priorities_of_action(action_id):
            seen.update(dict.fromkeys(self.notes_of_priority(priority_id)))
        return list(seen)

    def note_refs(self, key: bytes) -> dict[str, str]:
        """Every reference a commissioner's or community report can name a linked note by
        (under one insight, `note_ref`; or, in reports made before references were per
        insight, under none) -> the note's id."""
        from insight.privacy import note_ref

        found: dict[str, str] = {}
        for insight_id, note_ids in self.insight_notes.items():
            within = ref("insight", insight_id)
            for note_id in note_ids:
                found[note_ref(note_id, "commissioner", key, within)] = note_id
                found[note_ref(note_id, "commissioner", key)] = note_id
        return found

    def note_of_ref(self, reference: str, key: bytes) -> str | None:
        """The note behind a reference in a commissioner's or community report, in any
        case and with spaces around it ("NOTE-B5A6..." typed from a printout)."""
        return self.note_refs(key).get(reference.strip().lower())

    def close_note_refs(self, reference: str, key: bytes) -> list[str]:
        """The references a mistyped one most likely meant (a character short, or two
        swapped), closest first: none where nothing is close."""
        import difflib

        return difflib.get_close_matches(
            reference.strip().lower(), list(self.note_refs(key)), n=3, cutoff=0.85
        )

    def actions_of_note(self, note_id: str) -> list[int]:
        """Upward: every action a note influenced."""
        insight_ids = {i for i, ns in self.insight_notes.items() if note_id in ns}
        priority_ids = {
            p for p, ins in self.priority_insights.items() if insight_ids.intersection(ins)
        }
        return sorted(
            a for a, ps in self.action_priorities.items() if priority_ids.intersection(ps)
        )

    def follow(self, note_ids: Collection[str]) -> dict[str, Any]:
        """Where these notes went ("you said, we did"): the insights they are evidence for,
        the priorities those support, the actions that answer them and what came of each,
        every record with its title and the given notes behind it (their ids: no note's
        words, and no other note's id). Flat lists in thread order, each record once,
        linked by reference: `insights` (with the `priorities` each supports),
        `priorities` (a withdrawn one with since when and why; the `actions` answering
        it), `actions` (status, since when, owner, why declined; its `outcomes`, each with
        the day seen and whether and when it was fed back to people)."""
        given = set(note_ids)
        insights = {i: [n for n in self.notes_of_insight(i) if n in given]
                    for i in sorted(self.insights)}
        insights = {i: ns for i, ns in insights.items() if ns}
        priorities = {p: sorted({n for i in ins if i in insights for n in insights[i]})
                      for p, ins in sorted(self.priority_insights.items())
                      if p in self.priorities}
        priorities = {p: ns for p, ns in priorities.items() if ns}
        actions = {a: sorted({n for p in ps if p in priorities for n in priorities[p]})
                   for a, ps in sorted(self.action_priorities.items()) if a in self.actions}
        actions = {a: ns for a, ns in actions.items() if ns}

        def day(value: Any) -> str | None:
            return value.isoformat() if isinstance(value, date) else None

        def priority(p: int) -> dict[str, Any]:
            withdrawn = self.withdrawn.get(p)
            return {
                "priority": ref("priority", p), "title": self.priorities[p]["title"],
                "withdrawn": {"on": day(withdrawn["withdrawn_on"]),
                              "reason": withdrawn["reason"]} if withdrawn else None,
                "notes": priorities[p],
                "insights": [ref("insight", i) for i in self.insights_of_priority(p)
                             if i in insights],
                "actions": [ref("action", a) for a in actions
                            if p in self.priorities_of_action(a)],
            }

        def action(a: int) -> dict[str, Any]:
            record = self.actions[a]
            return {
                "action": ref("action", a), "title": record["title"],
                "status": record["status"], "since": day(self.status_since(a)),
                "owner": record["owner"],
                "reason": record["reason"] if record["status"] == "declined" else None,
                "notes": actions[a],
                "priorities": [ref("priority", p) for p in self.priorities_of_action(a)
                               if p in priorities],
                "outcomes": [
                    {"outcome": ref("outcome", o["id"]), "description": o["description"],
                     "seen_on": day(o["observed_on"]), "fed_back": bool(o["fed_back"]),
                     "fed_back_on": day(o["fed_back_on"])}
                    for o in sorted(self.outcomes_of_action(a), key=lambda o: o["id"])],
            }

        return {
            "insights": [
                {"insight": ref("insight", i), "title": self.insights[i]["title"],
                 "notes": ns,
                 "priorities": [ref("priority", p) for p in priorities
                                if i in self.insights_of_priority(p)]}
                for i, ns in insights.items()],
            "priorities": [priority(p) for p in priorities],
            "actions": [action(a) for a in actions],
        }

    def without(self, kind: str, record_id: int) -> Thread:
        """This thread as it would be with one record deleted (with its links)."""
        def dropped(records: dict[int, dict[str, Any]], own: str) -> dict[int, dict[str, Any]]:
            return {k: v for k, v in records.items() if not (own == kind and k == record_id)}

        def unlinked(links: dict[int, list[Any]], own: str, other: str) -> dict[int, list[Any]]:
            return {
                k: [v for v in vs if not (other == kind and v == record_id)]
                for k, vs in links.items() if not (own == kind and k == record_id)
            }

        return replace(
            self,
            insights=dropped(self.insights, "insight"),
            priorities=dropped(self.priorities, "priority"),
            actions=dropped(self.actions, "action"),
            outcomes={k: v for k, v in self.outcomes.items()
                      if not (kind == "action" and v["action_id"] == record_id)
                      and not (kind == "outcome" and k == record_id)},
            insight_notes=unlinked(self.insight_notes, "insight", "note"),
            priority_insights=unlinked(self.priority_insights, "priority", "insight"),
            action_priorities=unlinked(self.action_priorities, "action", "priority"),
            quote_choices={k: v for k, v in self.quote_choices.items()
                           if not (kind == "insight" and k == record_id)},
        )

    def left_without(self, kind: str, record_id: int) -> list[str]:
        """What deleting a record would break ("A1 responds to no priority"): the thread
        checks that would newly fail, for a person to see before they confirm."""
        before = set(self.problems())
        return [p for p in self.without(kind, record_id).problems() if p not in before]

    def written(self) -> Iterator[tuple[str, str, str]]:
        """What leads wrote that reports show, as (record, field, text): titles, summaries,
        descriptions, owners, reasons, outcomes and how people took part."""
        fields = (("insight", self.insights, ("title", "summary")),
                  ("priority", self.priorities, ("title", "description")),
                  ("action", self.actions, ("title", "description", "owner", "reason")),
                  ("outcome", self.outcomes, ("description", "evidence")))
        for kind, records, names in fields:
            for record_id, record in sorted(records.items()):
                for name in names:
                    if record.get(name):
                        yield ref(kind, record_id), name, record[name]
        for action_id, involved in sorted(self.involvement.items()):
            if involved.get("how"):
                yield ref("action", action_id), "how", involved["how"]

    def problems(self, today: date | None = None, shown_only: bool = False) -> list[str]:
        """Integrity checks a lead should see before a report goes out (an action is
        overdue against `today`, the clock's date unless given). `shown_only`: only those
        about what a report shows, for its readers outside the leads (an insight under no
        priority is in no report: a lead's to-do, not a reader's caveat)."""
        today = today or uk_today()
        found = []
        supporting = {i for ins in self.priority_insights.values() for i in ins}
        for insight_id in self.insights:
            if shown_only and insight_id not in supporting:
                continue
            if not self.notes_of_insight(insight_id):
                found.append(f"insight {ref('insight', insight_id)} has no notes as evidence")
            if insight_id not in supporting:
                # reports show insights under the priorities they support: this one is in none
                found.append(
                    f"insight {ref('insight', insight_id)} supports no priority, so no report "
                    f"shows it (`insight priorities link PRIORITY {ref('insight', insight_id)}`)"
                )
        for priority_id in self.priorities:
            if not self.insights_of_priority(priority_id):
                found.append(f"priority {ref('priority', priority_id)} has no insights")
            elif not self.notes_of_priority(priority_id):
                found.append(f"priority {ref('priority', priority_id)} has no evidence notes")
        for action_id in self.actions:
            if not self.priorities_of_action(action_id):
                # a past period's action whose priority was agreed after: the report says so
                if not self.actions[action_id].get("answers_later"):
                    found.append(f"action {ref('action', action_id)} responds to no priority")
            elif not self.notes_of_action(action_id):
                found.append(f"action {ref('action', action_id)} rests on no notes")
            status = self.actions[action_id]["status"]
            responds = self.priorities_of_action(action_id)
            if (responds and status not in ("done", "declined")
                    and all(p in self.withdrawn for p in responds)):
                found.append(
                    f"action {ref('action', action_id)} is {status} but its "
                    f"priorit{'ies were' if len(responds) > 1 else 'y was'} withdrawn: the "
                    "community page says the work stopped; decline the action with why "
                    f"(`insight actions status {ref('action', action_id)} declined --reason "
                    "...`) or reinstate the priority")
            if status in ("proposed", "agreed") and (seen := self.outcomes_of_action(action_id)):
                # "agreed" beside "212 calls made": the work began, or the status is old
                first = seen[0]
                found.append(
                    f"action {ref('action', action_id)} is {status} but has an outcome "
                    f"({ref('outcome', first['id'])}"
                    + (f", seen on {first['observed_on']:%Y-%m-%d}" if first.get("observed_on")
                       else "")
                    + "): if the work began or is done, say so (`insight actions status "
                    f"{ref('action', action_id)} \"in progress\" --on DAY`)")
            if (status == "done"
                    and not self.outcomes_of_action(action_id)):
                found.append(f"action {ref('action', action_id)} is done but has no outcome: "
                             "say what changed (`insight outcomes add`)")
            status, due = self.actions[action_id]["status"], self.actions[action_id]["due_on"]
            if due and status not in ("done", "declined") and due < today:
                found.append(
                    f"action {ref('action', action_id)} was due on {due:%Y-%m-%d} "
                    f"and is still {status}: say where it stands (`insight actions status "
                    f"{ref('action', action_id)} ...`) or give it a new date (`insight actions "
                    f"update {ref('action', action_id)} --due ...`)"
                )
        for outcome_id, outcome in self.outcomes.items():
            if not outcome["fed_back"]:
                found.append(f"outcome {ref('outcome', outcome_id)} not yet fed back to people")
            # reports read an outcome as done in response to the priority: one seen before
            # the priority was agreed may not have been
            seen = outcome.get("observed_on")
            for priority_id in self.priorities_of_action(outcome["action_id"]):
                agreed = self.priorities.get(priority_id, {}).get("agreed_on")
                if seen and agreed and seen < agreed:
                    found.append(
                        f"outcome {ref('outcome', outcome_id)} was seen on {seen:%Y-%m-%d}, "
                        f"before {ref('priority', priority_id)} was agreed on {agreed:%Y-%m-%d}"
                        ": reports read it as done in response to that priority; say in the "
                        "action's description whether it followed the priority")
        for kind, records in (("insight", self.insights), ("priority", self.priorities),
                              ("action", self.actions)):
            groups: dict[str, list[int]] = {}
            for record_id, record in sorted(records.items()):
                groups.setdefault(title_key(record["title"] or ""), []).append(record_id)
            for ids in groups.values():
                if len(ids) > 1:
                    found.append(
                        f"{' and '.join(ref(kind, i) for i in ids)} have the same title: "
                        f"merge them (`insight {PLURAL[kind]} merge {ref(kind, ids[-1])} "
                        f"--into {ref(kind, ids[0])}`) or tell them apart"
                    )
        return found


def trace_note(store: Store, thread: Thread, note_id: str) -> dict[str, Any]:
    """A live note followed up the thread (`Thread.follow`) and the report files that
    quoted its words (`Store.reports_quoting`: the file, its audience and the days it was
    written), for the person who said it to hear what came of it."""
    return {"note": note_id, **thread.follow([note_id]),
            "quoted_in": [{"file": r["file"], "audience": r["audience"], "written": r["dates"]}
                          for r in store.reports_quoting([note_id])]}


def trace_listener(store: Store, thread: Thread, listener: str) -> dict[str, Any]:
    """A listener's live notes followed up the thread at once (`Thread.follow`): how many
    there are, how many are evidence for an insight, and each record they stand behind
    with which of them (`behind`: the actions by status, their outcomes and how many of
    those were fed back). A listener is matched as `insight erase --listener` matches one
    (any case, outer spaces); an unknown one is a usage error with a did-you-mean.
    Erased notes keep no listener, so they are neither listed nor counted."""
    note_ids = store.note_ids_for_listener(listener)
    if not note_ids:
        close = store.close_listeners(listener)
        raise NotFound(
            f"no live notes by listener {listener.strip()!r}"
            + (f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else "")
            + ": give the listener's code as the notes have it (`insight notes list` shows "
            "them); erased notes keep no listener, so one whose notes were all erased has "
            "none to follow")
    wanted = listener.strip().casefold()
    written = next((n for n in store.listeners() if n.strip().casefold() == wanted),
                   listener.strip())
    followed = thread.follow(note_ids)
    in_insights = {n for i in followed["insights"] for n in i["notes"]}
    outcomes = [o for a in followed["actions"] for o in a["outcomes"]]
    statuses = [a["status"] for a in followed["actions"]]
    return {"listener": written, "notes": len(note_ids), "in_insights": len(in_insights),
            # "you said, we did" in numbers: the actions their notes stand behind, by
            # status, and what came of them
            "behind": {"actions": {s: statuses.count(s) for s in ACTION_STATUSES
                                   if s in statuses},
                       "outcomes": len(outcomes),
                       "fed_back": sum(o["fed_back"] for o in outcomes)},
            **followed}


def load_thread(store: Store) -> Thread:
    def grouped(rows: list[dict[str, Any]], key: str, value: str) -> dict[Any, list[Any]]:
        out: dict[Any, list[Any]] = {}
        for row in sorted(rows, key=lambda r: (r[key], str(r[value]))):
            out.setdefault(row[key], []).append(row[value])
        return out

    return Thread(
        insights={r["id"]: r for r in store.list_records("insight")},
        priorities={r["id"]: r for r in store.list_records("priority")},
        actions={r["id"]: r for r in store.list_records("action")},
        outcomes={r["id"]: r for r in store.list_records("outcome")},
        insight_notes=grouped(store.links(insight_notes), "insight_id", "note_id"),
        priority_insights=grouped(store.links(priority_insights), "priority_id", "insight_id"),
        action_priorities=grouped(store.links(action_priorities), "action_id", "priority_id"),
        quote_choices=_quote_choices(store),
        involvement=store.involvements(),
        statuses=store.status_history(),
        withdrawn=store.withdrawals(),
        reinstated=store.reinstatements(),
    )


def _quote_choices(store: Store) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for row in store.quote_choices():  # pins first, in the order pinned
        out.setdefault(row["insight_id"], {})[row["note_id"]] = row["choice"]
    return out
