"""Intake: read note files (JSONL, JSON arrays, CSV), validate each row, quarantine bad rows.

Nothing is ever silently dropped: for every file, rows read = accepted + rejected +
already present, and every rejected row is written to a quarantine JSONL file with its
line number and the reason.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

if TYPE_CHECKING:
    from insight.store import Store

EXPERIENCES = ("positive", "negative", "mixed", "neutral")
LIST_SPLIT = re.compile(r"\s*[;|]\s*")
BATCH_SIZE = 500


@dataclass(frozen=True)
class NoteRecord:
    """A validated note ready to store."""

    id: str
    text: str
    content_hash: str
    heard_on: date | None = None
    listener: str | None = None
    setting: str | None = None
    place: str | None = None
    community: tuple[str, ...] = ()
    consent_quote: bool = False
    consent_contact: bool = False
    categories: tuple[str, ...] | None = None
    safeguarding: bool | None = None
    experience: str | None = None
    source: str | None = None


def stable_note_id(text: str, heard_on: date | None, listener: str | None) -> str:
    """Same note, same id: lets a file be re-ingested without duplicates."""
    key = "\x1f".join([text, heard_on.isoformat() if heard_on else "", listener or ""])
    return "n-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _split_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in LIST_SPLIT.split(value.strip()) if part]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    raise ValueError("must be a list or a ';'-separated string")


def parse_date(value: Any) -> date | None:
    """ISO dates (2025-09-14, with or without time) or UK day-first (14/09/2025)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if len(text) > 10 and text[10] in "T ":  # a date with a time: the whole of it must parse
        try:
            return datetime.fromisoformat(text).date()
        except ValueError:
            pass
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"invalid date {text!r} (expected YYYY-MM-DD or DD/MM/YYYY)")


class NoteIn(BaseModel):
    """One incoming note row. Validation context: `categories` (ids), `max_chars`."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str | None = None
    text: str
    heard_on: date | None = None
    listener: str | None = None
    setting: str | None = None
    place: str | None = None
    community: list[str] = []
    consent_quote: bool = False
    consent_contact: bool = False
    categories: list[str] | None = None
    safeguarding: bool | None = None
    experience: Literal["positive", "negative", "mixed", "neutral"] | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_missing(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError("id must be a string")
        text = str(value).strip()
        if len(text) > 200 or any(ord(c) < 32 for c in text):
            raise ValueError("id must be at most 200 printable characters")
        return text

    @field_validator("text", mode="before")
    @classmethod
    def _text(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            raise ValueError("text is missing or empty")
        if not isinstance(value, str):
            raise ValueError("text must be a string")
        text = value.replace("\r\n", "\n").replace("\x00", "").strip()
        if not text:
            raise ValueError("text is missing or empty")
        limit = (info.context or {}).get("max_chars")
        if limit and len(text) > limit:
            raise ValueError(f"text is {len(text):,} characters, over the limit of {limit:,}")
        return text

    @field_validator("heard_on", mode="before")
    @classmethod
    def _heard_on(cls, value: Any) -> Any:
        parsed = parse_date(value)
        if parsed and parsed > datetime.now(UTC).date() + timedelta(days=1):
            raise ValueError(f"{parsed.isoformat()} is in the future")
        return parsed

    @field_validator("community", mode="before")
    @classmethod
    def _community(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("consent_quote", "consent_contact", mode="before")
    @classmethod
    def _consent(cls, value: Any) -> Any:
        # A blank cell is no consent (the default), not an invalid row.
        if value is None or (isinstance(value, str) and not value.strip()):
            return False
        return value

    @field_validator("categories", mode="before")
    @classmethod
    def _categories(cls, value: Any, info: ValidationInfo) -> Any:
        # Blank means "not labelled" (None), not "labelled with no categories" ([]): this
        # validator runs before `_blank_is_missing`, so it must say so itself.
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        found = list(dict.fromkeys(c.lower() for c in _split_list(value)))
        known = (info.context or {}).get("categories")
        if known is not None:
            unknown = [c for c in found if c not in known]
            if unknown:
                raise ValueError(
                    f"unknown category id(s): {', '.join(unknown)} (not in the codebook)"
                )
        return found

    @field_validator("experience", mode="before")
    @classmethod
    def _experience(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    def to_record(self, source: str | None = None) -> NoteRecord:
        note_id = self.id or stable_note_id(self.text, self.heard_on, self.listener)
        return NoteRecord(
            id=note_id,
            text=self.text,
            content_hash=text_hash(self.text),
            heard_on=self.heard_on,
            listener=self.listener,
            setting=self.setting,
            place=self.place,
            community=tuple(self.community),
            consent_quote=self.consent_quote,
            consent_contact=self.consent_contact,
            categories=tuple(self.categories) if self.categories is not None else None,
            safeguarding=self.safeguarding,
            experience=self.experience,
            source=source,
        )


def explain(error: ValidationError) -> str:
    """One readable line per problem, e.g. `heard_on: invalid date '31/02/2025' ...`."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "row"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is missing"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


