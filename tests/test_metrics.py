"""Metrics that tell the truth: a failed run leaves the last success timestamp in place and
records its own time and exit code, in a textfile (carried over from the file it replaces) and
on a Pushgateway (the success is a group of its own, which only a successful run replaces); the
README lists every metric with its labels; the PrometheusRule's expressions name real metrics
and labels. Through the command line as the CronJob runs it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from cronjob import applied_job
from prometheus_client.parser import text_string_to_metric_families
from receivers import Pushgateway

from reconciler.metrics import LAST_SUCCESS, PUSH_JOB, SUCCESS_PUSH_JOB

ROOT = Path(__file__).parents[1]
RULE = ROOT / "deploy" / "components" / "alerts" / "prometheusrule.yaml"
LABELS = {"cluster": "c", "vrf": "global"}


@pytest.fixture
def job(job):
    """conftest's CronJob world; the cluster is `job.cluster`."""
    return job[0]


def samples(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(path.read_text())
        for sample in family.samples
    }


def value(found, name: str, **extra: str) -> float | None:
    return found.get((name, tuple(sorted({**LABELS, **extra}.items()))))


def test_a_failed_run_keeps_the_last_success_in_the_textfile(job, tmp_path, monkeypatch):
    metrics = tmp_path / "metrics.prom"
    applied_job(job)
    code, _ = job.run("--metrics-file", str(metrics))
    assert code == 0
    before = samples(metrics)
    success = value(before, LAST_SUCCESS)
    assert success and value(before, "route_reconciler_last_run_exit_code") == 0

    monkeypatch.setenv("AVI_PASSWORD", "wrong")
    job.edit_on_avi("10.0.1.0/24", "192.168.10.99")
    code, _ = job.run("--metrics-file", str(metrics))
    assert code == 1
    after = samples(metrics)
    assert value(after, LAST_SUCCESS) == success
    assert value(after, "route_reconciler_last_run_exit_code") == 1
    assert value(after, "route_reconciler_last_run_timestamp_seconds") >= success
    assert value(after, "route_reconciler_drift_routes") is None, "unknown, not stale"


def test_an_unreadable_previous_textfile_is_a_warning(job, tmp_path, monkeypatch, caplog):
    metrics = tmp_path / "metrics.prom"
    metrics.write_text('route_reconciler_last_success_timestamp_seconds{cluster="c" 1\n')
    monkeypatch.setenv("AVI_PASSWORD", "wrong")
    code, _ = job.run("--metrics-file", str(metrics))
    assert code == 1
    assert f"metrics file {metrics}: cannot carry the last success over" in caplog.text
    written = samples(metrics)
    assert value(written, "route_reconciler_last_run_exit_code") == 1
    assert value(written, LAST_SUCCESS) is None


def test_a_failed_run_keeps_the_last_success_on_the_pushgateway(job, monkeypatch):
    with Pushgateway() as gateway:
        applied_job(job)
        assert job.run("--pushgateway", gateway.url)[0] == 0
        served = gateway.samples()
        success = value(served, LAST_SUCCESS, job=SUCCESS_PUSH_JOB)
        assert success and value(served, "route_reconciler_last_run_exit_code", job=PUSH_JOB) == 0
        assert value(served, LAST_SUCCESS, job=PUSH_JOB) is None

        monkeypatch.setenv("AVI_PASSWORD", "wrong")
        job.edit_on_avi("10.0.1.0/24", "192.168.10.99")
        assert job.run("--pushgateway", gateway.url)[0] == 1
        served = gateway.samples()
        assert value(served, LAST_SUCCESS, job=SUCCESS_PUSH_JOB) == success
        assert value(served, "route_reconciler_last_run_exit_code", job=PUSH_JOB) == 1
        assert value(served, "route_reconciler_applied_changes", job=PUSH_JOB) is None
        methods = [(r.method, r.path) for r in gateway.requests]
        assert methods[-1] == ("PUT", f"/metrics/job/{PUSH_JOB}/cluster/c/vrf/global")


def readme_metrics() -> dict[str, set[str]]:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("| metric | labels | meaning |", 1)[1].split("\n\n", 1)[0]
    return {
        name: set(re.findall(r"`(\w+)`", labels))
        for name, labels in re.findall(r"^\| `(\w+)` \| ([^|]*) \|", table, re.M)
    }


def test_the_readme_lists_every_metric_with_its_labels(job, tmp_path):
    metrics = tmp_path / "metrics.prom"
    applied_job(job)
    job.edit_on_avi("10.0.1.0/24", "192.168.10.99")
    job.run("--metrics-file", str(metrics))
    written: dict[str, set[str]] = {}
    for name, labels in samples(metrics):
        written.setdefault(name, set()).update(label for label, _ in labels)
    assert readme_metrics() == written


def test_the_prometheus_rule_names_real_metrics_and_labels():
    rule = yaml.safe_load(RULE.read_text())
    assert (rule["apiVersion"], rule["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
    rules = [r for group in rule["spec"]["groups"] for r in group["rules"]]
    metrics = readme_metrics()
    alerts = set()
    for entry in rules:
        expr = entry["expr"]
        alerts.add(entry["alert"])
        assert expr.count("(") == expr.count(")"), entry["alert"]
        used = set(re.findall(r"\broute_reconciler_\w+", expr))
        assert used and used <= set(metrics), entry["alert"]
        for grouping in re.findall(r"\b(?:by|on)\s*\(([^)]*)\)", expr):
            assert {label.strip() for label in grouping.split(",")} <= {"cluster", "vrf"}
        assert entry["labels"]["severity"] in ("critical", "warning", "info")
        assert entry["annotations"]["summary"] and entry["annotations"]["description"]
        assert re.fullmatch(r"\d+[smh]", entry["for"])
    assert {
        "RouteReconcilerNoRecentSuccess",
        "RouteReconcilerDrift",
        "RouteReconcilerApplyRefused",
    } <= alerts
