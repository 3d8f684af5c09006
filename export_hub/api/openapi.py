"""The OpenAPI 3 document of ``/api/v1``, built from what features register.

A feature adds its endpoints with :func:`add_api_route`, which adds the aiohttp
route *and* its OpenAPI operation, so the document cannot miss a route::

    from export_hub.api.openapi import add_api_route, add_schema

    def setup(app):
        add_schema(app, "Booking", {...})
        add_api_route(app, "POST", "/api/v1/bookings", create_booking,
                      summary="Request a consultation", tag="consultations",
                      request_schema="BookingRequest", response_schema="Booking",
                      responses=(400, 401, 409))

The document is served at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from export_hub.validation import MAX_INT
from export_hub.web.auth import Handler

API_PREFIX = "/api/v1"
#: An id in a path or a body: what every database column holds.
ID_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_INT}
#: Every operation may answer these: malformed input (NUL, nesting, forms),
#: an id that names nothing, a body over the size limit.
ALWAYS = (400, 404, 413)
#: ... and, unless public, these: no or a bad token, a role that may not.
AUTHENTICATED = (401, 403)

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "message_ko": {"type": "string"},
                "message_en": {"type": "string"},
                "fields": {
                    "type": "object",
                    "description": "Per-field messages in Korean and English.",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {
                            "ko": {"type": "string"},
                            "en": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}

STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No content",
    400: "Invalid input: see error.fields",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found, or not yours to see",
    409: "Conflict: stale version, duplicate, or not allowed in this state",
    413: "The body is larger than the server accepts",
}


@dataclass
class OpenApiRegistry:
    """Paths and component schemas collected from every feature."""

    paths: dict[str, dict[str, Any]] = field(default_factory=dict)
    schemas: dict[str, Any] = field(default_factory=lambda: {"Error": ERROR_SCHEMA})
    tags: dict[str, str] = field(default_factory=dict)

    def add_operation(self, method: str, path: str, operation: dict[str, Any]) -> None:
        key = method.lower()
        item = self.paths.setdefault(openapi_path(path), {})
        if key in item:
            raise ValueError(f"OpenAPI operation {method} {path} registered twice")
        item[key] = operation

    def document(self) -> dict[str, Any]:
        return {
            "openapi": "3.0.3",
            "info": {
                "title": "Export Hub API",
                "version": "1",
                "description": (
                    "Companies, products and their review (and whatever other features"
                    " register). Authenticate with `Authorization: Bearer <token>`"
                    " (issue one at /account/tokens) or the session cookie plus an"
                    " `X-CSRF-Token` header on writes."
                ),
            },
            "servers": [{"url": "/"}],
            "tags": [
                {"name": n, "description": d} for n, d in sorted(self.tags.items())
            ],
            "paths": dict(sorted(self.paths.items())),
            "components": {
                "schemas": dict(sorted(self.schemas.items())),
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                    "session": {
                        "type": "apiKey",
                        "in": "cookie",
                        "name": "export_hub_session",
                    },
                },
            },
            "security": [{"bearer": []}, {"session": []}],
        }


OPENAPI = web.AppKey("openapi", OpenApiRegistry)
_PARAM_RE = re.compile(r"\{(\w+)(?::[^{}]*(?:\{[^{}]*\}[^{}]*)*)?\}")


def openapi_path(path: str) -> str:
    """``/x/{id:\\d+}`` (aiohttp) → ``/x/{id}`` (OpenAPI)."""
    return _PARAM_RE.sub(r"{\1}", path)


def registry(app: web.Application) -> OpenApiRegistry:
    """The application's registry (created on first use, whatever the setup order)."""
    if OPENAPI not in app:
        app[OPENAPI] = OpenApiRegistry()
    return app[OPENAPI]


def add_schema(app: web.Application, name: str, schema: dict[str, Any]) -> str:
    """Register a component schema; returns its ``$ref``."""
    registry(app).schemas[name] = schema
    return f"#/components/schemas/{name}"


def operation_id(method: str, doc_path: str) -> str:
    """``GET /api/v1/products/{id}`` → ``get_api_v1_products_id``."""
    return f"{method.lower()}_{re.sub(r'[^a-z0-9]+', '_', doc_path.lower()).strip('_')}"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def add_api_route(
    app: web.Application,
    method: str,
    path: str,
    handler: Handler,
    *,
    summary: str,
    tag: str,
    request_schema: str | None = None,
    request_content: str = "application/json",
    response_schema: str | dict[str, Any] | None = None,
    response_content: str = "application/json",
    success: int = 200,
    responses: tuple[int, ...] = (),
    query: tuple[tuple[str, str | dict[str, Any], str], ...] = (),
    description: str = "",
    public: bool = False,
    required_query: tuple[str, ...] = (),
) -> None:
    """Add an ``/api/v1`` route and document it in the same breath.

    ``query`` lists ``(name, type or schema, description)`` query parameters;
    ``responses`` the error statuses the operation may answer besides 400,
    404 and 413 (and 401 and 403 unless ``public``), all with the JSON error
    shape. ``description`` defaults to the summary.
    """
    if not path.startswith(API_PREFIX):
        raise ValueError(f"API routes live under {API_PREFIX}: {path}")
    app.router.add_route(method, path, handler)
    reg = registry(app)
    reg.tags.setdefault(tag, tag)
    doc_path = openapi_path(path)
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": ID_SCHEMA}
        for name in re.findall(r"\{(\w+)\}", doc_path)
    ]
    parameters += [
        {
            "name": name,
            "in": "query",
            "required": name in required_query,
            "schema": {"type": kind} if isinstance(kind, str) else kind,
            "description": text,
        }
        for name, kind, text in query
    ]
    ok: dict[str, Any] = {"description": STATUS_TEXT.get(success, "OK")}
    if response_schema is not None:
        schema = (
            ref(response_schema)
            if isinstance(response_schema, str)
            else response_schema
        )
        ok["content"] = {response_content: {"schema": schema}}
    errors = sorted({*ALWAYS, *(() if public else AUTHENTICATED), *responses})
    operation: dict[str, Any] = {
        "summary": summary,
        "description": description or f"{summary}.",
        "operationId": operation_id(method, doc_path),
        "tags": [tag],
        "responses": {str(success): ok}
        | {
            str(status): {
                "description": STATUS_TEXT.get(status, "Error"),
                "content": {"application/json": {"schema": ref("Error")}},
            }
            for status in errors
        },
    }
    if parameters:
        operation["parameters"] = parameters
    if request_schema is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {request_content: {"schema": ref(request_schema)}},
        }
    reg.add_operation(method, path, operation)


async def openapi_document(request: web.Request) -> web.Response:
    """``GET /api/v1/openapi.json``: public, so clients can discover the API."""
    return web.json_response(registry(request.app).document())


def setup(app: web.Application) -> None:
    add_api_route(
        app,
        "GET",
        f"{API_PREFIX}/openapi.json",
        openapi_document,
        summary="This OpenAPI 3 document",
        tag="meta",
        response_schema={"type": "object"},
        description="The OpenAPI 3 document of every `/api/v1` operation; public.",
        public=True,
    )
