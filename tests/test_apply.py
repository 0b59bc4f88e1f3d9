"""`apply` and `plan` over HTTP against the Avi stand-in, with a real git remote."""

from __future__ import annotations

import json

import pytest
from world import FOREIGN

from reconciler.sim.avi import static_route

W1 = "10.0.1.0/24 192.168.10.11 w1"
W2 = "10.0.2.0/24 192.168.10.12 w2"
W3 = "10.0.3.0/24 192.168.10.13 w3"
W1_MOVED = "10.0.1.0/24 192.168.10.21 w1"
W2_MOVED = "10.0.2.0/24 192.168.10.22 w2"


def test_apply_reaches_the_reviewed_state_with_one_write_then_none(world):
    world.reviewed(W1, W2)
    code, out, _ = world.cli("apply")
    assert code == 2, out
    assert world.ours() == {
        "10.0.1.0/24": ("192.168.10.11", "c.10.0.1.0_24"),
        "10.0.2.0/24": ("192.168.10.12", "c.10.0.2.0_24"),
    }
    assert world.foreign() == FOREIGN
    assert len(world.avi.writes) == 1
    assert "recorded route-reconciler/applied/c/global" in out
    world.avi.clear_requests()
    code, out, _ = world.cli("apply")
    assert code == 0
    assert world.avi.writes == []


def test_changes_only_on_a_proposal_branch_never_reach_the_controller(world):
    world.reviewed(W1)
    world.cli("apply")
    world.reviewed(W1, W2, W3, branch="route-reconciler/c")
    code, _, _ = world.cli("apply")
    assert code == 0
    assert set(world.ours()) == {"10.0.1.0/24"}


def test_a_local_unpushed_commit_is_not_reviewed(world):
    world.reviewed(W1)
    world.reviewed(W1, W2, push=False)
    world.cli("apply")
    assert set(world.ours()) == {"10.0.1.0/24"}


def test_reviewed_update_and_delete_touch_only_our_routes_in_place(world):
    world.reviewed(W1, W2, W3)
    world.cli("apply")
    foreign_first = world.static_routes()[:3]
    world.reviewed(W1_MOVED, W3)
    code, out, _ = world.cli("apply")
    assert code == 2
    assert world.static_routes()[:3] == foreign_first
    assert world.ours() == {
        "10.0.1.0/24": ("192.168.10.21", "c.10.0.1.0_24"),
        "10.0.3.0/24": ("192.168.10.13", "c.10.0.3.0_24"),
    }
    assert "2 change(s) in 1 write(s)" in out


def test_412_is_retried_from_a_fresh_read(world):
    world.reviewed(W1)
    world.avi.storm_412(2)
    code, out, _ = world.cli("apply")
    assert code == 2
    assert "2 re-read(s) after 412" in out
    assert set(world.ours()) == {"10.0.1.0/24"}
    assert world.foreign() == FOREIGN


def test_a_concurrent_foreign_writer_between_read_and_write_is_kept(world):
    world.reviewed(W1)
    extra = static_route("late", "172.18.0.0/16", "10.1.1.9")
    world.avi.delay(0.3, method="PUT")
    import threading

    writer = threading.Timer(0.1, lambda: world.avi.set_routes(world.vrf_uuid, [*FOREIGN, extra]))
    writer.start()
    code, _, _ = world.cli("apply")
    writer.join()
    assert code == 2
    assert world.foreign() == [*FOREIGN, extra]
    assert set(world.ours()) == {"10.0.1.0/24"}


def test_drift_is_reported_and_healed_only_with_heal(world):
    world.reviewed(W1, W2)
    world.cli("apply")
    world.avi.set_routes(
        world.vrf_uuid, [r for r in world.static_routes() if r["route_id"] != "c.10.0.2.0_24"]
    )
    world.avi.clear_requests()
    code, out, _ = world.cli("apply")
    assert code == 2  # drift is a change pending, written only with --heal
    assert "drift  add" in out and "drift 1 left in place (--heal undoes it)" in out
    assert world.avi.writes == []
    code, out, _ = world.cli("apply", "--heal")
    assert code == 2
    assert set(world.ours()) == {"10.0.1.0/24", "10.0.2.0/24"}


def test_a_reviewed_change_on_a_drifted_route_is_skipped_unless_heal(world):
    world.reviewed(W1, W2)
    world.cli("apply")
    drifted = [
        dict(r, next_hop={"addr": "192.168.10.99", "type": "V4"})
        if r["route_id"] == "c.10.0.1.0_24"
        else r
        for r in world.static_routes()
    ]
    world.avi.set_routes(world.vrf_uuid, drifted)
    world.reviewed(W1_MOVED, W2, W3)
    code, out, err = world.cli("apply")
    assert code == 3
    assert "skipped update 10.0.1.0/24: on Avi the route changed to 192.168.10.99" in err
    assert world.ours()["10.0.1.0/24"][0] == "192.168.10.99"
    assert "10.0.3.0/24" in world.ours()  # the clean change was applied
    assert "(1 reviewed route(s) pending)" in out  # the skipped one stays a reviewed change
    code, _, _ = world.cli("apply", "--heal")
    assert code == 2
    assert world.ours()["10.0.1.0/24"][0] == "192.168.10.21"


