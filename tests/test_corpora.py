"""The shipped corpus files agree with each other: split file, blind re-annotations."""

from __future__ import annotations

import csv
import json
from collections import Counter

from insight.codebook import load_codebook
from insight.resources import corpora_dir

NOTES = corpora_dir() / "notes"
ANNOTATIONS = corpora_dir() / "agreement" / "annotations.jsonl"


def _notes() -> list[dict]:
    with (NOTES / "community-notes.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def test_every_note_has_exactly_one_split() -> None:
    with (NOTES / "split.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ids = [n["id"] for n in _notes()]
    assert len(ids) == len(set(ids))
    assert sorted(r["id"] for r in rows) == sorted(ids)
    assert {"train", "dev", "test"} <= {r["split"] for r in rows} <= {
        "train", "dev", "test", "holdout"}


def test_each_blind_reader_labelled_every_note_once_with_valid_values() -> None:
    known = set(load_codebook().ids)
    ids = {n["id"] for n in _notes()}
    with ANNOTATIONS.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    per_reader = Counter(r["reader"] for r in rows)
    assert len(per_reader) >= 2
    for reader in per_reader:
        seen = [r["id"] for r in rows if r["reader"] == reader]
        assert len(seen) == len(set(seen)), reader
        assert set(seen) == ids, reader
    for row in rows:
        assert set(row["categories"]) <= known
        assert isinstance(row["safeguarding"], bool)
        assert row["experience"] in {"positive", "negative", "mixed", "neutral"}


def test_safeguarding_audit_sets_are_well_formed() -> None:
    """Each audit set: unique ids, a yes/no label and a reason per note, no note shared with
    the corpus or with the other set (a shared note would let training leak into a test)."""
    import json

    from insight.resources import corpora_dir

    folder = corpora_dir() / "safeguarding-audit"
    corpus = {
        json.loads(line)["text"]
        for line in (corpora_dir() / "notes" / "community-notes.jsonl").open(encoding="utf-8")
        if line.strip()
    }
    seen: set[str] = set()
    sets = (("audit-1.jsonl", 70), ("audit-2.jsonl", 65), ("audit-3.jsonl", 65),
            ("audit-4.jsonl", 65), ("audit-5.jsonl", 65),
            ("audit-6.jsonl", 65))
    for name, positives in sets:
        rows = [json.loads(line) for line in (folder / name).open(encoding="utf-8")
                if line.strip()]
        assert len(rows) == 150 and len({r["id"] for r in rows}) == 150
        assert sum(r["safeguarding"] is True for r in rows) == positives
        assert all(isinstance(r["safeguarding"], bool) and r["text"].strip() and r["why"]
                   for r in rows)
        texts = {r["text"] for r in rows}
        assert not texts & corpus and not texts & seen
        seen |= texts


def test_short_notes_are_short_well_formed_and_new() -> None:
    """The short-note set: unique ids, codebook categories, at most 15 words, every label,
    and no note also in the corpus or a safeguarding audit set (it is never trained on)."""
    known = set(load_codebook().ids)
    rows = [json.loads(line) for line in
            (corpora_dir() / "short-notes" / "short-notes.jsonl").open(encoding="utf-8")
            if line.strip()]
    assert len(rows) == 240 and len({r["id"] for r in rows}) == 240
    for row in rows:
        assert 1 <= len(row["text"].split()) <= 15, row["id"]
        assert set(row["categories"]) <= known, row["id"]
        assert isinstance(row["safeguarding"], bool) and row["why"].strip()
        assert row["experience"] in {"positive", "negative", "mixed", "neutral"}
    elsewhere = {n["text"] for n in _notes()}
    for path in (corpora_dir() / "safeguarding-audit").glob("*.jsonl"):
        elsewhere |= {json.loads(line)["text"] for line in path.open(encoding="utf-8")
                      if line.strip()}
    assert not {r["text"] for r in rows} & elsewhere
