"""The operations routes: ``/healthz`` (liveness), ``/readyz`` (readiness, model versions)
and ``/metrics`` (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from bastion.api.deps import State, public_message
from bastion.api.metrics import CONTENT_TYPE_LATEST
from bastion.api.models import HealthOut, ReadyOut

router = APIRouter(tags=["ops"])


# HEAD too: load balancers and uptime checks probe with it
@router.api_route("/healthz", methods=["GET", "HEAD"], response_model=HealthOut)
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.api_route(
    "/readyz",
    methods=["GET", "HEAD"],
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "starting, or the Guard failed to load"}},
)
async def readyz(state: State) -> JSONResponse:
    """Readiness: 200 with model versions once the Guard is loaded, 503 before (or if it failed)."""
    g = state.guard
    if state.runner is None or g is None:
        body = {"status": "failed", "error": state.error} if state.error else {"status": "starting"}
        return JSONResponse(body, status_code=503)
    return JSONResponse(
        {
            "status": "ready",
            "model_versions": dict(g.model_versions),
            "detectors": {d.name: d.version for d in g.detectors},
            "degraded": g.degraded,
            "degraded_reasons": [public_message(r) for r in g.degraded_reasons],
            "mode": state.settings.mode,
        }
    )


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}}},
)
async def metrics_endpoint(state: State) -> Response:
    """Prometheus metrics of this app instance."""
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)


__all__ = ["router"]
