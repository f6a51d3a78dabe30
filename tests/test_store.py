"""The store on real SQLite and PostgreSQL: schema version, audit log, safeguarding, erasure."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text, update

from insight.intake import ingest_file
from insight.store import (
    SCHEMA_VERSION,
    ModelTagging,
    Store,
    StoreError,
    audit,
    meta,
    now,
)
from insight.thread import (
    add_action,
    add_insight,
    add_outcome,
    add_priority,
    load_thread,
    set_action_status,
)
from tests.notes import add, note
from tests.run import run_cli

TEXT_1 = "The cafe on Tuesdays keeps me going, I would not get out of bed otherwise."
TEXT_2 = "Waited eight months for therapy and nobody called to check on me."
TEXT_3 = "My key worker changes every month so I tell my story again and again."
EVIDENCE = "nobody called to check on me"


@pytest.fixture
def noted(store: Store) -> Store:
    add(
        store,
        note("n1", TEXT_1, categories=["community-support"], listener="L1", place="Leeds"),
        note("n2", TEXT_2, categories=["access-waiting"], listener="L1", place="Leeds"),
        note("n3", TEXT_3, categories=None, listener="L2", place="York"),
    )
    return store


def entries(store: Store, record_type: str, operation: str) -> list[dict]:
    return [
        e for e in store.audit_log()
        if e["record_type"] == record_type and e["operation"] == operation
    ]


def all_audit_json(store: Store) -> str:
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(audit.select())]
    return json.dumps(rows, default=str, ensure_ascii=False)


# -- schema version -------------------------------------------------------------------------


def test_schema_version_is_stored(store: Store, db_url: str) -> None:
    assert store.schema_version == SCHEMA_VERSION
    with store.engine.connect() as conn:
        stored = conn.execute(meta.select()).all()
    assert [(r.key, r.value) for r in stored] == [("schema_version", str(SCHEMA_VERSION))]
    with Store.open(db_url, create=False) as again:  # reopening an existing DB works
        assert again.schema_version == SCHEMA_VERSION


def test_other_schema_version_is_refused(store: Store, db_url: str) -> None:
    with store.begin() as conn:
        conn.execute(update(meta).where(meta.c.key == "schema_version").values(value="99"))
    store.close()
    with pytest.raises(StoreError) as caught:
        Store.open(db_url)
    assert str(caught.value) == (
        f"database schema version 99, but this insight uses {SCHEMA_VERSION}"
    )


def test_other_schema_version_is_one_line_from_the_cli(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    with store.begin() as conn:
        conn.execute(update(meta).where(meta.c.key == "schema_version").values(value="2"))
    store.close()
    (tmp_path / "insight.toml").write_text(f'[insight]\ndb = "{db_url}"\n', encoding="utf-8")
    result = run_cli("audit", "-w", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: database schema version 2, but this insight uses {SCHEMA_VERSION}"
    )


def test_open_without_create_refuses_an_empty_database(db_url: str) -> None:
    with pytest.raises(StoreError, match="not an insight database"):
        Store.open(db_url, create=False)


# -- audit log ------------------------------------------------------------------------------


def test_renaming_a_category_moves_its_tags_and_insights_audited(noted: Store) -> None:
    """After a codebook renames or merges categories, labels keep teaching the model and
    notes stay in the counts; a note tagged both by one source keeps one tag."""
    noted.set_person_tags("n1", ["community-support", "peer-support"])
    noted.save_model_tags(
        [ModelTagging("n1", {"community-support": 0.8}, ["community-support"],
                      {"community-support": "keeps me going"}, False, "positive")],
        model_version="m1", codebook_version="1",
    )
    first = add_insight(noted, "Groups keep people going", categories=["community-support"],
                        note_ids=["n1"])
    other = add_insight(noted, "Waiting", categories=["access-waiting"], note_ids=["n2"])
    moved = noted.rename_category("community-support", "peer-support")
    assert moved == {"person": 1, "model": 1, "insights": 1}
    by_note = {(t["category"], t["source"]): t for t in noted.tags_for(["n1"])}
    assert set(by_note) == {("peer-support", "person"), ("peer-support", "model")}
    model_tag = by_note[("peer-support", "model")]
    assert model_tag["confidence"] == pytest.approx(0.8)
    assert model_tag["evidence"] == "keeps me going" and model_tag["model_version"] == "m1"
    thread = load_thread(noted)
    assert thread.insights[first]["categories"] == ["peer-support"]
    assert thread.insights[other]["categories"] == ["access-waiting"]
    created = [e for e in entries(noted, "tag", "create")
               if e["record_id"] == "n1/peer-support/model"]
    assert created and created[-1]["after"]["renamed_from"] == "community-support"
    assert "n1/community-support/person" in {e["record_id"]
                                             for e in entries(noted, "tag", "delete")}
    assert noted.rename_category("community-support", "peer-support") == {
        "person": 0, "model": 0, "insights": 0}


def test_note_and_tag_changes_are_audited(noted: Store) -> None:
    before_test = now() - timedelta(seconds=5)
    created = {e["record_id"]: e for e in entries(noted, "note", "create")}
    assert set(created) == {"n1", "n2", "n3"}
    n1 = created["n1"]
    assert n1["actor"] == "tester" and n1["before"] is None
    assert before_test <= n1["at"] <= now() + timedelta(seconds=5)
    assert n1["after"]["listener"] == "L1" and n1["after"]["text_chars"] == len(TEXT_1)
    assert "text" not in n1["after"]
    tag_creates = {e["record_id"] for e in entries(noted, "tag", "create")}
    assert tag_creates == {"n1/community-support/person", "n2/access-waiting/person"}

    noted.set_person_tags("n1", ["daily-living"])
    deleted = entries(noted, "tag", "delete")
    assert [(e["record_id"], e["actor"], e["after"]) for e in deleted] == [
        ("n1/community-support/person", "tester", None)
    ]
    assert deleted[0]["before"]["category"] == "community-support"
    assert deleted[0]["before"]["author"] == "tester"
    [label] = entries(noted, "note", "update")
    assert label["record_id"] == "n1"
    assert label["before"]["labelled"] is True and label["after"]["labelled"] is True
    assert "n1/daily-living/person" in {e["record_id"] for e in entries(noted, "tag", "create")}

    noted.save_model_tags(
        [ModelTagging("n2", {"access-waiting": 0.91}, ["access-waiting"],
                      {"access-waiting": EVIDENCE}, False, "negative")],
        model_version="m1", codebook_version="1",
    )
    noted.save_model_tags(
        [ModelTagging("n2", {"crisis-urgent": 0.7}, ["crisis-urgent"], {}, False, "negative")],
        model_version="m2", codebook_version="1",
    )
    model_deleted = [e for e in entries(noted, "tag", "delete") if "/model" in e["record_id"]]
    assert [(e["record_id"], e["before"]["model_version"]) for e in model_deleted] == [
        ("n2/access-waiting/model", "m1")
    ]
    assert model_deleted[0]["before"]["evidence_chars"] == len(EVIDENCE)
    retag = [e for e in entries(noted, "note", "update") if e["record_id"] == "n2"]
    assert [(e["before"]["tagged_with"], e["after"]["tagged_with"]) for e in retag] == [
        (None, "m1"), ("m1", "m2")
    ]
    assert [
        (t["category"], t["source"]) for t in noted.tags_for(["n2"])
    ] == [("access-waiting", "person"), ("crisis-urgent", "model")]


def test_a_batch_of_model_tags_is_written_like_one_note_at_a_time(store: Store) -> None:
    """Tagging writes a whole batch at once: more notes than one `IN (...)` holds, each
    with its old model tags replaced and audited, people's tags kept, a flag queued once."""
    n = 1203  # over two chunks of 500 ids
    add(store, *[note(f"b{i:04d}", f"Note number {i}.", categories=["carers-family"] if i % 3 == 0
                      else None) for i in range(n)])
    ids = [f"b{i:04d}" for i in range(n)]

    def tagging(note_id: str, category: str, flag: bool) -> ModelTagging:
        return ModelTagging(
            note_id, {category: 0.8}, [category], {category: "Note"}, flag, "neutral"
        )

    store.save_model_tags([tagging(i, "access-waiting", i == "b0007") for i in ids], "m1", "1")
    store.save_model_tags(
        [tagging(i, "crisis-urgent", i in ("b0007", "b1202")) for i in ids], "m2", "1"
    )
    by_note: dict[str, list[tuple[str, str]]] = {}
    for t in store.tags_for():
        by_note.setdefault(t["note_id"], []).append((t["category"], t["source"]))
    assert by_note["b0000"] == [("carers-family", "person"), ("crisis-urgent", "model")]
    assert by_note["b1202"] == [("crisis-urgent", "model")]
    assert all(("crisis-urgent", "model") in tags and ("access-waiting", "model") not in tags
               for tags in by_note.values()) and len(by_note) == n
    assert sum(len(tags) for tags in by_note.values()) == n + len(range(0, n, 3))
    stored = {r["id"]: r for batch in store.iter_notes() for r in batch}
    assert {r["tagged_with"] for r in stored.values()} == {"m2"}
    assert stored["b0007"]["model_safeguarding"] and not stored["b0001"]["model_safeguarding"]
    assert [q["note_id"] for q in store.safeguarding_items()] == ["b0007", "b1202"]
    assert {q["reason"] for q in store.safeguarding_items()} == {"model flag"}
    # the audit holds every change, in order, for every note
    log = [(e["operation"], e["record_type"], e["record_id"]) for e in store.audit_log("b1202")]
    assert log == [
        ("create", "note", "b1202"),
        ("create", "tag", "b1202/access-waiting/model"), ("update", "note", "b1202"),
        ("delete", "tag", "b1202/access-waiting/model"),
        ("create", "tag", "b1202/crisis-urgent/model"), ("update", "note", "b1202"),
        ("create", "safeguarding", "2"),  # its queue item: the second note flagged
    ]
    updates = [e for e in store.audit_log("b0500") if e["operation"] == "update"]
    assert [(e["before"]["tagged_with"], e["after"]["tagged_with"]) for e in updates] == [
        (None, "m1"), ("m1", "m2")
    ]
    assert len(entries(store, "tag", "delete")) == n


