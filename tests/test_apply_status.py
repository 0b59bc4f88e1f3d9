"""Apply results on the review: after each apply that had work to do, a commit status
`route-reconciler/apply/<cluster>/<vrf>` on the applied commit (success, or failure naming what
was skipped, blocked or went wrong) and, for a merged proposal, one comment on its pull request
with the outcome table, edited rather than repeated. Through the command line as the CronJob
and apply.yml run it, against the fake GitHub and the Avi stand-in."""

from __future__ import annotations

import pytest
from cronjob import applied_job
from helpers import node

from reconciler.apply_review import DESCRIPTION_LIMIT, comment_marker
from reconciler.sim.avi import static_route

CONTEXT = "route-reconciler/apply/c/global"


@pytest.fixture
def job(job):
    """conftest's CronJob world; the cluster is `job.cluster`."""
    return job[0]


def our_statuses(job, sha):
    return [s for s in job.github.statuses(sha) if s["context"] == CONTEXT]


def our_comments(job, number):
    marker = comment_marker("c", "global")
    return [c for c in job.github.comments.get(number, []) if c["body"].startswith(marker)]


def test_a_merged_proposal_with_a_blocked_route_gets_a_failure_status_and_one_comment(job):
    job.run()
    vrf = job.avi.vrf("global")
    job.avi.set_routes(vrf["uuid"], [static_route("dc-core", "10.0.2.0/24", "10.1.1.9")])
    merged = job.merge(1)
    code, out = job.run()
    assert code == 3, out
    (status,) = our_statuses(job, merged)
    assert status["state"] == "failure"
    assert status["description"] == ("not on Avi: blocked 1 (a foreign route or the route policy)")
    assert status["target_url"] == job.github.pulls[0]["html_url"]
    (comment,) = our_comments(job, 1)
    body = comment["body"]
    assert "| applied | add | `10.0.1.0/24` | `192.168.10.1` | w1 |" in body
    assert "| blocked | add | `10.0.2.0/24` | `192.168.10.2` | w2 |" in body
    assert "foreign route (route_id 'dc-core' without a label)" in body
    assert "1 reviewed change(s) are not on Avi yet" in body

    writes = job.writes_to_github()
    code, out = job.run()
    assert code == 3 and job.writes_to_github() == writes, "no status or comment twice"

    job.avi.set_routes(vrf["uuid"], [])
    code, out = job.run()
    assert code == 2 and "applied 1 change(s)" in out, out
    latest, first = our_statuses(job, merged)
    assert (latest["state"], latest["description"]) == ("success", "applied 1 change(s)")
    assert first["state"] == "failure"
    (comment,) = our_comments(job, 1)
    assert "Every reviewed change is on Avi." in comment["body"]
    assert "| applied | add | `10.0.2.0/24` |" in comment["body"]


def test_a_reviewed_change_skipped_because_avi_changed_names_its_override(job):
    applied_job(job)
    job.cluster.apply(node("w1", "192.168.10.50"))
    code, out = job.run()
    assert "pull request #2 opened" in out, out
    job.edit_on_avi("10.0.1.0/24", "192.168.10.99")
    merged = job.merge(2)
    code, out = job.run()
    assert code == 3, out
    (status,) = our_statuses(job, merged)
    assert status["state"] == "failure"
    assert "skipped 1 changed on Avi (--heal overrides)" in status["description"]
    (comment,) = our_comments(job, 2)
    assert "| skipped | update | `10.0.1.0/24` | `192.168.10.50` | w1 |" in comment["body"]
    assert "`--heal` overrides" in comment["body"]
    assert our_comments(job, 1) != [], "the first proposal keeps its own comment"


def test_a_failing_apply_sets_the_failure_status_with_its_reason(job, monkeypatch):
    job.run()
    merged = job.merge(1)
    monkeypatch.setenv("AVI_PASSWORD", "not-the-password")
    code, out = job.run()
    assert code == 1, out
    (status,) = our_statuses(job, merged)
    assert status["state"] == "failure" and len(status["description"]) <= DESCRIPTION_LIMIT
    assert "not-the-password" not in status["description"]
    (comment,) = our_comments(job, 1)
    assert comment["body"].splitlines()[1] == "### Apply to Avi failed: `c` / VRF `global`"
    assert job.avi_routes() == set()


def test_apply_as_apply_yml_runs_it_reports_from_the_environment(job, monkeypatch):
    job.run()
    merged = job.merge(1)
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/routes")
    monkeypatch.setenv("GITHUB_API_URL", job.github.url)
    code, out = job.command("apply", "--reviewed-ref", "main", github=False)
    assert code == 2, out
    (status,) = our_statuses(job, merged)
    assert (status["state"], status["description"]) == ("success", "applied 2 change(s)")
    assert len(our_comments(job, 1)) == 1

    code, out = job.command("apply", github=False)
    assert code == 0 and len(our_statuses(job, merged)) == 1, "nothing to do, nothing reported"


def test_a_dry_run_reports_nothing(job):
    job.run()
    job.merge(1)
    code, out = job.command("apply", "--dry-run")
    assert code == 2, out
    assert [w for w in job.writes_to_github() if "statuses" in w[1] or "comments" in w[1]] == []