def test_ako_format_routes_are_adopted_and_named_in_the_plan(world):
    ako_id = "c-5b0f6a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b-0"
    world.live_ours(W1, route_ids={"10.0.1.0/24": ako_id})
    world.reviewed(W1)
    code, out, _ = world.cli("plan", "--target", "reviewed", "--output", "json")
    assert code == 2
    change = json.loads(out)["changes"][0]
    assert change["adopted"] is True and change["before"]["routeId"] == ako_id
    world.cli("apply")
    assert world.ours() == {"10.0.1.0/24": ("192.168.10.11", "c.10.0.1.0_24")}


def test_a_desired_prefix_held_by_a_foreign_route_is_blocked(world):
    world.reviewed("172.16.0.0/16 192.168.10.11 w1", W2)
    code, out, err = world.cli("apply")
    assert code == 3
    assert "error: blocked: node w1 172.16.0.0/16" in err
    assert "blocked 172.16.0.0/16" in out and "never overwritten" in out
    assert world.foreign() == FOREIGN
    assert set(world.ours()) == {"10.0.2.0/24"}
    assert "(1 reviewed route(s) pending)" in out  # the blocked route stays a reviewed change


def test_mass_delete_guards(world):
    routes = [f"10.0.{i}.0/24 192.168.10.{i} w{i}" for i in range(1, 11)]
    world.reviewed(*routes)
    world.cli("apply")
    world.reviewed(*routes[:3])
    code, _, err = world.cli("apply")
    assert code == 3 and "apply would delete 7 routes, more than --max-delete 5" in err
    assert len(world.ours()) == 10
    code, _, _ = world.cli("apply", "--max-delete", "7")
    assert code == 2 and len(world.ours()) == 3
    world.reviewed()
    code, _, err = world.cli("apply")
    assert code == 3 and "the reviewed manifest has no routes but Avi has 3 of ours" in err
    code, _, _ = world.cli("apply", "--allow-mass-delete")
    assert code == 2 and world.ours() == {}
    assert world.foreign() == FOREIGN


def test_patch_mode_sends_only_our_changed_routes(world):
    world.reviewed(W1, W2)
    world.cli("apply", "--write-mode", "patch")
    world.reviewed(W1_MOVED, W2)
    world.avi.clear_requests()
    code, _, _ = world.cli("apply", "--write-mode", "patch")
    assert code == 2
    patches = [r for r in world.avi.writes if r.method == "PATCH"]
    assert len(patches) == 2 and sum(r.body_length for r in patches) < 1024
    assert world.ours()["10.0.1.0/24"][0] == "192.168.10.21"
    assert world.foreign() == FOREIGN


@pytest.mark.parametrize(
    ("first", "then", "writes"),
    [
        ((W1, W2), (W1_MOVED, W2_MOVED), 2),
        ((W1, W2), (W1_MOVED, W2_MOVED, W3), 2),
        ((W1,), (W1, W2, W3), 1),
        ((W1, W2, W3), (W1,), 1),
    ],
    ids=["updates", "updates-and-an-addition", "additions", "deletions"],
)
def test_patch_mode_costs_two_writes_for_any_update_and_one_for_a_pure_add_or_delete(
    world, first, then, writes
):
    """An id can be added only once the entry holding it is gone: delete, then add."""
    world.reviewed(*first)
    world.cli("apply", "--write-mode", "patch")
    world.reviewed(*then)
    world.avi.clear_requests()
    code, _, err = world.cli("apply", "--write-mode", "patch")
    assert code == 2, err
    assert [r.method for r in world.avi.writes] == ["PATCH"] * writes
    assert {prefix: hop for prefix, (hop, _) in world.ours().items()} == {
        route.split()[0]: route.split()[1] for route in then
    }
    assert world.foreign() == FOREIGN


def test_dry_run_writes_nothing(world):
    world.reviewed(W1)
    code, out, _ = world.cli("apply", "--dry-run")
    assert code == 2 and "dry run" in out
    assert world.ours() == {} and world.avi.writes == []
    assert not world.repo.tags


def test_applied_commit_is_recorded_and_pushed(world):
    reviewed = world.reviewed(W1)
    world.cli("apply")
    assert world.remote.commit("refs/tags/route-reconciler/applied/c/global").hexsha == reviewed


def test_manifest_for_another_cluster_or_cloud_is_refused(world):
    world.reviewed(W1)
    code, _, err = world.cli("apply", "--cloud", "Other-Cloud")
    assert code == 1 and "cloud 'Default-Cloud'" in err
    assert world.avi.writes == []


