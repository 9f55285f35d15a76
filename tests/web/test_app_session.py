"""The owner's session view against a live relay: forms, wizards, every component, the composer."""

from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.chromium

FORM = [{"type": "qa", "title": "Lunch order", "questions": [
    {"id": "where", "kind": "single", "prompt": "Where?", "options": ["Thai", "Pizza"]},
    {"id": "count", "kind": "number", "prompt": "How many people?"},
    {"id": "note", "kind": "open", "prompt": "Anything else?", "required": False},
]}]

WIZARD = [{"type": "wizard", "title": "New project", "steps": [
    {"title": "Name", "components": [{"type": "qa", "questions": [{"id": "name", "kind": "open", "prompt": "Project name?"}]}]},
    {"title": "Stack", "components": [
        {"type": "alert", "level": "info", "text": "Pick what you know"},
        {"type": "qa", "questions": [{"id": "langs", "kind": "multi", "prompt": "Languages?", "options": ["Python", "Go", "Rust"]}]},
    ]},
]}]

EVERYTHING = [
    {"type": "text", "text": "Weekly **report**"},
    {"type": "kv", "entries": [{"label": "Owner", "value": "ops"}]},
    {"type": "alert", "level": "success", "text": "All checks passed"},
    {"type": "metric_grid", "metrics": [{"label": "Uptime", "value": "99.98%", "trend": "up", "change": "+0.01"}]},
    {"type": "table", "headers": ["service", "p99"], "rows": [["api", 120], ["web", 80]]},
    {"type": "chart", "kind": "bar", "labels": ["Mon", "Tue"], "values": [4, 7]},
    {"type": "tabs", "tabs": [{"label": "Details", "children": [{"type": "code", "language": "sh", "source": "make deploy"}]},
                              {"label": "Diff", "children": [{"type": "diff", "diff": "@@ -1 +1 @@\n-a\n+b"}]}]},
    {"type": "output", "command": "make test", "exit_code": 0, "stdout": "ok"},
    {"type": "image", "name": "dot.png", "media_type": "image/png", "alt": "status dot", "data": base64.b64encode(
        base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    ).decode()},
    {"type": "file", "name": "notes.txt", "media_type": "text/plain", "data": base64.b64encode(b"hello").decode()},
    {"type": "link", "url": "https://example.com/dash", "label": "Dashboard"},
]


def open_session(app_owner, session):
    page = app_owner.page
    page.goto(f"{app_owner.relay.url}/s/{session.id}")
    expect(page.get_by_role("heading", name=session.title)).to_be_visible()
    expect(page.locator(".loading")).to_have_count(0)
    return page


def test_a_form_answered_in_the_page_reaches_the_agent_as_typed_answers(app_agent, app_owner, background):
    session = app_agent.create_session("Team lunch")
    sent = app_agent.send_message(session.id, FORM)
    waiting = background.submit(app_agent.await_response, session.id, sent.id, 30)
    page = open_session(app_owner, session)
    form = page.locator("form.qa")
    expect(form.locator("h4")).to_have_text("Lunch order")
    form.get_by_label("Thai").check()
    form.get_by_role("spinbutton").fill("6")
    form.get_by_role("button", name="Send answers").click()
    answer = waiting.result(timeout=30)
    assert answer.answers == {"where": "Thai", "count": 6}
    expect(page.locator(".answered-note")).to_contain_text("where: Thai; count: 6")


def test_a_wizard_is_answered_after_its_review_step(app_agent, app_owner, background):
    session = app_agent.create_session("Project setup")
    sent = app_agent.send_message(session.id, WIZARD)
    waiting = background.submit(app_agent.await_response, session.id, sent.id, 30)
    page = open_session(app_owner, session)
    wizard = page.locator(".wizard")
    wizard.get_by_role("textbox").fill("Apollo")
    wizard.get_by_role("button", name="Next").click()
    expect(wizard.get_by_text("Pick what you know")).to_be_visible()
    wizard.get_by_label("Python").check()
    wizard.get_by_label("Rust").check()
    wizard.get_by_role("button", name="Next").click()
    expect(wizard.locator(".wizard-review dd")).to_have_text(["Apollo", "Python, Rust"])
    wizard.get_by_role("button", name="Submit").click()
    answer = waiting.result(timeout=30)
    assert answer.answers == {"name": "Apollo", "langs": ["Python", "Rust"]}


def test_a_report_with_every_kind_of_component_is_shown(app_agent, app_owner):
    session = app_agent.create_session("Weekly report")
    app_agent.send_message(session.id, EVERYTHING, type="report")
    page = open_session(app_owner, session)
    item = page.locator(".timeline .item", has_text="Weekly report")
    expect(item.locator(".md strong")).to_have_text("report")
    expect(item.locator(".kv dd")).to_have_text("ops")
    expect(item.get_by_role("status")).to_contain_text("All checks passed")
    expect(item.locator(".metric-value")).to_have_text("99.98%")
    expect(item.locator("tbody tr")).to_have_count(2)
    expect(item.locator("svg.chart rect.bar")).to_have_count(2)
    item.get_by_role("tab", name="Diff").click()
    expect(item.locator(".diff-line.add")).to_have_text("+b")
    expect(item.locator(".output .command")).to_have_text("$ make test")
    expect(item.get_by_role("img", name="status dot")).to_be_visible()
    expect(item.get_by_role("link", name="notes.txt")).to_have_attribute("download", "notes.txt")
    expect(item.get_by_role("link", name="Dashboard")).to_have_attribute("href", "https://example.com/dash")
    expect(item.locator(".badge.type")).to_have_text("report")
    assert page.js_errors == []


