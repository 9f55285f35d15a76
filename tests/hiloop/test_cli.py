"""The `hiloop` command: in-process through main([...]), and once as a real process."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hiloop import HiloopClient, PairingError
from hiloop.cli import main
from hiloop.pairing import pair_agent
from hiloop.store import AgentCredentials, agent_path

DECISION = [
    {"type": "kv", "entries": [{"label": "version", "value": "2.4.1"}]},
    {"type": "button_group", "buttons": [
        {"label": "Approve", "action": "approve", "variant": "primary"},
        {"label": "Deny", "action": "deny", "variant": "danger"},
    ]},
]
HILOOP = str(Path(sys.executable).with_name("hiloop"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def recovery_key(live_relay: Any, capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = run(capsys, "owner", "init", f"{live_relay.url}/setup/{live_relay.setup_token}")
    assert (code, err) == (0, "")
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("hlr1."))
    return line.strip()


def pair_in_thread(relay_url: str, name: str) -> tuple[threading.Thread, threading.Event, list[Any]]:
    """Start `pair_agent` in a thread; the event is set once the link is known (results[0])."""
    shown = threading.Event()
    results: list[Any] = []

    def on_link(link: str) -> None:
        results.append(link)
        shown.set()

    def target() -> None:
        try:
            results.append(pair_agent(relay_url, name, on_link=on_link, timeout=15))
        except PairingError as exc:
            results.append(exc)
        shown.set()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, shown, results


@pytest.fixture
def agent(live_relay: Any, recovery_key: str, capsys: pytest.CaptureFixture[str]) -> Iterator[HiloopClient]:
    thread, shown, results = pair_in_thread(live_relay.url, "cli-agent")
    assert shown.wait(15)
    code, out, err = run(capsys, "pair", "approve", results[0])
    assert (code, err) == (0, "")
    assert "Approved agent 'cli-agent'" in out
    thread.join(15)
    assert isinstance(results[1], AgentCredentials)
    with HiloopClient() as client:
        yield client


def test_owner_init_prints_the_recovery_key_once_with_a_warning_to_keep_it(
    live_relay: Any, capsys: pytest.CaptureFixture[str], hiloop_env: Path
) -> None:
    code, out, err = run(capsys, "owner", "init", f"{live_relay.url}/setup/{live_relay.setup_token}")
    assert code == 0 and err == ""
    assert out.count("hlr1.") == 1
    assert "Keep it somewhere safe" in out
    assert stat.S_IMODE((hiloop_env / "owner.json").stat().st_mode) == 0o600
    code, out, err = run(capsys, "owner", "init", f"{live_relay.url}/setup/{live_relay.setup_token}")
    assert code == 1 and out == ""
    assert err.startswith("hiloop: error: an owner is already set up here")


def test_owner_login_signs_another_terminal_in_with_the_recovery_key(
    live_relay: Any, recovery_key: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HILOOP_HOME", str(tmp_path / "second-terminal"))
    code, out, err = run(capsys, "owner", "login", live_relay.url, recovery_key)
    assert (code, err) == (0, "")
    assert out.startswith("Signed in as owner o_")
    code, out, err = run(capsys, "inbox")
    assert (code, out, err) == (0, "No open requests.\n", "")


def test_a_wrong_recovery_key_is_one_error_line(live_relay: Any, recovery_key: str, capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HILOOP_HOME", str(tmp_path / "other"))
    owner_id = recovery_key.split(".")[1]
    code, out, err = run(capsys, "owner", "login", live_relay.url, f"hlr1.{owner_id}.{'A' * 43}")
    assert code == 1 and out == ""
    assert err.startswith("hiloop: error:") and err.count("\n") == 1
    code, out, err = run(capsys, "owner", "login", live_relay.url, "not-a-key")
    assert (code, err) == (1, "hiloop: error: invalid recovery key: expected hlr1.<owner id>.<secret>\n")


def test_inbox_show_and_respond_answer_a_decision_from_the_terminal(
    agent: HiloopClient, capsys: pytest.CaptureFixture[str]
) -> None:
    session = agent.create_session("Deploy v2.4.1", priority="high")
    sent = agent.send_message(session.id, DECISION, priority="urgent")
    code, out, err = run(capsys, "inbox")
    assert (code, err) == (0, "")
    assert f"[urgent] {session.id} {sent.id}  decision" in out
    assert "Deploy v2.4.1 · cli-agent" in out
    code, out, err = run(capsys, "show", session.id)
    assert (code, err) == (0, "")
    assert out.splitlines()[0].startswith("Deploy v2.4.1  [")
    assert "version: 2.4.1" in out
    assert "[Approve → --action approve]  [Deny → --action deny]" in out
    code, out, err = run(capsys, "respond", session.id, sent.id, "--action", "approve", "--text", "go")
    assert (code, err) == (0, "")
    response = agent.await_response(session.id, sent.id, timeout=10)
    assert (response.action, response.text, response.responder_role) == ("approve", "go", "owner")
    code, out, _ = run(capsys, "inbox")
    assert out == "No open requests.\n"


def test_inbox_and_show_print_json(agent: HiloopClient, capsys: pytest.CaptureFixture[str]) -> None:
    session = agent.create_session("JSON")
    sent = agent.send_message(session.id, DECISION)
    code, out, _ = run(capsys, "inbox", "--json")
    items = json.loads(out)
    assert [(i["session"]["title"], i["message"]["id"]) for i in items] == [("JSON", sent.id)]
    code, out, _ = run(capsys, "show", session.id, "--json")
    view = json.loads(out)
    assert view["session"]["title"] == "JSON"
    assert view["messages"][0]["content"]["components"] == DECISION


def test_answers_typed_in_the_terminal_are_checked_and_converted(agent: HiloopClient, capsys: pytest.CaptureFixture[str]) -> None:
    session = agent.create_session("Form")
    sent = agent.send_message(session.id, [{"type": "qa", "questions": [
        {"id": "where", "kind": "single", "prompt": "Where?", "options": ["Pizza", "Sushi"]},
        {"id": "count", "kind": "number", "prompt": "How many?"},
        {"id": "tags", "kind": "multi", "prompt": "Tags", "options": ["a", "b"], "required": False},
    ]}])
    code, _, err = run(capsys, "respond", session.id, sent.id, "--answer", "where=Tacos", "--answer", "count=2")
    assert (code, err) == (1, "hiloop: error: answers.where: 'Tacos' is not one of: Pizza, Sushi\n")
    code, _, err = run(capsys, "respond", session.id, sent.id, "--answer", "where=Sushi")
    assert (code, err) == (1, "hiloop: error: answers.count: an answer is required (How many?)\n")
    code, _, err = run(capsys, "respond", session.id, sent.id, "--answer", "where=Sushi", "--answer", "count=2",
                       "--answer", "tags=a,b")
    assert (code, err) == (0, "")
    response = agent.await_response(session.id, sent.id, timeout=10)
    assert response.answers == {"where": "Sushi", "count": 2, "tags": ["a", "b"]}


def test_an_action_that_is_not_offered_is_one_error_line(agent: HiloopClient, capsys: pytest.CaptureFixture[str]) -> None:
    session = agent.create_session("Wrong button")
    sent = agent.send_message(session.id, DECISION)
    code, out, err = run(capsys, "respond", session.id, sent.id, "--action", "ship")
    assert (code, out) == (1, "")
    assert err == "hiloop: error: action 'ship' is not offered; choose one of: approve, deny\n"


def test_usage_mistakes_exit_2_with_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "respond", "s_1", "m_1")
    assert code == 2
    assert err.endswith("hiloop: error: give --action ACTION, or --answer ID=VALUE (repeatable), and/or --text\n")
    code, _, err = run(capsys, "respond", "s_1", "m_1", "--answer", "novalue")
    assert code == 2 and "expected ID=VALUE" in err
    code, _, err = run(capsys, "frobnicate")
    assert code == 2 and "invalid choice: 'frobnicate'" in err
    code, _, err = run(capsys, "owner")
    assert code == 2


def test_without_an_owner_the_owner_commands_say_how_to_set_one_up(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["inbox"], ["show", "s_x"], ["respond", "s_x", "m_x", "--action", "a"], ["guest-link", "s_x"],
                 ["pair", "approve", "http://x/pair/p#p=a&a=b"]):
        code, out, err = run(capsys, *argv)
        assert code == 1 and out == ""
        assert err.startswith("hiloop: error: no owner is set up on this machine"), argv
        assert "hiloop owner init SETUP_LINK" in err


def test_agent_add_without_a_relay_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "agent", "add", "x")
    assert code == 2
    assert err.endswith("hiloop: error: no relay URL: pass --relay URL or set HILOOP_URL\n")


def test_agents_lists_the_agents_stored_here_and_those_paired(agent: HiloopClient, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "agents")
    assert (code, err) == (0, "")
    assert "Agents stored on this machine:" in out
    assert "Agents paired with the owner:" in out
    assert out.count("cli-agent") == 2 and "verified" in out
    code, out, _ = run(capsys, "agents", "--json")
    data = json.loads(out)
    assert [a["name"] for a in data["stored"]] == ["cli-agent"]
    assert [(a["name"], a["verified"]) for a in data["paired"]] == [("cli-agent", True)]


def test_a_refused_pairing_fails_on_the_agent_side(live_relay: Any, recovery_key: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    thread, shown, results = pair_in_thread(live_relay.url, "unwanted")
    assert shown.wait(15)
    code, out, err = run(capsys, "pair", "refuse", results[0])
    assert (code, err) == (0, "")
    assert out.startswith("Refused agent 'unwanted'")
    thread.join(15)
    assert isinstance(results[1], PairingError)
    assert "refused" in str(results[1])
    assert not agent_path("unwanted").exists()
    code, _, err = run(capsys, "pair", "approve", results[0])
    assert code == 1 and err == "hiloop: error: this pairing is refused, not pending\n"


def test_a_tampered_pairing_link_is_not_approved(live_relay: Any, recovery_key: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    thread, shown, results = pair_in_thread(live_relay.url, "tampered")
    assert shown.wait(15)
    link = results[0]
    other_key = "A" * 43
    tampered = link.rsplit("&a=", 1)[0] + "&a=" + other_key
    code, _, err = run(capsys, "pair", "approve", tampered)
    assert code == 1
    assert err == "hiloop: error: the relay shows a different agent key than the pairing link: not approving\n"
    code, _, _ = run(capsys, "pair", "refuse", link)
    assert code == 0
    thread.join(15)


def test_relay_and_mcp_subcommands_delegate_to_their_packages(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "relay", "--help")
    assert code == 0 and "--port" in out and "--db" in out
    code, out, _ = run(capsys, "mcp", "--help")
    assert code == 0 and "usage" in out.lower()


def test_agent_add_in_a_real_process_prints_the_link_waits_and_stores_the_key(
    live_relay: Any, recovery_key: str, capsys: pytest.CaptureFixture[str], hiloop_env: Path
) -> None:
    env = {**os.environ, "HILOOP_HOME": str(hiloop_env), "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen([HILOOP, "agent", "add", "build-bot", "--relay", live_relay.url, "--timeout", "20"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as proc:
        try:
            assert proc.stdout is not None and proc.stderr is not None
            lines = []
            for line in proc.stdout:  # bounded: the process gives up after --timeout 20
                lines.append(line)
                if "/pair/" in line:
                    break
            link = lines[-1].strip()
            code, out, err = run(capsys, "pair", "approve", link)
            assert (code, err) == (0, "")
            rest = proc.stdout.read()  # through the same buffered reader (communicate() would skip its buffer)
            stderr = proc.stderr.read()
            proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    output = "".join(lines) + rest
    assert proc.returncode == 0, stderr
    assert stderr == ""
    assert "Open this link where the owner is signed in" in output
    assert "Waiting for the owner to approve" in output
    assert "Approved after" in output and "Agent 'build-bot' is a_" in output
    fingerprint = next(ln for ln in output.splitlines() if ln.startswith("Agent key fingerprint: ")).split(": ")[1]
    assert fingerprint in out
    path = hiloop_env / "agents" / "build-bot.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "hlp_" in output and json.loads(path.read_text())["api_key"] not in output  # only a hint of the key


def test_an_expected_failure_in_a_real_process_is_one_line_without_a_traceback(hiloop_env: Path) -> None:
    env = {**os.environ, "HILOOP_HOME": str(hiloop_env)}
    proc = subprocess.run([HILOOP, "show", "s_nothing"], capture_output=True, text=True, env=env, timeout=30)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("hiloop: error: no owner is set up on this machine")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_guest_link_prints_a_link_a_guest_can_join(agent: HiloopClient, capsys: pytest.CaptureFixture[str]) -> None:
    from hiloop import GuestClient

    session = agent.create_session("Open house", is_public=True)
    agent.send_message(session.id, [{"type": "text", "text": "welcome"}])
    code, out, err = run(capsys, "guest-link", session.id, "--label", "Dee", "--expires-in", "600")
    assert (code, err) == (0, "")
    assert out.startswith("Guest link for 'Dee', expires ")
    url = out.splitlines()[1]
    with GuestClient.from_link(url) as guest:
        assert guest.label == "Dee"
        assert [m.content["components"][0]["text"] for m in guest.messages()] == ["welcome"]
