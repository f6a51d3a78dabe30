from __future__ import annotations

from datetime import date

import pytest

from insight.clock import uk_today
from insight.store import NotFound, Store, StoreError
from insight.thread import (
    ThreadError,
    UnknownValue,
    add_action,
    add_insight,
    add_outcome,
    add_priority,
    coproduction,
    delete_record,
    link_insights,
    link_notes,
    load_thread,
    merge_records,
    set_action_status,
    set_involvement,
    set_quote_choice,
    undelete_record,
    unlink,
    update_record,
)
from tests.notes import add, note


@pytest.fixture
def thread_store(store: Store) -> Store:
    add(
        store,
        note("n1", "The cafe on Tuesdays keeps me going.", categories=["community-support"]),
        note("n2", "Group closed and now I see nobody.", categories=["community-support"]),
        note("n3", "Eight months on the list.", categories=["access-waiting"]),
    )
    return store


def test_action_chain_reaches_notes_and_back(thread_store: Store) -> None:
    i1 = add_insight(thread_store, "Spaces matter", categories=["community-support"],
                     note_ids=["n1", "n2"])
    i2 = add_insight(thread_store, "Long waits", note_ids=["n3"])
    p1 = add_priority(thread_store, "Community spaces", insight_ids=[i1])
    p2 = add_priority(thread_store, "Nobody waits alone", insight_ids=[i2])
    a1 = add_action(thread_store, "Fund cafes", owner="ICB", priority_ids=[p1])
    a2 = add_action(thread_store, "Call people waiting", status="agreed", priority_ids=[p1, p2])
    thread = load_thread(thread_store)
    assert thread.notes_of_action(a1) == ["n1", "n2"]
    assert sorted(thread.notes_of_action(a2)) == ["n1", "n2", "n3"]
    assert thread.actions_of_note("n3") == [a2]
    assert thread.actions_of_note("n1") == [a1, a2]
    chain = thread.chain(a2)
    assert chain["action"] == f"A{a2}"
    assert [p["priority"] for p in chain["priorities"]] == [f"P{p1}", f"P{p2}"]
    # any record both ways: down to notes, up to actions
    assert thread.trace("priority", p2) == {
        "priority": f"P{p2}", "withdrawn": None,
        "insights": [{"insight": f"I{i2}", "notes": ["n3"]}], "actions": [f"A{a2}"],
    }
    assert thread.trace("insight", i1) == {
        "insight": f"I{i1}", "notes": ["n1", "n2"], "priorities": [f"P{p1}"],
        "actions": [f"A{a1}", f"A{a2}"],
    }
    o1 = add_outcome(thread_store, a1, "Two cafes funded")
    traced = load_thread(thread_store).trace("outcome", o1)
    assert traced["outcome"] == f"O{o1}" and traced["action"] == f"A{a1}"
    # an action traces on to what came of it
    assert load_thread(thread_store).trace("action", a1)["outcomes"] == [f"O{o1}"]
    assert load_thread(thread_store).trace("action", a2)["outcomes"] == []


def test_declined_needs_a_reason(thread_store: Store) -> None:
    with pytest.raises(ThreadError, match="reason"):
        add_action(thread_store, "Walk-in centre", status="declined")
    action = add_action(thread_store, "Walk-in centre")
    with pytest.raises(ThreadError, match="reason"):
        set_action_status(thread_store, action, "declined")
    record = set_action_status(thread_store, action, "Declined", reason="No budget in 2026/27")
    assert record["status"] == "declined" and record["reason"] == "No budget in 2026/27"


def test_status_and_stage_are_checked(thread_store: Store) -> None:
    with pytest.raises(UnknownValue, match="unknown action status"):
        add_action(thread_store, "x", status="maybe")
    with pytest.raises(UnknownValue, match="commissioning stage"):
        add_action(thread_store, "x", stage="vibes")
    action = add_action(thread_store, "x", status="in_progress", stage="Contracting")
    assert thread_store.get_record("action", action)["status"] == "in progress"
    # the names guidance and commissioners also use, in any case or with hyphens
    for written, stage in (("Needs assessment", "strategic planning"),
                           ("service-design", "pathway design"), ("Procurement", "contracting"),
                           ("monitoring and evaluation", "monitoring"),
                           ("Specifying_Outcomes", "specifying outcomes")):
        action = add_action(thread_store, "x", stage=written)
        assert thread_store.get_record("action", action)["stage"] == stage, written


def test_links_must_point_at_real_records(thread_store: Store) -> None:
    insight = add_insight(thread_store, "x")
    with pytest.raises(NotFound, match="no note 'n-missing'"):
        link_notes(thread_store, insight, ["n-missing"])
    with pytest.raises(NotFound, match=r"no note 'N 1' \(did you mean 'n1'\?\)"):
        link_notes(thread_store, insight, ["N 1"])
    with pytest.raises(NotFound, match="no such note"):
        link_notes(thread_store, insight, ["n-missing", "n-gone"])
    with pytest.raises(NotFound, match="no note 'n9'"):  # not even stored: not "not linked"
        unlink(thread_store, "insight", insight, ["n9"])
    with pytest.raises(ThreadError, match="not linked") as not_linked:
        unlink(thread_store, "insight", insight, ["n1"])
    assert not isinstance(not_linked.value, UnknownValue)
    with pytest.raises(StoreError, match="no insight I99"):
        add_priority(thread_store, "p", insight_ids=[99])
    with pytest.raises(StoreError, match="no action A42"):
        add_outcome(thread_store, 42, "nothing")


