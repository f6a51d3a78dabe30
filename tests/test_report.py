"""The commissioner report: consent, redaction, suppression and the thread."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from html import escape, unescape
from pathlib import Path

import pytest

from insight.clock import uk_today
from insight.codebook import load_codebook
from insight.privacy import HIDDEN, WITHHELD, holds_back, note_ref
from insight.report import (
    against_lean,
    build_report,
    render_html,
    report_tables,
    safeguarding_response,
    write_report,
)
from insight.resources import corpora_dir
from insight.rollup import note_frame
from insight.store import ModelTagging, Store, ref
from insight.tagging import review_note
from insight.thread import (
    add_action,
    add_insight,
    add_outcome,
    add_priority,
    link_notes,
    load_thread,
    set_action_status,
    set_involvement,
    set_quote_choice,
    withdraw_priority,
)
from tests.notes import add, note

PII_SET = corpora_dir() / "pii" / "pii-eval.jsonl"


def _outside_spans(text: str, spans: list[dict]) -> str:
    out, last = [], 0
    for span in sorted(spans, key=lambda s: s["start"]):
        out.append(text[last : span["start"]])
        out.append(" ")
        last = span["end"]
    out.append(text[last:])
    return "".join(out)


def test_half_without_consent_none_of_their_text_and_no_pii(store: Store) -> None:
    rows = [json.loads(line) for line in PII_SET.open(encoding="utf-8") if line.strip()]
    assert len(rows) >= 150
    records = [
        note(f"pii-{i}", row["text"], categories=["access-waiting"], consent_quote=i % 2 == 0)
        for i, row in enumerate(rows)
    ]
    add(store, *records)
    insight = add_insight(store, "Everything", note_ids=[r.id for r in records])
    priority = add_priority(store, "P", insight_ids=[insight])
    add_action(store, "A", priority_ids=[priority])
    html = render_html(
        build_report(store, load_codebook(), audience="commissioner", quotes_per_insight=None)
    )
    quotes = {  # the person's own words in quote marks, or what the listener noted
        note_id: unescape(spoken or noted)
        for spoken, noted, note_id in re.findall(
            r"<blockquote>(?:“(.*?)”|<span class=\"meta\">Noted by the listener:</span> (.*?))"
            r" <span class=\"meta\">— (?:note )?([^<]+)</span>", html, flags=re.S)
    }
    # notes whose words the phrase list reads as a risk are held back from the software's
    # picks (never screened here, so never flagged)
    held = holds_back([{"id": r.id, "text": r.text} for r in records], {})
    for i, (row, record) in enumerate(zip(rows, records, strict=True)):
        if i % 2:
            assert note_ref(record.id, "commissioner", store.secret("note-ref")) not in quotes
            assert escape(record.text) not in html
            # not even a long fragment of a note without consent
            for sentence in record.text.split(". "):
                if len(sentence) > 40:
                    assert escape(sentence) not in html
            continue
        if record.id in held:
            continue
        quote = quotes[note_ref(record.id, "commissioner", store.secret("note-ref"),
                                within=ref("insight", insight))]
        for span in row["spans"]:
            secret = row["text"][span["start"] : span["end"]]
            # the same word may also occur as ordinary text ("May" the month): only
            # occurrences outside gold spans may survive
            outside = _outside_spans(row["text"], row["spans"])
            allowed = len(re.findall(rf"\b{re.escape(secret)}\b", outside))
            found = len(re.findall(rf"\b{re.escape(secret)}\b", quote))
            assert found <= allowed, f"{span['type']} {secret!r} survived in {quote!r}"
    assert len(quotes) == len({r.id for r in records[::2]} - held) > 90


def test_small_numbers_and_safeguarding_counts_only(store: Store) -> None:
    add(
        store,
        note("s1", "He said he has the tablets saved up and a date picked.",
             categories=["crisis-urgent"], safeguarding=True, consent_quote=True),
        note("s2", "Lovely chat about the allotment.", categories=[]),
    )
    data = build_report(store, load_codebook(), audience="commissioner", threshold=5)
    assert data.summary["safeguarding_flagged"] == "<5"
    assert data.summary["notes"] == "<5" and data.summary["places"] == "<5"
    html = render_html(data)
    assert "tablets saved up" not in html
    lead = build_report(store, load_codebook(), audience="lead", threshold=5)
    assert lead.summary["safeguarding_flagged"] == 1


def test_declined_action_shows_reason_and_unlinked_actions_are_listed(store: Store) -> None:
    add(store, note("n1", "The group closed.", categories=["community-support"]))
    insight = add_insight(store, "Groups closing", note_ids=["n1"])
    priority = add_priority(store, "Spaces", insight_ids=[insight])
    add_action(store, "Walk-in centre", status="declined", reason="No budget in 2026/27",
               owner="ICB mental health commissioner", priority_ids=[priority])
    add_action(store, "Orphan action")
    html = render_html(build_report(store, load_codebook()))
    assert "Declined because:</b> No budget in 2026/27" in html
    community = " ".join(render_html(build_report(store, load_codebook(),
                                                  audience="community")).split())
    # who declined it, not "we": the listeners did not give it up
    assert "<h3>Not going ahead</h3>" in community
    assert ("ICB mental health commissioner decided not to do this. Why: No budget in 2026/27"
            in community)
    assert "Actions not yet linked to a priority" in html
    assert "responds to no priority" in html


def test_an_action_back_under_consideration_does_not_say_what_changed(store: Store) -> None:
    add(store, note("n1", "The group closed.", categories=["community-support"]))
    priority = add_priority(store, "Spaces", insight_ids=[
        add_insight(store, "Groups closing", note_ids=["n1"])])
    action = add_action(store, "Lunch club", status="done", priority_ids=[priority])
    add_outcome(store, action, "Club funded for a year",
                evidence="Funding letter from the council, 2 June.")
    add_action(store, "Walk-in centre", priority_ids=[priority])

    def community() -> str:
        return " ".join(render_html(build_report(store, load_codebook(),
                                                 audience="community")).split())

    assert "What changed: Club funded for a year" in community()
    # what shows it, for a reader who doubts that anything changed
    assert "(How we know: Funding letter from the council, 2 June.)" in " ".join(
        re.sub(r"<[^>]+>", " ", community()).split())
    set_action_status(store, action, "proposed")
    page = community()
    # reopened: the page neither says nothing happened nor that the change still stands
    assert "What changed" not in page
    assert "What happened before: Club funded for a year" in page
    assert page.count("Nothing is decided yet") == 1  # the fresh action only
    assert "This is being looked at again" in page


@pytest.mark.parametrize("audience", ["commissioner", "lead", "community"])
def test_report_renders_for_each_audience(store: Store, audience: str, tmp_path: Path) -> None:
    add(store, note("n1", "Text", categories=["daily-living"]))
    insight = add_insight(store, "Nothing at weekends", note_ids=["n1"])
    add_action(store, "Open a Saturday drop-in", status="done",
               priority_ids=[add_priority(store, "Somewhere to go at weekends",
                                          insight_ids=[insight])])
    html = render_html(build_report(store, load_codebook(), audience=audience))  # type: ignore[arg-type]
    if audience == "community":
        assert "You said, we did" in html and "We did" in html
        assert "note-id" not in html  # plain language: no ids or jargon
    else:
        assert f"For: {audience}" in html and "Open a Saturday drop-in" in html


@pytest.mark.parametrize("audience", ["commissioner", "lead", "community"])
def test_flagged_notes_are_never_quoted(store: Store, audience: str) -> None:
    """A safeguarding concern goes to a person, not into a report, even with consent."""
    add(
        store,
        note("by-person", "Waited months for the crisis team. Person flag.",
             categories=["crisis-urgent"], safeguarding=True),
        note("by-queue", "Waited months for the crisis team. Queue flag.",
             categories=["crisis-urgent"]),
        note("by-model", "Waited months for the crisis team. Model flag.",
             categories=["crisis-urgent"]),
        note("clear", "Waited months for the crisis team. No flag.",
             categories=["crisis-urgent"]),
        note("other", "Crisis line rang out twice.", categories=["crisis-urgent"]),
    )
    store.flag_safeguarding("by-queue", by="phrase-list", reason="test")
    store.save_model_tags(
        [ModelTagging("by-model", {"crisis-urgent": 0.9}, ["crisis-urgent"], {}, True, None)],
        model_version="m1", codebook_version="1",
    )
    insight = add_insight(store, "Crisis waits", note_ids=["by-person", "by-queue", "by-model",
                                                            "clear", "other"])
    add_action(store, "Call-back standard", priority_ids=[add_priority(store, "P",
                                                                       insight_ids=[insight])])
    html = render_html(build_report(store, load_codebook(), audience=audience))  # type: ignore[arg-type]
    assert "flag." not in html.replace("No flag.", "")
    if audience != "community":
        assert "No flag." in html


def test_you_said_quotes_only_peoples_own_words_once(store: Store) -> None:
    """The community page quotes only what the note puts in quote marks, and a note in two
    insights is quoted once in any report."""
    paraphrase = "She said the minibus to the day centre stopped taking wheelchairs."
    spoken = "'Since the cafe closed I talk to nobody all week,' he said. Lives alone."
    add(store,
        note("para", paraphrase, categories=["community-support"]),
        note("own", spoken, categories=["community-support"]),
        *[note(f"x{i}", f"Group {i} went online only.", categories=["community-support"])
          for i in range(3)],
        *[note(f"y{i}", f"Nobody to talk to on day {i}.", categories=["community-support"])
          for i in range(4)])
    ids = ["para", "own", "x0", "x1", "x2"]
    first = add_insight(store, "Places closing", categories=["community-support"], note_ids=ids)
    second = add_insight(store, "Lonely at home", categories=["community-support"],
                         note_ids=["own", "para", "y0", "y1", "y2", "y3"])
    add_action(store, "Reopen the cafe", status="agreed", due_on=date(2027, 3, 31),
               priority_ids=[add_priority(store, "P", insight_ids=[first, second])])
    for insight in (first, second):  # the community page quotes what a lead pinned
        for note_id in ("para", "own"):
            set_quote_choice(store, insight, note_id, "pin")
    data = build_report(store, load_codebook(), audience="community")
    # the second insight's pins are quoted under the first: said, with what to do
    assert [w for w in data.warnings if "quotes none of the notes pinned" in w] == [
        "I2: the community page quotes none of the notes pinned, as a note pinned for it is "
        "quoted under I1 already (a page quotes a note once); pin another note, with the "
        "person's own words in quote marks and consent to quote"]
    community = unescape(render_html(data))
    assert "conversations were written down" in community  # plain words, plain dates
    # two findings under one priority: one list item each, the quote inside its own
    heard = community.split('<ul class="heard">')[1].split("</ul>")[0]
    items = heard.split("<li>")[1:]
    assert len(items) == 2 and "Since the cafe closed" in items[0]
    assert "Since the cafe closed" not in items[1]
    words = " ".join(community.split())
    assert "listeners in March 2026." in words and "between" not in words  # one month
    assert "by March 2027" in community and "2027-03-31" not in community
    assert "minibus" not in community
    assert community.count("“Since the cafe closed I talk to nobody all week”") == 1
    commissioner = unescape(render_html(build_report(store, load_codebook())))
    assert commissioner.count("Since the cafe closed") == 1
    # the commissioner sees what was noted, marked as the listener's words, not quoted
    assert commissioner.count("minibus") == 1
    assert f"Noted by the listener:</span> {paraphrase}" in commissioner
    assert f"“{paraphrase}”" not in commissioner
    assert "“Since the cafe closed I talk to nobody all week”" in commissioner


def test_pins_the_community_page_cannot_quote_are_said_with_why(store: Store) -> None:
    add(store, *[note(f"p{i}", f"Group {i} went online only.", categories=["community-support"])
                 for i in range(6)])
    insight = add_insight(store, "Places closing", categories=["community-support"],
                          note_ids=[f"p{i}" for i in range(6)])
    add_priority(store, "Keep places open", insight_ids=[insight])
    set_quote_choice(store, insight, "p0", "pin")  # the listener's words: no quote marks
    data = build_report(store, load_codebook(), audience="community")
    assert [w for w in data.warnings if "quotes none of the notes pinned" in w] == [
        "I1: the community page quotes none of the notes pinned, as it quotes only a person's "
        "own words (in quote marks), with consent to quote and no safeguarding concern; pin a "
        "note that has them, or leave it without a quote"]
    assert not [w for w in build_report(store, load_codebook()).warnings
                if "quotes none of the notes pinned" in w]  # a community page matter only


def test_a_pin_on_an_insight_of_too_few_notes_is_said_to_be_that(store: Store) -> None:
    """Its own words, consent, no concern: the reason it is not quoted is the count."""
    add(store, *[note(f"f{i}", f"'The group was all I had,' she said of group {i}.",
                      categories=["community-support"]) for i in range(4)])
    insight = add_insight(store, "Places closing", categories=["community-support"],
                          note_ids=[f"f{i}" for i in range(4)])
    add_priority(store, "Keep places open", insight_ids=[insight])
    set_quote_choice(store, insight, "f0", "pin")
    data = build_report(store, load_codebook(), audience="community")
    assert [w for w in data.warnings if "quotes none of the notes pinned" in w] == [
        "I1: the community page quotes none of the notes pinned, as its count is not shown "
        "outside the leads' view (too few notes, or a few short of another insight's), and a "
        "quote would speak for one of those few people"]
    lead = build_report(store, load_codebook(), audience="lead")
    assert [q.note_id for i in lead.priorities[0]["insights"] for q in i["quotes"]][:1] == ["f0"]


def test_an_insight_a_few_notes_short_of_another_is_not_counted(store: Store) -> None:
    add(store, *[note(f"w{i}", f"Waited {i} months.", categories=["access-waiting"])
                 for i in range(12)])
    everyone = add_insight(store, "Waiting", note_ids=[f"w{i}" for i in range(12)])
    most = add_insight(store, "Waiting, not in Leeds", note_ids=[f"w{i}" for i in range(9)])
    add_action(store, "Call back", priority_ids=[add_priority(store, "P",
                                                               insight_ids=[everyone, most])])
    commissioner = unescape(render_html(build_report(store, load_codebook())))
    assert "(12 notes" in commissioner and "(9 notes" not in commissioner
    # 12 - 9 would count 3: said in words, not a marker dropped where a number would go
    assert "(notes linked by a lead: how many is not shown, for privacy)" in commissioner
    assert " ".join(commissioner.split("Golden thread")[1].split()).count(
        "notes: how many is not shown, for privacy (the leads' report lists them)") == 1
    assert "(privacy)" not in commissioner
    lead = unescape(render_html(build_report(store, load_codebook(), audience="lead")))
    assert "(9 notes" in lead


def test_report_hides_what_only_its_months_would_need_and_a_small_acknowledged_count(
    store: Store,
) -> None:
    """Six notes of a category, one a month: beside its months the total would say each
    month holds exactly one, so a month-by-month roll-up withholds the months and shows
    the total the report shows. Routed 9, open 6 would give away 3 acknowledged."""
    add(store, *[note(f"m{i}", f"Waited {i} months.", categories=["access-waiting"],
                      heard_on=f"2026-0{1 + i}-10") for i in range(6)],
        *[note(f"s{i}", f"Worried about her son {i}.", safeguarding=True) for i in range(9)])
    for item in store.safeguarding_items()[:3]:
        store.acknowledge_safeguarding(item["id"], note="called the family")
    data = build_report(store, load_codebook(), audience="commissioner")
    [waiting] = [r for r in data.rollup if r["category"] == "access-waiting"]
    assert waiting["notes"] == 6
    assert data.summary["safeguarding_flagged"] == 9
    assert data.summary["safeguarding_open"] == HIDDEN
    from insight.rollup import category_rollup, note_frame

    by_month = category_rollup(note_frame(store), load_codebook(), audience="commissioner")
    row = by_month.set_index("category").loc["access-waiting"]
    assert row["notes"] == 6
    assert {row[f"2026-0{1 + i}"] for i in range(6)} == {WITHHELD}


def test_an_erased_note_is_not_counted_as_routed_to_safeguarding(store: Store) -> None:
    add(store, *[note(f"s{i}", f"Worried about her son {i}.", safeguarding=True)
                 for i in range(7)])
    for item in store.safeguarding_items():
        store.acknowledge_safeguarding(item["id"], note="called the family")
    assert build_report(store, load_codebook(), audience="lead").summary[
        "safeguarding_flagged"] == 7
    store.erase_notes(["s3"], reason="asked to be removed")
    after = build_report(store, load_codebook(), audience="lead").summary
    assert after["notes"] == 6 and after["safeguarding_flagged"] == 6


def test_note_ids_stay_with_leads_and_references_trace_back(store: Store) -> None:
    secret = "Jose Garcia 07700900789"
    add(store, note(secret, "The group closed and nobody said why.",
                    categories=["community-support"]),
        *[note(f"g{i}", f"Group {i} closed too.", categories=["community-support"])
          for i in range(4)])
    # five notes: at the threshold, so the insight's notes are listed by reference
    insight = add_insight(store, "Groups closing", note_ids=[secret, *[f"g{i}" for i in range(4)]])
    add_action(store, "Keep the group", priority_ids=[add_priority(store, "P",
                                                                   insight_ids=[insight])])
    key = store.secret("note-ref")
    reference = note_ref(secret, "commissioner", key, within=ref("insight", insight))
    # keyed: hashing the id without the workspace's secret does not give the reference
    import hashlib

    assert hashlib.sha256(secret.encode()).hexdigest()[:12] not in reference
    assert store.secret("note-ref") == key and len(key) == 32
    assert reference.startswith("note-") and "Garcia" not in reference
    for audience in ("commissioner", "community"):
        html = render_html(build_report(store, load_codebook(), audience=audience))  # type: ignore[arg-type]
        assert "Garcia" not in html and "07700900789" not in html
    commissioner = render_html(build_report(store, load_codebook(), audience="commissioner"))
    assert reference in commissioner
    lead = render_html(build_report(store, load_codebook(), audience="lead"))
    assert escape(secret) in lead
    from insight.thread import load_thread

    assert load_thread(store).note_of_ref(reference, key) == secret
    # a reference printed before references were per insight still finds its note
    assert load_thread(store).note_of_ref(note_ref(secret, "commissioner", key), key) == secret
    assert load_thread(store).note_of_ref("note-000000000000", key) is None


def test_references_cannot_be_matched_across_insights(store: Store) -> None:
    """Matching references under two insights would count the notes they share (here 2,
    a number the report suppresses), so a note has a different reference under each."""
    add(store, *[note(f"n{i}", f"Waited {i} weeks for a call back.",
                      categories=["access-waiting"]) for i in range(10)])
    first = add_insight(store, "Waiting", note_ids=[f"n{i}" for i in range(6)])
    second = add_insight(store, "No call back", note_ids=[f"n{i}" for i in range(4, 10)])
    add_action(store, "Call back", priority_ids=[add_priority(store, "P",
                                                               insight_ids=[first, second])])
    data = build_report(store, load_codebook(), audience="commissioner")
    assert data.priorities[0]["evidence"] == "6 to 12"  # not 10: that gives 2 away
    chain = data.priorities[0]["actions"][0]["chain"]["priorities"][0]["insights"]
    listed = [set(i["notes"]) for i in chain]
    assert [len(n) for n in listed] == [6, 6] and not listed[0] & listed[1]
    html = render_html(data)
    references = set(re.findall(r"note-[0-9a-f]{12}", html))
    assert len(references) == 12  # each note under each insight once, none shared
    thread = load_thread(store)
    key = store.secret("note-ref")
    traced = [thread.note_of_ref(r, key) for r in references]
    assert sorted(traced) == sorted([f"n{i}" for i in range(6)] + [f"n{i}" for i in range(4, 10)])


def test_a_place_few_notes_come_from_is_not_named_in_quotes(store: Store) -> None:
    story = "I had a panic attack in the Co-op in Helston and the manager called the police."
    add(store,
        note("h", story, categories=["crisis-urgent"], place="Helston"),
        *[note(f"s{i}", f"Sheffield crisis line rang out, call {i}.",
               categories=["crisis-urgent"], place="Sheffield") for i in range(5)])
    insight = add_insight(store, "Crisis", note_ids=["h", *[f"s{i}" for i in range(5)]])
    add_action(store, "Sanctuary", priority_ids=[add_priority(
        store, "P", insight_ids=[insight], agreed_on=date(2026, 4, 1))])
    commissioner = unescape(render_html(build_report(store, load_codebook(),
                                                     quotes_per_insight=None)))
    assert "Helston" not in commissioner
    assert "Co-op in [PLACE] and the manager" in commissioner
    assert "Sheffield crisis line" in commissioner  # five notes: named
    lead = unescape(render_html(build_report(store, load_codebook(), audience="lead",
                                             quotes_per_insight=None)))
    assert "Co-op in Helston" in lead
    # a quarter's note names a town no note of the quarter comes from, and one of all
    # (blind audit): not named in its report either
    add(store, note("q", story.replace("I had", "Back home I had"),
                    categories=["crisis-urgent"], place="Leeds", heard_on="2026-08-12"),
        *[note(f"q{i}", f"Leeds crisis line rang out, call {i}.",
               categories=["crisis-urgent"], place="Leeds", heard_on="2026-08-10")
          for i in range(5)])
    link_notes(store, insight, ["q", *[f"q{i}" for i in range(5)]])
    quarter = unescape(render_html(build_report(
        store, load_codebook(), quotes_per_insight=None,
        since=date(2026, 7, 1), until=date(2026, 9, 30))))
    assert "Back home I had a panic attack in the Co-op in [PLACE]" in quarter
    assert "Helston" not in quarter


def test_a_community_few_notes_come_from_is_not_named_in_quotes(store: Store) -> None:
    # "Who we heard from" leaves out a community fewer than five notes come from; a quote
    # naming it would give it back, with a story beside it
    story = "As a Roma mum the surgery would not register me, so I gave up on the GP."
    add(store,
        note("r", story, categories=["fair-treatment"], community=["Roma", "women"]),
        *[note(f"w{i}", f"As a Polish woman I waited {i + 2} weeks for an interpreter.",
               categories=["fair-treatment"], community=["Polish", "women"])
          for i in range(5)])
    insight = add_insight(store, "Turned away", note_ids=["r", *[f"w{i}" for i in range(5)]])
    add_action(store, "Registration", priority_ids=[add_priority(store, "P",
                                                                 insight_ids=[insight])])
    commissioner = unescape(render_html(build_report(store, load_codebook(),
                                                     quotes_per_insight=None)))
    assert "Roma" not in commissioner
    assert "As a [COMMUNITY] mum the surgery" in commissioner
    assert "As a Polish woman I waited" in commissioner  # five notes: named
    lead = unescape(render_html(build_report(store, load_codebook(), audience="lead",
                                             quotes_per_insight=None)))
    assert "As a Roma mum" in lead


def test_a_community_few_in_the_notes_quarter_is_hidden_in_every_report(store: Store) -> None:
    """A blind commissioner audit: the one Deaf note of the third quarter was quoted as
    "explain [COMMUNITY] culture" in that quarter's report and "explain deaf culture" in
    the report of all notes, under one reference: side by side, they said who. A community
    few notes of the note's own quarter come from is hidden in both."""
    story = 'She said "for the first time I did not have to explain deaf culture to a nurse".'
    add(store,
        note("d", story, categories=["cultural-factors"], community=["Deaf"],
             heard_on="2026-08-12"),
        *[note(f"e{i}", f"The BSL interpreter never came to the clinic, visit {i}.",
               categories=["cultural-factors"], community=["Deaf"], heard_on="2026-02-10")
          for i in range(5)],
        *[note(f"q{i}", f"The leaflets were only in English, visit {i}.",
               categories=["cultural-factors"], heard_on="2026-08-20") for i in range(5)])
    insight = add_insight(store, "Culture", note_ids=["d", *[f"q{i}" for i in range(5)]])
    add_action(store, "Interpreters", priority_ids=[add_priority(
        store, "P", insight_ids=[insight], agreed_on=date(2026, 4, 1))])
    every = unescape(render_html(build_report(store, load_codebook(), quotes_per_insight=None)))
    quarter = unescape(render_html(build_report(
        store, load_codebook(), quotes_per_insight=None,
        since=date(2026, 7, 1), until=date(2026, 9, 30))))
    for html in (every, quarter):  # six Deaf notes in all, one in its quarter
        assert "explain [COMMUNITY] culture" in html and "explain deaf culture" not in html
    lead = unescape(render_html(build_report(store, load_codebook(), audience="lead",
                                             quotes_per_insight=None)))
    assert "explain deaf culture" in lead


