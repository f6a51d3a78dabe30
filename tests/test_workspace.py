from __future__ import annotations

from pathlib import Path

import pytest

from insight.workspace import WorkspaceError, init_workspace, open_workspace


def test_init_writes_config_and_reopens(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", small_number_threshold=7)
    text = (tmp_path / "ws" / "insight.toml").read_text()
    assert 'db = "sqlite:///insight.db"' in text
    again = open_workspace(tmp_path / "ws")
    assert again.small_number_threshold == 7
    assert again.db_url == f"sqlite:///{(tmp_path / 'ws' / 'insight.db').resolve()}"
    assert again.load_codebook().version == ws.load_codebook().version == "1"


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    init_workspace(tmp_path)
    with pytest.raises(WorkspaceError, match="already exists"):
        init_workspace(tmp_path)


def test_workspace_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    init_workspace(tmp_path / "env-ws")
    monkeypatch.setenv("INSIGHT_WORKSPACE", str(tmp_path / "env-ws"))
    assert open_workspace().path == (tmp_path / "env-ws").resolve()


def test_missing_workspace_explains_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="insight init"):
        open_workspace(tmp_path / "nothing-here")


def test_db_override(tmp_path: Path) -> None:
    init_workspace(tmp_path)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert open_workspace(tmp_path, db=other).db_url == other
