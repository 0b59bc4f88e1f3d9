"""Reviewed teardown: a cluster's routes leave Avi through a reviewed pull request, and only that
way. `decommission` commits the marker and opens the pull request; once merged, apply removes
exactly our routes (drift included, foreign ones untouched), the deletion guards accepting the
marker; an accidental empty manifest stays refused; render and run never write routes over the
marker, and later runs do nothing."""

from __future__ import annotations

import yaml
from cronjob import Job
from helpers import run_cli

from reconciler.cli import main
from reconciler.manifest import Manifest, parse_manifest, render_manifest
from reconciler.ownership import owner_label
from reconciler.sim.avi import static_route

REASON = "cluster c deleted (CHG-1234)"
SIX = [f"10.0.{i}.0/24 192.168.10.{i} w{i}" for i in range(1, 7)]


def decommission(job: Job, *extra: str) -> tuple[int, str]:
    """`route-reconciler decommission` as a person runs it, from a fresh clone."""
    code = main(
        [
            "decommission",
            *("--cluster-name", "c", "--repo", job.fresh_clone(), "--reason", REASON),
            *("--github-repo", "acme/routes", "--github-api-url", job.github.url),
            *("--avi-controller", job.avi.url),
            *extra,
        ]
    )
    captured = job.capsys.readouterr()
    return code, captured.out + captured.err


def ours(job: Job) -> dict[str, str]:
    return {
        f"{r['prefix']['ip_addr']['addr']}/{r['prefix']['mask']}": r["next_hop"]["addr"]
        for r in job.avi.vrf("global")["static_routes"]
        if r.get("labels") == owner_label("c")
    }


def test_a_cluster_is_removed_through_a_reviewed_pull_request_and_only_that_way(job):
    job, _cluster = job
    code, out = job.run()
    job.merge(1)
    code, out = job.run()
    assert code == 2 and ours(job) == {"10.0.1.0/24": "192.168.10.1", "10.0.2.0/24": "192.168.10.2"}
    vrf_uuid = job.avi.vrf("global")["uuid"]
    foreign = static_route("dc-core", "10.0.1.0/24", "10.9.9.9")  # unlabelled, same prefix
    edited = [
        {**r, "next_hop": {"addr": "192.168.10.99", "type": "V4"}}
        if r["route_id"] == "c.10.0.2.0_24"
        else r
        for r in job.avi.vrf("global")["static_routes"]
    ]
    job.avi.set_routes(vrf_uuid, [foreign, *edited])  # and someone edits one of ours by hand

    code, out = decommission(job)
    assert code == 2, out
    assert "the teardown of 2 reviewed route(s) is committed" in out
    assert "pull request #2 opened" in out
    pull = next(p for p in job.github.pulls if p["number"] == 2)
    assert pull["title"] == "routes: c/global: DECOMMISSION, 2 route(s) deleted"
    assert f"DECOMMISSION of cluster c in VRF global (reason: {REASON})" in pull["body"]
    assert "apply deletes every route of ours in this VRF, 2 listed below" in pull["body"]
    assert "| delete | `10.0.1.0/24` |" in pull["body"]
    assert "| delete | `10.0.2.0/24` | 192.168.10.99 |" in pull["body"]

    code, out = job.run()  # unmerged: the cluster is not rendered over the proposal
    assert "render skipped: render refused: the open proposal route-reconciler/c" in out
    assert "pull request #2 unchanged" in out
    assert set(ours(job)) == {"10.0.1.0/24", "10.0.2.0/24"}  # nothing removed before review

    job.merge(2)
    code, out = job.run()
    assert code == 2, out
    assert f"decommission reviewed ({REASON}): every route of ours goes" in out
    assert "applied 2 change(s) in 1 write(s)" in out
    assert ours(job) == {}
    assert foreign in job.avi.vrf("global")["static_routes"]

    code, out = job.run()
    assert code == 0, out
    assert "render skipped: render refused: routes/c/global.yaml at" in out
    assert "until a reviewed pull request removes spec.decommission" in out
    assert ours(job) == {}


def test_an_accidental_empty_manifest_stays_refused_and_the_marker_is_honoured(world):
    world.reviewed(*SIX)
    assert world.cli("apply")[0] == 2 and len(world.ours()) == 6
    world.reviewed()  # an empty manifest: what a failed read or a bad merge looks like
    code, _, err = world.cli("apply")
    assert code == 3
    assert "the reviewed manifest has no routes but Avi has 6 of ours" in err
    assert "propose `route-reconciler decommission`" in err
    assert len(world.ours()) == 6
    world.reviewed(decommission=REASON)  # six deletions pass --max-delete's default of 5
    code, out, err = world.cli("apply")
    assert code == 2, err
    assert world.ours() == {}
    assert len(world.foreign()) == 3
    code, out, _ = world.cli("apply")
    assert code == 0 and "applied 0 change(s) in 0 write(s)" in out


