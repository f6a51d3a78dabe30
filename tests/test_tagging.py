from __future__ import annotations

import json
from pathlib import Path

import pytest

from insight.classify.model import TagModel
from insight.codebook import load_codebook
from insight.intake import ingest_file
from insight.resources import corpora_dir
from insight.store import Store
from insight.tagging import TaggingError, tag_store, train_from_store
from tests.notes import add, note

CORPUS = corpora_dir() / "notes" / "community-notes.jsonl"


def test_train_from_store_records_held_out_metrics_and_tags_only_untagged(
    tmp_path: Path,
) -> None:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("\n".join(lines[:150]) + "\n", encoding="utf-8")
    unlabelled = tmp_path / "new.jsonl"
    rows = [json.loads(line) for line in lines[150:170]]
    unlabelled.write_text(
        "\n".join(json.dumps({"id": r["id"], "text": r["text"]}) for r in rows) + "\n"
    )
    book = load_codebook()
    with Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as store:
        for file in (labelled, unlabelled):
            ingest_file(store, file, category_ids=book.ids, quarantine_dir=tmp_path / "q")
        model = train_from_store(store, book, tmp_path / "model", shipped=False)
        assert model.metadata["n_train"] == 150
        # the corpus notes come from many listeners: whole listeners are held out
        held = model.metadata["metrics"]
        assert 15 <= held["n_notes"] <= 53
        assert held["data"].startswith("the labelled notes of ")
        assert "the model saw none of these listeners' notes" in held["data"]
        assert model.metadata["codebook"] == {"id": "enquiry-v1", "version": "1"}
        assert TagModel.load(tmp_path / "model").model_version == model.model_version
        assert store.count_notes(untagged=True) == 170
        assert tag_store(store, model) == 170
        assert store.count_notes(untagged=True) == 0
        assert tag_store(store, model) == 0  # nothing left untagged
        one = tag_rows(store)
        # two forked processes over small batches store exactly what one process does
        assert tag_store(store, model, retag=True, n_process=2, batch_size=40) == 170
        assert tag_rows(store) == one
        model_tags = [t for t in store.tags_for() if t["source"] == "model"]
        assert model_tags and all(t["model_version"] == model.model_version for t in model_tags)
        assert all(t["codebook_version"] == "1" for t in model_tags)


def tag_rows(store: Store) -> list[tuple]:
    return [
        (t["note_id"], t["category"], t["source"], round(t["confidence"] or 0, 6), t["evidence"])
        for t in store.tags_for()
    ]


def test_a_small_workspace_model_is_measured_by_cross_validation(tmp_path: Path) -> None:
    """With 20 to 99 labelled notes a lead's own model had no measure at all, so the report
    could only say to read its tags as suggestions: each note is now scored by a model
    trained without it."""
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()[:30]]
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    book = load_codebook()
    with Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as store:
        ingest_file(store, labelled, category_ids=book.ids, quarantine_dir=tmp_path / "q")
        model = train_from_store(store, book, tmp_path / "model", shipped=False)
    metrics = model.metadata["metrics"]
    assert metrics["n_notes"] == 30 and metrics["notes_seen_in_training"] == 0
    assert metrics["data"].startswith("5-fold cross-validation on the workspace's 30 labelled "
                                      "notes (each scored by a model trained without it")
    assert 0.0 <= metrics["macro_f1"] <= 1.0 and set(metrics["per_label"]) == set(book.ids)
    assert "experience_accuracy" not in metrics  # categories only: the rest is learned
    # from thousands of other notes, which each of five probes would learn again
    # the folds hold whole listeners: no listener's notes are on both sides
    from insight.tagging import _folds

    listeners = [r.get("listener") for r in rows]
    folds = _folds([r["categories"] for r in rows], book.ids, 0, listeners)
    for name in {n for n in listeners if n}:
        assert len({f for f, n in zip(folds, listeners, strict=True) if n == name}) == 1


def test_too_few_labelled_notes_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    add(store, note("a", "Waited ages.", categories=["access-waiting"]))
    with pytest.raises(TaggingError, match="only 1 labelled notes"):
        train_from_store(store, load_codebook(), tmp_path / "m", shipped=False)