def test_an_overdue_action_is_a_thread_check(thread_store: Store) -> None:
    """An action past its due date and not finished is said, with how to move it on."""
    late = add_action(thread_store, "Crisis line hours", due_on=date(2027, 3, 31))
    said = (f"action A{late} was due on 2027-03-31 and is still proposed: say where it stands "
            f"(`insight actions status A{late} ...`) or give it a new date (`insight actions "
            f"update A{late} --due ...`)")
    assert said not in load_thread(thread_store).problems(today=date(2027, 3, 31))
    assert said in load_thread(thread_store).problems(today=date(2027, 4, 1))
    set_action_status(thread_store, late, "in progress")
    assert any(f"A{late} was due on 2027-03-31 and is still in progress" in p
               for p in load_thread(thread_store).problems(today=date(2027, 4, 1)))
    for finished in ("done", "declined"):
        set_action_status(thread_store, late, finished, reason="no money this year")
        assert not any(f"A{late} was due" in p
                       for p in load_thread(thread_store).problems(today=date(2028, 1, 1)))
    undated = add_action(thread_store, "Someday")
    assert not any(f"A{undated} was due" in p
                   for p in load_thread(thread_store).problems(today=date(2099, 1, 1)))


def test_integrity_problems_are_reported(thread_store: Store) -> None:
    empty = add_insight(thread_store, "No evidence yet")
    lonely = add_priority(thread_store, "Unsupported")
    orphan = add_action(thread_store, "Orphan")
    outcome = add_outcome(thread_store, orphan, "Something changed")
    problems = load_thread(thread_store).problems()
    assert f"insight I{empty} has no notes as evidence" in problems
    assert f"priority P{lonely} has no insights" in problems
    assert f"action A{orphan} responds to no priority" in problems
    assert f"outcome O{outcome} not yet fed back to people" in problems
    assert not any("same title" in p for p in problems)
    done = add_action(thread_store, "Done with nothing to show", status="done")
    assert (f"action A{done} is done but has no outcome: say what changed (`insight outcomes "
            "add`)") in load_thread(thread_store).problems()
    assert not any(f"A{orphan} is done" in p for p in load_thread(thread_store).problems())
    # an outcome under an action still "proposed": the status says the work has not begun
    # (a commissioner audit read "agreed" beside "212 calls made")
    assert (f"action A{orphan} is proposed but has an outcome (O{outcome}): if the work "
            f'began or is done, say so (`insight actions status A{orphan} "in progress" '
            "--on DAY`)") in problems
    set_action_status(thread_store, orphan, "in progress")
    assert not any(f"A{orphan} is proposed" in p or f"A{orphan} is in progress but" in p
                   for p in load_thread(thread_store).problems())
    # reports show an insight only under a priority: one under none is in no report
    unshown = (f"insight I{empty} supports no priority, so no report shows it "
               f"(`insight priorities link PRIORITY I{empty}`)")
    assert unshown in problems
    link_insights(thread_store, lonely, [empty])
    assert unshown not in load_thread(thread_store).problems()
    again = add_priority(thread_store, "  unsupported. ")  # case, spaces and a full stop
    other = add_priority(thread_store, "Unsupported too")
    problems = load_thread(thread_store).problems()
    assert (f"P{lonely} and P{again} have the same title: merge them (`insight priorities "
            f"merge P{again} --into P{lonely}`) or tell them apart") in problems
    assert not any(f"P{other}" in p and "same title" in p for p in problems)
    merge_records(thread_store, "priority", again, lonely)  # as the check says
    assert not any("same title" in p for p in load_thread(thread_store).problems())


def test_merging_keeps_every_note_link_action_and_outcome_once(store: Store) -> None:
    """Two leads added the same finding, priority and action twice: merging folds each
    into the one kept, so no evidence, action or outcome is lost and none counts twice."""
    add(store, *[note(f"n{i}", f"Nobody rang back {i}.", categories=["access-waiting"])
                 for i in range(4)])
    kept_insight = add_insight(store, "Waiting alone", note_ids=["n0", "n1"])
    twin_insight = add_insight(store, "waiting alone.", note_ids=["n1", "n2", "n3"])
    set_quote_choice(store, twin_insight, "n3", "pin")
    set_quote_choice(store, twin_insight, "n1", "leave out")
    set_quote_choice(store, kept_insight, "n1", "pin")  # the kept insight's choice stands
    kept = add_priority(store, "No one waits alone", insight_ids=[kept_insight])
    twin = add_priority(store, "No one waits alone", insight_ids=[twin_insight])
    calls = add_action(store, "Monthly calls", priority_ids=[kept])
    calls_again = add_action(store, "Monthly calls", status="done", priority_ids=[twin])
    add_outcome(store, calls_again, "Everyone waiting had a call")
    set_involvement(store, calls_again, "active", "embedded", how="peers call")

    assert merge_records(store, "insight", twin_insight, kept_insight) == {
        "notes": 2, "priorities": 1}
    thread = load_thread(store)
    assert thread.notes_of_insight(kept_insight) == ["n0", "n1", "n2", "n3"]
    assert thread.quote_choices[kept_insight] == {"n1": "pin", "n3": "pin"}
    assert twin_insight not in thread.insights
    assert merge_records(store, "priority", twin, kept) == {"insights": 0, "actions": 1}
    assert merge_records(store, "action", calls_again, calls) == {
        "priorities": 0, "outcomes": 1}
    thread = load_thread(store)
    assert list(thread.priorities) == [kept] and list(thread.actions) == [calls]
    assert thread.priorities_of_action(calls) == [kept]
    assert [o["description"] for o in thread.outcomes_of_action(calls)] == [
        "Everyone waiting had a call"]
    assert thread.involvement[calls]["how"] == "peers call"
    assert len(thread.notes_of_priority(kept)) == 4
    merges = [(e["record_type"], e["record_id"], e["after"]["into"])
              for e in store.audit_log() if e["operation"] == "merge"]
    assert merges == [("insight", str(twin_insight), f"I{kept_insight}"),
                      ("priority", str(twin), f"P{kept}"),
                      ("action", str(calls_again), f"A{calls}")]
    with pytest.raises(ThreadError, match="into itself"):
        merge_records(store, "priority", kept, kept)
    # a withdrawn priority's withdrawal, and why, would go with it: refused
    from insight.thread import withdraw_priority

    stopped = add_priority(store, "Keep peer spaces open")
    withdraw_priority(store, stopped, "The council funds them now")
    with pytest.raises(ThreadError, match=r"P\d+ was withdrawn on .*: merging it would take"):
        merge_records(store, "priority", stopped, kept)
    assert stopped in load_thread(store).withdrawn
    with pytest.raises(NotFound):
        merge_records(store, "priority", twin, kept)  # gone already