def test_a_small_place_or_community_in_lower_case_is_not_named_in_quotes(
    store: Store,
) -> None:
    """A blind privacy audit: the one note from Little Snoring was quoted to commissioners
    as "out here in little snoring there is no bus", and the one note of the Deaf
    community as "I am the only deaf man": a whole name is masked in any case."""
    add(store,
        note("q8", 'He said "out here in little snoring there is no bus and the waiting '
                   'list is a year".', categories=["access-waiting"], place="Little Snoring"),
        note("d", 'He said "I am the only deaf man at the clinic and I waited a year".',
             categories=["access-waiting"], community=["Deaf"]),
        *[note(f"w{i}", f"The waiting list in Leeds was long, week {i}.",
               categories=["access-waiting"]) for i in range(5)])
    insight = add_insight(store, "Long waits", note_ids=["q8", "d", *[f"w{i}" for i in range(5)]])
    add_action(store, "Waits", priority_ids=[add_priority(store, "P", insight_ids=[insight])])
    for audience in ("commissioner", "lead"):
        html = unescape(render_html(build_report(store, load_codebook(), audience=audience,
                                                 quotes_per_insight=None)))
        if audience == "lead":
            assert "out here in little snoring" in html and "only deaf man" in html
            continue
        assert "snoring" not in html.lower() and "deaf" not in html.lower()
        assert "out here in [PLACE] there is no bus" in html
        assert "I am the only [COMMUNITY] man" in html


def test_a_town_no_note_comes_from_is_not_named_outside_the_leads_view(store: Store) -> None:
    """A commissioner audit: "I live in Keighley" was quoted as written, as Keighley is no
    note's place, so never counted and never a small group; beside a community and a month
    it can point to the person. Outside the leads' view a town the lexicon knows is
    [PLACE] unless it is the workspace's area or many of its notes come from it; an
    everyday word that is also a town is left alone."""
    keighley = 'She said "I live in Keighley and the crisis line never picks up at night".'
    add(store,
        note("k", keighley, categories=["crisis-urgent"], place="Harehills"),
        note("a", 'He said "the Leeds crisis team came within the hour, I was amazed".',
             categories=["crisis-urgent"], place="Harehills"),
        note("r", 'He said "Reading the crisis plan they gave me, I felt more alone".',
             categories=["crisis-urgent"], place="Harehills"),
        *[note(f"b{i}", f'She said "since we moved here from Bradford the crisis line is '
                        f'better, call {i}".', categories=["crisis-urgent"], place="Bradford")
          for i in range(5)])
    insight = add_insight(store, "Crisis lines", note_ids=["k", "a", "r",
                                                           *[f"b{i}" for i in range(5)]])
    add_action(store, "Night line", priority_ids=[add_priority(
        store, "P", insight_ids=[insight], agreed_on=date(2026, 4, 1))])
    set_quote_choice(store, insight, "k", "pin")

    def html(audience: str, area: str = "Leeds") -> str:
        return unescape(render_html(build_report(
            store, load_codebook(), audience=audience,  # type: ignore[arg-type]
            quotes_per_insight=None, area=area)))

    commissioner = html("commissioner")
    assert "Keighley" not in commissioner
    assert "I live in [PLACE] and the crisis line never picks up" in commissioner
    # the area (though the place field names it for no note), a place five notes come
    # from, and "Reading" that is no town here are all as said
    assert "the Leeds crisis team came within the hour" in commissioner
    assert "since we moved here from Bradford" in commissioner
    assert "Reading the crisis plan they gave me" in commissioner
    assert "Area: Leeds" in commissioner and "What people in Leeds told" in commissioner
    tables = report_tables(build_report(store, load_codebook(), area="Leeds"))
    assert ["area", "Leeds"] in tables["About"]
    community = html("community")
    assert "Keighley" not in community and "I live in [place removed]" in community
    assert "Thank you to everyone in Leeds who talked" in community
    lead = html("lead")
    assert "I live in Keighley and the crisis line" in lead
    # no area declared: Leeds is a town like any other, and the report names no area
    other = html("commissioner", area="")
    assert "the [PLACE] crisis team came" in other and "Area:" not in other


def test_no_quote_from_an_insight_few_notes_rest_on(store: Store) -> None:
    add(store, *[note(f"n{i}", f"The bus to group {i} stopped.",
                      categories=["community-support"]) for i in range(3)])
    insight = add_insight(store, "Buses", note_ids=["n0", "n1", "n2"])
    add_action(store, "Bus", priority_ids=[add_priority(store, "P", insight_ids=[insight])])
    for audience in ("commissioner", "community"):
        data = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
        assert data.priorities[0]["insights"][0]["quotes"] == []
        assert "The bus to group" not in render_html(data)
    lead = build_report(store, load_codebook(), audience="lead")
    assert len(lead.priorities[0]["insights"][0]["quotes"]) == 2


def test_you_said_leaves_out_priorities_no_note_rests_on(store: Store) -> None:
    add(store, *[note(f"n{i}", f"The bus to group {i} stopped.",
                      categories=["community-support"], heard_on=f"2026-0{i + 1}-1{i}")
                 for i in range(5)])
    heard = add_insight(store, "Buses", note_ids=[f"n{i}" for i in range(5)])
    add_action(store, "Bus pass", priority_ids=[add_priority(store, "Transport",
                                                              insight_ids=[heard])])
    add_action(store, "New logo", status="done",
               priority_ids=[add_priority(store, "Rebrand the service")])
    community = render_html(build_report(store, load_codebook(), audience="community"))
    assert "Transport" in community and "Rebrand the service" not in community
    assert "New logo" not in community
    commissioner = " ".join(unescape(render_html(build_report(store, load_codebook()))).split())
    assert "Rebrand the service" in commissioner and "has no insights" in commissioner
    # the first and last conversation by month, not by day, outside the leads' view
    assert "from January 2026 to May 2026" in commissioner
    assert "2026-01-10" not in commissioner and "2026-05-14" not in commissioner
    lead = " ".join(unescape(render_html(build_report(store, load_codebook(),
                                                      audience="lead"))).split())
    assert "between 2026-01-10 and 2026-05-14" in lead


def test_counts_are_suppressed_everywhere_in_the_commissioner_report(store: Store) -> None:
    add(store, *[note(f"c{i}", "The group closed.", categories=["community-support"])
                 for i in range(3)])
    insight = add_insight(store, "Groups", note_ids=["c0", "c1", "c2"])
    add_action(store, "Keep it", priority_ids=[add_priority(store, "P", insight_ids=[insight])])
    data = build_report(store, load_codebook(), audience="commissioner", threshold=5)
    # fewer notes than the threshold: no breakdown of them at all (a user audit)
    assert data.summary["notes"] == "<5"
    assert data.summary["tagged_by_person"] == data.summary["tagged_by_model"] == "not shown"
    html = render_html(data)
    assert "back to &lt;5 notes" in html and "note-" not in html.split("Golden thread")[1]
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    assert "Categories: how many notes have categories a person gave, how many were tagged " \
        "by the model and how many are not tagged yet is not shown, for privacy." in text
    summary = text.split("Summary")[1].split("How to read")[0]
    assert "not shown (privacy)" not in summary  # a table's cell may say it; a sentence not
    lead = render_html(build_report(store, load_codebook(), audience="lead", threshold=5))
    assert "back to 3 notes" in lead and lead.count('class="note-id"') == 3


def test_a_small_insight_cannot_be_worked_out_from_its_priority(store: Store) -> None:
    """15 notes = insight I1 (12) + I2 (3): showing 15 and 12 would give I2 away."""
    add(store, *[note(f"w{i}", f"Waited {i} months.", categories=["access-waiting"])
                 for i in range(12)],
        *[note(f"c{i}", f"Carer {i} unheard.", categories=["carers-family"]) for i in range(3)])
    big = add_insight(store, "Waiting", note_ids=[f"w{i}" for i in range(12)])
    small = add_insight(store, "Carers", note_ids=[f"c{i}" for i in range(3)])
    priority = add_priority(store, "P", insight_ids=[big, small])
    add_action(store, "A", priority_ids=[priority])
    data = build_report(store, load_codebook(), audience="commissioner", threshold=5)
    view = data.priorities[0]
    counts = [i["evidence"] for i in view["insights"]]
    # the insights' own counts stand; the totals would give the small one away
    assert counts == [12, "<5"] and view["evidence"] == "at least 12"
    assert view["actions"][0]["evidence"] == "at least 12"
    html = render_html(data)
    assert "Resting on at least 12 notes" in html
    # the golden thread lists the big insight's notes, none of the small one's
    assert html.split("Golden thread")[1].count('class="note-id"') == 12
    # each step of the thread links to where the report shows it
    thread = html.split("Golden thread")[1]
    for record in ("P1", "I1", "I2"):
        assert f'href="#{record}"' in thread and f'id="{record}"' in html
    lead = build_report(store, load_codebook(), audience="lead")
    assert [i["evidence"] for i in lead.priorities[0]["insights"]] == [12, 3]


def test_the_summary_split_cannot_give_a_small_count_away(store: Store) -> None:
    add(store, *[note(f"p{i}", "Said by a person.", categories=["access-waiting"])
                 for i in range(3)],
        *[note(f"m{i}", "Left to the model.") for i in range(8)],
        note("u0", "Not tagged yet."))
    store.save_model_tags(
        [ModelTagging(f"m{i}", {"access-waiting": 0.9}, ["access-waiting"], {}, False, None)
         for i in range(8)],
        "model-v1", None,
    )
    lead = build_report(store, load_codebook(), audience="lead").summary
    assert (lead["notes"], lead["tagged_by_person"], lead["tagged_by_model"],
            lead["untagged"]) == (12, 3, 8, 1)
    shown = build_report(store, load_codebook(), audience="commissioner", threshold=5).summary
    assert shown["tagged_by_person"] == "<5" and shown["untagged"] == "<5"
    # 12 - 8 would leave 4 for two small counts: one of them would be pinned down
    assert "hidden" in (shown["notes"], shown["tagged_by_model"])
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", render_html(build_report(
        store, load_codebook(), audience="commissioner", threshold=5)))).split())
    # the hidden count is said in words, never "hidden were tagged by the model"
    assert "Categories: <5 notes have categories a person gave (the listener or a reviewer); " \
        "how many were tagged by the model (with or without finding a category) is not shown, " \
        "for privacy; <5 are not tagged yet." in text


def test_community_page_explains_service_words_and_uses_headings(store: Store) -> None:
    add(store, *[note(f"n{i}", f"The CMHT letter {i} came late.", categories=["access-waiting"])
                 for i in range(5)])
    heard = add_insight(store, "Letters late", note_ids=[f"n{i}" for i in range(5)])
    action = add_action(store, "Text reminders so fewer DNAs", owner="ICB mental health lead",
                        priority_ids=[add_priority(store, "Letters", insight_ids=[heard])])
    add_outcome(store, action, "The CMHT now sends texts, and offers CBT sooner.")
    community = unescape(render_html(build_report(store, load_codebook(), audience="community")))
    glossary = community[community.index("Words used on this page"):]
    assert "<dt>ICB</dt><dd>Integrated Care Board" in glossary
    assert "<dt>CMHT</dt><dd>Community Mental Health Team" in glossary
    assert "<dt>DNA</dt><dd>did not attend" in glossary  # "fewer DNAs": the plural too
    assert "<dt>CBT</dt><dd>cognitive behavioural therapy" in glossary
    assert "IAPT" not in glossary and "<dt>commissioner</dt>" not in glossary
    assert "If you need help now" in community and "116 123" in community
    assert "<h3>You said" in community and "<h3>We are considering</h3>" in community
    commissioner = render_html(build_report(store, load_codebook()))
    assert "Words used on this page" not in commissioner
    assert "<title>You said, we did</title>" in community  # no title of its own given
    named = render_html(build_report(store, load_codebook(), audience="community",
                                     title="Rushmere Carers Network, 2025"))
    # the page first (a title of its own may have a colon of its own)
    assert "<title>You said, we did – Rushmere Carers Network, 2025</title>" in named
    # the page's heading first, then whose page it is
    assert '<h1>You said, we did</h1> <p class="meta">Rushmere Carers Network, 2025</p>' in \
        " ".join(named.split())


def test_chart_has_a_text_alternative_and_draws_small_counts_as_small(store: Store) -> None:
    add(store, *[note(f"w{i}", "Waited.", categories=["access-waiting"]) for i in range(7)],
        note("c", "Crisis.", categories=["crisis-urgent"]))
    svg = build_report(store, load_codebook(), audience="commissioner").chart_svg
    label = unescape(re.search(r'<svg[^>]* role="img" aria-label="([^"]+)"', svg).group(1))
    # 8 notes with categories, 7 in one: the 7 is a range, or the "<5" would be 1
    assert "Getting help and waiting: 5 to 7" in label and "Crisis and urgent help: <5" in label
    assert "hatched: fewer than 5" in svg
    lead = build_report(store, load_codebook(), audience="lead").chart_svg
    assert "Crisis and urgent help: 1" in unescape(lead) and "hatched" not in lead


