"""The pages in docs/ that show code: their examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"),
                      flags=re.MULTILINE | re.DOTALL)


def test_the_python_page_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Each example runs, one after another in an empty folder, as the page says, and
    prints what the page says it gives."""
    blocks = python_blocks(DOCS / "python.md")
    assert len(blocks) == 4
    monkeypatch.chdir(tmp_path)
    printed = []
    for block in blocks:
        exec(compile(block, "docs/python.md", "exec"), {"__name__": "__docs__"})
        printed.append(capsys.readouterr().out)
    tagged, trained, redacted, workspace = printed
    # the default model tags the waiting-list note, with a sentence of it as evidence
    assert "access-waiting" in tagged.splitlines()[0]
    assert "  access-waiting: Been on the waiting list eight months" in tagged
    # a model trained on the three-row pattern, saved and loaded, finds the bus note
    assert (tmp_path / "my-model" / "MODEL_CARD.md").is_file()
    macro, per_label = trained.strip().splitlines()[-1].split(" ", 1)
    assert float(macro) == 1.0 and "'recall': 1.0" in per_label
    # redaction takes the name, the number and the address out
    text = redacted.splitlines()[0]
    assert "Mary" not in text and "07700" not in text and "Oak Road" not in text
    assert "[PHONE]" in text
    # the workspace's roll-up and thread are read (the demo's actions have titles)
    assert (tmp_path / "insight-demo" / "insight.toml").is_file()
    assert "name" in workspace and "notes" in workspace
    assert re.search(r"\n\S.* (proposed|agreed|in progress|done|declined) \[", workspace)