def test_deleting_an_action_removes_its_outcomes_and_links(thread_store: Store) -> None:
    priority = add_priority(thread_store, "p")
    action = add_action(thread_store, "a", priority_ids=[priority])
    add_outcome(thread_store, action, "o")
    thread_store.delete_record("action", action)
    thread = load_thread(thread_store)
    assert thread.actions == {} and thread.outcomes == {} and thread.action_priorities == {}
    kinds = [(r["operation"], r["record_type"]) for r in thread_store.audit_log()]
    assert ("delete", "outcome") in kinds and ("delete", "action") in kinds


def test_insight_categories_must_be_in_the_codebook(thread_store: Store) -> None:
    with pytest.raises(ThreadError, match="unknown category id.*: money"):
        add_insight(thread_store, "x", categories=["money"], known_categories=["daily-living"])
    add_insight(thread_store, "y", categories=["daily-living"], known_categories=["daily-living"])


def test_a_failed_add_creates_nothing(thread_store: Store) -> None:
    """A wrong reference is refused before any record exists, so reports never show it."""
    with pytest.raises(StoreError, match="no note .n999."):
        add_insight(thread_store, "bad", note_ids=["n1", "n999"])
    with pytest.raises(StoreError):
        add_priority(thread_store, "bad", insight_ids=[99])
    with pytest.raises(StoreError):
        add_action(thread_store, "bad", priority_ids=[99])
    for kind in ("insight", "priority", "action"):
        assert thread_store.list_records(kind) == []


def test_erased_notes_cannot_become_evidence_again(thread_store: Store) -> None:
    insight = add_insight(thread_store, "Groups", note_ids=["n1"])
    thread_store.erase_notes(["n2"], reason="asked")
    with pytest.raises(StoreError, match="erased"):
        link_notes(thread_store, insight, ["n2"])
    with pytest.raises(StoreError, match="erased"):
        add_insight(thread_store, "again", note_ids=["n2"])
    assert load_thread(thread_store).notes_of_insight(insight) == ["n1"]


def test_unknown_category_ids_get_a_suggestion(thread_store: Store) -> None:
    with pytest.raises(ThreadError, match=r"Fair-Treatment \(did you mean fair-treatment\?\)"):
        add_insight(thread_store, "x", categories=["Fair-Treatment"],
                    known_categories=["fair-treatment", "access-waiting"])


def test_mistakes_in_the_thread_can_be_corrected(thread_store: Store) -> None:
    from insight.thread import delete_record, unlink, update_record

    i1 = add_insight(thread_store, "Spaces", note_ids=["n1", "n2", "n3"])
    stray = add_insight(thread_store, "tmp")
    p1 = add_priority(thread_store, "Community spaces", insight_ids=[i1, stray])
    a1 = add_action(thread_store, "Fund cafes", priority_ids=[p1])
    o1 = add_outcome(thread_store, a1, "Two cafes funded")
    # a note linked by mistake comes off, audited; unlinking it again is an error
    assert unlink(thread_store, "insight", i1, ["n3"]) == 1
    assert load_thread(thread_store).notes_of_insight(i1) == ["n1", "n2"]
    with pytest.raises(ThreadError, match="not linked to note n3"):
        unlink(thread_store, "insight", i1, ["n3"])
    assert any(e["operation"] == "delete" and e["record_type"] == "insight_notes"
               for e in thread_store.audit_log())
    # a stray insight goes, with its links
    delete_record(thread_store, "insight", stray)
    thread = load_thread(thread_store)
    assert stray not in thread.insights and thread.insights_of_priority(p1) == [i1]
    # its number is not given to the next insight (the audit log keeps the old one's)
    assert add_insight(thread_store, "Next") == stray + 1
    # an outcome fed back later, an action's owner and due date set later
    from datetime import date

    update_record(thread_store, "outcome", o1, fed_back_on=date(2026, 6, 1))
    outcome = load_thread(thread_store).outcomes[o1]
    assert outcome["fed_back"] is True and outcome["fed_back_on"] == date(2026, 6, 1)
    update_record(thread_store, "action", a1, owner="ICB", stage="pathway design")
    assert load_thread(thread_store).actions[a1]["owner"] == "ICB"
    with pytest.raises(ThreadError, match="no field"):
        update_record(thread_store, "action", a1, status="done")  # status has its own rules
    with pytest.raises(ThreadError, match="nothing to change"):
        update_record(thread_store, "outcome", o1)
    with pytest.raises(ThreadError):
        update_record(thread_store, "action", a1, stage="somewhere")


