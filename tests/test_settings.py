"""Configuration precedence (flags > environment > --config > --ako-values) and validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import cilium_config, cilium_node, init_repo, node, run_cli, write_objects

from reconciler.ako_values import AKO_KEYS, ako_values_warnings, from_ako_values
from reconciler.settings import SETTINGS, configured_defaults

AKO_VALUES = {
    "AKOSettings": {
        "clusterName": "prod-a",
        "cniPlugin": "cilium",
        "disableStaticRouteSync": False,
    },
    "ControllerSettings": {
        "controllerHost": "10.10.10.10",
        "cloudName": "vcenter-01",
        "tenantName": "team-a",
        "controllerVersion": "22.1.5",
        "vrfName": "vrf-k8s",
        "serviceEngineGroupName": "k8s-seg",
    },
    "NetworkSettings": {
        "nodeNetworkList": [{"networkName": "k8s-nodes", "cidrs": ["192.168.10.0/24"]}]
    },
    "avicredentials": {"username": "admin", "password": "never-read"},
}


def write_yaml(path: Path, data) -> str:
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_ako_values_map_to_settings_naming_file_and_key():
    values = from_ako_values(AKO_VALUES, "values.yaml")
    assert {dest: configured.value for dest, configured in values.items()} == {
        "cluster_name": "prod-a",
        "cni_plugin": "cilium",
        "avi_controller": "https://10.10.10.10",
        "cloud": "vcenter-01",
        "avi_tenant": "team-a",
        "avi_version": "22.1.5",
        "vrf": "vrf-k8s",
        "se_group": ["k8s-seg"],
        "node_network": ["192.168.10.0/24"],
    }
    assert values["node_network"].where == "values.yaml: NetworkSettings.nodeNetworkList"
    assert values["cni_plugin"].where == "values.yaml: AKOSettings.cniPlugin"
    assert "never-read" not in str(values)
    assert from_ako_values({"AKOSettings": {"cniPlugin": ""}}, "v")["cni_plugin"].value == ""
    assert "ip_family" not in from_ako_values({"AKOSettings": {"ipFamily": ""}}, "v")


def test_precedence_environment_over_config_over_ako_values(tmp_path):
    ako = write_yaml(tmp_path / "values.yaml", AKO_VALUES)
    config = write_yaml(tmp_path / "config.yaml", {"vrf": "from-config", "cloud": "from-config"})
    values, warnings = configured_defaults(config, ako, {"ROUTE_RECONCILER_CLOUD": "from-env"})
    assert (values["cluster_name"].value, values["vrf"].value, values["cloud"].value) == (
        "prod-a",
        "from-config",
        "from-env",
    )
    assert values["cloud"].where == "environment ROUTE_RECONCILER_CLOUD"
    assert "disableStaticRouteSync is not true" in warnings[0]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"clusterNme": "x"}, "clusterNme: unknown setting; did you mean clusterName?"),
        ({"avicontroller": "x"}, "avicontroller: unknown setting; did you mean aviController?"),
        ({"aviPassword": "x"}, "credentials come only from the environment or files"),
        ({"heal": "maybe"}, "heal: expected true or false"),
        ({"maxDelete": "ten"}, "maxDelete: expected a whole number"),
        ({"vrf": ["a"]}, "vrf: expected a single value"),
        (["not", "a", "mapping"], "expected a mapping of settings"),
    ],
)
def test_bad_config_is_a_one_line_error(tmp_path, capsys, config, message):
    path = write_yaml(tmp_path / "config.yaml", config)
    code, _, err = run_cli(capsys, "render", "--config", path)
    assert code == 1
    assert message in err and err.count("\n") == 1


def test_flags_win_and_one_flag_migrates_from_ako(tmp_path, capsys, monkeypatch):
    objects = [cilium_config(), node("w1", "192.168.10.11"), cilium_node("w1", ["10.0.1.0/24"])]
    snapshot = str(write_objects(tmp_path / "cluster.yaml", objects))
    init_repo(tmp_path / "repo")
    ako = write_yaml(tmp_path / "values.yaml", AKO_VALUES)
    monkeypatch.chdir(tmp_path / "repo")
    code, _, err = run_cli(capsys, "render", "--ako-values", ako, "--snapshot", snapshot)
    assert code == 2, err
    assert (tmp_path / "repo/routes/prod-a/vrf-k8s.yaml").exists()
    assert "disableStaticRouteSync" in err
    code, _, _ = run_cli(
        capsys, "render", "--ako-values", ako, "--snapshot", snapshot, "--vrf", "global"
    )
    assert (tmp_path / "repo/routes/prod-a/global.yaml").exists()


# Every value AKO's file may hold that route-reconciler would refuse, one per key it reads.
REFUSED_AKO_VALUES = {
    "AKOSettings": {
        "clusterName": "c.eu",
        "cniPlugin": "ncp",
        "ipFamily": "V5",
        "disableStaticRouteSync": True,
    },
    "ControllerSettings": {"vrfName": "../../x", "cloudName": "-x y"},
    "NetworkSettings": {"nodeNetworkList": [{"networkName": "n", "cidrs": ["192.168.10.1/24"]}]},
}
OVERRIDING_FLAGS = {
    "--cluster-name": "c",
    "--cni-plugin": "cilium",
    "--ip-family": "V4",
    "--vrf": "global",
    "--cloud": "Default-Cloud",
    "--node-network": "192.168.10.0/24",
}


def test_flags_override_every_ako_value_even_one_that_would_be_refused(tmp_path, capsys):
    objects = [cilium_config(), node("w1", "192.168.10.11"), cilium_node("w1", ["10.0.1.0/24"])]
    snapshot = str(write_objects(tmp_path / "cluster.yaml", objects))
    init_repo(tmp_path / "repo")
    values = write_yaml(tmp_path / "values.yaml", REFUSED_AKO_VALUES)
    flags = [part for flag in OVERRIDING_FLAGS.items() for part in flag]
    argv = [
        "render",
        "--ako-values",
        values,
        "--snapshot",
        snapshot,
        "--repo",
        str(tmp_path / "repo"),
    ]
    code, _, err = run_cli(capsys, *argv, *flags)
    assert code == 2, err
    assert (tmp_path / "repo/routes/c/global.yaml").exists()
    for flag in OVERRIDING_FLAGS:  # without any one of the flags, that key's value is refused
        without = [part for other in OVERRIDING_FLAGS.items() if other[0] != flag for part in other]
        code, _, err = run_cli(capsys, *argv, *without)
        assert code == 1 and f"{values}: " in err and err.count("error: ") == 1, (flag, err)


def test_a_repeatable_flag_replaces_the_configured_list(tmp_path, capsys):
    """nodeNetworkList picks 192.168.20.11; --node-network alone must pick 192.168.10.11."""
    objects = [
        cilium_config(),
        node("w1", ["192.168.20.11", "192.168.10.11"]),
        cilium_node("w1", ["10.0.1.0/24"]),
    ]
    snapshot = str(write_objects(tmp_path / "cluster.yaml", objects))
    values = {"NetworkSettings": {"nodeNetworkList": [{"cidrs": ["192.168.20.0/24"]}]}}
    ako = write_yaml(tmp_path / "values.yaml", values)
    init_repo(tmp_path / "repo")
    argv = ["render", "--cluster-name", "c", "--ako-values", ako, "--snapshot", snapshot]
    argv += ["--repo", str(tmp_path / "repo"), "--node-network", "192.168.10.0/24"]
    code, _, err = run_cli(capsys, *argv)
    assert code == 2, err
    manifest = (tmp_path / "repo/routes/c/global.yaml").read_text()
    assert "nextHop: 192.168.10.11" in manifest


def test_missing_cluster_name_names_every_way_to_set_it(capsys):
    code, _, err = run_cli(capsys, "render", "--snapshot", "x.yaml")
    assert code == 1 and "--cluster-name, clusterName in --config" in err


def test_every_setting_is_documented_in_the_readme():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    missing = [s.key for s in SETTINGS if f"`{s.key}`" not in readme]
    assert not missing


class Recording(dict):
    """A values mapping that notes every key read from it, nested sections included."""

    def __init__(self, data: dict, prefix: str, seen: set[str]) -> None:
        super().__init__(data)
        self.prefix, self.seen = prefix, seen

    def get(self, key, default=None):
        self.seen.add(self.prefix + key)
        value = super().get(key, default)
        return (
            Recording(value, f"{self.prefix}{key}.", self.seen)
            if isinstance(value, dict)
            else value
        )

    def __getitem__(self, key):
        return self.get(key)


def test_every_ako_key_the_code_reads_is_in_the_readme_table():
    values = {**AKO_VALUES, "L7Settings": {"serviceType": "ClusterIP", "shardVSSize": "LARGE"}}
    seen: set[str] = set()
    recording = Recording(values, "", seen)
    from_ako_values(recording, "values.yaml")
    ako_values_warnings(recording)
    assert {key for key in seen if "." in key} == {key.path for key in AKO_KEYS}
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("`--ako-values values.yaml` reads these keys", 1)[1]
    rows = [line for line in section.split("\n\n", 2)[1].splitlines() if line.startswith("| `")]
    table = {row.split(" | ")[0].strip("|` "): row.split(" | ", 1)[1].rstrip(" |") for row in rows}
    assert table == {key.path: key.meaning for key in AKO_KEYS}
