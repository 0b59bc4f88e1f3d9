"""Fuzzing the parsers and the plan/apply state machine.

- `parse_cidr` on arbitrary text raises only ValueError, and what it accepts re-parses from its
  own str() to the same network;
- `parse_manifest` on arbitrary bytes and text, and on mutated valid manifests, raises only
  ManifestError with a one-line message, and rendering what it accepts is a fixed point;
- a rule-based state machine over the pure plan/apply functions: reviews, applies with and
  without --heal (PUT and PATCH), foreign writes and drift edits of our routes on Avi, each
  apply recorded with its pending routes as apply_reviewed records it; apply never touches a
  foreign route, without --heal writes only the reviewed (git) changes and never overwrites a
  route changed on Avi since the reviewed state was last applied (an oracle that tracks that
  state itself), a reviewed change not on Avi stays a reviewed change, and --heal reaches the
  target.

The bugs these tests found stay pinned by the regression tests at the end.
"""

from __future__ import annotations

import html
import ipaddress
import json
from dataclasses import replace
from typing import Any

import pytest
import yaml
from helpers import entry_prefix, oracle_blocked, oracle_is_ours, ours_ahead_of_foreign
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)
from world import FOREIGN

from reconciler.applied_record import (
    PendingRoute,
    effective_base,
    parse_record_message,
    record_message,
    still_pending,
)
from reconciler.errors import InputError
from reconciler.manifest import (
    IPAM_MODES,
    Manifest,
    ManifestError,
    parse_manifest,
    render_manifest,
)
from reconciler.masking import mask
from reconciler.ownership import classify, is_ours, to_avi
from reconciler.plan import selected_changes, three_way_plan
from reconciler.routes import Route, parse_cidr, route_id, sort_routes
from reconciler.sim.avi import static_route
from reconciler.vrf_update import actual_ours, expected_ours, patch_bodies, rebuilt_static_routes

SOURCE = "routes/c/global.yaml"
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines() splits on
YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
TEXT = st.characters(exclude_categories=["Cs"])  # parse_manifest refuses lone surrogates
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def examples(count: int) -> settings:
    return settings(FAST, max_examples=count)


# --- parse_cidr ----------------------------------------------------------------------------

MASKS = st.one_of(
    st.integers(-1, 130).map(str),
    st.sampled_from(["", "024", "+24", " 24", "24 ", "0x18", "٢٤", "24.0", "255.255.255.0"]),
    st.sampled_from(["0.0.0.255", "255.0.255.0", "ffff::", "1e1", "2_4", "-0"]),
    st.text(TEXT, max_size=4),
)


@st.composite
def cidr_like(draw: st.DrawFn) -> str:
    """Near misses of a CIDR and CIDRs spelled unusually: any address or a network address,
    written in various ways, and any mask."""
    address = draw(st.ip_addresses())
    if draw(st.booleans()):  # a real network, e.g. `FD00:0::/64`, which must normalise
        network = ipaddress.ip_network(
            (address, draw(st.integers(0, address.max_prefixlen))), strict=False
        )
        address = network.network_address
        masks = st.just(str(network.prefixlen))
    else:
        masks = MASKS
    spelled = draw(
        st.sampled_from(
            [
                str(address),
                getattr(address, "exploded", str(address)),
                str(address).upper(),
                f"::ffff:{address}" if address.version == 4 else f"[{address}]",
                f"{address}%eth0",
                "0" + str(address),
            ]
        )
    )
    slash = draw(st.sampled_from(["/", "/", " / ", "//", "\\"]))
    text = f"{spelled}{slash}{draw(masks)}"
    padding = st.text(st.sampled_from(" \t\n\r\x0b\x0c\u3000\x85"), max_size=2)
    return draw(padding) + text + draw(padding)


@examples(300)
@given(st.one_of(st.text(max_size=60), cidr_like()))
def test_parse_cidr_raises_only_value_error_and_accepts_only_what_it_round_trips(text):
    try:
        network = parse_cidr(text)
    except ValueError as error:
        assert str(error) in (
            "is not a CIDR (address/mask)",
            "has host bits set",
            "is not a valid CIDR",
        )
        return
    assert isinstance(network, ipaddress.IPv4Network | ipaddress.IPv6Network)
    assert parse_cidr(str(network)) == network
    assert str(parse_cidr(str(network))) == str(network)
    assert network == ipaddress.ip_network(text.strip(), strict=True)


