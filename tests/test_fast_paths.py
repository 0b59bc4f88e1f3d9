"""The apply side's fast paths agree with the implementations they replaced, kept here as oracles.

- `parse_json` (msgspec, json deciding whatever msgspec refuses) decodes what `json.loads` does
  and refuses what it refuses, and what `surely_an_object` passes without decoding it decodes
  to an object;
- `json_body` (orjson, json writing whatever orjson would write otherwise) writes the JSON that
  `json.dumps` writes, or refuses it as json does;
- `classify` (the label compared on the entry as read, addresses read by the C library,
  `ipaddress` for anything not in its canonical form) classifies live VRF entries of any shape
  as the plain implementation did, and `held_routes` finds in a write's answer what
  classifying it whole found;
- the three-way plan, each prefix looked up once, finds the changes of the plain comparison;
- a write keeps nothing of the VRF it was made from, and the cycle collector's pause ends as it
  began;
- a repository parses a manifest file once, however many commits hold it, and still checks it
  against the cluster and VRF asked for and names the commit of a problem.
"""

from __future__ import annotations

import gc
import ipaddress
import json
import socket
from collections import UserList
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import msgspec
import pytest
from helpers import init_repo
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reconciler.collector import collector_paused
from reconciler.errors import InputError
from reconciler.gitstore import GitStore
from reconciler.json_body import encoded, json_body
from reconciler.json_depth import MAX_JSON_DEPTH, json_depth, parse_json, surely_an_object
from reconciler.manifest import (
    Manifest,
    ManifestError,
    manifest_path,
    parse_manifest,
    render_manifest,
)
from reconciler.ownership import LABEL_KEY, classify, held_routes, owner_label, to_avi
from reconciler.plan import selected_changes, three_way_plan
from reconciler.routes import Route, route_id
from reconciler.vrf_update import actual_ours, vrf_write

CLUSTER = "c"
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def examples(count: int) -> settings:
    return settings(FAST, max_examples=count)


def outcome(function: Any, *args: Any) -> tuple[str, Any]:
    """What a call gives, compared by repr (so -0.0, NaN and key order count), or what it
    raises."""
    try:
        return "value", repr(function(*args))
    except Exception as error:  # the kind of failure is what is compared
        return "raises", type(error)


# --- JSON values, including what only json can read or write ---------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**70),  # past 64 bits: orjson refuses
    st.floats(),  # NaN and infinities: json writes them as tokens, orjson as null
    st.text(max_size=8),
    st.sampled_from(["\ud800", "a\udfffb", "null", "\u2028", "\x00"]),  # lone surrogates
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
        st.dictionaries(st.one_of(st.integers(), st.none(), st.booleans()), inner, max_size=2),
    ),
    max_leaves=10,
)


@examples(600)
@given(json_like)
@example({"n": float("nan"), "route_id": "x"})
@example([2**64, "\ud800"])
@example({1: "a", None: "b"})
def test_json_body_writes_what_json_writes(value):
    expected = outcome(lambda: json.loads(json.dumps(value).encode()))
    assert outcome(lambda: json.loads(encoded(value).data)) == expected
    if value is not None:  # None is no body at all
        assert outcome(lambda: json.loads(json_body(value))) == expected
        assert json_body(encoded(value)) == encoded(value).data


@st.composite
def json_texts(draw: st.DrawFn) -> bytes:
    """JSON as servers write it, with every spelling json reads, and near misses of it."""
    text = json.dumps(draw(json_like), ensure_ascii=draw(st.booleans()))
    data = text.encode("utf-8", "surrogatepass")
    mutation = draw(st.sampled_from(["none", "insert", "delete", "prefix", "encode"]))
    position = draw(st.integers(0, len(data)))
    if mutation == "insert":
        data = data[:position] + draw(st.binary(min_size=1, max_size=3)) + data[position:]
    elif mutation == "delete":
        data = data[:position] + data[position + 1 :]
    elif mutation == "prefix":
        data = draw(st.sampled_from([b"\xef\xbb\xbf", b" \n", b"\x00", b"NaN,"])) + data
    elif mutation == "encode":
        data = text.encode(draw(st.sampled_from(["utf-16", "utf-32-le", "utf-8-sig"])), "replace")
    return data


