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

Modules: ``api`` (``FakeGitHub``: authentication, versions, routes, endpoints), ``pulls`` and
``comments`` (the resources), ``repository`` (the repository's JSON and its branches),
``validation`` (GitHub's refusals), ``faults`` (injection) and ``protocol`` (JSON, paging,
the request record).
"""

from reconciler.sim.github.api import FakeGitHub
from reconciler.sim.github.protocol import RecordedRequest

__all__ = ["FakeGitHub", "RecordedRequest"]
