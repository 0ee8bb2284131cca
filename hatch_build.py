"""Build hook: editable installs must not copy the shipped models into site-packages.

The wheel force-includes ``models/`` as ``bastion/_models`` so a wheel install works
offline; an editable install already reads the repository's ``models/`` (see
``bastion.guard.default_models_dir``), and copying 170 MB there would only leave a stale
duplicate behind after the next model update. Hatchling uses ``force_include_editable``
instead of ``force-include`` when it is non-empty, so it gets the one small file an
editable install does want.
"""

from __future__ import annotations

from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class EditableWithoutModels(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            build_data["force_include_editable"] = {"inference/bastion/py.typed": "bastion/py.typed"}
