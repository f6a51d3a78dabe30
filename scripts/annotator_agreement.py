"""How far independent annotators agree with the corpus labels, and with each other.

A model cannot be expected to agree with a corpus more than careful people applying the
same guide do, so this measures that ceiling. `corpora/agreement/annotations.jsonl` holds
independent, blind re-annotations of every shipped note (annotators saw only the note text
under a fresh id, the codebook and `corpora/GUIDE.md`; never the corpus labels, another
annotator's work or any classifier). For each pair of label sources (the corpus, each
annotator, and the default model on the held-out test and holdout splits) it reports, on
the same notes: macro- and micro-F1 between the two (F1 is symmetric between two annotators), mean
Cohen's kappa over categories, agreement on safeguarding and experience.

    PYTHONPATH=. python scripts/annotator_agreement.py [--write-docs]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np
from benchdoc import write_section
from sklearn.metrics import cohen_kappa_score, f1_score

from insight.classify.default import default_model, load_corpus
from insight.codebook import load_codebook

HELD_OUT = ("test", "holdout")  # splits the default model never trains on
ORIGINAL_BATCHES = "ABCDE"  # the batches the dev and test splits were drawn from
ANNOTATIONS = Path(__file__).resolve().parents[1] / "corpora" / "agreement" / "annotations.jsonl"


def read_annotations(path: Path = ANNOTATIONS) -> dict[str, dict[str, dict]]:
    """reader -> note id -> {categories, safeguarding, experience}."""
    by_reader: dict[str, dict[str, dict]] = defaultdict(dict)
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                by_reader[row["reader"]][row["id"]] = row
    return dict(by_reader)


def compare(a: dict[str, dict], b: dict[str, dict], ids: list[str], names: list[str]) -> dict:
    """Agreement between two label sources on the notes in `ids`."""
    Ya = np.array([[n in a[i]["categories"] for n in names] for i in ids], dtype=int)
    Yb = np.array([[n in b[i]["categories"] for n in names] for i in ids], dtype=int)
    kappas = [cohen_kappa_score(Ya[:, j], Yb[:, j]) for j in range(len(names))]
    sa = np.array([a[i]["safeguarding"] for i in ids], dtype=int)
    sb = np.array([b[i]["safeguarding"] for i in ids], dtype=int)
    ea = [a[i]["experience"] for i in ids]
    eb = [b[i]["experience"] for i in ids]
    return {
        "notes": len(ids),
        "macro_f1": float(f1_score(Ya, Yb, average="macro", zero_division=0)),
        "micro_f1": float(f1_score(Ya, Yb, average="micro", zero_division=0)),
        "per_category_f1": f1_score(Ya, Yb, average=None, zero_division=0).tolist(),
        "kappa": float(np.mean(kappas)),
        "safeguarding_f1": float(f1_score(sa, sb, zero_division=0)),
        "experience_agreement": float(np.mean([x == y for x, y in zip(ea, eb, strict=True)])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=Path, default=ANNOTATIONS)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    names = load_codebook().ids
    data, splits = load_corpus()
    sources: dict[str, dict[str, dict]] = {
        "corpus": {
            n: {"categories": set(c), "safeguarding": bool(s), "experience": e}
            for n, c, s, e in zip(data.ids, data.labels, data.safeguarding, data.experience,
                                  strict=True)
        }
    }
    for who, rows in sorted(read_annotations(args.annotations).items()):
        sources[who] = {
            n: {**r, "categories": set(r["categories"])} for n, r in rows.items()
        }
    split_ids = {s: [n for n in data.ids if splits.get(n) == s] for s in HELD_OUT}
    scored = [n for ids in split_ids.values() for n in ids]
    text_of = dict(zip(data.ids, data.texts, strict=True))
    tagged = default_model().tag([text_of[n] for n in scored])
    sources["default model"] = {
        n: {"categories": set(t.categories), "safeguarding": t.safeguarding,
            "experience": t.experience}
        for n, t in zip(scored, tagged, strict=True)
    }

    lines = [
        "## Annotator agreement (`scripts/annotator_agreement.py`)",
        "",
        "Every shipped note was re-annotated blind by two readers (note text only, under a "
        "fresh id, with the codebook and `corpora/GUIDE.md`; no corpus labels, no other "
        "reader, no classifier). The readers were separate AI-assistant sessions, like the "
        "corpus writers, so their agreement with each other is an upper bound, well above "
        "what two people would reach; what the table shows is that the corpus labels can be "
        "recovered from the note text alone far better than the model recovers them. The "
        "corpus labels were not changed from these readings. Pairs are compared on the "
        "notes both labelled; F1 between two sources is symmetric. The default model "
        "(trained on train + dev) is compared on the held-out splits only: test, and holdout "
        "(batch H, written later by other writers; nothing is trained or chosen on it).",
        "",
        "| pair | split | notes | macro-F1 | micro-F1 | mean kappa | safeguarding F1 | "
        "experience agreement |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    per_category: dict[str, list[float]] = {}
    for left, right in combinations(sources, 2):
        shared = [n for n in data.ids if n in sources[left] and n in sources[right]]
        groups = [("all", shared)] + [(s, [n for n in shared if splits.get(n) == s])
                                      for s in HELD_OUT]
        if "corpus" in (left, right):  # batches after E were written later: as good labels?
            batch = {n: n.split("-")[1] for n in shared}
            groups.append(("batches A-E", [n for n in shared if batch[n] in ORIGINAL_BATCHES]))
            for letter in sorted(set(batch.values()) - set(ORIGINAL_BATCHES)):
                groups.append((f"batch {letter}", [n for n in shared if batch[n] == letter]))
        seen: list[list[str]] = []
        for split_name, ids in groups:
            if ids in seen:  # e.g. batch H is exactly the holdout split
                continue
            seen.append(ids)
            if not ids or (split_name not in HELD_OUT and "default model" in (left, right)):
                continue
            r = compare(sources[left], sources[right], ids, names)
            if split_name == "test":
                per_category[f"{left} vs {right}"] = r["per_category_f1"]
            lines.append(
                f"| {left} vs {right} | {split_name} | {r['notes']} | {r['macro_f1']:.3f} | "
                f"{r['micro_f1']:.3f} | {r['kappa']:.3f} | {r['safeguarding_f1']:.3f} | "
                f"{r['experience_agreement']:.3f} |"
            )
    lines += ["", "Per-category F1 on the test split:", "",
              "| category | " + " | ".join(per_category) + " |",
              "|---|" + "---:|" * len(per_category)]
    for j, name in enumerate(names):
        lines.append(f"| {name} | " + " | ".join(f"{v[j]:.2f}" for v in per_category.values())
                     + " |")
    text = "\n".join(lines)
    print(text)
    if args.write_docs:
        print(f"wrote {write_section('annotator-agreement', text)}")


if __name__ == "__main__":
    main()
