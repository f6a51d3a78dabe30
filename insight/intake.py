"""Intake: read note files (JSONL, JSON arrays, CSV), validate each row, quarantine bad rows.

Nothing is ever silently dropped: for every file, rows read = accepted + rejected +
already present, and every rejected row is written to a quarantine JSONL file with its
line number and the reason.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import itertools
import json
import os
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from insight.codebook import category_key, category_lookup

if TYPE_CHECKING:
    from insight.store import Store

EXPERIENCES = ("positive", "negative", "mixed", "neutral")
#: Other words for the four experiences, as spreadsheets and feedback tools write them
#: (a "Sentiment" column of Good / Bad / Mixed).
_EXPERIENCE_WORDS = {
    "pos": "positive", "good": "positive", "great": "positive", "praise": "positive",
    "compliment": "positive", "happy": "positive", "satisfied": "positive",
    "neg": "negative", "bad": "negative", "poor": "negative", "complaint": "negative",
    "unhappy": "negative", "dissatisfied": "negative", "both": "mixed", "mix": "mixed",
    "neither": "neutral", "ok": "neutral", "okay": "neutral",
}


def experience_word(value: Any) -> Any:
    """One of `EXPERIENCES` for a cell that says it in other words ("Good", " NEG "), the
    lower-cased cell otherwise (left for the caller to accept or reject), or the value
    itself when it is not text."""
    if not isinstance(value, str):
        return value
    word = value.strip().lower()
    return _EXPERIENCE_WORDS.get(word, word)


#: Fields a re-ingested row may fill in on a stored note that has none (a column named
#: with `--column` only the second time): never changed once given.
INTAKE_FILLABLE = ("heard_on", "listener", "setting", "place", "community", "experience")
#: Columns a file to fix from `insight quarantine export` adds after a row's cells (what
#: was wrong, where the row first was): read past without a warning.
FIX_COLUMNS = ("problem", "quarantined_from")
#: The column of a file to fix that holds a line intake could not read as cells (a broken
#: JSON line), as written: corrected there, it is read as that line (`_raw_read`).
RAW_COLUMN = "raw"
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


def note_text(value: str) -> str:
    """A note's words as a note stores them (`NoteIn`): Windows line breaks ("\r\n") as
    "\n", no NUL, no outer spaces. Its `text_hash` is the stored note's `content_hash`."""
    return value.replace("\r\n", "\n").replace("\x00", "").strip()


def text_hashes(text: str) -> set[str]:
    """The `text_hash`es a stored note with a row's words may have, to find it by them
    (`Store.ids_with_text`, `Store.erased_texts`): as written, without outer spaces, as a
    note stores them (`note_text`: a row read with "\r\n" inside is stored with "\n"),
    with every line break as "\n" (a file to fix that went through a workbook, whose cells
    keep no "\r"), or with runs of spaces as one (a row ingest found a duplicate of an
    earlier row but for a space more or less)."""
    stored = note_text(text)
    return {text_hash(form) for form in (text, text.strip(), stored,
                                         stored.replace("\r", "\n"), " ".join(text.split()))}


#: A string in a JSON line, quotes and escapes included (`json.loads` reads it)
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
#: A key's string value in a line that is not JSON, as an old or buggy app writes it: in
#: single quotes (`{'text': 'the GP was kind'}`), or with quote marks left unescaped
#: inside (`"text":"she said "I'll be 40"",`): up to the quote before the next key or the
#: closing brace.
_LOOSE_VALUE = re.compile(
    r"""(?P<q>["'])[^"'{}:]+(?P=q)\s*:\s*(?P=q)(?P<value>.*?)(?P=q)\s*"""
    r"""(?=,\s*["'][^"'{}:]+["']\s*:|,?\s*}\s*$)""", re.DOTALL)


def raw_row_texts(raw: str, longest: int = 60) -> set[str]:
    """What a note's words may be in a row intake could not read as cells (a broken JSON
    line, a CSV row of the wrong width): a JSON line's strings, unescaped, or every run of
    a row's pieces joined back (the words can hold the delimiter), so that a note stored
    with them is found."""
    if raw.lstrip()[:1] in ("{", "["):
        found = set()
        for literal in _JSON_STRING.findall(raw):
            try:
                found.add(json.loads(literal).strip())
            except ValueError:  # cut off inside an escape
                continue
        for match in _LOOSE_VALUE.finditer(raw.strip()):
            value = match.group("value")
            found.add(value.strip())
            try:  # its escapes read ("\\n"), where they can be
                found.add(json.loads(f'"{value}"').strip())
            except ValueError:
                continue
        return found - {""}
    sep = max(",;\t|", key=raw.count)
    pieces = raw.split(sep)[:longest]
    return {text for i in range(len(pieces)) for j in range(i + 1, len(pieces) + 1)
            if (text := sep.join(pieces[i:j]).strip())}


#: A key and its value in a JSON line that is not JSON: a string in double or single
#: quotes, or a bare true, false, null or number (`"safeguarding": true`).
_LOOSE_PAIR = re.compile(
    r"""(?P<q>["'])(?P<key>[^"'{}:\n]+)(?P=q)\s*:\s*(?:"(?P<double>(?:[^"\\]|\\.)*)"|"""
    r"""'(?P<single>(?:[^'\\]|\\.)*)'|(?P<bare>true|false|null|-?\d+(?:\.\d+)?)\b)""",
    re.IGNORECASE)


def raw_json_cells(raw: str) -> dict[str, Any]:
    """The keys and values that can still be told in a JSON line that is not JSON (a
    trailing comma, a missing brace), the first of each key: a `"safeguarding": "yes"` in
    a line intake could not read must still reach a person. {} for a line not JSON-like."""
    if raw.lstrip()[:1] not in ("{", "["):
        return {}
    cells: dict[str, Any] = {}
    for match in _LOOSE_PAIR.finditer(raw):
        value: Any
        if (bare := match.group("bare")) is not None:
            value = json.loads(bare.lower())
        else:
            value = match.group("double")
            if value is None:
                value = match.group("single")
            else:
                try:  # its escapes read ("\\n"), where they can be
                    value = json.loads(f'"{value}"')
                except ValueError:
                    pass
        cells.setdefault(match.group("key").strip(), value)
    return cells


def raw_line(row: Any) -> str | None:
    """The line as written of a quarantined row intake could not read as cells: the row
    itself, or (a row of a file to fix still unread) its `raw` cell; None for a row read
    as cells, or one whose words a person has put in its `text` cell."""
    if isinstance(row, str):
        return row
    if not isinstance(row, dict) or not isinstance(raw := row.get(RAW_COLUMN), str):
        return None
    text = row.get("text")
    return raw if raw.strip() and not (isinstance(text, str) and text.strip()) else None


#: In the quarantine folder: a keyed mark of each dismissed row's cells, one a line
#: (`insight.quarantine.dismiss`), so that the same row in a later cumulative export is
#: dismissed too: no cells are kept.
DISMISSED = "dismissed.txt"


def row_key(row: Any) -> str:
    """A quarantined row's cells as one string, the same as written or read back."""
    return json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)


def dismissed_mark(row: Any, key: bytes) -> str:
    """A dismissed row's mark: a keyed hash of its cells (`row_key`), never the cells."""
    import hmac

    return hmac.new(key, row_key(row).encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def dismissed_marks(folders: Iterable[Path]) -> set[str]:
    """The marks of the rows a person dismissed, in these quarantine folders."""
    marks: set[str] = set()
    for folder in folders:
        if (path := folder / DISMISSED).is_file():
            marks.update(m for line in path.read_text(encoding="utf-8").splitlines()
                         if (m := line.strip()))
    return marks


def group_key(name: str) -> str:
    """A listener's, place's, setting's or community's name as counted: case and accents
    set aside ("Café" = "cafe")."""
    return without_accents(name.casefold())


def without_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


def words_key(text: str) -> str:
    """A note's words without case, spacing or punctuation: "Waited a YEAR  for help" and
    "waited a year for help." have the same key (an erased note's words must not come
    back with a space or a full stop changed)."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def _is_blank(text: str) -> bool:
    """Nothing visible: spaces and invisible format characters (zero-width space, zero-width
    joiners, word joiner, a stray BOM, soft hyphen...) only."""
    return all(c.isspace() or unicodedata.category(c) == "Cf" for c in text)


def _nfc(value: Any) -> Any:
    """Strings (also inside lists and as keys) in Unicode NFC, so "é" typed as e + accent
    is the same note, id and hash as "é" typed as one character."""
    if isinstance(value, str):
        return value if unicodedata.is_normalized("NFC", value) else (
            unicodedata.normalize("NFC", value)
        )
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {_nfc(k): _nfc(v) for k, v in value.items()}
    return value


#: Cells and names longer than this are not quoted in messages: they may be a note.
SHOWN_CHARS = 30


_DATE_WORD = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun|"
    r"today|yesterday|last|next|week|month|year)", re.IGNORECASE,
)


def shown_date(value: str) -> str:
    """A value that failed as a date, for a message: shown when it reads as a try at a
    date ("31/02/2025", "last Tuesday"), else only its length ("Tom Jones suicidal")."""
    if re.search(r"\d", value) or _DATE_WORD.search(value):
        return shown_cell(value)
    return f"<{len(value)} characters>"


def shown_cell(value: str, quote: bool = True, answer: bool = False) -> str:
    """A cell or column name for a message: itself if short (a name), with any personal data
    in it redacted ("yes [EMAIL]": messages reach terminals and logs), else only its length
    (it may be a note). The one way a message shows a cell. A cell with a name in it is
    not shown at all: the words beside a name are often the rest of it ("bartholomew
    quince", in lower case, redacts to "[PERSON] quince").

    `answer`: a yes/no column's cell, which is a phrase more often than a name ("Happy
    for you to use it"): shown up to `SHOWN_CHARS` in any number of words when it holds no
    personal data at all, as the person fixing it must see what was not read."""
    if len(value) <= SHOWN_CHARS and (len(value.split()) <= 3 or answer):
        from insight.redact import redact  # loads its word lists on first use only

        redacted = redact(value)
        if any(span.type == "PERSON" for span in redacted.spans):
            return f"<{len(value)} characters, with a name>"
        if len(value.split()) <= 3 or not redacted.spans:
            return repr(redacted.text) if quote else redacted.text
    return f"<{len(value)} characters>"


def _category_items(value: Any, context: Mapping[str, Any]) -> list[str]:
    """A categories cell's items as written, lower case, each once (a name holding the
    list separator, when the codebook has it, stays one item)."""
    known = context.get("categories")
    return list(dict.fromkeys(c.lower() for c in _split_list(
        value, context.get("list_sep"),
        None if known is None else (lambda item: category_key(item) in known))))


def unknown_categories(value: Any, context: Mapping[str, Any]) -> list[str]:
    """The items of a categories cell the codebook (`context["categories"]`, as
    `category_lookup` gives it) does not have: for the tally of labels to correct."""
    known = context.get("categories")
    if known is None or not isinstance(value, str | list):
        return []
    return [c for c in _category_items(value, context) if category_key(c) not in known]


def category_hint(value: str, lookup: Mapping[str, str]) -> str | None:
    close = difflib.get_close_matches(category_key(value), list(lookup), n=1, cutoff=0.75)
    return lookup[close[0]] if close else None


def _split_list(value: Any, sep: str | None = None,
                known: Callable[[str], bool] | None = None) -> list[str]:
    """A list cell's items: split at ";" or "|", and at `sep` too where given (a form's
    several choices joined with commas: `--list-sep ,`). Where `known` says an item
    holding `sep` is one choice ("Housing, homelessness" a category's name), it stays one."""
    if value is None:
        return []
    if isinstance(value, str):
        parts = LIST_SPLIT.split(value.strip())
        if sep:
            parts = [p for part in parts for p in _split_at(part, sep, known)]
        return [part.strip() for part in parts if not _is_blank(part)]
    if isinstance(value, list | tuple):
        items = []
        for position, item in enumerate(value, start=1):
            if item is None:  # JSON null: nothing there, never the word "None"
                continue
            if not isinstance(item, str):
                kind = "a number" if isinstance(item, int | float) and not isinstance(
                    item, bool
                ) else f"a JSON {type(item).__name__}"
                raise ValueError(f"item {position} is {kind}; list items must be text")
            if not _is_blank(item):
                items.append(item.strip())
        return items
    raise ValueError("must be a list or a ';'-separated string")


def _split_at(part: str, sep: str, known: Callable[[str], bool] | None) -> list[str]:
    """`part` split at `sep`, but the longest run of pieces `known` accepts joined."""
    pieces = part.split(sep)
    if known is None or len(pieces) == 1:
        return pieces
    items: list[str] = []
    start = 0
    while start < len(pieces):
        end = next((j for j in range(len(pieces), start + 1, -1)
                    if known(sep.join(pieces[start:j]).strip())), start + 1)
        items.append(sep.join(pieces[start:end]))
        start = end
    return items


_DAY_FIRST = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_MONTH_FIRST = ("%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y")
#: Year first is never month last: a Google Forms download writes "2025/03/14 10:22:31 pm
#: GMT", East Asian and Scandinavian settings 2025.03.14 (read with or without a time).
_YEAR_FIRST = ("%Y/%m/%d", "%Y.%m.%d", "%Y-%m-%d")
_DATE_PATTERNS = (
    "%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y",
    "%B %d %Y", "%d-%b-%y", "%d %b %y", "%d-%B-%Y", "%A %d %B %Y", "%a %d %b %Y",
)
#: "7th May 2025", "the 1st of June 2025": the ordinal's letters and "of" go before parsing
_ORDINAL_DAY = re.compile(r"^(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\b(?:\s+of)?", re.IGNORECASE)
_TIMES = ("%H:%M", "%H:%M:%S", "%H:%M:%S.%f", "%I:%M %p", "%I:%M:%S %p")
#: A time zone after a time ("10:23:45 GMT+1", "23:30 UTC", "10:23:45+01:00"): dropped, as
#: only the date as written is kept.
_ZONE = re.compile(
    r"(\d:\d\d(?::\d\d(?:\.\d+)?)?(?:\s*[ap]\.?m\.?)?)\s*"
    r"(?:(?:gmt|utc|z)\s*(?:[+-]\d{1,2}(?::?\d\d)?)?|[+-]\d\d:?\d\d)$",
    re.IGNORECASE,
)
#: Days since 1899-12-30 as a spreadsheet stores a date (46351 = 2026-11-25): 1954..2119.
_SERIAL = re.compile(r"[2-7]\d{4}(?:\.\d+)?")
_SHORT_YEAR = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2})")
#: A date written with numbers only, day and month in either order (14/06/2025, 6/14/25).
_NUMERIC_DATE = re.compile(r"\s*(\d{1,2})([/.-])(\d{1,2})\2\d{2}(?:\d{2})?(?!\d)")
_EARLIEST_NOTE = date(1990, 1, 1)
#: A date's parts as written, whether or not they make a day: ISO, numeric with a year of
#: four digits or two (day and month in either order) and with the month named.
_ISO_PARTS = re.compile(r"(\d{4})([/.-])(\d{1,2})\2(\d{1,2})(?:[ T].*)?")
_NUMERIC_PARTS = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T].*)?")
_NAMED_PARTS = re.compile(r"(\d{1,2})[ -]([A-Za-z]+)[ -](\d{4})|([A-Za-z]+) (\d{1,2}),? (\d{4})")


def _not_a_day(text: str, month_first: bool) -> str | None:
    """Why a date written in a right format names no day ("31/02/2026 is not a day:
    February 2026 has 28 days"), or None where it is not such a date."""
    import calendar

    months = {name.lower(): number for names in (calendar.month_name, calendar.month_abbr)
              for number, name in enumerate(names) if name}
    if (iso := _ISO_PARTS.fullmatch(text)) is not None:
        year, month, day = (int(iso.group(i)) for i in (1, 3, 4))
    elif (numeric := _NUMERIC_PARTS.fullmatch(text)) is not None:
        day, month, year = (int(numeric.group(i)) for i in (1, 3, 4))
        if month_first:
            day, month = month, day
        if len(numeric.group(4)) == 2:
            year += 2000 if 2000 + year <= date.today().year else 1900
    elif (named := _NAMED_PARTS.fullmatch(text)) is not None:
        day_, name, year_ = (named.group(1, 2, 3) if named.group(1)
                             else named.group(5, 4, 6))
        if name.lower() not in months:
            return None
        day, month, year = int(day_), months[name.lower()], int(year_)
    else:
        return None
    if not 1 <= month <= 12:
        order = "month first: MM/DD/YYYY" if month_first else "day first: DD/MM/YYYY"
        return (f"{shown_date(text)} is not a day: there is no month {month} (dates "
                f"in numbers are read {order})" if not _ISO_PARTS.fullmatch(text)
                else f"{shown_date(text)} is not a day: there is no month {month}")
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return (f"{shown_date(text)} is not a day: {calendar.month_name[month]} {year} has "
                f"{days} days")
    return None


def parse_date(value: Any, month_first: bool = False) -> date | None:
    """ISO dates (2025-09-14, with or without time), UK day-first (14/09/2025, also with a
    time as spreadsheets save it: 14/09/2025 00:00, or with a two-digit year: 14/09/25 is
    2025), 14 Sep 2025 or Sep 14, 2025. A time zone after a time is dropped (the date is
    kept as written). `month_first`: numeric dates are US month-first (09/14/2025), for a
    column that `date_order_lines` found to be written so."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = typed = str(value).strip()
    if _SERIAL.fullmatch(text):
        raise ValueError(
            f"{text!r} looks like a spreadsheet date serial number, not a date: format the "
            "column as a date (DD/MM/YYYY) and save again"
        )
    text = _ZONE.sub(r"\1", text)
    text = _ORDINAL_DAY.sub(r"\1", text)
    if len(text) > 10 and text[10] in "T ":  # a date with a time: the whole of it must parse
        try:
            return datetime.fromisoformat(text).date()
        except ValueError:
            pass
    numeric = _MONTH_FIRST if month_first else _DAY_FIRST
    patterns = (*_DATE_PATTERNS, *_YEAR_FIRST, *numeric)
    if " " in text or "T" in text:  # with a time, e.g. 25/11/2026 00:00
        patterns += tuple(f"{d}{sep}{t}" for d in (*_YEAR_FIRST, *numeric)
                          for sep in " T" for t in _TIMES)
    for pattern in patterns:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    order = "MM/DD" if month_first else "DD/MM"
    if (short := _SHORT_YEAR.fullmatch(text)) is not None:
        # DD/MM/YY as UK spreadsheets show it: this century's, unless that is still to come
        day, month, year = (int(short.group(i)) for i in (1, 3, 4))
        if month_first:
            day, month = month, day
        century = 2000 if 2000 + year <= date.today().year else 1900
        try:
            return date(century + year, month, day)
        except ValueError:
            raise ValueError(_not_a_day(text, month_first) or
                             f"invalid date {shown_date(text)} (expected {order}/YY or "
                             f"{order}/YYYY)") from None
    if (why := _not_a_day(text, month_first)) is not None:  # the format is right, the day not
        raise ValueError(why)
    for pattern, written in (("%d %B", "{} {}"), ("%d %b", "{} {}"), ("%B %d", "{}, {}"),
                             ("%b %d", "{}, {}")):
        try:  # "1st October": a day and a month, but which year?
            datetime.strptime(text, pattern)
        except ValueError:
            continue
        raise ValueError(f"date {shown_date(typed)} has no year: give it with one (e.g. "
                         f"{written.format(text, date.today().year)!r} or YYYY-MM-DD)")
    # only a short value is shown: a note pasted into the date column must not be echoed
    raise ValueError(
        f"invalid date {shown_date(typed)} (expected YYYY-MM-DD, {order}/YYYY or {order}/YY)"
    )


#: How numeric dates (03/04/2025) are read: from the column (`DateOrder`), or as given.
DATE_ORDERS = ("auto", "day-first", "month-first")
# a time as form tools write it: on a 12-hour clock ("10:23 AM") or to the second ("10:22:01")
_TOOL_TIME = re.compile(r"\d\s*[ap]\.?m\.?\b|\d:\d\d:\d\d", re.IGNORECASE)
# a 12-hour time with its minutes, as US-locale tools write timestamps ("2:03 PM"); tools set
# to UK English write a 24-hour clock ("14:03:11")
_TWELVE_HOUR = re.compile(r"\d:\d\d(?::\d\d)?\s*[ap]\.?m\.?(?!\w)", re.IGNORECASE)


class DateOrder(NamedTuple):
    """What a date column says of its day/month order: the lines of the first date that
    can only be month first (06/14/2025, as US form tools write dates) and of the first
    that can only be day first (14/06/2025), how many can only be month first, and whether
    the dates carry times as a form tool writes them (`_TOOL_TIME`: "10:23 AM",
    "10:22:01"), so were written by a machine, which does not slip."""

    month: int | None
    day: int | None
    month_only: int
    by_a_tool: bool
    #: the line of the first date, when every date of the column carries a 12-hour time
    #: with its minutes ("11/03/2026 2:03 PM"): a US-locale tool's timestamps
    us_clock: int | None = None

    @property
    def month_first(self) -> bool:
        """Read month first only on clear evidence: no date that must be day first, and
        more than one that must be month first, or dates a form tool wrote, or every date
        stamped on a US tool's 12-hour clock (a column of 1st-12th dates gives no date that
        must be month first). One US-looking date a person typed among UK ones is more
        likely a slip than a US column, and a column read the wrong way stores every
        ambiguous date (03/04) wrong, which ingesting again cannot mend."""
        return bool(not self.day and (
            (self.month and (self.month_only > 1 or self.by_a_tool)) or self.us_clock))


def date_order(dates: Iterable[tuple[int, Any]]) -> DateOrder:
    """A column's `DateOrder`. Dates are ordered per column, never per cell, so 03/06/2025
    is the same day on every row. `dates`: (line, value) pairs."""
    month = day = first = None
    month_only = 0
    by_a_tool = False
    every_us_clock = True
    for line, value in dates:
        if not isinstance(value, str) or (found := _NUMERIC_DATE.match(value)) is None:
            continue
        first = first if first is not None else line
        by_a_tool = by_a_tool or bool(_TOOL_TIME.search(value))
        every_us_clock = every_us_clock and bool(_TWELVE_HOUR.search(value))
        one, two = int(found.group(1)), int(found.group(3))
        if one <= 12 < two <= 31:
            month_only += 1
            month = month if month is not None else line
        elif two <= 12 < one <= 31 and day is None:
            day = line
    return DateOrder(month, day, month_only, by_a_tool,
                     first if first is not None and every_us_clock else None)


_ACCEPTED_BOOLEANS = "accepted: yes/no, y/n, true/false, 1/0"
# yes/no answers, after strip and lower case (also 0/1 label columns in training data)
TRUE_VALUES = frozenset({"yes", "y", "true", "1", "1.0"})
FALSE_VALUES = frozenset({"no", "n", "false", "0", "0.0"})
#: Ticks people put in a spreadsheet's label columns, read as 1 (with the yes values).
TICKS = frozenset({"x", "✓", "✔", "☑", "tick", "ticked"})


#: The yes or no a free answer starts with, matched on the answer in lower case: "Yes -
#: said she has stopped eating", "Y (see note)", "Happy to be quoted", "Happy for you to use
#: it"; "No concerns", "None noted", "N/A", "Not that I noticed", "Prefer not to say".
# (also a web form's ticked box, "on"; and yes and no as volunteers write them in a
# community's own language: Polish tak/nie, Urdu and Punjabi haan/nahin, Portuguese sim/não,
# Spanish sí/no, Romanian da/nu, Arabic na'am/la. "La" is a no only for a consent: a
# safeguarding "LA" may be the local authority, so it is not a clear no, `_NOTHING_MORE`)
_YES_HEAD = re.compile(r"(?:yes|yeah|yep|y|true|1|happy to|happy for|agreed|agrees|agree|"
                       r"consented|consents|consent given|verbal consent|written consent|given|"
                       r"ok|okay|sure|on|tak|haan|han|sim|sí|si|da|na'am|naam|✓|✔|☑)(?!\w)")
_NO_HEAD = re.compile(
    r"(?:no|nope|nah|none|nothing|nil|n/a|na|n|false|0|not applicable|not at all|"
    r"not that i|not aware|prefer not|off|nie|nahi|nahin|não|nao|nu|la|laa)\b"
)
#: The only words a consent's yes may have after it for it to be a plain yes ("Yes, happy
#: to be quoted", "Yes - she agreed"): any other word may be a condition ("yes, but not my
#: name", "only if anonymous", "yes - call her first", "yes as long as ..."), and a
#: condition cannot be kept, so that is no consent (and said so at ingest). How to make
#: contact is no condition ("Yes by phone").
_PLAIN_YES = frozenset(
    "yes yeah yep y yup yes please true happy glad fine ok okay sure of course definitely "
    "absolutely certainly totally agreed agree agrees consent consents consented given gave "
    "give verbal verbally written quote quoted quoting quotes use used you can could may "
    "be to me my her his their them him she he they it its it's that's that is was are "
    "for with and the a words story said says asked confirmed thanks thank permission "
    "granted allowed content willing all good no problem problems by via phone email "
    "e-mail text texts mobile post letter worries at ji".split()  # "haan ji": a polite yes
)
#: The only words a safeguarding answer that starts with a no may have for it to be a clear
#: no ("No concerns at this time", "None noted", "Not that I'm aware of", "No risk to self
#: or others"): any other word ("No, but ...", "No idea", "No - her partner ...") may tell
#: of a worry, so the answer is yes.
_NOTHING_MORE = frozenset(
    "no n a na false nope nah none nil nothing off nie nahi nahin não nao nu not applicable "
    "prefer any "
    "anything at all this "
    "that the there time moment present currently now concern concerns worry worries issue "
    "issues risk risks safeguarding noted noticed seen observed identified raised reported "
    "mentioned apparent evident known aware report say to of from me i i'm am is are was "
    "were know self others or and thanks thank you fine ok okay well".split()
)
#: A word of an answer, in any alphabet ("não" is one word, not "n" and "o")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
#: A consent's yes with one of these after it takes itself back ("Yes/No", "Yes - no",
#: "Yes (no)", "yes no"): no consent; only "no problem" after a yes is still a yes. So is
#: a yes asked as a question ("yes?", "1?"): a quote needs a yes without doubt.
_CONSENT_NEGATIONS = frozenset("no n not nope nah never false don't dont".split())
_NO_PROBLEM = re.compile(r"\bno (?:problems?|worries)\b")


def _plain_answer(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


def _leading_answer(text: str) -> tuple[bool | None, str]:
    """The yes (True) or no (False) a free answer starts with, or None, and the words after
    it (in lower case)."""
    answer = _plain_answer(text)
    if answer in TRUE_VALUES or answer in FALSE_VALUES:
        return answer in TRUE_VALUES, ""
    for meaning, head in ((True, _YES_HEAD), (False, _NO_HEAD)):
        if found := head.match(answer):
            return meaning, answer[found.end():]
    return None, answer


def _leaves(value: Any) -> list[Any]:
    """The answers inside a form's nested answer (a dict or list), in order."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _only_dashes(value: Any) -> bool:
    """A safeguarding answer of dashes alone: a spreadsheet's "nothing here", a blank."""
    return isinstance(value, str) and bool(value.strip()) and set(value.strip()) <= set("-–—_")


