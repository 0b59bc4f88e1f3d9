"""What a run tells the team's chat: one event per thing that happened, and its webhook body.
Pure.

Events: ``proposal`` (opened, updated, closed), ``applied``, ``refused`` (a guard, a skipped or
a blocked route), ``drift`` (appeared, changed, cleared) and ``failed``. The body is JSON with
``text``, which Slack and Microsoft Teams incoming webhooks show as the message, and the same
facts as fields for anything else: ``event``, ``action``, ``cluster``, ``vrf``, ``summary``,
``url``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

EventKind = Literal["proposal", "applied", "refused", "drift", "failed"]
SUMMARY_LIMIT: Final = 2000  # chat messages are for reading; the job log has everything

_HEADLINES: Final[dict[EventKind, str]] = {
    "proposal": "pull request",
    "applied": "applied to Avi",
    "refused": "refused",
    "drift": "drift",
    "failed": "run failed",
}


@dataclass(frozen=True)
class Event:
    event: EventKind
    cluster: str
    vrf: str
    summary: str
    action: str = ""  # proposal: opened, updated, closed; drift: appeared, changed, cleared
    url: str | None = None


def payload(event: Event) -> dict[str, Any]:
    summary = _one_line(event.summary)
    headline = _HEADLINES[event.event] + (f" {event.action}" if event.action else "")
    text = f"route-reconciler {event.cluster}/{event.vrf}: {headline}: {summary}"
    if event.url:
        text += f" {event.url}"
    return {
        "text": _slack_escaped(text),
        "event": event.event,
        "action": event.action or None,
        "cluster": event.cluster,
        "vrf": event.vrf,
        "summary": summary,
        "url": event.url,
    }


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SUMMARY_LIMIT else line[: SUMMARY_LIMIT - 1] + "…"


def _slack_escaped(text: str) -> str:
    """Slack reads ``<...>`` as links and mentions, so the three characters it names are
    escaped; Teams shows the entities as the characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
