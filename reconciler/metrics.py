"""Prometheus metrics of one run, written as a node-exporter textfile or pushed to a Pushgateway.

A CronJob lives for seconds, so nothing is scraped from it: the figures are handed over at the end.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

from reconciler.errors import ApiError


class RunMetrics:
    def __init__(self, cluster: str, vrf: str) -> None:
        self.registry = CollectorRegistry()
        self.labels = {"cluster": cluster, "vrf": vrf}
        names = ("cluster", "vrf")
        self.desired_routes = Gauge(
            "route_reconciler_desired_routes",
            "Routes in the rendered manifest",
            names,
            registry=self.registry,
        )
        self.applied_changes = Gauge(
            "route_reconciler_applied_changes",
            "Route changes written to Avi",
            names,
            registry=self.registry,
        )
        self.drift = Gauge(
            "route_reconciler_drift_routes",
            "Routes that differ on Avi from git",
            names,
            registry=self.registry,
        )
        self.blocked = Gauge(
            "route_reconciler_blocked_routes",
            "Desired routes blocked by a foreign route or the route policy",
            names,
            registry=self.registry,
        )
        self.last_success = Gauge(
            "route_reconciler_last_success_timestamp_seconds",
            "When a run last finished without error",
            names,
            registry=self.registry,
        )
        self.stage_seconds = Gauge(
            "route_reconciler_stage_duration_seconds",
            "Duration of each stage",
            (*names, "stage"),
            registry=self.registry,
        )

    def set(self, gauge: Gauge, value: float) -> None:
        gauge.labels(**self.labels).set(value)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stage_seconds.labels(**self.labels, stage=name).set(time.perf_counter() - started)

    def succeeded(self) -> None:
        self.set(self.last_success, time.time())

    def publish(self, textfile: str | None, pushgateway: str | None) -> None:
        if textfile:
            write_to_textfile(textfile, self.registry)
        if pushgateway:
            try:
                push_to_gateway(
                    pushgateway,
                    job="route-reconciler",
                    registry=self.registry,
                    grouping_key=self.labels,
                )
            except OSError as error:
                raise ApiError(f"Pushgateway {pushgateway}: {error}") from None
