"""The ``/v1`` routes: check, redact, batch, messages and restore.

Every route takes the API key (:func:`~bastion.api.deps.authorize`), the body parsed into
its request model (:class:`~bastion.api.body.JsonBody`) and, for the checks, the ready
runner; then it checks the user, the texts and the policy override, runs the Guard off the
event loop, and records metrics and audit events for each checked text.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from bastion.api.audit_log import Checked, record_checks
from bastion.api.batcher import Runner
from bastion.api.body import JsonBody
from bastion.api.deps import (
    AppState,
    KeyId,
    ReadyRunner,
    State,
    http_error,
    policy_for,
    public_message,
    user_for,
    validate_texts,
    vault_for,
)
from bastion.api.docs import request_body
from bastion.api.edge import DATABASE_UNAVAILABLE, UNAVAILABLE_RETRY_AFTER_S, store_call
from bastion.api.models import (
    BatchRequest,
    BatchResultOut,
    CheckRequest,
    CheckResultOut,
    ErrorOut,
    MessagesRequest,
    MessagesResultOut,
    PolicyOverride,
    RestoreOut,
    RestoreRequest,
    SystemBlock,
    subject,
)
from bastion.api.sessions import Restored
from bastion.conversation import check_messages, parse_messages
from bastion.redact import Vault
from bastion.results import result_dict
from bastion.types import CheckResult

REQUEST_MODELS = (CheckRequest, BatchRequest, MessagesRequest, RestoreRequest)
BEARER_AUTH = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "an API key from `bastion keys create` (keys in the URL are refused)",
    }
}

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": what}
    for code, what in (
        (400, "not JSON / not UTF-8, or an API key in the URL"),
        (401, "missing or unknown API key"),
        (403, "revoked API key"),
        (408, "request body too slow"),
        (413, "body, text or batch over the server's limits"),
        (422, "invalid request (the detail names the field)"),
        (429, "rate limit or failed-auth limit; see Retry-After"),
        (503, "models still loading"),
    )
}
_SECURED = {"security": [{"bearerAuth": []}]}

router = APIRouter(tags=["guard"], responses=ERRORS)


def _documents(body: type[Any]) -> dict[str, Any]:
    """``openapi_extra`` of a /v1 route: its body's schema and bearer auth."""
    return {"openapi_extra": {**request_body(body), **_SECURED}}


def overridden(policy: PolicyOverride | None) -> list[str]:
    """The policy fields a request set (names, not values)."""
    return [] if policy is None else sorted(policy.model_dump(exclude_none=True))


def public_result(result: CheckResult, vault: Vault | None, *, explain: bool = False) -> dict[str, Any]:
    """A result as the API returns it: no server paths in ``degraded_reasons``, the
    issued ``pseudonyms`` when the request had a session vault, explanations if asked."""
    d = result_dict(result, explain=explain)
    if d["degraded_reasons"]:
        d["degraded_reasons"] = [public_message(r) for r in d["degraded_reasons"]]
    if vault is not None:
        d["pseudonyms"] = list(result.pseudonyms)
    return d


