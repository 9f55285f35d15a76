"""Permission requests answered from Hiloop, with the real Claude Code CLI and a live relay."""

from __future__ import annotations

import json
import socket

from hiloop.guest import GuestClient

from claude_harness import stop_daemons
from fake_anthropic import FINAL_PREFIX, bash, edit, tool, write

WAIT = {"HILOOP_PERMISSION_TIMEOUT": "60"}


def requests_in(owner, sid):
    return [m for m in owner.messages(sid) if m.type == "permission_request"]


def test_an_approved_write_creates_the_file(claude_env, owner):
    target = claude_env.project / "hello.txt"
    marker = claude_env.fake.script("approve", [write(str(target), "hi there\n")])
    proc = claude_env.start_claude(f"write it {marker}", env=WAIT)
    sid, request = owner.wait_for_request()
    code = [c for c in request.content["components"] if c["type"] == "code"]
    assert code[0]["source"] == "hi there\n" and code[0]["title"] == str(target)
    owner.respond(sid, request.id, action="allow")
    run = claude_env.finish(proc)
    assert run.returncode == 0, run.stderr
    assert target.read_text() == "hi there\n"
    assert run.denied_tools == []


def test_a_denied_command_does_not_run_and_claude_reads_the_persons_message(claude_env, owner):
    target = claude_env.project / "deploy.log"
    marker = claude_env.fake.script("deny", [bash(f"touch {target}")])
    proc = claude_env.start_claude(f"deploy {marker}", env=WAIT)
    sid, request = owner.wait_for_request()
    assert {"type": "code", "language": "bash", "source": f"touch {target}"} in request.content["components"]
    owner.respond(sid, request.id, action="deny", text="not on a Friday")
    run = claude_env.finish(proc)
    assert not target.exists()
    assert run.result.startswith(FINAL_PREFIX) and "not on a Friday" in run.result
    assert run.denied_tools == ["Bash"]


def test_an_approved_edit_changes_the_file_after_the_owner_saw_the_diff(claude_env, owner):
    target = claude_env.project / "app.py"
    target.write_text("DEBUG = True\n")
    marker = claude_env.fake.script("edit", [tool("Read", file_path=str(target)),
                                             edit(str(target), "DEBUG = True", "DEBUG = False")])
    proc = claude_env.start_claude(f"turn off debug {marker}", env=WAIT)
    sid, request = owner.wait_for_request()
    diff = next(c for c in request.content["components"] if c["type"] == "diff")
    assert "-DEBUG = True" in diff["diff"] and "+DEBUG = False" in diff["diff"]
    owner.respond(sid, request.id, action="allow")
    run = claude_env.finish(proc)
    assert run.returncode == 0, run.stderr
    assert target.read_text() == "DEBUG = False\n"


def test_always_allow_lets_the_second_call_run_without_asking(claude_env, owner):
    first, second = claude_env.project / "one.txt", claude_env.project / "two.txt"
    marker = claude_env.fake.script("always", [bash(f"touch {first}"), bash(f"touch {second}")])
    proc = claude_env.start_claude(f"make files {marker}", env=WAIT)
    sid, request = owner.wait_for_request()
    actions = [b["action"] for c in request.content["components"] if c["type"] == "button_group" for b in c["buttons"]]
    assert "always" in actions
    owner.respond(sid, request.id, action="always")
    run = claude_env.finish(proc)
    assert first.exists() and second.exists()
    assert len(requests_in(owner, sid)) == 1
    assert run.denied_tools == []


def test_without_an_answer_the_deadline_denies_a_headless_run(claude_env, owner):
    target = claude_env.project / "late.txt"
    marker = claude_env.fake.script("deadline", [write(str(target), "x")])
    run = claude_env.run_claude(f"write {marker}", env={"HILOOP_PERMISSION_TIMEOUT": "2"})
    assert not target.exists()
    assert "No answer from Hiloop within 2 s: denied." in run.result
    sid = owner.session_ids()[0]
    assert len(requests_in(owner, sid)) == 1


def test_an_answer_signed_by_a_guest_is_ignored(claude_env, owner):
    target = claude_env.project / "guest.txt"
    marker = claude_env.fake.script("guest", [write(str(target), "x")])
    proc = claude_env.start_claude(f"write {marker}", env={**WAIT, "HILOOP_CLAUDE_PUBLIC": "respond"})
    sid, request = owner.wait_for_request()
    link = owner.client.create_guest_link(sid, "teammate")
    with GuestClient.from_link(link.join_url) as guest:
        guest.respond(request.id, action="allow")
    owner.respond(sid, request.id, action="deny", text="only I decide")
    run = claude_env.finish(proc)
    assert not target.exists()
    assert "only I decide" in run.result
    roles = [m.role for m in owner.messages(sid) if m.type == "response"]
    assert roles == ["guest", "owner"]


