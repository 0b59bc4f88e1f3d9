"""The GitHub Actions workflows: valid for GitHub, calling the CLI the way its parser reads it
(a renamed flag fails here, not in production), minimal permissions, applies that never overlap,
and secrets that stay out of scripts and logs."""

from __future__ import annotations

import json
import re
import runpy
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import check_jsonschema
import git
import pytest
import yaml

from reconciler.cli import build_parser
from reconciler.settings import configured_defaults, from_config

ROOT = Path(__file__).parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
OURS = ("reconcile.yml", "plan.yml", "apply.yml")
ACTIONS = ROOT / "deploy" / "github-actions"
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)
# Replaces every ${{ ... }} before parsing: an int for --comment-on, a fine string elsewhere.
PLACEHOLDER = "1"
SECRET_EXPRESSION = re.compile(r"\$\{\{\s*secrets\.\w+(\s*\|\|\s*secrets\.\w+)*\s*\}\}")
SENSITIVE_NAME = re.compile(r"PASSWORD|TOKEN|USERNAME|KUBECONFIG_CONTENT|SECRET|KEY|WEBHOOK")
OPERATORS = set(";&|<>(){}")

# What each job may do with the repository; the workflow default is read-only.
PERMISSIONS = {
    "reconcile.yml": {
        "clusters": {"contents": "read"},
        "reconcile": {"contents": "write", "pull-requests": "write", "issues": "write"},
    },
    "plan.yml": {
        "clusters": {"contents": "read"},
        "plan": {"contents": "read", "pull-requests": "write"},
    },
    "apply.yml": {
        "clusters": {"contents": "read"},
        "apply": {
            "contents": "write",
            "statuses": "write",
            "pull-requests": "write",
            "issues": "write",
        },
    },
}


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    if True in document:  # YAML 1.1 reads the key `on` as a boolean
        document["on"] = document.pop(True)
    return document


