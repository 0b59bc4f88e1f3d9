"""A seeded randomised run of many apply cycles against ONE Avi stand-in, through the production
client and `reconcile_vrf`, with faults injected and a concurrent foreign writer.

Each cycle the reviewed target may change, a foreign writer may rewrite the foreign routes
(before the cycle, or while our write is held by the controller), and faults are injected:
5xx, timeouts, connection resets before and after a write, expired sessions, 412 storms
shorter and longer than the retry budget, 403, failing logins. `reconcile_vrf` may fail while
faults are on; after EVERY cycle the VRF must show that

- the foreign routes are exactly what the foreign writer last wrote, in the same order;
- each of our routes is as it was before the cycle or as the cycle's target has it (no write
  from a stale or partial read); without --heal only reviewed (git) changes were written;
- no route of ours was put ahead of a foreign route;
- route ids are unique and each of our entries is exactly a route we would write;
- a target prefix that a foreign route stands in the way of (one on the same prefix reaching our
  Service Engines, or one holding our route id: the oracle in tests/helpers.py) was not
  written, while one that only labelled foreign routes hold (a shared VRF) was.

One allowance: in PATCH mode a write cut between the PATCH delete and the PATCH add leaves an
updated route deleted until the next apply (the test at the end shows a rerun finishes it).

At the end, faults off, one `reconcile_vrf(heal=True)` must make our routes equal the target,
except where a foreign route stands in the way.
`ROUTE_RECONCILER_LONG_FAULTS=1` runs 5,000 cycles; `ROUTE_RECONCILER_FAULT_SEED` picks the seed.
"""

from __future__ import annotations

import ipaddress
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from helpers import (
    entry_prefix,
    oracle_blocked,
    oracle_is_ours,
    oracle_reaches_us,
    ours_ahead_of_foreign,
)

from reconciler.applied_record import effective_base
from reconciler.apply import ApplySettings, Target, reconcile_vrf
from reconciler.avi.client import AviClient, AviSettings
from reconciler.errors import ApiError, GuardRefusal
from reconciler.outcome import ApplyResult
from reconciler.ownership import to_avi
from reconciler.routes import Route, route_id
from reconciler.sim.avi import AviSim, static_route

CLUSTER = "c"
TARGET = Target(CLUSTER, "global", "Default-Cloud")
LONG = os.environ.get("ROUTE_RECONCILER_LONG_FAULTS") == "1"
CYCLES = 5000 if LONG else 500
SEED = int(os.environ.get("ROUTE_RECONCILER_FAULT_SEED", "20250611"))

CLIENT_TIMEOUT = 0.05  # seconds; the client under test gives up on an answer after this
TIMEOUT_DELAY = 0.065  # a held request the client gives up on (the controller still handles it)
OVERLAP_DELAY = 0.02  # a held write the client waits for while the foreign writer gets in
QUIET_DEADLINE = 10.0
MAX_FOREIGN = 14  # the foreign writer keeps about this many routes

PREFIXES = [ipaddress.ip_network(f"10.0.{i}.0/24") for i in range(40)] + [
    ipaddress.ip_network(f"10.0.200.{16 * i}/28") for i in range(8)
]
HOPS = [ipaddress.ip_address(f"192.168.0.{i}") for i in range(1, 13)]
FOREIGN_PREFIXES = (
    [f"172.16.{i}.0/24" for i in range(24)]
    + [f"10.1.{i}.0/24" for i in range(8)]
    + [f"fd00:f:{i}::/64" for i in range(6)]
    + [str(prefix) for prefix in PREFIXES[:6]]  # another cluster's, or legacy, on our prefixes
)
FOREIGN_LABELS: list[list[dict[str, str]] | None] = [
    None,
    [],
    [{"key": "clustername", "value": "c-eu"}],
    [{"key": "clustername", "value": "cc"}],
    [{"key": "clustername", "value": "C"}],
    [{"key": "owner", "value": "c"}],
]
FOREIGN_EXTRAS: list[dict[str, Any]] = [
    {},
    {},
    {"if_name": "eth1"},
    {"disable_gateway_monitor": True},
]

