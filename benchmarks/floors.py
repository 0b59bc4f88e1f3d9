"""The floors a render is measured against, each one whole process (run.py times them like the
scenarios): read the same input, write the same routes, and nothing else.

    floors.py json-yaml SNAPSHOT ROUTES     # json.loads, then yaml.dump (libyaml) of the routes
    floors.py typed-direct SNAPSHOT ROUTES  # msgspec decoding only the fields routes need,
                                            # then each route's line written directly

ROUTES is the JSON list of the routes render writes (synthetic.py routes), read before the
floor's own work; the output goes to /dev/null. No project import: a floor is what any
implementation in Python pays, not this one.

Annotations are evaluated as written (no `from __future__ import annotations`): the typed floor
defines its structs inside the function, so the other floor does not import msgspec.
"""

import json
import sys
from pathlib import Path
from typing import Any

LINE = "  - {{routeId: {routeId}, prefix: {prefix}, nextHop: {nextHop}, node: {node}}}\n"


def json_yaml(snapshot: Path, routes: list[dict[str, str]]) -> None:
    import yaml

    json.loads(snapshot.read_bytes())
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with open("/dev/null", "w") as out:
        yaml.dump(
            {"routes": routes},
            out,
            Dumper=dumper,
            sort_keys=False,
            default_flow_style=None,
            width=4096,
        )


def typed_direct(snapshot: Path, routes: list[dict[str, str]]) -> None:
    """The fields a cluster-pool route needs: names, InternalIPs, CiliumNode pod CIDRs."""
    import msgspec

    class Metadata(msgspec.Struct):
        name: str = ""

    class Address(msgspec.Struct):
        type: str = ""
        address: str = ""

    class Status(msgspec.Struct):
        addresses: list[Address] = []

    class Ipam(msgspec.Struct):
        podCIDRs: list[str] = []

    class Spec(msgspec.Struct):
        ipam: Ipam | None = None

    class Item(msgspec.Struct):
        kind: str = ""
        metadata: Metadata | None = None
        spec: Spec | None = None
        status: Status | None = None

    class Listing(msgspec.Struct):
        items: list[Item] = []

    msgspec.json.decode(snapshot.read_bytes(), type=Listing)
    with open("/dev/null", "w") as out:
        out.writelines(LINE.format(**_quoted(route)) for route in routes)


def _quoted(route: dict[str, str]) -> dict[str, Any]:
    return {key: f"'{value}'" if ":" in value else value for key, value in route.items()}


FLOORS = {"json-yaml": json_yaml, "typed-direct": typed_direct}


def main() -> None:
    floor, snapshot, routes = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    FLOORS[floor](snapshot, json.loads(routes.read_text()))


if __name__ == "__main__":
    main()
