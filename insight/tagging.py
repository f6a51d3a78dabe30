"""Tag: train a workspace model from people's labels and tag the notes that have no tags.

The classifier itself lives in `insight.classify` behind one interface (`TagModel`);
this module only moves notes between the store and the model.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # the classifier loads scikit-learn and spaCy: only where it is used,
    # so a lead's review (`review_note`) answers at once
    from insight.classify.data import LabelledData
    from insight.classify.model import TagModel
from insight.codebook import Codebook, category_key
from insight.intake import some_of
from insight.store import ModelTagging, Store, StoreError


class TaggingError(RuntimeError):
    """Not enough labelled notes, or no model to tag with."""


def labelled_notes(
    store: Store, listeners: list[str | None] | None = None
) -> tuple[list[str], list[list[str]], list, list]:
    """Texts, people's categories, safeguarding and experience of labelled live notes (and
    into `listeners`, when given, each note's listener)."""
    texts: list[str] = []
    ids: list[str] = []
    safeguarding: list[bool | None] = []
    experience: list[str | None] = []
    for batch in store.iter_notes(labelled=True):
        for note in batch:
            ids.append(note["id"])
            texts.append(note["text"])
            safeguarding.append(note["safeguarding"])
            experience.append(note["experience"])
            if listeners is not None:
                listeners.append(note["listener"])
    by_note: dict[str, list[str]] = {i: [] for i in ids}
    for tag in store.tags_for(ids):
        if tag["source"] == "person":
            by_note[tag["note_id"]].append(tag["category"])
    return texts, [by_note[i] for i in ids], safeguarding, experience


def learns_from_shipped_notes(codebook: Codebook) -> bool:
    """Whether the shipped corpus's labels mean what this codebook's do: it is the default
    codebook (same category ids and version)."""
    from insight.codebook import load_codebook

    default = load_codebook()
    return codebook.ids == default.ids and codebook.version == default.version