def decoded(decode: Any, data: bytes) -> tuple[str, Any]:
    try:
        return "value", repr(decode(data))
    except ValueError:  # every refusal of either is a ValueError of some kind
        return "refused", None


@examples(800)
@given(st.one_of(json_texts(), st.binary(max_size=40)))
@example(b"123456789012345678901234567890")
@example(b"1" * 4300)  # the most digits Python converts
@example(b"1" * 4301)
@example(b'[NaN, Infinity, -Infinity, 1e400, "\\ud800"]')
@example(b'"\xed\xa0\x80"')
@example(b'{"a": 1, "a": 2}')
def test_parse_json_decodes_what_json_decodes(data):
    assert decoded(parse_json, data) == decoded(json.loads, data)


@examples(800)
@given(st.one_of(json_texts(), st.binary(max_size=40)))
@example(b'{"n": ' + b"1" * 4300 + b"}")  # the most digits Python converts
@example(b'{"n": ' + b"1" * 4301 + b"}")
@example(b'{"n": -' + b"1" * 4301 + b".5}")
@example(b'{"n": [NaN, 1e400, "\\ud800"]}')
@example(b'{"n": "\xff"}')  # invalid UTF-8, which the skim passes over
@example(b'{"n": "\xc3\xa9"}')
@example(b'{"n": ' + b"[" * 99 + b"]" * 99 + b"}")
@example(b'{"n": ' + b"[" * 100 + b"]" * 100 + b"}")
@example(b'{"a": 1, "a": 2} ')
@example(b"[{}]")
def test_an_answer_surely_an_object_decodes_to_one(data):
    """The check that spares decoding an unread answer: whatever it passes, parse_json decodes
    to a dict; whatever it is unsure of is decoded as before, so the answer and the error are
    the ones parse_json gives."""
    if surely_an_object(data):
        assert type(parse_json(data)) is dict
    elif data.isascii() and decoded(msgspec.json.decode, data)[0] == "value":
        # Unsure only of what msgspec cannot decode to an object, or too deep or long a value.
        value = msgspec.json.decode(data)
        assert type(value) is not dict or json_depth(data) > MAX_JSON_DEPTH or len(data) > 4300


# --- live VRF entries of any shape ---------------------------------------------------------


def oracle_classify(static_routes: list[Any], cluster: str) -> dict[str, Any]:
    """The classification before the fast paths, written plainly: labels read first, every
    address of ours read by ipaddress, foreign prefixes by the C library."""
    ours: dict[Any, tuple[Any, int, Any, bool]] = {}
    foreign: dict[tuple[int, int, int], list[Any]] = {}
    foreign_ids: dict[str, Any] = {}
    duplicates, warnings = [], []
    for index, entry in enumerate(static_routes):
        labels = entry.get("labels") if isinstance(entry, Mapping) else None
        if not (isinstance(labels, list) and labels == owner_label(cluster)):
            key = oracle_foreign_key(entry)
            if key is not None:
                foreign.setdefault(key, []).append(entry)
            held = entry.get("route_id") if isinstance(entry, dict) else None
            if isinstance(held, str) and held.startswith(f"{cluster}."):
                foreign_ids.setdefault(held, entry)
            continue
        try:
            text = f"{entry['prefix']['ip_addr']['addr']}/{int(entry['prefix']['mask'])}"
            network = ipaddress.ip_network(text, strict=False)
            next_hop = ipaddress.ip_address(entry["next_hop"]["addr"])
        except (KeyError, TypeError, ValueError):
            warnings.append(
                f"static_routes[{index}] route_id {entry.get('route_id')!r} is labelled "
                f"{LABEL_KEY}={cluster} but unreadable; left untouched"
            )
            continue
        live_id = str(entry.get("route_id", ""))
        adopted = live_id != route_id(cluster, network)
        live = (Route(network, next_hop, "", live_id), index, entry, adopted)
        if network in ours:
            duplicates.append(live)
            warnings.append(
                f"prefix {network} appears twice among our live routes (route ids "
                f"{ours[network][0].route_id!r}, {live_id!r})"
            )
        else:
            ours[network] = live
    return {
        "ours": ours,
        "foreign": foreign,
        "ids": foreign_ids,
        "duplicates": duplicates,
        "warnings": warnings,
    }