def test_unsigned_reviewed_head_is_refused_when_signatures_are_required(world):
    world.reviewed(W1)
    code, _, err = world.cli("apply", "--require-signed-commits")
    assert code == 3 and "has no valid signature" in err
    assert world.avi.writes == []


def test_write_dropped_after_it_applied_converges_on_rerun(world):
    world.reviewed(W1, W2)
    world.avi.drop_connections(method="PUT", after_write=True)
    code, _, _ = world.cli("apply")
    assert code == 1
    code, _, _ = world.cli("apply")
    assert code in (0, 2)
    assert set(world.ours()) == {"10.0.1.0/24", "10.0.2.0/24"}
    assert len(world.static_routes()) == len(FOREIGN) + 2


def test_plan_targets_and_exit_codes(world):
    world.reviewed(W1)
    world.cli("apply")
    world.reviewed(W1, W2, branch="route-reconciler/c")
    code, out, _ = world.cli("plan")
    assert code == 2 and "git  add  10.0.2.0/24  (none) -> 192.168.10.12" in out
    code, out, _ = world.cli("plan", "--target", "reviewed")
    assert code == 0
    code, out, _ = world.cli("plan", "--output", "markdown")
    assert "#### Reviewed changes" in out and "`10.0.2.0/24`" in out


def test_plan_comment_is_one_sticky_comment_updated_not_duplicated(world, monkeypatch):
    from reconciler.sim.github import FakeGitHub

    monkeypatch.setenv("GITHUB_TOKEN", "ghp_plan_token")
    world.reviewed(W1)
    world.cli("apply")
    world.reviewed(W1, W2, branch="route-reconciler/c")
    with FakeGitHub(token="ghp_plan_token") as github:
        pull = requests_post_pull(github)
        args = (
            "--comment-on",
            str(pull),
            "--github-repo",
            "acme/routes",
            "--github-api-url",
            github.url,
        )
        world.cli("plan", *args)
        world.reviewed(W1, W2, W3, branch="route-reconciler/c")
        world.cli("plan", *args)
        comments = github.comments[pull]
    assert len(comments) == 1
    assert "`10.0.3.0/24`" in comments[0]["body"]
    assert "ghp_plan_token" not in comments[0]["body"]


def requests_post_pull(github) -> int:
    import requests

    response = requests.post(
        f"{github.url}/repos/acme/routes/pulls",
        json={"title": "t", "head": "route-reconciler/c", "base": "main", "body": ""},
        headers={"Authorization": "Bearer ghp_plan_token"},
        timeout=5,
    )
    return int(response.json()["number"])


def test_mass_add_guard(world):
    routes = [f"10.0.{i}.0/24 192.168.10.{i} w{i}" for i in range(1, 11)]
    world.reviewed(*routes)
    code, _, err = world.cli("apply", "--max-add", "9")
    assert code == 3 and "apply would add 10 routes, more than --max-add 9" in err, err
    assert "--allow-mass-add" in err and world.avi.writes == []
    code, _, _ = world.cli("apply", "--max-add", "9", "--allow-mass-add")
    assert code == 2 and len(world.ours()) == 10


def test_a_manifest_past_the_default_addition_limit_is_refused(world):
    """One route past the default (a 50,000-route manifest went to Avi in one PUT before)."""
    too_many = [f"10.{i // 250}.{i % 250}.0/24 192.168.0.1 n{i}" for i in range(25_001)]
    world.reviewed(*too_many)
    code, _, err = world.cli("apply")
    assert code == 3 and "apply would add 25001 routes, more than --max-add 25000" in err, err
    assert world.avi.writes == []


def test_the_default_addition_limit_admits_a_5000_node_dual_stack_cluster():
    from reconciler.guards import max_add_guard

    nodes, families, cidrs_per_family = 5_000, 2, 2
    assert max_add_guard(nodes * families * cidrs_per_family, None) is None


def test_apply_refuses_while_ako_still_syncs_static_routes(world, tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text("AKOSettings:\n  clusterName: c\n  disableStaticRouteSync: false\n")
    world.reviewed(W1)
    code, _, err = world.cli("apply", "--ako-values", str(values))
    assert code == 3 and "AKOSettings.disableStaticRouteSync is not true" in err, err
    assert "--allow-ako-sync" in err and world.avi.writes == []
    code, _, _ = world.cli("apply", "--ako-values", str(values), "--dry-run")
    assert code == 2 and world.avi.writes == []
    code, _, _ = world.cli("apply", "--ako-values", str(values), "--allow-ako-sync")
    assert code == 2 and set(world.ours()) == {"10.0.1.0/24"}
    values.write_text("AKOSettings:\n  clusterName: c\n  disableStaticRouteSync: true\n")
    world.reviewed(W1, W2)
    code, _, _ = world.cli("apply", "--ako-values", str(values))
    assert code == 2 and set(world.ours()) == {"10.0.1.0/24", "10.0.2.0/24"}