def train_from_store(
    store: Store,
    codebook: Codebook,
    out: Path,
    *,
    backend: str = "sklearn",
    seed: int = 0,
    shipped: bool | None = None,
    on_start: Callable[[], None] | None = None,
) -> TagModel:
    """Train the workspace model from people's labels and save it to `out`.

    On the default codebook it learns from the shipped corpus's training notes as well as
    the workspace's own (`shipped`, default: when `learns_from_shipped_notes`): a lead's
    first few dozen labelled notes alone would make a far weaker model than the default
    one it replaces, and re-tagging with it would strip categories from every note
    nobody reviewed. The model card records both sources and each category's count among
    the workspace's notes; `held_out` metrics are on the workspace's notes only.
    `on_start` is called once the notes are found fit to train on, before the long part.
    """
    from insight.classify.data import evaluate
    from insight.classify.default import shipped_experience_notes, shipped_safeguarding_notes
    from insight.classify.model import TagModel

    listeners: list[str | None] = []
    texts, labels, safeguarding, experience = labelled_notes(store, listeners)
    if shipped is None:
        shipped = learns_from_shipped_notes(codebook)
    if not shipped and len(texts) < 20:
        raise TaggingError(
            f"only {len(texts)} labelled notes in the workspace; at least 20 are needed "
            "(ingest notes with a `categories` field, or use `insight train --data FILE`)"
        )
    if on_start is not None:
        on_start()
    base = _shipped_training_notes(without=texts) if shipped else None
    flags = [bool(s) for s in safeguarding] if any(s is not None for s in safeguarding) else None
    feelings = experience if any(e is not None for e in experience) else None
    if base is not None:
        from insight.classify.default import load_safeguarding_audit

        extra = load_safeguarding_audit()  # the corpus's own flags are in `base`
    else:
        extra = shipped_safeguarding_notes()

    # how a person felt does not depend on the codebook: without the shipped notes in
    # `base`, a model learns it from them when the workspace's notes carry none
    feelings_extra = None if base is not None else shipped_experience_notes()

    def fit(rows: Sequence[int], categories_only: bool = False) -> TagModel:
        own_flags = [flags[i] for i in rows] if flags else [False] * len(rows)
        own_feelings = [feelings[i] for i in rows] if feelings else [None] * len(rows)
        if base is not None:
            all_texts = base.texts + [texts[i] for i in rows]
            all_labels = base.labels + [labels[i] for i in rows]
            all_flags: list | None = (
                list(base.safeguarding or [False] * len(base.texts)) + own_flags
            )
            all_feelings: list | None = (
                list(base.experience or [None] * len(base.texts)) + own_feelings
            )
        else:
            all_texts = [texts[i] for i in rows]
            all_labels = [labels[i] for i in rows]
            all_flags = own_flags if flags else None
            all_feelings = own_feelings if feelings else None
        return TagModel.fit(
            all_texts,
            all_labels,
            label_names=codebook.ids,
            safeguarding=all_flags,
            experience=all_feelings,
            backend=backend,
            codebook_version=codebook.version,
            codebook_id=Path(codebook.path).stem if codebook.path else None,
            seed=seed,
            label_texts=codebook.label_texts(),
            # a probe that only scores categories skips learning from thousands of other
            # notes for safeguarding and experience, most of a small model's training time
            safeguarding_extra=None if categories_only else extra,
            experience_extra=None if categories_only else feelings_extra,
            category_names=codebook.names,
        )

    metrics = None
    if base is None and CV_MIN <= len(texts) < HOLDOUT_MIN:
        # too few notes to spare a fifth for one check, too many to give no measure: each
        # note is scored by a model trained without it (pooled k-fold), cheap at this size
        folds = _folds(labels, codebook.ids, seed, listeners)
        probes = [fit([i for i in range(len(texts)) if folds[i] != k], categories_only=True)
                  for k in range(max(folds) + 1)]
        by_listener = _named_listeners(listeners) >= HOLDOUT_LISTENERS
        metrics = evaluate(
            _OutOfFold(probes, folds),  # type: ignore[arg-type]
            texts, labels,
            data=f"{max(folds) + 1}-fold cross-validation on the workspace's {len(texts)} "
            "labelled notes (each scored by a model trained without it"
            + (", nor any note of its listener" if by_listener else "")
            + "; few notes, so a rough measure); the saved model is then trained on all of "
            "them",
        )
        metrics["held_out"] = {"folds": max(folds) + 1, "notes": len(texts),
                               "by_listener": by_listener}
    if len(texts) >= HOLDOUT_MIN:
        # Honest metrics for the card: a model trained without 20% of the workspace's notes
        # scored on them.
        train_rows, test_rows, unseen = _holdout(labels, codebook.ids, seed, listeners)
        probe = fit(train_rows)
        metrics = evaluate(
            probe,
            [texts[i] for i in test_rows],
            [labels[i] for i in test_rows],
            safeguarding=[flags[i] for i in test_rows] if flags else None,
            experience=[feelings[i] for i in test_rows] if feelings else None,
            data=(f"the labelled notes of {unseen} of the workspace's listeners, held out "
                  f"({len(test_rows)} notes; the model saw none of "
                  + ("this listener's notes)" if unseen == 1 else "these listeners' notes)")
                  if unseen else
                  f"held-out 20% of the workspace's labelled notes ({len(test_rows)} notes)")
            + "; the saved model is then trained on all of them",
        )
        # what was held out, for `insight train` to say as the card does
        metrics["held_out"] = {"notes": len(test_rows), "of": len(texts), "listeners": unseen,
                               "of_listeners": _named_listeners(listeners)}
    model = fit(range(len(texts)))
    if metrics is not None:
        model.metadata["metrics"] = metrics
    model.metadata["training_data"] = _workspace_facts(
        labels, codebook, len(base.texts) if base is not None else 0
    )
    replaced = keep_previous(Path(out))
    if replaced is not None:
        model.metadata["replaced"] = replaced
    model.save(out)
    return model


def keep_previous(out: Path) -> dict[str, Any] | None:
    """Copy the model about to be replaced to `<out>.previous` (replacing an older copy),
    so that a retrain that turns out worse can be undone; what it was (version, backend,
    held-out macro-F1), or None where there was no model."""
    import shutil

    from insight.classify.model import MODEL_FILE, ModelFormatError, read_model_json

    if not (out / MODEL_FILE).is_file():
        return None
    try:
        meta = read_model_json(out).get("metadata", {})
    except ModelFormatError:  # a model of another format is still kept, unnamed
        meta = {}
    backup = out.with_name(f"{out.name}.previous")
    if backup.exists():
        shutil.rmtree(backup)
    shutil.copytree(out, backup)
    return {"kept_in": backup.name, "model_version": meta.get("model_version"),
            "backend": meta.get("backend"),
            "held_out_macro_f1": (meta.get("metrics") or {}).get("macro_f1")}


