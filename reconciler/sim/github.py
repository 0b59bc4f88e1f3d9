"""A faithful fake of the slice of the GitHub REST API that route-reconciler uses, over real HTTP.

No GitHub (nor Gitea) can run on the project's machines, and mocks would skip the client's
headers, paging and error handling. This server answers what api.github.com (or, with
``enterprise=True``, GitHub Enterprise Server under ``/api/v3``) answers for repositories, pull
requests and issue comments: the JSON shapes, status codes and ``{"message", "errors",
"documentation_url"}`` error bodies, ``Link`` paging, and the quirks clients trip over:

* ``GET .../pulls?head=branch`` without the ``owner:`` prefix ignores the filter and lists all;
* list items lack ``merged``; only ``GET .../pulls/{n}`` has it;
* an unmerged pull request's ``merge_commit_sha`` is a test-merge commit, not proof of a merge;
* a trailing slash or an unsupported method answers 404, not 405.

With ``git_dir`` (a bare repository that tests push to), branches resolve to their real commits:
creating a pull request from an unpushed branch fails as on GitHub, and an open pull request's
``head.sha`` follows pushes. Without it every branch exists, with a synthetic commit id.
Faults can be injected and every request is logged, with the token masked.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import math
import re
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from reconciler.sim.server import Fault, Faults, LoggedRequest, Reply, StandInServer, methods

JsonObject = dict[str, Any]
Headers = tuple[tuple[str, str], ...]

# GitHub lists supported versions newest first in its 400 answer.
API_VERSIONS = ("2026-03-10", "2022-11-28")
ENTERPRISE_PREFIX = "/api/v3"
ENTERPRISE_VERSION = "3.14.0"
MAX_BODY_CHARACTERS = 65536
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
BOT_LOGIN = "route-reconciler-bot"
FIRST_PULL_ID = 1_900_000_001  # GitHub ids are large and unrelated to PR numbers
FIRST_COMMENT_ID = 2_400_000_001
REPOSITORY_ID = 700_000_001
LOGGED_HEADERS = ("Accept", "X-GitHub-Api-Version", "User-Agent", "Content-Type")
CONTENT_TYPE = "application/json; charset=utf-8"

DOCS = "https://docs.github.com/rest"
DOCS_GET_REPO = f"{DOCS}/repos/repos#get-a-repository"
DOCS_LIST_PULLS = f"{DOCS}/pulls/pulls#list-pull-requests"
DOCS_CREATE_PULL = f"{DOCS}/pulls/pulls#create-a-pull-request"
DOCS_GET_PULL = f"{DOCS}/pulls/pulls#get-a-pull-request"
DOCS_UPDATE_PULL = f"{DOCS}/pulls/pulls#update-a-pull-request"
DOCS_LIST_COMMENTS = f"{DOCS}/issues/comments#list-issue-comments"
DOCS_CREATE_COMMENT = f"{DOCS}/issues/comments#create-an-issue-comment"
DOCS_UPDATE_COMMENT = f"{DOCS}/issues/comments#update-an-issue-comment"

_REPO_PATH = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
_PULL_STATES = ("open", "closed")


class _GitHubError(Exception):
    """A failure answered as GitHub's error body; the route's documentation URL is added later."""

    def __init__(self, status: int, message: str, errors: list[JsonObject] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def payload(self, documentation_url: str) -> JsonObject:
        body: JsonObject = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        body["documentation_url"] = documentation_url
        body["status"] = str(self.status)
        return body


def _validation_failed(error: JsonObject) -> _GitHubError:
    return _GitHubError(422, "Validation Failed", [error])


def _invalid_pull_field(name: str, value: str | None = None) -> _GitHubError:
    error: JsonObject = {"resource": "PullRequest", "field": name, "code": "invalid"}
    return _validation_failed(error if value is None else {"value": value, **error})


def _pull_refused(message: str) -> _GitHubError:
    return _validation_failed({"resource": "PullRequest", "code": "custom", "message": message})


def _invalid_request(reason: str) -> _GitHubError:
    """GitHub's JSON-schema refusal, e.g. ``Invalid request.\\n\\n"body" wasn't supplied.``"""
    return _GitHubError(422, f"Invalid request.\n\n{reason}")


@dataclass(frozen=True)
class RecordedRequest(LoggedRequest):
    """One request as the fake saw it; ``headers["Authorization"]`` keeps only the scheme."""

    body: Any  # the decoded JSON body, or None when there was none or it was not JSON
    headers: dict[str, str]


@dataclass(kw_only=True)
class _Fault(Fault):
    status: int
    body: bytes


@dataclass
class _Pull:
    number: int
    id: int
    title: str
    body: str | None
    head_ref: str
    base_ref: str
    head_sha: str  # as created; once closed, as it was at closing
    base_sha: str
    draft: bool
    created_at: str
    updated_at: str
    revision: int  # orders sort=updated when timestamps tie
    state: str = "open"
    merged: bool = False
    merge_commit_sha: str | None = None
    closed_at: str | None = None
    merged_at: str | None = None


@dataclass
class _Comment:
    id: int
    issue_number: int
    body: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class _Request:
    method: str
    path: str  # as sent, including an Enterprise prefix
    query: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # from the route's pattern


Handler = Callable[[_Request], Reply]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _synthetic_sha(seed: str) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _parse_object(body: bytes) -> JsonObject:
    try:
        decoded = json.loads(body or b"{}")
    except ValueError:
        raise _GitHubError(400, "Problems parsing JSON") from None
    if not isinstance(decoded, dict):
        raise _GitHubError(400, "Problems parsing JSON")
    return decoded


def _string_field(data: JsonObject, name: str, *, required: bool, nullable: bool = False) -> Any:
    """A string member of a request body, refused the way GitHub's schema validation does."""
    if name not in data:
        if required:
            raise _invalid_request(f'"{name}" wasn\'t supplied.')
        return None
    value = data[name]
    if isinstance(value, str) or (nullable and value is None):
        return value
    kind = "a string or null" if nullable else "a string"
    raise _invalid_request(f"For 'properties/{name}', {json.dumps(value)} is not {kind}.")