def steps(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for job_id, job in document["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, job, step


def invocations(script: str) -> list[list[str]]:
    """Every `route-reconciler ...` command line of a shell script, up to its first operator
    (`;`, `&&`, `|`, a redirection), with ${{ }} expressions replaced by a placeholder."""
    script = EXPRESSION.sub(PLACEHOLDER, script).replace("\\\n", " ")
    found = []
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        command: list[str] | None = None
        for token in [*lexer, ";"]:
            if command is not None and set(token) <= OPERATORS:
                found.append(command)
                command = None
            elif command is not None:
                command.append(token)
            elif token == "route-reconciler":
                command = []
    return found


def parse(arguments: list[str], where: str):
    try:
        return build_parser().parse_args(arguments)
    except SystemExit:
        pass  # argparse printed why
    pytest.fail(f"{where}: `route-reconciler {' '.join(arguments)}` does not parse")


def cli_calls(name: str) -> list[tuple[str, dict[str, Any], Any]]:
    document = load(WORKFLOWS / name)
    return [
        (job_id, job, parse(arguments, f"{name} job {job_id}"))
        for job_id, job, step in steps(document)
        for arguments in invocations(step.get("run", ""))
    ]


def check_schema(schema: str, paths: list[Path], capsys) -> tuple[int, str]:
    """check-jsonschema with one of its vendored schemas, offline and in this process."""
    code: int | str | None = 0
    try:
        check_jsonschema.main(["--builtin-schema", schema, *map(str, paths)])
    except SystemExit as done:
        code = done.code
    captured = capsys.readouterr()
    return int(code or 0), captured.out + captured.err


def test_every_workflow_is_valid_for_github(capsys):
    files = workflow_files()
    assert {path.name for path in files} >= {"ci.yml", *OURS}
    code, output = check_schema("vendor.github-workflows", files, capsys)
    assert code == 0, output
    # Ours also set timeout-minutes on every job, so a hung API call cannot hold a runner for 6 h.
    ours = [WORKFLOWS / name for name in OURS]
    code, output = check_schema("custom.github-workflows-require-timeout", ours, capsys)
    assert code == 0, output


def test_the_schema_check_rejects_a_broken_workflow(tmp_path, capsys):
    """The validator really runs: a job without runs-on is refused."""
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    steps:\n      - run: 'true'\n")
    code, output = check_schema("vendor.github-workflows", [broken], capsys)
    assert code == 1 and "runs-on" in output, output


def test_ci_still_runs_the_project_script():
    ci = load(WORKFLOWS / "ci.yml")
    assert [step["run"] for _, _, step in steps(ci) if "run" in step] == ["bash .ci/run"]


def test_invocation_extraction():
    script = (
        'set +e\nroute-reconciler plan --config "$CONFIG" \\\n  --comment-on ${{ github.x }}'
        ' > "$RUNNER_TEMP/plan.md"\ncode=$?\n'
    )
    assert invocations(script) == [["plan", "--config", "$CONFIG", "--comment-on", "1"]]


def test_reconcile_renders_and_proposes_without_applying():
    calls = cli_calls("reconcile.yml")
    assert [args.command for _, _, args in calls] == ["run"]
    (_, _, args) = calls[0]
    assert args.no_apply and not args.no_propose
    assert args.config and args.kubeconfig
    triggers = load(WORKFLOWS / "reconcile.yml")["on"]
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers


def step_env(name: str) -> dict[str, str]:
    """The environment of the step that runs route-reconciler in workflow ``name``."""
    (step,) = [
        s for _, _, s in steps(load(WORKFLOWS / name)) if "route-reconciler " in s.get("run", "")
    ]
    return step["env"]


def test_reconcile_and_apply_report_to_github_and_the_webhook():
    """Drift reaches its report from `run --no-apply` because the cluster's settings name the
    controller; apply's status and comment need the token; both may notify."""
    for name in ("reconcile.yml", "apply.yml"):
        env = step_env(name)
        assert "GITHUB_TOKEN" in env and env["AVI_PASSWORD"], name
        assert env["ROUTE_RECONCILER_WEBHOOK_URL"] == "${{ secrets.ROUTE_RECONCILER_WEBHOOK_URL }}"
    for config in sorted((ACTIONS / "clusters").glob("*.yaml")):
        assert from_config(yaml.safe_load(config.read_text()), config.name)["avi_controller"]


def test_plan_is_one_sticky_comment_per_pull_request():
    calls = cli_calls("plan.yml")
    assert [args.command for _, _, args in calls] == ["plan"]
    (_, _, args) = calls[0]
    assert (args.target, args.output, args.comment_on) == ("worktree", "markdown", 1)
    run = next(
        s["run"] for _, _, s in steps(load(WORKFLOWS / "plan.yml")) if "plan " in s.get("run", "")
    )
    assert "--comment-on ${{ github.event.pull_request.number }}" in run
    triggers = load(WORKFLOWS / "plan.yml")["on"]
    assert triggers == {"pull_request": {"paths": ["routes/**"]}}


def test_apply_runs_after_merge_one_cluster_at_a_time():
    calls = cli_calls("apply.yml")
    assert [args.command for _, _, args in calls] == ["apply"]
    (_, job, args) = calls[0]
    assert args.config and not args.dry_run and not args.heal and not args.allow_mass_delete
    assert job["concurrency"] == {
        "group": "apply-${{ matrix.cluster }}",
        "cancel-in-progress": False,
    }
    triggers = load(WORKFLOWS / "apply.yml")["on"]
    assert triggers["push"] == {"branches": ["main"], "paths": ["routes/**"]}


@pytest.mark.parametrize("name", OURS)
def test_cluster_jobs_install_the_tool_and_fan_out_over_clusters(name):
    document = load(WORKFLOWS / name)
    for job_id, job, _args in cli_calls(name):
        runs = [step.get("run", "") for step in job["steps"]]
        uses = [step.get("uses", "") for step in job["steps"]]
        first_call = next(i for i, run in enumerate(runs) if "route-reconciler " in run)
        assert "python -m pip install ." in runs[:first_call], job_id
        python = next(
            s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python")
        )
        assert python["with"]["python-version"] == "3.11"
        assert uses[0].startswith("actions/checkout@")
        assert job["needs"] == "clusters"
        assert job["if"] == "needs.clusters.outputs.any == 'true'"
        assert job["strategy"]["matrix"] == "${{ fromJSON(needs.clusters.outputs.matrix) }}"
        assert job["environment"] == "${{ matrix.cluster }}"
        assert "matrix.cluster" in job["concurrency"]["group"]
    lister = document["jobs"]["clusters"]
    assert any("deploy/github-actions/matrix.py" in s.get("run", "") for s in lister["steps"])


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_permissions_are_minimal(path):
    document = load(path)
    assert document["permissions"] == {"contents": "read"}
    expected = PERMISSIONS.get(path.name)
    if expected is not None:
        assert {job_id: job.get("permissions") for job_id, job in document["jobs"].items()} == (
            expected
        )


def _strings(value: Any, where: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*where, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*where, str(index)))
    elif isinstance(value, str):
        yield where, value


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_secrets_come_only_from_the_secrets_context_and_are_never_printed(path):
    document = load(path)
    text = path.read_text()
    assert "secrets." not in EXPRESSION.sub("", text), "secrets named outside ${{ }}"
    for where, value in _strings(document):
        if "secrets." in value:
            # Whole values of an env entry or of checkout's token, never inside a script.
            assert where[-2:-1] == ("env",) or where[-2:] == ("with", "token"), where
            assert SECRET_EXPRESSION.fullmatch(value), (where, value)
        if where[-2:-1] == ("env",) and SENSITIVE_NAME.search(where[-1]):
            assert SECRET_EXPRESSION.fullmatch(value), f"{where}: {where[-1]} not from secrets"
    for job_id, job, step in steps(document):
        script = step.get("run", "")
        assert not re.search(r"\bset\s+-\w*x", script), f"{job_id}: set -x would print secrets"
        bound = {
            name
            for scope in (document.get("env", {}), job.get("env", {}), step.get("env", {}))
            for name, value in scope.items()
            if "secrets." in str(value)
        }
        for line in script.splitlines():
            for name in bound:
                if not re.search(rf"\$\{{?{name}\b", line):
                    continue
                # Only ever written to a private file, never to the log or a step output.
                assert not re.search(r"\b(echo|cat|tee)\b", line), (job_id, line)
                assert not re.search(r"GITHUB_(OUTPUT|ENV|STEP_SUMMARY|STATE)", line), line
                assert "printf" not in line or re.search(r'>\s*"\$RUNNER_TEMP/', line), line


def test_the_kubeconfig_file_is_private_and_removed():
    document = load(WORKFLOWS / "reconcile.yml")
    job = document["jobs"]["reconcile"]
    write = next(s for s in job["steps"] if "KUBECONFIG_CONTENT" in s.get("env", {}))
    assert write["run"].lstrip().startswith("umask 077")
    cleanup = job["steps"][-1]
    assert cleanup["if"] == "always()" and 'rm -f "$RUNNER_TEMP/kubeconfig"' in cleanup["run"]


# -- the cluster list the workflows fan out over -----------------------------------------------


def test_every_cluster_config_is_a_valid_settings_file():
    configs = sorted((ACTIONS / "clusters").glob("*.yaml"))
    assert configs
    for path in configs:
        values = from_config(yaml.safe_load(path.read_text()), str(path))
        assert values["cluster_name"].value == path.stem, "the file name is the cluster name"
        defaults, _ = configured_defaults(str(path), None, {})
        assert defaults == values


def run_matrix(root: Path, capsys, *arguments: str) -> tuple[dict[str, Any], str]:
    """deploy/github-actions/matrix.py as the workflows run it, but in this process."""
    script = runpy.run_path(str(root / "deploy/github-actions/matrix.py"))
    assert script["main"](list(arguments)) == 0
    captured = capsys.readouterr()
    outputs = dict(line.split("=", 1) for line in captured.out.splitlines())
    matrix = json.loads(outputs["matrix"])
    assert outputs["any"] == ("true" if matrix["include"] else "false")
    return matrix, captured.err


def test_matrix_lists_every_cluster_of_this_repository(capsys):
    matrix, _ = run_matrix(ROOT, capsys)
    assert matrix["include"]
    for entry in matrix["include"]:
        assert (ROOT / entry["config"]).is_file()
        assert Path(entry["config"]).stem == entry["cluster"]


def test_matrix_selects_changed_clusters(tmp_path, capsys):
    """A copy of the script in a real repository with clusters a and b."""
    clusters = tmp_path / "deploy/github-actions/clusters"
    clusters.mkdir(parents=True)
    (tmp_path / "deploy/github-actions/matrix.py").write_text((ACTIONS / "matrix.py").read_text())
    for name in ("a", "b"):
        (clusters / f"{name}.yaml").write_text(f"clusterName: {name}\n")
    repo = git.Repo.init(tmp_path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.invalid")

    def commit(files: dict[str, str]) -> str:
        for name, content in files.items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(content)
        repo.git.add("-A")
        return repo.index.commit("change").hexsha

    first = commit({"routes/README.md": "x\n"})
    commit({"routes/a/global.yaml": "a\n", "routes/demo/global.yaml": "d\n"})

    def clusters_of(*arguments: str) -> list[str]:
        matrix, _ = run_matrix(tmp_path, capsys, *arguments)
        return [entry["cluster"] for entry in matrix["include"]]

    assert clusters_of() == ["a", "b"]
    assert clusters_of("--changed-since", first) == ["a"]
    _, warnings = run_matrix(tmp_path, capsys, "--changed-since", first)
    assert "routes/demo/ changed, but there is no demo.yaml" in warnings
    assert clusters_of("--changed-since", repo.head.commit.hexsha) == []
    assert clusters_of("--changed-since", "0" * 40) == ["a", "b"]  # a new branch
    assert clusters_of("--changed-since", "1234567" * 5 + "12345") == ["a", "b"]  # unknown
    assert clusters_of("--only", "b", "--changed-since", first) == ["b"]
    with pytest.raises(SystemExit, match="no cluster 'c'"):
        run_matrix(tmp_path, capsys, "--only", "c")