def _shipped_training_notes(without: Sequence[str]) -> LabelledData:
    """The default model's training notes, less any the workspace holds too (its own
    labels for them win, and a note held out to score the model must not be trained on)."""
    from insight.classify.default import TRAINING_SPLITS, load_corpus
    from insight.classify.model import text_fingerprints

    own = set(text_fingerprints(list(without)))
    data, splits = load_corpus()
    return data.subset([
        i for i, n in enumerate(data.ids)
        if splits.get(n) in TRAINING_SPLITS and text_fingerprints([data.texts[i]])[0] not in own
    ])


def _workspace_facts(
    labels: Sequence[Sequence[str]], codebook: Codebook, shipped: int
) -> dict[str, Any]:
    """What the card and `insight train` say about the notes a workspace model learnt
    from (the shape of `LabelReport.card_facts`)."""
    from insight.classify.data import FEW_EXAMPLES

    counts = Counter(c for row in labels for c in row)
    own = {c: counts[c] for c in codebook.ids if counts[c]}
    return {
        "file": "the workspace's labelled notes"
        + (f" and the shipped corpus's training notes ({shipped})" if shipped else ""),
        "rows": len(labels),
        "rows_used": len(labels),
        "min_count": 1,
        "workspace_counts": own,
        "shipped_notes": shipped,
        # with the shipped notes every category has many examples
        "few_examples": {} if shipped else {c: n for c, n in own.items() if n < FEW_EXAMPLES},
        "no_examples": [] if shipped else [c for c in codebook.ids if not counts[c]],
        # people's labels the model cannot learn: the codebook renamed or dropped them
        "not_in_codebook": {c: n for c, n in sorted(counts.items())
                            if c not in set(codebook.ids)},
    }


HOLDOUT_MIN = 100


#: Listeners the labelled notes must come from before whole listeners are held out.
HOLDOUT_LISTENERS = 5
#: From this many labelled notes (and below `HOLDOUT_MIN`), a workspace model on its own
#: codebook is measured by pooled k-fold cross-validation.
CV_MIN = 20
CV_FOLDS = 5


def _listener_groups(listeners: Sequence[str | None]) -> list[str]:
    """Each note's listener as one group in any case and spacing; a note without one is a
    group of its own."""
    return [" ".join(name.casefold().split()) if name and name.strip() else f"\0{i}"
            for i, name in enumerate(listeners)]


def _named_listeners(listeners: Sequence[str | None] | None) -> int:
    return len({g for g in _listener_groups(listeners) if not g.startswith("\0")}) \
        if listeners else 0


def _folds(labels: Sequence[Sequence[str]], names: Sequence[str], seed: int,
           listeners: Sequence[str | None] | None) -> list[int]:
    """Each note's fold for pooled cross-validation: whole listeners per fold where the
    notes come from `HOLDOUT_LISTENERS` or more (as `_holdout`), else stratified by
    category."""
    n = len(labels)
    if listeners is not None and _named_listeners(listeners) >= HOLDOUT_LISTENERS:
        from sklearn.model_selection import GroupKFold

        groups = _listener_groups(listeners)
        k = min(CV_FOLDS, len(set(groups)))
        splits = GroupKFold(n_splits=k).split(np.zeros(n), groups=groups)
    else:
        from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

        Y = np.array([[name in row for name in names] for row in labels], dtype=int)
        splits = MultilabelStratifiedKFold(n_splits=CV_FOLDS, shuffle=True,
                                           random_state=seed).split(np.zeros(n), Y)
    fold = [0] * n
    for k, (_, test) in enumerate(splits):
        for i in test:
            fold[int(i)] = k
    return fold


class _OutOfFold:
    """k probes as one model for `evaluate`: each note is answered by the probe trained
    without it. Texts must come in the order `folds` was made for."""

    def __init__(self, probes: Sequence[TagModel], folds: Sequence[int]) -> None:
        self.probes, self.folds = list(probes), list(folds)
        self.labels = self.probes[0].labels
        self.metadata: dict[str, Any] = {}

    def _each(self, texts: Sequence[str], answer: Callable[[TagModel, list[str]], Any]
              ) -> list[Any]:
        out: list[Any] = [None] * len(texts)
        for k, probe in enumerate(self.probes):
            rows = [i for i, f in enumerate(self.folds) if f == k]
            if rows:
                for i, value in zip(rows, answer(probe, [texts[i] for i in rows]), strict=True):
                    out[i] = value
        return out

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._each(texts, lambda m, t: list(m.predict(t))))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._each(texts, lambda m, t: list(m.predict_proba(t))))

    def tag(self, texts: Sequence[str]) -> list[Any]:
        return self._each(texts, lambda m, t: m.tag(t))


