"""Schemathesis against the running hub's /openapi.json: no generated request may cause a server error.

Operations are driven with plain hypothesis (`operation.as_strategy()`): schemathesis' pytest loader does not
work with pytest 9 here.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok

from firmware_config.local_broker import LocalBroker
from tests.reliability.harness import TOKEN, HubProcess, visitor_tap, wait_until
from tests.reliability.mqtt_tools import publish_all


def test_api_never_answers_with_a_server_error(fuzz_hub: tuple[LocalBroker, HubProcess]) -> None:
    broker, hub = fuzz_hub
    taps = [visitor_tap("fuzz-api", f"gate-{n % 3}", f"zone-{n % 3}", n, f"V-{n % 4}") for n in range(1, 31)]
    publish_all(broker.url, [(str(tap.topic), tap.encode()) for tap in taps])
    assert wait_until(lambda: len(hub.get("/api/visits")["items"]) > 0, 20)
    schema = schemathesis.openapi.from_url(f"{hub.base_url}/openapi.json")
    errors: dict[str, str] = {}
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"invalid operation in /openapi.json: {result.err()}"
        operations.append(result.ok())
    assert len(operations) >= 5, [op.label for op in operations]
    for operation in operations:

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            response = case.call(base_url=hub.base_url, headers={"Authorization": f"Bearer {TOKEN}"})
            if response.status_code >= 500:
                where = f"{case.method} {case.formatted_path} -> {response.status_code}"
                errors.setdefault(where, f"{where} (first example: query {case.query!r}, body {case.body!r})")

        call()
    assert not errors, "\n".join(errors.values())
    assert hub.health()["status"] == "ok"
