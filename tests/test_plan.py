"""The three-way plan as data: base, target and live in; changes, origins and blocks out."""

from __future__ import annotations

import ipaddress
import json

import pytest
import yaml
from helpers import DATA, route

from reconciler.ownership import classify, owner_label
from reconciler.plan import Change, three_way_plan
from reconciler.report import render_json, render_markdown, render_text
from reconciler.routes import route_id

CASES = yaml.safe_load((DATA / "plan_cases.yaml").read_text())


def live_entry(text: str, cluster: str = "c") -> dict:
    prefix, next_hop, rid, label = text.split()
    network = ipaddress.ip_network(prefix)
    family = f"V{network.version}"
    entry = {
        "route_id": route_id(cluster, network) if rid == "=" else rid,
        "prefix": {
            "ip_addr": {"addr": str(network.network_address), "type": family},
            "mask": network.prefixlen,
        },
        "next_hop": {"addr": next_hop, "type": family},
    }
    if label == cluster:
        entry["labels"] = owner_label(cluster)
    elif label == "[]":
        entry["labels"] = []
    elif label != "-":
        key, value = label.split("=")
        entry["labels"] = [{"key": key, "value": value}]
    return entry


def change_text(change: Change) -> str:
    hops = [change.before, change.after]
    before, after = ("(none)" if r is None else str(r.next_hop) for r in hops)
    text = f"{change.origin} {change.action} {change.prefix} {before} -> {after}"
    return text + (" adopted" if change.adopted else "") + (" conflict" if change.conflict else "")


def plan_for(case):
    base = None if case["base"] is None else [route(t) for t in case["base"]]
    live = classify([live_entry(t) for t in case["live"]], "c")
    return three_way_plan("c", "global", base, [route(t) for t in case["target"]], live)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_plan_case(case):
    plan = plan_for(case)
    assert [change_text(c) for c in plan.changes] == case["changes"]
    assert [str(b.route.prefix) for b in plan.blocked] == case.get("blocked", [])
    assert [f"{s.prefix} {s.shared_with}" for s in plan.shared] == case.get("shared", [])
    assert len(plan.warnings) == len(case.get("warnings", [])), plan.warnings
    for fragment, warning in zip(case.get("warnings", []), plan.warnings, strict=True):
        assert fragment in warning, (fragment, warning)


def test_json_has_the_documented_shape():
    plan = plan_for(next(c for c in CASES if c["name"].startswith("reviewed add")))
    document = json.loads(render_json(plan))
    assert set(document) >= {"cluster", "vrf", "changes", "blocked", "summary"}
    assert document["changes"][0] == {
        "action": "update",
        "prefix": "10.0.1.0/24",
        "origin": "git",
        "before": {"routeId": "c.10.0.1.0_24", "nextHop": "192.168.10.11", "node": "w1"},
        "after": {"routeId": "c.10.0.1.0_24", "nextHop": "192.168.10.21", "node": "w1"},
        "adopted": False,
        "conflict": None,
    }
    assert document["summary"]["git"] == 3


def test_text_and_markdown_name_drift_conflicts_adoption_and_blocks():
    for name in (
        "a reviewed change whose route changed on Avi",
        "AKO-format",
        "someone deleted",
        "blocked",
    ):
        plan = plan_for(next(c for c in CASES if name in c["name"]))
        text, markdown = render_text(plan), render_markdown(plan, ["ConfigMap ipam: cluster-pool"])
        assert text.startswith("plan for cluster c, VRF global:")
        if plan.summary["conflicts"]:
            assert "CONFLICT: " in text and "**conflict**" in markdown
        if plan.summary["adopted"]:
            assert "adopted from AKO" in text and "c-5b0f6a3e" in markdown
        if plan.summary["drift"]:
            assert "applied only with --heal" in text and "#### Drift" in markdown
        if plan.blocked:
            assert "blocked 10.0.2.0/24" in text and "#### Blocked" in markdown
            assert "never overwritten" in markdown
        assert "#### IPAM evidence" in markdown
    assert "\033[" in render_text(plan, color=True) or not plan.changes