def test_an_insights_categories_are_corrected_and_checked_against_the_codebook(
        thread_store: Store) -> None:
    """A category the codebook split or retired: the insight is corrected in place, checked
    as when it was added, and until then it is a check for leads."""
    from insight.thread import insight_categories_not_in

    insight = add_insight(thread_store, "Not heard", categories=["voice-involvement"])
    known = ["housing", "money-benefits"]
    assert insight_categories_not_in(load_thread(thread_store), known) == [
        "insight I1 is about voice-involvement, no longer in the codebook: give it the "
        "codebook's categories (`insight insights update I1 --category ID`, repeated for each)"]
    with pytest.raises(ThreadError, match=r"housng \(did you mean housing\?\)"):
        update_record(thread_store, "insight", insight, categories=["housng"],
                      known_categories=known)
    update_record(thread_store, "insight", insight, categories=["housing", "housing"],
                  known_categories=known)
    thread = load_thread(thread_store)
    assert thread.insights[insight]["categories"] == ["housing"]
    assert insight_categories_not_in(thread, known) == []
    [change] = [e for e in thread_store.audit_log() if e["operation"] == "update"]
    assert change["before"]["categories"] == ["voice-involvement"]
    assert change["after"]["categories"] == ["housing"]


def test_titles_cannot_be_blank(thread_store: Store) -> None:
    for make in (lambda: add_insight(thread_store, "  "), lambda: add_priority(thread_store, ""),
                 lambda: add_action(thread_store, "\t")):
        with pytest.raises(ThreadError, match="title cannot be blank"):
            make()
    insight = add_insight(thread_store, "  Groups   closing ")
    assert thread_store.get_record("insight", insight)["title"] == "Groups closing"
    with pytest.raises(ThreadError, match="title cannot be blank"):
        update_record(thread_store, "insight", insight, title=" ")
    assert load_thread(thread_store).insights[insight]["title"] == "Groups closing"


def test_what_a_delete_would_break_is_known_before_it_is_done(thread_store: Store) -> None:
    only = add_insight(thread_store, "Groups closing", note_ids=["n1", "n2"])
    other = add_insight(thread_store, "Waits", note_ids=["n3"])
    kept = add_priority(thread_store, "Spaces", insight_ids=[only])
    both = add_priority(thread_store, "Both", insight_ids=[only, other])
    action = add_action(thread_store, "Fund cafes", priority_ids=[kept])
    shared = add_action(thread_store, "Shared", priority_ids=[kept, both])
    thread = load_thread(thread_store)
    assert thread.left_without("insight", only) == [
        f"priority P{kept} has no insights", f"action A{action} rests on no notes",
    ]  # "Both" still rests on "Waits", and so does the shared action
    assert thread.left_without("priority", kept) == [f"action A{action} responds to no priority"]
    assert thread.left_without("action", shared) == []
    delete_record(thread_store, "insight", only)
    problems = load_thread(thread_store).problems()
    assert set(thread.left_without("insight", only)) <= set(problems)


def test_a_deleted_record_comes_back_with_what_its_deletion_took(thread_store: Store) -> None:
    waits = add_insight(thread_store, "Waits", note_ids=["n1", "n2", "n3"])
    set_quote_choice(thread_store, waits, "n2", "pin")
    priority = add_priority(thread_store, "Shorter waits", insight_ids=[waits])
    action = add_action(thread_store, "Call-back line", status="agreed",
                        priority_ids=[priority])
    outcome = add_outcome(thread_store, action, "Line opened")
    set_involvement(thread_store, action, "active", "embedded", how="Co-designed the script")
    before = load_thread(thread_store)

    delete_record(thread_store, "action", action)
    delete_record(thread_store, "insight", waits)
    thread_store.erase_notes(["n3"])  # erased since: its link stays gone
    with pytest.raises(StoreError, match="is not deleted"):
        undelete_record(thread_store, "priority", priority)
    with pytest.raises(NotFound, match="no deleted insight I99"):
        undelete_record(thread_store, "insight", 99)

    back = undelete_record(thread_store, "insight", waits)
    assert (back.back, back.stayed_gone) == (4, 1)  # n1, n2, P->I, the pin; not n3
    assert undelete_record(thread_store, "action", action).back == 3
    after = load_thread(thread_store)
    assert after.insights[waits] == before.insights[waits]
    assert after.notes_of_insight(waits) == ["n1", "n2"]
    assert after.pinned_notes(waits) == ["n2"]
    assert after.priorities_of_action(action) == [priority]
    assert after.actions[action] == before.actions[action]
    assert [o["id"] for o in after.outcomes_of_action(action)] == [outcome]
    assert after.involvement[action] == before.involvement[action]
    with pytest.raises(StoreError, match="is not deleted"):
        undelete_record(thread_store, "insight", waits)
    # deleted again, it comes back again, from its latest deletion
    delete_record(thread_store, "priority", priority)
    assert undelete_record(thread_store, "priority", priority).back == 2
    assert load_thread(thread_store).insights_of_priority(priority) == [waits]


