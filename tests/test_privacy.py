from __future__ import annotations

from insight.privacy import may_quote, quotes_for, redact_text, suppress


def test_no_quote_without_consent_or_after_erasure() -> None:
    notes = [
        {"id": "a", "text": "Waited a year.", "consent_quote": False},
        {"id": "b", "text": "The cafe saved me.", "consent_quote": True},
        {"id": "c", "text": None, "consent_quote": True, "erased_at": "2026-01-01"},
    ]
    assert [may_quote(n) for n in notes] == [False, True, False]
    assert [q.note_id for q in quotes_for(notes)] == ["b"]


def test_excerpt_is_redacted_in_the_context_of_the_whole_note() -> None:
    text = "Spoke to a mum called Grace. Grace said the crisis line never picked up."
    excerpt = "Grace said the crisis line never picked up."
    quoted = redact_text(text, excerpt)
    assert quoted == "[PERSON] said the crisis line never picked up."


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
