from __future__ import annotations

import re
from pathlib import Path

import pytest

from insight.codebook import CodebookError, load_codebook, parse_codebook

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "enquiry-categories.md"

V1_IDS = [
    "cultural-factors", "community-support", "clinical-social-help", "continuity-relationships",
    "access-waiting", "crisis-urgent", "information-navigation", "voice-involvement",
    "fair-treatment", "daily-living", "carers-family",
]


def test_default_codebook_is_the_v1_contract() -> None:
    book = load_codebook()
    assert book.version == "1"
    assert book.ids == V1_IDS
    for category in book.categories:
        assert category.name and category.description and category.includes


@pytest.mark.skipif(not SPEC.exists(), reason="shared spec not mounted beside the checkout")
def test_default_codebook_matches_the_spec_table() -> None:
    rows = re.findall(r"^\| `([a-z-]+)` \| ([^|]+) \|", SPEC.read_text(), flags=re.M)
    assert [(i, n.strip()) for i, n in rows] == [(c.id, c.name) for c in load_codebook().categories]


def _write(tmp_path: Path, body: str, name: str = "book.yaml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_duplicate_id_names_file_and_entry(tmp_path: Path) -> None:
    path = _write(tmp_path, """
version: 2
categories:
  - {id: a, name: A, description: first}
  - {id: a, name: B, description: second}
""")
    with pytest.raises(CodebookError, match=r"book\.yaml: category #2 \('a'\): duplicate id 'a'"):
        load_codebook(path)


def test_missing_field_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, """
version: 2
categories:
  - {id: a, name: A}
""")
    with pytest.raises(CodebookError, match=r"category #1 \('a'\): missing field\(s\) description"):
        load_codebook(path)


def test_bad_parent_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, """
version: 2
categories:
  - {id: a, name: A, description: x, parent: nope}
""")
    with pytest.raises(CodebookError, match=r"\('a'\): parent 'nope' is not a category id"):
        load_codebook(path)


def test_toml_codebook_with_parent(tmp_path: Path) -> None:
    path = _write(tmp_path, """
version = "3"
[[categories]]
id = "money"
name = "Money"
description = "Benefits and debt"
includes = ["benefits"]
[[categories]]
id = "debt"
name = "Debt"
description = "Owing money"
parent = "money"
""", name="book.toml")
    book = load_codebook(path)
    assert book.version == "3"
    assert book.get("debt").parent == "money"
    assert "money" in book and "other" not in book


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match="not found"):
        load_codebook(tmp_path / "nope.yaml")
    with pytest.raises(CodebookError, match="not valid YAML"):
        load_codebook(_write(tmp_path, "version: [1\n"))
    with pytest.raises(CodebookError, match="non-empty list"):
        parse_codebook({"version": 1, "categories": []})


def test_label_texts_are_each_categorys_own_wording() -> None:
    book = load_codebook()
    texts = book.label_texts()
    assert list(texts) == book.ids
    for category in book.categories:
        assert texts[category.id] == [category.name, category.description, *category.includes]


def test_the_care_opinion_framework_codebook_loads() -> None:
    from insight.resources import corpora_dir

    book = load_codebook(corpora_dir() / "codebooks" / "care-opinion-phase1.yaml")
    assert len(book.ids) == 44 and "xf" in book
    assert book.label_texts()["xf"] == ["funding", "funding"]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(CodebookError) as caught:
        parse_codebook({"categories": [
            {"id": "a", "name": "A"},
            {"id": "b", "name": "B", "description": "b"},
            {"id": "b", "name": "B again", "description": "b"},
            {"id": "c", "name": "C", "description": "c", "includes": "not a list",
             "parent": "zz"},
            {"id": "d", "name": "D", "description": "d", "includes": ["crisis line", 111]},
        ]}, source="book.yaml")
    assert str(caught.value).splitlines() == [
        "book.yaml: missing 'version'",
        "book.yaml: category #1 ('a'): missing field(s) description",
        "book.yaml: category #3 ('b'): duplicate id 'b'",
        "book.yaml: category #4 ('c'): 'includes' must be a list of short phrases",
        # YAML reads an unquoted 111 as a number: which item, and how to write it
        "book.yaml: category #5 ('d'): 'includes' must be a list of short phrases, but 111 "
        'is not text: put it in quotes (e.g. "111")',
    ]


def test_a_misspelt_or_unknown_key_is_named_with_the_key_it_resembles(tmp_path: Path) -> None:
    path = _write(tmp_path, """
version: "2"
notes: for the team
categories:
  - id: housing
    name: Housing
    description: Somewhere to live
    exclude: [money for rent]
    extra_field: 1
""")
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    assert str(caught.value).splitlines() == [
        f"{path}: unknown key 'notes' (a codebook has only name, version, categories)",
        f"{path}: category #1 ('housing'): unknown key 'exclude' (did you mean 'excludes'?)",
        f"{path}: category #1 ('housing'): unknown key 'extra_field' "
        "(a category has only id, name, description, includes, excludes, parent)",
    ]
    with pytest.raises(CodebookError, match=r"unknown key 'catgories' \(did you mean 'categories'"):
        parse_codebook({"version": "1", "catgories": []}, source="book.yaml")