def yes_no(value: Any, blank: bool | None, safeguarding: bool = False) -> bool | None:
    """A yes/no cell, read by the answer it starts with ("Yes, you can quote me", "No
    concerns", "N/A", "Agreed", "✓"); a cell with no such answer ("x", "maybe") is refused
    (a consent column keeps such a note with no consent: `_unread_consent`).

    A consent is yes only without a condition after it: "Yes, but not my name" is no
    consent. A safeguarding answer errs towards yes, so a person reads the note: only a
    clear no is no ("No concerns", "None noted"; not "No, but ...", "No idea": see
    `_NOTHING_MORE`), and any other answer in words is yes ("Possibly - mentioned
    self-harm", "not sure"), as is one without a word ("?", "!!"): a mark in the column
    is never read as no, and a refused row would reach no queue. Dashes alone ("-") are a
    blank."""
    if value is None or (isinstance(value, str) and _is_blank(value)):
        return blank
    if safeguarding and _only_dashes(value):
        return blank
    if safeguarding and isinstance(value, dict | list):  # a form's nested answer:
        # {"concern": "on", "details": "..."}: yes if any part says yes, as one cell would
        read = [yes_no(leaf, None, safeguarding=True) for leaf in _leaves(value)]
        return True if True in read else False if False in read else blank
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if not isinstance(value, str):
        raise ValueError(f"must be yes or no ({_ACCEPTED_BOOLEANS})")
    meaning, rest = _leading_answer(value)
    if safeguarding:
        if meaning is False and set(_WORD.findall(_plain_answer(value))) <= _NOTHING_MORE:
            return False
        return True
    elif meaning is not None:
        words = _WORD.findall(rest)
        return (meaning and set(words) <= _PLAIN_YES and "?" not in value
                and not (set(words) & _CONSENT_NEGATIONS and not _NO_PROBLEM.search(rest)))
    raise ValueError(f"{shown_cell(value, answer=True)} is not yes or no "
                     f"({_ACCEPTED_BOOLEANS})")


#: A consent answer saying consent was not asked or is not known: no consent, not a bad row
#: (a note lost to quarantine for it would be lost to every count).
_NOT_ASKED = re.compile(
    r"(?:(?:i |we |listener )?(?:did ?n[o']?t|did not|didnt|forgot to|never|was ?n[o']?t|"
    r"was not|not)\s+(?:ask|asked|discuss|discussed|mention|mentioned|get to ask|got to ask|"
    r"covered|recorded|known|sure)|not asked|unsure|unknown|don'?t know|do not know|n/?k|"
    r"not known)\b.*"
)


def _not_asked(value: Any) -> bool:
    return isinstance(value, str) and bool(_NOT_ASKED.fullmatch(_plain_answer(value)))


def _unread_consent(value: Any) -> bool:
    """A consent answer in words that is neither a yes nor a no ("x", "maybe", "talvez"): no
    consent, and the note is kept (a note lost to quarantine is lost to every count). Not
    one with a digit, an @ or more than four words: that is a cell of another column (a
    date, an email, a note) in the consent one, so the row's cells may have shifted and the
    row is refused."""
    if not isinstance(value, str) or _is_blank(value):
        return False
    try:
        yes_no(value, blank=False)
    except ValueError:
        answer = _plain_answer(value)
        return not re.search(r"[\d@]", answer) and len(answer.split()) <= 4
    return False


#: A consent answer that tells of a consent taken back or refused, anywhere in it
#: ("Withdrawn", "yes - withdrew 3/5", "refused", "changed her mind"): no consent,
#: whatever else it says.
_TAKEN_BACK = re.compile(
    r"\b(?:withdr[ae]wn?|withdrawing|withdrew|revoked?|retracted|rescinded|refused|declined|"
    r"changed (?:her|his|their|my|our) minds?|no longer)\b"
)


def _taken_back(value: Any) -> bool:
    return isinstance(value, str) and bool(_TAKEN_BACK.search(_plain_answer(value)))


def keeps_words(value: Any) -> bool:
    """Whether a consent-to-keep answer lets the note be kept: a blank (or a dash alone,
    not answered, as with no such column) or a plain yes, read as a consent is
    (`NoteIn._consent`). Anything else is not kept: a no ("No - wants them deleted after
    today"), a yes with a condition ("yes, until March"), "not sure", a withdrawal, or an
    answer that is neither. Words once stored cannot be unsaid, while a listener can
    correct the cell and ingest again; so nothing of such a row is stored, not even in
    quarantine."""
    if value is None or (isinstance(value, str) and (_is_blank(value) or _only_dashes(value))):
        return True
    if _not_asked(value) or _taken_back(value):
        return False
    try:
        return bool(yes_no(value, blank=True))
    except ValueError:  # neither a yes nor a no, or a sentence: not a plain yes
        return False


def _answer_said_more(column: str, value: Any) -> bool:
    """Whether a yes/no cell said more than its answer in a way the person ingesting must
    hear of: a consent's yes with a condition (read as no), or a safeguarding answer read as
    yes that is not a plain yes (its words are not stored)."""
    if not isinstance(value, str):
        return False
    if column != "safeguarding" and (_not_asked(value) or _taken_back(value)
                                     or _unread_consent(value)):
        return True
    try:
        read = yes_no(value, None, safeguarding=column == "safeguarding")
    except ValueError:
        return False
    meaning, rest = _leading_answer(value)
    if column == "safeguarding":
        return bool(read) and not (meaning and not any(c.isalpha() for c in rest))
    return (bool(meaning) and not read) or _not_asked(value)


#: The words of a totals or footer row under the notes ("Total notes: 48", "Last updated
#: 20/06/2025", "Number of entries 12"): a text of only these and numbers is not a note.
_TOTAL_WORDS = frozenset(
    "total totals subtotal grand sum count number no of notes note rows row entries entry "
    "records responses conversations calls visits contacts sessions chats attendees "
    "participants people updated last on as at date page end this month "
    "week quarter year jan feb mar apr may jun jul aug sep sept oct nov dec january february "
    "march april june july august september october november december".split()
)
_TOTAL_MARKERS = frozenset({"total", "totals", "subtotal", "sum", "count", "updated"})


def _reads_as_total(text: str) -> bool:
    words = re.findall(r"[^\W\d_]+", text.lower())
    return (len(words) <= 6 and (any(c.isdigit() for c in text) or len(words) <= 2)
            and bool(_TOTAL_MARKERS & set(words)) and set(words) <= _TOTAL_WORDS)


