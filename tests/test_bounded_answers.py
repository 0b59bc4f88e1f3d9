"""Every answer from outside is bounded: a deadline for each whole request, a largest body, a
page limit for listings and a JSON depth limit, for Avi, GitHub and Kubernetes alike.

Each test serves a hostile answer from a stand-in over real HTTP to the production client.
Deadlines are tiny and the hostile servers hold their answers far longer (20 s), so no test
depends on how fast this machine is: the old client, a read timeout restarted by every byte,
would wait the whole 20 s and then fail differently.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3
from helpers import (
    avi_settings,
    cilium_config,
    cilium_node,
    github_settings,
    node,
    self_signed_certificate,
)

from reconciler.avi.client import AviClient, AviSettings
from reconciler.bounds import AnswerBounds, NoTimelyAnswer, bound_pools, bounded_call
from reconciler.errors import ApiError
from reconciler.http import RetryPolicy, Transport
from reconciler.ipam.kube import KUBE_BOUNDS, KubeSource
from reconciler.ipam.kubeconfig import api_client
from reconciler.json_depth import MAX_JSON_DEPTH, json_depth, parse_json
from reconciler.lease import lease_lock
from reconciler.ownership import to_avi
from reconciler.review.github import GitHubClient
from reconciler.routes import Route, route_id
from reconciler.sim.avi import AviSim
from reconciler.sim.github import FakeGitHub
from reconciler.sim.kube import FakeKubeApi
from reconciler.sim.server import Stream, deep_json

PASSWORD = "bounded-answers-password"
TOKEN = "ghp_bounded-answers-token"
HELD_SECONDS = 20  # how long the hostile servers below hold an answer
DEADLINE = 0.5
SMALL = 256 * 1024  # the size limit the tests configure
DEEP = deep_json(100_000)


def dribbled_body() -> Stream:
    """Valid JSON whitespace, one byte every 50 ms for 20 s: each read is quick."""
    return Stream(piece=b" ", pause=0.05, repeat=HELD_SECONDS * 20)


def dribbled_headers() -> Stream:
    """The status line, then a header one byte every 50 ms for 20 s."""
    return Stream(
        head=b"HTTP/1.1 200 OK\r\nX-Slow: ",
        piece=b"a",
        pause=0.05,
        repeat=HELD_SECONDS * 20,
        raw=True,
    )


def endless_body(declared: int | None) -> Stream:
    """A JSON list that never ends, claiming ``declared`` bytes (None: claiming nothing)."""
    return Stream(head=b'{"results": [', piece=b'{"a": 1},' * 4096, declared_length=declared)


DRIBBLES = {"body": dribbled_body, "headers": dribbled_headers}
TOO_LARGE = {
    "declared": (lambda: endless_body(10**9), "declares 1,000,000,000 bytes, more than the limit"),
    "streamed": (lambda: endless_body(None), "is larger than the limit of 262,144 bytes"),
}


# --- Avi ------------------------------------------------------------------------------------


@pytest.fixture
def avi() -> Iterator[AviSim]:
    with AviSim(password=PASSWORD) as running:
        yield running


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def avi_client(sim: AviSim, **overrides: Any) -> AviClient:
    bounds = {"timeout": DEADLINE, "read_retries": 0, "max_answer_bytes": SMALL, **overrides}
    return AviClient(avi_settings(sim, password=PASSWORD, **bounds))


def vrf_uuid(sim: AviSim) -> str:
    return str(sim.vrf("global")["uuid"])


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("phase", sorted(DRIBBLES))
def test_avi_answer_dribbled_is_cut_at_the_deadline_of_the_whole_request(
    certificate: tuple[str, str], phase: str, tls: bool
) -> None:
    cert, key = certificate if tls else (None, None)
    with AviSim(password=PASSWORD, tls_cert=cert, tls_key=key) as avi:
        uuid = vrf_uuid(avi)
        avi.inject(200, method="GET", path_contains="/api/vrfcontext/", body=DRIBBLES[phase]())
        with avi_client(avi, ca_bundle=cert) as client, pytest.raises(ApiError) as raised:
            client.get_vrf(uuid)
    assert f"no complete answer within {DEADLINE:g} s (the deadline of one request)" in str(
        raised.value
    )


def test_avi_write_dribbled_is_cut_and_its_outcome_unknown(avi: AviSim) -> None:
    uuid = vrf_uuid(avi)
    with avi_client(avi) as client:
        read = client.get_vrf(uuid)
        avi.inject(200, method="PUT", body=dribbled_body())
        cut = r"mid-write \(no complete answer within .* s .*outcome is unknown"
        with pytest.raises(ApiError, match=cut):
            client.put_vrf(uuid, read)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """The URL of a server that takes connections and never reads a byte of them: its kernel
    holds what fits in a small buffer, and a client writing more blocks for ever."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before listen(): inherited
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_a_request_is_written_once_its_last_byte_went_out(silent_server: str) -> None:
    """What a server can act on: a request the deadline cut before its last byte went out never
    reached the server, one written whole did (if unanswered)."""
    transport = Transport(
        silent_server,
        headers={},
        verify=True,
        bounds=AnswerBounds(DEADLINE, SMALL, 5),
        retry=RetryPolicy(0, 0.0),
        secrets=(),
        tls_hint="",
        follow_redirects=False,
    )

    def put(path: str, body: bytes) -> None:
        with pytest.raises(ApiError, match="no answer"):
            transport.send(
                "PUT",
                f"{silent_server}/{path}",
                f"PUT {path}",
                body=body,
                retryable=False,
                no_answer=lambda why, attempts: f"no answer ({why})",
            )

    with contextlib.closing(transport):
        put("big", bytes(64 * 1024 * 1024))
        assert (transport.requests_made, transport.requests_written) == (1, 0)
        put("small", b"{}")
        assert (transport.requests_made, transport.requests_written) == (2, 1)


