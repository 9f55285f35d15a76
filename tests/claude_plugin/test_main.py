"""The hook commands as Claude Code runs them: JSON in, JSON out, exit 0 whatever happens."""

from __future__ import annotations

import io
import json
from pathlib import Path

from hiloop_hooks import inbox, spool
from hiloop_hooks.config import PAIR_HINT, Paths, Settings
from hiloop_hooks.main import main


def run(argv, stdin="", env=None):
    out = io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, env=env or {})
    return code, out.getvalue()


def paired_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "hiloop"
    (home / "agents").mkdir(parents=True)
    (home / "agents" / "claude-code.json").write_text("{}")
    return {"HILOOP_HOME": str(home), "CLAUDE_PLUGIN_DATA": str(tmp_path / "data")}


def test_a_first_run_without_pairing_prints_one_line_on_how_to_pair(tmp_path, capsys):
    env = {"HILOOP_HOME": str(tmp_path / "empty"), "CLAUDE_PLUGIN_DATA": str(tmp_path / "data")}
    code, out = run(["SessionStart"], json.dumps({"session_id": "s", "hook_event_name": "SessionStart"}), env)
    assert code == 0
    assert json.loads(out) == {"systemMessage": PAIR_HINT}
    assert "hiloop agent add NAME" in PAIR_HINT and "\n" not in PAIR_HINT
    assert (tmp_path / "data" / "unpaired").exists()
    assert capsys.readouterr().err.strip() == PAIR_HINT


def test_a_broken_hook_input_exits_0_with_one_line_on_stderr_and_no_decision(tmp_path, capsys):
    code, out = run(["PermissionRequest"], "{not json", paired_env(tmp_path))
    assert code == 0 and out == ""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hiloop: the PermissionRequest hook failed")


def test_a_permission_request_without_a_daemon_or_relay_decides_nothing(tmp_path, capsys, monkeypatch):
    env = paired_env(tmp_path)
    from hiloop_hooks import ipc

    def no_daemon(*args, **kwargs):
        raise ipc.DaemonUnavailable("the daemon did not start")

    monkeypatch.setattr(ipc, "connect_or_start", no_daemon)
    code, out = run(["PermissionRequest"], json.dumps({"session_id": "s", "tool_name": "Bash"}), env)
    assert code == 0 and out == ""
    assert "no decision from Hiloop" in capsys.readouterr().err


def test_stream_spools_the_event_and_delivers_a_waiting_instruction(tmp_path, monkeypatch):
    env = paired_env(tmp_path)
    paths = Paths.from_env(env)
    from hiloop_hooks import main as main_module

    monkeypatch.setattr(main_module, "ensure_daemon", lambda paths: None)
    inbox.write(paths.inbox_for("s"), 3, "m3", "stop after this")
    hook = {"session_id": "s", "hook_event_name": "PostToolUse", "tool_name": "Bash"}
    code, out = run(["stream"], json.dumps(hook), env)
    assert code == 0
    assert json.loads(out)["hookSpecificOutput"]["additionalContext"].endswith("stop after this")
    events = [spool.read(p) for p in spool.ready(paths.spool)]
    assert events[0] == {"hook_event_name": "InstructionDelivered", "session_id": "s", "via": "PostToolUse", "mids": ["m3"]}
    assert events[1] == hook


def test_settings_guess_headless_from_the_entrypoint_and_can_be_overridden():
    headless = Settings.from_env({"CLAUDE_CODE_ENTRYPOINT": "sdk-cli"})
    assert (headless.interactive, headless.on_deadline, headless.permission_timeout) == (False, "deny", 600.0)
    terminal = Settings.from_env({"CLAUDE_CODE_ENTRYPOINT": "cli"})
    assert (terminal.interactive, terminal.on_deadline, terminal.permission_timeout) == (True, "ask", 60.0)
    custom = Settings.from_env({"CLAUDE_CODE_ENTRYPOINT": "cli", "HILOOP_PERMISSION_DEFAULT": "deny",
                                "HILOOP_PERMISSION_TIMEOUT": "5", "HILOOP_CLAUDE_PUBLIC": "read"})
    assert (custom.on_deadline, custom.permission_timeout, custom.public_mode) == ("deny", 5.0, "read")


def test_a_long_plugin_data_path_keeps_the_socket_short(tmp_path):
    paths = Paths(tmp_path / ("x" * 120))
    assert len(str(paths.socket)) < 100
