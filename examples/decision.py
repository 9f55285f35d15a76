"""A decision: ask the owner to approve a deploy, and act on the signed answer.

    HILOOP_URL=http://127.0.0.1:8787 python examples/decision.py

Uses the agent paired with `hiloop agent add NAME`. Answer in the app, or in a terminal with the
`hiloop respond …` line it prints.
"""

from __future__ import annotations

import os

from hiloop import HiloopClient

TIMEOUT = float(os.environ.get("HILOOP_EXAMPLE_TIMEOUT", "600"))


def main() -> None:
    with HiloopClient() as client:
        session = client.create_session("Deploy v2.4.1 to production", priority="high")
        sent = client.send_message(
            session.id,
            [
                {"type": "text", "text": "Release **v2.4.1** passed CI. Deploy it to production?"},
                {"type": "kv", "entries": [
                    {"label": "version", "value": "2.4.1"},
                    {"label": "commits", "value": "14 since v2.4.0"},
                    {"label": "migrations", "value": "1 (adds an index)"},
                ]},
                {"type": "alert", "level": "warning", "text": "The migration locks `orders` for about 2 s."},
                {"type": "button_group", "buttons": [
                    {"label": "Deploy", "action": "approve", "variant": "primary"},
                    {"label": "Not now", "action": "deny", "variant": "danger"},
                ]},
            ],
            type="decision",
            priority="high",
            deadline=TIMEOUT,
            default_action="deny",
        )
        print(f"Waiting for an answer (or: hiloop respond {session.id} {sent.id} --action approve)", flush=True)
        answer = client.await_response(session.id, sent.id, timeout=TIMEOUT + 5)

        assert answer.expired or answer.responder_role == "owner"  # only the owner's signed answer counts
        assert answer.action in ("approve", "deny")
        if answer.expired:
            print("No answer before the deadline: not deploying (default: deny).")
        elif answer.action == "approve":
            print(f"Approved by the owner{': ' + answer.text if answer.text else ''}. Deploying v2.4.1.")
        else:
            print(f"Denied by the owner{': ' + answer.text if answer.text else ''}. Not deploying.")
        client.close_session(session.id)


if __name__ == "__main__":
    main()
