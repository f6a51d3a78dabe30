"""Privacy rules applied by the core whenever data leaves for an audience.

One place for consent, redaction and small-number suppression, so templates and exports
never have to remember them. Audiences: `lead` (sees counts unsuppressed, still no
quotes without consent), `commissioner` and `community` (suppressed counts, redacted
consented quotes only).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

Audience = Literal["lead", "commissioner", "community"]
AUDIENCES: tuple[str, ...] = ("lead", "commissioner", "community")


@dataclass(frozen=True)
class Quote:
    note_id: str
    text: str  # redacted


def may_quote(note: dict[str, Any]) -> bool:
    """A note's words may leave the lead's view only with consent and while not erased."""
    return bool(note.get("consent_quote")) and bool(note.get("text")) and not note.get(
        "erased_at"
    )


def redact_text(text: str) -> str:
    from insight.redact import redact

    return redact(text).text


def quotes_for(notes: Iterable[dict[str, Any]], *, limit: int | None = None) -> list[Quote]:
    """Consented, redacted quotes; notes without consent are skipped, never shown."""
    out: list[Quote] = []
    for note in notes:
        if not may_quote(note):
            continue
        out.append(Quote(note_id=note["id"], text=redact_text(note["text"])))
        if limit is not None and len(out) >= limit:
            break
    return out


def suppress(count: int, audience: Audience, threshold: int) -> int | str:
    """Counts from 1 to threshold-1 become `<threshold` outside the leads' view."""
    if audience == "lead" or count == 0 or count >= threshold:
        return count
    return f"<{threshold}"


def is_suppressed(value: int | str) -> bool:
    return isinstance(value, str)
