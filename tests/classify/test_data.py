"""Bring-your-own labelled data: messy labels are normalised or reported, never fatal."""

from __future__ import annotations

import json

import pytest

from insight.classify import TagModel, evaluate, load_labelled
from insight.classify.data import normalise_label
from insight.intake import FileRejected

COMMA_HINT = " (a comma in a note that is not inside quote marks?)"

MESSY_CSV = """\ufeffid,feedback,cat_1,cat_2,cat_3
r1,"The staff were lovely and listened to me",SA,ml,NA
r2,"Waited months for a first appointment",wa, ,N/A
r3,"Nurses were kind but the food was cold",sa,EF,none
r4,"Could not get through on the phone",WA,xx,
r5,"",SA,,
r6,"They listened and explained my medication",ML,cm,
r7,"Nobody told me what the tablets were for",CM,,
r8,"Waiting list was far too long",wa,,
"""


@pytest.fixture
def messy_csv(tmp_path):
    path = tmp_path / "messy.csv"
    path.write_text(MESSY_CSV, encoding="utf-8")
    return path


def test_normalise_label_treats_missing_spellings_as_missing():
    assert normalise_label("  Access   Waiting ") == "access waiting"
    for missing in ["", " ", "NA", "n/a", "None", "null", None, float("nan")]:
        assert normalise_label(missing) is None


def test_code_columns_are_normalised_and_problems_reported(messy_csv):
    data = load_labelled(
        messy_csv,
        text_col="feedback",
        label_cols=["cat_1", "cat_2", "cat_3"],
        known_labels=["sa", "ml", "wa", "ef", "cm"],
        min_count=2,
    )
    assert data.ids == ["r1", "r2", "r3", "r4", "r6", "r7", "r8"]
    assert data.labels[0] == ["sa", "ml"]
    assert data.labels[2] == ["sa"]  # 'ef' is below min_count
    report = data.report
    assert report.unknown == {"xx": ["r4"]}
    assert report.rare == {"ef": ["r3"]}
    assert report.empty_text_rows == ["r5"]
    assert report.counts == {"sa": 2, "ml": 2, "wa": 3, "cm": 2}
    assert data.label_names == ["sa", "ml", "wa", "cm"]
    assert "xx" in report.summary() and "ef" in report.summary()


def test_unlabelled_rows_can_be_dropped_and_are_reported(tmp_path):
    path = tmp_path / "few.csv"
    path.write_text("id,text,cat_1\na,one,x\nb,two,NA\nc,three,x\n", encoding="utf-8")
    kept = load_labelled(path, label_cols=["cat_1"])
    assert kept.ids == ["a", "b", "c"] and kept.report.unlabelled_rows == ["b"]
    dropped = load_labelled(path, label_cols=["cat_1"], drop_unlabelled=True)
    assert dropped.ids == ["a", "c"] and dropped.report.unlabelled_rows == ["b"]


def test_indicator_columns_are_detected_from_their_values(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(
        "id,text,Money Worries,carers,place\n"
        "1,rent is behind,1,0,Leeds\n2,mum does everything,0,TRUE,York\n3,nothing,,false,Hull\n",
        encoding="utf-8",
    )
    data = load_labelled(path)  # neither label_col nor label_cols: 0/1 columns are labels
    assert data.labels == [["Money Worries"], ["carers"], []]  # spelt as in the data
    assert data.report.note_field_columns == ["place"]
    explicit = load_labelled(path, label_cols=["Money Worries", "carers"])
    assert explicit.labels == data.labels


def test_delimited_column_and_jsonl_lists(tmp_path):
    csv_path = tmp_path / "delim.csv"
    csv_path.write_text('id,text,tags\n1,a note,"Crisis; housing ;"\n2,b note,\n', encoding="utf-8")
    data = load_labelled(csv_path, label_col="tags")
    assert data.labels == [["Crisis", "housing"], []]

    jsonl = tmp_path / "notes.jsonl"
    rows = [
        {
            "id": "n1",
            "text": "rang 111 at night",
            "categories": ["crisis-urgent"],
            "safeguarding": False,
            "experience": "negative",
        },
        {
            "id": "n2",
            "text": "cutting again",
            "categories": ["Crisis-Urgent", "made-up"],
            "safeguarding": True,
            "experience": None,
        },
    ]
    jsonl.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    data = load_labelled(jsonl, label_col="categories", known_labels=["crisis-urgent", "other"])
    assert data.labels == [["crisis-urgent"], ["crisis-urgent"]]
    assert data.label_names == ["crisis-urgent", "other"]
    assert data.report.unknown == {"made-up": ["n2"]}
    assert data.safeguarding == [False, True]
    assert data.experience == ["negative", None]


def test_misspelt_labels_are_named_with_what_they_were_meant_to_be(tmp_path):
    rows = ["id,text,tags"]
    rows += [f"b{i},skint note {i},benefits" for i in range(6)]
    rows += [f"t{i},typo note {i},Benifits; housing" for i in range(2)]
    rows += [f"g{i},gp note {i},gp access" for i in range(5)]
    rows += ["a1,acess note,gp acess", "h1,house note,housing"]
    path = tmp_path / "typos.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with_book = load_labelled(path, label_col="tags",
                              known_labels=["benefits", "housing", "gp access"])
    said = with_book.report.summary()
    assert "unknown labels (dropped): Benifits (2 rows, e.g. t0, t1; did you mean benefits?)" \
        in said
    assert "fix the misspelt ones (did you mean ...?) and train again" in said
    # with "housing" alone, "Benifits; housing" would teach that the note is not about
    # benefits: such rows are left out until fixed, their labels not counted
    assert "rows with a misspelt label (left out until it is fixed): 2 (ids t0, t1)" in said
    assert with_book.report.counts["housing"] == 1 and with_book.report.n_used == 12
    assert "t0" not in with_book.ids
    without = load_labelled(path, label_col="tags").report.summary()
    assert "may be one" in without
    assert "Benifits (2) ~ benefits (6)" in without and "gp acess (1) ~ gp access (5)" in without
    [alike] = [line for line in without.splitlines() if "may be one" in line]
    assert "housing" not in alike