# --- parse_manifest ------------------------------------------------------------------------

cluster_names = st.from_regex(r"[A-Za-z0-9_-]{1,63}", fullmatch=True)  # as the README says
avi_names = st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}", fullmatch=True)  # VRF, cloud
names = st.text(TEXT, min_size=1, max_size=12)


@st.composite
def routes_for(draw: st.DrawFn, cluster: str) -> list[Route]:
    routes: dict[Any, Route] = {}
    for _ in range(draw(st.integers(0, 6))):
        version = draw(st.sampled_from([4, 6]))
        address = draw(st.ip_addresses(v=version))
        length = draw(st.integers(8 if version == 4 else 32, 32 if version == 4 else 128))
        prefix = ipaddress.ip_network((address, length), strict=False)
        hop = draw(st.ip_addresses(v=version))
        routes[prefix] = Route(prefix, hop, draw(names), route_id(cluster, prefix))
    return list(routes.values())


@st.composite
def manifests(draw: st.DrawFn) -> Manifest:
    cluster = draw(cluster_names)
    return Manifest(
        cluster,
        draw(avi_names),
        draw(avi_names),
        draw(st.sampled_from(IPAM_MODES)),
        sort_routes(draw(routes_for(cluster))),
    )


YAML_TOKENS = [
    *[": ", ":", " ", "  ", "\n", "\n  ", "- ", "-", "{", "}", "[", "]", ", ", "'", '"', "#"],
    *["&a ", "*a", "? ", "|\n", ">\n", "---\n", "...\n", "%YAML 1.1\n", "\t", "\\n", "\\u2028"],
    *["!!str ", "!!map ", "!!seq ", "!!binary ", "!!set ", "!!omap ", "!!null ", "!tag "],
    *["apiVersion", "kind", "metadata", "spec", "routes", "prefix", "nextHop", "routeId"],
    *["node", "cluster", "vrf", "cloud", "ipamMode", "StaticRouteSet", "c.10.0.1.0_24"],
    *["route-reconciler.io/v1alpha1", "10.0.1.0/24", "10.0.1.5/24", "fd00::/64", "192.0.2.1"],
    *["null", "~", "true", "no", "0x1F", "1e3", "0o17", ".inf", "=", "<<: *a", "\x85", "\ufeff"],
]
yaml_like_text = st.lists(st.sampled_from(YAML_TOKENS), max_size=40).map("".join)
yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(TEXT, max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(TEXT, max_size=6), inner),
    max_leaves=6,
)


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