def test_a_default_codebook_workspace_also_learns_from_the_shipped_notes(
    tmp_path: Path,
) -> None:
    """A lead's first few labelled notes must not make a model that tags less than the
    default one did: on the default codebook the shipped training notes are learnt too,
    less any note the workspace holds itself."""
    from insight.classify.default import TRAINING_SPLITS, load_corpus

    data, splits = load_corpus()
    shipped = [i for i, n in enumerate(data.ids) if splits.get(n) in TRAINING_SPLITS]
    test = [i for i, n in enumerate(data.ids) if splits.get(n) == "test"]
    own = [shipped[0], *test[:11]]  # one the shipped notes have too
    book = load_codebook()
    with Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as store:
        add(store, *[note(data.ids[i], data.texts[i], categories=data.labels[i] or [])
                     for i in own])
        model = train_from_store(store, book, tmp_path / "m")
        assert model.metadata["n_train"] == len(shipped) - 1 + len(own)
        facts = model.metadata["training_data"]
        assert facts["shipped_notes"] == len(shipped) - 1 and facts["rows"] == len(own)
        assert facts["few_examples"] == {} and facts["no_examples"] == []
        counted = sum(len(data.labels[i]) for i in own)
        assert sum(facts["workspace_counts"].values()) == counted
        card = (tmp_path / "m" / "MODEL_CARD.md").read_text(encoding="utf-8")
        assert f"shipped corpus's training notes ({len(shipped) - 1})" in card
        # the same notes alone: too few to learn from, and said so
        with pytest.raises(TaggingError, match="only 12 labelled notes"):
            train_from_store(store, book, tmp_path / "alone", shipped=False)
    # a codebook of its own never learns from the shipped notes' labels
    from insight.tagging import learns_from_shipped_notes

    assert learns_from_shipped_notes(book)
    other = load_codebook(corpora_dir() / "codebooks" / "care-opinion-phase1.yaml")
    assert not learns_from_shipped_notes(other)


def test_review_accepts_or_corrects_and_checks_the_codebook(store: Store) -> None:
    from insight.store import ModelTagging
    from insight.tagging import review_note
    from insight.thread import ThreadError

    add(store, note("r", "Nine months on the list."))
    store.save_model_tags(
        [ModelTagging("r", {"access-waiting": 0.9}, ["access-waiting"], {}, False, "negative")],
        model_version="m", codebook_version="1",
    )
    book = load_codebook()
    assert review_note(store, "r", None, book) == ["access-waiting"]
    with pytest.raises(ThreadError, match="unknown category"):
        review_note(store, "r", ["money"], book)
    assert review_note(store, "r", ["carers-family"], book) == ["carers-family"]
    people = [t["category"] for t in store.tags_for(["r"]) if t["source"] == "person"]
    assert people == ["carers-family"]


def test_model_reviews_count_what_leads_changed_after_the_model_read_the_note(
    store: Store,
) -> None:
    from insight.store import ModelTagging
    from insight.tagging import model_reviews, review_note

    # "given" was labelled in the listener's file before the model read it: not a review
    add(store, note("given", "Carer worn out.", categories=["carers-family"]),
        *[note(i, "Nine months on the list.") for i in ("kept", "fixed", "emptied", "unread")])
    store.save_model_tags(
        [ModelTagging(i, {"access-waiting": 0.9}, ["access-waiting"], {}, False, "negative")
         for i in ("given", "kept", "fixed", "emptied")],
        model_version="m", codebook_version="1")
    book = load_codebook()
    review_note(store, "kept", None, book)  # accepted as it was
    review_note(store, "fixed", ["access-waiting", "crisis-urgent"], book)
    review_note(store, "emptied", [], book)  # the model saw a category that is not there
    everyone = ["given", "kept", "fixed", "emptied", "unread"]
    assert model_reviews(store, everyone) == {"tagged": 4, "reviewed": 3, "changed": 2}
    assert model_reviews(store, ["kept", "unread"]) == {"tagged": 1, "reviewed": 1,
                                                         "changed": 0}
    # tagged again after the reviews (a model that may have learned them): no longer a check
    store.save_model_tags(
        [ModelTagging(i, {"access-waiting": 0.9}, ["access-waiting"], {}, False, "negative")
         for i in ("kept", "fixed")], model_version="m2", codebook_version="1")
    assert model_reviews(store, everyone) == {"tagged": 4, "reviewed": 1, "changed": 1}