def _holdout(
    labels: Sequence[Sequence[str]], names: Sequence[str], seed: int,
    listeners: Sequence[str | None] | None = None,
) -> tuple[list[int], list[int], int]:
    """Rows to train and to score the model card's measure on, and how many listeners the
    scored notes are all of (0: a stratified 20% of the notes).

    Where the notes come from `HOLDOUT_LISTENERS` listeners or more, about a fifth of the
    listeners are held out whole: a listener writes in stock phrases of their own, so notes
    by listeners the model trained on score it higher than a new listener's will (a lead's
    card said 0.87 held out, and 0.33 on notes written later)."""
    if listeners is not None:
        groups = _listener_groups(listeners)
        named = {g for g in groups if not g.startswith("\0")}
        if len(named) >= HOLDOUT_LISTENERS:
            from sklearn.model_selection import GroupShuffleSplit

            for attempt in range(20):  # a fifth of the listeners may hold most notes
                splitter = GroupShuffleSplit(n_splits=1, test_size=0.2,
                                             random_state=seed + attempt)
                train, test = next(splitter.split(np.zeros(len(groups)), groups=groups))
                if 0.1 <= len(test) / len(groups) <= 0.35:
                    return (sorted(train.tolist()), sorted(test.tolist()),
                            len({groups[i] for i in test} & named))
    from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit

    Y = np.array([[name in row for name in names] for row in labels], dtype=int)
    splitter = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)
    train, test = next(splitter.split(np.zeros(len(Y)), Y))
    return sorted(train.tolist()), sorted(test.tolist()), 0


def review_note(
    store: Store, note_id: str, categories: Sequence[str] | None, codebook: Codebook,
    *, no_longer: list[str] | None = None,
) -> list[str]:
    """A lead's decision: the given categories, or (None) accept the model's as they are.

    Accepting, a category of the model's that the codebook no longer has (retired since the
    note was tagged) is left out, not refused: the lead never typed it and could not keep it;
    it is added to `no_longer` for them to be told. Categories the lead gives are checked."""
    from insight.thread import check_categories

    note = store.get_note(note_id)
    if note is not None and note["erased_at"]:
        raise StoreError(f"note {note_id} was erased; there is nothing to review")
    if categories is None:
        tags = store.tags_for([note_id])
        chosen = [t["category"] for t in tags if t["source"] == "model"]
        if note is not None and not note["tagged_with"]:
            raise StoreError(
                f"note {note_id} has not been tagged by the model yet, so there is nothing to "
                "accept: run `insight tag`, or give its categories with --category"
            )
        people = [t["category"] for t in tags if t["source"] == "person"]
        if note is not None and note["labelled"] and sorted(people) != sorted(chosen):
            raise StoreError(
                f"note {note_id} already has categories from a person "
                f"({', '.join(people) or 'no category'}); accepting the model's "
                f"({', '.join(chosen) or 'no category'}) would replace them: give --category "
                "to change them"
            )
        chosen, retired = split_retired(chosen, codebook)
        if retired and not chosen:
            raise StoreError(
                f"the model's categories on note {note_id} ({', '.join(retired)}) are no "
                "longer in the codebook, so there is nothing to accept: give its categories "
                "with --category ID (repeat; --category none for no category)")
        if no_longer is not None:
            no_longer.extend(c for c in retired if c not in no_longer)
    else:  # by id or name, in any spelling
        chosen = list(dict.fromkeys(codebook.category_id(c) or c for c in categories))
    # the model's too: tags from a model of another codebook are not accepted as a person's
    check_categories(chosen, codebook.names)
    store.set_person_tags(note_id, chosen, codebook_version=codebook.version)
    return chosen


