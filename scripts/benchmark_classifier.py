"""Benchmark the tag backends against the published pxtextmining pipeline, in one process.

Care Opinion protocol (shared/data/patient-feedback, read at run time, never copied):
labels are the codes in cat_1..cat_6, lower-cased, NA/empty ignored; labels with >= 10
examples kept; rows left with no label dropped; train_test_split(test_size=0.2,
random_state=42). The reference models use a 0.5 threshold on probabilities; ours tune
their own thresholds on the training part only. Also measured: the default model on the
shipped corpus (test split), its load time, and TagModel.tag throughput on short notes.

    PYTHONPATH=. python scripts/benchmark_classifier.py [--write-docs] [--skip-corpus]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from benchdoc import write_section  # scripts/ is on sys.path when run as a script
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from insight.classify.calibration import calibration_error
from insight.classify.data import LabelledData, evaluate, load_labelled
from insight.classify.ensemble import EnsembleTagger
from insight.classify.sklearn_backend import SklearnTagger
from insight.classify.spacy_backend import SpacyTagger
from insight.codebook import load_codebook

ROOT = Path(__file__).resolve().parents[1]
CARE_OPINION = ROOT.parent / "shared" / "data" / "patient-feedback" / "care_opinion_multilabel.csv"
CARE_OPINION_CODEBOOK = ROOT / "corpora" / "codebooks" / "care-opinion-phase1.yaml"
DOCS = ROOT / "docs" / "benchmarks.md"
SHORT_NOTE_WORDS = 40


def timed(fn: Any, *args: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def throughput(predict: Any, texts: list[str], min_seconds: float = 1.0,
               repeats: int = 3) -> float:
    """Texts per second of the fastest whole call, calling at least `repeats` times and
    until `min_seconds` have passed. The fastest call, as `timeit` advises: slower ones
    measure other work on a shared machine, not the model (the same for every model, so
    the ratios against the reference stay fair)."""
    best, calls, start = float("inf"), 0, time.perf_counter()
    while calls < repeats or time.perf_counter() - start < min_seconds:
        _, seconds = timed(predict, texts)
        best, calls = min(best, seconds), calls + 1
    return len(texts) / best


def svc_reference() -> Pipeline:
    """The published pxtextmining multilabel pipeline (TF-IDF defaults + OvR SVC)."""
    return Pipeline(
        [
            ("tfidf", TfidfVectorizer()),
            (
                "clf",
                OneVsRestClassifier(
                    SVC(
                        C=15,
                        class_weight="balanced",
                        probability=True,
                        max_iter=1000,
                        cache_size=1000,
                        random_state=42,  # Platt scaling's internal CV; fixed for repeatability
                    )
                ),
            ),
        ]
    )


def load_care_opinion(path: Path) -> LabelledData:
    """The stories and labels under the protocol (codes lower-cased, >= 10 examples).

    The loader reads "cs" and "CS" as one label already, spelt as the file spells it most
    often; the protocol names codes in lower case (and so does the codebook's wording)."""
    data = load_labelled(
        path,
        text_col="feedback",
        label_cols=[f"cat_{i}" for i in range(1, 7)],
        min_count=10,
        drop_unlabelled=True,
    )
    data.labels = [[lab.lower() for lab in row] for row in data.labels]
    data.label_names = sorted(lab.lower() for lab in data.label_names)
    return data


def care_opinion(path: Path) -> list[dict[str, Any]]:
    data = load_care_opinion(path)
    print(f"Care Opinion: {data.report.summary()}".replace("\n", "\n  "))
    Y = data.indicator_matrix()
    idx_train, idx_test = train_test_split(np.arange(len(data)), test_size=0.2, random_state=42)
    x_train = [data.texts[i] for i in idx_train]
    x_test = [data.texts[i] for i in idx_test]
    y_train, y_test = Y[idx_train], Y[idx_test]
    names = data.label_names
    print(f"  {len(names)} labels, {len(x_train)} train / {len(x_test)} test notes")

    def scores(pred: np.ndarray) -> tuple[float, float]:
        return (
            float(f1_score(y_test, pred, average="macro", zero_division=0)),
            float(f1_score(y_test, pred, average="micro", zero_division=0)),
        )

    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SVC max_iter convergence warnings, as published
        svc, seconds = timed(svc_reference().fit, x_train, y_train)
        macro, micro = scores((svc.predict_proba(x_test) >= 0.5).astype(int))
        rows.append(
            {
                "model": "pxtextmining TF-IDF + OvR SVC (reference)",
                "macro": macro,
                "micro": micro,
                "train_s": seconds,
                "pred_per_s": throughput(svc.predict_proba, x_test),
            }
        )
    print(f"  reference done: macro {macro:.3f}", flush=True)

    wording = load_codebook(CARE_OPINION_CODEBOOK).label_texts()
    plain, plain_s = timed(SklearnTagger(seed=0).fit, x_train, y_train, names)
    sk, sk_s = timed(SklearnTagger(seed=0).fit, x_train, y_train, names, wording)
    sp, sp_s = timed(SpacyTagger(seed=0).fit, x_train, y_train, names, wording)
    ens, ens_s = timed(EnsembleTagger.combine, sk, sp, y_train)
    for label, model, seconds in (
        ("insight sklearn, without codebook wording", plain, plain_s),
        ("insight sklearn", sk, sk_s),
        ("insight spacy", sp, sp_s),
        ("insight ensemble", ens, sk_s + sp_s + ens_s),
    ):
        macro, micro = scores(model.predict(x_test))
        rows.append(
            {
                "model": label,
                "macro": macro,
                "micro": micro,
                "train_s": seconds,
                "pred_per_s": throughput(model.predict_proba, x_test),
            }
        )
        print(f"  {label} done: macro {macro:.3f}", flush=True)
    grid = ", ".join(f"C={c:g}, w={w:g}: {v:.3f}" for (c, w), v in sk.cv_scores_.items())
    rows[0]["notes"] = [
        f"insight sklearn chose C = {sk.C_:g} and sentence weight w = {sk.sentence_weight_:g} "
        f"by out-of-fold macro-F1 on the training part ({grid}; thresholds tuned on the same "
        "rows, so optimistic in absolute terms). w is the share of a note's score that comes "
        "from its best sentence.",
        "Codebook wording: the code meanings in `corpora/codebooks/care-opinion-phase1.yaml` "
        "(e.g. `xf` = \"funding\") join each training fold as one extra example per code, "
        "weighted as 10 notes; the reference and the row marked *without* do not use them.",
        f"insight ensemble chose sklearn weight {ens.weight_:.1f} on the spaCy hold-out slice"
        " of the training part (1.0 = spaCy not used)",
    ]
    return rows


def shipped_corpus(skip: bool) -> dict[str, Any]:
    """Default model: test-split quality, load time, tag throughput on short notes."""
    from insight.classify.default import (
        DEFAULT_BACKEND,
        TRAINING_SPLITS,
        default_model,
        load_corpus,
    )

    out: dict[str, Any] = {"backend": DEFAULT_BACKEND}
    cache = Path(os.environ.get("INSIGHT_CACHE_DIR") or tempfile.mkdtemp(prefix="insight-bench-"))
    model, out["build_or_load_s"] = timed(default_model, cache)
    _, out["load_s"] = timed(default_model, cache)
    metrics = model.metadata.get("metrics", {})
    out.update(
        {
            k: metrics.get(k)
            for k in (
                "macro_f1",
                "micro_f1",
                "safeguarding_recall",
                "safeguarding_support",
                "n_notes",
                "experience_accuracy",
            )
        }
    )
    data, splits = load_corpus()
    test = data.subset([i for i, n in enumerate(data.ids) if splits.get(n) == "test"])
    holdout = data.subset([i for i, n in enumerate(data.ids) if splits.get(n) == "holdout"])
    if len(holdout):  # a larger held-out set by other writers: nothing is trained or chosen on it
        out["holdout"] = evaluate(model, holdout.texts, holdout.labels,
                                  safeguarding=holdout.safeguarding, experience=holdout.experience)
    gold = np.array([[lab in row for lab in model.labels] for row in test.labels], dtype=int)
    raw = model.estimator.predict_proba(test.texts)
    out["ece_raw"] = calibration_error(gold, raw)
    out["ece_calibrated"] = calibration_error(gold, model.confidence(raw))
    given = np.asarray(model.predict(test.texts)) == 1  # the tags a person sees
    out["ece_tags"] = calibration_error(gold[given], model.confidence(raw)[given])
    short = [t for t in data.texts if len(t.split()) <= SHORT_NOTE_WORDS]
    batch = (short * (10000 // max(1, len(short)) + 1))[:10000]
    out["short_note_words"] = float(np.mean([len(t.split()) for t in batch]))
    out["tag_per_s"] = throughput(model.tag, batch, min_seconds=2.0)
    out["tag_per_s_2proc"] = throughput(lambda b: model.tag(b, n_process=2), batch, 2.0)
    if not skip:
        train = data.subset(
            [i for i, n in enumerate(data.ids) if splits.get(n) in TRAINING_SPLITS]
        )
        y_train, y_test = train.indicator_matrix(), test.indicator_matrix()
        backends = {}
        wording = load_codebook().label_texts()
        names = train.label_names
        sk, sk_s = timed(SklearnTagger(seed=0).fit, train.texts, y_train, names, wording)
        sp, sp_s = timed(SpacyTagger(seed=0).fit, train.texts, y_train, names, wording)
        ens, ens_s = timed(EnsembleTagger.combine, sk, sp, y_train)
        for name, est, seconds in (
            ("sklearn", sk, sk_s),
            ("spacy", sp, sp_s),
            ("ensemble", ens, sk_s + sp_s + ens_s),
        ):
            pred = est.predict(test.texts)
            backends[name] = {
                "macro": float(f1_score(y_test, pred, average="macro", zero_division=0)),
                "micro": float(f1_score(y_test, pred, average="micro", zero_division=0)),
                "train_s": seconds,
            }
            if len(holdout):
                backends[name]["holdout_macro"] = float(f1_score(
                    holdout.indicator_matrix(), est.predict(holdout.texts), average="macro",
                    zero_division=0))
        out["backends"] = backends
        out["n_train"], out["n_test"] = len(train), len(test)
    return out


def holdout_rows(hold: dict[str, Any] | None) -> list[str]:
    """Default-model figures on the holdout split (batch H: other writers, other topics)."""
    if not hold:
        return []
    return [
        f"| holdout split ({hold['n_notes']} notes by other writers, never trained or chosen on): "
        f"macro-F1 / micro-F1 | {hold['macro_f1']:.3f} / {hold['micro_f1']:.3f} |",
        f"| holdout safeguarding recall / precision ({hold['safeguarding_support']} flagged) | "
        f"{hold['safeguarding_recall']:.3f} / {hold['safeguarding_precision']:.3f} |",
        f"| holdout experience accuracy | {hold['experience_accuracy']:.3f} |",
    ]


def render(rows: list[dict[str, Any]], corpus: dict[str, Any], command: str) -> str:
    ref = rows[0]
    lines = [
        "## Classifier benchmark",
        "",
        f"Date: {datetime.now(UTC).strftime('%Y-%m-%d')} · machine: {os.cpu_count()} cores, "
        f"24 GiB, no GPU ({platform.python_implementation()} {platform.python_version()}) · "
        f"command: `{command}`",
        "",
        "### Care Opinion mental-health stories (multi-label)",
        "",
        "Protocol: codes in `cat_1`..`cat_6` lower-cased, NA/empty ignored, labels with >= 10 "
        "examples kept, rows with no label dropped, `train_test_split(test_size=0.2, "
        "random_state=42)`. The reference (SVC `random_state=42` for repeatable Platt scaling) "
        "uses a 0.5 threshold; insight backends tune "
        "per-label thresholds on the training part only (out-of-fold / held-out slice).",
        "",
        "| model | macro-F1 | micro-F1 | train s | predict texts/s | macro × ref | "
        "micro × ref | speed × ref |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['macro']:.3f} | {r['micro']:.3f} | {r['train_s']:.1f} | "
            f"{r['pred_per_s']:,.0f} | {r['macro'] / ref['macro']:.2f} | "
            f"{r['micro'] / ref['micro']:.2f} | {r['pred_per_s'] / ref['pred_per_s']:.1f} |"
        )
    lines += ["", *(f"- {note}" for note in ref.get("notes", []))]
    lines += [
        "",
        "### Shipped corpus (default codebook v1) and the default model",
        "",
    ]
    if corpus.get("backends"):
        lines += [
            f"Trained on the train and dev splits ({corpus['n_train']} notes), as the default "
            f"model is; scored on the test split "
            f"({corpus['n_test']} notes).",
            "",
            "| backend | macro-F1 | micro-F1 | holdout macro-F1 | train s |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, b in corpus["backends"].items():
            hold = f"{b['holdout_macro']:.3f}" if "holdout_macro" in b else "n/a"
            lines.append(f"| {name} | {b['macro']:.3f} | {b['micro']:.3f} | {hold} | "
                         f"{b['train_s']:.1f} |")
        lines.append("")
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    lines += [
        "| default model (`" + corpus["backend"] + "`) | value |",
        "|---|---:|",
        f"| test-split macro-F1 | {fmt(corpus.get('macro_f1'))} |",
        f"| test-split micro-F1 | {fmt(corpus.get('micro_f1'))} |",
        f"| safeguarding recall (test split, {corpus.get('safeguarding_support')} flagged) | "
        f"{fmt(corpus.get('safeguarding_recall'))} |",
        f"| experience accuracy | {fmt(corpus.get('experience_accuracy'))} |",
        f"| calibration error of shown confidence, test split (raw scores → calibrated) | "
        f"{corpus['ece_raw']:.3f} → {corpus['ece_calibrated']:.3f} |",
        f"| same, over the tags given only (every note-category pair above; most are easy "
        f"'no's near 0) | {corpus['ece_tags']:.3f} |",
        f"| first use: build + cache (s) | {corpus['build_or_load_s']:.1f} |",
        f"| load from cache (s) | {corpus['load_s']:.2f} |",
        f"| `TagModel.tag` short notes/s (mean {corpus['short_note_words']:.0f} words, "
        f"with evidence, 1 process) | {corpus['tag_per_s']:,.0f} |",
        f"| same, `n_process=2` | {corpus['tag_per_s_2proc']:,.0f} |",
        *holdout_rows(corpus.get("holdout")),
        "",
        'Targets (issue "Tagging that leads can trust"): best backend Care Opinion macro-F1 '
        ">= 0.33 and micro-F1 >= 0.45, training with tuning <= 60 s, prediction >= 20x the "
        "reference's texts/s; default codebook test split macro-F1 >= 0.80 and safeguarding "
        "recall >= 0.95; >= 5,000 short notes/s including evidence; default model load < 2 s. "
        "Timings are wall-clock on a shared machine and vary by about ±30% between runs; "
        "texts/s and notes/s are of the fastest of at least three whole calls (as `timeit` "
        "advises), for the reference as for insight, training time of one fit.",
        "",
        "Status against the targets in this run:",
        "",
        *status(rows, corpus),
        "",
    ]
    return "\n".join(lines)


def status(rows: list[dict[str, Any]], corpus: dict[str, Any]) -> list[str]:
    """One line per target: met or not, with the measured value."""
    ref, ours = rows[0], rows[1:]
    best = max(ours, key=lambda r: r["macro"])
    checks = [
        (
            f"best backend ({best['model']}) Care Opinion macro-F1 >= 0.33",
            best["macro"] >= 0.33,
            f"{best['macro']:.3f}",
        ),
        (
            "best micro-F1 >= 0.45",
            max(r["micro"] for r in ours) >= 0.45,
            f"{max(r['micro'] for r in ours):.3f}",
        ),
        (
            "best backend training with tuning <= 60 s",
            best["train_s"] <= 60,
            f"{best['train_s']:.1f} s",
        ),
        (
            "best backend prediction >= 20x reference",
            best["pred_per_s"] >= 20 * ref["pred_per_s"],
            f"{best['pred_per_s'] / ref['pred_per_s']:.0f}x",
        ),
        (
            "default model test macro-F1 >= 0.80",
            (corpus.get("macro_f1") or 0) >= 0.80,
            f"{corpus.get('macro_f1') or 0:.3f}",
        ),
        (
            "safeguarding recall >= 0.95",
            (corpus.get("safeguarding_recall") or 0) >= 0.95,
            f"{corpus.get('safeguarding_recall') or 0:.3f}",
        ),
        (
            "tag >= 5,000 short notes/s (best of 1 or 2 processes)",
            max(corpus["tag_per_s"], corpus["tag_per_s_2proc"]) >= 5000,
            f"{max(corpus['tag_per_s'], corpus['tag_per_s_2proc']):,.0f}/s",
        ),
        ("default model load < 2 s", corpus["load_s"] < 2, f"{corpus['load_s']:.2f} s"),
    ]
    return [f"- {'met' if ok else '**not met**'}: {name} ({value})" for name, ok, value in checks]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--care-opinion", type=Path, default=CARE_OPINION)
    parser.add_argument("--write-docs", action="store_true",
                        help="write the classifier section of docs/benchmarks.md")
    parser.add_argument(
        "--skip-corpus",
        action="store_true",
        help="skip retraining all backends on the shipped corpus",
    )
    args = parser.parse_args()
    command = (
        "PYTHONPATH=. python scripts/benchmark_classifier.py"
        + (" --write-docs" if args.write_docs else "")
        + (" --skip-corpus" if args.skip_corpus else "")
    )
    rows = care_opinion(args.care_opinion)
    corpus = shipped_corpus(args.skip_corpus)
    text = render(rows, corpus, command)
    print(text)
    if args.write_docs:
        write_section("classifier", text, DOCS)
        print(f"wrote {DOCS}")


if __name__ == "__main__":
    main()
