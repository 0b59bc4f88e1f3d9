"""Text from Avi, Kubernetes or GitHub can never change how the pull request renders: a hostile
corpus goes through the plan into the body, which is rendered by cmark-gfm (GitHub's own
renderer) and parsed back: every row and cell is where the plan puts it, no HTML comment but our
marker, no image, heading, quote or code span that we did not write, and every hostile text
shows exactly as it is. GitHub links e-mail addresses whatever escapes surround them; such a
link shows its own target, which is checked too."""

from __future__ import annotations

import html.parser
import ipaddress

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.commit_notes import evidence_lines
from reconciler.markdown_text import literal, visible
from reconciler.ownership import classify, owner_label, to_avi
from reconciler.plan import Plan, three_way_plan
from reconciler.propose import pull_request_text
from reconciler.review.github import GitHubClient, GitHubSettings
from reconciler.routes import Route, route_id
from reconciler.sim.avi import static_route
from reconciler.sim.github import FakeGitHub

HOSTILE = [
    "c.10.0.1.0_24 |\n\n<!--",
    "x -->\n| add | `10.9.9.0/24` | (none) | 10.0.0.1 | evil | |",
    "`code` ``two`` ```",
    "[click](https://evil.example) ![img](x) [^1] [ ] [x]",
    "<script>alert(1)</script> <img src=x onerror=alert(1)> <https://a.example>",
    "&lt;!-- &#124; &amp; &#x3C;",
    "# heading",
    "> quote",
    "> [!WARNING]",
    "- item",
    "+ item",
    "1. item",
    "2) item",
    "    indented code",
    "\tindented by a tab",
    "**bold** __strong__ _em_ *em* ~~gone~~ ~gone~",
    "$x^2$ $$y$$",
    "a\u2028b\u2029c\rd\x00e\u202eevil\u200b\u3000f",
    "\\| \\` \\\\ \\",
    "| | |",
    "---",
    "===",
    "trailing  ",
    "   ",
    "_leading and trailing_",
    "snake_case_id",
]
# any character, with the ones markdown gives a meaning drawn far more often
MARKDOWN_HEAVY = st.one_of(
    st.characters(), st.sampled_from(list("\\`*_~[]<>&|$#-+=.:/@!()w1 \n\t"))
)
TEXT_TAGS = {"table", "thead", "tbody", "tr", "th", "td", "ul", "li", "a"}
ALLOWED_TAGS = TEXT_TAGS | {"h3", "h4", "p", "code", "strong"}  # strong: our **conflict** note