def test_a_deadline_passing_after_the_answer_was_read_is_late_without_a_thread_error(
    avi: AviSim,
) -> None:
    """The timer may fire after the answer was read whole and its connection went back to the
    pool (a loaded machine): the hang-up then must not fail in the timer thread."""
    manager = urllib3.PoolManager()
    bound_pools(manager)
    hung_up = False
    with pytest.raises(NoTimelyAnswer), bounded_call(AnswerBounds(60, SMALL, 5)) as call:
        assert manager.request("GET", f"{avi.url}/api/cloud").status == 401
        call._expire()  # what the timer thread runs when the deadline passes, now
        hung_up = True
    manager.clear()
    assert hung_up, "the hang-up failed"


@pytest.mark.parametrize("case", sorted(TOO_LARGE))
def test_avi_answer_over_the_size_limit_is_refused_as_it_arrives(avi: AviSim, case: str) -> None:
    stream, message = TOO_LARGE[case]
    uuid = vrf_uuid(avi)
    avi.inject(200, method="GET", path_contains="/api/vrfcontext/", body=stream(), count=4)
    with avi_client(avi, read_retries=3) as client, pytest.raises(ApiError) as raised:
        client.get_vrf(uuid)
    assert f"GET /api/vrfcontext/{uuid}: the answer {message}" in str(raised.value)
    gets = [r for r in avi.requests if r.method == "GET"]
    assert len(gets) == 1, "an answer too large is not asked for again"


@pytest.mark.parametrize("status", [200, 400, 502])
def test_avi_answer_nested_beyond_any_honest_one_is_a_one_line_error(
    avi: AviSim, status: int
) -> None:
    uuid = vrf_uuid(avi)
    with avi_client(avi, max_answer_bytes=AviSettings.max_answer_bytes) as client:
        read = client.get_vrf(uuid)
        avi.inject(status, method="PUT", body=DEEP.decode())
        with pytest.raises(ApiError) as raised:
            client.put_vrf(uuid, read)
    text = str(raised.value)
    assert "\n" not in text and len(text) < 500
    if status == 200:
        assert f"nests deeper than {MAX_JSON_DEPTH} levels" in text


