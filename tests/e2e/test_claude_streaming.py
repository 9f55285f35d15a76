"""What the owner sees of a Claude Code session, and what reaches Claude from the owner."""

from __future__ import annotations

from fake_anthropic import bash, subagent, write

WAIT = {"HILOOP_PERMISSION_TIMEOUT": "60"}


def test_every_streamed_event_decrypts_at_the_owner_to_what_happened(claude_env, owner):
    target = claude_env.project / "notes.txt"
    marker = claude_env.fake.script("stream", [bash("echo canary-output-123", "say it"), write(str(target), "a note")])
    proc = claude_env.start_claude(f"Tidy the notes {marker}", env=WAIT)
    sid, request = owner.wait_for_request()
    owner.respond(sid, request.id, action="allow")
    run = claude_env.finish(proc)
    assert run.returncode == 0, run.stderr

    events = owner.wait_for_events({"SessionEnd"})
    names = [name for name, _ in events]
    assert names[:2] == ["SessionStart", "UserPromptSubmit"] and names[-2:] == ["Stop", "SessionEnd"]
    session = owner.client.open_session(sid).session
    assert session.kind == "claude_code" and session.title.startswith("project: Tidy the notes")
    assert ("SessionStart", {"source": "startup", "project": "project"}) in events
    assert ("UserPromptSubmit", {"prompt": f"Tidy the notes {marker}"}) in events
    pre_bash = next(d for n, d in events if n == "PreToolUse" and d["tool"] == "Bash")
    assert pre_bash["command"] == "echo canary-output-123" and pre_bash["description"] == "say it"
    post_bash = next(d for n, d in events if n == "PostToolUse" and d["tool"] == "Bash")
    assert post_bash["stdout"] == "canary-output-123" and post_bash["tool_use_id"] == pre_bash["tool_use_id"]
    post_write = next(d for n, d in events if n == "PostToolUse" and d["tool"] == "Write")
    assert post_write["path"] == str(target) and post_write["content"] == "a note"
    assert ("Stop", {"last_message": run.result}) in events
    assert ("SessionEnd", {"reason": "other"}) in events
    assert all(m.role == "agent" for m in owner.messages(sid) if m.content.get("type") == "tool_event")


def test_an_instruction_from_the_owner_reaches_the_models_next_request_once(claude_env, owner):
    target = claude_env.project / "style.txt"
    fake = claude_env.fake
    marker = fake.script("instruct", [write(str(target), "x"), bash("echo next")])
    proc = claude_env.start_claude(f"go {marker}", env=WAIT)
    sid, request = owner.wait_for_request()
    owner.instruct(sid, "Use tabs, not spaces")
    owner.respond(sid, request.id, action="allow")
    run = claude_env.finish(proc)
    assert run.returncode == 0, run.stderr
    carrying = [r for r in fake.requests_for("instruct") if "Use tabs, not spaces" in r.latest()]
    assert len(carrying) == 1, "delivered once, in the request right after the approved tool"
    assert "Instruction from the user, sent from the Hiloop app: Use tabs, not spaces" in carrying[0].latest()
    assert "style.txt" in carrying[0].tool_results()[0]
    events = owner.wait_for_events({"InstructionDelivered", "SessionEnd"})
    delivered = next(d for n, d in events if n == "InstructionDelivered")
    assert delivered["via"] == "PostToolUse" and len(delivered["mids"]) == 1


def test_an_instruction_that_arrives_as_claude_stops_makes_it_continue(claude_env, owner):
    fake = claude_env.fake
    marker = fake.script("stop", [write(str(claude_env.project / "x.txt"), "x")])
    proc = claude_env.start_claude(f"go {marker}", env=WAIT)
    sid, request = owner.wait_for_request()
    owner.instruct(sid, "Before you stop, write a summary")
    owner.respond(sid, request.id, action="deny", text="not that file")
    run = claude_env.finish(proc)
    assert run.returncode == 0, run.stderr
    carrying = [r for r in fake.requests_for("stop") if "Before you stop, write a summary" in r.latest()]
    assert len(carrying) == 1
    events = owner.wait_for_events({"InstructionDelivered", "SessionEnd"})
    assert next(d for n, d in events if n == "InstructionDelivered")["via"] == "Stop"
    stops = [d for n, d in events if n == "Stop"]
    assert len(stops) == 2, "Claude went on once, then stopped"


def test_subagent_events_carry_the_subagents_id(claude_env, owner):
    target = claude_env.project / "sub.txt"
    fake = claude_env.fake
    marker = fake.script("main", [subagent("helper", "write the file")])
    fake.script("helper", [write(str(target), "from the subagent")])
    proc = claude_env.start_claude(f"delegate {marker}", env=WAIT)
    sid, request = owner.wait_for_request()
    kv = next(c for c in request.content["components"] if c["type"] == "kv")
    subagent_entry = next(e["value"] for e in kv["entries"] if e["label"] == "Subagent")
    owner.respond(sid, request.id, action="allow")
    run = claude_env.finish(proc)
    assert run.returncode == 0, run.stderr
    assert target.read_text() == "from the subagent"
    events = owner.wait_for_events({"SubagentStart", "SubagentStop", "SessionEnd"})
    start = next(d for n, d in events if n == "SubagentStart")
    agent_id = start["agent_id"]
    assert subagent_entry.endswith(agent_id)
    inside = [d for n, d in events if n == "PostToolUse" and d.get("tool") == "Write"]
    assert inside and all(d["agent_id"] == agent_id for d in inside)
    assert next(d for n, d in events if n == "SubagentStop")["agent_id"] == agent_id
    delegated = next(d for n, d in events if n == "PreToolUse" and d.get("tool") == "Agent")
    assert "agent_id" not in delegated and delegated["description"] == "a subtask"
