"""The default tag model: built from the shipped corpus on first use, then cached.

The cache key is a hash of the corpus, split, codebook and recipe, so a changed corpus or
a new insight version builds a fresh model instead of silently using a stale one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zlib
from pathlib import Path
from typing import Any

from insight import __version__
from insight.classify.data import LabelledData, evaluate, load_labelled
from insight.classify.model import MODEL_FILE, TagModel
from insight.codebook import load_codebook
from insight.resources import corpora_dir, default_codebook_path

DEFAULT_BACKEND = "sklearn"
DEFAULT_BACKEND_PARAMS: dict[str, Any] = {}
# 2: C chosen from a grid by CV, fold-model average
# 3: + best-sentence score mixed in, codebook wording as extra examples, own word hasher
RECIPE_VERSION = "3"
SEED = 0


def corpus_files() -> tuple[list[Path], Path | None]:
    """The shipped labelled notes and split file (the merged corpus if present, else batches)."""
    notes = corpora_dir() / "notes"
    merged = notes / "community-notes.jsonl"
    if merged.is_file():
        split = notes / "split.csv"
        return [merged], split if split.is_file() else None
    batches = sorted((notes / "batches").glob("batch-*.jsonl"))
    if not batches:
        raise FileNotFoundError(f"no labelled notes in {notes}")
    return batches, None


def corpus_hash() -> str:
    """Short hash of everything the default model is built from."""
    files, split = corpus_files()
    digest = hashlib.sha256(f"{RECIPE_VERSION}|{__version__}|{DEFAULT_BACKEND}".encode())
    for path in [*files, *([split] if split else []), default_codebook_path()]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _split_of(note_id: str) -> str:
    """Stable fallback split (80/10/10) by id, used only before split.csv exists."""
    bucket = zlib.crc32(note_id.encode("utf-8")) % 10
    return "test" if bucket == 0 else "dev" if bucket == 1 else "train"


def load_corpus() -> tuple[LabelledData, dict[str, str]]:
    """The shipped corpus as LabelledData plus each note id's split (train/dev/test)."""
    codebook = load_codebook()
    files, split_file = corpus_files()
    parts = [load_labelled(f, label_col="categories", known_labels=codebook.ids) for f in files]
    data = parts[0]
    for extra in parts[1:]:
        data = LabelledData(
            ids=data.ids + extra.ids,
            texts=data.texts + extra.texts,
            labels=data.labels + extra.labels,
            label_names=data.label_names,
            report=data.report,
            safeguarding=(data.safeguarding or []) + (extra.safeguarding or []),
            experience=(data.experience or []) + (extra.experience or []),
        )
    if split_file is not None:
        import pandas as pd

        frame = pd.read_csv(split_file, dtype=str)
        splits = dict(zip(frame["id"], frame["split"].str.strip().str.lower(), strict=True))
    else:
        splits = {i: _split_of(i) for i in data.ids}
    return data, splits


def build_default_model() -> TagModel:
    """Train on the train split and evaluate on the test split (metrics go in the card)."""
    codebook = load_codebook()
    data, splits = load_corpus()
    train = data.subset([i for i, n in enumerate(data.ids) if splits.get(n) == "train"])
    test = data.subset([i for i, n in enumerate(data.ids) if splits.get(n) == "test"])
    model = TagModel.fit(
        train.texts,
        train.labels,
        label_names=codebook.ids,
        safeguarding=train.safeguarding,
        experience=train.experience,
        backend=DEFAULT_BACKEND,
        backend_params=DEFAULT_BACKEND_PARAMS,
        codebook_version=codebook.version,
        codebook_id="enquiry",
        seed=SEED,
        label_texts=codebook.label_texts(),
    )
    if len(test):
        evaluate(
            model,
            test.texts,
            test.labels,
            safeguarding=test.safeguarding,
            experience=test.experience,
            data=f"shipped corpus, test split ({len(test)} notes)",
        )
    return model


def default_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """Where default models are cached: argument, else $INSIGHT_CACHE_DIR, else ~/.cache."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("INSIGHT_CACHE_DIR")
    root = Path(env) / "models" if env else Path.home() / ".cache" / "insight" / "models"
    return root


def default_model(cache_dir: str | Path | None = None) -> TagModel:
    """The default model: load it from the cache, or build and cache it on first use."""
    target = default_cache_dir(cache_dir) / f"default-{corpus_hash()}"
    if (target / MODEL_FILE).is_file():
        return TagModel.load(target)
    model = build_default_model()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        model.save(tmp)
        try:
            tmp.rename(target)
        except OSError:  # another process finished first; use its copy
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return TagModel.load(target)