def test_a_codebook_name_written_whole_is_a_label_not_a_label_and_a_note(tmp_path):
    """"Crisis and out of hours help" (the codebook's name of crisis-out-of-hours) was read
    as the label "crisis" with a note after it, as "crisis" was a label in other rows."""
    rows = ["id,text,topics"]
    rows += [f"c{i},crisis note {i},crisis" for i in range(3)]
    rows += ["w1,the out of hours line never answered,Crisis and out of hours help; travel"]
    path = tmp_path / "topics.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = load_labelled(path, label_col="topics",
                         known_labels=["crisis-out-of-hours", "travel", "crisis"],
                         label_aliases={"Crisis and out of hours help": "crisis-out-of-hours"})
    assert data.report.label_with_note_rows == []
    assert data.labels[data.ids.index("w1")] == ["crisis-out-of-hours", "travel"]


def test_bring_your_own_data_trains_and_evaluates(tmp_path, notes):
    texts, labels, _, _ = notes
    path = tmp_path / "byo.csv"
    lines = ["id,text,codes"]
    for i, (text, row) in enumerate(zip(texts, labels, strict=True)):
        codes = "|".join(lab.upper() for lab in row) + ("|Zz9" if i == 0 else "")
        lines.append(f'{i},"{text}",{codes}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = load_labelled(path, label_col="codes", label_sep="|", min_count=5)
    assert data.report.rare == {"Zz9": ["0"]}
    train, test = data.subset(range(70)), data.subset(range(70, len(data)))
    model = TagModel.fit(
        train.texts, train.labels, label_names=data.label_names, backend_params={"cv": 3}
    )
    metrics = evaluate(model, test.texts, test.labels)
    assert metrics["macro_f1"] > 0.8
    assert set(metrics["per_label"]) == set(data.label_names)
    assert model.metadata["metrics"] is metrics
    model.save(tmp_path / "model")
    card = (tmp_path / "model" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "macro_f1" in card


def test_missing_text_column_is_a_clear_error(messy_csv):
    with pytest.raises(
        FileRejected,
        match=r"line 1 has 5 columns and none is called 'text' \(case and spaces ignored\); "
        r"the first line must be the header row; if the notes are in a column with another "
        r"name, pass --text-col NAME \(the column 'feedback' may hold them\)",
    ):
        load_labelled(messy_csv)


ROWS = [("n1", "Waited months for the GP – £5 bus fare each time", "Access"),
        ("n2", "Mum’s exhausted caring for me", "Carers; Access"),
        ("n3", "Nobody rang back", "access")]


def test_windows_1252_csv_is_decoded_and_the_conversion_reported(tmp_path):
    path = tmp_path / "excel.csv"
    body = "id,text,codes\r\n" + "".join(f'{i},"{t}",{c}\r\n' for i, t, c in ROWS)
    path.write_bytes(body.encode("cp1252"))
    data = load_labelled(path, label_col="codes")
    assert data.texts == [t for _, t, _ in ROWS]
    # "Access" twice, "access" once: one label, spelt the commoner way
    assert data.labels == [["Access"], ["Carers", "Access"], ["Access"]]
    assert "Windows-1252" in data.report.summary()


def test_semicolon_csv_and_json_array_read_like_a_comma_csv(tmp_path):
    semi = tmp_path / "semi.csv"
    semi.write_text(
        "id;text;codes\n" + "".join(f'{i};"{t}";"{c}"\n' for i, t, c in ROWS), encoding="utf-8"
    )
    array = tmp_path / "notes.json"
    array.write_text(
        json.dumps([{"id": i, "text": t, "codes": c.split(";")} for i, t, c in ROWS]),
        encoding="utf-8",
    )
    for path in (semi, array):
        data = load_labelled(path, label_col="codes")
        assert data.ids == ["n1", "n2", "n3"]
        assert data.labels == [["Access"], ["Carers", "Access"], ["Access"]]


def test_unreadable_rows_are_skipped_and_named_by_line(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text(
        'id,text,codes\nn1,"fine note",a\nn2,"too",many,fields,a\n\nn3,"also fine",b\n',
        encoding="utf-8",
    )
    data = load_labelled(path, label_col="codes")
    assert data.ids == ["n1", "n3"]
    assert data.report.unreadable_rows == [
        "line 3: row has 5 fields but the header has 3" + COMMA_HINT]
    assert data.report.problems and "line 3" in data.report.summary()
    assert data.report.n_rows == 3


def test_rows_without_an_id_are_named_by_their_line(tmp_path):
    path = tmp_path / "noid.csv"
    rows = 'text,codes\n"first",a\n"second\nover two lines",b\n"third",a\n'
    path.write_text(rows, encoding="utf-8")
    assert load_labelled(path, label_col="codes").ids == ["line-2", "line-3", "line-5"]


def test_repeated_column_names_are_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("id,text,codes,codes\n1,a note,a,b\n", encoding="utf-8")
    with pytest.raises(FileRejected, match="more than once: 'codes'"):
        load_labelled(path, label_col="codes")


def test_columns_match_whatever_their_case_or_spacing(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("ID,Note Text,Codes\nn1,Waited months,Access\nn2,Mum is tired,Carers\n",
                    encoding="utf-8")
    data = load_labelled(path, text_col="note_text", label_col="codes")
    assert data.ids == ["n1", "n2"]
    assert data.labels == [["Access"], ["Carers"]]


def test_spreadsheets_not_read_are_refused_with_what_to_do(tmp_path):
    path = tmp_path / "labels.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + bytes(100))
    with pytest.raises(FileRejected, match="save the sheet as .xlsx or as CSV"):
        load_labelled(path)


def test_label_columns_with_commas_in_their_names(tmp_path):
    path = tmp_path / "commas.csv"
    path.write_text(
        'id,text,"Access, waiting","Crisis, urgent",other\n'
        "1,waited a year,1,0,0\n2,nobody came at night,0,1,1\n3,all fine,0,0,0\n",
        encoding="utf-8",
    )
    whole = load_labelled(path, label_cols=["Access, waiting", "Crisis, urgent"])
    assert whole.label_names == ["Access, waiting", "Crisis, urgent"]
    assert whole.labels == [["Access, waiting"], ["Crisis, urgent"], []]
    listed = load_labelled(path, label_cols=["Crisis, urgent", "other"])
    assert listed.labels == [[], ["Crisis, urgent", "other"], []]
    with pytest.raises(FileRejected, match=r"no label column 'Access, waits', nor 'Access' when "
                                           r"it is read as a list of columns .*; did you mean "
                                           r"'Access, waiting'\?$"):
        load_labelled(path, label_cols=["Access, waits"])


def test_a_stray_value_does_not_turn_a_0_1_column_into_labels(tmp_path):
    rows = [f"{i},note {i},{i % 2},{1 - i % 2}" for i in range(40)]
    rows[3] = "3,note 3,2,0"
    rows[8] = "8,note 8,?,1"
    path = tmp_path / "ticks.csv"
    path.write_text("id,text,money,carers\n" + "\n".join(rows) + "\n", encoding="utf-8")
    for data in (load_labelled(path), load_labelled(path, label_cols=["money", "carers"])):
        assert data.label_names == ["carers", "money"]
        assert data.labels[3] == [] and data.labels[8] == ["carers"]
        assert data.report.odd_cells == ["3 money='2'", "8 money='?'"]
        assert "not 0/1" in data.report.summary()


def test_spellings_of_one_label_are_one_label_and_the_codebook_wins(tmp_path):
    path = tmp_path / "spellings.csv"
    path.write_text(
        "id,text,labels\n1,a,Access Waiting\n2,b,access_waiting\n3,c,ACCESS-WAITING;carers\n"
        "4,d,carers family\n5,e,made up\n6,f,\n",
        encoding="utf-8",
    )
    free = load_labelled(path, label_col="labels")
    assert free.report.counts == {"Access Waiting": 3, "carers": 1, "carers family": 1,
                                  "made up": 1}
    book = load_labelled(path, label_col="labels",
                         known_labels=["access-waiting", "carers-family", "crisis-urgent"])
    # "ACCESS-WAITING" differs from the codebook's id by case only: read, not reported
    assert book.report.renamed == {"Access Waiting": "access-waiting",
                                   "access_waiting": "access-waiting",
                                   "carers family": "carers-family"}
    assert book.labels[:3] == [["access-waiting"], ["access-waiting"], ["access-waiting"]]
    # 'made up' is unknown and the row had nothing else: dropped, not a "no category" note
    assert book.report.unknown_only_rows == ["5"] and "5" not in book.ids
    assert book.report.unlabelled_rows == ["6"]
    assert book.report.absent == ["crisis-urgent"]
    assert "labels with no examples: crisis-urgent" in book.report.summary()


def test_a_note_file_trains_on_its_categories_not_its_consent_flags(tmp_path):
    path = tmp_path / "notes.jsonl"
    rows = [
        {"id": f"n{i}", "text": f"note {i}", "categories": ["access-waiting"] if i % 2 else [],
         "consent_quote": True, "consent_contact": i % 3 == 0, "place": "Hull"}
        for i in range(30)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    data = load_labelled(path)
    assert data.label_names == ["access-waiting"]
    assert data.report.label_columns == ["categories"]
    wide = tmp_path / "wide.csv"
    wide.write_text("text,Community,consent_quote\nthe group,1,yes\nthe bus,0,no\n",
                    encoding="utf-8")
    report = load_labelled(wide).report
    assert report.label_columns == ["Community"]  # a 0/1 label, though a note field's name
    assert report.note_field_columns == ["consent_quote"]
    assert "note fields, not read as labels" in report.summary()


def test_numbers_in_the_text_column_are_refused(tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_text("id,text,note,labels\n" + "".join(
        f"{i},{i * 7},real words {i},a\n" for i in range(30)), encoding="utf-8")
    with pytest.raises(FileRejected, match="holds numbers, not notes"):
        load_labelled(path, label_col="labels")
    assert load_labelled(path, text_col="note", label_col="labels").texts[0] == "real words 0"


def test_duplicates_conflicts_and_thin_data_are_warned_about(tmp_path):
    path = tmp_path / "thin.csv"
    path.write_text(
        "id,text,labels\n1,Waited ages,a\n1,Waited ages,b\n2,Nobody rang,a\n"
        "2,The bus stopped,b\n", encoding="utf-8"
    )
    data = load_labelled(path, label_col="labels")
    report = data.report
    # one note given a label a row, as a long-format file lists them: joined, not a conflict
    assert report.joined_rows == ["1"] and data.labels[0] == ["a", "b"] and len(data) == 3
    assert report.duplicate_ids == ["2"]  # two notes under one id
    summary = report.summary()
    assert "only 3 usable rows" in summary
    assert "joined to it: one note with every label given" in summary
    assert "ids used by more than one row: 1 (id 2)" in summary
    everywhere = tmp_path / "everywhere.csv"
    everywhere.write_text("text,labels\n" + "".join(f"note {i},a\n" for i in range(25)),
                          encoding="utf-8")
    assert "is on every row" in load_labelled(everywhere, label_col="labels").report.summary()


def test_evaluate_averages_labels_with_examples_and_counts_training_notes(tmp_path, notes):
    texts, labels, _, _ = notes
    model = TagModel.fit(texts[:80], labels[:80], backend_params={"cv": 3})
    present = sorted({lab for row in labels[80:] for lab in row})
    held = evaluate(model, texts[80:], labels[80:])
    absent = [n for n in model.labels if n not in present]
    assert held["labels_without_examples"] == absent
    f1s = [held["per_label"][n]["f1"] for n in present]
    assert held["macro_f1"] == pytest.approx(sum(f1s) / len(f1s), abs=1e-3)
    assert held["notes_seen_in_training"] == len(set(texts[80:]) & set(texts[:80]))
    seen = evaluate(model, texts[:30], labels[:30])
    assert seen["notes_seen_in_training"] == len(set(texts[:30]))


def test_a_category_never_tagged_has_no_precision_rather_than_zero(tmp_path, notes):
    """Precision of a category the model never tagged is undefined: shown as 0.000 it read
    as "every tag was wrong" when there was no tag."""
    texts, labels, _, _ = notes
    model = TagModel.fit(texts[:80], labels[:80], backend_params={"cv": 3})
    held = ["Waited a year for a call back from the team."] * 3
    column = model.labels.index("daily-living")
    assert model.predict(held)[:, column].sum() == 0
    metrics = evaluate(model, held, [["daily-living"]] * 3, safeguarding=[True] * 3)
    assert metrics["per_label"]["daily-living"]["precision"] is None
    assert metrics["per_label"]["daily-living"]["recall"] == 0.0
    assert not any(t.safeguarding for t in model.tag(held))  # so no flag to be right or wrong
    assert metrics["safeguarding_precision"] is None
    model.save(tmp_path / "model")
    card = (tmp_path / "model" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "| daily-living | never tagged | 0.000 | 0.000 (too few to judge) | 3 |" in card


def test_a_category_without_examples_is_not_averaged_even_when_tagged(notes):
    """A tag in a category no held-out note has is wrong (micro-F1, precision), but its
    F1 of 0 measures nothing: macro-F1 averages the categories with examples only."""
    texts, labels, _, _ = notes
    model = TagModel.fit(texts[:80], labels[:80], backend_params={"cv": 3})
    held = [[lab for lab in row if lab != "daily-living"] for row in labels[80:]]
    assert model.predict(texts[80:])[:, model.labels.index("daily-living")].sum() > 0
    metrics = evaluate(model, texts[80:], held)
    assert metrics["per_label"]["daily-living"]["support"] == 0
    assert metrics["labels_without_examples"] == ["daily-living"]
    tested = [metrics["per_label"][n]["f1"] for n in ("access-waiting", "carers-family")]
    assert metrics["macro_f1"] == pytest.approx(sum(tested) / 2, abs=1e-3)
    assert metrics["micro_f1"] < evaluate(model, texts[80:], labels[80:])["micro_f1"]


def test_data_coding_some_categories_is_scored_on_those_only(tmp_path, notes):
    """0/1 columns for two of the model's three categories say nothing of the third: its
    tags are neither right nor wrong there, so it is not scored at all."""
    texts, labels, _, _ = notes
    model = TagModel.fit(texts[:80], labels[:80], backend_params={"cv": 3})
    path = tmp_path / "two.csv"
    path.write_text("text,Access waiting,Carers family\n" + "".join(
        f'"{text}",{int("access-waiting" in row)},{int("carers-family" in row)}\n'
        for text, row in zip(texts[80:], labels[80:], strict=True)), encoding="utf-8")
    for named in (["Access waiting", "Carers family"], None):  # given, or found as 0/1
        data = load_labelled(path, label_cols=named, known_labels=model.labels, training=False)
        assert data.report.coded == ["access-waiting", "carers-family"]
        assert "the data codes only 2 of the model's 3 labels" in data.report.summary()
        assert data.report.absent == []  # daily-living is not coded, not "no examples"
    metrics = evaluate(model, data.texts, data.labels, scored=data.report.coded)
    assert list(metrics["per_label"]) == ["access-waiting", "carers-family"]
    assert metrics["labels_not_scored"] == ["daily-living"]
    assert metrics["labels_without_examples"] == []
    f1s = [m["f1"] for m in metrics["per_label"].values()]
    assert metrics["macro_f1"] == pytest.approx(sum(f1s) / 2, abs=1e-3)
    # the same notes scored on every category: daily-living tags count as wrong
    everything = evaluate(model, data.texts, data.labels)
    assert everything["per_label"]["daily-living"]["support"] == 0
    assert everything["micro_f1"] < metrics["micro_f1"]
    with pytest.raises(ValueError, match="not the model's categories"):
        evaluate(model, data.texts, data.labels, scored=["access-waiting", "housing"])
    # a column of names codes every category: nothing is left unscored
    names = tmp_path / "names.csv"
    names.write_text("text,codes\nWaited months,access-waiting\n", encoding="utf-8")
    assert load_labelled(names, label_col="codes", known_labels=model.labels,
                         training=False).report.coded is None


def test_the_label_separator_is_guessed_and_odd_joins_are_flagged(tmp_path):
    pipes = tmp_path / "pipes.csv"
    pipes.write_text("id,text,labels\n1,a,money|travel\n2,b,travel\n", encoding="utf-8")
    data = load_labelled(pipes, label_col="labels")
    assert data.labels == [["money", "travel"], ["travel"]]
    assert "separated by '|'" in data.report.summary()
    commas = tmp_path / "commas.csv"
    commas.write_text('id,text,labels\n1,a,"money, travel"\n2,b,travel\n', encoding="utf-8")
    joined = load_labelled(commas, label_col="labels")
    assert joined.label_names == ["money, travel", "travel"]  # commas only when asked
    assert "1 labels contain a separator ('money, travel')" in joined.report.summary()
    # "money" is a codebook label, "travel" seen alone: commas are what separates them
    hinted = load_labelled(commas, label_col="labels", known_labels=["money", "travel"])
    assert hinted.labels == [["money", "travel"], ["travel"]]  # split without asking
    assert "separated by ','" in hinted.report.summary()
    assert load_labelled(commas, label_col="labels", label_sep=",").labels[0] == [
        "money", "travel"]
    lonely = tmp_path / "lonely.csv"
    lonely.write_text('id,text,labels\n1,a,"fish, chips"\n', encoding="utf-8")
    assert ("1 labels with a separator in their name were kept whole ('fish, chips'); if a "
            "cell lists several labels, give --label-sep"
            in load_labelled(lonely, label_col="labels").report.summary())


def test_labels_on_separate_lines_of_one_cell_are_separate_labels(tmp_path):
    # Excel's Alt+Enter lists several labels in one cell, one a line
    path = tmp_path / "lines.csv"
    path.write_text('id,text,themes\n1,a,"Waiting\nStaff attitude, kindness"\n'
                    '2,b,"Waiting;\r\nMoney"\n3,c,Money\n', encoding="utf-8")
    data = load_labelled(path, label_col="themes")
    assert data.labels == [["Waiting", "Staff attitude, kindness"], ["Waiting", "Money"],
                           ["Money"]]


def test_a_mistyped_column_name_gets_the_file_column_it_most_likely_meant(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Ref,Comment,Themes\nr1,a,x\n", encoding="utf-8")
    with pytest.raises(FileRejected, match=r"no id column 'Reff' .*; did you mean 'Ref'\?"):
        load_labelled(path, text_col="comment", id_col="Reff", label_col="themes")
    with pytest.raises(FileRejected, match=r"t.csv: no label column 'Themez' .*did you mean "
                                           r"'Themes'\?$"):
        load_labelled(path, text_col="comment", label_cols=["Themez"])
    with pytest.raises(FileRejected, match=r"no label column 'Codes' \(columns: "
                                           r"\['Ref', 'Comment', 'Themes'\]\)$"):
        load_labelled(path, text_col="comment", label_col="Codes")


def test_a_ref_column_is_the_id_and_sentiment_words_are_experiences(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Ref,Comment,Themes,Sentiment\nR1,Waited a year.,waiting,Bad\n"
                    "R2,Lovely nurse.,staff,GOOD\nR3,Nurse kind but a long wait.,staff;waiting,"
                    "Mixed\nR4,Rang the line.,waiting,meh\nR5,Saw the GP.,staff,OK\n",
                    encoding="utf-8")
    data = load_labelled(path, text_col="comment", label_col="themes")
    assert data.ids == ["R1", "R2", "R3", "R4", "R5"]
    assert data.experience == ["negative", "positive", "mixed", None, "neutral"]
    summary = data.report.summary()
    assert "read 'Ref' as id" in summary and "read 'Sentiment' as experience" in summary
    assert "experience values not read (1 rows" in summary and "'meh' (1)" in summary


NOTES = [
    "Caller from Leeds had to give up her job as a nurse to look after her dad full time",
    "Asked about a grant for a new washing machine because the old one broke last winter",
    "Said the respite place cancelled twice this month and nobody rang to explain why",
    "Wants to know if there is a carers group near Harehills that meets in the evening",
]


def test_a_note_column_is_never_read_as_labels_or_ids(tmp_path):
    """Labels and ids are shown in reports and stored in the model: never note text."""
    path = tmp_path / "notes.csv"
    rows = [f"c{i},\"{text}\",respite" for i, text in enumerate(NOTES * 3)]
    path.write_text("id,text,labels\n" + "\n".join(rows) + "\n", encoding="utf-8")
    for kwargs in ({"label_col": "text"}, {"label_cols": ["Text"]}, {"id_col": "text"}):
        with pytest.raises(FileRejected, match="is the text column") as caught:
            load_labelled(path, **kwargs)
        assert "nurse" not in str(caught.value)
    copied = tmp_path / "copied.csv"  # the notes again under another name
    rows = [f"c{i},\"{text} (visit {i})\",\"{text} (visit {i})\""
            for i, text in enumerate(NOTES * 3)]
    copied.write_text("id,text,comment\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(FileRejected, match="read like sentences, not labels") as caught:
        load_labelled(copied, label_col="comment")
    assert "nurse" not in str(caught.value)
    with pytest.raises(FileRejected, match="read like sentences, not ids"):
        load_labelled(copied, id_col="comment", label_col="id")
    # the notes again, each on two rows (one per label), or cut into fragments at ';'
    long = tmp_path / "long.csv"
    rows = [f"\"{text} (visit {i})\",{label}" for i, text in enumerate(NOTES * 5)
            for label in ("a", "b")]
    long.write_text("note,category\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(FileRejected, match="read like sentences"):
        load_labelled(long, text_col="category", label_col="note")
    fragments = tmp_path / "fragments.csv"
    rows = [f"{i},x,\"{text.replace(' and ', ';').replace(' to ', ';')} {i}\""
            for i, text in enumerate(NOTES * 6)]
    fragments.write_text("id,text,notes\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(FileRejected, match="read like sentences") as caught:
        load_labelled(fragments, label_col="notes")
    assert "nurse" not in str(caught.value)
    # a stray long value in a 0/1 column is reported by its length, not its words
    stray = tmp_path / "stray.csv"
    cells = ["1", "0"] * 20
    cells[3] = "yes, Quimbleton waited 9 months"
    stray.write_text("text,waiting\n" + "".join(f"n{i},\"{c}\"\n" for i, c in enumerate(cells)),
                     encoding="utf-8")
    summary = load_labelled(stray).report.summary()
    assert "Quimbleton" not in summary and "<31 characters>" in summary
    with pytest.raises(FileRejected, match="no id column 'ref'"):
        load_labelled(path, id_col="ref", label_col="labels")
    # long label names shared by many rows are labels
    long_name = "access to services and waiting times for a first assessment or treatment"
    shared = tmp_path / "shared.csv"
    shared.write_text("text,labels\n" + "".join(f"note {i},{long_name}\n" for i in range(12)),
                      encoding="utf-8")
    assert load_labelled(shared, label_col="labels").label_names == [long_name]


def test_ticks_in_named_label_columns_are_ones_not_labels(tmp_path):
    cells = ["1", "0", "x", "✓", "", "TRUE", "1.0", "0"]
    rows = [f"n{i},note {i},{cells[i % 8]},{cells[(i + 3) % 8]}" for i in range(40)]
    path = tmp_path / "ticks.csv"
    path.write_text("id,text,Respite Care,Money\n" + "\n".join(rows) + "\n", encoding="utf-8")
    for data in (load_labelled(path), load_labelled(path, label_cols=["Respite Care", "Money"])):
        assert data.label_names == ["Money", "Respite Care"]
        # row 2: x and TRUE; row 3: ✓ and 1.0; row 4: blank and 0
        assert data.labels[2] == data.labels[3] == ["Respite Care", "Money"]
        assert data.labels[4] == []
        assert data.report.odd_cells == [] and not data.report.unknown
    # a named column with many stray values is still a 0/1 column, its strays reported
    messy = [f"n{i},note {i},{'maybe' if i % 4 == 0 else i % 2}" for i in range(40)]
    path.write_text("id,text,Respite\n" + "\n".join(messy) + "\n", encoding="utf-8")
    named = load_labelled(path, label_cols=["Respite"])
    assert named.label_names == ["Respite"] and len(named.report.odd_cells) == 10
    assert not named.report.unknown


def test_labels_with_very_few_examples_are_warned_about(tmp_path):
    path = tmp_path / "few.csv"
    rows = [f"note {i},{'respite' if i < 20 else 'other'}" for i in range(23)]
    path.write_text("text,labels\n" + "\n".join(rows) + "\n", encoding="utf-8")
    summary = load_labelled(path, label_col="labels").report.summary()
    assert "fewer than 5 examples" in summary and "other (3)" in summary
    assert "--min-count 5" in summary


def _labelled_csv(path, header, rows):
    import csv as _csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = _csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_a_note_written_into_a_label_cell_never_becomes_a_label(tmp_path):
    rows = [[f"n{i}", f"note number {i} about things", "housing" if i % 2 else "medication"]
            for i in range(20)]
    rows[3][2] = "Housing (she said her landlord Mr Khan threatens her)"
    rows[4][2] = "medication - call back on 07700 900123"
    rows[5][2] = "Worried about her son who will not leave his room at all"
    path = _labelled_csv(tmp_path / "tags.csv", ["id", "text", "tags"], rows)
    data = load_labelled(path, label_col="tags")
    assert data.label_names == ["housing", "medication"]
    assert data.report.label_with_note_rows == ["n3", "n4"]
    assert data.report.note_label_rows == ["n5"]
    assert "n5" not in data.ids  # what it is about is unknown: not taught as "neither"
    assert data.labels[data.ids.index("n3")] == ["housing"]
    summary = data.report.summary()
    assert "Khan" not in summary and "07700" not in summary and "her son" not in summary


def test_a_short_note_naming_a_person_in_a_label_cell_is_never_shown_or_kept(tmp_path):
    rows = [[f"n{i}", f"note number {i} about things", "housing" if i % 2 else "medication"]
            for i in range(20)]
    rows[4][2] = "Kayleigh Smith dad hits her"  # five words: short, but it names a child
    rows[6][2] = "Kayleigh Smith dad hits her"  # twice: still not a label
    path = _labelled_csv(tmp_path / "tags.csv", ["id", "text", "tags"], rows)
    for known in (None, ["housing", "medication"]):
        data = load_labelled(path, label_col="tags", known_labels=known)
        assert data.label_names == ["housing", "medication"]
        assert data.report.note_label_rows == ["n4", "n6"]
        assert "Kayleigh" not in data.report.summary() and not data.report.unknown
    # a code that reads oddly to the name finder is still a label ("one-to-one")
    rows[4][2] = rows[6][2] = "one-to-one care/time with service user"
    path = _labelled_csv(tmp_path / "codes.csv", ["id", "text", "tags"], rows)
    assert "one-to-one care/time with service user" in load_labelled(
        path, label_col="tags").label_names


def test_comma_separated_labels_are_recognised_and_punctuation_is_no_label(tmp_path):
    cells = ["housing, medication,,", "waiting times,", ",,", "housing", "medication",
             "waiting times, housing"]
    rows = [[f"n{i}", f"note {i} about the week", cells[i % len(cells)]] for i in range(24)]
    path = _labelled_csv(tmp_path / "codes.csv", ["id", "text", "codes"], rows)
    data = load_labelled(path, label_col="codes")
    assert data.label_names == ["housing", "medication", "waiting times"]
    assert "labels in 'codes' separated by ','" in data.report.summary()
    assert data.labels[0] == ["housing", "medication"] and data.labels[2] == []
    # a codebook whose names hold commas keeps ';' (its names are whole)
    kept = load_labelled(path, label_col="codes", known_labels=[
        "housing, medication,,", "housing", "medication", "waiting times"])
    assert "separated by ','" not in kept.report.summary()
    named = load_labelled(path, label_col="codes", known_labels=["housing"], training=False,
                          label_aliases={"Housing, Medication": "housing"})
    assert "separated by ','" not in named.report.summary()


def test_a_column_mixing_separators_is_split_at_each(tmp_path):
    """An export edited by several people: '; ', ', ' and ' / ' in one column. Each part
    is a whole label of the codebook, so each separator lists labels."""
    cells = ["Housing; Loneliness", "housing, crisis help", "Money worries / Housing",
             "loneliness", "Crisis help", "money worries"]
    rows = [[f"n{i}", f"note {i} about the week", cells[i % len(cells)]] for i in range(24)]
    path = _labelled_csv(tmp_path / "codes.csv", ["id", "text", "themes"], rows)
    known = ["housing", "loneliness", "crisis-help", "money"]
    data = load_labelled(path, label_col="themes", known_labels=known,
                         label_aliases={"Crisis help": "crisis-help", "Money worries": "money"})
    assert "separated by ';' and ',' and '/'" in data.report.summary()
    assert data.labels[:3] == [["housing", "loneliness"], ["housing", "crisis-help"],
                               ["money", "housing"]]
    assert not data.report.unknown and len(data.ids) == 24
    # without a codebook: the parts are other cells' whole labels
    plain = load_labelled(path, label_col="themes")
    assert [lab.lower() for lab in plain.labels[2]] == ["money worries", "housing"]
    assert not plain.report.unknown_only_rows
    # a codebook name with '/' in it keeps '/' out
    slashed = ["a / b", "a", "b"]
    rows = [[f"s{i}", f"note {i}", slashed[i % 3]] for i in range(9)]
    path = _labelled_csv(tmp_path / "slash.csv", ["id", "text", "themes"], rows)
    assert load_labelled(path, label_col="themes").labels[0] == ["a", "b"]
    kept = load_labelled(path, label_col="themes", known_labels=["a / b", "a", "b"])
    assert kept.labels[0] == ["a / b"]


def test_training_with_a_codebook_the_rows_were_not_labelled_with_is_refused(tmp_path):
    rows = [[f"n{i}", f"note {i} about the week", ["Housing", "Loneliness", "Money"][i % 3]]
            for i in range(30)]
    rows[0][2] = "crisis-urgent"
    path = _labelled_csv(tmp_path / "themes.csv", ["id", "text", "themes"], rows)
    with pytest.raises(FileRejected) as refused:
        load_labelled(path, label_col="themes", known_labels=["crisis-urgent", "access"])
    said = str(refused.value)
    assert "29 of 30 labelled rows carry only labels not in the codebook" in said
    assert all(f"'{name}'" in said for name in ("Housing", "Loneliness", "Money"))
    assert "without --codebook" in said
    # scoring a model on such data is evaluate's to judge: it says what it can score
    scored = load_labelled(path, label_col="themes", known_labels=["crisis-urgent"],
                           training=False)
    assert scored.ids == ["n0"]


def test_a_0_1_column_naming_no_category_is_not_a_label(tmp_path):
    """Among the other columns, a 0/1 'Follow up needed?' is not a category: its rows are
    kept as they are; '&' and 'and' spell one name."""
    rows = [[f"n{i}", f"note {i} about the week", int(i % 3 == 0), int(i % 3 == 1),
             int(i % 2 == 0)] for i in range(30)]
    path = _labelled_csv(tmp_path / "ticks.csv", ["id", "text", "Housing",
                                                  "School & exam pressure",
                                                  "Follow up needed?"], rows)
    data = load_labelled(path, known_labels=["housing", "school-pressure"],
                         label_aliases={"School and exam pressure": "school-pressure"})
    assert data.report.counts == {"housing": 10, "school-pressure": 10}
    assert len(data.ids) == 30 and not data.report.unknown_only_rows
    assert "0/1 columns that name no category of the codebook, not read as labels: " \
        "'Follow up needed?'" in data.report.summary()
    # named as label columns, it is a label the codebook lacks, said as such
    named = load_labelled(path, label_cols=["Housing", "Follow up needed?"],
                          known_labels=["housing", "school-pressure"], training=False)
    assert "Follow up needed?" in named.report.unknown


def test_label_counts_leave_out_rows_with_no_words(tmp_path):
    rows = [["b1", "A note about housing.", "housing"], ["b2", "12345", "money"],
            ["b3", "Another note.", "housing"]]
    path = _labelled_csv(tmp_path / "few.csv", ["id", "text", "labels"], rows)
    data = load_labelled(path, label_col="labels")
    assert data.report.counts == {"housing": 2} and data.report.empty_text_rows == ["b2"]


def test_label_sep_splits_the_cells_of_label_columns_too(tmp_path):
    rows = [["n1", "note one", "housing/money", "crisis"], ["n2", "note two", "money", ""]]
    path = _labelled_csv(tmp_path / "themes.csv", ["id", "text", "Theme 1", "Theme 2"], rows)
    whole = load_labelled(path, label_cols=["Theme 1", "Theme 2"])
    assert whole.labels[0] == ["housing/money", "crisis"]  # a code a cell, unless told
    split = load_labelled(path, label_cols=["Theme 1", "Theme 2"], label_sep="/")
    assert split.labels[0] == ["housing", "money", "crisis"]


def test_a_codebook_name_is_read_as_its_category(tmp_path):
    rows = [[f"n{i}", f"note {i} about money", "Money and benefits" if i % 2 else "Housing"]
            for i in range(20)]
    path = _labelled_csv(tmp_path / "named.csv", ["id", "text", "labels"], rows)
    data = load_labelled(path, label_col="labels", known_labels=["money", "housing"],
                         label_aliases={"Money and benefits": "money", "Housing": "housing"})
    assert data.report.counts == {"money": 10, "housing": 10} and not data.report.unknown
    assert data.report.renamed == {"Money and benefits": "money"}
    # "Housing" read as the codebook's "housing" is not reported as a renaming


def test_note_fields_under_other_names_are_not_labels(tmp_path):
    rows = [[f"n{i}", f"note {i} about the group", "Y" if i % 3 else "N",
             "Y" if i == 4 else "N", "Y" if i % 2 else "N"] for i in range(30)]
    path = _labelled_csv(tmp_path / "ticks.csv",
                         ["id", "text", "Can we quote them?", "Safeguarding concern?",
                          "Follow up needed"], rows)
    data = load_labelled(path)
    assert data.label_names == ["Follow up needed"]
    assert data.report.note_field_columns == ["Can we quote them?"]
    assert data.safeguarding is not None and data.safeguarding.count(True) == 1
    assert "read 'Safeguarding concern?' as safeguarding" in data.report.summary()


def test_label_col_given_a_yes_no_column_says_to_use_label_cols(tmp_path):
    rows = [[f"n{i}", f"note {i}", "Y" if i % 2 else "N"] for i in range(20)]
    path = _labelled_csv(tmp_path / "yn.csv", ["id", "text", "Housing"], rows)
    with pytest.raises(FileRejected, match="use --label-cols 'Housing'"):
        load_labelled(path, label_col="Housing")


def test_rows_without_words_and_exact_copies_are_not_trained_on(tmp_path):
    rows = [[f"n{i}", f"note {i} on the bus", "housing" if i % 2 else "money"]
            for i in range(20)]
    rows += [["q1", "?", "housing"], ["q2", "42", "housing"],
             ["c1", "note 1 on the bus", "housing"], ["c2", "note 2 on the  bus", "housing"]]
    path = _labelled_csv(tmp_path / "rows.csv", ["id", "text", "labels"], rows)
    data = load_labelled(path, label_col="labels")
    assert data.report.empty_text_rows == ["q1", "q2"]
    assert data.report.repeated_rows == ["c1"]  # same text and labels as n1
    assert data.report.joined_rows == ["c2"]  # same text as n2, other labels: joined
    assert data.labels[data.ids.index("n2")] == ["money", "housing"]
    assert len(data) == 20


def test_a_comma_in_a_0_1_column_name_is_not_taken_for_a_separator(tmp_path):
    rows = [[f"n{i}", f"note {i}", i % 2, 1 - i % 2] for i in range(30)]
    path = _labelled_csv(tmp_path / "named.csv",
                         ["id", "text", "Culture, Faith & Language", "Housing"], rows)
    data = load_labelled(path, label_cols=["Culture, Faith & Language", "Housing"])
    assert data.label_names == ["Culture, Faith & Language", "Housing"]
    assert not any("separator" in w for w in data.report.warnings)


def test_the_usual_id_column_names_are_read_as_the_id(tmp_path):
    rows = [[f"N-{i}", f"note {i} about the week", "housing"] for i in range(5)]
    path = _labelled_csv(tmp_path / "ids.csv", ["Note ID", "text", "labels"], rows)
    data = load_labelled(path, label_col="labels")
    assert data.ids == [f"N-{i}" for i in range(5)]
    assert "file: read 'Note ID' as id" in data.report.summary()


def test_data_to_score_a_model_on_gets_no_training_warnings(tmp_path):
    rows = [[f"n{i}", f"note {i} about the week", "housing" if i < 3 else "money"]
            for i in range(10)]
    path = _labelled_csv(tmp_path / "held.csv", ["id", "text", "labels"], rows)
    trained = load_labelled(path, label_col="labels").report.warnings
    scored = load_labelled(path, label_col="labels", training=False).report.warnings
    assert any("cannot have their threshold tuned" in w for w in trained)
    assert any("treat the model as a sketch" in w for w in trained)
    assert scored == ["only 10 usable rows: one note more or less moves the scores a lot"]


def test_safeguarding_answers_are_read_as_ingest_reads_them(tmp_path):
    answers = ["Yes - said she has stopped eating", "No concerns", "not sure", "", "x",
               "None noted", "Y (see note)", "No, but her brother worries me", "?", "N"]
    rows = [[f"n{i}", f"note {i} about the group", answer, "money" if i % 2 else "housing"]
            for i, answer in enumerate(answers)]
    path = _labelled_csv(tmp_path / "sg.csv", ["id", "text", "safeguarding", "labels"], rows)
    data = load_labelled(path, label_col="labels")
    # a worry in words is a flag (the rule ingest uses); only a clear no or a blank is not
    assert data.safeguarding == [True, False, True, False, True,
                                 False, True, True, True, False]


def test_a_long_label_list_shows_the_commonest_and_points_to_the_card(tmp_path):
    # 45 labels: label-0 on 45 rows ... label-44 on 1 row
    rows = [[f"n{i}-{k}", f"note {i} {k}", f"label-{i}"] for i in range(45) for k in range(45 - i)]
    path = _labelled_csv(tmp_path / "many.csv", ["id", "text", "labels"], rows)
    summary = load_labelled(path, label_col="labels").report.summary()
    assert "45 labels; the 40 commonest: label-0 (45), label-1 (44)," in summary
    assert "label-39 (6); and 5 more (the model card lists every label's count)" in summary
    assert "label-40 (" not in summary.split("\n")[0]


def test_a_labelled_file_with_only_its_header_says_so(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("id,text,labels\n\n", encoding="utf-8")
    with pytest.raises(FileRejected, match="no rows after the header"):
        load_labelled(path, label_col="labels")


def test_evaluate_reads_misspelt_labels_as_train_does_and_records_what_it_left_out(
        tmp_path, notes):
    """A misspelt label ("carers-famly") was left out of training with its row, but data to
    score a model on kept the row with its other labels: the model's right tag in the
    category meant counted as wrong, and the figures were understated (a user's
    staff-attitude precision 0.375, 0.423 once the typos were fixed). One reading for both:
    the row is left out and said, and the figures are those of the rows scored."""
    texts, labels, _, _ = notes
    model = TagModel.fit(texts[:60], labels[:60], backend_params={"cv": 3})
    held = list(zip(texts[60:], labels[60:], strict=True))
    # with another label, as with its other labels alone it would still be scored
    typo = [i for i, (_, row) in enumerate(held) if "carers-family" in row and len(row) > 1]
    typo = typo[:2]
    held.append(("We talked about the weather and little else.", []))  # no category
    assert len(typo) == 2
    rows = [[f"h{i}", text, ";".join("carers-famly" if i in typo and lab == "carers-family"
                                     else lab for lab in row)]
            for i, (text, row) in enumerate(held)]
    path = _labelled_csv(tmp_path / "held.csv", ["id", "text", "labels"], rows)
    for training in (True, False):
        read = load_labelled(path, label_col="labels", known_labels=model.labels,
                             training=training)
        assert read.report.misspelt_rows == [f"h{i}" for i in typo]
        assert read.report.misspelt == {"carers-famly": "carers-family"}
        assert not {f"h{i}" for i in typo} & set(read.ids)
    said = read.report.summary()
    assert "rows with a misspelt label (left out until it is fixed): 2 (ids " in said
    assert "fix the misspelt ones (did you mean ...?) and evaluate again" in said
    # evaluate has no --skip-unlabelled: a row with no label is scored as no category
    assert "rows with no usable label (kept, scored as notes with no category: a tag the " \
        "model gives one counts as wrong): 1 (id h30)" in said
    # the figures are those of the other rows alone: no right tag counted as wrong
    rest = [pair for i, pair in enumerate(held) if i not in typo]
    alone = evaluate(model, [t for t, _ in rest], [row for _, row in rest])
    metrics = evaluate(model, read.texts, read.labels, report=read.report)
    assert metrics["n_notes"] == len(rest) and metrics["per_label"] == alone["per_label"]
    assert metrics["rows_in_file"] == len(held)
    assert metrics["rows_left_out"] == {"a misspelt label": 2}
    model.save(tmp_path / "model")
    card = (tmp_path / "model" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert (f"Scored {len(rest)} of the {len(held)} rows in the file (not used: a misspelt "
            "label (2)); fix the misspelt labels and evaluate again.") in card
