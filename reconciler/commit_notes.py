"""What a proposal's commit messages tell its pull request.

`render --commit` and `run` write into each commit on the proposal branch the IPAM evidence of
the cluster read behind it, and that the proposal was rebuilt from the reviewed ref when it no
longer merged cleanly with it. `propose` reads them back from the branch, so a pull request says
the same whether it is opened by `run` or by a `propose` in another process or job. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

EVIDENCE_HEADING: Final = "IPAM evidence:"
REBUILT: Final = "Rebuilt from the reviewed ref"
MAX_EVIDENCE_LINES: Final = 50


def evidence_lines(ipam_mode: str, evidence: Sequence[str], notes: Sequence[str]) -> list[str]:
    """What the reviewer should know about the cluster read: mode, evidence, warnings, errors;
    plain text, made literal where it enters markdown."""
    return [f"IPAM mode {ipam_mode}: " + "; ".join(evidence), *notes]


def evidence_block(lines: Sequence[str]) -> str:
    """The evidence as a commit message paragraph, one line per item, bounded."""
    shown = [" ".join(line.split()) for line in lines[:MAX_EVIDENCE_LINES]]
    if len(lines) > MAX_EVIDENCE_LINES:
        shown.append(f"... and {len(lines) - MAX_EVIDENCE_LINES} more")
    return "\n".join([EVIDENCE_HEADING, *(f"- {line}" for line in shown)])


def rebuild_line(reviewed: str, replaced: str, conflicts: Sequence[str]) -> str:
    return (
        f"{REBUILT} ({reviewed[:12]}): the proposal at {replaced[:12]} no longer merged cleanly "
        f"with it ({', '.join(conflicts)} changed there by hand), so it starts again from there."
    )


def evidence_in(messages: Sequence[str]) -> list[str]:
    """The evidence of the newest message that has some (newest first), else none."""
    for message in messages:
        lines = message.splitlines()
        if EVIDENCE_HEADING in lines:
            block = lines[lines.index(EVIDENCE_HEADING) + 1 :]
            items = []
            for line in block:
                if not line.startswith("- "):
                    break
                items.append(line.removeprefix("- "))
            return items
    return []


def rebuilds_in(messages: Sequence[str]) -> list[str]:
    """Each rebuild line of the messages, oldest first."""
    lines = [line for text in messages for line in text.splitlines() if line.startswith(REBUILT)]
    return lines[::-1]
