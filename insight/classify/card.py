"""MODEL_CARD.md: the human-readable record of what a model is and how well it did."""

from __future__ import annotations

import json
from pathlib import Path
from string import Template
from typing import Any

import numpy as np

from insight.classify import FEW_TO_SCORE, FEW_TO_TRUST, learnt_from_few
from insight.classify.calibration import Calibration
from insight.resources import models_dir

CARD_FILE = "MODEL_CARD.md"
TEMPLATE_FILE = "MODEL_CARD.template.md"


#: Said of codebook categories with no labelled example: the codebook's wording joins the
#: training rows, so such a category can still be tagged, but seldom and unreliably.
NO_EXAMPLES_SAID = ("- Codebook categories with no labelled example (learned from the "
                    "codebook's wording alone, if at all: seldom tagged, and not to be "
                    "trusted when they are): ")


def _categories(n: int) -> str:
    return f"{n} categor{'y' if n == 1 else 'ies'}"


def _listed(found: dict[str, int]) -> str:
    return ", ".join(f"{lab} ({n})" for lab, n in found.items()) or "none"


def too_few_to_judge(m: dict[str, Any]) -> bool:
    """Whether a category's figures rest on too few examples in the data to judge it by
    (fewer than `FEW_TO_SCORE`, but some)."""
    return 0 < (m.get("support") or 0) < FEW_TO_SCORE


def scoring_scope(metrics: dict[str, Any]) -> list[str]:
    """What the scores of `evaluate` cover, in words: which rows of the file were scored
    (and why the others were not), which categories were scored (data coded for only some
    of them), which had no examples (not tested) or too few to judge, and so what micro-
    and macro-F1 are over. One wording for `insight evaluate` and the model card, so the
    figures and what explains them agree. [] when every row and category was scored and
    tested on enough examples."""
    per_label = metrics.get("per_label") or {}
    not_scored = metrics.get("labels_not_scored") or []
    untested = [name for name, m in per_label.items() if m.get("support") == 0]
    lines = []
    if left_out := metrics.get("rows_left_out"):
        lines.append(
            f"scored {metrics.get('n_notes')} of the {metrics.get('rows_in_file')} rows in the "
            f"file (not used: {_listed(left_out)})"
            + ("; fix the misspelt labels and evaluate again" if left_out.get(
                "a misspelt label") else "")
        )
    if not_scored:
        total = len(per_label) + len(not_scored)
        lines.append(
            f"scored {len(per_label)} of the model's {_categories(total)}: the data codes "
            f"only these (not scored: {', '.join(not_scored)})"
        )
    if not_scored or untested:
        lines.append(
            f"micro-F1 counts the tags in the {_categories(len(per_label))} scored; macro-F1 "
            f"averages the {len(per_label) - len(untested)} with examples here"
            + (f"; not tested (no examples): {', '.join(untested)}" if untested else "")
        )
    if few := {name: m["support"] for name, m in per_label.items() if too_few_to_judge(m)}:
        lines.append(
            f"too few examples here to judge (under {FEW_TO_SCORE}): {_listed(few)}; their "
            "figures are shown, but one note more or less moves them a lot"
        )
    return lines


def confidence_said(metrics: dict[str, Any]) -> str | None:
    """What the model's confidence meant on the data it was scored on, in one plain
    sentence from the tags it gave ("tags given at a confidence of 0.6 to 0.8 were right
    about 6 times in 10"), with the calibration error over those tags in words; None when
    it gave no tag (or the figures were not kept)."""
    bands = metrics.get("confidence_bands") or []
    if not bands:
        return None
    # the band around 0.7 (a confident tag) if it has enough tags to say, else the fullest
    band = next((b for b in bands if b["from"] <= 0.7 < b["to"] and b["tags"] >= FEW_TO_SCORE),
                max(bands, key=lambda b: b["tags"]))
    tags = band["tags"]
    said = (f"tags given at a confidence of {band['from']:.1f} to {band['to']:.1f} "
            f"({band['mean_confidence']:.2f} on average) were right "
            + (f"about {_times_in_10(band['right'] / tags)} ({band['right']} of {tags} "
               "tags)" if tags >= FEW_TO_SCORE else
               f"{band['right']} times in {tags}: too few tags to judge by"))
    gap = metrics.get("tag_calibration_error")
    if gap is not None:
        said += (f"; over all its tags, the confidence shown was on average {gap:.2f} away "
                 "from how often tags like it were right (the calibration error; 0 would "
                 "be exact)")
    return "what the confidence means on this data: " + said


