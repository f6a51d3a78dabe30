"""`TagModel`: the one object the rest of insight uses to tag notes.

It bundles a category classifier (any backend), the safeguarding flag (classifier OR the
reviewed phrase list) and the experience classifier, and finds the evidence sentence for
each predicted category. A saved model is a directory: `model.json` (labels, versions,
metadata), one folder per part, and a human-readable `MODEL_CARD.md`.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from spacy.language import Language

from insight import __version__
from insight.classify import MODEL_FILE, check_model_target, missing_model_folder
from insight.classify.backend import (
    ModelFormatError,
    ModelMissing,
    TaggerBackend,
    backend_class,
    load_backend,
)
from insight.classify.calibration import Calibration
from insight.classify.heads import ExperienceClassifier, SafeguardingClassifier
from insight.classify.safeguarding import SafeguardingPhrases
from insight.classify.sentences import (
    SplitNotes,
    sentence_pipeline,
    trimmed,
    without_stray_quote,
)
from insight.classify.thresholds import floor_rare

FORMAT = "insight-tag-model"
FORMAT_VERSION = 1
EXPERIENCE_VALUES = ("positive", "negative", "mixed", "neutral")
FALLBACK_EXPERIENCE = "neutral"


@dataclass
class NoteTags:
    """Machine tags for one note; evidence sentences are exact substrings of the note."""

    categories: list[str]
    scores: dict[str, float]
    evidence: dict[str, str]
    safeguarding: bool
    experience: str
    # what raised the flag, without the note's words (it goes to the queue and the audit):
    # the phrase list's signals and/or the classifier's score against its threshold
    safeguarding_why: str = ""
    #: the experience classifier's probability of `experience` (None where no classifier
    #: read the note: an empty note, or a model with no experience labels to learn from)
    experience_confidence: float | None = None
    #: the safeguarding classifier's score and the score it flags from (None without a
    #: classifier, or for an empty note): a note scoring near the flag is held back from
    #: the quotes the software picks (`insight.privacy.holds_back`)
    safeguarding_score: float | None = None
    safeguarding_threshold: float | None = None


_WORKER_MODEL: TagModel | None = None


def _tag_in_worker(batch: list[str]) -> list[NoteTags]:
    assert _WORKER_MODEL is not None
    return _WORKER_MODEL._tag_batch(batch)


def _batched(items: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) >= max(1, size):
            yield batch
            batch = []
    if batch:
        yield batch


def data_hash(texts: Sequence[str], labels: Sequence[Sequence[str]], *extra: Any) -> str:
    """sha256 over texts and their labels (and flags), so a model names the data it saw."""
    digest = hashlib.sha256()
    for i, text in enumerate(texts):
        row = [text, sorted(labels[i])] + [None if e is None else e[i] for e in extra]
        digest.update(json.dumps(row, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


TEXT_SAMPLE = 5000  # training texts fingerprinted in model.json (to spot them in evaluation)


def text_fingerprints(texts: Sequence[str], limit: int | None = None) -> list[str]:
    """Short hashes of texts (spacing and case ignored), evenly sampled down to `limit`.

    Stored with a model so `evaluate` can warn when it is scored on its own training notes;
    a hash, not the text, so model.json holds no note.
    """
    step = max(1, -(-len(texts) // limit)) if limit else 1
    return sorted(
        {
            hashlib.sha256(" ".join(t.lower().split()).encode("utf-8")).hexdigest()[:12]
            for t in texts[::step]
        }
    )


class TagModel:
    """Category tags, evidence, safeguarding and experience for notes, from one object."""

    def __init__(
        self,
        estimator: TaggerBackend,
        *,
        safeguarding_model: SafeguardingClassifier | None = None,
        experience_model: ExperienceClassifier | None = None,
        codebook_version: str | None = None,
        metadata: dict[str, Any] | None = None,
        calibration: Calibration | None = None,
    ) -> None:
        self.estimator = estimator
        self.calibration = calibration
        self.safeguarding_model = safeguarding_model
        self.experience_model = experience_model
        self.codebook_version = codebook_version
        self.metadata: dict[str, Any] = dict(metadata or {})
        self._nlp: Language | None = None
        self._phrases: SafeguardingPhrases | None = None

    # -- identity ----------------------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        return list(self.estimator.labels_)

    @property
    def backend(self) -> str:
        return self.estimator.name

    @property
    def thresholds(self) -> dict[str, float]:
        return {k: float(t) for k, t in zip(self.labels, self.estimator.thresholds_, strict=True)}

    @property
    def category_names(self) -> dict[str, str]:
        """Category id -> its name in the codebook the model was trained on (none without
        one): data may label notes by name."""
        return dict(self.metadata.get("category_names") or {})

    @property
    def model_version(self) -> str:
        return str(self.metadata.get("model_version", ""))

    # -- training ----------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        labels: Sequence[Sequence[str]],
        *,
        label_names: Sequence[str] | None = None,
        safeguarding: Sequence[bool] | None = None,
        experience: Sequence[str | None] | None = None,
        backend: str = "sklearn",
        codebook_version: str | None = None,
        seed: int = 0,
        backend_params: dict[str, Any] | None = None,
        codebook_id: str | None = None,
        label_texts: Mapping[str, Sequence[str]] | None = None,
        safeguarding_extra: SafeguardingExtra | None = None,
        experience_extra: ExperienceExtra | None = None,
        category_names: Mapping[str, str] | None = None,
    ) -> TagModel:
        """Train every part on the same notes; parts without labels fall back to rules.

        `safeguarding_extra`: more notes labelled for safeguarding only, added to the
        safeguarding classifier's training notes: risk is said in more ways than any one
        set of notes holds (see `SafeguardingExtra`). `experience_extra`: notes labelled
        for experience only, learned from beside the notes given (how a person felt does
        not depend on the codebook, and a few notes judged do not make a classifier).
        `category_names`: id -> the codebook's name, kept so that data labelled by name
        can be scored."""
        texts = [str(t) for t in texts]
        if len(labels) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(labels)} label lists")
        names = (
            list(label_names)
            if label_names is not None
            else sorted({lab for row in labels for lab in row})
        )
        if len(set(names)) != len(names):
            raise ValueError("label_names contains duplicates")
        known = set(names)
        unknown = Counter(lab for row in labels for lab in row if lab not in known)
        Y = np.array([[name in set(row) for name in names] for row in labels], dtype=np.int8)
        Y = Y.reshape(len(texts), len(names))
        estimator = backend_class(backend)(seed=seed, **(backend_params or {}))
        estimator.fit(texts, Y, names, label_texts)
        estimator.thresholds_ = floor_rare(estimator.thresholds_, Y.sum(axis=0))
        rows, held_scores = estimator.held_out_scores()
        calibration = Calibration.fit(Y[rows], held_scores)
        held_out = held_out_check(Y[rows], held_scores, estimator.thresholds_, names,
                                  estimator.held_out_said())

        sg_model, sg_info = _fit_safeguarding(texts, safeguarding, seed, safeguarding_extra)
        ex_model, ex_info = _fit_experience(texts, experience, seed, experience_extra)

        params = estimator.get_params()
        d_hash = data_hash(texts, labels, safeguarding, experience)
        version_src = json.dumps(
            [backend, params, names, codebook_version, d_hash, sg_info, ex_info, __version__],
            sort_keys=True,
            default=str,
        )
        metadata = {
            "backend": backend,
            "parameters": params,
            "settings": estimator.chosen_settings(),
            "labels": names,
            "thresholds": [round(float(t), 4) for t in estimator.thresholds_],
            "calibration": calibration.to_json(),
            "codebook": {"id": codebook_id, "version": codebook_version},
            "category_names": {k: v for k, v in (category_names or {}).items() if k in known},
            "training_data_sha256": d_hash,
            "training_text_sample": text_fingerprints(texts, TEXT_SAMPLE),
            "n_train": len(texts),
            "label_counts": {n: int(c) for n, c in zip(names, Y.sum(axis=0), strict=True)},
            **({"held_out": held_out} if held_out else {}),
            "unknown_labels_dropped": dict(unknown),
            "safeguarding": sg_info,
            "experience": ex_info,
            "codebook_wording_examples": sum(len(v) for v in (label_texts or {}).values()),
            "evidence": (
                "the sentence whose words carry most of the note's score"
                if hasattr(estimator, "evidence_scores")
                else "the sentence that scores highest on its own"
            )
            + " (spaCy blank 'en' + sentencizer)",
            "seed": seed,
            "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "insight_version": __version__,
            "model_version": hashlib.sha256(version_src.encode()).hexdigest()[:12],
            "metrics": {},
        }
        return cls(
            estimator,
            safeguarding_model=sg_model,
            experience_model=ex_model,
            codebook_version=codebook_version,
            metadata=metadata,
            calibration=calibration,
        )

    # -- prediction --------------------------------------------------------------------
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n_notes, n_labels) calibrated confidence in label order."""
        return self.confidence(self.estimator.predict_proba([str(t) for t in texts]))

    def confidence(self, scores: np.ndarray) -> np.ndarray:
        """Backend scores as calibrated confidence (unchanged for models saved without)."""
        return scores if self.calibration is None else self.calibration.apply(scores)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.estimator.predict([str(t) for t in texts])

    def shown_thresholds(self) -> dict[str, float]:
        """Each category's threshold as the confidence a tag shows: a tag is given from
        this value on (thresholds differ by category, so 0.29 may be a tag and 0.30 not)."""
        shown = self.confidence(np.asarray(self.estimator.thresholds_, dtype=float)[None, :])
        return {label: round(float(v), 2) for label, v in zip(self.labels, shown[0],
                                                               strict=True)}

    def tag(
        self, texts: Sequence[str], batch_size: int = 2000, n_process: int = 1
    ) -> list[NoteTags]:
        """Tag notes; works in batches so memory stays bounded (see `iter_tag`)."""
        return list(self.iter_tag(texts, batch_size=batch_size, n_process=n_process))

    def iter_tag(
        self, texts: Iterable[str], batch_size: int = 2000, n_process: int = 1
    ) -> Iterator[NoteTags]:
        """Stream tags for any iterable of notes, `batch_size` notes at a time.

        `n_process > 1` tags batches in forked worker processes (POSIX only), in order;
        worth it for large inputs on a multi-core machine.
        """
        batches = _batched((str(t) for t in texts), batch_size)
        if n_process <= 1 or "fork" not in mp.get_all_start_methods():
            for batch in batches:
                yield from self._tag_batch(batch)
            return
        self._pipeline()  # build once, inherited by the workers
        global _WORKER_MODEL
        _WORKER_MODEL = self
        try:
            with mp.get_context("fork").Pool(n_process) as pool:
                for tags in pool.imap(_tag_in_worker, batches):
                    yield from tags
        finally:
            _WORKER_MODEL = None

    def safeguarding_words(self, text: str) -> dict[str, Any]:
        """Where a note says what the flag read as risk, for a lead reading it: the phrase
        list's matches ([signal, words]) and the sentence the classifier scores highest
        ([words, score, threshold]; None without a classifier). The note's own words: for
        the leads' view only, never for a queue, a log or a report."""
        nlp, phrases = self._pipeline()
        split = SplitNotes([text], nlp)
        found: dict[str, Any] = {
            "phrases": [[hit.signal, hit.text] for hit in phrases.hits(split.docs[0])],
            "sentence": None}
        head = self.safeguarding_model
        if head is not None and split.spans[0]:
            sentences = [trimmed(text[a:b]) for a, b in split.spans[0]]
            scores = head.predict_proba(sentences)
            best = int(np.argmax(scores))
            found["sentence"] = [sentences[best], round(float(scores[best]), 2),
                                 round(float(head.threshold_), 2)]
        return found

    def _pipeline(self) -> tuple[Language, SafeguardingPhrases]:
        if self._nlp is None or self._phrases is None:
            self._nlp = sentence_pipeline()
            self._phrases = SafeguardingPhrases(self._nlp)
        return self._nlp, self._phrases

    def _tag_batch(self, texts: list[str]) -> list[NoteTags]:
        nlp, phrases = self._pipeline()
        labels = self.labels
        split = SplitNotes(texts, nlp)
        docs, spans, cache = split.docs, split.spans, split.cache

        fast = hasattr(self.estimator, "predict_proba_segments")
        if fast:
            P = self.estimator.predict_proba(texts, cache=cache)
        else:
            P = self.estimator.predict_proba(texts)
        predicted = P >= self.estimator.thresholds_  # tags: raw score vs the tuned threshold
        P = self.confidence(P)  # shown and stored: calibrated (same order, so same tags)

        signals = [phrases.signals_in(doc) for doc in docs]
        flags = [bool(found) for found in signals]
        why = [f"phrase list: {', '.join(found)}" if found else "" for found in signals]
        head = self.safeguarding_model
        risk_scores: list[float | None] = [None] * len(texts)
        if head is not None:
            risk = head.predict_proba(texts, cache)
            risk_scores = [round(float(p), 4) for p in risk]
            for i, p in enumerate(risk):
                if p >= head.threshold_:
                    flags[i] = True
                    said = f"classifier {p:.2f} (flags from {head.threshold_:.2f})"
                    why[i] = f"{why[i]}; {said}" if why[i] else said
        felt: list[float | None] = [None] * len(texts)
        if self.experience_model is not None:
            E = self.experience_model.predict_proba(texts, cache)
            classes = self.experience_model.classes_
            experience = [classes[k] for k in E.argmax(axis=1)]
            felt = [round(float(p), 4) for p in E.max(axis=1)]
        else:
            experience = [FALLBACK_EXPERIENCE] * len(texts)

        # evidence: for each predicted category, the sentence that carries most of the
        # note's score (sklearn), else the sentence that scores highest on its own
        multi = [i for i, note in enumerate(spans) if len(note) > 1 and predicted[i].any()]
        first_row: dict[int, int] = {}  # note -> row of its first sentence in S
        S = None
        if multi and fast:
            if hasattr(self.estimator, "evidence_scores"):
                S = self.estimator.evidence_scores(cache, multi)
            else:
                S = self.estimator.predict_proba_segments(cache)
            starts = np.concatenate([[0], np.cumsum([len(note) for note in spans])])
            first_row = {i: int(starts[i]) for i in multi}
        elif multi:
            wanted: list[str] = []
            for i in multi:
                first_row[i] = len(wanted)
                wanted.extend(texts[i][a:b] for a, b in spans[i])
            S = self.estimator.predict_proba(wanted)
        out = []
        for i, text in enumerate(texts):
            cols = np.flatnonzero(predicted[i])
            evidence: dict[str, str] = {}
            if cols.size:
                note = spans[i]
                if len(note) == 1:
                    best = {j: 0 for j in cols}
                else:
                    assert S is not None
                    block = S[first_row[i] : first_row[i] + len(note)]
                    best = {j: int(block[:, j].argmax()) for j in cols}
                for j, k in best.items():
                    a, b = note[k]
                    evidence[labels[j]] = without_stray_quote(trimmed(text[a:b]))
            out.append(
                NoteTags(
                    categories=[labels[j] for j in cols],
                    scores={lab: round(float(p), 4) for lab, p in zip(labels, P[i], strict=True)},
                    evidence=evidence,
                    safeguarding=bool(flags[i]),
                    safeguarding_why=why[i],
                    # an empty note says nothing: not the classifier's prior guess
                    experience=experience[i] if text.strip() else FALLBACK_EXPERIENCE,
                    experience_confidence=felt[i] if text.strip() else None,
                    safeguarding_score=risk_scores[i] if text.strip() else None,
                    safeguarding_threshold=round(float(head.threshold_), 4)
                    if head is not None and text.strip() else None,
                )
            )
        return out

    # -- persistence -------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write model.json, the backend and flag models, and MODEL_CARD.md into `path`.

        `path` must be new, empty or hold a model (which is replaced whole: no file of the
        old model survives, and a failed save leaves the old model as it was). A folder
        holding anything else is refused rather than mixed with model files.
        """
        import shutil
        import tempfile

        from insight.classify.card import write_model_card

        target = Path(path)
        check_model_target(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        directory = Path(tempfile.mkdtemp(prefix=f".{target.name}.saving-", dir=target.parent))
        try:
            self.estimator.save(directory / "categories")
            if self.safeguarding_model is not None:
                self.safeguarding_model.save(directory / "safeguarding")
            if self.experience_model is not None:
                self.experience_model.save(directory / "experience")
            self._write_json(directory)
            write_model_card(directory, self.metadata.get("metrics") or None)
            old = None
            if target.exists():
                old = target.with_name(f"{directory.name}.old")
                target.rename(old)
            directory.rename(target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            if directory.exists():
                shutil.rmtree(directory, ignore_errors=True)

    def _write_json(self, directory: Path) -> None:
        doc = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "backend": self.backend,
            "labels": self.labels,
            "codebook_version": self.codebook_version,
            "model_version": self.model_version,
            "metadata": self.metadata,
            # read without loading the model, so showing a note's tags stays quick
            "shown_thresholds": self.shown_thresholds(),
        }
        text = json.dumps(doc, indent=2, ensure_ascii=False, default=_json_default)
        (directory / MODEL_FILE).write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> TagModel:
        """Load a saved model directory; a clear `ModelFormatError` if it is not one."""
        directory = Path(path)
        doc = read_model_json(directory)
        estimator = load_backend(directory / "categories")
        if list(estimator.labels_) != list(doc["labels"]):
            raise ModelFormatError(f"{directory}: category labels do not match model.json")
        meta = doc.get("metadata", {})
        sg_info, ex_info = meta.get("safeguarding", {}), meta.get("experience", {})
        sg_model = ex_model = None
        if sg_info.get("classifier"):
            sg_model = SafeguardingClassifier.load(
                directory / "safeguarding", sg_info["classifier"]
            )
        if ex_info.get("classifier"):
            ex_model = ExperienceClassifier.load(directory / "experience", ex_info["classifier"])
        calibration = None
        if meta.get("calibration"):
            try:
                calibration = Calibration.from_json(meta["calibration"], len(estimator.labels_))
            except ValueError as exc:
                raise ModelFormatError(f"{directory}: {exc}") from exc
        return cls(
            estimator,
            safeguarding_model=sg_model,
            experience_model=ex_model,
            codebook_version=doc.get("codebook_version"),
            metadata=meta,
            calibration=calibration,
        )

    def __repr__(self) -> str:
        return (
            f"TagModel(backend={self.backend!r}, labels={len(self.labels)}, "
            f"model_version={self.model_version!r})"
        )


def held_out_check(
    Y: np.ndarray, scores: np.ndarray, thresholds: np.ndarray, labels: Sequence[str],
    said: str | None,
) -> dict[str, Any] | None:
    """How the model's categories did on the training notes it held out while training
    (`TaggerBackend.held_out_scores`, at the thresholds it ships with), in `evaluate`'s
    `per_label` shape plus how many notes each was `tagged` on; None where no note was held
    out (`said` None). The notes its thresholds were tuned on, so it flatters the model a
    little; but a category never tagged there, or tagged wrongly, will be so on new notes:
    `insight train` says which, a check every backend gets, `--data` included."""
    if said is None or not len(Y):
        return None
    Y = np.asarray(Y).astype(bool)
    pred = np.asarray(scores) >= np.asarray(thresholds)
    tp, tagged, support = (pred & Y).sum(axis=0), pred.sum(axis=0), Y.sum(axis=0)
    f1 = 2 * tp / np.maximum(tagged + support, 1)
    present = support > 0
    return {
        "notes": len(Y),
        "said": said,
        "macro_f1": round(float(f1[present].mean()), 4) if present.any() else None,
        "per_label": {
            name: {"precision": round(float(tp[j] / tagged[j]), 4) if tagged[j] else None,
                   "recall": round(float(tp[j] / support[j]), 4) if support[j] else 0.0,
                   "f1": round(float(f1[j]), 4), "support": int(support[j]),
                   "tagged": int(tagged[j])}
            for j, name in enumerate(labels)
        },
    }


def read_model_json(directory: Path) -> dict[str, Any]:
    """Read and check `model.json`: right format, a version this code understands."""
    if (missing := missing_model_folder(directory)) is not None:
        raise ModelMissing(missing)
    file = directory / MODEL_FILE
    if not file.is_file():
        raise ModelFormatError(f"{directory}: not a tag model directory (no {MODEL_FILE})")
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"{file}: unreadable ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFormatError(f"{file}: not an insight tag model")
    if doc.get("format_version") != FORMAT_VERSION:
        raise ModelFormatError(
            f"{file}: model format {doc.get('format_version')} but this insight reads "
            f"format {FORMAT_VERSION}; rebuild the model with this version"
        )
    return doc


class SafeguardingExtra(NamedTuple):
    """Notes labelled for safeguarding only, added to a model's safeguarding training.

    `everyday[i]`: note i is an ordinary note, whose out-of-fold score may help set the
    threshold. Audit notes written to teach rarer ways of saying risk are learned from
    only: they are hard on purpose, and chasing them would flag every note more often.
    """

    texts: Sequence[str]
    flags: Sequence[bool]
    everyday: Sequence[bool]


# The threshold is set on the training notes' own out-of-fold scores alone when they hold
# this many flagged notes: a 0.98 recall target is decided by the hardest 2% of them, so
# with fewer it rests on one or two notes, and the everyday extra notes join in.
OWN_THRESHOLD_MIN_FLAGGED = 100


def _fit_safeguarding(
    texts: list[str],
    flags: Sequence[bool] | None,
    seed: int,
    extra: SafeguardingExtra | None = None,
) -> tuple[SafeguardingClassifier | None, dict[str, Any]]:
    """The safeguarding classifier, from the training notes' flags and any `extra` notes
    (an extra note that repeats a training note is skipped)."""
    base: dict[str, Any] = {"phrase_list": "corpora/safeguarding-phrases.yaml"}
    if flags is not None and len(flags) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(flags)} safeguarding flags")
    own_texts, own_flags = (texts, [bool(f) for f in flags]) if flags is not None else ([], [])
    extra_texts: list[str] = []
    extra_flags: list[bool] = []
    extra_everyday: list[bool] = []
    if extra is not None:
        if not len(extra.texts) == len(extra.flags) == len(extra.everyday):
            raise ValueError("extra safeguarding notes: texts, flags and everyday differ in length")
        known = set(own_texts)
        for text, flag, everyday in zip(extra.texts, extra.flags, extra.everyday, strict=True):
            if str(text) not in known:
                extra_texts.append(str(text))
                extra_flags.append(bool(flag))
                extra_everyday.append(bool(everyday))
        base["extra_notes"] = len(extra_texts)
    if flags is None and not extra_texts:
        return None, {**base, "method": "phrases", "reason": "no safeguarding labels given"}
    all_texts, y = [*own_texts, *extra_texts], np.asarray([*own_flags, *extra_flags])
    if y.sum() < 2 or (~y).sum() < 2:
        return None, {**base, "method": "phrases", "reason": "too few flagged/unflagged notes"}
    threshold_from = "training notes"
    threshold_on = [True] * len(own_texts) + [False] * len(extra_texts)
    if sum(own_flags) < OWN_THRESHOLD_MIN_FLAGGED:
        threshold_from = "training notes and everyday extra notes"
        threshold_on = [True] * len(own_texts) + extra_everyday
        chosen = np.asarray(threshold_on)
        if y[chosen].sum() < 2:  # nothing everyday to set it on: every note, then
            threshold_from, threshold_on = "all notes", [True] * len(all_texts)
    model = SafeguardingClassifier(seed=seed).fit(all_texts, y, threshold_on=threshold_on)
    # said on the model card: a model trained on data with no safeguarding column still
    # flags notes, from what the shipped notes teach
    learned = ([f"{len(own_texts)} training notes ({sum(own_flags)} flagged)"]
               if flags is not None else [])
    if extra_texts:
        learned.append(f"{len(extra_texts)} shipped notes ({sum(extra_flags)} flagged)")
    return model, {
        **base,
        "method": "classifier OR phrases",
        "classifier": model.info(),
        "n_flagged": int(y.sum()),
        "threshold_from": threshold_from,
        "learned_from": " and ".join(learned),
        **({"reason": "no safeguarding labels given"} if flags is None else {}),
    }


class ExperienceExtra(NamedTuple):
    """Notes labelled for experience only (the shipped corpus's training notes)."""

    texts: Sequence[str]
    values: Sequence[str | None]
    source: str


def _fit_experience(
    texts: list[str], values: Sequence[str | None] | None, seed: int,
    extra: ExperienceExtra | None = None,
) -> tuple[ExperienceClassifier | None, dict[str, Any]]:
    rule = {"method": "rule", "rule": f"always '{FALLBACK_EXPERIENCE}'"}
    if values is not None and len(values) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(values)} experience values")
    keep = [i for i, v in enumerate(values or []) if v in EXPERIENCE_VALUES]
    if extra is not None and keep:
        # a few notes a lead judged do not make a classifier of their own: three reviews
        # once gave one that read every note "positive" or "negative", a note about
        # suicidal thoughts "positive". They are learned beside the other notes instead.
        shown = [i for i, v in enumerate(extra.values) if v in EXPERIENCE_VALUES]
        own = [values[i] for i in keep]  # type: ignore[index]
        model = ExperienceClassifier(seed=seed).fit(
            [extra.texts[i] for i in shown] + [texts[i] for i in keep],
            [str(extra.values[i]) for i in shown] + own)
        return model, {"method": "classifier", "classifier": model.info(),
                       "n_labelled": len(shown) + len(keep), "n_own": len(keep),
                       "n_ignored": len(texts) - len(keep),
                       "learned_from": f"{extra.source} and {len(keep)} of these notes"}
    if values is None or len({values[i] for i in keep}) < 2:
        reason = ("no experience labels given" if values is None
                  else "fewer than two experience values among labelled notes")
        if extra is not None:  # a classifier from other notes beats "neutral" for every note
            shown = [i for i, v in enumerate(extra.values) if v in EXPERIENCE_VALUES]
            model = ExperienceClassifier(seed=seed).fit(
                [extra.texts[i] for i in shown], [str(extra.values[i]) for i in shown])
            return model, {"method": "classifier", "classifier": model.info(),
                           "n_labelled": len(shown), "learned_from": extra.source,
                           "reason": reason}
        return None, {**rule, "reason": reason}
    model = ExperienceClassifier(seed=seed).fit([texts[i] for i in keep], [values[i] for i in keep])
    return model, {
        "method": "classifier",
        "classifier": model.info(),
        "n_labelled": len(keep),
        "n_ignored": len(texts) - len(keep),
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple | set):
        return list(value)
    return str(value)
