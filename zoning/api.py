"""The read API: zones, histories, schemes and regions for other systems and the public.

Started by ``python -m zoning serve --port PORT`` on the same store as the dashboard (a small
ASGI application, Starlette on uvicorn). Every answer is read-only.

- ``GET /zones?level=LEVEL&scheme=ID[&date=YYYY-MM-DD][&format=csv|json|geojson]``
  ``[&within=CODE][&zone=ID,ID][&lang=id|en]``: the rows and columns of
  ``python -m zoning zones --decisions`` (:mod:`zoning.views.zonetable`: what each zone rests
  on, an analyst's decision or the computed zone, appended), on the latest settled day unless
  ``date`` is given.
- ``GET /regions/{code}/history?scheme=ID``: one region's zone (decisions applied, with
  ``computed_zone`` and ``decision``) and figures by day.
- ``GET /schemes``, ``GET /regions?level=LEVEL[&within=CODE]``.
- ``GET /openapi.json`` and ``GET /docs`` (the same description as a plain page, offline).

Small numbers: an answer without a token is public and comes from
:func:`zoning.views.published.public_zones`, the source of every public page, so it never
shows a count a public page hides; a hidden figure is empty (CSV), ``null`` (JSON) and its
text is under ``notes``. A caller with ``Authorization: Bearer TOKEN``, where the token's
scrypt hash (``python -m zoning auth hash-password``) is in ``ZONING_API_TOKEN_HASH``
(several separated by commas), gets exact figures.

Caching: every answer carries an ``ETag`` made from the store's data version, its newest
decision on a zone (:mod:`zoning.views.decisions`) and the request, and ``Cache-Control``;
a poll with ``If-None-Match`` gets ``304`` and no body while the data and decisions are
unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import math
import os
import threading
from collections.abc import Callable
from typing import Any

import pandas as pd
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from zoning.core import auth
from zoning.core.errors import InputError
from zoning.core.i18n import LANGS, pick
from zoning.core.text import escape_html, redact, spreadsheet_safe
from zoning.model import privacy
from zoning.model.codes import is_within, try_normalise
from zoning.model.regions import LEVELS, LevelError, check_level
from zoning.model.schemes import Scheme, SchemeError, builtin_schemes, get_scheme
from zoning.render import alerts as alert_words
from zoning.render import export
from zoning.render.presentation import geometry_of
from zoning.store import Store
from zoning.views import alerts, decisions, service, zonetable

_LOG = logging.getLogger("zoning.api")
#: Environment variable with the scrypt hashes of the tokens that get exact figures.
TOKEN_ENV = "ZONING_API_TOKEN_HASH"
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "geojson": "application/geo+json",
}
#: Entries in a feed: the latest changes.
FEED_ENTRIES = 100
#: How long a public answer may be reused without asking (seconds).
MAX_AGE = 60


class ApiError(Exception):
    """A request the API cannot answer: the status, the message and the parameter at fault."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


# --- who is asking ---------------------------------------------------------------------------


