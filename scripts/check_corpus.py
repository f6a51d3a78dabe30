"""Check the labelled corpus: label counts, duplicates, leakage across splits, official words.

    python scripts/check_corpus.py [--corpus corpora/notes/community-notes.jsonl]
                                   [--split corpora/notes/split.csv] [--near 90]

Exits 1 when a hard rule is broken (exact duplicates, a near duplicate across splits, a
note missing from the split file, a category under 100 notes, unknown category ids).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter
from pathlib import Path

from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parents[1]
SPLITS = ("train", "dev", "test", "holdout")
sys.path.insert(0, str(ROOT))

from insight.codebook import load_codebook  # noqa: E402


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", "", text.lower())).strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpora/notes/community-notes.jsonl")
    parser.add_argument("--split", type=Path, default=ROOT / "corpora/notes/split.csv")
    parser.add_argument("--near", type=float, default=90.0, help="near-duplicate score (0-100)")
    parser.add_argument("--min-per-category", type=int, default=100)
    args = parser.parse_args()

    book = load_codebook()
    notes = [json.loads(line) for line in args.corpus.open(encoding="utf-8") if line.strip()]
    split = {}
    if args.split.exists():
        with args.split.open(encoding="utf-8") as handle:
            split = {row["id"]: row["split"] for row in csv.DictReader(handle)}
    problems: list[str] = []
    n = len(notes)
    print(f"{n} notes in {args.corpus}")

    counts = Counter(c for note in notes for c in note.get("categories", []))
    unknown = set(counts) - set(book.ids)
    if unknown:
        problems.append(f"unknown category ids: {sorted(unknown)}")
    names = [s for s in SPLITS if s in split.values()]
    names += sorted(set(split.values()) - set(SPLITS))
    print(f"\n{'category':28} {'notes':>6} " + " ".join(f"{s:>7}" for s in names))
    for cid in book.ids:
        per = Counter(split.get(note["id"], "?") for note in notes if cid in note["categories"])
        print(f"{cid:28} {counts[cid]:6d} " + " ".join(f"{per[s]:7d}" for s in names))
        if counts[cid] < args.min_per_category:
            problems.append(f"{cid}: {counts[cid]} notes (< {args.min_per_category})")
    multi = sum(len(note["categories"]) >= 2 for note in notes) / n
    none = sum(not note["categories"] for note in notes) / n
    safeguarding = sum(bool(note.get("safeguarding")) for note in notes) / n
    experience = Counter(note.get("experience") for note in notes)
    print(f"\n2+ categories {multi:.1%}, none {none:.1%}, safeguarding {safeguarding:.1%}")
    print("experience:", dict(experience))
    missing_fields = [note["id"] for note in notes
                      if "safeguarding" not in note or note.get("experience") is None]
    if missing_fields:
        problems.append(f"{len(missing_fields)} notes lack safeguarding/experience")

    official = []
    for note in notes:
        text = note["text"].lower()
        for category in book.categories:
            words = [category.name.lower(), *(p.lower() for p in category.includes)]
            if any(w in text for w in words):
                official.append(note["id"])
                break
    print(f"notes using a category name or includes phrase verbatim: {len(official)} "
          f"({len(official) / n:.1%})")

    ids = Counter(note["id"] for note in notes)
    dup_ids = [i for i, c in ids.items() if c > 1]
    if dup_ids:
        problems.append(f"duplicate ids: {dup_ids[:5]}")
    by_text: dict[str, str] = {}
    exact = []
    for note in notes:
        key = normalise(note["text"])
        if key in by_text:
            exact.append((by_text[key], note["id"]))
        by_text.setdefault(key, note["id"])
    print(f"exact duplicates (after normalising case/punctuation): {len(exact)}")
    if exact:
        problems.append(f"exact duplicates: {exact[:5]}")

    texts = [normalise(note["text"]) for note in notes]
    scores = process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=args.near, workers=-1)
    near = [(notes[i]["id"], notes[j]["id"], float(scores[i, j]))
            for i in range(n) for j in range(i + 1, n) if scores[i, j] >= args.near]
    leaks = [(a, b, s) for a, b, s in near if split.get(a) != split.get(b)]
    print(f"near duplicates (ratio >= {args.near:g}): {len(near)}; across splits: {len(leaks)}")
    for a, b, s in near[:10]:
        print(f"  {a} ~ {b} ({s:.0f})")
    if leaks:
        problems.append(f"near duplicates across splits: {leaks[:5]}")

    if split:
        missing = [note["id"] for note in notes if note["id"] not in split]
        sizes = Counter(split.get(note["id"]) for note in notes)
        print(f"split sizes: {dict(sizes)}")
        if missing:
            problems.append(f"{len(missing)} notes missing from {args.split.name}")

    if problems:
        print("\nPROBLEMS:")
        for problem in problems:
            print(f"- {problem}")
        return 1
    print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
