"""Two runs for the same cluster never interleave: a Lease in a cluster, a file lock elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers import init_repo

from reconciler.errors import GuardRefusal
from reconciler.ipam.kubeconfig import api_client
from reconciler.lease import lease_lock
from reconciler.lock import file_lock
from reconciler.sim.kube import FakeKubeApi


def test_file_lock_refuses_a_second_holder(tmp_path):
    repo = init_repo(tmp_path / "repo")
    git_dir = tmp_path / "repo" / ".git"
    with file_lock(git_dir, "c"):
        with (
            pytest.raises(GuardRefusal, match="another run for cluster c holds"),
            file_lock(git_dir, "c"),
        ):
            pass
        with file_lock(git_dir, "other-cluster"):
            pass
    with file_lock(git_dir, "c"):
        pass
    assert repo.git_dir


@pytest.fixture
def cluster_api(tmp_path):
    with FakeKubeApi([]) as api:
        yield api, api_client(str(api.write_kubeconfig(tmp_path / "kubeconfig")))


def test_lease_is_taken_released_and_refused_while_another_holds_it(cluster_api):
    api, client = cluster_api
    with lease_lock(client, "route-reconciler", "c"):
        lease = api.objects("Lease")[0]
        assert lease["metadata"]["name"] == "route-reconciler-c"
        assert lease["spec"]["holderIdentity"]
        foreign = {**lease, "spec": {**lease["spec"], "holderIdentity": "other-pod"}}
        api.apply(foreign)
    assert api.objects("Lease")[0]["spec"]["holderIdentity"] == "other-pod"  # not ours to release
    with (
        pytest.raises(GuardRefusal, match="held by other-pod"),
        lease_lock(client, "route-reconciler", "c"),
    ):
        pass


def test_an_expired_lease_is_taken_over(cluster_api):
    api, client = cluster_api
    stale = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    api.apply(
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "route-reconciler-c", "namespace": "route-reconciler"},
            "spec": {
                "holderIdentity": "crashed-pod",
                "leaseDurationSeconds": 600,
                "renewTime": stale,
            },
        }
    )
    with lease_lock(client, "route-reconciler", "c"):
        assert api.objects("Lease")[0]["spec"]["holderIdentity"] != "crashed-pod"