Ours = dict[Any, tuple[Any, str]]  # prefix -> (next hop, route id)


# --- the reviewed target -------------------------------------------------------------------


def as_routes(chosen: dict) -> tuple[Route, ...]:
    return tuple(
        Route(prefix, hop, f"n{index}", route_id(CLUSTER, prefix))
        for index, (prefix, hop) in enumerate(sorted(chosen.items(), key=lambda kv: str(kv[0])))
    )


def next_target(rng: random.Random, current: dict) -> dict:
    """Add, remove or move a few routes; now and then nothing, a mass removal, or nothing left."""
    roll = rng.random()
    if roll < 0.15:
        return dict(current)
    if roll < 0.18:
        return {p: h for p, h in current.items() if rng.random() < 0.3}
    if roll < 0.19:
        return {}
    chosen = dict(current)
    for _ in range(rng.randint(1, 4)):
        action = rng.choice(["add", "add", "remove", "move"])
        free = [p for p in PREFIXES if p not in chosen]
        if action == "add" and free and len(chosen) < 30:
            chosen[rng.choice(free)] = rng.choice(HOPS)
        elif action == "remove" and chosen:
            del chosen[rng.choice(sorted(chosen, key=str))]
        elif action == "move" and chosen:
            chosen[rng.choice(sorted(chosen, key=str))] = rng.choice(HOPS)
    return chosen


# --- the foreign writer and other outside changes ------------------------------------------


@dataclass
class Foreign:
    """What the foreign writer last wrote: the VRF's foreign routes, in order."""

    routes: list[dict[str, Any]]
    serial: int = 0

    def new_route(self, rng: random.Random, taken: set[str]) -> dict[str, Any]:
        """`taken`: the route ids the VRF holds, which the controller would refuse again."""
        self.serial += 1
        cidr = rng.choice(FOREIGN_PREFIXES)
        hop = f"fd00::9:{self.serial:x}" if ":" in cidr else f"10.9.{self.serial % 250}.9"
        labels = rng.choice(FOREIGN_LABELS)
        # an id that looks like ours must not make the route ours: ownership is the label; one
        # that is exactly ours (while free) blocks our route of that id
        roll = rng.random()
        rid = f"foreign-{self.serial}"
        if roll < 0.2:
            rid = f"c.{cidr.replace(':', '-').replace('/', '_')}-{self.serial}"
        elif roll < 0.25:
            rid = route_id(CLUSTER, rng.choice(PREFIXES[:6]))
        rid = rid if rid not in taken else f"foreign-{self.serial}"
        entry = static_route(rid, cidr, hop, labels=labels)
        entry.update(rng.choice(FOREIGN_EXTRAS))
        return entry

    def changed(
        self, rng: random.Random, static_routes: list[dict[str, Any]], moves: bool
    ) -> list[dict[str, Any]]:
        """The VRF's routes after the foreign writer added, removed, re-pointed and (when
        ``moves``) moved or shuffled foreign routes; it leaves ours alone."""
        routes = list(static_routes)
        for _ in range(rng.randint(1, 3)):
            theirs = [i for i, entry in enumerate(routes) if not oracle_is_ours(entry)]
            grow = ["add", "add"] if len(theirs) < MAX_FOREIGN else []
            action = rng.choice([*grow, "remove", "hop", *(["move", "shuffle"] * moves)])
            if action == "add" or not theirs:
                taken = {entry["route_id"] for entry in routes}
                routes.insert(rng.randint(0, len(routes)), self.new_route(rng, taken))
            elif action == "remove":
                routes.pop(rng.choice(theirs))
            elif action == "hop":
                index = rng.choice(theirs)
                fresh = self.new_route(rng, set())
                if fresh["next_hop"]["type"] == routes[index]["next_hop"]["type"]:
                    routes[index] = {**routes[index], "next_hop": fresh["next_hop"]}
            elif action == "move":
                entry = routes.pop(rng.choice(theirs))
                routes.insert(rng.randint(0, len(routes)), entry)
            else:
                rng.shuffle(routes)
        return routes


