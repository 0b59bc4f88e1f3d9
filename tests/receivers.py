"""Two small stand-ins that receive what a run hands over, on 127.0.0.1: a chat webhook that
keeps every JSON body it is posted (or answers with an error), and a Pushgateway that keeps
metric groups as the Pushgateway API does: PUT replaces a group, POST replaces the metrics of
the names it sends, DELETE drops a group, GET /metrics shows every group with its labels."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import unquote

from prometheus_client.parser import text_string_to_metric_families

from reconciler.sim.server import LoggedRequest, Reply, StandInServer


@dataclass(frozen=True)
class Posted(LoggedRequest):
    body: Any


class WebhookReceiver(StandInServer[Posted]):
    """``status`` is what it answers; ``path`` is where the token would be."""

    _what = "the webhook receiver"

    def __init__(self, path: str = "/hooks/T0000/B0000/s3cr3t-w3bh00k-t0k3n", status: int = 200):
        super().__init__()
        self.path, self.status = path, status

    @property
    def url(self) -> str:
        return self._origin + self.path

    @property
    def events(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.status == 200 and r.path == self.path]

    def _respond(self, method: str, target: str, headers: Message, body: bytes) -> Reply:
        status = self.status if (method, target) == ("POST", self.path) else 404
        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = None
        self._record(Posted(method, target, {}, status, decoded))
        return Reply(status, b"ok" if status == 200 else b"no", "text/plain")


class Pushgateway(StandInServer[LoggedRequest]):
    _what = "the Pushgateway stand-in"

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._groups: dict[tuple[tuple[str, str], ...], dict[str, list[str]]] = {}

    @property
    def url(self) -> str:
        return self._origin

    def samples(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample served, by name and labels (the group's labels included)."""
        served = {}
        with self._lock:
            groups = {key: dict(group) for key, group in self._groups.items()}
        for key, group in groups.items():
            text = "".join(line for lines in group.values() for line in lines)
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    labels = {**sample.labels, **dict(key)}
                    served[(sample.name, tuple(sorted(labels.items())))] = sample.value
        return served

    def _respond(self, method: str, target: str, headers: Message, body: bytes) -> Reply:
        parts = [unquote(part) for part in target.split("?")[0].strip("/").split("/")]
        if parts[:2] != ["metrics", "job"] or len(parts) % 2 == 0:
            self._record(LoggedRequest(method, target, {}, 404))
            return Reply(404, b"not found", "text/plain")
        key = tuple(sorted(zip(["job", *parts[3::2]], [parts[2], *parts[4::2]], strict=True)))
        families = _families(body.decode())
        with self._lock:
            if method == "PUT":
                self._groups[key] = families
            elif method == "POST":
                self._groups.setdefault(key, {}).update(families)
            elif method == "DELETE":
                self._groups.pop(key, None)
        status = 200 if method in ("PUT", "POST", "DELETE") else 405
        self._record(LoggedRequest(method, target, {}, status))
        return Reply(status, b"", "text/plain")


def _families(text: str) -> dict[str, list[str]]:
    """The pushed text by metric family: its HELP, TYPE and sample lines."""
    families: dict[str, list[str]] = {}
    for line in text.splitlines(keepends=True):
        words = line.split()
        if not words:
            continue
        name = words[2] if words[0] == "#" and len(words) > 2 else words[0].split("{")[0]
        families.setdefault(name, []).append(line)
    return families