def model_reviews(store: Store, note_ids: Sequence[str]) -> dict[str, int]:
    """How the model's categories fared where a person reviewed a note after the model
    tagged it: `reviewed` notes, `changed` (the person's categories differ), of `tagged`
    (notes the model read). The local
    measure beside the model card's: a report says how often leads here corrected it.
    Notes labelled before the model read them (in the listener's file) are not reviews,
    nor are notes the model tagged again after the review (it may have learned them)."""
    wanted = set(note_ids)
    read = [n for batch in store.iter_notes() for n in batch
            if n["id"] in wanted and n["tagged_at"] is not None]
    notes = {n["id"]: n for n in read if n["labelled"]}
    given: dict[str, dict[str, list[Any]]] = {i: {"model": [], "person": []} for i in notes}
    for tag in store.tags_for(list(notes)):
        given[tag["note_id"]][tag["source"]].append(tag)
    out = {"tagged": len(read), "reviewed": 0, "changed": 0}
    for note_id, note in notes.items():
        person = given[note_id]["person"]
        # a review with no category leaves no tag: the note's last change stands for it
        reviewed_at = min((t["created_at"] for t in person), default=note["updated_at"])
        if reviewed_at <= note["tagged_at"]:
            continue
        out["reviewed"] += 1
        out["changed"] += ({t["category"] for t in person}
                           != {t["category"] for t in given[note_id]["model"]})
    return out


def with_changes(store: Store, note_id: str, add: Sequence[str], drop: Sequence[str],
                 codebook: Codebook, *, no_longer: list[str] | None = None) -> list[str]:
    """A note's categories as they count now (a person's, else the model's) with some
    added and some dropped (by id or name): a lead correcting one tag need not retype the
    rest. A category dropped that the note does not have is refused, as a typo would be.
    One the note has that the codebook no longer has (retired since it was tagged) may be
    dropped by name; carried along, it is left out (the codebook cannot hold it) and added
    to `no_longer`, for the lead to be told."""
    from insight.thread import check_categories

    note = store.get_note(note_id)
    if note is None:
        raise store.no_note(note_id)
    source = "person" if note["labelled"] else "model"
    now = [t["category"] for t in store.tags_for([note_id]) if t["source"] == source]
    added = [codebook.category_id(c) or c for c in add]
    dropped = [codebook.category_id(c) or c for c in drop]
    check_categories(added + [c for c in dropped if c not in now], codebook.names)
    if missing := [c for c in dropped if c not in now]:
        raise StoreError(f"note {note_id} is not tagged {', '.join(missing)} "
                         f"(its categories: {', '.join(now) or 'none'}); nothing to drop")
    kept, retired = split_retired([c for c in now if c not in dropped], codebook)
    if no_longer is not None:
        no_longer.extend(c for c in retired if c not in no_longer)
    return list(dict.fromkeys(kept + added))


def split_retired(categories: Sequence[str], codebook: Codebook) -> tuple[list[str], list[str]]:
    """The categories the codebook has, and those it no longer has (retired or renamed
    since a note was tagged with them), each in the order given."""
    return ([c for c in categories if c in codebook],
            [c for c in categories if c not in codebook])


def decided_by_someone_else(store: Store, note_id: str) -> dict[str, Any] | None:
    """Who else gave the note's categories a person gave, when and what (None if no one
    else did): a second lead's review replaces the first's, which they should know."""
    people = [t for t in store.tags_for([note_id]) if t["source"] == "person"]
    others = [t for t in people if t["author"] != store.actor]
    if not others:
        return None
    return {"author": others[0]["author"], "at": max(t["created_at"] for t in others),
            "categories": [t["category"] for t in people],
            "renamed": renamed_labels(store, note_id)}


def renamed_labels(store: Store, note_id: str) -> dict[str, dict[str, Any]]:
    """A note's people's labels that `codebook rename` moved, category -> `from` (the id
    the person gave), `by` and `at` (who renamed it, when): the person chose the old
    category, not the new one, which matters where the rename was a split."""
    latest: dict[str, dict[str, Any]] = {}
    for entry in store.audit_log(note_id):  # oldest first: the last creation stands
        if entry["record_type"] == "tag" and entry["operation"] == "create" \
                and str(entry["record_id"]).endswith("/person"):
            latest[(entry["after"] or {}).get("category")] = entry
    return {category: {"from": entry["after"]["renamed_from"], "by": entry["actor"],
                       "at": entry["at"]}
            for category, entry in latest.items()
            if category and (entry["after"] or {}).get("renamed_from")}


PARALLEL_FROM = 20_000  # notes; below this, forking (~0.1 s) costs more than it saves


