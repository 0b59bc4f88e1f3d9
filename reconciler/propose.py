"""`propose`: push the proposal branch and keep exactly one pull request per cluster and VRF.

The pull request body is the markdown plan. Nothing changes when nothing changed: no commit, no
push, no edit. When the cluster is back in the reviewed state, the open pull request is closed
with a comment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from reconciler.apply import Target
from reconciler.gitstore import GitStore
from reconciler.manifest import manifest_path
from reconciler.ownership import LiveRoute, LiveState
from reconciler.plan import Plan
from reconciler.report import headline, render_json, render_markdown
from reconciler.review.github import GitHubClient, PullRequest, fit_body
from reconciler.routes import Route

BODY_LIMIT = 60000
ProposeAction = Literal["opened", "updated", "unchanged", "closed", "nothing to propose"]


@dataclass(frozen=True)
class ProposeResult:
    action: ProposeAction
    pull: PullRequest | None
    pushed: bool


def offline_live(base: tuple[Route, ...]) -> LiveState:
    """Without a controller, plan against the last applied manifest: git changes only."""
    ours = {route.prefix: LiveRoute(route, index, {}, False) for index, route in enumerate(base)}
    return LiveState(ours, {}, (), ("Avi was not read (no controller configured): drift unknown",))


def plan_file_path(cluster: str, vrf: str) -> str:
    return manifest_path(cluster, vrf).removesuffix(".yaml") + ".plan.json"


def pull_request_text(plan: Plan, evidence: list[str]) -> tuple[str, str, str | None]:
    """Title, body, and the full JSON plan when the body had to be summarised."""
    title = f"routes: {plan.cluster}/{plan.vrf}: {headline(plan).split(': ', 1)[1]}"
    marker = f"<!-- route-reconciler:{plan.cluster}/{plan.vrf} -->"
    body = f"{marker}\n{render_markdown(plan, evidence)}"
    if len(body) <= BODY_LIMIT:
        return title, body, None
    where = plan_file_path(plan.cluster, plan.vrf)
    note = f"The full plan is committed on this branch as `{where}`."
    return title, fit_body(body, BODY_LIMIT, note), render_json(plan)


def propose(
    store: GitStore,
    github: GitHubClient,
    target: Target,
    plan_for: Callable[[], Plan],
    evidence: list[str],
    *,
    branch: str,
    reviewed_ref: str,
    remote: str,
) -> ProposeResult:
    """`plan_for` is called only when there is something to propose (it may read Avi)."""
    path = manifest_path(target.cluster, target.vrf)
    reviewed = store.reviewed_commit(reviewed_ref, remote)
    tip = store.resolve(f"refs/heads/{branch}")
    open_pull = github.find_open_pull(branch, reviewed_ref)
    if tip is None or store.read(tip, path) == store.read(reviewed, path):
        # Retire the stale proposal too, so the next run starts from the reviewed ref.
        pushed = (
            tip is not None and tip != reviewed and store.reset_branch(branch, reviewed, remote)
        )
        if open_pull is None:
            return ProposeResult("nothing to propose", None, pushed)
        github.close_pull(
            open_pull.number,
            f"The cluster is back to the reviewed state of "
            f"`{reviewed_ref}` ({reviewed[:12]}): nothing to propose.",
        )
        return ProposeResult("closed", open_pull, pushed)
    plan = plan_for()
    title, body, full_plan = pull_request_text(plan, evidence)
    if full_plan is not None:
        where = plan_file_path(plan.cluster, plan.vrf)
        store.commit_on_branch(branch, tip, {where: full_plan}, f"routes: full plan for {path}\n")
    pushed = store.push_branch(branch, remote)
    if open_pull is None:
        created = github.create_pull(head_branch=branch, base=reviewed_ref, title=title, body=body)
        return ProposeResult("opened", created, pushed)
    if (open_pull.title, open_pull.body) == (title, body):
        return ProposeResult("unchanged", open_pull, pushed)
    return ProposeResult(
        "updated", github.update_pull(open_pull.number, title=title, body=body), pushed
    )


def evidence_lines(ipam_mode: str, evidence: Sequence[str], notes: Sequence[str]) -> list[str]:
    """What the reviewer should know about the cluster read: mode, evidence, warnings, errors."""
    return [f"IPAM mode `{ipam_mode}`: " + "; ".join(evidence), *notes]
