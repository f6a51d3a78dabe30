"""Evidence sentences against people's choices: how often the sentence shown for a tag is one
a reader picked as its evidence.

Gold: `corpora/evidence/evidence-gold.jsonl`, for 800 (note, category) pairs of 519
multi-sentence notes from the dev and holdout splits (each note's corpus categories): the
sentence(s) a reader points to as evidence, chosen by reading the note with the codebook and
`corpora/GUIDE.md`, without seeing any model output (see `corpora/evidence/README.md`).

Each way of choosing a sentence is scored on the pairs where it matters (the note has more
than one sentence and not all of them are gold). Dev notes are scored with a model trained
on the train split alone (the default recipe), holdout notes with the default model (train
+ dev); neither saw the notes it is scored on.

    PYTHONPATH=.:scripts python scripts/benchmark_evidence.py [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np

from insight.classify.default import default_model, load_corpus
from insight.classify.sentences import SplitNotes
from insight.classify.sklearn_backend import SklearnTagger
from insight.codebook import load_codebook

GOLD = Path(__file__).resolve().parents[1] / "corpora" / "evidence" / "evidence-gold.jsonl"


def read_gold(path: Path = GOLD) -> dict[str, dict[str, set[str]]]:
    """note id -> category -> the gold sentences (text, as the sentencizer cuts them)."""
    gold: dict[str, dict[str, set[str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        gold.setdefault(row["id"], {})[row["category"]] = set(row["sentences"])
    return gold


Chooser = Callable[[int, int, int], int]  # (note row, first segment row, n segments) -> k


def score(
    model: SklearnTagger, ids: list[str], texts: list[str], gold: dict[str, dict[str, set[str]]]
) -> tuple[dict[str, dict[str, float]], dict[str, int]]:
    split = SplitNotes(texts)
    cache, spans = split.cache, split.spans
    alone = model.predict_proba_segments(cache)
    carried = model.evidence_scores(cache)
    tagged = model.predict_proba(texts, cache=cache) >= model.thresholds_
    column = {name: j for j, name in enumerate(model.labels_)}
    starts = np.concatenate([[0], np.cumsum([len(s) for s in spans])])
    ways: dict[str, Callable[[int, int, int, int], int]] = {
        "first sentence (baseline)": lambda i, a, n, j: 0,
        "longest sentence (baseline)": lambda i, a, n, j: int(
            np.argmax([e - s for s, e in spans[i]])
        ),
        "highest score read alone (before)": lambda i, a, n, j: int(alone[a : a + n, j].argmax()),
        "carries most of the note's score (now)": lambda i, a, n, j: int(
            carried[a : a + n, j].argmax()
        ),
    }
    hits: dict[str, dict[str, list[bool]]] = {w: {"all": [], "tagged": []} for w in ways}
    counts = {"pairs": 0, "scored": 0, "unmatched": 0}
    for i, note_id in enumerate(ids):
        sentences = [texts[i][s:e].strip() for s, e in spans[i]]
        for category, wanted in gold.get(note_id, {}).items():
            counts["pairs"] += 1
            good = {k for k, sentence in enumerate(sentences) if sentence in wanted}
            if len(good) < len(wanted):  # the sentencizer cuts this note differently now
                counts["unmatched"] += 1
                continue
            if len(good) == len(sentences):  # any choice is right: says nothing
                continue
            counts["scored"] += 1
            j = column[category]
            for way, choose in ways.items():
                hit = choose(i, int(starts[i]), len(sentences), j) in good
                hits[way]["all"].append(hit)
                if tagged[i, j]:
                    hits[way]["tagged"].append(hit)
    result = {
        way: {group: float(np.mean(v)) if v else float("nan") for group, v in by.items()}
        for way, by in hits.items()
    }
    counts["tagged"] = len(next(iter(hits.values()))["tagged"])
    return result, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    codebook = load_codebook()
    data, splits = load_corpus()
    gold = read_gold()

    def part(split: str) -> tuple[list[str], list[str]]:
        rows = [i for i, n in enumerate(data.ids) if splits.get(n) == split and n in gold]
        return [data.ids[i] for i in rows], [data.texts[i] for i in rows]

    train = data.subset([i for i, n in enumerate(data.ids) if splits.get(n) == "train"])
    Y = np.array([[c in set(row) for c in codebook.ids] for row in train.labels], dtype=np.int8)
    on_train = SklearnTagger(seed=0).fit(train.texts, Y, codebook.ids, codebook.label_texts())
    runs = {
        "dev (model trained on the train split)": score(on_train, *part("dev"), gold),
        "holdout (default model)": score(default_model().estimator, *part("holdout"), gold),
    }

    lines = [
        "## Evidence sentences (`scripts/benchmark_evidence.py`)",
        "",
        f"Date: {date.today().isoformat()} · machine: 2 cores, 24 GiB, no GPU "
        f"(CPython {platform.python_version()}) · command: "
        "`PYTHONPATH=.:scripts python scripts/benchmark_evidence.py --write-docs`",
        "",
        "How often the sentence shown as a tag's evidence is one a reader picked "
        "(`corpora/evidence/`: 800 note-category pairs of dev and holdout notes, chosen "
        "without seeing any model output). Pairs where every sentence of the note is gold "
        "are left out (any choice is right). *all*: every gold pair, as if the model had "
        "tagged it; *tagged*: the pairs the model did tag, which is what a lead sees. On "
        "dev the two model-based ways are level; both splits were scored in the same run, "
        "so holdout is not an untouched check of the choice. Tagging uses the sentence "
        "that carries most of the note's score because that is what the model used to tag "
        "the note: it explains the tag, where a sentence read alone can score high on a "
        "word or two the tag did not rest on.",
        "",
        "| notes | way of choosing the sentence | all | tagged |",
        "|---|---|---:|---:|",
    ]
    notes = []
    for name, (result, counts) in runs.items():
        for way, by in result.items():
            lines.append(f"| {name} | {way} | {by['all']:.3f} | {by['tagged']:.3f} |")
        notes.append(
            f"- {name}: {counts['pairs']} pairs, {counts['scored']} scored, "
            f"{counts['tagged']} of them tagged by the model"
            + (f", {counts['unmatched']} no longer matching the sentencizer's cut"
               if counts["unmatched"] else "")
        )
    lines += ["", *notes, "", f"Run time {time.perf_counter() - started:.0f} s."]
    text = "\n".join(lines)
    print(text)
    if args.write_docs:
        from benchdoc import write_section

        print(f"written to {write_section('evidence', text)}")


if __name__ == "__main__":
    main()
