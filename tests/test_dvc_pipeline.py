"""dvc.yaml is complete: every project file a stage imports is one of its deps, params are
single keys that exist in params.yaml (and every key is used), the paths and flags in each
``cmd`` are declared and accepted, and a fresh clone has no input that no stage makes."""

from __future__ import annotations

import ast
import configparser
import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"bastion": ROOT / "inference", "bastion_training": ROOT / "training"}

# A flag that makes a module skip a lazily imported part, with the functions whose imports it
# skips: ``prepare --skip-pii`` never calls ``build_pii`` (the only importer of the PII builder),
# so the PII loaders are not deps of prepare_injection; ``--skip-injection`` never calls
# ``build_injection``. The closure still follows every other import, so moving such an import
# out of its function fails the deps test again.
SKIPPED_IMPORT_SITES = {
    "--skip-pii": {("training/bastion_training/prepare.py", "build_pii")},
    "--skip-injection": {("training/bastion_training/prepare.py", "build_injection")},
}

# params.yaml keys no stage reads: the ablation run is outside the pipeline (train_pii
# --no-case-features overrides train_pii with it), and so is the one-pass distillation
# (distill / export_onepass, an experiment whose model does not ship).
UNUSED_PARAMS = {"train_pii.ablation", "distill"}

# Path arguments of the stage modules (values are files or folders the stage reads or writes).
PATH_FLAGS = {"--data", "--out", "--art", "--card", "--model-dir", "--models-dir", "--report"}