def test_a_small_category_is_not_given_away_in_the_report_or_its_tables(
    store: Store, tmp_path: Path
) -> None:
    """The blind audit's case on a report: 24 notes each with one category a person gave,
    20 and 4; "24 notes have categories", "20", "<5" and zeros said the "<5" was 4. The
    HTML, the spreadsheet tables and the chart give the 20 as "20 to 23"."""
    add(store, *[note(f"a{i}", "I waited a long time on the waiting list.",
                      categories=["access-waiting"]) for i in range(20)],
        *[note(f"d{i}", "My benefits were stopped.", categories=["daily-living"])
          for i in range(4)])
    data = build_report(store, load_codebook(), audience="commissioner")
    assert data.summary["notes"] == 24 and data.summary["tagged_by_person"] == 24
    rows = {r["category"]: r for r in data.rollup}
    assert rows["access-waiting"]["notes"] == "20 to 23"
    assert rows["access-waiting"]["share"] is None
    assert rows["access-waiting"]["negative"] == WITHHELD
    assert rows["daily-living"]["notes"] == "<5"
    html = unescape(re.sub(r"<[^>]+>", " ", render_html(data)))
    assert "Getting help and waiting 20 to 23" in " ".join(html.split())
    assert "its share and experiences are then not shown" in " ".join(html.split())
    assert "Getting help and waiting: 20 to 23" in unescape(data.chart_svg)
    [table] = [t for name, t in report_tables(data).items() if name == "Categories"]
    by_name = {row[0]: row for row in table[1:]}
    assert by_name["Getting help and waiting"][1:3] == ["20 to 23", None]
    assert by_name["Money, housing, work and daily life"][1] == "<5"
    lead = build_report(store, load_codebook(), audience="lead")
    assert {r["category"]: r["notes"] for r in lead.rollup}["access-waiting"] == 20


def test_leads_see_notes_by_place_listener_and_month(store: Store) -> None:
    add(store,
        *[note(f"a{i}", "Waited.", place="Leeds", listener="L1", heard_on="2026-03-02")
          for i in range(3)],
        note("b", "Waited.", place="Helston", listener="L2", heard_on="2026-04-09"),
        note("c", "Waited.", place="leeds ", listener="l2", heard_on=None))
    lead = build_report(store, load_codebook(), audience="lead")
    # a name in any case or spacing is one place or listener, as counted everywhere else
    assert lead.breakdowns["listener"] == [("L1", 3), ("L2", 2)]
    assert lead.breakdowns["month"] == [("2026-03", 3), ("2026-04", 1), ("not given", 1)]
    assert lead.breakdowns["place"] == [("Leeds", 4), ("Helston", 1)]
    html = render_html(lead)
    assert "Where, who and when" in html and "<th scope=\"row\">Helston</th>" in html
    for audience in ("commissioner", "community"):
        other = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
        assert other.breakdowns == {} and "Helston" not in render_html(other)


def test_an_insight_says_when_where_and_by_how_many_listeners_it_was_heard(
    store: Store,
) -> None:
    """A commissioner could not tell forty notes from one listener in one place from forty
    heard across a county (blind commissioner audit)."""
    add(store,
        *[note(f"a{i}", "Waited months with no call.", place="Leeds", listener="L1",
               setting="cafe", heard_on="2026-03-02", categories=["access-waiting"])
          for i in range(4)],
        note("b", "Waited a year.", place="leeds ", listener="l1", setting="Cafe",
             heard_on="2025-11-20", categories=["access-waiting"]),
        note("c", "Nobody rang.", place="Helston", listener="L2", setting="phone call",
             heard_on=None, categories=["access-waiting"]),
        *[note(f"s{i}", "The group closed.", listener="L3", categories=["community-support"])
          for i in range(3)])
    wide = add_insight(store, "Waiting alone", note_ids=["a0", "a1", "a2", "a3", "b", "c"])
    few = add_insight(store, "Groups closing", note_ids=["s0", "s1", "s2"])
    add_priority(store, "No one waits alone", insight_ids=[wide, few])
    commissioner = build_report(store, load_codebook(), audience="commissioner")
    views = {i["title"]: i for i in commissioner.priorities[0]["insights"]}
    assert views["Waiting alone"]["profile"] == {
        "first": "2025-11-20", "last": "2026-03-02", "undated": 1,
        "places": 2, "listeners": 2, "settings": 2, "threshold": 5}
    html = render_html(commissioner)
    # counts under the threshold as every count outside the leads' view: "fewer than 5"
    assert ("Heard November 2025 to March 2026, in fewer than 5 places, by fewer than 5 "
            "listeners, in fewer than 5 kinds of setting, 1 note with no date.") in html
    assert ("Heard November 2025 to March 2026, in 2 places, by 2 listeners, in 2 kinds of "
            "setting, 1 note with no date.") in render_html(build_report(
                store, load_codebook(), audience="lead"))
    # where the count is not shown, neither is where its notes came from
    closing = views["Groups closing"]
    assert closing["evidence"] == "<5" and closing["profile"] is None
    rows = {r[0]: r for r in report_tables(commissioner)["Insights"][1:]}
    header = report_tables(commissioner)["Insights"][0]
    assert dict(zip(header, rows[ref("insight", wide)], strict=True))["first heard"] == \
        "November 2025"
    assert dict(zip(header, rows[ref("insight", few)], strict=True))["places"] is None
    assert dict(zip(header, rows[ref("insight", wide)], strict=True))["listeners"] == "<5"
    lead = build_report(store, load_codebook(), audience="lead")
    assert {i["title"]: i["profile"]["listeners"] for i in lead.priorities[0]["insights"]} == {
        "Waiting alone": 2, "Groups closing": 1}
    community = build_report(store, load_codebook(), audience="community")
    assert all(i["profile"] is None for p in community.priorities for i in p["insights"])
    assert "kinds of setting" not in render_html(community)


def test_leads_see_what_to_do_before_the_report_goes_out(store: Store) -> None:
    add(store, *[note(f"p{i}", "The bus stopped.", categories=["daily-living"]) for i in range(3)],
        note("m", "The bus stopped again."), note("s", "Has a plan to end it.", safeguarding=True))
    store.save_model_tags(
        [ModelTagging("m", {"daily-living": 0.9}, ["daily-living"], {}, False, None)],
        model_version="m1", codebook_version="1",
    )
    insight = add_insight(store, "Buses", note_ids=["p0", "p1", "p2", "m"])
    add_action(store, "Bus", priority_ids=[add_priority(store, "P", insight_ids=[insight])])
    # an insight no priority rests on is no claim of the report's yet
    add(store, note("o", "The library shut."))
    add_insight(store, "Libraries", note_ids=["o"])
    lead = build_report(store, load_codebook(), audience="lead")
    assert lead.unreviewed == ["m"]  # the thread rests on it, and only the model read it
    [(item, days)] = lead.waiting
    assert days == 0 and item == store.safeguarding_items()[0]["id"]
    html = " ".join(render_html(lead).split())
    assert "Before this report goes out" in html and "1 safeguarding item still open" in html
    commissioner = build_report(store, load_codebook())
    assert commissioner.unreviewed == [] and commissioner.waiting == []
    assert "Before this report goes out" not in render_html(commissioner)


def test_actions_at_a_glance_by_stage_and_status(store: Store) -> None:
    add_action(store, "Cafes", status="done", stage="contracting")
    add_action(store, "Walk-in", status="declined", reason="No budget", stage="contracting")
    add_action(store, "Calls", status="agreed")
    data = build_report(store, load_codebook())
    assert data.action_overview == [
        ("contracting", {"proposed": 0, "agreed": 0, "in progress": 0, "done": 1,
                         "declined": 1}),
        ("stage not set", {"proposed": 0, "agreed": 1, "in progress": 0, "done": 0,
                           "declined": 0}),
    ]
    html = " ".join(render_html(data).split())
    assert "<h2>Actions at a glance</h2>" in html and "<th scope=\"row\">stage not set</th>" in html


# -- leads' quote choices ------------------------------------------------------------------

WAITS = ["endless", "cruel", "lonely", "silent", "grey", "long"]


def _quoted_waits(data) -> list[list[str]]:
    """Per insight, in order: which of `WAITS` its quotes are (or "other")."""
    out = []
    for priority in data.priorities:
        for view in priority["insights"]:
            out.append([next((w for w in WAITS if f"felt {w}" in q.text), "other")
                        for q in view["quotes"]])
    return out


@pytest.fixture
def waits(store: Store) -> tuple[Store, int, int]:
    """Six quotable notes in the people's own words, one without consent and one flagged,
    under one insight (and the first under a second insight)."""
    add(store,
        *[note(f"w{i}", f"'The wait felt {word},' she said.", categories=["access-waiting"])
          for i, word in enumerate(WAITS, start=1)],
        note("w7", "'The wait felt private,' she said.", categories=["access-waiting"],
             consent_quote=False),
        note("w8", "'The wait felt dangerous,' she said.", categories=["access-waiting"],
             safeguarding=True),
        # the second insight's own notes, so that its count is not hidden as a few notes
        # short of the first's (`privacy.group_counts`)
        *[note(f"x{i}", f"Group {i} went online only.", categories=["community-support"])
          for i in range(1, 6)])
    ids = [f"w{i}" for i in range(1, 9)]
    first = add_insight(store, "Waiting", categories=["access-waiting"], note_ids=ids)
    second = add_insight(store, "Waiting again", categories=["access-waiting"],
                         note_ids=ids[:6] + [f"x{i}" for i in range(1, 6)])
    add_action(store, "Call-back", priority_ids=[
        add_priority(store, "No one waits alone", insight_ids=[first, second])])
    return store, first, second


@pytest.mark.parametrize("audience", ["lead", "commissioner"])
def test_unpinned_quotes_speak_of_what_the_finding_names_first(
    store: Store, audience: str
) -> None:
    """Under a broad category a narrow finding's quotes come first from notes that share
    its words: the rest are about the category, maybe not about the finding."""
    add(store,
        *[note(f"e{i}", f"'A and E was packed for {i} hours,' she said.",
               categories=["crisis-urgent"]) for i in range(1, 5)],
        note("e5", "'The crisis lines kept me on hold, then rang off,' he said.",
             categories=["crisis-urgent"]))
    ids = [f"e{i}" for i in range(1, 6)]
    insight = add_insight(store, "Crisis line holds", summary="People are held too long.",
                          categories=["crisis-urgent"], note_ids=ids)
    add_priority(store, "Answer the line", insight_ids=[insight])
    data = build_report(store, load_codebook(), audience=audience,  # type: ignore[arg-type]
                        quotes_per_insight=2)
    quotes = [q.text for q in data.priorities[0]["insights"][0]["quotes"]]
    assert len(quotes) == 2 and "crisis lines kept me on hold" in quotes[0]
    assert "A and E was packed" in quotes[1]  # the rest still follow, in the usual order
    # a lead's pin still comes first, whatever its words
    set_quote_choice(store, insight, "e3", "pin")
    data = build_report(store, load_codebook(), audience=audience,  # type: ignore[arg-type]
                        quotes_per_insight=2)
    quotes = [q.text for q in data.priorities[0]["insights"][0]["quotes"]]
    assert "packed for 3 hours" in quotes[0] and "crisis lines" in quotes[1]


@pytest.mark.parametrize("audience", ["lead", "commissioner", "community"])
def test_a_leads_pin_and_leave_out_choose_the_quotes(waits, audience: str) -> None:
    store, first, second = waits
    data = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
    community = audience == "community"  # the public page quotes only what a lead pinned
    per = 1 if community else 2
    assert _quoted_waits(data) == ([[], []] if community else
                                   [WAITS[:per], WAITS[per : 2 * per]])  # by id: the default

    store.set_quote_choice(first, "w5", "pin")
    store.set_quote_choice(first, "w4", "pin")
    store.set_quote_choice(first, "w1", "exclude")  # would be quoted otherwise
    data = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
    # pins first, in the order pinned; the left-out note is free for the other insight
    assert _quoted_waits(data) == [["grey", "silent"][:per], [] if community else WAITS[:per]]

    store.set_quote_choice(first, "w5", "exclude")
    store.set_quote_choice(first, "w4", None)
    data = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
    assert _quoted_waits(data)[0] == ([] if community else ["cruel", "lonely"])


@pytest.mark.parametrize("audience", ["lead", "commissioner", "community"])
def test_a_pin_never_quotes_a_note_without_consent_or_with_a_flag(waits, audience: str) -> None:
    store, first, _ = waits
    store.set_quote_choice(first, "w7", "pin")  # no consent to quote
    store.set_quote_choice(first, "w8", "pin")  # flagged for safeguarding
    data = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
    html = render_html(data)
    assert "private" not in html and "dangerous" not in html
    # as if nothing was pinned (the community page then quotes nothing)
    assert _quoted_waits(data)[0] == ([] if audience == "community" else WAITS[:2])

    store.flag_safeguarding("w2", reason="phrase list")  # a flag after the pin
    store.set_quote_choice(first, "w2", "pin")
    data = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
    assert "cruel" not in render_html(data)


def test_a_pin_never_quotes_for_an_insight_whose_count_is_suppressed(store: Store) -> None:
    add(store, note("f1", "'The wait felt endless,' she said.", categories=["access-waiting"]),
        note("f2", "Other words.", categories=["access-waiting"]))
    insight = add_insight(store, "Few", categories=["access-waiting"], note_ids=["f1", "f2"])
    add_priority(store, "P", insight_ids=[insight])
    store.set_quote_choice(insight, "f1", "pin")
    for audience in ("commissioner", "community"):
        assert "endless" not in render_html(build_report(store, load_codebook(),
                                                         audience=audience))
    lead = build_report(store, load_codebook(), audience="lead")
    assert lead.priorities[0]["insights"][0]["pinned"] == ["f1"]


def test_leads_see_which_quotes_were_pinned_and_how_many_left_out(waits) -> None:
    store, first, _ = waits
    store.set_quote_choice(first, "w3", "pin")
    store.set_quote_choice(first, "w1", "exclude")
    store.set_quote_choice(first, "w2", "exclude")
    lead = build_report(store, load_codebook(), audience="lead")
    view = lead.priorities[0]["insights"][0]
    assert view["pinned"] == ["w3"] and view["left_out"] == 2
    html = render_html(lead)
    assert re.search(r"felt lonely.*?— note w3</span> <span class=\"meta pinned\">· pinned by "
                     r"a lead</span></blockquote>", html)
    assert html.count("pinned by a lead") == 1  # w4, quoted second, was not pinned
    assert "2 notes left out of quoting for this insight by a lead" in html
    for audience in ("commissioner", "community"):
        other = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
        assert other.priorities[0]["insights"][0]["pinned"] == []
        text = render_html(other)
        assert "pinned by a lead" not in text and "left out of quoting" not in text


def test_commissioners_see_who_was_heard_without_small_groups_named(store: Store) -> None:
    add(store,
        *[note(f"c{i}", f"The carers group {i} helped.", categories=["community-support"],
               setting="carers group", community=["carers"]) for i in range(6)],
        note("r1", "Nobody spoke Romani.", setting="site visit", community=["Roma"]))
    html = render_html(build_report(store, load_codebook(), audience="commissioner"))
    section = " ".join(html[html.index('id="who-we-heard-from"'):
                            html.index('id="categories"')].split())
    assert "Settings 5 or more notes come from: carers group." in section
    assert "a person can name several, or none): carers." in section
    assert "Roma" not in section and "site visit" not in section
    words = re.sub(r"<[^>]+>", " ", section).replace("5 or more", "")
    assert not re.search(r"\d", words)  # no counts beside the report's total
    lead = render_html(build_report(store, load_codebook(), audience="lead"))
    assert "Roma" in lead[lead.index('id="who-we-heard-from"'):]
    community = render_html(build_report(store, load_codebook(), audience="community"))
    assert "<p>Where we listened: carers group.</p>" in community
    assert "<p>Some of the communities people told us they are part of: carers.</p>" in community
    assert "Roma" not in community and "site visit" not in community


def test_categories_show_what_is_often_said(store: Store) -> None:
    add(store,
        *[note(f"w{i}", f"Week {i}: still on the waiting list, nobody rings.",
               categories=["access-waiting"], consent_quote=i > 0, listener=f"L{i % 2}",
               heard_on=f"2026-03-1{i}") for i in range(6)],
        *[note(f"c{i}", f"Night {i}: the crisis team " + ("never came." if i % 2 else
                                                          "was rude on the phone."),
               categories=["crisis-urgent"], listener=f"L{i % 2}",
               heard_on=f"2026-03-1{i}") for i in range(6)])

    def often_said(html: str) -> dict[str, list[str]]:
        rows = re.findall(r"<tr><th scope=\"row\">([^<]+?)\s*(?:<code>.*?</code>)?</th>"
                          r".*?<td class=\"meta phrases\">(.*?)</td></tr>", html, re.S)
        return {name: phrases.split(" · ") for name, phrases in rows if phrases}

    lead = often_said(unescape(render_html(build_report(store, load_codebook(),
                                                        audience="lead"))))
    assert "waiting list (6)" in lead["Getting help and waiting"]
    assert "crisis team (6)" in lead["Crisis and urgent help"]
    commissioner = often_said(unescape(render_html(build_report(store, load_codebook()))))
    assert "crisis team" in commissioner["Crisis and urgent help"]
    # five of the six waiting notes may be quoted: enough for the phrase, with no number
    assert "waiting list" in commissioner["Getting help and waiting"]
    stricter = often_said(unescape(render_html(build_report(store, load_codebook(),
                                                            threshold=6))))
    assert "crisis team" in stricter["Crisis and urgent help"]
    assert "Getting help and waiting" not in stricter


def test_categories_show_experience_and_trend(store: Store) -> None:
    add(store, *[note(f"n{i}", f"Waiting {i}.", categories=["access-waiting"],
                      heard_on=f"2025-0{1 + i % 6}-05",
                      experience="negative" if i % 3 else "mixed") for i in range(30)])
    add(store, *[note(f"r{i}", f"Waiting again {i}.", categories=["access-waiting"],
                      heard_on="2025-06-20", experience="positive") for i in range(6)])

    def row(html: str) -> list[str]:
        cells = re.search(r"<tr><th scope=\"row\">Getting help and waiting.*?</tr>", html,
                          re.S).group()
        return [re.sub(r"<[^>]+>", "", c).strip()
                for c in re.findall(r"<td(?! class=\"meta phrases)[^>]*>(.*?)</td>", cells, re.S)]

    lead = row(unescape(render_html(build_report(store, load_codebook(), audience="lead"))))
    # notes, share, places, listeners, communities, negative, mixed, positive, trend
    # every note is in this category: more notes, the same share
    assert lead == ["36", "100%", "1", "1", "0", "20", "10", "6",
                    "15 of 15 → 21 of 21, no clear change"]
    commissioner = row(unescape(render_html(build_report(store, load_codebook()))))
    assert commissioner == ["36", "100%", "<5", "<5", "0", "20", "10", "6", "no clear change"]


