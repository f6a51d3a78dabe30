"""Choosing decision thresholds from held-out scores, never from the data being scored.

Per-category thresholds matter more than the model for rare categories: a fixed 0.5 misses
most of them. They are tuned on out-of-fold (or held-out) training predictions only.
"""

from __future__ import annotations

import numpy as np

GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)
DEFAULT_THRESHOLD = 0.5
#: Fewer training examples than this and a tuned threshold is a guess: `floor_rare` keeps
#: it at `DEFAULT_THRESHOLD` or above. Out-of-fold scores of a label seen twice are tiny,
#: so its tuned threshold is too (0.17 in one audit), and the model trained on all rows
#: then tags a third of new notes with it.
MIN_TUNING_POSITIVES = 5


#: Below this out-of-fold F1 at its best threshold a label was not learned: its scores do
#: not tell its notes apart, and the "best" threshold is the grid's floor, where it is
#: tagged on most notes (a code seen 5 times in 980 stories: on 198 of 420 new ones, each
#: at a confidence near 0). Such a label keeps `DEFAULT_THRESHOLD`, like a rare one.
MIN_USEFUL_F1 = 0.1


#: A threshold may tag at most this many times as many of the notes it is tuned on as have
#: the label. Where a label's scores barely tell its notes apart, F1 is best at the grid's
#: floor: tagging every note scores 2p / (1 + p) for a label on a share p of the notes,
#: which passes `MIN_USEFUL_F1` from p = 0.053 (a workspace's category learnt from 10 of
#: 192 notes was tuned to 0.11, tagged on all 108 new notes, 6 of them rightly, and filled a
#: commissioners' roll-up with it). Each tag is a count in the roll-up, so a threshold that
#: tags twice the notes that have a label doubles its count. Chosen where choosing is
#: allowed (docs/benchmarks.md, "Thresholds"): the corpus's dev split and the default
#: model unchanged (every category tags 0.8 to 1.2 times its notes out of fold); Care
#: Opinion seeds 0-2 mean macro-F1 0.361 -> 0.358, micro-F1 0.457 -> 0.476, tags given 1.44
#: -> 1.21 times the true ones (at 3: 0.360, 1.34 times; at 1.5: 0.343, 1.05 times).
MOST_TAGGED = 2.0


#: F1 against the threshold is averaged over this many grid steps either side before the
#: best is taken: a peak one step wide is luck in the tuning rows, a broad rise is not.
#: Chosen where choosing is allowed (docs/benchmarks.md, "Thresholds"): Care Opinion split
#: seeds 0-2 mean macro-F1 0.352 -> 0.362, corpus dev unchanged.
SMOOTH_STEPS = 2


def best_f1_threshold(
    y_true: np.ndarray, scores: np.ndarray, smooth: int = SMOOTH_STEPS,
    most_tagged: float | None = MOST_TAGGED,
) -> float:
    """Threshold maximising F1 for one label, F1 averaged over `smooth` thresholds either
    side first, among those tagging at most `most_tagged` times the label's notes (None: any).
    0.5 when the label never occurs; when its best such F1 is below `MIN_USEFUL_F1`, 0.5 or
    the lowest threshold above it that tags no more notes than that.

    Ties are broken towards the middle of the best plateau so a small shift in scores does
    not flip the decision (less over-fitting to the tuning rows).
    """
    y = np.asarray(y_true).astype(bool)
    if not y.any():
        return DEFAULT_THRESHOLD
    pred = np.asarray(scores)[:, None] >= GRID[None, :]
    tp = (pred & y[:, None]).sum(axis=0)
    fp = (pred & ~y[:, None]).sum(axis=0)
    fn = y.sum() - tp
    f1 = np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    fits = np.ones(len(GRID), dtype=bool)
    if most_tagged is not None:  # a threshold that tags too many notes is no choice
        fits = tp + fp <= most_tagged * y.sum()
        f1 = np.where(fits, f1, 0.0)
    if f1.max() < MIN_USEFUL_F1:
        # not learned: the default, or higher where even that would tag too many notes (a
        # label's scores under balanced class weights can sit near 0.5 on every note)
        above = np.flatnonzero(fits & (GRID >= DEFAULT_THRESHOLD))
        return float(GRID[above[0]]) if above.size else float(GRID[-1])
    if smooth:
        window = np.ones(2 * smooth + 1) / (2 * smooth + 1)
        f1 = np.convolve(np.pad(f1, smooth, mode="edge"), window, mode="valid")
    best = np.flatnonzero(f1 >= f1.max() - 1e-9)
    return float(GRID[best[len(best) // 2]])


def tune_thresholds(
    Y: np.ndarray, P: np.ndarray, smooth: int = SMOOTH_STEPS,
    most_tagged: float | None = MOST_TAGGED,
) -> np.ndarray:
    """One F1-maximising threshold per label column (`best_f1_threshold`)."""
    return np.array([best_f1_threshold(Y[:, j], P[:, j], smooth, most_tagged)
                     for j in range(Y.shape[1])])


def floor_rare(thresholds: np.ndarray, examples: np.ndarray) -> np.ndarray:
    """`thresholds`, but not below `DEFAULT_THRESHOLD` for labels with fewer than
    `MIN_TUNING_POSITIVES` training examples (counted over all training notes: a backend
    may tune on a slice of them, where a well-attested label is rare by chance)."""
    thresholds = np.asarray(thresholds, dtype=float)
    rare = np.asarray(examples) < MIN_TUNING_POSITIVES
    return np.where(rare, np.maximum(thresholds, DEFAULT_THRESHOLD), thresholds)


def tuned_f1(Y: np.ndarray, P: np.ndarray) -> tuple[float, float]:
    """(macro, micro) F1 after tuning per-label thresholds on these same rows.

    Optimistic as an absolute number, but equally so for every candidate scored on the
    same rows, which is all model selection needs: how well the scores separate each
    label, so the thresholds here are the raw best, not smoothed nor held to
    `MOST_TAGGED` (the choice of model is as it was before that rule). Labels that never
    occur count as 0.
    """
    y = np.asarray(Y).astype(bool)
    pred = np.asarray(P) >= tune_thresholds(y, P, smooth=0, most_tagged=None)
    tp = (pred & y).sum(axis=0)
    denom = pred.sum(axis=0) + y.sum(axis=0)
    f1 = np.where(y.any(axis=0), 2 * tp / np.maximum(denom, 1), 0.0)
    micro = 2 * tp.sum() / max(int(denom.sum()), 1)
    return float(f1.mean()), float(micro)


def recall_threshold(y_true: np.ndarray, scores: np.ndarray, target: float = 0.95) -> float:
    """Highest threshold whose recall on these scores is at least `target`.

    Used for the safeguarding flag, where a missed note costs far more than a false alarm.
    """
    y = np.asarray(y_true).astype(bool)
    pos = np.sort(np.asarray(scores)[y])
    if pos.size == 0:
        return DEFAULT_THRESHOLD
    # keep at least ceil(target * n) positives at or above the threshold
    keep = int(np.ceil(target * pos.size))
    return float(max(pos[pos.size - keep] - 1e-6, 0.0))
