"""The Claude Code view: tool events as the plugin sends them, permission requests, instructions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hiloop import wire

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "claude_plugin"))
from hiloop_hooks import events, permission  # noqa: E402 (the plugin's own payload builders)

pytestmark = pytest.mark.chromium

BASE = {"session_id": "cc-1", "cwd": "/home/dev/shop", "transcript_path": "/tmp/t.jsonl"}


def send_hook(agent, sid, hook):
    event, data = events.tool_event({**BASE, **hook})
    payload = {"v": 1, "type": "tool_event", "event": event, "data": data}
    agent._portal.call(agent._async._send, sid, payload, wire.MessageMeta(type="tool_event"))  # noqa: SLF001 (as the plugin does)


def open_claude(app_owner, agent, title="shop: fix the cart"):
    session = agent.create_session(title, kind="claude_code")
    page = app_owner.page
    page.goto(f"{app_owner.relay.url}/s/{session.id}")
    expect(page.locator(".session-meta .badge.kind")).to_have_text("Claude Code")
    expect(page.locator(".loading")).to_have_count(0)
    return session, page


def test_tool_calls_stream_in_and_results_join_their_call(app_agent, app_owner):
    session, page = open_claude(app_owner, app_agent)
    send_hook(app_agent, session.id, {"hook_event_name": "UserPromptSubmit", "prompt": "Fix the **cart** total"})
    expect(page.locator(".event-prompt strong")).to_have_text("cart")
    send_hook(app_agent, session.id, {"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_use_id": "t1",
                                      "tool_input": {"command": "pytest -q tests/cart", "description": "Run the cart tests"}})
    card = page.locator(".tool-card[data-tool-use-id='t1']")
    expect(card.locator(".tool-summary")).to_have_text("Run the cart tests")
    expect(card.locator(".tool-status")).to_have_text("running…")
    expect(card.locator("pre code")).to_have_text("pytest -q tests/cart")
    send_hook(app_agent, session.id, {"hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_use_id": "t1",
                                      "tool_input": {"command": "pytest -q tests/cart"},
                                      "tool_response": {"stdout": "3 passed", "stderr": ""}})
    expect(card.locator(".tool-status")).to_have_text("done")
    expect(card.locator(".stdout")).to_have_text("3 passed")
    expect(page.locator(".tool-card")).to_have_count(1)
    send_hook(app_agent, session.id, {"hook_event_name": "PreToolUse", "tool_name": "Edit", "tool_use_id": "t2",
                                      "tool_input": {"file_path": "cart.py", "old_string": "total = 0", "new_string": "total = sum(items)"}})
    edit = page.locator(".tool-card[data-tool-use-id='t2']")
    expect(edit.locator(".diff-line.del")).to_have_text("-total = 0")
    expect(edit.locator(".diff-line.add")).to_have_text("+total = sum(items)")
    send_hook(app_agent, session.id, {"hook_event_name": "PostToolUseFailure", "tool_name": "Edit", "tool_use_id": "t2",
                                      "tool_input": {"file_path": "cart.py"}, "error": "file changed on disk"})
    expect(edit.locator(".tool-status")).to_have_text("failed")
    expect(edit.locator(".tool-result.failed pre")).to_have_text("file changed on disk")
    send_hook(app_agent, session.id, {"hook_event_name": "Stop", "last_assistant_message": "The total is fixed."})
    expect(page.locator(".event-stop")).to_contain_text("The total is fixed.")


def test_a_permission_request_is_denied_with_a_message_the_hook_turns_into_a_decision(app_agent, app_owner, background):
    session, page = open_claude(app_owner, app_agent)
    hook = {**BASE, "hook_event_name": "PermissionRequest", "tool_name": "Bash",
            "tool_input": {"command": "rm -rf build/", "description": "Clean the build"}}
    sent = app_agent.send_message(session.id, permission.components(hook), type="permission_request",
                                  requires_response=True, deadline=300)
    waiting = background.submit(app_agent.await_response, session.id, sent.id, 30)
    expect(page.locator(".needs-you")).to_contain_text("Claude is waiting for your approval (1)")
    request = page.locator(".timeline .item.permission")
    expect(request.locator("pre code")).to_have_text("rm -rf build/")
    request.get_by_role("button", name="Deny").click()
    request.get_by_label("Message with Deny").fill("Use make clean instead")
    request.get_by_role("button", name="Deny with this message").click()
    answer = waiting.result(timeout=30)
    assert (answer.action, answer.text, answer.responder_role) == ("deny", "Use make clean instead", "owner")
    decision = permission.decision(hook, permission.Answer(answer.action, answer.text, answer.permissions))
    assert decision["hookSpecificOutput"]["decision"] == {"behavior": "deny", "message": "Denied from Hiloop: Use make clean instead"}
    expect(page.locator(".needs-you")).to_be_hidden()


def test_always_allow_answers_with_the_suggested_rules(app_agent, app_owner, background):
    session, page = open_claude(app_owner, app_agent)
    suggestion = {"type": "addRules", "rules": [{"toolName": "Bash", "ruleContent": "npm test:*"}], "behavior": "allow",
                  "destination": "localSettings"}
    hook = {**BASE, "hook_event_name": "PermissionRequest", "tool_name": "Bash", "tool_input": {"command": "npm test"},
            "permission_suggestions": [suggestion]}
    sent = app_agent.send_message(session.id, permission.components(hook), type="permission_request", requires_response=True)
    waiting = background.submit(app_agent.await_response, session.id, sent.id, 30)
    page.locator(".timeline .item.permission").get_by_role("button", name="Always allow").click()
    answer = waiting.result(timeout=30)
    decision = permission.decision(hook, permission.Answer(answer.action, answer.text, answer.permissions))
    assert decision["hookSpecificOutput"]["decision"] == {"behavior": "allow", "updatedPermissions": [suggestion]}


def test_an_instruction_from_the_page_reaches_the_agent_and_shows_when_delivered(app_agent, app_owner):
    session, page = open_claude(app_owner, app_agent)
    page.get_by_label("Instruction for Claude").fill("Also add a test for empty carts")
    page.get_by_role("button", name="Send instruction").click()
    item = page.locator(".timeline .item", has_text="Also add a test for empty carts")
    expect(item.locator(".event-label")).to_have_text("Instruction")
    timeline = app_agent.get_session_timeline(session.id)
    sent = [m for m in timeline.messages if m.content.get("type") == "instruction"]
    assert [(m.role, m.content["text"]) for m in sent] == [("owner", "Also add a test for empty carts")]
    payload = {"v": 1, "type": "tool_event", "event": "InstructionDelivered", "data": {"mids": [sent[0].id], "via": "PreToolUse"}}
    app_agent._portal.call(app_agent._async._send, session.id, payload, wire.MessageMeta(type="tool_event"))  # noqa: SLF001
    expect(item.locator(".delivered")).to_have_text("✓ delivered to Claude")
