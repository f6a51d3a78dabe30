"""Small helpers to put real notes in a real store for tests."""

from __future__ import annotations

from datetime import date

from insight.intake import NoteIn, NoteRecord
from insight.store import Store


def note(
    note_id: str,
    text: str,
    *,
    categories: list[str] | None = None,
    heard_on: str | None = "2026-03-10",
    listener: str = "L1",
    place: str = "Leeds",
    consent_quote: bool = True,
    safeguarding: bool | None = None,
    setting: str | None = None,
    community: list[str] | None = None,
    experience: str | None = None,
) -> NoteRecord:
    return NoteIn.model_validate(
        {
            "id": note_id,
            "text": text,
            "heard_on": date.fromisoformat(heard_on) if heard_on else None,
            "listener": listener,
            "place": place,
            "consent_quote": consent_quote,
            "categories": categories,
            "safeguarding": safeguarding,
            "setting": setting,
            "community": community or [],
            "experience": experience,
        }
    ).to_record(source="test")


def add(store: Store, *records: NoteRecord) -> None:
    store.add_notes(list(records))
