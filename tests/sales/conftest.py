"""Sales-loop fixtures: the rules hub (real ingest writer, notes analysis, rules) and the notify fixtures."""

from tests.notify.conftest import db_path, receiver
from tests.rules.conftest import hub

__all__ = ["db_path", "hub", "receiver"]
