"""The README's safety table names tests that exist, so a renamed test cannot orphan a claim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_every_test_the_readme_names_exists():
    readme = (ROOT / "README.md").read_text()
    current, missing = None, []
    for match in re.finditer(r"`(tests/[\w/.]+\.py)?(?:::(\w+))?`", readme):
        path, name = match.groups()
        current = path or current
        if path and not (ROOT / path).exists():
            missing.append(path)
        if name and current and f"{name}" not in (ROOT / current).read_text():
            missing.append(f"{current}::{name}")
    assert not missing
