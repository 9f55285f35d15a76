"""A form: questions with ids (a single choice and an open one); the answers come back by id.

    HILOOP_URL=http://127.0.0.1:8787 python examples/form.py
"""

from __future__ import annotations

import os

from hiloop import HiloopClient

TIMEOUT = float(os.environ.get("HILOOP_EXAMPLE_TIMEOUT", "600"))


def main() -> None:
    with HiloopClient() as client:
        session = client.create_session("Release notes for v2.5")
        sent = client.send_message(
            session.id,
            [
                {"type": "text", "text": "I am drafting the release notes for v2.5. Two questions:"},
                {"type": "qa", "questions": [
                    {"id": "tone", "kind": "single", "prompt": "Which tone?",
                     "options": ["Formal", "Friendly", "Terse"]},
                    {"id": "highlight", "kind": "open", "prompt": "Anything to put first?", "required": False},
                ]},
            ],
            type="form",
        )
        print(f"Waiting for answers (or: hiloop respond {session.id} {sent.id} --answer tone=Friendly "
              f"--answer highlight=…)", flush=True)
        answer = client.await_response(session.id, sent.id, timeout=TIMEOUT)

        assert answer.responder_role == "owner" and answer.answers is not None
        tone = answer.answers["tone"]
        assert tone in ("Formal", "Friendly", "Terse")
        highlight = answer.answers.get("highlight") or "(nothing in particular)"
        print(f"Writing the notes in a {tone.lower()} tone; first: {highlight}")


if __name__ == "__main__":
    main()