def test_a_text_longer_than_a_workbook_cell_is_never_cut_in_the_tables(
    store: Store, tmp_path: Path
) -> None:
    """A priority's description of more than 32,767 characters (Excel's cell limit) was
    cut to that in the workbook without a word. No workbook is written, and the error
    names where and what to write instead; CSV files hold it whole."""
    from insight.sheets import WorkbookError

    _thread_with_everything(store)
    data = build_report(store, load_codebook())
    long = "Peer support calls for people on the waiting list. " * 700
    data.priorities[0]["description"] = long
    with pytest.raises(WorkbookError) as raised:
        write_report(data, tmp_path / "influence.xlsx")
    assert "sheet 'Priorities', row 2, column 'description' holds 35,700 characters, more " \
        "than a workbook cell holds (32,767)" in str(raised.value)
    assert "write the report as .csv or .html" in str(raised.value)
    assert not list(tmp_path.glob("*influence*"))  # nothing, not half a file
    write_report(data, tmp_path / "influence.csv")
    rows = list(csv.reader((tmp_path / "influence-priorities.csv").open(encoding="utf-8-sig")))
    assert rows[1][2] == long


def _thread_with_everything(store: Store) -> None:
    add(store, *[note(f"n{i}", f"The waiting list for therapy is long {i}.",
                      categories=["access-waiting"]) for i in range(6)],
        *[note(f"m{i}", "Nobody rang back.", categories=["crisis-urgent"]) for i in range(2)])
    big = add_insight(store, "Waiting alone", categories=["access-waiting"],
                      note_ids=[f"n{i}" for i in range(6)])
    small = add_insight(store, "=HYPERLINK(\"http://x\")", note_ids=["m0", "m1"])
    priority = add_priority(store, "No one waits alone", insight_ids=[big, small])
    action = add_action(store, "Monthly calls", owner="Talking Therapies", status="done",
                        priority_ids=[priority], stage="monitoring")
    add_outcome(store, action, "Calls started", fed_back_on=date(2026, 6, 1))
    add_action(store, "-Unlinked idea", owner="ICB")
    set_involvement(store, action, "active", "embedded", how="peers make the calls")


def test_what_changed_says_when_a_late_record_was_typed_in(store: Store) -> None:
    _thread_with_everything(store)
    html = unescape(render_html(build_report(store, load_codebook())))
    changes = html[html.index('<section id="changes">'):]
    changes = changes[:changes.index("</section>")]
    assert f"fed back to the community <span class=\"meta\">(recorded on " \
           f"{uk_today():%-d %B %Y})</span>" in changes
    assert "says when it was recorded" in changes
    assert changes.count("recorded on") == 1  # the rest were typed in on their day


def test_a_past_periods_report_says_its_open_concerns_are_counted_today(store: Store) -> None:
    """The queue is as it stands when the report is made, even for a past quarter (an open
    concern is open today): said, as a reviewer rewrote a quarter's report after
    acknowledging an item and saw its figures change."""
    add(store, note("s", "She said she has stopped eating and sees no point.",
                    safeguarding=True, heard_on="2026-08-10"))
    quarter = unescape(render_html(build_report(
        store, load_codebook(), audience="lead", since=date(2026, 7, 1),
        until=date(2026, 9, 30))))
    assert "1 still open when this report was generated, not at the period's end" in quarter
    every = unescape(render_html(build_report(store, load_codebook(), audience="lead")))
    assert "1 still open" in every and "when this report was generated" not in every


def test_report_tables_follow_the_thread_as_the_audience_sees_it(store: Store) -> None:
    _thread_with_everything(store)
    tables = report_tables(build_report(store, load_codebook()))
    assert list(tables) == ["About", "Categories", "Priorities", "Insights", "Actions",
                            "Outcomes", "Changes"]
    # the readers' first report: every change so far, the unlinked action's too
    changes = tables["Changes"]
    assert changes[0] == ["day", "record", "kind", "title", "change", "reason", "of action",
                          "recorded on"]
    assert [row[1] for row in changes[1:] if row[4] == "fed back"] == ["O1"]
    # fed back on 1 June 2026 but typed in today: back-filled, so said (a commissioner
    # audit could not tell a record made at the time from one typed in months later)
    [fed] = [row for row in changes[1:] if row[4] == "fed back"]
    assert fed[0] == date(2026, 6, 1) and fed[7] == uk_today()
    assert all(row[7] is None for row in changes[1:] if row[0] == uk_today())
    assert "A2" in [row[1] for row in changes[1:]]
    assert tables["Priorities"][1][:1] + tables["Priorities"][1][4:] == [
        "P1", None, None, "at least 6", "I1, I2", "A1"]  # not withdrawn
    insights = {row[0]: row for row in tables["Insights"][1:]}
    assert insights["I1"][4] == 6 and insights["I2"][4] == "<5"  # as the report shows them
    actions = {row[0]: row for row in tables["Actions"][1:]}
    assert actions["A1"][10:] == ["P1", "O1", "active", "embedded", "peers make the calls"]
    assert actions["A2"][10:] == ["", "", None, None, None]
    # since when it has had its status: the day it was recorded, as none was given
    assert tables["Actions"][0][4] == "status since"
    assert actions["A1"][3:5] == ["done", uk_today()]
    assert tables["Outcomes"][1][:3] == ["O1", "A1", "Calls started"]
    assert "category" not in tables["Categories"][0]  # codes are for leads
    # an insight under two priorities is one row: its notes are counted once
    add_priority(store, "Calls", insight_ids=[1])
    twice = report_tables(build_report(store, load_codebook()))["Insights"]
    assert [row[0] for row in twice[1:]] == ["I1", "I2"]
    assert twice[0][5] == "priorities" and twice[1][5] == "P1, P2"
    lead = report_tables(build_report(store, load_codebook(), audience="lead"))
    assert lead["Categories"][0][0] == "category"
    assert {row[0]: row for row in lead["Insights"][1:]}["I2"][4] == 2
    # no note's words: quotes stay in the HTML report
    assert not any("therapy is long" in str(v) for rows in tables.values()
                   for row in rows for v in row)


