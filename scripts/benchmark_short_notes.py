"""The default model on terse notes: jottings of at most 15 words, written blind.

Why: the corpus's notes run to a median of 47 words and under 1% have 8 words or fewer,
but listeners also write "home visit, tea and chat" or "PIP tribunal WON!!". A TF-IDF note
vector is scaled to length 1, so a note of three words is read as surely as a page; this
measures what that does to categories, the safeguarding flag and experience on the
hand-written set in `corpora/short-notes/` (README there), which no model trains on.
The set is split in two halves by a hash of each id: *dev* may be used to choose a recipe,
*test* is only reported. The README says what each half has been used for.

    PYTHONPATH=.:scripts python scripts/benchmark_short_notes.py [--write-docs]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
from datetime import UTC, datetime

import numpy as np
from benchdoc import write_section
from sklearn.metrics import f1_score

from insight.classify.default import RECIPE_VERSION, default_model
from insight.classify.features import CountCache
from insight.classify.safeguarding import SafeguardingPhrases
from insight.classify.sentences import sentence_pipeline
from insight.resources import corpora_dir

SHORT_NOTES = corpora_dir() / "short-notes" / "short-notes.jsonl"


def half_of(note_id: str) -> str:
    """'dev' or 'test': fixed by the id alone, so adding notes never moves one."""
    return "dev" if int(hashlib.sha256(note_id.encode()).hexdigest(), 16) % 2 == 0 else "test"


def read_notes() -> list[dict]:
    with SHORT_NOTES.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.0%})" if whole else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    model = default_model()
    labels = model.labels
    nlp = sentence_pipeline()
    phrases = SafeguardingPhrases(nlp)
    notes = read_notes()
    rows = []
    for name in ("dev", "test", "all"):
        part = [n for n in notes if name == "all" or half_of(n["id"]) == name]
        texts = [n["text"] for n in part]
        tags = model.tag(texts)
        gold = np.array([[lab in n["categories"] for lab in labels] for n in part])
        pred = np.array([[lab in t.categories for lab in labels] for t in tags])
        present = gold.any(axis=0)
        macro = f1_score(gold[:, present], pred[:, present], average="macro", zero_division=0)
        micro = f1_score(gold, pred, average="micro", zero_division=0)
        none = ~gold.any(axis=1)
        risk = np.array([bool(n["safeguarding"]) for n in part])
        flag = np.array([t.safeguarding for t in tags])
        by_phrase = np.array([phrases.flag(doc) for doc in nlp.pipe(texts)])
        head = model.safeguarding_model
        by_head = (np.asarray(head.predict(texts, CountCache(texts)), bool) if head is not None
                   else np.zeros(len(texts), bool))
        experience = np.mean([t.experience == n["experience"] for t, n in zip(tags, part,
                                                                               strict=True)])
        rows.append(
            f"| {name} | {len(part)} | {macro:.3f} / {micro:.3f} "
            f"| {pct(int(pred[none].any(axis=1).sum()), int(none.sum()))} "
            f"| {pct(int((flag & risk).sum()), int(risk.sum()))} "
            f"| {pct(int((flag & ~risk).sum()), int((~risk).sum()))} "
            f"| {pct(int((by_phrase & risk).sum()), int(risk.sum()))} "
            f"| {pct(int((by_head & risk).sum()), int(risk.sum()))} "
            f"| {experience:.3f} |"
        )
        print(rows[-1], flush=True)
    lines = [
        "## Short notes (`scripts/benchmark_short_notes.py`)",
        "",
        f"Date: {datetime.now(UTC):%Y-%m-%d} · machine: 2 cores, 24 GiB, no GPU "
        f"(CPython {platform.python_version()}) · command: "
        "`PYTHONPATH=.:scripts python scripts/benchmark_short_notes.py --write-docs`",
        "",
        f"The default model (recipe {RECIPE_VERSION}) on "
        f"`corpora/short-notes/short-notes.jsonl`: {len(notes)} notes of at most 15 words, "
        "written blind to any model by one writer who read only the corpus guide and the "
        "codebook; none is trained on. *dev* and *test* are the halves by id hash (see the "
        "set's README for what dev has been used for). Category F1 is over the categories "
        "present in the half; *no-category notes tagged*: notes with no category by their "
        "writer that got at least one tag.",
        "",
        "| half | notes | category macro / micro F1 | no-category notes tagged "
        "| risk flagged (shipped flag) | no-risk notes flagged | risk flagged by phrase "
        "list alone | by classifier alone | experience accuracy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
    ]
    text = "\n".join(lines)
    print(text)
    if args.write_docs:
        write_section("short-notes", text)


if __name__ == "__main__":
    main()