def test_avi_endless_next_links_stop_at_the_page_limit(avi: AviSim) -> None:
    avi.endless_pages(count=50)
    with avi_client(avi, max_pages=5) as client, pytest.raises(ApiError) as raised:
        client.find_vrf("global", "Default-Cloud")
    assert "GET /api/vrfcontext: the controller's listing has more than 5 pages" in str(
        raised.value
    )
    assert sum(1 for r in avi.requests if r.path == "/api/vrfcontext") == 5


def test_avi_defaults_hold_a_60000_route_vrf_and_bound_it() -> None:
    """The default limit fits a shared VRF of 60,000 routes (12 MB) with room to spare."""
    routes = []
    for index in range(60_000):
        prefix = ipaddress.ip_network(f"10.{index // 256 % 256}.{index % 256}.0/24")
        next_hop = ipaddress.ip_address(f"192.168.{index // 250 % 250}.{index % 250 + 1}")
        routes.append(to_avi(Route(prefix, next_hop, "", route_id("prod-a", prefix)), "prod-a"))
    body = json.dumps({"name": "global", "_last_modified": "1", "static_routes": routes})
    limit = AviSettings("https://avi.example.com", "u", "p").max_answer_bytes
    assert 2 * len(body) < limit <= 64 * 1024 * 1024
    assert json_depth(body.encode()) < MAX_JSON_DEPTH


# --- GitHub ---------------------------------------------------------------------------------


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN) as running:
        yield running


def github_client(github: FakeGitHub, **overrides: Any) -> GitHubClient:
    bounds = {"timeout": DEADLINE, "read_retries": 0, "max_answer_bytes": SMALL, **overrides}
    return GitHubClient(github_settings(github, token=TOKEN, **bounds))


@pytest.mark.parametrize("phase", sorted(DRIBBLES))
def test_github_answer_dribbled_is_cut_at_the_deadline(github: FakeGitHub, phase: str) -> None:
    github.inject(200, method="GET", body=DRIBBLES[phase]())
    with github_client(github) as client, pytest.raises(ApiError) as raised:
        client.find_open_pull("route-reconciler/c", "main")
    assert f"no complete answer within {DEADLINE:g} s" in str(raised.value)


@pytest.mark.parametrize("case", sorted(TOO_LARGE))
def test_github_answer_over_the_size_limit_is_refused(github: FakeGitHub, case: str) -> None:
    stream, message = TOO_LARGE[case]
    github.inject(200, method="GET", body=stream())
    with github_client(github) as client, pytest.raises(ApiError) as raised:
        client.get_pull(1)
    assert f"GET /repos/acme/routes/pulls/1: the answer {message}" in str(raised.value)


@pytest.mark.parametrize("status", [200, 422])
def test_github_answer_nested_too_deep_is_a_one_line_error(github: FakeGitHub, status: int) -> None:
    github.inject(status, method="POST", body=DEEP.decode())
    with github_client(github) as client, pytest.raises(ApiError) as raised:
        client.create_pull(head_branch="b", base="main", title="t", body="b")
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 600


def test_github_listing_stops_at_the_page_limit(github: FakeGitHub) -> None:
    with github_client(github, max_pages=2) as client:
        number = client.create_pull(head_branch="b", base="main", title="t", body="b").number
        comments = f"{github.url}/repos/acme/routes/issues/{number}/comments"
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {TOKEN}"
            for index in range(250):  # three pages of 100
                session.post(comments, json={"body": f"comment {index}"}).raise_for_status()
        with pytest.raises(ApiError, match="GitHub's listing has more than 2 pages"):
            client.upsert_sticky_comment(number, "<!-- new -->", "text")


# --- Kubernetes -----------------------------------------------------------------------------


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[FakeKubeApi, str]]:
    objects = [cilium_config()]
    for index in range(12):
        objects += [node(f"w{index}", f"192.168.10.{index + 1}"), cilium_node(f"w{index}", [])]
    with FakeKubeApi(objects) as api:
        yield api, str(api.write_kubeconfig(tmp_path / "kubeconfig"))