def oracle_foreign_key(entry: Any) -> tuple[int, int, int] | None:
    try:
        prefix = entry["prefix"]
        address, mask = prefix["ip_addr"]["addr"], int(prefix["mask"])
        family, bits = (socket.AF_INET6, 128) if ":" in address else (socket.AF_INET, 32)
        value = int.from_bytes(socket.inet_pton(family, address), "big")
    except (KeyError, TypeError, ValueError, OSError):
        return None
    if not 0 <= mask <= bits:
        return None
    return (4 if bits == 32 else 6, value >> (bits - mask) << (bits - mask), mask)


def as_oracle(live: Any) -> dict[str, Any]:
    def plain(lr: Any) -> tuple[Any, int, Any, bool]:
        return (lr.route, lr.index, lr.raw, lr.adopted)

    return {
        "ours": {prefix: plain(lr) for prefix, lr in live.ours.items()},
        "foreign": live.foreign,
        "ids": live.foreign_ids,
        "duplicates": [plain(lr) for lr in live.duplicates],
        "warnings": list(live.warnings),
    }


# A few addresses often, so that entries repeat a prefix; any other address sometimes.
FEW_ADDRESSES = [ipaddress.ip_address(a) for a in ("10.0.0.0", "10.0.0.7", "fd00::", "::1")]


@st.composite
def address_texts(draw: st.DrawFn) -> Any:
    address = draw(st.one_of(st.sampled_from(FEW_ADDRESSES), st.ip_addresses()))
    return draw(
        st.sampled_from(
            [
                str(address),
                str(address),
                getattr(address, "exploded", str(address)),
                str(address).upper(),
                f"::ffff:{address}" if address.version == 4 else f"{address}%eth0",
                "0" + str(address),
                f" {address}",
                f"{address}/8",
                int(address),
                None,
                [str(address)],
            ]
        )
    )


masks = st.one_of(
    st.integers(0, 32),
    st.integers(-2, 130),
    st.sampled_from(["24", " 24", "0x18", "", True, 24.0, 24.9, float("nan"), float("inf")]),
    st.none(),
)
labels = st.one_of(
    st.just(owner_label(CLUSTER)),
    st.just(owner_label(CLUSTER)),
    st.sampled_from(
        [
            None,
            [],
            [{"key": LABEL_KEY, "value": "c-eu"}],
            [{"key": LABEL_KEY, "value": CLUSTER, "extra": 1}],
            [{"key": LABEL_KEY, "value": CLUSTER}, {"key": "owner", "value": "x"}],
            ({"key": LABEL_KEY, "value": CLUSTER},),
            UserList(owner_label(CLUSTER)),  # equal to a list, but not one: not JSON's
            {"key": LABEL_KEY, "value": CLUSTER},
            "clustername=c",
        ]
    ),
)
route_ids = st.one_of(
    st.sampled_from(["c.10.0.0.0_24", "c.fd00--_64", "c-5b0f6a3e-0", "legacy", "c."]),
    st.text(max_size=6),
    st.integers(),
    st.none(),
)


@st.composite
def route_entries(draw: st.DrawFn) -> Any:
    """A route-like entry: usually well formed, sometimes missing or mangling any part."""
    entry: dict[str, Any] = {
        "route_id": draw(route_ids),
        "prefix": {"ip_addr": {"addr": draw(address_texts()), "type": "V4"}, "mask": draw(masks)},
        "next_hop": {"addr": draw(address_texts()), "type": "V4"},
        "labels": draw(labels),
    }
    for key in draw(st.lists(st.sampled_from(["route_id", "prefix", "next_hop", "labels"]))):
        entry.pop(key, None)
    shape = draw(st.sampled_from(["dict", "dict", "dict", "mapping", "subclass", "odd prefix"]))
    if shape == "mapping":
        return MappingProxyType(entry)
    if shape == "subclass":
        return type("Entry", (dict,), {})(entry)
    if shape == "odd prefix":
        entry["prefix"] = draw(st.sampled_from([[], "10.0.0.0/24", {"ip_addr": "10.0.0.0"}, 5]))
    return entry


# Well-formed routes of ours on a few prefixes: a prefix held twice, by different next hops.
ours_written = st.builds(
    lambda prefix, hop, held_as: {**to_avi(Route(prefix, hop, "", held_as), CLUSTER)},
    st.sampled_from([ipaddress.ip_network(p) for p in ("10.0.0.0/24", "fd00::/64")]),
    st.sampled_from(FEW_ADDRESSES),
    route_ids.filter(lambda held: isinstance(held, str)),
)
vrf_entries = st.one_of(
    route_entries(), ours_written, st.none(), st.integers(), st.text(max_size=4), json_like
)


