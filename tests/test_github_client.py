"""The production GitHub client against the fake, over real HTTP: the pull request life cycle,
sticky comments, GitHub's refusals quoted without the token, retries of reads only, settings."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from helpers import github_settings, self_signed_certificate

from reconciler.errors import ApiError, InputError
from reconciler.review.github import MAX_BODY, GitHubClient, GitHubSettings, fit_body
from reconciler.sim.github import FakeGitHub

TOKEN = "ghp_client-secret-token-9876543210"
MARKER = "<!-- route-reconciler:plan:prod-a/global -->"
BRANCH = "route-reconciler/prod-a"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN) as running:
        yield running


def settings_for(github: FakeGitHub, **overrides: Any) -> GitHubSettings:
    return github_settings(github, **{"token": TOKEN, **overrides})


@pytest.fixture
def client(github: FakeGitHub) -> Iterator[GitHubClient]:
    with GitHubClient(settings_for(github)) as connected:
        yield connected


def open_pull(client: GitHubClient, branch: str = BRANCH, body: str = "plan") -> int:
    return client.create_pull(head_branch=branch, base="main", title="Routes", body=body).number


# the pull request life cycle


def test_create_find_update_and_close(github: FakeGitHub, client: GitHubClient) -> None:
    assert client.find_open_pull(BRANCH, "main") is None
    open_pull(client, "route-reconciler/other")
    created = client.create_pull(head_branch=BRANCH, base="main", title="Routes", body="v1")
    assert (created.number, created.state, created.merged, created.head_ref) == (
        2,
        "open",
        False,
        BRANCH,
    )
    assert created.merge_commit_sha is None  # GitHub's test-merge commit is not a merge
    assert created.url.endswith("/acme/routes/pull/2")
    assert client.find_open_pull(BRANCH, "main") == created
    assert client.find_open_pull(BRANCH, "develop") is None
    updated = client.update_pull(2, body="v2")
    assert (updated.title, updated.body) == ("Routes", "v2")
    assert client.update_pull(2, title="Routes v2").body == "v2"
    client.close_pull(2, "Superseded: the cluster no longer needs these routes.")
    assert client.get_pull(2).state == "closed"
    assert client.find_open_pull(BRANCH, "main") is None
    comments = github.comments[2]
    assert [c["body"] for c in comments] == [
        "Superseded: the cluster no longer needs these routes."
    ]
    writes = [(r.method, r.path) for r in github.requests if r.method != "GET"]
    assert writes[-2:] == [
        ("POST", "/repos/acme/routes/issues/2/comments"),
        ("PATCH", "/repos/acme/routes/pulls/2"),
    ]


def test_sent_headers_follow_github_s_documentation(
    github: FakeGitHub, client: GitHubClient
) -> None:
    client.find_open_pull(BRANCH, "main")
    (record,) = github.requests
    assert record.headers == {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "route-reconciler",
        "Authorization": "Bearer ***",
    }
    assert record.query == {
        "head": f"acme:{BRANCH}",
        "base": "main",
        "state": "open",
        "per_page": "100",
    }


def test_a_merge_is_seen_with_its_commit(github: FakeGitHub, client: GitHubClient) -> None:
    number = open_pull(client)
    github.merge(number, "a" * 40)
    merged = client.get_pull(number)
    assert (merged.state, merged.merged, merged.merge_commit_sha) == ("closed", True, "a" * 40)


def test_sticky_comment_is_edited_not_duplicated(github: FakeGitHub, client: GitHubClient) -> None:
    number = open_pull(client)
    # A person's comment comes first; it must stay untouched.
    requests.post(
        f"{github.url}/repos/acme/routes/issues/{number}/comments",
        json={"body": "Looks good to me"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=2,
    )
    ids = [client.upsert_sticky_comment(number, MARKER, f"plan {run}") for run in (1, 2, 2)]
    assert len(set(ids)) == 1
    bodies = [c["body"] for c in github.comments[number]]
    assert bodies == ["Looks good to me", f"{MARKER}\nplan 2"]
    writes = [r.method for r in github.requests if r.method != "GET"]
    assert writes == ["POST", "POST", "POST", "PATCH"]  # PR, human, sticky, one edit; no rewrite
    other = client.upsert_sticky_comment(
        number, "<!-- route-reconciler:plan:prod-b/global -->", "x"
    )
    assert other != ids[0]
    with pytest.raises(ValueError, match="HTML comment"):
        client.upsert_sticky_comment(number, "route-reconciler:plan", "x")


def test_sticky_comment_is_found_beyond_the_first_page(
    github: FakeGitHub, client: GitHubClient
) -> None:
    number = open_pull(client)
    with requests.Session() as human:
        human.headers["Authorization"] = f"Bearer {TOKEN}"
        comments_url = f"{github.url}/repos/acme/routes/issues/{number}/comments"
        for index in range(100):
            human.post(comments_url, json={"body": f"comment {index}"}, timeout=2)
    first = client.upsert_sticky_comment(number, MARKER, "plan 1")
    assert client.upsert_sticky_comment(number, MARKER, "plan 2") == first
    assert len(github.comments[number]) == 101
    assert github.comments[number][-1]["body"] == f"{MARKER}\nplan 2"


# GitHub's refusals


def test_duplicate_pull_request_quotes_github(client: GitHubClient) -> None:
    open_pull(client)
    with pytest.raises(ApiError) as refused:
        open_pull(client)
    message = str(refused.value)
    assert message.startswith("POST /repos/acme/routes/pulls failed: HTTP 422: Validation Failed")
    assert f"A pull request already exists for acme:{BRANCH}." in message
    with pytest.raises(ApiError, match=r"Validation Failed; PullRequest\.head invalid"):
        open_pull(client, branch="someone-else:routes")  # forks are refused by field, no message


def test_body_limit_and_fit_body(client: GitHubClient) -> None:
    with pytest.raises(ApiError, match=r"body is too long \(maximum is 65536 characters\)"):
        open_pull(client, body="x" * (MAX_BODY + 1))
    plan = "".join(f"+ 10.{i // 256}.{i % 256}.0/24 via 192.168.1.1\n" for i in range(5000))
    body = f"## Plan\n```diff\n{plan}```\n"
    note = "The full plan is in the job log of run 42."
    fitted = fit_body(body, note=note)
    assert len(body) > 60000 >= len(fitted)
    assert fitted.endswith(f"{note}\n")
    kept, _, notice = fitted.rpartition("```\n\n**Truncated:**")
    assert body.startswith(kept) and kept.endswith("\n")  # whole lines, fence closed
    assert "of 5003 lines are not shown" in notice
    number = open_pull(client, body=fitted)
    assert client.get_pull(number).body == fitted
    assert fit_body("short\n") == "short\n"
    assert len(fit_body("y" * 70000, limit=1000)) <= 1000  # one huge line: only the notice
    with pytest.raises(ValueError):
        fit_body(body, limit=MAX_BODY + 1)
    with pytest.raises(ValueError, match="no room"):
        fit_body(body, limit=20)


def test_auth_failure_names_the_variable_never_the_token(
    github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "ghp_wrong-token-that-must-not-leak"
    with caplog.at_level(logging.DEBUG), pytest.raises(ApiError) as refused:
        GitHubClient(settings_for(github, token=wrong)).get_pull(1)
    message = str(refused.value)
    assert "HTTP 401: Bad credentials" in message and "GITHUB_TOKEN" in message
    for text in (message, repr(refused.value), caplog.text, repr(settings_for(github))):
        assert wrong not in text and TOKEN not in text


def test_missing_pull_request_explains_404(client: GitHubClient) -> None:
    with pytest.raises(
        ApiError, match=r"GET /repos/acme/routes/pulls/7 failed: HTTP 404: Not Found"
    ):
        client.get_pull(7)


def test_enterprise_api_base() -> None:
    with FakeGitHub(token=TOKEN, enterprise=True) as github:
        client = GitHubClient(settings_for(github, api_url=f"{github.url}/"))
        number = open_pull(client)
        assert client.find_open_pull(BRANCH, "main") is not None
        assert client.upsert_sticky_comment(number, MARKER, "plan")
        assert all(r.path.startswith("/api/v3/repos/acme/routes/") for r in github.requests)


# retries: reads only


def test_a_get_is_retried_on_502(github: FakeGitHub, client: GitHubClient) -> None:
    number = open_pull(client)
    github.inject(502, method="GET", count=2)
    before = client.requests_made
    assert client.get_pull(number).number == number
    assert client.requests_made - before == 3
    github.inject(502, method="GET", count=3, body="<html>Unicorn!</html>")
    with pytest.raises(ApiError, match=r"failed after 3 attempt\(s\): HTTP 502: <html>Unicorn!"):
        client.get_pull(number)


def test_a_post_is_not_retried_on_502(github: FakeGitHub, client: GitHubClient) -> None:
    github.inject(502, method="POST")
    with pytest.raises(ApiError, match="outcome is unknown") as refused:
        open_pull(client)
    assert "HTTP 502: Bad Gateway" in str(refused.value)
    assert [r.method for r in github.requests] == ["POST"]
    assert client.requests_made == 1


def test_lost_connections_retry_reads_only(github: FakeGitHub) -> None:
    settings = settings_for(github)
    github.stop()
    reader, writer = GitHubClient(settings), GitHubClient(settings)
    refused = r"after 3 attempt\(s\): no answer from http://127\.0\.0\.1:\d+ \(connection refused"
    with pytest.raises(ApiError, match=refused):
        reader.get_pull(1)
    with pytest.raises(ApiError, match="outcome is unknown"):
        open_pull(writer)
    assert (reader.requests_made, writer.requests_made) == (3, 1)


# TLS


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def test_tls_is_verified_by_default(certificate: tuple[str, str]) -> None:
    cert, key = certificate
    with FakeGitHub(token=TOKEN, tls_cert=cert, tls_key=key) as github:
        assert github.url.startswith("https://")
        verify = "certificate does not verify: self-signed certificate; give its CA bundle"
        with pytest.raises(ApiError, match=verify):
            GitHubClient(settings_for(github)).find_open_pull(BRANCH, "main")
        trusted = GitHubClient(settings_for(github, ca_bundle=cert))
        assert trusted.find_open_pull(BRANCH, "main") is None


# settings


def test_settings_from_env(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(f"{TOKEN}\n")
    from_file = GitHubSettings.from_env({"GITHUB_TOKEN_FILE": str(token_file)}, repository="a/b")
    assert (from_file.token, from_file.api_url, from_file.owner, from_file.name) == (
        TOKEN,
        "https://api.github.com",
        "a",
        "b",
    )
    assert TOKEN not in repr(from_file)
    environ = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "https://ghe.example.com/api/v3"}
    assert GitHubSettings.from_env(environ, repository="a/b").api_url == environ["GITHUB_API_URL"]
    bundle = tmp_path / "ca.pem"
    bundle.write_text("a CA bundle\n")
    flagged = GitHubSettings.from_env(
        environ, repository="a/b", api_url="https://other.example.com/api/v3", ca_bundle=str(bundle)
    )
    assert (flagged.api_url, flagged.ca_bundle) == ("https://other.example.com/api/v3", str(bundle))
    with pytest.raises(InputError, match=r"GitHub CA bundle .* no such file or directory"):
        GitHubSettings.from_env(environ, repository="a/b", ca_bundle=str(tmp_path / "gone.pem"))


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "set GITHUB_TOKEN or GITHUB_TOKEN_FILE"),
        ({"GITHUB_TOKEN": ""}, "set GITHUB_TOKEN or GITHUB_TOKEN_FILE"),
        ({"GITHUB_TOKEN": TOKEN, "GITHUB_TOKEN_FILE": "/t"}, "not both"),
        ({"GITHUB_TOKEN_FILE": "/nonexistent/token"}, "cannot read it"),
        ({"GITHUB_TOKEN": f"{TOKEN}\n"}, "spaces or control characters"),
        ({"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "ftp://x"}, "must be https://"),
        ({"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": f"https://u:{TOKEN}@h"}, "credentials"),
    ],
)
def test_bad_settings_are_input_errors(environ: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message) as refused:
        GitHubSettings.from_env(environ, repository="acme/routes")
    assert TOKEN not in str(refused.value)


@pytest.mark.parametrize("repository", ["acme", "acme/routes/x", "-acme/routes", "acme/..", ""])
def test_repository_must_be_owner_slash_name(repository: str) -> None:
    with pytest.raises(InputError, match="OWNER/NAME"):
        GitHubSettings(repository=repository, token=TOKEN)


def test_empty_token_file_is_refused(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("\n")
    with pytest.raises(InputError, match="is empty"):
        GitHubSettings.from_env({"GITHUB_TOKEN_FILE": str(token_file)}, repository="acme/routes")
