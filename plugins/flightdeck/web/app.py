"""The Releases app the api-server mounts at ``/flightdeck``: HTML pages and the JSON API behind them.

Every route depends on :func:`flightdeck.web.auth.current_viewer` (401 without a valid token) and shows only the
applications whose release DAG the viewer may read (403 when one is asked for by name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, Response
from sqlalchemy.engine import URL
from starlette.exceptions import HTTPException as StarletteHTTPException

from flightdeck import naming
from flightdeck.web import render
from flightdeck.web.auth import Viewer, current_viewer, login_url
from flightdeck.web.links import Links
from flightdeck.web.payloads import history_json, matrix_json
from flightdeck.web.releases import (
    HISTORY_LIMIT,
    HISTORY_LIMIT_MAX,
    History,
    LedgerUnavailable,
    Matrix,
    ReleaseSource,
)

ViewerDep = Annotated[Viewer, Depends(current_viewer)]
Filter = Annotated[str | None, Query(max_length=250)]
Limit = Annotated[int, Query(ge=1, le=HISTORY_LIMIT_MAX)]
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True)
class HistoryQuery:
    """A history's filters (empty ones are None) and how many attempts to show."""

    environment: str | None
    account_id: str | None
    region: str | None
    limit: int

    @property
    def target(self) -> tuple[str, ...]:
        """The filters given, in target order (environment, account, region)."""
        return tuple(value for value in (self.environment, self.account_id, self.region) if value)


def history_query(
    environment: Filter = None, account_id: Filter = None, region: Filter = None, limit: Limit = HISTORY_LIMIT
) -> HistoryQuery:
    return HistoryQuery(environment or None, account_id or None, region or None, limit)


HistoryQueryDep = Annotated[HistoryQuery, Depends(history_query)]


def _default_ledger_url() -> URL:
    from flightdeck.ledger import ledger_url

    return ledger_url()


def create_app(ledger_url: Callable[[], URL] = _default_ledger_url) -> FastAPI:
    """The app, reading the ledger at ``ledger_url()`` (default: the ``flightdeck_ledger`` connection, else the
    SQLite file in the Airflow home). No OpenAPI or docs routes: they would be unauthenticated."""
    app = FastAPI(title="Flightdeck releases", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.releases = ReleaseSource(ledger_url)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(LedgerUnavailable, _ledger_unavailable)

    @app.get("/releases", response_class=Response)
    def releases_page(
        request: Request, viewer: ViewerDep, application: Filter = None, environment: Filter = None
    ) -> Response:
        """The matrix, as HTML."""
        application, environment = application or None, environment or None
        matrix = _matrix(request, viewer, application, environment)
        return render.page(
            "matrix.html",
            matrix=matrix,
            links=_links(request),
            application=application,
            environment=environment,
            viewer=viewer.name,
        )

    @app.get("/releases/{application}/history", response_class=Response)
    def history_page(request: Request, viewer: ViewerDep, application: str, query: HistoryQueryDep) -> Response:
        """One application's history (of one target, if environment, account and region are given), as HTML."""
        history = _history(request, viewer, application, query)
        return render.page(
            "history.html",
            history=history,
            links=_links(request),
            application=application,
            dag_id=naming.dag_id(application),
            target=query.target,
            limit=query.limit,
        )

    @app.get("/api/releases")
    def releases_api(
        request: Request, viewer: ViewerDep, application: Filter = None, environment: Filter = None
    ) -> JSONResponse:
        """The matrix: the newest attempt of each target the viewer may read, newest first."""
        application, environment = application or None, environment or None
        matrix = _matrix(request, viewer, application, environment)
        body = matrix_json(matrix, _links(request), application, environment)
        return JSONResponse(body, headers=_NO_STORE)

    @app.get("/api/releases/{application}/history")
    def history_api(request: Request, viewer: ViewerDep, application: str, query: HistoryQueryDep) -> JSONResponse:
        """One application's attempts, newest first."""
        history = _history(request, viewer, application, query)
        filters = {"environment": query.environment, "account_id": query.account_id, "region": query.region}
        body = history_json(history, _links(request), application, filters, query.limit)
        return JSONResponse(body, headers=_NO_STORE)

    return app


def _source(request: Request) -> ReleaseSource:
    return request.app.state.releases


def _links(request: Request) -> Links:
    return Links.from_root_path(request.scope.get("root_path", ""))


def _matrix(request: Request, viewer: Viewer, application: str | None, environment: str | None) -> Matrix:
    if application is not None:
        viewer.require(application)
    return _source(request).matrix(viewer.readable, application, environment)


def _history(request: Request, viewer: Viewer, application: str, query: HistoryQuery) -> History:
    viewer.require(application)
    return _source(request).history(
        application,
        environment=query.environment,
        account_id=query.account_id,
        region=query.region,
        limit=query.limit,
    )


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(f"{request.scope.get('root_path', '')}/api/")


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Errors as JSON for the API, as a page for people (with a way to log in after a 401)."""
    headers = {**(exc.headers or {}), **_NO_STORE}
    if _wants_json(request):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
    here = f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path
    login = login_url(here) if exc.status_code == status.HTTP_401_UNAUTHORIZED else None
    response = render.page("error.html", exc.status_code, code=exc.status_code, detail=exc.detail, login=login)
    response.headers.update(headers)
    return response


async def _ledger_unavailable(request: Request, exc: LedgerUnavailable) -> Response:
    detail = f"The release ledger cannot be read: {exc}"
    return await _http_error(request, HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail))