def _replace(node: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    copy = dict(node) if isinstance(node, dict) else list(node)
    copy[head] = _replace(node[head], tuple(rest), new)
    return copy


@st.composite
def mutated_manifests(draw: st.DrawFn) -> str | bytes:
    """A valid manifest, edited as a hand or a broken tool might: written in another style,
    values replaced or nudged, keys dropped, text inserted, deleted or reordered, bytes
    corrupted."""
    text = render_manifest(draw(manifests()))
    for _ in range(draw(st.integers(1, 3))):
        how = draw(
            st.sampled_from(
                ["restyle", "restyle", "value", "nudge", "drop", "insert", "delete", "lines"]
            )
        )
        if how in ("restyle", "value", "nudge", "drop"):
            try:
                document = yaml.load(text, Loader=YAML_LOADER)
            except Exception:
                continue
            path = draw(st.sampled_from(_paths(document)))
            if how == "drop" and path:
                parent = document
                for step in path[:-1]:
                    parent = parent[step]
                parent.pop(path[-1])
            elif how == "nudge" and path:
                parent = document
                for step in path:
                    parent = parent[step]
                edge = draw(st.sampled_from(["\n", " ", "\t", "\x85", "\u2028", "x", "."]))
                document = _replace(document, path, f"{parent}{edge}")
            elif how == "value":
                document = _replace(document, path, draw(yaml_values))
            try:
                text = (
                    json.dumps(document, ensure_ascii=draw(st.booleans()))
                    if draw(st.booleans())
                    else yaml.dump(
                        document,
                        allow_unicode=draw(st.booleans()),
                        sort_keys=draw(st.booleans()),
                        default_flow_style=draw(st.sampled_from([None, False, True])),
                        explicit_start=draw(st.booleans()),
                    )
                )
            except (TypeError, ValueError):  # JSON has no dates, sets or non-string keys
                continue
        elif how == "insert":
            at = draw(st.integers(0, len(text)))
            fragment = draw(st.one_of(yaml_like_text, st.text(TEXT, max_size=5)))
            text = text[:at] + fragment + text[at:]
        elif how == "delete":
            start = draw(st.integers(0, len(text)))
            text = text[:start] + text[start + draw(st.integers(1, 20)) :]
        else:
            lines = text.splitlines(keepends=True)
            text = "".join(draw(st.permutations(lines)) if len(lines) < 12 else lines[::-1])
    if draw(st.booleans()):
        return text
    data = bytearray(text.encode("utf-8"))
    if data and draw(st.booleans()):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


def check_parse(content: str | bytes) -> None:
    try:
        manifest = parse_manifest(content, SOURCE)
    except ManifestError as error:
        message = str(error)
        assert isinstance(error, InputError)
        assert message.startswith(f"{SOURCE}: ")
        assert not any(mark in message for mark in LINE_BREAKS), repr(message)
        return
    text = render_manifest(manifest)
    again = parse_manifest(text, SOURCE)
    assert again == manifest
    assert render_manifest(again) == text


@examples(300)
@given(st.binary(max_size=400))
def test_parse_manifest_on_arbitrary_bytes(content):
    check_parse(content)


@examples(300)
@given(st.one_of(st.text(TEXT, max_size=300), yaml_like_text))
def test_parse_manifest_on_arbitrary_text(content):
    check_parse(content)


@examples(400)
@given(mutated_manifests())
def test_parse_manifest_on_mutated_valid_manifests(content):
    check_parse(content)


@examples(100)
@given(manifests())
def test_valid_manifests_parse_and_render_to_a_fixed_point(manifest):
    text = render_manifest(manifest)
    assert parse_manifest(text, SOURCE) == manifest
    assert render_manifest(parse_manifest(text.encode(), SOURCE)) == text


# --- the applied record's text ------------------------------------------------------------

RECORD_TAG = "tag route-reconciler/applied/c/global"


@st.composite
def pending_routes(draw: st.DrawFn) -> list[PendingRoute]:
    routes = draw(routes_for(CLUSTER))
    node = draw(st.text(st.characters(categories=["L", "N", "P"]), max_size=20))
    bases = [draw(st.sampled_from([None, replace(r, node=node)])) for r in routes]
    return [PendingRoute(r.prefix, base) for r, base in zip(routes, bases, strict=True)]


@examples(200)
@given(pending_routes())
def test_a_record_reads_back_as_written(pending):
    message = record_message(CLUSTER, "global", pending).encode()
    parsed = parse_record_message(message, CLUSTER, "global", RECORD_TAG)
    assert parsed == tuple(sorted(pending, key=lambda p: (p.prefix.version, p.prefix)))


@st.composite
def mutated_records(draw: st.DrawFn) -> bytes:
    text = record_message(CLUSTER, "global", draw(pending_routes()))
    summary, body = text.split("\n\n", 1)
    if draw(st.booleans()):
        document = json.loads(body)
        path = draw(st.sampled_from(_paths(document)))
        body = json.dumps(_replace(document, path, draw(yaml_values)))
    else:
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.text(TEXT, max_size=5)) + body[at + draw(st.integers(0, 5)) :]
    return f"{summary}\n\n{body}".encode("utf-8", "surrogatepass")


@examples(300)
@given(st.one_of(st.binary(max_size=300), mutated_records()))
def test_parse_record_message_raises_only_a_one_line_error_naming_the_tag(message):
    try:
        parse_record_message(message, CLUSTER, "global", RECORD_TAG)
    except InputError as error:
        text = str(error)
        assert text.startswith(f"{RECORD_TAG}: ")
        assert not any(mark in text for mark in LINE_BREAKS), repr(text)


