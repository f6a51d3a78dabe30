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
        ]}, source="book.yaml")
    assert str(caught.value).splitlines() == [
        "book.yaml: missing 'version'",
        "book.yaml: category #1 ('a'): missing field(s) description",
        "book.yaml: category #3 ('b'): duplicate id 'b'",
        "book.yaml: category #4 ('c'): 'includes' must be a list of short phrases",
    ]
