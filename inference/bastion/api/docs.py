"""API docs: the OpenAPI document's request bodies and security schemes, and offline
``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) pages from local files.

FastAPI's own pages load their JavaScript, CSS, favicon and fonts from public CDNs, so
they are blank on an air-gapped host. Here the assets come from the ``fastapi-offline``
package (Swagger UI's ``swagger-ui-bundle.js`` / ``swagger-ui.css`` and ReDoc's
``redoc.standalone.js``) and are served under ``/docs/static``; the pages reference
nothing but relative URLs.

>>> from fastapi import FastAPI
>>> app = FastAPI(docs_url=None, redoc_url=None)
>>> add_offline_docs(app)  # doctest: +SKIP
True
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

log = logging.getLogger("bastion.api")

STATIC_PATH = "/docs/static"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js")
# a blank favicon: the defaults point at fastapi.tiangolo.com
_FAVICON = "data:,"
# The pages share their origin with /ui, which keeps the API key in sessionStorage, and
# Swagger UI has an "Authorize" key box: no other site may frame them (s32 qa_ui L1). The
# CSP stops at framing, plugins and <base>: FastAPI's pages start Swagger UI and ReDoc with
# an inline script, which a script-src would refuse.
PAGE_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'; object-src 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class _NoSniffFiles(StaticFiles):
    async def get_response(self, path: str, scope: Any) -> Response:
        response = await super().get_response(path, scope)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _locked(page: HTMLResponse) -> HTMLResponse:
    page.headers.update(PAGE_HEADERS)
    return page


def asset_dir() -> Path | None:
    """The folder holding the Swagger UI and ReDoc assets, or ``None`` when
    ``fastapi-offline`` is not installed (or lacks one of them)."""
    try:
        folder = Path(str(resources.files("fastapi_offline") / "static"))
    except (ModuleNotFoundError, TypeError):
        return None
    return folder if all((folder / a).is_file() for a in ASSETS) else None


def add_offline_docs(app: FastAPI, *, openapi_url: str = "/openapi.json") -> bool:
    """Add ``/docs``, ``/redoc`` and ``/docs/static/*`` to ``app`` (created with
    ``docs_url=None, redoc_url=None``); ``False`` (and no routes) without the assets."""
    folder = asset_dir()
    if folder is None:
        log.info("fastapi-offline is not installed: /docs and /redoc are off (openapi.json still works)")
        return False
    title = f"{app.title} API"
    # relative to the page, so the docs also work behind a reverse proxy that adds a prefix
    spec = "." + openapi_url if openapi_url.startswith("/") else openapi_url
    page = {"openapi_url": spec, "title": title}  # both pages

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return _locked(
            get_swagger_ui_html(
                **page,
                swagger_js_url="./docs/static/swagger-ui-bundle.js",
                swagger_css_url="./docs/static/swagger-ui.css",
                swagger_favicon_url=_FAVICON,
                # the default validator badge calls validator.swagger.io
                swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
            )
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _locked(
            get_redoc_html(
                **page,
                redoc_js_url="./docs/static/redoc.standalone.js",
                redoc_favicon_url=_FAVICON,
                with_google_fonts=False,
            )
        )

    app.mount(STATIC_PATH, _NoSniffFiles(directory=folder), name="docs-static")
    return True


REF = "#/components/schemas/{model}"


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """A route's ``openapi_extra`` for a body read by a dependency (FastAPI documents only
    body parameters): a reference to ``model``, which :func:`install_openapi` adds to the
    components.

    >>> request_body(BaseModel)["requestBody"]["content"]["application/json"]["schema"]
    {'$ref': '#/components/schemas/BaseModel'}
    """
    ref = {"$ref": REF.format(model=model.__name__)}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


def install_openapi(
    app: FastAPI, request_models: tuple[type[BaseModel], ...], security_schemes: dict[str, Any]
) -> None:
    """Make ``app.openapi()`` (built once, on first use) add the schemas of the bodies
    :func:`request_body` refers to and ``security_schemes`` to FastAPI's document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = doc.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for model in request_models:
            schemas[model.__name__] = hoist_defs(model.model_json_schema(ref_template=REF), schemas)
        components.setdefault("securitySchemes", {}).update(security_schemes)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


def hoist_defs(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """Move a pydantic schema's ``$defs`` into OpenAPI ``components.schemas`` (its refs
    must already use ``#/components/schemas/{model}``); returns the schema without them."""
    schema = dict(schema)
    for name, sub in schema.pop("$defs", {}).items():
        components.setdefault(name, sub)
    return schema


__all__ = [
    "ASSETS",
    "PAGE_HEADERS",
    "REF",
    "STATIC_PATH",
    "add_offline_docs",
    "asset_dir",
    "hoist_defs",
    "install_openapi",
    "request_body",
]