# --- the plan/apply state machine over the pure functions ----------------------------------

CLUSTER = "c"


PREFIXES = [ipaddress.ip_network(f"10.0.{i}.0/24") for i in range(8)]
HOPS = [ipaddress.ip_address(f"192.168.0.{i}") for i in (1, 2, 3)]
# foreign routes share some prefixes with ours: a desired prefix held by one that reaches our
# Service Engines is blocked, one held by a labelled one is shared
FOREIGN_PREFIXES = [*(f"172.16.{i}.0/24" for i in range(3)), "10.0.1.0/24", "10.0.6.0/24"]
FOREIGN_LABELS = [
    None,
    [],
    [{"key": "clustername", "value": "c-eu"}],
    [{"key": "clustername", "value": "cc"}],
    [{"key": "owner", "value": "c"}],
]

targets = st.dictionaries(st.sampled_from(PREFIXES), st.sampled_from(HOPS), max_size=8)


def foreign_of(static_routes: list[dict]) -> list[dict]:
    return [entry for entry in static_routes if not oracle_is_ours(entry)]


def controller_patch(static_routes: list[dict], delete: list, add: list) -> list[dict]:
    """What the controller does with PATCH delete (entries equal in route_id, prefix, next
    hop and labels) and then PATCH add (appended)."""
    doomed = [dict(entry) for entry in delete]
    kept = [
        entry
        for entry in static_routes
        if not any(
            entry["route_id"] == gone["route_id"]
            and entry["prefix"] == gone["prefix"]
            and entry["next_hop"] == gone["next_hop"]
            and (entry.get("labels") or []) == (gone.get("labels") or [])
            for gone in doomed
        )
    ]
    return kept + [dict(entry) for entry in add]


