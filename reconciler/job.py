"""The scheduled job: render -> commit, apply what is reviewed, then propose, so the pull
request's plan is made against Avi as this run's apply left it.

Plain code over settings and adapters, so it runs the same from the command line, a test or
another program. Clients are built only when a stage needs them. The lock it is given keeps two
runs for one cluster apart; the figures go into the metrics it is given, which the caller
publishes whatever the outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace

from reconciler.apply import ApplySettings, apply_reviewed
from reconciler.changes import summarize
from reconciler.errors import (
    EXIT_CHANGED,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_REFUSED,
    GuardRefusal,
    ReconcilerError,
)
from reconciler.feedback import (
    ApplyFailure,
    FeedbackAdapters,
    FeedbackResult,
    FeedbackSettings,
    Findings,
    apply_findings,
    report,
    reviewed_drift,
)
from reconciler.gitstore import GitStore
from reconciler.ipam.source import ClusterSource
from reconciler.manifest import manifest_path
from reconciler.metrics import RunMetrics
from reconciler.outcome import ApplyResult, apply_exit_code, apply_outcome
from reconciler.propose import (
    GitHubFactory,
    ProposalSettings,
    ProposeResult,
    run_propose,
)
from reconciler.render import Decommissioned, RenderResult, RenderSettings, render
from reconciler.target import AviFactory


@dataclass(frozen=True)
class Stages:
    """Render always runs; the others can be switched off."""

    propose: bool = True
    apply: bool = True


@dataclass(frozen=True)
class JobSettings:
    render: RenderSettings
    proposal: ProposalSettings
    apply: ApplySettings
    stages: Stages = field(default_factory=Stages)


@dataclass(frozen=True)
class JobAdapters:
    cluster: Callable[[], ClusterSource]
    store: GitStore
    avi: AviFactory
    github: GitHubFactory
    lock: AbstractContextManager[object]
    metrics: RunMetrics
    feedback: FeedbackAdapters = field(default_factory=FeedbackAdapters)


@dataclass
class JobResult:
    """What the run did, one line per stage; a stage that stopped the run leaves its error."""

    outcome: list[str] = field(default_factory=list)
    exit_code: int = EXIT_ERROR
    rendered: RenderResult | None = None
    proposal: ProposeResult | None = None
    applied: ApplyResult | None = None
    error: ReconcilerError | None = None
    findings: Findings = field(default_factory=Findings)
    feedback: FeedbackResult = field(default_factory=FeedbackResult)

    def stop(self, error: ReconcilerError) -> None:
        self.exit_code = error.exit_code
        self.outcome.append(f"stopped: {error}")
        self.error = error


def run_job(settings: JobSettings, adapters: JobAdapters) -> JobResult:
    """The stages, then the reports on what they found, both in the run's lock; a run that
    cannot take the lock reports nothing (the run holding it does)."""
    result = JobResult()
    try:
        with adapters.lock:
            try:
                result.exit_code = _stages(settings, adapters, result)
            except ReconcilerError as error:
                result.stop(error)
            _report(settings, adapters, result)
    except ReconcilerError as error:
        result.stop(error)
    adapters.metrics.finished(result.exit_code)
    return result


def _report(settings: JobSettings, adapters: JobAdapters, result: JobResult) -> None:
    findings = result.findings
    if result.error is not None:
        findings.note(result.error)
    elif result.exit_code == EXIT_ERROR:
        findings.failed = "; ".join(result.outcome)
    refs = settings.proposal.plan
    feedback_settings = FeedbackSettings(refs.target, refs.reviewed_ref, refs.branch)
    feedback = result.feedback = report(findings, feedback_settings, adapters.feedback)
    result.outcome += feedback.lines
    adapters.metrics.set(adapters.metrics.webhook_failures, feedback.webhook_failures)
    if feedback.error is not None and result.error is None:
        result.error, result.exit_code = feedback.error, EXIT_ERROR


def _stages(settings: JobSettings, adapters: JobAdapters, result: JobResult) -> int:
    """Render, apply what is reviewed, then propose: the pull request's plan is made against Avi
    as this run's apply left it. An apply a guard refused does not hold the next proposal back;
    one that failed (Avi unreachable, say) stops the run, as the proposal's plan would fail too."""
    store, metrics, refs = adapters.store, adapters.metrics, settings.proposal.plan
    reviewed = store.reviewed_commit(refs.reviewed_ref, refs.remote)
    store.sync_branch(refs.branch, refs.remote)
    rendered = result.rendered = _render(settings, adapters, reviewed, result)
    computation = rendered.computation if rendered else None
    failed = bool(computation and (computation.errors or computation.conflicts))
    refused = bool(rendered and rendered.blocked)
    changed = bool(rendered and (rendered.commit or rendered.replaced))
    if rendered and rendered.blocked:
        result.findings.refused.append(f"render blocked {_blocked(rendered)}")
    apply_error = None
    if settings.stages.apply:
        try:
            code = _apply(settings, adapters, reviewed, rendered, result)
        except GuardRefusal as refusal:
            apply_error = refusal
        else:
            changed |= code == EXIT_CHANGED
            refused |= code == EXIT_REFUSED
    elif settings.proposal.read_avi:
        with metrics.stage("drift"):
            drift = result.findings.drift = reviewed_drift(store, refs, adapters.avi)
        metrics.set(metrics.drift, len(drift or ()))
    if settings.stages.propose:
        changed |= _propose(settings, adapters, rendered, result, apply_error)
    if apply_error is not None:
        raise apply_error
    if failed:
        return EXIT_ERROR
    if refused:
        return EXIT_REFUSED
    return EXIT_CHANGED if changed else EXIT_OK