def atomically(avi: AviSim, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
    """Another writer's read-modify-write of the VRF, serialised with the controller's own
    request handling (its lock), as a controller serialises writers: whatever it does, it
    never clobbers a write of ours with a stale copy."""
    with avi._lock:
        vrf = avi.vrf(TARGET.vrf)
        avi.set_routes(vrf["uuid"], edit(vrf["static_routes"]))


def foreign_write(avi: AviSim, foreign: Foreign, rng: random.Random, *, moves: bool) -> None:
    """The foreign writer changes its routes; ``foreign`` remembers what it wrote. While our
    write is in flight it does not move routes, so the VRF can show that we moved none."""

    def edit(static_routes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        routes = foreign.changed(rng, static_routes, moves)
        foreign.routes = foreign_of(routes)
        return routes

    atomically(avi, edit)


def drift_edit(avi: AviSim, rng: random.Random) -> None:
    """Someone changes one of our routes on Avi outside git: a new next hop, a deletion, or an
    unreviewed route of ours."""

    def edit(static_routes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        routes = list(static_routes)
        ours = [i for i, entry in enumerate(routes) if oracle_is_ours(entry)]
        action = rng.choice(["hop", "delete", "add"]) if ours else "add"
        if action == "add":  # on a prefix of no route of ours, with an id no route holds
            taken = {entry_prefix(routes[i]) for i in ours}
            ids = {entry["route_id"] for entry in routes}
            free = [p for p in PREFIXES if p not in taken and route_id(CLUSTER, p) not in ids]
            if free:
                prefix = rng.choice(free)
                routes.append(
                    to_avi(Route(prefix, rng.choice(HOPS), "", route_id(CLUSTER, prefix)), CLUSTER)
                )
        elif action == "delete":
            routes.pop(rng.choice(ours))
        else:
            index = rng.choice(ours)
            hop = str(rng.choice(HOPS))
            routes[index] = {**routes[index], "next_hop": {"addr": hop, "type": "V4"}}
        return routes

    atomically(avi, edit)


# --- faults --------------------------------------------------------------------------------

FAULTS: dict[str, int] = {  # kind -> weight
    "5xx on GET": 3,
    "5xx on write": 3,
    "timeout on GET": 1,
    "timeout on write": 1,
    "reset after write": 3,
    "reset before write": 2,
    "reset on GET": 2,
    "session expired": 3,
    "login fails": 1,
    "412 storm within budget": 3,
    "412 storm beyond budget": 1,
    "403": 1,
}


def inject(avi: AviSim, kind: str, write: str, rng: random.Random) -> tuple[str, str | None]:
    """Inject one fault of ``kind``; ``write`` is the method the cycle writes with. Returns a
    description and the method whose next requests meet the fault (None: no such method)."""
    if kind == "5xx on GET":
        status, count = rng.choice([500, 502, 503]), rng.randint(1, 5)  # 4 exhausts the retries
        avi.inject(status, method="GET", count=count)
        return f"{status} x{count} on GET", "GET"
    if kind == "5xx on write":
        status, count = rng.choice([500, 502, 503]), rng.randint(1, 2)
        avi.inject(status, method=write, count=count)
        return f"{status} x{count} on {write}", write
    if kind == "timeout on GET":
        count = rng.randint(1, 2)
        avi.delay(TIMEOUT_DELAY, method="GET", count=count)
        return f"timeout x{count} on GET", "GET"
    if kind == "timeout on write":
        avi.delay(TIMEOUT_DELAY, method=write)
        return f"timeout on {write}", write
    if kind == "reset after write":
        avi.drop_connections(method=write, after_write=True)
        return f"reset after {write} applied", write
    if kind == "reset before write":
        avi.drop_connections(method=write)
        return f"reset before {write} applied", write
    if kind == "reset on GET":
        count = rng.randint(1, 4)
        avi.drop_connections(method="GET", count=count)
        return f"reset x{count} on GET", "GET"
    if kind == "session expired":
        status = rng.choice([401, 419])
        avi.expire_sessions(status)
        return f"session expired ({status})", None
    if kind == "login fails":
        count = rng.randint(1, 4)
        avi.expire_sessions(401)
        avi.inject(503, method="POST", count=count)
        return f"session expired, login 503 x{count}", "POST"
    if kind == "403":
        method = rng.choice(["GET", write])
        avi.inject(403, method=method)
        return f"403 on {method}", method
    count = rng.randint(1, 7) if kind == "412 storm within budget" else rng.randint(8, 10)
    avi.storm_412(count)
    return f"412 storm x{count}", write


def drain_faults(avi: AviSim, probe: requests.Session, methods: set[str]) -> None:
    """Use up the faults no request met (a write fault in a cycle with nothing to write), so
    each cycle starts with faults off: probe each method until a probe meets no fault, i.e.
    is answered 401 (no session) faster than any injected delay."""
    for method in sorted(methods):
        for _ in range(200):
            started = time.monotonic()
            try:
                answer = probe.request(
                    method, f"{avi.url}/api/vrfcontext/fault-probe", data=b"{}", timeout=5
                )
            except requests.ConnectionError:
                continue
            if answer.status_code == 401 and time.monotonic() - started < OVERLAP_DELAY:
                break
        else:
            raise AssertionError(f"faults on {method} do not run out")


def wait_until_handled(avi: AviSim, received_before: int, written: int) -> None:
    """Wait until the stand-in has handled every request the client wrote whole, including those
    the client gave up on: a held write still lands, and must land before the VRF is checked.
    A request the client's deadline cut before its last byte went out never reached the
    controller. Nothing else talks to the controller during a cycle, so it received exactly what
    the client wrote."""
    received = avi.wait_until_handled(received_before + written, QUIET_DEADLINE) - received_before
    assert received == written, f"the controller received {received} request(s), {written} written"


# --- reading the VRF -----------------------------------------------------------------------


def ours_of(static_routes: list[dict[str, Any]], where: str) -> Ours:
    ours: Ours = {}
    for entry in static_routes:
        if not oracle_is_ours(entry):
            continue
        prefix = entry_prefix(entry)
        hop = ipaddress.ip_address(entry["next_hop"]["addr"])
        assert prefix not in ours, f"{where}: two routes of ours for {prefix}"
        assert entry == to_avi(Route(prefix, hop, "", entry["route_id"]), CLUSTER), (
            f"{where}: an entry of ours that we would never write: {entry}"
        )
        ours[prefix] = (hop, entry["route_id"])
    return ours


def foreign_of(static_routes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in static_routes if not oracle_is_ours(entry)]


def beside_a_labelled_foreign_route(static_routes: list[dict[str, Any]]) -> bool:
    """A route of ours shares its prefix with a foreign route labelled for other SE groups."""
    ours = {entry_prefix(entry) for entry in static_routes if oracle_is_ours(entry)}
    return any(
        entry_prefix(entry) in ours and not oracle_reaches_us(entry)
        for entry in foreign_of(static_routes)
    )


def as_ours(routes: tuple[Route, ...] | None) -> Ours | None:
    return None if routes is None else {r.prefix: (r.next_hop, r.route_id) for r in routes}


# --- one cycle -----------------------------------------------------------------------------


@dataclass
class Cycle:
    number: int
    write_mode: str
    heal: bool
    base: tuple[Route, ...] | None
    target: tuple[Route, ...]
    before: list[dict[str, Any]]
    faults: list[str] = field(default_factory=list)
    concurrent: list[str] = field(default_factory=list)
    result: ApplyResult | None = None
    error: Exception | None = None

    def __str__(self) -> str:
        outcome = repr(self.error) if self.error else "ok"
        return (
            f"seed {SEED} cycle {self.number}: {self.write_mode}{' --heal' if self.heal else ''}, "
            f"faults {self.faults}, concurrent {self.concurrent}, outcome {outcome}"
        )


def check_cycle(cycle: Cycle, after: list[dict[str, Any]], foreign: Foreign, writes: int) -> None:
    where = str(cycle)
    route_ids = [entry["route_id"] for entry in after]
    assert len(route_ids) == len(set(route_ids)), f"{where}: duplicate route ids"
    assert foreign_of(after) == foreign.routes, f"{where}: foreign routes changed or reordered"
    ahead_before = ours_ahead_of_foreign(cycle.before)
    for foreign_id, ahead in ours_ahead_of_foreign(after).items():
        assert ahead <= ahead_before.get(foreign_id, ahead), (
            f"{where}: a route of ours was put ahead of foreign {foreign_id}"
        )
    before, now = ours_of(cycle.before, where), ours_of(after, where)
    wanted = as_ours(cycle.target) or {}
    base = as_ours(cycle.base)
    # A foreign writer racing our write may add or remove what stands in the way: a prefix
    # blocked at only one end may go either way.
    blocked = (oracle_blocked(cycle.target, cycle.before), oracle_blocked(cycle.target, after))
    for prefix in set(before) | set(now) | set(wanted):
        if prefix in blocked[0] and prefix in blocked[1]:
            assert now.get(prefix) == before.get(prefix), (
                f"{where}: {prefix} was written, yet a foreign route stands in its way"
            )
        allowed = {before.get(prefix), wanted.get(prefix)}
        if cycle.write_mode == "patch" and prefix in before:
            # PATCH deletes, then adds: a write cut between the two leaves an updated route
            # deleted (see test_patch_write_cut_between_delete_and_add_converges_on_rerun).
            allowed.add(None)
        assert now.get(prefix) in allowed, (
            f"{where}: {prefix} is {now.get(prefix)}, neither before {before.get(prefix)} "
            f"nor target {wanted.get(prefix)}"
        )
        if not cycle.heal and base is not None and base.get(prefix) == wanted.get(prefix):
            assert now.get(prefix) == before.get(prefix), (
                f"{where}: {prefix} was not changed in git, yet written without --heal"
            )
    if cycle.result is None:
        return
    if cycle.heal:
        for prefix in set(before) | set(now) | set(wanted):
            reached = {before.get(prefix) if prefix in b else wanted.get(prefix) for b in blocked}
            assert now.get(prefix) in reached, (
                f"{where}: apply --heal succeeded but {prefix} is {now.get(prefix)}, not {reached}"
            )
    for change in cycle.result.applied:
        assert now.get(change.prefix) == wanted.get(change.prefix), (
            f"{where}: {change} reported applied but not on Avi"
        )
    if not cycle.result.applied and not cycle.result.conflicts_retried:
        assert writes == 0, f"{where}: nothing to apply, yet {writes} write(s)"


@dataclass
class ConcurrentWriter:
    """While the controller holds our write (or read), the foreign writer changes its routes
    and, now and then, every session expires."""

    avi: AviSim
    foreign: Foreign
    held: str
    wait: float
    expire: int | None
    rng: random.Random

    def __call__(self) -> None:
        time.sleep(self.wait)
        foreign_write(self.avi, self.foreign, self.rng, moves=False)
        if self.expire:
            self.avi.expire_sessions(self.expire)


def concurrent_writer(
    avi: AviSim, foreign: Foreign, cycle: Cycle, write: str, rng: random.Random
) -> ConcurrentWriter:
    held = write if rng.random() < 0.8 else "GET"
    avi.delay(OVERLAP_DELAY, method=held)
    writer = ConcurrentWriter(
        avi,
        foreign,
        held,
        wait=rng.uniform(0, OVERLAP_DELAY + 0.01),  # before, between or during our requests
        expire=rng.choice([None, None, None, None, 401, 419]),
        rng=random.Random(rng.random()),
    )
    cycle.concurrent = [f"{held} held {OVERLAP_DELAY}s, foreign write at {writer.wait:.3f}s"]
    if writer.expire:
        cycle.concurrent.append(f"sessions expire ({writer.expire})")
    return writer


def run_cycle(
    cycle: Cycle,
    avi: AviSim,
    client: AviClient,
    vrf_uuid: str,
    settings: ApplySettings,
    concurrent: ConcurrentWriter | None,
) -> None:
    thread = None if concurrent is None else threading.Thread(target=concurrent)
    if thread is not None:
        thread.start()
    try:
        cycle.result = reconcile_vrf(client, vrf_uuid, cycle.base, cycle.target, settings)
    except (ApiError, GuardRefusal) as error:
        cycle.error = error
    finally:
        if thread is not None:
            thread.join()


def test_randomised_faults_never_touch_foreign_routes_nor_write_from_a_stale_read():
    rng = random.Random(SEED)
    outcomes: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    with AviSim() as avi, requests.Session() as probe:
        probe.trust_env = False  # probes go to 127.0.0.1, never through a proxy
        client = AviClient(
            AviSettings(
                avi.url,
                "admin",
                "admin",
                timeout=CLIENT_TIMEOUT,
                read_retries=3,
                backoff_base=0.001,
            )
        )
        vrf_uuid = str(client.find_vrf(TARGET.vrf, TARGET.cloud)["uuid"])
        foreign = Foreign([])
        for _ in range(6):  # the first write
            taken = {entry["route_id"] for entry in foreign.routes}
            foreign.routes.append(foreign.new_route(rng, taken))
        ako = [  # routes of ours that AKO wrote, to be adopted
            to_avi(Route(p, HOPS[0], "", f"c-5b0f6a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b-{i}"), CLUSTER)
            for i, p in enumerate(PREFIXES[:3])
        ]
        avi.set_routes(vrf_uuid, [*foreign.routes[:3], *ako, *foreign.routes[3:]])
        chosen: dict = {}
        base: tuple[Route, ...] | None = None
        for number in range(CYCLES):
            chosen = next_target(rng, chosen)
            write_mode = rng.choice(["put", "patch"])
            write = write_mode.upper()
            settings = ApplySettings(
                TARGET,
                heal=rng.random() < 0.25,
                write_mode=write_mode,
                allow_mass_delete=rng.random() < 0.5,
            )
            if rng.random() < 0.25:
                foreign_write(avi, foreign, rng, moves=True)
            if rng.random() < 0.06:
                drift_edit(avi, rng)
            cycle = Cycle(
                number,
                write_mode,
                settings.heal,
                base,
                as_routes(chosen),
                avi.vrf(vrf_uuid)["static_routes"],
            )
            avi.clear_requests()
            written_before, received_before = client.requests_written, avi.requests_received
            faulted: set[str] = set()
            if rng.random() > 0.1:
                faults = rng.choices(
                    list(FAULTS), weights=list(FAULTS.values()), k=rng.randint(1, 2)
                )
                for kind in faults:
                    description, method = inject(avi, kind, write, rng)
                    cycle.faults.append(description)
                    faulted |= {method} if method else set()
            concurrent = None
            if rng.random() < 0.3:
                concurrent = concurrent_writer(avi, foreign, cycle, write, rng)
                faulted.add(concurrent.held)
            run_cycle(cycle, avi, client, vrf_uuid, settings, concurrent)
            wait_until_handled(avi, received_before, client.requests_written - written_before)
            handled = avi.requests
            statuses.update(r.status for r in handled)
            writes = sum(1 for r in handled if r.method in ("PUT", "PATCH") and r.status == 200)
            drain_faults(avi, probe, faulted)
            check_cycle(cycle, avi.vrf(vrf_uuid)["static_routes"], foreign, writes)
            outcomes[type(cycle.error).__name__ if cycle.error else "ok"] += 1
            if cycle.result is not None and cycle.result.conflicts_retried:
                outcomes["retried after 412"] += 1
            if cycle.result is not None and cycle.result.plan.blocked:
                outcomes["blocked by a foreign route"] += 1
            if beside_a_labelled_foreign_route(avi.vrf(vrf_uuid)["static_routes"]):
                outcomes["ours beside a labelled foreign route"] += 1
            if cycle.result is not None:  # what apply_reviewed records as applied
                base = effective_base(cycle.target, cycle.result.pending)
        client.close()

        # faults off: one apply with --heal reaches the reviewed target, and stays there
        drain_faults(avi, probe, {"GET", "POST", "PUT", "PATCH"})
        target = as_routes(chosen)
        healer = AviClient(AviSettings(avi.url, "admin", "admin", backoff_base=0.001))
        heal = ApplySettings(TARGET, heal=True, allow_mass_delete=True)
        before_heal = avi.vrf(vrf_uuid)["static_routes"]
        reconcile_vrf(healer, vrf_uuid, base, target, heal)
        final = avi.vrf(vrf_uuid)["static_routes"]
        in_the_way = oracle_blocked(target, before_heal)
        assert ours_of(final, "final heal") == {
            **{p: v for p, v in ours_of(before_heal, "before heal").items() if p in in_the_way},
            **{p: v for p, v in (as_ours(target) or {}).items() if p not in in_the_way},
        }, "reviewed routes lost"
        assert foreign_of(final) == foreign.routes
        assert len({e["route_id"] for e in final}) == len(final)
        avi.clear_requests()
        for write_mode in ("put", "patch"):
            again = ApplySettings(TARGET, heal=True, write_mode=write_mode)
            assert reconcile_vrf(healer, vrf_uuid, target, target, again).writes == 0
        assert avi.writes == []
        healer.close()

    # the run really exercised what it claims to
    assert outcomes["ok"] >= CYCLES // 5, outcomes
    assert outcomes["ApiError"] >= CYCLES // 10, outcomes
    assert outcomes["GuardRefusal"] > 0, outcomes
    assert outcomes["retried after 412"] >= CYCLES // 50, outcomes
    assert outcomes["blocked by a foreign route"] > 0, outcomes
    assert outcomes["ours beside a labelled foreign route"] > 0, outcomes
    for status in (0, 401, 403, 412, 419, 500, 502, 503):
        assert statuses[status] > 0, (status, statuses)


def test_patch_write_cut_between_delete_and_add_converges_on_rerun():
    """PATCH mode deletes, then adds; a connection lost after the delete leaves an updated
    route deleted. A plain rerun must finish the reviewed change rather than call it drift."""
    with AviSim() as avi:
        client = AviClient(AviSettings(avi.url, "admin", "admin", backoff_base=0.001))
        vrf_uuid = str(client.find_vrf(TARGET.vrf, TARGET.cloud)["uuid"])
        foreign = [static_route("legacy-1", "172.16.0.0/16", "10.1.1.1")]
        avi.set_routes(vrf_uuid, foreign)
        w1, w2 = PREFIXES[1], PREFIXES[2]
        first = as_routes({w1: HOPS[0], w2: HOPS[1]})
        patch = ApplySettings(TARGET, write_mode="patch")
        reconcile_vrf(client, vrf_uuid, None, first, patch)
        moved = as_routes({w1: HOPS[5], w2: HOPS[1]})
        avi.drop_connections(method="PATCH", after_write=True)
        with pytest.raises(ApiError, match="the connection failed mid-write"):
            reconcile_vrf(client, vrf_uuid, first, moved, patch)
        result = reconcile_vrf(client, vrf_uuid, first, moved, patch)  # the rerun, same base
        client.close()
        ours = ours_of(avi.vrf(vrf_uuid)["static_routes"], "rerun")
        assert foreign_of(avi.vrf(vrf_uuid)["static_routes"]) == foreign
        assert not result.skipped_conflicts, result.skipped_conflicts
        assert ours == as_ours(moved)