class PlanApply(RuleBasedStateMachine):
    """Git (base, target) and Avi (the VRF's static_routes) as plain data."""

    @initialize()
    def start(self) -> None:
        self.static_routes: list[dict] = []
        self.target: tuple[Route, ...] = ()
        self.base: tuple[Route, ...] | None = None
        self.serial = 0
        # The oracle: per prefix, the reviewed route (or None: no route) last seen on Avi right
        # after an apply, unless a foreign route blocked it. A prefix not in it was never
        # applied: the first plan takes Avi as the base, so anything goes.
        self.applied_state: dict[Any, Any] = {}

    def _new_id(self, stem: str) -> str:
        self.serial += 1
        return f"{stem}-{self.serial}"

    @rule(chosen=targets)
    def review(self, chosen: dict) -> None:
        """A pull request is merged: the reviewed target changes."""
        self.target = tuple(
            Route(p, hop, f"n{p.network_address.packed[2]}", route_id(CLUSTER, p))
            for p, hop in chosen.items()
        )

    def _free_route_ids(self) -> list[str]:
        """Route ids of ours that no entry holds: another writer may take one (the controller
        refuses only a second holder)."""
        held = {entry["route_id"] for entry in self.static_routes}
        return [rid for rid in (route_id(CLUSTER, p) for p in PREFIXES) if rid not in held]

    @rule(data=st.data())
    def foreign_write(self, data: st.DataObject) -> None:
        """Another writer adds (sometimes under a route id of ours), removes, re-points or moves
        one of its routes."""
        routes = list(self.static_routes)
        theirs = [i for i, entry in enumerate(routes) if not oracle_is_ours(entry)]
        action = data.draw(st.sampled_from(["add", "remove", "hop", "move"])) if theirs else "add"
        if action == "add":
            free_ids = self._free_route_ids()
            take_ours = bool(free_ids) and data.draw(st.booleans())
            entry = static_route(
                data.draw(st.sampled_from(free_ids)) if take_ours else self._new_id("foreign"),
                data.draw(st.sampled_from(FOREIGN_PREFIXES)),
                "10.9.9.9",
                labels=data.draw(st.sampled_from(FOREIGN_LABELS)),
            )
            routes.insert(data.draw(st.integers(0, len(routes))), entry)
        elif action == "remove":
            routes.pop(data.draw(st.sampled_from(theirs)))
        elif action == "hop":
            index = data.draw(st.sampled_from(theirs))
            routes[index] = {**routes[index], "next_hop": {"addr": "10.9.9.8", "type": "V4"}}
        else:
            entry = routes.pop(data.draw(st.sampled_from(theirs)))
            routes.insert(data.draw(st.integers(0, len(routes))), entry)
        self.static_routes = routes

    @rule(data=st.data())
    def drift_edit(self, data: st.DataObject) -> None:
        """Someone edits our routes on Avi outside git: a next hop, a deletion, AKO's id
        format, the id of another prefix of ours, or an unreviewed route of ours (never a
        second one for a prefix we hold)."""
        routes = list(self.static_routes)
        ours = [i for i, entry in enumerate(routes) if oracle_is_ours(entry)]
        taken = {entry_prefix(routes[i]) for i in ours}
        free_ids = self._free_route_ids()
        free = [p for p in PREFIXES if p not in taken and route_id(CLUSTER, p) in free_ids]
        actions = (["hop", "delete", "ako"] if ours else []) + (["add"] if free else [])
        actions += ["steal"] if ours and free_ids else []
        action = data.draw(st.sampled_from(actions))
        if action == "add":
            prefix = data.draw(st.sampled_from(free))
            hop = data.draw(st.sampled_from(HOPS))
            entry = to_avi(Route(prefix, hop, "", route_id(CLUSTER, prefix)), CLUSTER)
            routes.insert(data.draw(st.integers(0, len(routes))), entry)
        else:
            index = data.draw(st.sampled_from(ours))
            if action == "delete":
                routes.pop(index)
            elif action == "hop":
                hop = str(data.draw(st.sampled_from(HOPS)))
                routes[index] = {**routes[index], "next_hop": {"addr": hop, "type": "V4"}}
            elif action == "steal":
                routes[index] = {**routes[index], "route_id": data.draw(st.sampled_from(free_ids))}
            else:
                routes[index] = {**routes[index], "route_id": self._new_id("c-5b0f6a3e-uuid")}
        self.static_routes = routes

    @rule(heal=st.booleans(), write_mode=st.sampled_from(["put", "patch"]))
    def apply(self, heal: bool, write_mode: str) -> None:
        before = self.static_routes
        live = classify(before, CLUSTER)
        plan = three_way_plan(CLUSTER, "global", self.base, self.target, live)
        changes = selected_changes(plan, heal)
        if write_mode == "put":
            after = [dict(e) for e in rebuilt_static_routes(before, live, changes, CLUSTER)]
        else:
            bodies = patch_bodies(live, changes, CLUSTER)
            after = controller_patch(before, bodies.delete, bodies.add)

        assert foreign_of(after) == foreign_of(before), "apply changed or reordered a foreign route"
        ahead_before = ours_ahead_of_foreign(before)
        for foreign_id, ahead in ours_ahead_of_foreign(after).items():
            assert ahead <= ahead_before[foreign_id], f"a route was put ahead of {foreign_id}"
        now = actual_ours(classify(after, CLUSTER))
        assert now == expected_ours(live, changes), "the write differs from what verify expects"
        was = actual_ours(live)
        blocked = {entry.route.prefix for entry in plan.blocked}
        # README: a route whose id our route for another prefix holds waits for that route's
        # rewrite, and is blocked when nothing rewrites it (that prefix unchanged, or blocked).
        held_back = {
            entry.route.prefix
            for entry in plan.blocked
            if "is held on Avi by our route for" in entry.reason
        }
        assert blocked - held_back == oracle_blocked(self.target, before), (
            "blocked other than the README says"
        )
        holders = {
            entry["route_id"]: entry_prefix(entry) for entry in before if oracle_is_ours(entry)
        }
        rewritten = {change.prefix for change in plan.changes}
        for prefix in held_back:
            holder = holders.get(route_id(CLUSTER, prefix))
            assert holder not in (None, prefix) and holder not in rewritten, (
                f"{prefix}: held back, but no route of ours that stays holds its id"
            )
        wanted = {
            r.prefix: (r.next_hop, r.route_id) for r in self.target if r.prefix not in blocked
        }
        if heal:
            kept = {prefix: value for prefix, value in was.items() if prefix in blocked}
            assert now == kept | wanted, "apply --heal did not reach the target"
        else:
            reviewed = {c.prefix for c in plan.changes if c.origin == "git" and not c.conflict}
            for prefix in set(now) | set(was) | set(wanted):
                source = wanted if prefix in reviewed else was
                assert now.get(prefix) == source.get(prefix), (
                    f"{prefix}: apply without --heal wrote something git did not change"
                )
                # A route missing on Avi may be written: that overwrites nothing.
                if was.get(prefix) not in (now.get(prefix), None) and prefix in self.applied_state:
                    assert was.get(prefix) == self.applied_state[prefix], (
                        f"{prefix}: apply without --heal overwrote a change made on Avi"
                    )
        self.static_routes = after
        self._record(plan, live, changes, before)

    def _record(self, plan: Any, live: Any, changes: list, before: list[dict]) -> None:
        """What apply_reviewed records: the target, but pending routes keep their base; and
        what the oracle learns from what is now on Avi."""
        unapplied = [entry.route.prefix for entry in plan.blocked]
        unapplied += [c.prefix for c in plan.changes if c.conflict and c not in changes]
        planned_from = [lr.route for lr in live.ours.values()] if self.base is None else self.base
        pending = still_pending(planned_from, self.target, unapplied)
        self.base = effective_base(self.target, pending)
        now = actual_ours(classify(self.static_routes, CLUSTER))
        target = {r.prefix: (r.next_hop, r.route_id) for r in self.target}
        held = oracle_blocked(self.target, before)
        for prefix in set(PREFIXES) - held:
            if now.get(prefix) == target.get(prefix):
                self.applied_state[prefix] = target.get(prefix)
        base = {r.prefix: (r.next_hop, r.route_id) for r in self.base}
        for prefix, applied in self.applied_state.items():
            if target.get(prefix) != applied:  # a reviewed change not (unblocked) on Avi
                assert base.get(prefix) != target.get(prefix), (
                    f"{prefix}: a reviewed change not on Avi was recorded as applied"
                )

    @invariant()
    def route_ids_are_unique(self) -> None:
        route_ids = [entry["route_id"] for entry in self.static_routes]
        assert len(route_ids) == len(set(route_ids)), "the controller would refuse this VRF"


