"""The fake's endpoints for what a run reports back: issues (and pull requests seen as issues),
labels, commit statuses, and commits with their pull requests. ``FakeGitHub`` mixes them in."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from reconciler.sim.github.comments import IssueComments
from reconciler.sim.github.faults import DOCS
from reconciler.sim.github.issues import (
    IssueNumbers,
    Issues,
    issue_json,
    matches,
    pull_as_issue_json,
)
from reconciler.sim.github.labels import Labels, label_json
from reconciler.sim.github.protocol import ApiRequest, Headers, JsonObject, page_of
from reconciler.sim.github.pulls import PullRequests
from reconciler.sim.github.repository import Branches, CommitInfo, Repository
from reconciler.sim.github.statuses import Statuses, no_commit, status_json
from reconciler.sim.server import Reply

if TYPE_CHECKING:
    Endpoint = Callable[[ApiRequest], Reply]
    Routes = list[tuple[re.Pattern[str], dict[str, tuple[Endpoint, str]]]]

_REPO_PATH = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
DOCS_ISSUES = f"{DOCS}/issues/issues"
DOCS_LABELS = f"{DOCS}/issues/labels"
DOCS_STATUSES = f"{DOCS}/commits/statuses"
DOCS_COMMITS = f"{DOCS}/commits/commits"


class TrackingEndpoints:
    """Endpoints over the repository's issues, labels, statuses and commits; the pull requests,
    comments and branches are the fake's, and so is the way it replies."""

    def __init__(
        self,
        *,
        numbers: IssueNumbers,
        pulls: PullRequests,
        comments: IssueComments,
        branches: Branches,
        repository: Callable[[], Repository],
        pull_json: Callable[[int], JsonObject],
        reply: Callable[[int, Any, Headers], Reply],
    ) -> None:
        self._labels = Labels()
        self._issues = Issues(numbers, self._labels)
        self._statuses = Statuses()
        self._pulls = pulls
        self._comments = comments
        self._branches = branches
        self._repository_now = repository
        self._pull_json = pull_json
        self._reply_with = reply

    @property
    def _repository(self) -> Repository:
        return self._repository_now()

    def _reply(self, status: int, payload: Any, headers: Headers = ()) -> Reply:
        return self._reply_with(status, payload, headers)

    def routes(self) -> Routes:
        issue = rf"{_REPO_PATH}/issues/(?P<number>\d+)"
        commit = rf"{_REPO_PATH}/commits/(?P<ref>[^/]+)"
        return [
            (
                re.compile(rf"{_REPO_PATH}/issues"),
                {
                    "GET": (self._list_issues, f"{DOCS_ISSUES}#list-repository-issues"),
                    "POST": (self._create_issue, f"{DOCS_ISSUES}#create-an-issue"),
                },
            ),
            (
                re.compile(issue),
                {
                    "GET": (self._get_issue, f"{DOCS_ISSUES}#get-an-issue"),
                    "PATCH": (self._update_issue, f"{DOCS_ISSUES}#update-an-issue"),
                },
            ),
            (
                re.compile(rf"{_REPO_PATH}/labels"),
                {
                    "GET": (self._list_labels, f"{DOCS_LABELS}#list-labels-for-a-repository"),
                    "POST": (self._create_label, f"{DOCS_LABELS}#create-a-label"),
                },
            ),
            (
                re.compile(rf"{_REPO_PATH}/labels/(?P<name>[^/]+)"),
                {"GET": (self._get_label, f"{DOCS_LABELS}#get-a-label")},
            ),
            (
                re.compile(rf"{_REPO_PATH}/statuses/(?P<sha>[^/]+)"),
                {
                    "POST": (self._create_status, f"{DOCS_STATUSES}#create-a-commit-status"),
                    # the older spelling of the listing below, which clients still use
                    "GET": (
                        self._list_statuses,
                        f"{DOCS_STATUSES}#list-commit-statuses-for-a-reference",
                    ),
                },
            ),
            (
                re.compile(rf"{commit}/statuses"),
                {
                    "GET": (
                        self._list_statuses,
                        f"{DOCS_STATUSES}#list-commit-statuses-for-a-reference",
                    )
                },
            ),
            (
                re.compile(rf"{commit}/pulls"),
                {
                    "GET": (
                        self._commit_pulls,
                        f"{DOCS_COMMITS}#list-pull-requests-associated-with-a-commit",
                    )
                },
            ),
            (re.compile(commit), {"GET": (self._get_commit, f"{DOCS_COMMITS}#get-a-commit")}),
        ]

    # -- state for tests -------------------------------------------------------------------------

    @property
    def issues(self) -> list[JsonObject]:
        """Every issue (pull requests aside) as ``GET .../issues/{n}`` shows it, by number."""
        repository = self._repository
        return [
            issue_json(issue, repository, self._comments.count(issue.number))
            for issue in self._issues.all()
        ]

    def statuses(self, sha: str) -> list[JsonObject]:
        """A commit's statuses, newest first."""
        return [status_json(status, self._repository) for status in self._statuses.on(sha)]

    def issue_exists(self, number: int) -> None:
        """404 unless ``number`` is an issue or a pull request."""
        if not self._issues.exists(number):
            self._pulls.get(number)

    # -- issues ----------------------------------------------------------------------------------

    def _issue_or_pull_json(self, number: int) -> JsonObject:
        repository, comments = self._repository, self._comments.count(number)
        if self._issues.exists(number):
            return issue_json(self._issues.get(number), repository, comments)
        return pull_as_issue_json(self._pull_json(number), repository, comments)

    def _list_issues(self, request: ApiRequest) -> Reply:
        """Issues and pull requests, newest first unless ``sort``/``direction`` say otherwise."""
        query = request.query
        repository = self._repository
        found: list[JsonObject] = [
            issue_json(issue, repository, self._comments.count(issue.number))
            for issue in self._issues.all()
            if matches(query, issue.state, issue.labels)
        ]
        found += [
            pull_as_issue_json(self._pull_json(number), repository, self._comments.count(number))
            for number in self._pulls.numbers()
            if matches(query, self._pulls.get(number).state, [])
        ]
        key = "updated_at" if query.get("sort") == "updated" else "number"
        found.sort(
            key=lambda item: (item[key], item["number"]),
            reverse=query.get("direction", "desc") == "desc",
        )
        page, headers = page_of(request, self._repository.web_root, found)
        return self._reply(200, page, headers)

    def _create_issue(self, request: ApiRequest) -> Reply:
        issue = self._issues.create(request.body)
        return self._reply(201, issue_json(issue, self._repository, 0))

    def _get_issue(self, request: ApiRequest) -> Reply:
        number = int(request.params["number"])
        self.issue_exists(number)
        return self._reply(200, self._issue_or_pull_json(number))

    def _update_issue(self, request: ApiRequest) -> Reply:
        """A pull request's number edits the pull request, as GitHub's issues API does."""
        number = int(request.params["number"])
        if self._issues.exists(number):
            self._issues.update(number, request.body)
        else:
            self._pulls.update(number, request.body)
        return self._reply(200, self._issue_or_pull_json(number))

    # -- labels ----------------------------------------------------------------------------------

    def _create_label(self, request: ApiRequest) -> Reply:
        return self._reply(201, label_json(self._labels.create(request.body), self._repository))

    def _list_labels(self, request: ApiRequest) -> Reply:
        labels = [label_json(label, self._repository) for label in self._labels.all()]
        page, headers = page_of(request, self._repository.web_root, labels)
        return self._reply(200, page, headers)

    def _get_label(self, request: ApiRequest) -> Reply:
        label = self._labels.get(unquote(request.params["name"]))
        return self._reply(200, label_json(label, self._repository))

    # -- statuses and commits --------------------------------------------------------------------

    def _commit(self, ref: str) -> CommitInfo:
        found = self._branches.commit(ref)
        if found is None:
            raise no_commit(ref)
        return found

    def _create_status(self, request: ApiRequest) -> Reply:
        sha = request.params["sha"]
        found = self._branches.commit(sha)
        if found is None or found.sha != sha:
            raise no_commit(sha)
        status = self._statuses.create(sha, request.body)
        return self._reply(201, status_json(status, self._repository))

    def _list_statuses(self, request: ApiRequest) -> Reply:
        sha = self._commit(request.params.get("ref") or request.params["sha"]).sha
        statuses = [status_json(s, self._repository) for s in self._statuses.on(sha)]
        page, headers = page_of(request, self._repository.web_root, statuses)
        return self._reply(200, page, headers)

    def _commit_pulls(self, request: ApiRequest) -> Reply:
        """The merged pull requests that brought the commit in; for a commit not on the default
        branch, also the open ones whose head it is."""
        sha = self._commit(request.params["ref"]).sha
        on_default = self._branches.contains(self._repository.default_branch, sha)
        chosen = []
        for number in self._pulls.numbers():
            pull = self._pull_json(number)
            brought_in = pull["merged_at"] is not None and sha in (
                pull["merge_commit_sha"],
                pull["head"]["sha"],
            )
            open_head = not on_default and pull["state"] == "open" and pull["head"]["sha"] == sha
            if brought_in or open_head:
                chosen.append(_list_item(pull))
        page, headers = page_of(request, self._repository.web_root, chosen)
        return self._reply(200, page, headers)

    def _get_commit(self, request: ApiRequest) -> Reply:
        found = self._commit(request.params["ref"])
        api, html = self._repository.api_url, self._repository.html_url
        signature = {"name": "Reviewer", "email": "reviewer@example.invalid", "date": found.date}
        return self._reply(
            200,
            {
                "sha": found.sha,
                "node_id": f"C_kwDO{found.sha[:12]}",
                "url": f"{api}/commits/{found.sha}",
                "html_url": f"{html}/commit/{found.sha}",
                "comments_url": f"{api}/commits/{found.sha}/comments",
                "commit": {
                    "url": f"{api}/git/commits/{found.sha}",
                    "message": found.message,
                    "author": signature,
                    "committer": signature,
                    "comment_count": 0,
                },
                "author": None,
                "committer": None,
                "parents": [
                    {"sha": parent, "url": f"{api}/commits/{parent}"} for parent in found.parents
                ],
            },
        )


def _list_item(pull: JsonObject) -> JsonObject:
    """The list form of a pull request: the detailed one without what only ``GET`` has."""
    detailed = ("merged", "mergeable", "mergeable_state", "merged_by", "comments", "commits")
    return {key: value for key, value in pull.items() if key not in detailed}