# -- reading files -------------------------------------------------------------------


class FileRejected(ValueError):
    """The whole file cannot be read (binary, empty, unknown encoding, no text column)."""


@dataclass
class RawRow:
    line: int
    data: dict[str, Any] | None
    error: str | None = None
    raw: str | None = None


_LATIN_ENCODINGS = {"cp1252", "latin_1", "iso8859_15", "iso8859_1", "cp1250", "mac_roman"}
#: UTF-8 byte sequences for accented letters, £, é, curly quotes, dashes and € that read as
#: mojibake ("Ã©", "â€™") in Windows-1252: a file that has them is partly UTF-8.
_UTF8_INSIDE = re.compile(rb"\xc2[\xa0-\xbf]|\xc3[\x80-\xbf]|\xe2\x80[\x90-\xbf]|\xe2\x82\xac")
#: Four or more non-ASCII characters in a row: Cyrillic, Greek, CJK... read in a Western
#: code page, not English or European words with an accent or a pound sign here and there.
_FOREIGN_RUN = re.compile(r"[^\x00-\x7f\s]{4,}")
_UNKNOWN_ENCODING = (
    "not UTF-8 and the encoding could not be identified reliably ({why}); "
    "save the file as UTF-8 and try again"
)


def _western_problem(text: str) -> str | None:
    """Why text decoded with a Western code page does not read as such, or None."""
    controls = sum(
        1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f"
    )
    if controls:
        return f"{controls} control characters"
    if run := _FOREIGN_RUN.search(text):
        return f"it reads as {run.group()[:12]!r}"
    visible = [c for c in text if not c.isspace()]
    foreign = sum(1 for c in visible if ord(c) > 127)
    if visible and foreign / len(visible) > 0.3:
        return f"{foreign} of {len(visible)} characters are not plain ASCII"
    return None