def test_the_models_experience_confidence_is_kept_with_its_reading(noted: Store) -> None:
    """Kept beside the model's experience value: replaced when the note is read again,
    gone when its words are replaced (the model has not read the new ones), and carried
    under the tombstone id when the note is erased (a number, not the person's words)."""
    def read(note_id: str, felt: float | None) -> ModelTagging:
        return ModelTagging(note_id, {}, [], {}, False, "negative",
                            experience_confidence=felt)

    noted.save_model_tags([read("n1", 0.81), read("n2", 0.47), read("n3", None)], "m1", "1")
    assert noted.experience_confidence(["n1", "n2", "n3"]) == {"n1": 0.81, "n2": 0.47}
    noted.save_model_tags([read("n1", 0.55)], "m2", "1")
    assert noted.experience_confidence(["n1", "n2"]) == {"n1": 0.55, "n2": 0.47}
    assert noted.replace_note_text("n1", "Other words now.", "f" * 64)
    assert noted.experience_confidence(["n1"]) == {}
    assert noted.erase_notes(["n2"]) == 1
    tombstone = noted.get_note("n2")["id"]
    assert tombstone != "n2"
    assert noted.experience_confidence([tombstone, "n2"]) == {tombstone: 0.47}


def test_the_safeguarding_score_is_kept_with_the_models_reading(noted: Store) -> None:
    """The classifier's score and the score it flags from, which hold a note near the flag
    back from the quotes the software picks: replaced when the note is read again, gone
    when its words are replaced, carried under the tombstone id when it is erased."""
    def read(note_id: str, score: float | None, flags_from: float = 0.18) -> ModelTagging:
        return ModelTagging(note_id, {}, [], {}, False, "negative",
                            safeguarding_score=score, safeguarding_threshold=flags_from)

    noted.save_model_tags([read("n1", 0.12), read("n2", 0.03), read("n3", None)], "m1", "1")
    assert noted.safeguarding_scores(["n1", "n2", "n3"]) == {
        "n1": (0.12, 0.18), "n2": (0.03, 0.18)}
    noted.save_model_tags([read("n1", 0.2, 0.25)], "m2", "1")
    assert noted.safeguarding_scores(["n1", "n2"]) == {"n1": (0.2, 0.25), "n2": (0.03, 0.18)}
    assert noted.replace_note_text("n1", "Other words now.", "f" * 64)
    assert noted.safeguarding_scores(["n1"]) == {}
    assert noted.erase_notes(["n2"]) == 1
    tombstone = noted.get_note("n2")["id"]
    assert noted.safeguarding_scores([tombstone, "n2"]) == {tombstone: (0.03, 0.18)}


def test_the_queue_says_what_raised_a_model_flag(noted: Store) -> None:
    why = "phrase list: self-harm; classifier 0.91 (flags from 0.12)"
    noted.save_model_tags(
        [ModelTagging("n3", {}, [], {}, True, "negative", safeguarding_why=why)], "m1", "1"
    )
    [item] = noted.safeguarding_items()
    assert item["note_id"] == "n3" and item["reason"] == f"model: {why}"
    assert item["flagged_by"] == "model:m1"


def test_model_tags_for_an_unknown_note_change_nothing(noted: Store) -> None:
    before = all_audit_json(noted)
    results = [
        ModelTagging("n1", {"crisis-urgent": 0.9}, ["crisis-urgent"], {}, True, "negative"),
        ModelTagging("gone", {"crisis-urgent": 0.9}, ["crisis-urgent"], {}, True, "negative"),
    ]
    with pytest.raises(StoreError, match="no note 'gone'"):
        noted.save_model_tags(results, "m1", "1")
    assert all_audit_json(noted) == before
    assert [t["source"] for t in noted.tags_for(["n1"])] == ["person"]
    assert noted.safeguarding_items() == []


def test_a_note_given_twice_in_one_batch_keeps_its_last_tags(noted: Store) -> None:
    noted.save_model_tags(
        [
            ModelTagging("n3", {"crisis-urgent": 0.9}, ["crisis-urgent"], {}, False, "negative"),
            ModelTagging("n3", {"daily-living": 0.6}, ["daily-living"], {}, False, "mixed"),
        ],
        "m1", "1",
    )
    assert [(t["category"], t["source"]) for t in noted.tags_for(["n3"])] == [
        ("daily-living", "model")
    ]
    assert noted.get_note("n3")["model_experience"] == "mixed"


def test_thread_records_are_audited_with_before_and_after(noted: Store) -> None:
    insight = add_insight(noted, "Spaces matter", categories=["community-support"],
                          note_ids=["n1", "n2"])
    priority = add_priority(noted, "Community spaces", insight_ids=[insight])
    action = add_action(noted, "Fund cafes", owner="ICB", priority_ids=[priority])
    outcome = add_outcome(noted, action, "Two cafes funded")
    noted.update_record("insight", insight, title="Warm spaces matter")
    noted.update_record("priority", priority, description="Agreed at the March forum")
    set_action_status(noted, action, "declined", reason="No budget")
    noted.update_record("outcome", outcome, fed_back=True)

    for kind, record_id, field, old, new in [
        ("insight", insight, "title", "Spaces matter", "Warm spaces matter"),
        ("priority", priority, "description", None, "Agreed at the March forum"),
        ("action", action, "status", "proposed", "declined"),
        ("outcome", outcome, "fed_back", False, True),
    ]:
        [created] = [e for e in entries(noted, kind, "create")
                     if e["record_id"] == str(record_id)]
        assert created["actor"] == "tester" and created["before"] is None
        assert created["after"]["id"] == record_id
        [updated] = [e for e in entries(noted, kind, "update")
                     if e["record_id"] == str(record_id)]
        assert updated["actor"] == "tester"
        assert (updated["before"][field], updated["after"][field]) == (old, new), kind
        assert isinstance(updated["at"], datetime)

    links = {(e["record_type"], e["record_id"]) for e in entries(noted, "insight_notes", "create")}
    assert links == {("insight_notes", f"{insight}->n1"), ("insight_notes", f"{insight}->n2")}

    noted.delete_record("action", action)  # takes its outcome and links with it
    noted.delete_record("priority", priority)
    noted.delete_record("insight", insight)
    for kind, record_id, title_field, title in [
        ("outcome", outcome, "description", "Two cafes funded"),
        ("action", action, "title", "Fund cafes"),
        ("priority", priority, "title", "Community spaces"),
        ("insight", insight, "title", "Warm spaces matter"),
    ]:
        [deleted] = [e for e in entries(noted, kind, "delete")
                     if e["record_id"] == str(record_id)]
        assert deleted["after"] is None and deleted["before"][title_field] == title
    unlinked = {
        (e["record_type"], e["record_id"]) for e in noted.audit_log() if e["operation"] == "delete"
        and e["record_type"] in ("insight_notes", "priority_insights", "action_priorities")
    }
    assert unlinked == {
        ("action_priorities", f"{action}->{priority}"),
        ("priority_insights", f"{priority}->{insight}"),
        ("insight_notes", f"{insight}->n1"),
        ("insight_notes", f"{insight}->n2"),
    }
    # `audit --record P1` style lookups find a record's whole history.
    history = noted.audit_log(f"P{priority}")
    assert [e["operation"] for e in history if e["record_type"] == "priority"] == [
        "create", "update", "delete"]
    # with the links made to and from it, and taken away (`audit --record P1`)
    assert {(e["operation"], e["record_type"], e["record_id"])
            for e in history if e["record_type"] != "priority"} == {
        ("create", "priority_insights", f"{priority}->{insight}"),
        ("delete", "priority_insights", f"{priority}->{insight}"),
        ("create", "action_priorities", f"{action}->{priority}"),
        ("delete", "action_priorities", f"{action}->{priority}"),
    }
    note_history = {(e["record_type"], e["record_id"]) for e in noted.audit_log("n1")}
    assert ("insight_notes", f"{insight}->n1") in note_history


def test_an_actions_history_holds_its_outcomes(noted: Store) -> None:
    """`audit --record A1` gives what was seen after the action, not only the action: its
    outcomes name it in a column, not a link, and another action's outcome stays out."""
    priority = add_priority(noted, "Community spaces")
    action = add_action(noted, "Fund cafes", owner="ICB", priority_ids=[priority])
    other = add_action(noted, "Open late", owner="Trust", priority_ids=[priority])
    outcome = add_outcome(noted, action, "Two cafes funded")
    elsewhere = add_outcome(noted, other, "Opens till 8")
    noted.update_record("outcome", outcome, fed_back=True)
    history = [(e["operation"], e["record_type"], e["record_id"])
               for e in noted.audit_log(f"A{action}")]
    assert ("create", "outcome", str(outcome)) in history
    assert ("update", "outcome", str(outcome)) in history
    assert all(r != str(elsewhere) for _, kind, r in history if kind == "outcome")
    noted.delete_record("outcome", outcome)  # deleted, it is still in the action's history
    assert ("delete", "outcome", str(outcome)) in [
        (e["operation"], e["record_type"], e["record_id"]) for e in noted.audit_log(f"A{action}")]


def test_audit_actor_comes_from_insight_user(db_url: str, monkeypatch) -> None:
    monkeypatch.setenv("INSIGHT_USER", "lead-anna")
    with Store.open(db_url) as store:
        add(store, note("a1", "Some words"))
        assert {e["actor"] for e in store.audit_log()} == {"lead-anna"}


# -- safeguarding ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def phrase_screen() -> Callable[[str], str | None]:
    from insight.classify.safeguarding import phrase_screen as make

    return make()


