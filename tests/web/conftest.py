"""Web fixtures: the API fixtures (hub over a real SQLite file with a small tour, a token per role)."""

from tests.api.conftest import client, hub_db, tokens

__all__ = ["client", "hub_db", "tokens"]
