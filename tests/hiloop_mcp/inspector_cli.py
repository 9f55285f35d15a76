"""Driving the pinned MCP Inspector CLI (a real external MCP client, in Node) against our server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

INSPECTOR_VERSION = "2.12.0"
EXIT_TOOL_ERROR = 5


def inspector_path() -> str | None:
    tools = Path(os.environ.get("HILOOP_TOOLS", "/opt/hiloop-tools"))
    candidate = tools / "inspector" / "node_modules" / ".bin" / "mcp-inspector"
    if candidate.exists():
        return str(candidate)
    return shutil.which("mcp-inspector")


def require_inspector() -> str:
    path = inspector_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the MCP Inspector is required under CI=true (.ci/install-tools installs it)")
        pytest.skip("the pinned MCP Inspector is not installed (.ci/install-tools)")
    version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    assert version == INSPECTOR_VERSION, f"expected the pinned Inspector {INSPECTOR_VERSION}, found {version}"
    return path


def run_inspector(inspector: str, *args: str, timeout: float = 90) -> tuple[int, dict[str, Any], str]:
    """Run `mcp-inspector --cli … --format json`; returns (exit code, the JSON it printed, stderr)."""
    proc = subprocess.run(
        [inspector, "--cli", "-q", "--format", "json", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "MCP_CATALOG_PATH": os.environ.get("HILOOP_HOME", "/tmp") + "/inspector-catalog.json"},
    )
    out = proc.stdout.strip()
    return proc.returncode, (json.loads(out) if out else {}), proc.stderr