def test_an_outcome_is_not_fed_back_before_it_was_seen(thread_store: Store) -> None:
    from datetime import date

    action = add_action(thread_store, "Fund cafes")
    with pytest.raises(ThreadError, match="before it was observed"):
        add_outcome(thread_store, action, "Cafe open", observed_on=date(2026, 5, 1),
                    fed_back_on=date(2026, 4, 1))
    outcome = add_outcome(thread_store, action, "Cafe open", observed_on=date(2026, 5, 1))
    with pytest.raises(ThreadError, match="before it was observed"):
        update_record(thread_store, "outcome", outcome, fed_back_on=date(2026, 4, 30))
    update_record(thread_store, "outcome", outcome, fed_back_on=date(2026, 5, 2))
    assert thread_store.get_record("outcome", outcome)["fed_back"]


def test_what_is_recorded_as_done_has_happened(thread_store: Store) -> None:
    """A report must not say something was fed back, observed or agreed on a day still to
    come; today is allowed, and a due date may be to come."""
    from datetime import timedelta

    tomorrow = uk_today() + timedelta(days=1)
    action = add_action(thread_store, "Fund cafes", due_on=tomorrow)
    for kwargs in ({"observed_on": tomorrow}, {"fed_back_on": tomorrow}):
        with pytest.raises(ThreadError, match="that day is still to come"):
            add_outcome(thread_store, action, "Cafe open", **kwargs)
    outcome = add_outcome(thread_store, action, "Cafe open", observed_on=uk_today())
    with pytest.raises(ThreadError, match="fed back on .*: that day is still to come"):
        update_record(thread_store, "outcome", outcome, fed_back_on=tomorrow)
    assert not thread_store.get_record("outcome", outcome)["fed_back"]
    with pytest.raises(ThreadError, match="agreed on .*: that day is still to come"):
        add_priority(thread_store, "Evening line", agreed_on=tomorrow)
    priority = add_priority(thread_store, "Evening line", agreed_on=uk_today())
    with pytest.raises(ThreadError, match="that day is still to come"):
        update_record(thread_store, "priority", priority, agreed_on=tomorrow)
    assert thread_store.get_record("priority", priority)["agreed_on"] == uk_today()


def test_load_thread_has_leads_quote_choices_pins_in_order(thread_store: Store) -> None:
    from insight.thread import quote_blockers, set_quote_choice

    i1 = add_insight(thread_store, "Spaces", note_ids=["n1", "n2", "n3"])
    assert set_quote_choice(thread_store, i1, "n2", "pin") is None
    assert set_quote_choice(thread_store, i1, "n3", "Leave-out") is None
    assert set_quote_choice(thread_store, i1, "n1", "pin") is None
    thread = load_thread(thread_store)
    assert thread.quote_choices == {i1: {"n2": "pin", "n1": "pin", "n3": "exclude"}}
    assert thread.pinned_notes(i1) == ["n2", "n1"] and thread.left_out_notes(i1) == ["n3"]
    assert thread.without("insight", i1).quote_choices == {}
    assert set_quote_choice(thread_store, i1, "n2", None) == "pin"  # cleared: what it was
    assert load_thread(thread_store).pinned_notes(i1) == ["n1"]
    with pytest.raises(UnknownValue, match="use one of: pin, leave out"):
        set_quote_choice(thread_store, i1, "n1", "best")
    with pytest.raises(NotFound):
        set_quote_choice(thread_store, i1 + 1, "n1", "pin")
    assert quote_blockers(thread_store, "n1") == []
    add(thread_store, note("quiet", "Said no to quotes.", consent_quote=False),
        note("worry", "Flagged by the listener.", safeguarding=True))
    assert quote_blockers(thread_store, "quiet") == ["the person did not agree to be quoted"]
    assert "safeguarding" in " ".join(quote_blockers(thread_store, "worry"))


def test_coproduction_grid_and_stages(store: Store) -> None:
    panel = add_action(store, "Peer panel", stage="contracting")
    survey = add_action(store, "Survey", stage="monitoring")
    forum = add_action(store, "Forum", stage="monitoring")
    add_action(store, "Leaflet")
    assert coproduction(load_thread(store))["sits"] == []  # nothing recorded yet
    set_involvement(store, panel, "Active", " embedded ", how="  scores   the bids ")
    set_involvement(store, survey, "passive", "isolated")
    set_involvement(store, forum, "passive", "isolated")
    found = coproduction(load_thread(store))
    assert found["grid"][("active", "embedded")] == [f"A{panel}"]
    assert found["grid"][("passive", "isolated")] == [f"A{survey}", f"A{forum}"]
    assert found["sits"] == ["passive and isolated"]
    assert (found["recorded"], found["actions"]) == (3, 4)
    assert found["stages"] == [
        ("contracting", {"active": 1, "passive": 0, "not recorded": 0}),
        ("monitoring", {"active": 0, "passive": 2, "not recorded": 0}),
        ("stage not set", {"active": 0, "passive": 0, "not recorded": 1}),
    ]
    assert load_thread(store).involvement[panel]["how"] == "scores the bids"
    set_involvement(store, forum, "active", "isolated")
    assert coproduction(load_thread(store))["sits"] == [  # a tie: both
        "active and embedded", "active and isolated", "passive and isolated"]
    with pytest.raises(UnknownValue, match="active, passive"):
        set_involvement(store, panel, "a bit", "embedded")
    with pytest.raises(UnknownValue, match="embedded .ongoing. or isolated"):
        set_involvement(store, panel, "active")
    assert set_involvement(store, panel, None)["mode"] == "active"  # cleared
    assert panel not in load_thread(store).involvement


