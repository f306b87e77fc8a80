"""`tourtrace token create`: the printed secret works against the API with its role."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.api.tourdata import bearer
from tourtrace.cli.main import app


def test_cli_token_works_with_its_role(client: TestClient, tokens: dict[str, str], hub_db: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["token", "create", "--role", "rep", "--name", "王磊", "--db", str(hub_db),
                                 "--rep-badge", "R-007"])  # fmt: skip
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[0]
    assert secret.startswith("tt_")
    assert {b["badge_id"] for b in client.get("/api/badges", headers=bearer(secret)).json()} == {"R-007", "V-0001"}
    assert client.get("/api/audit", headers=bearer(secret)).status_code == 403
    audit = client.get("/api/audit?action=token.", headers=bearer(tokens["admin"])).json()
    assert audit[0]["actor"].startswith("cli:") and audit[0]["detail"]["name"] == "王磊"


def test_cli_token_rejects_bad_role(hub_db: Path) -> None:
    result = CliRunner().invoke(app, ["token", "create", "--role", "boss", "--name", "x", "--db", str(hub_db)])
    assert result.exit_code == 2
    assert "role: expected one of admin|manager|rep|it|crm, got 'boss'" in result.output
