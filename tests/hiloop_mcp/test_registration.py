"""The registration commands in hiloop_mcp/README.md, run with the pinned Claude Code CLI: it stores the
server and its health check connects (stdio and streamable HTTP). Claude Code's config goes to a temp HOME."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import anyio
import pytest

from mcp_harness import BIN, http_server

pytestmark = pytest.mark.claude

README = Path(__file__).resolve().parents[2] / "hiloop_mcp" / "README.md"


def claude_path() -> str:
    tools = Path(os.environ.get("HILOOP_TOOLS", "/opt/hiloop-tools"))
    candidate = tools / "claude" / "node_modules" / ".bin" / "claude"
    path = str(candidate) if candidate.exists() else shutil.which("claude")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the Claude Code CLI is required under CI=true (.ci/install-tools installs it)")
        pytest.skip("the pinned Claude Code CLI is not installed (.ci/install-tools)")
    return path


def run_claude(claude: str, home: Path, project: Path, *args: str) -> str:
    env = {
        "HOME": str(home), "PATH": os.environ.get("PATH", ""),
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_AUTOUPDATER": "1",
    }
    proc = subprocess.run([claude, *args], cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc.stdout


def test_the_readme_gives_these_registration_commands() -> None:
    text = README.read_text()
    assert "claude mcp add hiloop -- hiloop-mcp" in text
    assert "claude mcp add hiloop -e HILOOP_AGENT=my-assistant -- hiloop-mcp" in text
    assert "claude mcp add --transport http hiloop http://127.0.0.1:8000/mcp" in text
    blocks = [b.split("```", 1)[0] for b in text.split("```json")[1:]]
    configs = [json.loads(b) for b in blocks]
    assert configs[0]["mcpServers"]["hiloop"]["command"] == "hiloop-mcp"
    assert configs[1]["mcpServers"]["hiloop"]["url"] == "http://127.0.0.1:8000/mcp"


@pytest.mark.anyio
async def test_claude_code_connects_to_the_server_registered_over_stdio_and_http(tmp_path: Path, hiloop_env: Path) -> None:
    claude = claude_path()
    home, project = tmp_path / "claude-home", tmp_path / "project"
    home.mkdir()
    project.mkdir()
    run_claude(claude, home, project, "mcp", "add", "hiloop", "-e", f"HILOOP_HOME={hiloop_env}", "--",
               str(BIN / "hiloop-mcp"))
    async with http_server("streamable-http") as base:
        run_claude(claude, home, project, "mcp", "add", "--transport", "http", "hiloop-http", f"{base}/mcp")
        listing = await anyio.to_thread.run_sync(lambda: run_claude(claude, home, project, "mcp", "list"))
    lines = {line.split(":", 1)[0]: line for line in listing.splitlines() if ":" in line}
    assert "Connected" in lines["hiloop"], listing
    assert "Connected" in lines["hiloop-http"], listing
