"""The README's tables say what the code does: the safety table names tests that exist, so a
renamed test cannot orphan a claim; the "Supported CNIs" table has exactly one row per CNI of
the registry, with its plugin names, mode, objects, next hop and RBAC."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.ipam.model import IpamMode
from reconciler.ipam.registry import BY_MODE, CNIS, REFUSED_PLUGINS

ROOT = Path(__file__).parents[1]


def test_every_test_the_readme_names_exists():
    readme = (ROOT / "README.md").read_text()
    current, missing = None, []
    for match in re.finditer(r"`(tests/[\w/.]+\.py)?(?:::(\w+))?`", readme):
        path, name = match.groups()
        current = path or current
        if path and not (ROOT / path).exists():
            missing.append(path)
        if name and current and f"{name}" not in (ROOT / current).read_text():
            missing.append(f"{current}::{name}")
    assert not missing


def supported_cnis() -> list[dict[str, str]]:
    """The rows of the README's "Supported CNIs" table, each a dict keyed by column header."""
    section = (ROOT / "README.md").read_text().split("### Supported CNIs\n", 1)[1]
    lines = [line for line in section.split("\n\n", 2)[1].splitlines() if line.startswith("|")]
    header, _separator, *rows = [
        [cell.strip() for cell in line.strip("|").split("|")] for line in lines
    ]
    return [dict(zip(header, row, strict=True)) for row in rows]


def plugin_names(cell: str) -> set[str]:
    """`kubernetes` or `''` (AKO's empty `cniPlugin`) -> {"kubernetes", ""}."""
    return {name.strip("'") for name in re.findall(r"`([^`]*)`", cell.split("(")[0])}


def test_the_supported_cnis_table_is_the_registry():
    rows = supported_cnis()
    refused = [row for row in rows if not row["`ipamMode`"]]
    assert {name for row in refused for name in plugin_names(row["`--cni-plugin`"])} == set(
        REFUSED_PLUGINS
    )
    assert all(row["RBAC beyond `deploy/base`"].startswith("refused (exit 1)") for row in refused)
    documented = [row for row in rows if row["`ipamMode`"]]
    modes = [row["`ipamMode`"].strip("`") for row in documented]
    assert sorted(modes) == sorted(str(cni.mode) for cni in CNIS)
    for row, mode in zip(documented, modes, strict=True):
        cni = BY_MODE[IpamMode(mode)]
        plugins = row["`--cni-plugin`"]
        assert plugin_names(plugins) == set(cni.plugins) | set(cni.aliases), mode
        assert set(re.findall(r"`ipam: ([\w-]+)`", plugins)) <= set(cni.cilium_ipam), mode
        assert row["next hop"] == cni.next_hop, mode
        objects = row["objects read"]
        assert objects.startswith(f"`{cni.reads.kind}`" if cni.reads else "`Node`"), mode
        rbac = row["RBAC beyond `deploy/base`"]
        if cni.rbac_component:
            assert cni.reads is not None
            assert rbac == f"`deploy/components/{cni.rbac_component}`: list `{cni.reads.plural}`"
        else:
            assert rbac.startswith("none"), mode


def test_every_rbac_component_belongs_to_a_registered_cni():
    components = {  # the components granting reads (alerts grants nothing)
        path.parent.name for path in (ROOT / "deploy/components").glob("*/clusterrole.yaml")
    }
    assert components == {cni.rbac_component for cni in CNIS if cni.rbac_component}