@examples(700)
@given(st.lists(vrf_entries, max_size=12))
def test_classify_agrees_with_the_plain_classification(static_routes):
    expected = outcome(oracle_classify, static_routes, CLUSTER)
    assert outcome(lambda: as_oracle(classify(static_routes, CLUSTER))) == expected
    if expected[0] == "value":
        plain = oracle_classify(static_routes, CLUSTER)["ours"]
        held = {prefix: (live[0].next_hop, live[0].route_id) for prefix, live in plain.items()}
        assert held_routes(static_routes, CLUSTER) == held


def test_our_entries_read_back_as_the_routes_they_were_written_from():
    pairs = [
        ("10.0.1.0/24", "192.168.0.1"),
        ("fd00:10:244:1::/64", "fd00::1"),
        ("::ffff:0:0/96", "::ffff:1.2.3.4"),
    ]
    routes = []
    for cidr, hop in pairs:
        prefix = ipaddress.ip_network(cidr)
        routes.append(Route(prefix, ipaddress.ip_address(hop), "", route_id(CLUSTER, prefix)))
    live = classify([to_avi(route, CLUSTER) for route in routes], CLUSTER)
    assert actual_ours(live) == {r.prefix: (r.next_hop, r.route_id) for r in routes}
    assert not any(lr.adopted for lr in live.ours.values())


# --- the plan looks each prefix up once --------------------------------------------------------

PLAN_PREFIXES = [ipaddress.ip_network(p) for p in ("10.0.0.0/24", "10.0.0.0/25", "fd00::/64")]
PLAN_HOPS = [ipaddress.ip_address(h) for h in ("10.0.0.7", "192.168.0.1", "fd00::1")]


def held(route: Route | None) -> tuple[Any, str] | None:
    return None if route is None else (route.next_hop, route.route_id)


def oracle_plan_changes(base: Any, target: list[Route], live: Any) -> set[tuple[Any, ...]]:
    """Per prefix that base, target or live names, as the plain three-way comparison finds it:
    a change wherever live differs from target, reviewed (`git`) where base differs too."""
    live_routes = {prefix: lr.route for prefix, lr in live.ours.items()}
    base_routes = live_routes if base is None else {route.prefix: route for route in base}
    target_routes = {route.prefix: route for route in target}
    found = set()
    for prefix in set(base_routes) | set(target_routes) | set(live_routes):
        was, wanted = held(base_routes.get(prefix)), held(target_routes.get(prefix))
        now = held(live_routes.get(prefix))
        if now != wanted:
            adopted = prefix in live.ours and live.ours[prefix].adopted and wanted is not None
            found.add((prefix, "drift" if was == wanted else "git", now, wanted, adopted))
    return found


@st.composite
def plan_inputs(draw: st.DrawFn) -> tuple[Any, list[Route], Any]:
    """A VRF of entries of any shape (scoped, adopted and twice-held prefixes among them), and a
    base (or none) and target on its prefixes of ours and a few others."""
    try:
        live = classify(draw(st.lists(vrf_entries, max_size=10)), CLUSTER)
    except Exception:  # what classify refuses, the classify test compares
        live = classify([], CLUSTER)
    pool = [*live.ours, *PLAN_PREFIXES]

    def routes() -> list[Route]:
        prefixes = draw(st.lists(st.sampled_from(pool), max_size=6, unique=True))
        return [
            Route(p, draw(st.sampled_from(PLAN_HOPS)), "n", draw(st.sampled_from(ids(p))))
            for p in prefixes
        ]

    def ids(prefix: Any) -> list[str]:
        return [route_id(CLUSTER, prefix), "c-5b0f6a3e-0", *live.foreign_ids][:4]

    return (routes() if draw(st.booleans()) else None), routes(), live


@examples(700)
@given(plan_inputs())
def test_the_plan_finds_the_changes_of_the_plain_comparison(inputs):
    base, target, live = inputs
    plan = three_way_plan(CLUSTER, "global", base, target, live)
    blocked = {entry.route.prefix for entry in plan.blocked}
    expected = {
        found for found in oracle_plan_changes(base, target, live) if found[0] not in blocked
    }
    changes = {(c.prefix, c.origin, held(c.before), held(c.after), c.adopted) for c in plan.changes}
    assert changes == expected
    assert len(changes) == len(plan.changes)


