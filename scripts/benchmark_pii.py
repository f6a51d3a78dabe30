"""Score `insight.redact.find_pii` on the hand-annotated PII evaluation set.

Why: redaction is only trustworthy if we measure it. Prints, per type, gold and predicted
counts with exact-span and overlap matching (recall is judged on overlap: a partly covered
name is still mostly hidden), overall precision and throughput; ``--write`` also writes the
PII section of `docs/benchmarks.md`.

Run: ``PYTHONPATH=. python scripts/benchmark_pii.py [--write] [--errors]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import time
from pathlib import Path

from benchdoc import write_section  # scripts/ is on sys.path when run as a script

from insight.redact import PII_TYPES, PiiSpan, find_pii
from insight.resources import corpora_dir

ROOT = Path(__file__).resolve().parent.parent
DOC_OUT = ROOT / "docs" / "benchmarks.md"
TARGETS = {"PHONE": 0.98, "EMAIL": 0.98, "NHS_NUMBER": 0.98, "POSTCODE": 0.98, "PERSON": 0.90}


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def overlaps(a: PiiSpan, b: PiiSpan) -> bool:
    return a.type == b.type and a.start < b.end and b.start < a.end


def prf(tp_p: int, n_pred: int, tp_g: int, n_gold: int) -> tuple[float, float, float]:
    p = tp_p / n_pred if n_pred else 1.0
    r = tp_g / n_gold if n_gold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def evaluate(rows: list[dict], show_errors: bool) -> tuple[list[list[str]], dict[str, float]]:
    stats = {t: {"gold": 0, "pred": 0, "exact": 0, "ov_pred": 0, "ov_gold": 0} for t in PII_TYPES}
    start = time.perf_counter()
    predictions = [find_pii(r["text"]) for r in rows]
    seconds = time.perf_counter() - start
    for row, pred in zip(rows, predictions, strict=True):
        gold = [PiiSpan(s["start"], s["end"], s["type"]) for s in row["spans"]]
        for t in PII_TYPES:
            g = [s for s in gold if s.type == t]
            p = [s for s in pred if s.type == t]
            st = stats[t]
            st["gold"] += len(g)
            st["pred"] += len(p)
            st["exact"] += len(set(g) & set(p))
            st["ov_pred"] += sum(any(overlaps(x, y) for y in g) for x in p)
            st["ov_gold"] += sum(any(overlaps(y, x) for x in p) for y in g)
        if show_errors:
            text = row["text"]
            for x in pred:
                if not any(overlaps(x, y) for y in gold):
                    print(f"FP {row['id']} {x.type:13} {text[x.start:x.end]!r}  | {text[:90]}")
            for y in gold:
                if not any(overlaps(y, x) for x in pred):
                    print(f"FN {row['id']} {y.type:13} {text[y.start:y.end]!r}  | {text[:90]}")
    table = []
    tot = {"gold": 0, "pred": 0, "exact": 0, "ov_pred": 0, "ov_gold": 0}
    for t in PII_TYPES:
        st = stats[t]
        for key in tot:
            tot[key] += st[key]
        table.append(row_for(t, st))
    table.append(row_for("ALL", tot))
    overall = {
        "precision": tot["ov_pred"] / tot["pred"] if tot["pred"] else 1.0,
        "notes_per_s": len(rows) / seconds,
        "notes": len(rows),
    }
    return table, overall


def row_for(name: str, st: dict[str, int]) -> list[str]:
    ep, er, ef = prf(st["exact"], st["pred"], st["exact"], st["gold"])
    op, orr, of = prf(st["ov_pred"], st["pred"], st["ov_gold"], st["gold"])
    return [name, str(st["gold"]), str(st["pred"]), str(st["exact"]), f"{ep:.3f}", f"{er:.3f}",
            f"{ef:.3f}", str(st["ov_gold"]), f"{op:.3f}", f"{orr:.3f}", f"{of:.3f}"]


HEADER = ["type", "gold", "pred", "TP exact", "P exact", "R exact", "F1 exact",
          "TP overlap", "P overlap", "R overlap", "F1 overlap"]


def markdown(table: list[list[str]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r) + " |" for r in table]
    return "\n".join(lines)


SETS = {
    "pii-eval.jsonl": "written with the rules, by their author",
    "pii-holdout.jsonl": "written later by another writer who never saw the rules or the first set",
    "pii-holdout2.jsonl": "young people and schools, by a third writer who saw only the rules",
    "pii-holdout3.jsonl": "capitals, nicknames, numbers in words and handles, by a fourth writer "
                          "who saw only the rules",
    "pii-holdout4.jsonl": "notes typed fast or dictated, much in lower case, names of many "
                          "communities, by a fifth writer who saw only the rules",
}
# The holdout's first run, before anything was changed because of it (2026-11-26): the
# honest figure for notes nobody has tuned to. Rules changed after it are listed in
# corpora/pii/README.md, so the holdout's table below is no longer blind.
HOLDOUT_BLIND = ("PERSON recall 0.957, precision 0.978; DATE_OF_BIRTH recall 0.955; every other "
                 "type 1.000; all types recall 0.972, precision 0.988 (overlap)")
# The schools set's first run (2026-11-26), before SCHOOL was a type, then SCHOOL's first run.
HOLDOUT2_BLIND = ("PERSON recall 0.977, precision 0.959; NI_NUMBER precision 0.800; every other "
                  "type 1.000; SCHOOL's first run (written from the rule): recall 0.938, "
                  "precision 0.978")
# The fourth set's first run (2026-11-27), after the rules for names in capitals, nicknames,
# numbers in words and handles were written and before anything was changed because of it.
# The fifth set's first run (2026-11-27), before anything was changed because of it.
HOLDOUT4_BLIND = ("PERSON recall 0.790, precision 0.939; DATE_OF_BIRTH recall 0.867; every "
                  "other type 1.000; all types recall 0.861, precision 0.963 (overlap)")
HOLDOUT3_BLIND = ("PERSON recall 0.920, precision 0.976; PHONE recall 0.975; SCHOOL recall "
                  "0.826; HANDLE 25/25; every other type 1.000; all types recall 0.946, "
                  "precision 0.988 (overlap)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="one labelled JSONL (default: both shipped sets)")
    ap.add_argument("--write", action="store_true", help=f"write {DOC_OUT.relative_to(ROOT)}")
    ap.add_argument("--errors", action="store_true", help="print false positives/negatives")
    args = ap.parse_args()
    paths = [args.data] if args.data else [corpora_dir() / "pii" / name for name in SETS]
    t0 = time.perf_counter()
    find_pii("warm up: load the tokenizer and lexicon")
    load_s = time.perf_counter() - t0
    results = []
    for path in paths:
        table, overall = evaluate(load(path), args.errors)
        md = markdown(table)
        print(f"\n{path.name}\n{md}")
        print(f"\noverall precision (overlap): {overall['precision']:.3f}")
        print(f"notes/s: {overall['notes_per_s']:.0f} ({overall['notes']} notes); "
              f"first-call load: {load_s:.2f} s")
        missed = [f"{t} recall {r[9]} < {TARGETS[t]}" for r in table
                  for t in [r[0]] if t in TARGETS and float(r[9]) < TARGETS[t]]
        if overall["precision"] < 0.90:
            missed.append(f"overall precision {overall['precision']:.3f} < 0.90")
        print("targets: " + ("all met" if not missed else "; ".join(missed)))
        results.append((path.name, md, overall))
    if args.write:
        if args.data:
            ap.error("--write writes the shipped sets' figures; leave out --data")
        DOC_OUT.parent.mkdir(parents=True, exist_ok=True)
        write_section("pii", section(results, load_s), DOC_OUT)
        print(f"wrote {DOC_OUT.relative_to(ROOT)}")


def section(results: list[tuple[str, str, dict[str, float]]], load_s: float) -> str:
    today = dt.date.today().isoformat()
    tables = "\n\n".join(
        f"### `corpora/pii/{name}`: {overall['notes']} notes, {SETS[name]}\n\n{md}\n\n"
        f"Overall precision (overlap): **{overall['precision']:.3f}**. Throughput: "
        f"**{overall['notes_per_s']:.0f} notes/s** on one core."
        for name, md, overall in results
    )
    return f"""## PII detection (`insight.redact`)