def test_an_outcome_seen_before_its_priority_was_agreed_is_a_check(store: Store) -> None:
    add(store, note("n1", "Nobody rang back.", categories=["access-waiting"]))
    insight = add_insight(store, "Waits", categories=["access-waiting"], note_ids=["n1"])
    priority = add_priority(store, "Shorter waits", insight_ids=[insight],
                            agreed_on=date(2026, 11, 2))
    action = add_action(store, "Sanctuary", status="done", priority_ids=[priority])
    add_outcome(store, action, "Opened", observed_on=date(2026, 10, 1))
    [found] = [p for p in load_thread(store).problems() if "before P" in p]
    assert found.startswith("outcome O1 was seen on 2026-10-01, before P1 was agreed on "
                            "2026-11-02")


def test_evidence_a_person_retagged_away_from_its_insight_is_a_check(store: Store) -> None:
    from insight.thread import evidence_retagged

    add(store, note("n1", "Waited a year.", categories=None),
        note("n2", "Nobody rang back.", categories=None))
    insight = add_insight(store, "Waits", categories=["access-waiting"], note_ids=["n1", "n2"])
    assert evidence_retagged(store, load_thread(store)) == []  # the model's reading: left be
    store.set_person_tags("n1", ["cultural-factors"])
    store.set_person_tags("n2", ["access-waiting", "crisis-urgent"])
    [found] = evidence_retagged(store, load_thread(store))
    assert found.startswith(f"insight I{insight} rests on n1, which a person tagged with none "
                            "of its categories (access-waiting)")


def test_an_actions_statuses_are_dated_and_the_reports_say_since_when(store: Store) -> None:
    """A lead records a change after the fact: the day it happened is given, kept with the
    change in the audit log, and checked: never to come, never before the status it
    follows. The same status with a day corrects that day; an undelete keeps the history."""
    action = add_action(store, "Evening crisis line", status="proposed",
                        status_on=date(2026, 9, 1))
    set_action_status(store, action, "agreed", on=date(2026, 9, 20))
    set_action_status(store, action, "in progress")  # today
    thread = load_thread(store)
    assert [(h["status"], h["on"]) for h in thread.statuses[action]] == [
        ("proposed", date(2026, 9, 1)), ("agreed", date(2026, 9, 20)),
        ("in progress", uk_today())]
    assert thread.status_since(action) == uk_today()
    assert thread.trace("action", action)["statuses"][1] == {"status": "agreed",
                                                             "on": "2026-09-20"}
    # the day it started, corrected: not before it was agreed, and not to come
    with pytest.raises(ThreadError, match="it became agreed on 20 September 2026: a later "
                                          "status cannot be dated 19 September 2026"):
        set_action_status(store, action, "in progress", on=date(2026, 9, 19))
    with pytest.raises(ThreadError, match="is still to come"):
        set_action_status(store, action, "done", on=date(2099, 1, 1))
    set_action_status(store, action, "in progress", on=date(2026, 10, 2))
    assert load_thread(store).status_since(action) == date(2026, 10, 2)
    # another field changed is no new status
    update_record(store, "action", action, owner="Crisis team")
    assert len(load_thread(store).statuses[action]) == 3
    delete_record(store, "action", action)
    undelete_record(store, "action", action)
    thread = load_thread(store)
    assert [h["status"] for h in thread.statuses[action]] == ["proposed", "agreed",
                                                               "in progress"]
    assert thread.status_since(action) == date(2026, 10, 2)


def test_an_outcome_seen_before_its_action_began_is_warned_of(store: Store) -> None:
    from insight.thread import outcome_before_action

    action = add_action(store, "Walk-in centre", status="agreed", status_on=date(2026, 10, 1))
    assert outcome_before_action(store, action, date(2026, 10, 2)) == ""
    assert outcome_before_action(store, action, None) == ""
    said = outcome_before_action(store, action, date(2026, 1, 5))
    assert said.startswith("A1 was agreed on 1 October 2026, after this outcome was seen "
                           "(5 January 2026)")


def test_a_history_typed_in_afterwards_is_told_to_date_its_first_status(store: Store) -> None:
    """An action added today, declined in September: the error says how to give the day it
    was proposed first (blind commissioner audit: the command just failed)."""
    from insight.thread import undo_action_status

    action = add_action(store, "Walk-in centre")
    with pytest.raises(ThreadError, match=r"If it was proposed before that, give that day "
                       r"first: `insight actions status A1 proposed --on DAY` \(on or before "
                       r"15 September 2026\)"):
        set_action_status(store, action, "declined", reason="No money", on=date(2026, 9, 15))
    set_action_status(store, action, "proposed", on=date(2026, 9, 1))
    set_action_status(store, action, "declined", reason="No money", on=date(2026, 9, 15))
    assert load_thread(store).status_since(action) == date(2026, 9, 15)
    # agreed today, in progress today: "in progress since 1 November" needs both dated, and
    # the way that works is said (blind docs audit: the hint given failed)
    later = add_action(store, "Evening line", status="agreed")
    set_action_status(store, later, "in progress")
    with pytest.raises(ThreadError, match=r"To date both: take in progress back \(`insight "
                       r"actions status A2 --undo`\), give agreed its day"):
        set_action_status(store, later, "in progress", on=date(2026, 11, 1))
    undo_action_status(store, later)
    set_action_status(store, later, "agreed", on=date(2026, 10, 1))
    set_action_status(store, later, "in progress", on=date(2026, 11, 1))
    assert load_thread(store).status_since(later) == date(2026, 11, 1)


