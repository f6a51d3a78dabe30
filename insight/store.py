"""Storage: the one module that talks to the database (SQLite or PostgreSQL).

Every create/update/delete of a note, tag, insight, priority, action or outcome goes
through `Store`, which writes an audit record in the same transaction.
"""

from __future__ import annotations

import getpass
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    create_engine,
    delete,
    distinct,
    event,
    func,
    insert,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from insight.clock import uk_day, uk_time, uk_today
from insight.intake import INTAKE_FILLABLE, NoteRecord

SCHEMA_VERSION = 1
IN_CHUNK = 500  # ids per `IN (...)`: well under every database's bound-parameter limit


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

notes = Table(
    "notes",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("text", Text, nullable=True),  # NULL once erased
    Column("content_hash", String(64), nullable=False),
    Column("heard_on", Date, nullable=True),
    Column("listener", String(200), nullable=True),
    Column("setting", String(200), nullable=True),
    Column("place", String(200), nullable=True),
    Column("community", JSON, nullable=False, default=list),
    Column("consent_quote", Boolean, nullable=False, default=False),
    Column("consent_contact", Boolean, nullable=False, default=False),
    Column("labelled", Boolean, nullable=False, default=False),  # a person gave categories
    Column("safeguarding", Boolean, nullable=True),  # a person's judgement, if given
    Column("experience", String(20), nullable=True),  # a person's judgement, if given
    Column("model_safeguarding", Boolean, nullable=True),
    Column("model_experience", String(20), nullable=True),
    Column("tagged_with", String(100), nullable=True),  # model version of the last tag run
    Column("tagged_at", DateTime, nullable=True),
    Column("source", String(500), nullable=True),
    Column("erased_at", DateTime, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("author", String(200), nullable=False),
    Index("ix_notes_content_hash", "content_hash"),  # intake looks notes up by their text
)

tags = Table(
    "tags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("note_id", String(200), ForeignKey("notes.id"), nullable=False, index=True),
    Column("category", String(200), nullable=False, index=True),
    Column("source", String(10), nullable=False),  # person | model
    Column("confidence", Float, nullable=True),
    Column("evidence", Text, nullable=True),
    Column("model_version", String(100), nullable=True),
    Column("codebook_version", String(50), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("author", String(200), nullable=False),
    UniqueConstraint("note_id", "category", "source", name="uq_tag"),
)

safeguarding_queue = Table(
    "safeguarding_queue",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("note_id", String(200), ForeignKey("notes.id"), nullable=False, index=True),
    # a person's name, listener:<code> (the note's listener, flagged in the file),
    # model:<version> or screen:phrase-list; who ran the command is in the audit log
    Column("flagged_by", String(200), nullable=False),
    Column("reason", Text, nullable=True),
    Column("flagged_at", DateTime, nullable=False),
    Column("acknowledged_at", DateTime, nullable=True),
    Column("acknowledged_by", String(200), nullable=True),
    Column("ack_note", Text, nullable=True),
)

insights = Table(
    "insights",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=True),
    Column("categories", JSON, nullable=False, default=list),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("author", String(200), nullable=False),
    sqlite_autoincrement=True,  # a deleted record's number is never reused
)

insight_notes = Table(
    "insight_notes",
    metadata,
    Column("insight_id", Integer, ForeignKey("insights.id"), primary_key=True),
    Column("note_id", String(200), ForeignKey("notes.id"), primary_key=True),
)

#: A lived-experience lead's choice of which of an insight's notes are quoted for it:
#: `pin` (quoted first, in `position` order) or `exclude` (never quoted for that insight).
#: Only for a note linked to the insight: the row goes when the link does (unlink, a
#: deleted insight, an erased note). Added after schema version 1 was released, so
#: `Store.open` creates it in a database that was made without it.
insight_quotes = Table(
    "insight_quotes",
    metadata,
    Column("insight_id", Integer, primary_key=True),
    Column("note_id", String(200), primary_key=True),
    Column("choice", String(10), nullable=False),  # pin | exclude
    Column("position", Integer, nullable=True),  # pins: the order they were pinned in
    Column("chosen_at", DateTime, nullable=False),
    Column("author", String(200), nullable=False),
    ForeignKeyConstraint(
        ["insight_id", "note_id"], ["insight_notes.insight_id", "insight_notes.note_id"],
        name="fk_insight_quotes_link",
    ),
)
#: Stored values of `insight_quotes.choice`.
PIN, EXCLUDE = "pin", "exclude"
QUOTE_CHOICES = (PIN, EXCLUDE)
#: Tables added to schema version 1 after its release: created when a database without
#: them is opened (`metadata.create_all` with `checkfirst` makes only what is missing).
_ADDED_TABLES: tuple[Table, ...] = (insight_quotes,)

priorities = Table(
    "priorities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=True),
    Column("agreed_on", Date, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("author", String(200), nullable=False),
    sqlite_autoincrement=True,  # a deleted record's number is never reused
)

priority_insights = Table(
    "priority_insights",
    metadata,
    Column("priority_id", Integer, ForeignKey("priorities.id"), primary_key=True),
    Column("insight_id", Integer, ForeignKey("insights.id"), primary_key=True),
)

actions = Table(
    "actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=True),
    Column("owner", String(300), nullable=True),
    Column("status", String(20), nullable=False),
    Column("reason", Text, nullable=True),
    Column("due_on", Date, nullable=True),
    Column("stage", String(50), nullable=True),
    Column("framework", String(300), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("author", String(200), nullable=False),
    sqlite_autoincrement=True,  # a deleted record's number is never reused
)

#: How people with lived experience took part in an action, on the two axes of the
#: co-production grid: `mode` active (they shaped or made the decision) or passive (they
#: were asked or told), `continuity` embedded (part of how the work is run, ongoing) or
#: isolated (one-off). Added after schema version 1 was released (see `_ADDED_TABLES`).
action_involvement = Table(
    "action_involvement",
    metadata,
    Column("action_id", Integer, ForeignKey("actions.id"), primary_key=True),
    Column("mode", String(10), nullable=False),  # active | passive
    Column("continuity", String(10), nullable=False),  # embedded | isolated
    Column("how", Text, nullable=True),  # in plain words, for the reports
    Column("recorded_at", DateTime, nullable=False),
    Column("author", String(200), nullable=False),
)
INVOLVEMENT_MODES = ("active", "passive")
INVOLVEMENT_CONTINUITY = ("embedded", "isolated")
_ADDED_TABLES += (action_involvement,)

#: A queue item a person judged not a concern: a false alarm of the model or the phrase
#: list (an item a person raised, the listener included, is only acknowledged). Its note
#: counts as raising no concern and may be quoted (with consent) unless another item, a
#: person's yes or a new flag says otherwise. Added after schema version 1 was released.
safeguarding_dismissals = Table(
    "safeguarding_dismissals",
    metadata,
    Column("item_id", Integer, ForeignKey("safeguarding_queue.id"), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("judged_at", DateTime, nullable=False),
    Column("author", String(200), nullable=False),
)
_ADDED_TABLES += (safeguarding_dismissals,)

#: Keyed hashes of erased notes' words without case, spacing or punctuation
#: (`intake.words_key`): the same words with a space or a full stop changed stay erased.
#: Added after schema version 1 was released; notes erased before it have only the
#: exact-text mark their tombstone keeps.
erased_words = Table(
    "erased_words",
    metadata,
    Column("mark", String(64), primary_key=True),
)
_ADDED_TABLES += (erased_words,)

#: What was done about a queue item after it was raised: a lead's dated notes (a referral's
#: outcome, a call back), open or acknowledged; a person's second reason for an item still
#: open comes here too. Added after schema version 1 was released.
safeguarding_followups = Table(
    "safeguarding_followups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("safeguarding_queue.id"), nullable=False,
           index=True),
    Column("note", Text, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("author", String(200), nullable=False),
)
_ADDED_TABLES += (safeguarding_followups,)

#: When a note's words were last replaced by a corrected answer (`replace_note_text`): a
#: false alarm judged before that was a judgement of other words, so it no longer stops the
#: model or the phrase list raising the new ones. Added after schema version 1.
note_words_replaced = Table(
    "note_words_replaced",
    metadata,
    Column("note_id", String(200), ForeignKey("notes.id"), primary_key=True),
    Column("at", DateTime, nullable=False),
)
_ADDED_TABLES += (note_words_replaced,)

#: A priority the leads no longer pursue, and why: kept, with its insights and actions, so
#: the reports still say what people said and what became of it. Added after schema v1.
priority_withdrawals = Table(
    "priority_withdrawals",
    metadata,
    Column("priority_id", Integer, ForeignKey("priorities.id"), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("withdrawn_on", Date, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("author", String(200), nullable=False),
)
_ADDED_TABLES += (priority_withdrawals,)

#: The experience classifier's probability of the value it gave a note
#: (`notes.model_experience`), kept beside it so a lead can review the least sure first.
#: Added after schema version 1: notes tagged before it have no confidence until retagged.
experience_confidence = Table(
    "experience_confidence",
    metadata,
    Column("note_id", String(200), ForeignKey("notes.id"), primary_key=True),
    Column("confidence", Float, nullable=False),
)
_ADDED_TABLES += (experience_confidence,)

#: The safeguarding classifier's score of a note and the score it flags from, as the model
#: read it: a note scoring near the flag is held back from the quotes the software picks
#: (`privacy.holds_back`). Added after schema version 1: notes tagged before it have no
#: score until tagged again (`insight tag --retag`).
safeguarding_scores = Table(
    "safeguarding_scores",
    metadata,
    Column("note_id", String(200), ForeignKey("notes.id"), primary_key=True),
    Column("score", Float, nullable=False),
    Column("flags_from", Float, nullable=False),
)
_ADDED_TABLES += (safeguarding_scores,)
#: Who raised a queue item a person may judge not a concern (`flagged_by` prefixes)
DISMISSIBLE = ("model:", "screen:")
#: Who raised an item from what the listener's file said (`flagged_by_listener`)
LISTENER = "listener"
#: Who raised an item from the phrase list's screening at ingest
SCREEN = "screen:phrase-list"


def queue_order(item: Mapping[str, Any]) -> tuple[Any, ...]:
    """Where a queue item comes in the list a safeguarding lead works through: oldest day
    first (no item waits behind newer ones), and within a day the strongest signal first:
    a person's concern, then the model's by its classifier's score, the phrase list
    counting as a score of 0.5 (a reviewed phrase, but one that also matches everyday
    talk), the two together adding up. One tagging run flags many notes in the same
    minute: "a rope in the barn" must not wait behind a dozen weak matches."""
    by, reason = str(item["flagged_by"]), str(item.get("reason") or "")
    signals = flag_signals(by, reason)
    score = re.search(r"classifier (\d(?:\.\d+)?)", reason)
    if not by.startswith(DISMISSIBLE):
        strength = 3.0
    else:
        strength = (0.5 if "phrase list" in signals else 0.0) + (
            (float(score.group(1)) if score else 0.5) if "classifier" in signals else 0.0)
    return (uk_day(item["flagged_at"]), -strength, item["flagged_at"], item["id"])


def flag_signals(flagged_by: str, reason: str | None) -> frozenset[str]:
    """What raised an automatic flag: the phrase list (the ingest screen's, or the model's
    flag where its reason names only the phrase list) and/or the model's classifier. A
    false alarm a person judged covers a later flag on the same words raised by signals
    it had, whichever of the screen and the model raised them."""
    by, said = str(flagged_by), str(reason or "")
    if by.startswith("screen:"):
        return frozenset({"phrase list"})
    if not by.startswith("model:"):
        return frozenset({by})  # a person's: never judged a false alarm
    found = {"phrase list"} if "phrase list" in said else set()
    if "classifier" in said or not found:  # "model flag": the model as a whole
        found.add("classifier")
    return frozenset(found)

action_priorities = Table(
    "action_priorities",
    metadata,
    Column("action_id", Integer, ForeignKey("actions.id"), primary_key=True),
    Column("priority_id", Integer, ForeignKey("priorities.id"), primary_key=True),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("action_id", Integer, ForeignKey("actions.id"), nullable=False, index=True),
    Column("description", Text, nullable=False),
    Column("observed_on", Date, nullable=True),
    Column("evidence", Text, nullable=True),
    Column("fed_back", Boolean, nullable=False, default=False),
    Column("fed_back_on", Date, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("author", String(200), nullable=False),
    sqlite_autoincrement=True,  # a deleted record's number is never reused
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("operation", String(10), nullable=False),  # create, update, delete, undelete, erase...
    Column("record_type", String(30), nullable=False),
    Column("record_id", String(200), nullable=False, index=True),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
)

THREAD_TABLES: dict[str, Table] = {
    "insight": insights,
    "priority": priorities,
    "action": actions,
    "outcome": outcomes,
}
#: Short prefixes for thread record references shown to people: I3, P1, A2, O1.
PREFIXES = {"insight": "I", "priority": "P", "action": "A", "outcome": "O"}
#: Link tables: (the kind on the left of "left->right" in the audit log, the one on the right).
_LINKS = {
    insight_notes.name: ("insight", "note"),
    priority_insights.name: ("priority", "insight"),
    action_priorities.name: ("action", "priority"),
}
#: Audit record types named "insight->note" like a link: the link itself and a lead's
#: choice about quoting the note for the insight (`insight audit --record` finds both).
_AUDITED_AS_LINKS = {**_LINKS, insight_quotes.name: ("insight", "note")}
#: Those of them whose right-hand side is a note id (renamed when the note is erased).
_NOTE_LINK_TYPES = (insight_notes.name, insight_quotes.name)


def flagged_by_listener(listener: str | None) -> str:
    """Who raised a flag written in a note file: the note's listener, not the login that
    ran the ingest (that is in the audit log)."""
    return f"listener:{listener}" if listener else "listener"


class StoreError(RuntimeError):
    """A storage problem explained for a person (bad URL, wrong schema, missing record)."""


#: How many stored ids a did-you-mean for a note id looks through.
MAX_HINT_IDS = 50_000


@dataclass(frozen=True)
class Undeleted:
    """What `Store.undelete_record` brought back besides the record: rows (links,
    outcomes, involvement, quote choices) back, and rows left gone because what they
    pointed at was deleted or erased since."""

    back: int
    stayed_gone: int


class NotFound(StoreError):
    """A note, thread record or queue item that someone named does not exist (the CLI
    exits 2 for it, as for any other id on its command line that does not exist)."""


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


#: Words that say nothing of what was done: "done", "ok", "n/a"
_SAYS_NOTHING = frozenset("ok okay done yes no na n/a none nil tbc tba see above fine sorted "
                          "closed dealt with it".split())


#: The keys a workspace's database makes (`Store.secret`): the erasure marks and
#: tombstones, the note references in reports, the marks of dismissed quarantine rows and
#: of the settings and communities reports named. A backup carries every one.
SECRETS = ("erasure", "note-ref", "quarantine-dismissed", "report-names")


#: What people write between the digits of a phone or an NHS number ("07700 900123",
#: "943-476-5919", "(0113) 496 0000"): left out of the text when a search word is a number.
NUMBER_SEPARATORS = (" ", "\u00a0", "\t", "\r", "\n", "-", "\u2013", "(", ")")

_NUMBER_WORD = re.compile(r"[\d\s\-\u2013+()]+")


def number_searched(word: str) -> str | None:
    """A search word that is a number (digits, written with spaces, dashes, brackets or a
    +), as its digits alone: a person asking gives "07700900123" where the note says
    "07700 900123". None for any other word, matched as written."""
    if not _NUMBER_WORD.fullmatch(word):
        return None
    digits = re.sub(r"\D", "", word)
    return digits if len(digits) >= 3 else None


def without_number_separators(text: str) -> str:
    """Text without `NUMBER_SEPARATORS`, to find a number however it is spaced."""
    for sep in NUMBER_SEPARATORS:
        text = text.replace(sep, "")
    return text


def holds_searched(text: str, words: Iterable[str]) -> bool:
    """Whether text holds every one of these words or phrases in any case and spacing, a
    number however it is spaced (`number_searched`), as `Store.ids_with_words` finds
    notes: for the audit log and quarantine, searched for a person who asks."""
    held = " ".join(text.casefold().split())
    bare: str | None = None
    for word in words:
        if not word.strip():
            continue
        if (digits := number_searched(word)) is not None:
            bare = without_number_separators(held) if bare is None else bare
            if digits not in bare:
                return False
        elif " ".join(word.casefold().split()) not in held:
            return False
    return True


def says_what_was_done(text: str | None) -> bool:
    """Whether a safeguarding record's words say something: two words at least, or one of
    six letters or more ("referred"); not ".", "x", "ok" or "done"."""
    words = [w for w in re.findall(r"[^\W\d_]{2,}", (text or "").casefold())
             if w not in _SAYS_NOTHING]
    return len(words) >= 2 or any(len(w) >= 6 for w in words)


def current_actor() -> str:
    """Who is acting: `INSIGHT_USER`, else the login name."""
    try:
        fallback = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        fallback = "unknown"
    return os.environ.get("INSIGHT_USER") or fallback


def ref(kind: str, record_id: int) -> str:
    return f"{PREFIXES[kind]}{record_id}"


def ref_kind(value: str) -> str | None:
    """The kind of thread record a reference such as "P3" or "a1" names, else None."""
    return next(
        (kind for kind, prefix in PREFIXES.items()
         if value[:1].upper() == prefix and value[1:].isdigit()),
        None,
    )


def parse_ref(kind: str, value: str | int) -> int:
    """Accept `3`, `P3` or `p3` for priority 3."""
    text = str(value).strip()
    prefix = PREFIXES[kind]
    if text[:1].upper() == prefix:
        text = text[1:]
    if not text.isdigit():
        article = "an" if kind[0] in "aeiou" else "a"
        raise NotFound(f"'{value}' is not {article} {kind} reference (expected e.g. {prefix}1)")
    return int(text)


def _jsonable(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return json.loads(json.dumps(row, default=str))


#: Columns holding note text (a tag's evidence is a sentence of the note), per record
#: type: never copied into the audit log, which outlives erasure.
_NOTE_TEXT_KEYS = {"note": ("text",), "tag": ("evidence",)}


def _audit_safe(record_type: str, row: dict[str, Any] | None) -> dict[str, Any] | None:
    """A row as JSON for the audit log, with note text replaced by its length."""
    if row is None:
        return None
    safe = dict(row)
    for key in _NOTE_TEXT_KEYS.get(record_type, ()):
        if safe.get(key) is not None:
            safe[f"{key}_chars"] = len(str(safe[key]))
        safe.pop(key, None)
    return _jsonable(safe)


#: Note columns that could identify a person; erasure clears them (and the text).
_IDENTIFYING = frozenset({"text", "listener", "setting", "place", "community", "heard_on"})
#: Fields an audit table names without their values: a note's words (and the hash or
#: length standing for them), what identifies its person, a tag's sentence of the note and
#: what people wrote about a safeguarding concern.
_NAMED_ONLY = {
    "note": _IDENTIFYING | {"text_chars", "content_hash"},
    "tag": frozenset({"evidence", "evidence_chars"}),
    "safeguarding": frozenset({"reason", "ack_note"}),
}
#: Bookkeeping every update changes: not what a person changed.
_BOOKKEEPING = frozenset({"id", "created_at", "updated_at", "recorded_at", "chosen_at", "author"})
#: A field's value longer than this is cut short in `audit_change`.
_CHANGE_CHARS = 24


def audit_record(record_type: str, record_id: str) -> str:
    """An audit entry's record as people name it elsewhere: "A2" for action 2, "P4 -> I6"
    for a link, "I1 -> n001" for an insight's note; notes, tags and queue items as stored."""
    if record_type in THREAD_TABLES and record_id.isdigit():
        return ref(record_type, int(record_id))
    if record_type == "action_involvement" and record_id.isdigit():
        return ref("action", int(record_id))
    if record_type == "priority_withdrawals" and record_id.isdigit():
        return ref("priority", int(record_id))
    if record_type in _AUDITED_AS_LINKS and "->" in record_id:
        left_kind, right_kind = _AUDITED_AS_LINKS[record_type]
        left, right = record_id.split("->", 1)
        return " -> ".join(
            ref(kind, int(value)) if kind in PREFIXES and value.isdigit() else value
            for kind, value in ((left_kind, left), (right_kind, right))
        )
    return record_id


def audit_change(entry: dict[str, Any]) -> str:
    """What an update changed, in a line: `status: declined -> agreed`, only the fields
    that changed, long values cut short; a note's words (or what stands for them), what
    identifies its person and other free text about a note by name only (`_NAMED_ONLY`).
    Empty for anything but an update, a merge (into what) and a reinstatement (when)."""
    if entry.get("operation") == "merge":
        return f"merged into {(entry.get('after') or {}).get('into')}"
    if entry.get("operation") == "reinstate":
        return f"pursued again from {(entry.get('after') or {}).get('reinstated_on')}"
    if entry.get("operation") != "update":
        return ""
    before, after = entry.get("before") or {}, entry.get("after") or {}
    named_only = _NAMED_ONLY.get(entry.get("record_type", ""), frozenset())

    def flat(value: Any) -> str:
        if value is None or value == "" or value == []:
            return "(none)"
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        if re.fullmatch(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?", text):
            text = text[:16]  # a moment, to the minute
        return " ".join(text.split())

    def shown(text: str, start: int) -> str:
        """At most `_CHANGE_CHARS` characters from `start` (where two values first differ,
        less a little before it): a correction of "200" to "80" late in a long text must
        not read as no change at all."""
        start = max(0, start - 10)
        end = start + _CHANGE_CHARS - 1
        piece = text[start:end] if len(text) - start > _CHANGE_CHARS else text[start:]
        return ("…" if start else "") + piece.strip() + ("…" if end < len(text) else "")

    changes: list[str] = []
    for key in dict.fromkeys([*before, *after]):
        if key in _BOOKKEEPING or before.get(key) == after.get(key):
            continue
        if key == "status_on":  # when the status was reached, not a field that changed
            changes.append(f"reached on {flat(after.get(key))}")
            continue
        if key == "status_undone":  # a status recorded by mistake, taken back
            changes.append(f"{flat(after.get(key))} taken back as a mistake")
            continue
        if key in named_only:
            name = "text" if key in ("text_chars", "content_hash") else key
            if name not in changes:
                changes.append(name)
        else:
            old, new = flat(before.get(key)), flat(after.get(key))
            differ = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
                          min(len(old), len(new)))
            if max(len(old), len(new)) <= _CHANGE_CHARS:
                differ = 0
            changes.append(f"{key}: {shown(old, differ)} -> {shown(new, differ)}")
    return "; ".join(changes)

#: What an erased note's audit entries lose: its identifying fields, and the hash of its
#: words (unkeyed, it would confirm a guessed text; `erased_text_mark` keeps a keyed one).
_ERASED_FROM_AUDIT = _IDENTIFYING | {"content_hash"}
#: What the audit log says a field held when contact details were corrected out of it
CONTACT_REMOVED = "(contact details, removed)"


def _tag_ref(values: dict[str, Any]) -> str:
    return f"{values['note_id']}/{values['category']}/{values['source']}"


@dataclass(frozen=True)
class ModelTagging:
    """One note's machine tags as produced by a model (filled by `insight.tagging`)."""

    note_id: str
    scores: dict[str, float]
    categories: Sequence[str]
    evidence: dict[str, str]
    safeguarding: bool
    experience: str | None
    safeguarding_why: str = ""  # what raised the flag (no note text); the queue's reason
    experience_confidence: float | None = None  # the model's probability of `experience`
    # the safeguarding classifier's score and the score it flags from (`safeguarding_scores`)
    safeguarding_score: float | None = None
    safeguarding_threshold: float | None = None


def _create_added_tables(engine: Engine, tables: Sequence[Table]) -> None:
    """Create tables added to this schema version in a database made before them. Two
    processes opening the same old database at once may both try: the one that loses
    finds the table there and carries on."""
    try:
        with engine.begin() as conn:
            metadata.create_all(conn, tables=list(tables), checkfirst=True)
    except SQLAlchemyError:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
        if any(t.name not in present for t in tables):
            raise


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # deleted and overwritten text (an erased note's) is zeroed on disk, not left in pages
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    try:
        # an error's message never repeats the values sent (notes' words): it may be
        # printed, pasted into a ticket, or logged
        engine = create_engine(url, future=True, hide_parameters=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        hint = ""
        if url.startswith("postgres"):
            hint = " (install the extra: pip install 'insight[postgres]')"
        raise StoreError(f"cannot use database URL {url!r}: {exc}{hint}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Store:
    """The workspace database. Create with `Store.open(url)`."""

    def __init__(self, engine: Engine, actor: str | None = None) -> None:
        self.engine = engine
        self.actor = actor or current_actor()

    # -- lifecycle -------------------------------------------------------------------
    @classmethod
    def open(cls, url: str, *, create: bool = True, actor: str | None = None) -> Store:
        """Open (and if needed create) the schema; refuses a database of another version."""
        engine = make_engine(url)
        file = engine.url.database if engine.dialect.name == "sqlite" else None
        new_file = bool(file) and file != ":memory:" and not Path(str(file)).exists()
        try:
            with engine.begin() as conn:
                existing = set(inspect(conn).get_table_names())
                if "meta" not in existing:
                    if not create:
                        raise StoreError(f"{url}: not an insight database")
                    metadata.create_all(conn)
                    existing.update(metadata.tables)
                    conn.execute(
                        insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION))
                    )
                version = conn.execute(
                    select(meta.c.value).where(meta.c.key == "schema_version")
                ).scalar_one_or_none()
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(f"cannot open database {url}: {exc}") from exc
        if new_file:  # notes' words: only their owner reads them, whatever the umask
            os.chmod(str(file), 0o600)
        if version != str(SCHEMA_VERSION):
            engine.dispose()
            raise StoreError(
                f"database schema version {version}, but this insight uses {SCHEMA_VERSION}"
            )
        missing = [t for t in _ADDED_TABLES if t.name not in existing]
        if missing:
            try:
                _create_added_tables(engine, missing)
            except SQLAlchemyError as exc:
                engine.dispose()
                raise StoreError(f"cannot add tables {', '.join(t.name for t in missing)} "
                                 f"to {url}: {exc}") from exc
        return cls(engine, actor=actor)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    @property
    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(meta.c.value).where(meta.c.key == "schema_version")
            ).scalar_one()
        return int(value)

    # -- audit -----------------------------------------------------------------------
    def _audit_values(
        self,
        operation: str,
        record_type: str,
        record_id: str | int,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> dict[str, Any]:
        return {
            "at": now(),
            "actor": self.actor,
            "operation": operation,
            "record_type": record_type,
            "record_id": str(record_id),
            "before": _audit_safe(record_type, before),
            "after": _audit_safe(record_type, after),
        }

    def _audit(
        self,
        conn: Connection,
        operation: str,
        record_type: str,
        record_id: str | int,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        conn.execute(
            insert(audit).values(
                **self._audit_values(operation, record_type, record_id, before, after)
            )
        )

    def record_event(self, operation: str, record_type: str, record_id: str,
                     details: dict[str, Any]) -> None:
        """Audit something done outside the database (a quarantined row dismissed, a
        restore): who, when and `details`, which must hold no note's words. `operation`
        is a word of at most 10 letters, as the audit log's column holds."""
        if len(operation) > 10:
            raise ValueError(f"audit operation {operation!r} is longer than 10 characters")
        with self.begin() as conn:
            self._audit(conn, operation, record_type, record_id[:200], None, details)

    def record_report(self, files: Sequence[str], audience: str, quoted: Iterable[str],
                      since: date | None = None, until: date | None = None,
                      named: Iterable[str] = ()) -> None:
        """Audit a report written: its files, audience, the notes heard it counts (`since`,
        `until`; None for open ends) and the notes it quotes, each as the keyed hash its
        tombstone would have (`tombstone_id`; never the id, which can hold a name): so an
        erasure or a withdrawn consent can say which reports still hold the words
        (`reports_quoting`), and a report can say which earlier ones its counts could be
        subtracted from (`reports_written`). `named`: the settings and communities it
        names, as keyed marks, so the next one can say which it names for the first time
        (`named_in_reports`)."""
        key = self.secret("erasure")
        marks = sorted({self.tombstone_id(note_id, key) for note_id in quoted})
        covers = [since.isoformat() if since else None, until.isoformat() if until else None]
        named = list(named)
        names_key = self.secret("report-names") if named else b""
        with self.begin() as conn:
            self._audit(conn, "write", "report", files[0] if files else "", None,
                        {"audience": audience, "files": list(files), "quoted": marks,
                         "covers": covers,
                         **({"named": sorted({self._name_mark(n, names_key) for n in named})}
                            if named else {})})

    @staticmethod
    def _name_mark(name: str, key: bytes) -> str:
        import hashlib
        import hmac

        return hmac.new(key, name.encode("utf-8"), hashlib.sha256).hexdigest()[:24]

    def named_in_reports(self, audience: str, names: Iterable[str]) -> set[str] | None:
        """Of these names (as `record_report` was given them), those an earlier report for
        `audience` named; None when no earlier report for it recorded what it named."""
        names = list(dict.fromkeys(names))
        with self.engine.connect() as conn:
            key = self._existing_secret(conn, "report-names")
            if key is None:
                return None
            earlier: set[str] | None = None
            for after in conn.execute(select(audit.c.after).where(
                    audit.c.record_type == "report", audit.c.operation == "write")).scalars():
                if (after or {}).get("audience") == audience and "named" in after:
                    earlier = (earlier or set()) | set(after["named"])
        if earlier is None:
            return None
        return {n for n in names if self._name_mark(n, key) in earlier}

    def reports_written(self, audience: str) -> list[dict[str, Any]]:
        """The reports written for `audience` that say which notes they count, oldest first:
        {"at", "since", "until"} (None for an open end). Reports written before this was
        recorded are not listed."""
        found = []
        with self.engine.connect() as conn:
            for row in conn.execute(select(audit.c.at, audit.c.after).where(
                    audit.c.record_type == "report", audit.c.operation == "write"
            ).order_by(audit.c.id)):
                after = row.after or {}
                if after.get("audience") == audience and "covers" in after:
                    since, until = (date.fromisoformat(d) if d else None
                                    for d in after["covers"])
                    found.append({"at": row.at, "since": since, "until": until})
        return found

    def last_report(self, audience: str, before: date) -> datetime | None:
        """When a report for `audience` was last written on a day (in England) before
        `before`: what "since the last report" counts from. A report written again the
        same day (a correction) is not the last one: it would leave nothing changed since."""
        last = None
        with self.engine.connect() as conn:
            for row in conn.execute(select(audit.c.at, audit.c.after).where(
                    audit.c.record_type == "report", audit.c.operation == "write")):
                if (row.after or {}).get("audience") == audience and uk_day(row.at) < before:
                    last = row.at if last is None else max(last, row.at)
        return last

    def reports_quoting(self, note_ids: Iterable[str]) -> list[dict[str, Any]]:
        """The report files written (`record_report`) that quoted any of these notes, in the
        order first written: {"file", "audience", "dates"} (the days it was written quoting
        them: a file written again later may have been given out before)."""
        key = self.secret("erasure")
        marks = {self.tombstone_id(i, key) if not i.startswith("erased-") else i
                 for i in note_ids}
        found: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(select(audit.c.at, audit.c.after).where(
                    audit.c.record_type == "report").order_by(audit.c.id)):
                after = row.after or {}
                if not marks & set(after.get("quoted") or ()):
                    continue
                for file in after.get("files") or []:
                    entry = found.setdefault(file, {"file": file, "dates": [],
                                                    "audience": after.get("audience")})
                    if (day := str(row.at)[:10]) not in entry["dates"]:
                        entry["dates"].append(day)
        return list(found.values())

    def copies_written(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Files written from the workspace that hold notes' words, oldest first: backups
        and files to fix (`record_event` "backup" and "export"), {"file", "kind", "at"}:
        a person asking what is held, or to be erased, is in those written since their
        note was stored."""
        query = select(audit.c.at, audit.c.operation, audit.c.record_id).where(
            audit.c.operation.in_(("backup", "export"))).order_by(audit.c.at, audit.c.id)
        if since is not None:
            query = query.where(audit.c.at >= since)
        with self.engine.connect() as conn:
            return [{"file": row.record_id, "kind": row.operation, "at": row.at}
                    for row in conn.execute(query)]

    def audit_log(self, record: str | None = None, limit: int | None = None) -> list[dict]:
        """Audit entries, newest last; `record` filters by id (e.g. a note id or `P3`):
        the record itself, the links made to and from it (`insight_notes` "3->n1"),
        leads' quote choices (`insight_quotes` "3->n1"), an action's lived-experience
        involvement and outcomes, and for a note its tags and safeguarding items."""
        # in time order: entries a restore carried over come after the backup's own
        query = select(audit).order_by(audit.c.at, audit.c.id)
        note_id = None
        if record and (kind := ref_kind(record)) is not None:
            number = str(int(record[1:]))
            linked = [
                and_(audit.c.record_type == table, audit.c.record_id.startswith(
                    f"{number}->", autoescape=True))
                for table, (own, _) in _AUDITED_AS_LINKS.items() if own == kind
            ] + [
                and_(audit.c.record_type == table, audit.c.record_id.endswith(
                    f"->{number}", autoescape=True))
                for table, (_, other) in _AUDITED_AS_LINKS.items() if other == kind
            ]
            own = [kind] + ([action_involvement.name] if kind == "action" else []) + (
                [priority_withdrawals.name] if kind == "priority" else [])
            # an action's outcomes name it in a column, not a link: read them all and keep
            # those that name this action before or after (an outcome moved to another
            # action shows under both)
            outcome_of = kind == "action"
            query = query.where(or_(
                and_(audit.c.record_type.in_(own), audit.c.record_id == number), *linked,
                *([audit.c.record_type == "outcome"] if outcome_of else []),
            ))
        elif record:  # a note id: the note and its tags (`note/category/source`), not an
            # insight or action whose number happens to be the same ("3"); an erased
            # note's entries are kept under its tombstone id
            note_id = self._stored_ids([record]).get(record, record)
            query = query.where(
                or_(
                    and_(audit.c.record_type == "note", audit.c.record_id == note_id),
                    and_(
                        audit.c.record_type == "tag",
                        audit.c.record_id.startswith(note_id + "/", autoescape=True),
                    ),
                    and_(
                        audit.c.record_type.in_(_NOTE_LINK_TYPES),
                        audit.c.record_id.endswith("->" + note_id, autoescape=True),
                    ),
                    audit.c.record_type == "safeguarding",
                )
            )
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        if record and ref_kind(record) == "action":
            number = int(record[1:])
            rows = [
                r for r in rows if r["record_type"] != "outcome"
                or number in ((r["before"] or {}).get("action_id"),
                              (r["after"] or {}).get("action_id"))
            ]
        if note_id is not None:  # a queue item names its note inside the entry
            rows = [
                r for r in rows if r["record_type"] != "safeguarding"
                or note_id in ((r["before"] or {}).get("note_id"),
                               (r["after"] or {}).get("note_id"))
            ]
        return rows[-limit:] if limit else rows

    # -- secrets ---------------------------------------------------------------------
    def secret(self, name: str) -> bytes:
        """A random key kept in this database (made on first use), e.g. for the note
        references in reports, so they cannot be reversed by guessing and hashing ids."""
        import secrets

        key = f"secret:{name}"
        with self.begin() as conn:
            row = conn.execute(select(meta.c.value).where(meta.c.key == key)).first()
            if row is None:
                value = secrets.token_hex(32)
                conn.execute(insert(meta).values(key=key, value=value))
            else:
                value = row[0]
        return bytes.fromhex(value)

    def existing_secrets(self) -> dict[str, bytes]:
        """Every key this database has made (`secret`), by name: a restore carries to the
        backup's database those it lacks, so what was keyed since (a dismissed row's mark,
        a report's references) still matches."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(meta.c.key, meta.c.value).where(
                meta.c.key.like("secret:%"))).all()
        return {key.removeprefix("secret:"): bytes.fromhex(value) for key, value in rows}

    def existing_secret(self, name: str) -> bytes | None:
        """The key `secret` would give, or None when none was made yet (never makes one):
        a restore must know whether a database can match erasures at all."""
        with self.engine.connect() as conn:
            return self._existing_secret(conn, name)

    def adopt_secret(self, name: str, value: bytes) -> bool:
        """Keep `value` as this database's key `name` when it has none yet (a restored
        backup taken before its first erasure takes the key of the database it replaces,
        so erasures made since still match); False when it already had one."""
        key = f"secret:{name}"
        with self.begin() as conn:
            if conn.execute(select(meta.c.value).where(meta.c.key == key)).first():
                return False
            conn.execute(insert(meta).values(key=key, value=value.hex()))
        return True

    # -- notes -----------------------------------------------------------------------
    def tombstone_id(self, note_id: str, key: bytes | None = None) -> str:
        """The id an erased note is kept under: a keyed hash of its id (ids can hold
        names), so the note is still known as erased when a file brings it again."""
        import hashlib
        import hmac

        key = key if key is not None else self.secret("erasure")
        return "erased-" + hmac.new(key, note_id.encode("utf-8"), hashlib.sha256).hexdigest()[:20]

    def _stored_ids(self, ids: Sequence[str]) -> dict[str, str]:
        """Each given id -> the id it is stored under: itself, or the tombstone an erased
        note was renamed to (only looked for when the id is not stored as given)."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, str] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(wanted):
                rows = conn.execute(select(notes.c.id).where(notes.c.id.in_(chunk)))
                found.update((r.id, r.id) for r in rows)
            missing = [i for i in wanted if i not in found]
            key = self._existing_secret(conn, "erasure") if missing else None
            if key is None:  # nothing missing, or nothing ever erased
                return found
            tombs = {self.tombstone_id(i, key): i for i in missing}
            names = list(tombs)
            for chunk in _chunks(names):
                found.update(
                    (tombs[r.id], r.id)
                    for r in conn.execute(select(notes.c.id).where(notes.c.id.in_(chunk)))
                )
        return found

    def no_note(self, note_id: str) -> StoreError:
        """The error for a note id that is not a live note: erased (said so), or unknown,
        with a did-you-mean (`close_note_id`)."""
        if self._stored_ids([note_id]).get(note_id, note_id) != note_id:
            return StoreError(f"note {note_id} was erased")
        close = self.close_note_id(note_id)
        return NotFound(f"no note {note_id!r}" + (f" (did you mean {close!r}?)" if close else ""))

    def close_note_id(self, note_id: str) -> str | None:
        """The live note id a mistyped one most likely meant: the same but for case,
        spaces, punctuation and leading zeros ("N001" for "n-001", "cn-A-022" for
        "cn-A-0022"), else the one id it begins (an id copied in part), else a close
        spelling."""
        import difflib

        def plain(value: str) -> str:
            # each run of digits without its leading zeros, before the punctuation between
            # runs goes: "q2-07" is "q27", as "q2-7" is, not "q207"
            return "".join(re.sub(r"\d+", lambda m: str(int(m.group())), part)
                           for part in re.findall(r"[^\W_]+", value.casefold()))

        with self.engine.connect() as conn:
            stored = list(conn.execute(
                select(notes.c.id).where(notes.c.erased_at.is_(None)).limit(MAX_HINT_IDS)
            ).scalars())
            begun = [] if not note_id.strip() else list(conn.execute(
                select(notes.c.id).where(
                    notes.c.erased_at.is_(None),
                    notes.c.id.startswith(note_id.strip(), autoescape=True),
                ).limit(2)).scalars())
        same = [i for i in stored if plain(i) == plain(note_id) and i != note_id]
        close = (same[:1] or (begun if len(begun) == 1 else [])
                 or difflib.get_close_matches(note_id, stored, n=1, cutoff=0.8))
        return close[0] if close else None

    @staticmethod
    def _existing_secret(conn: Connection, name: str) -> bytes | None:
        row = conn.execute(select(meta.c.value).where(meta.c.key == f"secret:{name}")).first()
        return bytes.fromhex(row[0]) if row else None

    def existing_notes(self, ids: Iterable[str]) -> dict[str, str]:
        """id -> content hash for the ids already stored (an erased note's too)."""
        stored = self._stored_ids(list(ids))
        found: dict[str, str] = {}
        by_stored = {v: k for k, v in stored.items()}
        names = list(by_stored)
        with self.engine.connect() as conn:
            for chunk in _chunks(names):
                for row in conn.execute(
                    select(notes.c.id, notes.c.content_hash).where(notes.c.id.in_(chunk))
                ):
                    found[by_stored[row.id]] = row.content_hash
        return found

    def note_states(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """id -> what intake compares for the ids already stored: `content_hash`,
        `consent_quote`, `consent_contact`, `safeguarding`, `labelled` (a person gave its
        categories) and `erased` (bool)."""
        by_stored = {v: k for k, v in self._stored_ids(list(ids)).items()}
        wanted = list(by_stored)
        found: dict[str, dict[str, Any]] = {}
        columns = (
            notes.c.id, notes.c.content_hash, notes.c.consent_quote, notes.c.consent_contact,
            notes.c.safeguarding, notes.c.labelled, notes.c.erased_at,
            *(notes.c[name] for name in INTAKE_FILLABLE),
        )
        with self.engine.connect() as conn:
            for chunk in _chunks(wanted):
                for row in conn.execute(select(*columns).where(notes.c.id.in_(chunk))):
                    found[by_stored[row.id]] = {
                        "content_hash": row.content_hash,
                        "consent_quote": bool(row.consent_quote),
                        "consent_contact": bool(row.consent_contact),
                        "safeguarding": row.safeguarding,
                        "labelled": bool(row.labelled),
                        "erased": row.erased_at is not None,
                        **{name: getattr(row, name) for name in INTAKE_FILLABLE},
                    }
        return found

    def erased_text_mark(self, content_hash: str, key: bytes | None = None) -> str:
        """What an erased note keeps of its text: a keyed hash of its content hash."""
        import hashlib
        import hmac

        key = key if key is not None else self.secret("erasure")
        return "erased:" + hmac.new(key, content_hash.encode(), hashlib.sha256).hexdigest()[:40]

    def erased_texts(self, hashes: Iterable[str]) -> set[str]:
        """The content hashes given that an erased note had: its words come back under
        another id (an id prefix forgotten, the id in other case) and must stay erased."""
        with self.engine.connect() as conn:
            key = self._existing_secret(conn, "erasure")
            if key is None:  # nothing was ever erased
                return set()
            marks = {self.erased_text_mark(h, key): h for h in dict.fromkeys(hashes) if h}
            found: set[str] = set()
            for chunk in _chunks(list(marks)):
                query = select(notes.c.content_hash).where(notes.c.content_hash.in_(chunk))
                found.update(marks[m] for m in conn.execute(query).scalars())
        return found

    def _words_mark(self, text: str, key: bytes) -> str:
        import hashlib
        import hmac

        from insight.intake import words_key

        return hmac.new(key, words_key(text).encode(), hashlib.sha256).hexdigest()[:40]

    def erased_concern_known(self, note_id: str, content_hash: str) -> bool:
        """Whether an erased note with this id, or with exactly these words, has an item in
        the safeguarding queue (open or dealt with): a cumulative export's row of it that
        says yes again is that concern, kept in the queue's record, not a new one."""
        with self.engine.connect() as conn:
            key = self._existing_secret(conn, "erasure")
            if key is None:  # nothing was ever erased
                return False
            tombs = {self.tombstone_id(note_id, key)} if note_id else set()
            if content_hash:
                tombs.update(conn.execute(select(notes.c.id).where(
                    notes.c.content_hash == self.erased_text_mark(content_hash, key),
                    notes.c.erased_at.is_not(None))).scalars())
            return bool(tombs) and conn.execute(
                select(safeguarding_queue.c.id).where(safeguarding_queue.c.note_id.in_(tombs))
                .limit(1)).first() is not None

    def erased_like(self, texts: Iterable[str]) -> set[str]:
        """The texts given whose words, without case, spacing or punctuation, an erased
        note had (`erased_words`)."""
        with self.engine.connect() as conn:
            key = self._existing_secret(conn, "erasure")
            if key is None:  # nothing was ever erased
                return set()
            marks: dict[str, list[str]] = {}
            for text in dict.fromkeys(texts):
                marks.setdefault(self._words_mark(text, key), []).append(text)
            found: set[str] = set()
            for chunk in _chunks(list(marks)):
                query = select(erased_words.c.mark).where(erased_words.c.mark.in_(chunk))
                for mark in conn.execute(query).scalars():
                    found.update(marks[mark])
        return found

    def ids_with_text(self, hashes: Iterable[str]) -> dict[str, list[str]]:
        """Text hash -> the ids of the live notes stored with exactly that text, in order
        (several when the same words were said in different conversations)."""
        wanted = [h for h in dict.fromkeys(hashes) if h]
        found: dict[str, list[str]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(wanted):
                query = select(notes.c.id, notes.c.content_hash).where(
                    notes.c.content_hash.in_(chunk), notes.c.erased_at.is_(None)
                ).order_by(notes.c.id)
                for row in conn.execute(query):
                    found.setdefault(row.content_hash, []).append(row.id)
        return found

    #: The columns a re-ingested row may change on a stored note.
    _INTAKE_UPDATABLE = frozenset({"consent_quote", "consent_contact", "safeguarding",
                                   *INTAKE_FILLABLE})

    def update_notes_from_intake(
        self,
        changes: dict[str, dict[str, Any]],
        *,
        reasons: dict[str, str] | None = None,
        flags: dict[str, str] | None = None,
        screened: dict[str, str] | None = None,
        contact_corrected: dict[str, set[str]] | None = None,
    ) -> tuple[dict[str, dict[str, Any]], set[str]]:
        """Apply consent and safeguarding changes from a re-ingested file, in one transaction.

        `changes` maps note id -> new values (only `consent_quote`, `consent_contact`,
        `safeguarding` and the `INTAKE_FILLABLE` fields); `reasons` note id -> why (kept in
        the audit entry, e.g. the file and line); `flags` note id -> reason for a
        safeguarding queue item, added unless the note already has an open one a person raised
        (one the model or the phrase list raised may be judged a false alarm: the
        person's concern must outlive that, and the queue must show a person raised it).
        `screened`: note id -> reason for the phrase list's flag on new words (queued as the
        phrase list's, by `_flag_blocked`'s rule). `contact_corrected`: note id -> fields
        whose stored value held contact details, which the change replaces: the old value
        is kept out of the audit log, this entry and earlier ones. Erased notes are never
        touched, and a value already equal is not written again. Returns (the values applied
        per note, the ids newly queued).
        """
        reasons = reasons or {}
        flags = flags or {}
        screened = screened or {}
        contact_corrected = contact_corrected or {}
        applied: dict[str, dict[str, Any]] = {}
        queued: set[str] = set()
        stamp = now()
        with self.begin() as conn:
            for note_id in dict.fromkeys([*changes, *flags, *screened]):
                wanted = dict(changes.get(note_id, {}))
                unknown = set(wanted) - self._INTAKE_UPDATABLE
                if unknown:
                    raise StoreError(f"intake cannot change {', '.join(sorted(unknown))}")
                columns = [notes.c[name] for name in wanted]
                row = conn.execute(
                    select(notes.c.erased_at, *columns)
                    .where(notes.c.id == note_id)
                    .with_for_update()
                ).first()
                if row is None or row.erased_at is not None:
                    continue
                current = dict(row._mapping)
                values = {k: v for k, v in wanted.items() if current[k] != v}
                if values:
                    before = {k: current[k] for k in values}
                    if hidden := {k: before[k] for k in contact_corrected.get(note_id, ())
                                  if k in values}:
                        self._scrub_note_audit(conn, note_id, only=hidden)
                        before.update(dict.fromkeys(hidden, CONTACT_REMOVED))
                    after = {**values, "updated_at": stamp}
                    conn.execute(update(notes).where(notes.c.id == note_id).values(**after))
                    if note_id in reasons:
                        after["reason"] = reasons[note_id]
                    self._audit(conn, "update", "note", note_id, before, after)
                    applied[note_id] = values
                if note_id in flags and not self._has_open_flag(conn, note_id, by_a_person=True):
                    listener = conn.execute(
                        select(notes.c.listener).where(notes.c.id == note_id)
                    ).scalar_one()
                    self._flag(conn, note_id, flagged_by_listener(listener), flags[note_id])
                    queued.add(note_id)
                elif note_id in screened and note_id not in flags and not self._flag_blocked(
                        conn, [note_id], SCREEN, screened):
                    self._flag(conn, note_id, SCREEN, screened[note_id])
                    queued.add(note_id)
        return applied, queued

    def consent_given_by_person(self, note_ids: Iterable[str]) -> dict[str, set[str]]:
        """For each of these notes, the consent columns whose last change was a person
        giving consent (`set_consent`) while the files had last said no: a file that still
        says that old no withdraws nothing new (a monthly export repeats it), so it must not
        undo the person's decision."""
        out: dict[str, set[str]] = {}
        for note_id in dict.fromkeys(note_ids):
            from_file: dict[str, bool] = {}
            by_person: dict[str, bool] = {}
            for entry in self.audit_log(note_id):
                if entry["record_type"] != "note":
                    continue
                after = entry["after"] or {}
                intake = entry["operation"] == "create" or str(
                    after.get("reason", "")).startswith("re-ingest of")
                for column in ("consent_quote", "consent_contact"):
                    if column in after:
                        if intake:
                            from_file[column] = bool(after[column])
                            by_person.pop(column, None)
                        else:
                            by_person[column] = bool(after[column])
            given = {c for c, v in by_person.items() if v and from_file.get(c) is False}
            if given:
                out[note_id] = given
        return out

    def consent_withdrawn(self, note_ids: Iterable[str]) -> dict[str, set[str]]:
        """For each of these notes, the consent columns ever withdrawn (yes -> no in the
        audit), by a file or a person: a later file must not quietly give them back."""
        ids = list(dict.fromkeys(note_ids))
        out: dict[str, set[str]] = {}
        query = select(audit.c.record_id, audit.c.before, audit.c.after).where(
            audit.c.record_type == "note", audit.c.operation == "update"
        )
        with self.engine.connect() as conn:
            for some in _chunks(ids):
                chunk = query.where(audit.c.record_id.in_(some))
                for row in conn.execute(chunk):
                    before, after = row.before or {}, row.after or {}
                    for column in ("consent_quote", "consent_contact"):
                        if before.get(column) is True and after.get(column) is False:
                            out.setdefault(row.record_id, set()).add(column)
        return out

    def _live_note(self, conn: Connection, note_id: str, *columns: Any) -> Any:
        """These columns of a stored note a person changes; an unknown or erased note is
        an error."""
        row = conn.execute(select(notes.c.erased_at, *columns)
                           .where(notes.c.id == note_id)).first()
        if row is None:
            raise self.no_note(note_id)
        if row.erased_at is not None:
            raise StoreError(f"note {note_id} was erased")
        return row

    def set_consent(self, note_id: str, reason: str | None = None, **values: bool) -> dict:
        """A person's decision on a note's consent (`consent_quote`, `consent_contact`),
        audited; the only way consent comes back once withdrawn. Returns what changed."""
        unknown = set(values) - {"consent_quote", "consent_contact"}
        if unknown:
            raise StoreError(f"not a consent: {', '.join(sorted(unknown))}")
        with self.begin() as conn:
            row = self._live_note(conn, note_id, notes.c.consent_quote, notes.c.consent_contact)
            current = dict(row._mapping)
            changed = {k: bool(v) for k, v in values.items() if current[k] != bool(v)}
            if changed:
                after: dict[str, Any] = {**changed, "updated_at": now()}
                conn.execute(update(notes).where(notes.c.id == note_id).values(**after))
                self._audit(conn, "update", "note", note_id,
                            {k: current[k] for k in changed},
                            {**after, **({"reason": reason} if reason else {})})
        return changed

    def correct_note(self, note_id: str, reason: str | None = None,
                     **values: Any) -> dict[str, Any]:
        """A person's correction of a note's date, listener, setting, place or community
        (a field stored wrong, which ingesting again never changes), audited; a value that
        held contact details is kept out of the audit log (`update_notes_from_intake`).
        Returns what changed."""
        from insight.intake import _contact_details

        unknown = set(values) - {"heard_on", "listener", "setting", "place", "community"}
        if unknown:
            raise StoreError(f"not a field a person corrects here: {', '.join(sorted(unknown))}")
        if values.get("heard_on") is not None and values["heard_on"] > uk_today():
            raise StoreError(f"heard on {values['heard_on']}: that day is still to come (a "
                             "conversation's day has passed)")
        with self.engine.connect() as conn:
            row = self._live_note(conn, note_id, *(notes.c[k] for k in values))
        private = {k for k in ("listener", "setting", "place")
                   if k in values and _contact_details(row._mapping[k])}
        applied, _ = self.update_notes_from_intake(
            {note_id: values}, reasons={note_id: reason or "corrected by a person"},
            contact_corrected={note_id: private} if private else None)
        return applied.get(note_id, {})

    def set_experience(self, note_id: str, experience: str) -> str | None:
        """A person's judgement of a note's experience (positive, negative, mixed or
        neutral), audited; it outranks the model's in every count. Returns the judgement it
        replaced (the person's before, else the model's), or None when nothing changed."""
        from insight.intake import EXPERIENCES

        if experience not in EXPERIENCES:
            raise StoreError(f"experience must be one of {', '.join(EXPERIENCES)}, "
                             f"not {experience!r}")
        with self.begin() as conn:
            row = self._live_note(conn, note_id, notes.c.experience, notes.c.model_experience)
            if row.experience == experience:
                return None
            after = {"experience": experience, "updated_at": now()}
            conn.execute(update(notes).where(notes.c.id == note_id).values(**after))
            self._audit(conn, "update", "note", note_id, {"experience": row.experience}, after)
        return row.experience or row.model_experience or "not judged"

    def add_notes(
        self,
        records: Sequence[NoteRecord],
        flags: dict[str, str] | None = None,
        conn: Connection | None = None,
        said: dict[str, str] | None = None,
    ) -> int:
        """Store new notes, their human labels and safeguarding flags in one transaction.

        `flags` maps note id -> reason for notes a screen (e.g. the phrase list) flagged;
        `said`: note id -> what the listener's safeguarding answer said beyond yes (kept with
        the queue item: the record of why the listener was worried).
        """
        if conn is None:
            with self.begin() as own:
                return self.add_notes(records, flags, own, said)
        flags = flags or {}
        said = said or {}
        stamp = now()
        note_rows: list[dict[str, Any]] = []
        tag_rows: list[dict[str, Any]] = []
        audit_rows: list[dict[str, Any]] = []
        for record in records:
            row = {
                "id": record.id,
                "text": record.text,
                "content_hash": record.content_hash,
                "heard_on": record.heard_on,
                "listener": record.listener,
                "setting": record.setting,
                "place": record.place,
                "community": list(record.community),
                "consent_quote": record.consent_quote,
                "consent_contact": record.consent_contact,
                "labelled": record.categories is not None,
                "safeguarding": record.safeguarding,
                "experience": record.experience,
                "source": record.source,
                "created_at": stamp,
                "updated_at": stamp,
                "author": self.actor,
            }
            note_rows.append(row)
            audit_row = {k: v for k, v in row.items() if k != "text"}
            audit_row["text_chars"] = len(record.text)
            audit_rows.append(self._audit_values("create", "note", record.id, None, audit_row))
            for category in record.categories or ():
                values = self._tag_values(record.id, category, "person", stamp)
                tag_rows.append(values)
                audit_rows.append(
                    self._audit_values("create", "tag", _tag_ref(values), None, values)
                )
        # One multi-row statement per table: a batch of notes costs a few round trips,
        # not four per note.
        for table, rows in ((notes, note_rows), (tags, tag_rows), (audit, audit_rows)):
            if rows:
                conn.execute(insert(table), rows)
        for record in records:
            if record.safeguarding:
                self._flag(
                    conn, record.id, flagged_by_listener(record.listener),
                    "flagged by the listener at intake"
                    + (f": {said[record.id]}" if record.id in said else ""),
                )
            elif record.id in flags:
                self._flag(conn, record.id, SCREEN, flags[record.id])
        return len(records)

    def _tag_values(
        self,
        note_id: str,
        category: str,
        source: str,
        stamp: datetime,
        confidence: float | None = None,
        evidence: str | None = None,
        model_version: str | None = None,
        codebook_version: str | None = None,
    ) -> dict[str, Any]:
        return {
            "note_id": note_id,
            "category": category,
            "source": source,
            "confidence": confidence,
            "evidence": evidence,
            "model_version": model_version,
            "codebook_version": codebook_version,
            "created_at": stamp,
            "author": self.actor if source == "person" else f"model:{model_version}",
        }

    def _add_tag(self, conn: Connection, *args: Any, **kwargs: Any) -> None:
        """Insert one tag (arguments as `_tag_values`) with its audit record."""
        values = self._tag_values(*args, **kwargs)
        conn.execute(insert(tags).values(**values))
        self._audit(conn, "create", "tag", _tag_ref(values), None, values)

    def get_note(self, note_id: str) -> dict[str, Any] | None:
        """The note stored under this id, or the tombstone of an erased note (whose `id` is
        then the tombstone's, not the one asked for)."""
        stored = self._stored_ids([note_id]).get(note_id)
        if stored is None:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(notes).where(notes.c.id == stored)).first()
        return dict(row._mapping) if row else None

    def count_notes(self, *, include_erased: bool = False, untagged: bool = False) -> int:
        query = select(func.count()).select_from(notes)
        if not include_erased:
            query = query.where(notes.c.erased_at.is_(None))
        if untagged:  # never tagged by a model, as `iter_notes(untagged=True)` streams
            query = query.where(notes.c.tagged_with.is_(None))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def ids_with_words(self, words: Sequence[str]) -> set[str]:
        """Live notes whose text holds every one of these words or phrases, in any case, and
        a number however it is spaced (`number_searched`): to find a person's notes when
        they ask what is held about them, or a quote to pin."""
        wanted = [" ".join(w.split()) for w in words if w.strip()]
        if not wanted:
            return set()
        bare: Any = notes.c.text  # a number however spaced: "07700 900123" = "07700900123"
        for sep in NUMBER_SEPARATORS:
            bare = func.replace(bare, sep, "")
        query = select(notes.c.id).where(notes.c.erased_at.is_(None), *(
            bare.contains(digits, autoescape=True)
            if (digits := number_searched(w)) is not None else
            func.lower(notes.c.text).contains(w.lower(), autoescape=True) for w in wanted))
        with self.engine.connect() as conn:
            return {row.id for row in conn.execute(query)}

    def iter_notes(
        self, *, untagged: bool = False, labelled: bool | None = None, batch_size: int = 2000
    ) -> Iterator[list[dict[str, Any]]]:
        """Stream live (not erased) notes in id order, in batches, for bounded memory."""
        last = ""
        while True:
            query = (
                select(notes)
                .where(notes.c.erased_at.is_(None), notes.c.id > last)
                .order_by(notes.c.id)
                .limit(batch_size)
            )
            if untagged:
                query = query.where(notes.c.tagged_with.is_(None))
            if labelled is not None:
                query = query.where(notes.c.labelled.is_(labelled))
            with self.engine.connect() as conn:
                batch = [dict(r._mapping) for r in conn.execute(query)]
            if not batch:
                return
            yield batch
            last = batch[-1]["id"]

    def tagging_models(self) -> dict[str, int]:
        """The models whose tags live notes carry: model version -> notes tagged by it."""
        query = (select(tags.c.model_version, func.count(distinct(tags.c.note_id)))
                 .join(notes, notes.c.id == tags.c.note_id)
                 .where(tags.c.source == "model", notes.c.erased_at.is_(None),
                        tags.c.model_version.is_not(None))
                 .group_by(tags.c.model_version))
        with self.engine.connect() as conn:
            return {str(version): int(n) for version, n in conn.execute(query)}

    def experience_confidence(self, note_ids: Sequence[str]) -> dict[str, float]:
        """Note id -> the model's probability of the experience value it gave the note
        (notes the model has not read, or read before this was kept, are left out)."""
        found: dict[str, float] = {}
        with self.engine.connect() as conn:
            for some in _chunks(list(note_ids)):
                query = select(experience_confidence).where(
                    experience_confidence.c.note_id.in_(some))
                found.update((r.note_id, float(r.confidence)) for r in conn.execute(query))
        return found

    def safeguarding_scores(self, note_ids: Sequence[str]) -> dict[str, tuple[float, float]]:
        """Note id -> (the safeguarding classifier's score, the score it flags from), as
        the model that last tagged the note gave them (notes it has not read, or read
        before scores were kept, are left out)."""
        found: dict[str, tuple[float, float]] = {}
        with self.engine.connect() as conn:
            for some in _chunks(list(note_ids)):
                query = select(safeguarding_scores).where(
                    safeguarding_scores.c.note_id.in_(some))
                found.update((r.note_id, (float(r.score), float(r.flags_from)))
                             for r in conn.execute(query))
        return found

    def tags_for(self, note_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        query = select(tags).order_by(tags.c.note_id, tags.c.category, tags.c.source)
        rows: list[dict[str, Any]] = []
        with self.engine.connect() as conn:
            if note_ids is None:
                return [dict(r._mapping) for r in conn.execute(query)]
            ids = list(note_ids)
            for some in _chunks(ids):
                chunk = query.where(tags.c.note_id.in_(some))
                rows.extend(dict(r._mapping) for r in conn.execute(chunk))
        return rows

    def save_model_tags(
        self, results: Sequence[ModelTagging], model_version: str, codebook_version: str | None
    ) -> Counter[str]:
        """Replace the model's tags for these notes; people's tags are never touched.

        One transaction, a few statements per batch (not per tag): tagging a national
        store writes millions of tags and their audit entries. Returns what changed on notes
        the model had tagged before (a retag after retraining): `notes_changed` (their
        categories), `unreviewed_changed` (of those, notes no person labelled, whose counts
        move), `tags_added`, `tags_removed`, `experience_changed`."""
        stamp = now()
        latest = {r.note_id: r for r in results}  # a note given twice: its last result
        ids = list(latest)
        summary: Counter[str] = Counter()
        changed = ("model_safeguarding", "model_experience", "tagged_with", "tagged_at")
        with self.begin() as conn:
            before: dict[str, dict[str, Any]] = {}
            labelled: set[str] = set()
            old_tags: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for chunk in _chunks(ids):
                query = select(notes.c.id, notes.c.labelled, *(notes.c[c] for c in changed))
                for row in conn.execute(query.where(notes.c.id.in_(chunk))):
                    before[row.id] = {c: row._mapping[c] for c in changed}
                    if row.labelled:
                        labelled.add(row.id)
                query = select(tags).where(tags.c.source == "model", tags.c.note_id.in_(chunk))
                for row in conn.execute(query.order_by(tags.c.id)):
                    old_tags[row.note_id].append(dict(row._mapping))
            missing = [i for i in ids if i not in before]
            if missing:
                raise self.no_note(missing[0])
            new_tags: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            entries: list[dict[str, Any]] = []  # audit, in the order the changes are made
            for note_id, result in latest.items():
                if before[note_id]["tagged_with"] is not None:  # tagged before: what moved
                    old = {row["category"] for row in old_tags[note_id]}
                    new = set(result.categories)
                    if old != new:
                        summary["notes_changed"] += 1
                        summary["unreviewed_changed"] += note_id not in labelled
                        summary["tags_added"] += len(new - old)
                        summary["tags_removed"] += len(old - new)
                    if before[note_id]["model_experience"] != result.experience:
                        summary["experience_changed"] += 1
                for row in old_tags[note_id]:
                    entries.append(self._audit_values("delete", "tag", _tag_ref(row), row, None))
                for category in result.categories:
                    values = self._tag_values(
                        note_id,
                        category,
                        "model",
                        stamp,
                        confidence=float(result.scores.get(category, 0.0)),
                        evidence=result.evidence.get(category),
                        model_version=model_version,
                        codebook_version=codebook_version,
                    )
                    new_tags.append(values)
                    entries.append(
                        self._audit_values("create", "tag", _tag_ref(values), None, values)
                    )
                after = dict(zip(changed, (result.safeguarding, result.experience,
                                           model_version, stamp), strict=True))
                updates.append({"note": note_id, **after})
                entries.append(
                    self._audit_values("update", "note", note_id, before[note_id], after)
                )
            for chunk in _chunks(ids):
                conn.execute(
                    delete(tags).where(tags.c.source == "model", tags.c.note_id.in_(chunk))
                )
            if new_tags:
                conn.execute(insert(tags), new_tags)
            for chunk in _chunks(ids):
                conn.execute(delete(experience_confidence)
                             .where(experience_confidence.c.note_id.in_(chunk)))
            felt = [{"note_id": n, "confidence": float(r.experience_confidence)}
                    for n, r in latest.items() if r.experience_confidence is not None]
            if felt:
                conn.execute(insert(experience_confidence), felt)
            for chunk in _chunks(ids):
                conn.execute(delete(safeguarding_scores)
                             .where(safeguarding_scores.c.note_id.in_(chunk)))
            risk = [{"note_id": n, "score": float(r.safeguarding_score),
                     "flags_from": float(r.safeguarding_threshold)}
                    for n, r in latest.items()
                    if r.safeguarding_score is not None and r.safeguarding_threshold is not None]
            if risk:
                conn.execute(insert(safeguarding_scores), risk)
            if updates:
                conn.execute(
                    update(notes)
                    .where(notes.c.id == bindparam("note"))
                    .values({c: bindparam(c) for c in changed}),
                    updates,
                )
            if entries:
                conn.execute(insert(audit), entries)
            source = f"model:{model_version}"
            reasons = {n: f"model: {r.safeguarding_why}" if r.safeguarding_why else "model flag"
                       for n, r in latest.items() if r.safeguarding}
            blocked = self._flag_blocked(conn, list(reasons), source, reasons)
            for note_id, reason in reasons.items():
                if note_id not in blocked:
                    self._flag(conn, note_id, source, reason)
        return summary

    def set_person_tags(self, note_id: str, categories: Sequence[str],
                        codebook_version: str | None = None) -> None:
        """A lead's review: replaces people's tags for the note (model tags are kept).
        `codebook_version`: the codebook the lead chose from, so reports can say which
        version a note's categories are of."""
        stamp = now()
        with self.begin() as conn:
            if conn.execute(select(notes.c.id).where(notes.c.id == note_id)).first() is None:
                raise self.no_note(note_id)
            self._delete_tags(conn, note_id, "person")
            for category in dict.fromkeys(categories):
                self._add_tag(conn, note_id, category, "person", stamp,
                              codebook_version=codebook_version)
            self._update_note(conn, note_id, labelled=True, updated_at=stamp)

    def rename_category(self, old: str, new: str) -> dict[str, int]:
        """Carry every tag and insight on category `old` over to `new`, after a codebook
        renamed or merged categories: people's labels keep teaching the model and notes stay
        in the counts. A note already tagged `new` by the same source keeps one tag. Each
        change is audited. Returns how many person tags, model tags and insights moved."""
        moved = {"person": 0, "model": 0, "insights": 0}
        if old == new:
            return moved
        with self.begin() as conn:
            rows = [dict(r._mapping) for r in conn.execute(
                select(tags).where(tags.c.category == old))]
            have = {(r.note_id, r.source) for r in conn.execute(
                select(tags.c.note_id, tags.c.source).where(tags.c.category == new))}
            for row in rows:
                conn.execute(delete(tags).where(tags.c.id == row["id"]))
                self._audit(conn, "delete", "tag", _tag_ref(row), row, None)
                moved[row["source"]] = moved.get(row["source"], 0) + 1
                if (row["note_id"], row["source"]) in have:
                    continue
                after = {k: v for k, v in row.items() if k != "id"} | {"category": new}
                conn.execute(insert(tags).values(**after))
                self._audit(conn, "create", "tag", _tag_ref(after), None,
                            after | {"renamed_from": old})
            for row in conn.execute(select(insights)).fetchall():
                cats = list(row.categories or [])
                if old not in cats:
                    continue
                changed = list(dict.fromkeys(new if c == old else c for c in cats))
                values = {"categories": changed, "updated_at": now()}
                conn.execute(update(insights).where(insights.c.id == row.id).values(**values))
                self._audit(conn, "update", "insight", row.id, dict(row._mapping),
                            dict(row._mapping) | values)
                moved["insights"] += 1
        return moved

    def replace_note_text(self, note_id: str, text: str, content_hash: str,
                          reason: str | None = None) -> bool:
        """A corrected answer's words for a stored note (`ingest --replace-text`), audited
        by content hash (never the words). The model's reading of the old words goes (its
        tags, evidence, flags and experience; `insight tag` reads the new ones); a person's
        categories, consent and safeguarding decisions stay. Erased notes are never
        changed. Whether the words changed."""
        with self.begin() as conn:
            row = conn.execute(select(notes.c.content_hash, notes.c.erased_at)
                               .where(notes.c.id == note_id)).first()
            if row is None:
                raise self.no_note(note_id)
            if row.erased_at is not None or row.content_hash == content_hash:
                return False
            self._delete_tags(conn, note_id, "model")
            conn.execute(delete(experience_confidence)
                         .where(experience_confidence.c.note_id == note_id))
            conn.execute(delete(safeguarding_scores)
                         .where(safeguarding_scores.c.note_id == note_id))
            stamp = now()
            values = {"text": text, "content_hash": content_hash, "tagged_with": None,
                      "tagged_at": None, "model_safeguarding": None, "model_experience": None,
                      "updated_at": stamp}
            conn.execute(update(notes).where(notes.c.id == note_id).values(**values))
            conn.execute(delete(note_words_replaced).where(
                note_words_replaced.c.note_id == note_id))
            conn.execute(insert(note_words_replaced).values(note_id=note_id, at=stamp))
            self._audit(conn, "update", "note", note_id, {"content_hash": row.content_hash},
                        {"content_hash": content_hash, "text": text,  # kept as its length
                         **({"reason": reason} if reason else {})})
        return True

    def _delete_tags(self, conn: Connection, note_id: str, source: str) -> None:
        """Delete a note's tags from one source, each audited with what it was."""
        where = (tags.c.note_id == note_id, tags.c.source == source)
        old = [dict(r._mapping) for r in conn.execute(select(tags).where(*where))]
        conn.execute(delete(tags).where(*where))
        for row in old:
            self._audit(conn, "delete", "tag", _tag_ref(row), row, None)

    def _update_note(self, conn: Connection, note_id: str, **values: Any) -> None:
        """Update some columns of a note, audited with their values before and after."""
        columns = [notes.c[name] for name in values]
        row = conn.execute(select(*columns).where(notes.c.id == note_id)).first()
        if row is None:
            raise self.no_note(note_id)
        conn.execute(update(notes).where(notes.c.id == note_id).values(**values))
        self._audit(conn, "update", "note", note_id, dict(row._mapping), values)

    # -- safeguarding ----------------------------------------------------------------
    def _flag_blocked(self, conn: Connection, note_ids: Sequence[str], source: str,
                      reasons: Mapping[str, str | None] | None = None) -> set[str]:
        """The notes an automatic flag from `source` (the model's or the phrase list's, with
        `reasons` per note) does not queue again: those with an item no person judged a
        false alarm (a person has the concern in hand), and those where a person judged a
        false alarm on the same words raised by the same signals (`flag_signals`: it would
        come back at every tagging; the phrase list is one signal whether the screen at
        ingest or the model at tagging raised it). A new signal, after a false alarm,
        reaches a person."""
        wanted = {n: flag_signals(source, (reasons or {}).get(n)) for n in note_ids}
        judged: dict[str, set[str]] = defaultdict(set)  # signals judged false alarms
        blocked: set[str] = set()
        for chunk in _chunks(list(note_ids)):
            query = (select(safeguarding_queue.c.note_id, safeguarding_queue.c.flagged_by,
                            safeguarding_queue.c.reason,
                            safeguarding_dismissals.c.item_id.label("dismissed"),
                            safeguarding_dismissals.c.judged_at,
                            note_words_replaced.c.at.label("words_replaced"))
                     .outerjoin(safeguarding_dismissals,
                                safeguarding_dismissals.c.item_id == safeguarding_queue.c.id)
                     .outerjoin(note_words_replaced,
                                note_words_replaced.c.note_id == safeguarding_queue.c.note_id)
                     .where(safeguarding_queue.c.note_id.in_(chunk)))
            for row in conn.execute(query):
                if row.dismissed is None:
                    blocked.add(row.note_id)
                elif row.words_replaced is None or row.judged_at >= row.words_replaced:
                    # judged on these words: no nagging by what was judged
                    judged[row.note_id] |= flag_signals(row.flagged_by, row.reason)
        return blocked | {n for n, signals in judged.items() if wanted[n] <= signals}

    def _has_open_flag(self, conn: Connection, note_id: str, *, by_a_person: bool = False
                       ) -> bool:
        """Whether an open item holds the note (`by_a_person`: one no one may dismiss)."""
        query = select(safeguarding_queue.c.flagged_by).where(
            safeguarding_queue.c.note_id == note_id,
            safeguarding_queue.c.acknowledged_at.is_(None),
        )
        return any(not by_a_person or not str(by).startswith(DISMISSIBLE)
                   for by in conn.execute(query).scalars())

    def _flag(self, conn: Connection, note_id: str, by: str, reason: str | None) -> None:
        values = {"note_id": note_id, "flagged_by": by, "reason": reason, "flagged_at": now()}
        result = conn.execute(insert(safeguarding_queue).values(**values))
        self._audit(
            conn, "create", "safeguarding", result.inserted_primary_key[0], None, values
        )

    def flag_safeguarding(self, note_id: str, by: str | None = None, reason: str | None = None,
                          *, again: bool = False) -> bool:
        """Route a note to a person now; does not depend on the note being tagged. A note
        ever flagged is not flagged twice, unless `again` (a person raising a new concern
        about it: then only an open item a person raised stops it; one the model or the
        phrase list raised does not, since it may later be judged a false alarm and the
        person's concern must outlive that). Whether an item was added."""
        with self.begin() as conn:
            row = conn.execute(select(notes.c.id, notes.c.erased_at)
                               .where(notes.c.id == note_id)).first()
            if row is None:
                raise self.no_note(note_id)
            if row.erased_at is not None:
                raise StoreError(f"note {note_id} was erased; it cannot be flagged")
            if self._has_open_flag(conn, note_id, by_a_person=again) or (
                    not again and note_id in self._flag_blocked(conn, [note_id], by or "",
                                                                {note_id: reason})):
                return False
            self._flag(conn, note_id, by or self.actor, reason)
            return True

    def safeguarding_items(
        self, *, open_only: bool = True, with_note: bool = False, note_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Queue items, oldest first (`note_id`: one note's only), each with whether a
        person judged it not a concern (`not_a_concern`); `with_note` adds the note's
        listener, date and place (who to follow up with), never its text."""
        judged = (safeguarding_dismissals.c.item_id.is_not(None)).label("not_a_concern")
        columns: list[Any] = [safeguarding_queue, judged]
        if with_note:
            columns += [notes.c.listener, notes.c.heard_on, notes.c.place]
        query = (select(*columns)
                 .outerjoin(safeguarding_dismissals,
                            safeguarding_dismissals.c.item_id == safeguarding_queue.c.id)
                 .order_by(safeguarding_queue.c.id))
        if with_note:
            query = query.join(notes, notes.c.id == safeguarding_queue.c.note_id)
        if open_only:
            query = query.where(safeguarding_queue.c.acknowledged_at.is_(None))
        if note_id is not None:
            query = query.where(safeguarding_queue.c.note_id == note_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def safeguarding_state(self) -> tuple[set[str], set[str]]:
        """(notes that raised a concern: some queue item of theirs was not judged a false
        alarm; notes cleared: every item of theirs was, and no person said yes). A cleared
        note's model flag is overruled: it counts as no concern and may be quoted."""
        query = (select(safeguarding_queue.c.note_id, notes.c.safeguarding,
                        safeguarding_dismissals.c.item_id.label("dismissed"))
                 .join(notes, notes.c.id == safeguarding_queue.c.note_id)
                 .outerjoin(safeguarding_dismissals,
                            safeguarding_dismissals.c.item_id == safeguarding_queue.c.id))
        concerns: set[str] = set()
        dismissed: set[str] = set()
        person_yes: set[str] = set()
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                (dismissed if row.dismissed is not None else concerns).add(row.note_id)
                if row.safeguarding:
                    person_yes.add(row.note_id)
        return concerns, dismissed - concerns - person_yes

    def raising_concerns(self, note_ids: Iterable[str]) -> set[str]:
        """Of these notes, those with a queue item no person judged a false alarm (open or
        acknowledged): their words are the record of a concern."""
        found: set[str] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(note_ids))):
                query = (select(safeguarding_queue.c.note_id)
                         .outerjoin(safeguarding_dismissals,
                                    safeguarding_dismissals.c.item_id == safeguarding_queue.c.id)
                         .where(safeguarding_queue.c.note_id.in_(chunk),
                                safeguarding_dismissals.c.item_id.is_(None)))
                found.update(conn.execute(query).scalars())
        return found

    def acknowledge_safeguarding(
        self, item_id: int, note: str | None = None, *, not_a_concern: bool = False,
        raised_in_error: bool = False,
    ) -> dict[str, Any]:
        """Acknowledge an open item (who and when are kept; `note`, what was done, is
        required: it is the record of how the concern was handled). `not_a_concern`: a
        person judges it a false alarm of the model or the phrase list (`DISMISSIBLE`;
        `note` says why): its note then counts as raising no concern unless something else
        says so. `raised_in_error`: an item a person raised by hand on the wrong note (not a
        listener's), withdrawn the same way and kept in the history."""
        if not_a_concern or raised_in_error:
            return self._dismiss_safeguarding(item_id, note, raised_in_error=raised_in_error)
        if not says_what_was_done(note):
            raise StoreError("say what was done, in a few words (--note): it is the record "
                             "of how the concern was handled, kept in the queue and the audit "
                             "log")
        note = (note or "").strip()
        with self.begin() as conn:
            row = conn.execute(
                select(safeguarding_queue).where(safeguarding_queue.c.id == item_id)
            ).first()
            if row is None:
                raise NotFound(f"no safeguarding item {item_id}")
            before = dict(row._mapping)
            if before["acknowledged_at"] is not None:
                raise StoreError(
                    f"safeguarding item {item_id} was already acknowledged by "
                    f"{before['acknowledged_by']} at {uk_time(before['acknowledged_at'])}"
                    ": add what happened since with `insight safeguarding follow-up`, or "
                    "`insight safeguarding reopen` it if it was closed by mistake")
            values = {"acknowledged_at": now(), "acknowledged_by": self.actor, "ack_note": note}
            # Only an open item is updated: of two people acknowledging at once, one wins
            # and the other gets the "already acknowledged" error, not a silent overwrite.
            done = conn.execute(
                update(safeguarding_queue)
                .where(
                    safeguarding_queue.c.id == item_id,
                    safeguarding_queue.c.acknowledged_at.is_(None),
                )
                .values(**values)
            )
            if done.rowcount != 1:
                raise StoreError(f"safeguarding item {item_id} was already acknowledged (by "
                                 "someone else just now): see `insight safeguarding show`")
            after = {**before, **values}
            self._audit(conn, "update", "safeguarding", item_id, before, after)
        return after

    def _dismiss_safeguarding(self, item_id: int, reason: str | None, *,
                              raised_in_error: bool = False) -> dict[str, Any]:
        if not says_what_was_done(reason):
            raise StoreError("say why the item is " + ("withdrawn" if raised_in_error else
                                                       "not a concern")
                             + ", in a few words (--note): it is kept in the audit log")
        reason = (reason or "").strip()
        with self.begin() as conn:
            row = conn.execute(
                select(safeguarding_queue, notes.c.safeguarding)
                .join(notes, notes.c.id == safeguarding_queue.c.note_id)
                .where(safeguarding_queue.c.id == item_id)
            ).first()
            if row is None:
                raise NotFound(f"no safeguarding item {item_id}")
            by = str(row.flagged_by)
            if raised_in_error:
                if by.startswith((*DISMISSIBLE, LISTENER)):
                    raise StoreError(
                        f"safeguarding item {item_id} was raised by {by}, not by a person by "
                        "hand: only an item raised with `insight safeguarding add` can be "
                        "withdrawn as raised in error"
                        + (" (the model's or the phrase list's: --not-a-concern)"
                           if by.startswith(DISMISSIBLE) else ""))
                if by != self.actor:
                    raise StoreError(
                        f"safeguarding item {item_id} was raised by {by}: only they can withdraw "
                        "it as raised in error; acknowledge it, saying what was done, instead")
                reason = f"raised in error: {reason}"
            elif not by.startswith(DISMISSIBLE):
                raise StoreError(
                    f"safeguarding item {item_id} was raised by a person "
                    f"({row.flagged_by}), not by the model or the phrase list: acknowledge "
                    "it (without --not-a-concern) once it is dealt with"
                )
            if row.safeguarding and not raised_in_error:
                raise StoreError(
                    f"note {row.note_id} was marked as a safeguarding concern by a person: "
                    "it stays one"
                )
            done = conn.execute(select(safeguarding_dismissals.c.item_id).where(
                safeguarding_dismissals.c.item_id == item_id)).first()
            if done is not None:
                raise StoreError(f"safeguarding item {item_id} was already judged not a "
                                 "concern")
            stamp = now()
            values = {"item_id": item_id, "reason": reason, "judged_at": stamp,
                      "author": self.actor}
            conn.execute(insert(safeguarding_dismissals).values(**values))
            self._audit(conn, "create", "safeguarding-dismissal", item_id, None, values)
            before = {k: v for k, v in row._mapping.items() if k != "safeguarding"}
            after = before
            if before["acknowledged_at"] is None:
                ack = {"acknowledged_at": stamp, "acknowledged_by": self.actor,
                       "ack_note": reason if raised_in_error else f"not a concern: {reason}"}
                conn.execute(update(safeguarding_queue)
                             .where(safeguarding_queue.c.id == item_id).values(**ack))
                after = {**before, **ack}
                self._audit(conn, "update", "safeguarding", item_id, before, after)
        return after

    def reopen_safeguarding(self, item_id: int, reason: str) -> dict[str, Any]:
        """Open again an item closed by mistake (acknowledged, judged not a concern or
        withdrawn): the closing is kept as a follow-up and in the audit log, the judgement
        is undone, and the item keeps its number and the time it was first flagged."""
        if not says_what_was_done(reason):
            raise StoreError("say why it is opened again, in a few words (--reason)")
        with self.begin() as conn:
            row = conn.execute(select(safeguarding_queue)
                               .where(safeguarding_queue.c.id == item_id)).first()
            if row is None:
                raise NotFound(f"no safeguarding item {item_id}")
            before = dict(row._mapping)
            if before["acknowledged_at"] is None:
                raise StoreError(f"safeguarding item {item_id} is open already")
            stamp = now()
            closed = (f"closed by {before['acknowledged_by']} at "
                      f"{uk_time(before['acknowledged_at'])} ({before['ack_note']}); "
                      f"opened again: {reason.strip()}")
            followup = {"item_id": item_id, "note": closed, "at": stamp, "author": self.actor}
            new_id = conn.execute(insert(safeguarding_followups).values(**followup)
                                  ).inserted_primary_key[0]
            self._audit(conn, "create", "safeguarding-followup", item_id, None,
                        {"id": new_id, **followup})
            judged = conn.execute(select(safeguarding_dismissals).where(
                safeguarding_dismissals.c.item_id == item_id)).first()
            if judged is not None:
                conn.execute(delete(safeguarding_dismissals).where(
                    safeguarding_dismissals.c.item_id == item_id))
                self._audit(conn, "delete", "safeguarding-dismissal", item_id,
                            dict(judged._mapping), None)
            values = {"acknowledged_at": None, "acknowledged_by": None, "ack_note": None}
            conn.execute(update(safeguarding_queue).where(safeguarding_queue.c.id == item_id)
                         .values(**values))
            self._audit(conn, "update", "safeguarding", item_id, before, {**before, **values})
        return {**before, **values}

    def add_safeguarding_followup(self, item_id: int, note: str) -> dict[str, Any]:
        """A dated note of what was done about an item, open or acknowledged (audited)."""
        if not says_what_was_done(note):
            raise StoreError("say what was done, in a few words (--note)")
        with self.begin() as conn:
            found = conn.execute(select(safeguarding_queue.c.id)
                                 .where(safeguarding_queue.c.id == item_id)).first()
            if found is None:
                raise NotFound(f"no safeguarding item {item_id}")
            values = {"item_id": item_id, "note": note.strip(), "at": now(),
                      "author": self.actor}
            new_id = conn.execute(insert(safeguarding_followups).values(**values)
                                  ).inserted_primary_key[0]
            values = {"id": new_id, **values}
            self._audit(conn, "create", "safeguarding-followup", item_id, None, values)
        return values

    def safeguarding_followups(self, item_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
        """Each item's follow-up notes, oldest first."""
        out: dict[int, list[dict[str, Any]]] = defaultdict(list)
        wanted = list(dict.fromkeys(item_ids))
        with self.engine.connect() as conn:
            for chunk in _chunks(wanted):
                query = (select(safeguarding_followups)
                         .where(safeguarding_followups.c.item_id.in_(chunk))
                         .order_by(safeguarding_followups.c.id))
                for row in conn.execute(query):
                    out[row.item_id].append(dict(row._mapping))
        return dict(out)

    # -- thread records --------------------------------------------------------------
    def create_record(self, kind: str, audited: dict[str, Any] | None = None,
                      **values: Any) -> int:
        """A new thread record; `audited`: what its audit entry says besides its fields
        (an action's `status_on`, the day its status was reached)."""
        table = THREAD_TABLES[kind]
        stamp = now()
        values = {**values, "created_at": stamp, "updated_at": stamp, "author": self.actor}
        with self.begin() as conn:
            new_id = conn.execute(insert(table).values(**values)).inserted_primary_key[0]
            self._audit(conn, "create", kind, new_id, None,
                        {**values, "id": new_id, **(audited or {})})
        return int(new_id)

    def get_record(self, kind: str, record_id: int) -> dict[str, Any]:
        table = THREAD_TABLES[kind]
        with self.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.id == record_id)).first()
        if row is None:
            raise NotFound(f"no {kind} {ref(kind, record_id)}")
        return dict(row._mapping)

    def list_records(self, kind: str) -> list[dict[str, Any]]:
        table = THREAD_TABLES[kind]
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.id))]

    def update_record(self, kind: str, record_id: int, audited: dict[str, Any] | None = None,
                      **values: Any) -> dict[str, Any]:
        """Change a thread record's fields; `audited` as for `create_record`."""
        table = THREAD_TABLES[kind]
        with self.begin() as conn:
            row = conn.execute(select(table).where(table.c.id == record_id)).first()
            if row is None:
                raise NotFound(f"no {kind} {ref(kind, record_id)}")
            before = dict(row._mapping)
            values = {**values, "updated_at": now()}
            conn.execute(update(table).where(table.c.id == record_id).values(**values))
            after = {**before, **values}
            self._audit(conn, "update", kind, record_id, before, {**after, **(audited or {})})
        return after

    def status_history(self) -> dict[int, list[dict[str, Any]]]:
        """Action id -> each status it reached, oldest first: `status`, `on` (the day a
        person said it was reached, else the day it was recorded), `recorded_at`, `by`; a
        status taken back as a mistake (`status_undone`) is left out.
        Read from the audit log, which holds every change of status (a restore and an
        undelete keep it), so there is one record of it."""
        query = (select(audit.c.record_id, audit.c.operation, audit.c.at, audit.c.actor,
                        audit.c.before, audit.c.after)
                 .where(audit.c.record_type == "action",
                        audit.c.operation.in_(("create", "update", "undelete")))
                 .order_by(audit.c.at, audit.c.id))
        found: dict[int, list[dict[str, Any]]] = {}
        with self.engine.connect() as conn:
            for entry in conn.execute(query):
                after = entry.after or {}
                status = after.get("status")
                history = found.setdefault(int(entry.record_id), [])
                if after.get("status_undone") and history:
                    history.pop()  # recorded by mistake and taken back: not a status it had
                day = after.get("status_on")
                on = date.fromisoformat(day) if isinstance(day, str) else entry.at.date()
                if history and history[-1]["status"] == status:
                    if isinstance(day, str) and entry.operation == "update":
                        history[-1]["on"] = on  # the day it was reached, corrected
                    continue  # else another field changed, or the record came back
                if status:
                    history.append({"status": status, "on": on, "recorded_at": entry.at,
                                    "by": entry.actor})
        return {k: v for k, v in found.items() if v}

    def delete_record(self, kind: str, record_id: int) -> None:
        """Delete a thread record and its links (outcomes go with their action)."""
        table = THREAD_TABLES[kind]
        with self.begin() as conn:
            row = conn.execute(select(table).where(table.c.id == record_id)).first()
            if row is None:
                raise NotFound(f"no {kind} {ref(kind, record_id)}")
            for link, column in _LINKS_OF[kind]:
                self._unlink(conn, link, link.c[column] == record_id)
            if kind == "priority":
                withdrawn = conn.execute(select(priority_withdrawals).where(
                    priority_withdrawals.c.priority_id == record_id)).first()
                if withdrawn is not None:
                    conn.execute(delete(priority_withdrawals).where(
                        priority_withdrawals.c.priority_id == record_id))
                    self._audit(conn, "delete", priority_withdrawals.name, record_id,
                                dict(withdrawn._mapping), None)
            if kind == "action":
                involved = conn.execute(select(action_involvement).where(
                    action_involvement.c.action_id == record_id)).first()
                if involved is not None:
                    conn.execute(delete(action_involvement).where(
                        action_involvement.c.action_id == record_id))
                    self._audit(conn, "delete", action_involvement.name, record_id,
                                dict(involved._mapping), None)
                for outcome in conn.execute(
                    select(outcomes).where(outcomes.c.action_id == record_id)
                ):
                    conn.execute(delete(outcomes).where(outcomes.c.id == outcome.id))
                    self._audit(conn, "delete", "outcome", outcome.id, dict(outcome._mapping), None)
            conn.execute(delete(table).where(table.c.id == record_id))
            self._audit(conn, "delete", kind, record_id, dict(row._mapping), None)

    def undelete_record(self, kind: str, record_id: int) -> Undeleted:
        """Bring back a thread record deleted by mistake, as the audit log kept it: its
        fields, and what its deletion took with it (links, an action's outcomes and
        involvement, a lead's quote choices) where the other end is still there. A link to
        a note erased since, or to a record deleted since, stays gone: erasure is for good."""
        table = THREAD_TABLES[kind]
        with self.begin() as conn:
            if conn.execute(select(table.c.id).where(table.c.id == record_id)).first():
                raise StoreError(f"{ref(kind, record_id)} is not deleted")
            gone = conn.execute(
                select(audit).where(audit.c.operation == "delete",
                                    audit.c.record_type == kind,
                                    audit.c.record_id == str(record_id))
                .order_by(audit.c.id.desc()).limit(1)
            ).first()
            if gone is None or not gone.before:
                raise NotFound(f"no deleted {kind} {ref(kind, record_id)} in the audit log")
            with_it = self._deleted_with(conn, kind, record_id, gone)
            conn.execute(insert(table).values(**_from_audit(table, gone.before)))
            self._audit(conn, "undelete", kind, record_id, None, dict(gone.before))
            back, stayed = 0, 0
            for entry in with_it:
                target = _AUDITED_TABLES[entry.record_type]
                values = _from_audit(target, entry.before)
                if not self._ends_exist(conn, target, values):
                    stayed += 1
                    continue
                conn.execute(insert(target).values(**values))
                self._audit(conn, "undelete", entry.record_type, entry.record_id, None,
                            dict(entry.before))
                back += 1
        return Undeleted(back=back, stayed_gone=stayed)

    def _deleted_with(self, conn: Connection, kind: str, record_id: int,
                      gone: Any) -> list[Any]:
        """The deletions one `delete_record` made before its record's own (same person,
        same moment, the entries just before it) that belong to that record, oldest first,
        a quote choice after the links (it needs its note's link back first)."""
        owned = _OWNED_BY[kind]
        found: list[Any] = []
        for entry in conn.execute(
            select(audit).where(audit.c.id < gone.id).order_by(audit.c.id.desc()).limit(5000)
        ):
            if (entry.operation != "delete" or entry.actor != gone.actor
                    or abs((gone.at - entry.at).total_seconds()) > 5):
                break
            column = owned.get(entry.record_type)
            if column and (entry.before or {}).get(column) == record_id:
                found.append(entry)
        return sorted(found[::-1], key=lambda e: e.record_type == insight_quotes.name)

    def _ends_exist(self, conn: Connection, table: Table, values: dict[str, Any]) -> bool:
        """Whether every record a row points at is there (a note: there and not erased)."""
        for column, target in _ENDS[table.name].items():
            where = [target.c.id == values[column]]
            if target is notes:
                where.append(notes.c.erased_at.is_(None))
            if conn.execute(select(target.c.id).where(*where)).first() is None:
                return False
        if table is insight_quotes:  # a quote choice needs its note's link to the insight
            link = conn.execute(select(insight_notes).where(
                insight_notes.c.insight_id == values["insight_id"],
                insight_notes.c.note_id == values["note_id"])).first()
            return link is not None
        return True

    def link(self, link_table: Table, left: tuple[str, Any], right: tuple[str, Any]) -> bool:
        """Insert one link row if missing; returns whether it was new."""
        values = {left[0]: left[1], right[0]: right[1]}
        with self.begin() as conn:
            query = select(link_table).where(
                *(link_table.c[k] == v for k, v in values.items())
            )
            if conn.execute(query).first() is not None:
                return False
            conn.execute(insert(link_table).values(**values))
            self._audit(
                conn, "create", link_table.name, f"{left[1]}->{right[1]}", None, values
            )
        return True

    def unlink(self, link_table: Table, left: tuple[str, Any], right: tuple[str, Any]) -> bool:
        """Delete one link row if present (audited); returns whether there was one."""
        where = and_(link_table.c[left[0]] == left[1], link_table.c[right[0]] == right[1])
        with self.begin() as conn:
            if conn.execute(select(link_table).where(where)).first() is None:
                return False
            self._unlink(conn, link_table, where)
        return True

    def _unlink(self, conn: Connection, link_table: Table, where: Any) -> None:
        """Delete link rows, each audited like `link` audits their creation. A note taken
        off an insight (unlinked, its insight deleted, the note erased) takes with it a
        lead's choice about quoting it there."""
        old = [dict(r._mapping) for r in conn.execute(select(link_table).where(where))]
        if link_table is insight_notes:
            for row in old:
                self._drop_quote_choice(conn, row["insight_id"], row["note_id"])
        conn.execute(delete(link_table).where(where))
        for row in old:
            left, right = list(row.values())
            self._audit(conn, "delete", link_table.name, f"{left}->{right}", row, None)

    def links(self, link_table: Table) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(link_table))]

    # -- quote choices ---------------------------------------------------------------
    def set_quote_choice(
        self, insight_id: int, note_id: str, choice: str | None
    ) -> dict[str, Any] | None:
        """A lead's choice about quoting a note for an insight: `PIN` (quoted first, in the
        order pinned), `EXCLUDE` (never quoted for it) or None (clear it). Audited as
        `insight_quotes` "3->n1". Only for a note linked to the insight (else `NotFound`).
        Choosing never makes a note quotable: consent and safeguarding still decide
        (`privacy.may_quote`). Returns the choice there was before (its row), or None."""
        if choice is not None and choice not in QUOTE_CHOICES:
            raise StoreError(f"unknown quote choice {choice!r}; use one of: "
                             f"{', '.join(QUOTE_CHOICES)}")
        with self.begin() as conn:
            if conn.execute(
                select(insights.c.id).where(insights.c.id == insight_id)
            ).first() is None:
                raise NotFound(f"no insight {ref('insight', insight_id)}")
            if conn.execute(select(notes.c.id).where(notes.c.id == note_id)).first() is None:
                raise self.no_note(note_id)
            linked = select(insight_notes).where(
                insight_notes.c.insight_id == insight_id, insight_notes.c.note_id == note_id
            )
            if conn.execute(linked).first() is None:
                raise NotFound(
                    f"note {note_id} is not evidence for {ref('insight', insight_id)}: only "
                    f"its own notes can be pinned or left out (link it first: insight "
                    f"insights link {ref('insight', insight_id)} {note_id})"
                )
            where = and_(insight_quotes.c.insight_id == insight_id,
                         insight_quotes.c.note_id == note_id)
            row = conn.execute(select(insight_quotes).where(where).with_for_update()).first()
            before = dict(row._mapping) if row else None
            record_id = f"{insight_id}->{note_id}"
            if choice is None:
                if before is not None:
                    conn.execute(delete(insight_quotes).where(where))
                    self._audit(conn, "delete", insight_quotes.name, record_id, before, None)
                return before
            if before is not None and before["choice"] == choice:
                return before  # nothing to change (a pin keeps its place)
            position = None
            if choice == PIN:
                last = conn.execute(
                    select(func.max(insight_quotes.c.position))
                    .where(insight_quotes.c.insight_id == insight_id)
                ).scalar_one_or_none()
                position = (last or 0) + 1
            values = {"choice": choice, "position": position, "chosen_at": now(),
                      "author": self.actor}
            self._put_row(conn, insight_quotes, where, record_id, before, values,
                          {"insight_id": insight_id, "note_id": note_id})
        return before

    def _put_row(self, conn: Connection, table: Table, where: Any, record_id: str | int,
                 before: dict[str, Any] | None, values: dict[str, Any],
                 key: dict[str, Any]) -> None:
        """Insert a row (`key` + `values`) or update the one `where` finds (`before`),
        audited as a create or an update of `record_id`."""
        if before is None:
            values = {**key, **values}
            conn.execute(insert(table).values(**values))
            self._audit(conn, "create", table.name, record_id, None, values)
        else:
            conn.execute(update(table).where(where).values(**values))
            self._audit(conn, "update", table.name, record_id, before, {**before, **values})

    def quote_choices(self, insight_id: int | None = None) -> list[dict[str, Any]]:
        """Leads' quote choices, by insight; pins in the order they were pinned first."""
        query = select(insight_quotes)
        if insight_id is not None:
            query = query.where(insight_quotes.c.insight_id == insight_id)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        return sorted(rows, key=lambda r: (r["insight_id"], r["choice"] != PIN,
                                           r["position"] or 0, r["note_id"]))

    # -- priorities no longer pursued ------------------------------------------------
    def withdraw_priority(self, priority_id: int, reason: str,
                          withdrawn_on: date) -> dict[str, Any] | None:
        """Mark a priority as no longer pursued, and why (audited as `priority_withdrawals`
        with the priority's number); again corrects the reason or day. Returns what was
        recorded before, or None."""
        where = priority_withdrawals.c.priority_id == priority_id
        with self.begin() as conn:
            if conn.execute(select(priorities.c.id).where(
                    priorities.c.id == priority_id)).first() is None:
                raise NotFound(f"no priority {ref('priority', priority_id)}")
            row = conn.execute(select(priority_withdrawals).where(where)
                               .with_for_update()).first()
            before = dict(row._mapping) if row else None
            values = {"reason": reason, "withdrawn_on": withdrawn_on, "recorded_at": now(),
                      "author": self.actor}
            self._put_row(conn, priority_withdrawals, where, priority_id, before, values,
                          {"priority_id": priority_id})
        return before

    def reinstate_priority(self, priority_id: int, reinstated_on: date | None = None
                           ) -> dict[str, Any] | None:
        """A withdrawn priority pursued again (audited), from `reinstated_on` (kept with
        the withdrawal it undoes as a "reinstate" event: `reinstatements`); returns the
        withdrawal undone."""
        where = priority_withdrawals.c.priority_id == priority_id
        with self.begin() as conn:
            row = conn.execute(select(priority_withdrawals).where(where)).first()
            if row is None:
                return None
            conn.execute(delete(priority_withdrawals).where(where))
            self._audit(conn, "delete", priority_withdrawals.name, priority_id,
                        dict(row._mapping), None)
            if reinstated_on is not None:
                self._audit(conn, "reinstate", "priority", priority_id, None, {
                    "reinstated_on": reinstated_on.isoformat(),
                    "withdrawn_on": row.withdrawn_on.isoformat(), "reason": row.reason})
        return dict(row._mapping)

    def reinstatements(self) -> dict[int, list[dict[str, Any]]]:
        """Priority id -> each withdrawal later undone, oldest first: `withdrawn_on`,
        `reason`, `reinstated_on`, `recorded_at` (from the audit log)."""
        found: dict[int, list[dict[str, Any]]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(select(audit.c.record_id, audit.c.at, audit.c.after).where(
                    audit.c.record_type == "priority", audit.c.operation == "reinstate")
                    .order_by(audit.c.at, audit.c.id)):
                after = row.after or {}
                found.setdefault(int(row.record_id), []).append({
                    "withdrawn_on": date.fromisoformat(after["withdrawn_on"]),
                    "reason": after.get("reason"),
                    "reinstated_on": date.fromisoformat(after["reinstated_on"]),
                    "recorded_at": row.at})
        return found

    def withdrawals(self) -> dict[int, dict[str, Any]]:
        """Priority id -> its withdrawal (reason, withdrawn_on, who)."""
        with self.engine.connect() as conn:
            return {r.priority_id: dict(r._mapping)
                    for r in conn.execute(select(priority_withdrawals))}

    # -- lived-experience involvement in actions -------------------------------------
    def set_involvement(
        self, action_id: int, mode: str | None, continuity: str | None = None,
        how: str | None = None,
    ) -> dict[str, Any] | None:
        """Record how people with lived experience took part in an action (`mode` active
        or passive, `continuity` embedded or isolated, `how` in plain words), or clear it
        (`mode` None). Audited as `action_involvement` with the action's number. Returns
        what was recorded before, or None."""
        if mode is not None and (mode not in INVOLVEMENT_MODES
                                 or continuity not in INVOLVEMENT_CONTINUITY):
            raise StoreError(f"involvement is one of {', '.join(INVOLVEMENT_MODES)} and one "
                             f"of {', '.join(INVOLVEMENT_CONTINUITY)}; got {mode!r}, "
                             f"{continuity!r}")
        where = action_involvement.c.action_id == action_id
        with self.begin() as conn:
            if conn.execute(
                select(actions.c.id).where(actions.c.id == action_id)
            ).first() is None:
                raise NotFound(f"no action {ref('action', action_id)}")
            row = conn.execute(select(action_involvement).where(where).with_for_update()).first()
            before = dict(row._mapping) if row else None
            if mode is None:
                if before is not None:
                    conn.execute(delete(action_involvement).where(where))
                    self._audit(conn, "delete", action_involvement.name, action_id, before,
                                None)
                return before
            values = {"mode": mode, "continuity": continuity, "how": how or None,
                      "recorded_at": now(), "author": self.actor}
            self._put_row(conn, action_involvement, where, action_id, before, values,
                          {"action_id": action_id})
        return before

    def involvements(self) -> dict[int, dict[str, Any]]:
        """Action id -> how people with lived experience took part in it."""
        with self.engine.connect() as conn:
            return {r.action_id: dict(r._mapping)
                    for r in conn.execute(select(action_involvement))}

    def _drop_quote_choice(self, conn: Connection, insight_id: int, note_id: str) -> None:
        """Delete a quote choice, if there is one (audited)."""
        where = and_(insight_quotes.c.insight_id == insight_id,
                     insight_quotes.c.note_id == note_id)
        row = conn.execute(select(insight_quotes).where(where)).first()
        if row is not None:
            conn.execute(delete(insight_quotes).where(where))
            self._audit(conn, "delete", insight_quotes.name, f"{insight_id}->{note_id}",
                        dict(row._mapping), None)

    # -- erasure ---------------------------------------------------------------------
    def backup_to(self, target: Path) -> None:
        """Copy a SQLite database to `target` as it stands, consistent even while another
        command writes (SQLite's online backup; the journal's changes are included).
        PostgreSQL has its own tools (`pg_dump`): a StoreError says so."""
        if self.engine.dialect.name != "sqlite":
            raise StoreError("this workspace's database is PostgreSQL: back it up with "
                             "pg_dump (and restore with pg_restore), as the server's other "
                             "databases are")
        import sqlite3

        raw = self.engine.raw_connection()
        try:
            copy = sqlite3.connect(target)
            try:
                raw.driver_connection.backup(copy)  # type: ignore[union-attr]
            finally:
                copy.close()
        finally:
            raw.close()

    def purge_erased(self) -> bool:
        """Clear erased words from the database's files now, not at some later moment:
        SQLite's journal (WAL) is folded into the database (which zeroes deleted text,
        `secure_delete`) and emptied; PostgreSQL vacuums the tables notes' words live in.
        False when that could not be done (SQLite: another program has the database open;
        it is done once that program closes)."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
            return busy is not None and busy[0] == 0
        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in (notes, tags, audit, safeguarding_queue):
                    conn.exec_driver_sql(f"VACUUM {table.name}")
        except SQLAlchemyError:
            return False
        return True

    def erased_tombstones(self) -> list[tuple[str, datetime]]:
        """(tombstone id, erased at) of every erased note, oldest first: what the erasure
        register outside the database must hold."""
        query = select(notes.c.id, notes.c.erased_at).where(
            notes.c.erased_at.is_not(None)).order_by(notes.c.erased_at, notes.c.id)
        with self.engine.connect() as conn:
            return [(r.id, r.erased_at) for r in conn.execute(query)]

    def erasure_marks(self) -> tuple[dict[str, str], set[str]]:
        """The keyed marks an erasure leaves (nothing a note said): each erased note's text
        mark (tombstone -> `erased_text_mark`) and the marks of erased words
        (`erased_words`). The register keeps them, so a restored older backup that never
        held a note erased since still knows its words (`adopt_erasures`)."""
        with self.engine.connect() as conn:
            texts = {r.id: r.content_hash for r in conn.execute(
                select(notes.c.id, notes.c.content_hash).where(notes.c.erased_at.is_not(None)))
                if r.content_hash}
            words = set(conn.execute(select(erased_words.c.mark)).scalars())
        return texts, words

    def withdrawn_consents(self) -> dict[str, set[str]]:
        """Live notes' consents withdrawn and still withdrawn, by the note's tombstone id
        (keyed: the register outside the database never holds an id, which can name a
        person): a restored older backup must not quote them again."""
        key = self.secret("erasure")
        with self.engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(
                select(notes.c.id, notes.c.consent_quote, notes.c.consent_contact).where(
                    notes.c.erased_at.is_(None),
                    or_(notes.c.consent_quote.is_(False), notes.c.consent_contact.is_(False))))}
        withdrawn = self.consent_withdrawn(list(rows))
        return {self.tombstone_id(note_id, key): {c for c in columns
                                                  if not getattr(rows[note_id], c)}
                for note_id, columns in withdrawn.items()
                if any(not getattr(rows[note_id], c) for c in columns)}

    def adopt_erasures(self, register: dict[str, str], texts: dict[str, str],
                       words: set[str]) -> int:
        """In a restored database: keep erased the notes erased after its backup was made
        that it never held, as the erasure left them (a tombstone with no words and the
        keyed mark of its text), and the marks of erased words, so ingesting a file that
        still holds them says "erased, not restored" again. Returns the tombstones added."""
        stamp = now()
        added = 0
        with self.begin() as conn:
            have: set[str] = set()
            for chunk in _chunks(list(register)):
                have.update(conn.execute(select(notes.c.id).where(notes.c.id.in_(chunk)))
                            .scalars())
            for tomb, at in register.items():
                if tomb in have:
                    continue
                try:
                    when = datetime.fromisoformat(str(at).removesuffix("Z"))
                except ValueError:
                    when = stamp
                conn.execute(insert(notes).values(
                    id=tomb, text=None, content_hash=texts.get(tomb, ""), community=[],
                    consent_quote=False, consent_contact=False, labelled=False,
                    erased_at=when, created_at=when, updated_at=stamp, author="restore"))
                added += 1
            known: set[str] = set()
            for chunk in _chunks(list(words)):
                known.update(conn.execute(select(erased_words.c.mark)
                                          .where(erased_words.c.mark.in_(chunk))).scalars())
            for mark in sorted(words - known):
                conn.execute(insert(erased_words).values(mark=mark))
        return added

    def keep_withdrawals(self, withdrawn: dict[str, set[str]], keys: Sequence[bytes]) -> int:
        """In a restored database: withdraw again each consent the register says was
        withdrawn after the backup was made (`withdrawn_consents`), audited; a consent
        given back later by a person is not known here and stays withdrawn. Returns the
        notes changed."""
        if not withdrawn or not keys:
            return 0
        with self.engine.connect() as conn:
            live = list(conn.execute(select(notes.c.id).where(notes.c.erased_at.is_(None)))
                        .scalars())
        changed = 0
        for note_id in live:
            columns = set().union(*(withdrawn.get(self.tombstone_id(note_id, key), set())
                                    for key in keys))
            if columns and self.set_consent(
                    note_id, reason="withdrawn after the backup was made; kept by restore",
                    **dict.fromkeys(columns, False)):
                changed += 1
        return changed

    def erased_matcher(self, keys: Sequence[bytes]) -> Callable[[str, str], bool]:
        """Whether a quarantined row (its note id, its text) is of a note erased here,
        under any of `keys`: by its tombstone id, its text's mark or its words' mark. For
        a restore, whose backup's quarantine may hold rows of notes erased since."""
        from insight.intake import text_hash

        tombs = {tomb for tomb, _ in self.erased_tombstones()}
        texts, words = self.erasure_marks()
        text_marks = set(texts.values())

        def erased(note_id: str, text: str) -> bool:
            for key in keys:
                if note_id and self.tombstone_id(note_id, key) in tombs:
                    return True
                if text.strip() and (
                        self.erased_text_mark(text_hash(text), key) in text_marks
                        or self._words_mark(text, key) in words):
                    return True
            return False

        return erased

    #: What a restore carries from the workspace it replaces into the restored one: the
    #: reports written (which notes they quote, as keyed marks) and who erased which note,
    #: when and why (under its tombstone id). Neither holds a note's words.
    CARRIED_AUDIT = (("write", "report"), ("erase", "note"), ("create", "safeguarding"),
                     ("update", "safeguarding"), ("create", "safeguarding-dismissal"),
                     ("create", "safeguarding-followup"), ("override", "safeguarding"),
                     ("delete", "safeguarding-dismissal"),
                     ("dismiss", "quarantine-row"), ("clear", "quarantine"),
                     ("restore", "workspace"))

    def safeguarding_records(self) -> dict[str, list[dict[str, Any]]]:
        """Every queue item, false-alarm judgement and follow-up, as stored, with the notes
        they are about: what a restore carries from the workspace it replaces
        (`adopt_safeguarding`)."""
        with self.engine.connect() as conn:
            records = {name: [dict(r._mapping) for r in conn.execute(select(table))]
                       for name, table in (("items", safeguarding_queue),
                                           ("dismissals", safeguarding_dismissals),
                                           ("followups", safeguarding_followups))}
            about = sorted({item["note_id"] for item in records["items"]})
            records["notes"] = [dict(r._mapping) for chunk in _chunks(about)
                                for r in conn.execute(select(notes)
                                                      .where(notes.c.id.in_(chunk)))]
        return records

    def adopt_safeguarding(self, records: Mapping[str, Sequence[Mapping[str, Any]]]
                           ) -> tuple[int, list[str]]:
        """Bring in the safeguarding work a restored backup lacks, from the workspace it
        replaced (a descendant of the backup, so an item keeps its number): items raised,
        acknowledgements, judgements and follow-ups since the backup. A note the backup
        does not hold (ingested after it) that has an item comes with it, as it was there
        (its words and fields; not its tags, which `insight tag` gives again): a restore
        must not lose a concern. Returns (records brought in, the ids of notes brought)."""
        brought, carried_notes = 0, []
        with self.begin() as conn:
            have = {r.id: r for r in conn.execute(select(safeguarding_queue))}
            live = set(conn.execute(select(notes.c.id)).scalars())
            their_notes = {n["id"]: n for n in records.get("notes", ())}
            kept: set[int] = set(have)
            for item in records.get("items", ()):
                mine = have.get(item["id"])
                if mine is None:
                    if item["note_id"] not in live and item["note_id"] in their_notes:
                        conn.execute(insert(notes).values(**their_notes[item["note_id"]]))
                        live.add(item["note_id"])
                        carried_notes.append(str(item["note_id"]))
                    conn.execute(insert(safeguarding_queue).values(**item))
                    kept.add(item["id"])
                    brought += 1
                elif (mine.acknowledged_at, mine.acknowledged_by, mine.ack_note) != (
                        item["acknowledged_at"], item["acknowledged_by"], item["ack_note"]):
                    # the replaced workspace came after the backup: its state is the later
                    # one (acknowledged since, or opened again since)
                    conn.execute(update(safeguarding_queue)
                                 .where(safeguarding_queue.c.id == item["id"])
                                 .values(acknowledged_at=item["acknowledged_at"],
                                         acknowledged_by=item["acknowledged_by"],
                                         ack_note=item["ack_note"]))
                    brought += 1
            judged = set(conn.execute(select(safeguarding_dismissals.c.item_id)).scalars())
            theirs = {row["item_id"]: row for row in records.get("dismissals", ())}
            for item_id, row in theirs.items():
                if item_id in kept and item_id not in judged:
                    conn.execute(insert(safeguarding_dismissals).values(**row))
                    brought += 1
            undone = [i for i in judged if i not in theirs
                      and i in {item["id"] for item in records.get("items", ())}]
            if undone:  # judgements undone since the backup (an item opened again)
                conn.execute(delete(safeguarding_dismissals)
                             .where(safeguarding_dismissals.c.item_id.in_(undone)))
                brought += len(undone)
            noted = set(conn.execute(select(safeguarding_followups.c.id)).scalars())
            for row in records.get("followups", ()):
                if row["item_id"] in kept and row["id"] not in noted:
                    conn.execute(insert(safeguarding_followups).values(**row))
                    brought += 1
        return brought, carried_notes

    def carried_audit(self) -> list[dict[str, Any]]:
        """The audit entries a restore carries over (`CARRIED_AUDIT`), oldest first."""
        kinds = [and_(audit.c.operation == op, audit.c.record_type == kind)
                 for op, kind in self.CARRIED_AUDIT]
        query = select(audit).where(or_(*kinds)).order_by(audit.c.id)
        with self.engine.connect() as conn:
            return [{k: v for k, v in r._mapping.items() if k != "id"}
                    for r in conn.execute(query)]

    def adopt_audit(self, entries: Sequence[Mapping[str, Any]]) -> int:
        """Add the carried entries this database lacks (a restored backup lacks those made
        after it), as they were: their time, person and words. Returns how many."""
        have = {(e["at"], e["actor"], e["operation"], e["record_type"], e["record_id"])
                for e in self.carried_audit()}
        new = [dict(e) for e in entries
               if (e["at"], e["actor"], e["operation"], e["record_type"], e["record_id"])
               not in have]
        if new:
            with self.begin() as conn:
                conn.execute(insert(audit), new)
        return len(new)

    def live_ids_erased_as(self, tombstones: Collection[str],
                           keys: Sequence[bytes]) -> list[str]:
        """Live notes whose tombstone id under one of `keys` is in `tombstones`: notes a
        restored backup still holds that were erased after it was made."""
        wanted = set(tombstones)
        if not wanted or not keys:
            return []
        query = select(notes.c.id).where(notes.c.erased_at.is_(None)).order_by(notes.c.id)
        with self.engine.connect() as conn:
            live = list(conn.execute(query).scalars())
        return [i for i in live if any(self.tombstone_id(i, key) in wanted for key in keys)]

    def erase_notes(self, note_ids: Sequence[str], reason: str | None = None) -> int:
        """Remove text and identifying fields; keep an audited tombstone and drop links.

        The note's earlier audit entries lose the identifying fields too, so the audit log
        cannot be used to rebuild what was erased.
        """
        erased = 0
        stamp = now()
        key = self.secret("erasure")
        with self.begin() as conn:
            for note_id in note_ids:
                row = conn.execute(select(notes).where(notes.c.id == note_id)).first()
                if row is None or row.erased_at is not None:
                    continue
                before = {
                    k: v for k, v in dict(row._mapping).items() if k not in _ERASED_FROM_AUDIT
                }
                cleared = {
                    "text": None,
                    "listener": None,
                    "setting": None,
                    "place": None,
                    "community": [],
                    "heard_on": None,
                    "consent_quote": False,
                    "consent_contact": False,
                    "erased_at": stamp,
                    "updated_at": stamp,
                }
                if row.text:  # its words stay known (keyed), in any case or spacing
                    mark = self._words_mark(row.text, key)
                    if conn.execute(select(erased_words.c.mark)
                                    .where(erased_words.c.mark == mark)).first() is None:
                        conn.execute(insert(erased_words).values(mark=mark))
                conn.execute(update(notes).where(notes.c.id == note_id).values(**cleared))
                conn.execute(update(tags).where(tags.c.note_id == note_id).values(evidence=None))
                self._unlink(conn, insight_notes, insight_notes.c.note_id == note_id)
                self._scrub_note_audit(conn, note_id)
                after = {k: v for k, v in cleared.items() if k != "text"}
                after["reason"] = reason
                self._audit(conn, "erase", "note", note_id, before, after)
                self._rename_erased(conn, note_id, self.tombstone_id(note_id, key), key)
                erased += 1
        return erased

    def _rename_erased(self, conn: Connection, old: str, new: str, key: bytes) -> None:
        """Keep an erased note under its tombstone id everywhere (tags, queue, audit): the
        id a person or file gave can hold a name. Its content hash, which would confirm a
        guessed text, becomes a keyed one (`erased_text_mark`): enough to know the same
        words again under another id, never to check a guess without the workspace's key."""
        row = dict(conn.execute(select(notes).where(notes.c.id == old)).first()._mapping)
        mark = self.erased_text_mark(row["content_hash"], key) if row["content_hash"] else ""
        conn.execute(insert(notes).values(**{**row, "id": new, "content_hash": mark}))
        conn.execute(update(tags).where(tags.c.note_id == old).values(note_id=new))
        conn.execute(update(experience_confidence)
                     .where(experience_confidence.c.note_id == old).values(note_id=new))
        conn.execute(update(safeguarding_scores)
                     .where(safeguarding_scores.c.note_id == old).values(note_id=new))
        items = [
            r.id for r in conn.execute(
                select(safeguarding_queue.c.id).where(safeguarding_queue.c.note_id == old)
            )
        ]
        conn.execute(
            update(safeguarding_queue).where(safeguarding_queue.c.note_id == old)
            .values(note_id=new)
        )
        # an erased note's words are never replaced again
        conn.execute(delete(note_words_replaced).where(note_words_replaced.c.note_id == old))
        conn.execute(delete(notes).where(notes.c.id == old))

        def renamed(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: renamed(v) for k, v in value.items()}
            return new if value == old else value

        entries = conn.execute(
            select(audit.c.id, audit.c.record_type, audit.c.record_id, audit.c.before,
                   audit.c.after).where(
                or_(
                    and_(audit.c.record_type == "note", audit.c.record_id == old),
                    and_(audit.c.record_type == "tag",
                         audit.c.record_id.startswith(old + "/", autoescape=True)),
                    and_(audit.c.record_type.in_(_NOTE_LINK_TYPES),
                         audit.c.record_id.endswith("->" + old, autoescape=True)),
                    and_(audit.c.record_type == "safeguarding",
                         audit.c.record_id.in_([str(i) for i in items])),
                )
            )
        ).all()
        for entry in entries:
            record_id = entry.record_id
            if entry.record_type == "note":
                record_id = new
            elif entry.record_type == "tag":
                record_id = new + record_id[len(old):]
            elif entry.record_type in _NOTE_LINK_TYPES:
                record_id = record_id[: -len(old)] + new
            conn.execute(
                update(audit).where(audit.c.id == entry.id).values(
                    record_id=record_id, before=renamed(entry.before), after=renamed(entry.after)
                )
            )

    def _scrub_note_audit(self, conn: Connection, note_id: str,
                          only: dict[str, Any] | None = None) -> None:
        """Blank identifying fields in a note's earlier audit entries (for erasure: and the
        personal details a reason typed by hand gave, "asked again by phone, Mr Jeremiah
        Flintock-Brown 07700 900888", redacted), or, with `only` (field -> value), those
        values of those fields (contact details corrected out of a field: the log must not
        keep what the note no longer holds)."""
        query = select(audit.c.id, audit.c.before, audit.c.after).where(
            audit.c.record_type == "note", audit.c.record_id == note_id
        )

        def blanked(key: str, value: Any) -> bool:
            return key in only and value == only[key] if only is not None \
                else key in _ERASED_FROM_AUDIT and bool(value)

        def reason_redacted(key: str, value: Any) -> Any:
            if only is not None or key != "reason" or not isinstance(value, str):
                return value
            from insight.redact import redact

            return redact(value).text

        for entry in conn.execute(query).all():
            changes = {}
            for column in ("before", "after"):
                value = getattr(entry, column)
                if not isinstance(value, dict):
                    continue
                kept = {k: (None if blanked(k, v) else reason_redacted(k, v))
                        for k, v in value.items()}
                if kept != value:
                    changes[column] = kept
            if changes:
                conn.execute(update(audit).where(audit.c.id == entry.id).values(**changes))

    def note_ids_heard_before(self, day: date) -> list[str]:
        """Live notes heard before this day (a retention period's end); undated notes are
        not among them."""
        with self.engine.connect() as conn:
            return [row.id for row in conn.execute(
                select(notes.c.id).where(notes.c.erased_at.is_(None),
                                         notes.c.heard_on.is_not(None),
                                         notes.c.heard_on < day).order_by(notes.c.id))]

    def note_ids_for_listener(self, listener: str) -> list[str]:
        """Live notes by this listener, matched in any case and without outer spaces (an
        erasure request is typed by hand)."""
        wanted = listener.strip().casefold()
        return [
            note_id for note_id, name in self._live_listeners() if name.strip().casefold() == wanted
        ]

    def listeners(self) -> list[str]:
        """Distinct listeners of live notes, as written."""
        return sorted({name for _, name in self._live_listeners()})

    def close_listeners(self, listener: str) -> list[str]:
        """The listeners of live notes (as written) a mistyped one most likely meant,
        closest first, at most three: a typo must not read as "no notes" ("L-G1" for
        "L-G01")."""
        import difflib

        written = {name.strip().casefold(): name for name in self.listeners()}
        return [written[c] for c in difflib.get_close_matches(
            listener.strip().casefold(), list(written), n=3, cutoff=0.6)]

    def field_values(self, names: Iterable[str] = ("listener", "place", "setting")
                     ) -> dict[str, set[str]]:
        """The distinct values of live notes' listener, place and setting, as written: for
        intake to name a new one spelt like one of these ("Highfields, Leicester")."""
        out: dict[str, set[str]] = {}
        with self.engine.connect() as conn:
            for name in names:
                column = notes.c[name]
                out[name] = set(conn.execute(select(column).distinct().where(
                    column.is_not(None), notes.c.erased_at.is_(None))).scalars())
        return out

    def note_groups(self) -> list[dict[str, Any]]:
        """Place and community of every live note, without reading note text: enough to
        know which groups few notes come from (`rollup.small_groups`)."""
        query = select(notes.c.place, notes.c.community).where(notes.c.erased_at.is_(None))
        with self.engine.connect() as conn:
            return [
                {"place": r.place, "community": list(r.community or [])}
                for r in conn.execute(query)
            ]

    def texts_by_listener(self, listeners: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        """Live notes' (id, text) by listener, a listener in any case or outer spaces (to
        find a corrected answer stored as a second note)."""
        wanted = {name.strip().casefold() for name in listeners if name and name.strip()}
        out: dict[str, list[tuple[str, str]]] = defaultdict(list)
        if not wanted:
            return out
        query = select(notes.c.id, notes.c.listener, notes.c.text).where(
            notes.c.erased_at.is_(None),
            func.lower(func.trim(notes.c.listener)).in_(sorted(wanted)),
        )
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                out[row.listener.strip().casefold()].append((row.id, row.text))
        return out

    def _live_listeners(self) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            return [
                (r.id, r.listener)
                for r in conn.execute(
                    select(notes.c.id, notes.c.listener).where(
                        notes.c.listener.is_not(None), notes.c.erased_at.is_(None)
                    )
                )
            ]


#: What a thread record's deletion takes with it, by audited record type -> the column
#: that names the record (`Store.undelete_record` brings them back).
_OWNED_BY: dict[str, dict[str, str]] = {
    "insight": {insight_notes.name: "insight_id", priority_insights.name: "insight_id",
                insight_quotes.name: "insight_id"},
    "priority": {priority_insights.name: "priority_id", action_priorities.name: "priority_id",
                 priority_withdrawals.name: "priority_id"},
    "action": {action_priorities.name: "action_id", action_involvement.name: "action_id",
               "outcome": "action_id"},
    "outcome": {},
}
_AUDITED_TABLES: dict[str, Table] = {
    insight_notes.name: insight_notes, priority_insights.name: priority_insights,
    insight_quotes.name: insight_quotes, action_priorities.name: action_priorities,
    action_involvement.name: action_involvement, "outcome": outcomes,
    priority_withdrawals.name: priority_withdrawals,
}
#: Column -> the table it points at, for the rows `undelete_record` brings back.
_ENDS: dict[str, dict[str, Table]] = {
    insight_notes.name: {"insight_id": insights, "note_id": notes},
    priority_insights.name: {"priority_id": priorities, "insight_id": insights},
    insight_quotes.name: {"insight_id": insights, "note_id": notes},
    action_priorities.name: {"action_id": actions, "priority_id": priorities},
    action_involvement.name: {"action_id": actions},
    outcomes.name: {"action_id": actions},
    priority_withdrawals.name: {"priority_id": priorities},
}


def _from_audit(table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """A row as the audit log kept it (JSON: dates as text) back in the table's types."""
    row: dict[str, Any] = {}
    for column in table.columns:
        if column.name not in values:
            continue
        value = values[column.name]
        if isinstance(value, str) and isinstance(column.type, DateTime):
            value = datetime.fromisoformat(value)
        elif isinstance(value, str) and isinstance(column.type, Date):
            value = date.fromisoformat(value)
        row[column.name] = value
    return row


_LINKS_OF: dict[str, list[tuple[Table, str]]] = {
    "insight": [(insight_notes, "insight_id"), (priority_insights, "insight_id")],
    "priority": [(priority_insights, "priority_id"), (action_priorities, "priority_id")],
    "action": [(action_priorities, "action_id")],
    "outcome": [],
}