class Tokens:
    """Checks bearer tokens against the configured hashes, remembering each answer by the
    token's SHA-256 (scrypt costs tens of milliseconds; a poller asks every minute)."""

    LIMIT = 1024

    def __init__(self, hashes: str | None):
        self.hashes = [h.strip() for h in (hashes or "").split(",") if h.strip()]
        self._known: dict[str, bool] = {}
        self._lock = threading.Lock()

    def exact(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            return False
        if scheme.lower() != "bearer" or not token.strip() or not self.hashes:
            raise ApiError(401, "the token is not accepted; ask the operator for one", "token")
        digest = hashlib.sha256(token.strip().encode()).hexdigest()
        with self._lock:
            known = self._known.get(digest)
        if known is None:
            known = any(_verify(token.strip(), h) for h in self.hashes)
            with self._lock:
                if len(self._known) >= self.LIMIT:
                    self._known.clear()
                self._known[digest] = known
        if not known:
            raise ApiError(401, "the token is not accepted; ask the operator for one", "token")
        return True


def _verify(token: str, encoded: str) -> bool:
    try:
        return auth.verify_password(token, encoded)
    except auth.HashError:
        return False


# --- parameters --------------------------------------------------------------------------------


def _param(request: Request, name: str, default: str | None = None) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise ApiError(400, f"give {name} once", name)
    value = values[0].strip() if values else default
    return value or default


def _level(request: Request, store: Store) -> str:
    level = _param(request, "level")
    if level is None:
        raise ApiError(400, f"level is required; one of {', '.join(store.levels())}", "level")
    try:
        check_level(level)
    except LevelError:
        raise ApiError(
            400, f"{redact(level)!r} is not a level; one of {', '.join(LEVELS)}", "level"
        ) from None
    if level not in store.levels():
        raise ApiError(
            404, f"the store has no {level} data; it has {', '.join(store.levels())}", "level"
        )
    return level


def _scheme(request: Request):
    scheme_id = _param(request, "scheme")
    ids = ", ".join(s.id for s in builtin_schemes().values())
    if scheme_id is None:
        raise ApiError(400, f"scheme is required; one of {ids}", "scheme")
    try:
        return get_scheme(scheme_id)
    except (SchemeError, KeyError, LookupError):
        raise ApiError(
            400, f"{redact(scheme_id)!r} is not a scheme; one of {ids}", "scheme"
        ) from None


def _lang(request: Request) -> str:
    lang = _param(request, "lang", "en")
    if lang not in LANGS:
        raise ApiError(400, f"lang is one of {', '.join(LANGS)}", "lang")
    return lang


def _format(request: Request) -> str:
    fmt = _param(request, "format", "json")
    if fmt not in FORMATS:
        raise ApiError(400, f"format is one of {', '.join(FORMATS)}", "format")
    return fmt


def _code(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    code = try_normalise(value)
    if code is None:
        raise ApiError(400, f"{redact(value)!r} is not a region code (e.g. 33.74.01)", field)
    return code


# --- answers -------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON value: numbers, text, booleans and ``null`` for anything missing."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return None if isinstance(value, float) and not math.isfinite(value) else value
    if hasattr(value, "item"):
        return _plain(value.item())
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _day(value: Any) -> str | None:
    return None if value is None else str(value)


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in table.to_dict("records")]


def _csv(table: pd.DataFrame) -> bytes:
    out = io.StringIO()
    (table.map(spreadsheet_safe) if len(table) else table).to_csv(
        out, index=False, lineterminator="\n"
    )
    return out.getvalue().encode("utf-8")


class Api:
    """The application's state: the store, the token check and the ETag of each request."""

    def __init__(self, store: Store, tokens: Tokens):
        self.store, self.tokens = store, tokens

    def answer(
        self, request: Request, build: Callable[[bool], tuple[bytes, str]], *, vary: str = ""
    ) -> Response:
        try:
            exact = self.tokens.exact(request)
            version = self.store.data_version()
            tag = hashlib.sha256(
                "\n".join(
                    [
                        self.store.url,
                        str(version),
                        # decisions are not data: a new one changes the answers too
                        str(self.store.decisions_mark()),
                        str(decisions.unconfirmed_public()),
                        request.url.path,
                        str(sorted(request.query_params.multi_items())),
                        str(exact),
                        str(privacy.get_threshold()),
                        vary,
                    ]
                ).encode()
            ).hexdigest()[:32]
            etag = f'"{tag}"'
            headers = {
                "ETag": etag,
                "Cache-Control": f"public, max-age={MAX_AGE}" if not exact else "private, no-cache",
                "Vary": "Authorization",
                "X-Zoning-Figures": "exact" if exact else "public",
            }
            if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
                return Response(status_code=304, headers=headers)
            body, media = build(exact)
            return Response(body, media_type=media, headers=headers)
        except ApiError as exc:
            return _error(exc.status, exc.message, exc.field)
        except InputError as exc:
            return _error(400, str(exc), getattr(exc, "column", None))
        except Exception as exc:  # never a traceback to a caller; the operator's log says what
            _LOG.error("GET %s failed: %s", request.url.path, redact(repr(exc)))
            return _error(500, "the server could not answer; the operator's log says why", None)


def _error(status: int, message: str, field: str | None) -> JSONResponse:
    body = {"error": redact(message)}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _json(data: Any) -> tuple[bytes, str]:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(), FORMATS["json"]


def zones(request: Request) -> Response:
    api: Api = request.app.state.api
    store = api.store

    def build(exact: bool) -> tuple[bytes, str]:
        level, scheme, lang, fmt = (
            _level(request, store),
            _scheme(request),
            _lang(request),
            _format(request),
        )
        day = zonetable.view_day(store, level, _param(request, "date"), field="date")
        within = _code(_param(request, "within"), "within")
        wanted = _param(request, "zone")
        rows = zonetable.zone_rows(
            store,
            scheme,
            level,
            day,
            public=not exact,
            lang=lang,
            within=within,
            zones=[z.strip() for z in wanted.split(",")] if wanted else None,
            with_decisions=True,
        )
        if fmt == "csv":
            return _csv(rows.table), FORMATS["csv"]
        if fmt == "geojson":
            geo = geometry_of(store, level, rows.table["code"])
            table = rows.table.copy()
            for column, text in rows.notes.items():
                table[f"{column}{export.NOTE_SUFFIX}"] = [text.get(i) for i in range(len(table))]
            return export.to_geojson_bytes(table, geo), FORMATS["geojson"]
        return _json(
            {
                "level": level,
                "scheme": scheme.id,
                "date": day.strftime("%Y-%m-%d"),
                "figures": "exact" if exact else "public",
                "columns": list(rows.table.columns),
                "rows": _records(rows.table),
                "notes": [
                    {"row": i, "column": c, "shown": s}
                    for c, by_row in rows.notes.items()
                    for i, s in by_row.items()
                ],
            }
        )

    return api.answer(request, build)


def _decided(scheme: Scheme, by_day: pd.DataFrame, j: int) -> dict[str, object]:
    """Day ``j`` of :func:`zoning.views.decisions.zone_history`: ``zone`` (shown),
    ``computed_zone`` and ``decision``."""
    computed = scheme.zone_id_array(by_day["computed_index"].to_numpy()[j : j + 1])[0]
    zone = by_day["zone"].iloc[j]
    return {
        "zone": None if zone is None or pd.isna(zone) or zone == "" else str(zone),
        "computed_zone": computed,
        "decision": str(by_day["decision"].iloc[j]),
    }


def history(request: Request) -> Response:
    api: Api = request.app.state.api
    store = api.store

    def build(exact: bool) -> tuple[bytes, str]:
        scheme, lang = _scheme(request), _lang(request)
        code = _code(request.path_params["code"], "code")
        known = store.regions()
        match = known[known["code"] == code]
        if match.empty:
            raise ApiError(404, f"no region {code} in the store", "code")
        level = str(match["level"].iloc[0])
        if level not in store.levels():
            raise ApiError(404, f"the store has no {level} figures", "code")
        # the zone shown each day (analysts' decisions applied), the computed one beside it
        zones_by_day = decisions.zone_history(store, scheme, level, code, public=not exact)
        public = not exact and level in privacy.SMALL_LEVELS and privacy.get_threshold() > 1
        metrics = [m for m in scheme.metrics if m in service.level_data(store, level).metrics]
        days = []
        if not public:
            series = service.case_series(store, level, code)
            for j, day in enumerate(zones_by_day["date"]):
                days.append(
                    {
                        "date": day.strftime("%Y-%m-%d"),
                        **_decided(scheme, zones_by_day, j),
                        **{m: _plain(series[m].iloc[j]) for m in metrics if m in series},
                    }
                )
        else:  # figures of small areas only on week ends, as the public pages show them
            for j, day in enumerate(zones_by_day["date"]):
                entry = {"date": day.strftime("%Y-%m-%d"), **_decided(scheme, zones_by_day, j)}
                if privacy.is_week_end(day):
                    rows = zonetable.zone_rows(store, scheme, level, day, public=True, lang=lang)
                    i = int((rows.table["code"] == code).to_numpy().nonzero()[0][0])
                    for m in metrics:
                        entry[m] = _plain(rows.table[m].iloc[i])
                        shown = rows.notes.get(m, {}).get(i)
                        if shown is not None:
                            entry[f"{m}{export.NOTE_SUFFIX}"] = shown
                days.append(entry)
        return _json(
            {
                "code": code,
                "name": str(match["name"].iloc[0]),
                "level": level,
                "scheme": scheme.id,
                "figures": "exact" if exact else "public",
                "figures_on": "every day" if not public else "week ends (Sunday) only",
                "days": days,
            }
        )

    return api.answer(request, build)


def schemes(request: Request) -> Response:
    api: Api = request.app.state.api

    def build(_exact: bool) -> tuple[bytes, str]:
        lang = _lang(request)
        return _json(
            [
                {
                    "id": s.id,
                    "name": pick(s.name, lang),
                    "levels": list(s.levels),
                    "metrics": list(s.metrics),
                    "zones": [
                        {"id": z.id, "label": pick(z.label, lang), "colour": z.colour}
                        for z in s.zones
                    ],
                    "effective_from": _day(s.effective_from),
                    "effective_until": _day(s.effective_until),
                    "source": dict(s.source),
                }
                for s in builtin_schemes().values()
            ]
        )

    return api.answer(request, build)


def regions(request: Request) -> Response:
    api: Api = request.app.state.api
    store = api.store

    def build(_exact: bool) -> tuple[bytes, str]:
        level = _level(request, store)
        within = _code(_param(request, "within"), "within")
        table = service.regions(store, level)[["code", "name", "level", "parent", "population"]]
        if within is not None:
            table = table[[is_within(str(c), within) for c in table["code"]]]
        if _format(request) == "csv":
            return _csv(table), FORMATS["csv"]
        return _json(_records(table.reset_index(drop=True)))

    return api.answer(request, build)


def feed(request: Request) -> Response:
    api: Api = request.app.state.api
    store = api.store

    def build(_exact: bool) -> tuple[bytes, str]:
        level, scheme, lang = _level(request, store), _scheme(request), _lang(request)
        code = _code(request.path_params["code"], "code")
        known = store.regions()
        match = known[known["code"] == code]
        if match.empty:
            raise ApiError(404, f"no region {code} in the store", "code")
        changes = alerts.changes_within(store, scheme.id, level, code).tail(FEED_ENTRIES)
        body = alert_words.atom(
            changes,
            region=code,
            region_name=str(match["name"].iloc[0]),
            level=level,
            scheme_id=scheme.id,
            lang=lang,
            base=alert_words.public_url(),
            self_url=str(request.url),
            updated=dt.datetime.now(dt.UTC),
        )
        return body, "application/atom+xml; charset=utf-8"

    return api.answer(request, build)


# --- the description ------------------------------------------------------------------------------


def _query(name: str, description: str, required: bool = False, enum: list | None = None):
    schema: dict[str, Any] = {"type": "string"}
    if enum:
        schema["enum"] = enum
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def openapi_spec() -> dict[str, Any]:
    """The OpenAPI 3.1 description of the API."""
    ids = [s.id for s in builtin_schemes().values()]
    level = _query("level", "region level", True, list(LEVELS))
    scheme = _query("scheme", "zoning scheme id (GET /schemes)", True, ids)
    lang = _query(
        "lang", "language of labels and of the text of hidden figures", False, list(LANGS)
    )
    within = _query("within", "only regions inside this region code, e.g. 33.74")
    ok = {
        "200": {"description": "the answer"},
        "304": {"description": "unchanged (ETag)"},
        "400": {"description": "a parameter is wrong: {error, field}"},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Zoning read API",
            "version": "1",
            "description": __doc__.split("\n\n")[0],
        },
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/zones": {
                "get": {
                    "summary": "Zones of a level under a scheme on a day (the latest settled day "
                    "by default): the rows and columns of `python -m zoning zones --decisions` "
                    "(decided_zone, computed_zone, decision, decided_by, decided_on last)",
                    "parameters": [
                        level,
                        scheme,
                        _query("date", "YYYY-MM-DD; default the latest settled day"),
                        _query("format", "answer format", False, list(FORMATS)),
                        within,
                        _query("zone", "only these zone ids, comma-separated"),
                        lang,
                    ],
                    "responses": ok,
                }
            },
            "/regions/{code}/history": {
                "get": {
                    "summary": "One region's zone by day and its figures (small areas: week ends)",
                    "parameters": [
                        {
                            "name": "code",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        scheme,
                        lang,
                    ],
                    "responses": ok,
                }
            },
            "/feeds/{code}.atom": {
                "get": {
                    "summary": "Atom feed of the zone changes of a level's regions inside a region",
                    "parameters": [
                        {
                            "name": "code",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        level,
                        scheme,
                        lang,
                    ],
                    "responses": ok,
                }
            },
            "/schemes": {
                "get": {
                    "summary": "The built-in schemes, their zones and sources",
                    "parameters": [lang],
                    "responses": ok,
                }
            },
            "/regions": {
                "get": {
                    "summary": "Regions of a level with parent and population",
                    "parameters": [level, within, _query("format", "", False, ["json", "csv"])],
                    "responses": ok,
                }
            },
        },
    }