def test_a_status_recorded_by_mistake_is_taken_back(store: Store) -> None:
    """Blind two-quarter audit: 'done' typed by mistake could only be replaced by a later
    status dated after it; taking it back restores the status before with its day and
    leaves the mistake out of the history the reports read (the audit log keeps it)."""
    from insight.thread import undo_action_status

    action = add_action(store, "Evening crisis line", status="proposed",
                        status_on=date(2026, 9, 1))
    with pytest.raises(ThreadError, match="has no status before proposed"):
        undo_action_status(store, action)
    set_action_status(store, action, "agreed", on=date(2026, 9, 25))
    set_action_status(store, action, "done", on=date(2026, 9, 30))
    assert undo_action_status(store, action)["status"] == "agreed"
    thread = load_thread(store)
    assert [(h["status"], h["on"]) for h in thread.statuses[action]] == [
        ("proposed", date(2026, 9, 1)), ("agreed", date(2026, 9, 25))]
    assert thread.status_since(action) == date(2026, 9, 25)
    # the day it started may now be before the mistaken 'done'
    set_action_status(store, action, "in progress", on=date(2026, 9, 27))
    assert load_thread(store).status_since(action) == date(2026, 9, 27)
    undone = [e for e in store.audit_log() if (e["after"] or {}).get("status_undone")]
    assert [e["after"]["status_undone"] for e in undone] == ["done"]
    # taken back twice: to proposed; a third time there is nothing before
    undo_action_status(store, action)
    undo_action_status(store, action)
    assert [h["status"] for h in load_thread(store).statuses[action]] == ["proposed"]
    with pytest.raises(ThreadError, match="no status before"):
        undo_action_status(store, action)


def test_a_withdrawn_priority_stays_in_the_thread_with_why(store: Store) -> None:
    """A priority the leads no longer pursue is not deleted: it is marked, with why and
    since when, corrected by withdrawing again, undone by reinstating, and deleting and
    undeleting the priority keeps it."""
    from insight.thread import withdraw_priority

    priority = add_priority(store, "Evening crisis line", agreed_on=date(2026, 5, 1))
    with pytest.raises(ThreadError, match="say why"):
        withdraw_priority(store, priority, "  ")
    with pytest.raises(ThreadError, match="agreed on 2026-05-01: it cannot be withdrawn on "
                                          "2026-04-01"):
        withdraw_priority(store, priority, "Merged", on=date(2026, 4, 1))
    assert withdraw_priority(store, priority, "The ICB funds a 24-hour line instead",
                             on=date(2026, 10, 1)) is None
    withdrawn = load_thread(store).withdrawn[priority]
    assert (withdrawn["reason"], withdrawn["withdrawn_on"]) == (
        "The ICB funds a 24-hour line instead", date(2026, 10, 1))
    before = withdraw_priority(store, priority, "The ICB funds a 24-hour line", on=None)
    assert before is not None and before["withdrawn_on"] == date(2026, 10, 1)
    delete_record(store, "priority", priority)
    undelete_record(store, "priority", priority)
    assert load_thread(store).withdrawn[priority]["reason"] == "The ICB funds a 24-hour line"
    assert store.reinstate_priority(priority) is not None
    assert priority not in load_thread(store).withdrawn
    assert store.reinstate_priority(priority) is None


def test_a_reinstated_priority_keeps_its_withdrawal_in_the_story(store: Store) -> None:
    """A quarterly audit: reinstating took the withdrawal out of every report's changes,
    and the community page went back to "We are doing" without a word."""
    from insight.thread import reinstate_priority, withdraw_priority

    priority = add_priority(store, "Evening crisis line", agreed_on=date(2026, 9, 1))
    assert reinstate_priority(store, priority) is None  # not withdrawn
    withdraw_priority(store, priority, "The ICB funds a 24-hour line", on=date(2026, 10, 1))
    with pytest.raises(ThreadError, match="cannot be dated 30 September 2026"):
        reinstate_priority(store, priority, on=date(2026, 9, 30))
    with pytest.raises(ThreadError, match="still to come"):
        reinstate_priority(store, priority, on=date(2099, 1, 1))
    assert reinstate_priority(store, priority, on=date(2026, 10, 20)) is not None
    thread = load_thread(store)
    assert priority not in thread.withdrawn
    assert [(c["on"], c["change"], c.get("reason")) for c in
            thread.changes(date(2026, 9, 15), date(2026, 11, 1))] == [
        (date(2026, 10, 1), "withdrawn", "The ICB funds a 24-hour line"),
        (date(2026, 10, 20), "reinstated", None)]
    heard: dict[str, date | None] = {}
    assert thread.as_of(date(2026, 10, 10), heard).withdrawn[priority]["reason"] == (
        "The ICB funds a 24-hour line")  # withdrawn then
    assert priority not in thread.as_of(date(2026, 10, 25), heard).withdrawn
    assert [e["operation"] for e in store.audit_log(record=f"P{priority}")
            if e["record_type"] == "priority"][-1] == "reinstate"


