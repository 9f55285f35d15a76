"""Fixtures that drive the real Claude Code CLI offline, against a scripted fake model (the helpers
live in claude_harness.py, importable by tests and bench/).

- `claude_bin`: the pinned CLI from $HILOOP_TOOLS (default /opt/hiloop-tools) or PATH; the test skips
  without it, except under CI=true, where it fails.
- `fake_model`: a FakeAnthropic (fake_anthropic.py) on a free port.
- `claude_env`: a ClaudeEnv: a temporary HOME and project folder, the environment the CLI needs to
  talk to the fake model only, and `run_claude(prompt, ...)` / `start_claude(...)` / `interactive(...)`.
- `owner`: an owner on the `live_relay` with a paired agent stored in HILOOP_HOME.

Every test in this folder is marked `claude`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from claude_harness import ClaudeEnv, base_env, find_claude, stop_daemons
from fake_anthropic import FakeAnthropic


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.claude)


@pytest.fixture(scope="session")
def claude_bin() -> str:
    found = find_claude()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the Claude Code CLI is required under CI=true: run .ci/install-tools")
        pytest.skip("the Claude Code CLI is not installed (run .ci/install-tools)")
    return found


@pytest.fixture
def fake_model() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def claude_env(tmp_path: Path, claude_bin: str, fake_model: FakeAnthropic) -> Iterator[ClaudeEnv]:
    home = tmp_path / "home"
    project = tmp_path / "project"
    home.mkdir()
    project.mkdir()
    env = ClaudeEnv(claude_bin, fake_model, tmp_path, home, project, base_env(home, fake_model.url))
    try:
        yield env
    finally:
        env.close()
        stop_daemons(tmp_path)


@pytest.fixture
def owner(live_relay: Any, hiloop_env: Path) -> Iterator[Any]:
    """An owner on a live relay with a paired agent stored in HILOOP_HOME (what `hiloop agent add` leaves)."""
    from owner_side import OwnerSide

    assert live_relay.setup_token is not None
    side = OwnerSide(live_relay.url, live_relay.setup_token, hiloop_env)
    try:
        side.pair("claude-code")
        yield side
    finally:
        side.close()
