"""The hub's FastAPI application; the MQTT ingest lives in its lifespan."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from hub.api import (
    metrics,
    routes_admin,
    routes_badges,
    routes_config,
    routes_dist,
    routes_export,
    routes_fleet,
    routes_library,
    routes_notes,
    routes_opportunities,
    routes_retire,
    routes_rules,
    routes_visits,
)
from hub.api.guard import RequestGuard
from hub.auth.roles import token_lookup
from hub.auth.session import session_principal
from hub.notify.service import notify_hook, notify_queue_depth
from hub.service import HubRuntime
from hub.settings import HubSettings
from hub.site_time import SiteTime
from hub.web import routes as web_routes
from hub.web import routes_sales
from tourtrace import __version__

log = logging.getLogger(__name__)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A database the hub cannot use right now (locked, read-only, disk full or failing) is a 503 that says so."""
    log.warning("%s %s: database unavailable: %s", request.method, request.url.path, exc)
    return JSONResponse({"detail": f"database unavailable: {exc}"}, status_code=503)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """422 for a request FastAPI cannot validate; what was sent is echoed back only when it is JSON itself (a NaN
    or Infinity in the body would otherwise make the error response fail as a 500)."""
    errors = jsonable_encoder(exc.errors() if isinstance(exc, RequestValidationError) else [])
    try:
        return JSONResponse({"detail": errors}, status_code=422)
    except ValueError:
        return JSONResponse({"detail": [{k: v for k, v in e.items() if k not in ("input", "ctx")} for e in errors]},
                            status_code=422)  # fmt: skip


def site_time_response(site_time: SiteTime) -> type[JSONResponse]:
    """Return the JSON response class that gives every time out in the site's zone (hub/site_time.py)."""

    class SiteTimeResponse(JSONResponse):
        def render(self, content: Any) -> bytes:
            return super().render(site_time.localize(content))

    return SiteTimeResponse


def create_app(settings: HubSettings, with_ingest: bool = True) -> FastAPI:
    """Build the app; with_ingest=False serves the database read-only (tests, offline analysis)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = HubRuntime(settings) if with_ingest else None
        app.state.runtime = runtime
        if runtime is not None:
            for hook in app.state.runtime_hooks:
                hook(runtime)
            runtime.start()
        try:
            yield
        finally:
            if runtime is not None:
                runtime.stop()

    site_time = SiteTime(settings.site_timezone)
    app = FastAPI(title="TourTrace hub", version=__version__, lifespan=lifespan,
                  default_response_class=site_time_response(site_time))  # fmt: skip
    app.state.site_time = site_time
    app.add_exception_handler(sqlite3.OperationalError, _database_unavailable)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.state.settings = settings
    app.state.runtime = None
    app.state.runtime_hooks = []
    app.state.runtime_hooks.append(notify_hook(settings))
    app.state.token_lookup = token_lookup(settings.db)
    app.state.session_lookup = session_principal
    app.add_middleware(RequestGuard)
    probes: dict[str, Callable[[], dict[str, Any]]] = {}
    app.state.health_probes = probes
    probes["rules"] = routes_rules.health_probe(app)
    probes["analysis"] = lambda: {"ok": True} if app.state.runtime is None else app.state.runtime.stale_analyses.state()
    app.state.metrics = metrics.build_registry(
        settings.db,
        notify_depth=lambda: notify_queue_depth(settings.db),
        ingest=lambda: None if app.state.runtime is None else app.state.runtime.ingest_state(),
    )
    app.include_router(routes_fleet.router)
    app.include_router(routes_retire.router)
    app.include_router(routes_visits.router)
    app.include_router(routes_notes.router)
    app.include_router(routes_rules.router)
    app.include_router(routes_config.router)
    app.include_router(routes_library.router)
    app.include_router(metrics.router)
    app.include_router(routes_badges.router)
    app.include_router(routes_admin.router)
    app.include_router(routes_export.router)
    app.include_router(routes_dist.router)
    app.include_router(routes_opportunities.router)
    app.include_router(web_routes.router)
    app.include_router(routes_sales.router)
    return app