def test_a_misspelt_key_in_a_toml_codebook_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, """
version = "3"
[[categories]]
id = "money"
name = "Money"
description = "Benefits and debt"
Excludes = ["rent"]
""", name="book.toml")
    with pytest.raises(CodebookError, match=r"#1 \('money'\): unknown key 'Excludes' \(did you "
                                            r"mean 'excludes'\?\)"):
        load_codebook(path)


def test_a_key_written_twice_is_an_error_not_the_last_one_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, """version: "2"
categories:
  - id: housing
    name: Housing
    description: Somewhere to live
    excludes: [money for rent]
    excludes: [hospital discharge]
""")
    with pytest.raises(CodebookError, match=r"book\.yaml: line 7: key 'excludes' is written twice"):
        load_codebook(path)


def test_names_alike_but_for_case_or_spacing_are_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, """
version: "2"
categories:
  - {id: homes, name: Housing, description: Somewhere to live}
  - {id: rent, name: " housing ", description: Paying for it}
  - {id: money, name: Money, description: Benefits}
  - {id: debts, name: money, description: Owing money}
""")
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    assert str(caught.value).splitlines() == [
        f"{path}: category #2 ('rent'): name 'housing' differs only in case, spacing or "
        "punctuation from 'Housing', the name of category #1 ('homes'); files naming a "
        "category ignore those, so the two could not be told apart",
        f"{path}: category #4 ('debts'): name 'money' differs only in case, spacing or "
        "punctuation from 'money', the id of category #3; files naming a category ignore "
        "those, so the two could not be told apart",
    ]
    # a category's own id and name may be one word
    book = parse_codebook({"version": "1", "categories": [
        {"id": "money", "name": "Money", "description": "Cash"}]})
    assert book.names == {"money": "Money"}


def test_an_id_must_be_lower_case_words_joined_by_hyphens(tmp_path: Path) -> None:
    path = _write(tmp_path, """
version: "2"
categories:
  - {id: Housing Stuff, name: Housing, description: Somewhere to live}
  - {id: "housing, homelessness", name: Homelessness, description: Nowhere to live}
  - {id: care_plan, name: Care plans, description: Plans, parent: Housing Stuff}
  - {id: "-", name: Dash, description: Just a dash}
""")
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    rule = "may hold only lower-case letters, digits and single hyphens between them"
    assert str(caught.value).splitlines() == [
        f"{path}: category #1 ('Housing Stuff'): id 'Housing Stuff' {rule} (e.g. 'housing-stuff')",
        f"{path}: category #2 ('housing, homelessness'): id 'housing, homelessness' {rule} "
        "(e.g. 'housing-homelessness')",
        f"{path}: category #3 ('care_plan'): id 'care_plan' {rule} (e.g. 'care-plan')",
        f"{path}: category #4 ('-'): id '-' {rule}",
    ]
    book = parse_codebook({"version": "1", "categories": [
        {"id": "access-waiting", "name": "Waiting", "description": "w"},
        {"id": "q1", "name": "Question 1", "description": "q", "parent": "access-waiting"},
        {"id": 2024, "name": "That year", "description": "y"}]})
    assert book.ids == ["access-waiting", "q1", "2024"]


def test_a_parent_that_is_not_an_id_suggests_the_id_it_resembles() -> None:
    with pytest.raises(CodebookError, match=r"parent 'mony' is not a category id in this "
                                            r"codebook \(did you mean 'money'\?\)"):
        parse_codebook({"version": "1", "categories": [
            {"id": "money", "name": "Money", "description": "m"},
            {"id": "debt", "name": "Debt", "description": "d", "parent": "mony"}]})


@pytest.mark.parametrize(("written", "kept"), [
    ("2.10", "2.10"), ("1.0", "1.0"), ("007", "007"), ("3", "3"), ("'2.10'", "2.10"),
    ("2024-05-01", "2024-05-01"),
])
def test_a_yaml_version_is_kept_as_written(tmp_path: Path, written: str, kept: str) -> None:
    path = _write(tmp_path, f"version: {written}\n"
                            "categories:\n  - {id: a, name: A, description: first}\n")
    assert load_codebook(path).version == kept


def test_a_json_version_is_kept_as_written(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"version": 2.10, "categories": '
                            '[{"id": "a", "name": "A", "description": "first"}]}', name="b.json")
    assert load_codebook(path).version == "2.10"


def test_a_number_version_that_lost_its_text_must_be_quoted(tmp_path: Path) -> None:
    body = '\n[[categories]]\nid = "a"\nname = "A"\ndescription = "first"\n'
    path = _write(tmp_path, "version = 2.10" + body, name="book.toml")
    with pytest.raises(CodebookError, match=r"book\.toml: version 2\.1 is read as a number.*"
                                            r"put it in quotes, e\.g\. version = \"2\.10\""):
        load_codebook(path)
    assert load_codebook(_write(tmp_path, 'version = "2.10"' + body, name="q.toml")).version \
        == "2.10"
    assert load_codebook(_write(tmp_path, "version = 4" + body, name="n.toml")).version == "4"
    with pytest.raises(CodebookError, match=r"'version' must be text"):
        load_codebook(_write(tmp_path, "version: yes\ncategories:\n"
                                       "  - {id: a, name: A, description: first}\n"))