def _check_length(text: str | None, error: JsonObject) -> None:
    if text is not None and len(text) > MAX_BODY_CHARACTERS:
        raise _validation_failed(error)


# What GitHub answers for bodies over the limit: the wording differs between the two resources.
_PULL_BODY_TOO_LONG = {
    "resource": "Issue",
    "code": "custom",
    "field": "body",
    "message": f"body is too long (maximum is {MAX_BODY_CHARACTERS} characters)",
}
_COMMENT_BODY_TOO_LONG = {
    "resource": "IssueComment",
    "code": "unprocessable",
    "field": "data",
    "message": f"Body is too long (maximum is {MAX_BODY_CHARACTERS} characters)",
}


def _positive_int(query: Mapping[str, str], name: str, default: int) -> int:
    """GitHub ignores paging parameters it cannot use rather than refusing them."""
    try:
        value = int(query.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def _masked_authorization(value: str | None) -> dict[str, str]:
    if value is None:
        return {}
    scheme = value.split(" ", 1)[0]
    return {"Authorization": f"{scheme} ***"}


class FakeGitHub(StandInServer[RecordedRequest]):
    """One repository's pull requests and comments on 127.0.0.1 (see the module docstring).

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
        super().__init__(port=port, tls=(tls_cert, tls_key) if tls_cert else None)
        self.token = token
        self.owner = owner
        self.repo = repo
        self.enterprise = enterprise
        self.default_branch = default_branch
        self._git_dir = None if git_dir is None else str(git_dir)
        self._lock = threading.Lock()
        self._pulls: dict[int, _Pull] = {}
        self._comments: dict[int, _Comment] = {}
        self._next_comment_id = FIRST_COMMENT_ID
        self._revision = 0
        self._faults: Faults[_Fault] = Faults()
        pull = rf"{_REPO_PATH}/pulls/(?P<number>\d+)"
        issue_comments = rf"{_REPO_PATH}/issues/(?P<number>\d+)/comments"
        comment = rf"{_REPO_PATH}/issues/comments/(?P<comment_id>\d+)"
        self._routes: tuple[tuple[re.Pattern[str], dict[str, tuple[Handler, str]]], ...] = (
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
                re.compile(issue_comments),
                {
                    "GET": (self._list_comments, DOCS_LIST_COMMENTS),
                    "POST": (self._create_comment, DOCS_CREATE_COMMENT),
                },
            ),
            (re.compile(comment), {"PATCH": (self._update_comment, DOCS_UPDATE_COMMENT)}),
        )

    @property
    def url(self) -> str:
        """The API base URL to give clients, with ``/api/v3`` when serving as Enterprise."""
        return self._origin + (ENTERPRISE_PREFIX if self.enterprise else "")

    # -- state for tests -------------------------------------------------------------------------

    @property
    def pulls(self) -> list[JsonObject]:
        """Every pull request as ``GET .../pulls/{n}`` shows it, by number."""
        with self._lock:
            numbers = sorted(self._pulls)
        return [self._pull_json(self._pull(number), detailed=True) for number in numbers]

    @property
    def comments(self) -> dict[int, list[JsonObject]]:
        """Comments per pull request number, oldest first."""
        with self._lock:
            found = sorted(self._comments.values(), key=lambda comment: comment.id)
        by_number: dict[int, list[JsonObject]] = {}
        for comment in found:
            by_number.setdefault(comment.issue_number, []).append(self._comment_json(comment))
        return by_number

    def merge(self, number: int, merge_commit_sha: str) -> None:
        """Record a merge made by a person in the web UI; the caller makes the commit in git."""
        with self._lock:
            if number not in self._pulls:
                raise KeyError(f"no pull request #{number}")
        head_sha, base_sha = self._branch_shas(self._pull(number))
        with self._lock:
            pull = self._pulls[number]
            if pull.state != "open":
                raise ValueError(f"pull request #{number} is {pull.state}; only open ones merge")
            now = _now()
            self._close_locked(pull, head_sha, base_sha, now)
            pull.merged, pull.merged_at, pull.merge_commit_sha = True, now, merge_commit_sha

    def inject(
        self,
        status: int,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        count: int = 1,
        body: str | None = None,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status``, before authentication,
        as a proxy or an overloaded front end would. ``body`` replaces GitHub's JSON error."""
        if not 400 <= status <= 599 or count < 1:
            raise ValueError("inject() needs a 4xx/5xx status and count >= 1")
        if body is None:
            reason = http.client.responses.get(status, "Error")
            payload = _json_bytes(_GitHubError(status, reason).payload(DOCS))
        else:
            payload = body.encode()
        self._faults.add(
            _Fault(
                remaining=count,
                methods=methods(method),
                path_contains=path_contains,
                status=status,
                body=payload,
            )
        )

    # -- HTTP entry ------------------------------------------------------------------------------

    def _respond(self, method: str, target: str, headers: Message, body: bytes) -> Reply:
        split = urlsplit(target)
        request = _Request(
            method, split.path, dict(parse_qsl(split.query, keep_blank_values=True)), body
        )
        fault = self._faults.take(lambda fault: fault.matches(method, request.path))
        if fault is not None:
            reply = Reply(fault.status, fault.body, CONTENT_TYPE)
        else:
            try:
                reply = self._route(request, headers)
            except _GitHubError as error:  # refused before a route was found
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

    def _route(self, request: _Request, headers: Message) -> Reply:
        self._authenticate(headers.get("Authorization"))
        version = headers.get("X-GitHub-Api-Version")
        if version is not None and version not in API_VERSIONS:
            newest, *older = (f'"{supported}"' for supported in API_VERSIONS)
            raise _GitHubError(
                400,
                f'The version you specified in the "X-GitHub-Api-Version" request header, '
                f'"{version}", is not a supported version. The following versions are currently '
                f"supported: {', '.join([f'{newest} (most recent)', *older])}.",
            )
        api_path = request.path
        if self.enterprise:
            if not api_path.startswith(f"{ENTERPRISE_PREFIX}/"):
                raise _GitHubError(404, "Not Found")
            api_path = api_path.removeprefix(ENTERPRISE_PREFIX)
        for pattern, handlers in self._routes:
            match = pattern.fullmatch(api_path)
            if match is None:
                continue
            if request.method not in handlers:
                break  # GitHub answers an unsupported method with 404, not 405
            handler, documentation_url = handlers[request.method]
            params = {name: unquote(value) for name, value in match.groupdict().items()}
            try:
                if (params["owner"].lower(), params["repo"].lower()) != (
                    self.owner.lower(),
                    self.repo.lower(),
                ):
                    raise _GitHubError(404, "Not Found")
                return handler(replace(request, params=params))
            except _GitHubError as error:
                return self._reply(error.status, error.payload(documentation_url))
        raise _GitHubError(404, "Not Found")

    def _authenticate(self, authorization: str | None) -> None:
        """Accept ``Bearer <token>`` and ``token <token>``; the repository is private."""
        if authorization is None:
            raise _GitHubError(401, "Requires authentication")
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() not in ("bearer", "token") or credential.strip() != self.token:
            raise _GitHubError(401, "Bad credentials")

    def _reply(self, status: int, payload: Any, headers: Headers = ()) -> Reply:
        common = [("X-GitHub-Media-Type", "github.v3; format=json")]
        if self.enterprise:
            common.append(("X-GitHub-Enterprise-Version", ENTERPRISE_VERSION))
        return Reply(status, _json_bytes(payload), CONTENT_TYPE, (*common, *headers))

    def _page(self, request: _Request, items: list[Any]) -> tuple[list[Any], Headers]:
        """One page of ``items`` and the ``Link`` header GitHub sends when there are several."""
        per_page = min(_positive_int(request.query, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
        page = _positive_int(request.query, "page", 1)
        last = max(1, math.ceil(len(items) / per_page))
        if last == 1 and page == 1:
            return items, ()

        def link(number: int, rel: str) -> str:
            query = urlencode({**request.query, "page": number})
            return f'<{self._origin}{request.path}?{query}>; rel="{rel}"'

        links = []
        if page > 1:
            links.append(link(min(page - 1, last), "prev"))
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links.append(link(1, "first"))
        start = (page - 1) * per_page
        return items[start : start + per_page], (("Link", ", ".join(links)),)

    # -- repository ------------------------------------------------------------------------------

    def _get_repo(self, request: _Request) -> Reply:
        return self._reply(200, self._repo_json())

    def _repo_json(self) -> JsonObject:
        api = f"{self.url}/repos/{self.owner}/{self.repo}"
        return {
            "id": REPOSITORY_ID,
            "node_id": f"R_kgDO{REPOSITORY_ID}",
            "name": self.repo,
            "full_name": f"{self.owner}/{self.repo}",
            "private": True,
            "visibility": "private",
            "owner": self._account_json(self.owner, "Organization"),
            "html_url": f"{self._origin}/{self.owner}/{self.repo}",
            "url": api,
            "pulls_url": f"{api}/pulls{{/number}}",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "default_branch": self.default_branch,
            "archived": False,
            "permissions": {"admin": False, "maintain": False, "push": True, "pull": True},
        }

    def _account_json(self, login: str, kind: str) -> JsonObject:
        return {
            "login": login,
            "id": int(_synthetic_sha(login)[:8], 16),
            "type": kind,
            "url": f"{self.url}/users/{login}",
            "html_url": f"{self._origin}/{login}",
        }

    # -- branches --------------------------------------------------------------------------------

    def _branch_sha(self, branch: str) -> str | None:
        """The branch's commit; None when ``git_dir`` is set and has no such branch."""
        if self._git_dir is None:
            return _synthetic_sha(f"branch:{branch}")
        found = self._git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}")
        return found.stdout.strip() if found.returncode == 0 else None

    def _adds_commits(self, head_sha: str, base_sha: str) -> bool:
        if self._git_dir is None:
            return head_sha != base_sha
        return self._git("merge-base", "--is-ancestor", head_sha, base_sha).returncode != 0

    def _git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", f"--git-dir={self._git_dir}", *args],
            capture_output=True,
            text=True,
            check=False,
        )

    def _branch_shas(self, pull: _Pull) -> tuple[str, str]:
        """Head and base commits: live while open (pushes move them), frozen once closed."""
        if pull.state != "open":
            return pull.head_sha, pull.base_sha
        head = self._branch_sha(pull.head_ref) or pull.head_sha
        return head, self._branch_sha(pull.base_ref) or pull.base_sha

    # -- pull requests ---------------------------------------------------------------------------

    def _pull(self, number: int) -> _Pull:
        """A snapshot copy, so rendering needs no lock while git is asked for commits."""
        with self._lock:
            pull = self._pulls.get(number)
            if pull is None:
                raise _GitHubError(404, "Not Found")
            return replace(pull)

    def _pull_json(self, pull: _Pull, *, detailed: bool) -> JsonObject:
        api = f"{self.url}/repos/{self.owner}/{self.repo}"
        html = f"{self._origin}/{self.owner}/{self.repo}"
        head_sha, base_sha = self._branch_shas(pull)
        merge_commit_sha = pull.merge_commit_sha or _synthetic_sha(f"test-merge:{head_sha}")
        owner = self._account_json(self.owner, "Organization")
        repo = self._repo_json()
        data: JsonObject = {
            "url": f"{api}/pulls/{pull.number}",
            "id": pull.id,
            "node_id": f"PR_kwDO{pull.id}",
            "html_url": f"{html}/pull/{pull.number}",
            "diff_url": f"{html}/pull/{pull.number}.diff",
            "patch_url": f"{html}/pull/{pull.number}.patch",
            "issue_url": f"{api}/issues/{pull.number}",
            "comments_url": f"{api}/issues/{pull.number}/comments",
            "number": pull.number,
            "state": pull.state,
            "locked": False,
            "title": pull.title,
            "user": self._account_json(BOT_LOGIN, "User"),
            "body": pull.body,
            "created_at": pull.created_at,
            "updated_at": pull.updated_at,
            "closed_at": pull.closed_at,
            "merged_at": pull.merged_at,
            "merge_commit_sha": merge_commit_sha,
            "draft": pull.draft,
            "head": {
                "label": f"{self.owner}:{pull.head_ref}",
                "ref": pull.head_ref,
                "sha": head_sha,
                "user": owner,
                "repo": repo,
            },
            "base": {
                "label": f"{self.owner}:{pull.base_ref}",
                "ref": pull.base_ref,
                "sha": base_sha,
                "user": owner,
                "repo": repo,
            },
            "author_association": "MEMBER",
        }
        if detailed:
            with self._lock:
                comments = sum(c.issue_number == pull.number for c in self._comments.values())
            data.update(
                merged=pull.merged,
                mergeable=None if pull.merged else True,
                mergeable_state="unknown" if pull.merged else "clean",
                merged_by=self._account_json(self.owner, "User") if pull.merged else None,
                comments=comments,
                commits=1,
            )
        return data

    def _list_pulls(self, request: _Request) -> Reply:
        query = request.query
        state = query.get("state", "open")
        if state not in (*_PULL_STATES, "all"):
            raise _invalid_pull_field("state", state)
        sort = query.get("sort", "created")
        if sort not in ("created", "updated"):
            raise _invalid_pull_field("sort", sort)
        direction = query.get("direction", "desc" if sort == "created" else "asc")
        head_owner, colon, head_ref = query.get("head", "").partition(":")
        base = query.get("base")
        with self._lock:
            chosen = [
                replace(pull)
                for pull in self._pulls.values()
                if state in ("all", pull.state)
                and (base is None or pull.base_ref == base)
                # Without "owner:" GitHub ignores the head filter entirely.
                and (
                    not colon
                    or (head_owner.lower() == self.owner.lower() and pull.head_ref == head_ref)
                )
            ]
        chosen.sort(
            key=lambda pull: pull.number if sort == "created" else pull.revision,
            reverse=direction == "desc",
        )
        page, headers = self._page(request, chosen)
        return self._reply(200, [self._pull_json(pull, detailed=False) for pull in page], headers)

    def _create_pull(self, request: _Request) -> Reply:
        data = _parse_object(request.body)
        head = _string_field(data, "head", required=True)
        base = _string_field(data, "base", required=True)
        title = _string_field(data, "title", required=True)
        body = _string_field(data, "body", required=False, nullable=True)
        draft = bool(data.get("draft", False))
        _check_length(body, _PULL_BODY_TOO_LONG)
        head_owner, colon, head_ref = head.rpartition(":")
        if colon and head_owner.lower() != self.owner.lower():  # forks are not modelled
            raise _invalid_pull_field("head")
        head_sha, base_sha = self._branch_sha(head_ref), self._branch_sha(base)
        if base_sha is None:
            raise _invalid_pull_field("base")
        if head_sha is None:
            raise _invalid_pull_field("head")
        if not self._adds_commits(head_sha, base_sha):
            raise _pull_refused(f"No commits between {base} and {head_ref}")
        with self._lock:
            self._refuse_duplicate_locked(head_ref, base)
            number = max(self._pulls, default=0) + 1
            now = _now()
            self._revision += 1
            pull = _Pull(
                number=number,
                id=FIRST_PULL_ID + number - 1,
                title=title,
                body=body,
                head_ref=head_ref,
                base_ref=base,
                head_sha=head_sha,
                base_sha=base_sha,
                draft=draft,
                created_at=now,
                updated_at=now,
                revision=self._revision,
            )
            self._pulls[number] = pull
        return self._reply(201, self._pull_json(self._pull(number), detailed=True))

    def _refuse_duplicate_locked(self, head_ref: str, base: str, number: int | None = None) -> None:
        for other in self._pulls.values():
            if (
                other.number != number
                and other.state == "open"
                and (other.head_ref, other.base_ref) == (head_ref, base)
            ):
                raise _pull_refused(f"A pull request already exists for {self.owner}:{head_ref}.")

    def _get_pull(self, request: _Request) -> Reply:
        pull = self._pull(int(request.params["number"]))
        return self._reply(200, self._pull_json(pull, detailed=True))

    def _update_pull(self, request: _Request) -> Reply:
        number = int(request.params["number"])
        data = _parse_object(request.body)
        title = _string_field(data, "title", required=False)
        body = _string_field(data, "body", required=False, nullable=True)
        state = _string_field(data, "state", required=False)
        if state is not None and state not in _PULL_STATES:
            raise _invalid_pull_field("state", state)
        _check_length(body, _PULL_BODY_TOO_LONG)
        head_sha, base_sha = self._branch_shas(self._pull(number))
        with self._lock:
            pull = self._pulls[number]
            if state == "open" and pull.state == "closed":
                if pull.merged:
                    raise _pull_refused(
                        "state cannot be changed. The pull request has been merged."
                    )
                self._refuse_duplicate_locked(pull.head_ref, pull.base_ref, number)
                pull.state, pull.closed_at = "open", None
            now = _now()
            if state == "closed" and pull.state == "open":
                self._close_locked(pull, head_sha, base_sha, now)
            if title is not None:
                pull.title = title
            if "body" in data:
                pull.body = body
            self._revision += 1
            pull.updated_at, pull.revision = now, self._revision
        return self._reply(200, self._pull_json(self._pull(number), detailed=True))

    def _close_locked(self, pull: _Pull, head_sha: str, base_sha: str, now: str) -> None:
        self._revision += 1
        pull.state, pull.closed_at, pull.updated_at = "closed", now, now
        pull.head_sha, pull.base_sha, pull.revision = head_sha, base_sha, self._revision

    # -- issue comments --------------------------------------------------------------------------

    def _comment_json(self, comment: _Comment) -> JsonObject:
        api = f"{self.url}/repos/{self.owner}/{self.repo}"
        html = f"{self._origin}/{self.owner}/{self.repo}/pull/{comment.issue_number}"
        return {
            "url": f"{api}/issues/comments/{comment.id}",
            "html_url": f"{html}#issuecomment-{comment.id}",
            "issue_url": f"{api}/issues/{comment.issue_number}",
            "id": comment.id,
            "node_id": f"IC_kwDO{comment.id}",
            "user": self._account_json(BOT_LOGIN, "User"),
            "created_at": comment.created_at,
            "updated_at": comment.updated_at,
            "author_association": "MEMBER",
            "body": comment.body,
        }

    def _comment_body(self, request: _Request) -> str:
        body: str = _string_field(_parse_object(request.body), "body", required=True)
        _check_length(body, _COMMENT_BODY_TOO_LONG)
        return body

    def _list_comments(self, request: _Request) -> Reply:
        number = int(request.params["number"])
        self._pull(number)  # 404 for an issue that does not exist
        with self._lock:
            found = [c for c in self._comments.values() if c.issue_number == number]
        page, headers = self._page(request, sorted(found, key=lambda comment: comment.id))
        return self._reply(200, [self._comment_json(comment) for comment in page], headers)

    def _create_comment(self, request: _Request) -> Reply:
        number = int(request.params["number"])
        self._pull(number)
        body = self._comment_body(request)
        with self._lock:
            now = _now()
            comment = _Comment(self._next_comment_id, number, body, now, now)
            self._comments[comment.id] = comment
            self._next_comment_id += 1
        return self._reply(201, self._comment_json(comment))

    def _update_comment(self, request: _Request) -> Reply:
        comment_id = int(request.params["comment_id"])
        body = self._comment_body(request)
        with self._lock:
            comment = self._comments.get(comment_id)
            if comment is None:
                raise _GitHubError(404, "Not Found")
            comment.body, comment.updated_at = body, _now()
            rendered = self._comment_json(comment)
        return self._reply(200, rendered)
