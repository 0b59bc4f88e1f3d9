"""The Avi stand-in speaks the controller's dialect and enforces its rules, over real HTTP."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from avi.sdk.avi_api import ApiSession
from helpers import as_started_from_a_terminal

from reconciler.sim.avi import AviSim, static_route

API_VERSION = "22.1.3"
LABEL = [{"key": "clustername", "value": "prod-a"}]


@pytest.fixture
def sim() -> Iterator[AviSim]:
    with AviSim() as running:
        yield running


def login(sim: AviSim, *, form: bool = False) -> requests.Session:
    """A raw requests session carrying the cookies and headers a controller wants."""
    session = requests.Session()
    credentials = {"username": "admin", "password": "admin"}
    if form:
        response = session.post(f"{sim.url}/login", data=credentials)
    else:
        response = session.post(f"{sim.url}/login", json=credentials)
    assert response.status_code == 200, response.text
    session.headers.update(
        {
            "X-Avi-Version": API_VERSION,
            "X-CSRFToken": session.cookies["csrftoken"],
            "Referer": sim.url,
        }
    )
    return session


def vrf_url(sim: AviSim, uuid: str) -> str:
    return f"{sim.url}/api/vrfcontext/{uuid}"


def global_vrf(sim: AviSim) -> dict[str, Any]:
    return sim.vrf("global")


def route(index: int, **overrides: Any) -> dict[str, Any]:
    return {
        **static_route(f"r-{index}", f"10.0.{index}.0/24", "192.168.10.11", labels=LABEL),
        **overrides,
    }


# session, headers, tenancy


@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
def test_login_sets_csrf_and_both_session_cookies(sim: AviSim, form: bool) -> None:
    session = login(sim, form=form)
    cookies = session.cookies.get_dict()
    assert {"csrftoken", "avi-sessionid", "sessionid"} <= cookies.keys()
    assert cookies["avi-sessionid"] == cookies["sessionid"]
    response = session.get(f"{sim.url}/api/vrfcontext")
    assert response.status_code == 200


def test_login_answers_version_and_never_echoes_the_password() -> None:
    with AviSim(password="Not-In-Output-9") as sim:
        response = requests.post(
            f"{sim.url}/login", json={"username": "admin", "password": "Not-In-Output-9"}
        )
        assert response.json()["version"]["Version"] == API_VERSION
        assert "Not-In-Output-9" not in response.text
        wrong = requests.post(f"{sim.url}/login", json={"username": "admin", "password": "x"})
        assert wrong.status_code == 401
        assert "csrftoken" not in wrong.cookies


def test_api_without_session_is_401(sim: AviSim) -> None:
    response = requests.get(f"{sim.url}/api/vrfcontext", headers={"X-Avi-Version": API_VERSION})
    assert response.status_code == 401
    assert response.json() == {"error": "Authentication credentials were not provided."}


def test_version_header_is_required_unless_disabled(sim: AviSim) -> None:
    session = login(sim)
    del session.headers["X-Avi-Version"]
    assert session.get(f"{sim.url}/api/vrfcontext").status_code == 400
    with AviSim(require_version=False) as lenient:
        relaxed = login(lenient)
        del relaxed.headers["X-Avi-Version"]
        assert relaxed.get(f"{lenient.url}/api/vrfcontext").status_code == 200


@pytest.mark.parametrize("header", ["X-CSRFToken", "Referer"])
def test_writes_need_csrf_token_and_referer(sim: AviSim, header: str) -> None:
    session = login(sim)
    vrf = global_vrf(sim)
    del session.headers[header]
    assert session.get(vrf_url(sim, vrf["uuid"])).status_code == 200
    response = session.put(vrf_url(sim, vrf["uuid"]), json=vrf)
    assert response.status_code == 403
    assert response.json()["error"].startswith("CSRF Failed")


def test_csrf_token_of_another_session_is_refused(sim: AviSim) -> None:
    session, other = login(sim), login(sim)
    vrf = global_vrf(sim)
    session.headers["X-CSRFToken"] = other.cookies["csrftoken"]
    assert session.put(vrf_url(sim, vrf["uuid"]), json=vrf).status_code == 403


def test_renewed_csrf_cookie_replaces_the_old_token(sim: AviSim) -> None:
    session = login(sim)
    vrf = global_vrf(sim)
    old_token = session.cookies["csrftoken"]
    sim.rotate_csrf_tokens()
    assert session.get(vrf_url(sim, vrf["uuid"])).status_code == 200
    assert session.cookies["csrftoken"] != old_token
    assert session.put(vrf_url(sim, vrf["uuid"]), json=vrf).status_code == 403
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    assert session.put(vrf_url(sim, vrf["uuid"]), json=vrf).status_code == 200


def test_tenants_scope_visibility_and_writes(sim: AviSim) -> None:
    sim.add_tenant("team-a")
    sim.add_vrf("team-vrf", tenant="team-a")
    session = login(sim)
    names = {v["name"] for v in session.get(f"{sim.url}/api/vrfcontext").json()["results"]}
    assert "team-vrf" not in names
    session.headers["X-Avi-Tenant"] = "team-a"
    listed = session.get(f"{sim.url}/api/vrfcontext", params={"name": "global"}).json()
    assert listed["count"] == 1, "admin-tenant VRFs are visible from other tenants"
    vrf = global_vrf(sim)
    refused = session.put(vrf_url(sim, vrf["uuid"]), json=vrf)
    assert refused.status_code == 400
    assert refused.json()["error"] == "Cannot modify VrfContext"
    session.headers["X-Avi-Tenant"] = "nobody"
    assert session.get(f"{sim.url}/api/vrfcontext").status_code == 400


def test_lower_case_method_is_refused(sim: AviSim) -> None:
    session = login(sim)
    vrf = global_vrf(sim)
    connection = http.client.HTTPConnection("127.0.0.1", urlsplit(sim.url).port)
    headers = {
        **session.headers,
        "Cookie": "; ".join(f"{k}={v}" for k, v in session.cookies.items()),
    }
    body = json.dumps({"add": {"static_routes": [route(1)]}})
    connection.request("patch", f"/api/vrfcontext/{vrf['uuid']}", body=body, headers=headers)
    answer = connection.getresponse()
    assert answer.status == 400
    assert "upper-case" in json.loads(answer.read())["error"]
    connection.close()
    assert global_vrf(sim)["static_routes"] == []


# collections


def test_every_cloud_has_its_own_system_default_vrfs(sim: AviSim) -> None:
    sim.add_cloud("Cloud-B")
    session = login(sim)
    both = session.get(f"{sim.url}/api/vrfcontext", params={"name": "global"}).json()
    assert both["count"] == 2
    one = session.get(
        f"{sim.url}/api/vrfcontext",
        params={"name": "global", "cloud_ref.name": "Cloud-B", "include_name": "true"},
    ).json()
    assert one["count"] == 1
    found = one["results"][0]
    assert found["system_default"] is True
    assert found["cloud_ref"].startswith(f"{sim.url}/api/cloud/cloud-")
    assert found["cloud_ref"].endswith("#Cloud-B")
    assert found["tenant_ref"] == f"{sim.url}/api/tenant/admin#admin"
    plain = session.get(vrf_url(sim, found["uuid"])).json()
    assert "#" not in plain["cloud_ref"]
    assert plain == sim.vrf("global", "Cloud-B")
    names = {v["name"] for v in session.get(f"{sim.url}/api/vrfcontext").json()["results"]}
    assert names == {"global", "management"}


def test_paging_envelope_and_absolute_next_links(sim: AviSim) -> None:
    for index in range(250):
        sim.add_vrf(f"vrf-{index:03d}")
    session = login(sim)
    first = session.get(f"{sim.url}/api/vrfcontext", params={"page_size": 200}).json()
    assert first["count"] == 252
    assert len(first["results"]) == 200
    assert first["next"].startswith(f"{sim.url}/api/vrfcontext?")
    second = session.get(first["next"]).json()
    assert len(second["results"]) == 52
    assert "next" not in second
    uuids = {v["uuid"] for v in first["results"] + second["results"]}
    assert len(uuids) == 252


@pytest.mark.parametrize("page_size", ["0", "201", "many"])
def test_page_size_outside_1_to_200_is_refused(sim: AviSim, page_size: str) -> None:
    session = login(sim)
    response = session.get(f"{sim.url}/api/vrfcontext", params={"page_size": page_size})
    assert response.status_code == 400
    assert "page_size" in response.json()["error"]


def test_other_collections(sim: AviSim) -> None:
    sim.add_cloud("Cloud-B")
    sim.add_se_group("Default-Group", "Cloud-B", labels=LABEL)
    session = login(sim)
    groups = session.get(
        f"{sim.url}/api/serviceenginegroup",
        params={"name": "Default-Group", "cloud_ref.name": "Cloud-B"},
    ).json()
    assert [g["labels"] for g in groups["results"]] == [LABEL]
    clouds = session.get(f"{sim.url}/api/cloud").json()["results"]
    assert {c["name"] for c in clouds} == {"Default-Cloud", "Cloud-B"}
    tenants = session.get(f"{sim.url}/api/tenant").json()["results"]
    assert [t["uuid"] for t in tenants] == ["admin"]


def test_unknown_uuid_is_404(sim: AviSim) -> None:
    session = login(sim)
    response = session.get(vrf_url(sim, "vrfcontext-missing"))
    assert response.status_code == 404
    assert "not found" in response.json()["error"]


# PUT


def test_put_round_trips_unknown_fields_and_bumps_last_modified(sim: AviSim) -> None:
    session = login(sim)
    vrf = session.get(vrf_url(sim, global_vrf(sim)["uuid"]), params={"include_name": "true"}).json()
    body = {**vrf, "static_routes": [route(1)], "future_field": {"nested": [1]}, "uuid": "x"}
    stored = session.put(vrf_url(sim, vrf["uuid"]), json=body).json()
    assert stored["future_field"] == {"nested": [1]}
    assert stored["uuid"] == vrf["uuid"]
    assert stored["url"] == vrf["url"]
    assert stored["static_routes"] == [route(1)]
    assert int(stored["_last_modified"]) > int(vrf["_last_modified"])
    assert isinstance(stored["_last_modified"], str)
    del stored["_last_modified"]
    again = session.put(vrf_url(sim, vrf["uuid"]), json=stored).json()
    assert int(again["_last_modified"]) > int(vrf["_last_modified"])


def test_put_with_stale_last_modified_is_412_and_changes_nothing(sim: AviSim) -> None:
    session = login(sim)
    read = global_vrf(sim)
    sim.set_routes(read["uuid"], [route(1)])
    after_foreign_write = global_vrf(sim)
    assert after_foreign_write["_last_modified"] > read["_last_modified"]
    response = session.put(vrf_url(sim, read["uuid"]), json={**read, "static_routes": []})
    assert response.status_code == 412
    assert response.json() == {"error": "Need to reload object data VrfContext"}
    assert global_vrf(sim) == after_foreign_write


def test_last_modified_increases_strictly_under_rapid_writes(sim: AviSim) -> None:
    uuid = global_vrf(sim)["uuid"]
    stamps = []
    for index in range(50):
        sim.set_routes(uuid, [route(index)])
        stamps.append(int(global_vrf(sim)["_last_modified"]))
    assert stamps == sorted(set(stamps))


# PATCH


def test_patch_add_replace_delete(sim: AviSim) -> None:
    session = login(sim)
    vrf = global_vrf(sim)
    url = vrf_url(sim, vrf["uuid"])
    added = session.patch(url, json={"add": {"static_routes": [route(1), route(2)]}}).json()
    assert [r["route_id"] for r in added["static_routes"]] == ["r-1", "r-2"]
    added = session.patch(url, json={"add": {"static_routes": [route(3)]}}).json()
    assert [r["route_id"] for r in added["static_routes"]] == ["r-1", "r-2", "r-3"]
    deleted = session.patch(url, json={"delete": {"static_routes": [route(2)]}}).json()
    assert [r["route_id"] for r in deleted["static_routes"]] == ["r-1", "r-3"]
    replaced = session.patch(url, json={"replace": {"static_routes": [route(9)]}}).json()
    assert [r["route_id"] for r in replaced["static_routes"]] == ["r-9"]
    described = session.patch(url, json={"replace": {"description": "pods"}}).json()
    assert described["description"] == "pods"


def test_patch_delete_matches_whole_entries_and_ignores_absent_ones(sim: AviSim) -> None:
    session = login(sim)
    vrf = global_vrf(sim)
    unlabelled = static_route("r-2", "10.0.2.0/24", "192.168.10.11")
    sim.set_routes(vrf["uuid"], [route(1), unlabelled])
    url = vrf_url(sim, vrf["uuid"])
    relabelled = route(1, labels=[{"key": "clustername", "value": "other"}])
    kept = session.patch(url, json={"delete": {"static_routes": [relabelled, route(7)]}})
    assert kept.status_code == 200
    assert len(kept.json()["static_routes"]) == 2
    empty_labels = {**unlabelled, "labels": []}
    gone = session.patch(url, json={"delete": {"static_routes": [empty_labels]}}).json()
    assert [r["route_id"] for r in gone["static_routes"]] == ["r-1"]


def test_patch_ignores_last_modified_but_bumps_it(sim: AviSim) -> None:
    session = login(sim)
    vrf = global_vrf(sim)
    stale = {"add": {"static_routes": [route(1)]}, "_last_modified": "1"}
    response = session.patch(vrf_url(sim, vrf["uuid"]), json=stale)
    assert response.status_code == 200
    assert response.json()["_last_modified"] > vrf["_last_modified"]


@pytest.mark.parametrize(
    "body",
    [{"json_patch": []}, {"add": {"static_routes": []}, "delete": {}}, {"add": []}],
    ids=["json_patch", "two-operations", "not-an-object"],
)
def test_malformed_patch_bodies_are_refused(sim: AviSim, body: dict[str, Any]) -> None:
    session = login(sim)
    response = session.patch(vrf_url(sim, global_vrf(sim)["uuid"]), json=body)
    assert response.status_code == 400


# validation


def _without(key: str) -> dict[str, Any]:
    return {k: v for k, v in route(5).items() if k != key}


INVALID_ROUTES = {
    "no-route-id": (_without("route_id"), "route_id: This field is required."),
    "no-prefix": (_without("prefix"), "prefix: This field is required."),
    "no-next-hop": (_without("next_hop"), "next_hop: This field is required."),
    "v4-type-with-v6-address": (
        route(5, prefix={"ip_addr": {"addr": "fd00::", "type": "V4"}, "mask": 64}),
        "does not match type V4",
    ),
    "bad-address": (
        route(5, next_hop={"addr": "10.0.0", "type": "V4"}),
        "is not a valid IP address",
    ),
    "v4-mask-33": (static_route("r-5", "10.0.5.0/33", "192.168.10.11"), "mask"),
    "v6-mask-129": (static_route("r-5", "fd00::/129", "fd00::1"), "mask"),
    "two-labels": (
        route(5, labels=[*LABEL, {"key": "owner", "value": "x"}]),
        "Maximum of 1 items allowed",
    ),
    "label-without-key": (route(5, labels=[{"value": "x"}]), "labels.key"),
}


@pytest.mark.parametrize(("bad_route", "message"), INVALID_ROUTES.values(), ids=INVALID_ROUTES)
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_invalid_routes_are_refused_and_change_nothing(
    sim: AviSim, bad_route: dict[str, Any], message: str, method: str
) -> None:
    session = login(sim)
    vrf = global_vrf(sim)
    sim.set_routes(vrf["uuid"], [route(1)])
    before = global_vrf(sim)
    if method == "PUT":
        body = {**before, "static_routes": [route(1), bad_route]}
    else:
        body = {"add": {"static_routes": [bad_route]}}
    response = session.request(method, vrf_url(sim, vrf["uuid"]), json=body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert global_vrf(sim) == before


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_duplicate_route_id_is_refused(sim: AviSim, method: str) -> None:
    session = login(sim)
    vrf = global_vrf(sim)
    sim.set_routes(vrf["uuid"], [route(1)])
    duplicate = route(2, route_id="r-1")
    if method == "PUT":
        body: dict[str, Any] = {**global_vrf(sim), "static_routes": [route(1), duplicate]}
    else:
        body = {"add": {"static_routes": [duplicate]}}
    response = session.request(method, vrf_url(sim, vrf["uuid"]), json=body)
    assert response.status_code == 400
    assert response.json() == {"error": "Unique constraints route_id has duplicated value"}
    assert global_vrf(sim)["static_routes"] == [route(1)]


def test_seeding_helpers_refuse_what_a_controller_refuses(sim: AviSim) -> None:
    with pytest.raises(ValueError, match="Maximum of 1 items allowed"):
        sim.add_vrf("bad", static_routes=[route(1, labels=[*LABEL, *LABEL])])
    with pytest.raises(ValueError, match="duplicated"):
        sim.set_routes(global_vrf(sim)["uuid"], [route(1), route(1)])
    with pytest.raises(ValueError, match="already exists"):
        sim.add_vrf("global")
    assert global_vrf(sim)["static_routes"] == []


# faults and the request log


def test_injected_status_matches_method_and_path_and_count(sim: AviSim) -> None:
    session = login(sim)
    uuid = global_vrf(sim)["uuid"]
    sim.inject(503, method="GET", path_contains="/api/cloud", count=2)
    sim.inject(502, method="PUT", body="<html><body>Bad Gateway</body></html>")
    assert session.get(vrf_url(sim, uuid)).status_code == 200
    assert [session.get(f"{sim.url}/api/cloud").status_code for _ in range(3)] == [503, 503, 200]
    gateway = session.put(vrf_url(sim, uuid), json=global_vrf(sim))
    assert gateway.status_code == 502
    assert gateway.headers["Content-Type"] == "text/html"
    assert session.put(vrf_url(sim, uuid), json=global_vrf(sim)).status_code == 200


def test_delay_holds_the_answer(sim: AviSim) -> None:
    session = login(sim)
    sim.delay(0.3, method="GET")
    with pytest.raises(requests.Timeout):
        session.get(f"{sim.url}/api/cloud", timeout=0.05)
    assert session.get(f"{sim.url}/api/cloud", timeout=1).status_code == 200


@pytest.mark.parametrize("after_write", [False, True])
def test_dropped_connection_with_or_without_the_write(sim: AviSim, after_write: bool) -> None:
    session = login(sim)
    vrf = global_vrf(sim)
    sim.drop_connections(method="PUT", after_write=after_write)
    with pytest.raises(requests.ConnectionError):
        session.put(vrf_url(sim, vrf["uuid"]), json={**vrf, "static_routes": [route(1)]})
    assert (global_vrf(sim)["static_routes"] == [route(1)]) is after_write
    assert sim.requests[-1].status == 0


def raw_request(sim: AviSim, data: bytes) -> bytes:
    """Write ``data`` on a fresh connection, hang up our side, and read until the stand-in hangs
    up: by then it has done all it will with the bytes."""
    address = urlsplit(sim.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as raw:
        raw.sendall(data)
        raw.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
        return answer


CUT_SHORT = {
    "header block": b"GET /api/cloud HTTP/1.1\r\nHost: avi\r\nX-Avi-Version: 22.1.3\r\n",
    "body": b'PUT /api/vrfcontext/x HTTP/1.1\r\nHost: avi\r\nContent-Length: 100\r\n\r\n{"a',
}


@pytest.mark.parametrize("where", sorted(CUT_SHORT))
def test_a_request_cut_short_by_a_hang_up_is_not_handled(sim: AviSim, where: str) -> None:
    """A server acts on no part of a request: a client whose deadline cut it never reached it."""
    assert raw_request(sim, CUT_SHORT[where]) == b""
    assert (sim.requests, sim.requests_received) == ([], 0)
    whole = raw_request(sim, b"GET /api/cloud HTTP/1.1\r\nHost: avi\r\n\r\n")
    assert whole.startswith(b"HTTP/1.1 401 ")
    assert (len(sim.requests), sim.requests_received) == (1, 1)


def test_a_write_its_client_gave_up_on_is_handled_and_waited_for(sim: AviSim) -> None:
    session = login(sim)
    vrf = global_vrf(sim)
    received = sim.requests_received
    hold = sim.hold(method="PUT")
    with pytest.raises(requests.Timeout):
        body = {**vrf, "static_routes": [route(1)]}
        session.put(vrf_url(sim, vrf["uuid"]), json=body, timeout=(10, 0.01))
    session.close()  # the client is gone; its request came in whole
    hold.wait_until_arrived()
    still = f"{received + 1} of {received + 1} request(s) came in within 0.01 s, 1 of them still"
    with pytest.raises(TimeoutError, match=re.escape(still)):
        sim.wait_until_handled(received + 1, timeout=0.01)  # held: not handled however long
    assert global_vrf(sim)["static_routes"] == []
    hold.release()
    assert sim.wait_until_handled(received + 1, timeout=10) == received + 1
    assert global_vrf(sim)["static_routes"] == [route(1)]
    assert sim.requests[-1].status == 200


def test_412_storm_hits_writes_only(sim: AviSim) -> None:
    session = login(sim)
    sim.storm_412(2)
    url = vrf_url(sim, global_vrf(sim)["uuid"])
    assert session.get(url).status_code == 200
    assert session.put(url, json=global_vrf(sim)).status_code == 412
    assert session.patch(url, json={"add": {"static_routes": [route(1)]}}).status_code == 412
    assert session.put(url, json=global_vrf(sim)).status_code == 200


@pytest.mark.parametrize("status", [401, 419])
def test_expired_sessions_answer_the_chosen_status_until_login(sim: AviSim, status: int) -> None:
    session = login(sim)
    sim.expire_sessions(status)
    assert session.get(f"{sim.url}/api/cloud").status_code == status
    assert login(sim).get(f"{sim.url}/api/cloud").status_code == 200


def test_idle_sessions_expire_with_419() -> None:
    with AviSim(session_ttl=0.3) as sim:
        session = login(sim)
        assert session.get(f"{sim.url}/api/cloud").status_code == 200
        time.sleep(0.4)
        assert session.get(f"{sim.url}/api/cloud").status_code == 419


def test_request_log_records_calls_without_secrets(sim: AviSim) -> None:
    session = login(sim)
    url = vrf_url(sim, global_vrf(sim)["uuid"])
    session.get(f"{sim.url}/api/vrfcontext", params={"name": "global"})
    session.patch(url, json={"add": {"static_routes": [route(1)]}})
    session.patch(url, json={"add": {"static_routes": [route(1)]}})
    login_record, listing, first_patch, second_patch = sim.requests
    assert (login_record.method, login_record.path, login_record.status) == ("POST", "/login", 200)
    assert listing.query == {"name": "global"}
    assert listing.headers["X-Avi-Version"] == API_VERSION
    assert first_patch.body_length > 0
    assert first_patch.response_length > 0
    assert second_patch.status == 400
    assert sim.writes == [first_patch]
    logged = repr(sim.requests)
    assert not any(token in logged for token in sim.issued_tokens)
    sim.clear_requests()
    assert sim.requests == []


# other clients and ways of running


def test_vendor_sdk_speaks_to_the_stand_in(sim: AviSim) -> None:
    """avisdk logs in with a form body, sends duplicated cookies and pages with page=N."""
    sim.add_cloud("Cloud-B")
    ApiSession.clear_cached_sessions()
    port = urlsplit(sim.url).port
    api = ApiSession(
        "http://127.0.0.1", "admin", "admin", port=port, api_version=API_VERSION, verify=True
    )
    try:
        vrf = api.get_object_by_name("vrfcontext", "global", params={"cloud_ref.name": "Cloud-B"})
        assert vrf["uuid"] == sim.vrf("global", "Cloud-B")["uuid"]
        vrf["static_routes"] = [route(1)]
        assert api.put(f"vrfcontext/{vrf['uuid']}", data=vrf).status_code == 200
        assert sim.vrf("global", "Cloud-B")["static_routes"] == [route(1)]
        sim.expire_sessions(419)
        assert api.get_object_by_name("vrfcontext", "management")["name"] == "management"
    finally:
        ApiSession.clear_cached_sessions()
    assert sim.requests[0].headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_standalone_serves_a_seed_until_interrupted(tmp_path: Path) -> None:
    seed = {
        "clouds": ["Cloud-B"],
        "vrfs": [{"name": "global", "cloud": "Cloud-B", "static_routes": [route(1)]}],
        "se_groups": [{"name": "Default-Group", "labels": LABEL}],
    }
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(seed))
    code = (
        "import sys; from reconciler.sim.avi import run_standalone; "
        "run_standalone(0, username='ops', password='Hidden-Pw-1', seed_file=sys.argv[1])"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(seed_file)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        preexec_fn=as_started_from_a_terminal,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        match = re.search(r"http://\S+", banner)
        assert match is not None, banner
        url = match.group()
        session = requests.Session()
        session.post(f"{url}/login", json={"username": "ops", "password": "Hidden-Pw-1"})
        listed = session.get(
            f"{url}/api/vrfcontext",
            params={"name": "global", "cloud_ref.name": "Cloud-B"},
            headers={"X-Avi-Version": API_VERSION},
        ).json()
        assert listed["results"][0]["static_routes"] == [route(1)]
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=5)
    assert process.returncode == 0
    assert "Hidden-Pw-1" not in banner + output
