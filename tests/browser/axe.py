"""Accessibility checks with axe-core (from npm, `node_modules/axe-core`), run in the page itself.

`assert_accessible(page)` fails on any serious or critical violation, naming the rule, the help
text and the offending elements. Without axe-core the check skips, unless REQUIRE_BROWSER=1."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import _require

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def violations(page: Page) -> list[dict[str, Any]]:
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE}: run `npm ci`"
        if _require("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return list(result["violations"])


def assert_accessible(page: Page) -> None:
    blocking = [v for v in violations(page) if v.get("impact") in BLOCKING]
    details = [
        f"{v['impact']} {v['id']}: {v['help']} -> "
        + "; ".join(" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                    for node in v["nodes"][:5])
        for v in blocking
    ]
    assert not blocking, f"{page.url}: " + " | ".join(details)
