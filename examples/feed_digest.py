"""A feed digest: what happened overnight, in one message of type "feed", with links to follow up.

    HILOOP_URL=http://127.0.0.1:8787 python examples/feed_digest.py
"""

from __future__ import annotations

from hiloop import HiloopClient

EVENTS = [
    ("02:14", "backup", "nightly backup finished (38 GB)", "ok"),
    ("03:40", "deploy", "canary v2.4.1 at 5% of traffic", "ok"),
    ("05:02", "alerts", "disk 91% on db-2", "warning"),
]


def main() -> None:
    with HiloopClient() as client:
        session = client.create_session("Overnight digest", kind="digest", priority="low")
        sent = client.send_message(
            session.id,
            [
                {"type": "alert", "level": "warning", "text": "1 item needs a look: disk 91% on db-2."},
                {"type": "table", "headers": ["time", "source", "event", "status"],
                 "rows": [list(e) for e in EVENTS]},
                {"type": "link", "url": "https://status.example.com/db-2", "label": "db-2 dashboard"},
                {"type": "link", "url": "https://ci.example.com/runs/8812", "label": "canary run"},
            ],
            type="feed",
            priority="low",
        )
        print(f"Sent the digest ({len(EVENTS)} events) as {sent.id} in session {session.id}.")

        (message,) = client.get_session_timeline(session.id).messages
        assert message.type == "feed" and message.priority == "low" and message.status == "none"
        rows = message.content["components"][1]["rows"]
        assert [r[1] for r in rows] == ["backup", "deploy", "alerts"]
        links = [c["label"] for c in message.content["components"] if c["type"] == "link"]
        assert links == ["db-2 dashboard", "canary run"]
        print("The digest reads back decrypted: 3 events, 2 links.")


if __name__ == "__main__":
    main()