def test_an_mcp_tool_call_is_shown_with_its_arguments_and_runs_when_approved(claude_env, owner, tmp_path):
    target = claude_env.project / "from-mcp.txt"
    server = tmp_path / "notes_mcp.py"
    server.write_text(NOTES_SERVER)
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"notes": {"command": claude_env.env["PATH"].split(":")[0] + "/python",
                                                           "args": [str(server)]}}}))
    marker = claude_env.fake.script("mcp", [tool("mcp__notes__save", path=str(target), text="saved by MCP")])
    proc = claude_env.start_claude(f"save a note {marker}", env=WAIT, args=["--mcp-config", str(config)])
    sid, request = owner.wait_for_request()
    kv = next(c for c in request.content["components"] if c["type"] == "kv")
    assert {"label": "MCP server", "value": "notes"} in kv["entries"] and {"label": "Tool", "value": "save"} in kv["entries"]
    assert any(c["type"] == "code" and "saved by MCP" in c["source"] for c in request.content["components"])
    owner.respond(sid, request.id, action="allow")
    run = claude_env.finish(proc)
    assert target.read_text() == "saved by MCP"
    assert "saved 12 characters" in run.result


NOTES_SERVER = '''
from pathlib import Path
from mcp.server.mcpserver import MCPServer

server = MCPServer("notes")


@server.tool()
def save(path: str, text: str) -> str:
    """Save a note to a file."""
    Path(path).write_text(text)
    return f"saved {len(text)} characters"


server.run()
'''


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_with_the_relay_down_claude_goes_on_nothing_is_allowed_and_events_wait_in_the_spool(claude_env, owner):
    target = claude_env.project / "down.txt"
    marker = claude_env.fake.script("down", [write(str(target), "x"), bash("echo still going")])
    down = {**WAIT, "HILOOP_URL": f"http://127.0.0.1:{closed_port()}"}
    run = claude_env.run_claude(f"write {marker}", env=down, timeout=60)
    assert run.returncode == 0, run.stderr
    assert not target.exists()
    assert run.denied_tools == ["Write"]
    assert run.result == FINAL_PREFIX + "still going"
    spooled = list(claude_env.home.rglob("spool/ev.*.json"))
    assert spooled, "the events wait in the spool"
    assert owner.session_ids() == []

    stop_daemons(claude_env.root)  # the relay is back: the next session's daemon sends what waited
    marker = claude_env.fake.script("back", [bash("echo back")])
    claude_env.run_claude(f"again {marker}", env=WAIT)
    def prompts(events):
        return sorted(data["prompt"].split()[0] for name, data in events if name == "UserPromptSubmit")

    events = owner.wait_until(lambda found: prompts(found) == ["again", "write"])
    assert ("Stop", {"last_message": FINAL_PREFIX + "still going"}) in events


DEPLOY_SERVER = '''
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.resolve import Elicit, Resolve

server = MCPServer("deploy")


class Target(BaseModel):
    region: Literal["eu", "us"] = Field(title="Region")
    replicas: int = Field(title="Replicas")


def ask_target() -> Elicit[Target]:
    return Elicit("Where should this go?", Target)


@server.tool()
def deploy(path: str, target: Annotated[Target, Resolve(ask_target)]) -> str:
    """Deploy, asking the user where."""
    Path(path).write_text(f"{target.region}:{target.replicas}")
    return f"deployed to {target.region} x{target.replicas}"


server.run()
'''


def test_an_mcp_servers_question_becomes_a_form_whose_answers_reach_the_server(claude_env, owner, tmp_path):
    target = claude_env.project / "deployed.txt"
    server = tmp_path / "deploy_mcp.py"
    server.write_text(DEPLOY_SERVER)
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"deploy": {"command": claude_env.env["PATH"].split(":")[0] + "/python",
                                                            "args": [str(server)]}}}))
    marker = claude_env.fake.script("elicit", [tool("mcp__deploy__deploy", path=str(target))])
    proc = claude_env.start_claude(f"deploy {marker}", env=WAIT, args=["--mcp-config", str(config)])
    sid, request = owner.wait_for_request()
    owner.respond(sid, request.id, action="allow")
    sid, form = owner.wait_for_request(type="form")
    qa = next(c for c in form.content["components"] if c["type"] == "qa")
    assert {q["id"]: q["kind"] for q in qa["questions"]} == {"region": "single", "replicas": "number"}
    assert form.content["components"][0]["text"] == "**deploy asks:** Where should this go?"
    owner.respond(sid, form.id, answers={"region": "eu", "replicas": 3})
    run = claude_env.finish(proc)
    assert target.read_text() == "eu:3"
    assert "deployed to eu x3" in run.result


def test_a_hook_that_cannot_run_never_breaks_claude_and_allows_nothing(claude_env, owner):
    target = claude_env.project / "broken.txt"
    marker = claude_env.fake.script("broken", [write(str(target), "x"), bash("echo went on")])
    run = claude_env.run_claude(f"write {marker}", env={**WAIT, "HILOOP_PYTHON": "/nonexistent/python3"},
                                args=["--output-format", "stream-json", "--verbose"])
    assert run.returncode == 0, run.stderr
    assert not target.exists()
    result = run.stream[-1]
    assert result["result"] == FINAL_PREFIX + "went on"
    assert [d["tool_name"] for d in result["permission_denials"]] == ["Write"]
