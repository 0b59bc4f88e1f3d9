"""Telling people what a run found: on GitHub the drift report, and the applied commit's status
with one comment on the pull request it came from; on the webhook one event per thing that
happened. Runs after the stages of `run`, `propose` and `apply`, in the run's lock.

The decisions are pure (drift_report, apply_review, events); this module only calls GitHub and
the webhook. A GitHub call that fails is the run's error (a missing permission must show), after
the other reports were tried; a webhook that fails is a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from reconciler.apply import ApplySettings, Target
from reconciler.apply_review import (
    apply_status,
    comment_marker,
    failure_comment,
    failure_status,
    had_work,
)
from reconciler.apply_review import outcome_comment as apply_comment
from reconciler.drift_report import (
    LABEL,
    LABEL_COLOR,
    LABEL_DESCRIPTION,
    DriftDecision,
    OpenReport,
    decide,
    marker,
)
from reconciler.errors import GuardRefusal, ReconcilerError
from reconciler.events import Event, EventKind, payload
from reconciler.gitstore import GitStore
from reconciler.manifest import manifest_path
from reconciler.outcome import ApplyResult
from reconciler.plan import Change
from reconciler.propose import GitHubFactory, ProposeResult
from reconciler.review.github import CommitStatus, GitHubClient, Label, PullRequest
from reconciler.target import AviFactory, PlanSettings, live_plan
from reconciler.webhook import Webhook

MAX_NAMED = 5
T = TypeVar("T")


@dataclass(frozen=True)
class FeedbackAdapters:
    github: GitHubFactory | None = None  # None: no GitHub settings, so drift is only logged
    webhook: Webhook | None = None


@dataclass(frozen=True)
class FeedbackSettings:
    target: Target
    reviewed_ref: str
    branch: str  # the proposal branch: a merged pull request from it is ours
    dry_run: bool = False  # a dry run reports nothing


@dataclass(frozen=True)
class ApplyFailure:
    commit: str | None  # the reviewed commit being applied, when it was known
    reason: str


@dataclass
class Findings:
    proposal: ProposeResult | None = None
    drift: tuple[Change, ...] | None = None  # drift left on Avi; None: unknown this run
    healed: bool = False
    applied: ApplyResult | None = None
    apply_outcome: str = ""
    apply_failure: ApplyFailure | None = None
    refused: list[str] = field(default_factory=list)
    failed: str | None = None

    def note(self, error: ReconcilerError) -> None:
        """An error that stopped the command: a guard's refusal, or a failure."""
        if isinstance(error, GuardRefusal):
            self.refused.append(str(error))
        else:
            self.failed = str(error)


@dataclass
class FeedbackResult:
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: ReconcilerError | None = None
    webhook_failures: int = 0


def reviewed_drift(
    store: GitStore, settings: PlanSettings, avi: AviFactory
) -> tuple[Change, ...] | None:
    """The drift on Avi against the reviewed manifest; None while nothing is reviewed."""
    target = settings.target
    reviewed = store.reviewed_commit(settings.reviewed_ref, settings.remote)
    if store.read(reviewed, manifest_path(target.cluster, target.vrf)) is None:
        return None
    plan = live_plan(store, replace(settings, source="reviewed"), avi)
    return tuple(change for change in plan.changes if change.origin == "drift")


def failed_apply(
    findings: Findings, store: GitStore, settings: ApplySettings, error: ReconcilerError
) -> None:
    """An apply that raised: its commit is the reviewed head as last fetched, when the
    manifest is there (a fetch that failed leaves the one fetched before)."""
    findings.note(error)
    target, ref = settings.target, settings.reviewed_ref
    try:
        remote = store.uses_remote(settings.remote)
        commit = store.resolve(
            f"refs/remotes/{settings.remote}/{ref}" if remote else f"refs/heads/{ref}"
        )
        manifest = store.read(commit, manifest_path(target.cluster, target.vrf)) if commit else None
    except ReconcilerError:
        return
    if manifest is not None:
        findings.apply_failure = ApplyFailure(commit, str(error))


def apply_findings(findings: Findings, result: ApplyResult, outcome: str) -> None:
    """What an apply found: drift left on Avi (unknown when a newer commit was applied)."""
    findings.applied, findings.apply_outcome = result, outcome
    if result.superseded_by:
        return
    drift = [change for change in result.plan.changes if change.origin == "drift"]
    findings.drift = tuple(change for change in drift if change not in result.applied)
    findings.healed = any(change in result.applied for change in drift)


def report(
    findings: Findings, settings: FeedbackSettings, adapters: FeedbackAdapters
) -> FeedbackResult:
    result = FeedbackResult()
    if settings.dry_run:
        return result
    github = adapters.github
    shown = _Shown()
    if github is None:
        if findings.drift:
            result.warnings.append(_drift_logged(findings.drift, settings.target))
    elif findings.drift is not None or findings.applied or findings.apply_failure:
        _attempt(result, lambda: _on_github(github, findings, settings, result, shown))
    if adapters.webhook is not None:
        for event in _events(findings, settings.target, shown):
            warning = adapters.webhook.send(payload(event))
            if warning:
                result.warnings.append(warning)
                result.webhook_failures += 1
    return result