Five hand-written sets of fictional community-listening notes (annotation rules in
`corpora/pii/README.md`). A prediction counts as a true positive under *exact* matching when
its type and both offsets equal a gold span, and under *overlap* matching when it shares at
least one character with a gold span of the same type. Recall targets are judged on overlap.

- Date: {today}
- Machine: 2 cores, 24 GiB RAM, no GPU ({platform.python_implementation()} \
{platform.python_version()}, {platform.system()})
- Command: `PYTHONPATH=. python scripts/benchmark_pii.py --write` (`find_pii` one note at a
  time; the first call loads the tokenizer and name lexicon in {load_s:.2f} s)

{tables}

Targets: recall ≥ 0.98 for PHONE, EMAIL, NHS_NUMBER, POSTCODE; ≥ 0.90 for PERSON; overall
precision ≥ 0.90. The first set was written by the author of the rules, so its figures are
optimistic. The holdout's first run, before any rule was changed because of it, is the
honest figure for unseen notes: {HOLDOUT_BLIND}. The third set's first runs: {HOLDOUT2_BLIND}.
The fourth set's first run: {HOLDOUT3_BLIND}. The fifth set's first run: {HOLDOUT4_BLIND}.
The rules changed after them (listed in `corpora/pii/README.md`) were chosen to generalise,
not to fit their notes, but the tables above are no longer blind. See "Known gaps" in
`corpora/pii/README.md`.
"""


if __name__ == "__main__":
    main()