def _module_file(name: str) -> Path | None:
    top = name.split(".")[0]
    base = PACKAGES.get(top)
    if base is None:
        return None
    path = base.joinpath(*name.split("."))
    for cand in (path.with_suffix(".py"), path / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def _package_of(path: Path) -> list[str]:
    for top, base in PACKAGES.items():
        if path.is_relative_to(base / top):
            parts = list(path.relative_to(base).with_suffix("").parts)
            return parts[:-1]  # a module's package; for __init__ the package itself
    raise AssertionError(f"{path} is outside the project packages")


def _walk(tree: ast.AST, skip_functions: set[str]):
    """ast.walk that does not enter the (top-level or nested) functions named in ``skip_functions``."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and child.name in skip_functions:
                continue
            todo.append(child)


def _imports(path: Path, skip_functions: set[str] = frozenset()) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in _walk(tree, skip_functions):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                pkg = _package_of(path)
                base = pkg[: len(pkg) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names.add(mod)
            names.update(f"{mod}.{a.name}" for a in node.names)
    return names


def closure(module: str, skipped: set[tuple[str, str]] = frozenset()) -> set[Path]:
    """Project files reachable by imports from ``module`` (including package __init__s),
    not following imports inside the ``(file, function)`` sites in ``skipped``."""
    seen: set[Path] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            f = _module_file(".".join(parts[:i]))
            if f is not None and f not in seen:
                seen.add(f)
                rel = f.relative_to(ROOT).as_posix()
                todo.extend(_imports(f, {fn for file, fn in skipped if file == rel}))
    return seen


def _stages() -> dict:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


def _params() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))


def _covered(rel: str, paths: list[str]) -> bool:
    return any(rel == d or rel.startswith(d.rstrip("/") + "/") for d in paths)


def _names(entries: list) -> list[str]:
    return [d if isinstance(d, str) else next(iter(d)) for d in entries]


def _dep_paths(stage: dict) -> list[str]:
    return _names(stage.get("deps", []))


def _out_paths(stage: dict) -> list[str]:
    return _names(stage.get("outs", []) + stage.get("metrics", []) + stage.get("plots", []))


def _commands(stage: dict) -> list[list[str]]:
    """Each ``python -m`` command of a stage as an argv (module first)."""
    out = []
    for part in re.split(r"&&|;", stage["cmd"]):
        argv = shlex.split(part)
        if argv[:2] == ["python", "-m"]:
            out.append(argv[2:])
    return out


def _param_keys(stage: dict) -> list[str]:
    keys = []
    for entry in stage.get("params", []):
        keys.extend([entry] if isinstance(entry, str) else [k for v in entry.values() for k in v])
    return keys


def _leaves(node: dict, prefix: str = "") -> set[str]:
    out = set()
    for k, v in node.items():
        key = f"{prefix}{k}"
        out |= _leaves(v, key + ".") if isinstance(v, dict) and not _is_table(v) else {key}
    return out


def _is_table(node: dict) -> bool:
    """A flat mapping of numbers (pii.locales, pii.corpus_caps) is one value: a stage that reads
    it must rerun when a row is added, and it has no room for a prose note; an empty one
    (train_pii.upweight: {}) is a table with no rows yet."""
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in node.values())


@pytest.mark.parametrize("name", sorted(_stages()))
def test_stage_deps_cover_every_imported_project_file(name):
    stage = _stages()[name]
    commands = _commands(stage)
    assert commands, f"stage {name} runs no 'python -m' module"
    deps = _dep_paths(stage)
    missing = set()
    for argv in commands:
        skipped = set().union(*(SKIPPED_IMPORT_SITES.get(a, set()) for a in argv[1:]))
        missing |= {
            p.relative_to(ROOT).as_posix()
            for p in closure(argv[0], skipped)
            if not _covered(p.relative_to(ROOT).as_posix(), deps)
        }
    assert not missing, f"stage {name} imports files it does not list as deps: {sorted(missing)}"


def test_closure_follows_lazy_imports_and_skips_only_the_named_sites():
    prepare = "bastion_training.prepare"
    pii_build = ROOT / "training/bastion_training/pii/build.py"
    assert pii_build in closure(prepare)  # imported inside build_pii
    assert pii_build not in closure(prepare, SKIPPED_IMPORT_SITES["--skip-pii"])
    # the injection builder (imported inside build_injection) is followed unless skipped
    inj_build = ROOT / "training/bastion_training/injection/build.py"
    assert inj_build in closure(prepare, SKIPPED_IMPORT_SITES["--skip-pii"])
    assert inj_build not in closure(prepare, SKIPPED_IMPORT_SITES["--skip-injection"])
    assert pii_build in closure(prepare, SKIPPED_IMPORT_SITES["--skip-injection"])


@pytest.mark.parametrize("name", sorted(_stages()))
def test_stage_params_are_single_keys_that_exist(name):
    params = _params()
    for key in _param_keys(_stages()[name]):
        node = params
        for part in key.split("."):
            assert isinstance(node, dict) and part in node, f"{name}: param {key} not in params.yaml"
            node = node[part]
        # a whole section would rerun the stage on any edit to it, even a prose note
        assert not isinstance(node, dict) or _is_table(node), (
            f"{name}: param {key} is a section; list its keys"
        )


def test_every_param_is_read_by_a_stage():
    used = {k for st in _stages().values() for k in _param_keys(st)}
    unused = {
        leaf
        for leaf in _leaves(_params())
        if not any(leaf == u or leaf.startswith(u + ".") for u in used | UNUSED_PARAMS)
    }
    assert not unused, (
        f"params.yaml keys no stage subscribes to (a change would rerun nothing): {sorted(unused)}"
    )


@pytest.mark.parametrize("name", sorted(_stages()))
def test_cmd_flags_exist_and_cmd_paths_are_declared(name):
    stage = _stages()[name]
    declared = _dep_paths(stage) + _out_paths(stage)
    for argv in _commands(stage):
        source = _module_file(argv[0]).read_text(encoding="utf-8")
        accepted = set(re.findall(r"add_argument\(\s*\"(--[\w-]+)\"", source))
        flags = [a.split("=")[0] for a in argv[1:] if a.startswith("--")]
        unknown = [f for f in flags if f not in accepted]
        assert not unknown, f"{name}: {argv[0]} has no {unknown}"
        for flag, value in zip(argv[1:], argv[2:], strict=False):
            if flag in PATH_FLAGS:
                # a path is a dep/out, inside one, or the folder of some (--models-dir models)
                ok = _covered(value, declared) or any(d.startswith(value.rstrip("/") + "/") for d in declared)
                assert ok, f"{name}: {flag} {value} is neither a dep nor an out"


def test_every_stage_input_is_made_by_a_stage_or_tracked():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    stages = _stages()
    outs = {o for st in stages.values() for o in _out_paths(st)}
    for name, st in stages.items():
        for dep in _dep_paths(st):
            if _covered(dep, list(outs)):
                continue
            # a file here but not in git would be missing from a fresh clone
            listed = subprocess.run(
                ["git", "ls-files", "--", dep], cwd=ROOT, capture_output=True, text=True, check=True
            )
            assert listed.stdout.strip(), f"{name}: dep {dep} is neither in git nor made by a stage"


def test_top_level_plots_are_stage_outputs():
    doc = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    plots = _names(doc.get("plots", []))
    assert plots, "dvc.yaml has no plots section"
    outs = {o for st in doc["stages"].values() for o in _out_paths(st)}
    assert all(p in outs for p in plots), f"plots made by no stage: {set(plots) - outs}"


def test_no_init_from_a_local_checkpoint():
    params = _params()
    assert params["train_pii"].get("init_from") is None
    assert params["train_injection"].get("init_from") is None


def test_a_default_remote_is_configured():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / ".dvc" / "config")
    remote = cfg.get("core", "remote", fallback=None)
    assert remote, ".dvc/config has no default remote"
    # DVC (configobj) quotes the section name: ['remote "local"']
    section = next((s for s in (f'remote "{remote}"', f"'remote \"{remote}\"'") if cfg.has_section(s)), None)
    assert section and cfg.get(section, "url", fallback=None), f"remote {remote} has no url"
    url = cfg.get(section, "url")
    if "://" not in url:
        # a relative url is relative to .dvc/; the cache must not land inside the repository
        path = (ROOT / ".dvc" / url).resolve()
        assert not path.is_relative_to(ROOT), f"remote {remote} ({path}) is inside the repository"


# --- wall-clock numbers live in timing.json files (bastion_training.timing), never in metrics.

WALL_CLOCK_KEY = re.compile(r"(^|_)(ms|seconds|secs|latency|throughput|per_s|created|elapsed)($|_)")


def _wall_clock_keys(node, prefix: str = "") -> list[str]:
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            found += [key] if WALL_CLOCK_KEY.search(str(k)) else _wall_clock_keys(v, key)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _wall_clock_keys(v, f"{prefix}[{i}]")
    return found


def _metrics_files() -> list[str]:
    return sorted({m for st in _stages().values() for m in _names(st.get("metrics", []))})


def test_wall_clock_key_pattern():
    data = {"train_seconds": 1, "meta": {"latency": {"p50": 2}, "created": "x"}, "sys": [{"ms_per_text": 3}],
            "f1": 0.9, "steps": 10, "messages": 1, "texts": 4}  # fmt: skip
    assert _wall_clock_keys(data) == ["train_seconds", "meta.latency", "meta.created", "sys[0].ms_per_text"]


@pytest.mark.parametrize("path", _metrics_files())
def test_metrics_files_hold_no_wall_clock_numbers(path):
    # timings differ run to run: in a metrics file they make every `dvc metrics diff` noisy
    file = ROOT / path
    if not file.exists():
        pytest.skip(f"{path} is not built here (not in git)")
    assert not _wall_clock_keys(json.loads(file.read_text(encoding="utf-8"))), path


REGISTRY_CALLS = {"register_model_folder", "create_model_version", "create_registered_model"}


def _calls_registry(module: str) -> list[str]:
    hits = []
    for f in closure(module):
        if f.name in ("common.py", "register.py"):
            continue  # the helper itself and the register stage's module
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                if name in REGISTRY_CALLS:
                    hits.append(f"{f.relative_to(ROOT).as_posix()}:{node.lineno}")
    return hits


@pytest.mark.parametrize("name", [n for n in sorted(_stages()) if not n.startswith("register")])
def test_only_register_stages_write_the_model_registry(name):
    hits = [h for argv in _commands(_stages()[name]) for h in _calls_registry(argv[0])]
    assert not hits, f"stage {name} writes the MLflow registry as a side effect: {hits}"


def test_register_is_idempotent_per_model_folder(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    from bastion_training.register import register

    monkeypatch.chdir(tmp_path)  # MLflow puts run artifacts under ./mlruns of a sqlite store
    folder = tmp_path / "pii"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"\x00onnx")
    (folder / "manifest.json").write_text('{"version": "t-1"}', encoding="utf-8")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    first = register("pii", folder, None, uri)
    again = register("pii", folder, None, uri)
    (folder / "manifest.json").write_text('{"version": "t-2"}', encoding="utf-8")
    second = register("pii", folder, None, uri)
    assert (first["registry_version"], first["reused"]) == ("1", False)
    assert (again["registry_version"], again["reused"]) == ("1", True)
    assert (second["registry_version"], second["bastion_version"], second["reused"]) == ("2", "t-2", False)


def test_no_two_outputs_overlap():
    # DVC refuses the whole graph when one stage's output folder holds another output
    # ("models/onepass" from export_onepass, "models/onepass/model.onnx" from screen):
    # every `dvc repro`, even of an unrelated stage, failed with exit 255
    owners = [(Path(o), name) for name, st in _stages().items() for o in _out_paths(st)]
    clashes = [
        (str(a), sa, str(b), sb)
        for i, (a, sa) in enumerate(owners)
        for b, sb in owners[i + 1 :]
        if a == b or a in b.parents or b in a.parents
    ]
    assert clashes == []
