"""The benchmark scripts' data loading: they are run by hand, so a change in the library
they call must fail here rather than at the next benchmark run."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@pytest.fixture(scope="module")
def benchmark():
    sys.path.insert(0, str(SCRIPTS))
    try:
        import benchmark_classifier

        yield benchmark_classifier
    finally:
        sys.path.remove(str(SCRIPTS))


def test_care_opinion_loads_under_the_protocol(benchmark) -> None:
    path = benchmark.CARE_OPINION
    if not path.is_file():
        pytest.skip(f"shared data not here: {path}")
    data = benchmark.load_care_opinion(path)
    # 1998 stories; those left with no label of >= 10 examples are dropped
    assert len(data.texts) == 1968 and len(data.label_names) == 35
    # the protocol's codes are lower-cased ("CS" and "cs" one label, named "cs")
    assert "cs" in data.label_names and data.label_names == sorted(
        {lab for row in data.labels for lab in row})
    assert all(name == name.lower() for name in data.label_names)
    assert all(row for row in data.labels)


def test_evidence_gold_matches_the_corpus() -> None:
    sys.path.insert(0, str(SCRIPTS))
    try:
        from benchmark_evidence import read_gold
    finally:
        sys.path.remove(str(SCRIPTS))
    from insight.classify.default import load_corpus

    gold = read_gold()
    data, splits = load_corpus()
    text_of = dict(zip(data.ids, data.texts, strict=True))
    assert sum(len(c) for c in gold.values()) == 800
    for note_id, categories in gold.items():
        assert splits[note_id] in ("dev", "holdout")  # never the test split
        for category, sentences in categories.items():
            assert category in data.labels[data.ids.index(note_id)]
            assert all(sentence in text_of[note_id] for sentence in sentences)


def test_pipeline_benchmark_runs_every_stage(tmp_path: Path) -> None:
    sys.path.insert(0, str(SCRIPTS))
    try:
        import benchmark_pipeline
    finally:
        sys.path.remove(str(SCRIPTS))
    texts = benchmark_pipeline.corpus_texts()
    row = benchmark_pipeline.run_size(60, texts, tmp_path, None)  # asserts every note is stored
    assert row["n"] == 60 and set(row["seconds"]) == set(benchmark_pipeline.STAGES)
    table = benchmark_pipeline.render([row], "SQLite (file)", "cmd", 50.0)
    assert "| 60 | tag |" in table and "1.00 |" in table
    assert (tmp_path / "report-60.html").is_file()


def test_experience_benchmark_reads_its_sets() -> None:
    sys.path.insert(0, str(SCRIPTS))
    try:
        import benchmark_experience
    finally:
        sys.path.remove(str(SCRIPTS))
    texts, values = benchmark_experience.load_short_notes()
    assert len(texts) == len(values) == 480
    assert set(values) == {"positive", "negative", "mixed", "neutral"}
    scores = benchmark_experience.real_scores(
        ["positive", "negative", "mixed", "negative"], np.array([3, 2, -4, -2]))
    assert scores["pleased_right"] == scores["pleased_opposite"] == 0.5
    assert scores["critical_right"] == 0.5 and scores["critical_opposite"] == 0.0
    for name, (file, column) in benchmark_experience.REAL.items():
        if not (benchmark_experience.SHARED / file).is_file():
            pytest.skip(f"shared data not here: {file}")
        real_texts, score = benchmark_experience.read_real(file, column)
        assert len(real_texts) == len(score) > 1000, name
        assert score.min() >= -5 and score.max() <= 5