def test_a_lead_adds_or_drops_one_category_and_hears_whose_review_it_replaces(
        store: Store, db_url: str) -> None:
    """Blind lead-review audit: correcting one tag meant retyping every category, and a
    second lead's review replaced the first's without a word."""
    from insight.store import ModelTagging, StoreError
    from insight.tagging import decided_by_someone_else, review_note, with_changes
    from insight.thread import ThreadError

    add(store, note("r", "Nine months on the list, and mum cares for him alone."))
    store.save_model_tags(
        [ModelTagging("r", {"access-waiting": 0.9, "daily-living": 0.5},
                      ["access-waiting", "daily-living"], {}, False, "negative")],
        model_version="m", codebook_version="1")
    book = load_codebook()
    # from the model's categories while no person has decided, by id or by name
    assert with_changes(store, "r", ["Families, friends and carers"], ["daily-living"],
                        book) == ["access-waiting", "carers-family"]
    with pytest.raises(StoreError, match="not tagged crisis-urgent"):
        with_changes(store, "r", [], ["crisis-urgent"], book)
    with pytest.raises(ThreadError, match=r"housing \(did you mean daily-living\?\)"):
        with_changes(store, "r", ["housing"], [], book)
    assert decided_by_someone_else(store, "r") is None  # no person yet
    review_note(store, "r", ["access-waiting", "carers-family"], book)
    assert decided_by_someone_else(store, "r") is None  # the same person
    with Store.open(db_url, actor="Femi Lead") as second:
        other = decided_by_someone_else(second, "r")
        assert other is not None and other["author"] == "tester"
        assert other["categories"] == ["access-waiting", "carers-family"]
        # from the person's categories once one decided
        assert with_changes(second, "r", [], ["access-waiting"], book) == ["carers-family"]


def test_a_category_the_codebook_retired_is_left_out_of_a_review_not_refused(
        store: Store) -> None:
    """Blind audit: a lead reviewing a note whose labels include a category retired from
    the codebook was refused over a category they never typed."""
    from insight.store import ModelTagging, StoreError
    from insight.tagging import review_note, with_changes
    from insight.thread import ThreadError

    add(store, note("r", "Benefits stopped, and nobody listens."),
        note("m", "Nobody listens."), note("only", "Nobody listens at all."))
    store.save_model_tags(
        [ModelTagging(i, {"daily-living": 0.9, "being-heard": 0.8}, cats, {}, False, None)
         for i, cats in (("r", ["daily-living", "being-heard"]), ("m", ["daily-living",
                                                                        "being-heard"]),
                         ("only", ["being-heard"]))],
        model_version="m", codebook_version="1")
    store.set_person_tags("r", ["daily-living", "being-heard"])  # labelled under v1
    book = load_codebook()  # has no being-heard: retired since
    retired: list[str] = []
    assert with_changes(store, "r", ["carers-family"], ["daily-living"], book,
                        no_longer=retired) == ["carers-family"]
    assert retired == ["being-heard"]
    # dropped by name, as the note has it: nothing is left to say
    retired.clear()
    assert with_changes(store, "r", [], ["being-heard"], book,
                        no_longer=retired) == ["daily-living"]
    assert retired == []
    # typed by the lead, it is still refused
    with pytest.raises(ThreadError, match="unknown category"):
        with_changes(store, "r", ["being-heard"], [], book)
    with pytest.raises(ThreadError, match="unknown category"):
        review_note(store, "r", ["being-heard"], book)
    # accepting the model's: the retired one left out, said so
    assert review_note(store, "m", None, book, no_longer=retired) == ["daily-living"]
    assert retired == ["being-heard"]
    # nothing would be left to accept: the lead is told what to type
    with pytest.raises(StoreError, match=r"\(being-heard\) are no longer in the codebook.*"
                                         r"--category ID"):
        review_note(store, "only", None, book)