def test_listener_flag_and_phrase_screen_reach_the_queue_untagged(
    store: Store, tmp_path: Path, phrase_screen: Callable[[str], str | None]
) -> None:
    path = tmp_path / "notes.jsonl"
    rows = [
        {"id": "s1", "text": "Talked about her allotment and the weather.", "safeguarding": True,
         "listener": "L-12"},
        {"id": "s2", "text": "He said some days he wants to end it all."},
        {"id": "s3", "text": "The group was cancelled again this week."},
        {"id": "s4", "text": "Says she might kill myself, quoting her son.", "safeguarding": True},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = ingest_file(
        store, path, category_ids=None, quarantine_dir=tmp_path / "q", screen=phrase_screen
    )
    assert (report.accepted, report.flagged) == (4, 3)
    items = {i["note_id"]: i for i in store.safeguarding_items()}
    assert set(items) == {"s1", "s2", "s4"}
    # The listener raised it, not the login that ran the ingest (that is audited).
    assert items["s1"]["flagged_by"] == "listener:L-12"
    assert items["s1"]["reason"] == "flagged by the listener at intake"
    [created] = [e for e in entries(store, "safeguarding", "create")
                 if e["after"]["note_id"] == "s1"]
    assert (created["actor"], created["after"]["flagged_by"]) == ("tester", "listener:L-12")
    assert items["s4"]["flagged_by"] == "listener"  # no listener named; not a second item
    assert items["s2"]["flagged_by"] == "screen:phrase-list"
    assert items["s2"]["reason"].startswith("phrase list v")
    assert "suicidal-thoughts" in items["s2"]["reason"]
    # Flagged before any tagging: no model has seen these notes.
    for note_id in items:
        assert store.get_note(note_id)["tagged_with"] is None
    assert [t for t in store.tags_for() if t["source"] == "model"] == []
    assert all(i["acknowledged_at"] is None for i in items.values())
    # Re-ingesting does not flag again.
    again = ingest_file(
        store, path, category_ids=None, quarantine_dir=tmp_path / "q", screen=phrase_screen
    )
    assert (again.already_present, again.flagged) == (4, 0)
    assert len(store.safeguarding_items(open_only=False)) == 3
    # A listener's yes added later to a note the phrase list queued is a person's concern
    # of its own: it is queued beside it, named, and outlives a false-alarm judgement.
    rows[1]["safeguarding"], rows[1]["listener"] = True, "L-7"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    later = ingest_file(
        store, path, category_ids=None, quarantine_dir=tmp_path / "q", screen=phrase_screen
    )
    assert later.flagged == 1
    by = sorted(i["flagged_by"] for i in store.safeguarding_items() if i["note_id"] == "s2")
    assert by == ["listener:L-7", "screen:phrase-list"]


def test_acknowledge_records_who_and_when_once(noted: Store, db_url: str) -> None:
    noted.flag_safeguarding("n2", reason="mentions being alone")
    [item] = noted.safeguarding_items()
    with Store.open(db_url, actor="lead-bo") as lead:
        before = now()
        row = lead.acknowledge_safeguarding(item["id"], "rang the next day")
        assert row["acknowledged_by"] == "lead-bo"
        assert before - timedelta(seconds=1) <= row["acknowledged_at"] <= now()
        with pytest.raises(StoreError) as caught:
            lead.acknowledge_safeguarding(item["id"], "rang again")
        assert str(caught.value).startswith(
            f"safeguarding item {item['id']} was already acknowledged by lead-bo at ")
        with pytest.raises(StoreError, match="no safeguarding item 9999"):
            lead.acknowledge_safeguarding(9999, "rang her")
        for blank in (None, "", "  "):  # closing an item with no record of what was done
            with pytest.raises(StoreError, match="say what was done"):
                lead.acknowledge_safeguarding(item["id"], blank)
    assert noted.safeguarding_items() == []
    [stored] = noted.safeguarding_items(open_only=False)
    assert (stored["acknowledged_by"], stored["ack_note"]) == ("lead-bo", "rang the next day")
    [ack] = entries(noted, "safeguarding", "update")
    assert ack["actor"] == "lead-bo"
    assert ack["before"]["acknowledged_at"] is None
    assert ack["after"]["acknowledged_by"] == "lead-bo"


def test_two_people_acknowledging_at_once_one_wins(noted: Store, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL row locks to hold both people at the same moment")
    noted.flag_safeguarding("n1")
    [item] = noted.safeguarding_items()
    results: list[tuple[str, str]] = []

    def acknowledge(who: str) -> None:
        with Store.open(db_url, actor=who) as lead:
            try:
                results.append(("ok", lead.acknowledge_safeguarding(
                    item["id"], f"{who} rang")["acknowledged_by"]))
            except StoreError as exc:
                results.append(("refused", str(exc)))

    locker = create_engine(db_url)
    try:
        with locker.connect() as conn:
            held = conn.begin()
            conn.execute(
                text("SELECT id FROM safeguarding_queue WHERE id = :i FOR UPDATE"),
                {"i": item["id"]},
            )
            people = [threading.Thread(target=acknowledge, args=(w,)) for w in ("ana", "ben")]
            for person in people:
                person.start()
            deadline = time.monotonic() + 20
            waiting = 0
            while waiting < 2 and time.monotonic() < deadline:  # both have read, both wait
                time.sleep(0.05)
                with locker.connect() as watch:
                    waiting = watch.execute(text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )).scalar_one()
            held.rollback()
        for person in people:
            person.join(30)
    finally:
        locker.dispose()
    assert waiting == 2
    assert sorted(kind for kind, _ in results) == ["ok", "refused"]
    [winner] = [who for kind, who in results if kind == "ok"]
    [stored] = noted.safeguarding_items(open_only=False)
    assert stored["acknowledged_by"] == winner
    assert len(entries(noted, "safeguarding", "update")) == 1


# -- erasure --------------------------------------------------------------------------------


def test_erase_leaves_an_audited_tombstone_and_drops_links(noted: Store) -> None:
    insight = add_insight(noted, "Waiting and spaces", note_ids=["n1", "n2"])
    noted.save_model_tags(
        [ModelTagging("n2", {"access-waiting": 0.9}, ["access-waiting"],
                      {"access-waiting": EVIDENCE}, False, None)],
        model_version="m1", codebook_version="1",
    )
    assert load_thread(noted).notes_of_insight(insight) == ["n1", "n2"]
    # a reason typed by hand that names the person (blind DPO audit: kept after erasure)
    noted.set_consent("n2", reason="asked again by Mr Jeremiah Flintock-Brown, 07700 900888",
                      consent_quote=False)

    assert noted.erase_notes(["n2"], reason="asked to be forgotten") == 1

    tomb = noted.get_note("n2")
    assert tomb is not None and tomb["erased_at"] is not None
    assert tomb["text"] is None
    # kept under a keyed hash of its id (ids can hold names), and of its text's hash
    # (which alone would confirm a guessed text): only the workspace's key makes it again
    gone = tomb["id"]
    assert gone.startswith("erased-") and gone == noted.tombstone_id("n2")
    from insight.intake import text_hash

    assert text_hash(TEXT_2) not in str(tomb)
    assert tomb["content_hash"] == noted.erased_text_mark(text_hash(TEXT_2))
    assert noted.existing_notes(["n2"]) == {"n2": tomb["content_hash"]}
    assert noted.erased_texts([text_hash(TEXT_2), text_hash("other")]) == {text_hash(TEXT_2)}
    assert (tomb["listener"], tomb["place"], tomb["setting"], tomb["heard_on"]) == (
        None, None, None, None
    )
    assert tomb["community"] == [] and tomb["consent_quote"] is False
    assert noted.count_notes() == 2 and noted.count_notes(include_erased=True) == 3
    assert "n2" not in {n["id"] for batch in noted.iter_notes() for n in batch}
    assert noted.tags_for(["n2"]) == []
    assert {t["evidence"] for t in noted.tags_for([gone])} == {None}
    assert load_thread(noted).notes_of_insight(insight) == ["n1"]

    [erase] = entries(noted, "note", "erase")
    assert erase["record_id"] == gone and erase["actor"] == "tester"
    assert erase["after"]["reason"] == "asked to be forgotten"
    assert "text" not in erase["before"] and "text" not in erase["after"]
    for field in ("listener", "place", "heard_on", "community", "setting"):
        assert field not in erase["before"], field
    assert erase["before"]["id"] == gone
    [unlink] = entries(noted, "insight_notes", "delete")
    assert unlink["record_id"] == f"{insight}->{gone}"
    assert [e["record_id"] for e in noted.audit_log("n2")] == [
        e["record_id"] for e in noted.audit_log(gone)
    ]
    [consent] = [e for e in entries(noted, "note", "update") if e["record_id"] == gone
                 and "consent_quote" in (e["after"] or {})]
    assert consent["after"]["reason"] == "asked again by Mr [PERSON], [PHONE]"
    # The note's create entry no longer carries who heard it or where.
    [created] = [e for e in entries(noted, "note", "create") if e["record_id"] == gone]
    assert created["after"]["listener"] is None and created["after"]["place"] is None
    assert created["after"]["text_chars"] == len(TEXT_2)
    # n1 is untouched.
    [kept] = [e for e in entries(noted, "note", "create") if e["record_id"] == "n1"]
    assert kept["after"]["listener"] == "L1"
    assert noted.get_note("n1")["text"] == TEXT_1

    assert noted.erase_notes(["n2", "no-such-note"]) == 0  # nothing left to erase
    assert len(entries(noted, "note", "erase")) == 1


def test_no_note_text_in_the_audit_table_at_all(noted: Store, db_url: str) -> None:
    noted.set_person_tags("n3", ["continuity-relationships"])
    noted.save_model_tags(
        [ModelTagging("n2", {"access-waiting": 0.9}, ["access-waiting"],
                      {"access-waiting": EVIDENCE}, True, "negative")],
        model_version="m1", codebook_version="1",
    )
    add_insight(noted, "Waiting", note_ids=["n2", "n3"])
    noted.flag_safeguarding("n3", reason="phrase list")
    noted.erase_notes(["n3"])
    dump = all_audit_json(noted)
    assert '"n2"' in dump and "access-waiting" in dump  # the dump is the real audit table
    for words in (TEXT_1, TEXT_2, TEXT_3, EVIDENCE, "key worker", "eight months"):
        assert words not in dump, words
    assert "York" not in dump  # n3 (erased) was heard in York; n1 and n2 in Leeds
    assert "L2" not in dump
    assert '"n3"' not in dump and "n3/" not in dump and "->n3" not in dump  # its id either
    assert noted.safeguarding_items()[-1]["note_id"] == noted.tombstone_id("n3")


def test_cli_erase_by_listener(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    assert run_cli("init", str(folder), "--db", db_url, cwd=tmp_path).returncode == 0
    path = tmp_path / "notes.jsonl"
    rows = [
        {"id": "e1", "text": "First note by the leaving listener", "listener": "L-gone"},
        {"id": "e2", "text": "Second note by the leaving listener", "listener": "L-gone"},
        {"id": "e3", "text": "A note by someone else", "listener": "L-stays"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    ingested = run_cli("ingest", "-w", str(folder), "--no-screen", str(path), cwd=tmp_path)
    assert ingested.returncode == 0, ingested.stderr

    # a listener's notes go for good: asked first, and "no" erases nothing
    import subprocess
    import sys

    asked = subprocess.run(
        [sys.executable, "-m", "insight", "erase", "-w", str(folder), "--listener", "L-gone"],
        input="n\n", capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert asked.returncode == 1 and "Erase 2 notes by listener 'L-gone' for good?" in (
        asked.stdout)
    assert Store.open(db_url).get_note("e1")["text"] is not None
    result = run_cli(
        "erase", "-w", str(folder), "--listener", "L-gone", "--reason", "left the project",
        "--yes", cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "erased 2 notes", "reports, exports and backups written before now still hold these "
        "notes: delete or replace them (`insight restore` erases them again from a backup)"]
    with Store.open(db_url) as store:
        assert store.get_note("e1")["text"] is None and store.get_note("e2")["text"] is None
        assert store.get_note("e3")["text"] == "A note by someone else"
        assert store.note_ids_for_listener("L-gone") == []
        erased = entries(store, "note", "erase")
        assert sorted(e["record_id"] for e in erased) == sorted(
            store.tombstone_id(n) for n in ("e1", "e2")
        )
        assert {e["actor"] for e in erased} == {"cli-tester"}
        assert {e["after"]["reason"] for e in erased} == {"left the project"}
        dump = all_audit_json(store)
    assert "leaving listener" not in dump and "L-gone" not in dump
    def said(result) -> str:  # the error box's text on one line
        return " ".join(result.stderr.replace("│", " ").split())

    again = run_cli("erase", "-w", str(folder), "--listener", "L-gone", cwd=tmp_path)
    assert again.returncode == 2 and "no live notes by listener 'L-gone'" in said(again)
    typo = run_cli("erase", "-w", str(folder), "--listener", "L-stay", cwd=tmp_path)
    assert typo.returncode == 2 and "did you mean 'L-stays'?" in said(typo)
    assert Store.open(db_url).get_note("e3")["text"] == "A note by someone else"
    shouted = run_cli("erase", "-w", str(folder), "--note", "E3", cwd=tmp_path)
    assert shouted.returncode == 2 and "did you mean 'e3'?" in said(shouted)
    spaced = run_cli("erase", "-w", str(folder), "--listener", " l-STAYS ", "--yes",
                     cwd=tmp_path)
    assert spaced.stdout.splitlines()[0] == "erased 1 note"
    usage = run_cli("erase", "-w", str(folder), cwd=tmp_path)
    said = " ".join(usage.stderr.replace("│", " ").split())  # as typer's box wraps it
    assert usage.returncode == 2 and "give --note ID, --listener ID or --heard-before DAY" in said
    missing = run_cli("erase", "-w", str(folder), "--note", "nope", cwd=tmp_path)
    assert missing.returncode == 2 and "no such note(s): nope" in missing.stderr


def test_cli_erase_waits_for_open_safeguarding_items(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    assert run_cli("init", str(folder), "--db", db_url, cwd=tmp_path).returncode == 0
    path = tmp_path / "notes.jsonl"
    rows = [{"id": "s1", "text": "Flagged by the listener", "safeguarding": True},
            {"id": "s2", "text": "Nothing of concern"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert run_cli("ingest", "-w", str(folder), str(path), cwd=tmp_path).returncode == 0
    refused = run_cli("erase", "-w", str(folder), "--note", "s1", "--note", "s2", cwd=tmp_path)
    said = " ".join(refused.stderr.replace("│", " ").split())
    assert refused.returncode == 1
    assert "1 of these notes has an open safeguarding item (queue 1)" in said
    with Store.open(db_url) as store:
        assert store.get_note("s1")["text"] and store.get_note("s2")["text"]
    forced = run_cli("erase", "-w", str(folder), "--note", "s1", "--force", cwd=tmp_path)
    assert forced.returncode == 0 and forced.stdout.splitlines()[0] == "erased 1 note"


def test_cli_safeguarding_ack_twice(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    assert run_cli("init", str(folder), "--db", db_url, cwd=tmp_path).returncode == 0
    path = tmp_path / "notes.jsonl"
    path.write_text(json.dumps({"id": "c1", "text": "x", "safeguarding": True,
                                "listener": "PL03", "heard_on": "2026-03-02",
                                "place": "Hull"}) + "\n", encoding="utf-8")
    ingested = run_cli("ingest", "-w", str(folder), "--no-screen", str(path), cwd=tmp_path)
    assert ingested.returncode == 0, ingested.stderr
    assert f"{path}: 1 note routed to the safeguarding queue" in ingested.stdout
    listed = run_cli("safeguarding", "list", "-w", str(folder), "-f", "json", cwd=tmp_path)
    [item] = json.loads(listed.stdout)
    # who to follow up with, and why it was flagged; never the note's words
    assert (item["note"], item["listener"], item["heard_on"], item["place"]) == (
        "c1", "PL03", "2026-03-02", "Hull")
    assert item["reason"] == "flagged by the listener at intake" and "text" not in item
    assert item["waiting"] == "under 1 h"  # flagged just now: hours, not a rounded-down day
    # since the conversation, which a note entered late has waited longer than its item
    assert item["heard_days_ago"] == (date.today() - date(2026, 3, 2)).days
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} (GMT|BST)", item["flagged_at"])
    before = run_cli("notes", "show", "c1", "-w", str(folder), cwd=tmp_path).stdout
    assert f"safeguarding: queue item {item['item']}, OPEN (flagged by the listener" in before
    # the listener raised it: a person's concern is acknowledged, never judged a false alarm
    refused = run_cli("safeguarding", "ack", str(item["item"]), "--not-a-concern", "--note",
                      "she is fine now", "-w", str(folder), cwd=tmp_path)
    assert refused.returncode == 1 and "raised by a person" in " ".join(refused.stderr.split())
    first = run_cli("safeguarding", "ack", str(item["item"]), "--note", "rang her GP",
                    "-w", str(folder), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"item {item['item']} acknowledged by cli-tester at ")
    shown = run_cli("notes", "show", "c1", "-w", str(folder), cwd=tmp_path).stdout
    assert f"safeguarding: queue item {item['item']}, acknowledged by cli-tester" in shown
    done = run_cli("safeguarding", "list", "--all", "-w", str(folder), "-f", "json",
                   cwd=tmp_path)
    [acked] = json.loads(done.stdout)
    assert (acked["acknowledged_by"], acked["what_was_done"]) == ("cli-tester", "rang her GP")
    assert acked["waiting"] == "under 1 h"  # until it was acknowledged
    assert json.loads(run_cli("safeguarding", "list", "-w", str(folder), "-f", "json",
                              cwd=tmp_path).stdout) == []
    second = run_cli("safeguarding", "ack", str(item["item"]), "--note", "rang her again", "-w",
                     str(folder), cwd=tmp_path)
    assert second.returncode == 1
    assert second.stderr.strip().startswith(
        f"error: safeguarding item {item['item']} was already acknowledged by cli-tester at "
    )
    # what happened later goes on the item as a dated follow-up, kept and audited
    later = run_cli("safeguarding", "follow-up", str(item["item"]), "--note",
                    "GP saw her on Monday", "-w", str(folder), cwd=tmp_path)
    assert later.returncode == 0, later.stderr
    shown = json.loads(run_cli("safeguarding", "show", str(item["item"]), "-w", str(folder),
                               "-f", "json", cwd=tmp_path).stdout)
    assert [f["note"] for f in shown[0]["follow_ups"]] == ["GP saw her on Monday"]
    assert shown[0]["what_was_done"] == "rang her GP"
    with Store.open(db_url) as store:
        [entry] = [e for e in store.audit_log() if e["record_type"] == "safeguarding-followup"]
    assert entry["after"]["note"] == "GP saw her on Monday"




# -- re-ingesting an updated export: consent and safeguarding changes ------------------


def _csv(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    """A CSV of (id, text, consent_quote, consent_contact, safeguarding) rows."""
    lines = ["id,text,consent_quote,consent_contact,safeguarding"]
    lines += [",".join(f'"{cell}"' for cell in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _ingest(store: Store, path: Path, tmp_path: Path):
    report = ingest_file(store, path, category_ids=None, quarantine_dir=tmp_path / "q")
    assert report.balanced and report.file_error is None
    return report


def _note_updates(store: Store, note_id: str) -> list[dict]:
    return [
        e for e in store.audit_log(note_id)
        if e["record_type"] == "note" and e["operation"] == "update"
    ]


REINGEST_V1 = [
    ("r1", TEXT_1, "Yes", "No", "No"),
    ("r2", TEXT_2, "Yes", "Yes", "No"),
    ("r3", TEXT_3, "Yes", "No", "No"),
    ("r4", "Says the crisis cafe is the only place that listens.", "No", "No", ""),
]


def test_reingest_applies_withdrawn_consent_and_a_new_safeguarding_flag(
    store: Store, tmp_path: Path
) -> None:
    first = _ingest(store, _csv(tmp_path / "v1.csv", REINGEST_V1), tmp_path)
    assert (first.accepted, first.flagged, first.updated) == (4, 0, 0)
    v2 = _csv(tmp_path / "v2.csv", [
        ("r1", TEXT_1, "No", "No", "No"),  # consent to quote withdrawn
        ("r2", TEXT_2, "Yes", "No", "No"),  # consent to contact withdrawn
        ("r3", TEXT_3, "Yes", "No", "Yes"),  # safeguarding No -> Yes
        ("r4", REINGEST_V1[3][1], "Yes", "No", ""),  # consent to quote given
    ])
    report = _ingest(store, v2, tmp_path)
    assert (report.accepted, report.rejected, report.already_present) == (0, 0, 4)
    assert (report.updated, report.flagged) == (4, 1)
    assert report.change_summary() == [
        "updated 4 already-present notes: consent to quote withdrawn 1, consent to contact "
        "withdrawn 1, safeguarding flagged 1, consent to quote given 1"
    ]
    assert store.get_note("r1")["consent_quote"] is False
    assert store.get_note("r2")["consent_contact"] is False
    assert store.get_note("r3")["safeguarding"] is True
    assert store.get_note("r4")["consent_quote"] is True
    # Flagged at once, as at intake: before any tagging.
    [item] = store.safeguarding_items()
    assert (item["note_id"], item["flagged_by"]) == ("r3", "listener")
    assert item["reason"] == "flagged by the listener on re-ingest (safeguarding changed to Yes)"
    # Each change audited with its value before and after, and where it came from.
    [update_r1] = _note_updates(store, "r1")
    assert update_r1["actor"] == "tester"
    assert update_r1["before"] == {"consent_quote": True}
    assert update_r1["after"]["consent_quote"] is False
    assert update_r1["after"]["reason"] == "re-ingest of v2.csv, line 2"
    assert _note_updates(store, "r3")[0]["before"] == {"safeguarding": False}
    assert [e for e in store.audit_log() if e["record_type"] == "safeguarding"]
    assert TEXT_1 not in all_audit_json(store)
    # A file without the consent columns says nothing about consent: nothing changes.
    bare = tmp_path / "bare.jsonl"
    bare.write_text(json.dumps({"id": "r2", "text": TEXT_2}) + "\n", encoding="utf-8")
    assert _ingest(store, bare, tmp_path).updated == 0
    assert store.get_note("r2")["consent_quote"] is True
    # The same export again changes nothing more.
    again = _ingest(store, v2, tmp_path)
    assert (again.already_present, again.updated, again.flagged) == (4, 0, 0)
    assert again.change_summary() == []
    assert len(_note_updates(store, "r1")) == 1
    assert len(store.safeguarding_items(open_only=False)) == 1


def test_an_older_export_does_not_give_withdrawn_consent_back(
    store: Store, tmp_path: Path
) -> None:
    older = _csv(tmp_path / "older.csv", [("w1", TEXT_1, "Yes", "Yes", "No")])
    _ingest(store, older, tmp_path)
    newer = _csv(tmp_path / "newer.csv", [("w1", TEXT_1, "No", "Yes", "No")])
    assert _ingest(store, newer, tmp_path).changes == {"consent to quote withdrawn": 1}
    again = _ingest(store, older, tmp_path)  # the older export, ingested again by mistake
    assert (again.updated, again.consent_not_restored) == (0, 1)
    assert again.change_summary() == [
        "1 consent given in this file for notes whose consent was withdrawn earlier ('w1'): "
        "not applied (an older export?); only a person gives it back (`insight notes "
        "consent`)"
    ]
    assert store.get_note("w1")["consent_quote"] is False
    assert store.consent_withdrawn(["w1"]) == {"w1": {"consent_quote"}}
    # a person who asked again gives it back, audited with why
    assert store.set_consent("w1", reason="asked again by phone", consent_quote=True) == {
        "consent_quote": True
    }
    assert store.get_note("w1")["consent_quote"] is True
    assert _note_updates(store, "w1")[-1]["after"]["reason"] == "asked again by phone"
    assert store.set_consent("w1", consent_quote=True) == {}
    with pytest.raises(StoreError, match="no note"):
        store.set_consent("nope", consent_quote=True)


def test_reingest_never_unflags_and_never_touches_erased_notes(
    store: Store, tmp_path: Path
) -> None:
    rows = [("u1", TEXT_1, "Yes", "No", "Yes"), ("u2", TEXT_2, "Yes", "Yes", "No")]
    _ingest(store, _csv(tmp_path / "v1.csv", rows), tmp_path)
    assert store.erase_notes(["u2"], reason="asked to be forgotten") == 1
    erased_before = store.get_note("u2")
    log_before = len(store.audit_log())
    v2 = _csv(tmp_path / "v2.csv", [
        ("u1", TEXT_1, "Yes", "No", "No"),  # safeguarding Yes -> No: the flag stays
        ("u2", TEXT_2, "Yes", "Yes", "Yes"),  # an erased note: nothing restored or changed
    ])
    report = _ingest(store, v2, tmp_path)
    assert (report.accepted, report.rejected, report.already_present) == (0, 0, 1)
    assert (report.updated, report.flagged, report.erased, report.kept_flagged) == (0, 0, 1, 1)
    assert report.balanced  # the erased note's row counted once, as erased
    assert report.change_summary() == [
        "1 row of erased notes: erased, not restored",
        "1 row says safeguarding No for a note already flagged: the flag stays (a person "
        "clears it by acknowledging it in the safeguarding queue)",
    ]
    assert store.get_note("u1")["safeguarding"] is True
    assert [i["note_id"] for i in store.safeguarding_items()] == ["u1"]
    assert store.get_note("u2") == erased_before
    assert len(store.audit_log()) == log_before
    # An erased note's id with other text: still not restored, and not quarantined (the
    # workspace keeps nothing of an erased note).
    edited = _csv(tmp_path / "v3.csv", [("u2", "A different text", "Yes", "Yes", "Yes")])
    report = _ingest(store, edited, tmp_path)
    assert (report.already_present, report.rejected, report.erased) == (0, 0, 1)
    assert report.quarantine is None and store.get_note("u2") == erased_before


def test_reingest_withdrawal_applies_even_when_the_text_differs(
    store: Store, tmp_path: Path
) -> None:
    rows = [("d1", TEXT_1, "Yes", "Yes", "No"), ("d2", TEXT_2, "No", "No", "No")]
    _ingest(store, _csv(tmp_path / "v1.csv", rows), tmp_path)
    v2 = _csv(tmp_path / "v2.csv", [
        ("d1", TEXT_1 + " (typo fixed)", "No", "No", "Yes"),
        ("d2", TEXT_2 + " (typo fixed)", "Yes", "Yes", "No"),  # consent given: not applied
    ])
    report = _ingest(store, v2, tmp_path)
    assert (report.accepted, report.rejected, report.already_present) == (0, 2, 0)
    assert (report.updated, report.updated_text_differs, report.flagged) == (1, 1, 1)
    assert report.changes == {
        "consent to quote withdrawn": 1, "consent to contact withdrawn": 1,
        "safeguarding flagged": 1,
    }
    stored = store.get_note("d1")
    assert (stored["consent_quote"], stored["consent_contact"]) == (False, False)
    assert stored["text"] == TEXT_1  # the text is not changed by a re-ingest
    assert stored["safeguarding"] is False  # the row may be another note: only queued
    [item] = store.safeguarding_items()
    assert item["note_id"] == "d1"
    assert "line 2 of v2.csv" in item["reason"] and "in quarantine" in item["reason"]
    assert TEXT_1 not in item["reason"]
    unchanged = store.get_note("d2")
    assert (unchanged["consent_quote"], unchanged["consent_contact"]) == (False, False)


def test_reingest_flag_after_an_acknowledged_item_is_queued_again(
    store: Store, tmp_path: Path
) -> None:
    rows = [("a1", TEXT_1, "Yes", "No", "No"), ("a2", TEXT_2, "Yes", "No", "No")]
    _ingest(store, _csv(tmp_path / "v1.csv", rows), tmp_path)
    store.flag_safeguarding("a1", by="screen:phrase-list", reason="phrase list")
    store.flag_safeguarding("a2", by="screen:phrase-list", reason="phrase list")
    open_a1, done_a2 = store.safeguarding_items()
    store.acknowledge_safeguarding(done_a2["id"], "looked at it: no concern")
    v2 = _csv(tmp_path / "v2.csv", [
        ("a1", TEXT_1, "Yes", "No", "Yes"), ("a2", TEXT_2, "Yes", "No", "Yes"),
    ])
    report = _ingest(store, v2, tmp_path)
    assert (report.updated, report.flagged, report.changes) == (
        2, 2, {"safeguarding flagged": 2}
    )
    # a1's open item was raised by the phrase list, which a person may judge a false alarm:
    # the listener's concern is queued beside it, so the queue says a person raised it. a2's
    # item was acknowledged before the listener flagged it: it goes back to a person.
    assert store.get_note("a1")["safeguarding"] is True
    assert store.get_note("a2")["safeguarding"] is True
    items = store.safeguarding_items()
    assert sorted((i["note_id"], i["flagged_by"]) for i in items) == [
        ("a1", "listener"), ("a1", "screen:phrase-list"), ("a2", "listener")
    ]
    assert open_a1["id"] in [i["id"] for i in items]
    # Stored Yes already: the same file again queues nothing.
    assert _ingest(store, v2, tmp_path).flagged == 0


def test_cli_reingest_reports_consent_and_safeguarding_changes(
    db_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "ws"
    assert run_cli("init", str(folder), "--db", db_url, cwd=tmp_path).returncode == 0
    v1 = _csv(tmp_path / "v1.csv", REINGEST_V1)
    first = run_cli("ingest", "-w", str(folder), "--no-screen", str(v1), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    v2 = _csv(tmp_path / "v2.csv", [
        ("r1", TEXT_1, "No", "No", "No"),
        ("r2", TEXT_2, "Yes", "Yes", "No"),
        ("r3", TEXT_3, "Yes", "No", "Yes"),
        ("r4", REINGEST_V1[3][1], "No", "No", ""),
    ])
    result = run_cli("ingest", "-w", str(folder), "--no-screen", str(v2), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        f"{v2}: accepted 0, rejected 0, already present 4",
        f"{v2}: updated 2 already-present notes: consent to quote withdrawn 1, "
        "safeguarding flagged 1",
        f"{v2}: 1 note routed to the safeguarding queue",
    ]
    listed = run_cli("safeguarding", "list", "-w", str(folder), "-f", "json", cwd=tmp_path)
    assert [i["note"] for i in json.loads(listed.stdout)] == ["r3"]
    # A row whose text differs is still rejected (exit 3); its withdrawal still applies.
    v3 = _csv(tmp_path / "v3.csv", [("r2", TEXT_2 + " edited", "No", "No", "No")])
    edited = run_cli("ingest", "-w", str(folder), "--no-screen", str(v3), cwd=tmp_path)
    assert edited.returncode == 3, edited.stderr
    assert f"{v3}: updated 1 already-present note: consent to quote withdrawn 1, consent to " \
        "contact withdrawn 1 (1 from rows quarantined" in edited.stdout
    with Store.open(db_url) as store:
        stored = store.get_note("r2")
        assert (stored["consent_quote"], stored["consent_contact"]) == (False, False)


def test_a_note_ids_audit_trail_is_the_note_and_its_tags_only(store: Store) -> None:
    """A note called '1' must not pick up insight 1's entries (record ids are shared)."""
    add(store, note("1", "The group closed.", categories=["community-support"]))
    insight = add_insight(store, "Groups", note_ids=["1"])
    assert insight == 1
    trail = store.audit_log("1")
    # its link to insight 1, but none of the insight's own entries
    assert {e["record_type"] for e in trail} == {"note", "tag", "insight_notes"}
    assert {e["record_type"] for e in store.audit_log("I1")} == {"insight", "insight_notes"}


# -- leads' quote choices -------------------------------------------------------------------


def test_a_database_made_before_quote_choices_opens_and_gets_the_table(db_url: str) -> None:
    """Workspaces made before `insight_quotes` existed keep working: opening one adds it."""
    from sqlalchemy import insert, inspect

    from insight.store import PIN, insight_quotes, metadata

    engine = create_engine(db_url)
    added = (insight_quotes.name, "action_involvement", "safeguarding_dismissals",
             "erased_words")
    old_tables = [t for t in metadata.sorted_tables if t.name not in added]
    with engine.begin() as conn:  # the schema as version 1 was first released
        metadata.create_all(conn, tables=old_tables)
        conn.execute(insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
    with engine.connect() as conn:
        assert insight_quotes.name not in inspect(conn).get_table_names()
    engine.dispose()
    with Store.open(db_url, create=False, actor="tester") as old:
        add(old, note("n1", TEXT_1, categories=["community-support"]))
        insight = add_insight(old, "Spaces", note_ids=["n1"])
        assert load_thread(old).quote_choices == {}
        old.set_quote_choice(insight, "n1", PIN)
        assert load_thread(old).quote_choices == {insight: {"n1": PIN}}
        action = add_action(old, "Fund the group")
        old.set_involvement(action, "active", "embedded", "peer leads on the panel")
        old.flag_safeguarding("n1", by="model:m1", reason="model: 0.2")
        [item] = old.safeguarding_items(note_id="n1")
        old.acknowledge_safeguarding(item["id"], "no worry in it", not_a_concern=True)
    with Store.open(db_url, create=False) as again:  # and again: nothing to add
        assert again.quote_choices()[0]["note_id"] == "n1"
        assert again.involvements()[action]["how"] == "peer leads on the panel"
        assert again.safeguarding_state() == (set(), {"n1"})
        with again.engine.connect() as conn:
            assert set(added) <= set(inspect(conn).get_table_names())


def test_involvement_in_an_action_is_audited_and_goes_with_it(noted: Store) -> None:
    from insight.store import NotFound, StoreError

    action = add_action(noted, "Peer panel for the new crisis service")
    assert noted.set_involvement(action, "passive", "isolated") is None
    assert noted.set_involvement(action, "active", "embedded", "they score the bids")[
        "mode"] == "passive"
    assert noted.involvements()[action] | {"recorded_at": None} == {
        "action_id": action, "mode": "active", "continuity": "embedded",
        "how": "they score the bids", "recorded_at": None, "author": "tester"}
    kinds = [(e["operation"], e["record_id"]) for e in noted.audit_log()
             if e["record_type"] == "action_involvement"]
    assert kinds == [("create", str(action)), ("update", str(action))]
    assert "action_involvement" in {e["record_type"] for e in noted.audit_log(f"A{action}")}
    with pytest.raises(StoreError, match="active, passive"):
        noted.set_involvement(action, "sometimes", "embedded")
    with pytest.raises(NotFound, match="no action A99"):
        noted.set_involvement(99, "active", "embedded")
    noted.delete_record("action", action)
    assert noted.involvements() == {}
    assert entries(noted, "action_involvement", "delete")[0]["before"]["mode"] == "active"


def test_quote_choices_are_audited_and_only_for_an_insights_own_notes(noted: Store) -> None:
    from insight.store import EXCLUDE, PIN, NotFound

    insight = add_insight(noted, "Waiting", note_ids=["n1", "n2"])
    assert noted.set_quote_choice(insight, "n2", PIN) is None
    assert noted.set_quote_choice(insight, "n2", PIN)["choice"] == PIN  # again: unchanged
    assert noted.set_quote_choice(insight, "n1", PIN) is None
    assert [(r["note_id"], r["position"]) for r in noted.quote_choices(insight)] == [
        ("n2", 1), ("n1", 2)
    ]
    noted.set_quote_choice(insight, "n2", EXCLUDE)
    assert [(r["note_id"], r["choice"]) for r in noted.quote_choices()] == [
        ("n1", PIN), ("n2", EXCLUDE)
    ]
    assert noted.set_quote_choice(insight, "n2", None)["choice"] == EXCLUDE
    assert noted.set_quote_choice(insight, "n2", None) is None  # nothing left to clear

    made = entries(noted, "insight_quotes", "create")
    assert [e["record_id"] for e in made] == [f"{insight}->n2", f"{insight}->n1"]
    assert made[0]["actor"] == "tester" and made[0]["after"]["choice"] == PIN
    [changed] = entries(noted, "insight_quotes", "update")
    assert (changed["before"]["choice"], changed["after"]["choice"]) == (PIN, EXCLUDE)
    [cleared] = entries(noted, "insight_quotes", "delete")
    assert cleared["before"]["choice"] == EXCLUDE and cleared["after"] is None
    # found by the insight's reference and by the note's id
    assert "insight_quotes" in {e["record_type"] for e in noted.audit_log(f"I{insight}")}
    assert "insight_quotes" in {e["record_type"] for e in noted.audit_log("n2")}

    with pytest.raises(NotFound, match="n3 is not evidence for I"):  # linked to no insight
        noted.set_quote_choice(insight, "n3", PIN)
    with pytest.raises(NotFound, match="no note 'n9'"):
        noted.set_quote_choice(insight, "n9", EXCLUDE)
    with pytest.raises(NotFound, match="no insight I99"):
        noted.set_quote_choice(99, "n1", PIN)
    with pytest.raises(StoreError, match="unknown quote choice"):
        noted.set_quote_choice(insight, "n1", "favourite")
    assert len(noted.quote_choices()) == 1


def test_unlink_delete_and_erase_drop_quote_choices(noted: Store) -> None:
    from insight.store import EXCLUDE, PIN
    from insight.thread import delete_record, unlink

    first = add_insight(noted, "Waiting", note_ids=["n1", "n2", "n3"])
    second = add_insight(noted, "Continuity", note_ids=["n2", "n3"])
    noted.set_quote_choice(first, "n1", PIN)
    noted.set_quote_choice(first, "n2", EXCLUDE)
    noted.set_quote_choice(first, "n3", PIN)
    noted.set_quote_choice(second, "n3", PIN)

    unlink(noted, "insight", first, ["n1"])
    assert load_thread(noted).quote_choices == {first: {"n3": PIN, "n2": EXCLUDE},
                                                second: {"n3": PIN}}
    # a note linked again starts with no choice
    from insight.thread import link_notes

    link_notes(noted, first, ["n1"])
    assert "n1" not in load_thread(noted).quote_choices[first]

    noted.erase_notes(["n3"])
    assert load_thread(noted).quote_choices == {first: {"n2": EXCLUDE}}
    gone = noted.tombstone_id("n3")
    dropped = [e["record_id"] for e in entries(noted, "insight_quotes", "delete")]
    assert dropped == [f"{first}->n1", f"{first}->{gone}", f"{second}->{gone}"]
    assert "->n3" not in all_audit_json(noted) and '"n3"' not in all_audit_json(noted)

    delete_record(noted, "insight", first)
    assert load_thread(noted).quote_choices == {}
    assert [e["record_id"] for e in entries(noted, "insight_quotes", "delete")][-1] == (
        f"{first}->n2"
    )


def test_a_false_alarm_of_the_model_is_judged_not_a_concern(store: Store) -> None:
    add(store, note("f1", "Two farmers came to the cafe together!"),
        note("f2", "Scared of her uncle.", safeguarding=True))
    store.flag_safeguarding("f1", by="model:abc", reason="model: 0.13")
    [listener_item] = store.safeguarding_items(note_id="f2")
    [item] = store.safeguarding_items(note_id="f1")
    assert store.safeguarding_state() == ({"f1", "f2"}, set())
    with pytest.raises(StoreError, match="say why"):
        store.acknowledge_safeguarding(item["id"], None, not_a_concern=True)
    # a concern a person raised (here the listener's) is only acknowledged
    with pytest.raises(StoreError, match="raised by a person"):
        store.acknowledge_safeguarding(listener_item["id"], "she is fine now", not_a_concern=True)
    done = store.acknowledge_safeguarding(item["id"], "about farming", not_a_concern=True)
    assert done["ack_note"] == "not a concern: about farming" and done["acknowledged_at"]
    assert store.safeguarding_state() == ({"f2"}, {"f1"})
    [judged] = store.safeguarding_items(open_only=False, note_id="f1")
    assert judged["not_a_concern"] is True
    assert any(e["record_type"] == "safeguarding-dismissal" for e in store.audit_log())
    with pytest.raises(StoreError, match="already judged"):
        store.acknowledge_safeguarding(item["id"], "judged again later", not_a_concern=True)
    # a person who raises a concern about it later makes it one again
    store.flag_safeguarding("f1", reason="raised by a person: said more on the phone",
                            again=True)
    assert store.safeguarding_state() == ({"f1", "f2"}, set())


def test_a_persons_concern_outlives_the_model_flag_it_joined(store: Store) -> None:
    """A lead raises a concern about a note the model flagged and nobody has looked at yet:
    the lead's concern is its own item, so judging the model's a false alarm leaves the
    note a concern, never quoted."""
    add(store, note("y1", "Young carer aged 15 looking after mum. School doesn't know."))
    store.flag_safeguarding("y1", by="model:abc", reason="model: 0.4")
    [model_item] = store.safeguarding_items(note_id="y1")
    assert store.flag_safeguarding("y1", reason="raised by a person: missing school",
                                   again=True)
    model_open, person_item = store.safeguarding_items(note_id="y1")
    assert model_open["id"] == model_item["id"]
    assert person_item["reason"] == "raised by a person: missing school"
    assert any(e["record_type"] == "safeguarding" and e["record_id"] == str(person_item["id"])
               for e in store.audit_log("y1") + store.audit_log())
    # while the person's item is open, raising it again adds nothing
    assert not store.flag_safeguarding("y1", reason="raised by a person: again", again=True)
    store.acknowledge_safeguarding(model_item["id"], "read as a chore list", not_a_concern=True)
    assert store.safeguarding_state() == ({"y1"}, set())
    with pytest.raises(StoreError, match="raised by a person"):
        store.acknowledge_safeguarding(person_item["id"], "she is fine now", not_a_concern=True)


def test_erased_words_leave_the_sqlite_files_at_once(tmp_path: Path) -> None:
    """secure_delete zeroes the erased text; the checkpoint folds the journal in and empties
    it. With another program reading, the journal cannot be emptied: purge_erased says so."""
    db = tmp_path / "insight.db"
    url = f"sqlite:///{db}"
    phrase = "Zebedee-Quillfeather rang from the lighthouse"
    with Store.open(url) as store:
        add(store, note("e1", f"{phrase} twice this week.", categories=["crisis-urgent"]),
            note("e2", "Another note that stays.", categories=["crisis-urgent"]))
        reader = create_engine(url).connect()
        reader.exec_driver_sql("BEGIN")
        reader.exec_driver_sql("SELECT count(*) FROM notes").all()  # holds a read snapshot
        store.erase_notes(["e1"], reason="asked")
        assert store.purge_erased() is False  # the reader still needs the old pages
        reader.close()
        assert store.purge_erased() is True
    files = [p for p in tmp_path.iterdir() if p.name.startswith("insight.db")]
    assert all(phrase.encode() not in p.read_bytes() for p in files)
    assert any(b"Another note that stays." in p.read_bytes() for p in files)


def test_sqlite_backup_is_a_whole_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    with Store.open(url) as store:
        add(store, note("b1", "Kept in the backup.", categories=["crisis-urgent"]))
        store.backup_to(tmp_path / "copy.db")
    with Store.open(f"sqlite:///{tmp_path / 'copy.db'}", create=False) as copy:
        assert copy.get_note("b1")["text"] == "Kept in the backup."


def test_a_database_error_never_repeats_the_values_sent(db_url: str) -> None:
    with Store.open(db_url) as store:
        add(store, note("d1", "Secret words of a person.", categories=["crisis-urgent"]))
        with pytest.raises(Exception) as raised:  # noqa: PT011 - the driver's own class
            add(store, note("d1", "Secret words of a person.", categories=["crisis-urgent"]))
    assert "Secret words" not in str(raised.value)


def test_notes_are_found_by_their_words_in_any_case(store: Store) -> None:
    add(store,
        note("a", "She rang the Crisis Line twice and waited 100% of the night."),
        note("b", "The crisis team came; the line was busy."),
        note("c", "Nothing about that here."))
    assert store.ids_with_words(["crisis line"]) == {"a"}
    assert store.ids_with_words(["CRISIS", "line"]) == {"a", "b"}
    assert store.ids_with_words(["100%"]) == {"a"}  # a wildcard character is a character
    assert store.ids_with_words(["_"]) == set()
    assert store.ids_with_words(["  "]) == set()
    store.erase_notes(["a"])
    assert store.ids_with_words(["crisis"]) == {"b"}  # an erased note's words are gone


def test_a_number_is_found_by_its_words_however_it_is_spaced(store: Store) -> None:
    """A person asking gives "07700900123"; the listener wrote "07700 900123"."""
    add(store,
        note("a", "Rang from 07700 900123 twice."),
        note("b", "NHS number (943) 476-5919 on the letter."),
        note("c", "Room 12 on the 3rd floor."))
    assert store.ids_with_words(["07700900123"]) == {"a"}
    assert store.ids_with_words(["077 009 001 23"]) == {"a"}
    assert store.ids_with_words(["9434765919"]) == {"b"}
    assert store.ids_with_words(["943 476 5919", "letter"]) == {"b"}
    assert store.ids_with_words(["07700900124"]) == set()
    assert store.ids_with_words(["123"]) == {"a"}
    assert store.ids_with_words(["12 3"]) == {"a"}  # "12" and "3" are in c, not "123"


def test_a_mistyped_note_id_is_matched_by_its_number_before_its_spelling(store: Store) -> None:
    add(store, *(note(f"cn-A-{n:04d}", f"note {n} about the bus") for n in (22, 282, 220)))
    # "022" is 22: the same note however its zeros are padded, not the closer spelling 0282
    assert store.close_note_id("cn-A-022") == "cn-A-0022"
    assert store.close_note_id("CN A 0220") == "cn-A-0220"
    assert store.close_note_id("cn-A-0283") == "cn-A-0282"  # a typo: the close spelling
    assert store.close_note_id("zz-9") is None
    # a number after a number (the quarter, then the note): each run is one number
    add(store, note("q2-07", "note about the clinic"), note("q2-47", "note about the ward"))
    assert store.close_note_id("q2-7") == "q2-07"


def test_an_id_copied_in_part_is_matched_when_one_note_begins_so(store: Store) -> None:
    add(store, note("3f9a1c77e2b0", "a note about the bus"),
        note("3f9b0000aaaa", "a note about the clinic"), note("50%_off", "a note"))
    assert store.close_note_id("3f9a") == "3f9a1c77e2b0"  # the one id it begins
    assert store.close_note_id("3f9") is None  # two ids begin so: neither is offered
    assert store.close_note_id("50%") == "50%_off"
    assert store.close_note_id("3_9a") is None  # % and _ are not wildcards
    assert store.close_note_id("%") is None


def test_cli_safeguarding_ack_needs_what_was_done_and_an_item_number(
        db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    assert run_cli("init", str(folder), "--db", db_url, cwd=tmp_path).returncode == 0
    path = tmp_path / "notes.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in (
        {"id": "c1", "text": "x", "safeguarding": True, "listener": "PL03"},
        {"id": "c2", "text": "y", "listener": "PL03"})), encoding="utf-8")
    assert run_cli("ingest", "-w", str(folder), "--no-screen", str(path),
                   cwd=tmp_path).returncode == 0
    [item] = json.loads(run_cli("safeguarding", "list", "-w", str(folder), "-f", "json",
                                cwd=tmp_path).stdout)
    bare = run_cli("safeguarding", "ack", str(item["item"]), "-w", str(folder), cwd=tmp_path)
    assert bare.returncode == 2 and "say what was done" in " ".join(bare.stderr.split())
    # a note id where the item number goes: said back with that note's items
    by_note = run_cli("safeguarding", "ack", "c1", "--note", "rang her", "-w", str(folder),
                      cwd=tmp_path)
    assert by_note.returncode == 2
    said = " ".join(by_note.stderr.replace("│", " ").split())
    assert f"c1 is a note, not a queue item: its items are {item['item']} (open: " in said
    unknown = run_cli("safeguarding", "ack", "c3", "--note", "rang her", "-w", str(folder),
                      cwd=tmp_path)
    assert "no note 'c3'" in " ".join(unknown.stderr.replace("│", " ").split())
    # an item that is not there is said before the words are judged (two-quarter audit)
    missing = run_cli("safeguarding", "ack", "99", "--note", "x", "-w", str(folder),
                      cwd=tmp_path)
    assert missing.returncode != 0 and "no safeguarding item 99" in missing.stderr
    assert "say what was done" not in missing.stderr
    assert json.loads(run_cli("safeguarding", "list", "-w", str(folder), "-f", "json",
                              cwd=tmp_path).stdout) == [item]  # still open


def test_hand_flag_on_the_wrong_note_is_withdrawn_and_kept(noted: Store) -> None:
    assert noted.flag_safeguarding("n1", reason="raised by a person: x", again=True)
    [item] = noted.safeguarding_items()
    assert noted.safeguarding_state()[0] == {"n1"}
    with pytest.raises(StoreError, match="say why"):
        noted.acknowledge_safeguarding(item["id"], " ", raised_in_error=True)
    done = noted.acknowledge_safeguarding(item["id"], "meant note n2", raised_in_error=True)
    assert done["ack_note"] == "raised in error: meant note n2"
    assert noted.safeguarding_state() == (set(), {"n1"})  # quotable again
    [kept] = noted.safeguarding_items(open_only=False)  # in the history
    assert kept["not_a_concern"] and kept["acknowledged_by"] == noted.actor


def test_only_a_hand_flag_can_be_withdrawn_as_raised_in_error(noted: Store) -> None:
    noted.flag_safeguarding("n1", by="listener:L1", reason="flagged by the listener")
    noted.flag_safeguarding("n2", by="model:v1", reason="model")
    for item in noted.safeguarding_items():
        with pytest.raises(StoreError, match="not by a person by hand"):
            noted.acknowledge_safeguarding(item["id"], "wrong note", raised_in_error=True)


def test_a_new_source_flags_again_after_another_was_judged_a_false_alarm(
        noted: Store) -> None:
    """The phrase list's item judged a false alarm must not silence the model's later flag
    on the same note; the same source does not nag again after its own was judged."""
    assert noted.flag_safeguarding("n1", by="screen:phrase-list", reason="phrase")
    [item] = noted.safeguarding_items()
    noted.acknowledge_safeguarding(item["id"], "read wrongly", not_a_concern=True)
    assert not noted.flag_safeguarding("n1", by="screen:phrase-list", reason="phrase again")
    assert noted.flag_safeguarding("n1", by="model:v2", reason="model 0.6")
    assert [i["flagged_by"] for i in noted.safeguarding_items()] == ["model:v2"]
    # while that one is open (or acknowledged as a concern), no other automatic flag adds
    assert not noted.flag_safeguarding("n1", by="screen:phrase-list", reason="phrase")


def test_the_phrase_list_is_one_signal_whether_the_screen_or_the_model_raises_it(
        noted: Store) -> None:
    """A blind lead-review audit: the phrase list's flag at ingest, judged a false alarm,
    came back at tagging as the model's flag "phrase list: suicidal-thoughts" on the same
    words. Only the classifier's own signal is new."""
    def model_flag(why: str) -> None:
        noted.save_model_tags([ModelTagging("n1", {}, [], {}, True, "negative", why)],
                              model_version="m1", codebook_version="1")

    assert noted.flag_safeguarding("n1", by="screen:phrase-list", reason="suicidal-thoughts")
    [item] = noted.safeguarding_items()
    noted.acknowledge_safeguarding(item["id"], "about the jobcentre", not_a_concern=True)
    model_flag("phrase list: suicidal-thoughts")
    assert noted.safeguarding_items() == []  # judged already: no nagging
    model_flag("phrase list: suicidal-thoughts; classifier 0.41 (flags from 0.18)")
    [new] = noted.safeguarding_items()  # the classifier's reading reaches a person
    assert "classifier" in new["reason"]
    noted.acknowledge_safeguarding(new["id"], "still the jobcentre", not_a_concern=True)
    # and the other way: the model's phrase-list flag judged covers the screen's
    assert noted.flag_safeguarding("n3", by="model:m1", reason="model: phrase list: harm")
    [model_item] = noted.safeguarding_items()
    noted.acknowledge_safeguarding(model_item["id"], "a film she saw", not_a_concern=True)
    assert not noted.flag_safeguarding("n3", by="screen:phrase-list", reason="harm")


def test_a_retag_says_what_moved_on_notes_tagged_before(noted: Store) -> None:
    def tagged(note_id: str, categories: list[str], experience: str) -> ModelTagging:
        return ModelTagging(note_id, dict.fromkeys(categories, 0.9), categories, {}, False,
                            experience)

    first = noted.save_model_tags(
        [tagged("n1", ["community-support"], "positive"),
         tagged("n3", ["access-waiting"], "negative")], model_version="m1",
        codebook_version="1")
    assert sum(first.values()) == 0  # nothing was tagged before
    # n1 was labelled by a person at ingest, n3 by no one: only n3's counts move
    moved = noted.save_model_tags(
        [tagged("n1", ["community-support", "carers-family"], "positive"),
         tagged("n3", ["daily-living"], "mixed")], model_version="m2", codebook_version="1")
    assert moved == {"notes_changed": 2, "unreviewed_changed": 1, "tags_added": 2,
                     "tags_removed": 1, "experience_changed": 1}


def test_a_false_alarm_judged_on_earlier_words_does_not_silence_new_ones(noted: Store) -> None:
    """A person judged the model's flag on the old words; a corrected answer's new words
    are read again, and the model's flag on them reaches a person."""
    def model_flag(version: str) -> None:
        noted.save_model_tags([ModelTagging("n3", {}, [], {}, True, "negative",
                                            "classifier 0.51 (flags from 0.18)")],
                              model_version=version, codebook_version="1")

    model_flag("m1")
    [item] = noted.safeguarding_items()
    noted.acknowledge_safeguarding(item["id"], "a complaint, no risk", not_a_concern=True)
    model_flag("m1")  # the same words again: judged already, no nagging
    assert noted.safeguarding_items() == []
    assert noted.replace_note_text("n3", "She'll just go down to the river next time.",
                                   "hash-new", reason="corrected answer")
    model_flag("m1")
    [again] = noted.safeguarding_items()
    assert again["flagged_by"] == "model:m1" and again["id"] != item["id"]
    noted.erase_notes(["n3"], reason="asked")  # the record of the change goes with it


@pytest.mark.parametrize("said", [".", "x", "-", "?", "n/a", "ok", "done", "OK done"])
def test_a_record_of_what_was_done_must_say_something(noted: Store, said: str) -> None:
    noted.flag_safeguarding("n1", by="listener:L1", reason="flagged by the listener")
    [item] = noted.safeguarding_items()
    with pytest.raises(StoreError, match="say what was done"):
        noted.acknowledge_safeguarding(item["id"], said)
    with pytest.raises(StoreError, match="say what was done"):
        noted.add_safeguarding_followup(item["id"], said)
    assert noted.acknowledge_safeguarding(item["id"], "referred")["ack_note"] == "referred"


def test_an_item_closed_by_mistake_is_opened_again_with_its_history(noted: Store,
                                                                     db_url: str) -> None:
    noted.flag_safeguarding("n1", by="model:v1", reason="model 0.6")
    [item] = noted.safeguarding_items()
    first_flag = item["flagged_at"]
    noted.acknowledge_safeguarding(item["id"], "about a film plot", not_a_concern=True)
    assert noted.safeguarding_state()[0] == set()
    with pytest.raises(StoreError, match="say why"):
        noted.reopen_safeguarding(item["id"], "x")
    noted.reopen_safeguarding(item["id"], "read the wrong note's words")
    [again] = noted.safeguarding_items()
    assert (again["id"], again["flagged_at"]) == (item["id"], first_flag)  # wait from then
    assert noted.safeguarding_state()[0] == {"n1"}  # a concern again: not quotable
    [kept] = noted.safeguarding_followups([item["id"]])[item["id"]]
    assert "not a concern: about a film plot" in kept["note"]
    assert kept["note"].endswith("opened again: read the wrong note's words")
    with pytest.raises(StoreError, match="is open already"):
        noted.reopen_safeguarding(item["id"], "opened twice by mistake")
    with pytest.raises(StoreError, match="already acknowledged by"):
        noted.acknowledge_safeguarding(item["id"], "rang her GP")
        noted.acknowledge_safeguarding(item["id"], "rang her GP again")


def test_only_who_raised_a_hand_flag_withdraws_it(noted: Store, db_url: str) -> None:
    with Store.open(db_url, actor="raj") as raj:
        raj.flag_safeguarding("n1", reason="raised by a person: closed in error", again=True)
    [item] = noted.safeguarding_items()
    with Store.open(db_url, actor="anna") as anna, pytest.raises(
            StoreError, match="only they can withdraw it"):
        anna.acknowledge_safeguarding(item["id"], "duplicate of another", raised_in_error=True)
    with Store.open(db_url, actor="raj") as raj:
        raj.acknowledge_safeguarding(item["id"], "duplicate of another", raised_in_error=True)


def test_an_audit_line_shows_where_a_long_value_changed() -> None:
    from insight.store import audit_change

    line = audit_change({"operation": "update",
                         "before": {"description": "First check-in calls made to 200 people "
                                                  "on the waiting list"},
                         "after": {"description": "First check-in calls made to 80 people "
                                                 "on the waiting list"}})
    old, new = line.removeprefix("description: ").split(" -> ")
    assert "200" in old and "80" in new and old != new


def test_the_queue_lists_the_oldest_day_first_and_the_strongest_signal_first_within_it(
) -> None:
    """A blind lead-review audit: "a rope in the barn" (the classifier alone, 0.86) was
    12th of 19 items one tagging run flagged in the same minute."""
    from datetime import datetime

    from insight.store import queue_order

    def item(number: int, by: str, reason: str, at: datetime) -> dict:
        return {"id": number, "flagged_by": by, "reason": reason, "flagged_at": at}

    run = datetime(2026, 11, 29, 16, 15)
    items = [
        item(1, "screen:phrase-list", "phrase list v8: suicidal-thoughts", run),
        item(2, "model:m1", "model: classifier 0.19 (flags from 0.18)", run),
        item(3, "model:m1", "model: classifier 0.86 (flags from 0.18)", run),
        item(4, "listener:PL03", "flagged by the listener at intake", run),
        item(5, "model:m1", "model: phrase list: self-harm; classifier 0.30 (flags from 0.18)",
             run),
        item(6, "model:m1", "model: classifier 0.95 (flags from 0.18)", datetime(2026, 11, 30, 9)),
        item(7, "model:m1", "model: classifier 0.20 (flags from 0.18)", datetime(2026, 11, 28, 9)),
    ]
    assert [i["id"] for i in sorted(items, key=queue_order)] == [7, 4, 3, 5, 1, 2, 6]
