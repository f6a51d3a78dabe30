"""Write the fixed train/dev/test split and the demo corpus from the labelled corpus.

    python scripts/make_splits.py            # draw the split (only when the corpus is rebuilt)
    python scripts/make_splits.py --extend   # notes added later go to train; others unchanged
    python scripts/make_splits.py --extend --split holdout   # ... or to the holdout split

Stratified over all categories with iterative stratification (70/15/15, seed 13); near
duplicates are kept in one split so nothing leaks. The demo corpus is a fixed stratified
sample of 600 notes. The committed split is fixed: it was drawn once, before the second
annotation pass, and must not be re-drawn for a relabelled corpus (scores on the test split
would no longer be comparable). Run this only when the corpus is rebuilt.

`--extend` is for a corpus that grew: every note already in the split keeps its split, new
notes join train (so dev/test figures stay comparable) or, with `--split holdout`, a held-out
set that nothing is trained or chosen on. It refuses (exit 1) when a new note is a near
duplicate of a note it must stay apart from (any held-out note; for holdout, any note at
all). The demo corpus is left as it is.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

import numpy as np
from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "corpora" / "notes"
sys.path.insert(0, str(ROOT))

from insight.codebook import load_codebook  # noqa: E402

SEED = 13
DEMO_SIZE = 600
NEAR = 85.0  # fuzz.ratio at or above this: near duplicates, kept in one split


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", "", text.lower())).strip()


def _groups(texts: list[str], cutoff: float = NEAR) -> list[int]:
    """Union near-duplicate notes so they always share a split."""
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    scores = process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=cutoff, workers=-1)
    for i, j in zip(*np.nonzero(scores), strict=True):
        if i < j:
            parent[find(int(i))] = find(int(j))
    return [find(i) for i in range(len(texts))]


def _stratified(Y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    splitter = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    keep, take = next(splitter.split(np.zeros(len(Y)), Y))
    return keep, take


def extend(notes: list[dict], target: str = "train") -> int:
    """Add notes missing from split.csv to `target`, keeping every existing assignment."""
    with (NOTES / "split.csv").open(encoding="utf-8") as handle:
        split = {row["id"]: row["split"] for row in csv.DictReader(handle)}
    new = [n for n in notes if n["id"] not in split]
    apart = {"dev", "test", "holdout"} if target == "train" else {"train", "dev", "test", "holdout"}
    held = [n for n in notes if split.get(n["id"]) in apart]
    held_texts = [_norm(n["text"]) for n in held]
    clashes = []
    for note in new:
        match = process.extractOne(_norm(note["text"]), held_texts, scorer=fuzz.ratio,
                                   score_cutoff=NEAR)
        if match is not None:
            clashes.append(f"{note['id']} ~ {held[match[2]]['id']} ({match[1]:.0f})")
    if clashes:
        print(f"new notes too close to notes in {sorted(apart)} (remove or rewrite them):")
        print("\n".join(clashes))
        return 1
    with (NOTES / "split.csv").open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        for note in new:
            writer.writerow([note["id"], target])
    print(f"split.csv: {len(new)} new notes added to {target}; {len(split)} unchanged")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extend", action="store_true", help="add new notes, keep the rest")
    parser.add_argument("--split", choices=("train", "holdout"), default="train",
                        help="with --extend: the split new notes join")
    args = parser.parse_args()
    book = load_codebook()
    notes = [json.loads(line) for line in (NOTES / "community-notes.jsonl").open(encoding="utf-8")
             if line.strip()]
    if args.extend:
        raise SystemExit(extend(notes, args.split))
    groups = _groups([_norm(n["text"]) for n in notes])
    leaders = sorted(set(groups))
    members: dict[int, list[int]] = {g: [] for g in leaders}
    for index, group in enumerate(groups):
        members[group].append(index)
    # One row per group: union of its labels (+ safeguarding so it is spread too).
    Y = np.array([
        [any(c in notes[i]["categories"] for i in members[g]) for c in book.ids]
        + [any(notes[i].get("safeguarding") for i in members[g])]
        + [all(not notes[i]["categories"] for i in members[g])]
        for g in leaders
    ], dtype=int)
    rest, test = _stratified(Y, 0.15, SEED)
    train, dev = _stratified(Y[rest], 0.15 / 0.85, SEED + 1)
    split_of_group = {}
    for name, idx in (("train", rest[train]), ("dev", rest[dev]), ("test", test)):
        for position in idx:
            split_of_group[leaders[position]] = name
    with (NOTES / "split.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "split"])
        for note, group in zip(notes, groups, strict=True):
            writer.writerow([note["id"], split_of_group[group]])

    Yn = np.array([[c in n["categories"] for c in book.ids] for n in notes], dtype=int)
    _, demo = _stratified(Yn, DEMO_SIZE / len(notes), SEED + 2)
    with (NOTES / "demo.jsonl").open("w", encoding="utf-8") as handle:
        for index in sorted(demo):
            handle.write(json.dumps(notes[index], ensure_ascii=False) + "\n")
    counts = {s: list(split_of_group[g] for g in groups).count(s) for s in ("train", "dev", "test")}
    print(f"split.csv: {counts}; demo.jsonl: {len(demo)} notes")


if __name__ == "__main__":
    main()
