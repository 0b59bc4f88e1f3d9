"""A controller whose data is hostile or broken, through the CLI over real HTTP: a foreign route
holding one of our (predictable) route ids, and a VRF answer without ``_last_modified``."""

from __future__ import annotations

import json

import pytest
from world import FOREIGN

from reconciler.sim.avi import static_route

HOLDER = static_route("c.10.0.1.0_24", "10.99.0.0/24", "10.1.1.9")


@pytest.mark.parametrize("write_mode", ["put", "patch"])
def test_a_foreign_route_holding_one_of_our_route_ids_blocks_that_route_only(world, write_mode):
    """Writing ours beside it would repeat the id: the controller would refuse every write, so
    no reviewed change would ever be applied."""
    world.avi.set_routes(world.vrf_uuid, [*FOREIGN, HOLDER])
    world.reviewed("10.0.1.0/24 192.168.10.11 w1", "10.0.2.0/24 192.168.10.12 w2")
    code, out, err = world.cli("apply", "--write-mode", write_mode)
    assert code == 3, err
    assert "blocked 10.0.1.0/24" in out and "route_id 'c.10.0.1.0_24'" in out
    assert world.ours() == {"10.0.2.0/24": ("192.168.10.12", "c.10.0.2.0_24")}
    assert world.foreign() == [*FOREIGN, HOLDER]


def test_no_put_without_the_last_modified_read_but_patch_still_applies(world):
    """Without ``_last_modified`` nothing makes a PUT from a stale read fail; PATCH sends only
    our own routes, so a concurrent writer's routes cannot be overwritten by it."""
    world.reviewed("10.0.1.0/24 192.168.10.11 w1")
    unversioned = {k: v for k, v in world.avi.vrf("global").items() if k != "_last_modified"}
    fault = {"method": "GET", "path_contains": f"/api/vrfcontext/{world.vrf_uuid}"}
    world.avi.inject(200, body=json.dumps(unversioned), **fault)
    code, _, err = world.cli("apply")
    assert code == 1
    assert err.strip().splitlines() == [
        "error: VRF global: the controller's answer has no _last_modified, so a PUT could "
        "overwrite another writer's change unnoticed; refusing to PUT (--write-mode patch sends "
        "only our changed routes)"
    ]
    assert world.avi.writes == []
    world.avi.inject(200, body=json.dumps(unversioned), **fault)
    code, _, err = world.cli("apply", "--write-mode", "patch")
    assert code == 2, err
    assert world.ours() == {"10.0.1.0/24": ("192.168.10.11", "c.10.0.1.0_24")}
    assert world.foreign() == FOREIGN
