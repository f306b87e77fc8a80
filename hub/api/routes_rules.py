"""Rules: GET/PUT /api/rules, POST /api/rules/validate, POST /api/rules/dry-run, GET /api/rules/outcomes."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from hub.api.deps import get_db
from hub.auth.principal import Principal, require_token
from hub.auth.roles import require_role
from hub.rules.engine import RulesEngine, RulesInvalid, parse_rules, validate_rules
from hub.rules.engine.engine import DryRunTooLarge
from hub.rules.engine.form import rules_to_forms, write_rule
from hub.store.audit import record_change
from hub.store.rules_state import OUTCOME_KINDS, list_outcomes
from hub.store.tx import transaction

router = APIRouter()
rule_editors = require_role("manager")
MAX_TEXT = 200_000


class RulesText(BaseModel):
    text: str = Field(..., max_length=MAX_TEXT, description="a rules file (YAML)")


class FormRead(BaseModel):
    text: str | None = Field(None, max_length=MAX_TEXT, description="rules to read; default: the active rules")


class FormWrite(BaseModel):
    text: str = Field(..., max_length=MAX_TEXT, description="the rules text to write the rule into")
    rule: dict[str, Any] = Field(..., description="a builder form rule (see hub/rules/engine/form.py)")


class DryRunBody(BaseModel):
    text: str | None = Field(None, max_length=MAX_TEXT, description="rules to try; default: the active rules")
    last: int | None = Field(None, ge=1, le=1_000_000, description="only the newest N stored taps and notes")


def rules_engine(app: FastAPI) -> RulesEngine:
    """Return the running hub's engine, or (without ingest) one loaded from the configured rules file."""
    runtime = app.state.runtime
    engine = getattr(runtime, "rules", None)
    if isinstance(engine, RulesEngine):
        return engine
    offline = getattr(app.state, "rules_engine", None)
    if not isinstance(offline, RulesEngine):
        settings = app.state.settings
        offline = app.state.rules_engine = RulesEngine.for_hub(settings.rules_file, settings.db)
    return offline


def health_probe(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """Return the /api/health probe: {ok, error, file, rules}; it notices a changed rules file."""

    def probe() -> dict[str, Any]:
        engine = rules_engine(app)
        engine.reload()
        return engine.health()

    return probe


def _invalid(errors: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"ok": False, "errors": errors}, status_code=422)


@router.get("/api/rules", dependencies=[Depends(require_token)])
def get_rules(request: Request) -> dict[str, Any]:
    """The active rules text, its file, since when it is active, and the file's current errors (if broken)."""
    return rules_engine(request.app).state()


@router.post("/api/rules/validate", dependencies=[Depends(require_token)])
def validate(body: RulesText) -> dict[str, Any]:
    """Check a rules text; every error has file, line, column and message."""
    errors = validate_rules(body.text, "<request>")
    return {"ok": not errors, "errors": [e.to_dict() for e in errors]}


@router.put("/api/rules", response_model=None)
def put_rules(
    body: RulesText,
    request: Request,
    db: sqlite3.Connection = Depends(get_db),
    caller: Principal = Depends(rule_editors),
) -> dict[str, Any] | JSONResponse:
    """Replace the active rules (admin, manager); invalid rules → 422 and the old rules stay active."""
    engine = rules_engine(request.app)
    try:
        errors, persisted = engine.replace(body.text)
    except OSError as exc:  # the rules are valid but cannot be saved: nothing changes
        return JSONResponse({"detail": f"cannot save the rules to {engine.save_to}: {exc.strerror or exc}"}, 503)
    if errors:
        return _invalid([e.to_dict() for e in errors])
    state = engine.state()
    with transaction(db):
        record_change(db, caller.name, caller.role, "rules.replace", state["file"],
                      {"rules": state["rules"], "persisted": persisted})  # fmt: skip
    return {"ok": True, "persisted": persisted, **state}


@router.post("/api/rules/dry-run", dependencies=[Depends(rule_editors)], response_model=None)
def dry_run(
    body: DryRunBody, request: Request, db: sqlite3.Connection = Depends(get_db)
) -> dict[str, Any] | JSONResponse:
    """Run rules over stored history without writing; return what they would do and which actions are new."""
    engine = rules_engine(request.app)
    rule_set = None
    if body.text is not None:
        try:
            rule_set = parse_rules(body.text, "<request>")
        except RulesInvalid as exc:
            return _invalid([e.to_dict() for e in exc.errors])
    try:
        return engine.dry_run(db, rule_set, last=body.last)
    except DryRunTooLarge as exc:
        return JSONResponse({"ok": False, "detail": str(exc)}, status_code=422)


@router.post("/api/rules/form", dependencies=[Depends(rule_editors)], response_model=None)
def read_form(body: FormRead, request: Request) -> dict[str, Any] | JSONResponse:
    """The rules as builder forms: {rules: [{name, form}]}, form null for a rule only YAML can show."""
    text = rules_engine(request.app).state()["text"] if body.text is None else body.text
    try:
        return {"rules": rules_to_forms(parse_rules(text, "<request>"))}
    except RulesInvalid as exc:
        return _invalid([e.to_dict() for e in exc.errors])


@router.post("/api/rules/form/write", dependencies=[Depends(rule_editors)], response_model=None)
def write_form(body: FormWrite) -> dict[str, Any] | JSONResponse:
    """Write a builder form rule into a rules text (replacing the rule of its name); return {ok, text, errors}."""
    try:
        text = write_rule(body.text, body.rule)
    except RulesInvalid as exc:
        return _invalid([e.to_dict() for e in exc.errors])
    except (ValueError, TypeError, KeyError) as exc:
        return _invalid([{"file": "<form>", "line": 1, "column": 1, "message": f"form: {exc}"}])
    errors = validate_rules(text, "<form>")
    return {"ok": not errors, "text": text, "errors": [e.to_dict() for e in errors]}


@router.get("/api/rules/outcomes", dependencies=[Depends(rule_editors)])
def outcomes(
    db: sqlite3.Connection = Depends(get_db),
    kind: str | None = Query(None, pattern="^(" + "|".join(OUTCOME_KINDS) + ")$"),
    badge: str | None = Query(None, max_length=64),
    limit: int = Query(500, ge=1, le=5000),
) -> list[dict[str, Any]]:
    """Opportunities, escalations, holds, notifications and lookups the rules created, oldest first."""
    return list_outcomes(db, kind=kind, badges=None if badge is None else [badge], limit=limit)
