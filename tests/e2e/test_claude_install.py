"""The plugin installed the ways a user installs it, and its first run."""

from __future__ import annotations

import json

from claude_harness import PLUGIN_DIR, REPO
from fake_anthropic import FINAL_PREFIX, bash, write


def test_the_plugin_and_its_marketplace_pass_claude_plugin_validate(claude_env):
    for folder in (PLUGIN_DIR, REPO):
        done = claude_env.cli("plugin", "validate", str(folder))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Validation passed" in done.stdout


def test_a_plugin_installed_from_the_marketplace_mirrors_the_session(claude_env, owner):
    added = claude_env.cli("plugin", "marketplace", "add", str(REPO))
    assert added.returncode == 0, added.stdout + added.stderr
    installed = claude_env.cli("plugin", "install", "hiloop@hiloop")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    listed = claude_env.cli("plugin", "list")
    assert "hiloop@hiloop" in listed.stdout and "enabled" in listed.stdout

    target = claude_env.project / "installed.txt"
    marker = claude_env.fake.script("installed", [bash("echo from-the-marketplace"), write(str(target), "ok")])
    proc = claude_env.start_claude(f"go {marker}", plugin=False, env={"HILOOP_PERMISSION_TIMEOUT": "60"})
    sid, request = owner.wait_for_request()
    owner.respond(sid, request.id, action="allow")
    run = claude_env.finish(proc)
    assert run.returncode == 0, run.stderr
    assert target.read_text() == "ok"
    events = owner.wait_for_events({"PostToolUse", "SessionEnd"})
    assert any(n == "PostToolUse" and d.get("stdout") == "from-the-marketplace" for n, d in events)
    assert list(claude_env.home.glob(".claude/plugins/data/hiloop-hiloop/sessions.json"))


def test_a_first_run_without_pairing_says_how_to_pair_and_claude_goes_on(claude_env):
    marker = claude_env.fake.script("unpaired", [bash("echo not blocked")])
    run = claude_env.run_claude(f"go {marker}", args=["--output-format", "stream-json", "--verbose"])
    assert run.returncode == 0, run.stderr
    messages = run.stream
    hook = next(m for m in messages if m.get("subtype") == "hook_response" and m.get("hook_event") == "SessionStart")
    assert json.loads(hook["stdout"]) == {
        "systemMessage": "hiloop: not paired, so this session is not mirrored. Pair once with `hiloop agent add NAME`."}
    assert hook["exit_code"] == 0
    assert messages[-1]["result"] == FINAL_PREFIX + "not blocked"
    later = [m for m in messages if m.get("subtype") == "hook_response" and m.get("hook_event") != "SessionStart"]
    assert all(m["stdout"] == "" and m["exit_code"] == 0 for m in later)
