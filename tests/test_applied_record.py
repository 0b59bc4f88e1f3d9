"""The applied record: which reviewed commit is on Avi and which of its routes are still pending.

Over the CLI against the Avi stand-in and a real bare remote: a blocked or skipped reviewed
route stays a reviewed change while every other route's base is the recorded commit (so a hand
edit on Avi is drift, never a reviewed change); the record only moves forward, also when two
applies overlap; the remote apply reads from must exist; the record is hostile repository
content, read strictly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import finish, start_cli
from world import FOREIGN

TAG = "route-reconciler/applied/c/global"
W1 = "10.0.1.0/24 192.168.10.11 w1"
W2 = "10.0.2.0/24 192.168.10.12 w2"
W3 = "10.0.3.0/24 192.168.10.13 w3"
W1_MOVED = "10.0.1.0/24 192.168.10.21 w1"
HELD = "172.16.0.0/16 192.168.10.15 w5"  # FOREIGN's legacy-1 holds this prefix


def hand_edit(world, prefix: str, next_hop: str) -> None:
    """Someone changes one of our routes on Avi, outside git."""
    address = prefix.split("/")[0]
    world.avi.set_routes(
        world.vrf_uuid,
        [
            {**r, "next_hop": {"addr": next_hop, "type": "V4"}}
            if r["prefix"]["ip_addr"]["addr"] == address
            else r
            for r in world.static_routes()
        ],
    )


def free_the_held_prefix(world) -> None:
    world.avi.set_routes(
        world.vrf_uuid, [r for r in world.static_routes() if r["route_id"] != "legacy-1"]
    )


def record_body(repo, ref: str = f"refs/tags/{TAG}") -> dict:
    assert repo.git.cat_file("-t", ref) == "tag", "the record is an annotated tag"
    message = repo.git.cat_file("tag", ref).split("\n\n", 1)[1]
    return json.loads(message.split("\n\n", 1)[1])


def outcome(out: str) -> str:
    return out.strip().splitlines()[-1]


# --- finding 1: a blocked prefix must not disable the review guarantee for every route ------


def test_a_hand_edit_stays_drift_while_another_reviewed_route_is_blocked(world):
    world.reviewed(W1, W2, HELD)
    code, _, _ = world.cli("apply")
    assert code == 3
    hand_edit(world, "10.0.1.0/24", "192.168.10.99")
    code, out, _ = world.cli("plan", "--target", "reviewed", "--output", "json")
    changes = [(c["prefix"], c["origin"]) for c in json.loads(out)["changes"]]
    assert changes == [("10.0.1.0/24", "drift")], out
    code, out, _ = world.cli("apply")
    assert code == 3, out
    assert world.ours()["10.0.1.0/24"][0] == "192.168.10.99"  # no --heal: the hand edit stays


def test_a_route_changed_on_avi_that_git_deletes_is_skipped_while_another_is_blocked(world):
    world.reviewed(W1, W2, HELD)
    world.cli("apply")
    hand_edit(world, "10.0.2.0/24", "192.168.10.99")
    world.reviewed(W1, HELD)
    code, _, err = world.cli("apply")
    assert code == 3
    assert "skipped delete 10.0.2.0/24: on Avi the route changed to 192.168.10.99" in err
    assert world.ours()["10.0.2.0/24"][0] == "192.168.10.99"


def test_the_record_names_each_pending_route_with_its_base(world):
    first = world.reviewed(W1, HELD)
    world.cli("apply")
    assert world.remote.commit(f"refs/tags/{TAG}").hexsha == first  # ^{commit} still works
    assert record_body(world.remote)["pending"] == [{"prefix": "172.16.0.0/16", "base": None}]
    world.reviewed(W1_MOVED, HELD)
    code, out, _ = world.cli("apply")
    assert code == 3 and world.ours()["10.0.1.0/24"][0] == "192.168.10.21"
    assert "1 reviewed route(s) pending" in outcome(out)
    assert record_body(world.remote)["pending"] == [{"prefix": "172.16.0.0/16", "base": None}]
    free_the_held_prefix(world)
    code, out, _ = world.cli("plan", "--target", "reviewed", "--output", "json")
    assert [(c["prefix"], c["origin"]) for c in json.loads(out)["changes"]] == [
        ("172.16.0.0/16", "git")
    ]
    code, out, _ = world.cli("apply")
    assert code == 2 and "172.16.0.0/16" in world.ours(), out
    assert record_body(world.remote)["pending"] == []
    assert "(complete)" in outcome(out)


def apply_with_a_drifted_route(world) -> tuple[int, str, str]:
    """W1 changed on Avi by hand, then a reviewed move of W1 and a new W3 applied: W1 skipped."""
    world.reviewed(W1, W2)
    world.cli("apply")
    hand_edit(world, "10.0.1.0/24", "192.168.10.99")
    world.reviewed(W1_MOVED, W2, W3)
    return world.cli("apply")


def test_a_skipped_route_keeps_its_base_until_heal_applies_it(world):
    code, _, _ = apply_with_a_drifted_route(world)
    assert code == 3
    pending = record_body(world.remote)["pending"]
    assert pending == [
        {
            "prefix": "10.0.1.0/24",
            "base": {"nextHop": "192.168.10.11", "node": "w1", "routeId": "c.10.0.1.0_24"},
        }
    ]
    code, _, _ = world.cli("apply")
    assert code == 3 and world.ours()["10.0.1.0/24"][0] == "192.168.10.99"
    code, _, _ = world.cli("apply", "--heal")
    assert code == 2 and world.ours()["10.0.1.0/24"][0] == "192.168.10.21"
    assert record_body(world.remote)["pending"] == []


# --- finding 2: one honest outcome line -------------------------------------------------------


def test_a_skipped_change_is_named_with_its_override_on_the_outcome_line(world):
    code, out, err = apply_with_a_drifted_route(world)
    assert code == 3
    assert "nothing to write" not in out
    line = outcome(out)
    assert "applied 1 change(s)" in line and "skipped 1" in line and "--heal" in line, line
    assert "10.0.1.0/24 (on Avi the route changed to 192.168.10.99" in line, line
    assert "--heal" in err


def test_a_blocked_route_is_named_with_its_holder_on_the_outcome_line(world):
    world.reviewed(HELD)
    code, out, _ = world.cli("apply")
    assert code == 3
    assert "nothing to write" not in out
    line = outcome(out)
    assert "applied 0 change(s)" in line and "blocked 1: 172.16.0.0/16" in line, line
    assert "route_id 'legacy-1' without a label" in line, line


def test_drift_alone_exits_2_for_plan_and_apply_and_names_heal(world):
    world.reviewed(W1, W2)
    world.cli("apply")
    hand_edit(world, "10.0.2.0/24", "192.168.10.99")
    code, _, _ = world.cli("plan", "--target", "reviewed")
    assert code == 2
    world.avi.clear_requests()
    code, out, _ = world.cli("apply")
    assert code == 2 and world.avi.writes == []
    assert "drift 1 left in place (--heal undoes it)" in outcome(out)


def test_a_plan_with_a_blocked_route_exits_3_as_its_apply_would(world):
    world.reviewed(W1, HELD)
    code, _, _ = world.cli("plan", "--target", "reviewed")
    assert code == 3
    code, _, _ = world.cli("apply", "--dry-run")
    assert code == 3 and world.avi.writes == []


def test_an_apply_without_pod_pools_says_so(world):
    world.reviewed(W1)
    code, out, _ = world.cli("apply")
    assert code == 2 and "no pod pools configured (--allowed-pod-cidr)" in outcome(out)
    world.reviewed(W1, W2)
    code, out, _ = world.cli("apply", "--allowed-pod-cidr", "10.0.0.0/16")
    assert code == 2 and "pod pools" not in outcome(out)


# --- finding 3: the record only moves forward --------------------------------------------------


def test_an_older_apply_overlapping_a_newer_one_never_moves_the_record_back(world, tmp_path):
    world.reviewed(W1, W2)
    world.cli("apply")
    world.reviewed(W1, W2, W3)
    older_checkout = world.remote.clone(str(tmp_path / "older")).working_dir
    hold = world.avi.hold(method="PUT")
    older = start_cli(
        *("apply", "--cluster-name", "c", "--repo", older_checkout),
        *("--avi-controller", world.avi.url),
        avi_password="s3cret-avi-password",
    )
    hold.wait_until_arrived()  # the older apply has planned and sent its write
    newer = world.reviewed(W1, W3)  # W2 deleted in the newer reviewed commit
    code, out, _ = world.cli("apply")
    assert code == 2 and set(world.ours()) == {"10.0.1.0/24", "10.0.3.0/24"}, out
    hold.release()  # the older write meets a 412, re-reads Avi and the record
    [(code, out, err)] = finish([older])
    assert world.remote.commit(f"refs/tags/{TAG}").hexsha == newer, out
    assert code == 0, err
    assert "newer reviewed commit" in outcome(out), out
    world.live_ours(W2)  # someone re-creates the deleted route by hand
    code, out, _ = world.cli("apply")
    assert code == 2 and "10.0.2.0/24" in world.ours(), out  # drift, not a reviewed delete


def test_a_reviewed_head_older_than_the_record_is_not_applied_over_it(world):
    older = world.reviewed(W1, W2)
    world.repo.git.push("origin", f"{older}:refs/heads/release")
    newer = world.reviewed(W1, W3)
    world.cli("apply")
    world.avi.clear_requests()
    code, out, _ = world.cli("apply", "--reviewed-ref", "release")
    assert code == 0 and world.avi.writes == []
    assert f"the applied record is at {newer[:12]}, a newer reviewed commit" in outcome(out)
    assert world.remote.commit(f"refs/tags/{TAG}").hexsha == newer


NEWER_RECORD_HOOK = """#!/bin/sh
# Another apply records a newer reviewed commit just before this push arrives.
if [ ! -e "$GIT_DIR/raced" ]; then
  touch "$GIT_DIR/raced"
  env -u GIT_QUARANTINE_PATH git update-ref refs/tags/{tag} {newer}
  exit 1
