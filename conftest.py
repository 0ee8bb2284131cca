"""Root pytest configuration (applies to tests/ and to the doctests in inference/bastion)."""

import os

# LiteLLM downloads a price table at import unless told to use its bundled copy; the test
# machines are offline
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