class Rendered(html.parser.HTMLParser):
    """What a GitHub reader sees: tags, comments, code spans, links, and the text of each table
    cell and list item."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.comments: list[str] = []
        self.rows: list[list[str]] = []
        self.items: list[str] = []
        self.code: list[str] = []
        self.links: list[tuple[str, str]] = []  # (target, shown text)
        # what is being read: tag -> its text so far (a code span or link inside a cell)
        self._open: dict[str, list[str]] = {}
        self._target = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag == "a":
            self._target = dict(attrs).get("href") or ""
        if tag in ("td", "th", "li", "code", "a"):
            self._open[tag] = []

    def handle_endtag(self, tag: str) -> None:
        text = "".join(self._open.pop(tag, []))
        if tag in ("td", "th"):
            self.rows[-1].append(text)
        elif tag == "li":
            self.items.append(text)
        elif tag == "code":
            self.code.append(text)
        elif tag == "a":
            self.links.append((self._target, text))

    def handle_data(self, data: str) -> None:
        for text in self._open.values():
            text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def check_links(self) -> None:
        """Each link shows where it goes: no hidden target behind other text."""
        for target, shown in self.links:
            assert target in (shown, f"mailto:{shown}"), (target, shown)


def rendered(markdown: str) -> Rendered:
    parser = Rendered()
    unsafe = Options.CMARK_OPT_UNSAFE  # keep raw HTML, as GitHub's sanitizer gets it
    parser.feed(cmarkgfm.github_flavored_markdown_to_html(markdown, options=unsafe))
    return parser


def net(index: int) -> ipaddress.IPv4Network:
    return ipaddress.ip_network(f"10.{index}.0.0/24")


def hostile_plan() -> Plan:
    """One change, block, shared prefix and warning per hostile text, plus a plain reviewed
    deletion last."""
    base, target, live = [], [], []
    for index, text in enumerate(HOSTILE, start=1):
        hop = ipaddress.ip_address(f"192.168.{index}.1")
        adopted, blocked, conflicting = net(index), net(100 + index), net(200 + index)
        shared = net(150 + index)
        # an AKO-format route of ours whose id is hostile: adopted, its id quoted
        live.append({**to_avi(Route(adopted, hop, "", "x"), "c"), "route_id": text})
        target.append(Route(adopted, hop, text, route_id("c", adopted)))
        # an unlabelled foreign route with a hostile id on a prefix we want: blocked, id quoted
        live.append(static_route(text, str(blocked), "10.1.1.1"))
        target.append(Route(blocked, hop, text, route_id("c", blocked)))
        # a foreign route with a hostile label on a prefix we want: shared, its label quoted
        label = [{"key": "k", "value": text}]
        live.append(static_route(f"f{index}", str(shared), "10.1.1.1", labels=label))
        target.append(Route(shared, hop, text, route_id("c", shared)))
        # a reviewed change on a route someone changed on Avi: a conflict naming its id
        base.append(Route(conflicting, hop, text, route_id("c", conflicting)))
        changed = ipaddress.ip_address(f"192.168.{index}.99")
        live.append({**to_avi(Route(conflicting, changed, "", "x"), "c"), "route_id": text + "!"})
        # an unreadable route of ours: a warning quoting its id
        live.append({"route_id": text, "labels": owner_label("c"), "prefix": "garbage"})
    gone = ipaddress.ip_network("10.255.0.0/24")
    deleted = Route(gone, ipaddress.ip_address("192.168.0.9"), "w9", route_id("c", gone))
    base.append(deleted)
    live.append(to_avi(deleted, "c"))
    return three_way_plan("c", "global", base, target, classify(live, "c"))


def check_body(page: Rendered, plan: Plan, evidence: list[str]) -> None:
    """The page shows the plan, row by row and item by item, and nothing else."""
    assert page.tags <= ALLOWED_TAGS, page.tags - ALLOWED_TAGS
    page.check_links()
    tables = [[c for c in plan.changes if c.origin == origin] for origin in ("git", "drift")]
    shared = {entry.prefix: f"shared with {entry.shared_with}" for entry in plan.shared}
    expected_rows = [["action", "prefix", "Avi now", "after", "node", "note"]]
    for changes in (table for table in tables if table):
        for change in changes:
            note = ""
            if change.adopted:
                note = f"adopted from AKO id {visible(change.before.route_id)}"
            if change.conflict:
                note = f"conflict: {visible(change.conflict)}"
            note = "; ".join(filter(None, [note, visible(shared.get(change.prefix, ""))]))
            before = str(change.before.next_hop) if change.before else "(none)"
            after = str(change.after.next_hop) if change.after else "(none)"
            expected_rows.append(
                [change.action, str(change.prefix), before, after, visible(change.route.node), note]
            )
    assert [row for row in page.rows if row[0] != "action"] == expected_rows[1:]
    expected_items = [
        f"{b.route.prefix} via {b.route.next_hop} (node {visible(b.route.node)}): "
        f"{visible(b.reason)}"
        for b in plan.blocked
    ]
    expected_items += [visible(line) for line in (*plan.warnings, *evidence)]
    assert page.items == expected_items
    ours = {"c", "global", "--heal"} | {str(c.prefix) for c in plan.changes}
    ours |= {str(b.route.prefix) for b in plan.blocked}
    ours |= {str(b.route.next_hop) for b in plan.blocked}
    assert set(page.code) <= ours, set(page.code) - ours


def test_hostile_text_cannot_change_how_the_pull_request_renders() -> None:
    plan = hostile_plan()
    evidence = evidence_lines("cilium-cluster-pool", HOSTILE[:3], HOSTILE)
    _, body, full_plan = pull_request_text(plan, evidence)
    assert full_plan is None, "the body is shown whole"
    page = rendered(body)
    assert page.comments == [" route-reconciler:c/global "]
    check_body(page, plan, evidence)
    summary = plan.summary
    assert (summary["adopted"], summary["blocked"]) == (len(HOSTILE), len(HOSTILE))
    assert len(plan.shared) == len(HOSTILE)
    assert summary["conflicts"] == 2 * len(HOSTILE)  # the adopted routes were never reviewed
    deletion = ["delete", "10.255.0.0/24", "192.168.0.9", "(none)", "w9", ""]
    assert page.rows[-1] == deletion


def test_hostile_text_from_the_controller_reaches_the_sticky_comment_harmless(
    world, monkeypatch
) -> None:
    """Over HTTP: the Avi stand-in holds hostile ids and labels; plan --comment-on puts the plan
    on the fake GitHub through the production clients; the comment renders as the plan."""
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_markdown-escaping")
    world.reviewed("10.0.9.0/24 192.168.10.19 w9", "10.3.0.0/24 192.168.10.13 w3")
    assert world.cli("apply")[0] == 2
    # someone renames our route on Avi (drift); others add routes on prefixes we want, one
    # unlabelled (it blocks ours) and one labelled for other SE groups (ours goes beside it)
    renamed = [
        {**entry, "route_id": HOSTILE[1]} if entry["route_id"] == "c.10.3.0.0_24" else entry
        for entry in world.static_routes()
    ]
    blocker = static_route(HOSTILE[0], "10.1.0.0/24", "10.1.1.9")
    label = [{"key": "owner", "value": HOSTILE[0]}]
    sharer = static_route("beside", "10.4.0.0/24", "10.1.1.8", labels=label)
    world.avi.set_routes(world.vrf_uuid, [*renamed, blocker, sharer])
    world.reviewed(
        "10.1.0.0/24 192.168.10.11 w1", "10.3.0.0/24 192.168.10.13 w3", "10.4.0.0/24 10.1.1.14 w4"
    )
    with FakeGitHub(token="ghp_markdown-escaping") as github:
        settings = GitHubSettings("acme/routes", "ghp_markdown-escaping", api_url=github.url)
        with GitHubClient(settings) as client:
            number = client.create_pull(head_branch="b", base="main", title="t", body="b").number
        code, _, err = world.cli(
            "plan",
            "--target",
            "reviewed",
            "-o",
            "json",
            "--comment-on",
            str(number),
            "--github-repo",
            "acme/routes",
            "--github-api-url",
            github.url,
        )
        comment = github.comments[number][0]["body"]
    assert code == 3, err  # a reviewed route is blocked
    page = rendered(comment)
    assert page.comments == [" route-reconciler:plan:c/global "]
    assert ["delete", "10.0.9.0/24", "192.168.10.19", "(none)", "w9", ""] in page.rows
    assert [row[5] for row in page.rows if row[1] == "10.3.0.0/24"] == [
        f"adopted from AKO id {visible(HOSTILE[1])}"
    ]
    assert [row[5] for row in page.rows if row[1] == "10.4.0.0/24"] == [
        f"shared with a route labelled owner={visible(HOSTILE[0])} (only SE groups with that "
        "label use it)"
    ]
    assert any(repr(HOSTILE[0]) in item for item in page.items)  # the blocker, named
    assert page.tags <= ALLOWED_TAGS
    page.check_links()


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.text(MARKDOWN_HEAVY))
def test_literal_renders_as_exactly_the_visible_text_in_a_cell_and_an_item(text: str) -> None:
    markdown = f"| a | b |\n|---|---|\n| {literal(text)} | end |\n\n- {literal(text)}\n"
    page = rendered(markdown)
    assert page.rows == [["a", "b"], [visible(text), "end"]]
    assert page.items == [visible(text)]
    assert page.comments == [] and page.code == []
    assert page.tags <= TEXT_TAGS
    page.check_links()


@pytest.mark.parametrize("text", HOSTILE)
def test_visible_text_has_nothing_that_breaks_a_line_or_hides(text: str) -> None:
    shown = visible(text)
    assert shown.isprintable() and "\n" not in shown
    assert len(shown.splitlines()) <= 1