fi
"""


def test_a_newer_record_pushed_while_this_apply_records_is_kept(world):
    world.reviewed(W1)
    world.cli("apply")
    world.reviewed(W1, W2)
    newer = world.reviewed(W1, W2, W3, branch="next")  # a descendant, on the remote
    hook = Path(world.remote.git_dir) / "hooks" / "pre-receive"
    hook.write_text(NEWER_RECORD_HOOK.format(tag=TAG, newer=newer))
    hook.chmod(0o755)
    code, out, err = world.cli("apply")
    assert code == 2, err
    assert f"record left at the newer reviewed commit {newer[:12]}" in outcome(out), out
    assert world.remote.commit(f"refs/tags/{TAG}").hexsha == newer


# --- finding 4: the remote apply reads from must exist -----------------------------------------


def test_apply_refuses_a_remote_that_does_not_exist_and_names_those_that_do(world):
    world.reviewed(W1)
    world.reviewed(W1, W2, push=False)  # local, unpushed: never reviewed
    world.repo.git.remote("rename", "origin", "upstream")
    for args in ((), ("--remote", "upstrem")):
        code, _, err = world.cli("apply", *args)
        assert code == 1, err
        assert "no such remote" in err and "upstream" in err and err.count("\n") == 1, err
    assert world.avi.writes == [] and world.ours() == {}
    code, _, _ = world.cli("apply", "--remote", "upstream")
    assert code == 2 and set(world.ours()) == {"10.0.1.0/24"}


def test_a_remote_that_cannot_be_fetched_is_refused(world, tmp_path):
    world.reviewed(W1)
    world.repo.git.remote("set-url", "origin", str(tmp_path / "gone.git"))
    code, _, err = world.cli("apply")
    assert code == 1 and "git fetch origin" in err, err
    assert world.avi.writes == []


def test_a_repository_without_a_remote_is_local_only_and_says_so(world):
    reviewed = world.reviewed(W1)
    world.repo.delete_remote("origin")
    code, out, _ = world.cli("apply")
    assert code == 2 and "local only: the repository has no remote" in outcome(out), out
    assert world.repo.commit(f"refs/tags/{TAG}").hexsha == reviewed


# --- the record is repository content: read strictly -------------------------------------------

HOSTILE_RECORDS = {
    "not JSON": "route-reconciler applied c/global\n\nnot json\n",
    "no body": "applied by hand\n",
    "another format": '{"format":2,"cluster":"c","vrf":"global","pending":[]}',
    "another cluster": '{"format":1,"cluster":"d","vrf":"global","pending":[]}',
    "an unknown key": '{"format":1,"cluster":"c","vrf":"global","pending":[],"x":1}',
    "a prefix with host bits": (
        '{"format":1,"cluster":"c","vrf":"global","pending":[{"prefix":"10.0.1.1/24","base":null}]}'
    ),
    "a next hop of the other family": (
        '{"format":1,"cluster":"c","vrf":"global","pending":[{"prefix":"10.0.1.0/24",'
        '"base":{"nextHop":"fd00::1","routeId":"c.10.0.1.0_24","node":"w1"}}]}'
    ),
    "a line break in a node name": (
        '{"format":1,"cluster":"c","vrf":"global","pending":[{"prefix":"10.0.1.0/24",'
        '"base":{"nextHop":"10.0.0.1","routeId":"c.10.0.1.0_24","node":"w1\\nerror: forged"}}]}'
    ),
    "deep JSON": "[" * 100_000,
    "too big": '{"format":1,"pending":[' + '{"prefix":"10.0.1.0/24","base":null},' * 300_000,
}


@pytest.mark.parametrize("message", HOSTILE_RECORDS.values(), ids=HOSTILE_RECORDS.keys())
def test_a_hostile_record_is_refused_in_one_line_naming_the_tag(world, tmp_path, message):
    reviewed = world.reviewed(W1)
    if not message.startswith(("route-reconciler", "applied")):
        message = f"route-reconciler applied c/global\n\n{message}\n"
    (tmp_path / "message").write_text(message)
    world.repo.git.tag("-a", "--cleanup=verbatim", "-F", str(tmp_path / "message"), TAG, reviewed)
    world.repo.git.push("origin", f"refs/tags/{TAG}")
    code, _, err = world.cli("apply")
    assert code == 1, err
    assert f"tag {TAG}" in err and err.count("\n") == 1, err[:500]
    assert world.avi.writes == []
    assert world.foreign() == FOREIGN