def decode(raw: bytes) -> tuple[str, str | None]:
    """Bytes to text: UTF-8 (BOM tolerated), else a Western European (Latin) encoding
    when the text reads as one; anything else is rejected rather than guessed."""
    if not raw.strip():
        raise FileRejected("file is empty")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileRejected("file claims UTF-16 but cannot be decoded") from exc
        if not text.strip():
            raise FileRejected("file is empty")
        return text, "converted from UTF-16"
    if b"\x00" in raw[:8192]:
        raise FileRejected("looks like a binary file, not CSV or JSONL text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        if not text.strip():
            raise FileRejected("file is empty")
        return text, None
    # Not UTF-8. Windows-1252 decodes almost any bytes, so it is only accepted when the
    # result reads as English/Western European text; otherwise reject, never guess.
    if _UTF8_INSIDE.search(raw):
        raise FileRejected(
            _UNKNOWN_ENCODING.format(why="it mixes UTF-8 with another encoding")
        )
    try:
        text = raw.decode("cp1252")
        encoding = "Windows-1252 (cp1252)"
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        if best is None or best.encoding not in _LATIN_ENCODINGS:
            guess = f"perhaps {best.encoding}" if best is not None else "no likely encoding"
            raise FileRejected(_UNKNOWN_ENCODING.format(why=guess)) from None
        text, encoding = str(best), best.encoding
    if why := _western_problem(text):
        raise FileRejected(_UNKNOWN_ENCODING.format(why=f"not {encoding}: {why}"))
    return text, f"not UTF-8: decoded as {encoding} and converted"


def _detect_format(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "json"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    return "json" if text.lstrip()[:1] in ("{", "[") else "csv"


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _json_rows(text: str) -> Iterator[RawRow]:
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise FileRejected(f"a JSON array that is not valid JSON: {exc}") from exc
        for index, item in enumerate(items, start=1):
            if isinstance(item, dict):
                yield RawRow(index, item)
            else:
                yield RawRow(index, None, "record is not a JSON object", json.dumps(item))
        return
    # Only CR/LF end a line: str.splitlines() would also split inside JSON strings at
    # U+2028, U+2029 or U+0085, which JSON allows unescaped (pasted text often has them).
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RawRow(number, None, f"malformed JSON: {exc.msg} (column {exc.colno})", line)
            continue
        if isinstance(item, dict):
            yield RawRow(number, item)
        else:
            yield RawRow(number, None, "line is not a JSON object", line)


def header_key(name: str) -> str:
    """A column name as matched: lower case, runs of spaces as `_` ("Note Text" = note_text)."""
    return re.sub(r"\s+", "_", name.strip().lower())


def _csv_rows(
    text: str, path: Path, text_col: str = "text", normalise_headers: bool = True
) -> Iterator[RawRow]:
    first_line = text.split("\n", 1)[0]
    if path.suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise FileRejected("file is empty") from exc
    except csv.Error as exc:
        raise FileRejected(f"cannot read the CSV header: {exc}") from exc
    keys = [header_key(h) if normalise_headers else h.strip() for h in header]
    if header_key(text_col) not in {header_key(k) for k in keys}:
        raise FileRejected(f"no '{text_col}' column; the columns are: {', '.join(header)}")
    repeated = sorted({k for k in keys if k and keys.count(k) > 1})
    if repeated:  # a dict per row would silently keep only the last of them
        raise FileRejected(f"column names appear more than once: {', '.join(repeated)}")
    previous_end = reader.line_num
    while True:
        start = previous_end + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            previous_end = reader.line_num
            yield RawRow(start, None, f"unreadable CSV row: {exc}")
            continue
        previous_end = reader.line_num
        if not values or all(not v.strip() for v in values):
            continue
        raw = delimiter.join(values)
        if len(values) != len(keys):
            yield RawRow(
                start, None, f"row has {len(values)} fields but the header has {len(keys)}", raw
            )
            continue
        yield RawRow(start, dict(zip(keys, values, strict=True)), raw=raw)


SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")


def read_rows(
    path: Path, text_col: str = "text", normalise_headers: bool = True
) -> tuple[Iterator[RawRow], list[str]]:
    """Rows of a note file plus warnings; raises `FileRejected` for unreadable files.

    CSV headers are normalised (lower case, spaces to `_`) unless `normalise_headers` is
    False (column names that are label names); JSON keys are kept as given.
    """
    if not path.is_file():
        raise FileRejected("no such file")
    if path.suffix.lower() in SPREADSHEETS:
        raise FileRejected("spreadsheet files are not read; save the sheet as CSV (UTF-8)")
    text, warning = decode(path.read_bytes())
    warnings = [warning] if warning else []
    if _detect_format(path, text) == "json":
        return _json_rows(text), warnings
    return _csv_rows(text, path, text_col, normalise_headers), warnings


def read_texts(
    path: str | Path, *, id_col: str = "id", text_col: str = "text"
) -> tuple[list[str], list[str]]:
    """Ids and texts of every row, in order, for stateless commands (classify, redact).

    A row without an id gets its row number; a row without text gets "" so output stays
    one line per input row. Unreadable rows raise `FileRejected` naming the line.
    """
    rows, _ = read_rows(Path(path), text_col=text_col)
    id_key, text_key = id_col, text_col
    ids: list[str] = []
    texts: list[str] = []
    for number, row in enumerate(rows, start=1):
        if row.data is None:
            raise FileRejected(f"line {row.line}: {row.error}")
        data = row.data
        if not isinstance(data.get(text_key, data.get(header_key(text_key))), str | None):
            raise FileRejected(f"line {row.line}: '{text_col}' is not text")
        value = data.get(text_key, data.get(header_key(text_key))) or ""
        identifier = data.get(id_key, data.get(header_key(id_key)))
        ids.append(str(identifier) if identifier not in (None, "") else str(number))
        texts.append(value)
    return ids, texts


# -- ingest ---------------------------------------------------------------------------


@dataclass
class FileReport:
    path: str
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    already_present: int = 0
    file_error: str | None = None
    warnings: list[str] = field(default_factory=list)
    quarantine: str | None = None
    flagged: int = 0

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.accepted + self.rejected + self.already_present


class _Quarantine:
    """Opened lazily: a clean file leaves no quarantine file behind."""

    def __init__(self, folder: Path, source: Path) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        self.path = folder / f"{source.name}.{stamp}.jsonl"
        self.source = source
        self._handle: io.TextIOWrapper | None = None

    def add(self, line: int, reason: str, row: Any) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        record = {"file": str(self.source), "line": line, "reason": reason, "row": row}
        self._handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._handle.flush()

    def close(self) -> str | None:
        if self._handle is None:
            return None
        self._handle.close()
        return str(self.path)


def ingest_file(
    store: Store,
    path: str | Path,
    *,
    category_ids: Sequence[str] | None,
    quarantine_dir: Path,
    max_chars: int = 20_000,
    screen: Callable[[str], str | None] | None = None,
    batch_size: int = BATCH_SIZE,
    on_rows: Callable[[int], None] | None = None,
) -> FileReport:
    """Validate and store one file in batched transactions; idempotent on re-run.

    `screen` (optional) returns a reason when a note's text needs a safeguarding look,
    so flagging never waits for tagging.
    """
    source = Path(path)
    report = FileReport(path=str(source))
    quarantine = _Quarantine(quarantine_dir, source)
    context = {"categories": set(category_ids) if category_ids is not None else None,
               "max_chars": max_chars}
    try:
        rows, report.warnings = read_rows(source)
        seen: dict[str, int] = {}
        pending: list[tuple[int, NoteRecord, dict[str, Any]]] = []
        for row in rows:
            report.rows_read += 1
            if row.data is None:
                report.rejected += 1
                quarantine.add(row.line, row.error or "unreadable row", row.raw)
                continue
            try:
                note = NoteIn.model_validate(row.data, context=context)
            except ValidationError as exc:
                report.rejected += 1
                quarantine.add(row.line, explain(exc), row.data)
                continue
            record = note.to_record(source=source.name)
            if record.id in seen:
                report.rejected += 1
                quarantine.add(
                    row.line, f"duplicate id {record.id!r} (first on line {seen[record.id]})",
                    row.data,
                )
                continue
            seen[record.id] = row.line
            pending.append((row.line, record, row.data))
            if len(pending) >= batch_size:
                _store_batch(store, pending, report, quarantine, screen)
                pending = []
                if on_rows:
                    on_rows(report.rows_read)
        _store_batch(store, pending, report, quarantine, screen)
        if on_rows:
            on_rows(report.rows_read)
    except FileRejected as exc:
        report.file_error = str(exc)
        quarantine.add(0, f"file rejected: {exc}", None)
    finally:
        report.quarantine = quarantine.close()
    return report


def _store_batch(
    store: Store,
    pending: list[tuple[int, NoteRecord, dict[str, Any]]],
    report: FileReport,
    quarantine: _Quarantine,
    screen: Callable[[str], str | None] | None,
) -> None:
    if not pending:
        return
    existing = store.existing_notes(record.id for _, record, _ in pending)
    new: list[NoteRecord] = []
    for line, record, data in pending:
        if record.id not in existing:
            new.append(record)
        elif existing[record.id] == record.content_hash:
            report.already_present += 1
        else:
            report.rejected += 1
            quarantine.add(
                line, f"id {record.id!r} already present with different text", data
            )
    flags = {}
    if screen is not None:
        for record in new:
            if not record.safeguarding and (reason := screen(record.text)):
                flags[record.id] = reason
    store.add_notes(new, flags=flags)
    report.accepted += len(new)
    report.flagged += sum(1 for r in new if r.safeguarding) + len(flags)