@dataclass(frozen=True)
class Call:
    """One /v1 request after auth: the request, the app's state, the API key id and, for
    the checking routes, the ready runner. Its methods are the steps every route shares."""

    request: Request
    state: AppState
    key_id: str | None
    run: Runner | None = None

    def user(self, body_user: str | None) -> str | None:
        """The end user (``X-Bastion-User`` or the body's ``user_id``)."""
        return user_for(self.request, body_user)

    async def check(
        self, req: CheckRequest | BatchRequest, texts: list[str], user: str | None
    ) -> list[dict[str, Any]]:
        """Check ``texts`` (the body's) for ``user``, record them, and return their public results."""
        assert self.run is not None
        state = self.state
        texts = validate_texts(texts, state.settings.max_text_chars)
        pol, key = policy_for(state, req.policy)
        vault, vkey = await vault_for(state, req.policy, pol, self.key_id, user, req.session_id)
        results = await self.run.check(texts, pol, key + vkey, vault=vault)
        indexed = len(texts) > 1
        await self.record(
            [
                Checked(t, r, i if indexed else None)
                for i, (t, r) in enumerate(zip(texts, results, strict=True))
            ],
            user,
            overridden(req.policy),
        )
        return [public_result(r, vault, explain=req.explain) for r in results]

    async def record(self, checked: list[Checked], user: str | None, overrides: Sequence[str] = ()) -> None:
        """Metrics and audit for the checked texts (and their results for the request's span);
        ``overrides``: the policy fields the request set."""
        request = self.request
        request.state.results = [c.result for c in checked]
        await record_checks(
            self.state.audit,
            self.state.metrics,
            checked,
            request_id=request.state.request_id,
            key_id=self.key_id,
            route=request.scope["route"].path,
            latency_ms=(time.perf_counter() - request.state.t0) * 1000.0,
            user_id=user,
            overrides=overrides,
        )


def _call(request: Request, key_id: KeyId, state: State) -> Call:
    return Call(request, state, key_id)


def _checking_call(request: Request, run: ReadyRunner, key_id: KeyId, state: State) -> Call:
    # readiness first: a 503 while the models load must not use up the key's rate limit
    # (FastAPI solves dependencies in parameter order)
    return Call(request, state, key_id, run)


# route parameters: the call first (auth, then 503 while loading), then the body
ApiCall = Annotated[Call, Depends(_call)]
CheckingCall = Annotated[Call, Depends(_checking_call)]
CheckBody = Annotated[CheckRequest, Depends(JsonBody(CheckRequest))]
BatchBody = Annotated[BatchRequest, Depends(JsonBody(BatchRequest))]
MessagesBody = Annotated[MessagesRequest, Depends(JsonBody(MessagesRequest))]
RestoreBody = Annotated[RestoreRequest, Depends(JsonBody(RestoreRequest))]


@router.post("/v1/check", response_model=CheckResultOut, **_documents(CheckRequest))
async def check(call: CheckingCall, req: CheckBody) -> JSONResponse:
    """Check one prompt; returns ``CheckResult.to_dict()``."""
    (out,) = await call.check(req, [req.text], call.user(req.user_id))
    return JSONResponse(out)


@router.post("/v1/redact", response_model=CheckResultOut, **_documents(CheckRequest))
async def redact(call: CheckingCall, req: CheckBody) -> JSONResponse:
    """Redact one text; the same result shape as /v1/check, the redacted text is ``redacted_text``."""
    (out,) = await call.check(req, [req.text], call.user(req.user_id))
    return JSONResponse(out)


@router.post("/v1/check/batch", response_model=BatchResultOut, **_documents(BatchRequest))
async def check_batch(call: CheckingCall, req: BatchBody) -> JSONResponse:
    """Check up to ``max_batch`` prompts; returns ``{"results": [CheckResult.to_dict(), ...]}``."""
    user = call.user(req.user_id)
    cap = call.state.settings.max_batch
    if len(req.texts) > cap:
        raise http_error(413, f"batch has {len(req.texts)} texts, over the limit of {cap}")
    return JSONResponse({"results": await call.check(req, req.texts, user)})


