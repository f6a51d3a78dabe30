"""Shared fixtures: real databases (SQLite always, PostgreSQL when CI provides one)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from insight.store import Store

POSTGRES_URL = os.environ.get("INSIGHT_TEST_POSTGRES_URL")
FIXTURES = Path(__file__).parent / "fixtures"


def _postgres_database() -> Iterator[str]:
    """A fresh database per test on the CI server, dropped afterwards."""
    assert POSTGRES_URL is not None
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = POSTGRES_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every store/ingest test runs on SQLite and on a real PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'insight.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not available: set INSIGHT_TEST_POSTGRES_URL (.ci/run does)")
    yield from _postgres_database()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url, actor="tester") as opened:
        yield opened
