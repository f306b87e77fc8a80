"""API fixtures: a hub app over a real SQLite file holding a small tour, and a token per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.tourdata import make_client, register_people, sample_tour, store_events


@pytest.fixture
def hub_db(tmp_path: Path) -> Path:
    db = tmp_path / "hub.sqlite3"
    store_events(db, sample_tour())
    return db


@pytest.fixture
def client(hub_db: Path) -> Iterator[TestClient]:
    with make_client(hub_db) as test_client:
        yield test_client


@pytest.fixture
def tokens(client: TestClient) -> dict[str, str]:
    return register_people(client)