@router.post("/v1/check/messages", response_model=MessagesResultOut, **_documents(MessagesRequest))
async def check_messages_route(call: CheckingCall, req: MessagesBody) -> JSONResponse:
    """Check a chat array (OpenAI or Anthropic shape) role by role: user messages as
    input, tool results as indirect input, assistant messages as output (with canaries
    and system-prompt leaks); returns ``MessagesResult.to_dict()``."""
    user, state = call.user(req.user_id), call.state
    messages = [m.model_dump(mode="python", exclude_unset=True) for m in req.messages]
    pieces = parse_messages(messages)
    cap = state.settings.max_text_chars
    # checked_text: a tool call's names count as its output (and against the cap)
    validate_texts([p.checked_text for p in pieces] or [""], cap)
    system = SystemBlock.join(req.system)
    if system is not None:
        validate_texts([system], cap)
    pol, _ = policy_for(state, req.policy)
    vault, _ = await vault_for(state, req.policy, pol, call.key_id, user, req.session_id)
    assert state.guard is not None and call.run is not None
    guard = state.guard

    def run_checks() -> Any:
        return check_messages(guard, messages, system=system, canaries=req.canaries, policy=pol, vault=vault)

    result = await call.run.call(run_checks, sum(len(p.checked_text) for p in pieces))
    state.metrics.batch_size.observe(len(pieces))
    call.request.state.overall_action = result.action.value
    checked = [
        Checked(p.checked_text, m.result, m.index, m.role)
        for p, m in zip(pieces, result.messages, strict=True)
        if m.result is not None
    ]
    await call.record(checked, user, overridden(req.policy))
    out = result.to_dict()
    for d, m in zip(out["messages"], result.messages, strict=True):
        if m.result is not None:
            d["result"] = public_result(m.result, vault, explain=req.explain)
    return JSONResponse(out)


@router.post(
    "/v1/restore",
    response_model=RestoreOut,
    responses={404: {"model": ErrorOut, "description": "unknown or expired session"}},
    **_documents(RestoreRequest),
)
async def restore_route(call: ApiCall, req: RestoreBody) -> JSONResponse:
    """Put a session's pseudonymised values back into a text (an LLM's answer): only
    for the API key and user that created the session, until the session expires."""
    user, state, key_id = call.user(req.user_id), call.state, call.key_id
    if state.sessions is None:
        raise http_error(
            422,
            "restore needs a privacy store on the server (bastion serve --audit-store, with "
            "BASTION_VAULT_KEY set); the pseudonymize operator is refused without one",
        )
    (text,) = validate_texts([req.text], state.settings.max_text_chars)
    sessions = state.sessions
    try:
        # with the client-side deadline of every store call: a frozen database answers 503
        out = await store_call(
            sessions.restore, key_id, subject(user, key_id), req.session_id, text, req.tokens
        )
    except TimeoutError:
        raise http_error(503, DATABASE_UNAVAILABLE, {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)}) from None
    request_id = call.request.state.request_id
    await _record_restore(state, key_id, user, request_id, out, len(text))
    if out is None:
        raise http_error(404, "unknown or expired session for this API key and user")
    state.audit.event(
        "restore",
        request_id=request_id,
        key_id=key_id,
        user_hmac=state.audit.user_hmac(user),
        restored=out.restored,
        unknown=out.unknown,
        length=len(text),
    )
    return JSONResponse({"text": out.text, "restored": out.restored, "unknown": out.unknown})


async def _record_restore(
    state: AppState, key_id: str | None, user: str | None, request_id: str, out: Restored | None, length: int
) -> None:
    """A ``restore`` row in the audit trail, refused ones (404) too: putting pseudonymised
    values back discloses personal data again, and a key probing sessions not its own must
    leave a trace. Fail-open like the check rows (counted in ``audit_errors``)."""
    store = state.audit.store
    if store is None:
        return
    details: dict[str, Any] = {"outcome": "restored" if out is not None else "not_found", "length": length}
    if out is not None:
        details |= {"restored": out.restored, "unknown": out.unknown}
    who = subject(user, key_id)

    def write() -> None:
        # a lookup only, as the restore itself: a refused restore must not create a pseudonym
        pseudonym = store.pseudonyms.get(who) if who is not None else None
        store.audit.append(
            "restore", user_pseudonym=pseudonym, request_id=request_id, key_id=key_id, details=details
        )

    try:
        await store_call(write)
    except Exception as exc:
        # the type only: a driver's message can echo parameters
        state.audit.logger.error("audit_store_error", request_id=request_id, error=type(exc).__name__)
        state.metrics.audit_errors.inc()


__all__ = ["BEARER_AUTH", "ERRORS", "REQUEST_MODELS", "Call", "public_result", "router"]
