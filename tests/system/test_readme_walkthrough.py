"""The README's walk-through, command by command, in real processes: the relay from `./run`, the owner
and the agent from the `hiloop` command, and the README's Python snippet as the agent's program."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from system_relay import REPO, RelayProcess

HILOOP = str(Path(sys.executable).with_name("hiloop"))
TIMEOUT = 60


def readme_python_snippet() -> str:
    readme = (REPO / "README.md").read_text()
    (snippet,) = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    return snippet


def hiloop(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([HILOOP, *args], env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, f"hiloop {' '.join(args)} failed: {done.stderr}"
    return done


def test_the_readme_walkthrough_works_in_real_processes(relay_process: RelayProcess, tmp_path: Path) -> None:
    env = dict(os.environ)
    assert relay_process.setup_link is not None
    init = hiloop("owner", "init", relay_process.setup_link, env=env)
    assert "Recovery key (shown only this once)" in init.stdout

    adding = subprocess.Popen(
        [HILOOP, "agent", "add", "deploy-bot", "--relay", relay_process.url],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert adding.stdout is not None
    link = None
    for line in adding.stdout:  # the pairing link comes first, then the command waits for approval
        if "/pair/" in line:
            link = line.strip()
            break
    assert link is not None and link.startswith(f"{relay_process.url}/pair/")
    approved = hiloop("pair", "approve", link, env=env)
    assert "Approved agent 'deploy-bot'" in approved.stdout
    rest, _ = adding.communicate(timeout=TIMEOUT)
    assert adding.returncode == 0, rest
    assert "Credentials stored in" in rest

    program = tmp_path / "agent.py"
    program.write_text(readme_python_snippet())
    agent = subprocess.Popen([sys.executable, str(program)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        request = None
        for _ in range(200):  # the agent needs a moment to send; each `inbox` is a real round trip
            items = json.loads(hiloop("inbox", "--json", env=env).stdout)
            if items:
                request = items[0]
                break
            assert agent.poll() is None, agent.communicate()
        assert request is not None, "the README's decision never reached the inbox"
        assert request["session"]["title"] == "Deploy v2.4.1"
        shown = hiloop("show", request["session"]["id"], env=env).stdout
        assert "Version: 2.4.1" in shown and "--action approve" in shown
        hiloop("respond", request["session"]["id"], request["message"]["id"], "--action", "approve", env=env)
        out, err = agent.communicate(timeout=TIMEOUT)
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.communicate()
    assert agent.returncode == 0, err
    assert out.strip() == "approve"