def test_no_new_work_is_linked_to_a_withdrawn_priority(store: Store) -> None:
    """The community page says a withdrawn priority's work stopped: new actions and
    insights are refused until it is reinstated, and an action left open under it is a
    check for the leads."""
    from insight.thread import link_insights, link_priorities, withdraw_priority

    add(store, note("n1", "Nobody rang back.", categories=["access-waiting"]))
    evidence = add_insight(store, "Waits", categories=["access-waiting"], note_ids=["n1"])
    withdrawn = add_priority(store, "Evening crisis line", insight_ids=[evidence])
    pursued = add_priority(store, "Shorter waits", insight_ids=[evidence])
    open_action = add_action(store, "Pilot an evening line", status="in progress",
                             priority_ids=[withdrawn])
    closed = add_action(store, "Survey callers", status="done", priority_ids=[withdrawn])
    withdraw_priority(store, withdrawn, "The ICB funds a 24-hour line")
    with pytest.raises(ThreadError, match=r"P1 was withdrawn on .*: reinstate it first"):
        add_action(store, "Fund a peer group", priority_ids=[pursued, withdrawn])
    assert {a["title"] for a in store.list_records("action")} == {
        "Pilot an evening line", "Survey callers"}
    later = add_action(store, "Fund a peer group", priority_ids=[pursued])
    with pytest.raises(ThreadError, match="reinstate it first"):
        link_priorities(store, later, [withdrawn])
    second = add_insight(store, "More waits", categories=["access-waiting"], note_ids=["n1"])
    with pytest.raises(ThreadError, match="reinstate it first"):
        link_insights(store, withdrawn, [second])
    problems = load_thread(store).problems()
    assert [p for p in problems if "withdrawn" in p] == [
        f"action A{open_action} is in progress but its priority was withdrawn: the "
        "community page says the work stopped; decline the action with why (`insight "
        f"actions status A{open_action} declined --reason ...`) or reinstate the priority"]
    assert not any(f"A{closed} " in p for p in problems if "withdrawn" in p)
    store.reinstate_priority(withdrawn)
    assert link_priorities(store, later, [withdrawn]) == 1
    assert not any("withdrawn" in p for p in load_thread(store).problems())


def test_a_listeners_notes_are_followed_to_what_came_of_them(store: Store) -> None:
    """A peer listener's blind audit: a note's trace gave no titles, no outcome seen or fed
    back, no report that quoted it, and a listener could not follow all their notes."""
    from insight.thread import trace_listener, trace_note, withdraw_priority

    add(store,
        note("g1", "Eight months on the list.", listener="L-G01"),
        note("g2", "Nobody rang back.", listener="L-G01"),
        note("g3", "The cafe shut.", listener="L-G01"),
        note("x1", "Waiting and waiting.", listener="L-X02"))
    waits = add_insight(store, "Long waits", note_ids=["g1", "g2", "x1"])
    alone = add_insight(store, "Nobody calls", note_ids=["g2"])
    calls = add_priority(store, "No one waits alone", insight_ids=[waits, alone])
    line = add_priority(store, "Evening line", insight_ids=[alone])
    withdraw_priority(store, line, "The ICB funds one", on=date(2026, 10, 1))
    monthly = add_action(store, "Monthly calls", owner="Service lead", status="agreed",
                         status_on=date(2026, 9, 10), priority_ids=[calls])
    walk_in = add_action(store, "Walk-in centre", status="declined", reason="No budget",
                         status_on=date(2026, 9, 1), priority_ids=[calls])
    seen = add_outcome(store, monthly, "Calls started", observed_on=date(2026, 10, 1),
                       fed_back_on=date(2026, 10, 20))
    thread = load_thread(store)

    followed = thread.follow(["g2"])
    assert followed["insights"] == [
        {"insight": f"I{waits}", "title": "Long waits", "notes": ["g2"],
         "priorities": [f"P{calls}"]},
        {"insight": f"I{alone}", "title": "Nobody calls", "notes": ["g2"],
         "priorities": [f"P{calls}", f"P{line}"]}]
    assert followed["priorities"][1] == {
        "priority": f"P{line}", "title": "Evening line",
        "withdrawn": {"on": "2026-10-01", "reason": "The ICB funds one"}, "notes": ["g2"],
        "insights": [f"I{alone}"], "actions": []}
    assert followed["actions"] == [
        {"action": f"A{monthly}", "title": "Monthly calls", "status": "agreed",
         "since": "2026-09-10", "owner": "Service lead", "reason": None, "notes": ["g2"],
         "priorities": [f"P{calls}"],
         "outcomes": [{"outcome": f"O{seen}", "description": "Calls started",
                       "seen_on": "2026-10-01", "fed_back": True,
                       "fed_back_on": "2026-10-20"}]},
        {"action": f"A{walk_in}", "title": "Walk-in centre", "status": "declined",
         "since": "2026-09-01", "owner": None, "reason": "No budget", "notes": ["g2"],
         "priorities": [f"P{calls}"], "outcomes": []}]
    assert thread.follow(["g3"]) == {"insights": [], "priorities": [], "actions": []}

    assert trace_note(store, thread, "g1")["quoted_in"] == []
    store.record_report(["/reports/q3.html"], "community", ["g1"])
    traced = trace_note(store, thread, "g1")
    assert traced["note"] == "g1" and traced["insights"][0]["notes"] == ["g1"]
    [quoted] = traced["quoted_in"]
    assert (quoted["file"], quoted["audience"]) == ("/reports/q3.html", "community")
    assert quoted["written"] == [str(store.audit_log()[-1]["at"])[:10]]
    assert "x1" not in str(traced)  # another listener's note is not named

    mine = trace_listener(store, thread, " l-g01 ")
    assert (mine["listener"], mine["notes"], mine["in_insights"]) == ("L-G01", 3, 2)
    assert mine["behind"] == {"actions": {"agreed": 1, "declined": 1}, "outcomes": 1,
                              "fed_back": 1}
    assert mine["insights"][0]["notes"] == ["g1", "g2"]  # x1 is L-X02's
    assert mine["priorities"][0]["notes"] == ["g1", "g2"]
    assert mine["priorities"][1]["notes"] == ["g2"]
    with pytest.raises(NotFound, match=r"no live notes by listener 'L-G1' \(did you mean "
                                       r"'L-G01'\?\)"):
        trace_listener(store, thread, "L-G1")