def _total_row(data: Mapping[str, Any], headers: Mapping[str, str] | None) -> str | None:
    """Why a row with no text is a spreadsheet's totals row ("Total calls: 6" under the
    dates, "Total" beside a count), or None: one cell of only total words (with a
    'total'-like word) and every other cell empty or a number. Such a row's words are
    safe to show; a note's never are."""
    if str(data.get("text") or "").strip():
        return None
    found = None
    for key, value in data.items():
        cell = str(value if value is not None else "").strip()
        if not cell or re.fullmatch(r"[\d.,:%£$ -]+", cell):
            continue
        if found is not None or not _reads_as_total(cell):
            return None
        found = (key, cell)
    if found is None:
        return None
    key, cell = found
    column = (headers or {}).get(key, key)
    return (f"a totals row ({cell[:SHOWN_CHARS]!r} in column {shown_cell(column)}), not a note; "
            "if it is a note, fill in its text")


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
    #: Whether the person agreed to their words being kept (`keeps_words`): a row saying
    #: no is never stored (`ingest_file` reads it before this model), so a stored note's
    #: is always yes, and it is no column of the database.
    consent_keep: bool = True
    categories: list[str] | None = None
    safeguarding: bool | None = None
    experience: Literal["positive", "negative", "mixed", "neutral"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _normalise_unicode(cls, data: Any) -> Any:
        return _nfc(data)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_missing(cls, value: Any) -> Any:
        if isinstance(value, str) and _is_blank(value):
            return None
        return value

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON's 7.0 is the number 7 (pandas writes ids so)
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
        text = note_text(value)
        if _is_blank(text):  # also only zero-width spaces or joiners
            raise ValueError("text is missing or empty")
        limit = (info.context or {}).get("max_chars")
        if limit and len(text) > limit:
            raise ValueError(f"text is {len(text):,} characters, over the limit of {limit:,} "
                             "(--max-chars raises it)")
        if not any(c.isalpha() for c in text):  # "8" under the notes: a total, not a note
            raise ValueError(
                "text has no words (only numbers or symbols): a total or footer row?"
            )
        if _reads_as_total(text):
            raise ValueError(
                "text reads as a total or footer row (only words such as 'total' or 'last "
                "updated', and numbers), not a note"
            )
        return text

    @field_validator("heard_on", mode="before")
    @classmethod
    def _heard_on(cls, value: Any, info: ValidationInfo) -> Any:
        parsed = parse_date(value, month_first=(info.context or {}).get("month_first", False))
        if parsed and parsed > datetime.now(UTC).date() + timedelta(days=1):
            raise ValueError(f"{parsed.isoformat()} is in the future")
        if parsed and parsed < _EARLIEST_NOTE:
            raise ValueError(f"{parsed.isoformat()} is before 1990: a typo?")
        return parsed

    @field_validator("community", mode="before")
    @classmethod
    def _community(cls, value: Any, info: ValidationInfo) -> Any:
        return _split_list(value, (info.context or {}).get("list_sep"))

    @field_validator("consent_quote", "consent_contact", mode="before")
    @classmethod
    def _consent(cls, value: Any) -> Any:
        # A blank cell is no consent (the default), not an invalid row; so is an answer
        # saying it was not asked or is not known ("Didn't ask"): the note is kept.
        if _not_asked(value) or _taken_back(value) or _unread_consent(value):
            return False
        return yes_no(value, blank=False)

    @field_validator("consent_keep", mode="before")
    @classmethod
    def _consent_keep(cls, value: Any) -> Any:
        return keeps_words(value)

    @field_validator("safeguarding", mode="before")
    @classmethod
    def _safeguarding(cls, value: Any) -> Any:
        return yes_no(value, blank=None, safeguarding=True)

    @field_validator("categories", mode="before")
    @classmethod
    def _categories(cls, value: Any, info: ValidationInfo) -> Any:
        # Blank means "not labelled" (None), not "labelled with no categories" ([]): this
        # validator runs before `_blank_is_missing`, so it must say so itself.
        if value is None or (isinstance(value, str) and _is_blank(value)):
            return None
        known = (info.context or {}).get("categories")
        found = _category_items(value, info.context or {})
        if known is not None:
            unknown = [c for c in found if category_key(c) not in known]
            if unknown:
                hints = [h for c in unknown if (h := category_hint(c, known))]
                raise ValueError(
                    f"unknown categor{'y' if len(unknown) == 1 else 'ies'}: "
                    f"{', '.join(shown_cell(c, False, answer=True) for c in unknown)}"
                    " (not in the codebook" + (f"; did you mean {', '.join(hints)}?)"
                                                if hints else ")")
                )
            found = list(dict.fromkeys(known[category_key(c)] for c in found))
        return found

    @field_validator("experience", mode="before")
    @classmethod
    def _experience(cls, value: Any) -> Any:
        return experience_word(value)

    def to_record(self, source: str | None = None, id_prefix: str = "") -> NoteRecord:
        """`id_prefix` goes before an id the row gives (not a generated one, which is
        already unique to the note's text, date and listener)."""
        note_id = (
            f"{id_prefix}{self.id}"
            if self.id
            else stable_note_id(self.text, self.heard_on, self.listener)
        )
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


def check_id_prefix(prefix: str) -> str:
    """An id prefix as given, or ValueError: it becomes part of every id in the file."""
    if not prefix.strip() or prefix != prefix.strip():
        raise ValueError("the id prefix must not be blank or start or end with spaces")
    if len(prefix) > 50 or any(ord(c) < 32 for c in prefix):
        raise ValueError("the id prefix must be at most 50 printable characters")
    return prefix


def explain(error: ValidationError, headers: Mapping[str, str] | None = None) -> str:
    """One readable line per problem, e.g. `heard_on: invalid date '31/02/2025' ...`;
    with the file's `headers` (field -> column as written), a field read from a column of
    another name names it too (`heard_on (column 'Date'): ...`), as the person who fixes
    the row knows the form's headings, not the field names."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "row"
        heading = (headers or {}).get(str(item["loc"][0])) if item["loc"] else None
        if heading and header_key(heading) != where:
            # a heading read as a note field is a column's name, shown as other messages
            # show one ("Date of the conversation"), not as a cell
            shown = _header_shown(heading, known=True)
            where += f" (column {shown})" if not shown.startswith("<") else ""
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is missing"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


# -- reading files -------------------------------------------------------------------


def some_of(items: Sequence[str], shown: int = 5, sep: str = ", ") -> str:
    """The first few items of a long list, and how many more (for messages)."""
    more = len(items) - shown
    tail = ("" if sep.strip() == "," else sep.rstrip()) + f" and {more} more"
    return sep.join(items[:shown]) + (tail if more > 0 else "")


class FileRejected(ValueError):
    """The whole file cannot be read (binary, empty, unknown encoding, no text column)."""


class FileMissing(FileRejected):
    """The file named is not there (or is a folder, or an output cannot be made where it is
    named): a mistake on the command line."""

    usage_error = True  # the CLI's exit code 2, as for any option naming what is not there


@dataclass
class RawRow:
    line: int
    data: dict[str, Any] | None
    error: str | None = None
    raw: str | None = None
    #: Each key of `data` to the column name (CSV) or JSON key as written.
    headers: dict[str, str] | None = None
    #: Whether `headers` come from a CSV header row (a JSON key, alone on its line, may
    #: be anything, even a note, so messages show it with more care).
    header_row: bool = True
    #: A row that could not be read (`data` None): its cells by column, as far as they can
    #: be told, so a safeguarding Yes in it still reaches a person.
    cells: dict[str, str] | None = None
    #: Such a row of a file to fix: its own columns (`FIX_COLUMNS`), kept in quarantine
    #: with it so that it stands for the row it corrects, not beside it.
    fix: dict[str, Any] | None = None


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


#: Polish (Central European, Windows-1250) letters as Windows-1252 reads them, where no
#: Western word has them: "by³o" (było), "mo¿e" (może), "dostaæ" (dostać), "by³" (był),
#: "coœ" (coś), "Ÿle" (źle), "¯al" (Żal); not "m³" or "cm³" (a unit).
_L = "A-Za-z³¹¿Ÿ¥¯Œœæê"  # letters, with the misread ones (as in "M¹¿": mąż)
_CP1250_LETTERS = re.compile(
    rf"(?<=[{_L}])[æ¿Ÿœ](?![{_L}])"  # end of a word: dostać, coś, mąż
    rf"|(?<![{_L}])[A-Za-z]*[aeiouyAEIOUY][A-Za-z]*[³¹](?![{_L}])"  # był, mają
    rf"|(?<=[{_L}])[³¹¿Ÿ¥¯Œ](?=[{_L}])"  # inside a word: było, może
    rf"|(?<![{_L}])[³¿Ÿ¯¥](?=[a-z])"  # start of a word: łatwo, żal, źle, Żona
    r"|[œŒ]w"  # świat, Święta
)
#: "siê", "mogê" (się, mogę): a word ending in ê is Polish, but also Portuguese "você",
#: so it only counts alongside another sign, or as three different words.
_CP1250_WEAK = re.compile(r"[A-Za-z]+ê(?![A-Za-z])")


def _central_european(text: str) -> bool:
    """True when text decoded as Windows-1252 reads like Windows-1250 (Polish, Czech...)."""
    strong = len(_CP1250_LETTERS.findall(text))
    weak = {w.lower() for w in _CP1250_WEAK.findall(text)}
    return strong >= 2 or (strong == 1 and bool(weak)) or len(weak) >= 3


#: The start of a web page, as a sign-in or error page saved in place of a form's export
#: begins (after a byte order mark and spaces, in any case).
_HTML_START = re.compile(rb"\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<!--)", re.IGNORECASE)


def _another_kind(raw: bytes) -> str | None:
    """Why a file given as CSV or JSON is another kind of file, told by its first bytes,
    in words that say what to do: "a binary file" or "not UTF-8" leaves a person guessing
    that the export saved was a PDF, a workbook or a sign-in page."""
    import io
    import zipfile

    head = raw[:1024].removeprefix(b"\xef\xbb\xbf")
    if head.startswith(b"%PDF-"):
        return ("is a PDF: notes cannot be read from a PDF; download the responses as CSV "
                "or as an Excel workbook (.xlsx) and ingest that")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return ("is an old Excel (.xls) or Word (.doc) file, not CSV: open it and save it as "
                "Excel Workbook (.xlsx) or CSV UTF-8, then ingest that")
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            names = []
        if any(n.startswith("xl/") for n in names):
            return ("is an Excel workbook saved under a name ending in something other "
                    "than .xlsx: rename it to end in .xlsx and ingest it again")
        if "content.xml" in names:
            return ("is an OpenDocument file (.ods or .odt), not CSV: save it as Excel "
                    "Workbook (.xlsx) or CSV UTF-8, then ingest that")
        if any(n.startswith("word/") for n in names):
            return ("is a Word document, not CSV: notes must be a table, one note a row; "
                    "save them as CSV UTF-8 or an Excel workbook (.xlsx)")
        return "is a zip archive, not CSV: unzip it and ingest the files in it"
    if re.match(rb"\s*<\?xml", head):  # e.g. an "XML Spreadsheet 2003" a system exports
        return ("is an XML file, not CSV: if it is a spreadsheet, open it and save it as "
                "Excel Workbook (.xlsx) or CSV UTF-8, then ingest that")
    if _HTML_START.match(head):
        return ("is a web page (HTML), not a table of notes: often a sign-in or error page "
                "saved in place of the export; download the export again (signed in) and "
                "ingest that")
    return None


def decode(raw: bytes) -> tuple[str, str | None]:
    """Bytes to text: UTF-8 (BOM tolerated), else a Western European (Latin) encoding
    when the text reads as one; anything else is rejected rather than guessed."""
    if not raw.strip():
        raise FileRejected("file is empty")
    if (kind := _another_kind(raw)) is not None:
        raise FileRejected(kind)
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
    except UnicodeDecodeError as exc:
        if raw.startswith(b"\xef\xbb\xbf"):  # says UTF-8 (a BOM), so it is not Latin text
            line = raw[: exc.start].count(b"\n") + 1
            raise FileRejected(
                f"starts as UTF-8 (with a byte order mark) but line {line} has bytes that are "
                "not UTF-8 (pasted from another program?); save the file as UTF-8 again"
            ) from None
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
    if encoding != "cp1250" and _central_european(text):
        raise FileRejected(_UNKNOWN_ENCODING.format(
            why="it looks like Polish or another Central European language, not "
            "Western European text"
        ))
    return text, f"not UTF-8: decoded as {encoding} and converted"


def _detect_format(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "json"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    return "json" if text.lstrip()[:1] in ("{", "[") else "csv"


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class _RepeatedKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: `json` would silently keep the last."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _RepeatedKey(f"key {shown_cell(key)} appears twice in one record; keep one")
        seen[key] = value
    return seen


def _json_rows(
    text: str,
    normalise_keys: bool = True,
    warnings: list[str] | None = None,
    map_aliases: bool = False,
    text_col: str = "text",
    columns: Mapping[str, str] | None = None,
) -> Iterator[RawRow]:
    keyed = _JsonKeys(normalise_keys, warnings, map_aliases, text_col, columns)
    stripped = text.lstrip()

    def listed(items: list[Any], numbers: list[int]) -> Iterator[RawRow]:
        if len(set(numbers)) < len(numbers) or len(numbers) != len(items):
            shared = len(numbers) == len(items) > 1
            numbers = list(range(1, len(items) + 1))
            if shared and warnings is not None:
                warnings.append(
                    "the JSON list's records share lines, so rows are numbered by their "
                    "place in the list (line 3 is the third record)"
                )
        for number, item in zip(numbers, items, strict=True):
            if isinstance(item, dict):
                yield keyed.row(number, item, None)
            else:
                yield RawRow(number, None, "record is not a JSON object", json.dumps(item))

    if stripped.startswith("["):
        try:
            items = json.loads(stripped, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            raise FileRejected(f"a JSON array that is not valid JSON: {exc}") from exc
        except _RepeatedKey as exc:
            raise FileRejected(f"a JSON array with a record where a {exc}") from None
        yield from listed(items, _record_lines(text))
        return
    if stripped.startswith("{"):  # one JSON document, not one record a line?
        try:
            whole = json.loads(stripped, object_pairs_hook=_unique_keys)
        except (json.JSONDecodeError, _RepeatedKey):
            whole = None  # JSONL (or broken): read line by line, each line its own row
        lists = [k for k, v in whole.items() if isinstance(v, list)
                 and any(isinstance(i, dict) for i in v)] if isinstance(whole, dict) else []
        if len(lists) == 1 and header_key(text_col) not in {header_key(k) for k in whole}:
            # an API's or a form tool's export: {"form": ..., "responses": [{...}, ...]}
            if warnings is not None:
                others = [_header_shown(k) for k in whole if k != lists[0]]
                warnings.append(
                    f"the file is one JSON object: its records were read from the list under "
                    f"{_header_shown(lists[0])}"
                    + (f" (not from {', '.join(others)})" if others else "")
                )
            start = _value_start(text, lists[0])
            yield from listed(whole[lists[0]],
                              _record_lines(text, start) if start is not None else [])
            return
        if len(lists) > 1 and header_key(text_col) not in {header_key(k) for k in whole}:
            raise FileRejected(
                "the file is one JSON object with several lists of records ("
                f"{', '.join(_header_shown(k) for k in lists)}): save the notes' list alone "
                "as a JSON list, or as JSONL, one record a line"
            )
        if isinstance(whole, dict) and "\n" in stripped.strip():  # one record over lines
            yield keyed.row(text[: len(text) - len(stripped)].count("\n") + 1, whole, None)
            return
    # Only CR/LF end a line: str.splitlines() would also split inside JSON strings at
    # U+2028, U+2029 or U+0085, which JSON allows unescaped (pasted text often has them).
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            yield RawRow(number, None, f"malformed JSON: {exc.msg} (column {exc.colno})", line,
                         cells=keyed.cells(raw_json_cells(line)))
            continue
        except _RepeatedKey as exc:
            yield RawRow(number, None, str(exc), line, cells=keyed.cells(raw_json_cells(line)))
            continue
        if isinstance(item, dict):
            yield keyed.row(number, item, line)
        else:
            yield RawRow(number, None, "line is not a JSON object", line)


_JSON_SPACE = re.compile(r"[ \t\r\n]*")


def _value_start(text: str, key: str) -> int | None:
    """Where the value of `key` starts in a JSON object (valid JSON), or None."""
    decoder = json.JSONDecoder()
    at = text.index("{") + 1
    try:
        while True:
            at = _JSON_SPACE.match(text, at).end()
            if text[at : at + 1] in ("}", ""):
                return None
            name, at = decoder.raw_decode(text, at)
            at = _JSON_SPACE.match(text, at).end() + 1  # past ":"
            start = at = _JSON_SPACE.match(text, at).end()
            if name == key:
                return start
            _, at = decoder.raw_decode(text, at)
            at = _JSON_SPACE.match(text, at).end()
            if text[at : at + 1] == ",":
                at += 1
    except ValueError:
        return None


def _record_lines(text: str, start: int = 0) -> list[int]:
    """The line each record of a JSON list (valid JSON) starts on, so that a row is named
    by the line an editor shows it on, as in a CSV, not by its place in the list. `start`:
    where the list starts (0: the text is the list, spaces before it)."""
    decoder = json.JSONDecoder()
    space = _JSON_SPACE
    at = text.index("[", start) + 1
    starts: list[int] = []
    while True:
        at = space.match(text, at).end()
        if text[at : at + 1] in ("]", ""):
            break
        starts.append(at)
        try:
            _, at = decoder.raw_decode(text, at)
        except ValueError:  # not expected of valid JSON: then numbered by place
            return []
        at = space.match(text, at).end()
        if text[at : at + 1] == ",":
            at += 1
    lines, seen, numbers = 1, 0, []
    for start in starts:
        lines += text.count("\n", seen, start)
        seen = start
        numbers.append(lines)
    return numbers


class _JsonKeys:
    """JSON keys read the way CSV headers are ("Heard On" = heard_on, "Any safeguarding
    worries?" = safeguarding when `map_aliases`), each distinct key set worked out once."""

    def __init__(
        self, normalise: bool, warnings: list[str] | None, map_aliases: bool,
        text_col: str = "text", columns: Mapping[str, str] | None = None,
    ) -> None:
        self.normalise = normalise
        self.warnings = warnings
        self.map_aliases = map_aliases
        self.text_col = text_col
        self.columns = columns
        self._keys: dict[tuple[str, ...], list[str] | str] = {}

    def row(self, number: int, item: dict[str, Any], raw: str | None) -> RawRow:
        if not self.normalise:
            return RawRow(number, item)
        if self.map_aliases and any(isinstance(v, dict) for v in item.values()):
            item = _flattened(item)
        written = [str(k) for k in item]
        keys = self._keys.get(tuple(written))
        if keys is None:
            keys = self._keys[tuple(written)] = self._work_out(written)
        if isinstance(keys, str):  # two keys mean the same field: which one holds it?
            return RawRow(number, None, keys, raw if raw is not None else json.dumps(item))
        if (self.map_aliases and "text" not in keys and header_key(self.text_col) == "text"
                and raw_line(item) is None):  # a file to fix's unread line: `_raw_read`
            # the notes under another key ("body"): say which, as for a CSV's header
            wordy = [(len(v.split()), w) for w, v in zip(written, item.values(), strict=True)
                     if isinstance(v, str) and len(v.split()) >= _NOTE_WORDS]
            if wordy:
                name = _header_shown(max(wordy)[1])
                return RawRow(number, None, f"record has no 'text' key; the notes look to be "
                              f"under {name}: ingest with --text-col {name}",
                              raw if raw is not None else json.dumps(item))
        return RawRow(
            number,
            dict(zip(keys, item.values(), strict=True)),
            raw=raw,
            headers=dict(zip(keys, written, strict=True)),
            header_row=False,
        )

    def cells(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """A line that is not JSON, its pairs as far as they can be told
        (`raw_json_cells`), under the fields their keys name as a record's would be, so
        that a safeguarding yes in it reaches a person as a CSV row's of the wrong width
        does; None for none."""
        if not item:
            return None
        written = list(item)
        keys = self._work_out(written) if self.normalise else written
        if isinstance(keys, str):  # its keys make no record: each read as a header
            keys = [header_key(k) for k in written]
        return dict(zip(keys, item.values(), strict=True))

    def _work_out(self, written: list[str]) -> list[str] | str:
        keys = [header_key(k) for k in written]
        for key in dict.fromkeys(keys):
            same = [shown_cell(w) for w, k in zip(written, keys, strict=True) if k == key]
            if len(same) > 1 and key:
                return f"keys {' and '.join(same)} both mean {key!r}; keep one"
        if not self.map_aliases:
            return keys
        wanted = header_key(self.text_col)
        if wanted != "text" and wanted not in keys:  # the notes are not in "text" here
            close = closest_header(self.text_col, written, keys)
            hint = f"; did you mean {_header_shown(close)}?" if close else ""
            return f"record has no '{self.text_col}' key (named by --text-col){hint}"
        found: list[str] = []
        try:
            keys = _map_aliases(keys, written, found, self.text_col, self.columns)
        except FileRejected as exc:  # this record's keys only: a row error
            return str(exc)
        if self.warnings is not None:
            self.warnings.extend(w for w in found if w not in self.warnings)
        return keys


def _other_conversation(stored: dict[str, Any], record: NoteRecord) -> str | None:
    """Which of date and listener a row gives differently from the stored note under its
    id ("date", "listener"), or None: a corrected answer keeps the conversation's."""
    differ = [name for name, field_name in (("date", "heard_on"), ("listener", "listener"))
              if getattr(record, field_name) is not None and stored.get(field_name) is not None
              and getattr(record, field_name) != stored[field_name]]
    return " and ".join(differ) or None


def _flattened(item: dict[str, Any], depth: int = 3) -> dict[str, Any]:
    """An object's keys read down to `depth` levels, as a form tool nests them:
    `{"consent": {"quote": true}}` gives "consent quote" (read as consent_quote);
    `{"meta": {"listener": "L4"}}` gives "meta listener" (named with `--column
    listener="meta listener"`); `{"conversation": {"consent": {"quote": "on"}}}` gives
    "conversation consent quote". A note field's own key (`"categories": {...}`,
    `"safeguarding": {"concern": ...}`, at any level) and a key that would then be there
    twice stay nested (a row error, or a nested answer read as one)."""
    out: dict[str, Any] = {}
    for key, value in item.items():
        inner = {f"{key} {k}": v for k, v in _flattened(value, depth - 1).items()} \
            if depth > 1 and isinstance(value, dict) and header_key(key) not in NOTE_FIELDS \
            else {}
        if inner and not (inner.keys() & (out.keys() | item.keys())):
            out.update(inner)
        else:
            out[key] = value
    return out


def header_key(name: str) -> str:
    """A column name as matched: lower case, runs of spaces and hyphens as `_`
    ("Note Text" = note_text, "heard-on" = heard_on)."""
    return re.sub(r"[\s-]+", "_", name.strip().lower().replace("’", "'").replace("‘", "'"))


def closest_header(name: str, header: Sequence[str], keys: Sequence[str] | None = None
                   ) -> str | None:
    """The column of `header` (as written, trimmed) whose name is most like `name`, for a
    "did you mean"; None when none is close. `keys`: the header as matched, where the
    caller has already worked it out (default: `header_key` of each)."""
    keys = [header_key(h) for h in header] if keys is None else keys
    named = {k: h.strip() for k, h in zip(keys, header, strict=True) if k}
    close = difflib.get_close_matches(header_key(name), list(named), n=1, cutoff=0.75)
    return named[close[0]] if close else None


#: Column names people use for a note field. Those for `MAPPED_ALIAS_FIELDS` are read as
#: the field (with a warning) when the file has no column of that name; the others are
#: only "did you mean" hints: the text column is never guessed (a wrong guess would store
#: the wrong words), nor the categories.
_ALIASES = {
    "date": "heard_on", "date_heard": "heard_on", "heard_date": "heard_on",
    "date_of_note": "heard_on", "date_of_conversation": "heard_on",
    "conversation_date": "heard_on", "note": "text", "notes": "text", "note_text": "text",
    "comment": "text", "comments": "text", "feedback": "text", "note_id": "id",
    "consent": "consent_quote", "consent_to_quote": "consent_quote",
    "consent_to_contact": "consent_contact", "consent_to_keep": "consent_keep",
    "consent_to_store": "consent_keep", "consent_to_record": "consent_keep",
    "listener_id": "listener",
    "listener_code": "listener", "listener_name": "listener", "volunteer": "listener",
    "volunteer_id": "listener", "volunteer_code": "listener", "volunteer_name": "listener",
    "peer_listener": "listener", "location": "place",
    # where, as a form asks it: the town, not the kind of place ("Town": "Holt")
    "town": "place", "village": "place", "city": "place", "area": "place",
    "locality": "place", "neighbourhood": "place", "neighborhood": "place",
    "district": "place", "borough": "place", "town_or_village": "place",
    "town_or_city": "place", "village_or_town": "place", "city_or_town": "place",
    # the kind of place ("cafe", "phone", "home visit"); a name with "setting" in it is
    # one too (`_alias_field`)
    "venue_type": "setting", "type_of_venue": "setting", "kind_of_venue": "setting",
    "conversation_type": "setting", "type_of_conversation": "setting",
    "category": "categories", "codes": "categories", "topics": "categories",
    "topic": "categories", "themes": "categories", "theme": "categories",
    "tags": "categories", "labels": "categories", "label": "categories", "ref": "id",
    "ref_no": "id",
    "reference": "id", "reference_no": "id", "reference_number": "id", "record_id": "id",
    # survey tools' own ids, one per response (SurveyMonkey, Qualtrics, JotForm, Typeform)
    "respondent_id": "id", "response_id": "id", "submission_id": "id", "entry_id": "id",
    "sentiment": "experience", "overall_experience": "experience",
}
MAPPED_ALIAS_FIELDS = frozenset({"id", "heard_on", "listener", "place", "setting"})
#: Words a form's question wraps a usual name in ("What is your listener code?", "Date of
#: the conversation", "Start Date (UTC)"): left out when a name is looked up.
_FILLER = frozenset({"what", "is", "was", "your", "the", "please", "enter", "utc", "gmt"})
#: When the form was started or sent, as form tools name it (Google's "Timestamp",
#: JotForm's "Submission Date", Microsoft's "Start time"): a weaker date than the
#: conversation's, so read as heard_on only when no column gives that, the earliest first.
_FORM_DATES = (
    "timestamp", "start_time", "start_date", "started", "submission_date", "submit_date",
    "submitted", "submitted_at", "date_submitted", "completion_time", "end_date",
)


def _without_filler(key: str) -> str:
    """A normalised header without the words a form wraps a name in (`_FILLER`)."""
    return "_".join(w for w in re.findall(r"[a-z0-9]+", key) if w not in _FILLER)


def _usual_field(key: str) -> str | None:
    """The field a usual name means ("Date heard", "Your listener code", "Date of the
    conversation"): looked up in `_ALIASES` as written, then without filler words."""
    if key in _ALIASES:
        return _ALIASES[key]
    return _ALIASES.get(_without_filler(key))


def _form_date_rank(key: str) -> int | None:
    """Where a column of when the form was filled in comes in `_FORM_DATES`, or None."""
    plain = _without_filler(key)
    return _FORM_DATES.index(plain) if plain in _FORM_DATES else None


def _close_field(name: str, fields: Sequence[str]) -> str | None:
    """The field of `fields` a column name most likely meant, or None."""
    key = header_key(name)
    if key in fields:  # "Text" for "text" where names are matched exactly (JSON keys)
        return key
    if _usual_field(key) in fields:
        return _usual_field(key)
    close = difflib.get_close_matches(key, fields, n=1, cutoff=0.75)
    return close[0] if close else None


#: The line Excel reads (and some exports write) above a CSV's header to name its
#: delimiter: "sep=;", also quoted ("\"sep=;\"").
_SEP_LINE = re.compile(r'"?sep=([,;\t|])"?\s*', re.IGNORECASE)


def _sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: of those in the first line, the one that splits the first
    lines into the same number (> 1) of fields, ties going to the most used in line 1."""
    first_line = text.split("\n", 1)[0]
    candidates = [d for d in (",", ";", "\t") if d in first_line]
    if len(candidates) < 2:
        return candidates[0] if candidates else ","
    sample = text[:65_536]

    def consistency(delimiter: str) -> float:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            rows = [r for _, r in zip(range(50), reader, strict=False) if r]
        except csv.Error:
            return -1.0
        if len(text) > len(sample):
            rows = rows[:-1]  # may be cut short
        if not rows or len(rows[0]) < 2:
            return -1.0
        rest = rows[1:]
        return sum(len(r) == len(rows[0]) for r in rest) / len(rest) if rest else 0.0

    return max(candidates, key=lambda d: (consistency(d), first_line.count(d)))


_START, _IN_FIELD, _IN_QUOTES, _QUOTE_IN_QUOTES = range(4)


def _first_long_quote(
    lines: Sequence[str], first: int, delimiter: str, *, broken: bool = False
) -> tuple[int, int | None] | None:
    """In the row starting at `lines[0]`, the first quoted cell that runs over a line break:
    (the line it opens on, the line it closes on or None if it never does), following the
    csv reader's lenient rules; None if the row ends first.

    With `broken`, only a cell whose quote never closes or closes in the middle of a cell:
    a quote left open closes at the next quote mark in the file, the one that opens a later
    row's quoted cell ('r-5,"Quoted" she said'), so text follows it. A quote closed as CSV
    is written, followed by the delimiter, a line end or the end of the file, is the end of
    a note on several lines (paragraphs whose lines may split into as many cells as a row):
    the row is read as the csv module reads it."""
    state, opened = _START, first
    for number, line in enumerate(lines, start=first):
        for char in line:
            if state == _START:
                if char == '"':
                    state, opened = _IN_QUOTES, number
                elif char not in "\r\n" and char != delimiter:
                    state = _IN_FIELD
            elif state == _IN_FIELD:
                if char == delimiter or char in "\r\n":
                    state = _START
            elif state == _IN_QUOTES:
                if char == '"':
                    state = _QUOTE_IN_QUOTES
            elif char == '"':  # "" inside quotes
                state = _IN_QUOTES
            else:  # the quote closed
                as_written = char == delimiter or char in "\r\n"
                if number > opened and not (broken and as_written):
                    return opened, number
                state = _START if as_written else _IN_FIELD
        if state == _QUOTE_IN_QUOTES and number > opened and not broken:  # at the file's end
            return opened, number
        if state in (_START, _IN_FIELD):  # the row ended on this line
            return None
    return (opened, None) if state == _IN_QUOTES else None


def _start_kind(line: str) -> str:
    """How a line begins: a quote, a digit, a letter or something else."""
    first = line.lstrip()[:1]
    if first == '"':
        return "quote"
    return "digit" if first.isdigit() else "letter" if first.isalpha() else "other"


def _row_like(lines: Sequence[str], width: int, delimiter: str, row_start: str) -> bool:
    """Whether lines swallowed into one quoted cell look like rows of the file (most of them
    begin the way the row itself does and split into exactly as many fields as the header),
    not like a note written on several lines: prose with commas can split into the right
    number of fields, but it begins like prose."""
    filled = [line for line in lines if line.strip()]
    if width < 3 or len(filled) < 2:
        return False
    kind = _start_kind(row_start)
    rows = sum(
        _start_kind(line) == kind
        and len(next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter))) == width
        for line in filled
    )
    return rows >= 2 and 2 * rows >= len(filled)


def _swallowed(
    lines: Sequence[str], start: int, opened: int, closed: int | None, end: int
) -> Iterator[RawRow]:
    """A row whose quote never closes (or closes many rows later), and each line the quote
    took in, all quarantined: none of them can be trusted as a row."""
    if closed is None:
        reason = (
            f"unclosed quote: the quote opened on line {opened} never closes, so "
            + (f"lines {opened}-{end} were" if end > opened else f"line {opened} was")
            + " read as one cell; close it and try again"
        )
    else:
        reason = (
            f"the quote opened on line {opened} only closes on line {closed}, so lines "
            f"{opened}-{closed} were read as one cell: is a closing quote missing on line "
            f"{opened}?"
        )
    yield RawRow(start, None, reason, "".join(lines[start - 1 : opened]).rstrip("\r\n"))
    for number in range(opened + 1, end + 1):
        line = lines[number - 1].rstrip("\r\n")
        if line.strip():
            yield RawRow(number, None, f"inside the quote opened on line {opened}", line)


#: Names of a notes column that are plain words, never a person's data: quoting one in a
#: message reveals nothing.
_TEXT_ALIASES = frozenset(k for k, v in _ALIASES.items() if v == "text")
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def _looks_like_data(cells: Sequence[str]) -> bool:
    """Whether a first line reads as a row of notes rather than column names: no cell is a
    note field's name, and some cell is a date, a number or a yes/no answer, which column
    names are not."""
    keys = {header_key(c) for c in cells}
    if keys & (set(NOTE_FIELDS) | set(_ALIASES)):
        return False
    for cell in cells:
        value = cell.strip()
        if not value:
            continue
        if _NUMBER.fullmatch(value) or value.lower() in TRUE_VALUES | FALSE_VALUES:
            return True
        try:
            if parse_date(value) is not None:
                return True
        except ValueError:
            continue
    return False


def _no_text_column(
    header: list[str],
    text_col: str,
    reader: Iterator[list[str]],
    text_col_option: bool = True,
    line: str = "line",
) -> FileRejected:
    """Why a CSV or sheet has no text column, without quoting any cell of its first line:
    it may be a row of notes (a file without a header row), with note text or names in it.
    `line` is what the file's rows are called ("row" in a spreadsheet)."""
    wanted = header_key(text_col)
    keys = {header_key(h) for h in header}
    if {header_key(c) for c in FIX_COLUMNS} <= keys and "text" in keys:
        return FileRejected(
            "this is a file of rows to fix written by `insight quarantine export`: its "
            "columns are named by note field ('text', 'heard_on', ...), not as the first "
            "file's were, so ingest it without --text-col and --column"
        )
    below: list[list[str]] = []
    try:  # a title line above the header?
        for number, values in zip(range(2, 21), reader, strict=False):
            if wanted in {header_key(v) for v in values}:
                return FileRejected(
                    f"the header row with the '{text_col}' column is {line} {number}, not "
                    f"{line} 1: delete the {line}(s) above it (a title?) and try again"
                )
            below.append(values)
    except csv.Error:
        pass
    count = len(header)
    if sum(1 for h in header if h.strip()) <= 1:  # one cell: a title above the header?
        wide = next((n for n, values in enumerate(below, start=2)
                     if sum(1 for v in values if str(v).strip()) >= 3), None)
        if wide is not None:
            return FileRejected(
                f"{line} 1 has only one cell filled (a title?) and {line} {wide} is the first "
                f"with several: if that is the header row, delete the {line}(s) above it and "
                f"try again (and name the notes column with --text-col if it is not "
                f"'{text_col}')"
            )
    message = (
        f"{line} 1 has {count} column{'s' if count != 1 else ''} and none is called "
        f"'{text_col}' (case and spaces ignored); the first {line} must be the header row"
    )
    if _looks_like_data(header):
        return FileRejected(
            message + f"; {line} 1 looks like a row of notes, not column names (it holds a "
            "date, a number or a yes/no), so the file seems to have no header row: add a "
            f"header row naming the columns, with '{text_col}' for the notes, and try again"
        )
    close = text_column_like(text_col, header, below)
    if wanted != "text" and close:  # a name close to the one given, not a cell of notes
        return FileRejected(f"{message}; did you mean {_header_shown(close)}?")
    # Only a name from a fixed list of words for a notes column is ever quoted, or that of
    # a column whose cells read as the notes, in a row that is surely column names.
    alias = next((h.strip() for h in header if header_key(h) in _TEXT_ALIASES), None)
    notes_at = _notes_column(header, below)
    if alias is None and notes_at is not None and text_col_option:  # a form's question
        shown = _header_shown(header[notes_at].strip())
        return FileRejected(
            f"{line} 1 has {count} column{'s' if count != 1 else ''} and none is called "
            f"'{text_col}' (case and spaces ignored), so no row was read; did you mean "
            f"--text-col {shown} (its cells read like notes)?"
        )
    if wanted != "text":
        message += "; check the name given to --text-col"
    elif text_col_option:
        message += (
            "; if the notes are in a column with another name, pass --text-col NAME"
        )
    else:
        message += (
            f"; if the notes are in a column with another name, rename it to '{text_col}'"
        )
    if alias is not None:
        message += f" (the column {alias!r} may hold them)"
    elif notes_at is not None:
        message += f" (the column {_header_shown(header[notes_at].strip())} may hold them)"
    return FileRejected(message)


#: Words a column's cells have on average, at least, to read as notes.
_NOTE_WORDS = 6
#: Last words of a column name that make it an id, never the notes ("Comment ID", "Case ref").
_ID_WORDS = frozenset({"id", "ids", "ref", "reference", "number", "no", "uuid", "key"})


def _reads_as_id(name: str, cells: Sequence[Any]) -> bool:
    """Whether a column is an id column, by its name ("Comment ID", "Ref") or its cells
    (one word each, with a digit, no two alike: "FB-10681")."""
    words = header_key(name).split("_")
    if note_field(name) == "id" or words[-1] in _ID_WORDS:
        return True
    filled = [str(c).strip() for c in cells if str(c).strip()]
    return len(filled) >= 2 and len(set(filled)) == len(filled) and all(
        len(c.split()) == 1 and any(ch.isdigit() for ch in c) for c in filled)


def text_column_like(name: str, header: Sequence[str], below: Sequence[Sequence[Any]]
                     ) -> str | None:
    """The column a mistyped text column (`--text-col "Comment"`) most likely meant, for a
    "did you mean": one whose name is close to it or holds its words ("Comment text"),
    never one that reads as an id ("Comment ID": tagging ids would pass for tagging
    notes); of those, one whose cells (`below`, the rows under the header) hold long text
    first, then the closest name. None when none is close."""
    wanted = header_key(name)
    given = {w for w in wanted.split("_") if w}
    found: list[tuple[bool, float, str]] = []
    for column, written in enumerate(header):
        key = header_key(written)
        if not key:
            continue
        ratio = difflib.SequenceMatcher(None, wanted, key).ratio()
        if ratio < 0.75 and not (given and given <= set(key.split("_"))):
            continue
        cells = [row[column] for row in below if column < len(row)]
        if _reads_as_id(written, cells):
            continue
        filled = [str(c) for c in cells if str(c).strip()]
        words = sum(len(c.split()) for c in filled) / len(filled) if filled else 0.0
        found.append((words >= _NOTE_WORDS, ratio, written.strip()))
    return max(found)[2] if found else None


def _notes_column(header: Sequence[str], below: Sequence[Sequence[str]]) -> int | None:
    """The column of a form's export whose cells read as the notes ("What did you hear?"),
    to suggest: the one with the most words in the rows below (`_NOTE_WORDS` or more on
    average, and twice its name's), when its name reads as a name or a question and
    another cell of the header is a column name ("Timestamp", "Listener code", "Date"),
    so the header is not a row of notes."""
    best: tuple[float, int] | None = None
    for column, name in enumerate(header):
        cells = [row[column] for row in below if column < len(row) and row[column].strip()]
        if name.strip() and cells:
            words = sum(len(cell.split()) for cell in cells) / len(cells)
            best = max(best or (words, column), (words, column))
    # notes run to twice their column's name, or (a form's long question, "What did the
    # person tell you? Please use their own words") to its length
    if best is None or best[0] < max(_NOTE_WORDS, len(header[best[1]].split()) * (
            1 if "?" in header[best[1]] else 2)):
        return None
    column = best[1]
    named = any(note_field(h) or _form_date_rank(header_key(h)) is not None
                for i, h in enumerate(header) if i != column and h.strip())
    plain = not _header_shown(header[column].strip()).startswith("<")
    return column if named and plain else None


#: Headers that clearly mean a yes/no note field, matched on the header as `header_key`
#: gives it. The text column is never guessed: a wrong guess would store the wrong thing
#: as the note.
_CONSENT_WORDS = frozenset({"ok", "okay", "can", "happy"})
#: A safeguarding question that does not say "safeguarding": it speaks of a risk ("Risk to
#: self or others?", "Is the person at risk?"), or of a worry or concern about safety, harm
#: or danger ("Any worries about their safety?"), or asks whether there is a worry at all
#: ("Any worries?", "Concerns?", "Are you worried about them?"; a question, not a
#: topic's name such as "Money worries", a label column): a listener's "yes" there
#: must reach a person, and a false alarm is only acknowledged. A concern that is about
#: something else, or asks what it is, is not one ("Any other concerns?", "Concerns raised
#: about services", "What worries them most?": the note or a comment).
_WORRY = ("worr", "concern")
_DANGER = ("safe", "unsafe", "harm", "danger")
_NOT_A_WORRY_FOR_THEM = frozenset(
    "other others else service services comment comments feedback complaint complaints "
    "suggestion suggestions improve improvement improvements".split()
)
_ASKS_WHAT = ("what", "which", "how", "why", "when", "who", "where")
_ASKS_WHETHER = ("any", "are", "is", "was", "were", "do", "did", "does", "has", "have", "had")


def _misspelt_safeguarding(key: str) -> bool:
    """"safegaurding", "safe guarding", "Safguarding?": a listener's "yes" must reach a
    person however the column's name is spelt."""
    words = re.findall(r"[a-z]+", key)
    candidates = words + [a + b for a, b in zip(words, words[1:], strict=False)]
    return any(
        difflib.SequenceMatcher(None, word, "safeguarding").ratio() >= 0.8
        for word in candidates
    )


def _asks_of_a_worry(key: str) -> bool:
    """Whether a (normalised) header asks of a worry about the person: about their
    safety ("Any worries about their safety?"), or whether there is one at all ("Any
    worries?", "Concerns?"), not what it is, nor a worry about something else, nor a
    topic's name ("Money worries")."""
    in_order = re.findall(r"[a-z0-9]+", key)
    words = set(in_order)
    if not any(w.startswith(_WORRY) for w in words):
        return False
    if any(w.startswith(_DANGER) for w in words):
        return True
    return (not words & _NOT_A_WORRY_FOR_THEM and in_order[0] not in _ASKS_WHAT
            and (key.endswith("?") or in_order[0] in _ASKS_WHETHER))


#: Words of a "where" question that asks the kind of place, not the town ("Where did
#: you talk: cafe, phone, home visit?", "Where (type of venue)?").
_SETTING_WORDS = frozenset({"setting", "kind", "type", "sort", "venue", "cafe", "phone",
                            "online", "visit"})


#: Words of a header that asks whether the person's words may be kept ("Keep their
#: words?", "OK to keep notes", "Consent to record", "Consent to store"): with a word of
#: agreeing (`_AGREE_WORDS`), or as a question of keeping or storing.
_KEEP_WORDS = frozenset({"keep", "kept", "keeping", "store", "stored", "storing", "storage",
                         "retain", "retained", "retention", "record", "recorded",
                         "recording"})
_AGREE_WORDS = _CONSENT_WORDS | {"consent", "consented", "agree", "agreed", "agrees",
                                 "permission", "allowed", "may"}
#: ... but not one of staying in touch or of quoting ("Keep in touch?", "Consent to record
#: and quote"): those are the other consents; nor of keeping someone safe ("Is she kept
#: safe?", `_DANGER`).
_NOT_KEEPING = frozenset({"touch", "contact", "quote", "quoting", "quoted"})


def _asks_to_keep(key: str, words: set[str]) -> bool:
    """Whether a (normalised) header asks if the person's words may be kept; not "Recorded
    by" or "Date recorded", which name who or when."""
    return bool(words & _KEEP_WORDS) and not words & _NOT_KEEPING and not any(
        w.startswith(_DANGER) for w in words) and (
        bool(words & _AGREE_WORDS)
        or (key.endswith("?") and bool(words & {"keep", "kept", "store", "stored", "retain"})))


def _alias_field(key: str) -> list[str]:
    """The note fields a (normalised) header that is not a field name clearly means: a
    question that starts with "where" ("Where did the conversation take place?") is the
    place, as `location` is, unless it asks the kind of place ("Where did you talk:
    cafe, phone, home visit?"); a name with the word "setting" ("What kind of setting
    was it?", "Type of setting") is the setting."""
    words = set(re.findall(r"[a-z0-9]+", key))
    found = []
    if "safeguard" in key or any(w.startswith("risk") for w in words) or _asks_of_a_worry(
        key
    ) or "sg" in words or _misspelt_safeguarding(key):
        found.append("safeguarding")
    where = key.startswith("where") and key[5:6] in ("", "_", "?")
    if "setting" in words or (where and words & _SETTING_WORDS
                              and not words & {"town", "village", "city"}):
        found.append("setting")
    elif where:
        found.append("place")
    if "quote" in key or "quoting" in key:
        found.append("consent_quote")
    if "contact" in key and ("consent" in key or words & _CONSENT_WORDS):
        found.append("consent_contact")
    if "safeguarding" not in found and _asks_to_keep(key, words):  # "Is she kept safe?"
        found.append("consent_keep")
    return found


def note_field(name: str) -> str | None:
    """The note field a column name means, as ingest reads it: its own name ("Heard On"),
    a usual name ("Note ID", "Date heard") or a clear variant ("Can we quote them?");
    None when it names no field, or several."""
    key = header_key(name)
    if key in NOTE_FIELDS:
        return key
    if (usual := _usual_field(key)) in NOTE_FIELDS:
        return usual
    found = _alias_field(key)
    return found[0] if len(found) == 1 else None


#: Header names (not cells) are shown up to this length in warnings; a form's question
#: (a name with "?") whole up to `QUESTION_CHARS`, so a suggested --text-col can be pasted.
HEADER_CHARS = 60
QUESTION_CHARS = 200


def _holds_personal_data(text: str) -> bool:
    """Whether redaction finds a name, contact detail or identifier in a short text."""
    from insight.redact import redact  # loads its word lists on first use only

    return bool(redact(text).spans)


def _header_shown(name: str, known: bool = False) -> str:
    """A column name of a file whose header row was found: shown as written when it reads
    as a name or a question, else only its length (a note typed into the header row).
    `known`: intake read the column by its name (a personal column's): a long label too. A
    name wrapped over two or three lines in its cell ("Date of\nconversation", as Excel
    headers often are) is shown on one line."""
    if 0 < name.count("\n") <= 2 and "\n\n" not in name.strip():
        name = " ".join(name.split())
    plain = ("\n" not in name and not re.search(r"\d{5}", name)
             and not re.search(r"[.!]\s+[^\W\d_]", name))  # one phrase or question
    if plain and len(name.split()) > 6 and "?" not in name:
        # a column read as a personal one by its name ("If they would like a call back,
        # their phone number") is a form's label, not a note typed into the header row:
        # shown whole, as `quarantine show` does, unless it names someone
        plain = known and len(name) <= QUESTION_CHARS and not _holds_personal_data(name)
    if plain and len(name) <= HEADER_CHARS:
        return repr(name)
    if plain and "?" in name and len(name) <= QUESTION_CHARS:
        return repr(name)  # a form's question, whole: a person pastes it into --text-col
    if plain and "?" in name:
        return repr(name[:HEADER_CHARS] + "...")
    return f"<a column name of {len(name)} characters>"


def _map_aliases(
    keys: list[str], header: list[str], warnings: list[str] | None, text_col: str = "text",
    columns: Mapping[str, str] | None = None,
) -> list[str]:
    """Keys with clear variants of the yes/no fields (e.g. "Any safeguarding worries?" as
    `safeguarding`) and the usual names of id, date, listener and place ("Date heard",
    "Note ID") renamed to the field, each reported: only where exactly one column matches
    the field and the file has no column of that exact name. With no column for the date
    of the conversation, the form's own date ("Timestamp", `_FORM_DATES`) is heard_on, and
    said so. The column named by `text_col` is `text`, and is never taken for another
    field (a form's question "Any safeguarding worries, and what did you hear?" is the
    notes). `columns` (field -> column name, `--column place=Village`) names other
    fields' columns the same way: they are read as the field, and never guessed at."""
    text_key = header_key(text_col)
    chosen = keys.index(text_key) if text_key != "text" and text_key in keys else None
    if chosen is not None and "text" in keys:
        raise FileRejected(
            f"has a 'text' column as well as '{text_col}': rename or remove one of them"
        )
    named = _named_columns(keys, header, columns or {})
    matches: dict[str, list[int]] = {}
    form_dates: list[tuple[int, int]] = []  # (rank in _FORM_DATES, index)
    for index, key in enumerate(keys):
        if not key or key in NOTE_FIELDS or index == chosen or index in named:
            continue
        if (usual := _usual_field(key)) in MAPPED_ALIAS_FIELDS:  # "Date heard", "Note ID"
            matches.setdefault(usual, []).append(index)
            continue
        if (rank := _form_date_rank(key)) is not None:
            form_dates.append((rank, index))
            continue
        fields = _alias_field(key)
        if len(fields) == 1:
            matches.setdefault(fields[0], []).append(index)
        elif len(fields) > 1 and warnings is not None:
            warnings.append(
                f"{_header_shown(header[index].strip())} could be "
                f"{' or '.join(fields)}, so it was not read as either; rename it"
            )
    mapped = list(keys)
    for index, field_name in named.items():
        mapped[index] = field_name
    for field_name, indexes in matches.items():
        if field_name in named.values():
            continue
        shown = [_header_shown(header[i].strip()) for i in indexes]
        if field_name in keys:  # the exact column wins
            if warnings is not None:
                warnings.append(
                    f"{' and '.join(shown)} also look{'s' if len(shown) == 1 else ''} like "
                    f"{field_name}, but only the '{field_name}' column was read"
                )
            continue
        if len(indexes) > 1:
            if warnings is not None:
                warnings.append(
                    f"{' and '.join(shown)} all look like {field_name}, so none was read "
                    f"as it; rename the one that holds it to '{field_name}'"
                )
            continue
        mapped[indexes[0]] = field_name
        if warnings is not None:
            warnings.append(f"read {shown[0]} as {field_name}")
    if (form_dates and "heard_on" not in keys and "heard_on" not in matches
            and "heard_on" not in named.values()):
        index = min(form_dates)[1]
        mapped[index] = "heard_on"
        if warnings is not None:
            warnings.append(
                f"read {_header_shown(header[index].strip())} as heard_on: it is when the "
                "form was filled in, as no column gives the date of the conversation"
            )
    if chosen is not None:
        mapped[chosen] = "text"
    return mapped


def _named_columns(
    keys: list[str], header: list[str], columns: Mapping[str, str]
) -> dict[int, str]:
    """Where each column `columns` names is (index -> field), checked: the column exists,
    and no other column already has the field's own name."""
    found: dict[int, str] = {}
    for field_name, name in columns.items():
        wanted = header_key(name)
        if wanted not in keys:
            close = closest_header(name, header, keys)
            hint = f"; did you mean {_header_shown(close)}?" if close else ""
            raise FileRejected(
                f"no column '{name}' (named by --column {field_name}=...){hint}")
        index = keys.index(wanted)
        if wanted != field_name and field_name in keys:
            raise FileRejected(
                f"has a '{field_name}' column as well as '{name}' (named by --column "
                f"{field_name}=...): rename or remove one of them"
            )
        found[index] = field_name
    return found


def _header_keys(
    header: list[str],
    rest: Iterator[list[str]],
    text_col: str,
    normalise_headers: bool,
    warnings: list[str] | None,
    map_aliases: bool,
    text_col_option: bool,
    line: str = "line",
    columns: Mapping[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The keys a header row gives each column (checked: a text column, no name twice),
    and each key to its name as written. `rest` is the rows after the header, read only
    to explain a missing text column."""
    keys = [header_key(h) if normalise_headers else h.strip() for h in header]
    if header_key(text_col) not in {header_key(k) for k in keys}:
        raise _no_text_column(header, text_col, rest, text_col_option, line)
    repeated = sorted({k for k in keys if k and keys.count(k) > 1})
    if repeated and map_aliases and not set(repeated) & {
        header_key(text_col), *NOTE_FIELDS, *(header_key(c) for c in (columns or {}).values())
    }:  # a form's two questions alike ("Anything else?" in two sections): none is stored
        names = [_header_shown(next(h for h, k in zip(header, keys, strict=True) if k == key))
                 for key in repeated]
        keys, header = _numbered_repeats(keys, header)
        if warnings is not None:
            warnings.append(
                f"more than one column is called {' or '.join(names)}: each after the first "
                "is read with a number after its name ('... (2)'); none is a note field"
            )
        repeated = []
    if repeated:  # a dict per row would silently keep only the last of them
        shown = ", ".join(_header_shown(next(h for h, k in zip(header, keys, strict=True)
                                             if k == key)) for key in repeated)
        raise FileRejected(f"column names appear more than once: {shown}; rename or remove "
                           "all but one of each")
    if map_aliases:
        keys = _map_aliases(keys, header, warnings, text_col, columns)
    return keys, dict(zip(keys, header, strict=True))


def _numbered_repeats(keys: list[str], header: list[str]) -> tuple[list[str], list[str]]:
    """Keys and names with a column whose name came before numbered: the second
    "Anything else?" is "Anything else? (2)", so no row loses its cell (a dict per row
    keeps only the last of a repeated key, and every cell is screened for safeguarding)."""
    keys, header = list(keys), list(header)
    for index, key in enumerate(keys):
        if not key or key not in keys[:index]:
            continue
        number = 2
        while header_key(f"{header[index].strip()} ({number})") in keys:
            number += 1
        header[index] = f"{header[index].strip()} ({number})"
        keys[index] = header_key(header[index])
    return keys, header


#: What SurveyMonkey writes under each question in its second header row.
_SUB_HEADERS = frozenset({"response", "open-ended response", "other (please specify)",
                          "date / time"})


def _second_header(header: Sequence[str], values: Sequence[str], text_col: str) -> bool:
    """Whether the row under the header is a second header row, as SurveyMonkey exports
    have: under the notes' question a sub-header word ("Open-Ended Response") or the
    column's own name, and in every other filled cell one of those, or an answer option of
    a question spread over several columns (the cells under a named column followed by
    unnamed ones: "GP", "Crisis team"). Such a row is neither a note nor a row error."""
    wanted = header_key(text_col)
    named = [h.strip() for h in header] + [""] * max(0, len(values) - len(header))

    def sub_header(column: int, value: str) -> bool:
        return (" ".join(value.lower().split()) in _SUB_HEADERS
                or header_key(value) == header_key(named[column]))

    text_at = next((i for i, h in enumerate(named) if header_key(h) == wanted), len(values))
    if text_at >= len(values) or not sub_header(text_at, values[text_at]):
        return False
    return all(
        sub_header(i, value) or not named[i] or (i + 1 < len(named) and not named[i + 1])
        for i, value in enumerate(values) if value.strip()
    )


def _second_header_warning(line: str, number: int) -> str:
    return (
        f"{line} {number} is a second header row (SurveyMonkey's 'Response', 'Open-Ended "
        "Response' under the questions), not a note: skipped"
    )


def _csv_rows(
    text: str,
    path: Path,
    text_col: str = "text",
    normalise_headers: bool = True,
    warnings: list[str] | None = None,
    map_aliases: bool = False,
    text_col_option: bool = True,
    keep_blank_rows: bool = False,
    columns: Mapping[str, str] | None = None,
) -> Iterator[RawRow]:
    lines = io.StringIO(text, newline="").readlines()  # as the reader counts them
    base = 0  # lines before the text the reader reads (it restarts after a runaway quote)
    if lines and (said := _SEP_LINE.fullmatch(lines[0].rstrip("\r\n"))) is not None:
        # Excel's "sep=;" line names the delimiter; the header is the line under it
        delimiter, base = said.group(1), 1
        text = "".join(lines[1:])
    else:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else _sniff_delimiter(text)
    # a title above the header, as in a sheet (a Google Sheet's "Q3 listening,,,,"):
    # left out by the same rule, and said; the rows keep the file's line numbers
    probe = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        titles = _title_rows(itertools.islice(probe, _TITLE_ROWS), header_key(text_col))
    except csv.Error:  # a quote left open: the header is read as it is, and errors said
        titles = 0
    if titles:
        probe = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for _ in range(titles):
            next(probe)
        if warnings is not None:
            warnings.append(_titles_left_out(base + 1, base + probe.line_num + 1, "line"))
        base += probe.line_num
        text = "".join(lines[base:])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise FileRejected("file is empty") from exc
    except csv.Error as exc:
        raise FileRejected(f"cannot read the CSV header: {exc}") from exc
    keys, written = _header_keys(
        header, reader, text_col, normalise_headers, warnings, map_aliases, text_col_option,
        columns=columns,
    )
    trailing_warned = False
    first_row = True  # the row under the header: a second header row?
    previous_end = base + reader.line_num
    blank: list[int] = []  # rows of empty cells (",,,"): skipped, and said so
    while True:
        start = previous_end + 1
        try:
            values = next(reader)
        except StopIteration:
            if blank and warnings is not None:
                warnings.append(f"{len(blank)} row{_s(len(blank))} with every cell empty "
                                f"skipped (line{_s(len(blank))} "
                                f"{some_of([str(n) for n in blank])})")
            return
        except csv.Error as exc:  # e.g. a cell over the size limit: a quote left open?
            previous_end = base + reader.line_num
            long_quote = _first_long_quote(lines[start - 1 :], start, delimiter)
            if long_quote is None:
                span = f"lines {start}-{previous_end}" if previous_end > start else f"line {start}"
                yield RawRow(start, None, f"unreadable CSV row ({span}): {exc}")
                continue
            opened, closed = long_quote
            yield from _swallowed(lines, start, opened, closed, closed or len(lines))
            if closed is None:
                return
            base = previous_end = closed
            reader = csv.reader(
                io.StringIO("".join(lines[closed:]), newline=""), delimiter=delimiter
            )
            continue
        previous_end = base + reader.line_num
        under_header, first_row = first_row, False
        if previous_end > start and '"' in lines[start - 1]:  # over several lines
            # a note on several lines whose quote closes as written is the csv reader's row
            long_quote = _first_long_quote(
                lines[start - 1 : previous_end], start, delimiter, broken=True
            )
            if long_quote is not None:
                opened, closed = long_quote
                if closed is None or _row_like(
                    lines[opened:closed], len(keys), delimiter, lines[start - 1]
                ):
                    yield from _swallowed(lines, start, opened, closed, previous_end)
                    continue
        elif previous_end == start == len(lines) and '"' in lines[start - 1]:
            if _first_long_quote(lines[start - 1 :], start, delimiter) is not None:
                yield from _swallowed(lines, start, start, None, start)
                return
        if not values or (all(not v.strip() for v in values) and not keep_blank_rows):
            if values:
                blank.append(start)
            continue
        raw = delimiter.join(values)
        if len(values) > len(keys) and all(not v.strip() for v in values[len(keys) :]):
            values = values[: len(keys)]  # empty cells a spreadsheet left at the end
            if not trailing_warned and warnings is not None:
                warnings.append("empty cells after the last column were ignored")
            trailing_warned = True
        if under_header and _second_header(header, values, text_col):
            if warnings is not None:
                warnings.append(_second_header_warning("line", start))
            continue
        if len(values) != len(keys):
            yield RawRow(
                start, None, f"row has {len(values)} fields but the header has {len(keys)}"
                + (" (a comma in a note that is not inside quote marks?)"
                   if len(values) > len(keys) else ""), raw,
                cells=dict(zip(keys, values, strict=False)),
            )
            continue
        yield RawRow(start, dict(zip(keys, values, strict=True)), raw=raw, headers=written)


#: Workbooks read directly (openpyxl); the first visible sheet holds the notes.
WORKBOOKS = (".xlsx", ".xlsm", ".xltx", ".xltm")
#: Spreadsheet files that are not read: saved as .xlsx or CSV they are.
SPREADSHEETS = (".xls", ".xlsb", ".ods", ".numbers")
#: What a formula that failed leaves in a cell.
_EXCEL_ERRORS = frozenset(
    {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
)
#: Rows after the last blank row of a sheet that may be a footer ("Total: 8", "Last updated").
_FOOTER_ROWS = 3
#: A footer is short ("Total: 8", "Last updated 3 May 2025 by Sam"); a longer text is a note.
_FOOTER_WORDS = 10
#: Number formats whose look people rely on: zero-padded ids ("00124") and percentages.
_ZERO_PADDED = re.compile(r"0{2,}")


def _cell_text(value: Any, number_format: str = "General") -> str:
    """A cell as the text a CSV export of it would hold: whole numbers without ".0" (or
    zero-padded, as shown), a date without a midnight time, yes/no for a tick box."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if number_format.endswith("%"):
            return f"{value * 100:g}%"
        if float(value).is_integer():
            whole = str(int(value))
            if _ZERO_PADDED.fullmatch(number_format):
                return whole.zfill(len(number_format))
            return whole
        return str(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _unreadable_workbook(path: Path, exc: Exception) -> FileRejected:
    """Why a .xlsx could not be opened, in words that say what to do."""
    head = path.read_bytes()[:8] if path.is_file() else b""
    if not head:
        return FileRejected("the file is empty")
    if path.name.startswith("~$"):
        return FileRejected(
            "is the lock file Excel keeps while a workbook is open, not a workbook: skip it "
            "(close the workbook in Excel and it goes away)"
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return FileRejected(
            "is password-protected (encrypted) or an old .xls saved under another name: "
            "remove the password (File > Info > Protect Workbook) or save it as .xlsx, then "
            "try again"
        )
    if not head.startswith(b"PK"):
        if (kind := _another_kind(path.read_bytes()[:65_536])) is not None:
            return FileRejected(kind)  # a PDF or a web page under a workbook's name
        try:
            decode(path.read_bytes()[:65_536])
        except FileRejected:
            pass
        else:
            return FileRejected(
                "is a text file, not an Excel workbook: if it is CSV, rename it to .csv"
            )
    return FileRejected(
        f"not a readable Excel workbook ({type(exc).__name__}); open it in a spreadsheet "
        "program and save it again as .xlsx, or as CSV (UTF-8)"
    )


def _sheet_xml_facts(sheet: Any) -> tuple[list[tuple[int, int, int]], list[str]]:
    """What a read-only sheet does not apply or tell: cells merged over several rows, as
    (column, first row, last row), and the cells whose formulas have no saved value (a file
    written by a program, not saved by a spreadsheet: they read as empty). Read from the
    sheet's XML in one pass."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import range_boundaries

    merged = []
    unsaved: list[str] = []
    with sheet._get_source() as source:  # openpyxl's own handle on the sheet's XML
        for _, element in iterparse(source):
            tag = element.tag.rpartition("}")[2]
            if tag == "c":
                children = {child.tag.rpartition("}")[2]: child for child in element}
                if "f" in children and not (children.get("v") is not None
                                            and children["v"].text):
                    unsaved.append(element.get("r", "?"))
            elif tag == "row":
                element.clear()
            elif tag == "mergeCell":
                min_col, min_row, _, max_row = range_boundaries(element.get("ref", ""))
                if max_row > min_row:
                    merged.append((min_col, min_row, max_row))
    return sorted(merged), unsaved


#: How many rows under a sheet's header are read to tell which sheet holds the notes.
_SHEET_SAMPLE_ROWS = 50


#: How far down a sheet or CSV file its header row is looked for, under a title.
_TITLE_ROWS = 20


def _title_rows(top: Iterable[Sequence[str]], wanted: str) -> int:
    """How many rows above the header to leave out (a hand-kept log's "Listening log 2026"
    merged across the top, "Please fill one row per conversation!", a blank row): the
    header is the first of the top rows with the notes column among other column names,
    and every row above it holds one cell or none. 0 when the header is the first row, is
    not found, or a row above it holds more (a table, not a title: the person is asked)."""
    above: list[Sequence[str]] = []
    for number, row in enumerate(top, start=1):
        keys = [header_key(v) for v in row]
        if wanted in keys and sum(1 for key in keys if key) > 1:
            return len(above) if all(sum(1 for v in r if v.strip()) <= 1 for r in above) \
                else 0
        if number >= _TITLE_ROWS:
            break
        above.append(row)
    return 0


def _titles_left_out(first: int, header: int, line: str) -> str:
    """What a file's title rows, left out, were ("row", or a CSV's "line")."""
    many = header - first > 1
    return (f"the header is {line} {header}: {line}{'s' if many else ''} {first}"
            f"{f' to {header - 1}' if many else ''} above it (a title or instructions?) "
            f"{'were' if many else 'was'} left out")


def _notes_words(sheet: Any, wanted: str) -> tuple[int, int] | None:
    """(the row of a sheet's header with the notes column among other column names, the
    words in that column in the rows under it), or None: notes run to sentences, a contacts
    list's "Note" column to a word or two."""
    header: int | None = None
    column = words = 0
    for number, row in enumerate(sheet.iter_rows(max_row=20 + _SHEET_SAMPLE_ROWS,
                                                 values_only=True), start=1):
        if header is None:
            keys = [header_key(_cell_text(v)) for v in row]
            if wanted in keys and sum(1 for key in keys if key) > 1:
                header, column = number, keys.index(wanted)
            elif number >= 20:
                return None
            continue
        if number > header + _SHEET_SAMPLE_ROWS:
            break
        if column < len(row):
            words += len(_cell_text(row[column]).split())
    return None if header is None else (header, words)


def _notes_sheet(book: Any, text_col: str) -> tuple[list[Any], Any]:
    """The visible sheets of a workbook and the one with the notes: of those with the notes
    column among other column names, in row 1 or under a title, the one whose column holds
    the most words (a contacts list beside the notes may have a "Note" column too; a cover
    or instructions sheet may be titled "Notes" in A1); if its header is under a title, the
    error says to delete the rows above, of that sheet. Else the first with the column
    alone in row 1, else the one whose first row has the most column names (a table, not a
    cover sheet's title), which then explains what is missing, with a "did you mean" where
    it can."""
    visible = [s for s in book.worksheets if s.sheet_state == "visible"]
    if not visible:
        raise FileRejected("the workbook has no visible sheet")
    wanted = header_key(text_col)
    alone = None
    widest, width = visible[0], 1
    best, most = None, -1
    for candidate in visible:
        candidate.reset_dimensions()  # the size a file records can be wrong (A1:A1): read all
        first = [header_key(_cell_text(v)) for row in candidate.iter_rows(
            max_row=1, values_only=True) for v in row]
        named = sum(1 for key in first if key)
        if (found := _notes_words(candidate, wanted)) is not None and found[1] > most:
            best, most = candidate, found[1]
        if wanted in first and named == 1:
            alone = alone or candidate
        if named > width:
            widest, width = candidate, named
    if best is not None:
        return visible, best
    if alone is not None:
        return visible, alone
    return visible, widest


class _SheetCells:
    """A read-only sheet's rows as the text of their cells, as a CSV export would hold them:
    a cell merged down several rows gives its value to each (openpyxl's read-only mode does
    not), and an Excel error ("#N/A") reads as empty and is kept in `errors` by row."""

    def __init__(self, merged: list[tuple[int, int, int]]) -> None:
        self.fill: dict[int, list[tuple[int, int]]] = {}  # row -> (column, merge's first row)
        self.starts: dict[int, list[int]] = {}  # row -> columns whose merge starts there
        for column, first, last in merged:
            self.starts.setdefault(first, []).append(column)
            for row in range(first + 1, last + 1):
                self.fill.setdefault(row, []).append((column, first))
        self.merged_values: dict[tuple[int, int], str] = {}
        self.errors: dict[int, list[tuple[int, str]]] = {}  # row -> (column, error) cells

    def __call__(self, number: int, cells: tuple[Any, ...]) -> list[str]:
        values = []
        for column, cell in enumerate(cells, start=1):
            if getattr(cell, "data_type", None) == "e" or (
                isinstance(cell.value, str) and cell.value in _EXCEL_ERRORS
            ):
                self.errors.setdefault(number, []).append((column, str(cell.value)))
                values.append("")
                continue
            values.append(_cell_text(cell.value, getattr(cell, "number_format", "General")))
        for column, first in self.fill.get(number, ()):  # the last column too
            values.extend([""] * (column - len(values)))
            if not values[column - 1].strip():
                values[column - 1] = self.merged_values.get((first, column), "")
        for column in self.starts.get(number, ()):
            self.merged_values[(number, column)] = (
                values[column - 1] if column <= len(values) else ""
            )
        return values


def _sheet_rows(
    path: Path,
    text_col: str = "text",
    normalise_headers: bool = True,
    warnings: list[str] | None = None,
    map_aliases: bool = False,
    text_col_option: bool = True,
    keep_blank_rows: bool = False,
    columns: Mapping[str, str] | None = None,
) -> Iterator[RawRow]:
    """Rows of the first visible sheet of an Excel workbook, numbered as the sheet numbers
    them.

    Cached values are read, not formulas; cells merged down several rows count in each of
    them; blank rows at the end of the sheet (formatted, never filled) are not rows."""
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise _unreadable_workbook(path, exc) from exc
    try:
        visible, sheet = _notes_sheet(book, text_col)
        said = ""  # which sheet was read: said once its header is, not before a rejection
        unread = ""  # other sheets with the notes column: said after the rows
        if len(visible) > 1 and warnings is not None:
            with_column = [s for s in visible if _notes_words(s, header_key(text_col))]
            which = ("the first" if sheet is visible[0] else "the first with the notes column"
                     if with_column and sheet is with_column[0] else
                     "the one whose notes column holds the most words")
            others = [s for s in visible if s is not sheet]
            wanted = header_key(text_col)
            tables = [s for s in others if s in with_column or wanted in {
                header_key(_cell_text(v)) for row in s.iter_rows(max_row=1, values_only=True)
                for v in row}]
            passed = [s for s in others if s not in tables]
            said = f"the workbook has {len(visible)} sheets; {which} " \
                   f"({shown_cell(sheet.title)}) was read"
            if passed:
                said += (f"; {', '.join(shown_cell(s.title) for s in passed)} "
                         f"{'has' if len(passed) == 1 else 'have'} no '{text_col}' column in "
                         "row 1, so passed over (a cover or instructions sheet?)")
            if tables:  # said last, on its own, so it is not lost among the rest
                one = len(tables) == 1
                unread = (f"NOT READ: {', '.join(shown_cell(s.title) for s in tables)} "
                          f"{'has' if one else 'have'} a '{text_col}' column too (one sheet "
                          f"is read a file): if {'it holds' if one else 'they hold'} notes "
                          f"(a second volunteer's log?), save {'it' if one else 'each'} as its "
                          f"own file and ingest {'it' if one else 'them'}")
        merged, unsaved = _sheet_xml_facts(sheet)
        if unsaved and warnings is not None:
            n = len(unsaved)
            more = f" and {n - 3} more" if n > 3 else ""
            warnings.append(
                f"{n} cell{'s' if n != 1 else ''} ({', '.join(unsaved[:3])}{more}) "
                f"hold{'' if n != 1 else 's'} a formula with no saved value (the file was "
                "written by a program, not saved by a spreadsheet), read as empty: open the "
                "file in Excel or LibreOffice, save it, and try again"
            )
        texts = _SheetCells(merged)
        rows = (texts(number, cells)
                for number, cells in enumerate(sheet.iter_rows(), start=1))
        # a title above the header: left out and said; the rows keep the sheet's numbers
        titles = _title_rows(([_cell_text(v) for v in row] for row in sheet.iter_rows(
            max_row=_TITLE_ROWS, values_only=True)), header_key(text_col))
        for _ in range(titles):
            next(rows)
        if titles and warnings is not None:
            warnings.append(_titles_left_out(1, titles + 1, "row"))
        try:
            header = next(rows)
        except StopIteration as exc:
            raise FileRejected("the sheet is empty") from exc
        while header and not header[-1].strip():
            header.pop()  # formatted but empty columns at the right
        try:
            keys, written = _header_keys(
                header, rows, text_col, normalise_headers, warnings, map_aliases,
                text_col_option, line="row", columns=columns,
            )
        except FileRejected as exc:
            if len(visible) == 1:
                raise
            raise FileRejected(f"sheet {shown_cell(sheet.title)} (of {len(visible)} in the "
                               "workbook; no sheet has the notes column in its header): "
                               f"{exc}") from exc
        if said and warnings is not None:
            warnings.insert(0, said)
        if merged and warnings is not None:
            shown = ", ".join(
                f"{get_column_letter(c)}{a}:{get_column_letter(c)}{b}" for c, a, b in merged[:3]
            )
            more = f" and {len(merged) - 3} more" if len(merged) > 3 else ""
            warnings.append(
                f"cells merged over several rows ({shown}{more}) were read as the same value "
                "in each of those rows"
            )
        # an error in another column (a lookup that failed) is read as empty, and said
        essential = {header_key(text_col), "text", "id"}
        error_cells: list[str] = []
        def parsed(number: int, values: list[str]) -> RawRow:
            raw = "\t".join(values).rstrip("\t")
            cells = dict(zip(keys, values, strict=False))
            vital = [(c, e) for c, e in texts.errors.get(number, ())
                     if c > len(keys) or keys[c - 1] in essential]
            if vital:  # the note or its id: not to be guessed
                column, error = vital[0]
                return RawRow(number, None, f"cell {get_column_letter(column)}{number} holds "
                              f"the Excel error {error}; fix the formula or type the value", raw,
                              cells=cells)
            for column, error in texts.errors.get(number, ()):
                error_cells.append(f"{get_column_letter(column)}{number} ({error})")
            extra = [i for i, v in enumerate(values[len(keys):], start=len(keys) + 1)
                     if v.strip()]
            if extra:
                return RawRow(
                    number, None,
                    f"row has a value in column {get_column_letter(extra[0])}, which has no "
                    f"name in row {titles + 1}: name the column or clear the cell", raw,
                    cells=cells,
                )
            values = values[: len(keys)] + [""] * (len(keys) - len(values))
            return RawRow(number, dict(zip(keys, values, strict=True)), raw=raw, headers=written)

        def numbered() -> Iterator[tuple[int, RawRow | None, int]]:
            """(row number, row or None for a blank row, cells filled, errors counted)."""
            for number, values in enumerate(rows, start=titles + 2):
                filled = sum(1 for v in values if v.strip()) + len(texts.errors.get(number, ()))
                if number == titles + 2 and filled and _second_header(header, values,
                                                                       text_col):
                    if warnings is not None:
                        warnings.append(_second_header_warning("row", number))
                    continue
                yield number, parsed(number, values) if filled else None, filled

        if keep_blank_rows:  # stateless commands: one output line per row, as it is
            listed = list(numbered())
            unreadable = {n for n, row, _ in listed if row is not None and row.data is None}
            footer = {r.line for r in _without_footer(listed) if r.data is None} - unreadable
            if footer and warnings is not None:
                many = len(footer) > 1
                warnings.append(
                    f"row{'s' if many else ''} {', '.join(map(str, sorted(footer)))} after the "
                    f"blank row at the end of the sheet look{'' if many else 's'} like a total "
                    "or a footer: left out"
                )
            blanks: list[int] = []
            for number, row, _ in listed:
                if number in footer:
                    continue
                if row is None:
                    blanks.append(number)  # a row only if a filled row follows
                    continue
                yield from (RawRow(n, dict.fromkeys(keys, ""), raw="", headers=written)
                            for n in blanks)
                blanks = []
                yield row
        else:
            yield from _without_footer(numbered())
        if error_cells and warnings is not None:
            more = f" and {len(error_cells) - 3} more" if len(error_cells) > 3 else ""
            warnings.append(
                f"cells holding an Excel error were read as empty: "
                f"{', '.join(error_cells[:3])}{more}"
            )
        if unread and warnings is not None:
            warnings.append(unread)
    finally:
        book.close()


def _without_footer(rows: Iterable[tuple[int, RawRow | None, int]]) -> Iterator[RawRow]:
    """A sheet's rows, but a footer ("Total: 8", "Last updated 3 May") quarantined: up to
    `_FOOTER_ROWS` short rows after the last blank row that fill fewer cells than the notes
    above. `rows`: (number, row or None for a blank row, cells filled)."""
    before: list[int] = []  # cells filled in the rows given out
    tail: list[tuple[RawRow, int]] | None = None  # rows held back after a gap
    gap = blanks = 0
    for _, row, filled in rows:
        if row is None:
            blanks += 1
            continue
        if blanks and (before or tail is not None):  # a gap: a footer may follow
            if tail is not None:
                yield from (r for r, _ in tail)
                before.extend(n for _, n in tail)
            tail, gap, blanks = [(row, filled)], blanks, 0
            continue
        blanks = 0
        if tail is None:
            before.append(filled)
            yield row
            continue
        tail.append((row, filled))
        if len(tail) > _FOOTER_ROWS:  # too long for a footer: notes after a gap
            yield from (r for r, _ in tail)
            before.extend(n for _, n in tail)
            tail = None
    if tail is None:
        return
    typical = sorted(before)[len(before) // 2]
    footer = all(
        n <= 2 and n < typical and len((row.raw or "").split()) <= _FOOTER_WORDS
        for row, n in tail
    )
    for row, _ in tail:
        if not footer:
            yield row
            continue
        yield RawRow(
            row.line, None,
            f"after the blank row{'s' if gap > 1 else ''} at the end of the sheet, with fewer "
            "cells filled than the notes above: a total or a footer? If it is a note, fill in "
            "its other columns in the file itself and ingest it again", row.raw,
            cells=row.data if row.data is not None else row.cells,
        )


def rows_upper_bound(path: Path, text_col: str = "text") -> int:
    """A cheap upper bound on a note file's rows, for a progress bar: its lines, or the
    rows of a workbook's notes sheet (counted in its XML; the size it records may lie)."""
    try:
        if path.suffix.lower() in WORKBOOKS:
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True)
            try:
                _, sheet = _notes_sheet(book, text_col)
                with sheet._get_source() as source:
                    return sum(chunk.count(b"<row ") + chunk.count(b"<x:row ")
                               for chunk in iter(lambda: source.read(1 << 20), b""))
            finally:
                book.close()
        with path.open("rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except Exception:  # only a progress bar: an unreadable file is reported when read
        return 0


def read_rows(
    path: Path,
    text_col: str = "text",
    normalise_headers: bool = True,
    *,
    map_aliases: bool = False,
    text_col_option: bool = True,
    keep_blank_rows: bool = False,
    columns: Mapping[str, str] | None = None,
) -> tuple[Iterator[RawRow], list[str]]:
    """Rows of a note file plus warnings; raises `FileRejected` for unreadable files.

    CSV headers and JSON keys are normalised (lower case, spaces and hyphens to `_`)
    unless `normalise_headers` is False (column names that are label names); a JSON
    record with two keys that normalise alike is an unreadable row. All strings come in
    Unicode NFC. Warnings about rows (e.g. empty cells after the last column) are added to
    the list while the rows are read.

    `map_aliases` (note intake): CSV headers and JSON keys that clearly mean a yes/no note field
    ("Any safeguarding worries?") are read as that field, each with a warning.
    `text_col_option`: whether the command has a --text-col option to suggest.
    `keep_blank_rows`: a CSV row of empty cells (",,") is a row, not skipped (stateless
    commands write one line per input row); a line with nothing on it is still skipped.
    `columns` (with `map_aliases`): field -> the column (or JSON key) that holds it.
    """
    if path.is_dir():
        raise FileMissing("is a folder, not a file")
    if not path.is_file():
        raise FileMissing("no such file")
    suffix = path.suffix.lower()
    if suffix in SPREADSHEETS:
        raise FileRejected(
            f"{suffix} spreadsheets are not read; save the sheet as .xlsx or as CSV (UTF-8)"
        )
    if suffix in WORKBOOKS:
        warnings: list[str] = []
        rows = _sheet_rows(
            path, text_col, normalise_headers, warnings, map_aliases, text_col_option,
            keep_blank_rows, columns,
        )
        return (_nfc_row(row) for row in rows), warnings
    text, warning = decode(path.read_bytes())
    warnings = [warning] if warning else []
    if _detect_format(path, text) == "json":
        rows = _json_rows(text, normalise_headers, warnings, map_aliases, text_col, columns)
    else:
        rows = _csv_rows(
            text, path, text_col, normalise_headers, warnings, map_aliases, text_col_option,
            keep_blank_rows, columns,
        )
    return (_nfc_row(row) for row in rows), warnings


def _nfc_row(row: RawRow) -> RawRow:
    if row.data is not None:
        row.data = _nfc(row.data)
    return row


def _key(data: dict[str, Any], name: str) -> str | None:
    """The key of `data` for column `name`: exact, else equal as a header ("Text")."""
    if name in data:
        return name
    wanted = header_key(name)
    return next((k for k in data if header_key(k) == wanted), None)


@dataclass
class NotKept:
    """Rows a stateless command (classify, redact) leaves out of its output because their
    person did not agree to their words being kept (`keeps_words`, the column found as
    ingest finds it): ingest stores nothing of such a row, so they write nothing of it.
    Named by line, never by their words."""

    lines: list[int] = field(default_factory=list)
    #: Of those, lines that say safeguarding yes or whose words the phrase screen flags:
    #: in no output, so a person must read them in the file.
    concerns: list[int] = field(default_factory=list)


def read_texts(
    path: str | Path,
    *,
    id_col: str = "id",
    text_col: str = "text",
    warnings: list[str] | None = None,
    errors: dict[int, str] | None = None,
    not_kept: NotKept | None = None,
    screen: Callable[[str], str | None] | None = None,
) -> tuple[list[str | None], list[str]]:
    """`_read_texts`, with the file named in any error; `warnings` gets the file's (e.g.
    which sheet of a workbook was read)."""
    try:
        return _read_texts(path, id_col=id_col, text_col=text_col, warnings=warnings,
                           errors=errors, not_kept=not_kept, screen=screen)
    except FileRejected as exc:
        raise type(exc)(f"{path}: {exc}") from None


def _json_kind(value: Any) -> str:
    """What a JSON value is, in words, for a message that must not show it."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__


def _read_texts(
    path: str | Path,
    *,
    id_col: str = "id",
    text_col: str = "text",
    warnings: list[str] | None = None,
    errors: dict[int, str] | None = None,
    not_kept: NotKept | None = None,
    screen: Callable[[str], str | None] | None = None,
) -> tuple[list[str | None], list[str]]:
    """Ids and texts of every row kept, in order, for stateless commands (classify, redact).

    A row without an id gets its row number; a row without text gets "" so output stays
    one line per input row, and no made-up id (None, unless it has its own): a blank row's
    number could be another row's id. A file where no row has the text column is refused.
    A row that cannot be read (malformed JSON, a text that is a number) raises
    `FileRejected` naming the line; with `errors`, it keeps its place as a row with no
    text, and `errors` maps its position to what was wrong (a file no row of which can
    be read is still refused).

    A row whose person did not agree to their words being kept (a "Keep their words?"
    column saying no, read as ingest reads it) is left out, with nothing of it returned;
    its line goes to `not_kept` (else to `warnings`), with whether it raises a concern (its
    safeguarding answer, or `screen`). Rows after it keep their numbers.
    """
    rows, found = read_rows(Path(path), text_col=text_col, keep_blank_rows=True)
    ids: list[str | None] = []
    texts: list[str] = []
    keys_seen: dict[str, None] = {}
    found_text = id_found = False
    without_text: list[int] = []  # JSON records without the key (a CSV row has the column)
    empty: list[int] = []  # rows with the text column but nothing in it
    id_aliases: dict[str, None] = {}
    numbers: list[str | None] = []  # the id a row without one gets, if no row has one
    lines: list[int] = []
    bad: list[int] = []  # lines of rows kept in `errors`
    left_out = not_kept if not_kept is not None else NotKept()
    fields_of: dict[tuple[str, ...], dict[str, str]] = {}  # per key set, worked out once
    sample: list[dict[str, Any]] = []  # the first records, to tell ids from text in a hint
    for number, row in enumerate(rows, start=1):
        if row.data is None:
            if errors is None:
                raise FileRejected(f"line {row.line}: {row.error}")
            errors[len(texts)] = f"line {row.line}: {row.error}"
            bad.append(row.line)
            ids.append(None)
            numbers.append(None)
            lines.append(row.line)
            texts.append("")
            continue
        data = row.data
        keys_seen.update(dict.fromkeys(data))
        if len(sample) < 20:
            sample.append(data)
        text_key, id_key = _key(data, text_col), _key(data, id_col)
        id_found |= id_key is not None
        if id_key is None and id_col == "id":  # "Note ID", as ingest reads it
            id_key = next((k for k in data if note_field(k) == "id"), None)
            if id_key is not None:
                id_aliases[(row.headers or {}).get(id_key, id_key)] = None
        value = data.get(text_key) if text_key is not None else None
        readable = isinstance(value, str | None)
        if not readable:  # JSON: a number, true/false, a list
            reason = f"line {row.line}: '{text_col}' is not text ({_json_kind(value)})"
            if errors is None:
                raise FileRejected(reason)
            errors[len(texts)] = reason
            bad.append(row.line)
            value = None
        found_text |= text_key is not None
        fields = _as_note_fields(data, row.headers, text_key, id_key, fields_of)
        if not keeps_words(fields.get("consent_keep")):  # nothing of it goes out
            left_out.lines.append(row.line)
            if _raises_concern(fields, screen):
                left_out.concerns.append(row.line)
            continue
        if text_key is None:
            without_text.append(row.line)
        identifier = data.get(id_key) if id_key is not None else None
        identifier = str(identifier).strip() if identifier is not None else ""
        has_text = bool((value or "").strip())
        if text_key is not None and not has_text and readable:
            empty.append(row.line)
        ids.append(identifier or None)  # trimmed, as ingest does
        numbers.append(str(number) if has_text else None)
        lines.append(row.line)
        texts.append(value or "")
    if bad and errors is not None and len(bad) == len(texts) and not left_out.lines:
        raise FileRejected(f"no row could be read; {errors[0]}")
    names = list(keys_seen)  # for a message naming the keys (columns) the file has
    shown = ", ".join(shown_cell(k) for k in names[:12]) + (", ..." if len(names) > 12 else "")
    if texts and not found_text:
        cells = [["" if d.get(k) is None else d[k] for k in names] for d in sample]
        close = text_column_like(text_col, names, cells) or next(
            (k for i, k in enumerate(names) if _close_field(k, [header_key(text_col)])
             and not _reads_as_id(k, [row[i] for row in cells])), None)
        hint = (f" (use --text-col {close!r} if it holds the texts)"
                if close and len(close) <= SHOWN_CHARS else "")
        raise FileRejected(f"no record has a '{text_col}' key; the keys are: {shown}{hint}")
    if texts and id_col != "id" and not id_found:
        # a named id column that is not there: numbering the rows would hide the mistake
        close = next((k for k in names if _close_field(k, [header_key(id_col)])
                      and len(k) <= SHOWN_CHARS), None)
        raise FileRejected(f"no id column '{id_col}'; the columns are: {shown}"
                           + (f" (did you mean --id-col {close!r}?)" if close else ""))
    # Row numbers stand in for ids only in a file that has none: where other rows have ids,
    # a row's number could be another row's id, so it gets none and is named instead.
    unnamed = [line for line, i, n in zip(lines, ids, numbers, strict=True)
               if i is None and n is not None]
    if any(i is not None for i in ids):
        numbers = [None] * len(ids)
    else:
        unnamed = []
    ids = [i if i is not None else n for i, n in zip(ids, numbers, strict=True)]
    if warnings is not None:
        warnings.extend(found)
        warnings.extend(f"read {shown_cell(k)} as id" for k in id_aliases)
        if without_text:
            n = len(without_text)
            warnings.append(
                f"{n} record{_s(n)} (line{_s(n)} {some_of([str(i) for i in without_text])}) "
                f"{'have' if n != 1 else 'has'} no '{text_col}' key: written with no tags"
            )
        where = "row" if Path(path).suffix.lower() in WORKBOOKS else "line"
        if unnamed:
            n = len(unnamed)
            warnings.append(
                f"{n} row{_s(n)} with text had no id: {where}{_s(n)} "
                f"{some_of([str(line) for line in unnamed])} (written with no id, in input "
                "order; a row number could be another row's id)"
            )
        if empty:
            n = len(empty)
            warnings.append(
                f"{n} row{_s(n)} had no text: {where}{_s(n)} "
                f"{some_of([str(line) for line in empty])} (each kept as a line of its own, "
                "with no id unless it has one)"
            )
        if bad:
            n = len(bad)
            warnings.append(
                f"{n} row{_s(n)} could not be read: {where}{_s(n)} "
                f"{some_of([str(line) for line in bad])} (each kept as a line of its own, "
                "with an error field saying why)"
            )
        if not_kept is None and left_out.lines:
            n = len(left_out.lines)
            warnings.append(
                f"{n} row{_s(n)} not kept: {where}{_s(n)} "
                f"{some_of([str(line) for line in left_out.lines], 30)} (the person did not "
                "agree to their words being kept; nothing of them is returned)"
            )
    return ids, texts


def _as_note_fields(data: dict[str, Any], headers: Mapping[str, str] | None,
                    text_key: str | None, id_key: str | None,
                    known: dict[tuple[str, ...], dict[str, str]]) -> dict[str, Any]:
    """A stateless command's row keyed by note field as ingest reads its columns
    (`_map_aliases`: "Keep their words?" is consent_keep, "Any safeguarding worries?" is
    safeguarding), the text column as `text`; other columns keep their keys. `known`
    caches each key set's fields, as a file's rows share one header."""
    keys = tuple(data)
    if keys not in known:
        others = ["" if k in (text_key, id_key) else k for k in keys]
        shown = [(headers or {}).get(k, k) for k in keys]
        mapped = _map_aliases(others, shown, None)
        known[keys] = {k: "text" if k == text_key else "id" if k == id_key else
                       m if m and m not in ("text", "id") else k
                       for k, m in zip(keys, mapped, strict=True)}
    return {known[keys][k]: value for k, value in data.items()}


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
    #: Already-present notes a re-ingested row changed, and how many of each change
    #: (e.g. "consent to quote withdrawn": 1, "safeguarding flagged": 1).
    updated_ids: set[str] = field(default_factory=set)
    changes: dict[str, int] = field(default_factory=dict)
    #: Of those, notes whose row was quarantined because its text differs from the stored
    #: note: only a withdrawn consent or a new safeguarding flag was taken from it.
    updated_text_differs: int = 0
    #: Rows of erased notes: never restored or changed, and counted here only (not as
    #: already present), so the counts add up to the rows read.
    erased: int = 0
    #: Rows saying safeguarding No for a note that is flagged: the flag is kept.
    kept_flagged: int = 0
    #: Consents given by a row for a note whose consent was withdrawn before: not applied
    #: (how many, and the notes, named so a person can ask again)
    consent_not_restored: int = 0
    consent_not_restored_ids: list[str] = field(default_factory=list)
    #: Notes whose consent to quote the file withdrew: reports written before may quote
    #: them (`Store.reports_quoting`).
    quote_withdrawn: list[str] = field(default_factory=list)
    #: Notes whose words a corrected answer replaced (`replace_text`): named, as the model
    #: must read them again and a person's categories were about the old words.
    text_replaced: list[str] = field(default_factory=list)
    #: Notes whose consent a person gave after the files said no, withdrawn again by this
    #: file's no (maybe the same old answer): named, so the lead can tell.
    person_consent_undone: list[str] = field(default_factory=list)
    #: (line, stored note id): new notes that read almost the same as a stored note by the
    #: same listener (a corrected form answer?); both kept.
    near_twins: list[tuple[int, str]] = field(default_factory=list)
    #: line of a near twin -> how its answers differ from the stored note's ("consent to
    #: quote: yes there, no here"): which note is erased decides which answer holds.
    near_twin_answers: dict[int, str] = field(default_factory=dict)
    #: field -> stored notes whose row gives another value for it: the stored value is
    #: kept (ingesting again fills fields, never changes them; `insight notes update` does)
    fields_kept: dict[str, list[str]] = field(default_factory=dict)
    #: (line, stored note id): new notes with the very words of a stored one (or one
    #: earlier in the file) but heard on another day or by another listener: kept, as
    #: another conversation in which the same thing was said.
    same_words_kept: list[tuple[int, str]] = field(default_factory=list)
    #: (line, new note id): short new notes with the very words of an erased note (under
    #: another id, date or listener): stored, as another person may say the same few
    #: words, and named, as it may be the erased one come back.
    erased_words_kept: list[tuple[int, str]] = field(default_factory=list)
    #: Already-present notes no person had labelled, given the row's categories.
    labelled: int = 0
    #: Each category a rejected row gives that the codebook lacks -> its rows' lines: a
    #: file labelled by hand spells one label many ways, and each spelling is one fix.
    unknown_labels: dict[str, list[int]] = field(default_factory=dict)
    #: Rows whose categories differ from those a person gave the stored note: kept.
    labels_kept: int = 0
    #: Lines of rejected rows marked safeguarding yes, or whose text the phrase screen
    #: flags: not stored, so not in the queue; a person must read them now.
    rejected_concerns: list[int] = field(default_factory=list)
    #: Columns not read as a note field whose name speaks of a concern ("Welfare
    #: concern"), with how many rows say yes in them: a safeguarding question under a new
    #: name, whose yeses no queue holds until it is named with `--column`.
    unread_concern_columns: list[tuple[str, int]] = field(default_factory=list)
    #: Lines of rows of erased notes marked safeguarding yes or flagged by the phrase
    #: screen: an erased note is never stored again, so a person must read them now.
    erased_concerns: list[int] = field(default_factory=list)
    #: (line, column) of stored notes flagged for words in a column that is not stored:
    #: a person reads them in the file, as the workspace does not hold them.
    unstored_concerns: list[tuple[int, str]] = field(default_factory=list)
    #: The first quarantined rows' (line, reason), to show at once (all are in the file).
    first_reasons: list[tuple[int, str]] = field(default_factory=list)
    #: Lines of rows whose person did not agree to their words being kept
    #: (`consent_keep`): nothing of them is stored, in the database or in quarantine.
    not_kept: list[int] = field(default_factory=list)
    #: Of those, lines that raise a safeguarding concern (a yes, or a phrase) that no
    #: stored note carries to the queue: a person must read them in the file now.
    not_kept_concerns: list[int] = field(default_factory=list)
    #: (line, note id): rows not kept whose note a file stored before: a file never erases
    #: a note (it cannot be undone), so a person does (`insight erase --note ID`).
    keep_refused: list[tuple[int, str]] = field(default_factory=list)

    @property
    def updated(self) -> int:
        return len(self.updated_ids)

    @property
    def balanced(self) -> bool:
        """Whether every row read is counted once: stored, rejected, already present, an
        erased note's or not kept."""
        return self.rows_read == (self.accepted + self.rejected + self.already_present
                                  + self.erased + len(self.not_kept))

    def change_summary(self) -> list[str]:
        """Lines for people on what a re-ingest changed (or refused to) on stored notes."""
        lines = []
        if self.updated:
            order = [*_WITHDRAWN.values(), _FLAGGED, *_GIVEN.values()]
            kinds = sorted(self.changes, key=lambda k: order.index(k) if k in order else 99)
            listed = ", ".join(f"{kind} {self.changes[kind]}" for kind in kinds)
            line = (
                f"updated {self.updated} already-present note{_s(self.updated)}: {listed}"
            )
            if self.updated_text_differs:
                line += (
                    f" ({self.updated_text_differs} from rows quarantined because their "
                    "text differs from the stored note: only the withdrawn consent or "
                    "safeguarding flag was taken from them)"
                )
            lines.append(line)
        if self.erased:
            lines.append(
                f"{self.erased} row{_s(self.erased)} of erased notes: erased, not restored"
            )
        if self.kept_flagged:
            lines.append(
                f"{self.kept_flagged} row{_s(self.kept_flagged)} "
                f"{'says' if self.kept_flagged == 1 else 'say'} safeguarding No for a "
                "note already flagged: the flag stays (a person clears it by acknowledging "
                "it in the safeguarding queue)"
            )
        if undone := [shown_cell(i) for i in dict.fromkeys(self.person_consent_undone)]:
            lines.append(
                f"consent withdrawn from {some_of(undone, 10)}, to which a person had given "
                "it after a file said no: a withdrawal always applies. If this file's no is "
                "that old answer, correct it in the form's responses, then record the "
                "person's consent again (`insight notes consent`)"
            )
        if self.near_twins:
            listed = [f"line {line} ~ {shown_cell(note_id)}"
                      + (f" ({differ})" if (differ := self.near_twin_answers.get(line)) else "")
                      for line, note_id in self.near_twins]
            # every one whose answers differ is named: erasing the wrong note keeps an old yes
            shown = max(5, 1 + max((i for i, (line, _) in enumerate(self.near_twins)
                                    if line in self.near_twin_answers), default=0))
            lines.append(
                f"{len(self.near_twins)} new note{_s(len(self.near_twins))} read almost the "
                f"same as a stored note by the same listener ({some_of(listed, shown)}): an "
                "answer corrected in the form comes as a new response, so both were kept; if "
                "that is what happened, erase the older note (`insight erase --note ID`)"
                + ("; where an answer differs, keep the one that is right: the note kept "
                   "keeps its consent and safeguarding answers (to correct a consent: "
                   "`insight notes consent`)" if self.near_twin_answers else "")
            )
        if self.fields_kept:
            named = sorted({i for ids in self.fields_kept.values() for i in ids})
            fields = ", ".join(f"{name.replace('_', ' ')} ({len(ids)})"
                               for name, ids in self.fields_kept.items())
            lines.append(
                f"{len(named)} already-present note{_s(len(named))} "
                f"{'is' if len(named) == 1 else 'are'} given other values in this file: "
                f"{fields} ({some_of([shown_cell(i) for i in named], 5)}); the stored values "
                "are kept, as ingesting again never changes a field: if the file is right, "
                "correct each note: "
                + " or ".join(
                    ([f"`insight notes update ID {'/'.join(options)}`"] if (options := [
                        f"--{name.replace('_', '-')}" for name in self.fields_kept
                        if name != "experience"]) else [])
                    + (["`insight notes review ID --experience ...`"]
                       if "experience" in self.fields_kept else [])))
        if self.erased_words_kept:
            n = len(self.erased_words_kept)
            lines.append(
                f"{n} new note{_s(n)} {'has' if n == 1 else 'have'} the very words of an "
                f"erased note ({_lines_named(self.erased_words_kept)}): stored, as "
                f"{'it is' if n == 1 else 'they are'} short and someone else may have said "
                "the same; if it is the erased "
                "conversation come back (another date or listener), erase it again "
                "(`insight erase --note ID`)")
        if self.same_words_kept:
            n = len(self.same_words_kept)
            lines.append(
                f"{n} new note{_s(n)} {'has' if n == 1 else 'have'} the very words of another "
                f"note but another date or listener ({_lines_named(self.same_words_kept)}): "
                "kept as "
                f"conversation{_s(n)} of {'its' if n == 1 else 'their'} own. If a row "
                "corrects a note's date or listener (a file ingested again, corrected), the "
                "older note is now counted twice: erase it (`insight erase --note ID`)"
            )
        if self.labelled:
            lines.append(
                f"labelled {self.labelled} already-present note{_s(self.labelled)} with the "
                "file's categories (no one had labelled them)"
            )
        if self.labels_kept:
            verb = "gives" if self.labels_kept == 1 else "give"
            lines.append(
                f"{self.labels_kept} row{_s(self.labels_kept)} {verb} other categories than "
                "a person gave the stored note: the person's are kept (to change them: "
                "`insight notes review`)"
            )
        if self.text_replaced:
            named = [shown_cell(i) for i in self.text_replaced]
            lines.append(
                f"{len(named)} note{_s(len(named))} took a corrected answer's words "
                f"({some_of(named)}): run `insight tag` to read them again, and check any "
                "categories a person gave them, which were for the old words"
            )
        if self.consent_not_restored:
            named = [shown_cell(i) for i in dict.fromkeys(self.consent_not_restored_ids)]
            lines.append(
                f"{self.consent_not_restored} consent{_s(self.consent_not_restored)} given in "
                f"this file for notes whose consent was withdrawn earlier ({some_of(named)}): "
                "not applied (an older export?); only a person gives it back (`insight "
                "notes consent`)"
            )
        return lines


def _s(count: int) -> str:
    return "" if count == 1 else "s"


#: Note fields whose cells are labels or codes, never where a person writes what they
#: heard (the free-typed ones, categories and yes/no answers, are read for concerns).
_LABEL_FIELDS = frozenset({"text", "id", "heard_on", "listener", "place", "setting",
                           "community", "experience", "safeguarding"})


def _unstored_concern(
    data: dict[str, Any], screen: Callable[[str], str | None]
) -> tuple[str, str] | None:
    """A cell of a row, other than its text, whose words the phrase screen flags (a form's
    "Any other comments", a disclosure typed into the categories): (column, reason). Such
    words are not in the note, so they would never reach the queue otherwise."""
    for column, value in data.items():
        if column in _LABEL_FIELDS or _personal_column(column):
            continue
        for cell in value if isinstance(value, list) else [value]:
            if isinstance(cell, str) and len(cell.split()) >= 2 and (reason := screen(cell)):
                return column, reason
    return None


#: Personal data that says how to reach someone, never right in a listener, place or
#: setting cell, with the words a warning uses for it.
_CONTACT_KINDS = {"PHONE": "a phone number", "EMAIL": "an email address",
                  "ADDRESS": "an address", "POSTCODE": "a postcode",
                  "NHS_NUMBER": "an NHS number", "NI_NUMBER": "a National Insurance number",
                  "ID_NUMBER": "an ID or account number", "DATE_OF_BIRTH": "a date of birth"}


#: The kinds warned of in an id: a number of its own is what an id is (a reference may
#: have ten digits, as an NHS number has, or look like a date).
_CONTACT_IDS = frozenset({"a phone number", "an email address", "an address", "a postcode",
                          "a National Insurance number"})


#: What every kind in `_CONTACT_KINDS` has: an @, six digits or more, a postcode's shape,
#: or a number among three words or more (an address).
_MAY_BE_CONTACT = re.compile(
    r"@|(?:\d\D*){6}|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|^(?=.*\d)\S+\s+\S+\s+\S+", re.I)


#: What an id must show before it is read for contact details (`_CONTACT_IDS`): an @, a
#: postcode, a National Insurance number, words beside a number (an address), or a UK
#: phone number's start (0 or +44) and length. Ids are unique, so the cache of
#: `_contact_details` never helps them, and survey ids of twelve digits ("118563944211")
#: or a file's numbering ("bench-0000123") need no redaction pass each.
_MAY_BE_CONTACT_ID = re.compile(
    r"@|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|\b[A-Z]{2}\s?(?:\d{2}\s?){3}[A-D]\b"
    r"|^(?=.*\d)\S+\s+\S+\s+\S+|(?<!\d)(?:\+\s?44|0)[\d\s\-()]{9,14}(?!\d)", re.I)


def _lines_named(pairs: Sequence[tuple[int, str]]) -> str:
    """(line, note id) pairs as a message names them: "line 4 = 'n-1a2b'", a few."""
    return some_of([f"line {line} = {shown_cell(note_id)}" for line, note_id in pairs], 5)


def _contact_id(value: str) -> str | None:
    """What kind of contact detail an id holds (a phone number typed where the id goes)."""
    return _contact_details(value) if _MAY_BE_CONTACT_ID.search(value) else None


@lru_cache(maxsize=4096)
def _contact_details(value: str | None) -> str | None:
    """What kind of contact detail a short field holds ("L01 Pat 07700 900558"), if any;
    fields repeat (a listener's every note), so each value is read once."""
    if not value or not _MAY_BE_CONTACT.search(value):
        return None  # a listener code ("L01") is no phone number: the lexicon stays unloaded
    from insight.redact import find_pii

    kinds = [span.type for span in find_pii(value) if span.type in _CONTACT_KINDS]
    return _CONTACT_KINDS[kinds[0]] if kinds else None


def _raises_concern(data: Any, screen: Callable[[str], str | None] | None) -> bool:
    """A rejected row marked safeguarding yes, or whose words (in any of its cells) the
    phrase screen flags."""
    if isinstance(data, dict):
        marked = data.get("safeguarding")
        try:
            if yes_no(marked, None, safeguarding=True):
                return True
        except ValueError:
            if isinstance(marked, str) and marked.strip():  # "yes!", "Y - urgent": look
                return True
        text = data.get("text")
        if screen is not None and _unstored_concern(data, screen):
            return True
    else:
        text = data
    return bool(screen and isinstance(text, str) and text.strip() and screen(text))


def _raw_json_concern(line: str | None, screen: Callable[[str], str | None] | None) -> bool:
    """A JSON line intake could not read whose strings, unescaped ("I can\u2019t go on"),
    the phrase screen flags: the line as written hides phrases behind its escapes."""
    if screen is None or line is None or line.lstrip()[:1] not in ("{", "["):
        return False
    return any(screen(text) for text in raw_row_texts(line) if len(text.split()) >= 2)


#: Whose a personal name column is ("Full name", "Your name"; not "Place name").
_NAME_OWNERS = frozenset({"first", "last", "full", "given", "family", "middle", "your",
                          "my", "respondent", "participant", "person", "contact", "client",
                          "volunteer", "caller", "patient", "carer", "staff"})
#: A column named only for who someone is holds their name ("Caller": "Mrs Gloria Henry")
_WHO_COLUMNS = frozenset({"caller", "client", "patient", "respondent"})


def _personal_column(key: str) -> bool:
    """Whether a column that is not a note field says it holds who filled in the form or
    how to reach someone: an email, a name, a phone, an address (also an IP address), a
    date of birth or an NHS number. Such columns are not stored, nor kept in quarantine."""
    if key in NOTE_FIELDS:
        return False
    words = re.findall(r"[a-z0-9]+", key.lower())
    joined = "".join(words)
    return (
        any(part in joined for part in ("email", "phone", "mobile", "postcode",
                                        "dateofbirth", "nhsnumber"))
        or bool({"ip", "tel", "dob", "address", "surname", "forename"} & set(words))
        or {"contact", "number"} <= set(words)
        or ("name" in words and (words == ["name"] or bool(_NAME_OWNERS & set(words))))
        or (len(words) == 1 and words[0] in _WHO_COLUMNS)
    )


def _without_personal(row: dict[str, Any], within: str = "") -> tuple[dict[str, Any], list[str]]:
    """A row without its personal columns, nested ones too (a form's {"volunteer": {"email":
    ...}}), and the names of those left out."""
    kept: dict[str, Any] = {}
    left: list[str] = []
    for key, value in row.items():
        name = f"{within} {key}".strip()
        if _personal_column(str(key)) or (within and _personal_column(name)):
            left.append(name)
            continue
        if isinstance(value, dict):
            value, inner = _without_personal(value, name)
            left += inner
        kept[key] = value
    return kept, left


class _Quarantine:
    """Opened lazily: a clean file leaves no quarantine file behind. A row is kept so it
    can be fixed, but without its personal columns (`_personal_column`): each such record
    names the columns it left out, and `left_out` gathers them for the summary."""

    #: Reasons kept to show at once (the rest are only in the file).
    SHOWN = 3

    def __init__(
        self, folder: Path, source: Path, erased: Callable[[str, Any], bool] | None = None,
        id_prefix: str = "", dismissed: Callable[[Any], bool] | None = None,
    ) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        self.path = folder / f"{source.name}.{stamp}.jsonl"
        self.source = source
        #: Whether a row (id, text) is an erased note's: its row is not kept (an old export
        #: must not bring an erased note's words back into the workspace).
        self.erased = erased
        #: The prefix the row's id was to take (`--id-prefix`), to know it once fixed.
        self.id_prefix = id_prefix
        #: Whether a row's cells, as a record keeps them, are a row a person dismissed
        #: (`insight quarantine dismiss`, `insight erase --listener`): kept without them.
        self.dismissed = dismissed
        self._handle: io.TextIOWrapper | None = None
        self.first: list[tuple[int, str]] = []
        self.left_out: dict[str, None] = {}
        self._digest: str | None = None

    def add(self, line: int, reason: str, row: Any, concern: bool = False) -> None:
        """Quarantine a row; `concern`: it raises a safeguarding concern and was never
        stored, so `insight quarantine` marks it and will not drop it unread.

        A row a person dismissed before (a cumulative export brings it back every month)
        is kept without its cells, as an erased note's is: its names and numbers must not
        land on disk again once dismissed."""
        row_id = str(row.get("id") or "").strip() if isinstance(row, dict) else ""
        text = row.get("text") if isinstance(row, dict) else None
        erased = bool(self.erased is not None and (row_id or text) and self.erased(row_id, text))
        if erased:
            row, reason = None, "a row of an erased note: not kept"
        record: dict[str, Any] = {"file": str(self.source), "line": line, "reason": reason,
                                  "row": row}
        if digest := self.digest():
            record["file_digest"] = digest
        if concern:
            record["safeguarding_concern"] = True
        if erased:  # as `insight.quarantine.scrub` marks a row blanked later
            record["erased"] = True
        if self.id_prefix:
            record["id_prefix"] = self.id_prefix
        if isinstance(row, dict):
            kept, personal = _without_personal(row)
            if personal:
                record["row"] = kept
                record["left_out"] = personal
                self.left_out.update(dict.fromkeys(personal))
        if (line > 0 and record["row"] is not None and self.dismissed is not None
                # its cells as `insight.quarantine` reads them back from the file
                and self.dismissed(json.loads(json.dumps(record["row"], ensure_ascii=False,
                                                         default=str)))):
            record["row"] = None
            record["dismissed"] = True
            record["reason"] = "a row dismissed before: not kept"
        elif line > 0 and len(self.first) < self.SHOWN:  # line 0: the file (said already)
            self.first.append((line, reason))
        if self._handle is None:  # notes' words: only their owner reads them (as a backup)
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
            os.chmod(self.path, 0o600)
        self._handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._handle.flush()

    def digest(self) -> str | None:
        """The source's contents, hashed once: the same line of the same file ingested
        again with other options (`--column setting=...`) is the same row, read another
        way, and `insight.quarantine.review` counts only its latest copy."""
        if self._digest is None:
            try:
                with self.source.open("rb") as raw:
                    self._digest = hashlib.file_digest(raw, "sha256").hexdigest()[:32]
            except OSError:  # gone or unreadable since: the row is kept without it
                self._digest = ""
        return self._digest or None

    def close(self) -> str | None:
        if self._handle is None:
            return None
        self._handle.close()
        return str(self.path)


NOTE_FIELDS = tuple(NoteIn.model_fields)


#: A cell of a column that is not stored with this many words is free text a person wrote
#: ("Any other comments"), not a code or a name.
PROSE_WORDS = 5


#: Words of a column name that may be a safeguarding question under another name
_CONCERN_HEADER = re.compile(
    r"(?:^|[^a-z])(?:concern(?:s|ed)?|welfare|flag(?:ged|s)?|risks?|safeguard\w*|"
    r"worr(?:y|ied|ies)|"
    r"danger\w*|harm|unsafe)(?:[^a-z]|$)")


class _Columns:
    """Columns (CSV) or keys (JSON) of a file that are not note fields, for one warning:
    their values are not stored, so a misspelt `heard-on` must not pass unnoticed."""

    def __init__(self) -> None:
        self.present: set[str] = set()
        self.ignored: dict[str, str] = {}  # key: the name as written
        self.headers: set[str] = set()  # keys that are CSV headers (a header row was found)
        self.prose: set[str] = set()  # ignored keys with a cell of a sentence or more
        self._seen: set[frozenset[str]] = set()
        #: ignored keys whose name speaks of a concern ("Welfare concern", "Red flag") ->
        #: how many of their cells say yes: a renamed safeguarding question, whose yeses
        #: would otherwise reach no one
        self.concern_yes: dict[str, int] = {}

    def add(
        self, data: dict[str, Any], headers: dict[str, str] | None = None, header_row: bool = True
    ) -> None:
        for name, value in data.items():  # free text in a column that is not stored
            if (name not in NOTE_FIELDS and name not in FIX_COLUMNS and name not in self.prose
                    and isinstance(value, str) and len(value.split()) >= PROSE_WORDS
                    and not _personal_column(name)):
                self.prose.add(name)
            says_yes = (_leading_answer(value)[0] is True if isinstance(value, str)
                         else value is True or value == 1)
            if (name not in NOTE_FIELDS and says_yes
                    and _CONCERN_HEADER.search(header_key(name or ""))):
                self.concern_yes[name] = self.concern_yes.get(name, 0) + 1
        names = [
            k for k, v in data.items() if k or (isinstance(v, str) and not _is_blank(v))
        ]
        if (seen := frozenset(names)) in self._seen:  # the same columns as an earlier row
            return
        self._seen.add(seen)
        for name in names:
            if name in NOTE_FIELDS:
                self.present.add(name)
            elif name in FIX_COLUMNS:  # `insight quarantine export` says why and where
                continue
            else:
                self.ignored[name] = (headers or {}).get(name, name)
                if header_row and headers is not None and name in headers:
                    self.headers.add(name)

    def warning(self, screened: bool = True) -> str | None:
        if not self.ignored:
            return None
        missing = [f for f in NOTE_FIELDS if f not in self.present]
        described = []
        meant: set[str] = set()  # read as a field misnamed, not as words heard
        for name, written in self.ignored.items():
            if not name:
                shown = "an unnamed column"
            elif name in self.headers:  # a CSV header, in a file whose header row was found
                shown = _header_shown(written, known=_personal_column(name))
            else:  # a JSON key: a line of its own, could be anything
                shown = shown_cell(written)
            field_name = _close_field(name, missing) or (
                header_key(name) if header_key(name) in NOTE_FIELDS else None
            )
            if name and field_name:
                shown += f" (did you mean '{field_name}'?)"
                if field_name != "text":
                    meant.add(name)
            described.append(shown)
        warning = f"not note fields, so not stored: {some_of(described, 12)}"
        if prose := [shown for name, shown in zip(self.ignored, described, strict=True)
                     if name in self.prose and name not in meant]:
            warning += (f"; {some_of(prose, 5)} hold{'s' if len(prose) == 1 else ''} free text "
                        f"({PROSE_WORDS} words or more in a cell), "
                        + ("read only for safeguarding phrases" if screened else
                           "NOT read for safeguarding phrases (--no-screen): a person must "
                           "read it")
                        + ": if it is part of what was heard, put it in the notes' column "
                        "before ingesting")
        return warning


def _raw_read(row: RawRow, warnings: list[str]) -> RawRow:
    """A row of a file to fix whose `raw` cell holds a line the first file could not read
    (`{"id":"a1","text":"she said "no"",}`), corrected there by a person: read as that line
    of a JSONL file would be, with the file to fix's own columns kept, so that it stands
    for its first place. A `raw` cell left empty, or beside words put in `text`, is read
    past. Other rows are as they were."""
    data = row.data
    if data is None or not any(k in data for k in FIX_COLUMNS):
        return row
    line = raw_line(data)
    raw = data.pop(RAW_COLUMN, None)
    if line is None:
        return row
    fix = {k: data[k] for k in FIX_COLUMNS if k in data}
    if not line.lstrip().startswith("{"):  # a CSV line of the wrong width: no header here
        return RawRow(row.line, None, f"{RAW_COLUMN}: a line of a CSV file that could not be "
                      "split into cells: put its cells in this file's columns (text, "
                      f"heard_on, ...) and empty {RAW_COLUMN}", raw, fix=fix)
    found: list[str] = []
    try:
        read = list(_json_rows(line.strip(), warnings=found, map_aliases=True))
    except FileRejected as exc:
        read = [RawRow(row.line, None, str(exc), line)]
    warnings.extend(w for w in found if w not in warnings)
    if len(read) != 1:
        return RawRow(row.line, None, f"{RAW_COLUMN}: holds {len(read)} lines; one JSON "
                      "object a row", line, fix=fix)
    [again] = read
    again.line = row.line
    if again.data is None:
        again.error = f"{RAW_COLUMN}: " + (
            "the line has no 'text' key: in this cell, name the key that holds the note "
            "'text'"
            if (again.error or "").startswith("record has no 'text' key") else again.error)
        again.raw, again.fix = line, fix
        return again
    again.data.update(fix)
    return again


#: Words of an answer that names the kind of place a conversation was in, not the town
#: ("Phone", "On the phone", "Home visit", "Library café", "Drop-in"): a "where" question's
#: answers are often these (`_settings_in_place`).
_SETTING_ANSWERS = frozenset(
    "cafe café cafes coffee morning phone telephone call calls ring mobile video online "
    "zoom teams whatsapp facetime skype virtual remote text texts message email "
    "home homes house doorstep visit visits visiting drop group groups session sessions "
    "meeting meetings club circle outreach street streets event events stall fair festival "
    "library church mosque temple gurdwara synagogue school college university campus "
    "surgery gp clinic hospital ward pharmacy centre center hall hub foodbank food bank "
    "pantry pub park workplace work office shop supermarket person face walk walking bus "
    "van community youth carers support peer coffee".split())
#: Words around those that say no more ("on the phone", "face to face", "at her home")
_SETTING_FILLER = frozenset(
    "a an the at by on in over via to of and or with her his their my our your local "
    "from".split())


def _names_a_setting(value: Any) -> bool:
    """Whether a place cell names only a kind of place ("phone", "home visit", "at the
    café"), no town: every word of it is a setting's (`_SETTING_ANSWERS`)."""
    if not isinstance(value, str):
        return False
    words = [w for w in re.findall(r"[^\W\d_]+", value.lower()) if w not in _SETTING_FILLER]
    return bool(words) and set(words) <= _SETTING_ANSWERS


def _settings_in_place(rows: list[RawRow], columns: Mapping[str, str] | None,
                       warnings: list[str]) -> None:
    """Cells of a column read as place by its name ("Where did the conversation happen?",
    "Location") that name only a kind of place ("phone", "home visit", "cafe") are the
    setting: a town list with "phone" in it is no place, and the notes heard on the phone
    are counted as a setting. Only where the file has no setting column and the place column
    was not named (`--column place=...`, or "place" itself): said, by line."""
    if columns and "place" in columns:
        return
    named = {(row.headers or {}).get("place") for row in rows if row.data is not None}
    named.discard(None)
    if len(named) != 1 or any(row.data is not None and "setting" in row.data for row in rows):
        return
    [written] = named
    if header_key(written) == "place":
        return
    moved, kept = [], 0
    for row in rows:
        if row.data is None or _is_blank(str(row.data.get("place") or "")):
            continue
        if _names_a_setting(row.data["place"]):
            row.data["setting"] = row.data.pop("place")
            if row.headers is not None:
                row.headers["setting"] = row.headers["place"]
            moved.append(row.line)
        else:
            kept += 1
    if not moved:
        return
    shown = _header_shown(written.strip())
    kinds = "a kind of place (cafe, phone, home visit), not a town"
    if not kept:  # every answer is a setting: the column is the setting, said where
        # ingest said it was the place
        said = f"read {shown} as setting: each of its answers is {kinds}"
        warnings[:] = [said if w == f"read {shown} as place" else w for w in warnings]
        if said not in warnings:
            warnings.append(said)
        return
    warnings.append(
        f"{shown} answers that are {kinds} (line{_s(len(moved))} "
        f"{some_of([str(n) for n in moved])}) were read as setting; the others as place")


def _tick_columns(rows: list[RawRow], lookup: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Columns that are not note fields, named as a category of the codebook (its id or
    name), whose every answer is yes/no, 1/0 or a tick: a form's one tick box per category.
    key -> (the header as written, the category's id)."""
    found: dict[str, tuple[str, str]] = {}
    answers: dict[str, set[str]] = {}
    for row in rows:
        if row.data is None:
            continue
        for key, value in row.data.items():
            if key in NOTE_FIELDS or key in FIX_COLUMNS or not key:
                continue
            if key not in found:
                if (cid := lookup.get(category_key((row.headers or {}).get(key, key)))) is None:
                    continue
                found[key] = ((row.headers or {}).get(key, key), cid)
            if not _is_blank(value):
                answers.setdefault(key, set()).add(str(value).strip().lower())
    allowed = TRUE_VALUES | FALSE_VALUES | TICKS
    return {key: named for key, named in found.items()
            if answers.get(key) and answers[key] <= allowed}


def _read_ticks(rows: list[RawRow], ticks: Mapping[str, tuple[str, str]]) -> None:
    """Each row's ticked category columns join its categories (and leave its cells)."""
    for row in rows:
        if row.data is None:
            continue
        ticked = [cid for key, (_, cid) in ticks.items()
                  if str(row.data.pop(key, "") or "").strip().lower() in TRUE_VALUES | TICKS]
        if not ticked:
            continue
        given = row.data.get("categories")
        if isinstance(given, list):
            row.data["categories"] = [*given, *ticked]
        elif isinstance(given, str) and given.strip():
            row.data["categories"] = "; ".join([given, *ticked])
        else:
            row.data["categories"] = "; ".join(ticked)


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
    id_prefix: str = "",
    allow_same_text: bool = False,
    text_col: str = "text",
    column_names: Mapping[str, str] | None = None,
    category_names: Mapping[str, str] | None = None,
    list_sep: str | None = None,
    dates: str = "auto",
    replace_text: bool = False,
) -> FileReport:
    """Validate and store one file in batched transactions; idempotent on re-run.

    `text_col`: the column (or JSON key) that holds the notes, matched like a header
    ("What did you hear?"), for exports whose columns cannot be renamed each time;
    `column_names` the same for other fields (field -> column, e.g. place -> "Village").
    `category_names`: the categories' names (id -> name, `Codebook.names`): a file
    may give "Hospital discharge" for `hospital-discharge`. `list_sep`: one more separator
    of the items of `community` and `categories` cells (a form's choices joined by ",").
    `dates`: how numeric dates are read (`DATE_ORDERS`): "auto" reads the column
    (`DateOrder.month_first`), else as given. `replace_text`: a row whose id is stored with
    other words is a corrected answer (a form lets people edit a response under the same
    id): the stored note takes its words (`Store.replace_note_text`), not quarantine.

    `id_prefix` goes before every id the file gives: for exports whose ids restart at 1
    (one per form or survey), so two files' "1" stay two notes. Use the same prefix when
    an updated export of the same form is ingested again.

    `screen` (optional) returns a reason when a note's text needs a safeguarding look,
    so flagging never waits for tagging. A row of a note already stored may still change
    its consent (a withdrawal always applies) and raise its safeguarding flag (never lower
    it); erased notes are never changed. See `FileReport.change_summary`.

    A new row whose text is exactly that of a stored note under another id (typically the
    same file ingested before with other columns, so other ids) is quarantined, not stored
    twice, unless `allow_same_text`: a note counted twice inflates every count it is in.
    """
    source = Path(path)
    if id_prefix:
        check_id_prefix(id_prefix)
    report = FileReport(path=str(source))
    if not source.is_file():  # nothing to quarantine: a usage error, not a bad file
        report.file_error = "is a folder, not a file" if source.is_dir() else "no such file"
        return report
    def erased(row_id: str, text: Any) -> bool:
        """Whether a row is an erased note's: by its id, or by its words (a cumulative
        export repeats an erased person's row, as a duplicate or with an error)."""
        found = store.get_note(f"{id_prefix}{row_id}") if row_id else None
        if found is not None and found["erased_at"]:
            return True
        if not isinstance(text, str) or not text.strip():
            return False
        return bool(store.erased_texts(text_hashes(text)) or store.erased_like([text]))

    # rows a person dismissed: their later copies are kept without their cells
    marks = dismissed_marks([quarantine_dir])
    dismiss_key = store.secret("quarantine-dismissed") if marks else b""
    quarantine = _Quarantine(quarantine_dir, source, erased, id_prefix,
                             dismissed=(lambda row: dismissed_mark(row, dismiss_key) in marks)
                             if marks else None)
    context = {"categories": category_lookup(category_ids, category_names)
               if category_ids is not None else None, "max_chars": max_chars,
               "list_sep": list_sep}

    def reject(line: int, reason: str, data: Any, cells: dict[str, str] | None = None) -> None:
        """Quarantine a row; one that raises a safeguarding concern is also reported, since
        it never reaches the queue (the queue holds stored notes). `cells`: an unreadable
        row's cells as far as they can be told, to look for a safeguarding Yes."""
        report.rejected += 1
        concern = (_raises_concern(data, screen) or bool(cells and _raises_concern(cells, screen))
                   or _raw_json_concern(raw_line(data), screen))
        stored = stored_as(data) if concern else []
        # marked in quarantine only if no stored note carries it to the queue
        quarantine.add(line, reason, data, concern=concern and not stored)
        if not concern or any(store.safeguarding_items(open_only=False, note_id=i)
                              for i in stored):
            return  # no concern, or a stored note's, already in the queue
        if stored:  # its words are a stored note (fixed before): that note goes to the queue
            why = (f"a rejected row with the same words (line {line} of {source.name}, in "
                   "quarantine) says safeguarding yes or raises a phrase: read it")
            _count_changes(report, *store.update_notes_from_intake(
                {}, reasons=dict.fromkeys(stored, why), flags=dict.fromkeys(stored, why)))
            return
        report.rejected_concerns.append(line)  # never stored: a person must read it now

    def stored_as(data: Any) -> list[str]:
        """The live notes a rejected row's words are (a row fixed and ingested before, or
        a line of a file ingested before with other options, unreadable now)."""
        if isinstance(data, dict):
            text = data.get("text")
            texts = {text} if isinstance(text, str) and text.strip() else set()
        else:
            texts = set()
        if (line := raw_line(data)) is not None:
            texts |= raw_row_texts(line)
        hashes = {h for t in texts for h in text_hashes(t)}
        return sorted({note_id for ids in store.ids_with_text(hashes).values()
                       for note_id in ids})

    if dates not in DATE_ORDERS:
        raise ValueError(f"dates: one of {', '.join(DATE_ORDERS)}, not {dates!r}")
    columns = _Columns()
    comma_lines: list[int] = []  # communities with a comma: a form's several choices?
    pointers: list[tuple[int, str]] = []  # notes that only point to another ("see previous")
    tests: list[tuple[int, str]] = []  # notes that are a test of the form ("test", "asdf")
    several: list[tuple[int, str, int]] = []  # cells of several conversations: how many
    contact_lines: dict[tuple[str, str], list[int]] = {}  # a phone in the listener cell
    contact_ids: dict[str, list[tuple[int, str]]] = {}  # an email as the id: (line, id)
    by_listener: dict[str, list[tuple[str, str]]] = {}  # stored texts, read once a listener
    # yes/no answers read by the rule, to say: (line, note) by column; the notes stored
    said_more: dict[str, list[tuple[int, str]]] = {}
    said_in: dict[str, str] = {}  # the file's column of each such field, as written
    dashes: list[tuple[int, str]] = []  # safeguarding answers of a dash: not answered
    new_ids: set[str] = set()
    # listeners, places and settings before this file, and those it gives: a new one
    # written like one of them is named (`_alike_values`)
    known_values = store.field_values(ALIKE_FIELDS)
    given_values: dict[str, dict[str, list[tuple[int, str]]]] = {}
    try:
        read, report.warnings = read_rows(source, text_col=text_col, map_aliases=True,
                                          columns=column_names)
        # the whole date column decides its day/month order
        rows = [_raw_read(row, report.warnings) for row in read]
        _settings_in_place(rows, column_names, report.warnings)
        if decimals := _whole_decimal_ids(rows):
            report.warnings.append(
                f"the ids are written as decimals ({decimals}), as pandas or a spreadsheet "
                "writes whole numbers in a column with gaps: read without the '.0'"
            )
        if context["categories"] is not None and (
                ticks := _tick_columns(rows, context["categories"])):
            _read_ticks(rows, ticks)
            report.warnings.append(
                "yes/no columns read as the categories they name (a tick or yes: the note "
                "is about it): " + some_of([f"{_header_shown(written)} -> {cid}"
                                            for written, cid in ticks.values()], 8))
        order = date_order(
            (row.line, row.data.get("heard_on")) for row in rows if row.data is not None
        )
        month, day = order.month, order.day
        if dates == "month-first" or (dates == "auto" and order.month_first):
            context["month_first"] = True
        # as the person ingesting said (`dates`), dates the other way are row errors
        if dates == "auto" and order.month_first and not month:
            report.warnings.append(
                "heard_on dates were read month first (MM/DD/YYYY, as US form tools write "
                "them): each could be read either way, and each has a time on a 12-hour "
                f"clock (line {order.us_clock}), as a tool set to US English writes them; "
                "if they are day first, give --dates day-first"
            )
        elif dates == "auto" and order.month_first:
            report.warnings.append(
                "heard_on dates were read month first (MM/DD/YYYY, as US form tools write "
                f"them), as the date on line {month} can only be read that way"
                + (", with times as a form tool writes them" if order.by_a_tool else
                   f", as can {order.month_only - 1} more")
                + "; if they are day first, give --dates day-first"
            )
        elif dates == "auto" and month and not day:
            report.warnings.append(
                f"heard_on dates were read day first (DD/MM/YYYY): only the date on line "
                f"{month} can only be month first, so it is a row error; if the column is "
                "month first (a US form tool's), ingest again with --dates month-first"
            )
        elif dates == "auto" and month:
            report.warnings.append(
                f"heard_on dates are written both month first (line {month}) and day first "
                f"(line {day}): read day first, so dates that can only be month first are "
                "row errors; write them as YYYY-MM-DD"
            )
        seen: dict[str, tuple[int, bool]] = {}
        spaced: dict[tuple[str, date | None, str | None], int] = {}  # rows without an id
        pending: list[tuple[int, NoteRecord, dict[str, Any]]] = []
        for row in rows:
            report.rows_read += 1
            if row.data is None:
                reject(row.line, row.error or "unreadable row",
                       {RAW_COLUMN: row.raw, **row.fix} if row.fix else row.raw, row.cells)
                continue
            columns.add(row.data, row.headers, row.header_row)
            if not keeps_words(row.data.get("consent_keep")):
                # before any check: a row to fix keeps its cells in quarantine, this never
                _not_kept(store, row.line, row.data, report, context, id_prefix, screen)
                continue
            try:
                note = NoteIn.model_validate(row.data, context=context)
            except ValidationError as exc:
                reject(row.line, _total_row(row.data, row.headers)
                       or explain(exc, row.headers if row.header_row else None), row.data)
                for label in unknown_categories(row.data.get("categories"), context):
                    report.unknown_labels.setdefault(label, []).append(row.line)
                continue
            record = note.to_record(source=source.name, id_prefix=id_prefix)
            for name in ("listener", "place", "setting"):
                if (kind := _contact_details(getattr(record, name))) is not None:
                    contact_lines.setdefault((name, kind), []).append(row.line)
            if note.id is not None and (kind := _contact_id(note.id)) in _CONTACT_IDS:
                contact_ids.setdefault(kind, []).append((row.line, record.id))
            if record.id in seen:
                first, generated = seen[record.id]
                reject(
                    row.line,
                    f"duplicate: same text, date and listener as line {first}" if generated
                    else f"duplicate id {shown_cell(record.id)} (first on line {first})",
                    row.data,
                )
                continue
            if note.id is None:  # the same row again with a space more or less
                spacing = (" ".join(record.text.split()), record.heard_on, record.listener)
                if (first := spaced.get(spacing)) is not None:
                    reject(row.line, f"duplicate: same text but for spaces or line breaks, "
                           f"same date and listener as line {first}", row.data)
                    continue
                spaced[spacing] = row.line
            seen[record.id] = (row.line, note.id is None)
            for column in ("consent_quote", "consent_contact", "safeguarding"):
                if _answer_said_more(column, row.data.get(column)):
                    said_more.setdefault(column, []).append((row.line, record.id))
                    if row.header_row and (written := (row.headers or {}).get(column)):
                        said_in.setdefault(column, written)
            if _only_dashes(row.data.get("safeguarding")):
                dashes.append((row.line, record.id))
            if _POINTS_ELSEWHERE.fullmatch(record.text.strip().lower()):
                pointers.append((row.line, record.id))
            if _reads_as_test(record.text):
                tests.append((row.line, record.id))
            if (held := conversations_in(record.text)) > 1:
                several.append((row.line, record.id, held))
            if list_sep != "," and any("," in c for c in record.community):
                comma_lines.append(row.line)
            for name in ALIKE_FIELDS:
                if (value := getattr(record, name)) and value not in known_values[name]:
                    given_values.setdefault(name, {}).setdefault(value, []).append(
                        (row.line, record.id))
            pending.append((row.line, record, row.data))
            if len(pending) >= batch_size:
                _store_batch(store, pending, report, reject, screen, allow_same_text,
                             by_listener, replace_text, new_ids)
                pending = []
                if on_rows:
                    on_rows(report.rows_read)
        _store_batch(store, pending, report, reject, screen, allow_same_text, by_listener,
                     replace_text, new_ids)
        if on_rows:
            on_rows(report.rows_read)
        # said of the notes this file brought, not again of every older row it repeats
        report.warnings.extend(_said_more_warnings({
            column: said for column, rows in said_more.items()
            if (said := [line for line, note_id in rows if note_id in new_ids])},
            said_in))
        report.warnings.extend(_alike_values(known_values, given_values, new_ids))
        if lines := [line for line, note_id in dashes if note_id in new_ids]:
            report.warnings.append(
                f"safeguarding answers of only a dash (line{_s(len(lines))} "
                f"{some_of([str(n) for n in lines])}) were read as not answered: no flag from "
                "the listener (the phrase list and the model still read the notes); if a dash "
                "meant 'not sure', mark those notes yes and ingest again")
        for kind, found in contact_ids.items():  # a client's phone or email as reference
            if lines := [line for line, note_id in found if note_id in new_ids]:
                report.warnings.append(
                    f"id cells hold what reads as {kind} (line{_s(len(lines))} "
                    f"{some_of([str(n) for n in lines])}): stored as given; an id names its "
                    "note wherever it is shown (lists, traces, the audit log, the leads' "
                    "report), so it should be a code: give those rows codes, ingest again, and "
                    "erase the notes stored under these ids (`insight erase --note ID`)")
        for (name, kind), lines in contact_lines.items():
            report.warnings.append(
                f"{name} cells hold what reads as {kind} (line{_s(len(lines))} "
                f"{some_of([str(n) for n in lines])}): stored as given, and shown to leads; "
                f"a {name} is a code or a name, not how to reach someone: correct the form "
                "and ingest again (a note with an id takes the correction; one without comes "
                "in as a new note, as its id is made from its listener: then erase the old "
                "one), or erase those notes")
        if lines := [line for line, note_id in pointers if note_id in new_ids]:
            report.warnings.append(
                f"notes that only point to another ('see previous', 'as above'; "
                f"line{_s(len(lines))} {some_of([str(n) for n in lines])}) were stored, and "
                "count as notes though they say nothing of their own: write out what was said "
                "in them, or erase them (`insight erase --note ID`)")
        if lines := [line for line, note_id in tests if note_id in new_ids]:
            report.warnings.append(
                f"notes that read as a test of the form, not a conversation ('test', 'testing "
                f"123', 'asdf'; line{_s(len(lines))} {some_of([str(n) for n in lines])}) were "
                "stored, and count as notes: erase them (`insight erase --note ID`), and "
                "leave test answers out of the export next time")
        if found := [(line, held) for line, note_id, held in several if note_id in new_ids]:
            listed = [f"line {line}: {held}" for line, held in found]
            listed[0] += " conversations"
            report.warnings.append(
                f"cells that look like several conversations, numbered ('Conversation 2:', "
                f"'Person 2 -'; {some_of(listed, 10)}) were each stored as one note, so each "
                "counts one person: put each conversation in a row of its own (one row each, "
                "with its date and listener), ingest again and erase the note of the whole "
                "cell (`insight erase --note ID`)")
        if comma_lines:
            report.warnings.append(
                f"community answers hold a comma (line{_s(len(comma_lines))} "
                f"{some_of([str(n) for n in comma_lines])}), each read as one community: if "
                "they are a form's several choices ('Carers, Muslim'), ingest again with "
                "--list-sep ','"
            )
        if warning := columns.warning(screened=screen is not None):
            report.warnings.append(warning)
        report.unread_concern_columns = [
            (columns.ignored.get(name, name), count)
            for name, count in sorted(columns.concern_yes.items())]
        if not rows:  # "accepted 0, rejected 0" alone reads as if something went unsaid
            report.warnings.append(
                "the file holds no notes, only its header (or blank rows, or an empty "
                "list): nothing to store; was it exported before any answers came in, or "
                "is it the wrong file?"
            )
        given = [i for i, (_, generated) in seen.items() if not generated]
        if not id_prefix and "1" in given and all(i.isdigit() for i in given):
            report.warnings.append(
                f"the ids are row numbers (1 to {max(map(int, given))}): if another form's "
                "export numbers its rows the same way, its notes will clash with these; "
                "ingest each form with its own --id-prefix"
            )
    except FileRejected as exc:
        report.file_error = str(exc)
        quarantine.add(0, f"file rejected: {exc}", None)
    finally:
        report.quarantine = quarantine.close()
        report.first_reasons = list(quarantine.first)
    if report.not_kept:  # an earlier export's copies of those rows, rejected then, go too
        _scrub_not_kept(quarantine_dir, rows, report.not_kept)
    if quarantine.left_out:
        report.warnings.append(
            "personal columns were left out of the quarantined rows: "
            f"{some_of([_header_shown(c, known=True) for c in quarantine.left_out], 8)} "
            "(each row says which)"
        )
    return report


#: Fields whose new values are compared with the stored ones (`_alike_values`).
ALIKE_FIELDS = ("listener", "place", "setting")


def _alike(one: str, other: str) -> bool:
    """Whether two values of a field look like one written two ways: the same words but
    for case, accents, spacing, punctuation or order ("Church Lunch Club", "lunch club
    (church)"), or one the other with a part added after a comma or in brackets
    ("Highfields", "Highfields, Leicester"). Not a name within a longer one ("youth club",
    "deaf youth club"; "Newcastle", "Newcastle upon Tyne"): those are usually two."""
    def parts(value: str) -> list[str]:
        return [key for part in re.split(r"[,;()\[\]/]", group_key(value))
                if (key := words_key(part))]

    mine, theirs = parts(one), parts(other)
    if not mine or not theirs:
        return False
    if re.sub(r"[\W_]+", "", group_key(one)) == re.sub(r"[\W_]+", "", group_key(other)):
        return True  # "L01", "L-01"
    if set(" ".join(mine).split()) == set(" ".join(theirs).split()):
        return True
    shorter, longer = sorted((mine, theirs), key=len)
    return len(shorter) == 1 and len(longer) > 1 and shorter[0] in longer


def _alike_values(known: Mapping[str, set[str]],
                  given: Mapping[str, Mapping[str, list[tuple[int, str]]]],
                  stored: set[str]) -> list[str]:
    """Warnings of new listeners, places and settings (of notes this file stored) written
    like one already stored or another new one: stored apart, they count apart, so the
    person ingesting is told (not refused: a new listener or place is usual) and shown the
    command to correct them. Not of a value merely unlike the others ("Grace" beside
    "L-G01"): there is nothing to compare."""
    warnings = []
    for name in ALIKE_FIELDS:
        new = {value: [(line, i) for line, i in rows if i in stored]
               for value, rows in given.get(name, {}).items()}
        new = {value: rows for value, rows in new.items() if rows}
        said = []
        for index, (value, rows) in enumerate(new.items()):
            twin = next((v for v in sorted(known.get(name, ())) if _alike(value, v)), None)
            where = "already stored"
            if twin is None:
                twin = next((v for v in list(new)[:index] if _alike(value, v)), None)
                where = "also new in this file"
            if twin is None:
                continue
            lines = [str(line) for line, _ in rows]
            counted = (" (counted as one already, as only case, accents or spacing differ)"
                       if group_key(" ".join(value.split())) == group_key(" ".join(
                           twin.split())) else "")
            said.append(
                f"{shown_cell(value)} (line{_s(len(lines))} {some_of(lines)}) is written like "
                f"{shown_cell(twin)}, {where}{counted}: if they are the same {name}, correct "
                f"{'the note' if len(rows) == 1 else 'each note'} with `insight notes update "
                f"{rows[0][1]} --{name} {shown_cell(twin)}`")
        if said:
            warnings.append(
                f"new {name} {some_of(said, 10, sep='; ')}; values that differ by more than "
                f"case, accents or spacing count as different {name}s (`insight notes list "
                f"--{name} ...` finds the notes of each)")
    return warnings


def _not_kept(store: Store, line: int, data: dict[str, Any], report: FileReport,
              context: Mapping[str, Any], id_prefix: str,
              screen: Callable[[str], str | None] | None) -> None:
    """Count a row whose person did not agree to their words being kept, storing nothing of
    it. Its note, where a file stored it before (by its id, or by its words: 8 words or
    more), is named for a person to erase, and its consent to quote is withdrawn at once (a
    withdrawal always applies). A safeguarding concern in it still reaches a person: the
    stored note goes to the queue, else the line is named in red, as an erased note's."""
    report.not_kept.append(line)
    try:
        record: NoteRecord | None = NoteIn.model_validate(
            data, context=dict(context)).to_record(id_prefix=id_prefix)
    except ValidationError:  # a row with an error: known by its id and its words alone
        record = None
    raw_id = data.get("id")
    ids = {record.id} if record is not None else (
        {f"{id_prefix}{str(raw_id).strip()}"} if raw_id is not None and str(raw_id).strip()
        else set())
    text = data.get("text")
    words = record.text if record is not None else text if isinstance(text, str) else ""
    live = [i for i, state in store.note_states(ids).items() if not state["erased"]]
    if len(words.split()) >= TWIN_MIN_WORDS:
        live += [i for found in store.ids_with_text(text_hashes(words)).values()
                 for i in found]
    live = list(dict.fromkeys(live))
    report.keep_refused += [(line, note_id) for note_id in live]
    why = f"re-ingest of {Path(report.path).name}, line {line}: its person did not agree to " \
        "their words being kept"
    states = store.note_states(live)
    changes = {i: {"consent_quote": False} for i in live if states[i]["consent_quote"]}
    concern = _raises_concern(data, screen)
    flag = (f"a row with its words not kept (line {line} of {Path(report.path).name}: its "
            "person did not agree to their words being kept) says safeguarding yes or raises "
            "a phrase: read it in that file")
    flags = {i: flag for i in live if concern
             and not store.safeguarding_items(open_only=False, note_id=i)}
    if changes or flags:
        _count_changes(report, *store.update_notes_from_intake(
            changes, reasons=dict.fromkeys([*changes, *flags], why), flags=flags))
    if concern and not live:
        report.not_kept_concerns.append(line)


def _scrub_not_kept(folder: Path, rows: Sequence[RawRow], lines: Sequence[int]) -> None:
    """Blank the cells of earlier quarantined copies of rows not kept (an earlier export
    rejected them before the person said no), as an erased note's are: found by their
    words, not their ids, as another form's row may have the same "7"."""
    from insight.quarantine import scrub

    wanted = set(lines)
    texts = {text.strip() for row in rows if row.line in wanted and row.data is not None
             and isinstance(text := row.data.get("text"), str) and text.strip()}
    if folder.is_dir() and texts:
        scrub(folder, set(), texts)


_WHOLE_DECIMAL = re.compile(r"\s*(\d+)\.0+\s*")


def _whole_decimal_ids(rows: list[RawRow]) -> str | None:
    """Read ids all written as whole decimals ("7.0", "12.0") as whole numbers, and say
    one as written, or None: pandas writes an id column with a gap so, and the same rows
    from a spreadsheet ("7") must be the same notes. Only a whole column: one "1.0" among
    other ids may be an id of its own."""
    given = [row.data["id"] for row in rows
             if row.data is not None and isinstance(row.data.get("id"), str)
             and row.data["id"].strip()]
    if not given or not all(_WHOLE_DECIMAL.fullmatch(v) for v in given):
        return None
    for row in rows:
        if row.data is not None and isinstance(row.data.get("id"), str) and (
                whole := _WHOLE_DECIMAL.fullmatch(row.data["id"])):
            row.data["id"] = whole.group(1)
    return shown_cell(given[0].strip())


#: What a consent answer is needed for, as a message says it
_CONSENT_NEEDS = {"consent_quote": "a quote needs a clear yes",
                  "consent_contact": "contacting the person needs a clear yes"}


def _said_more_warnings(lines: dict[str, list[int]],
                        columns: Mapping[str, str] | None = None) -> list[str]:
    """What ingest says of yes/no answers read by the rule (`_answer_said_more`), by line:
    never their words, which may say what happened to someone. `columns`: field -> the
    file's column as written, named where it is not the field's own name ("Can we contact
    them?"), as the person who fixes the answer knows the form's headings."""
    warnings = []
    for column, numbers in lines.items():
        where = f"line{_s(len(numbers))} {some_of([str(n) for n in numbers])}"
        written = (columns or {}).get(column)
        named = "" if written is None or header_key(written) == column else \
            f" in the column {_header_shown(written, known=True)}"
        if column == "safeguarding":
            warnings.append(
                f"safeguarding answers{named} that are not a plain yes or no ({where}) were "
                "read as "
                "yes, so those notes are in the safeguarding queue; what the answers say is "
                "kept with their queue items (names and contact details removed): "
                "`insight safeguarding list`"
            )
        else:
            warnings.append(
                f"{column} answers{named} that give a yes with a condition, say it was not "
                f"asked, say it was withdrawn or give no yes or no ({where}; 'yes, but ...', "
                "'only if ...', 'didn't ask', 'not sure', 'withdrawn', 'x', 'maybe') were read "
                f"as no consent, as a condition cannot be kept and {_CONSENT_NEEDS[column]}; "
                "the notes are stored; a person can record consent (`insight notes "
                "consent`)"
            )
    return warnings


#: What a re-ingested row may change on a stored note, as reported.
_WITHDRAWN = {
    "consent_quote": "consent to quote withdrawn",
    "consent_contact": "consent to contact withdrawn",
}
_GIVEN = {
    "consent_quote": "consent to quote given",
    "consent_contact": "consent to contact given",
}
_FLAGGED = "safeguarding flagged"
_REFLAG_REASON = "flagged by the listener on re-ingest (safeguarding changed to Yes)"


def _listener_said(data: Any) -> str | None:
    """What a safeguarding answer read as yes said beyond its yes ("Yes - I saw bruising"),
    with names and contact details redacted: kept with the queue item, as the record of why
    the listener was worried (the leads' view only; never in a report)."""
    value = data.get("safeguarding") if isinstance(data, dict) else None
    if isinstance(value, dict | list):  # a nested answer: its parts in words ("details")
        said = [leaf for leaf in _leaves(value) if _answer_said_more("safeguarding", leaf)]
    else:
        said = [value] if _answer_said_more("safeguarding", value) else []
    if isinstance(data, dict) and yes_no(value, None, True):
        # the volunteer's account beside the yes, in a column that is not stored
        # ("Safeguarding details", "Concern - what happened?"): kept with the item
        said += [cell for key, cell in data.items()
                 if key not in NOTE_FIELDS and isinstance(cell, str)
                 and _CONCERN_HEADER.search(str(key).lower().replace("_", " "))
                 and len(cell.split()) >= 2 and not _only_dashes(cell)]
    return _said_in(" / ".join(said)) if said else None


def _said_in(value: Any) -> str | None:
    """A cell's words for a queue item, redacted of names and contact details and cut at
    500 characters, in quote marks; None for a cell without words. The workspace keeps
    no other copy of a column that is not a note field."""
    if not isinstance(value, str) or not value.strip():
        return None
    from insight.redact import redact

    words = " ".join(value.split())
    words = words if len(words) <= 500 else words[:497].rstrip() + "..."
    return f'"{redact(words).text}"'


TWIN_MIN_WORDS = 8

#: A note that only points to another ("see previous", "as above", "ditto"): it holds
#: nothing of its own, yet counts as a note
#: The start of one of several conversations typed in one cell, numbered: "Conversation 2:",
#: "Person 2 -", "Caller #3:", "Chat no. 2)" at the start of a line or after a sentence.
_NUMBERED_CONVERSATION = re.compile(
    r"(?:^|(?<=\n)|(?<=[.!?] ))[ \t]*(?:conversation|convo|conv|chat|talk|call|caller|person|"
    r"visitor|client|guest|attendee|participant|respondent|interview|encounter|story|case|"
    r"individual|man|woman|lady|gent|gentleman|lad|girl|mum|dad|parent|carer|member)s?"
    r"[ \t]*(?:no\.?|number|#)?[ \t]*(\d{1,2})[ \t]*[:)\-–—]", re.I)
#: A bare number starting a paragraph ("2) Said ...", "2. Said ..."): another conversation
#: only at a paragraph's start, as a list of one conversation's points runs line by line.
_NUMBERED_PARAGRAPH = re.compile(r"(?:^|(?<=\n\n))[ \t]*\(?(\d{1,2})[.)][ \t]+\S")


def conversations_in(text: str) -> int:
    """How many conversations a note's cell looks to hold: a listener who typed several
    into one cell numbered them ("Conversation 1: ... Conversation 2: ..."); 1 if none.
    The numbers must run on by one (1, 2, 3; or 2, 3 after an unnumbered first one), so
    speakers of one conversation taking turns ("Person 1: ... Person 2: ... Person 1:")
    are not taken for several."""
    for marker in (_NUMBERED_CONVERSATION, _NUMBERED_PARAGRAPH):
        found = list(marker.finditer(text))
        numbers = [int(m.group(1)) for m in found]
        if not numbers or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
            continue
        unnumbered_first = numbers[0] == 2 and bool(text[:found[0].start()].strip())
        if numbers[-1] >= 2 and (numbers[0] == 1 or unnumbered_first):
            return numbers[-1]
    return 1


#: A note that is a test of the form, not a conversation, as a whole cell ("test", "Testing
#: 123", "this is a test note", "asdf", "lorem ipsum ...", "please ignore"), matched on its
#: words in lower case: never a note that merely has the word ("she had a blood test").
_TEST_ANSWER = re.compile(
    r"(?:(?:this is |it s |just |only )?(?:a |another )?(?:test|testing|tester)"
    r"(?: test| testing)*(?: (?:note|entry|row|response|submission|answer|record|data|input|"
    r"form|message|post|only|again|one|two|three))*(?: \d+)*(?: please)?"
    r"(?: (?:ignore|delete|do not use|dont use)(?: this| me)?)?"
    r"|(?:please )?(?:ignore|delete)(?: this| me)?(?: (?:note|entry|row|test))?"
    r"|asdf\w*|qwerty\w*|lorem ipsum(?: .*)?|(?:blah ?)+|hello world|foo(?: ?bar)?"
    r"|dummy(?: (?:note|entry|text|data))?)")


def _reads_as_test(text: str) -> bool:
    """Whether a note's whole text is a test of the form ("test", "Testing 123", "asdf"),
    not a conversation: stored, but said at ingest, as it would count as a note."""
    words = " ".join(re.findall(r"[^\W_]+", text.lower()))
    return bool(words) and bool(_TEST_ANSWER.fullmatch(words))


_POINTS_ELSEWHERE = re.compile(
    r"(?:see (?:previous|prev|above|below|earlier|last|before|notes?|other)(?: \w+)?"
    r"|as (?:above|before|previous|last time)|ditto|same as (?:above|before|previous|last)"
    r"(?: \w+)?)\W*")


#: A new note this alike (rapidfuzz ratio, 0-100) to a stored note by the same listener is
#: said to be one: a form answer corrected after it was sent is a new response.
NEAR_TWIN_RATIO = 90


def _near_twins(
    store: Store,
    new: list[NoteRecord],
    lines: dict[str, tuple[int, dict[str, Any]]],
    report: FileReport,
    by_listener: dict[str, list[tuple[str, str]]],
) -> None:
    """Note in `report` the new notes, of rows that gave no id, that read almost the same as
    a stored note by the same listener, or one earlier in the same file (a form answer sent
    again with a correction): both are kept (two people may say much the same), but a
    lead should know, as a note counted twice inflates every count it is in."""
    from rapidfuzz import fuzz, process

    generated = [r for r in new if not lines[r.id][1].get("id") and r.listener
                 and len(r.text.split()) >= TWIN_MIN_WORDS]
    if not generated:
        return
    # stored notes by each listener, read once an ingest; this file's new notes join them
    # as they are read, so a corrected answer later in the file is found too
    unread = {r.listener.strip().casefold() for r in generated} - set(by_listener)
    if unread:
        stored = store.texts_by_listener(unread)
        by_listener.update({name: stored.get(name, []) for name in unread})
    in_file = {record.id: record for record in new}  # not stored yet
    for record in generated:
        known = by_listener[record.listener.strip().casefold()]
        # the very same words are not a corrected answer: kept or quarantined as twins
        candidates = [(i, t) for i, t in known if i != record.id and t and t != record.text]
        known.append((record.id, record.text))
        if not candidates:
            continue
        # an answer sent again with a sentence added ("Update: ...") holds the first whole
        within = next((i for i, t in candidates
                       if len(t.split()) >= TWIN_MIN_WORDS and t.strip() in record.text), None)
        if within is None:
            match = process.extractOne(record.text, [t for _, t in candidates],
                                       scorer=fuzz.ratio, score_cutoff=NEAR_TWIN_RATIO)
            within = candidates[match[2]][0] if match is not None else None
        if within is None:
            continue
        line = lines[record.id][0]
        report.near_twins.append((line, within))
        twin = in_file.get(within) or store.get_note(within)
        if twin is not None and (differ := _answers_differ(twin, record)):
            report.near_twin_answers[line] = differ


def _answers_differ(older: NoteRecord | dict[str, Any], newer: NoteRecord) -> str | None:
    """How a near twin's consent to quote and safeguarding answers differ from the older
    note's ("consent to quote: yes there, no here"), or None: both notes are kept, so the
    lead must know which answer goes with the one erased."""
    def answer(note: NoteRecord | dict[str, Any], name: str) -> bool | None:
        return note.get(name) if isinstance(note, dict) else getattr(note, name)

    said = []
    for name, shown in (("consent_quote", "consent to quote"), ("safeguarding", "safeguarding")):
        there, here = answer(older, name), answer(newer, name)
        if name == "safeguarding" and here is None:
            continue  # not answered in the row: the phrase screen reads it later
        if bool(there) != bool(here):
            said.append(f"{shown}: {'yes' if there else 'no'} there, {'yes' if here else 'no'} "
                        "here")
    return "; ".join(said) or None


def _without_twins(
    store: Store,
    new: list[NoteRecord],
    lines: dict[str, tuple[int, dict[str, Any]]],
    report: FileReport,
    reject: Callable[[int, str, Any], None],
) -> list[NoteRecord]:
    """New notes whose text is not already stored (or earlier in this batch) under another
    id; the others are quarantined. Only notes of `TWIN_MIN_WORDS` words or more: two
    people may well say "No one asks mum", not the same three sentences. Nor a row heard on
    another day or by another listener than every note with its words (a group saying the
    same thing week after week): another conversation, kept and named in the report. What
    a twin row says still counts where it protects someone: marked safeguarding, the note
    is flagged; a consent it withdraws is withdrawn from the note (never given); and a
    field the stored note lacks is filled from it (the same file ingested again with a
    column named, whose ids, made from the date and listener, came out different)."""
    stored = store.ids_with_text(r.content_hash for r in new)
    known = store.note_states({i for ids in stored.values() for i in ids})
    heard = {note_id: {"heard_on": state["heard_on"], "listener": state["listener"]}
             for note_id, state in known.items()}
    kept: dict[str, NoteRecord] = {}
    changes: dict[str, dict[str, Any]] = {}
    reasons: dict[str, str] = {}
    flags: dict[str, str] = {}
    labels: dict[str, list[str]] = {}
    source = Path(report.path).name
    for record in new:
        line, data = lines[record.id]
        same = [] if len(record.text.split()) < TWIN_MIN_WORDS else \
            stored.get(record.content_hash, [])
        # the note this row repeats: the first with its words heard in the same conversation
        twin = next((i for i in same if not _other_conversation(heard[i], record)), None)
        if twin is None:
            if same:
                report.same_words_kept.append((line, same[0]))
            stored.setdefault(record.content_hash, []).append(record.id)  # a later row's twin?
            heard[record.id] = {"heard_on": record.heard_on, "listener": record.listener}
            kept[record.id] = record
            continue
        first = kept.get(twin)  # earlier in this file, not stored yet
        lacking = ({name: getattr(first, name) for name in INTAKE_FILLABLE} if first
                   else known[twin])
        filled = {name: value for name in INTAKE_FILLABLE
                  if name in data and (value := getattr(record, name)) and not lacking[name]}
        # categories given now for a note no person has labelled label it, as they do a
        # note found under its own id (`--column categories=Topics` added on a second go)
        unlabelled = (first.categories is None) if first else not known[twin]["labelled"]
        label = list(record.categories) if record.categories is not None and unlabelled \
            else None
        said = [n.replace("_", " ") for n in filled] + (["categories"] if label is not None
                                                        else [])
        said_filled = (f"; its {', '.join(said)} {'was' if len(said) == 1 else 'were'} "
                       "filled in from this row" if said else "")
        reject(
            line,
            f"same text as note {shown_cell(twin)} earlier in this file{said_filled}; if it "
            "is another note, ingest with --allow-same-text"
            if first else
            f"same text as note {shown_cell(twin)}, already stored (was this file ingested "
            f"before with other columns or ids?){said_filled}; if it is another note, "
            "ingest with --allow-same-text",
            data,
        )
        if filled:  # the twin is now heard as this row says
            heard[twin] = {**heard[twin], **{k: v for k, v in filled.items() if k in heard[twin]}}
        withdrawn = {column: False for column in ("consent_quote", "consent_contact")
                     if column in data and not getattr(record, column)}
        if first is not None:  # store it as the rows say
            kept[twin] = replace(
                first, safeguarding=True if record.safeguarding else first.safeguarding,
                **withdrawn, **filled,
                **({"categories": label} if label is not None else {}),
            )
            continue
        if label is not None:
            labels[twin] = label
            known[twin] = {**known[twin], "labelled": True}  # a later row's: kept as given
        if withdrawn:
            changes.setdefault(twin, {}).update(withdrawn)
        if filled:
            changes.setdefault(twin, {}).update(
                {k: list(v) if k == "community" else v for k, v in filled.items()})
        if record.safeguarding:
            flags[twin] = (f"{_REFLAG_REASON}, on line {line} of {source} (same text, another "
                           "id; that row is in quarantine)")
        if withdrawn or record.safeguarding or filled:
            reasons[twin] = f"re-ingest of {source}, line {line} (same text, another id)"
    if changes or flags:
        _count_changes(report, *store.update_notes_from_intake(
            changes, reasons=reasons, flags=flags))
    for note_id, categories in labels.items():
        store.set_person_tags(note_id, categories)
    report.labelled += len(labels)
    return list(kept.values())


def _split_of(new: list[str], old: list[str]) -> bool:
    """Whether `new` is `old` split finer: a form's choices stored as one community
    ("Carers, Muslim") read again with `--list-sep ,`."""
    def letters(items: list[str]) -> str:
        return re.sub(r"[\W_]+", "", "".join(items)).casefold()

    return len(new) > len(old) and letters(new) == letters(old)


def _count_changes(
    report: FileReport,
    applied: dict[str, dict[str, Any]],
    queued: set[str],
    text_differs: Collection[str] = (),
    contact_corrected: Mapping[str, set[str]] | None = None,
) -> None:
    """Count in `report` what a file changed on stored notes (`Store.update_notes_from_intake`)."""
    contact_corrected = contact_corrected or {}
    for note_id in dict.fromkeys([*applied, *queued]):
        values = applied.get(note_id, {})
        if values.get("consent_quote") is False:
            report.quote_withdrawn.append(note_id)
        kinds = [
            (_GIVEN if values[column] else _WITHDRAWN)[column]
            for column in ("consent_quote", "consent_contact")
            if column in values
        ]
        if "safeguarding" in values or note_id in queued:
            kinds.append(_FLAGGED)
        kinds += [f"{name} corrected (contact details removed)"
                  if name in contact_corrected.get(note_id, ()) else f"{name} filled in"
                  for name in INTAKE_FILLABLE if name in values]
        for kind in kinds:
            report.changes[kind] = report.changes.get(kind, 0) + 1
        if note_id not in report.updated_ids:  # a note changed twice in a file is one note
            report.updated_ids.add(note_id)
            report.updated_text_differs += int(note_id in text_differs)
    report.flagged += len(queued)


def _store_batch(
    store: Store,
    pending: list[tuple[int, NoteRecord, dict[str, Any]]],
    report: FileReport,
    reject: Callable[[int, str, Any], None],
    screen: Callable[[str], str | None] | None,
    allow_same_text: bool = False,
    by_listener: dict[str, list[tuple[str, str]]] | None = None,
    replace_text: bool = False,
    new_ids: set[str] | None = None,
) -> None:
    """Store the new notes of a batch; for notes already stored, apply what the row says
    about consent and safeguarding (a withdrawal always, a flag at once, never an un-flag),
    and with `replace_text` a corrected answer's words (`Store.replace_note_text`). The ids
    stored are added to `new_ids`."""
    if not pending:
        return
    existing = store.note_states(record.id for _, record, _ in pending)
    # consent a file gives back after it was withdrawn (e.g. an older export ingested
    # again) is not applied: only a person can (`insight notes consent`)
    regiving = [
        record.id for _, record, data in pending
        if (stored := existing.get(record.id)) is not None
        and any(c in data and getattr(record, c) and not stored[c]
                for c in ("consent_quote", "consent_contact"))
    ]
    withdrawn = store.consent_withdrawn(regiving) if regiving else {}
    # a file's "no" for a consent a person gave since: the same old answer, or a new one?
    unasking = [
        record.id for _, record, data in pending
        if (stored := existing.get(record.id)) is not None
        and any(c in data and not getattr(record, c) and stored[c]
                for c in ("consent_quote", "consent_contact"))
    ]
    by_person = store.consent_given_by_person(unasking) if unasking else {}
    new: list[NoteRecord] = []
    new_lines: dict[str, tuple[int, dict[str, Any]]] = {}
    replaced: dict[str, tuple[NoteRecord, int]] = {}  # --replace-text: id -> (row, line)
    changes: dict[str, dict[str, Any]] = {}
    reasons: dict[str, str] = {}
    flags: dict[str, str] = {}
    text_differs: set[str] = set()
    contact_corrected: dict[str, set[str]] = {}  # contact details corrected out of fields
    labels: dict[str, list[str]] = {}  # categories for stored notes no one labelled
    relabelled: dict[str, set[str]] = {}  # a file's categories for notes a person labelled
    # an erased note's words under another id (a prefix forgotten, the id in other case)
    candidates = [record for _, record, _ in pending
                  if record.id not in existing and len(record.text.split()) >= TWIN_MIN_WORDS]
    erased_words = store.erased_texts(record.content_hash for record in candidates)
    # a short note with an erased note's very words may be someone else saying the same
    # ("She is scared to go home."): stored, but named, for a person to check
    short_erased = store.erased_texts(
        record.content_hash for _, record, _ in pending
        if record.id not in existing and len(record.text.split()) < TWIN_MIN_WORDS)
    # or the same words with case, spacing or punctuation changed
    erased_like = store.erased_like(record.text for record in candidates)
    # a corrected answer must not wipe out the words a safeguarding concern was raised on
    concerned = store.raising_concerns(
        record.id for _, record, _ in pending
        if (stored := existing.get(record.id)) is not None
        and stored["content_hash"] != record.content_hash) if replace_text else set()
    for line, record, data in pending:
        stored = existing.get(record.id)
        if stored is None and (record.content_hash in erased_words
                               or record.text in erased_like):
            report.erased += 1  # counted here alone: "already present" is of live notes
            if _raises_concern(data, screen) and not store.erased_concern_known(
                    record.id, record.content_hash):  # the queue's record holds it already
                report.erased_concerns.append(line)
            continue
        if stored is None:
            new.append(record)
            new_lines[record.id] = (line, data)
            if record.content_hash in short_erased:
                report.erased_words_kept.append((line, record.id))
            continue
        if stored["erased"]:  # whatever the row says: an erased note stays erased
            report.erased += 1
            # a new concern all the same: said at once, unless the queue had it already
            if _raises_concern(data, screen) and not store.erased_concern_known(
                    record.id, record.content_hash):
                report.erased_concerns.append(line)
            continue
        same_text = stored["content_hash"] == record.content_hash
        if same_text:
            report.already_present += 1
        elif replace_text and (clash := _other_conversation(stored, record)):
            # an id typed wrong must not take another note's place
            reject(
                line,
                f"id {shown_cell(record.id)} is stored with other words and another {clash}: "
                "not a corrected answer to that note; check the id",
                data,
            )
            continue
        elif replace_text and record.id in concerned:
            reject(
                line,
                f"note {shown_cell(record.id)} has a safeguarding item (`insight safeguarding "
                "list`): its words are the record of that concern, so a file does not "
                "replace them; a lead reads both and decides",
                data,
            )
            continue
        elif replace_text:  # a corrected answer under the same id: its new words
            report.already_present += 1
            replaced[record.id] = (record, line)
            same_text = True  # the row's other fields now describe the stored note
        else:  # its words are screened: two forms numbered from 1 clash on every id
            reject(
                line,
                f"id {shown_cell(record.id)} already present with different text (if the id "
                "was typed wrong, correct it; a corrected answer to that same note? ingest "
                "with --replace-text; if this file's ids restart at 1, one set "
                "per form or export, ingest it with an id prefix)",
                data,
            )
        wanted: dict[str, Any] = {}
        for column in ("consent_quote", "consent_contact"):
            if column not in data:  # a file without the column says nothing about it
                continue
            given = getattr(record, column)
            # Withdrawing consent always applies; giving it only from the same note, and
            # never back after a withdrawal.
            if stored[column] and not given:
                wanted[column] = given  # a withdrawal always applies, even an old answer's
                if column in by_person.get(record.id, ()):
                    report.person_consent_undone.append(record.id)
            elif same_text and given and not stored[column]:
                if column in withdrawn.get(record.id, ()):
                    report.consent_not_restored += 1
                    report.consent_not_restored_ids.append(record.id)
                else:
                    wanted[column] = given
        if record.safeguarding and stored["safeguarding"] is not True:
            said = _listener_said(data)
            if same_text:
                wanted["safeguarding"] = True
                flags[record.id] = _REFLAG_REASON + (f": {said}" if said else "")
            else:  # the row may be another note: queue it for a person, label nothing
                flags[record.id] = (
                    f"{_REFLAG_REASON}, on line {line} of {Path(report.path).name}, whose text "
                    "differs from the stored note (that row is in quarantine): check both"
                    + (f"; the answer: {said}" if said else "")
                )
        elif record.safeguarding is False and stored["safeguarding"] is True:
            report.kept_flagged += 1  # never un-flagged by a file
        if same_text:  # a field the note was stored without, given now (`--column`)
            for name in INTAKE_FILLABLE:
                value = getattr(record, name)
                if name in data and value and (not stored[name] or (
                        name == "community" and _split_of(list(value), stored[name]))):
                    wanted[name] = list(value) if name == "community" else value
            # a phone number or address typed where the listener or place goes, corrected
            # in the form (ingest said to): the correction replaces it
            for name in ("listener", "place", "setting"):
                value = getattr(record, name)
                if (name in data and value and stored[name] and value != stored[name]
                        and _contact_details(stored[name]) and not _contact_details(value)):
                    wanted[name] = value
                    contact_corrected.setdefault(record.id, set()).add(name)
            # any other field the row gives otherwise is kept as stored, and said
            for name in INTAKE_FILLABLE:
                value = getattr(record, name)
                if (name in data and value and stored[name] and name not in wanted
                        and (set(value) != set(stored[name]) if name == "community"
                             else value != stored[name])):
                    report.fields_kept.setdefault(name, []).append(record.id)
        if same_text and record.categories is not None:
            if stored["labelled"]:
                relabelled[record.id] = set(record.categories)
            else:
                labels[record.id] = list(record.categories)
        if wanted or record.id in flags:
            if wanted:
                changes[record.id] = wanted
            reasons[record.id] = f"re-ingest of {Path(report.path).name}, line {line}"
            if not same_text:
                text_differs.add(record.id)
    rescreened: dict[str, str] = {}  # the phrase list on a corrected answer's words
    for note_id, (record, line) in replaced.items():
        why = f"corrected answer: {Path(report.path).name}, line {line}"
        if store.replace_note_text(note_id, record.text, record.content_hash, reason=why):
            report.text_replaced.append(note_id)
            if screen is not None and (flag := screen(record.text)) and note_id not in flags:
                rescreened[note_id] = flag  # the new words may raise what the old did not
                reasons.setdefault(note_id, why)
    if changes or flags or rescreened:
        _count_changes(report, *store.update_notes_from_intake(
            changes, reasons=reasons, flags=flags, screened=rescreened,
            contact_corrected=contact_corrected), text_differs=text_differs,
            contact_corrected=contact_corrected)
    for note_id, categories in labels.items():
        store.set_person_tags(note_id, categories)
    report.labelled += len(labels)
    if relabelled:
        given: dict[str, set[str]] = {}
        for tag in store.tags_for(list(relabelled)):
            if tag["source"] == "person":
                given.setdefault(tag["note_id"], set()).add(tag["category"])
        report.labels_kept += sum(1 for n, c in relabelled.items() if given.get(n, set()) != c)
    if new and not allow_same_text:
        new = _without_twins(store, new, new_lines, report, reject)
    if new:
        _near_twins(store, new, new_lines, report, by_listener if by_listener is not None else {})
    screened = {}
    if screen is not None:
        for record in new:
            if record.safeguarding:  # the listener's yes: queued as it is stored
                continue
            if reason := screen(record.text):
                screened[record.id] = reason
            elif found := _unstored_concern(new_lines[record.id][1], screen):
                # words in a column that is not stored ("Any other comments"): the note
                # goes to the queue, and the reason says where a person reads them
                column, reason = found
                line = new_lines[record.id][0]
                said = _said_in(new_lines[record.id][1].get(column))
                screened[record.id] = (f"{reason}, in the column {shown_cell(column)} (not "
                                       f"stored), line {line} of {Path(report.path).name}"
                                       + (f": {said}" if said else ""))
                report.unstored_concerns.append((line, column))
    said = {record.id: words for record in new if record.safeguarding
            and (words := _listener_said(new_lines[record.id][1]))}
    store.add_notes(new, flags=screened, said=said)
    if new_ids is not None:
        new_ids.update(record.id for record in new)
    report.accepted += len(new)
    report.flagged += sum(1 for r in new if r.safeguarding) + len(screened)
