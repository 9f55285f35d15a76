"""Every program in examples/ runs against a live relay, answered by the owner or by guests.

Each example is a real process (the agent) using HILOOP_URL and the agent paired into HILOOP_HOME;
the test plays the other side with OwnerClient or GuestClient from the lines the example prints.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hiloop import GuestClient, OwnerClient
from hiloop.pairing import pair_agent

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RESPOND = re.compile(r"hiloop respond (\S+) (\S+)")
GUEST = re.compile(r"^Guest link for (\w+): (\S+)$")


@pytest.fixture
def owner(live_relay: Any) -> Iterator[OwnerClient]:
    OwnerClient.setup(live_relay.url, live_relay.setup_token)
    with OwnerClient.load() as client:
        shown = threading.Event()
        links: list[str] = []

        def on_link(link: str) -> None:
            links.append(link)
            shown.set()

        thread = threading.Thread(target=pair_agent, args=(live_relay.url, "examples"),
                                  kwargs={"on_link": on_link, "timeout": 15}, daemon=True)
        thread.start()
        assert shown.wait(15)
        client.approve_pairing(links[0])
        thread.join(15)
        yield client


def run_example(live_relay: Any, hiloop_env: Path, name: str, *args: str,
                on_line: Callable[[str], None] = lambda line: None) -> str:
    """Run examples/<name> to the end, calling on_line for each line it prints; return its output."""
    env = {**os.environ, "HILOOP_HOME": str(hiloop_env), "HILOOP_URL": live_relay.url,
           "HILOOP_EXAMPLE_TIMEOUT": "20", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, str(EXAMPLES / name), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    lines = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # bounded: each example gives up after HILOOP_EXAMPLE_TIMEOUT
            lines.append(line)
            on_line(line.rstrip("\n"))
        stderr = proc.communicate(timeout=30)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    return "".join(lines)


def answer_as_owner(owner: OwnerClient, **answer: Any) -> Callable[[str], None]:
    def on_line(line: str) -> None:
        m = RESPOND.search(line)
        if m:
            owner.respond(m.group(1), m.group(2), **answer)

    return on_line


def test_every_example_has_a_test() -> None:
    tested = {"decision.py", "report.py", "form.py", "tabs.py", "feed_digest.py", "lunch_poll.py",
              "webhook_receiver.py"}  # webhook_receiver.py: tested in tests/hiloop/test_webhooks.py
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


def test_decision_deploys_once_the_owner_approves(live_relay: Any, hiloop_env: Path, owner: OwnerClient) -> None:
    out = run_example(live_relay, hiloop_env, "decision.py",
                      on_line=answer_as_owner(owner, action="approve", text="go ahead"))
    assert out.splitlines()[-1] == "Approved by the owner: go ahead. Deploying v2.4.1."
    (session,) = owner.sessions()
    assert (session.title, session.status) == ("Deploy v2.4.1 to production", "closed")


def test_report_arrives_decrypted_for_the_owner(live_relay: Any, hiloop_env: Path, owner: OwnerClient) -> None:
    out = run_example(live_relay, hiloop_env, "report.py")
    assert out.splitlines()[-1] == "The report reads back decrypted: text, metric_grid, table, chart."
    (session,) = owner.sessions()
    (message,) = owner.open_session(session.id).messages
    assert message.content["components"][1]["metrics"][1]["value"] == "184 ms"
    assert owner.feed() == []  # a report asks nothing


def test_form_gets_its_answers_by_question_id(live_relay: Any, hiloop_env: Path, owner: OwnerClient) -> None:
    out = run_example(live_relay, hiloop_env, "form.py",
                      on_line=answer_as_owner(owner, answers={"tone": "Friendly", "highlight": "faster search"}))
    assert out.splitlines()[-1] == "Writing the notes in a friendly tone; first: faster search"


def test_tabbed_review_is_merged_on_the_owners_word(live_relay: Any, hiloop_env: Path, owner: OwnerClient) -> None:
    out = run_example(live_relay, hiloop_env, "tabs.py", on_line=answer_as_owner(owner, action="merge"))
    assert out.splitlines()[-1] == "Merging."
    (session,) = owner.sessions()
    (request, response) = owner.open_session(session.id).messages
    assert [t["label"] for t in request.content["components"][0]["tabs"]] == ["Summary", "Diff", "Tests"]
    assert (response.role, response.content["action"]) == ("owner", "merge")


def test_feed_digest_is_a_low_priority_message_with_links(live_relay: Any, hiloop_env: Path,
                                                          owner: OwnerClient) -> None:
    out = run_example(live_relay, hiloop_env, "feed_digest.py")
    assert out.splitlines()[-1] == "The digest reads back decrypted: 3 events, 2 links."
    (session,) = owner.sessions()
    assert (session.title, session.priority) == ("Overnight digest", "low")


def test_lunch_poll_counts_one_vote_per_guest_link(live_relay: Any, hiloop_env: Path, owner: OwnerClient) -> None:
    votes = {"Ana": "Sushi", "Bo": "Sushi"}

    def on_line(line: str) -> None:
        m = GUEST.match(line)
        if m:
            with GuestClient.from_link(m.group(2)) as guest:
                assert guest.label == m.group(1)
                request = next(m for m in guest.messages() if m.type == "question")
                guest.respond(request.id, answers={"place": votes[m.group(1)]})

    out = run_example(live_relay, hiloop_env, "lunch_poll.py", "Ana", "Bo", on_line=on_line)
    assert out.splitlines()[-2:] == ["2 votes: Sushi 2", "Lunch is at Sushi (2 of 2)."]