# --- a write keeps nothing of the read, and the collector resumes -------------------------------


def reachable_ids(root: Any) -> set[int]:
    seen: set[int] = set()
    stack = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        stack.extend(gc.get_referents(item))
    return seen


@pytest.mark.parametrize("mode", ["put", "patch"])
def test_a_write_keeps_no_foreign_entry_of_the_vrf_read(mode):
    prefixes = [ipaddress.ip_network(f"10.0.{i}.0/24") for i in range(3)]
    hop, moved = ipaddress.ip_address("192.168.0.1"), ipaddress.ip_address("192.168.0.2")
    foreign = [
        {
            "route_id": f"legacy-{i}",
            "prefix": {"ip_addr": {"addr": f"172.16.{i}.0", "type": "V4"}, "mask": 24},
            "next_hop": {"addr": "10.9.9.9", "type": "V4"},
        }
        for i in range(3)
    ]
    ours = [to_avi(Route(p, hop, "", route_id(CLUSTER, p)), CLUSTER) for p in prefixes[:2]]
    vrf = {"uuid": "vrf-1", "_last_modified": "1", "static_routes": [*foreign, *ours]}
    live = classify(vrf["static_routes"], CLUSTER)
    target = [
        Route(prefixes[0], moved, "n", route_id(CLUSTER, prefixes[0])),
        Route(prefixes[2], hop, "n", route_id(CLUSTER, prefixes[2])),
    ]
    changes = selected_changes(three_way_plan(CLUSTER, "global", None, target, live), True)
    write = vrf_write(vrf, live, changes, CLUSTER, "global", mode)
    kept = reachable_ids(write)
    assert not {id(entry) for entry in foreign} & kept
    assert id(vrf) not in kept and id(vrf["static_routes"]) not in kept


def test_the_collector_pause_ends_as_it_began_also_after_an_error():
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause leaves the outer one in place
        _ = 1 / 0
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # a collector switched off by someone else stays off
    finally:
        gc.enable()


# --- a manifest file is parsed once per repository ----------------------------------------------


def commit_file(repo: Any, path: str, content: str) -> str:
    target = Path(repo.working_dir) / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content)
    repo.index.add([path])
    return str(repo.index.commit(f"write {path}").hexsha)


def test_two_commits_holding_the_same_manifest_share_one_parse(tmp_path):
    prefix = ipaddress.ip_network("10.0.1.0/24")
    route = Route(prefix, ipaddress.ip_address("192.168.0.1"), "n1", route_id(CLUSTER, prefix))
    text = render_manifest(
        Manifest(CLUSTER, "global", "Default-Cloud", "cilium-cluster-pool", (route,))
    )
    repo = init_repo(tmp_path / "repo")
    path = manifest_path(CLUSTER, "global")
    first = commit_file(repo, path, text)
    second = commit_file(repo, "README.md", "another change\n")
    moved = text.replace("192.168.0.1", "192.168.0.2")
    third = commit_file(repo, path, moved)
    store = GitStore(repo.working_dir)
    applied = store.manifest_at(first, CLUSTER, "global")
    assert applied is not None and applied.routes == (route,)
    assert store.manifest_at(second, CLUSTER, "global") is applied
    reviewed = store.manifest_at(third, CLUSTER, "global")
    assert reviewed == parse_manifest(moved.encode(), path)
    moved_by_hand = commit_file(repo, manifest_path("other", "global"), text)  # the same blob
    with pytest.raises(InputError, match="expected cluster 'other'"):
        store.manifest_at(moved_by_hand, "other", "global")


def test_an_unreadable_manifest_names_each_commit_it_is_read_at(tmp_path):
    repo = init_repo(tmp_path / "repo")
    path = manifest_path(CLUSTER, "global")
    first = commit_file(repo, path, "spec: [\n")
    second = commit_file(repo, "README.md", "another change\n")
    store = GitStore(repo.working_dir)
    for commit in (first, second):
        with pytest.raises(ManifestError, match=rf"{path}@{commit[:12]}: line \d+: not valid"):
            store.manifest_at(commit, CLUSTER, "global")
