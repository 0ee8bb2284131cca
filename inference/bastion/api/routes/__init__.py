"""The API's routes, one ``APIRouter`` per concern: :mod:`.guard` (``/v1``: check, redact,
batch, messages, restore) and :mod:`.ops` (``/healthz``, ``/readyz``, ``/metrics``)."""
