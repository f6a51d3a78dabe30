"""Tagging notes against a codebook: categories, evidence sentences, safeguarding, experience.

The rest of insight uses `TagModel` (and `default_model()` for the shipped codebook).
Names are loaded on first use (PEP 562), so code that needs only the safeguarding phrase
list or the sentence cutter does not pay for scikit-learn.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from insight.classify.backend import ModelFormatError
    from insight.classify.data import LabelledData, LabelReport, evaluate, load_labelled
    from insight.classify.default import default_model
    from insight.classify.model import NoteTags, TagModel

#: The file that makes a folder a tag model (what it is, its labels, how it was made):
#: here, so code that only finds or reads a model does not load the classifier.
MODEL_FILE = "model.json"
#: The category classifiers a model can be trained with (`backend.backend_class`): here, so
#: a command checks the name before loading any of them.
BACKEND_NAMES = ("sklearn", "spacy", "ensemble")

#: A category the model learnt from fewer training notes than this is "learnt from few
#: examples": its tags need a person's check, whatever confidence they show. Measured on
#: the shipped corpus (workspaces of 200 and 800 of its notes adding a category labelled
#: on 5, 10 or 20 of them, scored on 1,444 notes it never saw): such tags came at
#: confidence up to 0.95, and of those at 0.6 or more, 0 of 1, 1 of 3, 65% or 95% were
#: right, by category, with nothing in the confidence to tell which (a category with about
#: 100 examples: 0.84 shown, 87% right); one learnt from 5 was also put on 164 of 1,200 new
#: notes, 31% rightly, each near 0.03. Calibration cannot mend it: it is fitted on those
#: same few notes. Every category of the shipped corpus has hundreds: the default model
#: has none.
FEW_TO_TRUST = 30


#: A category scored on fewer examples than this in the data (`insight evaluate`, the
#: card, the report) is "too few to judge": one note more or less moves its F1 by a tenth
#: or more, so its figures are shown, marked, and never named as the best or worst.
FEW_TO_SCORE = 10

#: Trained on fewer labelled notes than this, or with most categories learnt from fewer than
#: `FEW_TO_SCORE` examples, `insight train` ends by saying the figures mean little: the
#: measure is scored on a fifth of them (or by cross-validation), a handful per category.
SMALL_DATA_ROWS = 100


def learnt_from_few(metadata: Mapping[str, Any]) -> dict[str, int]:
    """The categories a model learnt from fewer than `FEW_TO_TRUST` training notes, each
    with how many (0: from the codebook's wording alone), in the model's order; from the
    `label_counts` of its metadata (`model.json`), so read without loading the model."""
    counts = metadata.get("label_counts") or {}
    return {label: int(n) for label, n in counts.items() if int(n) < FEW_TO_TRUST}


def small_data(rows: int, counts: Mapping[str, int]) -> str | None:
    """Why a model's training data is too small for its figures to mean much (`rows`
    labelled notes, `counts` examples per category), in words for the end of `insight
    train`; None when it is not. It is said, not refused: a sketch of a model is still
    useful to label more notes with."""
    thin = [c for c, n in counts.items() if n < FEW_TO_SCORE]
    reasons = []
    if rows < SMALL_DATA_ROWS:
        reasons.append(f"only {rows} labelled note{'s' if rows != 1 else ''} "
                       f"(under {SMALL_DATA_ROWS})")
    if counts and 2 * len(thin) > len(counts):
        reasons.append(f"{len(thin)} of its {len(counts)} categories have fewer than "
                       f"{FEW_TO_SCORE} examples")
    if not reasons:
        return None
    return (f"this model learnt from too little data for its figures to mean much: "
            f"{' and '.join(reasons)}. Its tags, the confidence shown with them and any score "
            "it is given can change a lot with a few notes more or less: treat it as a "
            f"sketch, check its tags, and label more notes ({SMALL_DATA_ROWS} or more, and "
            f"{FEW_TO_TRUST} a category, before trusting it), then train again")


def missing_model_folder(directory: Path) -> str | None:
    """Why `directory`, named as a model folder, is not there (with a did-you-mean for a
    folder beside it named like it: `m-skk` for `m-sk`), or None when it is a folder.
    Cheap, so commands check it before loading anything."""
    from insight.choices import folder_named_like

    if directory.is_dir():
        return None
    if directory.name == MODEL_FILE and directory.is_file():
        return f"{directory}: give the model's folder, {directory.parent}, not its {MODEL_FILE}"
    if directory.exists():
        return f"{directory}: not a folder (a model is a folder holding {MODEL_FILE})"
    near = folder_named_like(directory, MODEL_FILE) or folder_named_like(directory)
    return f"{directory}: no such folder" + (f"; did you mean {near}?" if near else "")


def check_model_target(path: Path) -> None:
    """Refuse to write a model over a file or into a folder of other things."""
    if path.exists() and not path.is_dir():
        raise FileExistsError(f"{path} is a file, not a model folder")
    if path.is_dir() and any(path.iterdir()) and not (path / MODEL_FILE).is_file():
        raise FileExistsError(
            f"{path} is not empty and holds no model: choose a new or empty folder"
        )


_WHERE = {
    "ModelFormatError": "backend",
    "LabelReport": "data",
    "LabelledData": "data",
    "evaluate": "data",
    "load_labelled": "data",
    "default_model": "default",
    "NoteTags": "model",
    "TagModel": "model",
}

__all__ = [
    "FEW_TO_SCORE",
    "FEW_TO_TRUST",
    "LabelReport",
    "LabelledData",
    "ModelFormatError",
    "NoteTags",
    "TagModel",
    "default_model",
    "evaluate",
    "learnt_from_few",
    "load_labelled",
    "missing_model_folder",
    "small_data",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