PlanApply.TestCase.settings = settings(FAST, max_examples=150, stateful_step_count=25)
test_plan_apply_state_machine = PlanApply.TestCase


# --- foreign entries of any shape ----------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
# entries a broken controller or another writer may leave: any JSON, or a route-like object
# with odd labels, on one of our prefixes or holding one of our route ids
odd_entries = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "route_id": st.one_of(
                json_values, st.sampled_from([route_id(CLUSTER, p) for p in PREFIXES])
            ),
            "prefix": st.sampled_from(PREFIXES).map(
                lambda p: {"ip_addr": {"addr": str(p.network_address), "type": "V4"}, "mask": 24}
            ),
            "labels": json_values,
        }
    ),
)


@examples(300)
@given(
    odd=st.lists(odd_entries, max_size=6),
    ours=st.dictionaries(st.sampled_from(PREFIXES), st.sampled_from(HOPS), max_size=4),
    wanted=targets,
    order=st.randoms(use_true_random=False),
    heal=st.booleans(),
)
def test_foreign_entries_of_any_shape_are_written_back_as_read_and_in_place(
    odd, ours, wanted, order, heal
):
    static_routes = [
        to_avi(Route(p, hop, "", route_id(CLUSTER, p)), CLUSTER) for p, hop in ours.items()
    ]
    for entry in odd:
        static_routes.insert(order.randint(0, len(static_routes)), entry)
    target = [Route(p, hop, "n", route_id(CLUSTER, p)) for p, hop in wanted.items()]
    live = classify(static_routes, CLUSTER)
    plan = three_way_plan(CLUSTER, "global", None, target, live)
    after = rebuilt_static_routes(static_routes, live, selected_changes(plan, heal), CLUSTER)
    foreign_before = [entry for entry in static_routes if not is_ours(entry, CLUSTER)]
    foreign_after = [entry for entry in after if not is_ours(entry, CLUSTER)]
    assert len(foreign_after) == len(foreign_before)
    assert all(a is b for a, b in zip(foreign_after, foreign_before, strict=True))
    assert repeated_route_ids(after) <= repeated_route_ids(static_routes), "a route id repeats"


