"""Sales-loop fixtures: the rules hub (real ingest writer, notes analysis, rules), the API and notify fixtures."""

from tests.api.conftest import client, hub_db, tokens
from tests.notify.conftest import db_path, receiver
from tests.rules.conftest import hub

__all__ = ["client", "db_path", "hub", "hub_db", "receiver", "tokens"]
