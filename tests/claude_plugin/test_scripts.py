"""The plugin's shell scripts, as Claude Code runs them: fast, silent unless they have something to say."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from hiloop_hooks import inbox, spool
from hiloop_hooks.config import PAIR_HINT

SCRIPTS = Path(__file__).resolve().parents[2] / "claude_plugin" / "scripts"
EVENT = {"session_id": "c1", "hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"}}


def run(script: str, *args: str, env: dict[str, str], stdin: str = json.dumps(EVENT)) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPTS / script), *args], input=stdin, text=True, capture_output=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin", "HOME": env["HOME"], **env})


def envs(tmp_path: Path, paired: bool = True) -> dict[str, str]:
    home = tmp_path / "hiloop"
    (home / "agents").mkdir(parents=True)
    if paired:
        (home / "agents" / "me.json").write_text("{}")
    data = tmp_path / "data"
    data.mkdir()
    (data / "daemon.pid").write_text(str(os.getpid()))  # a live process: the script starts no daemon
    return {"HOME": str(tmp_path), "HILOOP_HOME": str(home), "CLAUDE_PLUGIN_DATA": str(data),
            "CLAUDE_CODE_SESSION_ID": "c1"}


def test_session_start_without_pairing_prints_the_pairing_hint_and_spools_nothing(tmp_path):
    env = envs(tmp_path, paired=False)
    done = run("hiloop-stream", "--session-start", env=env)
    assert done.returncode == 0
    assert json.loads(done.stdout) == {"systemMessage": PAIR_HINT}
    assert done.stderr.strip() == PAIR_HINT
    assert run("hiloop-stream", "--no-deliver", env=env).stdout == ""
    assert spool.ready(Path(env["CLAUDE_PLUGIN_DATA"]) / "spool") == []


def test_streaming_spools_the_hook_input_as_it_came(tmp_path):
    env = envs(tmp_path)
    done = run("hiloop-stream", "--no-deliver", env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    [path] = spool.ready(Path(env["CLAUDE_PLUGIN_DATA"]) / "spool")
    assert spool.read(path) == EVENT


def test_a_sync_stream_says_nothing_when_nothing_waits_and_hands_over_what_waits(tmp_path):
    env = {**envs(tmp_path), "HILOOP_PYTHON": __import__("sys").executable}
    assert run("hiloop-stream", env=env).stdout == ""
    inbox.write(Path(env["CLAUDE_PLUGIN_DATA"]) / "inbox" / "c1", 1, "m1", "please add a test")
    done = run("hiloop-stream", env=env)
    assert json.loads(done.stdout)["hookSpecificOutput"]["additionalContext"].endswith("please add a test")
    assert run("hiloop-stream", env=env).stdout == ""
    assert run("hiloop-stream", "--no-deliver", env=env).stdout == ""


def test_a_stop_hook_spools_and_blocks_with_a_waiting_instruction(tmp_path):
    env = {**envs(tmp_path), "HILOOP_PYTHON": __import__("sys").executable}
    inbox.write(Path(env["CLAUDE_PLUGIN_DATA"]) / "inbox" / "c1", 1, "m1", "one more thing")
    stop = {"session_id": "c1", "hook_event_name": "Stop", "stop_hook_active": False}
    done = run("hiloop-stream", env=env, stdin=json.dumps(stop))
    assert json.loads(done.stdout) == {"decision": "block",
                                       "reason": "Instruction from the user, sent from the Hiloop app: one more thing"}
    names = [spool.read(p)["hook_event_name"] for p in spool.ready(Path(env["CLAUDE_PLUGIN_DATA"]) / "spool")]
    assert sorted(names) == ["InstructionDelivered", "Stop"]


def test_deliver_reads_nothing_when_nothing_waits_and_hands_over_what_waits(tmp_path):
    env = {**envs(tmp_path), "HILOOP_PYTHON": __import__("sys").executable}
    done = run("hiloop-deliver", env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    inbox.write(Path(env["CLAUDE_PLUGIN_DATA"]) / "inbox" / "c1", 1, "m1", "please add a test")
    done = run("hiloop-deliver", env=env)
    assert json.loads(done.stdout)["hookSpecificOutput"]["additionalContext"].endswith("please add a test")
    assert run("hiloop-deliver", env=env).stdout == ""
    [path] = spool.ready(Path(env["CLAUDE_PLUGIN_DATA"]) / "spool")
    assert spool.read(path)["hook_event_name"] == "InstructionDelivered"


def test_the_launcher_runs_the_python_of_the_hiloop_command_in_both_of_pips_forms(tmp_path):
    python = __import__("sys").executable
    forms = {"short": f"#!{python}\nprint('hiloop')\n",
             "long": f"#!/bin/sh\n'''exec' \"{python}\" \"$0\" \"$@\"\n' '''\nprint('hiloop')\n"}
    for name, text in forms.items():
        case = tmp_path / name
        bin_dir = case / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "hiloop").write_text(text)
        (bin_dir / "hiloop").chmod(0o755)
        env = envs(case)
        inbox.write(Path(env["CLAUDE_PLUGIN_DATA"]) / "inbox" / "c1", 1, "m1", f"from the {name} form")
        done = subprocess.run([str(SCRIPTS / "hiloop-hook"), "deliver", "-"], input=json.dumps(EVENT), text=True,
                              capture_output=True, timeout=30, env={**env, "PATH": f"{bin_dir}:/nonexistent"})
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["hookSpecificOutput"]["additionalContext"].endswith(f"from the {name} form")


def test_the_launcher_exits_0_with_one_line_when_python_cannot_run(tmp_path):
    env = {**envs(tmp_path), "HILOOP_PYTHON": "/nonexistent/python3"}
    done = subprocess.run([str(SCRIPTS / "hiloop-hook"), "PermissionRequest"], input=json.dumps(EVENT), text=True,
                          capture_output=True, timeout=30, env=env)
    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr.strip().splitlines()[-1].startswith("hiloop: the hook could not run")
