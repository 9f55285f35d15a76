"""hiloop_mcp's public surface, and the rule that nothing else imports the (slow) MCP SDK."""

from __future__ import annotations

import subprocess
import sys

import hiloop_mcp


def test_the_package_exports_a_sorted_public_surface() -> None:
    assert hiloop_mcp.__all__ == sorted(hiloop_mcp.__all__)
    assert set(hiloop_mcp.__all__) == {name for name in vars(hiloop_mcp) if not name.startswith("_")} - {"annotations"}


def test_the_sdk_does_not_import_mcp() -> None:
    code = "import sys, hiloop, hiloop.client, hiloop.owner; print(sorted(m for m in sys.modules if m.split('.')[0] in ('mcp', 'hiloop_mcp')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
