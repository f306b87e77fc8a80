"""What is wrong with the running hub right now, shown above every dashboard page until it is fixed."""

from __future__ import annotations

from fastapi import FastAPI


def hub_problems(app: FastAPI) -> list[tuple[str, str]]:
    """Return (kind, detail) for a broker link that is down, ingest that fails and a broken rules file.

    Empty for an app without ingest (API-only use): there is nothing running to go wrong.
    """
    runtime = app.state.runtime
    if runtime is None:
        return []
    state = runtime.ingest_state()
    problems = []
    if not state.connected:
        problems.append(("broker", state.broker_error or app.state.settings.broker))
    if state.dead_workers:
        problems.append(("ingest", f"stopped: {', '.join(state.dead_workers)} (restart the hub)"))
    elif state.last_error:
        problems.append(("ingest", state.last_error))
    rules = app.state.health_probes["rules"]()
    if not rules["ok"]:
        problems.append(("rules", str(rules["error"])))
    return problems
