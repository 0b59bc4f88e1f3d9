"""TLS is verified by default against the Avi controller and GitHub: a local HTTPS stand-in with a
throwaway certificate works with the CA bundle given, and fails clearly without it."""

from __future__ import annotations

import pytest
from helpers import self_signed_certificate

from reconciler.sim.avi import AviSim
from reconciler.sim.github import FakeGitHub


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def test_avi_over_https_needs_the_ca_bundle(world, certificate, caplog):
    cert, key = certificate
    world.reviewed("10.0.1.0/24 192.168.10.11 w1")
    with AviSim(
        username="admin", password="s3cret-avi-password", tls_cert=cert, tls_key=key
    ) as avi:
        world.avi = avi
        code, _, err = world.cli("plan", "--target", "reviewed")
        assert code == 1
        assert err.count("\n") == 1 and "certificate" in err.lower()
        code, out, _ = world.cli("plan", "--target", "reviewed", "--avi-ca-bundle", cert)
        assert code == 2 and "git  add  10.0.1.0/24" in out
        code, _, _ = world.cli("plan", "--target", "reviewed", "--avi-insecure")
        assert code == 2 and "TLS certificate verification is OFF" in caplog.text


def test_github_over_https_needs_the_ca_bundle(world, certificate, monkeypatch):
    cert, key = certificate
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_tls_token")
    world.reviewed("10.0.1.0/24 192.168.10.11 w1")
    world.reviewed(
        "10.0.1.0/24 192.168.10.11 w1", "10.0.2.0/24 192.168.10.12 w2", branch="route-reconciler/c"
    )
    with FakeGitHub(token="ghp_tls_token", tls_cert=cert, tls_key=key) as github:
        args = ("--github-repo", "acme/routes", "--github-api-url", github.url)
        code, _, err = world.cli("propose", *args)
        assert code == 1 and "certificate" in err.lower()
        code, out, _ = world.cli("propose", *args, "--github-ca-bundle", cert)
        assert code == 2 and "pull request #1 opened" in out
