"""Sales-loop fixtures: the rules fixtures' hub (real ingest writer, notes analysis, rules) on a tmp SQLite."""

from tests.rules.conftest import hub

__all__ = ["hub"]
