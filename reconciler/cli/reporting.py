"""The reports a command makes after its work (reconciler/feedback.py), and what it prints of
them: the lines say where things were put, the warnings what did not arrive."""

from __future__ import annotations

from reconciler.cli.console import Log
from reconciler.errors import ReconcilerError
from reconciler.feedback import FeedbackAdapters, FeedbackSettings, Findings, report


def tell(
    findings: Findings,
    settings: FeedbackSettings,
    adapters: FeedbackAdapters,
    warnings: list[str],
    log: Log,
) -> ReconcilerError | None:
    """Report, print, and return the error of a report that failed."""
    try:
        result = report(findings, settings, adapters)
    finally:
        if adapters.webhook is not None:
            adapters.webhook.close()
    for line in result.lines:
        log.event("info", line)
    for warning in [*warnings, *result.warnings]:
        log.event("warning", warning)
    return result.error
