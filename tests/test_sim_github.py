"""The fake GitHub REST API, driven by raw `requests`: shapes, status codes, filters and paging.

The production client is tested against this fake, so these tests pin what it answers to what
api.github.com answers, including the quirks a client has to cope with.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from reconciler.sim.github import FakeGitHub

TOKEN = "ghp_fake-secret-token-0123456789"
REPO = "/repos/acme/routes"
SHA = re.compile(r"[0-9a-f]{40}")


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN) as running:
        yield running


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as client:
        client.headers.update(
            {
                "Authorization": f"Bearer {TOKEN}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            }
        )
        yield client


def create_pull(
    github: FakeGitHub, session: requests.Session, head: str, **fields: Any
) -> requests.Response:
    payload = {"title": f"Routes from {head}", "head": head, "base": "main", **fields}
    return session.post(f"{github.url}{REPO}/pulls", json=payload)


def error_of(response: requests.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert body["documentation_url"].startswith("https://docs.github.com/rest")
    return body


# repository, authentication, routing


def test_repository_is_found_case_insensitively(
    github: FakeGitHub, session: requests.Session
) -> None:
    response = session.get(f"{github.url}/repos/ACME/Routes")
    assert response.status_code == 200
    repo = response.json()
    assert (repo["full_name"], repo["default_branch"], repo["private"]) == (
        "acme/routes",
        "main",
        True,
    )
    assert repo["owner"]["login"] == "acme"
    missing = session.get(f"{github.url}/repos/acme/other")
    assert missing.status_code == 404
    assert error_of(missing)["message"] == "Not Found"


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "Requires authentication"),
        ("Bearer wrong-token", "Bad credentials"),
        (f"Basic {TOKEN}", "Bad credentials"),
    ],
)
def test_requests_without_the_token_are_refused(
    github: FakeGitHub, authorization: str | None, message: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = requests.get(f"{github.url}{REPO}", headers=headers)
    assert response.status_code == 401
    assert error_of(response) == {
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }


def test_token_scheme_is_accepted_and_the_log_masks_the_token(github: FakeGitHub) -> None:
    response = requests.get(f"{github.url}{REPO}", headers={"Authorization": f"token {TOKEN}"})
    assert response.status_code == 200
    (record,) = github.requests
    assert record.headers["Authorization"] == "token ***"
    assert TOKEN not in repr(github.requests)
    github.clear_requests()
    assert github.requests == []


def test_unsupported_api_version_is_refused(github: FakeGitHub, session: requests.Session) -> None:
    response = session.get(f"{github.url}{REPO}", headers={"X-GitHub-Api-Version": "v3"})
    assert response.status_code == 400
    assert '"v3", is not a supported version' in error_of(response)["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", f"{REPO}/"), ("DELETE", f"{REPO}/pulls/1"), ("GET", "/user"), ("PUT", REPO)],
)
def test_unknown_paths_and_methods_answer_404(
    github: FakeGitHub, session: requests.Session, method: str, path: str
) -> None:
    response = session.request(method, github.url + path)
    assert response.status_code == 404
    assert error_of(response)["message"] == "Not Found"


def test_enterprise_serves_under_api_v3() -> None:
    with FakeGitHub(token=TOKEN, enterprise=True) as github:
        assert github.url.endswith("/api/v3")
        headers = {"Authorization": f"Bearer {TOKEN}"}
        response = requests.get(f"{github.url}{REPO}", headers=headers)
        assert response.status_code == 200
        assert response.headers["X-GitHub-Enterprise-Version"]
        assert response.json()["url"] == f"{github.url}{REPO}"
        root = github.url.removesuffix("/api/v3")
        assert requests.get(f"{root}{REPO}", headers=headers).status_code == 404
        assert github.requests[0].path == f"/api/v3{REPO}"


# pull requests


def test_create_and_read_a_pull_request(github: FakeGitHub, session: requests.Session) -> None:
    created = create_pull(github, session, "routes/prod-a", body="the plan")
    assert created.status_code == 201
    pull = created.json()
    assert pull["number"] == 1
    assert (pull["state"], pull["merged"], pull["draft"], pull["body"]) == (
        "open",
        False,
        False,
        "the plan",
    )
    assert (pull["head"]["ref"], pull["head"]["label"], pull["base"]["ref"]) == (
        "routes/prod-a",
        "acme:routes/prod-a",
        "main",
    )
    assert SHA.fullmatch(pull["head"]["sha"])
    # An open pull request already has a test-merge commit: not proof of a merge.
    assert SHA.fullmatch(pull["merge_commit_sha"])
    assert pull["html_url"].endswith("/acme/routes/pull/1")
    fetched = session.get(f"{github.url}{REPO}/pulls/1").json()
    assert fetched == pull
    assert create_pull(github, session, "routes/prod-b").json()["number"] == 2
    assert [p["number"] for p in github.pulls] == [1, 2]
    missing = session.get(f"{github.url}{REPO}/pulls/9")
    assert missing.status_code == 404
    assert error_of(missing)["documentation_url"].endswith("#get-a-pull-request")


def test_a_second_open_pull_request_for_a_branch_is_refused(
    github: FakeGitHub, session: requests.Session
) -> None:
    assert create_pull(github, session, "routes/prod-a").status_code == 201
    duplicate = create_pull(github, session, "acme:routes/prod-a")
    assert duplicate.status_code == 422
    assert error_of(duplicate)["message"] == "Validation Failed"
    assert duplicate.json()["errors"] == [
        {
            "resource": "PullRequest",
            "code": "custom",
            "message": "A pull request already exists for acme:routes/prod-a.",
        }
    ]
    closed = session.patch(f"{github.url}{REPO}/pulls/1", json={"state": "closed"})
    assert closed.json()["state"] == "closed"
    assert create_pull(github, session, "routes/prod-a").status_code == 201
    reopened = session.patch(f"{github.url}{REPO}/pulls/1", json={"state": "open"})
    assert reopened.status_code == 422


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"title": "t", "base": "main"}, 'Invalid request.\n\n"head" wasn\'t supplied.'),
        ({"title": 5, "head": "b", "base": "main"}, "For 'properties/title', 5 is not a string."),
        ({"title": "t", "head": "main", "base": "main"}, "Validation Failed"),
    ],
)
def test_invalid_pull_requests_are_refused(
    github: FakeGitHub, session: requests.Session, payload: dict[str, Any], message: str
) -> None:
    response = session.post(f"{github.url}{REPO}/pulls", json=payload)
    assert response.status_code == 422
    assert message in error_of(response)["message"]


def test_a_body_that_is_not_json_is_refused(github: FakeGitHub, session: requests.Session) -> None:
    response = session.post(f"{github.url}{REPO}/pulls", data=b"{not json")
    assert response.status_code == 400
    assert error_of(response)["message"] == "Problems parsing JSON"


def test_bodies_over_65536_characters_are_refused_everywhere(
    github: FakeGitHub, session: requests.Session
) -> None:
    longest, too_long = "x" * 65536, "x" * 65537
    assert create_pull(github, session, "b", body=longest).status_code == 201
    refused = create_pull(github, session, "c", body=too_long)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["message"] == (
        "body is too long (maximum is 65536 characters)"
    )
    patched = session.patch(f"{github.url}{REPO}/pulls/1", json={"body": too_long})
    assert patched.status_code == 422
    comments = f"{github.url}{REPO}/issues/1/comments"
    assert session.post(comments, json={"body": longest}).status_code == 201
    comment_refused = session.post(comments, json={"body": too_long})
    assert comment_refused.status_code == 422
    assert comment_refused.json()["errors"][0]["message"] == (
        "Body is too long (maximum is 65536 characters)"
    )
    comment_id = github.comments[1][0]["id"]
    edit = session.patch(
        f"{github.url}{REPO}/issues/comments/{comment_id}", json={"body": too_long}
    )
    assert edit.status_code == 422


def test_list_filters_as_github_does(github: FakeGitHub, session: requests.Session) -> None:
    for head in ("routes/a", "routes/b", "routes/c"):
        create_pull(github, session, head)
    session.patch(f"{github.url}{REPO}/pulls/3", json={"state": "closed"})

    def numbers(**params: str) -> list[int]:
        response = session.get(f"{github.url}{REPO}/pulls", params=params)
        assert response.status_code == 200
        assert all("merged" not in item for item in response.json())  # only on single reads
        return [item["number"] for item in response.json()]

    assert numbers() == [2, 1]  # open, newest first
    assert numbers(state="closed") == [3]
    assert numbers(state="all", direction="asc") == [1, 2, 3]
    assert numbers(head="acme:routes/b") == [2]
    assert numbers(head="ACME:routes/b", base="main") == [2]
    assert numbers(head="acme:routes/b", base="develop") == []
    assert numbers(head="other:routes/b") == []
    assert numbers(head="routes/b") == [2, 1]  # without "owner:" GitHub ignores the filter
    bad_state = session.get(f"{github.url}{REPO}/pulls", params={"state": "merged"})
    assert bad_state.status_code == 422


def test_lists_are_paged_with_link_headers(github: FakeGitHub, session: requests.Session) -> None:
    for index in range(5):
        create_pull(github, session, f"routes/{index}")
    first = session.get(f"{github.url}{REPO}/pulls", params={"per_page": "2"})
    assert [item["number"] for item in first.json()] == [5, 4]
    assert set(first.links) == {"next", "last"}
    assert "page=3" in first.links["last"]["url"]
    second = session.get(first.links["next"]["url"])
    assert [item["number"] for item in second.json()] == [3, 2]
    assert set(second.links) == {"prev", "next", "last", "first"}
    last = session.get(first.links["last"]["url"])
    assert [item["number"] for item in last.json()] == [1]
    assert set(last.links) == {"prev", "first"}
    everything = session.get(f"{github.url}{REPO}/pulls", params={"per_page": "500"})
    assert len(everything.json()) == 5
    assert "Link" not in everything.headers


def test_update_merge_and_reopen_rules(github: FakeGitHub, session: requests.Session) -> None:
    create_pull(github, session, "routes/a", body="old")
    url = f"{github.url}{REPO}/pulls/1"
    updated = session.patch(url, json={"title": "New title", "body": "new"}).json()
    assert (updated["title"], updated["body"], updated["state"]) == ("New title", "new", "open")
    github.merge(1, "f" * 40)
    merged = session.get(url).json()
    assert (merged["state"], merged["merged"], merged["merge_commit_sha"]) == (
        "closed",
        True,
        "f" * 40,
    )
    assert merged["merged_at"] and merged["closed_at"]
    listed = session.get(f"{github.url}{REPO}/pulls", params={"state": "closed"}).json()
    assert listed[0]["merged_at"] == merged["merged_at"]
    assert session.patch(url, json={"state": "open"}).status_code == 422
    assert session.patch(url, json={"state": "merged"}).status_code == 422
    with pytest.raises(ValueError, match="closed"):
        github.merge(1, "e" * 40)
    with pytest.raises(KeyError):
        github.merge(7, "e" * 40)


# comments


def test_comments_are_created_listed_in_pages_and_edited(
    github: FakeGitHub, session: requests.Session
) -> None:
    create_pull(github, session, "routes/a")
    comments = f"{github.url}{REPO}/issues/1/comments"
    created = [session.post(comments, json={"body": f"c{index}"}) for index in range(3)]
    assert [response.status_code for response in created] == [201, 201, 201]
    ids = [response.json()["id"] for response in created]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert created[0].json()["html_url"].endswith(f"/pull/1#issuecomment-{ids[0]}")
    page = session.get(comments, params={"per_page": "2"})
    assert [c["body"] for c in page.json()] == ["c0", "c1"]
    assert [c["body"] for c in session.get(page.links["next"]["url"]).json()] == ["c2"]
    edited = session.patch(f"{github.url}{REPO}/issues/comments/{ids[1]}", json={"body": "e"})
    assert edited.status_code == 200
    assert [c["body"] for c in github.comments[1]] == ["c0", "e", "c2"]
    assert (
        session.patch(f"{github.url}{REPO}/issues/comments/1", json={"body": "e"}).status_code
        == 404
    )
    assert (
        session.post(f"{github.url}{REPO}/issues/9/comments", json={"body": "x"}).status_code == 404
    )
    missing_body = session.post(comments, json={})
    assert missing_body.status_code == 422
    assert error_of(missing_body)["message"] == 'Invalid request.\n\n"body" wasn\'t supplied.'


# faults


def test_injected_faults_match_method_and_path_and_run_out(
    github: FakeGitHub, session: requests.Session
) -> None:
    github.inject(502, method="GET", path_contains="/pulls", count=2)
    assert session.get(f"{github.url}{REPO}").status_code == 200
    assert create_pull(github, session, "routes/a").status_code == 201
    statuses = [session.get(f"{github.url}{REPO}/pulls").status_code for _ in range(3)]
    assert statuses == [502, 502, 200]
    github.inject(503, body="<html>unicorn</html>")
    unavailable = session.get(f"{github.url}{REPO}")
    assert (unavailable.status_code, unavailable.text) == (503, "<html>unicorn</html>")
    assert [r.status for r in github.requests][-4:] == [502, 502, 200, 503]


# branches from a real repository


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return result.stdout.strip()


def test_branches_resolve_from_a_bare_repository(tmp_path: Path, session: requests.Session) -> None:
    bare, work = tmp_path / "routes.git", tmp_path / "work"
    git("init", "--bare", "--initial-branch=main", str(bare), cwd=tmp_path)
    git("clone", "--quiet", str(bare), str(work), cwd=tmp_path)
    identity = ("-c", "user.name=T", "-c", "user.email=t@example.invalid")
    git(*identity, "commit", "--allow-empty", "--quiet", "-m", "init", cwd=work)
    git("push", "--quiet", "origin", "main", "main:routes/empty", cwd=work)
    git("switch", "--quiet", "-c", "routes/a", cwd=work)
    git(*identity, "commit", "--allow-empty", "--quiet", "-m", "change", cwd=work)
    git("push", "--quiet", "origin", "routes/a", cwd=work)
    with FakeGitHub(token=TOKEN, git_dir=bare) as github:
        unpushed = create_pull(github, session, "routes/unpushed")
        assert unpushed.json()["errors"] == [
            {"resource": "PullRequest", "field": "head", "code": "invalid"}
        ]
        empty = create_pull(github, session, "routes/empty")
        assert empty.json()["errors"][0]["message"] == "No commits between main and routes/empty"
        pull = create_pull(github, session, "routes/a").json()
        assert pull["head"]["sha"] == git("rev-parse", "HEAD", cwd=work)
        git(*identity, "commit", "--allow-empty", "--quiet", "-m", "more", cwd=work)
        git("push", "--quiet", "origin", "routes/a", cwd=work)
        moved = session.get(f"{github.url}{REPO}/pulls/1").json()
        assert moved["head"]["sha"] == git("rev-parse", "HEAD", cwd=work)