def _metrics_markdown(metrics: dict[str, Any] | None) -> str:
    if not metrics:
        return (
            "Not evaluated yet (run `insight evaluate --model DIR --data FILE` on held-out notes)."
        )
    lines = []
    if "data" in metrics:
        lines.append(f"Evaluated on: {metrics['data']}\n")
    lines += [f"{line[0].upper()}{line[1:]}.\n"
              for line in [*scoring_scope(metrics), *filter(None, [confidence_said(metrics)])]]
    summary = {k: v for k, v in metrics.items() if isinstance(v, int | float)}
    lines += ["| measure | value |", "|---|---:|"]
    lines += [
        f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |"
        for k, v in summary.items()
    ]
    per_label = metrics.get("per_label") or {}
    if per_label:
        lines += [
            "",
            "| category | precision | recall | F1 | support |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, m in per_label.items():
            if m.get("support") == 0:  # F1 0.000 would read as a score: nothing was measured
                lines.append(f"| {name} | | | not tested (no examples) | 0 |")
                continue
            precision = "never tagged" if m["precision"] is None else f"{m['precision']:.3f}"
            judge = " (too few to judge)" if too_few_to_judge(m) else ""
            lines.append(
                f"| {name} | {precision} | {m['recall']:.3f} | "
                f"{m['f1']:.3f}{judge} | {m['support']} |"
            )
        lines += [f"| {name} | | | not scored (not coded in the data) | |"
                  for name in metrics.get("labels_not_scored") or []]
    return "\n".join(lines)


def _describe(part: dict[str, Any]) -> str:
    method = part.get("method", "unknown")
    extra = part.get("classifier") or {}
    bits = [f"{k}={v}" for k, v in extra.items() if k in ("threshold", "oof_recall", "classes")]
    reason = f" ({part['reason']})" if part.get("reason") else ""
    rule = f"; {part['rule']}" if part.get("rule") else ""
    source = f", learned from {part['learned_from']}" if part.get("learned_from") else ""
    if extra.get("valence"):  # the experience classifier's word lexicon
        valence = extra["valence"]
        source += (f", reading words' tone from the {valence['source']} lexicon "
                   f"({valence['words']:,} words)")
    return f"{method}{source}{rule}{reason}" + (f"; {', '.join(bits)}" if bits else "")


def _confidence_at_threshold(meta: dict[str, Any], labels: list[str]) -> dict[str, str]:
    thresholds = np.asarray(meta.get("thresholds", []), dtype=float)
    if not meta.get("calibration") or len(thresholds) != len(labels):
        return {}
    calibration = Calibration.from_json(meta["calibration"], len(labels))
    at = calibration.apply(thresholds[None, :])[0]
    return {name: f"{value:.2f}" for name, value in zip(labels, at, strict=True)}


def _times_in_10(share: float) -> str:
    """A share in the words leads read confidence in: "6 times in 10", "1 time in 10" and
    under it "less than 1 time in 10"."""
    n = round(10 * share)
    return "less than 1 time in 10" if n < 1 else f"{n} time{'s' if n != 1 else ''} in 10"


FEW_CALIBRATION_ROWS = 100


def _calibration_text(calibration: dict[str, Any] | None) -> str:
    if not calibration:
        return "not calibrated (model saved before calibration existed): raw scores."
    rows = calibration["fitted_on_rows"]
    text = (
        f"Platt scaling per category, fitted on {rows} held-out training notes (out-of-fold "
        "or hold-out scores, the same the thresholds were tuned on)"
    )
    if rows < FEW_CALIBRATION_ROWS:
        return text + f"; with fewer than {FEW_CALIBRATION_ROWS} notes the confidence is rough."
    return text + ", so a tag at 0.7 was right about 7 times in 10 there."


def _training_data_text(facts: dict[str, Any] | None, codebook: bool = True) -> str:
    """How `insight train` read its notes (see `LabelReport.card_facts` and
    `tagging.train_from_store`)."""
    if not facts:
        return "Not recorded (the shipped corpus, or an older model)."

    if "workspace_counts" in facts:  # a workspace model (`tagging.train_from_store`)
        lines = [
            f"- Notes: {facts.get('file')}",
            f"- The workspace's labelled notes: {facts.get('rows')}; per category: "
            f"{_listed(facts['workspace_counts'])}",
        ]
        if facts.get("few_examples"):
            lines.append("- Categories with fewer than 5 examples (threshold not tuned, kept "
                         f"at 0.5 or above; least reliable): {_listed(facts['few_examples'])}")
        if facts.get("no_examples"):
            lines.append(NO_EXAMPLES_SAID + ", ".join(facts["no_examples"]))
        return "\n".join(lines)
    dropped = {why: n for why, n in facts.get("rows_dropped", {}).items() if n}
    lines = [
        f"- File: `{facts.get('file')}`: {facts.get('rows_used')} of {facts.get('rows')} rows "
        "used" + (f" (not used: {_listed(dropped)})" if dropped else "")
        + (f"; {n} of them with no label, learned as notes with no category"
           if (n := facts.get("rows_without_label")) else ""),
        f"- Labels below `--min-count {facts.get('min_count')}`, dropped: "
        f"{_listed(facts.get('below_min_count', {}))}",
        *([f"- Labels not in the codebook, dropped: {_listed(facts.get('unknown', {}))}"]
          if codebook else []),
        f"- Labels with fewer than 5 examples (threshold not tuned, kept at 0.5 or above; "
        "least reliable): "
        f"{_listed(facts.get('few_examples', {}))}",
    ]
    if facts.get("no_examples"):
        lines.append(NO_EXAMPLES_SAID + ", ".join(facts["no_examples"]))
    return "\n".join(lines)


def few_examples_text(few: dict[str, int]) -> str:
    """The categories a model learnt from few examples, with how many, and what that means
    for their tags, in one wording for the card and `insight train`/`tag`/`classify`."""
    listed = ", ".join(f"{c} ({n})" for c, n in few.items())
    it, its = ("it", "its") if len(few) == 1 else ("them", "their")
    return (f"{_categories(len(few))} learnt from fewer than {FEW_TO_TRUST} examples: "
            f"{listed}. The model's tags in {it}, and the confidence shown with them, rest "
            f"on those few notes, so check them: `insight notes queue` lists the notes tagged "
            f"with {it} whatever the confidence, and `insight notes show` marks {its} tags "
            f"\"few examples\"; label more notes ({FEW_TO_TRUST} or more a category) and "
            "train again")


def weak_categories(metadata: dict[str, Any]) -> tuple[str, dict[str, dict[str, Any]]]:
    """Where a model was checked on notes it had not learned from, and the categories that
    check found it never tagged, or tagged with an F1 below `MIN_USEFUL_F1`, among those
    the notes have: its held-out evaluation (`metrics`, a workspace model's), else the
    backend's own held-out notes (`held_out`, every model trained since it was recorded).
    ("", {}) where neither was recorded."""
    from insight.classify.thresholds import MIN_USEFUL_F1

    metrics = metadata.get("metrics") or {}
    if metrics.get("per_label"):
        n = metrics.get("n_notes", "?")
        where = (f"the {n} notes, each scored by a model trained without it"
                 if "cross-validation" in str(metrics.get("data")) else
                 f"the {n} notes held out")
        check = metrics["per_label"]
    elif (held := metadata.get("held_out") or {}).get("per_label"):
        where, check = held.get("said") or "its held-out notes", held["per_label"]
    else:
        return "", {}
    return where, {name: m for name, m in check.items()
                   if m.get("support") and (m.get("precision") is None
                                            or m.get("f1", 0.0) < MIN_USEFUL_F1)}


def weak_categories_text(metadata: dict[str, Any]) -> str:
    """What `weak_categories` found, and what it means for the counts, in words ("" where
    it found none): said at the end of `insight train`, whatever the backend."""
    from insight.classify.thresholds import MIN_USEFUL_F1

    where, weak = weak_categories(metadata)
    if not weak:
        return ""

    def how(m: dict[str, Any]) -> str:
        has = f"{m['support']} of those notes {'has' if m['support'] == 1 else 'have'} it"
        if m.get("precision") is None:
            return f"never tagged; {has}"
        tagged = f", tagged on {m['tagged']}" if m.get("tagged") is not None else ""
        return f"F1 {m['f1']:.2f}; {has}{tagged}"

    listed = "; ".join(f"{name} ({how(m)})" for name, m in weak.items())
    it = "it" if len(weak) == 1 else "them"
    return (f"checked on {where}, the model never tagged or scored an F1 below "
            f"{MIN_USEFUL_F1:g} in {_categories(len(weak))}: {listed}. Its counts of {it} in "
            f"roll-ups and reports will miss notes or count wrong ones: rely on people's "
            f"labels there, and label more notes in {it} before training again")


def ensemble_text(settings: dict[str, Any]) -> str:
    """Which weight an ensemble chose and what that means, from its settings ("" for
    another backend): chosen in silence, sklearn alone read as an ensemble."""
    if "sklearn_weight" not in settings:
        return ""
    weight = float(settings["sklearn_weight"])
    scores = {float(w): v for w, v in (settings.get("weight_scores") or {}).items()}
    on = settings.get("weighed_on")
    where = f"the {on} training notes spaCy held out" if on else "the notes spaCy held out"
    alone = scores.get(1.0)
    mixed = max((v for w, v in scores.items() if w < 1.0), default=None)
    if weight >= 1.0:
        return (f"ensemble: spaCy not used: it did no better on {where}"
                + (f" (macro-F1 {alone:.2f} with scikit-learn alone, {mixed:.2f} at best with "
                   "spaCy)" if alone is not None and mixed is not None else "")
                + ": its tags are scikit-learn's alone, as `--backend sklearn` gives")
    chosen = scores.get(weight)
    return (f"ensemble: scores are {weight:.0%} scikit-learn's and {1 - weight:.0%} spaCy's, "
            f"the mix that did best on {where}"
            + (f" (macro-F1 {chosen:.2f}, against {alone:.2f} for scikit-learn alone)"
               if chosen is not None and alone is not None else ""))


def _replaced_text(replaced: dict[str, Any] | None) -> str:
    if not replaced:
        return ""
    score = replaced.get("held_out_macro_f1")
    return (f"\n- Replaced model {replaced.get('model_version') or '?'} "
            f"({replaced.get('backend') or '?'}"
            + (f", held-out macro-F1 {score:.3f}" if score is not None else "")
            + f"), kept in `{replaced.get('kept_in')}` beside this one")


def _parameters_text(parameters: dict[str, Any]) -> str:
    """The parameters given; those left unset (the spaCy backend's, read from its config)
    are said to be so rather than shown as null."""
    given = {k: v for k, v in parameters.items() if v is not None}
    unset = [k for k, v in parameters.items() if v is None]
    return (f"`{json.dumps(given, default=str)}`"
            + (f" ({', '.join(unset)}: from its config, in the settings used)" if unset else ""))


def _has_codebook(codebook: dict[str, Any]) -> bool:
    return bool(codebook.get("id") or codebook.get("version"))


def _codebook_text(codebook: dict[str, Any]) -> str:
    if not _has_codebook(codebook):  # `insight train --data` without --codebook
        return "none: the categories are the training data's own labels"
    version = codebook.get("version")
    return f"{codebook.get('id') or 'custom'} " + (f"version {version}" if version
                                                   else "(no version given)")


def render_card(doc: dict[str, Any]) -> str:
    """Fill the card template from a model.json document."""
    meta = doc.get("metadata", {})
    codebook = meta.get("codebook") or {}
    counts = meta.get("label_counts", {})
    labels = meta.get("labels", [])
    thresholds = dict(zip(labels, meta.get("thresholds", []), strict=False))
    at = _confidence_at_threshold(meta, labels)
    few = learnt_from_few(meta)
    rows = "\n".join(
        f"| {name} | {counts.get(name, '?')}{' (few)' if name in few else ''} | "
        f"{thresholds.get(name, '?')} | {at.get(name, '?')} |"
        for name in labels
    )
    lowest = min(at.items(), key=lambda kv: float(kv[1]), default=None)
    template = Template((models_dir() / TEMPLATE_FILE).read_text(encoding="utf-8"))
    return template.safe_substitute(
        model_version=doc.get("model_version", ""),
        backend=meta.get("backend", doc.get("backend", "")),
        codebook=_codebook_text(codebook),
        categories_from=("from the codebook" if _has_codebook(codebook)
                         else "learned from its training data's labels"),
        data_sha256=meta.get("training_data_sha256", ""),
        n_train=meta.get("n_train", "?"),
        created=meta.get("created", ""),
        insight_version=meta.get("insight_version", ""),
        parameters=_parameters_text(meta.get("parameters", {})),
        threshold_from=("a held-out part of the training notes"
                        if (meta.get("settings") or {}).get("holdout")
                        else "out-of-fold training predictions"),
        settings=json.dumps(meta.get("settings", {}), default=str),
        safeguarding=_describe(meta.get("safeguarding", {})),
        experience=_describe(meta.get("experience", {})),
        evidence=meta.get("evidence", ""),
        label_rows=rows,
        training_data=_training_data_text(meta.get("training_data"), _has_codebook(codebook))
        + _replaced_text(meta.get("replaced")),
        calibration=_calibration_text(meta.get("calibration")),
        metrics=_metrics_markdown(meta.get("metrics")),
        few_to_trust=FEW_TO_TRUST,
        # the lowest, as an example of what a low one means
        lowest_threshold=(f" ({lowest[0]} is tagged from {lowest[1]}: a tag there is right "
                          f"about {_times_in_10(float(lowest[1]))})"
                          if lowest and float(lowest[1]) < 0.5 else ""),
        few_examples=(few_examples_text(few) + "." if few else
                      f"every category had {FEW_TO_TRUST} training examples or more."
                      if counts else "how many examples each category had is not recorded."),
    )


def write_model_card(model_dir: str | Path, metrics: dict[str, Any] | None = None) -> Path:
    """Record `metrics` in model.json (if given) and rewrite MODEL_CARD.md from it."""
    from insight.classify.model import MODEL_FILE, read_model_json

    directory = Path(model_dir)
    doc = read_model_json(directory)
    if metrics:
        doc.setdefault("metadata", {})["metrics"] = metrics
        (directory / MODEL_FILE).write_text(
            json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    card = directory / CARD_FILE
    card.write_text(render_card(doc), encoding="utf-8")
    return card
