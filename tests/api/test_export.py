"""Export: XLSX with sheets visits, tags, notes; CSV per sheet; reps get only their visitors."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.api.tourdata import bearer


def test_xlsx_has_three_sheets(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/api/export.xlsx", headers=bearer(tokens["manager"]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["visits", "tags", "notes", "opportunities"]
    visits = list(book["visits"].iter_rows(values_only=True))
    assert visits[0][:5] == ("visitor", "name", "company", "badge", "zone")
    rows = {(r[0], r[4]) for r in visits[1:]}
    assert rows == {("V-0001", "injection"), ("V-0001", "heat-treat"), ("V-0002", "machining")}
    injection = next(r for r in visits[1:] if r[4] == "injection")
    assert injection[1:3] == ("张伟", "华东阀门") and abs(injection[8] - 180) < 0.01
    notes = list(book["notes"].iter_rows(values_only=True))
    assert len(notes) == 3 and any("HRC45" in r[5] for r in notes[1:])


def test_csv_and_rep_scope(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/api/export.csv?sheet=notes", headers=bearer(tokens["rep"]))
    assert response.status_code == 200 and response.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][0] == "note_id" and len(rows) == 2 and rows[1][3] == "R-007"
    visits = list(csv.reader(io.StringIO(client.get("/api/export.csv", headers=bearer(tokens["rep"])).text)))
    assert {r[0].lstrip("\ufeff") for r in visits[1:]} == {"V-0001"}
    manager = list(csv.reader(io.StringIO(client.get("/api/export.csv", headers=bearer(tokens["manager"])).text)))
    assert len(manager) == 4
    bad = client.get("/api/export.csv?sheet=secrets", headers=bearer(tokens["manager"]))
    assert bad.status_code == 422 and "visits|tags|notes" in bad.json()["detail"]