def repeated_route_ids(static_routes: list[Any]) -> set[str]:
    ids = [e.get("route_id") for e in static_routes if isinstance(e, dict)]
    return {i for i in ids if isinstance(i, str) and ids.count(i) > 1}


# --- secrets echoed by a server ----------------------------------------------------------

secrets = st.text(TEXT, min_size=4, max_size=16).filter(lambda s: s.strip() and "*" not in s)


def spellings(secret: str) -> list[str]:
    """How a server may echo a secret: raw, JSON-escaped (both forms, or twice), HTML-escaped,
    with its whitespace folded."""
    return [
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(json.dumps(secret))[3:-3],
        html.escape(secret),
        " ".join(secret.split()),
    ]


@examples(400)
@given(secret=secrets, before=st.text(TEXT, max_size=8), after=st.text(TEXT, max_size=8))
def test_no_spelling_of_a_secret_survives_masking(secret, before, after):
    for spelled in spellings(secret):
        masked = mask(before + spelled + after, [secret])
        assert spelled not in masked and secret not in masked, (spelled, masked)


# --- known bugs, pinned ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "spec:\n  routes:\n  - {node: 2001-13-01}\n",
        "metadata: {vrf: !!int 0x}\n",
        "kind: !!float x\n",
        "kind: !!timestamp x\n",
    ],
)
def test_yaml_that_cannot_be_constructed_is_a_manifest_error(content):
    with pytest.raises(ManifestError):
        parse_manifest(content, SOURCE)


@pytest.mark.parametrize("content", ["!!map 0\n", "kind: !!map [a]\n", "kind: !!set 0\n"])
def test_a_mapping_tag_on_a_scalar_or_a_list_is_a_manifest_error(content):
    with pytest.raises(ManifestError):
        parse_manifest(content, SOURCE)


def test_text_with_a_lone_surrogate_is_a_manifest_error():
    with pytest.raises(ManifestError):
        parse_manifest("kind: \ud800\n", SOURCE)


def test_an_unknown_field_with_a_line_break_in_its_name_gives_a_one_line_message():
    with pytest.raises(ManifestError) as raised:
        parse_manifest('"x\\ny": 1\nmetadata: {"a\\u2028b": 1}\n', SOURCE)
    assert not any(mark in str(raised.value) for mark in LINE_BREAKS), repr(str(raised.value))


def test_an_ako_route_listed_before_our_own_for_one_prefix_is_not_written_twice():
    prefix, hop = PREFIXES[1], HOPS[0]
    reviewed = Route(prefix, hop, "w1", route_id(CLUSTER, prefix))
    static_routes = [
        to_avi(Route(prefix, hop, "", "c-5b0f6a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b-0"), CLUSTER),
        to_avi(reviewed, CLUSTER),
    ]
    live = classify(static_routes, CLUSTER)
    plan = three_way_plan(CLUSTER, "global", None, [reviewed], live)
    after = rebuilt_static_routes(static_routes, live, selected_changes(plan, True), CLUSTER)
    route_ids = [entry["route_id"] for entry in after]
    assert len(route_ids) == len(set(route_ids)), route_ids


def test_a_reviewed_route_blocked_by_a_foreign_one_is_added_once_the_prefix_is_free(world):
    blocker = static_route("other-owner", "10.0.1.0/24", "10.1.1.9")
    world.avi.set_routes(world.vrf_uuid, [*FOREIGN, blocker])
    world.reviewed("10.0.1.0/24 192.168.10.11 w1", "10.0.2.0/24 192.168.10.12 w2")
    code, out, _ = world.cli("apply")
    assert code == 3 and "blocked 10.0.1.0/24" in out, out
    world.avi.set_routes(
        world.vrf_uuid, [r for r in world.static_routes() if r["route_id"] != "other-owner"]
    )
    code, out, _ = world.cli("apply")
    assert world.foreign() == FOREIGN
    assert set(world.ours()) == {"10.0.1.0/24", "10.0.2.0/24"}, out
