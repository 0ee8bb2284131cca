"""Small injection-engine settings for tests that build the engine's frames quickly."""

from __future__ import annotations

# every family the engine builds from code at its smallest count (an empty datasets root
# leaves the corpus-backed parts out)
SMALL_ENGINE: dict[str, int] = {
    "carrier_pos": 4,
    "carrier_neg": 4,
    "secrets_per_template": 1,
    "discussion": 2,
    "system_prompts": 2,
    "system_prompts_composed": 2,
    "roleplay_fiction": 2,
    "native_benign_per_lang": 1,
}
