"""`run`: the scheduled job. render -> commit -> propose, then apply what is reviewed.

One run per cluster at a time (a Lease in a cluster, a file lock elsewhere). Ends with one
summary line and the shared exit codes; metrics are written or pushed even when a stage fails.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from reconciler.apply import ApplyResult, apply_reviewed
from reconciler.changes import summarize
from reconciler.cli.options import (
    add_apply_options,
    add_avi_options,
    add_cluster_name,
    add_cluster_options,
    add_github_options,
    add_manifest_options,
    add_policy_options,
    add_remote_option,
    add_run_output_options,
    apply_settings,
    avi_client,
    cluster_source,
    git_store,
    render_settings,
)
from reconciler.cli.output import Log, print_ipam, print_problems, report_blocked
from reconciler.cli.propose import describe, run_propose
from reconciler.cli.render import add_render_guard_options
from reconciler.errors import EXIT_CHANGED, EXIT_ERROR, EXIT_OK, EXIT_REFUSED, ReconcilerError
from reconciler.gitstore import GitStore
from reconciler.ipam.kube import api_client
from reconciler.lock import file_lock, lease_lock
from reconciler.metrics import RunMetrics
from reconciler.propose import evidence_lines
from reconciler.render import render

SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "run",
        help="the scheduled job: render, commit, propose, then apply what is reviewed",
        description="Each stage can be switched off. Runs for one cluster never interleave: a "
        "Lease (coordination.k8s.io/v1) in a cluster, a lock file in the git directory elsewhere.",
    )
    add_cluster_name(parser)
    add_cluster_options(parser)
    add_manifest_options(parser)
    add_remote_option(parser)
    add_render_guard_options(parser)
    add_policy_options(parser)
    add_apply_options(parser)
    parser.add_argument("--no-propose", action="store_true", help="skip the pull request stage")
    parser.add_argument("--no-apply", action="store_true", help="skip the apply stage")
    parser.add_argument(
        "--lease-namespace",
        metavar="NS",
        help="take a Lease here (default in a cluster: the pod's namespace)",
    )
    add_github_options(parser)
    add_avi_options(parser)
    add_run_output_options(parser)
    parser.set_defaults(run=run, target="proposal")


def run(args: argparse.Namespace) -> int:
    log = Log(args.log_format)
    metrics = RunMetrics(args.cluster_name, args.vrf)
    store = git_store(args)
    outcome: list[str] = []
    exit_code = EXIT_ERROR
    try:
        with _run_lock(args, store):
            exit_code = _stages(args, store, log, metrics, outcome)
        if exit_code in (EXIT_OK, EXIT_CHANGED):
            metrics.succeeded()
    except ReconcilerError as error:
        exit_code = error.exit_code
        outcome.append(f"stopped: {error}")
        raise
    finally:
        log.event(
            "info" if exit_code != EXIT_ERROR else "error",
            f"run {args.cluster_name}/{args.vrf}: {'; '.join(outcome) or 'failed'}; "
            f"exit {exit_code}",
            cluster=args.cluster_name,
            vrf=args.vrf,
            exit_code=exit_code,
        )
        metrics.publish(args.metrics_file, args.pushgateway)
    return exit_code


def _stages(
    args: argparse.Namespace, store: GitStore, log: Log, metrics: RunMetrics, outcome: list[str]
) -> int:
    branch = args.branch or f"route-reconciler/{args.cluster_name}"
    reviewed = store.reviewed_commit(args.reviewed_ref, args.remote)
    store.sync_branch(branch, args.remote)
    changed = False
    with metrics.stage("render"):
        result = render(
            cluster_source(args),
            store,
            render_settings(args, branch=branch, reviewed_ref=reviewed, commit=True),
        )
    print_ipam(result.cluster.ipam, log)
    failed = print_problems(result.computation, log)
    report_blocked(result.blocked, log)
    refused = bool(result.blocked)
    metrics.set(metrics.desired_routes, len(result.manifest.routes))
    outcome.append(
        f"render {summarize(result.changes)}"
        + (f" (commit {result.commit[:12]})" if result.commit else "")
    )
    changed |= result.commit is not None
    if not args.no_propose:
        with metrics.stage("propose"):
            ipam = result.cluster.ipam
            notes = [*result.computation.warnings, *result.computation.errors]
            notes += [
                f"blocked at render: {b.route.prefix} of node {b.route.node}: {b.reason}"
                for b in result.blocked
            ]
            proposal = run_propose(
                args, store, evidence_lines(str(ipam.mode), ipam.evidence, notes)
            )
        outcome.append(f"propose: {describe(proposal)}")
        changed |= proposal.action not in ("unchanged", "nothing to propose")
    if not args.no_apply and store.read(reviewed, result.path) is None:
        outcome.append(f"apply: nothing reviewed yet ({result.path} not on {args.reviewed_ref})")
    elif not args.no_apply:
        with metrics.stage("apply"):
            applied = _apply(args, store)
        _record_apply(metrics, applied, outcome)
        changed |= bool(applied.applied)
        refused |= bool(applied.skipped_conflicts or applied.plan.blocked)
    if failed:
        return EXIT_ERROR
    if refused:
        return EXIT_REFUSED
    return EXIT_CHANGED if changed else EXIT_OK


def _apply(args: argparse.Namespace, store: GitStore) -> ApplyResult:
    with avi_client(args) as avi:
        return apply_reviewed(store, avi, apply_settings(args))


def _record_apply(metrics: RunMetrics, applied: ApplyResult, outcome: list[str]) -> None:
    summary = applied.plan.summary
    metrics.set(metrics.applied_changes, len(applied.applied))
    metrics.set(metrics.drift, summary["drift"])
    metrics.set(metrics.blocked, summary["blocked"])
    outcome.append(
        f"apply {len(applied.applied)} change(s) of {applied.reviewed_commit[:12]}, "
        f"drift {summary['drift']}, blocked {summary['blocked']}, "
        f"skipped {len(applied.skipped_conflicts)}"
    )


@contextlib.contextmanager
def _run_lock(args: argparse.Namespace, store: GitStore) -> Iterator[None]:
    namespace = args.lease_namespace
    if (
        namespace is None
        and "KUBERNETES_SERVICE_HOST" in os.environ
        and SERVICE_ACCOUNT_NAMESPACE.exists()
    ):
        namespace = SERVICE_ACCOUNT_NAMESPACE.read_text().strip()
    if namespace:
        with lease_lock(api_client(args.kubeconfig, args.context), namespace, args.cluster_name):
            yield
    else:
        with file_lock(Path(store.repo.git_dir), args.cluster_name):
            yield
