"""`run`: the scheduled job (reconciler/job.py) from the command line.

Builds the lock: a Lease in a cluster, a lock file in the git directory elsewhere. Prints what
render found, then one summary line with the shared exit codes; metrics are written or pushed
even when a stage fails.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.cli.console import Log
from reconciler.cli.options import (
    add_apply_options,
    add_avi_options,
    add_cluster_name,
    add_cluster_options,
    add_github_options,
    add_manifest_options,
    add_policy_options,
    add_remote_option,
    add_render_guard_options,
    add_run_output_options,
)
from reconciler.cli.output import print_ipam, print_problems, report_apply, report_blocked
from reconciler.errors import EXIT_ERROR, ReconcilerError

if TYPE_CHECKING:
    from reconciler.gitstore import GitStore

SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "run",
        help="the scheduled job: render and commit, apply what is reviewed, then propose",
        description="Render the cluster's routes and commit them on the proposal branch, apply "
        "to Avi what is reviewed (merged), then push the proposal and open, update or close its "
        "pull request, whose plan is made against Avi as the apply left it; then keep the drift "
        "report, the apply's status and comment, send webhook events and write metrics. "
        "--no-apply and --no-propose switch stages off. Runs for one cluster never interleave: "
        "a Lease (coordination.k8s.io/v1) in a cluster, a lock file in the git directory "
        "elsewhere.",
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
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from reconciler.cli.wiring import (
        avi_client,
        cluster_source,
        feedback_adapters,
        git_store,
        github_client,
        job_settings,
    )
    from reconciler.feedback import FeedbackAdapters
    from reconciler.job import JobAdapters, JobResult, run_job
    from reconciler.metrics import RunMetrics

    log = Log(args.log_format)
    metrics = RunMetrics(args.cluster_name, args.vrf)
    result, feedback = JobResult(), FeedbackAdapters()
    warnings: list[str] = []
    try:
        store = git_store(args)
        feedback, warnings = feedback_adapters(args)
        adapters = JobAdapters(
            cluster=partial(cluster_source, args),
            store=store,
            avi=partial(avi_client, args),
            github=partial(github_client, args),
            lock=_run_lock(args, store),
            metrics=metrics,
            feedback=feedback,
        )
        result = run_job(job_settings(args), adapters)
        if result.rendered is not None:
            print_ipam(result.rendered.cluster.ipam, log)
            print_problems(result.rendered.computation, log)
            report_blocked(result.rendered.blocked, log)
        if result.applied is not None:
            report_apply(result.applied, log)
    except ReconcilerError as error:  # options that make no settings, e.g. a bad CIDR
        result.stop(error)
        metrics.finished(result.exit_code)
    finally:
        if feedback.webhook is not None:
            feedback.webhook.close()
        for warning in [*warnings, *result.feedback.warnings]:
            log.event("warning", warning)
        try:
            metrics.publish(args.metrics_file, args.pushgateway)
        except ReconcilerError as error:
            result.stop(error)
        # The one line of the run, its error included: nothing else repeats it.
        failed = result.error is not None or result.exit_code == EXIT_ERROR
        log.event(
            "error" if failed else "info",
            f"run {args.cluster_name}/{args.vrf}: {'; '.join(result.outcome) or 'failed'}; "
            f"exit {result.exit_code}",
            cluster=args.cluster_name,
            vrf=args.vrf,
            exit_code=result.exit_code,
        )
    return result.exit_code


@contextlib.contextmanager
def _run_lock(args: argparse.Namespace, store: GitStore) -> Iterator[None]:
    """The Lease reads the cluster, so only it loads the Kubernetes client."""
    namespace = args.lease_namespace
    if (
        namespace is None
        and "KUBERNETES_SERVICE_HOST" in os.environ
        and SERVICE_ACCOUNT_NAMESPACE.exists()
    ):
        namespace = SERVICE_ACCOUNT_NAMESPACE.read_text().strip()
    if namespace:
        from reconciler.ipam.kubeconfig import api_client
        from reconciler.lease import lease_lock

        with lease_lock(api_client(args.kubeconfig, args.context), namespace, args.cluster_name):
            yield
    else:
        from reconciler.lock import file_lock

        with file_lock(Path(store.repo.git_dir), args.cluster_name):
            yield
