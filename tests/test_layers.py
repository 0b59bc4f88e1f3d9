"""The tree's shape as a checked contract.

`lint-imports` (in .ci/run) checks the import rules between the layers declared in
pyproject.toml; these tests keep that declaration whole, so a new module cannot slip past the
rules by being in no layer, and keep every module small enough to read in one sitting.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "reconciler"
MAX_LINES = 300
MAX_LINES_STAND_INS = 400
# Package markers and the bundled example data: no logic of any layer.
UNLAYERED = {"reconciler", "reconciler.ipam", "reconciler.examples"}


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _layers() -> dict[str, list[str]]:
    contracts = _contracts()
    return {
        "pure core": contracts["pure-core"]["source_modules"],
        "adapters": contracts["adapters"]["source_modules"],
        "stages": contracts["stages"]["source_modules"],
        "command line": ["reconciler.cli"],
        "stand-ins": contracts["stand-ins"]["protected_modules"],
    }


def _layers_of(module: str) -> list[str]:
    return [
        layer
        for layer, members in _layers().items()
        if any(module == member or module.startswith(member + ".") for member in members)
    ]


def test_every_module_is_in_exactly_one_layer():
    misplaced = {
        module: _layers_of(module)
        for module in _modules()
        if module not in UNLAYERED and len(_layers_of(module)) != 1
    }
    assert misplaced == {}, "add each module to one layer in pyproject.toml [tool.importlinter]"


def test_the_pure_core_is_forbidden_every_other_layer():
    forbidden = set(_contracts()["pure-core"]["forbidden_modules"])
    layers = _layers()
    for layer in ("adapters", "stages", "command line", "stand-ins"):
        assert set(layers[layer]) <= forbidden, layer


def test_the_command_modules_are_all_independent():
    commands = {
        f"reconciler.cli.{path.stem}"
        for path in (PACKAGE / "cli").glob("*.py")
        if "def register(" in path.read_text()
    }
    assert commands == set(_contracts()["commands"]["modules"])


def test_modules_are_small():
    too_long = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        limit = MAX_LINES_STAND_INS if relative.parts[0] == "sim" else MAX_LINES
        lines = len(path.read_text().splitlines())
        if lines > limit:
            too_long[str(relative)] = f"{lines} > {limit}"
    assert too_long == {}, "split these by concern"