def _attempt(result: FeedbackResult, call: Callable[[], T]) -> T | None:
    try:
        return call()
    except ReconcilerError as error:
        result.lines.append(f"report failed: {error}")
        result.error = result.error or error
        return None


@dataclass
class _Shown:
    """Where the run's findings were put on GitHub, for the webhook's links."""

    drift: DriftDecision | None = None
    drift_url: str | None = None
    pull: PullRequest | None = None


def _on_github(
    github: GitHubFactory,
    findings: Findings,
    settings: FeedbackSettings,
    result: FeedbackResult,
    shown: _Shown,
) -> None:
    """Each report on its own, so one that fails does not keep the other from GitHub."""
    with github() as client:
        if findings.drift is not None:
            found = _attempt(result, lambda: _keep_drift_report(client, findings, settings))
            shown.drift, shown.drift_url = found or (None, None)
        shown.pull = _attempt(result, lambda: _review_apply(client, findings, settings, result))


def _keep_drift_report(
    client: GitHubClient, findings: Findings, settings: FeedbackSettings
) -> tuple[DriftDecision, str | None]:
    target = settings.target
    found = client.find_open_issue(LABEL, marker(target.cluster, target.vrf))
    previous = OpenReport(found.number, found.title, found.body, found.url) if found else None
    decision = decide(
        previous,
        findings.drift or (),
        cluster=target.cluster,
        vrf=target.vrf,
        reviewed_ref=settings.reviewed_ref,
        healed=findings.healed,
    )
    url = previous.url if previous else None
    if decision.action == "open":
        label = Label(LABEL, LABEL_COLOR, LABEL_DESCRIPTION)
        url = client.create_issue(title=decision.title, body=decision.body, label=label).url
    elif decision.report is not None and decision.action == "update":
        client.update_issue(decision.report.number, title=decision.title, body=decision.body)
    elif decision.report is not None and decision.action == "close":
        client.close_issue(decision.report.number, decision.comment)
    return decision, url


def _review_apply(
    client: GitHubClient, findings: Findings, settings: FeedbackSettings, result: FeedbackResult
) -> PullRequest | None:
    """The status on the applied commit and the comment on its pull request, when the apply
    had work to do or failed; both only when the status says something new, and the comment
    edited in place, never repeated."""
    target, applied, failure = settings.target, findings.applied, findings.apply_failure
    if applied is not None and had_work(applied):
        commit, status = applied.reviewed_commit, apply_status(applied)
        comment = apply_comment(applied, findings.apply_outcome)
    elif failure is not None and failure.commit is not None:
        commit, status = failure.commit, failure_status(target.cluster, target.vrf, failure.reason)
        comment = failure_comment(target.cluster, target.vrf, failure.commit, failure.reason)
    else:
        return None
    pull = next(
        (
            p
            for p in client.pulls_of_commit(commit)
            if p.merged and (p.head_ref, p.base_ref) == (settings.branch, settings.reviewed_ref)
        ),
        None,
    )
    latest = client.latest_status(commit, status.context)
    if latest is not None and (latest.state, latest.description) == (
        status.state,
        status.description,
    ):
        return pull  # reported already, by an earlier run
    url = pull.url if pull else None
    client.set_status(commit, CommitStatus(status.state, status.context, status.description, url))
    result.lines.append(f"status {status.state} on {commit[:12]} ({status.context})")
    if pull is not None:
        marker_text = comment_marker(target.cluster, target.vrf)
        client.upsert_sticky_comment(pull.number, marker_text, comment)
        result.lines.append(f"outcome on pull request #{pull.number}")
    return pull


def _events(findings: Findings, target: Target, shown: _Shown) -> list[Event]:
    def event(kind: EventKind, summary: str, action: str = "", url: str | None = None) -> Event:
        return Event(kind, target.cluster, target.vrf, summary, action, url)

    events = []
    proposal = findings.proposal
    if proposal is not None and proposal.action in ("opened", "updated", "closed"):
        url = proposal.pull.url if proposal.pull else None
        events.append(event("proposal", proposal.describe(), proposal.action, url))
    applied, pull_url = findings.applied, shown.pull.url if shown.pull else None
    if applied is not None and applied.applied:
        events.append(event("applied", findings.apply_outcome, url=pull_url))
    refusals = list(findings.refused)
    if applied is not None and (applied.skipped_conflicts or applied.plan.blocked):
        refusals.append(findings.apply_outcome)
    events += [event("refused", reason, url=pull_url) for reason in refusals]
    decision = shown.drift
    if decision is not None and decision.event is not None:
        summary = decision.title if decision.action != "close" else decision.comment
        events.append(event("drift", summary, decision.event, shown.drift_url))
    if findings.failed is not None:
        events.append(event("failed", findings.failed, url=pull_url))
    return events


def _drift_logged(drift: tuple[Change, ...], target: Target) -> str:
    named = ", ".join(str(change.prefix) for change in drift[:MAX_NAMED])
    more = f" and {len(drift) - MAX_NAMED} more" if len(drift) > MAX_NAMED else ""
    return (
        f"drift: {len(drift)} route(s) of {target.cluster} on Avi VRF {target.vrf} differ from "
        f"git ({named}{more}); no GitHub settings, so no drift report"
    )
