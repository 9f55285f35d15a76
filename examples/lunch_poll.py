"""A team lunch poll: a public session, one guest link per person, every verified vote counted.

    HILOOP_URL=http://127.0.0.1:8787 python examples/lunch_poll.py Ana Bo

Guests open their links in a browser (no account). A guest's answer counts in a poll; it could never
approve a decision, which takes the owner's signature.
"""

from __future__ import annotations

import os
import sys
from collections import Counter

from hiloop import HiloopClient

TIMEOUT = float(os.environ.get("HILOOP_EXAMPLE_TIMEOUT", "600"))
PLACES = ["Pizza", "Sushi", "Tacos"]


def main(people: list[str]) -> None:
    with HiloopClient() as client:
        session = client.create_session("Team lunch on Friday", is_public=True, kind="poll")
        sent = client.send_message(
            session.id,
            [{"type": "qa", "questions": [
                {"id": "place", "kind": "single", "prompt": "Where shall we go?", "options": PLACES},
                {"id": "note", "kind": "open", "prompt": "Dietary needs?", "required": False},
            ]}],
            type="question",
        )
        for person in people:
            link = client.create_guest_token(session.id, label=person, expires_in=3600)
            print(f"Guest link for {person}: {link.join_url}", flush=True)

        votes = client.responses(session.id, sent.id, accept_roles=("owner", "guest"),
                                 at_least=len(people), timeout=TIMEOUT)
        latest = {v.responder_id: v for v in votes}  # a person may change their vote: the last one counts
        assert len(latest) == len(people), f"{len(latest)} of {len(people)} voted"
        assert all(v.responder_role in ("owner", "guest") for v in latest.values())
        tally = Counter(v.answers["place"] for v in latest.values() if v.answers)
        assert sum(tally.values()) == len(people) and set(tally) <= set(PLACES)
        winner, count = tally.most_common(1)[0]
        print(f"{len(latest)} votes: " + ", ".join(f"{p} {n}" for p, n in tally.most_common()))
        print(f"Lunch is at {winner} ({count} of {len(latest)}).")


if __name__ == "__main__":
    main(sys.argv[1:] or ["Ana", "Bo"])