def test_report_as_a_workbook_and_as_csv_files(store: Store, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    _thread_with_everything(store)
    data = build_report(store, load_codebook())
    [book] = write_report(data, tmp_path / "influence.xlsx")
    sheets = load_workbook(book)
    assert sheets.sheetnames == list(report_tables(data))
    titles = [c.value for c in sheets["Insights"]["B"]]
    assert '=HYPERLINK("http://x")' in titles  # text, never a formula
    assert all(c.data_type == "s" for c in sheets["Insights"]["B"])
    assert [c.value for c in sheets["Insights"]["E"]][1:] == [6, "<5"]
    assert sheets["Outcomes"]["F2"].value == "yes"
    assert sheets["Outcomes"]["G2"].value.date() == date(2026, 6, 1)
    share = sheets["Categories"].cell(row=2, column=[c.value for c in sheets["Categories"][1]]
                                      .index("share") + 1)
    assert isinstance(share.value, (int, float)) and share.number_format == "0%"  # as HTML
    files = write_report(data, tmp_path / "influence.csv")
    assert [f.name for f in files] == [f"influence-{n}.csv" for n in (
        "about", "categories", "priorities", "insights", "actions", "outcomes", "changes")]
    rows = list(csv.reader((tmp_path / "influence-insights.csv").open(encoding="utf-8-sig")))
    assert rows[2][1] == "'=HYPERLINK(\"http://x\")"  # shown as typed, not run
    actions = list(csv.reader((tmp_path / "influence-actions.csv").open(encoding="utf-8-sig")))
    assert actions[2][1] == "'-Unlinked idea"
    with pytest.raises(ValueError, match="html, .xlsx, .csv"):
        write_report(data, tmp_path / "influence.pdf")
    # outside the leads' view the first and last conversations are months, as in the HTML
    about = dict(report_tables(data)["About"][1:])
    assert about["first conversation"] == about["last conversation"] == "March 2026"
    assert dict(report_tables(build_report(store, load_codebook(), audience="lead"))[
        "About"][1:])["first conversation"] == "2026-03-10"
    # the summary's fields in words: "untagged" would read as "no category found"
    assert "notes not tagged yet" in about and "untagged" not in about
    # the community's report is a page in plain words, never tables
    community = build_report(store, load_codebook(), audience="community")
    with pytest.raises(ValueError, match="plain words"):
        write_report(community, tmp_path / "community.xlsx")
    (tmp_path / "clash-about.csv").mkdir()
    with pytest.raises(ValueError, match="is a folder"):
        write_report(data, tmp_path / "clash.csv")


def test_coproduction_shows_where_the_work_sits(store: Store) -> None:
    _thread_with_everything(store)
    html = " ".join(unescape(render_html(build_report(store, load_codebook()))).split())
    # recorded for one action of two: said of that one, not of the work as a whole
    assert "Among the 1 action where it is recorded, it sits: <b>active and embedded</b>" in html
    assert "recorded for 1 of 2 actions." in html
    assert '<td>1 action: <a href="#A1">A1</a></td>' in html
    assert ("People with lived experience took part: active and embedded (peers make the "
            "calls)") in html
    assert ("<tr><th scope=\"row\">monitoring</th><td class=\"num\">1</td>"
            "<td class=\"num\">0</td>") in html
    community = " ".join(unescape(render_html(build_report(store, load_codebook(),
                                                           audience="community"))).split())
    assert ("People with lived experience helped decide this, and are part of it as it goes "
            "on: peers make the calls.") in community
    # a lead's words about who took part are redacted outside the leads' view
    set_involvement(store, 1, "active", "embedded", how="Sarah Jones (07700 900123) chairs it")
    html = " ".join(unescape(render_html(build_report(store, load_codebook()))).split())
    assert "[PERSON] ([PHONE]) chairs it" in html
    assert "Sarah" not in html and "07700" not in html
    community = " ".join(unescape(render_html(build_report(store, load_codebook(),
                                                           audience="community"))).split())
    assert "[name removed] ([phone number removed]) chairs it" in community
    assert "Sarah" not in community and "[PERSON]" not in community
    lead = unescape(render_html(build_report(store, load_codebook(), audience="lead")))
    assert "Sarah Jones (07700 900123) chairs it" in lead
    set_involvement(store, 1, None)
    html = " ".join(render_html(build_report(store, load_codebook(), audience="lead")).split())
    assert "not recorded for any action yet" in html and "insight actions involve" in html


def test_notes_tagged_with_a_category_the_codebook_lost_are_said_to_be_in_no_count(
    store: Store,
) -> None:
    from insight.codebook import parse_codebook

    add(store, *[note(f"n{i}", "Waited.", categories=["access-waiting"]) for i in range(3)])
    renamed = parse_codebook({"version": "2", "categories": [
        {"id": "waiting", "name": "Waiting", "description": "waits"}]})
    said = "notes are tagged with categories the workspace's codebook does not have: " \
        "access-waiting (3 notes); they carry no other category, so they are in no " \
        "category count"
    for audience in ("lead", "commissioner"):
        data = build_report(store, renamed, audience=audience)  # type: ignore[arg-type]
        assert any(w.startswith(said) for w in data.warnings), audience
    lead = build_report(store, renamed, audience="lead")
    assert any(p.startswith(said) for p in lead.problems)
    assert build_report(store, load_codebook()).warnings == []


def _text(html: str) -> str:
    """A page's words as a reader reads them: no tags, one space between words."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_report_says_which_notes_a_codebook_change_left_out_and_under_which_version(
    store: Store,
) -> None:
    """Blind audit: a lead moved the codebook to version 2, retiring voice-involvement;
    notes tagged only with it counted in nothing and no report said so, and the report
    said "version 2" of categories tagged under version 1."""
    from insight.codebook import parse_codebook

    add(store, *[note(f"v{i}", "Nobody listened.", categories=["voice-involvement"])
                 for i in range(6)],
        note("both", "Nobody listened, and I waited.",
             categories=["voice-involvement", "access-waiting"]),
        *[note(f"m{i}", "Waited months.") for i in range(7)])
    store.save_model_tags(
        [ModelTagging(f"m{i}", {"access-waiting": 0.9}, ["access-waiting"], {}, False, None)
         for i in range(7)], model_version="m", codebook_version="1")
    v2 = parse_codebook({"version": "2", "name": "Enquiries", "categories": [
        {"id": "access-waiting", "name": "Waiting", "description": "waits"},
        {"id": "finding-support", "name": "Finding support", "description": "where to go"}]})
    lead = _text(render_html(build_report(store, v2, audience="lead")))
    assert ("6 notes were tagged only with categories this codebook no longer has, so they "
            "are in no category count above") in lead
    assert "voice-involvement (7 notes)" in lead
    assert "insight notes list --category voice-involvement" in lead
    # the listener's labels record no version: 7 is a floor
    assert ('The categories are those of the codebook "Enquiries", version 2; at least 7 of '
            "the notes were tagged under version 1") in lead
    commissioner = _text(render_html(build_report(store, v2, audience="commissioner")))
    assert ("6 notes were tagged only with categories this codebook no longer has, so they "
            "are in no category count above (they are still among the conversations "
            "noted)") in commissioner
    assert "voice-involvement" not in commissioner and "insight notes" not in commissioner
    assert "version 2; at least 7 of the notes were tagged under version 1" in commissioner
    # a small number is not given outside the leads' view
    for i in range(2, 6):
        review_note(store, f"v{i}", ["access-waiting"], v2)  # reviewed under version 2
    small = _text(render_html(build_report(store, v2, audience="commissioner")))
    assert ("Fewer than 5 notes were tagged only with categories this codebook no longer "
            "has") in small
    assert "2 notes were" not in small
    # read with version 1 again: the notes reviewed since are the ones of another version
    v1 = parse_codebook({"version": "1", "name": "Enquiries", "categories": [
        {"id": "access-waiting", "name": "Waiting", "description": "waits"},
        {"id": "voice-involvement", "name": "Being heard", "description": "heard"}]})
    same = _text(render_html(build_report(store, v1, audience="lead")))
    assert "no longer has" not in same
    assert 'codebook "Enquiries", version 1; at least 4 of the notes were tagged under ' \
        "version 2" in same


def test_notes_tagged_under_another_version_are_a_floor_where_tags_record_none(
    store: Store,
) -> None:
    """Blind audit: "7 of the notes were tagged under version 1" read as the whole count,
    but a listener's labels (and reviews made before versions were kept) record no
    version, and any of those may have been tagged under version 1 too."""
    from insight.codebook import parse_codebook

    add(store, *[note(f"m{i}", "Waited months.") for i in range(7)])
    store.save_model_tags(
        [ModelTagging(f"m{i}", {"access-waiting": 0.9}, ["access-waiting"], {}, False, None)
         for i in range(7)], model_version="m", codebook_version="1")
    v2 = parse_codebook({"version": "2", "name": "Enquiries", "categories": [
        {"id": "access-waiting", "name": "Waiting", "description": "waits"}]})
    for audience in ("lead", "commissioner"):
        text = _text(render_html(build_report(store, v2, audience=audience)))  # type: ignore[arg-type]
        assert "version 2; 7 of the notes were tagged under version 1 (" in text
    add(store, note("listener", "Waited a year.", categories=["access-waiting"]))
    for audience in ("lead", "commissioner"):
        text = _text(render_html(build_report(store, v2, audience=audience)))  # type: ignore[arg-type]
        assert "version 2; at least 7 of the notes were tagged under version 1 (" in text
    # a small count is not given outside the leads' view: a floor of one, as "<5" says
    store.erase_notes([f"m{i}" for i in range(3, 7)])
    text = _text(render_html(build_report(store, v2, audience="commissioner")))
    assert "version 2; at least 1 of the notes was tagged under version 1 (" in text
    assert "at least 3" not in text


def test_the_summary_says_how_many_notes_no_category_count_or_quote_stands_on(
    store: Store,
) -> None:
    """Blind commissioner audit: "35 conversations noted" said nothing of how many of them
    the category counts and the quotes stand on. The notes in no category and those that
    may be quoted are said in words, and in the tables; notes only in categories the
    codebook no longer has are in the tables as the HTML says them."""
    add(store, *[note(f"a{i}", "Waited months.", categories=["access-waiting"])
                 for i in range(20)],
        *[note(f"u{i}", "Not tagged yet.") for i in range(6)],
        *[note(f"c{i}", "Waited.", categories=["access-waiting"], consent_quote=False)
          for i in range(6)],
        note("s", "Waited.", categories=["access-waiting"], safeguarding=True),
        *[note(f"r{i}", "Old.", categories=["voice-gone"]) for i in range(2)])
    said = ("Of the conversations noted, 6 are in no category (neither a person nor the model "
            "gave them one, or they are not tagged yet), so no category count includes them; "
            "28 may be quoted (the person agreed to be quoted, and the note raised no "
            "safeguarding concern): every quote in this report is from those.")
    uncounted = ("notes tagged only with categories this codebook no longer has, so in no "
                 "category count (they are still among the notes)")
    for audience, retired in (("lead", 2), ("commissioner", "<5")):
        data = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
        assert (data.summary["no_category"], data.summary["may_quote"]) == (6, 28)
        assert said in _text(render_html(data))
        about = dict(report_tables(data)["About"][1:])
        assert about["notes in no category (neither a person nor the model gave them one, or "
                     "they are not tagged yet): no category count includes them"] == 6
        assert about["notes that may be quoted (the person agreed to be quoted, and the note "
                     "raised no safeguarding concern): every quote is from these"] == 28
        assert about[uncounted] == retired
    lead = dict(report_tables(build_report(store, load_codebook(), audience="lead"))[
        "About"][1:])
    assert lead["categories this codebook no longer has, with the notes tagged with each "
                "(counted under none of them)"] == "voice-gone (2)"
    # one note that may not be quoted: not given by subtraction from the notes, a range
    for i in range(6):
        store.set_consent(f"c{i}", consent_quote=True)
    data = build_report(store, load_codebook())
    assert data.summary["notes"] == 35 and data.summary["may_quote"] == "31 to 34"
    assert "; 31 to 34 may be quoted (" in _text(render_html(data))
    assert build_report(store, load_codebook(), audience="lead").summary["may_quote"] == 34
    # mostly not tagged yet, beside a "<5" labelled: how many are in no category would
    # bound the notes not tagged yet, so it is not shown
    store.erase_notes([n for n in note_frame(store)["id"] if n not in ("a0", "a1")])
    add(store, *[note(f"n{i}", "Said.") for i in range(20)])
    text = _text(render_html(build_report(store, load_codebook())))
    assert ("Of the conversations noted, how many are in no category (neither a person nor "
            "the model gave them one, or they are not tagged yet) is not shown, for privacy; "
            "22 may be quoted") in text


@pytest.mark.parametrize("audience", ["lead", "commissioner", "community"])
def test_a_note_against_the_insights_lean_is_quoted_last(store: Store, audience: str) -> None:
    # the note the order would quote first went well, where most of the insight's went badly
    add(store,
        note("a1", "'The wait felt fine, they rang me back,' she said.",
             categories=["access-waiting"], experience="positive"),
        *[note(f"a{i}", f"'The wait felt {word} to me,' she said.",
               categories=["access-waiting"], experience="negative")
          for i, word in enumerate(["endless", "cruel", "lonely", "silent"], start=2)])
    insight = add_insight(store, "Waits leave people alone", categories=["access-waiting"],
                          note_ids=[f"a{i}" for i in range(1, 6)])
    add_priority(store, "No one waits alone", insight_ids=[insight])
    per = 1 if audience == "community" else 2

    def quoted() -> list[str]:
        data = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
        return [q.text for q in data.priorities[0]["insights"][0]["quotes"]]

    assert quoted() == ([] if audience == "community" else  # quotes only what a lead pinned
                        [f"The wait felt {w} to me" for w in ["endless", "cruel"][:per]])
    # a lead who wants it quoted pins it
    store.set_quote_choice(insight, "a1", "pin")
    assert quoted()[0] == "The wait felt fine, they rang me back"


def test_the_software_quotes_a_note_from_a_small_community_last(store: Store) -> None:
    """Blind commissioner audit: the one Deaf man's note was quoted ("I could not explain
    how I felt on paper"): his community's name was taken out, his story was not."""
    add(store,
        note("a-d", "'I could not explain how I felt on paper, the wait was months,' he said.",
             categories=["access-waiting"], community=["Deaf"]),
        *[note(f"a{i}", f"'The wait felt {word} to me,' she said.",
               categories=["access-waiting"], community=["carers"])
          for i, word in enumerate(["endless", "cruel", "lonely", "silent", "long"])])
    insight = add_insight(store, "Waits leave people alone", categories=["access-waiting"],
                          note_ids=["a-d", *(f"a{i}" for i in range(5))])
    add_priority(store, "No one waits alone", insight_ids=[insight])

    def quoted(audience: str) -> list[str]:
        data = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
        return [q.text for q in data.priorities[0]["insights"][0]["quotes"]]

    assert quoted("commissioner") == ["The wait felt endless to me", "The wait felt cruel to me"]
    # leads see every count and every group: the usual order (here, by note)
    assert quoted("lead")[0].startswith("I could not explain how I felt on paper")


def test_against_lean() -> None:
    assert against_lean(["negative", "negative", "positive", "mixed"]) == {"positive"}
    assert against_lean(["positive", None, "neutral"]) == {"negative"}
    # neither way: every note may be quoted in the usual order
    assert against_lean(["positive", "negative", "mixed", None]) == frozenset()
    assert against_lean([]) == frozenset()


def test_an_agreed_action_s_outcome_is_what_happened_so_far_and_no_one_owns_a_no(
    store: Store,
) -> None:
    add(store, note("n1", "The group closed.", categories=["community-support"]))
    priority = add_priority(store, "Spaces", insight_ids=[
        add_insight(store, "Groups closing", note_ids=["n1"])])
    agreed = add_action(store, "Monthly calls", status="agreed", priority_ids=[priority])
    add_outcome(store, agreed, "Calls have started")
    add_action(store, "Walk-in centre", status="declined", owner="ICB", reason="No budget",
               priority_ids=[priority])
    page = " ".join(render_html(build_report(store, load_codebook(),
                                             audience="community")).split())
    assert "We have agreed to" in page
    assert "What has happened so far: Calls have started" in page
    assert "What changed" not in page
    assert "ICB decided not to do this. Why: No budget" in page
    assert "Who is responsible: ICB" not in page


def test_the_community_page_names_who_declined_and_promises_nothing_for_a_withdrawn_priority(
    store: Store,
) -> None:
    add(store, note("n1", "The group closed.", categories=["community-support"]))
    kept = add_priority(store, "Spaces", insight_ids=[
        add_insight(store, "Groups closing", note_ids=["n1"])])
    add_action(store, "Walk-in centre", status="declined", owner="South East London ICB",
               reason="No budget", priority_ids=[kept])
    dropped = add_priority(store, "Buses", insight_ids=[
        add_insight(store, "No bus", note_ids=["n1"])])
    withdraw_priority(store, dropped, "The council now runs a bus.")
    add_action(store, "Evening appointments", status="agreed",
               owner="Herne Hill Group Practice", priority_ids=[kept])
    page = " ".join(re.sub(r"<[^>]+>", " ", unescape(render_html(build_report(
        store, load_codebook(), audience="community")))).split())
    # the listeners did not decline it: whoever owns it did
    assert "South East London ICB decided not to go ahead with: Walk-in centre" in page
    assert "We decided not to go ahead" not in page
    assert "We are no longer working on this" in page
    assert "Nothing has been agreed on this yet" not in page  # no news is coming
    # a practice that owns an action is who is responsible, named (in a quote it is not)
    assert "Who is responsible: Herne Hill Group Practice" in page


def test_a_past_periods_action_agreed_before_its_priority_says_so(store: Store) -> None:
    """Q2's report: an action agreed in June under a priority agreed in July rests on no
    agreed priority at the end of June, which is said, not a thread check."""
    add(store, *[note(f"n{i}", "Carers shut out of discharge.", heard_on="2026-05-02",
                      categories=["carers-family"]) for i in range(6)])
    priority = add_priority(store, "Carers as partners", agreed_on=date(2026, 7, 14),
                            insight_ids=[add_insight(store, "Shut out",
                                                     note_ids=[f"n{i}" for i in range(6)])])
    add_action(store, "Carers link worker", status="agreed", status_on=date(2026, 6, 20),
               priority_ids=[priority])
    q2 = build_report(store, load_codebook(), since=date(2026, 4, 1), until=date(2026, 6, 30))
    html = " ".join(unescape(re.sub(r"<[^>]+>", " ", render_html(q2))).split())
    assert ("It was recorded before the priority it answers was agreed (P1, agreed 14 July "
            "2026), so at the end of this period it rests on no agreed priority.") in html
    assert not any("responds to no priority" in p for p in q2.problems)
    # today's report: the thread whole, nothing to explain
    now = render_html(build_report(store, load_codebook()))
    assert "It was recorded before" not in now


def test_a_priority_with_no_day_agreed_is_in_a_past_periods_report_only_if_recorded_by_then(
    store: Store,
) -> None:
    """A lead added a priority today with no day agreed; the report for July to September
    listed it as one that quarter had (blind audit, new lead)."""
    add(store, *[note(f"n{i}", "Treated like a criminal in crisis.", heard_on="2025-05-02",
                      categories=["fair-treatment"]) for i in range(6)])
    shut_out = add_insight(store, "Treated as a risk", note_ids=[f"n{i}" for i in range(6)])
    add_priority(store, "Care, not control", insight_ids=[shut_out])
    q3 = build_report(store, load_codebook(), since=date(2026, 7, 1), until=date(2026, 9, 30))
    assert q3.priorities == []
    assert [p["title"] for p in build_report(store, load_codebook()).priorities] == [
        "Care, not control"]


def test_an_action_past_its_due_date_says_so(store: Store) -> None:
    from datetime import timedelta

    add(store, note("n1", "The group closed.", categories=["community-support"]))
    priority = add_priority(store, "Spaces", insight_ids=[add_insight(store, "Groups closing",
                                                                      note_ids=["n1"])])
    past, future = date.today() - timedelta(days=60), date.today() + timedelta(days=60)
    add_action(store, "Reopen the group", status="in progress", due_on=past,
               priority_ids=[priority])
    add_action(store, "Second group", status="agreed", due_on=future, priority_ids=[priority])
    add_action(store, "Old pilot", status="done", due_on=past, priority_ids=[priority])
    community = " ".join(render_html(build_report(store, load_codebook(),
                                                  audience="community")).split())
    assert f"it was due by {past:%B %Y} and is late" in community
    assert f"· by {future:%B %Y}" in community
    assert community.count("was due by") == 1  # a done action was not late
    lead = " ".join(render_html(build_report(store, load_codebook(), audience="lead")).split())
    long_past = f"{past.day} {past:%B %Y}"  # as people write a date in England
    assert f"due {long_past} (overdue)" in lead and lead.count("(overdue)") == 1
    assert past.isoformat() not in lead.split("Thread checks")[0]
    # the thread checks list it too: for leads with the command to move it on, as code
    assert (f"was due on {past.isoformat()} and is still in progress: say where it stands "
            "(<code>insight actions status A1 ...</code>)") in lead
    commissioner = " ".join(render_html(build_report(store, load_codebook())).split())
    assert (f"was due on {past.isoformat()} and is still in progress: say where it stands "
            "or give it a new date</li>") in commissioner
    assert "insight actions" not in commissioner and "`" not in commissioner


def test_the_community_page_names_no_owner_to_be_decided_for_finished_work(
    store: Store,
) -> None:
    add(store, note("n1", "The group closed.", categories=["community-support"]))
    priority = add_priority(store, "Spaces", insight_ids=[add_insight(store, "Groups closing",
                                                                      note_ids=["n1"])])
    add_action(store, "Old pilot", status="done", priority_ids=[priority])
    add_action(store, "Walk-in centre", status="declined", reason="No budget",
               priority_ids=[priority])

    def page() -> str:
        return " ".join(render_html(build_report(store, load_codebook(),
                                                 audience="community")).split())

    assert "to be decided" not in page() and "Who is responsible" not in page()
    add_action(store, "Lunch club", status="agreed", priority_ids=[priority])
    assert page().count("Who is responsible: to be decided") == 1  # the open one only
    add_action(store, "Peer line", status="done", owner="Mind in Leeds",
               priority_ids=[priority])
    assert "Who is responsible: Mind in Leeds" in page()  # a named owner stays


@pytest.mark.parametrize("audience", ["commissioner", "community"])
def test_a_false_alarm_judged_not_a_concern_is_counted_and_quoted_like_any_note(
    store: Store, audience: str
) -> None:
    add(store, note("farm", "'Two farmers came to the cafe together and stayed all morning,' "
                            "she said.", categories=["community-support"]),
        *[note(f"c{i}", f"'The cafe group {i} keeps me going,' he said.",
               categories=["community-support"]) for i in range(6)])
    store.save_model_tags(
        [ModelTagging("farm", {"community-support": 0.9}, ["community-support"], {}, True,
                      None)], model_version="m1", codebook_version="1")
    insight = add_insight(store, "Cafes keep people going", categories=["community-support"],
                          note_ids=["farm", *(f"c{i}" for i in range(6))])
    add_priority(store, "Somewhere to go", insight_ids=[insight])
    store.set_quote_choice(insight, "farm", "pin")
    before = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
    assert "Two farmers" not in render_html(before)  # the model flagged it: never quoted
    lead = build_report(store, load_codebook(), audience="lead")
    assert lead.summary["safeguarding_flagged"] == 1
    [item] = store.safeguarding_items(note_id="farm")
    store.acknowledge_safeguarding(item["id"], "a day out, no worry", not_a_concern=True)
    after = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
    assert "Two farmers came to the cafe together" in render_html(after)
    assert build_report(store, load_codebook(), audience="lead").summary[
        "safeguarding_flagged"] == 0


def test_the_report_names_the_trends_two_periods(store: Store) -> None:
    add(store, *[note(f"t{m}", "Waited months.", categories=["access-waiting"],
                      heard_on=f"2025-{m:02d}-10") for m in range(1, 7)])
    html = " ".join(render_html(build_report(store, load_codebook(),
                                             audience="commissioner")).split())
    assert "(April to June 2025 against January to March 2025)" in html
    assert "otherwise \"no clear change\", which does not mean the same" in html


def test_how_to_read_the_report_says_how_much_rests_on_the_model(store: Store) -> None:
    add(store, note("p1", "Waited a year.", categories=["access-waiting"]),
        *[note(f"m{i}", f"Waited {i} months.") for i in range(6)])
    store.save_model_tags(
        [ModelTagging(f"m{i}", {"access-waiting": 0.8}, ["access-waiting"], {}, False, None)
         for i in range(6)], model_version="m1", codebook_version="1")
    insight = add_insight(store, "Waits", note_ids=["p1", *(f"m{i}" for i in range(6))])
    add_priority(store, "No one waits alone", insight_ids=[insight])
    model = {"model_version": "m1", "metadata": {
        "category_names": {"access-waiting": "Getting help and waiting",
                           "crisis-urgent": "Crisis and urgent help"},
        "metrics": {"macro_f1": 0.64, "experience_accuracy": 0.58, "data": "90 held-out notes",
                    "per_label": {"access-waiting": {"f1": 0.7},
                                  "crisis-urgent": {"f1": 0.25}}}}}
    html = " ".join(render_html(build_report(store, load_codebook(), audience="commissioner",
                                             model=model)).split())
    # a count beside the priority's range would give a small insight's away: in words
    assert "Most of the notes the priorities rest on have categories no person gave" in html
    lead = " ".join(render_html(build_report(store, load_codebook(), audience="lead",
                                             model=model)).split())
    assert "6 of the notes the priorities rest on have categories no person gave" in lead
    # a person chose every evidence note: only the categories are the model's
    assert "a lead chose each note as evidence for its insight, but the categories" in lead
    assert ("The model (m1) was checked on labelled notes it was not trained on: its "
            "categories scored 0.64 (macro-F1: 1 would be every category right on every "
            "note; below 1 it misses some categories and gives some wrongly), lowest for "
            "\"Crisis and urgent help\" (0.25), and it read the experience right for 58% of "
            "them") in html
    assert "(Checked on: 90 held-out notes.)" in html
    assert "No lead has yet checked the model's categories on any of these notes (a check " \
        "made before the model last read a note is not counted" in html
    # checked on a file that overlaps what it learned from: said, not "not trained on"
    seen = {**model, "metadata": {**model["metadata"], "metrics": {
        **model["metadata"]["metrics"], "n_notes": 20, "notes_seen_in_training": 7}}}
    flattered = " ".join(render_html(build_report(
        store, load_codebook(), audience="commissioner", model=seen)).split())
    assert ("was checked on labelled notes at least 7 of which (of 20) it had also learned "
            "from, so the score flatters it: its categories scored 0.64") in flattered
    assert "it was not trained on" not in flattered
    # the local measure: a lead corrected one of the notes the model read
    review_note(store, "m0", ["crisis-urgent"], load_codebook())
    shipped = {**model, "metadata": {**model["metadata"], "metrics": {
        **model["metadata"]["metrics"], "data": "shipped corpus, test split (244 notes)"}}}
    html = " ".join(unescape(render_html(build_report(
        store, load_codebook(), audience="commissioner", model=shipped))).split())
    assert ("Here, leads checked the model's categories on 1 of these notes after it read "
            "them, and changed them on 1") in html
    assert ("(Checked on: shipped corpus, test split (244 notes): notes the insight project "
            "wrote to train and test the model, not notes heard here.)") in html
    assert "not one person" in html and "not a sample of everyone" in html
    assert ("The categories are those of the codebook \"Default enquiry categories\", "
            "version 1.") in unescape(html)
    plain = " ".join(render_html(build_report(store, load_codebook(),
                                              audience="commissioner")).split())
    assert "No measure of the model is kept in this workspace" in plain
    named = " ".join(render_html(build_report(store, load_codebook(), audience="commissioner",
                                              tagged_by=["m1"])).split())
    assert "No measure of the model that tagged the notes (m1) is kept" in named
    store.delete_record("priority", 1)  # nothing is said of priorities there are not
    none = " ".join(render_html(build_report(store, load_codebook())).split())
    assert "priorities rest on" not in none


def test_a_category_the_model_was_not_tested_on_is_never_its_lowest(store: Store) -> None:
    """No examples in the held-out notes: its F1 of 0 measures nothing, so it is named as
    not tested, not as the model's weakest category."""
    add(store, note("p1", "Waited a year.", categories=["access-waiting"]))
    insight = add_insight(store, "Waits", note_ids=["p1"])
    add_priority(store, "No one waits alone", insight_ids=[insight])
    model = {"model_version": "m2", "metadata": {
        "category_names": {"access-waiting": "Getting help and waiting",
                           "crisis-urgent": "Crisis and urgent help",
                           "daily-living": "Money, housing and daily living"},
        "metrics": {"macro_f1": 0.5, "labels_not_scored": ["daily-living"],
                    "per_label": {"access-waiting": {"f1": 0.6, "support": 12},
                                  "carers-family": {"f1": 0.0, "support": 3},
                                  "crisis-urgent": {"f1": 0.0, "support": 0}}}}}
    html = " ".join(render_html(build_report(store, load_codebook(), audience="commissioner",
                                             model=model)).split())
    # carers-family's 0.00 from 3 notes is too few to call the lowest
    assert ("its categories scored 0.50 (macro-F1: 1 would be every category right on every "
            "note; below 1 it misses some categories and gives some wrongly), lowest for "
            "\"Getting help and waiting\" (0.60, on 12 notes), checked on too few notes "
            "(under 10) to score \"carers-family\", not tested on \"Crisis and urgent "
            "help\" or \"Money, housing and daily living\" (no examples in those notes)"
            ) in unescape(html)
    assert "(0.00" not in html


def test_where_the_work_sits_is_said_only_of_what_is_recorded(store: Store) -> None:
    priority = add_priority(store, "P")
    actions = [add_action(store, f"Action {i}", priority_ids=[priority]) for i in range(5)]
    set_involvement(store, actions[0], "active", "embedded", "peers on the panel")
    html = " ".join(unescape(render_html(build_report(store, load_codebook()))).split())
    assert "recorded for 1 of 5 actions: too few to say where the work as a whole sits" in html
    for action in actions[1:]:
        set_involvement(store, action, "active", "embedded", "peers on the panel")
    html = " ".join(unescape(render_html(build_report(store, load_codebook()))).split())
    assert "Where the work sits: <b>active and embedded</b>" in html and "too few" not in html


def test_the_persons_own_words_are_quoted_before_what_a_listener_noted(store: Store) -> None:
    add(store, note("noted", "Explained the basics of the waiting list as best I could."),
        note("said", "'I have waited eleven months and nobody rings me back,' he said."),
        *[note(f"o{i}", f"Waited {i} months for the first appointment.") for i in range(4)])
    store.save_model_tags(
        [ModelTagging("noted", {"access-waiting": 0.95}, ["access-waiting"],
                      {"access-waiting": "Explained the basics of the waiting list as best I "
                                         "could."}, False, "neutral"),
         ModelTagging("said", {"access-waiting": 0.6}, ["access-waiting"], {}, False,
                      "negative"),
         *[ModelTagging(f"o{i}", {"access-waiting": 0.5}, ["access-waiting"], {}, False,
                        "negative") for i in range(4)]],
        model_version="m1", codebook_version="1")
    insight = add_insight(store, "Waits", categories=["access-waiting"],
                          note_ids=["noted", "said", *(f"o{i}" for i in range(4))])
    add_priority(store, "No one waits alone", insight_ids=[insight])
    data = build_report(store, load_codebook(), audience="commissioner")
    first = data.priorities[0]["insights"][0]["quotes"][0]
    assert first.own_words and first.text.startswith("I have waited eleven months")


def test_the_software_quotes_whole_thoughts_under_a_finding(store: Store) -> None:
    """A commissioner audit: the quote picked under a finding was the sentence the model's
    tag rests on, "That was the worst bit ...", which says nothing without the one before;
    another was three words."""
    worst = "That was the worst bit of the whole year for us."
    add(store,
        note("worst", f"Waited eleven months for the memory clinic letter. {worst} Took a "
                      "leaflet."),
        note("short", "Clinic gone. Sad."),
        *[note(f"o{i}", f"Waited {i + 2} months for the memory clinic to ring her back.")
          for i in range(4)])

    def read(note_id: str, confidence: float, evidence: str | None = None) -> ModelTagging:
        return ModelTagging(note_id, {"access-waiting": confidence}, ["access-waiting"],
                            {"access-waiting": evidence} if evidence else {}, False, "negative")

    store.save_model_tags([read("worst", 0.95, worst), read("short", 0.9, "Clinic gone."),
                           *[read(f"o{i}", 0.5 - i / 10) for i in range(4)]],
                          model_version="m1", codebook_version="1")
    insight = add_insight(store, "The worst waits: the memory clinic",
                          categories=["access-waiting"],
                          note_ids=["worst", "short", *(f"o{i}" for i in range(4))])
    add_priority(store, "No one waits alone", insight_ids=[insight])
    for audience in ("commissioner", "lead"):
        data = build_report(store, load_codebook(), audience=audience)
        assert [q.text for q in data.priorities[0]["insights"][0]["quotes"]] == [
            f"Waited eleven months for the memory clinic letter. {worst}",
            "Waited 2 months for the memory clinic to ring her back."]


def test_a_risk_the_flag_missed_is_quoted_only_once_a_lead_pinned_it(store: Store) -> None:
    """A peer-listener audit: a note whose words spoke of a risk the safeguarding flag did
    not raise was quoted to commissioners like any other. Outside the leads' view the
    software picks none whose classifier score is near the flag, or that holds the phrase
    list's words; the leads' report says which were held back, for a lead to read."""
    add(store,
        note("balcony", "'Some nights I'm standing on the balcony thinking about it,' she "
                        "said of the wait.", categories=["access-waiting"]),
        note("scored", "'Nobody has rung me back from the clinic since the summer,' she "
                       "said."),
        *[note(f"o{i}", f"'I waited {i + 2} months for the clinic to ring me,' she said.")
          for i in range(4)])
    # never flagged: the model read no risk (the balcony note was never read by it)
    store.save_model_tags(
        [ModelTagging(n, {"access-waiting": 0.9}, ["access-waiting"], {}, False, "negative",
                      safeguarding_score=score, safeguarding_threshold=0.18)
         for n, score in [("scored", 0.11), *((f"o{i}", 0.02) for i in range(4))]],
        model_version="m1", codebook_version="1")
    insight = add_insight(store, "Waiting for the clinic", categories=["access-waiting"],
                          note_ids=["balcony", "scored", *(f"o{i}" for i in range(4))])
    add_priority(store, "No one waits alone", insight_ids=[insight])
    assert store.safeguarding_items() == []

    def quotes(audience: str) -> list[str]:
        data = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
        return [q.source for q in data.priorities[0]["insights"][0]["quotes"]]

    assert quotes("commissioner") == quotes("lead") == ["o0", "o1"]
    commissioner = render_html(build_report(store, load_codebook(), audience="commissioner"))
    assert "balcony" not in commissioner and "since the summer" not in commissioner
    assert "held back" not in commissioner
    lead = build_report(store, load_codebook(), audience="lead")
    assert lead.priorities[0]["insights"][0]["held_back"] == ["balcony", "scored"]
    page = " ".join(unescape(render_html(lead)).split())
    assert ("2 notes held back from the quotes the software picks, as their words may speak "
            "of a risk the safeguarding flag did not raise") in page
    assert ": balcony, scored. Read them (<code>insight notes show NOTE_ID</code>)" in page
    assert "<code>insight insights quote I1 NOTE_ID --pin</code>" in page
    # the one note no model has read: only the phrase list read it, and leads are told
    assert "1 note the software may quote here has no score from the safeguarding " \
           "classifier" in page and "<code>insight tag --retag</code> scores it." in page
    # a lead read it and pinned it: quoted, to commissioners and on the community page
    store.set_quote_choice(insight, "balcony", "pin")
    assert quotes("commissioner") == ["balcony", "o0"]
    assert quotes("community") == ["balcony"]
    assert build_report(store, load_codebook(), audience="lead").priorities[0]["insights"][0][
        "held_back"] == ["scored"]


def test_the_leads_report_says_per_insight_which_notes_may_not_be_quoted_and_why(
        store: Store) -> None:
    """A lived-experience lead's audit: the leads' report named only the notes held back as
    a possible missed risk. For a board report a lead needs every linked note that may not
    be quoted, by reason, and for a pin that is not quoted, why and what to do; the
    commissioners and the community must not learn which notes were flagged."""
    add(store,
        *[note(f"ok{i}", f"'I waited {i + 2} months for the clinic to ring me,' she said.")
          for i in range(3)],
        note("nocons", "'Nobody rang me back from the clinic,' she said.", consent_quote=False),
        note("open", "'The clinic never rang, I gave up on them,' he said."),
        note("done", "'They rang once in a year,' she said.", safeguarding=True),
        note("balcony", "'Some nights I'm standing on the balcony thinking about it,' she "
                        "said of the wait."))
    store.flag_safeguarding("open", by="model:m1", reason="model: classifier 0.3")
    store.flag_safeguarding("done", by="listener:L1", reason="flagged at intake")
    [done] = store.safeguarding_items(note_id="done")
    store.acknowledge_safeguarding(done["id"], note="Rang the listener; GP told")
    [open_item] = store.safeguarding_items(note_id="open")
    ids = ["ok0", "ok1", "ok2", "nocons", "open", "done", "balcony"]
    insight = add_insight(store, "Waiting for the clinic", note_ids=ids)
    add_priority(store, "No one waits alone", insight_ids=[insight])
    set_quote_choice(store, insight, "open", "pin")
    set_quote_choice(store, insight, "ok0", "pin")

    lead = build_report(store, load_codebook(), audience="lead")
    view = lead.priorities[0]["insights"][0]
    assert view["not_quoted"] == {
        "notes": 4, "of": 7,
        "reasons": [("no consent to quote", ["nocons"]),
                    ("safeguarding flag or open item", ["done", "open"]),
                    ("held back as a possible missed risk", ["balcony"])]}
    [(pin, advice)] = view["pins_not_quoted"]
    assert pin == "open" and f"safeguarding item {open_item['id']}" in advice[0]
    page = " ".join(unescape(render_html(lead)).split())
    assert ("4 of the 7 notes here may not be quoted: no consent to quote, 1 (nocons); "
            "safeguarding flag or open item, 2 (done, open); held back as a possible missed "
            "risk, 1 (balcony).") in page
    assert (f"Pinned note open is not quoted: safeguarding item {open_item['id']} on it is "
            "still open: acknowledge it first (<code>insight safeguarding ack "
            f"{open_item['id']}</code>)") in page
    for audience in ("commissioner", "community"):
        data = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
        other = " ".join(unescape(render_html(data)).split())
        assert "may not be quoted" not in other and "is not quoted" not in other
        assert "safeguarding flag or open item" not in other
        assert data.priorities[0]["insights"][0]["not_quoted"] == {}
        assert data.priorities[0]["insights"][0]["pins_not_quoted"] == []
    # once the item is judged a false alarm, the pin is quoted and no longer listed
    store.acknowledge_safeguarding(open_item["id"], note="Past wait, no risk now",
                                   not_a_concern=True)
    view = build_report(store, load_codebook(), audience="lead").priorities[0]["insights"][0]
    assert view["pins_not_quoted"] == [] and [q.source for q in view["quotes"]][0] == "open"
    assert ("safeguarding flag or open item", ["done"]) in view["not_quoted"]["reasons"]
    # a pin of a note the software holds back is quoted, and leads are asked to read it again
    assert view["pins_held_back"] == []
    set_quote_choice(store, insight, "balcony", "pin")
    lead = build_report(store, load_codebook(), audience="lead")
    assert lead.priorities[0]["insights"][0]["pins_held_back"] == [
        ("balcony", ["it holds the phrase list's words (method-or-place)"])]
    assert ("Pinned note balcony is quoted, though the software would hold it back as its "
            "words may speak of a risk the safeguarding flag did not raise") in " ".join(
                unescape(render_html(lead)).split())


def test_safeguarding_response_median_and_oldest_open() -> None:
    now = datetime(2026, 5, 20, 12, 0)
    items = [{"flagged_at": now - timedelta(days=d), "acknowledged_at": now - timedelta(days=a)
              if a is not None else None} for d, a in
             [(10, 9), (10, 7), (10, 4), (12, 11.5), (3, None), (9, None)]]
    lead = safeguarding_response(items, now, "lead", 5)
    assert lead == {"safeguarding_median_days": 2.0, "safeguarding_oldest_open_days": 9}
    # outside the leads' view a median of fewer than `threshold` items is not given, and
    # says so (not left blank, as if nothing had been acknowledged)
    assert safeguarding_response(items, now, "commissioner", 5)[
        "safeguarding_median_days"] == WITHHELD
    assert safeguarding_response(items, now, "commissioner", 4)[
        "safeguarding_median_days"] == 2.0
    assert safeguarding_response([], now, "lead", 5) == {
        "safeguarding_median_days": None, "safeguarding_oldest_open_days": None}


def test_the_summary_says_how_the_queue_was_acted_on(store: Store) -> None:
    add(store, *[note(f"s{i}", f"Worried about her son {i}.", safeguarding=True)
                 for i in range(6)],
        *[note(f"f{i}", f"The film was about a man in crisis {i}.") for i in range(5)])
    for i in range(5):
        store.flag_safeguarding(f"f{i}", by="screen:v6", reason="crisis")
    items = {i["note_id"]: i["id"] for i in store.safeguarding_items()}
    for i in range(5):
        store.acknowledge_safeguarding(items[f"s{i}"], note="called the family")
        store.acknowledge_safeguarding(items[f"f{i}"], note="a film plot", not_a_concern=True)
    data = build_report(store, load_codebook(), audience="commissioner", threshold=5)
    assert data.summary["safeguarding_flagged"] == 6
    assert data.summary["safeguarding_cleared"] == 5
    assert data.summary["safeguarding_oldest_open_days"] == 0
    assert data.summary["safeguarding_median_days"] == 0.0
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", render_html(data))).split())
    # 6 routed and 5 acknowledged would count the one still open: how many is said in words
    assert "6 notes routed to a person (how many are still open is not shown, for privacy; " \
        "the oldest open one has waited less than a day since it was flagged, which " \
        "can be long after the conversation)" in text
    # the median is of the items acknowledged: said so, beside the ones still open
    assert "The items a person has acknowledged were acknowledged in a median of less than " \
        "a day after they were flagged (the open ones are not in that figure)." in text
    assert "A further 5 notes, flagged by the model or the phrase list, were judged by a " \
        "person not to be a concern." in text
    about = dict(report_tables(data)["About"][1:])
    assert about["flags of the model or phrase list a person judged no concern"] == 5
    # the sheet's "hidden" and "not shown" are explained where its small numbers are
    assert about["of those, concerns not yet acknowledged"] == "not shown"
    assert "'hidden' or 'not shown': a count not shown, for privacy" in about["small numbers"]
    # with a higher threshold, too few acknowledged for a median: said, not left blank
    strict = build_report(store, load_codebook(), audience="commissioner", threshold=6)
    assert dict(report_tables(strict)["About"][1:])[
        "days from flag to a person acknowledging it (median, of the items acknowledged; "
        "open items are not in it)"] == "not shown"
    assert "How long the items acknowledged took is not shown: fewer than 6 were " \
        "acknowledged." in " ".join(unescape(re.sub(r"<[^>]+>", " ", render_html(strict))).split())


def _community_text(data) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", render_html(data))).split())


def test_the_community_page_quotes_only_what_a_lead_pinned(store: Store) -> None:
    """The public page speaks for the people who spoke: a person chose each quote for its
    finding, never the model (whose evidence sentence can be about something else)."""
    add(store,
        note("gp", "'I've tried on my break, it's full by then.' Works in a cafe from 7.",
             categories=["daily-living"]),
        note("rent", "'The rent went up again and I can't eat properly,' she said.",
             categories=["daily-living"]),
        *[note(f"x{i}", f"Money worries {i}.", categories=["daily-living"]) for i in range(3)])
    money = add_insight(store, "Money and housing", categories=["daily-living"],
                        note_ids=["gp", "rent", "x0", "x1", "x2"])
    add_action(store, "Welfare advice in every team", status="agreed",
               priority_ids=[add_priority(store, "Money", insight_ids=[money])])
    before = build_report(store, load_codebook(), audience="community")
    assert before.priorities[0]["insights"][0]["quotes"] == []
    assert any("quotes only words a lead pinned; I1 has none" in w for w in before.warnings)
    commissioner = build_report(store, load_codebook(), audience="commissioner")
    assert commissioner.priorities[0]["insights"][0]["quotes"]  # the model's pick, there
    lead = build_report(store, load_codebook(), audience="lead")
    assert lead.unpinned == ["I1"]
    assert "no quote pinned for the community page" in " ".join(render_html(lead).split())
    set_quote_choice(store, money, "rent", "pin")
    after = build_report(store, load_codebook(), audience="community")
    assert [q.text for q in after.priorities[0]["insights"][0]["quotes"]] == [
        "The rent went up again and I can't eat properly"]
    assert not any("pinned" in w for w in after.warnings)
    assert build_report(store, load_codebook(), audience="lead").unpinned == []


def test_the_community_page_says_how_to_reach_the_team_and_when_it_was_written(
    store: Store,
) -> None:
    add(store, note("n1", "Text", categories=["daily-living"]))
    insight = add_insight(store, "Nothing at weekends", note_ids=["n1"])
    set_quote_choice(store, insight, "n1", "pin")
    add_action(store, "Open a Saturday drop-in", status="done",
               owner="Sarah Khan, CMHT manager", reason=None,
               priority_ids=[add_priority(store, "Weekends", insight_ids=[insight])])
    add_action(store, "Evening clinic", status="declined", owner="Dr. Amara Okafor",
               reason="No staff for evenings.",
               priority_ids=[add_priority(store, "Evenings", insight_ids=[insight])])
    add_action(store, "A crisis cafe", status="declined", owner="ICB",
               reason="Out of scope for the QIPP envelope; the LA travel scheme applies.",
               priority_ids=[add_priority(store, "Crisis", insight_ids=[insight])])
    data = build_report(store, load_codebook(), audience="community")
    text = _community_text(data)
    assert "Tell us what you think If we got something wrong, or you want to tell us more, " \
        "talk to the peer listener you spoke to." in text
    assert any("gives no way to reach you: add --contact" in w for w in data.warnings)
    # services' abbreviations the page does not explain (ICB and CMHT it does)
    [short] = [w for w in data.warnings if "abbreviations" in w]
    assert short.startswith("the community page uses abbreviations it does not explain: "
                            "LA, QIPP;")
    assert re.search(r"Written on \d{1,2} [A-Z][a-z]+ 20\d\d\.", text)
    # done, but nothing says what changed: said as it stands
    assert f"We did Open a Saturday drop-in Done in {uk_today():%B %Y} We have been told " \
        "this is done. We will tell you what changed when we know." in text
    # a person's name as owner is taken out of the public page, not of the leads' report
    assert "Who is responsible: [name removed], CMHT manager" in text
    assert "Sarah Khan" not in text
    # a title before a name taken out is said as the role it names, not "Dr [name removed]"
    assert "A doctor decided not to do this. Why: No staff for evenings." in text
    assert "ICB decided not to do this." in text
    assert "Okafor" not in text and "Dr [" not in text
    assert "Sarah Khan, CMHT manager" in render_html(build_report(store, load_codebook()))
    reached = build_report(store, load_codebook(), audience="community",
                           contact="email listening@example.org or ring 020 7946 0321")
    # on a phone, the address and the number are links to tap
    assert ('or you want to tell us more: email <a href="mailto:listening@example.org">'
            'listening@example.org</a> or ring <a href="tel:02079460321">020 7946 0321</a>.'
            ) in render_html(reached)
    assert '<a href="tel:116123">116 123</a>' in render_html(reached)
    assert not any("reach you" in w for w in reached.warnings)
    # a page that says nothing of when people hear more reads as the end of it
    assert "We will tell you what happened next" not in text
    assert any('does not say when people will hear more: add --next-update "in March 2027"'
               in w for w in data.warnings)
    later = date.today().year + 1  # still to come whenever the test runs
    told = build_report(store, load_codebook(), audience="community",
                        next_update=f"  in March   {later}.")
    assert f"We will tell you what happened next in March {later}." in _community_text(told)
    assert not any("hear more" in w for w in told.warnings)
    # blind audit: a time already past was printed as the next update without a word
    gone = build_report(store, load_codebook(), audience="community",
                        next_update="in Oct 2025")
    assert any("says people will hear more 'in Oct 2025', but October 2025 has passed: give "
               "a time still to come (--next-update)" in w for w in gone.warnings)
    board = render_html(build_report(store, load_codebook(), next_update="in March 2027"))
    assert "· next report in March 2027" in board


def test_the_community_page_explains_or_flags_every_abbreviation(store: Store) -> None:
    add(store, note("n1", "Text", categories=["daily-living"]))
    insight = add_insight(store, "Nothing at weekends", note_ids=["n1"])
    set_quote_choice(store, insight, "n1", "pin")
    add_action(store, "Ask Talking Therapies for SLaM evening slots", status="agreed",
               owner="McDonald ward, GPs", priority_ids=[
                   add_priority(store, "Weekends", insight_ids=[insight])])
    data = build_report(store, load_codebook(), audience="community")
    # in mixed case too; not a name such as McDonald, nor "GPs"
    [short] = [w for w in data.warnings if "abbreviations" in w]
    assert short.startswith("the community page uses abbreviations it does not explain: "
                            "SLaM;")
    # a word in a meaning is explained too: "CBT" in that of Talking Therapies
    assert list(data.plain_words) == ["CBT", "GP", "NHS", "Talking Therapies"]


def test_report_tables_have_captions_and_header_scopes(store: Store) -> None:
    add(store, *[note(f"n{i}", f"Waited {i} months.", categories=["access-waiting"])
                 for i in range(6)])
    insight = add_insight(store, "Waits", note_ids=[f"n{i}" for i in range(6)])
    priority = add_priority(store, "No one waiting alone", insight_ids=[insight])
    add_action(store, "Call every four weeks", status="agreed", priority_ids=[priority])
    for audience in ("lead", "commissioner"):
        html = render_html(build_report(store, load_codebook(), audience=audience))
        tables = re.findall(r"<table.*?</table>", html, re.S)
        assert tables
        for table in tables:
            assert re.search(r"<caption[\s>]", table)  # (with an id a region is named by)
            assert not re.search(r"<th(?=[\s>])(?![^>]*scope=)", table)  # each says its scope
        # an action and an insight are headings a screen reader can jump between
        assert re.search(r"<h5 class=\"record\">A1 · Call every four weeks\s*<span class=\"status"
                         r"[^\"]*\"><span class=\"sr-only\">Status: </span>agreed</span></h5>",
                         html)
        # a link says where it goes
        assert '<a href="#P1">P1: No one waiting alone</a>' in html


#: a table inside a box that scrolls it (`.table-wrap`): a region named by its caption (or
#: a label) that a keyboard can reach, so a phone scrolls the table, not the page
_WRAPPED_TABLE = re.compile(
    r'<div class="table-wrap" role="region" (?:aria-labelledby="([^"]+)"|aria-label="([^"]+)")'
    r' tabindex="0">\s*(<table\b.*?</table>)\s*</div>', re.S)


def test_the_report_says_in_words_who_was_not_heard(store: Store) -> None:
    """A commissioner had to read down the comparison's last column to learn who was
    missing; without the local population the report did not say it cannot tell."""
    add(store, *[note(f"c{i}", "Nowhere to go on Sundays.", categories=["daily-living"],
                      community=["carers"]) for i in range(30)],
        *[note(f"o{i}", "The bus stopped.", categories=["daily-living"],
               community=["older people"]) for i in range(6)])
    for audience in ("lead", "commissioner"):
        html = " ".join(render_html(build_report(
            store, load_codebook(), audience=audience,  # type: ignore[arg-type]
            population={"carers": 10.0, "older people": 40.0, "Somali": 30.0})).split())
        assert ("Heard from less than their share of the people who live here: older people, "
                "Somali.") in html, audience
    even = " ".join(render_html(build_report(
        store, load_codebook(), population={"carers": 80.0, "older people": 15.0})).split())
    assert "No community of the local population was heard from clearly less than its share." \
        in even
    unknown = " ".join(render_html(build_report(store, load_codebook())).split())
    assert "Who was not heard cannot be told from the notes alone" in unknown
    assert "Heard from less than" not in unknown


def test_every_table_scrolls_in_a_named_region_a_keyboard_can_reach(store: Store) -> None:
    _thread_with_everything(store)
    add(store, *[note(f"c{i}", "Nowhere to go on Sundays.", categories=["daily-living"],
                      setting="cafe", community=["carers"]) for i in range(6)])
    tables_of, pages = {}, {}
    for audience in ("lead", "commissioner", "community"):
        html = render_html(build_report(store, load_codebook(), audience=audience,  # type: ignore[arg-type]
                                        population={"carers": 10.0, "older people": 20.0}))
        tables = re.findall(r"<table\b", html)
        wrapped = _WRAPPED_TABLE.findall(html)
        assert len(wrapped) == len(tables), audience  # none left to widen the page
        for labelledby, label, table in wrapped:
            if labelledby:  # the region's name is the table's own caption
                assert re.search(rf'<caption id="{re.escape(labelledby)}">[^<\s][^<]*</caption>',
                                 table), (audience, labelledby)
                assert html.count(f'id="{labelledby}"') == 1
            else:
                assert label.strip()
        tables_of[audience], pages[audience] = len(tables), html
    # every table of the template is met: who was heard (setting, community), the
    # population, categories, place/listener/month, actions at a glance, co-production (2);
    # the community page has none
    assert tables_of == {"lead": 11, "commissioner": 6, "community": 0}
    assert "You said, we did" in pages["community"]
    assert ".table-wrap { overflow-x: auto; }" in pages["lead"]


def test_an_insight_or_action_under_two_priorities_has_one_anchor(store: Store) -> None:
    add(store, *[note(f"n{i}", f"Nobody rang back for {i} weeks.", categories=["crisis-urgent"])
                 for i in range(6)],
        note("w1", "The waiting list is long.", categories=["access-waiting"]))
    shared = add_insight(store, "Nobody rings back", note_ids=[f"n{i}" for i in range(6)])
    own = add_insight(store, "Waiting lists", note_ids=["w1"])
    first = add_priority(store, "Calls returned", insight_ids=[shared])
    second = add_priority(store, "No one waits alone", insight_ids=[own, shared])
    both = add_action(store, "Call-back within a day", priority_ids=[first, second])
    set_involvement(store, both, "active", "embedded")
    add_action(store, "Waiting-list letters", priority_ids=[second])
    add_action(store, "Not linked yet")
    for audience in ("lead", "commissioner"):
        html = render_html(build_report(store, load_codebook(), audience=audience))
        ids = Counter(re.findall(r'(?<![\w:-])id="([^"]*)"', html))
        assert ids and max(ids.values()) == 1, [i for i, n in ids.items() if n > 1]
        targets = set(re.findall(r'href="#([^"]*)"', html))
        assert {"I1", "A1", "P1", "P2"} <= targets  # the thread's and co-production's links
        assert targets <= set(ids), targets - set(ids)
        # the first appearance (under P1) keeps the id; under P2 the same content is shown
        # again, with a line linking back to it
        p1, p2 = html.index('id="P1"'), html.index('id="P2"')
        assert p1 < html.index('id="I1"') < p2 and p1 < html.index('id="A1"') < p2
        assert html.count("I1 · Nobody rings back</h5>") == 2
        assert len(re.findall(r"<h5 class=\"record\">A1 · Call-back within a day", html)) == 2
        later = " ".join(html[p2:].split())
        assert 'Also under <a href="#I1">P1 (shown there first, above)</a>.' in later
        assert 'Also under <a href="#A1">P1 (shown there first, above)</a>.' in later
        assert " ".join(html[p1:p2].split()).count("Also under P2.") == 2
        assert 'id="I2"' in html and 'id="A3"' in html  # under one priority, or none: as before


def test_a_report_names_no_setting_a_lead_chose_never_to_name(store: Store) -> None:
    add(store,
        *[note(f"r{i}", "Waiting for help.", setting="refuge group", categories=["access-waiting"])
          for i in range(6)],
        *[note(f"c{i}", "Waiting for help.", setting="cafe", categories=["access-waiting"],
               community=["carers"]) for i in range(6)])
    for audience in ("commissioner", "community"):
        named = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
        assert "refuge group" in " ".join(render_html(named).split())
        assert any("this report names settings 'cafe', 'refuge group' and communities "
                   "'carers'; to leave one out, list it under never_name" in w
                   for w in named.warnings)
        chosen = build_report(store, load_codebook(), audience=audience,  # type: ignore[arg-type]
                              never_name=["Refuge group"])
        html = " ".join(render_html(chosen).split())
        assert "refuge group" not in html.casefold() and "cafe" in html
        assert {r["category"]: r["notes"] for r in chosen.rollup}["access-waiting"] == 12
    lead = build_report(store, load_codebook(), never_name=["refuge group"], audience="lead")
    assert ("refuge group", 6) in lead.heard_from["setting"] and not any(
        "never_name" in w for w in lead.warnings)


def test_the_leads_report_is_readable_by_its_owner_alone(store: Store, tmp_path: Path) -> None:
    import os

    add(store, note("a", "'The wait was long,' she said.", categories=["access-waiting"]))
    umask = os.umask(0)
    os.umask(umask)
    for audience, mode in (("lead", 0o600), ("commissioner", 0o666 & ~umask)):
        data = build_report(store, load_codebook(), audience=audience)  # type: ignore[arg-type]
        for suffix in (".html", ".xlsx", ".csv"):
            for path in write_report(data, tmp_path / audience / f"report{suffix}"):
                assert path.stat().st_mode & 0o777 == mode, (audience, path.name)


def test_unreviewed_notes_never_give_a_small_insight_s_count_away(store: Store) -> None:
    """An audit found it: with no note reviewed, "10 of the notes the priorities rest on"
    was the priority's whole count, shown beside "at least 7", so the "<5" insight had 3."""
    add(store, *[note(f"m{i}", f"Waited {i} months for a call.") for i in range(10)])
    store.save_model_tags(
        [ModelTagging(f"m{i}", {"access-waiting": 0.8}, ["access-waiting"], {}, False, None)
         for i in range(10)], model_version="m1", codebook_version="1")
    big = add_insight(store, "Waiting", note_ids=[f"m{i}" for i in range(7)])
    small = add_insight(store, "Small one", note_ids=["m7", "m8", "m9"])
    add_priority(store, "No one waits alone", insight_ids=[big, small])
    html = " ".join(render_html(build_report(store, load_codebook(),
                                             audience="commissioner")).split())
    assert "All of the notes the priorities rest on have categories no person gave" in html
    assert "10 of the notes" not in html and "Resting on at least 7 notes" in html


def test_a_commissioner_is_told_which_quotes_no_lead_chose(store: Store) -> None:
    add(store, *[note(f"q{i}", f"Waited {i + 5} months for a first call. Nobody rang.",
                      categories=["access-waiting"], consent_quote=True) for i in range(6)])
    insight = add_insight(store, "Waiting with no contact",
                          note_ids=[f"q{i}" for i in range(6)])
    add_priority(store, "No one waits alone", insight_ids=[insight])

    def page() -> str:
        return " ".join(unescape(re.sub(r"<[^>]+>", " ", render_html(
            build_report(store, load_codebook(), quotes_per_insight=1)))).split())

    assert "This quote was picked by the software (the sentence a note's category rests " \
        "on), not chosen by a lead" in page()
    set_quote_choice(store, insight, "q3", "pin")
    assert "picked by the software" not in page()
    lead = " ".join(render_html(build_report(store, load_codebook(), audience="lead")).split())
    assert "picked by the software" not in lead  # leads see which they pinned instead


def test_an_empty_workspace_s_pages_say_so_and_have_a_main_landmark(store: Store) -> None:
    community = render_html(build_report(store, load_codebook(), audience="community"))
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", community)).split())
    assert "No conversations have been written down yet" in text
    assert "0 conversations" not in text and "Here is what you told us" not in text
    for page in (community, render_html(build_report(store, load_codebook()))):
        assert page.count("<main>") == 1 and page.count("</main>") == 1


def test_a_quote_singling_someone_out_is_warned_of(store: Store) -> None:
    add(store, *[note(f"f{i}", "Met him at the shop, he's the only farmer up there still going "
                      "since his wife died." if i == 0 else f"Farm work is lonely, week {i}.",
                      categories=["daily-living"], consent_quote=True) for i in range(6)])
    insight = add_insight(store, "Farming is lonely", note_ids=[f"f{i}" for i in range(6)])
    set_quote_choice(store, insight, "f0", "pin")
    add_priority(store, "Rural isolation", insight_ids=[insight])
    said = build_report(store, load_codebook(), audience="commissioner").warnings
    assert any(w.startswith("I1: a quote says someone is the only one of a kind somewhere")
               for w in said)
    assert not any("only one of a kind" in w
                   for w in build_report(store, load_codebook(), audience="lead").warnings)


def test_safeguarding_counts_notes_not_queue_items(store: Store) -> None:
    """A note with two items (the flag's and a person's) is one note routed, as the report
    says "notes", and as `notes list --safeguarding` lists them."""
    add(store, *[note(f"s{i}", f"Worried about her son {i}.") for i in range(6)])
    for i in range(6):
        store.flag_safeguarding(f"s{i}", by="screen:phrase-list", reason="phrase")
    store.flag_safeguarding("s0", by="lead", reason="raised by a person: more", again=True)
    assert len(store.safeguarding_items()) == 7
    data = build_report(store, load_codebook(), audience="lead", threshold=5)
    assert data.summary["safeguarding_flagged"] == 6
    assert data.summary["safeguarding_open"] == 6


def test_a_concern_still_open_on_an_erased_note_is_still_counted_open(store: Store) -> None:
    add(store, *[note(f"s{i}", f"Worried about her son {i}.", safeguarding=True)
                 for i in range(6)])
    items = {i["note_id"]: i["id"] for i in store.safeguarding_items()}
    store.acknowledge_safeguarding(items["s1"], note="called the family")
    store.erase_notes(["s0", "s1"], reason="asked")  # s0's item is still open
    data = build_report(store, load_codebook(), audience="lead", threshold=5)
    assert data.summary["safeguarding_open"] == 5  # s0's included: open until closed
    assert data.summary["safeguarding_flagged"] == 5  # s1's, closed, left with its note
    assert items["s0"] in [item for item, _ in data.waiting]


def test_a_periods_safeguarding_line_counts_only_its_own_notes_concerns(store: Store) -> None:
    """An open concern on an August note is not an April-June concern left unhandled."""
    add(store, *[note(f"q2-{i}", f"Worried about her son {i}.", safeguarding=True,
                      heard_on="2026-05-01") for i in range(2)],
        note("aug", "Worried about her son.", safeguarding=True, heard_on="2026-08-10"))
    for item in store.safeguarding_items():
        if item["note_id"] != "aug":
            store.acknowledge_safeguarding(item["id"], note="called the family")
    spring = build_report(store, load_codebook(), audience="lead", since=date(2026, 4, 1),
                          until=date(2026, 6, 30))
    assert spring.summary["safeguarding_flagged"] == 2
    assert spring.summary["safeguarding_open"] == 0
    assert spring.summary["safeguarding_oldest_open_days"] is None and spring.waiting == []
    summer = build_report(store, load_codebook(), audience="lead", since=date(2026, 7, 1),
                          until=date(2026, 9, 30))
    assert summer.summary["safeguarding_open"] == 1
    assert summer.summary["safeguarding_oldest_open_days"] == 0


def test_a_pinned_note_gives_the_persons_own_words_wherever_they_are(store: Store) -> None:
    """The model's evidence sentence for the insight's category is often the listener's
    summary; a lead who pinned the note read it whole: its person's words are quoted."""
    text = ("'I was told 18 weeks. It has been 40.' Nobody checks in while he waits; he said "
            "he would have liked a call.")
    add(store, note("r1", text, consent_quote=True),
        *[note(f"w{i}", f"Waited months for a referral {i}.", categories=["access-waiting"])
          for i in range(6)])
    store.save_model_tags([ModelTagging(
        "r1", {"access-waiting": 0.9}, ["access-waiting"],
        {"access-waiting": "Nobody checks in while he waits; he said he would have liked a "
                           "call."}, False, "negative")], model_version="m1", codebook_version="1")
    insight = add_insight(store, "Long waits", categories=["access-waiting"],
                          note_ids=["r1", *[f"w{i}" for i in range(6)]])
    add_priority(store, "Shorter waits", insight_ids=[insight])
    set_quote_choice(store, insight, "r1", "pin")
    for audience in ("community", "commissioner"):
        data = build_report(store, load_codebook(), audience=audience)
        [quote] = data.priorities[0]["insights"][0]["quotes"][:1]
        assert quote.text == "I was told 18 weeks. It has been 40." and quote.own_words
    store.set_consent("r1", consent_quote=False)  # its pin cannot be quoted now
    lead = build_report(store, load_codebook(), audience="lead")
    assert lead.pins_unquotable == [f"I{insight}"]
    assert "whose pinned notes can no longer be quoted" in unescape(render_html(lead))


def test_a_decline_reason_is_not_reported_once_the_action_is_agreed(store: Store,
                                                                    tmp_path: Path) -> None:
    add(store, *[note(f"n{i}", f"Waited months {i}.", categories=["access-waiting"])
                 for i in range(6)])
    insight = add_insight(store, "Waits", categories=["access-waiting"],
                          note_ids=[f"n{i}" for i in range(6)])
    action = add_action(store, "24/7 centre", status="declined", reason="No budget",
                        priority_ids=[add_priority(store, "Shorter waits",
                                                   insight_ids=[insight])])
    set_action_status(store, action, "agreed")
    data = build_report(store, load_codebook(), audience="commissioner")
    [row] = report_tables(data)["Actions"][1:]
    assert "agreed" in row and "No budget" not in row


def test_a_withdrawn_priority_is_reported_as_no_longer_pursued_with_why(store: Store) -> None:
    """People were told their priority mattered: when the leads stop pursuing it, every
    report keeps it and says why, rather than it vanishing."""
    add(store, note("n1", "Text", categories=["crisis-urgent"]))
    insight = add_insight(store, "No help at night", note_ids=["n1"])
    set_quote_choice(store, insight, "n1", "pin")
    priority = add_priority(store, "Evening crisis line", insight_ids=[insight])
    withdraw_priority(store, priority, "The ICB now funds a 24-hour line.",
                      on=date(2026, 10, 1))
    community = _community_text(build_report(store, load_codebook(), audience="community"))
    assert ("Evening crisis line We are no longer working on this (since October 2026). "
            "Why: The ICB now funds a 24-hour line.") in community
    commissioner = " ".join(unescape(re.sub(r"<[^>]+>", " ", render_html(
        build_report(store, load_codebook())))).split())
    assert ("No longer pursued since 1 October 2026, because: The ICB now funds a 24-hour "
            "line.") in commissioner
    tables = report_tables(build_report(store, load_codebook()))
    assert tables["Priorities"][1][4:6] == [date(2026, 10, 1),
                                            "The ICB now funds a 24-hour line."]


def _two_quarters(store: Store) -> dict[str, int]:
    """Notes over two quarters, and a thread that moved in both."""
    add(store, *[note(f"q1-{i}", f"The waiting list for therapy is long {i}.",
                      categories=["access-waiting"], heard_on=f"2026-08-{i + 1:02d}")
                 for i in range(8)],
        *[note(f"q2-{i}", f"Nobody rang back from the crisis line {i}.",
                categories=["crisis-urgent"], heard_on=f"2026-10-{i + 1:02d}")
          for i in range(6)],
        note("undated", "The cafe group keeps me going.", categories=["community-support"],
             heard_on=None))
    waits = add_insight(store, "Waiting alone", categories=["access-waiting"],
                        note_ids=[f"q1-{i}" for i in range(8)])
    crisis = add_insight(store, "No answer at night", categories=["crisis-urgent"],
                         note_ids=[f"q2-{i}" for i in range(6)])
    ids = {"waits": add_priority(store, "No one waits alone", insight_ids=[waits],
                                 agreed_on=date(2026, 9, 1)),
           "crisis": add_priority(store, "Crisis help at night", insight_ids=[crisis],
                                  agreed_on=date(2026, 10, 20))}
    ids["calls"] = add_action(store, "Monthly calls", status="agreed",
                              status_on=date(2026, 9, 5), priority_ids=[ids["waits"]])
    set_action_status(store, ids["calls"], "done", on=date(2026, 10, 30))
    add_outcome(store, ids["calls"], "Everyone waiting had a call", observed_on=date(2026, 10, 31),
                fed_back_on=date(2026, 11, 2))
    ids["line"] = add_action(store, "Evening line", status="proposed",
                             status_on=date(2026, 10, 25), priority_ids=[ids["crisis"]])
    ids["bus"] = add_action(store, "Free bus to the cafe", status="declined",
                            reason="No transport budget", status_on=date(2026, 11, 4),
                            priority_ids=[ids["crisis"]])
    withdraw_priority(store, ids["waits"], "The ICB now funds the calls", on=date(2026, 11, 3))
    return ids


def test_a_quarters_report_counts_its_notes_and_says_what_changed_in_it(store: Store) -> None:
    """Blind two-quarter audit: a second quarter's report counted every quarter's notes and
    said nothing of what had changed since the first."""
    _two_quarters(store)
    quarter = build_report(store, load_codebook(), audience="lead", since=date(2026, 10, 1),
                           until=date(2026, 12, 31))
    assert quarter.summary["notes"] == 6  # the quarter's, not 15
    assert (quarter.summary["from"], quarter.summary["to"]) == ("2026-10-01", "2026-12-31")
    assert {row["category"]: row["notes"] for row in quarter.rollup}["access-waiting"] == 0
    assert any("1 note has no date heard" in w for w in quarter.warnings)
    assert [(c["on"], c["ref"], c["change"]) for c in quarter.changes] == [
        (date(2026, 10, 20), "P2", "agreed"), (date(2026, 10, 25), "A2", "proposed"),
        (date(2026, 10, 30), "A1", "done"), (date(2026, 10, 31), "O1", "seen"),
        (date(2026, 11, 2), "O1", "fed back"), (date(2026, 11, 3), "P1", "withdrawn"),
        (date(2026, 11, 4), "A3", "declined")]
    assert quarter.changes[-2]["reason"] == "The ICB now funds the calls"
    assert quarter.changes[-1]["reason"] == "No transport budget"  # why, as for a withdrawal
    # a priority's count is of its notes heard in the quarter too: none of P1's
    assert {p["ref"]: p["evidence"] for p in quarter.priorities} == {"P1": 0, "P2": 6}
    html = unescape(render_html(quarter))
    today = uk_today()
    # a period still running: what changed so far, and said so
    assert f"What changed from 1 October 2026 to {today.day} {today:%B %Y}" in html
    assert "(the period is not over)" in html
    assert "Priority withdrawn, because: The ICB now funds the calls" in html
    assert "Action declined, because: No transport budget" in html
    assert ("The counts and quotes in this report are of conversations heard in this "
            "period, those of each insight, priority and action too") in html
    # the first quarter: the thread's changes in it, none of the second's
    first = build_report(store, load_codebook(), since=date(2026, 7, 1),
                         until=date(2026, 9, 30))
    assert first.summary["notes"] == 8
    assert [(c["ref"], c["change"]) for c in first.changes] == [("P1", "agreed"),
                                                                 ("A1", "agreed")]
    # as it stood on 30 September (a second audit: a past quarter's report showed today's
    # statuses, later outcomes and quotes from notes heard after it)
    assert (first.summary["priorities"], first.summary["actions"],
            first.summary["outcomes"]) == (1, 1, 0)
    [stood] = first.priorities
    assert stood["ref"] == "P1" and stood["withdrawn"] is None
    assert [(a["ref"], a["status"], a["status_since"], a["outcomes"])
            for a in stood["actions"]] == [("A1", "agreed", date(2026, 9, 5), [])]
    page = unescape(render_html(first))
    assert "the period is not over" not in page and "as they stood on 30 September 2026" in page
    # evidence heard after the period's end is not in its report, nor quoted
    add(store, note("late", "'Still nobody has rung me about the waiting list,' she said.",
                    categories=["access-waiting"], heard_on="2026-10-15"))
    link_notes(store, 1, ["late"])
    set_quote_choice(store, 1, "late", "pin")
    now_lead = build_report(store, load_codebook(), audience="lead")
    assert now_lead.priorities[0]["evidence"] == 9
    assert "late" in {q.source for q in now_lead.priorities[0]["insights"][0]["quotes"]}
    then = build_report(store, load_codebook(), audience="lead", since=date(2026, 7, 1),
                        until=date(2026, 9, 30))
    assert then.priorities[0]["evidence"] == 8
    assert "late" not in {q.source for p in then.priorities for i in p["insights"]
                          for q in i["quotes"]}
    # the community page says it in plain words, without the team's own bookkeeping
    community = build_report(store, load_codebook(), audience="community",
                             since=date(2026, 10, 1), until=date(2026, 12, 31))
    assert "fed back" not in [c["change"] for c in community.changes]
    page = " ".join(re.sub(r"<[^>]+>", " ", unescape(render_html(community))).split())
    assert f"What happened between October 2026 and {today:%B %Y}" in page
    assert ("We stopped working on: No one waits alone (November 2026) . Why: The ICB now "
            "funds the calls") in page
    assert "We did: Monthly calls (October 2026)" in page
    assert "What came of it: Everyone waiting had a call (October 2026)" in page
    tables = report_tables(quarter)
    assert [row[1:5] for row in tables["Changes"][1:3]] == [
        ["P2", "priority", "Crisis help at night", "agreed"],
        ["A2", "action", "Evening line", "proposed"]]
    assert ["notes heard from", date(2026, 10, 1)] in tables["About"]


def test_without_a_period_a_report_says_what_changed_since_the_last_one(
        store: Store) -> None:
    _two_quarters(store)
    # the readers' first report: everything so far, said to be so
    everything = build_report(store, load_codebook())
    assert everything.summary["notes"] == 15 and everything.changes_basis == "first"
    assert [(c["ref"], c["change"]) for c in everything.changes][:2] == [
        ("P1", "agreed"), ("A1", "agreed")]
    assert ("What changed so far (the first report for these readers: everything up to"
            in " ".join(re.sub(r"<[^>]+>", " ", render_html(everything)).split()))
    # written on 30 October, before any of these were recorded: those dated since then,
    # and those recorded since though dated before it (a status given its day late)
    before = datetime(2026, 10, 30, 12, 0)
    since = build_report(store, load_codebook(), last_report=before)
    assert [(c["ref"], c["change"]) for c in since.changes] == [
        ("P1", "agreed"), ("A1", "agreed"), ("P2", "agreed"), ("A2", "proposed"),
        ("A1", "done"), ("O1", "seen"), ("O1", "fed back"), ("P1", "withdrawn"),
        ("A3", "declined")]
    assert since.summary["notes"] == 15  # the counts are of every note
    assert "What changed since the last report (30 October 2026)" in render_html(since)
    # written after all of them were recorded, today: nothing dated or recorded since
    after = datetime.now(UTC).replace(tzinfo=None)
    quiet = build_report(store, load_codebook(), last_report=after)
    assert quiet.changes == []
    assert "Nothing in the golden thread changed in this time" in render_html(quiet)


def test_the_last_report_is_the_audiences_written_on_an_earlier_day(store: Store) -> None:
    """A report written again the same day (a correction) is not the one to compare with:
    it would leave nothing changed since."""
    from sqlalchemy import update

    from insight.store import audit

    assert store.last_report("commissioner", uk_today()) is None
    store.record_report(["q3.html"], "commissioner", [])
    store.record_report(["q3-community.html"], "community", [])
    assert store.last_report("commissioner", uk_today()) is None  # today's
    with store.engine.begin() as conn:  # as if written in the autumn
        conn.execute(update(audit).where(audit.c.record_type == "report",
                                         audit.c.record_id == "q3.html")
                     .values(at=datetime(2026, 9, 30, 23, 30)))  # 00:30 BST on 1 October
    store.record_report(["q3-fixed.html"], "commissioner", [])
    assert store.last_report("commissioner", uk_today()) == datetime(2026, 9, 30, 23, 30)
    assert store.last_report("community", uk_today()) is None


def test_readers_outside_the_leads_get_no_checks_about_what_no_report_shows(
        store: Store) -> None:
    """A two-quarter audit: the commissioner report listed "insight I8 supports no priority,
    so no report shows it", a lead's to-do about something the reader never sees."""
    add(store, *[note(f"n{i}", f"Nobody rang back {i}.", categories=["access-waiting"])
                 for i in range(6)])
    shown = add_insight(store, "Waiting alone", note_ids=[f"n{i}" for i in range(6)])
    add_insight(store, "Not yet placed", note_ids=["n0"])
    priority = add_priority(store, "No one waits alone", insight_ids=[shown])
    add_action(store, "Monthly calls", status="done", priority_ids=[priority])
    lead = build_report(store, load_codebook(), audience="lead").problems
    assert any("I2 supports no priority" in p for p in lead)
    for audience in ("commissioner", "community"):
        problems = build_report(store, load_codebook(), audience=audience).problems
        assert not any("I2" in p for p in problems)
        assert any("A1 is done but has no outcome" in p for p in problems)  # still checked


Q2, Q3 = (date(2026, 4, 1), date(2026, 6, 30)), (date(2026, 7, 1), date(2026, 9, 30))


def _heard_over_two_quarters(store: Store) -> None:
    """I1: 36 notes heard in April to June, 4 in July to September; I2, under the same
    priority: 6 and 7; an action under the priority since before both."""
    add(store,
        *[note(f"a{i}", f"'Nobody rang me back about the list,' they said {i}.",
               categories=["access-waiting"], heard_on=f"2026-{4 + i % 3:02d}-{1 + i % 28:02d}",
               place=f"Town {i % 9}", listener=f"L{i % 7}") for i in range(36)],
        *[note(f"b{i}", f"'Still nobody rang me back,' she said {i}.",
               categories=["access-waiting"], heard_on=f"2026-08-{10 + i:02d}")
          for i in range(4)],
        *[note(f"c{i}", f"'The crisis line rang out at night,' he said {i}.",
               categories=["crisis-urgent"], heard_on=f"2026-0{5 if i < 6 else 8}-{1 + i:02d}")
          for i in range(13)])
    waiting = add_insight(store, "Nobody rings back", categories=["access-waiting"],
                          note_ids=[*[f"a{i}" for i in range(36)], *[f"b{i}" for i in range(4)]])
    nights = add_insight(store, "No answer at night", categories=["crisis-urgent"],
                         note_ids=[f"c{i}" for i in range(13)])
    priority = add_priority(store, "No one waits alone", insight_ids=[waiting, nights],
                            agreed_on=date(2026, 3, 1))
    add_action(store, "Monthly calls", status="agreed", status_on=date(2026, 3, 5),
               priority_ids=[priority])


def test_adjacent_quarters_reports_cannot_be_subtracted_to_count_a_few(store: Store) -> None:
    """Blind audit (a commissioner and a Healthwatch reviewer): Q2's report said I1 rested
    on 36 notes and Q3's on 40, so 4 were heard in Q3, a count each report hides; the same
    for the priority's and the action's totals and the insight's evidence profile."""
    _heard_over_two_quarters(store)
    q2, q3 = (build_report(store, load_codebook(), since=s, until=u) for s, u in (Q2, Q3))

    def counts(data) -> dict[str, object]:
        [p] = data.priorities
        return {**{i["ref"]: i["evidence"] for i in p["insights"]}, "P1": p["evidence"],
                "A1": p["actions"][0]["evidence"]}

    assert counts(q2) == {"I1": 36, "I2": 6, "P1": 42, "A1": 42}
    # the quarter's own notes: I1's 4 are "<5", and nothing beside them gives them away
    assert counts(q3) == {"I1": "<5", "I2": 7, "P1": "at least 7", "A1": "at least 7"}
    [waiting, nights] = q3.priorities[0]["insights"]
    assert waiting["profile"] is None and waiting["quotes"] == []
    assert q2.priorities[0]["insights"][0]["profile"]["places"] == 9
    text = _community_text(q3)
    assert "I1 · Nobody rings back (fewer than 5 notes heard in this period;" in text
    assert "I2 · No answer at night (7 notes heard in this period;" in text
    assert "Resting on at least 7 notes heard in this period" in text
    assert "Golden thread: A1 back to at least 7 notes heard in this period" in text
    assert "Heard August 2026, in fewer than 5 places" in text  # I2's: its Q3 notes only
    assert "Every count and quote in this report is of the notes heard in this period" in text
    # no figure of Q3's is Q2's and I1's 4 more (40 notes, 13, 49, 9 places)
    for number in ("40", "49", "13", "9 places"):
        assert not re.search(rf"\b{number}\b", text), number
    # the tables say what the page says
    tables = report_tables(q3)
    assert [row[4] for row in tables["Insights"][1:]] == ["<5", 7]
    assert tables["Priorities"][1][6] == "at least 7"
    assert tables["Actions"][1][9] == "at least 7"
    assert dict(tables["About"][1:])["counts"].startswith("of notes heard in the period")
    # leads see the quarter's count and, beside it, every note linked by its end
    lead = build_report(store, load_codebook(), audience="lead", since=Q3[0], until=Q3[1])
    assert "I1 · Nobody rings back (4 notes heard in this period; 40 notes linked by a " \
        "lead in all, to 30 September 2026;" in _community_text(lead)
    assert [row[4::7] for row in report_tables(lead)["Insights"][1:]] == [[4, 40], [7, 13]]
    # the all-notes report is as it was
    every = build_report(store, load_codebook())
    assert counts(every) == {"I1": 40, "I2": 13, "P1": 53, "A1": 53}
    assert "(40 notes linked by a lead;" in _community_text(every)


def test_a_periods_quotes_are_of_notes_heard_in_it(store: Store) -> None:
    """Blind audit: Q3's report said "what people told peer listeners from July 2026 to
    September 2026" over quotes 11 of 12 of which were heard from 2024 to March 2026."""
    add(store,
        *[note(f"old{i}", f"'I waited a year and nobody rang me,' she said, in 2025 {i}.",
               categories=["access-waiting"], heard_on=f"2025-03-{1 + i:02d}")
          for i in range(6)],
        *[note(f"new{i}", f"'This summer nobody rang me either,' he said {i}.",
               categories=["access-waiting"], heard_on=f"2026-08-{1 + i:02d}")
          for i in range(6)])
    waiting = add_insight(store, "Nobody rings back", categories=["access-waiting"],
                          note_ids=[*(f"old{i}" for i in range(6)), *(f"new{i}" for i in range(6))])
    add_priority(store, "No one waits alone", insight_ids=[waiting], agreed_on=date(2026, 3, 1))
    set_quote_choice(store, waiting, "old0", "pin")
    for audience in ("lead", "commissioner"):
        q3 = build_report(store, load_codebook(), audience=audience, since=Q3[0], until=Q3[1],
                          quotes_per_insight=None)
        quotes = q3.priorities[0]["insights"][0]["quotes"]
        assert quotes and {q.source for q in quotes} <= {f"new{i}" for i in range(6)}
        assert "2025" not in " ".join(q.text for q in quotes)
    # the pin (heard in 2025) is quoted where its notes are: the report of every note
    every = build_report(store, load_codebook(), audience="lead")
    assert every.priorities[0]["insights"][0]["quotes"][0].source == "old0"


def test_an_insight_with_no_notes_in_the_period_is_shown_with_none(store: Store) -> None:
    """The thread is as it stood at the period's end: an insight first heard last year is
    still under its priority, with none of its notes heard in the period said in words."""
    add(store,
        *[note(f"old{i}", f"The group closed {i}.", categories=["community-support"],
               heard_on=f"2025-03-{1 + i:02d}") for i in range(8)],
        *[note(f"new{i}", f"Nobody rang back {i}.", categories=["access-waiting"],
               heard_on=f"2026-08-{1 + i:02d}") for i in range(6)])
    closed = add_insight(store, "Groups closing", note_ids=[f"old{i}" for i in range(8)])
    waiting = add_insight(store, "Nobody rings back", note_ids=[f"new{i}" for i in range(6)])
    priority = add_priority(store, "Keep people connected", insight_ids=[closed, waiting],
                            agreed_on=date(2025, 6, 1))
    add_action(store, "Fund the groups", status="agreed", status_on=date(2025, 7, 1),
               priority_ids=[priority])
    q3 = build_report(store, load_codebook(), since=Q3[0], until=Q3[1])
    [shown] = q3.priorities
    assert [(i["ref"], i["evidence"], i["first_heard"], i["quotes"], i["profile"])
            for i in shown["insights"]][0] == ("I1", 0, "2025-03-01", [], None)
    assert shown["evidence"] == 6 and shown["actions"][0]["evidence"] == 6
    text = _community_text(q3)
    assert ("I1 · Groups closing (no notes heard in this period; first heard March 2025)"
            in text)
    assert "P1 ← I1: Groups closing ← notes: none heard in this period" in text
    assert report_tables(q3)["Insights"][1][4] == 0


def test_a_periods_community_page_keeps_a_priority_heard_before_it(store: Store) -> None:
    """"You said" needs someone to have said it, by the period's end: a priority agreed
    last year whose action moved this quarter belongs on this quarter's page; a quote
    pinned for it from last year is not this quarter's voice, which the lead is told."""
    add(store, *[note(f"old{i}", f"'The group closed and I stay in,' she said {i}.",
                      categories=["community-support"], heard_on=f"2025-03-{1 + i:02d}")
                 for i in range(8)])
    closed = add_insight(store, "Groups closing", note_ids=[f"old{i}" for i in range(8)])
    set_quote_choice(store, closed, "old0", "pin")
    groups = add_action(store, "Fund the groups", status="agreed", status_on=date(2025, 7, 1),
                        priority_ids=[add_priority(store, "Keep people connected",
                                                   insight_ids=[closed],
                                                   agreed_on=date(2025, 6, 1))])
    set_action_status(store, groups, "in progress", on=date(2026, 8, 3))
    q3 = build_report(store, load_codebook(), audience="community", since=Q3[0], until=Q3[1])
    assert [p["title"] for p in q3.priorities] == ["Keep people connected"]
    assert q3.priorities[0]["insights"][0]["quotes"] == []
    page = _community_text(q3)
    assert "Keep people connected" in page and "We are doing Fund the groups" in page
    assert any("I1: the community page quotes none of the notes pinned, as none of them was "
               "heard in this period" in w for w in q3.warnings)
