"""Configuration precedence (flags > environment > --config > --ako-values) and validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import cilium_config, cilium_node, init_repo, node, run_cli, write_objects

from reconciler.ako_values import from_ako_values
from reconciler.errors import InputError
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


def test_ako_values_map_to_settings():
    values = from_ako_values(AKO_VALUES)
    assert values == {
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
    assert "never-read" not in str(values)
    assert from_ako_values({"AKOSettings": {"cniPlugin": ""}})["cni_plugin"] == "kubernetes"
    assert from_ako_values({"AKOSettings": {"cniPlugin": "calico"}})["cni_plugin"] == "calico"
    with pytest.raises(InputError, match=r"AKOSettings\.cniPlugin 'flannel' is not supported"):
        from_ako_values({"AKOSettings": {"cniPlugin": "flannel"}})


def test_precedence_environment_over_config_over_ako_values(tmp_path):
    ako = write_yaml(tmp_path / "values.yaml", AKO_VALUES)
    config = write_yaml(tmp_path / "config.yaml", {"vrf": "from-config", "cloud": "from-config"})
    values, warnings = configured_defaults(config, ako, {"ROUTE_RECONCILER_CLOUD": "from-env"})
    assert (values["cluster_name"], values["vrf"], values["cloud"]) == (
        "prod-a",
        "from-config",
        "from-env",
    )
    assert "disableStaticRouteSync is not true" in warnings[0]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"clusterNme": "x"}, "clusterNme: unknown setting"),
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


def test_missing_cluster_name_names_every_way_to_set_it(capsys):
    code, _, err = run_cli(capsys, "render", "--snapshot", "x.yaml")
    assert code == 1 and "--cluster-name, clusterName in --config" in err


def test_every_setting_is_documented_in_the_readme():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    missing = [s.key for s in SETTINGS if f"`{s.key}`" not in readme]
    assert not missing
