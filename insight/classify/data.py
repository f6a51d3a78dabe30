"""Bring your own codebook and labelled notes: loading messy labels, evaluating, model cards.

Real labelled data is messy (mixed case, typos, 'NA', codes nobody defined). The loader
normalises what it safely can and reports everything else in a `LabelReport` — labels it
does not know or that are too rare are dropped from training but never silently.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_recall_fscore_support

from insight.classify.calibration import calibration_error
from insight.classify.card import write_model_card
from insight.classify.thresholds import MIN_TUNING_POSITIVES
from insight.codebook import category_key
from insight.intake import (
    EXPERIENCES,
    FALSE_VALUES,
    TICKS,
    TRUE_VALUES,
    FileRejected,
    closest_header,
    experience_word,
    header_key,
    note_field,
    read_rows,
    shown_cell,
    some_of,
    yes_no,
)
from insight.intake import NOTE_FIELDS as NOTE_FILE_FIELDS

if TYPE_CHECKING:
    from insight.classify.model import TagModel

__all__ = [
    "LabelReport",
    "LabelledData",
    "evaluate",
    "load_labelled",
    "normalise_label",
    "write_model_card",
]

MISSING = {"", "na", "n/a", "none", "null", "nan", "-"}
_SPACE = re.compile(r"\s+")
SEPARATORS = (",", ";", "|", "/")
MAX_LISTED = 40  # label counts listed in the report up to this many labels
FEW_ROWS = 20  # fewer usable rows than this: thresholds and calibration are guesses
ODD_SHARE = 0.05  # a 0/1 column may hold this share of stray values (reported)
# ...or up to half when the column was named as a label column (--label-cols)
NAMED_ODD_SHARE = 0.5
FEW_EXAMPLES = MIN_TUNING_POSITIVES  # fewer examples: the threshold is a guess
#: A label column whose values have this many words or characters is text, not labels.
TEXT_LIKE_WORDS, TEXT_LIKE_CHARS = 10, 100
#: More distinct labels than this, most of them on one row only: free text, not labels.
FREE_TEXT_LABELS = 20
NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
# Note-file fields that are never label columns; 'community' is left out: a 0/1 column of
# that name is more likely a label.
NOTE_FIELDS = frozenset(NOTE_FILE_FIELDS) - {"community"}
LABEL_FIELDS = ("categories", "labels")  # used as the label column when none is named


label_key = category_key  # what two spellings of one label share


def _missing(value: Any) -> bool:
    """None or NaN: what a JSON row without the key or an empty pandas cell holds."""
    return value is None or (isinstance(value, float) and np.isnan(value))


def normalise_label(value: Any) -> str | None:
    """Strip, lower-case and collapse whitespace; None for the many spellings of 'missing'."""
    name = label_name(value)
    return None if name is None else name.lower()


def label_name(value: Any) -> str | None:
    """A label as the data spells it, whitespace tidied; None for the spellings of 'missing'.

    Case is kept: predictions are joined back to the user's own data by these names.
    Spellings that differ only in case or punctuation are one label (`_merge_spellings`).
    """
    if _missing(value):
        return None
    text = _SPACE.sub(" ", str(value)).strip()
    return None if text.lower() in MISSING else text


def labels_left_out(
    metadata: Mapping[str, Any], labels: Iterable[str]
) -> tuple[list[str], list[str]]:
    """Of `labels` (an evaluation file's labels the model does not have), those its
    training data had but it left out: (fewer than --min-count examples, not in its
    codebook). They are not mistakes in the file, so they are not asked "renamed?"."""
    facts = metadata.get("training_data") or {}
    rare = {label_key(lab) for lab in facts.get("below_min_count", {})}
    outside = {label_key(lab) for lab in (
        *facts.get("unknown", {}), *metadata.get("unknown_labels_dropped", {}))}
    ordered = sorted(labels)
    return ([lab for lab in ordered if label_key(lab) in rare],
            [lab for lab in ordered if label_key(lab) in outside - rare])


def _close_label(label: str, names: Sequence[str]) -> str | None:
    """The label `label` was most likely meant to be ("benifits" -> "benefits")."""
    import difflib

    lower = {name.lower(): name for name in names}
    found = difflib.get_close_matches(label.lower(), list(lower), n=1, cutoff=0.8)
    return lower[found[0]] if found else None


_NUMBERED = re.compile(r"\d+")  # "theme-1" and "theme-2" are two codes, not a typo


def _alike_labels(counts: Mapping[str, int]) -> list[tuple[str, str]]:
    """Pairs of labels, the rarer first, that differ by a typo ("gp acess", "gp access")."""
    import difflib

    names = sorted(counts, key=lambda n: (counts[n], n))
    pairs = []
    for i, rare in enumerate(names):
        for common in names[i + 1:]:
            if min(len(rare), len(common)) >= 4 and _NUMBERED.sub("", rare) != _NUMBERED.sub(
                    "", common) and difflib.SequenceMatcher(
                    None, rare.lower(), common.lower()).ratio() >= 0.85:
                pairs.append((rare, common))
    return pairs[:MAX_LISTED]


@dataclass
class LabelReport:
    """What the loader did with labels it could not use, and which rows they came from."""

    n_rows: int = 0
    n_used: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, list[str]] = field(default_factory=dict)
    rare: dict[str, list[str]] = field(default_factory=dict)
    empty_text_rows: list[str] = field(default_factory=list)
    unlabelled_rows: list[str] = field(default_factory=list)
    dropped_unlabelled: bool = False
    label_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    note_field_columns: list[str] = field(default_factory=list)
    unreadable_rows: list[str] = field(default_factory=list)
    file_notes: list[str] = field(default_factory=list)
    label_names: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    unknown_only_rows: list[str] = field(default_factory=list)
    #: Rows with a label like a known one but misspelt, left out of training (with their
    #: other labels, the note would teach the model it is not the category meant) and of
    #: scoring (the model's right tag in the category meant would count as wrong).
    misspelt_rows: list[str] = field(default_factory=list)
    odd_cells: list[str] = field(default_factory=list)
    duplicate_ids: list[str] = field(default_factory=list)
    #: Rows that repeat an earlier row's text and labels: one copy is kept.
    repeated_rows: list[str] = field(default_factory=list)
    #: rows repeating an earlier row's text with other labels, joined into it
    joined_rows: list[str] = field(default_factory=list)
    #: Label cells with a note written after the label ("Housing (she said ...)"): read
    #: as the label alone; and label cells that read like a note: dropped, never shown.
    label_with_note_rows: list[str] = field(default_factory=list)
    note_label_rows: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Data to score a model on that has 0/1 columns for only some of its labels: those
    #: labels (the data says nothing of the others, so they cannot be scored). None: all.
    coded: list[str] | None = None
    #: Read to train a model (True) or to score one (`insight evaluate`): only the words
    #: of the report differ, as the rows are read alike.
    training: bool = True

    @property
    def misspelt(self) -> dict[str, str]:
        """Unknown labels that are a known label misspelt ("Medicaton"), each with the
        label meant: their rows are left out (`misspelt_rows`)."""
        return {lab: meant for lab in self.unknown
                if (meant := _close_label(lab, self.label_names)) is not None}

    def left_out(self) -> dict[str, int]:
        """Rows of the file not used, by why (each reason, with how many; 0 where none)."""
        return {
            "empty text or no words": len(self.empty_text_rows),
            "only unknown labels": len(self.unknown_only_rows),
            "a misspelt label": len(self.misspelt_rows),
            "label cell read like a note": len(self.note_label_rows),
            "copies of an earlier row": len(self.repeated_rows),
            "joined to an earlier row with the same text": len(self.joined_rows),
            "unreadable": len(self.unreadable_rows),
            "no usable label": len(self.unlabelled_rows) if self.dropped_unlabelled else 0,
        }

    @property
    def absent(self) -> list[str]:
        """Labels the data codes (codebook, 0/1 column) but no usable row carries."""
        coded = self.label_names if self.coded is None else self.coded
        return [name for name in coded if name not in self.counts]

    @property
    def problems(self) -> bool:
        return bool(
            self.unknown or self.rare or self.empty_text_rows or self.unreadable_rows
            or self.unknown_only_rows or self.misspelt_rows or self.odd_cells or self.duplicate_ids
            or self.warnings or self.absent or self.repeated_rows
            or self.label_with_note_rows or self.note_label_rows or self.joined_rows
        )

    def _listed_counts(self) -> str:
        if not self.counts:
            return "."
        if len(self.counts) <= MAX_LISTED:
            return ": " + ", ".join(f"{lab} ({n})" for lab, n in self.counts.items())
        commonest = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        return (f"; the {MAX_LISTED} commonest: "
                + ", ".join(f"{lab} ({n})" for lab, n in commonest[:MAX_LISTED])
                + f"; and {len(self.counts) - MAX_LISTED} more (the model card lists every "
                "label's count)")

    def summary(self) -> str:
        lines = [f"file: {note}" for note in self.file_notes]
        coded = (
            f"the data codes only {len(self.coded)} of the model's {len(self.label_names)} "
            "labels"
            if self.coded is not None
            else f"{len(self.label_names)} labels"
        )
        lines.append(
            f"{self.n_used} of {self.n_rows} rows used; {coded}"
            + (f"; {len(self.counts)} with examples" if self.absent else "")
            + self._listed_counts()
        )
        if self.absent:
            lines.append(f"labels with no examples: {', '.join(self.absent)}")
        if self.renamed:
            lines.append(
                "labels read as the same label: "
                + "; ".join(f"'{a}' -> '{b}'" for a, b in sorted(self.renamed.items()))
            )
        for title, found in (
            ("unknown labels (dropped)", self.unknown),
            ("labels below min_count (dropped)", self.rare),
        ):
            if found:
                parts = [
                    f"{lab} ({len(rows)} row{'s' if len(rows) != 1 else ''}, "
                    f"e.g. {', '.join(rows[:3])}"
                    + (f"; did you mean {hint}?" if found is self.unknown
                       and (hint := _close_label(lab, self.label_names)) else "")
                    + ")"
                    for lab, rows in sorted(found.items())
                ]
                lines.append(f"{title}: " + "; ".join(parts))
        if self.misspelt_rows:
            lines.append(
                "fix the misspelt ones (did you mean ...?) and train again: their rows are "
                "left out until then, as with their other labels alone each note would "
                "teach the model it is not the category meant" if self.training else
                "fix the misspelt ones (did you mean ...?) and evaluate again: their rows "
                "are left out until then, as with their other labels alone the model's "
                "right tag in the category meant would count as wrong")
        if alike := _alike_labels(self.counts):
            lines.append(
                "labels spelt so alike they may be one (fix the spelling, or train with "
                "--codebook): " + "; ".join(f"{a} ({self.counts[a]}) ~ {b} ({self.counts[b]})"
                                            for a, b in alike))
        if self.unreadable_rows:
            lines.append(
                f"unreadable rows (skipped): {len(self.unreadable_rows)}: "
                + some_of(self.unreadable_rows, sep="; ")
            )
        for title, rows in (
            ("rows with empty text or no words (dropped)", self.empty_text_rows),
            ("rows whose only labels are unknown (dropped)", self.unknown_only_rows),
            ("rows with a misspelt label (left out until it is fixed)", self.misspelt_rows),
            ("label cells with a note after the label (read as the label alone)",
             self.label_with_note_rows),
            ("label cells that read like a note or name a person, not a label (dropped, "
             "not shown; rows left with no label are not used)", self.note_label_rows),
            ("rows repeating an earlier row's text and labels (one copy kept)",
             self.repeated_rows),
            ("rows repeating an earlier row's text with other labels (joined to it: one "
             "note with every label given, as a file of one label per row lists them)",
             self.joined_rows),
            ("rows with no usable label ("
             + ("dropped" if self.dropped_unlabelled else
                "kept, learned as no category; --skip-unlabelled leaves them out"
                if self.training else
                "kept, scored as notes with no category: a tag the model gives one counts "
                "as wrong") + ")",
             self.unlabelled_rows),
            ("ids used by more than one row", self.duplicate_ids),
        ):
            if rows:  # ids, or line-N for a row without one
                lines.append(f"{title}: {len(rows)} (id{'s' if len(rows) > 1 else ''} "
                             f"{some_of(rows)})")
        if self.odd_cells:
            lines.append(
                "cells in 0/1 label columns that are not 0/1 (read as 0): "
                + some_of(self.odd_cells)
            )
        if self.ignored_columns:
            lines.append(
                f"columns ignored (not 0/1, so not read as labels): "
                f"{', '.join(self.ignored_columns)}"
            )
        if self.note_field_columns:
            lines.append(
                "note fields, not read as labels (name them with --label-cols if they are): "
                + ", ".join(self.note_field_columns)
            )
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def card_facts(self, source: str, min_count: int) -> dict[str, Any]:
        """What the model card records of how its training file was read (counts and
        label names only: ids and cells are not kept)."""
        return {
            "file": source,
            "rows": self.n_rows,
            "rows_used": self.n_used,
            "min_count": min_count,
            "below_min_count": {lab: len(rows) for lab, rows in sorted(self.rare.items())},
            "unknown": {lab: len(rows) for lab, rows in sorted(self.unknown.items())},
            "few_examples": {lab: n for lab, n in self.counts.items() if n < FEW_EXAMPLES},
            "no_examples": self.absent,
            # learned as notes with no category (unless dropped, below)
            "rows_without_label": 0 if self.dropped_unlabelled else len(self.unlabelled_rows),
            "rows_dropped": self.left_out(),
        }


@dataclass
class LabelledData:
    """Texts with clean label lists, ready for `TagModel.fit`, plus the report."""

    ids: list[str]
    texts: list[str]
    labels: list[list[str]]
    label_names: list[str]
    report: LabelReport
    safeguarding: list[bool] | None = None
    experience: list[str | None] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def indicator_matrix(self) -> np.ndarray:
        index = {name: j for j, name in enumerate(self.label_names)}
        Y = np.zeros((len(self.texts), len(self.label_names)), dtype=np.int8)
        for i, row in enumerate(self.labels):
            for lab in row:
                Y[i, index[lab]] = 1
        return Y

    def subset(self, keep: Sequence[int]) -> LabelledData:
        """Rows `keep`, same label names and report (e.g. a train/test split)."""
        pick = list(keep)
        return LabelledData(
            ids=[self.ids[i] for i in pick],
            texts=[self.texts[i] for i in pick],
            labels=[self.labels[i] for i in pick],
            label_names=self.label_names,
            report=self.report,
            safeguarding=None
            if self.safeguarding is None
            else [self.safeguarding[i] for i in pick],
            experience=None if self.experience is None else [self.experience[i] for i in pick],
        )


def _read_table(
    path: Path, text_col: str
) -> tuple[pd.DataFrame, list[int], list[str], list[str]]:
    """Readable rows as a frame, each row's line number, one message per unreadable row, and
    notes on the file itself (e.g. the encoding it was converted from).

    The same reader as note intake (encodings, delimiters, JSON arrays, per-row errors),
    but with column names kept as written: in a labelled file they can be label names.
    """
    rows, warnings = read_rows(path, text_col=text_col, normalise_headers=False)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    unreadable: list[str] = []
    for row in rows:
        if row.data is None:
            unreadable.append(f"line {row.line}: {row.error}")
            continue
        records.append(row.data)
        lines.append(row.line)
    if not records:
        if unreadable:
            raise FileRejected(f"no readable rows ({unreadable[0]})")
        raise FileRejected("no rows after the header (or only blank ones): was it exported "
                           "before any answers came in, or is it the wrong file?")
    return pd.DataFrame.from_records(records), lines, unreadable, warnings


def _column(frame: pd.DataFrame, name: str) -> str:
    """The frame's column called `name`, else the one column that differs only in case
    or spacing ("Text" for "text", "Feedback Text" for "feedback_text"), else `name`."""
    if name in frame.columns:
        return name
    matches = [c for c in frame.columns if header_key(str(c)) == header_key(name)]
    return matches[0] if len(matches) == 1 else name


def _no_column(what: str, name: str, frame: pd.DataFrame) -> str:
    """Why a named column is not in the file, with the file's columns and the one most
    like the name (a typo in --id-col is the usual cause)."""
    close = closest_header(name, [str(c) for c in frame.columns])
    hint = f"; did you mean {close!r}?" if close else ""
    return f"no {what} column {name!r} (columns: {[str(c) for c in frame.columns]}){hint}"


def _odd_cells(values: pd.Series, share: float = ODD_SHARE) -> list[int] | None:
    """Positions of stray values if a column is a 0/1 indicator (its name is the label),
    else None. A few stray values (a typo, a '?') do not stop a column of 0s and 1s
    being one; they are reported and read as 0. Ticks (x, ✓) count as 1."""
    seen, odd = 0, []
    for i, value in enumerate(values):
        if isinstance(value, bool):
            seen += 1
            continue
        norm = normalise_label(value)
        if norm is None:
            continue
        seen += 1
        if norm not in TRUE_VALUES | FALSE_VALUES | TICKS:
            odd.append(i)
    if not seen or seen == len(odd) or len(odd) > max(2, share * seen):
        return None
    return odd


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return normalise_label(value) in TRUE_VALUES | TICKS


def _flagged(value: Any) -> bool:
    """A training row's safeguarding answer, read as ingest reads one: by the answer it
    starts with, erring towards yes ("Yes - self-harm", "not sure" are flagged; only a
    clear no such as "No concerns" is not), a tick is yes and a blank is no."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return False
    if isinstance(value, bool | np.bool_ | int | float | np.number):
        return bool(value)
    if normalise_label(value) in TICKS:
        return True
    try:
        return bool(yes_no(value, False, safeguarding=True))
    except ValueError:  # no answer in words ("?"): a person should read the note
        return True


def _text_like(values: Sequence[str], words: int = TEXT_LIKE_WORDS,
               chars: int = TEXT_LIKE_CHARS, spread: float = 0.25,
               fragments: bool = True) -> bool:
    """Whether values read like notes rather than labels or ids: most distinct values are
    sentences (`words` or `chars` long) and they are not shared by many rows (a label
    name can be long, but many rows carry each one); or, as when notes are split at a
    separator into fragments, there are many values and most are on one row only."""
    counts = Counter(values)
    if not counts:
        return False
    long = sum(1 for v in counts if len(v.split()) >= words or len(v) >= chars)
    if long > len(counts) / 2 and len(counts) > spread * len(values):
        return True
    if not fragments:  # ids: one row each is what they are for
        return False
    once = sum(1 for n in counts.values() if n == 1)
    return len(counts) > FREE_TEXT_LABELS and once > 0.6 * len(counts)


def _split_cell(value: Any, sep: str | tuple[str, ...]) -> list[str]:
    if isinstance(value, list | tuple):
        items: list[Any] = list(value)
    elif _missing(value):
        items = []
    else:  # a line break in a cell (Alt+Enter in Excel) lists labels too
        seps = (sep,) if isinstance(sep, str) else sep
        split = re.compile("|".join(re.escape(s) for s in seps if s)) if any(seps) else None
        items = [part for line in str(value).splitlines()
                 for part in (split.split(line) if split else [line])]
    # a part with no letter or digit ("housing,,", "?") names no label
    return [lab for lab in (label_name(v) for v in items)
            if lab is not None and any(c.isalnum() for c in lab)]


def load_labelled(
    path: str | Path,
    *,
    text_col: str = "text",
    id_col: str | None = None,
    label_cols: list[str] | None = None,
    label_col: str | None = None,
    label_sep: str | None = None,
    known_labels: list[str] | None = None,
    min_count: int = 1,
    drop_unlabelled: bool = False,
    safeguarding_col: str | None = "safeguarding",
    experience_col: str | None = "experience",
    label_aliases: dict[str, str] | None = None,
    training: bool = True,
) -> LabelledData:
    """Load labelled notes from CSV or JSONL in any of the common label layouts.

    - `label_col` (+ `label_sep`): one column of delimited codes, or a JSON list field;
      without `label_sep`, ';' or else '|' if the column uses it (commas only when asked:
      label names can hold them);
    - `label_cols`: several columns, each either holding one code (cat_1..cat_6) or a 0/1
      indicator whose column name is the label (detected from the values). A name with
      commas is a column if the file has it, else a comma-separated list of columns;
    - neither: a `categories` (or `labels`) column if there is one, as in a note file;
      else every other column that looks like a 0/1 indicator is a label.
    Spellings of one label that differ only in case, spaces or punctuation are one label
    (a codebook's spelling wins); `label_aliases` maps other names of known labels to
    them (a codebook's display names: "Money and benefits" -> money). Unknown (not in
    `known_labels`) and rare (< `min_count`) labels are dropped and reported; rows whose
    only labels were unknown are dropped too, since they are not "no category" notes.
    A label cell with a note written into it is read as the label it starts with, or
    dropped: never kept as a label name (it would be printed and stored in the model).
    Rows with no words, and copies of an earlier row (text and labels), are not used.
    `training`: False for data to score a model on (no warnings about learning from it).
    """
    if label_col is not None and label_cols:
        raise ValueError("give either label_col or label_cols, not both")
    file = Path(path)
    try:
        frame, lines, unreadable, notes = _read_table(file, text_col)
    except FileRejected as exc:
        raise type(exc)(f"{file}: {exc}") from None
    id_named = id_col is not None
    text_col, id_col = _column(frame, text_col), _column(frame, id_col or "id")
    if not id_named and id_col not in frame.columns:  # "Note ID", as ingest reads it
        usual = [c for c in frame.columns if c != text_col and note_field(str(c)) == "id"]
        if len(usual) == 1 and usual[0] not in (label_col, *(label_cols or [])):
            id_col = usual[0]
            notes.append(f"read {shown_cell(str(id_col))} as id")
    if text_col not in frame.columns:  # JSON: keys vary by row
        raise FileRejected(f"{file}: no text column '{text_col}' (keys: {list(frame.columns)})")
    if id_named and id_col not in frame.columns:
        raise FileRejected(f"{file}: {_no_column('id', id_col, frame)}")
    if id_col == text_col:
        raise FileRejected(f"{file}: '{text_col}' is the text column; it cannot be the ids too")
    if label_col is None and label_cols is None:
        named = [c for c in frame.columns if header_key(str(c)) in LABEL_FIELDS]
        label_col = named[0] if named else None
    if label_col is not None:
        label_col = _column(frame, label_col)
    if label_cols is not None:
        label_cols = _resolve_columns(file, frame, label_cols)
    for named in [label_col, *(label_cols or [])]:
        if named is not None and named in (text_col, id_col):
            what = "text" if named == text_col else "id"
            raise FileRejected(
                f"{file}: '{named}' is the {what} column; it cannot also hold the labels"
            )
    safeguarding_col = safeguarding_col and _column(frame, safeguarding_col)
    experience_col = experience_col and _column(frame, experience_col)
    report = LabelReport(
        n_rows=len(frame) + len(unreadable), unreadable_rows=unreadable, file_notes=notes,
        training=training,
    )
    # "Safeguarding concern?" is the safeguarding column, as ingest reads it
    taken = {text_col, id_col, label_col, *(label_cols or [])}
    for wanted in ("safeguarding", "experience"):
        given_col = safeguarding_col if wanted == "safeguarding" else experience_col
        if not given_col or given_col in frame.columns:
            continue
        variants = [c for c in frame.columns
                    if c not in taken and note_field(str(c)) == wanted]
        if len(variants) == 1:
            report.file_notes.append(f"read {shown_cell(str(variants[0]))} as {wanted}")
            if wanted == "safeguarding":
                safeguarding_col = variants[0]
            else:
                experience_col = variants[0]
    given = frame[id_col] if id_col in frame.columns else [None] * len(frame)
    ids = [
        f"line-{line}" if _missing(value) or not str(value).strip() else str(value)
        for value, line in zip(given, lines, strict=True)
    ]
    # ids are shown in the report: never when they read like notes (ids are short; only
    # the sentence test applies, whether or not rows repeat them)
    if _text_like(ids, words=6, chars=60, spread=0.0, fragments=False):
        raise FileRejected(
            f"{file}: the values of the id column '{id_col}' read like sentences, not ids; "
            "name the id column with --id-col"
        )
    flag_cols = {c for c in (safeguarding_col, experience_col) if c}

    raw: list[list[str]] = [[] for _ in range(len(frame))]
    declared: list[str] = []  # labels named by a 0/1 column header
    if label_col is not None:
        if label_col not in frame.columns:
            raise FileRejected(f"{file}: {_no_column('label', label_col, frame)}")
        report.label_columns = [label_col]
        seps: str | tuple[str, ...] = label_sep if label_sep is not None else ()
        if label_sep is None:
            seps = _guess_separator(  # a codebook name may hold a comma
                frame[label_col], [*(known_labels or []), *(label_aliases or {})]
            )
            if seps != (";",):
                report.file_notes.append(
                    f"labels in '{label_col}' separated by "
                    + " and ".join(f"'{sep}'" for sep in seps))
        for i, value in enumerate(frame[label_col]):
            raw[i] = _split_cell(value, seps)
        values = {lab.lower() for row in raw for lab in row}
        if values and values <= TRUE_VALUES | FALSE_VALUES | TICKS:
            raise FileRejected(
                f"{file}: '{label_col}' holds yes/no values, so its name is the label: use "
                f"--label-cols '{label_col}' (--label-col names a column of label names)"
            )
    else:
        columns = (
            label_cols
            if label_cols is not None
            else [c for c in frame.columns if c not in {text_col, id_col} | flag_cols]
        )
        for column in columns:
            if label_cols is None and note_field(str(column)) in NOTE_FIELDS:
                report.note_field_columns.append(column)  # consent flags are not labels
                continue
            odd = _odd_cells(
                frame[column], NAMED_ODD_SHARE if label_cols is not None else ODD_SHARE
            )
            if odd is not None:
                name = label_name(column) or column
                report.label_columns.append(column)
                declared.append(name)
                report.odd_cells.extend(
                    f"{ids[i]} {column}={shown_cell(str(frame[column].iloc[i]))}" for i in odd
                )
                for i, value in enumerate(frame[column]):
                    if _truthy(value):
                        raw[i].append(name)
            elif label_cols is not None:  # a code a cell, or several split at --label-sep
                report.label_columns.append(column)
                for i, value in enumerate(frame[column]):
                    raw[i].extend(_split_cell(value, label_sep or ""))
            else:
                report.ignored_columns.append(column)
        if label_cols is None and report.ignored_columns and not report.label_columns:
            report.warnings.append(
                "no 0/1 label columns found; name the labels with --label-col or --label-cols"
            )

    if _text_like([lab for row in raw for lab in row]):  # never store notes as label names
        raise FileRejected(
            f"{file}: the values of the label column(s) "
            f"{', '.join(repr(str(c)) for c in report.label_columns)} read like sentences, "
            "not labels: is that the text column? Name the text with --text-col and the "
            "labels with --label-col or --label-cols"
        )
    raw, unclear = _labels_without_notes(
        raw, set(declared), ids, report,
        # a codebook's category, written whole ("Crisis and out of hours help"), is a label
        # however long, not a label ("Crisis") with a note after it
        {label_key(k) for k in [*(known_labels or []), *(label_aliases or {})]})
    known = None if known_labels is None else [label_name(k) or k for k in known_labels]
    aliases = {label_name(a) or a: label_name(k) or k
               for a, k in (label_aliases or {}).items()}
    raw, rewrite = _merge_spellings(raw, known, declared, aliases)
    declared = [rewrite.get(name, name) for name in declared]
    # "Housing" read as "housing" is not worth a line in the report; "GP-access" is
    report.renamed = {a: b for a, b in rewrite.items() if a.lower() != b.lower()}
    known_set = set(known) if known is not None else None
    if known_set is not None and label_col is None and label_cols is None:
        # a 0/1 column found among the others that names no category ("Follow up
        # needed?") is not a label: its rows are not "only unknown labels"
        stray = [name for name in declared if name not in known_set]
        if stray:
            raw = [[lab for lab in row if lab not in stray] for row in raw]
            # found among the others, the label columns are the 0/1 columns, in order
            report.label_columns = [c for c, name in zip(report.label_columns, declared,
                                                         strict=True) if name not in stray]
            declared = [name for name in declared if name not in stray]
            said = [shown_cell(name) + (f" (did you mean {close!r}?)"
                                        if (close := _close_label(name, known)) else "")
                    for name in stray]
            report.warnings.append(
                f"0/1 columns that name no category of the codebook, not read as labels: "
                f"{some_of(said, 8)}; if one is a category, give it the codebook's name or "
                "id, or name the label columns with --label-cols")
    texts = ["" if _missing(v) else str(v) for v in frame[text_col]]

    worded = [any(c.isalpha() for c in t) for t in texts]  # empty, "?", "42": not used
    unknown: dict[str, list[str]] = defaultdict(list)
    misspelt: set[int] = set()
    counts: Counter[str] = Counter()
    copies: set[int] = set()  # a copy would count twice and straddle the CV folds
    seen_rows: set[tuple[str, frozenset[str]]] = set()
    # a text on several rows with other labels (one label per row, as a long-format
    # export gives them) is one note with every label: its rows are joined into the first
    first_of: dict[str, int] = {}
    joined: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(raw):
        raw[i] = list(dict.fromkeys(row))  # de-duplicate, keep order
        key = _SPACE.sub(" ", texts[i]).strip().lower()
        same = (key, frozenset(raw[i]))
        if same in seen_rows and texts[i].strip():
            copies.add(i)
            continue
        seen_rows.add(same)
        if key and (first := first_of.setdefault(key, i)) != i:
            joined[first].append(i)
            added = [lab for lab in raw[i] if lab not in raw[first]]
            raw[first] += added
            seen_rows.add((key, frozenset(raw[first])))
            raw[i] = added  # counted below once, as labels of the first row
        # a label misspelt ("respit") would teach the model that the note is not the
        # category meant, and in data to score a model on would make the model's right tag
        # count as wrong: the row is left out, and said, until it is fixed (train and
        # evaluate read labels alike, so their figures are of the same notes)
        misspelt_here = known is not None and any(
            lab not in known_set and _close_label(lab, known) for lab in raw[i])
        if misspelt_here:
            misspelt.add(i)
        for lab in raw[i]:
            if known_set is not None and lab not in known_set:
                unknown[lab].append(ids[i])
            elif worded[i] and not misspelt_here:
                counts[lab] += 1
    rare: dict[str, list[str]] = {}
    for lab, n in counts.items():
        if n < min_count:
            rare[lab] = [ids[i] for i, row in enumerate(raw) if lab in row and worded[i]]
    usable = {lab for lab in counts if lab not in rare}
    # with known labels keep their (codebook) order and every one of them, even if unseen
    if known is not None:
        names = [k for k in known if k not in rare]
    else:
        names = sorted(usable | {d for d in declared if d not in rare and known_set is None})

    filled = [t for t in texts if t.strip()]
    numbers = sum(bool(NUMBER.fullmatch(t.strip())) for t in filled)
    if filled and numbers >= 0.9 * len(filled):
        raise FileRejected(
            f"the text column '{text_col}' holds numbers, not notes ({numbers} of "
            f"{len(filled)} rows); name the notes' column with --text-col"
        )
    keep: list[int] = []
    clean: list[list[str]] = []
    labelled = 0  # rows with words and a label of any kind
    for i, row in enumerate(raw):
        if not worded[i]:  # nothing to learn
            report.empty_text_rows.append(ids[i])
            continue
        if i in copies:
            report.repeated_rows.append(ids[i])
            continue
        if any(i in rows for rows in joined.values()):
            report.joined_rows.append(ids[i])
            continue
        labs = [lab for lab in row if lab in usable]
        labelled += bool(row)
        if row and all(lab in unknown for lab in row):
            report.unknown_only_rows.append(ids[i])
            continue
        if i in misspelt:
            report.misspelt_rows.append(ids[i])
            continue
        if i in unclear and not labs:  # its label was a note: what it is about is unknown
            continue
        if not labs:
            report.unlabelled_rows.append(ids[i])
            if drop_unlabelled:
                continue
        keep.append(i)
        clean.append(labs)

    if training and known is not None and 2 * len(report.unknown_only_rows) > labelled:
        # the codebook is not the one these rows were labelled with: a model of the few
        # rows left would pass for one trained on the file
        names = sorted(unknown, key=lambda lab: -len(unknown[lab]))
        raise FileRejected(
            f"{file}: {len(report.unknown_only_rows)} of {labelled} labelled rows carry only "
            f"labels not in the codebook ({some_of([shown_cell(n) for n in names], 5)}): is "
            "it the codebook they were labelled with? Give that one with --codebook, or "
            "train without --codebook to learn the file's own labels")
    report.n_used = len(keep)
    report.unknown = dict(unknown)
    report.rare = rare
    report.dropped_unlabelled = drop_unlabelled
    report.label_names = names
    report.counts = {lab: counts[lab] for lab in names if lab in counts}
    if known is not None and not training and label_col is None and report.label_columns \
            and len(declared) == len(report.label_columns):
        # only 0/1 columns: a label without one is not coded here (not "never present")
        coded = [name for name in names if name in set(declared)]
        report.coded = coded if len(coded) < len(names) else None
    few = [f"{lab} ({n})" for lab, n in report.counts.items() if n < FEW_EXAMPLES]
    if few and training:
        report.warnings.append(
            f"labels with fewer than {FEW_EXAMPLES} examples cannot have their threshold "
            f"tuned (it is kept at 0.5 or above, so they are seldom tagged): "
            f"{some_of(few, 8)}; drop them with "
            f"--min-count {FEW_EXAMPLES} or label more notes"
        )
    _check_rows(report, [ids[i] for i in keep], [texts[i] for i in keep], set(declared),
                training)

    safeguarding = None
    if safeguarding_col and safeguarding_col in frame.columns:
        # flagged on any of its rows: a joined row's flag is not lost
        safeguarding = [any(_flagged(frame[safeguarding_col].iloc[r]) for r in [i, *joined[i]])
                        for i in keep]
    experience = None
    if experience_col and experience_col in frame.columns:
        read = [experience_word(normalise_label(frame[experience_col].iloc[i])) for i in keep]
        experience = [v if v in EXPERIENCES else None for v in read]
        odd = Counter(v for v in read if v is not None and v not in EXPERIENCES)
        if odd:
            report.warnings.append(
                f"experience values not read ({sum(odd.values())} rows; the model learns "
                f"experience from the others): "
                f"{some_of([f'{shown_cell(str(v))} ({n})' for v, n in odd.most_common()], 5)}"
                f"; use {', '.join(EXPERIENCES)}"
            )
    return LabelledData(
        ids=[ids[i] for i in keep],
        texts=[texts[i] for i in keep],
        labels=clean,
        label_names=names,
        report=report,
        safeguarding=safeguarding,
        experience=experience,
    )


def _guess_separator(values: pd.Series, known: Sequence[str] | None = None
                     ) -> tuple[str, ...]:
    """The separators a label column lists its labels with: ';' and '|' wherever cells use
    them (as ingest reads a categories column); ',' or '/' too where cells use it the way a
    list does: with empty parts ("housing, money,,") or parts that are whole labels of
    other cells or of the codebook ("Housing / Crisis help"). A column can mix them (an
    export edited by several people). A codebook name holding ',' or '/' keeps that one
    out. Cells using none of them: ';'."""
    cells = [v for v in values if isinstance(v, str)]
    seps = [sep for sep in (";", "|") if any(sep in c for c in cells)]
    pieces = [p for c in cells for p in (re.split(r"[;|]", c) if seps else [c])]
    for sep in (",", "/"):
        listed = [p for p in pieces if sep in p]
        if not listed or any(sep in k for k in known or ()):
            continue
        alone = {category_key(lab) for p in pieces if sep not in p
                 for lab in _split_cell(p, "")} | {category_key(k) for k in known or ()}
        parts = [[category_key(x) if _split_cell(x, "") else None for x in p.split(sep)]
                 for p in listed]
        empty = sum(None in row for row in parts)
        seen = sum(all(x is None or x in alone for x in row) for row in parts)
        if empty or 2 * seen >= len(listed):
            seps.append(sep)
    return tuple(seps) or (";",)


#: A label cell this long, or holding a phone-like number, is a note written into it.
NOTE_LABEL_WORDS = 6
NOTE_LABEL_CHARS = 40
_LONG_NUMBER = re.compile(r"\d[\d ]{5,}\d")


def _note_like(label: str) -> bool:
    return (len(label.split()) >= NOTE_LABEL_WORDS or len(label) >= NOTE_LABEL_CHARS
            or bool(_LONG_NUMBER.search(label)))


@lru_cache(maxsize=4096)
def _personal(label: str) -> bool:
    """Whether a label cell holds personal details (a name, a phone number): a note
    ("Kayleigh Smith dad hits her"), however short; it would be printed, written into the
    model card and, without a codebook, kept as a category name."""
    from insight.redact import PII_TYPES, find_pii

    return any(span.type in PII_TYPES for span in find_pii(label))  # a practice is no one's


def _labels_without_notes(
    raw: list[list[str]], declared: set[str], ids: list[str], report: LabelReport,
    known: Collection[str] = (),
) -> tuple[list[list[str]], set[int]]:
    """Label cells a person wrote a note into ("housing (she said her landlord ...)",
    "medication - call back on 07700 900123"): read as the label they start with when
    another row has it alone, else dropped. Returns the rows and those left unclear (a
    label dropped): their notes are about something, but what is not known."""
    counts = Counter(lab for row in raw for lab in row)
    plain = sorted({lab for lab, n in counts.items()
                    if n > 1 and not _note_like(lab) and not _personal(lab)}
                   | declared, key=len, reverse=True)
    out: list[list[str]] = []
    unclear: set[int] = set()
    for i, row in enumerate(raw):
        labs: list[str] = []
        for lab in row:
            if lab in declared or label_key(lab) in known or (
                    (counts[lab] > 1 or not _note_like(lab)) and not _personal(lab)):
                labs.append(lab)
                continue
            start = next((p for p in plain if lab.lower().startswith(p.lower())
                          and not lab[len(p)].isalnum()), None)
            if start is not None:
                labs.append(start)
                report.label_with_note_rows.append(ids[i])
            else:
                unclear.add(i)
                report.note_label_rows.append(ids[i])
        out.append(list(dict.fromkeys(labs)))
    return out, unclear


def _resolve_columns(file: Path, frame: pd.DataFrame, values: Sequence[str]) -> list[str]:
    """Label column names as given: a value the file has as a column (commas and all) is
    that column; otherwise it is a comma-separated list of columns."""
    out: list[str] = []
    for value in values:
        whole = _column(frame, value.strip())
        parts = [whole] if whole in frame.columns else [
            _column(frame, c.strip()) for c in value.split(",") if c.strip()
        ]
        missing = [c for c in parts if c not in frame.columns]
        if missing and len(parts) > 1:  # perhaps a column whose name has commas, mistyped
            close = closest_header(value, [str(c) for c in frame.columns])
            raise FileRejected(
                f"{file}: no label column {value.strip()!r}, nor {missing[0]!r} when it is read "
                f"as a list of columns (columns: {[str(c) for c in frame.columns]})"
                + (f"; did you mean {close!r}?" if close else "")
            )
        if missing:
            raise FileRejected(f"{file}: {_no_column('label', missing[0], frame)}")
        out.extend(c for c in parts if c not in out)
    return out


def _merge_spellings(
    raw: list[list[str]], known: list[str] | None, declared: Sequence[str],
    aliases: dict[str, str] | None = None,
) -> tuple[list[list[str]], dict[str, str]]:
    """One label per `label_key`: the codebook's spelling if it has one (or a label its
    `aliases` name), else the most common spelling in the data. Returns the rewritten
    rows and what was renamed."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for row in raw:
        for lab in row:
            spellings[label_key(lab)][lab] += 1
    for name in declared:
        spellings[label_key(name)][name] += 0
    canonical = {key: forms.most_common(1)[0][0] for key, forms in spellings.items() if key}
    canonical.update({label_key(a): k for a, k in (aliases or {}).items() if label_key(a)})
    if known is not None:
        canonical.update({label_key(k): k for k in known if label_key(k)})
    renamed = {
        form: canonical[key]
        for key, forms in spellings.items()
        for form in forms
        if key in canonical and form != canonical[key]
    }
    if not renamed:
        return raw, {}
    return [[renamed.get(lab, lab) for lab in row] for row in raw], renamed


def _check_rows(
    report: LabelReport, ids: list[str], texts: list[str], declared: set[str],
    training: bool = True,
) -> None:
    """Warnings about data a model cannot learn well from, named in the report."""
    if not texts:
        return
    counts = Counter(i for i in ids if not i.startswith("line-"))
    report.duplicate_ids = [i for i, n in counts.items() if n > 1]
    if len(texts) < FEW_ROWS:
        report.warnings.append(
            f"only {len(texts)} usable row{'s' if len(texts) != 1 else ''}: too few to tune "
            "thresholds or calibrate "
            "confidence; treat the model as a sketch" if training else
            f"only {len(texts)} usable row{'s' if len(texts) != 1 else ''}: one note more or "
            "less moves the scores a lot"
        )
    for name, n in report.counts.items():
        if n == len(texts) and training:
            report.warnings.append(
                f"label '{name}' is on every row: the model cannot learn when it does not apply"
            )
    joined = [n for n in [*report.counts, *report.unknown]
              if any(c in n for c in SEPARATORS) and n not in declared]  # a 0/1 column's name
    if joined:
        # the separator that splits most of them into labels seen on their own
        alone = {n for n in [*report.counts, *report.unknown, *report.label_names]
                 if not any(c in n for c in SEPARATORS)}
        best = max(SEPARATORS, key=lambda sep: sum(
            all(part.strip() in alone for part in n.split(sep)) for n in joined if sep in n
        ))
        shown = some_of([repr(n) for n in joined], 3)
        if any(all(part.strip() in alone for part in n.split(best))
               for n in joined if best in n):
            report.warnings.append(
                f"{len(joined)} labels contain a separator ({shown}): try --label-sep '{best}'"
            )
        elif any(part.strip() in alone for n in joined for c in SEPARATORS
                 for part in n.split(c) if c in n):
            report.warnings.append(
                f"{len(joined)} labels contain a separator ({shown}): is --label-sep right?")
        elif whole := [n for n in joined if any(c in n for c in SEPARATORS if c != "/")]:
            # no part is a label seen on its own: most likely names with a comma ("/" in a
            # name, "GP/doctor", is too common to warn of)
            shown = some_of([repr(n) for n in whole], 3)
            joined = whole
            report.warnings.append(
                f"{len(joined)} labels with a separator in their name were kept whole "
                f"({shown}); if a cell lists several labels, give --label-sep"
            )


#: Bands of confidence the tags given are counted in, for what a confidence means here.
CONFIDENCE_BANDS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def confidence_bands(right: np.ndarray, confidence: np.ndarray) -> list[dict[str, Any]]:
    """Tags given (each right or not, with its confidence) counted per band of confidence:
    the band, how many tags, how many right, their mean confidence. Bands with no tag are
    left out."""
    right, confidence = np.asarray(right, dtype=bool), np.asarray(confidence, dtype=float)
    out = []
    for low, high in zip(CONFIDENCE_BANDS, CONFIDENCE_BANDS[1:], strict=False):
        inside = (confidence >= low) & ((confidence < high) | (high == CONFIDENCE_BANDS[-1]))
        if inside.any():
            out.append({"from": low, "to": high, "tags": int(inside.sum()),
                        "right": int(right[inside].sum()),
                        "mean_confidence": round(float(confidence[inside].mean()), 4)})
    return out


def evaluate(
    model: TagModel,
    texts: Sequence[str],
    labels: Sequence[Sequence[str]],
    *,
    safeguarding: Sequence[bool] | None = None,
    experience: Sequence[str | None] | None = None,
    data: str | None = None,
    ignored: int = 0,
    scored: Sequence[str] | None = None,
    report: LabelReport | None = None,
) -> dict[str, Any]:
    """Per-category precision/recall/F1 and micro/macro F1 on held-out notes.

    `scored`: the categories the data codes, when it codes only some of the model's (0/1
    columns for a few): a tag in another category is neither right nor wrong there, so only
    these are scored (default: all the model's). Macro-F1 averages the scored categories
    with examples in this data: with none, F1 measures nothing (a wrong tag there still
    counts against micro-F1 and the category's precision); those are listed. Gold labels
    the model does not know are counted (`ignored`: those the loader already dropped) and
    ignored; those of categories not scored are left out. Rows the model was trained on
    are counted, since their scores flatter it. `report`: how the data's file was read
    (`load_labelled`): its rows, and those left out and why, are recorded with the figures.
    `confidence_bands`: over the tags given, how many were right at each band of
    confidence (what a confidence means, in words: `card.confidence_said`). The result is
    also stored in `model.metadata["metrics"]` so the next `save` writes it to the card.
    """
    from insight.classify.model import text_fingerprints

    if not len(texts):
        raise ValueError("no notes to evaluate")
    known = model.labels
    if scored is not None and (odd := sorted(set(scored) - set(known))):
        raise ValueError(f"not the model's categories, so they cannot be scored: {odd}")
    names = known if scored is None else [n for n in known if n in scored]
    columns = [known.index(n) for n in names]
    index = {n: j for j, n in enumerate(names)}
    Y = np.zeros((len(texts), len(names)), dtype=np.int8)
    for i, row in enumerate(labels):
        for lab in row:
            if lab in index:
                Y[i, index[lab]] = 1
            elif lab not in known:
                ignored += 1
    pred = np.asarray(model.predict(list(texts)))[:, columns]
    proba = np.asarray(model.predict_proba(list(texts)))[:, columns]
    p, r, f, s = precision_recall_fscore_support(Y, pred, zero_division=0)
    present = s > 0  # F1 on a category with no examples measures nothing
    seen = set(model.metadata.get("training_text_sample") or ())
    result: dict[str, Any] = {
        "n_notes": len(texts),
        "micro_f1": float(f1_score(Y, pred, average="micro", zero_division=0)),
        "macro_f1": float(f[present].mean()) if present.any() else 0.0,
        "calibration_error": calibration_error(Y, proba),
        # the pairs above are mostly easy "no"s at a confidence near 0: over the tags a
        # person sees, the gap between confidence and how often they are right is larger
        "tag_calibration_error": calibration_error(Y[pred == 1], proba[pred == 1])
        if (pred == 1).any() else None,
        "unknown_gold_labels_ignored": ignored,
        "labels_without_examples": [n for n, has in zip(names, present, strict=True) if not has],
        "labels_not_scored": [n for n in known if n not in index],
        "notes_seen_in_training": sum(h in seen for h in text_fingerprints(list(texts)))
        if seen
        else 0,
    }
    if data:
        result["data"] = data
    if report is not None:
        result["rows_in_file"] = report.n_rows
        result["rows_left_out"] = {why: n for why, n in report.left_out().items() if n}
    result["confidence_bands"] = confidence_bands(Y[pred == 1], proba[pred == 1])
    if safeguarding is not None or experience is not None:
        tags = model.tag(list(texts))
        if safeguarding is not None:
            gold = np.asarray([bool(x) for x in safeguarding])
            flagged = np.asarray([t.safeguarding for t in tags])
            result["safeguarding_support"] = int(gold.sum())
            # no flagged note in the data: recall is undefined, not 0
            result["safeguarding_recall"] = float(flagged[gold].mean()) if gold.any() else None
            # none flagged: precision is undefined, not 0 (no flag was wrong)
            result["safeguarding_precision"] = (float(gold[flagged].mean()) if flagged.any()
                                                else None)
        if experience is not None:
            pairs = [(g, t.experience) for g, t in zip(experience, tags, strict=True) if g]
            result["experience_accuracy"] = (
                float(np.mean([g == e for g, e in pairs])) if pairs else None
            )
    tagged = pred.sum(axis=0) > 0
    result["per_label"] = {  # precision of a category never tagged is undefined, not 0
        name: {
            "precision": round(float(p[j]), 4) if tagged[j] else None,
            "recall": round(float(r[j]), 4),
            "f1": round(float(f[j]), 4),
            "support": int(s[j]),
        }
        for j, name in enumerate(names)
    }
    model.metadata["metrics"] = result
    return result
