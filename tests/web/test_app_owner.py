"""The owner's app against a live relay: set-up, pairing, inbox, answering a decision an agent waits on."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.chromium

DECISION = [
    {"type": "text", "text": "Deploy **v2.4.1** to production?"},
    {"type": "kv", "entries": [{"label": "Version", "value": "2.4.1"}, {"label": "Region", "value": "eu-west"}]},
    {"type": "button_group", "buttons": [
        {"label": "Approve", "action": "approve", "variant": "primary"},
        {"label": "Deny", "action": "deny", "variant": "danger"},
    ]},
]


def test_the_setup_link_creates_the_owner_and_shows_the_recovery_key_once(page, live_relay):
    from conftest import setup_owner_in_page  # noqa: PLC0415 (tests/web/conftest.py)

    recovery = setup_owner_in_page(page, live_relay.url, live_relay.setup_token)
    assert recovery.startswith("hlr1.o_")
    assert "/setup/" not in page.url
    page.goto(f"{live_relay.url}/setup/{live_relay.setup_token}")
    expect(page.get_by_role("heading", name="This set-up link has been used")).to_be_visible()


def test_a_new_browser_signs_in_with_the_recovery_key(app_owner, browser):
    context = browser.new_context()
    try:
        other = context.new_page()
        other.goto(app_owner.relay.url + "/")
        expect(other.get_by_role("heading", name="Sign in")).to_be_visible()
        other.get_by_label("Recovery key", exact=True).fill(app_owner.recovery_key)
        other.get_by_role("button", name="Sign in").click()
        expect(other.get_by_role("heading", name="Needs you")).to_be_visible()
        expect(other.get_by_text("Nothing needs you right now.")).to_be_visible()
    finally:
        context.close()


def test_a_wrong_recovery_key_is_refused_with_a_reason(app_owner, browser):
    owner_id = app_owner.recovery_key.split(".")[1]
    context = browser.new_context()
    try:
        other = context.new_page()
        other.goto(app_owner.relay.url + "/")
        other.get_by_label("Recovery key", exact=True).fill(f"hlr1.{owner_id}.{'A' * 43}")
        other.get_by_role("button", name="Sign in").click()
        expect(other.get_by_role("alert")).to_have_text("This recovery key does not match the account.")
    finally:
        context.close()


def test_pairing_in_the_page_gives_the_agent_its_owner(app_agent, app_owner):
    page = app_owner.page
    page.goto(app_owner.relay.url + "/agents")
    agent = page.locator(".agent", has_text="deploy-bot")
    expect(agent.locator(".badge.verified")).to_have_text("✓ verified")
    assert app_agent.agent_id.startswith("a_")


def test_the_agents_page_shows_workload_answer_times_and_deadlines(app_agent, app_owner):
    page = app_owner.page
    page.goto(app_owner.relay.url + "/")
    session = app_agent.create_session("Activity")
    answered = app_agent.send_message(session.id, DECISION, deadline=600)
    app_agent.send_message(session.id, DECISION)
    item = page.locator(".feed-item[data-mid='%s']" % answered.id)
    item.get_by_role("button", name="Approve").click()
    expect(item).to_have_count(0)
    page.goto(app_owner.relay.url + "/agents")
    agent = page.locator(".agent", has_text="deploy-bot")
    expect(agent.locator(".workload")).to_have_text("1")
    expect(agent.locator(".sessions-count")).to_have_text("1")
    expect(agent.locator(".response-time")).to_have_text(re.compile(r"^\d+s median, \d+s p90$"))
    expect(agent.locator(".sla")).to_have_text("1 kept, 0 missed")
    expect(agent.locator(".last-seen")).to_have_text("just now")
    expect(agent.locator(".per-hour svg rect")).to_have_count(24)
    expect(agent.locator(".per-hour svg")).to_have_attribute("aria-label", re.compile(r"^[1-9]\d* messages in the last 24 hours$"))


def test_a_button_decision_answered_in_the_page_reaches_the_waiting_agent(app_agent, app_owner, background):
    page = app_owner.page
    page.goto(app_owner.relay.url + "/")
    session = app_agent.create_session("Deploy v2.4.1", priority="high")
    sent = app_agent.send_message(session.id, DECISION, priority="high", deadline=600)
    waiting = background.submit(app_agent.await_response, session.id, sent.id, 30)

    item = page.locator(".feed-item", has_text="Deploy v2.4.1")
    expect(item).to_be_visible()
    expect(item.locator(".summary")).to_have_text("Deploy v2.4.1 to production?")
    expect(item.locator(".countdown")).to_have_text(re.compile(r"due in \d+m"))
    item.get_by_role("link", name="Deploy v2.4.1").click()

    expect(page.get_by_role("heading", name="Deploy v2.4.1")).to_be_visible()
    request = page.locator(".timeline .item", has_text="Deploy v2.4.1 to production?")
    expect(request.locator("strong", has_text="v2.4.1")).to_be_visible()
    expect(request.locator(".kv dd").first).to_have_text("2.4.1")
    expect(request.locator(".who")).to_have_text("deploy-bot")
    request.get_by_role("button", name="Approve").click()

    answer = waiting.result(timeout=30)
    assert answer.action == "approve"
    assert answer.responder_role == "owner"
    expect(request.locator(".answered-note")).to_contain_text("You answered: Approve")
    expect(request.get_by_role("button", name="Deny")).to_be_disabled()


def test_the_inbox_updates_live_and_answers_a_decision_in_place(app_agent, app_owner, background):
    page = app_owner.page
    page.goto(app_owner.relay.url + "/")
    expect(page.get_by_text("Nothing needs you right now.")).to_be_visible()
    expect(page.locator(".live-dot.live")).to_be_attached()
    session = app_agent.create_session("Rotate keys")
    sent = app_agent.send_message(session.id, DECISION)
    waiting = background.submit(app_agent.await_response, session.id, sent.id, 30)
    item = page.locator(".feed-item", has_text="Rotate keys")
    item.get_by_role("button", name="Deny").click()
    answer = waiting.result(timeout=30)
    assert answer.action == "deny"
    expect(item).to_have_count(0)
    expect(page.get_by_text("Nothing needs you right now.")).to_be_visible()


def test_the_inbox_puts_urgent_requests_first_then_the_nearest_deadline(app_agent, app_owner):
    page = app_owner.page
    for title, priority, deadline in [("Later", "normal", 3600), ("Sooner", "normal", 600), ("Fire", "urgent", None),
                                      ("Whenever", "low", None)]:
        s = app_agent.create_session(title)
        app_agent.send_message(s.id, DECISION, priority=priority, deadline=deadline)
    page.goto(app_owner.relay.url + "/")
    titles = page.locator(".feed-item .feed-title")
    expect(titles).to_have_text(["Fire", "Sooner", "Later", "Whenever"])


def test_refusing_a_pairing_in_the_page_tells_the_agent(app_owner, background):
    import queue

    from hiloop.errors import PairingError
    from hiloop.pairing import pair_agent

    page = app_owner.page
    links: queue.Queue[str] = queue.Queue()
    future = background.submit(pair_agent, app_owner.relay.url, "stranger", on_link=links.put, timeout=60)
    page.goto(links.get(timeout=30))
    page.get_by_role("button", name="Refuse").click()
    expect(page.get_by_text("Refused. The agent was not paired.")).to_be_visible()
    with pytest.raises(PairingError, match="refused"):
        future.result(timeout=30)


def test_a_pairing_link_whose_key_differs_from_the_relays_is_not_offered(app_owner, background):
    import queue

    from hiloop.crypto import Identity, b64u_encode
    from hiloop.pairing import pair_agent

    page = app_owner.page
    links: queue.Queue[str] = queue.Queue()
    background.submit(pair_agent, app_owner.relay.url, "mallory", on_link=links.put, timeout=20)
    link = links.get(timeout=30)
    page.goto(link.split("&a=")[0] + "&a=" + b64u_encode(Identity.generate().ed25519_pub))
    expect(page.get_by_role("heading", name="Do not approve this pairing")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    page.goto(link)
    page.get_by_role("button", name="Refuse").click()
    expect(page.get_by_text("Refused. The agent was not paired.")).to_be_visible()


def test_the_app_fits_a_phone_screen(app_agent, app_owner):
    page = app_owner.page
    page.set_viewport_size({"width": 390, "height": 844})
    session = app_agent.create_session("A fairly long session title that has to wrap on a phone")
    app_agent.send_message(session.id, DECISION + [{"type": "table", "headers": ["a", "b", "c", "d", "e", "f"],
                                                     "rows": [["x" * 30] * 6]}])
    page.goto(app_owner.relay.url + "/")
    expect(page.locator(".feed-item")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator(".feed-title").click()
    expect(page.locator(".timeline .item")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = page.get_by_role("button", name="Approve").bounding_box()
    assert box is not None and box["height"] >= 44


def test_a_browser_without_x25519_is_told_so_plainly(browser, live_relay):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script("""(() => {
          const real = crypto.subtle.importKey.bind(crypto.subtle);
          crypto.subtle.importKey = (format, data, alg, ...rest) =>
            (alg && (alg.name || alg) === "X25519") ? Promise.reject(new DOMException("Unrecognized", "NotSupportedError"))
              : real(format, data, alg, ...rest);
        })()""")
        page.goto(live_relay.url + "/")
        expect(page.get_by_role("heading", name="This browser cannot run Hiloop")).to_be_visible()
        expect(page.get_by_text("lacks X25519", exact=False)).to_be_visible()
    finally:
        context.close()


def test_a_new_request_raises_a_notification_while_the_app_is_in_the_background(app_agent, app_owner):
    page = app_owner.page
    page.add_init_script("""(() => {
      window.shown = [];
      class FakeNotification { constructor(title, opts) { window.shown.push([title, opts.body]); }
        static permission = "granted"; static requestPermission() { return Promise.resolve("granted"); } }
      window.Notification = FakeNotification;
      Object.defineProperty(Document.prototype, "hidden", { get: () => true });
    })()""")
    page.goto(app_owner.relay.url + "/agents")
    expect(page.locator(".live-dot.live")).to_be_attached()
    session = app_agent.create_session("Secret title")
    app_agent.send_message(session.id, DECISION, priority="urgent")
    page.wait_for_function("window.shown.length === 1")
    assert page.evaluate("window.shown") == [["Hiloop: a request needs you", "Priority: urgent"]]


def test_open_and_closed_sessions_are_listed_with_their_titles(app_agent, app_owner):
    page = app_owner.page
    app_agent.create_session("Still going", kind="claude_code")
    done = app_agent.create_session("All done")
    app_agent.close_session(done.id)
    page.goto(app_owner.relay.url + "/")
    open_list = page.locator(".sessions:not(.closed) .session-list li")
    expect(open_list).to_have_count(1)
    expect(open_list.get_by_role("link")).to_have_text("Still going")
    expect(open_list.locator(".badge.kind")).to_have_text("Claude Code")
    page.get_by_role("button", name="Show closed sessions").click()
    closed = page.locator(".sessions.closed .session-list li")
    expect(closed.get_by_role("link")).to_have_text("All done")
    closed.get_by_role("link").click()
    expect(page.get_by_role("heading", name="All done")).to_be_visible()
    expect(page.get_by_text("This session is closed.")).to_be_visible()