def kube_source(kubeconfig: str, **bounds: Any) -> KubeSource:
    values = {"deadline": DEADLINE, "max_bytes": SMALL, "max_pages": 100, **bounds}
    return KubeSource(
        api_client(kubeconfig), page_size=5, progress=False, bounds=AnswerBounds(**values)
    )


@pytest.mark.parametrize("phase", sorted(DRIBBLES))
def test_kube_answer_dribbled_is_cut_at_the_deadline(
    cluster: tuple[FakeKubeApi, str], phase: str
) -> None:
    api, kubeconfig = cluster
    api.answer("nodes", DRIBBLES[phase](), on_page=2)
    with pytest.raises(ApiError) as raised:
        kube_source(kubeconfig).nodes()
    assert f"list nodes: no complete answer within {DEADLINE:g} s" in str(raised.value)


@pytest.mark.parametrize("case", sorted(TOO_LARGE))
def test_kube_answer_over_the_size_limit_is_refused(
    cluster: tuple[FakeKubeApi, str], case: str
) -> None:
    api, kubeconfig = cluster
    stream, message = TOO_LARGE[case]
    api.answer("nodes", stream())
    with pytest.raises(ApiError) as raised:
        kube_source(kubeconfig).nodes()
    assert f"list nodes: the answer {message}" in str(raised.value)


@pytest.mark.parametrize("status", [200, 500])
def test_kube_answer_nested_too_deep_is_a_one_line_error(
    cluster: tuple[FakeKubeApi, str], status: int
) -> None:
    api, kubeconfig = cluster
    api.answer("nodes", DEEP, status=status)
    with pytest.raises(ApiError) as raised:
        kube_source(kubeconfig).nodes()
    assert str(raised.value).startswith("list nodes: ")
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 600


def test_kube_list_stops_at_the_page_limit(cluster: tuple[FakeKubeApi, str]) -> None:
    _, kubeconfig = cluster
    with pytest.raises(ApiError, match="list nodes: more than 2 pages"):
        kube_source(kubeconfig, max_pages=2).nodes()
    assert len(kube_source(kubeconfig, max_pages=3).nodes()) == 12


def test_kube_lease_answer_nested_too_deep_is_a_one_line_error(
    cluster: tuple[FakeKubeApi, str],
) -> None:
    api, kubeconfig = cluster
    api.answer("leases", DEEP)
    lock = lease_lock(api_client(kubeconfig), "route-reconciler", "c")
    lease = r"Lease route-reconciler/route-reconciler-c at http://127\.0\.0\.1:\d+: "
    with pytest.raises(ApiError, match=lease), lock:
        pass


def test_kube_defaults_hold_a_page_of_500_large_nodes() -> None:
    """The default fits 500 Nodes of 40 KB each (50 images, managed fields) with room."""
    image = f"registry.example.com/team/image@sha256:{'a' * 64}"
    heavy = node("w1", "192.168.10.11")
    heavy["status"] = {"images": [{"names": [image], "sizeBytes": 1}] * 50, "notes": "x" * 30_000}
    page = json.dumps({"kind": "NodeList", "items": [heavy] * 500})
    assert 2 * len(page) < KUBE_BOUNDS.max_bytes
    assert json_depth(page.encode()) < MAX_JSON_DEPTH


# --- the JSON depth check itself ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("[]", 1),
        ('{"a": "]]]]]]]]", "b": [[[[]]]]}', 5),
        ('["\\\\"]', 1),
        ('["\\"[[["]', 1),
        ('"[[[["', 0),
        ("[" * 5 + "]" * 5, 5),
    ],
)
def test_json_depth_counts_brackets_outside_strings_only(text: str, depth: int) -> None:
    assert json_depth(text.encode()) == depth


def test_parse_json_refuses_over_deep_input_before_decoding_it() -> None:
    fooling = b'{"a": "' + b"]" * 200 + b'", "b": ' + DEEP + b"}"
    for body in (DEEP, DEEP[:100_000], fooling):
        with pytest.raises(ValueError, match="nests deeper than"):
            parse_json(body)
    assert parse_json(deep_json(MAX_JSON_DEPTH)) is not None