def openapi(request: Request) -> Response:
    return JSONResponse(openapi_spec())


def docs(request: Request) -> Response:
    spec = openapi_spec()
    parts = [
        f"<h1>{escape_html(spec['info']['title'])}</h1>",
        f"<p>{escape_html(spec['info']['description'])}</p>",
        "<p>Machine-readable: <a href='openapi.json'>openapi.json</a>. Without a token "
        "every answer shows what the public pages show.</p>",
    ]
    for path, item in spec["paths"].items():
        op = item["get"]
        parts.append(f"<h2>GET {escape_html(path)}</h2><p>{escape_html(op['summary'])}</p><ul>")
        for p in op["parameters"]:
            enum = p.get("schema", {}).get("enum")
            extra = f" ({', '.join(escape_html(str(e)) for e in enum)})" if enum else ""
            need = " required" if p.get("required") else ""
            parts.append(
                f"<li><code>{escape_html(p['name'])}</code>{need}: "
                f"{escape_html(p.get('description', ''))}{extra}</li>"
            )
        parts.append("</ul>")
    page = (
        "<!doctype html><html lang='en'><meta charset='utf-8'><title>Zoning read API</title>"
        "<body style='font-family:sans-serif;max-width:50em;margin:2em auto'>"
        + "".join(parts)
        + "</body></html>"
    )
    return HTMLResponse(page)


def app(store: Store | None = None, tokens: Tokens | None = None) -> Starlette:
    """The ASGI application on ``store`` (default: the dashboard's store)."""
    application = Starlette(
        routes=[
            Route("/zones", zones),
            Route("/regions/{code:path}/history", history),
            Route("/regions", regions),
            Route("/feeds/{code:path}.atom", feed),
            Route("/schemes", schemes),
            Route("/openapi.json", openapi),
            Route("/docs", docs),
        ]
    )
    application.state.api = Api(store or Store(), tokens or Tokens(os.environ.get(TOKEN_ENV)))
    return application