def test_a_teardown_removes_drift_that_a_normal_apply_leaves_and_plan_says_so(world):
    world.reviewed(*SIX[:2])
    world.cli("apply")
    world.live_ours("10.0.9.0/24 192.168.10.9 w9")  # a route of ours nobody reviewed
    world.reviewed(decommission=REASON, push=False, branch="route-reconciler/c")
    code, out, _ = world.cli("plan")
    assert code == 2, out  # no conflict or drift exit: the review approves removing them all
    assert out.splitlines()[1].startswith("  DECOMMISSION of cluster c in VRF global (reason: ")
    assert "apply deletes every route of ours in this VRF, 3 listed below" in out
    world.reviewed(decommission=REASON)
    assert world.cli("apply")[0] == 2
    assert world.ours() == {}


def test_render_never_writes_routes_over_a_decommissioned_manifest(world, tmp_path, capsys):
    from helpers import cilium_config, cilium_node, node, write_objects

    snapshot = str(
        write_objects(
            tmp_path / "cluster.yaml",
            [cilium_config(), node("w1", "192.168.10.1"), cilium_node("w1", ["10.0.1.0/24"])],
        )
    )
    repo = world.repo.working_dir
    render = ["render", "--cluster-name", "c", "--snapshot", snapshot, "--repo", repo, "--commit"]
    world.reviewed(*SIX[:1])
    code, _, err = run_cli(capsys, *render)
    assert code == 0, err
    world.reviewed(decommission=REASON, push=False, branch="route-reconciler/c")
    code, _, err = run_cli(capsys, *render)
    assert code == 3
    assert "the open proposal route-reconciler/c decommissions routes/c/global.yaml" in err
    assert "close its pull request and delete the branch route-reconciler/c" in err
    world.repo.git.branch("-D", "route-reconciler/c")  # the proposal dropped
    assert run_cli(capsys, *render)[0] == 0
    world.reviewed(decommission=REASON)
    world.repo.git.pull("origin", "main")
    tips = {ref.name: ref.commit.hexsha for ref in world.repo.refs}
    code, _out, err = run_cli(capsys, *render)
    assert code == 3
    assert f"routes/c/global.yaml at main is decommissioned (reason: {REASON})" in err
    assert {ref.name: ref.commit.hexsha for ref in world.repo.refs} == tips  # nothing written


def test_decommission_refuses_what_was_never_reviewed_and_a_reason_with_markup(world):
    code, _, err = world.cli("decommission", "--reason", REASON, "--no-propose")
    assert code == 1
    assert "routes/c/global.yaml does not exist at the reviewed ref main" in err
    world.reviewed(*SIX[:1])
    code, _, err = world.cli("decommission", "--reason", "gone <!--", "--no-propose")
    assert code == 1 and "--reason 'gone <!--' is not a reason" in err
    assert "route-reconciler/c" not in [head.name for head in world.repo.heads]


def test_decommission_commits_the_marker_once_and_keeps_the_ipam_mode(world):
    world.reviewed(*SIX[:2])
    code, out, err = world.cli("decommission", "--reason", REASON, "--no-propose")
    assert code == 2, err
    committed = world.repo.git.show("route-reconciler/c:routes/c/global.yaml")
    manifest = parse_manifest(committed, "proposal")
    assert (manifest.routes, manifest.decommission, manifest.ipam_mode) == (
        (),
        REASON,
        "cilium-cluster-pool",
    )
    subject = world.repo.git.log("-1", "--format=%s", "route-reconciler/c")
    assert (
        subject
        == f"routes: routes/c/global.yaml: decommission ({REASON}): 0 added, 2 removed, 0 changed"
    )
    code, out, _ = world.cli("decommission", "--reason", REASON, "--no-propose")
    assert code == 0 and "already held by route-reconciler/c" in out


def test_the_marker_round_trips_and_reads_as_written():
    manifest = Manifest("c", "global", "Default-Cloud", "kubernetes-host-scope", (), REASON)
    text = render_manifest(manifest)
    assert yaml.safe_load(text)["spec"] == {
        "ipamMode": "kubernetes-host-scope",
        "decommission": {"reason": REASON},
        "routes": [],
    }
    assert parse_manifest(text, "m") == manifest
    assert render_manifest(parse_manifest(text, "m")) == text


def test_the_json_plan_of_a_teardown_names_it_and_deletes_every_reviewed_route(world):
    world.reviewed(*SIX[:3])
    world.cli("apply")
    code = main(
        [
            "decommission",
            *("--cluster-name", "c", "--repo", world.repo.working_dir, "--reason", REASON),
            "--no-propose",
        ]
    )
    world.capsys.readouterr()
    assert code == 2
    code = main(
        [
            "plan",
            "--cluster-name",
            "c",
            "--repo",
            world.repo.working_dir,
            "-o",
            "json",
            "--avi-controller",
            world.avi.url,
        ]
    )
    plan = yaml.safe_load(world.capsys.readouterr().out)
    assert plan["decommission"] == REASON
    assert [c["action"] for c in plan["changes"]] == ["delete"] * 3
    assert world.repo.head.ref.name == "main"  # decommission never moves the checkout
