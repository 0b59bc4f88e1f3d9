"""The production Avi client against the stand-in: sessions, retries, conflicts, clear errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import avi_settings, self_signed_certificate

from reconciler.avi.client import AviClient, AviSettings, VrfConflict
from reconciler.errors import ApiError, InputError, ReconcilerError
from reconciler.sim.avi import AviSim, static_route

PASSWORD = "Pw-That-Must-Not-Leak-42"
LABEL = [{"key": "clustername", "value": "prod-a"}]


def route(index: int) -> dict[str, Any]:
    return static_route(f"r-{index}", f"10.0.{index}.0/24", "192.168.10.11", labels=LABEL)


@pytest.fixture
def sim() -> Iterator[AviSim]:
    with AviSim(password=PASSWORD) as running:
        yield running


def settings_for(sim: AviSim, **overrides: Any) -> AviSettings:
    return avi_settings(sim, **{"password": PASSWORD, **overrides})


@pytest.fixture
def client(sim: AviSim) -> Iterator[AviClient]:
    with AviClient(settings_for(sim)) as connected:
        yield connected


def calls(sim: AviSim, method: str, path_start: str = "/api/") -> int:
    return sum(1 for r in sim.requests if r.method == method and r.path.startswith(path_start))


# session


def test_logs_in_lazily_and_sends_the_controller_headers(sim: AviSim) -> None:
    client = AviClient(settings_for(sim, tenant="admin", api_version="30.2.1"))
    assert sim.requests == []
    uuid = client.find_vrf("global", "Default-Cloud")["uuid"]
    client.put_vrf(uuid, {**client.get_vrf(uuid), "static_routes": [route(1)]})
    login, *api_calls = sim.requests
    assert (login.method, login.path, login.status) == ("POST", "/login", 200)
    for record in api_calls:
        assert record.status == 200
        assert record.headers == {
            "X-Avi-Version": "30.2.1",
            "X-Avi-Tenant": "admin",
            "Content-Type": "application/json",
            "Referer": sim.url,
        }
    client.close()
    assert sim.requests[-1].path == "/logout"


def test_wrong_password_is_a_clear_login_error(sim: AviSim) -> None:
    client = AviClient(settings_for(sim, password="wrong-one"))
    with pytest.raises(
        ApiError, match=r"login to .* as 'admin' failed: HTTP 401: Invalid credentials"
    ):
        client.get_vrf("vrfcontext-x")


@pytest.mark.parametrize("status", [401, 419])
def test_logs_in_again_once_when_the_session_expires(
    sim: AviSim, client: AviClient, status: int
) -> None:
    vrf = client.find_vrf("global", "Default-Cloud")
    sim.expire_sessions(status)
    assert client.get_vrf(vrf["uuid"])["uuid"] == vrf["uuid"]
    sim.expire_sessions(status)
    written = client.put_vrf(vrf["uuid"], {**vrf, "static_routes": [route(1)]})
    assert written["static_routes"] == [route(1)]
    assert calls(sim, "POST", "/login") == 3
    assert [r.status for r in sim.requests if r.method == "PUT"] == [status, 200]


def test_gives_up_when_a_fresh_session_is_rejected_too(sim: AviSim, client: AviClient) -> None:
    uuid = client.find_vrf("global", "Default-Cloud")["uuid"]
    sim.inject(401, method="GET", path_contains="/api/", count=2)
    with pytest.raises(ApiError, match="rejected again after a fresh login"):
        client.get_vrf(uuid)
    assert calls(sim, "POST", "/login") == 2


def test_renewed_csrf_cookie_is_used_for_the_next_write(sim: AviSim, client: AviClient) -> None:
    vrf = client.find_vrf("global", "Default-Cloud")
    sim.rotate_csrf_tokens()
    fresh = client.get_vrf(vrf["uuid"])
    client.patch_vrf(vrf["uuid"], "add", [route(1)])
    assert sim.vrf(fresh["uuid"])["static_routes"] == [route(1)]
    assert calls(sim, "POST", "/login") == 1


# writes


def test_stale_put_raises_vrf_conflict(sim: AviSim, client: AviClient) -> None:
    read = client.get_vrf(client.find_vrf("global", "Default-Cloud")["uuid"])
    sim.set_routes(read["uuid"], [route(9)])
    with pytest.raises(VrfConflict, match="Need to reload object data VrfContext") as raised:
        client.put_vrf(read["uuid"], {**read, "static_routes": [route(1)]})
    assert isinstance(raised.value, ApiError)
    assert raised.value.exit_code == 1
    assert sim.vrf(read["uuid"])["static_routes"] == [route(9)]


def test_put_returns_the_stored_object_with_a_new_last_modified(client: AviClient) -> None:
    read = client.get_vrf(client.find_vrf("global", "Default-Cloud")["uuid"])
    written = client.put_vrf(read["uuid"], {**read, "static_routes": [route(1)]})
    assert int(written["_last_modified"]) > int(read["_last_modified"])
    assert written["static_routes"] == [route(1)]


def test_patch_adds_and_deletes_routes(sim: AviSim, client: AviClient) -> None:
    uuid = client.find_vrf("global", "Default-Cloud")["uuid"]
    client.patch_vrf(uuid, "add", [route(1), route(2)])
    after = client.patch_vrf(uuid, "delete", [route(1)])
    assert after["static_routes"] == [route(2)]
    sim.storm_412(1)
    with pytest.raises(VrfConflict):
        client.patch_vrf(uuid, "replace", [])
    with pytest.raises(ValueError, match="PATCH operation"):
        client.patch_vrf(uuid, "remove", [route(2)])


def test_an_unread_patch_answer_is_checked_not_decoded(sim: AviSim, client: AviClient) -> None:
    uuid = client.find_vrf("global", "Default-Cloud")["uuid"]
    assert client.patch_vrf(uuid, "add", [route(1), route(2)], unread=True) == {}
    assert client.get_vrf(uuid)["static_routes"] == [route(1), route(2)]
    sim.inject(200, method="PATCH", body="[]")
    with pytest.raises(ApiError, match=r"PATCH VRF .*expected a JSON object, got list"):
        client.patch_vrf(uuid, "delete", [route(1)], unread=True)
    sim.inject(200, method="PATCH", body="<html>Gateway says no</html>")
    with pytest.raises(ApiError, match=r"PATCH /api/vrfcontext/.*not JSON.*Gateway says no"):
        client.patch_vrf(uuid, "delete", [route(1)], unread=True)


def test_controller_validation_error_is_quoted(client: AviClient) -> None:
    uuid = client.find_vrf("global", "Default-Cloud")["uuid"]
    with pytest.raises(ApiError, match="HTTP 400: Unique constraints route_id has duplicated"):
        client.patch_vrf(uuid, "add", [route(1), route(1)])


@pytest.mark.parametrize(
    "fault",
    ["status-500", "drop-before-write", "drop-after-write"],
)
def test_failed_write_is_not_retried_and_says_the_outcome_is_unknown(
    sim: AviSim, client: AviClient, fault: str
) -> None:
    read = client.find_vrf("global", "Default-Cloud")
    if fault == "status-500":
        sim.inject(500, method="PUT")
    else:
        sim.drop_connections(method="PUT", after_write=fault == "drop-after-write")
    with pytest.raises(ApiError, match="write outcome is unknown; re-read the VRF"):
        client.put_vrf(read["uuid"], {**read, "static_routes": [route(1)]})
    assert calls(sim, "PUT") == 1
    written = sim.vrf(read["uuid"])["static_routes"] == [route(1)]
    assert written is (fault == "drop-after-write")


# reads


@pytest.mark.parametrize("status", [500, 502, 503])
def test_reads_are_retried_on_server_errors(sim: AviSim, client: AviClient, status: int) -> None:
    uuid = client.find_vrf("global", "Default-Cloud")["uuid"]
    sim.inject(status, method="GET", count=2)
    assert client.get_vrf(uuid)["uuid"] == uuid
    assert [r.status for r in sim.requests if r.method == "GET"][-3:] == [status, status, 200]


def test_reads_are_retried_after_dropped_connections_and_timeouts(
    sim: AviSim, client: AviClient
) -> None:
    uuid = client.find_vrf("global", "Default-Cloud")["uuid"]
    sim.drop_connections(method="GET", count=2)
    assert client.get_vrf(uuid)["uuid"] == uuid
    slow = AviClient(settings_for(sim, timeout=0.1))
    slow.get_vrf(uuid)
    sim.delay(0.3, method="GET")
    assert slow.get_vrf(uuid)["uuid"] == uuid


def test_reads_give_up_after_read_retries(sim: AviSim, client: AviClient) -> None:
    uuid = client.find_vrf("global", "Default-Cloud")["uuid"]
    sim.inject(503, method="GET", count=4)
    with pytest.raises(ApiError, match=r"GET /api/vrfcontext/.* failed: HTTP 503"):
        client.get_vrf(uuid)
    assert calls(sim, "GET", f"/api/vrfcontext/{uuid}") == 4


def test_forbidden_is_a_permission_error_never_not_found(sim: AviSim, client: AviClient) -> None:
    client.find_vrf("global", "Default-Cloud")
    upgrade = '{"error": "Configuration is disallowed during upgrade"}'
    sim.inject(403, method="GET", body=upgrade)
    with pytest.raises(ApiError, match=r"permission denied.*disallowed during upgrade") as raised:
        client.find_vrf("global", "Default-Cloud")
    assert not isinstance(raised.value, InputError)
    assert calls(sim, "GET") == 2


@pytest.mark.parametrize(("status", "method"), [(200, "GET"), (502, "GET"), (502, "PUT")])
def test_non_json_body_is_a_clear_error(
    sim: AviSim, client: AviClient, status: int, method: str
) -> None:
    read = client.find_vrf("global", "Default-Cloud")
    sim.inject(status, method=method, body="<html><h1>Gateway says no</h1></html>", count=4)
    with pytest.raises(ApiError, match=rf"{method} /api/vrfcontext/.*{status}.*Gateway says no"):
        if method == "GET":
            client.get_vrf(read["uuid"])
        else:
            client.put_vrf(read["uuid"], read)


# lookups and paging


def test_find_vrf_picks_the_one_in_the_named_cloud(sim: AviSim, client: AviClient) -> None:
    sim.add_cloud("Cloud-B")
    sim.add_vrf("pods", "Cloud-B")
    sim.add_vrf("pods", "Default-Cloud")
    for cloud in ("Default-Cloud", "Cloud-B"):
        assert client.find_vrf("global", cloud)["uuid"] == sim.vrf("global", cloud)["uuid"]
        assert client.find_vrf("pods", cloud)["uuid"] == sim.vrf("pods", cloud)["uuid"]
    with pytest.raises(InputError, match=r"VRF 'missing' in cloud 'Cloud-B'.*not found"):
        client.find_vrf("missing", "Cloud-B")


def test_find_vrf_refuses_an_ambiguous_name(sim: AviSim) -> None:
    sim.add_tenant("team-a")
    sim.add_vrf("shared")
    sim.add_vrf("shared", tenant="team-a")
    team_client = AviClient(settings_for(sim, tenant="team-a"))
    with pytest.raises(ApiError, match=r"VRF 'shared' in cloud 'Default-Cloud'.*ambiguous: 2"):
        team_client.find_vrf("shared", "Default-Cloud")


def test_find_se_group(sim: AviSim, client: AviClient) -> None:
    sim.add_se_group("Default-Group", labels=LABEL)
    assert client.find_se_group("Default-Group", "Default-Cloud")["labels"] == LABEL
    with pytest.raises(InputError, match="SE group 'other'"):
        client.find_se_group("other", "Default-Cloud")


def test_list_all_follows_next_links(sim: AviSim, client: AviClient) -> None:
    for index in range(250):
        sim.add_vrf(f"vrf-{index:03d}")
    found = client.list_all("/api/vrfcontext", {})
    assert len({v["uuid"] for v in found}) == 252
    pages = [r for r in sim.requests if r.path == "/api/vrfcontext"]
    assert [r.query.get("page") for r in pages] == [None, "2"]
    assert pages[0].query["page_size"] == "200"


def test_counters_measure_requests_and_bytes(client: AviClient) -> None:
    read = client.find_vrf("global", "Default-Cloud")
    before = client.bytes_sent
    client.put_vrf(read["uuid"], {**read, "static_routes": [route(n) for n in range(50)]})
    assert client.requests_made == 3
    assert client.bytes_sent - before > 50 * 100


# TLS


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def test_tls_is_verified_by_default(
    certificate: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    cert, key = certificate
    with AviSim(password=PASSWORD, tls_cert=cert, tls_key=key) as sim:
        assert sim.url.startswith("https://")
        with pytest.raises(ApiError, match=r"TLS with .* failed"):
            AviClient(settings_for(sim)).find_vrf("global", "Default-Cloud")
        trusted = AviClient(settings_for(sim, ca_bundle=cert))
        assert trusted.find_vrf("global", "Default-Cloud")["name"] == "global"
        with caplog.at_level(logging.WARNING, logger="reconciler"):
            for _ in range(2):
                unverified = AviClient(settings_for(sim, insecure=True))
                assert unverified.find_vrf("global", "Default-Cloud")["name"] == "global"
        warnings = [r for r in caplog.records if "verification is OFF" in r.getMessage()]
        assert len(warnings) == 1


# settings


def test_settings_from_env_read_the_password_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "password"
    secret_file.write_text(f"{PASSWORD}\n")
    environ = {"AVI_CONTROLLER": "https://avi.example.com", "AVI_USERNAME": "ops"}
    settings = AviSettings.from_env({**environ, "AVI_PASSWORD_FILE": str(secret_file)})
    assert settings.password == PASSWORD
    assert settings.tenant == "admin"
    assert PASSWORD not in repr(settings)
    flagged = AviSettings.from_env(
        {**environ, "AVI_PASSWORD": PASSWORD}, controller="https://other.example.com", tenant="t"
    )
    assert (flagged.controller, flagged.tenant) == ("https://other.example.com", "t")


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("AVI_CONTROLLER", "AVI_CONTROLLER"),
        ("AVI_USERNAME", "AVI_USERNAME"),
        ("AVI_PASSWORD", "AVI_PASSWORD or AVI_PASSWORD_FILE"),
    ],
)
def test_settings_from_env_name_the_missing_variable(missing: str, named: str) -> None:
    environ = {
        "AVI_CONTROLLER": "https://avi.example.com",
        "AVI_USERNAME": "ops",
        "AVI_PASSWORD": PASSWORD,
    }
    del environ[missing]
    with pytest.raises(InputError, match=named):
        AviSettings.from_env(environ)


def test_settings_refuse_an_unreadable_password_file(tmp_path: Path) -> None:
    environ = {"AVI_CONTROLLER": "https://avi.example.com", "AVI_USERNAME": "ops"}
    with pytest.raises(InputError, match=r"AVI_PASSWORD_FILE .*absent"):
        AviSettings.from_env({**environ, "AVI_PASSWORD_FILE": str(tmp_path / "absent")})


@pytest.mark.parametrize(
    ("controller", "message"),
    [
        (f"https://admin:{PASSWORD}@avi.example.com", "must not embed credentials"),
        ("ftp://avi.example.com", "must be https://"),
        ("avi.example.com", "must be https://"),
        ("https://avi.example.com/?tenant=x", "without query"),
    ],
)
def test_settings_refuse_bad_controller_urls(controller: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as raised:
        AviSettings(controller=controller, username="ops", password=PASSWORD)
    assert PASSWORD not in str(raised.value)


# secrets


def test_secrets_never_reach_errors_or_logs(sim: AviSim, caplog: pytest.LogCaptureFixture) -> None:
    """Drive every failure path with full debug logging, then look for the password and tokens."""
    errors: list[ReconcilerError] = []
    caplog.set_level(logging.DEBUG)
    client = AviClient(settings_for(sim))
    uuid = client.find_vrf("global", "Default-Cloud")["uuid"]
    faults: list[Callable[[], None]] = [
        lambda: sim.inject(400, method="PUT", body=f'{{"error": "bad password {PASSWORD}"}}'),
        lambda: sim.inject(403, method="GET"),
        lambda: sim.inject(500, method="PUT"),
        lambda: sim.inject(503, method="GET", count=4),
        lambda: sim.inject(200, method="GET", body="<html>not json</html>"),
        lambda: sim.drop_connections(method="PATCH"),
        lambda: sim.storm_412(1),
        lambda: sim.inject(401, count=2),
    ]
    for inject_fault in faults:
        inject_fault()
        try:
            client.get_vrf(uuid)
            client.put_vrf(uuid, client.get_vrf(uuid))
            client.patch_vrf(uuid, "add", [route(1)])
        except ApiError as exc:
            errors.append(exc)
    with pytest.raises(ApiError) as wrong_login:
        AviClient(settings_for(sim, password=PASSWORD + "-wrong")).get_vrf(uuid)
    errors.append(wrong_login.value)
    client.close()
    assert len(errors) == len(faults) + 1
    texts = [str(error) for error in errors] + [caplog.text]
    secrets = [PASSWORD, *sim.issued_tokens]
    leaks = [secret for secret in secrets for text in texts if secret in text]
    assert leaks == []
    assert "bad password ***" in str(errors[0])


def test_vrf_lookup_does_not_transfer_the_routes(sim: AviSim, client: AviClient) -> None:
    uuid = client.get_vrf(client.find_vrf("global", "Default-Cloud")["uuid"])["uuid"]
    sim.set_routes(uuid, [route(i) for i in range(1, 200)])
    found = client.find_vrf("global", "Default-Cloud")
    assert set(found) == {"uuid", "url", "name", "cloud_ref"}