def _apply(
    settings: JobSettings,
    adapters: JobAdapters,
    reviewed: str,
    rendered: RenderResult | None,
    result: JobResult,
) -> int:
    """Apply the reviewed manifest; its exit code (none reviewed yet: EXIT_OK)."""
    store, metrics = adapters.store, adapters.metrics
    path = manifest_path(settings.render.cluster, settings.render.vrf)
    if store.read(reviewed, path) is None:
        reviewed_ref = settings.proposal.plan.reviewed_ref
        result.outcome.append(f"apply: nothing reviewed yet ({path} not on {reviewed_ref})")
        return EXIT_OK
    # Apply checks the reviewed routes against the pod pools render read from the cluster.
    pools = rendered.cluster.cilium_config if rendered else None
    policy = settings.apply.policy.with_cilium_pools(pools)
    apply_settings = replace(settings.apply, policy=policy)
    try:
        with metrics.stage("apply"), adapters.avi() as avi:
            applied = result.applied = apply_reviewed(store, avi, apply_settings)
    except ReconcilerError as error:
        result.findings.apply_failure = ApplyFailure(reviewed, str(error))
        raise
    outcome = _record_apply(metrics, applied, apply_settings)
    apply_findings(result.findings, applied, outcome)
    result.outcome.append(outcome)
    return apply_exit_code(applied, apply_settings.heal)


def _propose(
    settings: JobSettings,
    adapters: JobAdapters,
    rendered: RenderResult | None,
    result: JobResult,
    apply_error: GuardRefusal | None,
) -> bool:
    """Whether the proposal changed. After a refused apply, a failure here is noted beside it."""
    evidence = rendered.evidence if rendered else []
    try:
        with adapters.metrics.stage("propose"):
            proposal = result.proposal = run_propose(
                adapters.store, settings.proposal, adapters.github, adapters.avi, evidence
            )
    except ReconcilerError as error:
        if apply_error is None:
            raise
        result.outcome.append(f"propose failed too: {error}")
        return False
    result.findings.proposal = proposal
    result.outcome.append(f"propose: {proposal.describe()}")
    return proposal.changed


def _render(
    settings: JobSettings, adapters: JobAdapters, reviewed: str, result: JobResult
) -> RenderResult | None:
    """None when the manifest is decommissioned: the cluster is not read, and propose and apply
    still carry the reviewed teardown through."""
    metrics = adapters.metrics
    with metrics.stage("render"):
        # Always a commit, built on the reviewed head just fetched rather than a local ref.
        render_settings = replace(settings.render, reviewed_ref=reviewed, commit=True)
        try:
            rendered = render(adapters.cluster(), adapters.store, render_settings)
        except Decommissioned as refusal:
            metrics.set(metrics.desired_routes, 0)
            result.outcome.append(f"render skipped: {refusal}")
            return None
    metrics.set(metrics.desired_routes, len(rendered.manifest.routes))
    result.outcome.append(
        f"render {summarize(rendered.changes)}"
        + (f" (commit {rendered.commit[:12]})" if rendered.commit else "")
        + (
            f"; the proposal at {rendered.replaced[:12]} no longer merged cleanly with the "
            "reviewed ref: rebuilt from it"
            if rendered.replaced
            else ""
        )
    )
    return rendered


def _blocked(rendered: RenderResult) -> str:
    return f"{len(rendered.blocked)} route(s): " + ", ".join(
        f"{entry.route.prefix} of node {entry.route.node} ({entry.reason})"
        for entry in rendered.blocked
    )


def _record_apply(metrics: RunMetrics, applied: ApplyResult, settings: ApplySettings) -> str:
    summary = applied.plan.summary
    metrics.set(metrics.applied_changes, len(applied.applied))
    metrics.set(metrics.drift, summary["drift"])
    metrics.set(metrics.blocked, summary["blocked"])
    metrics.set(metrics.skipped, len(applied.skipped_conflicts))
    pools = bool(settings.policy.pod_pools)
    return apply_outcome(applied, settings.heal, settings.dry_run, pools)
