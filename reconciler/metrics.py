"""Prometheus metrics of one run, written as a node-exporter textfile or pushed to a Pushgateway.

A CronJob lives for seconds, so nothing is scraped from it: the figures are handed over at the
end, whatever the outcome. The last success must survive failed runs, or a "no success for two
hours" alert sees no data exactly when runs fail: a textfile carries it over from the file it
replaces; on a Pushgateway it is a group of its own, replaced only by a successful run, while
the run's other figures replace theirs on every run.
"""

from __future__ import annotations

import logging
import math
import time
import urllib.error
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile
from prometheus_client.parser import text_string_to_metric_families

from reconciler.errors import EXIT_CHANGED, EXIT_OK, ApiError, InputError
from reconciler.unreachable import connection_failure

logger = logging.getLogger(__name__)

PUSH_JOB: Final = "route-reconciler"
SUCCESS_PUSH_JOB: Final = "route-reconciler-success"
LAST_SUCCESS: Final = "route_reconciler_last_success_timestamp_seconds"
MAX_PREVIOUS_FILE: Final = 1024 * 1024  # a textfile of one run is a few kilobytes
_LABELS: Final = ("cluster", "vrf")


class RunMetrics:
    """``registry`` holds every metric; the run's and the success's are pushed apart."""

    def __init__(self, cluster: str, vrf: str) -> None:
        self.labels = {"cluster": cluster, "vrf": vrf}
        self.registry = CollectorRegistry()
        self._run = CollectorRegistry()
        self._success = CollectorRegistry()

        def gauge(name: str, doc: str, *extra: str, success: bool = False) -> Gauge:
            metric = Gauge(name, doc, (*_LABELS, *extra), registry=None)
            self.registry.register(metric)
            (self._success if success else self._run).register(metric)
            return metric

        self.desired_routes = gauge(
            "route_reconciler_desired_routes", "Routes in the rendered manifest"
        )
        self.applied_changes = gauge(
            "route_reconciler_applied_changes", "Route changes written to Avi"
        )
        self.drift = gauge(
            "route_reconciler_drift_routes",
            "Routes of ours that differ on Avi from git, changed outside a review",
        )
        self.blocked = gauge(
            "route_reconciler_blocked_routes",
            "Reviewed routes blocked by a foreign route or the route policy",
        )
        self.skipped = gauge(
            "route_reconciler_skipped_routes",
            "Reviewed changes skipped because their route changed on Avi (--heal overrides)",
        )
        self.webhook_failures = gauge(
            "route_reconciler_webhook_failures", "Webhook events of the run that did not arrive"
        )
        self.stage_seconds = gauge(
            "route_reconciler_stage_duration_seconds", "Duration of each stage of the run", "stage"
        )
        self.last_run = gauge(
            "route_reconciler_last_run_timestamp_seconds",
            "When the last run ended, whatever its outcome",
        )
        self.last_exit_code = gauge(
            "route_reconciler_last_run_exit_code",
            "Exit code of the last run: 0 nothing to do, 2 changes, 3 refused, 1 failed",
        )
        self.last_success = gauge(
            LAST_SUCCESS,
            "When a run last ended with exit code 0 or 2; kept across failed runs",
            success=True,
        )
        self._succeeded = False

    def set(self, gauge: Gauge, value: float) -> None:
        gauge.labels(**self.labels).set(value)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stage_seconds.labels(**self.labels, stage=name).set(time.perf_counter() - started)

    def finished(self, exit_code: int) -> None:
        now = time.time()
        self.set(self.last_run, now)
        self.set(self.last_exit_code, exit_code)
        self._succeeded = exit_code in (EXIT_OK, EXIT_CHANGED)
        if self._succeeded:
            self.set(self.last_success, now)

    def publish(self, textfile: str | None, pushgateway: str | None) -> None:
        if textfile:
            if not self._succeeded:
                previous = self._previous_success(Path(textfile))
                if previous is not None:
                    self.set(self.last_success, previous)
            try:
                write_to_textfile(textfile, self.registry)
            except OSError as error:
                raise InputError(
                    f"--metrics-file {textfile}: cannot write it ({error.strerror or error})"
                ) from None
        if pushgateway:
            groups = [(PUSH_JOB, self._run)] + (
                [(SUCCESS_PUSH_JOB, self._success)] if self._succeeded else []
            )
            try:
                for job, registry in groups:
                    push_to_gateway(
                        pushgateway, job=job, registry=registry, grouping_key=self.labels
                    )
            except urllib.error.HTTPError as error:
                raise ApiError(
                    f"--pushgateway {pushgateway}: HTTP {error.code} ({error.reason})"
                ) from None
            except OSError as error:
                why = connection_failure(error).why
                raise ApiError(f"--pushgateway {pushgateway}: no answer ({why})") from None

    def _previous_success(self, path: Path) -> float | None:
        """The last success the file being replaced recorded for this cluster and VRF; anything
        unreadable there is a warning, never a reason to lose the new file."""
        try:
            with path.open("rb") as file:
                text = file.read(MAX_PREVIOUS_FILE + 1).decode("utf-8")
            if len(text) > MAX_PREVIOUS_FILE:
                raise ValueError(f"larger than {MAX_PREVIOUS_FILE} bytes")
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if sample.name == LAST_SUCCESS and sample.labels == self.labels:
                        value = float(sample.value)
                        return value if math.isfinite(value) and value > 0 else None
        except FileNotFoundError:
            return None
        except (OSError, ValueError, UnicodeDecodeError, TypeError) as error:
            logger.warning("metrics file %s: cannot carry the last success over (%s)", path, error)
        return None
