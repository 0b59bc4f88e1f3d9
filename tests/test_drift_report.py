"""The drift report: a hand edit on Avi with no cluster change opens one issue, labelled and
marked; a run with the same drift edits nothing; changed drift edits the same issue; `apply
--heal`, or accepting the change in a reviewed manifest, closes it with a comment saying which.
Through the command line as the CronJob and the workflows run it, against the fake GitHub."""

from __future__ import annotations

import ipaddress

import pytest
from cronjob import applied_job
from helpers import route

from reconciler.drift_report import LABEL, OpenReport, decide, marker
from reconciler.plan import Change


@pytest.fixture
def job(job):
    """conftest's CronJob world, with the cluster's routes reviewed and applied."""
    applied_job(job[0])
    return job[0]


def drift_issues(job):
    return [i for i in job.github.issues if LABEL in [label["name"] for label in i["labels"]]]


def test_a_hand_edit_opens_one_report_the_same_drift_edits_nothing_and_heal_closes_it(job):
    job.edit_on_avi("10.0.1.0/24", "192.168.10.99")
    code, out = job.run()
    assert code == 2 and "drift 1 left in place" in out, out
    (issue,) = drift_issues(job)
    assert issue["state"] == "open" and issue["title"].startswith("Drift: c/global: 1 route(s)")
    body = issue["body"]
    assert body.startswith(marker("c", "global"))
    assert "| changed | `10.0.1.0/24` | `192.168.10.99` | `192.168.10.1` | w1 |" in body
    assert "route-reconciler apply --cluster-name c --vrf global --heal" in body
    assert "--target reviewed" in body and "routes/c/global.yaml" in body

    writes = job.writes_to_github()
    code, out = job.run()
    assert code == 2 and job.writes_to_github() == writes, "the same drift edits nothing"

    job.edit_on_avi("10.0.2.0/24", "192.168.10.98")
    job.run()
    (edited,) = drift_issues(job)
    assert edited["number"] == issue["number"] and "`10.0.2.0/24`" in edited["body"]
    assert job.writes_to_github()[len(writes) :] == [
        ("PATCH", f"/repos/acme/routes/issues/{issue['number']}")
    ]

    code, out = job.command("apply", "--heal")
    assert code == 2, out
    assert job.avi_next_hops() == {"10.0.1.0/24": "192.168.10.1", "10.0.2.0/24": "192.168.10.2"}
    (closed,) = drift_issues(job)
    assert (closed["state"], closed["state_reason"]) == ("closed", "completed")
    assert job.github.comments[issue["number"]][-1]["body"].startswith("Healed: `--heal`")

    job.run()
    assert len(drift_issues(job)) == 1, "nothing is opened without drift"


def test_drift_reaches_a_report_in_reconcile_yml_mode_and_accepting_it_in_git_closes_it(job):
    job.edit_on_avi("10.0.1.0/24", "192.168.10.99")
    code, out = job.run("--no-apply")
    assert code == 0, out  # nothing proposed: the cluster did not change
    (issue,) = drift_issues(job)
    assert issue["state"] == "open" and "`10.0.1.0/24`" in issue["body"]

    job.command("propose")
    assert len(drift_issues(job)) == 1 and drift_issues(job)[0]["state"] == "open"

    job.push_reviewed("10.0.1.0/24 192.168.10.99 w1", "10.0.2.0/24 192.168.10.2 w2")
    code, out = job.run("--no-propose")
    assert code == 2 and "applied 0 change(s)" in out, out  # render commits the cluster's view
    (closed,) = drift_issues(job)
    assert closed["state"] == "closed"
    comment = job.github.comments[issue["number"]][-1]["body"]
    assert comment.startswith("No drift is left") and "accepted in git" in comment


def test_without_github_settings_the_drift_is_only_logged(job):
    job.edit_on_avi("10.0.1.0/24", "192.168.10.99")
    code, out = job.command("run", "--kubeconfig", job.kubeconfig, "--no-propose", github=False)
    assert code == 2, out
    assert "warning: drift: 1 route(s) of c on Avi VRF global differ from git (10.0.1.0/24)" in out
    assert drift_issues(job) == []


def test_nothing_is_opened_without_drift(job):
    job.run()
    job.run("--no-apply")
    assert job.github.issues == []


# the decision itself, pure


def drift_change(node: str = "w1", route_id: str = "c.10.0.1.0_24") -> Change:
    reviewed = route("10.0.1.0/24 192.168.10.1 w1")
    on_avi = route(f"10.0.1.0/24 192.168.10.99 {node}")
    on_avi = type(on_avi)(on_avi.prefix, on_avi.next_hop, node, route_id)
    return Change("update", ipaddress.ip_network("10.0.1.0/24"), "drift", on_avi, reviewed)


def decision(previous, drift, healed=False):
    return decide(previous, drift, cluster="c", vrf="global", reviewed_ref="main", healed=healed)


def test_the_report_opens_updates_keeps_and_closes_from_the_previous_one():
    assert decision(None, []).action == "none"
    opened = decision(None, [drift_change()])
    assert (opened.action, opened.event) == ("open", "appeared")
    previous = OpenReport(7, opened.title, opened.body, "https://example.invalid/7")
    assert decision(previous, [drift_change()]).action == "keep"
    changed = decision(previous, [drift_change(route_id="hand-made")])
    assert (changed.action, changed.event, changed.report) == ("update", "changed", previous)
    healed = decision(previous, [], healed=True)
    assert (healed.action, healed.event) == ("close", "cleared")
    assert healed.comment.startswith("Healed")
    assert decision(previous, []).comment.startswith("No drift is left")


def test_text_from_avi_cannot_break_the_report_table():
    hostile = "x | y <!-- `z` [a](http://evil.example)"
    body = decision(None, [drift_change(route_id=hostile, node="w1|w2")]).body
    (row,) = [line for line in body.splitlines() if line.startswith("| changed")]
    assert row.count("|") - row.count("\\|") == 7, "six cells, however the id is spelt"
    assert body.count("<!--") - body.count("\\<!--") == 1, "only the marker opens a comment"
    assert "[a](" not in body and "\\[a\\]" in body


def test_a_report_github_refuses_fails_the_run_after_the_other_reports(job):
    """A token that may not read or write issues must show: the run exits 1 naming the call
    (after its other reports), and a later run opens the report."""
    job.edit_on_avi("10.0.1.0/24", "192.168.10.99")
    job.github.inject(403, method="GET", path_contains="/issues")
    code, out = job.run()
    assert code == 1, out
    assert "report failed: GET /repos/acme/routes/issues failed: HTTP 403" in out
    assert drift_issues(job) == []
    code, out = job.run()
    assert code == 2 and len(drift_issues(job)) == 1, out
