"""Rows that intake could not store, read back so that a person can fix them.

`insight.intake` writes one JSONL file per ingested file that had bad rows
(`WORKSPACE/quarantine/<file>.<UTC time>.jsonl`), one record per row: the file, the line,
the reason and the row's cells (without columns that hold who filled in the form). This
module reads those files and says, for each row, whether it still needs fixing: a monthly
export that holds every answer so far brings the same bad rows back each month, and a row
fixed and ingested again is no longer lost. It also writes the rows still to fix as a
file to correct and ingest again, and clears rows that need nothing more.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from insight.intake import (
    DISMISSED,
    FIX_COLUMNS,
    NOTE_FIELDS,
    RAW_COLUMN,
    dismissed_mark,
    dismissed_marks,
    header_key,
    raw_json_cells,
    raw_line,
    raw_row_texts,
    row_key,
    text_hashes,
)
from insight.sheets import cell_unfit, write_workbook, written_whole

if TYPE_CHECKING:
    from insight.store import Store

#: A row's state: its words are still in no note ("to fix"); they are a stored note
#: ("stored": fixed and ingested again, or a duplicate of a stored note); the same row, or
#: its correction from an exported file to fix, or the same line of the same file read
#: with other options (`--column setting=...`), is in a later quarantine file
#: ("repeated"); the note was erased ("erased"); a person dismissed the row as never to
#: be a note, e.g. an empty form ("dismissed", `dismiss`); or the record is a whole file
#: that could not be read ("file").
STATES = ("to fix", "stored", "repeated", "erased", "dismissed", "file")

#: The states of rows that need nothing more (`clear` removes them).
DONE = ("stored", "repeated", "erased", "dismissed")

#: Suffixes `export` writes: a workbook keeps every cell as typed text (no formula runs),
#: JSONL keeps lists and yes/no as they were.
EXPORT_SUFFIXES = (".xlsx", ".jsonl")


@dataclass(frozen=True)
class QuarantinedRow:
    """One quarantine record and what became of it (`state`, set by `review`)."""

    path: Path  # the quarantine file
    index: int  # the record's place in that file (0-based), to rewrite it
    source: str  # the ingested file
    line: int  # its line there (0: the whole file)
    reason: str
    row: Any  # the cells as read: a dict of note fields, or an unreadable line
    written: datetime | None
    id_prefix: str = ""
    left_out: tuple[str, ...] = ()
    erased: bool = False
    state: str = ""
    #: How many earlier quarantine files held the same row (its repeats).
    earlier: int = 0
    #: It raises a safeguarding concern and was never stored: not in the queue, so it is
    #: never dropped unread (`insight quarantine dismiss` asks what was done about it).
    concern: bool = False
    #: A hash of the ingested file's contents (`insight.intake._Quarantine.digest`); ""
    #: in records written before intake kept it.
    file_digest: str = ""
    #: A row a person had dismissed before it came back (a cumulative export): intake
    #: kept it without its cells.
    dismissed: bool = False

    @property
    def text(self) -> str | None:
        text = self.row.get("text") if isinstance(self.row, dict) else None
        return text if isinstance(text, str) and text.strip() else None

    @property
    def raw_line(self) -> str | None:
        """A row intake could not read as cells, as written: the row, or the `raw` cell of
        a row of a file to fix that is still unread (`insight.intake.raw_line`)."""
        return raw_line(self.row) if self.line else None

    @property
    def raw_cells(self) -> list[str]:
        """A row intake could not match to the header ("row has 8 fields but the header
        has 9"), kept as its cells joined by the file's delimiter: those pieces."""
        if (line := self.raw_line) is None:
            return []
        return [c.strip() for c in line.split(max(",;\t|", key=line.count))]

    def raw_texts(self, longest: int = 60) -> set[str]:
        """What the note's words may be in such a row (a broken JSON line's strings, or
        every run of a CSV row's pieces joined back: the words can hold the delimiter), so
        a note stored with them, fixed by hand or from a file to fix, is found."""
        if (line := self.raw_line) is None:
            return set()
        return raw_row_texts(line, longest)

    @property
    def note_id(self) -> str | None:
        row_id = self.row.get("id") if isinstance(self.row, dict) else None
        row_id = str(row_id).strip() if row_id is not None else ""
        return f"{self.id_prefix}{row_id}" if row_id else None

    @property
    def origin(self) -> str | None:
        """Where a row of a file from `export` first was (its `quarantined_from`)."""
        origin = self.row.get(FIX_COLUMNS[1]) if isinstance(self.row, dict) else None
        return str(origin) if origin else None

    @property
    def where(self) -> str:
        """Where the row came from, as a person would look it up: `notes.csv line 12`."""
        return f"{Path(self.source).name} line {self.line}" if self.line else \
            Path(self.source).name

    def holds_words(self, words: Iterable[str]) -> bool:
        """Whether every one of these words or phrases is in the row, in any cell, in any
        case and spacing, and a number in a cell however it is spaced ("07700900123" finds
        "07700 900123"): to find what is held about a person who asks (subject access),
        as `Store.ids_with_words` finds their notes."""
        from insight.store import number_searched, without_number_separators

        words = [w for w in words if w.strip()]
        if self.row is None or not words:
            return False
        cells = [str(c) for c in (self.row.values() if isinstance(self.row, dict)
                                  else [self.row]) if c is not None]
        held = " ".join(" ".join(c.casefold().split()) for c in cells)
        bare = [without_number_separators(c) for c in cells]  # a number is within one cell
        return all(any(digits in b for b in bare) if (digits := number_searched(w)) is not None
                   else " ".join(w.casefold().split()) in held for w in words)

    def by_listener(self, listener: str) -> bool:
        """Whether the row names this listener, in any case and without outer spaces, as
        `Store.note_ids_for_listener` matches a stored note's (a request is typed by
        hand). A row intake could not read as cells (a CSV row of the wrong width, a
        broken JSON line) names them in a whole cell of its own, or in a `"listener"`
        pair: erasing a listener must not leave the rows intake could not split."""
        wanted = listener.strip().casefold()
        if not wanted:
            return False
        named = self.row.get("listener") if isinstance(self.row, dict) else None
        if named is not None and str(named).strip().casefold() == wanted:
            return True
        if (line := self.raw_line) is None:
            return False
        if pairs := raw_json_cells(line):
            return any(header_key(k) == "listener" and str(v).strip().casefold() == wanted
                       for k, v in pairs.items())
        return any(c.strip("\"' ").casefold() == wanted for c in self.raw_cells)

    def key(self) -> str | None:
        """The row's cells, for telling a repeat of it in a later export (the line may
        differ); None for a record without cells."""
        if self.row is None or self.line == 0:
            return None
        return row_key(self.row)

    def same_line(self, other: QuarantinedRow) -> bool:
        """Whether `other` is this row read again: the same line of the same file, its
        cells named otherwise because the file was ingested with other options (line 12
        of forms.xlsx, then again with `--column setting=...`: its setting cell moves from
        `what_kind_of_setting_was_it?` to `setting`). The same file: the same contents,
        or for records written before intake hashed them, the same note id."""
        if (self.line == 0 or other.line != self.line or self.row is None
                or other.row is None or Path(self.source).name != Path(other.source).name):
            return False
        if self.file_digest and other.file_digest:
            return self.file_digest == other.file_digest
        return self.note_id is not None and self.note_id == other.note_id


def _written(path: Path) -> datetime | None:
    """The UTC time intake wrote into the file's name (`notes.csv.20250103T101500123456`)."""
    stamp = path.name.removesuffix(".jsonl").rpartition(".")[2]
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    except ValueError:
        return None


def quarantine_files(folder: Path) -> list[Path]:
    """The folder's quarantine files, oldest first (by the time in their name)."""
    if not folder.is_dir():
        return []
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(folder.glob("*.jsonl"), key=lambda p: (_written(p) or far, p.name))


def read_quarantine(folder: Path) -> list[QuarantinedRow]:
    """Every record of every quarantine file, oldest file first, in file order.

    A line that is not a record (a file edited by hand) is skipped here and left alone
    by `clear`."""
    rows: list[QuarantinedRow] = []
    for path in quarantine_files(folder):
        written = _written(path)
        for index, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(entry, dict):
                continue
            rows.append(QuarantinedRow(
                path=path, index=index, source=str(entry.get("file") or path.name),
                line=int(entry.get("line") or 0), reason=str(entry.get("reason") or ""),
                row=entry.get("row"), written=written,
                id_prefix=str(entry.get("id_prefix") or ""),
                left_out=tuple(entry.get("left_out") or ()),
                # files written before intake marked them say so only in the reason
                erased=bool(entry.get("erased")) or str(entry.get("reason") or "").startswith(
                    "a row of an erased note"),
                concern=bool(entry.get("safeguarding_concern")),
                file_digest=str(entry.get("file_digest") or ""),
                dismissed=bool(entry.get("dismissed")),
            ))
    return rows


def _mark(row: QuarantinedRow, key: bytes) -> str | None:
    """A dismissed row's mark: a keyed hash of its cells (`insight.intake.dismissed_mark`,
    which intake tests a row against before it writes the row again)."""
    return None if row.key() is None else dismissed_mark(row.row, key)


def _dismissed(folders: Iterable[Path]) -> set[str]:
    return dismissed_marks(folders)


def dismiss(rows: Iterable[QuarantinedRow], store: Store) -> int:
    """Dismiss rows that can never be notes (an empty form, a test answer): each row's mark
    goes into its folder's `DISMISSED` file, so that later copies of it are dismissed
    too, and the rows are removed (`clear`). Returns how many rows were removed."""
    rows = list(rows)
    key = store.secret("quarantine-dismissed")
    by_folder: dict[Path, set[str]] = {}
    for r in rows:
        if (mark := _mark(r, key)) is not None:
            by_folder.setdefault(r.path.parent, set()).add(mark)
    for folder, marks in by_folder.items():
        path = folder / DISMISSED
        known = _dismissed([folder])
        with path.open("a", encoding="utf-8") as out:
            out.writelines(f"{m}\n" for m in sorted(marks - known))
    return clear(rows)[0]


def review(rows: Iterable[QuarantinedRow], store: Store) -> list[QuarantinedRow]:
    """Each row with its state (`STATES`). A row is stored when a live note has its
    words, as written or but for line breaks, outer spaces or runs of spaces
    (`text_hashes`), or, for a row without words, its id: fixed and ingested again, or a
    duplicate. A row the same as one in a later file, or the
    same line of the same file read again with other options (`QuarantinedRow.same_line`),
    is "repeated"; the latest copy counts how many earlier files held it. A row a person
    dismissed, in any copy, is "dismissed"."""
    rows = list(rows)
    dismissed = _dismissed({r.path.parent for r in rows})
    dismiss_key = store.secret("quarantine-dismissed") if dismissed else b""
    texts = {r.text for r in rows if r.text} | {t for r in rows for t in r.raw_texts()}
    hashes = {h for t in texts for h in text_hashes(t)}
    stored_hashes = set(store.ids_with_text(hashes))
    bare_ids = {r.note_id for r in rows if r.text is None and r.note_id}
    stored_ids = {i for i in bare_ids if (n := store.get_note(i)) and not n["erased_at"]}

    def state(r: QuarantinedRow) -> str:
        if r.erased:
            return "erased"
        if r.dismissed:  # written without its cells: dismissed before it came back
            return "dismissed"
        if r.line == 0 or r.row is None:
            return "file"
        if dismissed and _mark(r, dismiss_key) in dismissed:
            return "dismissed"
        if r.text is not None:
            found = text_hashes(r.text) & stored_hashes
            return "stored" if found else "to fix"
        if raw := r.raw_texts():  # a line unread as cells: stored once a note has its words
            return "stored" if {h for t in raw for h in text_hashes(t)} & stored_hashes \
                else "to fix"
        return "stored" if r.note_id in stored_ids else "to fix"

    corrected: dict[str, int] = {}  # where a row first was -> its latest correction
    by_key: dict[str, list[int]] = {}
    by_line: dict[tuple[str, int], list[int]] = {}  # a file's line, however it was read
    for i, r in enumerate(rows):
        if (key := r.key()) is not None:
            by_key.setdefault(key, []).append(i)
            by_line.setdefault((Path(r.source).name, r.line), []).append(i)
        if (origin := r.origin) is not None:
            corrected[origin] = i
    # each row's earlier copies: the same cells, or the same line of the same file
    copies: dict[int, set[int]] = {}
    for i, r in enumerate(rows):
        if (key := r.key()) is not None:
            copies[i] = {j for j in by_key[key] if j < i} | {
                j for j in by_line[(Path(r.source).name, r.line)]
                if j < i and rows[j].same_line(r)}
    superseded: set[int] = set().union(*copies.values())
    out = []
    for i, r in enumerate(rows):
        current = state(r)
        if current == "to fix" and (
            i in superseded
            # corrected later: the row itself, or (a row of a file to fix) its first place
            or corrected.get(r.origin or r.where, -1) > i
        ):
            current = "repeated"
        earlier = len(copies.get(i, ())) if i not in superseded else 0
        out.append(replace(r, state=current, earlier=earlier))
    return out


#: What a row just quarantined needs, for an ingest's summary (`sort_rejected`): "new" (a
#: problem not seen before), "before" (the same row was quarantined by an earlier ingest and
#: is still to fix: a cumulative export brings it back), "stored" (its words are a stored
#: note: fixed and ingested before, so nothing to do), "erased" (an erased note's row) or
#: "dismissed" (a person said it will never be a note).
REJECTED_KINDS = ("new", "before", "stored", "erased", "dismissed")


def sort_rejected(
    folder: Path, written: str | Path, store: Store
) -> dict[str, list[QuarantinedRow]]:
    """The rows one ingest quarantined (its quarantine file `written`) by what they need
    (`REJECTED_KINDS`), each in file order: a monthly export that repeats every answer so
    far must not bury this month's new problems under last month's, fixed since."""
    written = Path(written)
    rows = [r for r in review(read_quarantine(folder), store)
            if r.path == written and r.line > 0]
    kinds: dict[str, list[QuarantinedRow]] = {kind: [] for kind in REJECTED_KINDS}
    for r in rows:
        if r.state in ("stored", "erased", "dismissed"):
            kinds[r.state].append(r)
        else:
            kinds["before" if r.earlier else "new"].append(r)
    return kinds


_FIELD_PROBLEM = re.compile(r"([a-z_]+(?:\.\w+)*)(?: \(column '.*?'\))?: ")


def problem_kind(reason: str) -> str:
    """A short name for the kind of problem, to count rows by: the fields a validation
    error names ("heard_on"), or the kind of rejection ("duplicate id")."""
    text = reason.strip()
    lowered = text.lower()
    for start, kind in (("duplicate id", "duplicate id in the file"),
                        ("duplicate:", "same row twice in the file"),
                        ("same text as note", "same words as another note"),
                        ("a row of an erased note", "an erased note's row"),
                        ("file rejected", "file could not be read")):
        if lowered.startswith(start):
            return kind
    if lowered.startswith("id ") and "already present with different text" in lowered:
        return "id stored with other words"
    if lowered.startswith("id ") and "not a corrected answer to that note" in lowered:
        return "id of another conversation"
    fields = [m.group(1).split(".")[0] for part in text.split("; ")
              if (m := _FIELD_PROBLEM.match(part))]
    if fields:
        return ", ".join(dict.fromkeys(fields))
    words = text.split()
    return " ".join(words[:6]) + (" ..." if len(words) > 6 else "")


def _cells(row: QuarantinedRow) -> dict[str, Any]:
    """A row's cells for a file to fix: a readable row's fields (its id with the prefix it
    was ingested under), or an unreadable line under `raw`."""
    if not isinstance(row.row, dict):
        return {RAW_COLUMN: row.row if isinstance(row.row, str) else json.dumps(row.row)}
    cells = dict(row.row)
    if row.id_prefix and (note_id := row.note_id):
        cells["id"] = note_id
    return cells


def _record(row: QuarantinedRow) -> dict[str, Any]:
    """A row as a file to fix holds it: its cells, what is wrong, where it first was."""
    return {**_cells(row), FIX_COLUMNS[0]: row.reason, FIX_COLUMNS[1]: row.origin or row.where}


def workbook_misfits(rows: Iterable[QuarantinedRow]) -> list[tuple[QuarantinedRow, list[str]]]:
    """Rows a workbook cannot hold whole, each with its columns that do not fit: a cell
    longer than a workbook cell holds (a spreadsheet would keep only its start, and the
    note would come back cut short) or with a control character. `export` leaves them
    out of a workbook; a .jsonl file holds them whole."""
    found = []
    for row in rows:
        record = _record(row)
        if unfit := [k for k, v in record.items() if cell_unfit(_sheet_value(v)) is not None]:
            found.append((row, unfit))
    return found


def export(rows: Iterable[QuarantinedRow], path: Path) -> int:
    """Write rows to fix as a file intake reads (`.xlsx` or `.jsonl`): what is wrong
    (`problem`; a workbook's first column), the rows' own columns, and where each first
    came from (a row of an earlier file to fix keeps its first place); returns how many.

    A workbook's cells are all typed text, so a note that starts with "=" is not run as a
    formula, and an id "00123" or a date comes back as written, not as a number or a day.
    A row a workbook cannot hold whole (`workbook_misfits`: a note longer than a cell) is
    left out of it, never cut: it stays to fix, for a .jsonl file; with no row left,
    nothing is written."""
    rows = list(rows)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise ValueError(f"{path.name}: write a {' or '.join(EXPORT_SUFFIXES)} file")
    if suffix == ".xlsx":
        unfit = {id(row) for row, _ in workbook_misfits(rows)}
        rows = [r for r in rows if id(r) not in unfit]
        if not rows:
            return 0
    records = [_record(r) for r in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".jsonl":
        with written_whole(path, private=True) as partial, \
                partial.open("w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        return len(records)

    # what is wrong first, where a person starts reading; where the row was, last
    seen = dict.fromkeys(k for record in records for k in record)
    if RAW_COLUMN in seen:  # a sheet of lines to correct in `raw` alone is read as notes too
        seen.setdefault("text")
    columns = [FIX_COLUMNS[0]] + [f for f in NOTE_FIELDS if f in seen]
    columns += [k for k in seen if k not in columns and k not in FIX_COLUMNS]
    columns.append(FIX_COLUMNS[1])
    table = [columns] + [[_sheet_value(record.get(c)) for c in columns] for record in records]
    with written_whole(path, private=True) as partial:
        write_workbook({"Rows to fix": table}, partial, as_text=True)
    return len(records)


def _sheet_value(value: Any) -> Any:
    """A cell as a person would type it: lists joined by "; ", yes/no for true/false."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def clear(rows: Iterable[QuarantinedRow]) -> tuple[int, int]:
    """Remove these records from their quarantine files; a file left with no record is
    deleted. Returns (records removed, files deleted)."""
    by_file: dict[Path, set[int]] = {}
    for r in rows:
        by_file.setdefault(r.path, set()).add(r.index)
    removed = deleted = 0
    for path, indexes in by_file.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        kept = [line for i, line in enumerate(lines) if i not in indexes]
        removed += len(lines) - len(kept)
        if any(line.strip() for line in kept):
            path.write_text("\n".join(kept) + "\n", encoding="utf-8")
        else:
            path.unlink()
            deleted += 1
    return removed, deleted


def settle_unread(folder: Path, source: Path) -> int:
    """Remove the records of earlier attempts that could not read `source` at all (a
    mistyped `--text-col`), now that it has been read: they hold no row, so nothing is
    lost, and left alone they kept the file listed as unreadable until `clear --all`.
    Returns how many were removed."""
    target = source.resolve()
    unread = [r for r in read_quarantine(folder)
              if (r.line == 0 or r.row is None) and not r.erased and not r.dismissed
              and Path(r.source).resolve() == target]
    return clear(unread)[0] if unread else 0


def _raw_line_of(line: str, entry: dict[str, Any], note_ids: set[str], keys: set[str]) -> bool:
    """Whether a line intake could not split holds an erased note: its words are in it, or
    its first cell is the note's id (where ids usually are; a later cell equal to a short
    id could be any number)."""
    flat = " ".join(line.split())
    if any(key and key in flat for key in keys):
        return True
    cells = QuarantinedRow(path=Path(), index=0, source="", line=1, reason="", row=line,
                           written=None).raw_cells
    first = cells[0] if cells else ""
    return bool(first) and (first in note_ids
                            or f"{entry.get('id_prefix') or ''}{first}" in note_ids)


def scrub(folder: Path, note_ids: set[str], texts: set[str],
          erased: Callable[[str, str], bool] | None = None) -> int:
    """Blank quarantined rows of erased notes (same id or same text, or `erased(id,
    text)`: a restore's test of its rows against the erasures' keyed marks); returns how
    many.

    A row rejected at intake keeps its cells in quarantine so someone can fix it; once
    its note is erased, those cells must go too. The line number stays, and the reason
    unless it names the note's id (ids can hold names).
    """
    keys = {" ".join(t.split()) for t in texts if t}
    scrubbed = 0
    for path in quarantine_files(folder):
        lines = path.read_text(encoding="utf-8").splitlines()
        out, changed = [], False
        for line in lines:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                out.append(line)
                continue
            row = entry.get("row") if isinstance(entry, dict) else None
            if (isinstance(row, dict) and (
                str(row.get("id", "")) in note_ids
                or f"{entry.get('id_prefix') or ''}{row.get('id', '')}" in note_ids
                or " ".join(str(row.get("text") or "").split()) in keys
                or (erased is not None and (
                    erased(f"{entry.get('id_prefix') or ''}{row.get('id') or ''}",
                           str(row.get("text") or ""))
                    or erased(str(row.get("id") or ""), "")))
            )) or ((line_as_written := raw_line(row)) is not None
                   and _raw_line_of(line_as_written, entry, note_ids, keys)):
                entry["row"] = None
                entry["erased"] = True
                reason = str(entry.get("reason") or "")
                if any(note_id and note_id in reason for note_id in note_ids):
                    entry["reason"] = "(reason removed: it named an erased note)"
                line = json.dumps(entry, ensure_ascii=False)
                scrubbed += 1
                changed = True
            out.append(line)
        if changed:
            path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return scrubbed
