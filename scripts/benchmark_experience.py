"""The experience classifier on the corpus's test split and on real patient feedback.

Why: the experience value (positive / negative / mixed / neutral) is learned from the
shipped corpus, whose notes are mostly long and about problems. Real comments are often
short and plainly pleased or displeased. The real files in shared/data (read at run time,
never copied or trained on) carry no experience label, but each comment has a
criticality score from -5 (very critical) to 5 (very positive) given by the people who
labelled it. That is a rough truth for the clear cases: a comment scored 2 or more should
not read negative, one scored -2 or less should not read positive. "Read right" below is
positive for the first and negative for the second; "read opposite" is the reverse;
mixed and neutral are neither. Also scored: the corpus's test split, and 480 hand-written
short comments labelled for experience (`corpora/experience/`, a test set since no model
learns from them). Each variant is trained here, in one process, on the corpus's train and
dev splits, as the default model is; two also on the short comments (the experiment that
decided they are not learned from).

    PYTHONPATH=.:scripts python scripts/benchmark_experience.py [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from benchdoc import write_section
from sklearn.metrics import accuracy_score, f1_score

from insight.classify.calibration import calibration_error
from insight.classify.default import TRAINING_SPLITS, load_corpus
from insight.classify.features import CountCache, Valence
from insight.classify.heads import ExperienceClassifier
from insight.resources import corpora_dir

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "patient-feedback"
REAL = {  # file, its criticality column
    "trust feedback (short survey comments)": ("trust_feedback_single_label.csv", "criticality"),
    "Care Opinion (stories)": ("care_opinion_multilabel.csv", "crit"),
}


def load_short_notes() -> tuple[list[str], list[str]]:
    """The hand-written short comments (`corpora/experience/`) and their values."""
    path = corpora_dir() / "experience" / "short-notes.jsonl"
    with path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [r["text"] for r in rows], [r["experience"] for r in rows]


def read_real(file: str, column: str) -> tuple[list[str], np.ndarray]:
    frame = pd.read_csv(SHARED / file, dtype=str)
    score = pd.to_numeric(frame[column], errors="coerce")
    # the scale is -5..5; a few rows hold other codes (-9), which say nothing of tone
    keep = (frame["feedback"].notna() & frame["feedback"].str.strip().astype(bool)
            & score.between(-5, 5))
    return frame.loc[keep, "feedback"].tolist(), score[keep].to_numpy()


def lexicon_alone(texts: list[str]) -> list[str]:
    """The lexicon's compound score read as VADER's authors suggest (+-0.05), for scale."""
    compound = Valence.vader().transform(texts)[:, 0]
    return np.where(compound >= 0.05, "positive",
                    np.where(compound <= -0.05, "negative", "neutral")).tolist()


def real_scores(predicted: list[str], score: np.ndarray) -> dict[str, float]:
    pred = np.asarray(predicted)
    pleased, critical = score >= 2, score <= -2
    right = ((pred[pleased] == "positive").mean(), (pred[critical] == "negative").mean())
    return {
        "pleased_right": right[0],
        "pleased_opposite": (pred[pleased] == "negative").mean(),
        "critical_right": right[1],
        "critical_opposite": (pred[critical] == "positive").mean(),
        "balanced": float(np.mean(right)),
    }


#: the confidence under which `insight notes queue` lists a note by default
QUEUE_BELOW = 0.6
SHIPPED = "n-grams + valence lexicon + words after a negator (recipe 16)"


def confidence_row(model: ExperienceClassifier, texts: list[str],
                   values: list[str]) -> dict[str, float]:
    """How far the confidence shown beside the model's experience value can be taken at
    its word: calibration error of the likeliest value's probability, and accuracy on the
    notes the review queue lists (under QUEUE_BELOW) and on the rest."""
    P = model.predict_proba(texts, CountCache(texts))
    said = np.asarray(model.classes_)[P.argmax(axis=1)]
    right = said == np.asarray(values)
    sure = P.max(axis=1)
    low = sure < QUEUE_BELOW
    return {"n": len(texts), "accuracy": float(right.mean()), "confidence": float(sure.mean()),
            "error": calibration_error(right[:, None], sure[:, None]),
            "low_share": float(low.mean()),
            "low_right": float(right[low].mean()) if low.any() else float("nan"),
            "high_right": float(right[~low].mean()) if (~low).any() else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    data, splits = load_corpus()
    train = [i for i, n in enumerate(data.ids) if splits.get(n) in TRAINING_SPLITS]
    test = [i for i, n in enumerate(data.ids) if splits.get(n) == "test"]
    texts = [data.texts[i] for i in train]
    values = [data.experience[i] for i in train]
    test_texts = [data.texts[i] for i in test]
    test_values = [data.experience[i] for i in test]
    holdout = [i for i, n in enumerate(data.ids)
               if splits.get(n) == "holdout" and data.experience[i]]
    real = {name: read_real(*where) for name, where in REAL.items()}

    short_texts, short_values = load_short_notes()
    variants = {  # name: (model, also learns from the short notes)
        "word and character n-grams (recipe 12)": (ExperienceClassifier(valence_weight=0.0),
                                                   False),
        "n-grams + valence lexicon (recipe 13)": (ExperienceClassifier(negation_weight=0.0),
                                                  False),
        "n-grams + valence lexicon + words after a negator (recipe 16)": (
            ExperienceClassifier(), False),
        "n-grams + short notes": (ExperienceClassifier(valence_weight=0.0), True),
        "n-grams + valence lexicon + short notes": (ExperienceClassifier(negation_weight=0.0),
                                                    True),
    }
    rows = []
    confidence: dict[str, dict[str, float]] = {}
    for name, (model, short) in variants.items():
        start = time.perf_counter()
        model.fit(texts + short_texts if short else texts,
                  values + short_values if short else values)
        seconds = time.perf_counter() - start
        predicted = model.predict(test_texts, CountCache(test_texts))
        row = {"variant": name, "seconds": seconds,
               "accuracy": accuracy_score(test_values, predicted),
               "macro_f1": f1_score(test_values, predicted, average="macro"),
               "short": None if short else accuracy_score(
                   short_values, model.predict(short_texts, CountCache(short_texts)))}
        for where, (real_texts, score) in real.items():
            row[where] = real_scores(model.predict(real_texts, CountCache(real_texts)), score)
        rows.append(row)
        if name == SHIPPED:
            confidence = {
                "corpus test split": confidence_row(model, test_texts, test_values),
                "corpus holdout split (other writers)": confidence_row(
                    model, [data.texts[i] for i in holdout],
                    [str(data.experience[i]) for i in holdout]),
                "hand-written short comments": confidence_row(model, short_texts,
                                                              short_values),
            }
    alone = {"variant": "valence lexicon alone (compound >= 0.05 positive, <= -0.05 negative)",
             "seconds": 0.0}
    predicted = lexicon_alone(test_texts)
    alone["accuracy"] = accuracy_score(test_values, predicted)
    alone["macro_f1"] = f1_score(test_values, predicted, average="macro")
    alone["short"] = accuracy_score(short_values, lexicon_alone(short_texts))
    for where, (real_texts, score) in real.items():
        alone[where] = real_scores(lexicon_alone(real_texts), score)
    rows.append(alone)

    counts = {where: (int((s >= 2).sum()), int((s <= -2).sum())) for where, (_, s) in real.items()}
    table = render(rows, counts, len(test), len(train), len(short_texts))
    table += "\n\n" + render_confidence(confidence)
    print(table)
    if args.write_docs:
        write_section("experience", table)


def render(rows: list[dict], counts: dict[str, tuple[int, int]], n_test: int,
           n_train: int, n_short: int) -> str:
    base = rows[0]
    lines = [
        "## Experience (`scripts/benchmark_experience.py`)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d} on {platform.machine()}, 2 cores, Python "
        f"{platform.python_version()}. Each variant is trained on the corpus's {n_train} "
        f"train and dev notes; the corpus test split has {n_test} notes. The real files have "
        "no experience label: their criticality score (-5 to 5) is a rough truth for the "
        "clear cases. 'Pleased' are comments scored 2 or more, 'critical' -2 or less; "
        "'right' is positive for the first and negative for the second, 'opposite' the "
        "reverse (mixed and neutral are neither); 'balanced' is the mean of the two "
        "'right' shares. Ratios are against the first row. 'Short notes' is accuracy on "
        f"the {n_short} hand-written short comments in `corpora/experience/` (labelled "
        "for experience; README there), for the variants not trained on them.",
        "",
        "| variant | train s | corpus test accuracy | macro-F1 | short notes accuracy "
        "| real file | pleased right | pleased read negative | critical right "
        "| critical read positive | balanced (ratio) |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        short = "trained on" if row["short"] is None else f"{row['short']:.3f}"
        for where, (pleased, critical) in counts.items():
            s, b = row[where], base[where]
            lines.append(
                f"| {row['variant']} | {row['seconds']:.1f} | {row['accuracy']:.3f} | "
                f"{row['macro_f1']:.3f} | {short} | "
                f"{where} ({pleased} pleased, {critical} critical) | "
                f"{s['pleased_right']:.3f} | {s['pleased_opposite']:.3f} | "
                f"{s['critical_right']:.3f} | {s['critical_opposite']:.3f} | "
                f"{s['balanced']:.3f} ({s['balanced'] / b['balanced']:.2f}x) |"
            )
    return "\n".join(lines)


def render_confidence(found: dict[str, dict[str, float]]) -> str:
    lines = [
        f"Confidence shown beside the model's experience value (the shipped recipe, {SHIPPED}"
        "): the probability of the value given. Calibration error: the mean gap between "
        "that confidence and how often the value is right (10 equal-width bins). The "
        f"review queue (`insight notes queue`) lists a note under {QUEUE_BELOW:.0%} by "
        "default; the last columns say how often the value is right there and elsewhere.",
        "",
        "| notes | n | accuracy | mean confidence | calibration error "
        f"| share under {QUEUE_BELOW:.0%} | right under {QUEUE_BELOW:.0%} "
        f"| right at {QUEUE_BELOW:.0%} or more |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for where, r in found.items():
        lines.append(f"| {where} | {r['n']} | {r['accuracy']:.3f} | {r['confidence']:.3f} | "
                     f"{r['error']:.3f} | {r['low_share']:.3f} | {r['low_right']:.3f} | "
                     f"{r['high_right']:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
