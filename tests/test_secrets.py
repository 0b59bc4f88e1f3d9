"""Secrets never leak: every command runs with known secret values, which must appear in no
output, log line, metric, commit, tag, pull-request body or comment, or exception message, in
any spelling a server may echo them in; and the process leaves no core dump to find them in."""

from __future__ import annotations

import html
import json
import logging
import subprocess
import sys

import pytest
from helpers import cilium_config, cilium_node, node, run_cli

from reconciler.avi.client import AviClient, AviSettings
from reconciler.errors import ReconcilerError
from reconciler.http import ERROR_TEXT_LIMIT
from reconciler.masking import mask
from reconciler.sim.avi import AviSim
from reconciler.sim.github import FakeGitHub
from reconciler.sim.kube import FakeKubeApi

AVI_PASSWORD = "s3cret-avi-password"  # the world fixture's
GITHUB_TOKEN = "ghp_S3cretT0kenNeverShown"
SECRETS = (AVI_PASSWORD, GITHUB_TOKEN)


def everything_written(world, github, tmp_path) -> str:
    texts = [pull["body"] + pull["title"] for pull in github.pulls]
    texts += [comment["body"] for comments in github.comments.values() for comment in comments]
    for repo in (world.repo.working_dir, world.remote.working_dir):
        texts.append(
            subprocess.run(
                ["git", "-C", repo, "log", "--all", "-p", "--format=%B"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        texts.append(
            subprocess.run(["git", "-C", repo, "show-ref"], capture_output=True, text=True).stdout
        )
    texts += [path.read_text(errors="replace") for path in tmp_path.glob("*.prom")]
    return "\n".join(texts)


def test_no_command_leaks_a_secret(world, tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    objects = [cilium_config(), node("w1", "192.168.10.11"), cilium_node("w1", ["10.0.1.0/24"])]
    outputs = []
    with (
        FakeKubeApi(objects) as cluster,
        FakeGitHub(token=GITHUB_TOKEN, git_dir=world.remote.working_dir) as github,
    ):
        kube = ("--kubeconfig", str(cluster.write_kubeconfig(tmp_path / "kubeconfig")))
        gh = ("--github-repo", "acme/routes", "--github-api-url", github.url)
        metrics = ("--metrics-file", str(tmp_path / "run.prom"), "--log-format", "json")
        world.reviewed("10.0.1.0/24 192.168.10.11 w1", "10.0.9.0/24 192.168.10.19 w9")
        repo = ("--cluster-name", "c", "--repo", world.repo.working_dir)
        outputs.append(run_cli(world.capsys, "render", *repo, *kube, "--commit"))
        outputs.append(
            run_cli(
                world.capsys,
                "check",
                "--cluster-name",
                "c",
                *kube,
                "--avi-controller",
                world.avi.url,
            )
        )
        commands = [
            ("run", *kube, *gh, *metrics),
            ("plan", *gh, "--comment-on", "1"),
            ("propose", *gh),
            ("apply",),
            ("apply", "--dry-run"),
            ("run", *kube, *gh, "--log-format", "json", "--heal"),
        ]
        for command, *args in commands:
            outputs.append(world.cli(command, *args))
        monkeypatch.setenv("AVI_PASSWORD", "wrong-" + AVI_PASSWORD)
        outputs.append(world.cli("apply"))
        monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN + "x")
        outputs.append(world.cli("propose", *gh))
        written = everything_written(world, github, tmp_path)
    assert [code for code, _, _ in outputs[-2:]] == [1, 1]
    assert any("pull request #1" in out for _, out, _ in outputs)
    shown = "\n".join(out + err for _, out, err in outputs) + caplog.text + written
    for secret in SECRETS:
        assert secret not in shown


def test_credentials_come_only_from_the_environment_or_files(world, tmp_path, monkeypatch):
    code, _, err = world.cli("apply", "--avi-password", AVI_PASSWORD)
    assert code == 1 and "unrecognized arguments" in err and AVI_PASSWORD not in err
    password_file = tmp_path / "avi-password"
    password_file.write_text(AVI_PASSWORD + "\n")
    monkeypatch.delenv("AVI_PASSWORD")
    monkeypatch.setenv("AVI_PASSWORD_FILE", str(password_file))
    world.reviewed("10.0.1.0/24 192.168.10.11 w1")
    code, _, _ = world.cli("apply")
    assert code == 2


@pytest.mark.parametrize(
    "url",
    [f"https://admin:{AVI_PASSWORD}@avi.example.com", f"http://admin:{AVI_PASSWORD}@127.0.0.1:1"],
)
def test_an_avi_url_with_credentials_is_rejected(world, url):
    world.reviewed("10.0.1.0/24 192.168.10.11 w1")
    code, _, err = world.cli("apply", "--avi-controller", url)
    assert code == 1 and "credentials" in err and AVI_PASSWORD not in err


def test_exception_messages_carry_no_secret(world):
    client = AviClient(
        AviSettings(world.avi.url, "admin", "wrong-" + AVI_PASSWORD, backoff_base=0.001)
    )
    with pytest.raises(ReconcilerError) as raised:
        client.find_vrf("global", "Default-Cloud")
    assert AVI_PASSWORD not in str(raised.value) and AVI_PASSWORD not in repr(raised.value)
    assert AVI_PASSWORD not in repr(client._settings)


# --- a server echoing a secret in another spelling ---------------------------------------

# Each password starts and ends with a marker no message contains; the middle has what JSON
# escapes or whitespace folding respell.
ECHOED_PASSWORDS = [
    "Zq9x  two  spaces  T0k3n",
    'Zq9x"quote\\backslash/T0k3n',
    "Zq9x-pässwörd-☃-𝄞-T0k3n",
    "Zq9x\ttab\nline T0k3n",
]


def echoes(password: str) -> dict[str, str]:
    """Error bodies without an ``error`` key, so the client quotes the body itself."""
    login = {"username": "admin", "password": password}
    opening = '{"detail": "'
    padding = "x" * (ERROR_TEXT_LIMIT - len(opening) - 5)  # the cut falls inside the password
    return {
        "ascii-json": json.dumps({"detail": login}),
        "utf8-json": json.dumps({"detail": login}, ensure_ascii=False),
        "double-escaped": json.dumps({"detail": json.dumps(login)}),
        "folded-whitespace": " ".join(f"rejected: {password}".split()),
        "html": f"<html><body><p>rejected {html.escape(password)}</p></body></html>",
        "cut-inside": f"{opening}{padding}{password}",
        "padded-and-folded": " " * 5000 + password,
    }


@pytest.mark.parametrize("password", ECHOED_PASSWORDS)
@pytest.mark.parametrize("form", sorted(echoes("")))
def test_an_echoed_password_is_masked_in_every_spelling(password, form):
    with AviSim(password=password) as sim:
        client = AviClient(AviSettings(sim.url, "admin", password, backoff_base=0.001))
        uuid = client.find_vrf("global", "Default-Cloud")["uuid"]
        read = client.get_vrf(uuid)
        sim.inject(400, method="PUT", body=echoes(password)[form])
        with pytest.raises(ReconcilerError) as raised:
            client.put_vrf(uuid, read)
        client.close()
    text = str(raised.value)
    assert "HTTP 400" in text and "***" in text
    assert "Zq9x" not in text and "T0k3n" not in text, text


def test_masking_covers_escaped_and_folded_spellings_of_any_secret():
    """The same property on its own, for the fuzz suite's wider inputs."""
    secret = 'Zq9x a  "b\\c\u00e9\U0001d11e T0k3n'
    spellings = [
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(json.dumps(secret))[3:-3],  # quoted inside another JSON string
        " ".join(secret.split()),
        html.escape(secret),
    ]
    for spelled in spellings:
        masked = mask(f"before {spelled} after", [secret])
        assert masked == "before *** after", (spelled, masked)


def test_the_process_forbids_core_dumps_before_it_reads_a_secret(tmp_path):
    """A core file (or a same-user ptrace) of a crashed apply would hold the Avi password."""
    probe = (
        "import ctypes, resource\n"
        "from reconciler.cli import main\n"
        "main(['--version'])\n"
        "print(resource.getrlimit(resource.RLIMIT_CORE))\n"
        "print(ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))\n"  # PR_GET_DUMPABLE
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout.splitlines()
    assert shown[-2:] == ["(0, 0)", "0"]
