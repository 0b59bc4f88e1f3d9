"""`propose`: push the proposal branch and keep exactly one pull request per cluster and VRF.

The pull request body is the markdown plan: three-way against Avi when a controller is
configured, else against git alone. Nothing changes when nothing changed: no commit, no push, no
edit. When the cluster is back in the reviewed state, the open pull request is closed with a
comment. `plan --comment-on` keeps its plan as one sticky comment through here too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal

from reconciler.apply import Target, load_base_routes
from reconciler.commit_notes import evidence_in, rebuilds_in
from reconciler.gitstore import GitStore
from reconciler.manifest import manifest_path
from reconciler.markdown_text import literal
from reconciler.ownership import LiveRoute, LiveState
from reconciler.plan import Plan, three_way_plan
from reconciler.policy import enforce
from reconciler.report import headline, render_json, render_markdown
from reconciler.review.github import GitHubClient, PullRequest, fit_body
from reconciler.routes import Route
from reconciler.target import AviFactory, PlanSettings, live_plan, target_manifest

BODY_LIMIT = 60000
ProposeAction = Literal["opened", "updated", "unchanged", "closed", "nothing to propose"]
GitHubFactory = Callable[[], AbstractContextManager[GitHubClient]]


@dataclass(frozen=True)
class ProposalSettings:
    """`plan` names the proposal branch as its target; `read_avi` is whether a controller is
    configured, so the plan can show drift."""

    plan: PlanSettings
    read_avi: bool = False


@dataclass(frozen=True)
class ProposeResult:
    action: ProposeAction
    pull: PullRequest | None
    pushed: bool

    @property
    def changed(self) -> bool:
        return self.action not in ("unchanged", "nothing to propose")

    def describe(self) -> str:
        if self.pull is None:
            return self.action
        pushed = ", branch pushed" if self.pushed else ""
        return f"pull request #{self.pull.number} {self.action}{pushed} ({self.pull.url})"


def offline_live(base: tuple[Route, ...]) -> LiveState:
    """Without a controller, plan against the last applied manifest: git changes only."""
    ours = {route.prefix: LiveRoute(route, index, {}, False) for index, route in enumerate(base)}
    return LiveState(ours, {}, (), ("Avi was not read (no controller configured): drift unknown",))


def proposal_plan(store: GitStore, settings: ProposalSettings, avi: AviFactory) -> Plan:
    """Three-way against Avi when it is configured; else against the last applied (or reviewed)
    manifest, which shows the reviewed changes but no drift."""
    plan_settings = settings.plan
    if settings.read_avi:
        return live_plan(store, plan_settings, avi)
    target = plan_settings.target
    wanted = target_manifest(store, plan_settings)
    base = load_base_routes(store, target)
    if base is None:
        reviewed = store.reviewed_commit(plan_settings.reviewed_ref, plan_settings.remote)
        committed = store.manifest_at(reviewed, target.cluster, target.vrf)
        base = committed.routes if committed else ()
    allowed, blocked = enforce(wanted.routes, plan_settings.policy)
    live = offline_live(base)
    return three_way_plan(
        target.cluster, target.vrf, base, allowed, live, blocked, wanted.decommission
    )


def run_propose(
    store: GitStore,
    settings: ProposalSettings,
    github: GitHubFactory,
    avi: AviFactory,
    evidence: list[str] | None,
) -> ProposeResult:
    """Propose the proposal branch as it is in `store`; Avi is read only if there is a change.
    Without `evidence` (None), the pull request shows what the branch's commits recorded."""
    plan_settings = settings.plan
    with github() as client:
        return propose(
            store,
            client,
            plan_settings.target,
            lambda: proposal_plan(store, settings, avi),
            evidence,
            branch=plan_settings.branch,
            reviewed_ref=plan_settings.reviewed_ref,
            remote=plan_settings.remote,
        )


def sync_and_propose(
    store: GitStore, settings: ProposalSettings, github: GitHubFactory, avi: AviFactory
) -> ProposeResult:
    """`propose` on its own: continue from the remote's proposal branch (a fresh clone has none)."""
    store.sync_branch(settings.plan.branch, settings.plan.remote)
    return run_propose(store, settings, github, avi, None)


def comment_plan(github: GitHubFactory, pull_number: int, plan: Plan) -> None:
    """Keep the markdown plan as one sticky comment on a pull request, edited on each run."""
    marker = f"<!-- route-reconciler:plan:{plan.cluster}/{plan.vrf} -->"
    with github() as client:
        client.upsert_sticky_comment(pull_number, marker, fit_body(render_markdown(plan)))


def plan_file_path(cluster: str, vrf: str) -> str:
    return manifest_path(cluster, vrf).removesuffix(".yaml") + ".plan.json"


def pull_request_text(
    plan: Plan, evidence: Sequence[str], notes: Sequence[str] = ()
) -> tuple[str, str, str | None]:
    """Title, body, and the full JSON plan when the body had to be summarised."""
    title = f"routes: {plan.cluster}/{plan.vrf}: {headline(plan).split(': ', 1)[1]}"
    if plan.decommission is not None:
        deleted = plan.summary["delete"]
        title = f"routes: {plan.cluster}/{plan.vrf}: DECOMMISSION, {deleted} route(s) deleted"
    marker = f"<!-- route-reconciler:{plan.cluster}/{plan.vrf} -->"
    body = f"{marker}\n{render_markdown(plan, evidence, notes)}"
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
    evidence: list[str] | None,
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
            f"{literal(reviewed_ref)} ({reviewed[:12]}): nothing to propose.",
        )
        return ProposeResult("closed", open_pull, pushed)
    plan = plan_for()
    messages = store.messages_between(reviewed, tip)
    shown = evidence_in(messages) if evidence is None else evidence
    title, body, full_plan = pull_request_text(plan, shown, rebuilds_in(messages))
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