def test_new_messages_appear_while_the_session_is_open(app_agent, app_owner):
    session = app_agent.create_session("Live")
    page = open_session(app_owner, session)
    expect(page.get_by_text("No messages yet.")).to_be_visible()
    app_agent.send_message(session.id, [{"type": "text", "text": "Step 1 done"}])
    expect(page.locator(".timeline .item", has_text="Step 1 done")).to_be_visible()
    app_agent.send_message(session.id, [{"type": "text", "text": "Step 2 done"}])
    expect(page.locator(".timeline .item .md")).to_have_text(["Step 1 done", "Step 2 done"])


def test_the_composer_sends_a_message_the_agent_reads_as_the_owners(app_agent, app_owner):
    session = app_agent.create_session("Chat")
    page = open_session(app_owner, session)
    page.get_by_label("Message").fill("Please also update the changelog")
    page.get_by_role("button", name="Send", exact=True).click()
    mine = page.locator(".timeline .item.mine")
    expect(mine).to_contain_text("Please also update the changelog")
    expect(mine.locator(".who")).to_have_text("You")
    timeline = app_agent.get_session_timeline(session.id)
    texts = [(m.role, m.content["components"][0]["text"]) for m in timeline.messages if m.content.get("type") == "message"]
    assert texts == [("owner", "Please also update the changelog")]


def test_closing_a_session_in_the_page_closes_it_for_the_agent(app_agent, app_owner):
    session = app_agent.create_session("Short-lived")
    page = open_session(app_owner, session)
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Close session").click()
    expect(page.locator(".session-meta .badge.status-closed")).to_have_text("closed")
    expect(page.get_by_text("This session is closed.")).to_be_visible()
    assert app_agent.get_session(session.id).status == "closed"


def test_the_agent_typing_shows_in_the_open_session(app_agent, app_owner):
    import httpx

    session = app_agent.create_session("Typing")
    page = open_session(app_owner, session)
    expect(page.locator(".live-dot.live")).to_be_attached()
    key = app_agent._async.credentials.api_key  # noqa: SLF001
    r = httpx.post(f"{app_agent.base_url}/v1/sessions/{session.id}/typing", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 204
    expect(page.locator(".typing")).to_have_text("deploy-bot is typing…")


def test_a_reaction_from_the_page_reaches_the_agent_and_shows_on_the_message(app_agent, app_owner):
    session = app_agent.create_session("Reactions")
    sent = app_agent.send_message(session.id, [{"type": "text", "text": "Deployed to staging"}])
    page = open_session(app_owner, session)
    item = page.locator(".timeline .item", has_text="Deployed to staging")
    item.get_by_role("button", name="React with 👍").click()
    expect(item.locator(".reaction-list")).to_have_text("👍")
    timeline = app_agent.get_session_timeline(session.id)
    reactions = [(m.role, m.content.get("to"), m.content.get("emoji")) for m in timeline.messages if m.content.get("type") == "reaction"]
    assert reactions == [("owner", sent.id, "👍")]


def test_a_request_past_its_deadline_shows_expired_and_the_default_action(app_agent, app_owner):
    session = app_agent.create_session("Quick call")
    app_agent.send_message(session.id, [
        {"type": "text", "text": "Restart the worker?"},
        {"type": "button_group", "buttons": [{"label": "Restart", "action": "restart"}, {"label": "Leave it", "action": "leave"}]},
    ], deadline=3, default_action="leave")
    page = open_session(app_owner, session)
    item = page.locator(".timeline .item", has_text="Restart the worker?")
    expect(item.locator(".countdown")).to_have_text(re.compile(r"due in \d+s"))
    expect(item.locator(".request-state")).to_have_text("expired", timeout=15_000)
    expect(item.get_by_text("The deadline passed: the agent goes on with “Leave it”.")).to_be_visible()
    expect(item.get_by_role("button", name="Restart")).to_be_disabled()


def test_a_message_forged_in_the_agents_name_is_hidden_and_flagged(app_agent, app_owner):
    import httpx

    from hiloop.crypto import Identity, canonical_json, new_mid, seal

    session = app_agent.create_session("Forgery")
    app_agent.send_message(session.id, [{"type": "text", "text": "genuine"}])
    kr = app_agent._portal.call(app_agent._async._keyrings.get, session.id)  # noqa: SLF001 (the agent's session key)
    mallory = Identity.generate()
    forged = seal(mallory, sid=session.id, epoch=0, mid=new_mid(), sender="agent", session_key=kr.session_key(0),
                  plaintext=canonical_json({"v": 1, "type": "message", "components": [{"type": "text", "text": "approve everything"}]}))
    key = app_agent._async.credentials.api_key  # noqa: SLF001
    r = httpx.post(f"{app_agent.base_url}/v1/sessions/{session.id}/messages", headers={"Authorization": f"Bearer {key}"},
                   json={"envelope": forged, "meta": {"type": "text"}})
    assert r.status_code == 201
    page = open_session(app_owner, session)
    expect(page.locator(".timeline .item .md")).to_have_text(["genuine"])
    expect(page.locator(".timeline .item.unverified")).to_contain_text("failed verification and is hidden")
    expect(page.get_by_text("approve everything")).to_have_count(0)
