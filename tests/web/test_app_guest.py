"""The guest page (/join/<token>#v=1&g=…&a=…) against a live relay."""

from __future__ import annotations

import sqlite3

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.chromium

POLL = [
    {"type": "text", "text": "Which day works for the **retro**?"},
    {"type": "button_group", "buttons": [{"label": "Thursday", "action": "thu"}, {"label": "Friday", "action": "fri"}]},
]


@pytest.fixture
def guest_page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.api_calls = []  # type: ignore[attr-defined]
    page.on("request", lambda r: page.api_calls.append(r.url) if "/v1/" in r.url else None)
    try:
        yield page
    finally:
        context.close()


def test_a_guest_link_strips_its_key_waits_for_a_click_then_shows_and_answers(app_agent, guest_page):
    session = app_agent.create_session("Retro planning", is_public=True)
    sent = app_agent.send_message(session.id, POLL)
    link = app_agent.create_guest_token(session.id, label="Sam")
    page = guest_page
    page.goto(link.join_url)
    expect(page.get_by_role("heading", name="You have been invited to a Hiloop session")).to_be_visible()
    assert "#" not in page.url and "g=" not in page.url
    assert page.api_calls == [], "nothing is fetched before the click"

    page.get_by_role("button", name="Open the session").click()
    expect(page.get_by_role("heading", name="Retro planning")).to_be_visible()
    expect(page.get_by_text("You are a guest (“Sam”)", exact=False)).to_be_visible()
    request = page.locator(".timeline .item", has_text="Which day works")
    expect(request.locator(".md strong")).to_have_text("retro")
    expect(request.locator(".who")).to_have_text("Agent")
    request.get_by_role("button", name="Friday").click()
    expect(request.locator(".answered-note")).to_contain_text("You answered: Friday")
    votes = app_agent.responses(session.id, sent.id, accept_roles=("guest",), at_least=1, timeout=10)
    assert [(v.action, v.responder_role, v.responder_id) for v in votes] == [("fri", "guest", link.guest_id)]


def test_a_guest_link_survives_a_reload_in_the_same_tab(app_agent, guest_page):
    session = app_agent.create_session("Reloadable", is_public=True)
    app_agent.send_message(session.id, [{"type": "text", "text": "hello guest"}])
    link = app_agent.create_guest_token(session.id)
    guest_page.goto(link.join_url)
    guest_page.reload()
    guest_page.get_by_role("button", name="Open the session").click()
    expect(guest_page.get_by_text("hello guest")).to_be_visible()


def test_a_revoked_guest_link_shows_a_clear_page(app_agent, guest_page):
    session = app_agent.create_session("Private now", is_public=True)
    link = app_agent.create_guest_token(session.id)
    creds = app_agent._async.credentials  # noqa: SLF001 (the agent's API key, to revoke as the agent)
    revoked = httpx.delete(f"{app_agent.base_url}/v1/sessions/{session.id}/guests/{link.guest_id}",
                           headers={"Authorization": f"Bearer {creds.api_key}"})
    assert revoked.status_code in (200, 204)
    guest_page.goto(link.join_url)
    guest_page.get_by_role("button", name="Open the session").click()
    expect(guest_page.get_by_role("heading", name="This link was revoked")).to_be_visible()


def test_an_expired_guest_link_shows_a_clear_page(app_agent, app_owner, guest_page):
    session = app_agent.create_session("Old news", is_public=True)
    link = app_agent.create_guest_token(session.id, expires_in=60)
    with sqlite3.connect(app_owner.relay.db_path) as db:
        db.execute("UPDATE guests SET expires_at = '2000-01-01T00:00:00Z' WHERE guest_id = ?", (link.guest_id,))
    db.close()
    guest_page.goto(link.join_url)
    guest_page.get_by_role("button", name="Open the session").click()
    expect(guest_page.get_by_role("heading", name="This link has expired")).to_be_visible()


def test_a_link_whose_root_key_was_swapped_shows_nothing(app_agent, guest_page):
    from hiloop.crypto import Identity, b64u_encode

    session = app_agent.create_session("Secret plans", is_public=True)
    app_agent.send_message(session.id, [{"type": "text", "text": "the plan"}])
    link = app_agent.create_guest_token(session.id)
    forged = link.join_url.split("&a=")[0] + "&a=" + b64u_encode(Identity.generate().ed25519_pub)
    guest_page.goto(forged)
    guest_page.get_by_role("button", name="Open the session").click()
    expect(guest_page.get_by_role("heading", name="This session cannot be verified")).to_be_visible()
    expect(guest_page.get_by_text("the plan")).to_have_count(0)


def test_a_link_without_its_key_says_it_is_incomplete(app_agent, guest_page):
    session = app_agent.create_session("Half a link", is_public=True)
    link = app_agent.create_guest_token(session.id)
    guest_page.goto(link.join_url.split("#")[0])
    guest_page.get_by_role("button", name="Open the session").click()
    expect(guest_page.get_by_role("heading", name="This link is incomplete")).to_be_visible()
    assert guest_page.api_calls == []


def test_the_owner_invites_a_guest_from_the_page_and_revoking_rotates_the_key(app_agent, app_owner, guest_page):
    session = app_agent.create_session("Design review", is_public=True)
    app_agent.send_message(session.id, [{"type": "text", "text": "before the guest left"}])
    page = app_owner.page
    page.goto(f"{app_owner.relay.url}/s/{session.id}")
    page.get_by_role("button", name="Guests…").click()
    page.get_by_label("Guest label").fill("Reviewer")
    page.get_by_role("button", name="Create guest link").click()
    url = page.get_by_label("Guest link").input_value()
    assert "#v=1&g=" in url

    guest_page.goto(url)
    guest_page.get_by_role("button", name="Open the session").click()
    expect(guest_page.get_by_text("before the guest left")).to_be_visible()

    row = page.locator(".guest-list li", has_text="Reviewer")
    row.get_by_role("button", name="Revoke").click()
    expect(row.get_by_role("button", name="Revoked")).to_be_disabled()
    assert app_agent.get_session(session.id).epoch == 1
    sent = app_agent.send_message(session.id, [{"type": "text", "text": "after the guest left"}])
    assert sent.seq > 0
    expect(page.get_by_text("after the guest left")).to_be_visible()
    expect(guest_page.get_by_role("heading", name="This link was revoked")).to_be_visible()

    # a guest invited after the rotation holds only the new key, and still reads the title
    newcomer = app_agent.create_guest_token(session.id, label="Late")
    guest_page.goto(newcomer.join_url)
    guest_page.get_by_role("button", name="Open the session").click()
    expect(guest_page.get_by_role("heading", name="Design review")).to_be_visible()
    expect(guest_page.get_by_text("after the guest left")).to_be_visible()
    expect(guest_page.locator(".timeline .item.earlier")).to_have_text("1 earlier message was sent before you were given a key.")
    expect(guest_page.locator(".timeline .item.unverified")).to_have_count(0)
