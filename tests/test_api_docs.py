"""Offline API docs (issue 19 item 3) and docs/api.md, on a real uvicorn server.

/docs and /redoc reference only relative URLs and their assets are served locally; the
OpenAPI document has the bearer scheme, resolvable references and the response schemas;
every curl example in docs/api.md answers the status the document says."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bastion.api import docs as api_docs
from bastion.api.app import create_app
from bastion.api.keys import KeyStore
from bastion.api.settings import Settings
from fastapi.testclient import TestClient
from test_api import Server, fake_app, fake_guard, wait_ready

API_MD = Path(__file__).resolve().parents[1] / "docs" / "api.md"
needs_assets = pytest.mark.skipif(
    api_docs.asset_dir() is None, reason="fastapi-offline (the api extra) is not installed"
)


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[tuple[str, str]]:
    tmp = tmp_path_factory.mktemp("docs")
    ks = KeyStore(f"sqlite:///{tmp / 'keys.db'}")
    _, key = ks.create("docs")
    store = None
    try:
        from bastion.store import PrivacyStore, new_vault_key

        store = PrivacyStore(f"sqlite:///{tmp / 'store.db'}", audit_key=b"a" * 32, vault_key=new_vault_key())
    except ImportError:
        pass
    with Server(fake_app(ks, privacy_store=store)) as srv:
        wait_ready(srv.url)
        yield srv.url, key


# -- /docs, /redoc ----------------------------------------------------------------------------

_URL = re.compile(r"""(?:src|href|url|spec-url)\s*[=:]\s*['"]([^'"]+)['"]""", re.I)


@needs_assets
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_reference_only_local_urls(live, page):
    url, _ = live
    r = httpx.get(url + page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    refs = _URL.findall(r.text)
    assert refs, "the page references its assets"
    for ref in refs:
        assert ref.startswith(("./", "/", "data:")) or ref.startswith("http://127.0.0.1"), ref
    # nothing absolute to another host anywhere in the page (fonts, CDNs, validator)
    assert not [
        u for u in re.findall(r"https?://[^\s'\"<>]+", r.text) if not u.startswith("http://127.0.0.1")
    ]
    for ref in refs:
        if ref.startswith("./"):
            got = httpx.get(url + ref[1:])
            assert got.status_code == 200, ref
            assert len(got.content) > 1000 or ref.endswith(".json")


@needs_assets
@pytest.mark.parametrize(
    "asset, kind",
    [
        ("swagger-ui-bundle.js", "javascript"),
        ("swagger-ui.css", "css"),
        ("redoc.standalone.js", "javascript"),
    ],
)
def test_docs_assets_are_served(live, asset, kind):
    url, _ = live
    r = httpx.get(f"{url}/docs/static/{asset}")
    assert r.status_code == 200 and kind in r.headers["content-type"]
    assert len(r.content) > 100_000


def test_docs_off_without_assets_or_when_disabled(monkeypatch):
    app = create_app(guard=fake_guard(), settings=Settings(auth_enabled=False, docs=False))
    with TestClient(app) as c:
        assert c.get("/docs").status_code == 404 and c.get("/openapi.json").status_code == 200
    monkeypatch.setattr(api_docs, "asset_dir", lambda: None)
    app = create_app(guard=fake_guard(), settings=Settings(auth_enabled=False))
    with TestClient(app) as c:
        assert c.get("/docs").status_code == 404 and c.get("/redoc").status_code == 404
        assert c.get("/openapi.json").status_code == 200


# -- the OpenAPI document ----------------------------------------------------------------------


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


ROUTES = {
    "/v1/check": ("CheckRequest", "CheckResultOut"),
    "/v1/redact": ("CheckRequest", "CheckResultOut"),
    "/v1/check/batch": ("BatchRequest", "BatchResultOut"),
    "/v1/check/messages": ("MessagesRequest", "MessagesResultOut"),
    "/v1/restore": ("RestoreRequest", "RestoreOut"),
}


def test_openapi_has_bearer_scheme_and_response_schemas(live):
    url, _ = live
    spec = httpx.get(url + "/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["type"] == "http" and schemes["bearerAuth"]["scheme"] == "bearer"
    schemas = spec["components"]["schemas"]
    for ref in _refs(spec):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    for path, (req, resp) in ROUTES.items():
        op = spec["paths"][path]["post"]
        assert op["security"] == [{"bearerAuth": []}], path
        assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/" + req)
        ok = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok["$ref"].endswith("/" + resp), path
        for code in ("401", "413", "422", "429"):
            assert op["responses"][code]["content"]["application/json"]["schema"]["$ref"].endswith(
                "/ErrorOut"
            )
    assert spec["paths"]["/v1/restore"]["post"]["responses"]["404"]
    for path in ("/healthz", "/readyz", "/metrics"):
        assert "security" not in spec["paths"][path]["get"]
    assert "text" in schemas["CheckRequest"]["properties"]
    assert "pseudonyms" in schemas["CheckResultOut"]["properties"]


# -- docs/api.md --------------------------------------------------------------------------------


def _examples() -> list[tuple[int, str]]:
    out = []
    for block in re.findall(r"```bash\n(.*?)```", API_MD.read_text(encoding="utf-8"), re.S):
        m = re.match(r"# -> (\d{3})\n(curl .*)", block, re.S)
        if m:
            out.append((int(m.group(1)), m.group(2).strip()))
    return out


def test_api_md_has_examples_for_every_route():
    text = " ".join(cmd for _, cmd in _examples())
    for route in (*ROUTES, "/readyz", "/openapi.json"):
        assert route + '"' in text or route + "?" in text or route + "'" in text, route


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_api_md_examples_against_the_server(live):
    pytest.importorskip("bastion.store", reason="the session examples need bastion.store")
    url, key = live
    env = {**os.environ, "BASTION_URL": url, "KEY": key}
    examples = _examples()
    assert len(examples) >= 12
    for status, cmd in examples:
        proc = subprocess.run(
            ["bash", "-c", cmd + " -w '\\n%{http_code}'"], env=env, capture_output=True, text=True, timeout=30
        )
        assert proc.returncode == 0, (cmd, proc.stderr)
        body, _, code = proc.stdout.rpartition("\n")
        assert int(code) == status, (cmd, body[:300])
        if "/metrics" not in cmd:
            json.loads(body)  # every answer is JSON
    # the restore example restored what the pseudonymize example stored
    restore = next(c for _, c in examples if "/v1/restore" in c and "alice" in c)
    out = subprocess.run(["bash", "-c", restore], env=env, capture_output=True, text=True, timeout=30)
    assert json.loads(out.stdout)["text"] == "Dear Jane Doe, we wrote to jane.doe@example.com."
