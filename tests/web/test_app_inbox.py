"""The inbox with many requests: one feed read with the sessions' keys, sessions opened in workers,
cards answered in place; the event stream resumes where the last page load left it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.chromium

DECISION = [
    {"type": "text", "text": "Ship it?"},
    {"type": "button_group", "buttons": [
        {"label": "Approve", "action": "approve", "variant": "primary"},
        {"label": "Deny", "action": "deny", "variant": "danger"},
    ]},
]
MANY = 30  # enough that, after the first screen (12), more than 16 are left for the workers (pages/feed.js)


def requests_made(page, pattern):
    return page.evaluate("(re) => performance.getEntriesByType('resource').map((e) => e.name)"
                         ".filter((n) => new RegExp(re).test(n))", pattern)


def test_a_long_inbox_is_read_in_one_request_and_opened_in_workers(app_agent, app_owner, background):
    page = app_owner.page
    sent = {}
    for i in range(MANY):
        session = app_agent.create_session(f"Deploy service {i:02d}")
        sent[i] = (session.id, app_agent.send_message(session.id, DECISION, priority="high" if i == 7 else "normal"))
    page.goto(app_owner.relay.url + "/")
    titles = page.locator(".feed-item .feed-title")
    expect(titles).to_have_count(MANY)
    expect(page.locator(".section-head .count")).to_have_text(str(MANY))
    expect(titles.first).to_have_text("Deploy service 07")  # high before normal
    expect(page.locator(".feed-item .badge.priority-high")).to_have_count(1)
    expect(page.locator(".feed-item .badge.priority-normal")).to_have_count(0)  # the usual case needs no badge
    expect(page.locator(".page-home[data-ready]")).to_be_attached()
    assert sorted(titles.all_text_contents()) == [f"Deploy service {i:02d}" for i in range(MANY)]
    assert page.evaluate("performance.getEntriesByName('hiloop:feed-ready').length") == 1
    assert len(requests_made(page, r"/v1/feed\?.*keys=1")) == 1
    assert requests_made(page, r"/v1/sessions/s_") == [], "no request per session"
    assert len(requests_made(page, r"/open-worker\.js$")) >= 1

    sid, request = sent[3]
    waiting = background.submit(app_agent.await_response, sid, request.id, 30)
    card = page.locator(f".feed-item[data-mid='{request.id}']")
    card.get_by_role("button", name="Approve").click()
    answer = waiting.result(timeout=30)
    assert answer.action == "approve" and answer.responder_role == "owner"
    expect(card).to_have_count(0)
    expect(titles).to_have_count(MANY - 1)
    expect(page.locator(".section-head .count")).to_have_text(str(MANY - 1))


def test_a_short_inbox_is_opened_without_starting_workers(app_agent, app_owner):
    page = app_owner.page
    for i in range(3):
        session = app_agent.create_session(f"Small {i}")
        app_agent.send_message(session.id, DECISION)
    page.goto(app_owner.relay.url + "/")
    expect(page.locator(".feed-item .feed-title")).to_have_text(["Small 0", "Small 1", "Small 2"])
    assert requests_made(page, r"/open-worker\.js$") == []


def test_a_new_page_load_resumes_the_event_stream_instead_of_replaying_it(app_agent, app_owner):
    page = app_owner.page
    page.goto(app_owner.relay.url + "/")
    expect(page.locator(".live-dot.live")).to_be_attached()
    session = app_agent.create_session("Live")
    app_agent.send_message(session.id, DECISION)
    expect(page.locator(".feed-item", has_text="Live")).to_be_visible()
    page.wait_for_function("() => Object.keys(localStorage).some((k) => k.startsWith('hiloop:events:'))")
    key = page.evaluate("Object.keys(localStorage).find((k) => k.startsWith('hiloop:events:'))")
    cursor = int(page.evaluate("(k) => localStorage.getItem(k)", key))
    page.reload()
    expect(page.locator(".feed-item", has_text="Live")).to_be_visible()
    expect(page.locator(".live-dot.live")).to_be_attached()
    assert int(page.evaluate("(k) => localStorage.getItem(k)", key)) >= cursor
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("(k) => localStorage.getItem(k)", key) is None
    assert re.match(r"^hiloop:events:o_", key)


def test_without_workers_a_long_inbox_is_opened_in_the_page(app_agent, app_owner):
    page = app_owner.page
    page.add_init_script("delete window.Worker")
    for i in range(MANY):
        session = app_agent.create_session(f"Job {i:02d}")
        app_agent.send_message(session.id, DECISION)
    page.goto(app_owner.relay.url + "/")
    titles = page.locator(".feed-item .feed-title")
    expect(titles).to_have_count(MANY)
    expect(page.locator(".page-home[data-ready]")).to_be_attached()
    assert sorted(titles.all_text_contents()) == [f"Job {i:02d}" for i in range(MANY)]
    assert requests_made(page, r"/open-worker\.js$") == []
