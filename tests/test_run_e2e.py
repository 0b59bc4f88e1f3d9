"""End to end, as the CronJob runs it: a fresh clone per run of a real bare remote, the fake
Kubernetes API, the fake GitHub API and the Avi stand-in. One pull request is opened for a
cluster change, updated on the next, closed when the cluster returns to the reviewed state,
and once merged, applied to Avi."""

from __future__ import annotations

from cronjob import add_node, remove_node
from helpers import cilium_config


def test_pull_request_lifecycle_then_apply_after_merge(job):
    job, cluster = job
    code, out = job.run()
    assert code == 2, out
    assert "pull request #1 opened" in out and "apply: nothing reviewed yet" in out
    assert len(job.github.pulls) == 1
    body = job.github.pulls[0]["body"]
    assert "#### Reviewed changes" in body and "`10.0.1.0/24`" in body and "IPAM mode" in body

    code, out = job.run()
    assert code == 0, out
    assert "pull request #1 unchanged" in out
    assert [r.method for r in job.github.requests if r.method != "GET"] == ["POST"]

    add_node(cluster, "w3", "10.0.3.0/24")
    code, out = job.run()
    assert code == 2 and "pull request #1 updated, branch pushed" in out
    assert "`10.0.3.0/24`" in job.github.pulls[0]["body"]
    assert job.avi_routes() == set()  # nothing reviewed, nothing applied

    job.merge(1)
    code, out = job.run()
    assert code == 2, out
    assert "nothing to propose" in out and "applied 3 change(s)" in out
    assert job.avi_routes() == {"10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"}

    add_node(cluster, "w4", "10.0.4.0/24")
    code, out = job.run()
    assert "pull request #2 opened" in out
    remove_node(cluster, "w4")
    code, out = job.run()
    assert code == 2 and "pull request #2 closed" in out
    pull = next(p for p in job.github.pulls if p["number"] == 2)
    assert pull["state"] == "closed"
    assert "back to the reviewed state" in job.github.comments[2][-1]["body"]

    code, out = job.run()
    assert code == 0, out
    assert len(job.github.pulls) == 2


def test_stages_can_be_switched_off_and_json_logs(job):
    job, _ = job
    code, out = job.run("--no-propose", "--no-apply", "--log-format", "json")
    assert code == 2
    assert job.github.pulls == []
    import json

    last = json.loads(out.strip().splitlines()[-1])
    assert last["exit_code"] == 2 and last["msg"].startswith("run c/global: render 2 added")


def test_metrics_textfile(job, tmp_path):
    job, _ = job
    metrics = tmp_path / "metrics.prom"
    job.run("--no-apply", "--metrics-file", str(metrics))
    text = metrics.read_text()
    assert 'route_reconciler_desired_routes{cluster="c",vrf="global"} 2.0' in text
    assert (
        'route_reconciler_stage_duration_seconds{cluster="c",stage="render",vrf="global"}' in text
    )
    assert "route_reconciler_last_success_timestamp_seconds" in text


def test_routes_blocked_at_render_are_named_in_the_pull_request(job):
    job, cluster = job
    cluster.apply(cilium_config(**{"cluster-pool-ipv4-cidr": "10.0.0.0/16"}))
    add_node(cluster, "w7", "10.200.0.0/24")
    code, out = job.run("--no-apply")
    assert code == 3, out
    assert "error: blocked: node w7 10.200.0.0/24" in out
    body = job.github.pulls[0]["body"]
    assert "blocked at render: 10.200.0.0/24 of node w7: route policy" in body
    assert "`10.0.1.0/24`" in body


def test_the_run_applies_with_the_pod_pools_its_render_read(job):
    job, cluster = job
    cluster.apply(cilium_config(**{"cluster-pool-ipv4-cidr": "10.0.0.0/16"}))
    job.push_reviewed("10.0.1.0/24 192.168.10.1 w1", "10.96.0.0/12 192.168.10.1 w1")
    code, out = job.run("--no-propose")
    assert code == 3, out
    assert "blocked 1: 10.96.0.0/12 (route policy: 10.96.0.0/12 lies outside" in out
    assert job.avi_routes() == {"10.0.1.0/24"}


def test_the_run_refuses_to_apply_while_ako_still_syncs_static_routes(job, tmp_path):
    job, _ = job
    values = tmp_path / "values.yaml"
    values.write_text("AKOSettings:\n  clusterName: c\n  disableStaticRouteSync: false\n")
    job.push_reviewed("10.0.1.0/24 192.168.10.1 w1")
    code, out = job.run("--no-propose", "--ako-values", str(values))
    assert code == 3 and "AKOSettings.disableStaticRouteSync is not true" in out, out
    assert job.avi_routes() == set()
    code, out = job.run("--no-propose", "--ako-values", str(values), "--allow-ako-sync")
    assert code == 2 and job.avi_routes() == {"10.0.1.0/24"}, out