def workers_for(n_notes: int) -> int:
    """Processes worth using to tag this many notes: two on a big job, else one."""
    return min(2, os.cpu_count() or 1) if n_notes >= PARALLEL_FROM else 1


def check_model_fits(model: TagModel, codebook: Codebook, *, storing: bool = True) -> list[str]:
    """Whether a model tags with a codebook's categories; its warnings, for stderr.

    Storing tags (`insight tag`), a model that tags categories the codebook lacks is
    refused: no roll-up, report or review could use its tags. Otherwise (`classify -w`)
    that is a warning. Either way a codebook category the model cannot tag (added or renamed
    since it was trained) is a warning: the model tags no note with it, so it would show
    none."""
    labels = set(model.labels)
    foreign = [label for label in model.labels if label not in codebook.ids]
    missing = [category for category in codebook.ids if category not in labels]
    trained_on = model.metadata.get("codebook") or {}
    version = trained_on.get("version")
    if not trained_on.get("id") and not version:  # `train --data` without --codebook
        since = "it was trained without a codebook, on the labels its file spelt"
        if {category_key(label) for label in foreign} & {
                category_key(name) for name in (*codebook.ids, *codebook.names.values())}:
            since += ", names where the codebook has ids"
    else:
        since = f"it was trained on codebook {trained_on.get('id') or '?'} version " + (
            f"{version or '?'}; the workspace's is version {codebook.version}"
            if version != codebook.version else f"{version}")
    retrain = "train one on the workspace's codebook (`insight train`)"
    if not trained_on.get("id") and not version:
        retrain = ("train one on the workspace's codebook (`insight train`, or `insight train "
                   "--data FILE -w WORKSPACE`, which reads the file's labels with it)")
    warnings = []
    if foreign:
        # a category the model has and the codebook lacks, beside one the codebook has and
        # the model lacks: most often a rename, whose notes' tags must move first
        renamed = (f"; if the codebook renamed {foreign[0]}"
                   + (f" (to {missing[0]}?)" if len(missing) == 1 else "")
                   + ", first carry its notes' tags over (`insight codebook rename "
                   f"{foreign[0]} {missing[0] if len(missing) == 1 else 'NEW'}`)"
                   if missing else "")
        message = (
            f"model {model.model_version} tags categories that are not in this workspace's "
            f"codebook: {some_of(foreign, 8)} ({since}){renamed}; {retrain}"
        )
        if storing:
            raise TaggingError(message)
        warnings.append(message)
    if missing:
        one = len(missing) == 1
        warnings.append(
            f"model {model.model_version} cannot tag the codebook's "
            f"categor{'y' if one else 'ies'} {some_of(missing, 8)} ({since}), so no note "
            f"gets {'it' if one else 'them'} from the model; {retrain}"
        )
    return warnings


def tag_store(
    store: Store,
    model: TagModel,
    *,
    retag: bool = False,
    batch_size: int = 2000,
    n_process: int = 1,
    on_batch: Callable[[int], None] | None = None,
    changes: Counter[str] | None = None,
) -> int:
    """Tag notes without model tags (all live notes with `retag`); returns how many.

    `n_process > 1` tags each batch in that many forked processes (see
    `TagModel.iter_tag`); give it big batches (10,000 notes) so forking pays off.
    `changes` gathers what moved on notes tagged before (`Store.save_model_tags`)."""
    done = 0
    # Keyset pagination (id > last seen) keeps this streaming even as tags are written.
    for notes in store.iter_notes(untagged=not retag, batch_size=batch_size):
        batch = [(n["id"], n["text"]) for n in notes]
        results = model.tag([text for _, text in batch], n_process=n_process)
        moved = store.save_model_tags(
            [
                ModelTagging(
                    note_id=note_id,
                    scores=result.scores,
                    categories=result.categories,
                    evidence=result.evidence,
                    safeguarding=result.safeguarding,
                    experience=result.experience,
                    experience_confidence=result.experience_confidence,
                    safeguarding_why=result.safeguarding_why,
                    safeguarding_score=result.safeguarding_score,
                    safeguarding_threshold=result.safeguarding_threshold,
                )
                for (note_id, _), result in zip(batch, results, strict=True)
            ],
            model_version=model.model_version,
            codebook_version=model.codebook_version,
        )
        if changes is not None:
            changes.update(moved)
        done += len(batch)
        if on_batch:
            on_batch(len(batch))
    return done

