"""The fake's HTTP side: authentication, API versions, the Enterprise prefix, the route table
from paths to endpoints, and the request log. Endpoints glue the repository's resources
(``pulls``, ``comments``) to replies; the resources hold the state."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from reconciler.sim.github.comments import IssueComments, comment_json
from reconciler.sim.github.faults import DOCS, FaultInjection
from reconciler.sim.github.issues import IssueNumbers
from reconciler.sim.github.protocol import (
    CONTENT_TYPE,
    ApiRequest,
    Headers,
    JsonObject,
    RecordedRequest,
    json_bytes,
    page_of,
)
from reconciler.sim.github.pulls import PullRequests
from reconciler.sim.github.repository import Branches, Repository
from reconciler.sim.github.tracking import TrackingEndpoints
from reconciler.sim.github.validation import GitHubError
from reconciler.sim.server import Reply, StandInServer

# GitHub lists supported versions newest first in its 400 answer.
API_VERSIONS = ("2026-03-10", "2022-11-28")
ENTERPRISE_PREFIX = "/api/v3"
ENTERPRISE_VERSION = "3.14.0"
LOGGED_HEADERS = ("Accept", "X-GitHub-Api-Version", "User-Agent", "Content-Type")

DOCS_GET_REPO = f"{DOCS}/repos/repos#get-a-repository"
DOCS_LIST_PULLS = f"{DOCS}/pulls/pulls#list-pull-requests"
DOCS_CREATE_PULL = f"{DOCS}/pulls/pulls#create-a-pull-request"
DOCS_GET_PULL = f"{DOCS}/pulls/pulls#get-a-pull-request"
DOCS_UPDATE_PULL = f"{DOCS}/pulls/pulls#update-a-pull-request"
DOCS_CHECK_MERGED = f"{DOCS}/pulls/pulls#check-if-a-pull-request-has-been-merged"
DOCS_MERGE_PULL = f"{DOCS}/pulls/pulls#merge-a-pull-request"
DOCS_LIST_COMMENTS = f"{DOCS}/issues/comments#list-issue-comments"
DOCS_CREATE_COMMENT = f"{DOCS}/issues/comments#create-an-issue-comment"
DOCS_UPDATE_COMMENT = f"{DOCS}/issues/comments#update-an-issue-comment"

_REPO_PATH = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"

Endpoint = Callable[[ApiRequest], Reply]


class FakeGitHub(FaultInjection, StandInServer[RecordedRequest]):
    """One repository's pull requests and comments on 127.0.0.1 (see the package docstring).

    All state changes are thread-safe. ``pulls`` and ``comments`` return copies, rendered as
    ``GET`` answers them.
    """

    _what = "the fake GitHub"

    def __init__(
        self,
        *,
        token: str = "test-token",
        owner: str = "acme",
        repo: str = "routes",
        enterprise: bool = False,
        default_branch: str = "main",
        git_dir: str | Path | None = None,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        port: int = 0,
    ) -> None:
        StandInServer.__init__(self, port=port, tls=(tls_cert, tls_key) if tls_cert else None)
        FaultInjection.__init__(self)
        self.token = token
        self.owner = owner
        self.repo = repo
        self.enterprise = enterprise
        self.default_branch = default_branch
        branches = Branches(None if git_dir is None else str(git_dir))
        numbers = IssueNumbers()
        self._pulls = PullRequests(owner, branches, numbers)
        self._comments = IssueComments()
        self._tracking = TrackingEndpoints(
            numbers=numbers,
            pulls=self._pulls,
            comments=self._comments,
            branches=branches,
            repository=lambda: self._repository,
            pull_json=self._pull_json,
            reply=self._reply,
        )
        pull = rf"{_REPO_PATH}/pulls/(?P<number>\d+)"
        issue_comments = rf"{_REPO_PATH}/issues/(?P<number>\d+)/comments"
        comment = rf"{_REPO_PATH}/issues/comments/(?P<comment_id>\d+)"
        self._routes: tuple[tuple[re.Pattern[str], dict[str, tuple[Endpoint, str]]], ...] = (
            (re.compile(_REPO_PATH), {"GET": (self._get_repo, DOCS_GET_REPO)}),
            (
                re.compile(rf"{_REPO_PATH}/pulls"),
                {
                    "GET": (self._list_pulls, DOCS_LIST_PULLS),
                    "POST": (self._create_pull, DOCS_CREATE_PULL),
                },
            ),
            (
                re.compile(pull),
                {
                    "GET": (self._get_pull, DOCS_GET_PULL),
                    "PATCH": (self._update_pull, DOCS_UPDATE_PULL),
                },
            ),
            (
                re.compile(rf"{pull}/merge"),
                {
                    "GET": (self._check_merged, DOCS_CHECK_MERGED),
                    "PUT": (self._merge_pull, DOCS_MERGE_PULL),
                },
            ),
            (
                re.compile(issue_comments),
                {
                    "GET": (self._list_comments, DOCS_LIST_COMMENTS),
                    "POST": (self._create_comment, DOCS_CREATE_COMMENT),
                },
            ),
            (re.compile(comment), {"PATCH": (self._update_comment, DOCS_UPDATE_COMMENT)}),
            *self._tracking.routes(),
        )

    @property
    def url(self) -> str:
        """The API base URL to give clients, with ``/api/v3`` when serving as Enterprise."""
        return self._origin + (ENTERPRISE_PREFIX if self.enterprise else "")

    # -- state for tests -------------------------------------------------------------------------

    @property
    def pulls(self) -> list[JsonObject]:
        """Every pull request as ``GET .../pulls/{n}`` shows it, by number."""
        return [self._pull_json(number) for number in self._pulls.numbers()]

    @property
    def comments(self) -> dict[int, list[JsonObject]]:
        """Comments per pull request number, oldest first."""
        repository = self._repository
        by_number: dict[int, list[JsonObject]] = {}
        for comment in self._comments.all():
            by_number.setdefault(comment.issue_number, []).append(comment_json(comment, repository))
        return by_number

    @property
    def issues(self) -> list[JsonObject]:
        """Every issue (pull requests aside) as ``GET .../issues/{n}`` shows it, by number."""
        return self._tracking.issues

    def statuses(self, sha: str) -> list[JsonObject]:
        """A commit's statuses, newest first."""
        return self._tracking.statuses(sha)

    def merge(self, number: int, merge_commit_sha: str) -> None:
        """Record a merge made by a person in the web UI; the caller makes the commit in git."""
        self._pulls.merge(number, merge_commit_sha)

    # -- HTTP entry ------------------------------------------------------------------------------

    def _respond(self, method: str, target: str, headers: Message, body: bytes) -> Reply:
        split = urlsplit(target)
        request = ApiRequest(
            method, split.path, dict(parse_qsl(split.query, keep_blank_values=True)), body
        )
        fault = self._take_fault(method, request.path)
        if fault is not None:
            reply = Reply(fault.status, fault.body, CONTENT_TYPE, stream=fault.stream)
        else:
            try:
                reply = self._route(request, headers)
            except GitHubError as error:  # refused before a route was found
                reply = self._reply(error.status, error.payload(DOCS))
        try:
            logged_body = json.loads(body) if body else None
        except ValueError:
            logged_body = None
        logged_headers = {name: value for name in LOGGED_HEADERS if (value := headers.get(name))}
        logged_headers.update(_masked_authorization(headers.get("Authorization")))
        record = RecordedRequest(
            method, request.path, request.query, reply.status, logged_body, logged_headers
        )
        self._record(record)
        return reply

    def _route(self, request: ApiRequest, headers: Message) -> Reply:
        """An unsupported method or a trailing slash answers 404, not 405, as on GitHub."""
        self._authenticate(headers.get("Authorization"))
        version = headers.get("X-GitHub-Api-Version")
        if version is not None and version not in API_VERSIONS:
            newest, *older = (f'"{supported}"' for supported in API_VERSIONS)
            raise GitHubError(
                400,
                f'The version you specified in the "X-GitHub-Api-Version" request header, '
                f'"{version}", is not a supported version. The following versions are currently '
                f"supported: {', '.join([f'{newest} (most recent)', *older])}.",
            )
        api_path = request.path
        if self.enterprise:
            if not api_path.startswith(f"{ENTERPRISE_PREFIX}/"):
                raise GitHubError(404, "Not Found")
            api_path = api_path.removeprefix(ENTERPRISE_PREFIX)
        for pattern, endpoints in self._routes:
            match = pattern.fullmatch(api_path)
            if match is None:
                continue
            if request.method not in endpoints:
                break
            endpoint, documentation_url = endpoints[request.method]
            params = {name: unquote(value) for name, value in match.groupdict().items()}
            try:
                if (params["owner"].lower(), params["repo"].lower()) != (
                    self.owner.lower(),
                    self.repo.lower(),
                ):
                    raise GitHubError(404, "Not Found")
                return endpoint(replace(request, params=params))
            except GitHubError as error:
                return self._reply(error.status, error.payload(documentation_url))
        raise GitHubError(404, "Not Found")

    def _authenticate(self, authorization: str | None) -> None:
        """Accept ``Bearer <token>`` and ``token <token>``; the repository is private."""
        if authorization is None:
            raise GitHubError(401, "Requires authentication")
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() not in ("bearer", "token") or credential.strip() != self.token:
            raise GitHubError(401, "Bad credentials")

    def _reply(self, status: int, payload: Any, headers: Headers = ()) -> Reply:
        common = [("X-GitHub-Media-Type", "github.v3; format=json")]
        if self.enterprise:
            common.append(("X-GitHub-Enterprise-Version", ENTERPRISE_VERSION))
        return Reply(status, json_bytes(payload), CONTENT_TYPE, (*common, *headers))

    @property
    def _repository(self) -> Repository:
        return Repository(self.owner, self.repo, self.default_branch, self.url, self._origin)

    def _pull_json(self, number: int) -> JsonObject:
        """The detailed form, which counts the pull request's comments."""
        pull = self._pulls.get(number)
        return self._pulls.json(pull, self._repository, comments=self._comments.count(number))

    # -- endpoints -------------------------------------------------------------------------------

    def _get_repo(self, request: ApiRequest) -> Reply:
        return self._reply(200, self._repository.json())

    def _list_pulls(self, request: ApiRequest) -> Reply:
        page, headers = page_of(request, self._origin, self._pulls.list(request.query))
        repository = self._repository
        return self._reply(200, [self._pulls.json(pull, repository) for pull in page], headers)

    def _create_pull(self, request: ApiRequest) -> Reply:
        return self._reply(201, self._pull_json(self._pulls.create(request.body)))

    def _get_pull(self, request: ApiRequest) -> Reply:
        return self._reply(200, self._pull_json(int(request.params["number"])))

    def _update_pull(self, request: ApiRequest) -> Reply:
        number = int(request.params["number"])
        self._pulls.update(number, request.body)
        return self._reply(200, self._pull_json(number))

    def _check_merged(self, request: ApiRequest) -> Reply:
        """204 when merged, 404 otherwise, as GitHub answers."""
        if not self._pulls.get(int(request.params["number"])).merged:
            raise GitHubError(404, "Not Found")
        return Reply(204, b"", CONTENT_TYPE)

    def _merge_pull(self, request: ApiRequest) -> Reply:
        """The merge button, over the API: a real merge commit in ``git_dir``."""
        merged = self._pulls.merge_button(int(request.params["number"]), request.body)
        answer = {"sha": merged, "merged": True, "message": "Pull Request successfully merged"}
        return self._reply(200, answer)

    def _list_comments(self, request: ApiRequest) -> Reply:
        number = int(request.params["number"])
        self._tracking.issue_exists(number)
        page, headers = page_of(request, self._origin, self._comments.on(number))
        repository = self._repository
        return self._reply(200, [comment_json(c, repository) for c in page], headers)

    def _create_comment(self, request: ApiRequest) -> Reply:
        number = int(request.params["number"])
        self._tracking.issue_exists(number)
        comment = self._comments.create(number, request.body)
        return self._reply(201, comment_json(comment, self._repository))

    def _update_comment(self, request: ApiRequest) -> Reply:
        comment = self._comments.update(int(request.params["comment_id"]), request.body)
        return self._reply(200, comment_json(comment, self._repository))


def _masked_authorization(value: str | None) -> dict[str, str]:
    if value is None:
        return {}
    scheme = value.split(" ", 1)[0]
    return {"Authorization": f"{scheme} ***"}
