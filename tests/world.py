"""Given/when/then around the real parts: a bare git remote, a clone, the Avi stand-in, the CLI."""

from __future__ import annotations

from pathlib import Path

import git
from helpers import init_repo, route

from reconciler.cli import main
from reconciler.manifest import Manifest, render_manifest
from reconciler.ownership import owner_label, to_avi
from reconciler.sim.avi import AviSim, static_route

MANIFEST = "routes/c/global.yaml"
FOREIGN = [
    static_route("legacy-1", "172.16.0.0/16", "10.1.1.1"),
    static_route("c-eu-1", "10.200.0.0/24", "10.1.1.2", labels=owner_label("c-eu")),
    static_route("mgmt", "172.17.0.0/16", "10.1.1.3", labels=[{"key": "owner", "value": "c"}]),
]


class World:
    def __init__(self, tmp_path: Path, capsys, avi: AviSim) -> None:
        self.capsys = capsys
        self.avi = avi
        self.remote = git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
        seed = init_repo(tmp_path / "seed")
        seed.create_remote("origin", self.remote.working_dir)
        seed.git.push("origin", "main")
        self.repo = git.Repo.clone_from(self.remote.working_dir, tmp_path / "repo")
        with self.repo.config_writer() as config:
            config.set_value("user", "name", "Reviewer")
            config.set_value("user", "email", "reviewer@example.invalid")
        self.vrf_uuid = avi.vrf("global")["uuid"]
        avi.set_routes(self.vrf_uuid, FOREIGN)

    # given
    def reviewed(
        self,
        *routes: str,
        cluster: str = "c",
        push: bool = True,
        branch: str = "main",
        decommission: str | None = None,
    ) -> str:
        """Commit a manifest of `routes` (or a teardown: `decommission`, its reason) on `branch`
        and, as a merged PR would be, push it."""
        manifest = Manifest(
            cluster,
            "global",
            "Default-Cloud",
            "cilium-cluster-pool",
            tuple(route(text, cluster) for text in routes),
            decommission,
        )
        self.repo.git.checkout("-B", branch)
        path = Path(self.repo.working_dir) / MANIFEST
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_manifest(manifest))
        self.repo.index.add([MANIFEST])
        commit = self.repo.index.commit(f"routes: {len(routes)} routes")
        if push:
            self.repo.git.push("origin", f"{branch}:{branch}", "--force")
        self.repo.git.checkout("main")
        return commit.hexsha

    def live_ours(self, *routes: str, route_ids: dict[str, str] | None = None) -> None:
        """Routes of ours already on Avi (after the foreign ones), e.g. written by AKO."""
        entries = []
        for text in routes:
            avi_route = to_avi(route(text), "c")
            avi_route["route_id"] = (route_ids or {}).get(text.split()[0], avi_route["route_id"])
            entries.append(avi_route)
        self.avi.set_routes(self.vrf_uuid, self.static_routes() + entries)

    # when
    def cli(self, command: str, *args: str) -> tuple[int, str, str]:
        code = main(
            [
                command,
                "--cluster-name",
                "c",
                "--repo",
                self.repo.working_dir,
                "--avi-controller",
                self.avi.url,
                *args,
            ]
        )
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    # then
    def static_routes(self) -> list[dict]:
        return self.avi.vrf("global")["static_routes"]

    def ours(self) -> dict[str, tuple[str, str]]:
        return {
            f"{r['prefix']['ip_addr']['addr']}/{r['prefix']['mask']}": (
                r["next_hop"]["addr"],
                r["route_id"],
            )
            for r in self.static_routes()
            if r.get("labels") == owner_label("c")
        }

    def foreign(self) -> list[dict]:
        return [r for r in self.static_routes() if r.get("labels") != owner_label("c")]