def test_a_review_after_a_rename_says_who_renamed_the_label_not_that_its_giver_chose_it(
        store: Store, db_url: str) -> None:
    """Blind audit: after `codebook rename daily-living money-benefits` (a split), a review
    said it replaced the categories demo gave (money-benefits): demo never gave that."""
    from insight.tagging import decided_by_someone_else

    add(store, note("r", "Benefits stopped and the flat is damp."))
    store.set_person_tags("r", ["daily-living", "carers-family"])  # given by "tester"
    with Store.open(db_url, actor="Imran Lead") as lead:
        lead.rename_category("daily-living", "money-benefits")
    with Store.open(db_url, actor="Sam Lead") as second:
        other = decided_by_someone_else(second, "r")
    assert other is not None and other["author"] == "tester"
    assert sorted(other["categories"]) == ["carers-family", "money-benefits"]
    assert list(other["renamed"]) == ["money-benefits"]
    renamed = other["renamed"]["money-benefits"]
    assert renamed["from"] == "daily-living" and renamed["by"] == "Imran Lead"
    # reviewed again since: the label is the reviewer's own choice, no longer a rename
    store.set_person_tags("r", ["money-benefits"])
    with Store.open(db_url, actor="Sam Lead") as second:
        assert decided_by_someone_else(second, "r")["renamed"] == {}


def test_accept_never_silently_undoes_a_persons_categories(store: Store) -> None:
    from insight.store import ModelTagging, StoreError
    from insight.tagging import review_note

    add(store, note("fresh", "Not tagged by the model yet."), note("r", "Nine months waiting."))
    book = load_codebook()
    with pytest.raises(StoreError, match="not been tagged by the model yet"):
        review_note(store, "fresh", None, book)
    store.save_model_tags(
        [ModelTagging("r", {"access-waiting": 0.9}, ["access-waiting"], {}, False, None)],
        model_version="m", codebook_version="1",
    )
    review_note(store, "r", ["access-waiting", "daily-living"], book)
    with pytest.raises(StoreError, match=r"already has categories from a person \(access-"):
        review_note(store, "r", None, book)
    people = sorted(t["category"] for t in store.tags_for(["r"]) if t["source"] == "person")
    assert people == ["access-waiting", "daily-living"]
    # accepting again what a person already agreed with the model is harmless
    review_note(store, "r", ["access-waiting"], book)
    assert review_note(store, "r", None, book) == ["access-waiting"]


def test_a_model_is_checked_against_the_codebook_it_would_tag_with() -> None:
    """Tags of a category the codebook lacks are refused when stored, warned of otherwise;
    a codebook category the model cannot tag is warned of either way (it would show none)."""
    from insight.codebook import Category, Codebook
    from insight.tagging import check_model_fits
    from tests.classify.conftest import LABELS, make_notes

    texts, labels, _, _ = make_notes(45)
    model = TagModel.fit(texts, labels, label_names=LABELS, codebook_version="1",
                         codebook_id="care", backend_params={"cv": 3})

    def book(*ids: str) -> Codebook:
        return Codebook("2", tuple(Category(i, i.title(), i) for i in ids), name="care")

    assert check_model_fits(model, book(*LABELS)) == []
    gained = check_model_fits(model, book(*LABELS, "digital"))
    assert gained == [
        f"model {model.model_version} cannot tag the codebook's category digital (it was "
        "trained on codebook care version 1; the workspace's is version 2), so no note gets "
        "it from the model; train one on the workspace's codebook (`insight train`)"
    ]
    renamed = book("access-waiting", "carers", "daily-living", "digital")
    with pytest.raises(TaggingError, match="not in this workspace's codebook: carers-family"):
        check_model_fits(model, renamed)
    foreign, missing = check_model_fits(model, renamed, storing=False)
    assert "tags categories that are not in this workspace's codebook: carers-family" in foreign
    assert "cannot tag the codebook's categories carers, digital" in missing


def test_the_card_measure_holds_out_whole_listeners_where_there_are_several() -> None:
    """A listener's stock phrases in both halves made a held-out 0.87 of a model that
    scored 0.33 on notes written later (blind audit, own codebook)."""
    from insight.tagging import _holdout

    labels = [["a"] if i % 2 else ["b"] for i in range(100)]
    listeners = [f"L{i % 10}" if i % 3 else f"l{i % 10} " for i in range(100)]  # any case
    train, test, unseen = _holdout(labels, ["a", "b"], 0, listeners)
    assert sorted(train + test) == list(range(100)) and 10 <= len(test) <= 35
    held = {listeners[i].strip().casefold() for i in test}
    assert unseen == len(held) and not held & {listeners[i].strip().casefold() for i in train}
    # too few listeners to hold any out whole: a stratified fifth of the notes
    few = _holdout(labels, ["a", "b"], 0, ["L1", "L2"] * 50)
    assert len(few[1]) == 20 and few[2] == 0
    assert _holdout(labels, ["a", "b"], 0, [None] * 100)[2] == 0

