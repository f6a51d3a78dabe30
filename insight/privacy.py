"""Privacy rules applied by the core whenever data leaves for an audience.

One place for consent, redaction and small-number suppression, so templates and exports
never have to remember them. Audiences: `lead` (sees counts unsuppressed, still no
quotes without consent), `commissioner` and `community` (suppressed counts, redacted
consented quotes only).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, Literal

Audience = Literal["lead", "commissioner", "community"]
AUDIENCES: tuple[str, ...] = ("lead", "commissioner", "community")


@dataclass(frozen=True)
class Quote:
    note_id: str
    text: str  # redacted


def may_quote(note: dict[str, Any], flagged: Collection[str] = ()) -> bool:
    """A note's words may leave the lead's view only with consent, while not erased, and
    never when it raised a safeguarding concern (a person's, the model's or the phrase
    list's, listed in `flagged`): those notes go to a person, not into reports."""
    return (
        bool(note.get("consent_quote"))
        and bool(note.get("text"))
        and not note.get("erased_at")
        and not note.get("safeguarding")
        and not note.get("model_safeguarding")
        and note.get("id") not in flagged
    )


def note_ref(note_id: str, audience: Audience, key: bytes) -> str:
    """How a note is named for an audience: leads see its id; others an opaque reference.

    Ids come from the people who submit notes and can hold names or numbers, so they never
    leave the leads' view as written. The reference is a keyed hash (`key`: the
    workspace's secret, `Store.secret`), so it cannot be undone by hashing guessed ids; it is
    stable (the same note has the same reference in every report) and a lead finds the
    note with `insight trace REF`.
    """
    if audience == "lead":
        return note_id
    return "note-" + hmac.new(key, note_id.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


MAX_QUOTE_CHARS = 320


def redact_text(text: str, excerpt: str | None = None) -> str:
    """Redact the whole note (names are found in context), then cut out the excerpt."""
    from insight.redact import redact

    start, end = 0, len(text)
    if excerpt and (found := text.find(excerpt)) >= 0:
        start, end = found, found + len(excerpt)
    elif len(text) > MAX_QUOTE_CHARS:
        cut = text.rfind(". ", 0, MAX_QUOTE_CHARS)
        end = cut + 1 if cut > 80 else MAX_QUOTE_CHARS
    spans = redact(text).spans
    for span in spans:  # never cut a piece of personal data in half
        if span.start < start < span.end:
            start = span.start
        if span.start < end < span.end:
            end = span.end
    pieces, position = [], start
    for span in spans:
        if span.end <= start or span.start >= end:
            continue
        pieces.append(text[position : span.start])
        pieces.append(f"[{span.type}]")
        position = span.end
    pieces.append(text[position:end])
    clipped = "".join(pieces).strip()
    return clipped + (" …" if end < len(text) and not excerpt else "")


def quotes_for(
    notes: Iterable[dict[str, Any]],
    *,
    limit: int | None = None,
    excerpts: dict[str, str] | None = None,
    flagged: Collection[str] = (),
    audience: Audience = "lead",
    key: bytes = b"",
) -> list[Quote]:
    """Consented, redacted quotes; notes without consent or with a safeguarding flag are
    skipped, never shown. Each quote names its note as `note_ref` does for the audience.

    `excerpts` maps note id -> the evidence sentence to quote instead of the whole note.
    """
    out: list[Quote] = []
    for note in notes:
        if not may_quote(note, flagged):
            continue
        excerpt = (excerpts or {}).get(note["id"])
        text = redact_text(note["text"], excerpt)
        out.append(Quote(note_id=note_ref(note["id"], audience, key), text=text))
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
