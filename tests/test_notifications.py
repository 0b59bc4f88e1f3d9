"""Notifications: every event of a run reaches a webhook receiver on 127.0.0.1 as one POST of
JSON with `text` (what Slack and Teams show) and the facts as fields; the URL comes only from
the environment or a file and appears in no output; a dead webhook is a warning, never a
failed run. Through the command line as the CronJob runs it."""

from __future__ import annotations

import logging

import pytest
from cronjob import add_node, applied_job, remove_node
from helpers import cilium_config
from receivers import WebhookReceiver

from reconciler.events import Event, payload
from reconciler.sim.avi import static_route

FIELDS = {"text", "event", "action", "cluster", "vrf", "summary", "url"}


@pytest.fixture
def job(job, monkeypatch):
    """conftest's CronJob world with a webhook receiver, `job.receiver`, configured."""
    with WebhookReceiver() as receiver:
        monkeypatch.setenv("ROUTE_RECONCILER_WEBHOOK_URL", receiver.url)
        job[0].receiver = receiver
        yield job[0]


def events(job) -> list[tuple[str, str | None]]:
    return [(body["event"], body["action"]) for body in job.receiver.events]


def test_every_event_reaches_the_webhook(job):
    code, out = job.run()
    (opened,) = job.receiver.events
    assert set(opened) == FIELDS
    assert (opened["event"], opened["action"], opened["cluster"], opened["vrf"]) == (
        "proposal",
        "opened",
        "c",
        "global",
    )
    assert opened["url"] == job.github.pulls[0]["html_url"]
    assert opened["text"].startswith("route-reconciler c/global: pull request opened: ")
    assert opened["text"].endswith(opened["url"])

    job.cluster.apply(cilium_config(**{"cluster-pool-ipv4-cidr": "10.0.0.0/16"}))
    add_node(job.cluster, "w3", "10.0.3.0/24")
    job.run()
    assert events(job)[-1] == ("proposal", "updated")
    add_node(job.cluster, "w7", "10.200.0.0/24")
    job.run()
    assert ("refused", None) in events(job)[2:], "a route blocked at render"
    refused = next(b for b in job.receiver.events if b["event"] == "refused")
    assert "render blocked 1 route(s): 10.200.0.0/24 of node w7" in refused["summary"]
    remove_node(job.cluster, "w7")
    remove_node(job.cluster, "w3")
    job.run()
    job.receiver.clear_requests()

    vrf = job.avi.vrf("global")
    job.avi.set_routes(vrf["uuid"], [static_route("dc-core", "10.0.2.0/24", "10.1.1.9")])
    job.merge(1)
    code, out = job.run()
    assert code == 3, out
    assert events(job) == [("applied", None), ("refused", None)]
    applied, refused = job.receiver.events
    assert applied["url"] == job.github.pulls[0]["html_url"]
    assert "blocked 1: 10.0.2.0/24" in refused["summary"]

    ours = [r for r in job.avi.vrf("global")["static_routes"] if r["route_id"] != "dc-core"]
    job.avi.set_routes(vrf["uuid"], ours)
    job.run()
    job.receiver.clear_requests()
    job.edit_on_avi("10.0.1.0/24", "192.168.10.99")
    job.run()
    job.edit_on_avi("10.0.2.0/24", "192.168.10.98")
    job.run()
    job.command("apply", "--heal")
    assert events(job) == [
        ("drift", "appeared"),
        ("drift", "changed"),
        ("applied", None),
        ("drift", "cleared"),
    ]
    appeared = job.receiver.events[0]
    assert appeared["url"] == job.github.issues[0]["html_url"]

    job.receiver.clear_requests()
    remove_node(job.cluster, "w1")
    job.run()
    add_node(job.cluster, "w1", "10.0.1.0/24")
    job.run()
    assert events(job) == [("proposal", "opened"), ("proposal", "closed")]


def test_a_failed_run_is_an_event(job, monkeypatch):
    applied_job(job)
    job.receiver.clear_requests()
    monkeypatch.setenv("AVI_PASSWORD", "wrong")
    code, _out = job.run()
    assert code == 1
    (failed,) = job.receiver.events
    assert failed["event"] == "failed" and "login" in failed["summary"].lower()


def test_a_dead_webhook_is_a_warning_and_never_fails_the_run(job, monkeypatch):
    job.receiver.status = 500
    code, out = job.run()
    assert code == 2 and "pull request #1 opened" in out, out
    assert "warning: webhook POST 127.0.0.1: HTTP 500" in out
    assert job.receiver.path not in out and job.receiver.url not in out
    assert len(job.receiver.requests) == 3, "a 5xx is tried again, twice"

    job.receiver.stop()
    job.merge(1)
    code, out = job.run()
    assert code == 2 and "applied 2 change(s)" in out, out
    assert "warning: webhook POST 127.0.0.1: no answer" in out
    assert job.receiver.path not in out


def test_the_url_is_in_no_log_line_even_at_debug_level(job, caplog):
    caplog.set_level(logging.DEBUG, logger="reconciler")
    job.receiver.status = 503
    job.run()
    assert "webhook POST 127.0.0.1" in caplog.text and "HTTP 503" in caplog.text
    assert "POST ***" in caplog.text, "the transport's debug line shows the path masked"
    assert job.receiver.path not in caplog.text


def test_the_url_comes_from_a_file_and_a_bad_one_is_only_a_warning(job, monkeypatch, tmp_path):
    secret = tmp_path / "webhook-url"
    secret.write_text(job.receiver.url + "\n")
    monkeypatch.delenv("ROUTE_RECONCILER_WEBHOOK_URL")
    monkeypatch.setenv("ROUTE_RECONCILER_WEBHOOK_URL_FILE", str(secret))
    code, out = job.run()
    assert code == 2 and events(job) == [("proposal", "opened")]

    secret.write_text("ftp://hooks.example.invalid/T0/B0/x\n")
    code, out = job.run("--no-propose", "--no-apply")
    assert code == 0, out
    assert "warning: webhook: the webhook URL must be http(s)://HOST/...; no notifications" in out
    assert "hooks.example.invalid" not in out


def test_the_body_is_plain_for_slack_and_teams():
    event = Event("refused", "c", "global", "blocked 1: <b>&x</b>\nnext", url="https://x/1")
    body = payload(event)
    assert body["text"] == (
        "route-reconciler c/global: refused: blocked 1: &lt;b&gt;&amp;x&lt;/b&gt; next https://x/1"
    )
    assert body["summary"] == "blocked 1: <b>&x</b> next" and body["action"] is None
